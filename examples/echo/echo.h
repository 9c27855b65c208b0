/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * echo.h - tern-echo: MirageOS's echo server on a tern port. ARP, ICMP echo
 * and UDP echo are answered in place on the poll lcore; TCP echo (RFC 862)
 * is served by lwIP on its own tcpip thread, fed and drained through two
 * tern rings.
 *
 *   poll lcore:  rx_burst -> classify -> rewrite in place -> tx_burst
 *                              | TCP, ARP replies         ^
 *                              v                          | lwIP's frames
 *                        ring "to stack" (SP/SC)    ring "from stack" (SP/SC)
 *                              v                          ^
 *   tcpip thread:        ethernet_input -> TCP echo -> linkoutput
 */
#ifndef ECHO_H
#define ECHO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <tern_eal.h>
#include <tern_port.h>

#include "classify.h"

#define ECHO_PROG "tern-echo"

#define ECHO_BURST        32
#define ECHO_RING_SIZE    1024 /* slots in each ring between the poll lcore and lwIP */
#define ECHO_NB_DESC      512  /* RX and TX descriptors, within the driver's limits */
#define ECHO_POOL_CACHE   128
#define ECHO_POOL_SIZE    8191 /* descriptors + both rings + cache + bursts, with room */
#define ECHO_MAX_PERIOD_S 86400u

/* Exit statuses, as tern-l2fwd's. */
#define ECHO_EXIT_USAGE   2 /* bad option or value: nothing ran */
#define ECHO_EXIT_BUFFERS 3 /* a packet buffer did not come back to its pool */

#define ECHO_ERR_LEN 256

struct echo_options {
	uint8_t ip[4]; /* --ip A.B.C.D/NN */
	unsigned prefix;
	bool have_ip;
	uint16_t port;       /* --port: the tern port id */
	unsigned duration_s; /* 0: until SIGINT/SIGTERM */
	unsigned period_s;   /* -T: stats period, 0: none */
	const char *json_path;
	bool help;
	/* Resource bounds (doc/echo.md "Resource bounds"); 0 means no limit for the rates. */
	unsigned tcp_max_conns;      /* --tcp-max-conns: open TCP connections */
	unsigned tcp_max_half_open;  /* --tcp-max-half-open: connections still in SYN_RCVD */
	unsigned tcp_max_per_source; /* --tcp-max-per-source: connections from one address */
	unsigned tcp_conn_bytes;     /* --tcp-conn-bytes: queued per connection, each way */
	unsigned stack_mem_mb;       /* --stack-mem-mb: ceiling on lwIP's heap */
	unsigned arp_rate;           /* --arp-rate: lwIP's ARP requests per second */
	unsigned udp_rate;           /* --udp-rate: UDP echo replies per second */
};

#define ECHO_DEF_TCP_MAX_CONNS      256
#define ECHO_DEF_TCP_MAX_HALF_OPEN  64
#define ECHO_DEF_TCP_MAX_PER_SOURCE 64
#define ECHO_DEF_TCP_CONN_BYTES     32768
#define ECHO_DEF_STACK_MEM_MB       64
#define ECHO_DEF_ARP_RATE           20
#define ECHO_DEF_UDP_RATE           20000
/* What one connection may cost lwIP's heap at most: its bytes each way, pbuf and segment
 * headers (a full-size segment's pbuf holds 1460 bytes in a ~1600-byte block), the pcb. */
#define ECHO_CONN_COST(bytes) (2 * (size_t)(bytes)*5 / 4 + 4096)
#define ECHO_HALF_OPEN_COST   4096 /* a pcb and the SYN-ACK queued behind ARP */

/*
 * A token bucket on the TSC: `burst` tokens, one more every `tsc_per_token`
 * cycles; rate 0 takes every request. One thread uses each bucket.
 */
struct echo_bucket {
	uint64_t tokens, burst, tsc_per_token, last;
};

static inline void echo_bucket_init(struct echo_bucket *b, unsigned rate, uint64_t tsc_hz,
                                    uint64_t now)
{
	b->tsc_per_token = rate ? (tsc_hz / rate ? tsc_hz / rate : 1) : 0;
	b->burst = rate / 10 > 32 ? rate / 10 : 32;
	b->tokens = b->burst;
	b->last = now;
}

static inline bool echo_bucket_take(struct echo_bucket *b, uint64_t now)
{
	if (b->tsc_per_token == 0)
		return true;
	if (b->tokens == 0 && now - b->last >= b->tsc_per_token) {
		uint64_t n = (now - b->last) / b->tsc_per_token;

		b->tokens = n < b->burst ? n : b->burst;
		b->last = n < b->burst ? b->last + n * b->tsc_per_token : now;
	}
	if (b->tokens == 0)
		return false;
	b->tokens--;
	return true;
}

int echo_parse_options(struct echo_options *opt, int argc, char *const argv[], char *err,
                       size_t errlen);
void echo_usage(FILE *f);

/*
 * Counters. Each has a single writer (the poll lcore, or the tcpip thread
 * for the stack_* ones), so updates are a relaxed load and store; readers
 * (stats, exit) need no ordering with the packets, and the final read comes
 * after the writers stopped (the poll loop returned; the stack was shut
 * under lwIP's core lock, which orders its writes before ours).
 */
struct echo_counters {
	_Atomic uint64_t in[ECHO_KIND_COUNT];  /* frames received, per kind */
	_Atomic uint64_t out[ECHO_KIND_COUNT]; /* frames the driver took, per kind */
	_Atomic uint64_t reason[ECHO_R_COUNT]; /* drops and ignores, per reason */
	_Atomic uint64_t rx_chained;           /* multi-segment frames (dropped) */
	_Atomic uint64_t tx_full;              /* replies TX did not take (freed) */
	_Atomic uint64_t to_stack_full;        /* frames for lwIP the ring had no room for */
	/* Written by the tcpip thread. */
	_Atomic uint64_t stack_nobuf;     /* lwIP frames lost: the pool was empty */
	_Atomic uint64_t stack_ring_full; /* lwIP frames lost: the ring was full */
	_Atomic uint64_t stack_too_big;   /* lwIP frames lost: bigger than a buffer */
	_Atomic uint64_t tcp_conns;       /* TCP connections accepted */
	_Atomic uint64_t tcp_bytes;       /* bytes echoed over TCP (queued for sending) */
	_Atomic uint64_t tcp_refused;     /* SYNs dropped or accepts reset: --tcp-max-conns */
	_Atomic uint64_t
	    tcp_syn_dropped; /* half-open ones dropped (the oldest): --tcp-max-half-open */
	_Atomic uint64_t tcp_source_refused; /* SYNs dropped: --tcp-max-per-source */
	_Atomic uint64_t tcp_mem_refused;    /* SYNs dropped: lwIP's heap at --stack-mem-mb */
	_Atomic uint64_t tcp_mem_aborted;    /* connections reset to get back under it */
	_Atomic uint64_t arp_limited;        /* lwIP's ARP requests dropped: --arp-rate */
	_Atomic uint64_t stack_mem_peak;     /* bytes: the most lwIP's heap held */
	/* Written by the poll lcore. */
	_Atomic uint64_t udp_limited;  /* UDP echoes not sent: --udp-rate */
	_Atomic uint64_t arp_probes;   /* RFC 5227 probes for our address, answered */
	_Atomic uint64_t arp_defended; /* announcements sent to defend our address */
};

static inline void echo_ctr_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

static inline uint64_t echo_ctr_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

struct tern_mempool;
struct tern_ring;
struct echo_stack;

struct echo_app {
	struct echo_options opt;
	struct echo_host host;
	uint16_t port;
	struct tern_mempool *pool;
	struct tern_ring *to_stack;   /* poll lcore -> tcpip thread */
	struct tern_ring *from_stack; /* tcpip thread -> poll lcore */
	struct echo_stack *stack;
	struct echo_counters ctr;
	uint64_t tsc_hz, start_tsc, end_tsc, next_stats_tsc;
	struct echo_bucket udp_bucket; /* poll lcore */
	uint64_t last_defend_tsc;      /* poll lcore: the last announcement, 0: none */
};

/* Set by the signal handler or when --duration is over. */
extern atomic_bool echo_quit;

/* poll.c: the poll loop on the main lcore; returns when echo_quit is set. */
void echo_poll_loop(struct echo_app *app);
/* Free what is still in a ring (at exit). Returns how many. */
unsigned echo_ring_drain(struct tern_ring *r);

/* stack.c: lwIP on its tcpip thread with a netif on our rings. */
int echo_stack_start(struct echo_app *app, char *err, size_t errlen);
/* Wake the tcpip thread: frames are waiting in app->to_stack. Poll lcore only. */
void echo_stack_kick(struct echo_stack *st);
/* Stop lwIP touching tern (no more frames in or out); the thread itself stays. */
void echo_stack_stop(struct echo_stack *st);

/* tcp_echo.c: the RFC 862 service on lwIP's raw API (tcpip thread, core locked). */
int echo_tcp_listen(struct echo_counters *ctr, const struct echo_options *opt);
void echo_tcp_close_all(void);
/*
 * A SYN (no ACK) for port 7 from src_ip is about to go to lwIP: whether to
 * let it (counting what it refuses). Called once per SYN, core locked.
 */
bool echo_tcp_admit_syn(const uint8_t src_ip[4]);
/* Now and then (drain): measure lwIP's heap and get back under the ceiling. */
void echo_tcp_check_memory(void);

/* stats.c */
void echo_stats_print_period(struct echo_app *app);
void echo_stats_print_totals(struct echo_app *app, double duration_s);
int echo_json_write(FILE *f, struct echo_app *app, double duration_s, unsigned buffers_returned,
                    unsigned buffers_total);

#endif /* ECHO_H */
