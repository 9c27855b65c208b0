/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_user.c - the vhost-user transport: the virtio-net device is a
 * vhost-user backend (DPDK vhost, OVS-DPDK, VPP) at the other end of a unix
 * socket, and the rings and buffers are tern DMA memory shared with it by
 * file descriptor. The same ring code (virtqueue.c, virtio_rxtx.c) serves
 * it and PCI; this file is one more virtio_ops, and vhost_user.c holds the
 * protocol's messages.
 *
 *   --vdev virtio_user0,path=SOCK[,queues=N][,queue_size=Q][,mac=XX:..][,server=0|1]
 *                      [,reply_timeout_ms=MS]
 *
 * server=0 (default): tern connects to the backend's socket, retrying for
 * a second at probe and again whenever the link is polled while the
 * backend is gone. server=1: tern listens on path and waits (10 s at probe,
 * then whenever the link is polled) for a backend in client mode, as
 * OVS-DPDK's dpdkvhostuserclient ports and DPDK's client=1 do.
 * reply_timeout_ms (default 5000): how long tern waits for each reply of
 * the backend before it gives up on the connection (a stuck backend never
 * hangs the caller).
 *
 * packed_vq=1: packed virtqueues (virtio 1.1 2.7), refused when the
 * backend does not offer VIRTIO_F_RING_PACKED; default 0, split (as DPDK).
 * For packed rings SET_VRING_BASE carries the wrap counter in bit 15.
 *
 * Facts from the vhost-user protocol (QEMU docs/interop/vhost-user.rst):
 * a message is a 12-byte header {request, flags, size} and a payload;
 * flags bits 0-1 are the version (1), bit 2 marks a reply, bit 3 asks for
 * an ack (REPLY_ACK below). File descriptors travel as SCM_RIGHTS
 * ancillary data. Addresses in the memory table and SET_VRING_ADDR are
 * ours: guest_phys_addr = userspace_addr = the virtual address, which is
 * tern's IOVA in VA mode (so VA mode is needed).
 *
 * The device side the driver sees (status, config space) is emulated here:
 * status and FEATURES_OK locally, the MAC from mac= (else random, locally
 * administered), link status from the connection. The backend gets the
 * queues at DRIVER_OK (3.1.1 step 8), when every ring and pool exists:
 * SET_FEATURES, SET_MEM_TABLE, then per queue NUM, BASE, ADDR, KICK, CALL
 * and ENABLE; a reset asks GET_VRING_BASE of every queue (which stops it).
 *
 * Notifications: the kick eventfd is written only when the backend has not
 * set VRING_USED_F_NO_NOTIFY (DPDK's vhost PMD sets it while it polls);
 * interrupts are off (VRING_AVAIL_F_NO_INTERRUPT), the call eventfd is
 * given because backends expect one, and never read.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tern_cycles.h"
#include "tern_eal.h"
#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "vhost_user.h"

#define VIRTIO_USER_DEFAULT_QSIZE  256
#define VIRTIO_USER_CONNECT_TRIES  10    /* client mode at probe: 10 x 100 ms */
#define VIRTIO_USER_SERVER_WAIT_MS 10000 /* server mode at probe: for the backend */
#define VIRTIO_USER_REPLY_WAIT_MS  5000  /* default of reply_timeout_ms= */
#define VIRTIO_USER_RETRY_MS       1000  /* reconnect after a refusal */

static struct virtio_user *vu_of(struct virtio_hw *hw)
{
	return hw->priv;
}

/* ---- connection ---- */

static void vu_disconnect(struct virtio_user *vu)
{
	if (vu->sock >= 0)
		close(vu->sock);
	vu->sock = -1;
	vu->running = false;
}

/* server=1: a backend (in client mode) that connects within wait_ms, else -EAGAIN. */
static int vu_accept(struct virtio_user *vu, int wait_ms, bool quiet)
{
	struct pollfd pfd = {.fd = vu->lsock, .events = POLLIN};

	if (poll(&pfd, 1, wait_ms) == 1)
		vu->sock = accept4(vu->lsock, NULL, NULL, SOCK_CLOEXEC);
	if (vu->sock >= 0)
		return 0;
	if (quiet)
		return -EAGAIN;
	return tern_error(EAGAIN, VIRTIO_LOG,
	                  "%s: no vhost-user backend connected to %s within %d ms: start it in "
	                  "client mode (e.g. dpdk-testpmd --vdev net_vhost0,iface=%s,client=1)",
	                  vu->name, vu->path, wait_ms, vu->path);
}

/*
 * Connect (client mode: the caller retries while the backend comes up;
 * server mode: accept, waiting wait_ms), SET_OWNER, features.
 */
static int vu_connect(struct virtio_user *vu, bool quiet, int wait_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv;
	int ret;

	if (vu->lsock >= 0) {
		ret = vu_accept(vu, wait_ms, quiet);
		if (ret < 0)
			return ret;
		goto connected;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", vu->path);
	vu->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (vu->sock < 0)
		return tern_error(errno, VIRTIO_LOG, "%s: socket: %s", vu->name, strerror(errno));
	if (connect(vu->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		if (!quiet && ret == -EACCES)
			tern_error(EACCES, VIRTIO_LOG,
			           "%s: cannot connect to vhost-user socket %s: %s: connecting "
			           "needs write permission on it: run as its owner, in its group, "
			           "or as root",
			           vu->name, vu->path, strerror(EACCES));
		else if (!quiet)
			tern_error(
			    -ret, VIRTIO_LOG,
			    "%s: cannot connect to vhost-user socket %s: %s: start the backend "
			    "(e.g. dpdk-testpmd --vdev net_vhost0,iface=%s) first",
			    vu->name, vu->path, strerror(-ret), vu->path);
		vu_disconnect(vu);
		return ret;
	}
connected:
	/* Every reply waits at most reply_timeout_ms, every send as long. */
	tv.tv_sec = vu->reply_wait_ms / 1000;
	tv.tv_usec = (vu->reply_wait_ms % 1000) * 1000;
	if (setsockopt(vu->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(vu->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		ret = tern_error(errno, VIRTIO_LOG, "%s: socket timeouts: %s", vu->name,
		                 strerror(errno));
		vu_disconnect(vu);
		return ret;
	}
	ret = tern_vu_u64(vu, VHOST_USER_SET_OWNER, 0);
	if (ret == 0)
		ret = tern_vu_get_u64(vu, VHOST_USER_GET_FEATURES, &vu->backend_features);
	if (ret == 0 && (vu->backend_features >> VHOST_USER_F_PROTOCOL_FEAT & 1)) {
		uint64_t pf = 0;

		ret = tern_vu_get_u64(vu, VHOST_USER_GET_PROTOCOL_FEATURES, &pf);
		vu->protocol_features = pf & (1ull << VHOST_USER_PROTOCOL_F_MQ |
		                              1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
		if (ret == 0)
			ret = tern_vu_u64(vu, VHOST_USER_SET_PROTOCOL_FEATURES,
			                  vu->protocol_features);
	}
	if (ret == 0 && !(vu->backend_features >> VIRTIO_F_VERSION_1 & 1)) {
		ret = tern_error(
		    ENOTSUP, VIRTIO_LOG,
		    "%s: the backend at %s does not offer VIRTIO_F_VERSION_1: only modern "
		    "virtio is supported over vhost-user",
		    vu->name, vu->path);
	}
	if (ret < 0)
		vu_disconnect(vu);
	return ret;
}

/* Whether the backend is still there: a closed socket reads EOF. */
static bool vu_alive(struct virtio_user *vu)
{
	char c;
	ssize_t n;

	if (vu->sock < 0)
		return false;
	n = recv(vu->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG,
		         "%s: vhost-user backend at %s went away: link down; reconnecting "
		         "while the link is polled",
		         vu->name, vu->path);
		vu_disconnect(vu);
		return false;
	}
	return true;
}

/* ---- the device start and stop (3.1.1 step 8, 2.1.2) ---- */

static int vu_start_queue(struct virtio_user *vu, struct virtqueue *vq)
{
	struct vhost_user_msg m = {.request = VHOST_USER_SET_VRING_ADDR, .size = 40};
	uint16_t i = vq->index;
	int ret;

	/*
	 * The backend starts at the used index: 0 after a reset; after a
	 * reconnect, the entries the old backend had not used yet are taken
	 * again by the new one (RX buffers filled, TX chains sent).
	 */
	ret = tern_vu_state(vu, VHOST_USER_SET_VRING_NUM, i, vq->size);
	if (ret == 0)
		ret = tern_vu_state(vu, VHOST_USER_SET_VRING_BASE, i, tern_virtqueue_base(vq));
	m.payload.addr.index = i;
	m.payload.addr.desc = (uint64_t)(uintptr_t)vq->desc;
	m.payload.addr.used = (uint64_t)(uintptr_t)vq->used;
	m.payload.addr.avail = (uint64_t)(uintptr_t)vq->avail;
	if (ret == 0)
		ret = tern_vu_send(vu, &m, NULL, 0);
	if (ret == 0)
		ret = tern_vu_fd(vu, VHOST_USER_SET_VRING_KICK, i, vu->kickfd[i]);
	if (ret == 0)
		ret = tern_vu_fd(vu, VHOST_USER_SET_VRING_CALL, i, vu->callfd[i]);
	return ret;
}

static int vu_start(struct virtio_user *vu, bool quiet)
{
	uint64_t f = vu->driver_features;
	int ret;

	if (vu->sock < 0) {
		ret = vu_connect(vu, quiet, 0);
		if (ret < 0)
			return ret;
	}
	if (vu->backend_features >> VHOST_USER_F_PROTOCOL_FEAT & 1)
		f |= 1ull << VHOST_USER_F_PROTOCOL_FEAT;
	{
		struct vhost_user_msg m = {.request = VHOST_USER_SET_FEATURES,
		                           .size = 8,
		                           .payload.u64 = f & vu->backend_features};
		char what[64];

		snprintf(what, sizeof(what), "features 0x%" PRIx64 " (SET_FEATURES)",
		         m.payload.u64);
		ret = tern_vu_send_acked(vu, &m, NULL, 0, what,
		                         "it offered them but takes not all of them: check its "
		                         "configuration or log");
	}
	if (ret == 0)
		ret = tern_vu_mem_table(vu);
	for (unsigned i = 0; ret == 0 && i < VIRTIO_USER_MAX_QUEUES; i++)
		if (vu->vq[i] != NULL)
			ret = vu_start_queue(vu, vu->vq[i]);
	/* With PROTOCOL_FEATURES the rings start disabled: enable ours. */
	for (unsigned i = 0; ret == 0 && i < VIRTIO_USER_MAX_QUEUES; i++)
		if (vu->vq[i] != NULL && (f >> VHOST_USER_F_PROTOCOL_FEAT & 1))
			ret = tern_vu_state(vu, VHOST_USER_SET_VRING_ENABLE, i, 1);
	if (ret < 0) {
		vu_disconnect(vu);
		return ret;
	}
	vu->running = true;
	return 0;
}

/*
 * Reset: every ring back from the backend. GET_VRING_BASE stops a ring and
 * answers only once the backend no longer touches it, so our buffers are
 * ours again after it. A backend that is gone touches nothing.
 */
static void vu_stop(struct virtio_user *vu)
{
	bool ok = vu->sock >= 0;

	for (unsigned i = 0; ok && vu->running && i < VIRTIO_USER_MAX_QUEUES; i++) {
		struct vhost_user_msg m = {
		    .request = VHOST_USER_GET_VRING_BASE, .size = 8, .payload.state = {i, 0}};

		if (vu->vq[i] == NULL)
			continue;
		if ((vu->protocol_features ||
		     (vu->backend_features >> VHOST_USER_F_PROTOCOL_FEAT & 1)) &&
		    tern_vu_state(vu, VHOST_USER_SET_VRING_ENABLE, i, 0) < 0)
			ok = false;
		if (ok && (tern_vu_send(vu, &m, NULL, 0) < 0 ||
		           tern_vu_recv(vu, &m, VHOST_USER_GET_VRING_BASE, 8) < 0))
			ok = false;
	}
	vu->running = false;
	if (!ok)
		vu_disconnect(vu); /* a backend that does not answer: a fresh connection next */
}

/* ---- virtio_ops ---- */

static uint8_t vu_get_status(struct virtio_hw *hw)
{
	return vu_of(hw)->status;
}

static void vu_set_status(struct virtio_hw *hw, uint8_t status)
{
	struct virtio_user *vu = vu_of(hw);

	if (status == 0) {
		if (vu->running || vu->sock >= 0)
			vu_stop(vu);
		memset(vu->vq, 0, sizeof(vu->vq));
		vu->status = 0;
		return;
	}
	/* 3.1.1 step 6: FEATURES_OK only for features the backend offers. */
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) && (vu->driver_features & ~hw->offered) != 0)
		status &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !(vu->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    vu_start(vu, false) < 0)
		status = VIRTIO_CONFIG_S_FAILED;
	vu->status = status;
}

/* What the driver sees: the backend's features, with MAC and STATUS emulated here. */
static uint64_t vu_get_features(struct virtio_hw *hw)
{
	struct virtio_user *vu = vu_of(hw);
	uint64_t mask = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MRG_RXBUF |
	                1ull << VIRTIO_F_ANY_LAYOUT;

	if (hw->packed_ok) /* packed_vq=1 */
		mask |= 1ull << VIRTIO_F_RING_PACKED;

	return (vu->backend_features & mask) | 1ull << VIRTIO_NET_F_MAC |
	       1ull << VIRTIO_NET_F_STATUS;
}

static void vu_set_features(struct virtio_hw *hw, uint64_t features)
{
	/* MAC and STATUS are ours, not the backend's. */
	vu_of(hw)->driver_features =
	    features & ~(1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS);
}

/* 5.1.4: the config space, emulated: mac, status (link = connected), max pairs. */
static int vu_read_config(struct virtio_hw *hw, unsigned off, void *buf, unsigned len)
{
	struct virtio_user *vu = vu_of(hw);
	uint8_t cfg[12] = {0};
	uint16_t st = 0, pairs = vu->queues;

	memcpy(cfg, vu->mac, 6);
	/*
	 * Reconnect: a backend that is back gets our queues again. One that is
	 * there but refuses (its failure logged a line) is tried again a second
	 * later, not at every poll: one line a second, not one per poll.
	 */
	if ((vu->status & VIRTIO_CONFIG_S_DRIVER_OK) && !vu->running &&
	    tern_time_ns() >= vu->retry_ns) {
		unsigned long errs = tern_error_count();

		if (vu_start(vu, true) == 0)
			tern_log(TERN_LOG_INFO, VIRTIO_LOG, "%s: reconnected to %s", vu->name,
			         vu->path);
		else if (tern_error_count() != errs)
			vu->retry_ns = tern_time_ns() + VIRTIO_USER_RETRY_MS * 1000000ull;
	}
	if (vu->running && vu_alive(vu))
		st = VIRTIO_NET_S_LINK_UP;
	memcpy(cfg + VIRTIO_NET_CFG_STATUS, &st, 2);
	memcpy(cfg + VIRTIO_NET_CFG_MAX_PAIRS, &pairs, 2);
	if (off > sizeof(cfg) || len > sizeof(cfg) - off)
		return -EINVAL;
	memcpy(buf, cfg + off, len);
	return 0;
}

static uint16_t vu_get_queue_size(struct virtio_hw *hw, uint16_t index)
{
	struct virtio_user *vu = vu_of(hw);

	return index < 2u * vu->queues ? vu->queue_size : 0;
}

static int vu_setup_queue(struct virtio_hw *hw, struct virtqueue *vq)
{
	struct virtio_user *vu = vu_of(hw);

	if (vq->index >= VIRTIO_USER_MAX_QUEUES)
		return -EINVAL;
	vu->vq[vq->index] = vq;
	return 0;
}

/* 4.2.3.3 in spirit: the doorbell is the queue's kick eventfd. */
static void vu_notify(struct virtio_hw *hw, struct virtqueue *vq)
{
	uint64_t one = 1;

	if (write(vu_of(hw)->kickfd[vq->index], &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, the backend has a kick pending anyway */
	}
}

static const struct virtio_ops vu_ops = {
    .name = "vhost-user",
    .get_status = vu_get_status,
    .set_status = vu_set_status,
    .get_features = vu_get_features,
    .set_features = vu_set_features,
    .read_config = vu_read_config,
    .get_queue_size = vu_get_queue_size,
    .setup_queue = vu_setup_queue,
    .notify = vu_notify,
};

/* ---- open and close ---- */

static int parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t v[6];

	/* Six hex octets of one or two digits, ':' between them, nothing after. */
	for (int i = 0; i < 6; i++) {
		char *end;
		unsigned long octet;

		if (!isxdigit((unsigned char)s[0]))
			return -EINVAL; /* strtoul would take a sign or blanks */
		octet = strtoul(s, &end, 16);
		if (end - s > 2 || *end != (i < 5 ? ':' : '\0'))
			return -EINVAL;
		v[i] = (uint8_t)octet; /* two hex digits at most */
		s = end + 1;
	}
	memcpy(mac, v, sizeof(v)); /* mac untouched on bad input */
	return 0;
}

/* server=1: listen on path (a stale socket file there is replaced; anything else refused). */
static int vu_listen(struct virtio_user *vu)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;

	if (lstat(vu->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return tern_error(
			    EEXIST, VIRTIO_LOG,
			    "%s: server=1: %s exists and is not a socket: give another "
			    "path",
			    vu->name, vu->path);
		unlink(vu->path);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", vu->path);
	vu->lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (vu->lsock < 0 || bind(vu->lsock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(vu->lsock, 1) < 0) {
		int err = errno;

		if (vu->lsock >= 0)
			close(vu->lsock);
		vu->lsock = -1;
		return tern_error(err, VIRTIO_LOG, "%s: server=1: cannot listen on %s: %s",
		                  vu->name, vu->path, strerror(err));
	}
	return 0;
}

void tern_virtio_user_close(struct virtio_hw *hw)
{
	struct virtio_user *vu = vu_of(hw);

	if (vu == NULL)
		return;
	vu_disconnect(vu);
	if (vu->lsock >= 0) {
		close(vu->lsock);
		unlink(vu->path);
	}
	for (unsigned i = 0; i < VIRTIO_USER_MAX_QUEUES; i++) {
		if (vu->kickfd[i] >= 0)
			close(vu->kickfd[i]);
		if (vu->callfd[i] >= 0)
			close(vu->callfd[i]);
	}
	free(vu);
	hw->priv = NULL;
}

int tern_virtio_user_open(struct virtio_hw *hw, const char *name, const char *args)
{
	static const char *const known[] = {"path",   "queues",    "queue_size",       "mac",
	                                    "server", "packed_vq", "reply_timeout_ms", NULL};
	struct virtio_user *vu;
	uint32_t queues = 1, qsize = VIRTIO_USER_DEFAULT_QSIZE, server = 0, packed = 0;
	uint32_t reply_ms = VIRTIO_USER_REPLY_WAIT_MS;
	char mac[32] = "";
	int ret;

	ret = tern_devargs_check(VIRTIO_LOG, args, known);
	if (ret < 0)
		return ret;
	vu = calloc(1, sizeof(*vu));
	if (vu == NULL)
		return tern_error(ENOMEM, VIRTIO_LOG, "%s: out of memory", name);
	hw->priv = vu;
	snprintf(vu->name, sizeof(vu->name), "%s", name);
	vu->sock = vu->lsock = -1;
	for (unsigned i = 0; i < VIRTIO_USER_MAX_QUEUES; i++)
		vu->kickfd[i] = vu->callfd[i] = -1;
	if (tern_devargs_get(args, "path", vu->path, sizeof(vu->path)) < 0 || vu->path[0] == '\0') {
		ret = tern_error(EINVAL, VIRTIO_LOG,
		                 "%s: path= is required: the vhost-user socket, e.g. "
		                 "--vdev %s,path=/tmp/vhost.sock",
		                 name, name);
		goto fail;
	}
	if (tern_devargs_get_u32(args, "queues", &queues) == -EINVAL || queues == 0 ||
	    queues > TERN_MAX_QUEUES_PER_PORT) {
		ret = tern_error(EINVAL, VIRTIO_LOG, "%s: queues= must be 1..%u (queue pairs)",
		                 name, TERN_MAX_QUEUES_PER_PORT);
		goto fail;
	}
	if (tern_devargs_get_u32(args, "queue_size", &qsize) == -EINVAL || qsize < 64 ||
	    qsize > 32768 || (qsize & (qsize - 1))) {
		ret = tern_error(EINVAL, VIRTIO_LOG,
		                 "%s: queue_size= must be a power of two in 64..32768", name);
		goto fail;
	}
	if (tern_devargs_get_u32(args, "reply_timeout_ms", &reply_ms) == -EINVAL || reply_ms == 0 ||
	    reply_ms > 600000) {
		ret =
		    tern_error(EINVAL, VIRTIO_LOG, "%s: reply_timeout_ms= must be 1..600000", name);
		goto fail;
	}
	vu->reply_wait_ms = reply_ms;
	if (tern_devargs_get_u32(args, "server", &server) == -EINVAL || server > 1 ||
	    tern_devargs_get_u32(args, "packed_vq", &packed) == -EINVAL || packed > 1) {
		ret =
		    tern_error(EINVAL, VIRTIO_LOG, "%s: server= and packed_vq= take 0 or 1", name);
		goto fail;
	}
	if (tern_devargs_get(args, "mac", mac, sizeof(mac)) >= 0 && parse_mac(mac, vu->mac) < 0) {
		ret =
		    tern_error(EINVAL, VIRTIO_LOG, "%s: mac=%s: give XX:XX:XX:XX:XX:XX", name, mac);
		goto fail;
	}
	if (mac[0] == '\0') {
		struct tern_ether_addr a;

		tern_ether_addr_local(&a, (uint32_t)time(NULL) ^ (uint32_t)getpid() << 8);
		memcpy(vu->mac, a.addr, 6);
	}
	if (tern_eal_iova_mode() != TERN_IOVA_VA) {
		ret =
		    tern_error(ENOTSUP, VIRTIO_LOG,
		               "%s: vhost-user shares virtual addresses: use --iova-mode va", name);
		goto fail;
	}
	vu->queues = (uint16_t)queues;
	vu->queue_size = (uint16_t)qsize;
	for (unsigned i = 0; i < 2 * queues; i++) {
		vu->kickfd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		vu->callfd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vu->kickfd[i] < 0 || vu->callfd[i] < 0) {
			ret = tern_error(errno, VIRTIO_LOG,
			                 "%s: eventfd: %s: raise the open files limit", name,
			                 strerror(errno));
			goto fail;
		}
	}
	if (server) {
		ret = vu_listen(vu);
		if (ret < 0)
			goto fail;
		tern_log(TERN_LOG_INFO, VIRTIO_LOG, "%s: waiting for a vhost-user backend on %s",
		         name, vu->path);
		ret = vu_connect(vu, false, VIRTIO_USER_SERVER_WAIT_MS);
	}
	for (int t = 0; !server; t++) {
		ret = vu_connect(vu, t + 1 < VIRTIO_USER_CONNECT_TRIES, 0);
		if (ret != -ENOENT && ret != -ECONNREFUSED)
			break;
		if (t + 1 == VIRTIO_USER_CONNECT_TRIES)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
	}
	if (ret < 0)
		goto fail;
	if (packed && !(vu->backend_features >> VIRTIO_F_RING_PACKED & 1)) {
		ret = tern_error(ENOTSUP, VIRTIO_LOG,
		                 "%s: packed_vq=1, but the backend at %s does not offer packed "
		                 "virtqueues (VIRTIO_F_RING_PACKED): leave out packed_vq=1",
		                 name, vu->path);
		goto fail;
	}
	if (queues > 1) {
		uint64_t max = 1;

		if (vu->protocol_features >> VHOST_USER_PROTOCOL_F_MQ & 1)
			ret = tern_vu_get_u64(vu, VHOST_USER_GET_QUEUE_NUM, &max);
		if (ret == 0 && max < queues) {
			ret = tern_error(EINVAL, VIRTIO_LOG,
			                 "%s: queues=%u, but the backend at %s has %" PRIu64
			                 " queue pair(s): ask for fewer (or give the backend more)",
			                 name, queues, vu->path, max);
		}
		if (ret < 0)
			goto fail;
	}
	hw->ops = &vu_ops;
	hw->name = vu->name;
	hw->modern = true;
	hw->pairs_hint = vu->queues;
	hw->packed_ok = packed == 1;
	return 0;
fail:
	tern_virtio_user_close(hw);
	return ret;
}
