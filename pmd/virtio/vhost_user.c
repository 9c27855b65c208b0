/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user.c - the vhost-user messages of the virtio_user transport
 * (vhost_user.h): one request and its reply on the unix socket, every reply
 * bounded in size and in time, file descriptors as SCM_RIGHTS, REPLY_ACK,
 * and the memory table that shares tern's DMA memory with the backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tern_cycles.h"
#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_unix.h"
#include "vhost_user.h"

int tern_vu_send(struct virtio_user *vu, struct vhost_user_msg *m, const int *fds, unsigned nfd)
{
	size_t len = VHOST_USER_HDR_SIZE + m->size;
	ssize_t n;

	m->flags = VHOST_USER_VERSION | (m->flags & VHOST_USER_NEED_REPLY);
	n = tern_unix_send(vu->sock, m, len, fds, nfd, 0);
	if (n != (ssize_t)len) {
		return tern_error(EIO, VIRTIO_LOG, "%s: vhost-user request %u to %s: %s", vu->name,
		                  m->request, vu->path, n < 0 ? strerror((int)-n) : "short write");
	}
	return 0;
}

/*
 * A reply to `request`: header, then a payload of exactly `size` bytes. The
 * backend's reply is untrusted: anything else (another request, a size
 * that is not the one this request has) is refused, never read into m
 * beyond its payload. Each recv waits at most reply_timeout_ms (the
 * socket's SO_RCVTIMEO, vu_connect).
 */
int tern_vu_recv(struct virtio_user *vu, struct vhost_user_msg *m, uint32_t request, uint32_t size)
{
	ssize_t n;

	do
		n = recv(vu->sock, m, VHOST_USER_HDR_SIZE, MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n == VHOST_USER_HDR_SIZE &&
	    (m->request != request || !(m->flags & VHOST_USER_REPLY) || m->size != size)) {
		return tern_error(EPROTO, VIRTIO_LOG,
		                  "%s: vhost-user request %u: bad reply from %s (request %u, flags "
		                  "0x%x, %u bytes; want %u bytes): is it a vhost-user backend?",
		                  vu->name, request, vu->path, m->request, m->flags, m->size, size);
	}
	if (n == VHOST_USER_HDR_SIZE) {
		do
			n = recv(vu->sock, &m->payload, size, MSG_WAITALL);
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)size)
			return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		return tern_error(ETIMEDOUT, VIRTIO_LOG,
		                  "%s: vhost-user request %u: no reply from %s within %u ms: the "
		                  "backend is stuck (or raise reply_timeout_ms=)",
		                  vu->name, request, vu->path, vu->reply_wait_ms);
	}
	return tern_error(EIO, VIRTIO_LOG,
	                  "%s: vhost-user request %u: no valid reply from %s (backend gone?)",
	                  vu->name, request, vu->path);
}

/*
 * A request the backend acks, when REPLY_ACK is negotiated (vhost-user.rst,
 * "REPLY_ACK"): flags bit 3 asks for a u64 reply, zero for success, for
 * requests that have no reply of their own. Without it a backend that
 * refuses shows it only by doing nothing (or closing). `hint` says how to
 * fix a refusal.
 */
int tern_vu_send_acked(struct virtio_user *vu, struct vhost_user_msg *m, const int *fds,
                       unsigned nfd, const char *what, const char *hint)
{
	uint32_t req = m->request;
	int ret;

	if (!(vu->protocol_features >> VHOST_USER_PROTOCOL_F_REPLY_ACK & 1))
		return tern_vu_send(vu, m, fds, nfd);
	m->flags = VHOST_USER_NEED_REPLY;
	ret = tern_vu_send(vu, m, fds, nfd);
	if (ret == 0)
		ret = tern_vu_recv(vu, m, req, 8);
	if (ret == 0 && m->payload.u64 != 0) {
		ret = tern_error(EPROTO, VIRTIO_LOG, "%s: the backend at %s rejected %s: %s",
		                 vu->name, vu->path, what, hint);
	}
	return ret;
}

int tern_vu_u64(struct virtio_user *vu, uint32_t req, uint64_t v)
{
	struct vhost_user_msg m = {.request = req, .size = 8, .payload.u64 = v};

	return tern_vu_send(vu, &m, NULL, 0);
}

int tern_vu_get_u64(struct virtio_user *vu, uint32_t req, uint64_t *v)
{
	struct vhost_user_msg m = {.request = req};
	int ret = tern_vu_send(vu, &m, NULL, 0);

	if (ret == 0)
		ret = tern_vu_recv(vu, &m, req, 8);
	if (ret == 0)
		*v = m.payload.u64;
	return ret;
}

int tern_vu_state(struct virtio_user *vu, uint32_t req, uint32_t index, uint32_t num)
{
	struct vhost_user_msg m = {.request = req, .size = 8, .payload.state = {index, num}};

	return tern_vu_send(vu, &m, NULL, 0);
}

int tern_vu_fd(struct virtio_user *vu, uint32_t req, uint32_t index, int fd)
{
	struct vhost_user_msg m = {.request = req, .size = 8, .payload.u64 = index};

	return tern_vu_send(vu, &m, &fd, 1);
}

/*
 * SET_MEM_TABLE: every tern DMA mapping, each its own memfd (eal/memory.c),
 * found in /proc/self/maps and opened again through /proc/self/map_files
 * (root or CAP_SYS_ADMIN). --no-huge memory is private anonymous memory:
 * it cannot be shared, and the backend would see none of our buffers.
 */
/*
 * One line of /proc/self/maps: "lo-hi perms offset ..." (proc(5)), the three
 * numbers in hex. 0 if the line has that shape.
 */
static int maps_line_parse(const char *line, unsigned long *lo, unsigned long *hi,
                           unsigned long *off)
{
	char *end;

	errno = 0;
	*lo = strtoul(line, &end, 16);
	if (end == line || *end != '-')
		return -EINVAL;
	line = end + 1;
	*hi = strtoul(line, &end, 16);
	if (end == line || *end != ' ')
		return -EINVAL;
	line = strchr(end + 1, ' '); /* skip the permissions */
	if (line == NULL)
		return -EINVAL;
	line++;
	*off = strtoul(line, &end, 16);
	if (end == line || *end != ' ' || errno != 0)
		return -EINVAL;
	return 0;
}

int tern_vu_mem_table(struct virtio_user *vu)
{
	struct vhost_user_msg m = {.request = VHOST_USER_SET_MEM_TABLE};
	int fds[VHOST_USER_MAX_REGIONS];
	unsigned n = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int ret = 0;

	if (f == NULL)
		return tern_error(errno, VIRTIO_LOG, "%s: /proc/self/maps: %s", vu->name,
		                  strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi, off;
		char path[64];

		if (strstr(line, "/memfd:tern-dma") == NULL)
			continue;
		if (maps_line_parse(line, &lo, &hi, &off) < 0)
			continue;
		if (n == VHOST_USER_MAX_REGIONS) {
			ret = tern_error(
			    E2BIG, VIRTIO_LOG,
			    "%s: more than %u DMA mappings to share with the backend: use "
			    "fewer pools or queues",
			    vu->name, VHOST_USER_MAX_REGIONS);
			break;
		}
		snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", lo, hi);
		fds[n] = open(path, O_RDWR | O_CLOEXEC);
		if (fds[n] < 0) {
			ret =
			    tern_error(errno, VIRTIO_LOG,
			               "%s: cannot share DMA memory with the backend (%s: %s): run "
			               "as root (CAP_SYS_ADMIN)",
			               vu->name, path, strerror(errno));
			break;
		}
		m.payload.mem.regions[n] = (struct vhost_user_region){
		    .guest_phys_addr = lo,
		    .memory_size = hi - lo,
		    .userspace_addr = lo,
		    .mmap_offset = off,
		};
		n++;
	}
	fclose(f);
	if (ret == 0 && n == 0) {
		ret = tern_error(
		    ENOTSUP, VIRTIO_LOG,
		    "%s: no shareable DMA memory: virtio_user needs hugepages (not --no-huge)",
		    vu->name);
	}
	if (ret == 0) {
		m.payload.mem.nregions = n;
		m.size = 8 + n * (uint32_t)sizeof(struct vhost_user_region);
		ret = tern_vu_send_acked(
		    vu, &m, fds, n, "tern's memory table (SET_MEM_TABLE)",
		    "it could not map tern's DMA memory; see its log (memory limits, "
		    "hugepages, more regions than it takes)");
	}
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	return ret;
}
