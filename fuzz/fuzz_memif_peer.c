/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_memif_peer.c - libFuzzer plays a hostile memif client against a tern
 * memif server port (pmd/memif), over a real unix socket in this process.
 *
 * The input is a list of operations: raw 128-byte control messages (with or
 * without a region memfd or an eventfd attached), a handshake with fuzzed
 * region size, ring offsets and ring sizes, writes anywhere into the shared
 * region (ring heads and tails, descriptors, frame bytes), RX and TX bursts
 * on the port, and control passes. After each input the harness closes its
 * socket, lets the server notice and checks that every packet buffer is back
 * in the pool and no file descriptor was left open. ASan and UBSan catch any
 * read or write outside what the server may touch.
 *
 * There is no control thread (tern_memif_no_thread): link_get() services the
 * socket, so each input runs the same way every time.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "memif.h"
#include "tern_driver.h"
#include "tern_unix.h"

#define HARNESS "fuzz_memif_peer"
#define POOL    1023
#define REGION  (1u << 20)
#define LOG2    6 /* 64 slots per ring */
#define RING_SZ (MEMIF_RING_HDR + 16u * (1u << LOG2))

static struct tern_mempool *pool;
static char sock_name[64];
static int region_fd = -1;
static uint8_t *region;

/* Input reader: bytes run out as zeros, so every input is a valid program. */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint32_t u32(struct in *in)
{
	return (uint32_t)u8(in) | (uint32_t)u8(in) << 8 | (uint32_t)u8(in) << 16 |
	       (uint32_t)u8(in) << 24;
}

static void setup(void)
{
	struct tern_eal_config cfg;

	fuzz_quiet_log();
	tern_memif_no_thread = true;
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.nb_vdev = 1;
	snprintf(sock_name, sizeof(sock_name), "tern-fuzz-memif-%d", (int)getpid());
	snprintf(cfg.vdev[0].name, sizeof(cfg.vdev[0].name), "memif0");
	snprintf(cfg.vdev[0].args, sizeof(cfg.vdev[0].args), "socket=%s,rsize=8", sock_name);
	if (tern_eal_init(&cfg) != 0)
		fuzz_die(HARNESS, "init");
	pool = tern_pktpool_create("fz", POOL, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	if (pool == NULL || tern_port_configure(0, 2, 2, NULL) != 0 ||
	    tern_port_rx_queue_setup(0, 0, 64, TERN_SOCKET_ID_ANY, pool) != 0 ||
	    tern_port_rx_queue_setup(0, 1, 64, TERN_SOCKET_ID_ANY, pool) != 0 ||
	    tern_port_tx_queue_setup(0, 0, 64, TERN_SOCKET_ID_ANY) != 0 ||
	    tern_port_tx_queue_setup(0, 1, 64, TERN_SOCKET_ID_ANY) != 0 || tern_port_start(0) != 0)
		fuzz_die(HARNESS, "set the port up");
	region_fd = memfd_create("fuzz-memif", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (region_fd < 0 || ftruncate(region_fd, REGION) != 0 ||
	    fcntl(region_fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)
		fuzz_die(HARNESS, "memfd");
	region = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, region_fd, 0);
	if (region == MAP_FAILED)
		fuzz_die(HARNESS, "mmap");
}

static void service(void)
{
	struct tern_link l;

	tern_port_link_get(0, &l);
}

/* Read and drop whatever the server sent (closing any descriptor). */
static void drain(int fd)
{
	for (;;) {
		char ctl[CMSG_SPACE(sizeof(int) * 4)];
		struct memif_msg m;
		struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
		struct msghdr mh = {.msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = ctl,
		                    .msg_controllen = sizeof(ctl)};
		struct cmsghdr *c;

		if (recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_type == SCM_RIGHTS)
				for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				     k++) {
					int f;

					memcpy(&f, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
					close(f);
				}
	}
}

static void send_msg(int fd, const struct memif_msg *m, int pass)
{
	(void)tern_unix_send(fd, m, sizeof(*m), &pass, pass >= 0, MSG_DONTWAIT);
	service();
	drain(fd);
}

/* A proper handshake, with some fields from the input. */
static void handshake(int fd, struct in *in)
{
	uint8_t v = u8(in);
	struct memif_msg m;
	int efd;

	memset(&m, 0, sizeof(m));
	m.type = MEMIF_MSG_INIT;
	m.init.version = MEMIF_VERSION;
	send_msg(fd, &m, -1);
	memset(&m, 0, sizeof(m));
	m.type = MEMIF_MSG_ADD_REGION;
	m.add_region.size = (v & 1) ? u32(in) : REGION;
	send_msg(fd, &m, region_fd);
	for (uint16_t k = 0; k < 4; k++) {
		memset(&m, 0, sizeof(m));
		m.type = MEMIF_MSG_ADD_RING;
		m.add_ring.flags = k < 2 ? MEMIF_ADD_RING_FLAG_C2S : 0;
		m.add_ring.index = k % 2;
		m.add_ring.offset = (v & 2) ? u32(in) : k * RING_SZ;
		m.add_ring.log2_ring_size = (v & 4) ? u8(in) : LOG2;
		/* A fresh, valid ring header (the server checks the cookie). */
		if (m.add_ring.offset <= REGION - RING_SZ)
			memcpy(region + m.add_ring.offset, &(uint32_t){MEMIF_COOKIE}, 4);
		efd = eventfd(0, EFD_CLOEXEC);
		send_msg(fd, &m, (v & 8) ? -1 : efd);
		close(efd);
	}
	memset(&m, 0, sizeof(m));
	m.type = MEMIF_MSG_CONNECT;
	send_msg(fd, &m, -1);
}

static void bursts(struct in *in, bool rx)
{
	struct tern_pkt *pk[32];
	uint16_t q = u8(in) & 1, n = u8(in) % 33;

	if (rx) {
		uint16_t got = tern_port_rx_burst(0, q, pk, n);

		tern_pkt_free_bulk(pk, got);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		uint16_t len = (uint16_t)(u8(in) * 7); /* up to 1785: fits a default buffer */

		pk[i] = tern_pkt_alloc(pool);
		if (pk[i] == NULL) {
			n = i;
			break;
		}
		memset(tern_pkt_append(pk[i], len), 0xab, len);
	}
	uint16_t sent = tern_port_tx_burst(0, q, pk, n);

	tern_pkt_free_bulk(pk + sent, n - sent);
}

/* Open sockets, memfds and eventfds of this process (what the memif server may leak). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		fuzz_die(HARNESS, "/proc/self/fd");
	while ((e = readdir(d)) != NULL) {
		char path[64], target[128];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += strncmp(target, "socket:", 7) == 0 || strncmp(target, "/memfd:", 7) == 0 ||
		     strstr(target, "eventfd") != NULL;
	}
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	static int base_fds = -1;
	int fd, open_fds;

	if (pool == NULL)
		setup();
	memset(region, 0, 4 * RING_SZ);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	memcpy(un.sun_path + 1, sock_name, strlen(sock_name));
	if (fd < 0 || connect(fd, (struct sockaddr *)&un, sizeof(un)) != 0)
		fuzz_die(HARNESS, "connect");
	service(); /* accept, HELLO */
	drain(fd);
	for (int ops = 0; in.n > 0 && ops < 64; ops++) {
		uint8_t op = u8(&in);

		switch (op % 8) {
		case 0: { /* a raw message */
			struct memif_msg m;
			int efd = -1;

			memset(&m, 0, sizeof(m));
			for (size_t k = 0; k < sizeof(m) && in.n > 0; k++)
				((uint8_t *)&m)[k] = u8(&in);
			m.type = (uint16_t)(m.type % 10);
			if (op & 0x10)
				efd = eventfd(0, EFD_CLOEXEC);
			send_msg(fd, &m, (op & 0x20) ? region_fd : efd);
			if (efd >= 0)
				close(efd);
			break;
		}
		case 1:
			handshake(fd, &in);
			break;
		case 2: { /* write into the shared region: rings, descriptors, frames */
			uint32_t off = u32(&in) % (4 * RING_SZ + 4096);
			uint8_t len = u8(&in) % 16;

			for (uint8_t k = 0; k < len && off + k < REGION; k++)
				region[off + k] = u8(&in);
			break;
		}
		case 3: { /* a ring index moved by the peer */
			uint32_t ring = u8(&in) % 4;
			uint16_t v = (uint16_t)u32(&in);

			memcpy(region + ring * RING_SZ + ((op & 0x10) ? 64 : 6), &v, 2);
			break;
		}
		case 4:
		case 5:
			bursts(&in, op % 8 == 4);
			break;
		case 6:
			service();
			drain(fd);
			break;
		default: { /* plausible descriptors: anywhere in or near the region */
			uint32_t ring = u8(&in) % 4, slot = u8(&in) % (1u << LOG2);
			struct memif_desc d = {.flags = (uint16_t)(u8(&in) & 1),
			                       .region = (uint16_t)(u8(&in) % 3),
			                       .length = u32(&in) % (REGION + 4096),
			                       .offset = u32(&in) % (REGION + 4096)};

			memcpy(region + ring * RING_SZ + MEMIF_RING_HDR + slot * 16, &d, sizeof(d));
			break;
		}
		}
	}
	close(fd);
	service(); /* the server sees the socket closed and disconnects */
	if (tern_mempool_avail_count(pool) != POOL) {
		fprintf(stderr, "%s: %u of %u buffers in the pool after the peer left\n", HARNESS,
		        tern_mempool_avail_count(pool), POOL);
		abort();
	}
	/* Every descriptor the server received or made was closed. */
	open_fds = count_fds();
	if (base_fds < 0)
		base_fds = open_fds;
	if (open_fds != base_fds) {
		fprintf(stderr, "%s: %d sockets, memfds and eventfds open, %d before\n", HARNESS,
		        open_fds, base_fds);
		abort();
	}
	return 0;
}
