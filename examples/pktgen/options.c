/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options.c - tern-pktgen's own options (those after "--"). The walk through
 * argv is examples/common/app_opts.c; the table and the values' checks are
 * here. Per-port values take a "PORT:" prefix ("--rate 1:500"); without one
 * they apply to every port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app_opts.h"
#include "pktgen.h"

enum {
	O_PORTMASK,
	O_TXMASK,
	O_RATE,
	O_SIZE,
	O_FLOWS,
	O_SPORT,
	O_SRC_IP,
	O_DST_IP,
	O_DST_MAC,
	O_BURST,
	O_PROBE,
	O_DURATION,
	O_DRAIN,
	O_PERIOD,
	O_HIST_BUCKET,
	O_HIST,
	O_JSON,
	O_TX_ONLY,
	O_RFC2544,
	O_TRIAL,
	O_LOSS,
	O_PRECISION,
	O_HELP,
};

static const struct app_opt defs[] = {
    {"-p", O_PORTMASK, true, "-p 0x3"},
    {"--tx-mask", O_TXMASK, true, "--tx-mask 0x1"},
    {"--rate", O_RATE, true, "--rate 1000 (wire Mbit/s), --rate 1.5mpps or --rate 0:max"},
    {"--size", O_SIZE, true, "--size 64 or --size imix"},
    {"--flows", O_FLOWS, true, "--flows 16"},
    {"--sport", O_SPORT, true, "--sport 1024"},
    {"--src-ip", O_SRC_IP, true, "--src-ip 0:198.18.1.2"},
    {"--dst-ip", O_DST_IP, true, "--dst-ip 0:198.19.1.2"},
    {"--dst-mac", O_DST_MAC, true, "--dst-mac 1:02:00:00:00:00:01"},
    {"--burst", O_BURST, true, "--burst 32"},
    {"--probe-every", O_PROBE, true, "--probe-every 1"},
    {"--duration", O_DURATION, true, "--duration 10"},
    {"--drain-ms", O_DRAIN, true, "--drain-ms 200"},
    {"-T", O_PERIOD, true, "-T 1"},
    {"--hist-bucket", O_HIST_BUCKET, true, "--hist-bucket 100"},
    {"--hist", O_HIST, true, "--hist histogram.csv"},
    {"--json", O_JSON, true, "--json pktgen.json"},
    {"--tx-only", O_TX_ONLY, false, NULL},
    {"--rfc2544", O_RFC2544, true, "--rfc2544 64,128,256,512,1024,1280,1518"},
    {"--trial", O_TRIAL, true, "--trial 2"},
    {"--loss", O_LOSS, true, "--loss 0.1 (percent)"},
    {"--precision", O_PRECISION, true, "--precision 1 (percent)"},
    {"-h", O_HELP, false, NULL},
    {"--help", O_HELP, false, NULL},
};

void pg_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: " PG_PROG " [EAL options] -- [options]\n"
	    "  -p MASK            ports to use (hex; default: every port)\n"
	    "  --tx-mask MASK     ports that send (default: every used port; the others only "
	    "receive)\n"
	    "  --rate [P:]R       R wire Mbit/s (MoonGen's count: frame + CRC + 20 B framing),\n"
	    "                     Rmpps, or max (default: max, as fast as the port takes frames)\n"
	    "  --size N|imix      frame bytes with CRC, %u..%u (default 64); imix: 64/594/1518 "
	    "7:4:1\n"
	    "  --flows N          UDP flows per port, 1..%u: flow i from src-ip + i, sport + i "
	    "(default 1)\n"
	    "  --sport N          first UDP source port (default 1024)\n"
	    "  --src-ip [P:]IP    first source address (default 198.18.1.2 on port 0, 198.19.1.2 "
	    "on 1, ...)\n"
	    "  --dst-ip [P:]IP    destination address (default: the next port's source address)\n"
	    "  --dst-mac [P:]MAC  destination MAC (default: the next port's MAC)\n"
	    "  --burst N          frames per TX/RX burst, 1..%u (default 32)\n"
	    "  --probe-every N    one frame in N carries a TX timestamp (default 1: all)\n"
	    "  --duration S       seconds of traffic (default 10; 0: until SIGINT/SIGTERM)\n"
	    "  --drain-ms MS      keep receiving this long after TX stops (default 200)\n"
	    "  -T S               seconds between stats lines (default 1; 0: none)\n"
	    "  --hist PATH        latency histogram as MoonGen's histogram.csv (ns,count)\n"
	    "  --hist-bucket NS   histogram bucket width (default 100)\n"
	    "  --json PATH        summary as JSON\n"
	    "  --tx-only          send only; do not poll for frames coming back\n"
	    "  --rfc2544 SIZES    RFC 2544 throughput: for each frame size, binary search for the\n"
	    "                     highest rate with loss <= --loss (upper bound: --rate, else link "
	    "speed)\n"
	    "  --trial S          seconds per trial (default 2)\n"
	    "  --loss PCT         loss a trial may have and pass (default 0)\n"
	    "  --precision PCT    stop when the interval is below PCT of the upper bound (default "
	    "1)\n"
	    "  -h, --help         this text\n",
	    PG_MIN_SIZE, PG_MAX_SIZE, PG_MAX_FLOWS, PG_MAX_BURST);
}

int pg_parse_rate(const char *s, struct pg_rate *r)
{
	char *end;
	double v;

	if (strcasecmp(s, "max") == 0) {
		*r = (struct pg_rate){.unit = PG_RATE_MAX};
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v > 0) || !isfinite(v) || *s == '-' || *s == '+')
		return -EINVAL;
	if (*end == '\0' || strcasecmp(end, "mbit") == 0)
		*r = (struct pg_rate){.unit = PG_RATE_MBIT, .value = v};
	else if (strcasecmp(end, "mpps") == 0)
		*r = (struct pg_rate){.unit = PG_RATE_MPPS, .value = v};
	else
		return -EINVAL;
	return 0;
}

/* "P:rest" -> port P and rest; no prefix -> port -1 (every port) and s. */
static int split_port(const char *s, bool is_mac, int *port, const char **rest)
{
	const char *c = strchr(s, ':');
	unsigned colons = 0;
	uint64_t v;
	char num[8];

	for (const char *q = s; *q; q++)
		colons += *q == ':';
	*port = -1;
	*rest = s;
	if (c == NULL || (is_mac && colons == 5))
		return 0;
	if ((size_t)(c - s) >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, (size_t)(c - s));
	num[c - s] = '\0';
	if (!app_parse_u64(num, 10, &v) || v >= TERN_MAX_PORTS)
		return -ERANGE;
	*port = (int)v;
	*rest = c + 1;
	return 0;
}

static int parse_size(const char *s, uint16_t *v)
{
	uint64_t n;

	if (!app_parse_u64(s, 10, &n) || n < PG_MIN_SIZE || n > PG_MAX_SIZE)
		return -EINVAL;
	*v = (uint16_t)n;
	return 0;
}

static int num(const char *name, const char *val, uint64_t lo, uint64_t hi, uint64_t *v, char *err,
               size_t errlen)
{
	if (!app_parse_u64(val, 0, v) || *v < lo || *v > hi)
		return app_fail(err, errlen, "%s '%s': give a whole number from %llu to %llu", name,
		                val, (unsigned long long)lo, (unsigned long long)hi);
	return 0;
}

static int pct(const char *name, const char *val, double lo, double hi, double *v, char *err,
               size_t errlen)
{
	char *end;

	errno = 0;
	*v = strtod(val, &end);
	if (errno || end == val || *end || !(*v >= lo && *v <= hi))
		return app_fail(err, errlen, "%s '%s': give a percentage from %g to %g", name, val,
		                lo, hi);
	return 0;
}

static int apply(void *ctx, int id, const char *val, char *err, size_t errlen)
{
	struct pg_options *o = ctx;
	const char *rest;
	uint64_t v;
	int port, ret;

	switch (id) {
	case O_PORTMASK:
	case O_TXMASK:
		if (!app_parse_u64(val, 16, &v) || v == 0 || v >> TERN_MAX_PORTS)
			return app_fail(
			    err, errlen,
			    "%s '%s': give a non-zero hex mask of ports 0..%d, e.g. 0x3",
			    id == O_PORTMASK ? "-p" : "--tx-mask", val, TERN_MAX_PORTS - 1);
		*(id == O_PORTMASK ? &o->portmask : &o->txmask) = v;
		return 0;
	case O_RATE: {
		struct pg_rate r;

		if (split_port(val, false, &port, &rest) < 0 || pg_parse_rate(rest, &r) < 0)
			return app_fail(
			    err, errlen,
			    "--rate '%s': give [PORT:]RATE with RATE a positive number of "
			    "wire Mbit/s, NUMmpps or max, e.g. --rate 0:1000",
			    val);
		if (port < 0) {
			o->rate = r;
			o->rate_set = true;
		} else {
			o->port[port].rate = r;
			o->port[port].rate_set = true;
		}
		return 0;
	}
	case O_SIZE:
		if (strcasecmp(val, "imix") == 0) {
			o->imix = true;
			return 0;
		}
		o->imix = false;
		o->nb_sizes = 1;
		if (parse_size(val, &o->sizes[0]) < 0)
			return app_fail(
			    err, errlen,
			    "--size '%s': give a frame size in bytes with CRC from %u to "
			    "%u, or imix",
			    val, PG_MIN_SIZE, PG_MAX_SIZE);
		return 0;
	case O_FLOWS:
		if ((ret = num("--flows", val, 1, PG_MAX_FLOWS, &v, err, errlen)) < 0)
			return ret;
		o->flows = (unsigned)v;
		return 0;
	case O_SPORT:
		if ((ret = num("--sport", val, 1, 65535, &v, err, errlen)) < 0)
			return ret;
		o->sport = (uint16_t)v;
		return 0;
	case O_SRC_IP:
	case O_DST_IP: {
		struct in_addr a;

		if (split_port(val, false, &port, &rest) < 0 || inet_pton(AF_INET, rest, &a) != 1)
			return app_fail(err, errlen,
			                "%s '%s': give [PORT:]A.B.C.D, e.g. 0:198.18.1.2",
			                id == O_SRC_IP ? "--src-ip" : "--dst-ip", val);
		for (int p = 0; p < TERN_MAX_PORTS; p++) {
			if (port >= 0 && p != port)
				continue;
			if (id == O_SRC_IP) {
				o->port[p].src_ip = ntohl(a.s_addr);
				o->port[p].src_ip_set = true;
			} else {
				o->port[p].dst_ip = ntohl(a.s_addr);
				o->port[p].dst_ip_set = true;
			}
		}
		return 0;
	}
	case O_DST_MAC: {
		struct tern_ether_addr m;

		if (split_port(val, true, &port, &rest) < 0 || tern_ether_addr_parse(rest, &m) < 0)
			return app_fail(err, errlen,
			                "--dst-mac '%s': give [PORT:]xx:xx:xx:xx:xx:xx, e.g. "
			                "1:02:00:00:00:00:01",
			                val);
		for (int p = 0; p < TERN_MAX_PORTS; p++) {
			if (port >= 0 && p != port)
				continue;
			o->port[p].dst_mac = m;
			o->port[p].dst_mac_set = true;
		}
		return 0;
	}
	case O_BURST:
		if ((ret = num("--burst", val, 1, PG_MAX_BURST, &v, err, errlen)) < 0)
			return ret;
		o->burst = (unsigned)v;
		return 0;
	case O_PROBE:
		if ((ret = num("--probe-every", val, 1, UINT32_MAX, &v, err, errlen)) < 0)
			return ret;
		o->probe_every = (unsigned)v;
		return 0;
	case O_DURATION:
		if ((ret = num("--duration", val, 0, PG_MAX_PERIOD, &v, err, errlen)) < 0)
			return ret;
		o->duration_s = (unsigned)v;
		return 0;
	case O_DRAIN:
		if ((ret = num("--drain-ms", val, 0, 60000, &v, err, errlen)) < 0)
			return ret;
		o->drain_ms = (unsigned)v;
		return 0;
	case O_PERIOD:
		if ((ret = num("-T", val, 0, PG_MAX_PERIOD, &v, err, errlen)) < 0)
			return ret;
		o->period_s = (unsigned)v;
		return 0;
	case O_HIST_BUCKET:
		if ((ret = num("--hist-bucket", val, 1, 1000000000, &v, err, errlen)) < 0)
			return ret;
		o->hist_bucket_ns = (unsigned)v;
		return 0;
	case O_HIST:
		o->hist_path = val;
		return 0;
	case O_JSON:
		o->json_path = val;
		return 0;
	case O_TX_ONLY:
		o->tx_only = true;
		return 0;
	case O_RFC2544: {
		char buf[256], *save = NULL, *tok;

		if (strlen(val) >= sizeof(buf))
			return app_fail(err, errlen, "--rfc2544: list too long");
		strcpy(buf, val);
		o->nb_rfc_sizes = 0;
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (o->nb_rfc_sizes == PG_MAX_SIZES ||
			    parse_size(tok, &o->rfc_sizes[o->nb_rfc_sizes++]) < 0)
				return app_fail(
				    err, errlen,
				    "--rfc2544 '%s': give up to %d frame sizes with CRC from "
				    "%u to %u, comma-separated, e.g. 64,128,1518",
				    val, PG_MAX_SIZES, PG_MIN_SIZE, PG_MAX_SIZE);
		}
		if (o->nb_rfc_sizes == 0)
			return app_fail(err, errlen,
			                "--rfc2544 '%s': give frame sizes, e.g. 64,1518", val);
		o->rfc2544 = true;
		return 0;
	}
	case O_TRIAL:
		if ((ret = num("--trial", val, 1, 3600, &v, err, errlen)) < 0)
			return ret;
		o->trial_s = (unsigned)v;
		return 0;
	case O_LOSS:
		return pct("--loss", val, 0, 100, &o->loss_pct, err, errlen);
	case O_PRECISION: {
		int r = pct("--precision", val, 0.01, 50, &o->precision_pct, err, errlen);
		return r;
	}
	case O_HELP:
		o->help = true;
		return 0;
	}
	return app_fail(err, errlen, "internal: option %d", id);
}

int pg_parse_options(struct pg_options *o, int argc, char *const argv[], char *err, size_t errlen)
{
	*o = (struct pg_options){
	    .nb_sizes = 1,
	    .sizes = {PG_MIN_SIZE},
	    .flows = 1,
	    .sport = 1024,
	    .burst = 32,
	    .probe_every = 1,
	    .duration_s = 10,
	    .drain_ms = 200,
	    .period_s = 1,
	    .hist_bucket_ns = 100,
	    .trial_s = 2,
	    .precision_pct = 1,
	};
	return app_parse_args(defs, TERN_DIM(defs), PG_PROG, argc, argv, apply, o, err, errlen);
}
