/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * l2fwd.h - tern-l2fwd: forward every frame received on a port out of its
 * paired port, run-to-completion or as an RX -> ring -> TX pipeline.
 */
#ifndef L2FWD_H
#define L2FWD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <tern_eal.h>
#include <tern_port.h>

#define L2FWD_PROG            "tern-l2fwd"
#define L2FWD_MAX_BURST       512
#define L2FWD_MAX_Q_PER_LCORE 64
#define L2FWD_MAX_PERIOD_S    86400u
#define L2FWD_NO_PAIR         UINT16_MAX
#define L2FWD_MAX_TX_TASKS    256  /* pipeline: rings one TX lcore drains */
#define L2FWD_RING_SIZE       1024 /* pipeline: default slots per ring (--ring-size) */
#define L2FWD_RING_SIZE_MAX   65536
#define L2FWD_NB_DESC         1024 /* RX and TX descriptors per queue, within the driver's limits */
#define L2FWD_POOL_CACHE      256

/* Exit statuses a script can rely on. */
#define L2FWD_EXIT_USAGE   2 /* bad option or value: nothing ran */
#define L2FWD_EXIT_BUFFERS 3 /* a packet buffer did not come back to its pool */

enum l2fwd_mode {
	L2FWD_MODE_RTC,
	L2FWD_MODE_PIPELINE,
};

/* What the device under test does with a frame (doc/l2fwd.md, doc/benchmarking.md). */
enum l2fwd_profile {
	L2FWD_PROFILE_L2,        /* out of the paired port, untouched (or --mac-updating) */
	L2FWD_PROFILE_REFLECTOR, /* back out of the port it came in by, MACs swapped */
	L2FWD_PROFILE_L3,        /* an IPv4 router: ARP, ping, LPM routes (l3.c) */
};

enum l2fwd_stats_format {
	L2FWD_STATS_PLAIN,   /* tern-l2fwd's own lines */
	L2FWD_STATS_MOONGEN, /* MoonGen's "[Device: id=N] RX: ..." lines */
	L2FWD_STATS_CSV,     /* MoonGen's CSV rows */
	L2FWD_STATS_JSON,    /* one JSON object per port and direction per line */
};

#define L2FWD_MAX_ROUTES 64

/* --addr PORT:A.B.C.D/LEN and --route A.B.C.D/LEN,NEXTHOP (host byte order). */
struct l2fwd_l3_opt {
	bool addr_set[TERN_MAX_PORTS];
	uint32_t addr[TERN_MAX_PORTS];
	uint8_t addr_len[TERN_MAX_PORTS];
	unsigned nb_routes;
	struct {
		uint32_t prefix, nexthop;
		uint8_t len;
	} routes[L2FWD_MAX_ROUTES];
};

/* What the command line after "--" asked for, before any port is looked at. */
struct l2fwd_options {
	uint64_t portmask; /* 0: every port */
	unsigned q_per_lcore;
	unsigned nb_pairs; /* from --portmap; 0: pair enabled ports in order */
	uint16_t pairs[TERN_MAX_PORTS][2];
	unsigned period_s; /* -T; 0: no periodic stats */
	bool mac_updating;
	bool promisc;
	unsigned burst;
	enum l2fwd_mode mode;
	unsigned ring_size;  /* pipeline: slots per ring, a power of two */
	unsigned duration_s; /* 0: until SIGINT/SIGTERM */
	const char *json_path;
	enum l2fwd_profile profile;
	enum l2fwd_stats_format stats_format;
	struct l2fwd_l3_opt l3;
	bool help;
};

/* Longest error line options.c builds. */
#define L2FWD_ERR_LEN 256

/*
 * Parse the application's arguments (those after "--"; argv[0] is not one of
 * them). Returns 0, or -EINVAL with one line in err saying what is wrong and
 * how to fix it (without the program name and without a newline).
 */
int l2fwd_parse_options(struct l2fwd_options *opt, int argc, char *const argv[], char *err,
                        size_t errlen);
void l2fwd_usage(FILE *f);

/*
 * Check the options against the ports tern found and compute pair[port]
 * (L2FWD_NO_PAIR for a port not forwarded). Returns 0 or -EINVAL with err set.
 */
int l2fwd_resolve_ports(const struct l2fwd_options *opt, uint16_t nb_ports,
                        uint16_t pair[TERN_MAX_PORTS], char *err, size_t errlen);

/*
 * Counters of one lcore, per port. Only the owning lcore writes them; the
 * main lcore reads them for the stats, so they are atomics accessed relaxed:
 * a stats snapshot needs no ordering with the packets themselves, and the
 * final totals are read after tern_lcore_wait(), which orders everything.
 */
struct l2fwd_port_ctr {
	_Atomic uint64_t rx;      /* frames received on this port */
	_Atomic uint64_t tx;      /* frames the driver took for sending on this port */
	_Atomic uint64_t dropped; /* frames meant for this port that were freed instead */
	/* L3 profile, counted on the port a frame came in by (l3.c) */
	_Atomic uint64_t local;      /* ARP and ping for us, answered (or just learnt from) */
	_Atomic uint64_t unroutable; /* no route, not IPv4, or for us but not a ping */
	_Atomic uint64_t no_arp;     /* next hop not resolved yet: an ARP request went out */
	_Atomic uint64_t ttl;        /* TTL ran out */
	_Atomic uint64_t bad;        /* malformed: short, bad version, length or checksum */
};

/* Single writer: a relaxed load and store, no locked read-modify-write. */
static inline void l2fwd_ctr_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

struct tern_ring;

/* An RX queue an lcore polls, and where its frames go. */
struct l2fwd_rx_task {
	uint16_t port, queue;
	uint16_t dst_port;      /* the paired port */
	uint16_t dst_txq;       /* rtc: this lcore's TX queue on dst_port */
	struct tern_ring *ring; /* pipeline: to the TX lcore that owns dst_port */
	unsigned room;          /* pipeline: free slots in ring, at least (see fwd_pipeline.c) */
};

/* Pipeline: a ring a TX lcore drains into one port. */
struct l2fwd_tx_task {
	struct tern_ring *ring;
	uint16_t port, queue;
};

enum l2fwd_role {
	L2FWD_ROLE_IDLE,
	L2FWD_ROLE_RTC,
	L2FWD_ROLE_RX,
	L2FWD_ROLE_TX,
};

struct l2fwd_app;

struct l2fwd_lcore {
	struct l2fwd_port_ctr ctr[TERN_MAX_PORTS];
	uint16_t txq[TERN_MAX_PORTS]; /* L3: this lcore's TX queue on every port */
	struct l2fwd_app *app;
	unsigned lcore_id;
	enum l2fwd_role role;
	uint64_t cpu_ns; /* CPU time the lcore's loop used; read after tern_lcore_wait() */
	unsigned nb_rx;
	struct l2fwd_rx_task rx[L2FWD_MAX_Q_PER_LCORE];
	unsigned nb_tx;
	struct l2fwd_tx_task tx[L2FWD_MAX_TX_TASKS];
} TERN_CACHE_ALIGNED;

/* stats.c: sums over lcores and the printed rates. */
struct l2fwd_port_totals {
	uint64_t rx, tx, dropped;
	uint64_t local, unroutable, no_arp, ttl, bad;
	uint64_t imissed, rx_nombuf, oerrors;
	uint64_t ipackets, ibytes, opackets, obytes; /* the port's own counters */
};

struct tern_mempool;

struct l2fwd_ring {
	struct tern_ring *ring;
	uint16_t port; /* where its frames go */
};

/* The whole application; the forwarding loops only read it (but for lcores[].ctr). */
struct l2fwd_app {
	struct l2fwd_options opt;
	uint16_t nb_ports;
	uint16_t pair[TERN_MAX_PORTS];
	struct tern_ether_addr mac[TERN_MAX_PORTS];
	uint16_t nb_rxq[TERN_MAX_PORTS], nb_txq[TERN_MAX_PORTS];
	unsigned nb_lcores;
	struct l2fwd_lcore *lcores; /* nb_lcores of them, the main lcore first */

	/* The main lcore calls this every L2FWD_CLOCK_EVERY loops; true: stop. */
	bool (*tick)(struct l2fwd_app *app);
	uint64_t next_tick_tsc;
	uint64_t tsc_hz, start_tsc, end_tsc, next_stats_tsc, prev_tsc;

	/* Port counters at start (they are not reset: other tools may read them). */
	struct tern_port_stats base[TERN_MAX_PORTS];
	struct l2fwd_port_totals prev[TERN_MAX_PORTS];

	unsigned nb_rings;
	struct l2fwd_ring *rings; /* pipeline */
	unsigned nb_pools;
	struct tern_mempool *pools[TERN_MAX_NUMA_NODES];
	int pool_socket[TERN_MAX_NUMA_NODES];
	struct l2fwd_l3 *l3; /* L3 profile: addresses, ARP tables, routes */
	bool stats_header_done;
};

/* The main lcore looks at the clock once per this many polling loops (a power of two). */
#define L2FWD_CLOCK_EVERY 64

/* Set by the signal handler or when --duration is over; every lcore polls it. */
extern atomic_bool l2fwd_quit;

static inline bool l2fwd_should_quit(void)
{
	/* Relaxed: the flag carries no data; tern_lcore_wait() orders what follows. */
	return atomic_load_explicit(&l2fwd_quit, memory_order_relaxed);
}

/* setup.c: lcores' work, pools, rings and ports; and giving them back. */
int l2fwd_plan(struct l2fwd_app *app, char *err, size_t errlen);
int l2fwd_setup(struct l2fwd_app *app, char *err, size_t errlen);
/* Free what is still in the rings, counting it as dropped. */
void l2fwd_drain_rings(struct l2fwd_app *app);
void l2fwd_stop_ports(struct l2fwd_app *app);
void l2fwd_buffers(const struct l2fwd_app *app, unsigned *avail, unsigned *total);
void l2fwd_release(struct l2fwd_app *app);

/* fwd_rtc.c / fwd_pipeline.c */
int l2fwd_rtc_loop(struct l2fwd_app *app, struct l2fwd_lcore *lc, bool is_main);
int l2fwd_rx_loop(struct l2fwd_app *app, struct l2fwd_lcore *lc, bool is_main);
int l2fwd_tx_loop(struct l2fwd_app *app, struct l2fwd_lcore *lc, bool is_main);
int l2fwd_idle_loop(struct l2fwd_app *app, bool is_main);

void l2fwd_totals(const struct l2fwd_app *app, struct l2fwd_port_totals tot[TERN_MAX_PORTS]);
void l2fwd_stats_begin(struct l2fwd_app *app);
void l2fwd_stats_print_period(struct l2fwd_app *app);
void l2fwd_stats_print_totals(struct l2fwd_app *app, double duration_s);

/* Wire rate: a byte count without CRC, plus CRC, preamble+SFD and the inter-frame gap. */
#define L2FWD_WIRE_OVERHEAD (TERN_ETHER_CRC_LEN + 8 + 12)

/* l3.c: the L3 profile */
struct l2fwd_l3;
struct tern_pkt;
int l2fwd_l3_setup(struct l2fwd_app *app, char *err, size_t errlen);
void l2fwd_l3_free(struct l2fwd_app *app);
/* Route a burst received on rx_port; sends what goes out, frees the rest. */
void l2fwd_l3_burst(struct l2fwd_app *app, struct l2fwd_lcore *lc, uint16_t rx_port,
                    struct tern_pkt **pkts, uint16_t n);
/* Parse "A.B.C.D/LEN" (host order); 0 or -EINVAL. */
int l2fwd_parse_prefix(const char *s, uint32_t *addr, uint8_t *len);

/* json.c */
struct l2fwd_result {
	double duration_s;
	double cpu_s; /* CPU time of the lcores' loops, summed */
	unsigned buffers_returned, buffers_total;
};
int l2fwd_json_write(FILE *f, const struct l2fwd_app *app, const struct l2fwd_result *res);

#endif /* L2FWD_H */
