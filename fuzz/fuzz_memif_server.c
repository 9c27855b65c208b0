/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_memif_server.c - libFuzzer plays a hostile memif server against tern
 * memif client ports (pmd/memif), over real unix sockets in this process:
 * port 0 in copy mode, port 1 with zero-copy=yes (when hugepages are there).
 *
 * The input is a list of operations: a handshake with fuzzed HELLO limits
 * (and CONNECTED sent or not), raw control messages of any type and length
 * (with or without a descriptor attached), writes anywhere into region 0
 * (ring heads and tails, descriptors, copy-mode buffers), plausible and
 * implausible descriptors, a server's RX and TX done right or wrong (heads
 * and tails moved past what was offered), frame bytes into the shared pool
 * buffers, RX and TX bursts of up to twice a ring on the client (single
 * frames, chains, frames from a pool that is not shared, received frames
 * kept until the end so that the pool runs dry), and control passes.
 *
 * Zero-copy shares the client's pool pages with the server: the packet
 * headers sit next to the data, and a server that writes into a header can
 * corrupt the client (doc/memif.md: zero-copy trusts the server with its
 * pools, as DPDK and VPP do). So the harness writes into the pool regions
 * only within the data rooms; everything else - region 0, every ring
 * index, every descriptor field, every message - is fair game.
 *
 * After each input the harness closes its end and stops the port; every
 * packet buffer of both pools must be back and every descriptor the client
 * made or received closed. ASan and UBSan catch any access outside what
 * the client may touch. No control thread (tern_memif_no_thread): link_get
 * services the sockets, so each input runs the same way every time.
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
#include "tern_memory.h"
#include "tern_unix.h"

#define HARNESS   "fuzz_memif_server"
#define POOL      1023
#define LOG2      6 /* 64 slots per ring */
#define MAX_MAP   (64u << 20)
#define MAX_RINGS 4

static struct tern_mempool *pool, *other;
static uint16_t nb_ports;
static int listen_fd[2] = {-1, -1};
static char sock_name[2][64];
static char *pool_base; /* where the pool's DMA allocation starts in this process */

/* One connection, as the server sees it. */
struct srv {
	int fd;
	uint16_t port;
	struct {
		uint8_t *addr;
		uint64_t size;
	} reg[MEMIF_MAX_REGIONS];
	struct {
		bool set;
		uint16_t region;
		uint32_t offset;
		uint8_t log2;
	} ring[2][MAX_RINGS]; /* [c2s?0:1][index] */
	uint16_t rx_tail[MAX_RINGS], tx_tail[MAX_RINGS];
};

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

static uint16_t u16(struct in *in)
{
	return (uint16_t)(u8(in) | u8(in) << 8);
}

static uint32_t u32(struct in *in)
{
	return (uint32_t)u16(in) | (uint32_t)u16(in) << 16;
}

static int listen_on(const char *name)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memcpy(un.sun_path + 1, name, strlen(name));
	if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) != 0 || listen(fd, 4) != 0)
		fuzz_die(HARNESS, "listen");
	return fd;
}

static void port_setup(uint16_t p)
{
	if (tern_port_configure(p, 2, 2, NULL) != 0 ||
	    tern_port_rx_queue_setup(p, 0, 64, TERN_SOCKET_ID_ANY, pool) != 0 ||
	    tern_port_rx_queue_setup(p, 1, 64, TERN_SOCKET_ID_ANY, pool) != 0 ||
	    tern_port_tx_queue_setup(p, 0, 64, TERN_SOCKET_ID_ANY) != 0 ||
	    tern_port_tx_queue_setup(p, 1, 64, TERN_SOCKET_ID_ANY) != 0)
		fuzz_die(HARNESS, "set the port up");
}

static void setup(void)
{
	struct tern_eal_config cfg;
	size_t len;
	int fd;

	fuzz_quiet_log();
	tern_memif_no_thread = true;
	for (int k = 0; k < 2; k++) {
		snprintf(sock_name[k], sizeof(sock_name[k]), "tern-fuzz-memifs-%d-%d",
		         (int)getpid(), k);
		listen_fd[k] = listen_on(sock_name[k]);
	}
	/*
	 * Zero-copy needs hugepages (shareable memory); without them (or
	 * without enough for the pools), copy mode only.
	 */
	for (int huge = 1; huge >= 0; huge--) {
		tern_eal_config_init(&cfg);
		cfg.no_huge = !huge;
		cfg.nb_vdev = huge ? 2 : 1;
		for (unsigned k = 0; k < cfg.nb_vdev; k++) {
			snprintf(cfg.vdev[k].name, sizeof(cfg.vdev[k].name), "memif%d", k);
			snprintf(cfg.vdev[k].args, sizeof(cfg.vdev[k].args),
			         "socket=%s,role=client,rsize=%d%s", sock_name[k], LOG2,
			         k ? ",zero-copy=yes" : "");
		}
		if (tern_eal_init(&cfg) == 0) {
			pool = tern_pktpool_create("fzs", POOL, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
			                           TERN_SOCKET_ID_ANY);
			other = tern_pktpool_create("fzs-other", 63, 0, 0,
			                            TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
			if (pool != NULL && other != NULL)
				break;
			tern_mempool_free(pool);
			tern_mempool_free(other);
			pool = other = NULL;
			tern_eal_cleanup();
		}
	}
	if (pool == NULL)
		fuzz_die(HARNESS, "init and pools");
	nb_ports = tern_port_count();
	for (uint16_t p = 0; p < nb_ports; p++)
		port_setup(p);
	fd = tern_dma_fd(pool->mem, (void **)&pool_base, &len);
	if (fd >= 0)
		close(fd);
}

static void service(uint16_t port)
{
	struct tern_link l;

	tern_port_link_get(port, &l);
}

static void send_raw(struct srv *s, const void *m, size_t len, int pass)
{
	if (s->fd >= 0)
		(void)tern_unix_send(s->fd, m, len, &pass, pass >= 0, MSG_DONTWAIT);
}

static void send_type(struct srv *s, uint16_t type)
{
	struct memif_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	send_raw(s, &m, sizeof(m), -1);
}

/*
 * Read one message from the client: map the regions it adds, note its
 * rings, close every descriptor. Returns its type, or -1 if none waits.
 */
static int recv_one(struct srv *s)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct memif_msg m;
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.buf,
	                    .msg_controllen = sizeof(ctl)};
	int fd = -1;
	ssize_t n;

	if (s->fd < 0)
		return -1;
	n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_type == SCM_RIGHTS)
			for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
				int f;

				memcpy(&f, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
				if (fd < 0)
					fd = f;
				else
					close(f);
			}
	if (n != (ssize_t)sizeof(m)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (m.type == MEMIF_MSG_ADD_REGION && fd >= 0 && m.add_region.index < MEMIF_MAX_REGIONS &&
	    s->reg[m.add_region.index].addr == NULL && m.add_region.size > 0 &&
	    m.add_region.size <= MAX_MAP) {
		void *a = mmap(NULL, m.add_region.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (a != MAP_FAILED) {
			s->reg[m.add_region.index].addr = a;
			s->reg[m.add_region.index].size = m.add_region.size;
		}
	}
	if (m.type == MEMIF_MSG_ADD_RING && m.add_ring.index < MAX_RINGS) {
		int d = (m.add_ring.flags & MEMIF_ADD_RING_FLAG_C2S) ? 0 : 1;

		s->ring[d][m.add_ring.index].set = true;
		s->ring[d][m.add_ring.index].region = m.add_ring.region;
		s->ring[d][m.add_ring.index].offset = m.add_ring.offset;
		s->ring[d][m.add_ring.index].log2 = m.add_ring.log2_ring_size;
	}
	if (fd >= 0)
		close(fd);
	return m.type;
}

/* A ring the client announced, inside the mapping of its region; NULL if not. */
static struct memif_ring *ring_of(struct srv *s, int dir, unsigned idx, uint16_t *size)
{
	unsigned i = idx % MAX_RINGS;
	uint16_t rg;

	if (!s->ring[dir][i].set)
		return NULL;
	rg = s->ring[dir][i].region;
	if (rg >= MEMIF_MAX_REGIONS || s->reg[rg].addr == NULL || s->ring[dir][i].log2 > 14 ||
	    s->ring[dir][i].offset + memif_ring_bytes(s->ring[dir][i].log2) > s->reg[rg].size)
		return NULL;
	*size = (uint16_t)(1u << s->ring[dir][i].log2);
	return (struct memif_ring *)(s->reg[rg].addr + s->ring[dir][i].offset);
}

/*
 * Where the server may write len bytes at (region, offset): anywhere in
 * region 0; in a pool region, only inside one buffer's data room (see top).
 */
static uint8_t *server_buf(struct srv *s, uint16_t region, uint32_t off, uint32_t len)
{
	if (region >= MEMIF_MAX_REGIONS || s->reg[region].addr == NULL ||
	    (uint64_t)off + len > s->reg[region].size)
		return NULL;
	if (region != 0) {
		const char *a = pool_base + off;
		uint32_t lo = 0, hi = pool->size;

		if (pool_base == NULL)
			return NULL;
		while (hi - lo > 1) { /* the last object at or below a */
			uint32_t mid = (lo + hi) / 2;

			if ((const char *)pool->obj_tab[mid] <= a)
				lo = mid;
			else
				hi = mid;
		}
		const struct tern_pkt *p = pool->obj_tab[lo];
		const char *room = (const char *)p->buf_addr + TERN_PKT_HEADROOM;

		if (a < room || a + len > (const char *)p->buf_addr + p->buf_len)
			return NULL;
	}
	return s->reg[region].addr + off;
}

/* A proper handshake, with limits and choices from the input. */
static void handshake(struct srv *s, struct in *in)
{
	uint8_t v = u8(in);
	struct memif_msg h;

	memset(&h, 0, sizeof(h));
	h.type = MEMIF_MSG_HELLO;
	h.hello.min_version = (v & 1) ? u16(in) : MEMIF_VERSION;
	h.hello.max_version = (v & 1) ? u16(in) : MEMIF_VERSION;
	h.hello.max_region = (v & 2) ? u16(in) : 255;
	h.hello.max_c2s_ring = (v & 4) ? u16(in) : 1;
	h.hello.max_s2c_ring = (v & 4) ? u16(in) : 1;
	h.hello.max_log2_ring_size = (v & 8) ? u8(in) : 14;
	send_raw(s, &h, sizeof(h), -1);
	for (int k = 0; k < 64; k++) {
		int t;

		service(s->port);
		t = recv_one(s);
		if (t < 0)
			break;
		if (t == MEMIF_MSG_INIT || t == MEMIF_MSG_ADD_REGION || t == MEMIF_MSG_ADD_RING) {
			if (!(v & 0x10) || (u8(in) & 7) != 0) /* now and then an ACK goes missing */
				send_type(s, MEMIF_MSG_ACK);
		} else if (t == MEMIF_MSG_CONNECT) {
			if (!(v & 0x20))
				send_type(s, MEMIF_MSG_CONNECTED);
			if (v & 0x40) /* twice */
				send_type(s, MEMIF_MSG_CONNECTED);
		}
	}
	service(s->port);
}

/* A server's RX on a C2S ring: read [tail, head), move tail (by the input, maybe too far). */
static void server_rx(struct srv *s, struct in *in)
{
	uint8_t v = u8(in);
	uint16_t size, head, k = 0;
	struct memif_ring *r = ring_of(s, 0, v & 3, &size);
	volatile uint8_t sink = 0;

	if (r == NULL)
		return;
	head = atomic_load_explicit(&r->head, memory_order_acquire);
	for (uint16_t t = s->rx_tail[v & 3]; t != head && k < size; t++, k++) {
		struct memif_desc d = r->desc[t & (size - 1)];
		const uint8_t *b = server_buf(s, d.region, d.offset, d.length);

		if (b != NULL && d.length > 0)
			sink ^= b[d.length - 1]; /* read as a server would copy */
	}
	(void)sink;
	s->rx_tail[v & 3] = (v & 4) ? (uint16_t)(s->rx_tail[v & 3] + u16(in)) : head;
	atomic_store_explicit(&r->tail, s->rx_tail[v & 3], memory_order_release);
}

/* A server's TX on an S2C ring: fill offered slots, with lengths and chains from the input. */
static void server_tx(struct srv *s, struct in *in)
{
	uint8_t v = u8(in), n = u8(in) % 40;
	uint16_t size, head;
	struct memif_ring *r = ring_of(s, 1, v & 3, &size);
	uint16_t t = s->tx_tail[v & 3];

	if (r == NULL)
		return;
	head = atomic_load_explicit(&r->head, memory_order_acquire);
	for (uint8_t k = 0; k < n && ((v & 4) || t != head); k++, t++) {
		volatile struct memif_desc *d = &r->desc[t & (size - 1)];
		uint32_t len = (u8(in) & 1) ? u16(in) : 60u + k;
		uint8_t *b;

		if (!(v & 8) && len > d->length)
			len = d->length;
		b = server_buf(s, d->region, d->offset, len);
		if (b != NULL)
			memset(b, 0x5a ^ k, len);
		d->length = len;
		d->flags = (u8(in) & 3) == 0 ? MEMIF_DESC_FLAG_NEXT : 0;
	}
	s->tx_tail[v & 3] = t;
	atomic_store_explicit(&r->tail, t, memory_order_release);
}

/* Packets the application keeps for a while (so that the pool can run dry). */
static struct tern_pkt *held[POOL];
static unsigned nb_held;

/* Bursts of up to 128: more than a ring (64 slots) holds. */
static void bursts(struct in *in, uint16_t port, bool rx)
{
	struct tern_pkt *pk[128];
	uint8_t how = u8(in);
	uint16_t q = how & 1, n = u8(in) % 129;

	if (rx) {
		uint16_t got = tern_port_rx_burst(port, q, pk, n);

		if ((how & 2) && nb_held + got <= POOL) {
			memcpy(held + nb_held, pk, got * sizeof(pk[0]));
			nb_held += got;
		} else {
			tern_pkt_free_bulk(pk, got);
		}
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		uint8_t kind = u8(in);
		uint16_t len = (uint16_t)(u8(in) * 7); /* up to 1785: fits a default buffer */

		pk[i] = tern_pkt_alloc((kind & 3) == 1 ? other : pool); /* not shared: copied */
		if (pk[i] == NULL) {
			n = i;
			break;
		}
		memset(tern_pkt_append(pk[i], len), 0xab, len);
		if ((kind & 3) == 2) { /* a chain of two */
			struct tern_pkt *seg = tern_pkt_alloc(pool);

			if (seg != NULL) {
				memset(tern_pkt_append(seg, 100), 0xcd, 100);
				if (tern_pkt_chain(pk[i], seg) != 0)
					tern_pkt_free(seg);
			}
		}
	}
	uint16_t sent = tern_port_tx_burst(port, q, pk, n);

	tern_pkt_free_bulk(pk + sent, n - sent);
}

/*
 * Every buffer of the pool back, each once: a count alone would miss a
 * buffer handed out twice (put back twice) while another went missing.
 */
static void check_pool(struct tern_mempool *mp)
{
	static void *objs[POOL];
	static uint8_t seen[POOL];
	unsigned n = tern_mempool_size(mp);

	if (tern_mempool_avail_count(mp) != n || tern_mempool_get_bulk(mp, objs, n) != 0) {
		fprintf(stderr, "%s: %s: %u of %u buffers back after the server left\n", HARNESS,
		        tern_mempool_name(mp), tern_mempool_avail_count(mp), n);
		abort();
	}
	memset(seen, 0, n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t idx = ((const struct tern_mempool_objhdr *)objs[i] - 1)->idx;

		if (idx >= n || seen[idx]++) {
			fprintf(stderr, "%s: %s: buffer %u is in the pool twice\n", HARNESS,
			        tern_mempool_name(mp), idx);
			abort();
		}
	}
	tern_mempool_put_bulk(mp, objs, n);
}

/* Open sockets, memfds and eventfds of this process (what the memif client may leak). */
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
	static int base_fds = -1;
	struct srv s;
	int open_fds;

	if (pool == NULL)
		setup();
	memset(&s, 0, sizeof(s));
	s.port = (uint16_t)(u8(&in) % nb_ports);
	if (tern_port_start(s.port) != 0)
		fuzz_die(HARNESS, "start");
	s.fd = accept4(listen_fd[s.port], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	for (int ops = 0; in.n > 0 && ops < 64; ops++) {
		uint8_t op = u8(&in);

		switch (op % 12) {
		case 0: { /* a raw message: any type, any length, maybe a descriptor */
			uint8_t m[200];
			size_t len = (op & 0x10) ? 1 + u8(&in) % sizeof(m) : MEMIF_MSG_SZ;
			int f = -1;

			memset(m, 0, sizeof(m));
			for (size_t k = 0; k < len && in.n > 0; k++)
				m[k] = u8(&in);
			m[0] %= 10;
			m[1] = 0;
			if (op & 0x20)
				f = eventfd(0, EFD_CLOEXEC);
			else if (op & 0x40)
				f = memfd_create("fuzz-memifs", MFD_CLOEXEC);
			send_raw(&s, m, len, f);
			if (f >= 0)
				close(f);
			service(s.port);
			while (recv_one(&s) >= 0)
				;
			break;
		}
		case 1:
			handshake(&s, &in);
			break;
		case 2: { /* bytes anywhere in region 0: rings, descriptors, copy buffers */
			uint32_t off = u32(&in);
			uint8_t len = u8(&in) % 16;

			if (s.reg[0].addr == NULL)
				break;
			off %= (uint32_t)s.reg[0].size;
			for (uint8_t k = 0; k < len && off + k < s.reg[0].size; k++)
				s.reg[0].addr[off + k] = u8(&in);
			break;
		}
		case 3: { /* a ring index moved: head or tail, any value */
			uint16_t rs, v;
			struct memif_ring *r = ring_of(&s, (op >> 4) & 1, op >> 6, &rs);

			v = u16(&in);
			if (r != NULL) {
				if (op & 0x20)
					atomic_store_explicit(&r->tail, v, memory_order_release);
				else
					atomic_store_explicit(&r->head, v, memory_order_release);
			}
			break;
		}
		case 4: { /* a descriptor: plausible or not */
			uint16_t rs;
			struct memif_ring *r = ring_of(&s, (op >> 4) & 1, op >> 6, &rs);
			uint16_t slot = u16(&in);
			struct memif_desc d = {.flags = (uint16_t)(u8(&in) & 1),
			                       .region = (uint16_t)(u8(&in) % 4),
			                       .length = u32(&in) % (1u << 22),
			                       .offset = u32(&in)};

			if (r != NULL)
				r->desc[slot & (rs - 1)] = d;
			break;
		}
		case 5:
			server_rx(&s, &in);
			break;
		case 6:
			server_tx(&s, &in);
			break;
		case 7:
		case 8:
			bursts(&in, s.port, op % 12 == 7);
			break;
		case 9: /* the client's turn: messages, flagged queues */
			service(s.port);
			while (recv_one(&s) >= 0)
				;
			break;
		case 10: { /* frame bytes into a pool buffer (zero-copy region) */
			uint32_t off = u32(&in);
			uint16_t len = u16(&in) % 2048;
			uint8_t *b;

			if (s.reg[1].addr == NULL)
				break;
			b = server_buf(&s, 1, off % (uint32_t)s.reg[1].size, len);
			if (b != NULL)
				memset(b, u8(&in), len);
			break;
		}
		default: /* the server hangs up */
			if (s.fd >= 0)
				close(s.fd);
			s.fd = -1;
			service(s.port);
			break;
		}
	}
	tern_pkt_free_bulk(held, nb_held);
	nb_held = 0;
	if (s.fd >= 0)
		close(s.fd);
	service(s.port);        /* the client sees the socket closed */
	tern_port_stop(s.port); /* and gives back what it offered or lent */
	for (int k = 0; k < MEMIF_MAX_REGIONS; k++)
		if (s.reg[k].addr != NULL)
			munmap(s.reg[k].addr, s.reg[k].size);
	/* A connection the client made and we never took: drop it, or the next input gets it. */
	for (int fd; (fd = accept4(listen_fd[s.port], NULL, NULL, SOCK_CLOEXEC)) >= 0;)
		close(fd);
	check_pool(pool);
	check_pool(other);
	/* Every descriptor the client made or received was closed. */
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
