/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktgen.h - tern-pktgen: MoonGen's load-and-latency job on any tern port.
 *
 * One lcore sends paced UDP frames out of every sending port and polls every
 * port for them coming back. Each frame carries the sending port, a flow id,
 * a per-flow sequence number and the TSC when it was built (struct
 * pg_payload), so the receiving side counts loss, duplicates and reordering
 * per flow and measures latency without any state shared with the sender but
 * the clock. doc/benchmarking.md has the options and a worked example.
 */
#ifndef PKTGEN_H
#define PKTGEN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <tern_ether.h>
#include <tern_port.h>

#define PG_PROG        "tern-pktgen"
#define PG_MAX_BURST   512u
#define PG_NB_DESC     1024
#define PG_POOL_CACHE  256
#define PG_MAX_SIZES   16     /* --rfc2544 sizes, IMIX sizes */
#define PG_MAX_FLOWS   65536u /* flow ids are 16 bits */
#define PG_MIN_SIZE    64u    /* frame bytes with CRC, as RFC 2544 counts them */
#define PG_MAX_SIZE    1518u  /* no jumbo frames */
#define PG_CRC         4
#define PG_FRAMING     20 /* preamble + SFD (8) and inter-frame gap (12) */
#define PG_MAX_PERIOD  86400u
#define PG_UDP_DPORT   0x7467     /* 29799: the port tern-pktgen's frames go to */
#define PG_MAGIC       0x7467     /* "tg": first payload word */
#define PG_F_PROBE     0x01       /* the frame's tsc field holds its TX time */
#define PG_WINDOW_BITS 1024u      /* reordering window per flow (a power of two) */
#define PG_HIST_MAX    (1u << 20) /* histogram buckets; later values go to the last one */
#define PG_MAX_LAG_MS  100        /* a pacer further behind than this drops its backlog */

/* Exit statuses a script can rely on. */
#define PG_EXIT_USAGE   2 /* bad option or value: nothing ran */
#define PG_EXIT_BUFFERS 3 /* a packet buffer did not come back to its pool */

/* Longest error line. */
#define PG_ERR_LEN 256

enum pg_rate_unit {
	PG_RATE_MAX,  /* as fast as the port takes frames */
	PG_RATE_MBIT, /* wire Mbit/s: (frame + CRC + 20 B framing) * 8, as MoonGen */
	PG_RATE_MPPS,
};

struct pg_rate {
	enum pg_rate_unit unit;
	double value;
};

/* Per-port settings from the command line; unset ones get defaults from the port. */
struct pg_port_opt {
	struct pg_rate rate;
	bool rate_set;
	bool dst_mac_set, src_ip_set, dst_ip_set;
	struct tern_ether_addr dst_mac;
	uint32_t src_ip, dst_ip; /* host order */
};

struct pg_options {
	uint64_t portmask;   /* ports used; 0: every port */
	uint64_t txmask;     /* ports that send; 0: every used port */
	struct pg_rate rate; /* --rate without a port: every sending port */
	bool rate_set;
	struct pg_port_opt port[TERN_MAX_PORTS];
	unsigned nb_sizes; /* --size (1) or --imix (3, in a 12-frame pattern) */
	uint16_t sizes[PG_MAX_SIZES];
	bool imix;
	unsigned flows;
	uint16_t sport; /* first UDP source port; flow i uses sport + i */
	unsigned burst;
	unsigned probe_every; /* 1: every frame is a latency probe */
	unsigned duration_s;
	unsigned drain_ms; /* RX keeps polling this long after TX stops */
	unsigned period_s; /* -T: per-second lines; 0: none */
	unsigned hist_bucket_ns;
	bool tx_only;
	const char *json_path;
	const char *hist_path;
	/* RFC 2544 throughput search */
	bool rfc2544;
	unsigned nb_rfc_sizes;
	uint16_t rfc_sizes[PG_MAX_SIZES];
	unsigned trial_s;
	double loss_pct;      /* highest loss (percent) a trial may have and pass */
	double precision_pct; /* stop when the interval is narrower than this share of the top */
	bool help;
};

int pg_parse_options(struct pg_options *opt, int argc, char *const argv[], char *err,
                     size_t errlen);
void pg_usage(FILE *f);
/* "1000", "1000mbit", "1.5mpps", "max": 0 or -EINVAL. */
int pg_parse_rate(const char *s, struct pg_rate *r);

/* What every frame carries after its UDP header: 18 bytes, so a 64-byte frame holds it. */
struct pg_payload {
	uint16_t magic; /* PG_MAGIC, network order */
	uint8_t port;   /* sending port */
	uint8_t flags;  /* PG_F_* */
	uint16_t flow;
	uint32_t seq;
	uint64_t tsc;
} __attribute__((packed));

#define PG_HDR_LEN (TERN_ETHER_HDR_LEN + 20 + 8) /* Ethernet, IPv4, UDP */

/* What the receiver knows of one flow of one sender. */
struct pg_flow_rx {
	uint32_t next;     /* highest sequence number seen + 1 */
	uint32_t received; /* frames, duplicates included */
	uint32_t dups;
	uint32_t reordered; /* arrived after a later one of the same flow */
	bool any;
	uint64_t seen[PG_WINDOW_BITS / 64]; /* bit s % W: seq s arrived (s in [next - W, next)) */
};

/* Per-port counters: only the generator's lcore writes them. */
struct pg_port_ctr {
	uint64_t tx, tx_bytes; /* frames the port took; their bytes with CRC */
	uint64_t rx, rx_bytes; /* tern-pktgen frames received; bytes with CRC */
	uint64_t rx_other;     /* frames that were not tern-pktgen's */
	uint64_t behind;       /* times the pacer fell more than PG_MAX_LAG_MS behind */
};

struct tern_mempool;
struct tern_pkt;

struct pg_port {
	uint16_t id;
	bool tx;
	struct pg_rate rate;
	double ticks[PG_MAX_SIZES]; /* TSC ticks per frame of each size at the rate */
	double next_tsc;   /* when the next frame is due: TSC ticks since the run's start */
	unsigned size_idx; /* next frame's place in the size pattern */
	unsigned flow;     /* next frame's flow */
	unsigned probe_count;
	struct tern_ether_addr mac, dst_mac;
	uint32_t src_ip, dst_ip;
	uint32_t speed_mbps;                 /* 0: unknown */
	uint8_t *tmpl;                       /* PG_HDR_LEN bytes per (size, flow) */
	uint32_t *seq;                       /* next sequence number per flow */
	uint64_t *flow_tx;                   /* frames of each flow the port took */
	struct pg_flow_rx *flow_rx;          /* what came back of this port's flows */
	struct tern_pkt *pend[PG_MAX_BURST]; /* built, not yet taken by the port */
	uint16_t pend_len[PG_MAX_BURST];
	unsigned nb_pend, pend_off;
	struct pg_port_ctr ctr, prev;
};

/* Mean and spread of the per-period rates (Welford's running form). */
struct pg_welford {
	unsigned n;
	double mean, m2;
};

struct pg_app {
	struct pg_options opt;
	uint16_t nb_ports;
	struct pg_port ports[TERN_MAX_PORTS];
	uint16_t used[TERN_MAX_PORTS];
	unsigned nb_used;
	unsigned nb_pattern;           /* frames in the size pattern */
	uint8_t pattern[PG_MAX_SIZES]; /* index into opt.sizes of each slot */
	struct tern_mempool *pool;
	bool released; /* ports stopped and closed */
	uint64_t tsc_hz;
	/* latency, in hist_bucket_ns buckets */
	uint64_t *hist;
	uint64_t lat_n, lat_sum_ns, lat_min_ns, lat_max_ns;
	double ns_per_tick;
	/* stats lines */
	uint64_t start_tsc, prev_tsc;
	struct pg_welford mpps[TERN_MAX_PORTS][2],
	    mbit[TERN_MAX_PORTS][2]; /* [TX, RX] per period */
};

/* Set by SIGINT/SIGTERM. */
extern atomic_bool pg_quit;

/* frame.c */
void pg_build_templates(struct pg_app *app, struct pg_port *p);
/* The size pattern from opt.sizes (and opt.imix); then templates and rates again. */
void pg_set_pattern(struct pg_app *app);
void pg_set_rate(struct pg_app *app, struct pg_port *p, const struct pg_rate *r);
double pg_rate_wire_mbit(const struct pg_app *app, const struct pg_rate *r);

/* flow.c: the receiving side */
void pg_flow_seen(struct pg_flow_rx *f, uint32_t seq);
void pg_latency_add(struct pg_app *app, uint64_t ticks);
/* Latency at quantile q (0..1) in ns from the histogram; 0 without samples. */
double pg_latency_quantile(const struct pg_app *app, double q);

/* run.c */
struct pg_trial {
	double duration_s; /* TX time */
	uint64_t tx, rx, lost, dups, reordered;
	unsigned flows_with_loss;
};
void pg_reset_counters(struct pg_app *app);
/* Send for duration_s (0: until a signal), then drain; fills t. */
void pg_run(struct pg_app *app, double duration_s, bool print_periods, struct pg_trial *t);
void pg_trial_totals(const struct pg_app *app, struct pg_trial *t);

/* report.c */
void pg_print_period(struct pg_app *app);
void pg_print_totals(const struct pg_app *app, const struct pg_trial *t);
int pg_write_histogram(const struct pg_app *app, FILE *f);
struct pg_rfc_row {
	uint16_t size;
	double mpps, wire_mbit;
	uint64_t tx, lost;
	unsigned trials;
};
int pg_write_json(FILE *f, const struct pg_app *app, const struct pg_trial *t,
                  const struct pg_rfc_row *rfc, unsigned nb_rfc, unsigned avail, unsigned total);

/* rfc2544.c */
/* The search over --rfc2544's sizes; returns the rows filled. */
int pg_rfc2544(struct pg_app *app, struct pg_rfc_row *rows);

#endif /* PKTGEN_H */
