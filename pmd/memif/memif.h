/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif.h - the memif driver's own structures, shared by its four files:
 * memif.c (devargs, port ops), memif_ctl.c (control sockets, regions,
 * connect/disconnect), memif_msg.c (control messages), memif_rxtx.c (bursts).
 *
 * Threads. The fast path (bursts) never takes a lock and never makes a
 * system call except an eventfd kick for a peer that asked for interrupts.
 * Everything else - sockets, messages, mapping - runs under one process-wide
 * mutex, either in the driver's control thread (one per process, started
 * with the first memif port) or from link_get() (which also services the
 * sockets, so a process without the thread still makes progress).
 *
 * Zero-copy (a client with zero-copy=yes): region 0 holds the rings (and
 * one buffer per C2S slot, for frames that cannot be lent); regions 1.. are
 * the packet pools of the RX queues, shared with the server by file
 * descriptor (tern_dma_fd). Descriptors point into the pools: RX hands the
 * filled tern_pkt up and offers a fresh one, TX lends the packet's buffer
 * and frees it once the server moved its tail past the slot. q->bufs[slot]
 * remembers which packet a slot holds.
 *
 * A queue is connected while q->ring is non-NULL. The control path publishes
 * a ring after filling the rest of the queue (release) and withdraws it
 * with memif_queue_quiesce(): store NULL, then wait until the queue's poller
 * is not inside a burst (q->busy), before unmapping anything.
 */
#ifndef MEMIF_H
#define MEMIF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>
#include <unistd.h>

#include "memif_proto.h"
#include "tern_driver.h"
#include "tern_mempool.h"

#define MEMIF_LOG           "memif"
#define MEMIF_MAX_QUEUES    16
#define MEMIF_MAX_REGIONS   16 /* regions a peer may add */
#define MEMIF_MAX_LOG2      14 /* 16384 slots, as DPDK's and VPP's maximum */
#define MEMIF_DEF_LOG2      10
#define MEMIF_DEF_BSIZE     2048
#define MEMIF_MIN_BSIZE     128
#define MEMIF_MAX_BSIZE     65535
#define MEMIF_MAX_REGION_SZ (1ull << 32) /* a descriptor offset is 32 bits */
#define MEMIF_MAX_PENDING   8            /* server: accepted sockets not yet matched to a port */
#define MEMIF_HANDSHAKE_NS  (5ull * 1000000000ull)
#define MEMIF_RETRY_NS      (100ull * 1000000ull)
#define MEMIF_SPEED_MBPS    100000

enum memif_role { MEMIF_ROLE_SERVER, MEMIF_ROLE_CLIENT };

struct memif_region {
	void *addr;
	uint64_t size;
	int fd;
	bool borrowed; /* zero-copy: tern DMA memory (a pool), not ours to unmap */
};

/* The regions of one connection: read-only for the fast path while connected. */
struct memif_regions {
	uint16_t n;
	struct memif_region r[MEMIF_MAX_REGIONS];
};

struct memif_port;

/* One RX or TX queue, on its own cache lines: only its poller writes the counters. */
struct memif_queue {
	_Atomic(struct memif_ring *) ring; /* NULL: not connected (bursts return 0) */
	_Atomic uint32_t busy;             /* 1 while the poller is inside a burst */
	_Atomic uint32_t bad;              /* the peer broke the ring protocol: disconnect */
	uint16_t pos;                      /* our index on the ring: see memif_rxtx.c */
	uint16_t size;                     /* slots */
	uint16_t mask;
	bool client; /* role of this side */
	bool rx;
	uint16_t qid;
	uint16_t port_id;
	uint32_t bsize; /* client: bytes of each buffer it owns */
	uint64_t buf0;  /* client: offset in region 0 of this ring's first buffer */
	/* Zero-copy client: the packet in each slot (RX: offered, TX: lent), or NULL. */
	struct tern_pkt **bufs;
	uint16_t done;      /* zero-copy RX: head we published; TX: oldest slot still lent */
	uint16_t zc_region; /* zero-copy RX: the region of mp's memory */
	const struct memif_regions *regs;
	int kick_fd;             /* eventfd to kick when the receiver did not mask interrupts */
	struct tern_mempool *mp; /* RX */
	uint32_t room;           /* RX: data room of mp's buffers */
	/* Summed by the port layer (tern_driver.h). errors: RX bad descriptors or
	 * frames too large for the pool; TX frames refused, the peer's ring full. */
	struct tern_qstats stats;
} TERN_CACHE_ALIGNED;

/*
 * A control connection. Messages go out one per message received (the
 * peer's ACK paces the client's INIT, ADD_REGION, ADD_RING, CONNECT), as
 * DPDK and VPP do: the kernel queues few unread messages on a connected
 * SOCK_SEQPACKET socket, so a burst of them would fail with EAGAIN.
 */
#define MEMIF_OUTQ (3 + MEMIF_MAX_REGIONS + 2 * MEMIF_MAX_QUEUES)
struct memif_cc {
	int fd;
	uint8_t out_head, out_n;
	struct memif_msg out[MEMIF_OUTQ];
	int out_fd[MEMIF_OUTQ]; /* descriptor to pass along (not owned), or -1 */
	struct memif_sock *sock;
	struct memif_port *port; /* NULL until a server matched INIT to a port */
	uint64_t deadline_ns;    /* handshake must be done by then */
	struct memif_cc *next;
};

/* A socket path with the ports on it; one per (path, abstract, role). */
struct memif_sock {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool abstract;
	enum memif_role role;
	int listen_fd; /* server */
	struct memif_port *ports;
	struct memif_cc *ccs;
	bool said_id; /* logged a request for an id nobody serves: bad_id */
	uint32_t bad_id;
	struct memif_sock *next;
};

/* What the server learnt from ADD_RING, per direction and index. */
struct memif_ring_info {
	bool set;
	uint16_t region;
	uint32_t offset;
	uint8_t log2;
	int fd;
};

enum memif_state { MEMIF_DOWN, MEMIF_CONNECTING, MEMIF_UP };

struct memif_port {
	struct tern_port_dev dev;
	/* configuration (devargs) */
	enum memif_role role;
	uint32_t id;
	uint8_t log2;
	uint32_t bsize;
	uint16_t max_queues;
	bool zero_copy;
	char secret[MEMIF_SECRET_SZ + 1];
	/* control state, under the mutex */
	struct memif_sock *sock;
	struct memif_port *next_on_sock;
	bool started;
	_Atomic int state; /* enum memif_state: link_get reads it */
	struct memif_cc *cc;
	uint64_t retry_ns; /* client: next connect attempt */
	bool said_refused; /* client: logged once that the server is not there */
	bool said_secret;  /* server: logged a refused client once (until one connects) */
	struct memif_regions regs;
	uint16_t n_c2s, n_s2c; /* rings of this connection */
	uint8_t run_log2;
	struct memif_ring_info c2s[MEMIF_MAX_QUEUES], s2c[MEMIF_MAX_QUEUES];
	int efd[2][MEMIF_MAX_QUEUES]; /* client: the eventfds it sent, [c2s?0:1][i] */
	char remote[MEMIF_NAME_SZ + 1];
};

static inline struct memif_port *memif_port(struct tern_port_dev *dev)
{
	return tern_container_of(dev, struct memif_port, dev);
}

static inline void memif_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* memif_ctl.c */
extern pthread_mutex_t tern_memif_lock;
int tern_memif_sock_attach(struct memif_port *mp, const char *path, bool abstract);
void tern_memif_sock_detach(struct memif_port *mp);
int tern_memif_start(struct memif_port *mp);
void tern_memif_stop(struct memif_port *mp);
void tern_memif_disconnect(struct memif_port *mp, const char *reason, bool tell_peer);
/* One pass over every socket: accept, read messages, retries, timeouts (lock held). */
void tern_memif_service(int timeout_ms);
/* Run the control thread (default) or not (tests, fuzzing: link_get services). */
extern bool tern_memif_no_thread;
/* For memif_msg.c: connections, regions and rings the messages set up (lock held). */
TERN_INTERNAL const char *tern_memif_sock_name(const struct memif_sock *s, char *buf, size_t len);
TERN_INTERNAL struct memif_port *tern_memif_find_port(struct memif_sock *s, uint32_t id);
TERN_INTERNAL void tern_memif_cc_close(struct memif_cc *cc);
/* A protocol failure on a connection: tell the peer, log one line, drop it. */
TERN_INTERNAL void tern_memif_cc_fail(struct memif_cc *cc, const char *reason);
/* Server, on CONNECT: map, check every ring, publish the queues. NULL or why not. */
TERN_INTERNAL const char *tern_memif_server_connect(struct memif_port *mp);
/* Client, on HELLO: the regions (rings, buffers, zero-copy pools), one eventfd per ring. */
TERN_INTERNAL const char *tern_memif_client_region(struct memif_port *mp, uint16_t max_region);
/* Client, on CONNECTED: offer the S2C buffers, publish the queues. NULL or why not. */
TERN_INTERNAL const char *tern_memif_client_connected(struct memif_port *mp);
TERN_INTERNAL void tern_memif_log_up(struct memif_port *mp);

/* memif_msg.c */
TERN_INTERNAL void tern_memif_send_disconnect(int fd, const char *reason);
TERN_INTERNAL int tern_memif_send_hello(int fd, uint16_t maxq, uint8_t maxl);
/*
 * Read one message and act on it. Returns 1 if one was handled, 0 if none
 * is waiting, -1 if the connection is gone (cc freed).
 */
TERN_INTERNAL int tern_memif_cc_read(struct memif_cc *cc);

/* memif_rxtx.c */
uint16_t tern_memif_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);
uint16_t tern_memif_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);
/* Zero-copy client bursts (memif_rxtx.c), and the control path's part in them. */
TERN_INTERNAL uint16_t tern_memif_rx_burst_zc(void *queue, struct tern_pkt **pkts, uint16_t n);
TERN_INTERNAL uint16_t tern_memif_tx_burst_zc(void *queue, struct tern_pkt **pkts, uint16_t n);
/* Offer fresh pool buffers on every free slot of a zero-copy RX ring (not yet published). */
TERN_INTERNAL void tern_memif_zc_fill(struct memif_queue *q, struct memif_ring *r);
/* Give back every packet a withdrawn zero-copy queue still holds, free q->bufs. */
TERN_INTERNAL void tern_memif_zc_drain(struct memif_queue *q);

#endif /* MEMIF_H */
