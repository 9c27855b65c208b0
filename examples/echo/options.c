/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options.c - tern-echo's own options (those after "--"): the table and
 * the values' checks. The walk through argv, which makes every mistake
 * exactly one line saying how to fix it, is examples/common/app_opts.c,
 * shared with tern-l2fwd.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app_opts.h"
#include "echo.h"

/* A whole string as a decimal number <= max; false on anything else. */
static bool parse_dec(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *v <= max;
}

/* "A.B.C.D/NN": four decimal octets (no leading zeros beyond "0") and a prefix 1-32. */
static bool parse_cidr(const char *s, uint8_t ip[4], unsigned *prefix)
{
	const char *p = s;
	unsigned long v = 0;
	char *end;

	if (p == NULL)
		return false;
	for (int i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
			return false;
		v = strtoul(p, &end, 10);
		if (v > 255 || end - p > 3)
			return false;
		ip[i] = (uint8_t)v;
		p = end;
		if (*p != (i < 3 ? '.' : '/'))
			return false;
		p++;
	}
	if (!parse_dec(p, 32, &v) || v == 0)
		return false;
	*prefix = (unsigned)v;
	return true;
}

static const char *const usage_text =
    "usage: " ECHO_PROG " [EAL options] -- --ip A.B.C.D/NN [options]\n"
    "  --ip A.B.C.D/NN     the IPv4 address and prefix length to answer for (required)\n"
    "  --port N            the tern port to serve on (default 0)\n"
    "  --duration SECONDS  stop after this long (default 0: at SIGINT/SIGTERM)\n"
    "  -T SECONDS          print counters every SECONDS (default 0: only at exit)\n"
    "  --json FILE         write the run's counters as JSON at exit\n"
    "  --tcp-max-conns N   open TCP connections at most (default 256); SYNs beyond are dropped\n"
    "  --tcp-max-half-open N  connections in SYN_RCVD at most, the oldest dropped (default 64)\n"
    "  --tcp-max-per-source N  open TCP connections from one address at most (default 64)\n"
    "  --tcp-conn-bytes N  bytes queued per TCP connection each way (default 32768)\n"
    "  --stack-mem-mb N    ceiling on lwIP's memory (default 64)\n"
    "  --arp-rate N        ARP requests per second for unresolved neighbours (default 20)\n"
    "  --udp-rate N        UDP echo replies per second (default 20000; 0: no limit)\n"
    "  -h, --help          this text\n"
    "Answers ARP (RFC 826), ICMP echo (RFC 792) and UDP echo on port 7 in place,\n"
    "and TCP echo on port 7 (RFC 862) through lwIP.\n";

void echo_usage(FILE *f)
{
	fputs(usage_text, f);
}

enum opt_id {
	OPT_IP,
	OPT_PORT,
	OPT_DURATION,
	OPT_PERIOD,
	OPT_JSON,
	OPT_HELP,
	OPT_TCP_MAX_CONNS,
	OPT_TCP_MAX_HALF_OPEN,
	OPT_TCP_MAX_PER_SOURCE,
	OPT_TCP_CONN_BYTES,
	OPT_STACK_MEM_MB,
	OPT_ARP_RATE,
	OPT_UDP_RATE,
};

/* The numeric bounds: option, smallest, largest, what a value means. */
static const struct {
	enum opt_id id;
	const char *name;
	unsigned long min, max;
	const char *what;
} bounds[] = {
    {OPT_TCP_MAX_CONNS, "--tcp-max-conns", 1, 65535, "a number of connections"},
    {OPT_TCP_MAX_HALF_OPEN, "--tcp-max-half-open", 1, 65535, "a number of connections"},
    {OPT_TCP_MAX_PER_SOURCE, "--tcp-max-per-source", 1, 65535, "a number of connections"},
    /* Two full segments at least (RFC 1122 4.2.3.3 wants the window to open by one). */
    {OPT_TCP_CONN_BYTES, "--tcp-conn-bytes", 2920, 65535, "a number of bytes"},
    {OPT_STACK_MEM_MB, "--stack-mem-mb", 1, 65536, "a number of MiB"},
    {OPT_ARP_RATE, "--arp-rate", 0, 1000000, "requests per second (0: no limit)"},
    {OPT_UDP_RATE, "--udp-rate", 0, 100000000, "replies per second (0: no limit)"},
};

static const struct app_opt opt_defs[] = {
    {"--ip", OPT_IP, true, "--ip 10.0.0.2/24"},
    {"--port", OPT_PORT, true, "--port 0"},
    {"--duration", OPT_DURATION, true, "--duration 10"},
    {"-T", OPT_PERIOD, true, "-T 1"},
    {"--json", OPT_JSON, true, "--json out.json"},
    {"--tcp-max-conns", OPT_TCP_MAX_CONNS, true, "--tcp-max-conns 256"},
    {"--tcp-max-half-open", OPT_TCP_MAX_HALF_OPEN, true, "--tcp-max-half-open 64"},
    {"--tcp-max-per-source", OPT_TCP_MAX_PER_SOURCE, true, "--tcp-max-per-source 64"},
    {"--tcp-conn-bytes", OPT_TCP_CONN_BYTES, true, "--tcp-conn-bytes 32768"},
    {"--stack-mem-mb", OPT_STACK_MEM_MB, true, "--stack-mem-mb 64"},
    {"--arp-rate", OPT_ARP_RATE, true, "--arp-rate 20"},
    {"--udp-rate", OPT_UDP_RATE, true, "--udp-rate 20000"},
    {"-h", OPT_HELP, false, NULL},
    {"--help", OPT_HELP, false, NULL},
};

/* app_parse_args() calls this for each option found. */
static int apply(void *ctx, int opt_id, const char *val, char *err, size_t errlen)
{
	struct echo_options *opt = ctx;
	const enum opt_id id = (enum opt_id)opt_id;
	unsigned long v = 0;

	if (val == NULL && id != OPT_HELP)
		return app_fail(err, errlen, "internal error: option without a value");
	switch (id) {
	case OPT_IP:
		if (!parse_cidr(val, opt->ip, &opt->prefix))
			return app_fail(err, errlen,
			                "--ip '%s': not an IPv4 address with a prefix length: give "
			                "e.g. --ip 10.0.0.2/24",
			                val);
		if (opt->ip[0] == 0 || opt->ip[0] == 127 || opt->ip[0] >= 224)
			return app_fail(err, errlen,
			                "--ip '%s': not a unicast address a host can have: give "
			                "e.g. --ip 10.0.0.2/24",
			                val);
		opt->have_ip = true;
		break;
	case OPT_PORT:
		if (!parse_dec(val, TERN_MAX_PORTS - 1, &v))
			return app_fail(err, errlen, "--port '%s': not a port id: give 0 to %d",
			                val, TERN_MAX_PORTS - 1);
		opt->port = (uint16_t)v;
		break;
	case OPT_DURATION:
		if (!parse_dec(val, UINT32_MAX, &v))
			return app_fail(err, errlen,
			                "--duration '%s': not a number of seconds: give 0 (until "
			                "SIGINT) or more",
			                val);
		opt->duration_s = (unsigned)v;
		break;
	case OPT_PERIOD:
		if (!parse_dec(val, ECHO_MAX_PERIOD_S, &v))
			return app_fail(err, errlen,
			                "-T '%s': not a number of seconds: give 0 (off) to %u", val,
			                ECHO_MAX_PERIOD_S);
		opt->period_s = (unsigned)v;
		break;
	case OPT_JSON:
		if (*val == '\0')
			return app_fail(err, errlen,
			                "--json: empty file name: give e.g. --json out.json");
		opt->json_path = val;
		break;
	case OPT_HELP:
		opt->help = true;
		break;
	default:
		for (size_t i = 0; i < TERN_DIM(bounds); i++) {
			if (bounds[i].id != id)
				continue;
			if (!parse_dec(val, bounds[i].max, &v) || v < bounds[i].min)
				return app_fail(err, errlen, "%s '%s': not %s: give %lu to %lu",
				                bounds[i].name, val, bounds[i].what, bounds[i].min,
				                bounds[i].max);
		}
		if (id == OPT_TCP_MAX_CONNS)
			opt->tcp_max_conns = (unsigned)v;
		else if (id == OPT_TCP_MAX_HALF_OPEN)
			opt->tcp_max_half_open = (unsigned)v;
		else if (id == OPT_TCP_MAX_PER_SOURCE)
			opt->tcp_max_per_source = (unsigned)v;
		else if (id == OPT_TCP_CONN_BYTES)
			opt->tcp_conn_bytes = (unsigned)v;
		else if (id == OPT_STACK_MEM_MB)
			opt->stack_mem_mb = (unsigned)v;
		else if (id == OPT_ARP_RATE)
			opt->arp_rate = (unsigned)v;
		else if (id == OPT_UDP_RATE)
			opt->udp_rate = (unsigned)v;
		break;
	}
	return 0;
}

int echo_parse_options(struct echo_options *opt, int argc, char *const argv[], char *err,
                       size_t errlen)
{
	int ret;

	memset(opt, 0, sizeof(*opt));
	opt->tcp_max_conns = ECHO_DEF_TCP_MAX_CONNS;
	opt->tcp_max_half_open = ECHO_DEF_TCP_MAX_HALF_OPEN;
	opt->tcp_max_per_source = ECHO_DEF_TCP_MAX_PER_SOURCE;
	opt->tcp_conn_bytes = ECHO_DEF_TCP_CONN_BYTES;
	opt->stack_mem_mb = ECHO_DEF_STACK_MEM_MB;
	opt->arp_rate = ECHO_DEF_ARP_RATE;
	opt->udp_rate = ECHO_DEF_UDP_RATE;
	ret = app_parse_args(opt_defs, TERN_DIM(opt_defs), ECHO_PROG, argc, argv, apply, opt, err,
	                     errlen);
	if (ret < 0)
		return ret;
	if (!opt->help && !opt->have_ip)
		return app_fail(
		    err, errlen,
		    "no address to answer for: give --ip A.B.C.D/NN, e.g. --ip 10.0.0.2/24");
	/* The connection bounds must fit under the memory ceiling they serve. */
	size_t need = (size_t)opt->tcp_max_conns * ECHO_CONN_COST(opt->tcp_conn_bytes) +
	              (size_t)opt->tcp_max_half_open * ECHO_HALF_OPEN_COST;
	size_t need_mb = (need + (1u << 20) - 1) >> 20;

	if (!opt->help && need_mb > opt->stack_mem_mb)
		return app_fail(err, errlen,
		                "--tcp-max-conns %u of --tcp-conn-bytes %u and --tcp-max-half-open "
		                "%u may take %zu MiB, over --stack-mem-mb %u: raise --stack-mem-mb "
		                "to %zu or lower the others",
		                opt->tcp_max_conns, opt->tcp_conn_bytes, opt->tcp_max_half_open,
		                need_mb, opt->stack_mem_mb, need_mb);
	return 0;
}
