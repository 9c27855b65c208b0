/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options.c - tern-l2fwd's own options (those after "--"), DPDK l2fwd's names.
 *
 * The table and the values' checks are here; the walk through argv, shared
 * with tern-echo, is in examples/common/app_opts.c.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_opts.h"
#include "l2fwd.h"

/* "(0,1)(2,3)", spaces allowed between tokens. */
static int parse_portmap(struct l2fwd_options *opt, const char *s, char *err, size_t errlen)
{
	const char *p = s;
	bool seen[TERN_MAX_PORTS] = {false};

	opt->nb_pairs = 0;
	for (;;) {
		unsigned long a, b;
		char *end;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (*p != '(' || !isdigit((unsigned char)p[1]))
			goto syntax;
		a = strtoul(p + 1, &end, 10);
		p = end;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != ',')
			goto syntax;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		if (!isdigit((unsigned char)*p))
			goto syntax;
		b = strtoul(p, &end, 10);
		p = end;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != ')')
			goto syntax;
		p++;
		if (a >= TERN_MAX_PORTS || b >= TERN_MAX_PORTS)
			return app_fail(
			    err, errlen,
			    "--portmap '%s': port %lu is out of range: ports are 0 to %d", s,
			    a >= TERN_MAX_PORTS ? a : b, TERN_MAX_PORTS - 1);
		if (a == b)
			return app_fail(err, errlen,
			                "--portmap '%s': port %lu is paired with itself: pair two "
			                "different ports",
			                s, a);
		if (seen[a] || seen[b])
			return app_fail(
			    err, errlen,
			    "--portmap '%s': port %lu is in two pairs: name each port once", s,
			    seen[a] ? a : b);
		seen[a] = seen[b] = true;
		opt->pairs[opt->nb_pairs][0] = (uint16_t)a;
		opt->pairs[opt->nb_pairs][1] = (uint16_t)b;
		opt->nb_pairs++;
	}
	if (opt->nb_pairs == 0)
		goto syntax;
	return 0;
syntax:
	return app_fail(err, errlen,
	                "--portmap '%s': expected pairs '(A,B)': give e.g. --portmap "
	                "\"(0,1)(2,3)\"",
	                s);
}

static const char *const usage_text =
    "usage: " L2FWD_PROG " [EAL options] -- [options]\n"
    "  -p PORTMASK         hex mask of the ports to forward (default: all)\n"
    "  -q N                RX queues each lcore polls (default 1, 1-64)\n"
    "  --portmap \"(A,B)..\" forward A<->B (default: pair enabled ports in order)\n"
    "  -T SECONDS          stats period (default 1; 0: no periodic stats)\n"
    "  --mac-updating      rewrite MACs as DPDK's l2fwd does\n"
    "  --no-mac-updating   forward frames untouched (default)\n"
    "  -P / --no-promisc   promiscuous mode on (default) / off\n"
    "  --burst N           packets per burst (default 32, 1-512)\n"
    "  --mode rtc|pipeline run-to-completion (default) or RX lcores -> rings -> TX lcores\n"
    "  --ring-size N       pipeline: slots per ring (default 1024, power of two)\n"
    "  --duration SECONDS  stop after this long (default 0: at SIGINT/SIGTERM)\n"
    "  --json FILE         write the run's counters and rates as JSON\n"
    "  --profile NAME      l2 (default): frames out of the paired port, untouched;\n"
    "                      reflector: back out of their own port, MACs swapped;\n"
    "                      l3: an IPv4 router (needs --addr on every port, --mode rtc)\n"
    "  --addr P:A.B.C.D/N  l3: port P's address and subnet (e.g. 0:198.18.1.1/24)\n"
    "  --route PFX/N,NH    l3: a static route via next hop NH (in a port's subnet)\n"
    "  --stats-format F    plain (default), moongen, csv or json lines every -T seconds\n"
    "  -h, --help          this text\n";

void l2fwd_usage(FILE *f)
{
	fputs(usage_text, f);
}

enum opt_id {
	OPT_PORTMASK,
	OPT_QUEUES,
	OPT_PORTMAP,
	OPT_PERIOD,
	OPT_MAC,
	OPT_NO_MAC,
	OPT_PROMISC,
	OPT_NO_PROMISC,
	OPT_BURST,
	OPT_MODE,
	OPT_RING_SIZE,
	OPT_DURATION,
	OPT_JSON,
	OPT_PROFILE,
	OPT_ADDR,
	OPT_ROUTE,
	OPT_STATS_FORMAT,
	OPT_HELP,
};

static const struct app_opt opt_defs[] = {
    {"-p", OPT_PORTMASK, true, "-p 0x3"},
    {"-q", OPT_QUEUES, true, "-q 1"},
    {"--portmap", OPT_PORTMAP, true, "--portmap \"(0,1)\""},
    {"-T", OPT_PERIOD, true, "-T 1"},
    {"--mac-updating", OPT_MAC, false, NULL},
    {"--no-mac-updating", OPT_NO_MAC, false, NULL},
    {"-P", OPT_PROMISC, false, NULL},
    {"--promisc", OPT_PROMISC, false, NULL},
    {"--no-promisc", OPT_NO_PROMISC, false, NULL},
    {"--burst", OPT_BURST, true, "--burst 32"},
    {"--mode", OPT_MODE, true, "--mode rtc"},
    {"--ring-size", OPT_RING_SIZE, true, "--ring-size 1024"},
    {"--duration", OPT_DURATION, true, "--duration 10"},
    {"--json", OPT_JSON, true, "--json out.json"},
    {"--profile", OPT_PROFILE, true, "--profile l3"},
    {"--addr", OPT_ADDR, true, "--addr 0:198.18.1.1/24"},
    {"--route", OPT_ROUTE, true, "--route 10.0.0.0/8,198.18.1.2"},
    {"--stats-format", OPT_STATS_FORMAT, true, "--stats-format moongen"},
    {"-h", OPT_HELP, false, NULL},
    {"--help", OPT_HELP, false, NULL},
};

/* app_parse_args() calls this for each option found. */
static int apply_opt(void *ctx, int id, const char *val, char *err, size_t errlen)
{
	struct l2fwd_options *opt = ctx;
	uint64_t v;

	/*
	 * The caller gives every option that takes a value its value; the
	 * analyzer cannot see that, so say it here (options without one ignore val).
	 */
	if (val == NULL)
		val = "";
	switch ((enum opt_id)id) {
	case OPT_PORTMASK:
		if (!app_parse_u64(val, 16, &v))
			return app_fail(err, errlen,
			                "-p '%s': not a hex port mask: give e.g. -p 0x3", val);
		if (v == 0)
			return app_fail(err, errlen,
			                "-p '%s': the mask selects no port: give e.g. -p 0x3", val);
		if (v >> TERN_MAX_PORTS)
			return app_fail(err, errlen,
			                "-p '%s': names ports above %d: give a mask within 0x%llx",
			                val, TERN_MAX_PORTS - 1, (1ull << TERN_MAX_PORTS) - 1);
		opt->portmask = v;
		break;
	case OPT_QUEUES:
		if (!app_parse_u64(val, 10, &v) || v < 1 || v > L2FWD_MAX_Q_PER_LCORE)
			return app_fail(err, errlen, "-q '%s': not a queue count: give 1 to %d",
			                val, L2FWD_MAX_Q_PER_LCORE);
		opt->q_per_lcore = (unsigned)v;
		break;
	case OPT_PORTMAP:
		return parse_portmap(opt, val, err, errlen);
	case OPT_PERIOD:
		if (!app_parse_u64(val, 10, &v) || v > L2FWD_MAX_PERIOD_S)
			return app_fail(err, errlen,
			                "-T '%s': not a number of seconds: give 0 (off) to %u", val,
			                L2FWD_MAX_PERIOD_S);
		opt->period_s = (unsigned)v;
		break;
	case OPT_MAC:
		opt->mac_updating = true;
		break;
	case OPT_NO_MAC:
		opt->mac_updating = false;
		break;
	case OPT_PROMISC:
		opt->promisc = true;
		break;
	case OPT_NO_PROMISC:
		opt->promisc = false;
		break;
	case OPT_BURST:
		if (!app_parse_u64(val, 10, &v))
			return app_fail(err, errlen, "--burst '%s': not a number: give 1 to %d",
			                val, L2FWD_MAX_BURST);
		if (v < 1 || v > L2FWD_MAX_BURST)
			return app_fail(err, errlen, "--burst %s: out of range: give 1 to %d", val,
			                L2FWD_MAX_BURST);
		opt->burst = (unsigned)v;
		break;
	case OPT_MODE:
		if (strcmp(val, "rtc") == 0)
			opt->mode = L2FWD_MODE_RTC;
		else if (strcmp(val, "pipeline") == 0)
			opt->mode = L2FWD_MODE_PIPELINE;
		else
			return app_fail(err, errlen,
			                "--mode '%s': unknown mode: give rtc or pipeline", val);
		break;
	case OPT_RING_SIZE:
		if (!app_parse_u64(val, 10, &v) || v < 32 || v > L2FWD_RING_SIZE_MAX ||
		    !tern_is_power_of_2(v))
			return app_fail(
			    err, errlen,
			    "--ring-size '%s': not a power of two from 32 to %u: give e.g. "
			    "--ring-size 4096",
			    val, L2FWD_RING_SIZE_MAX);
		opt->ring_size = (unsigned)v;
		break;
	case OPT_DURATION:
		if (!app_parse_u64(val, 10, &v) || v > UINT32_MAX)
			return app_fail(err, errlen,
			                "--duration '%s': not a number of seconds: give 0 (until "
			                "SIGINT) or more",
			                val);
		opt->duration_s = (unsigned)v;
		break;
	case OPT_JSON:
		if (*val == '\0')
			return app_fail(err, errlen,
			                "--json: empty file name: give e.g. --json "
			                "out.json");
		opt->json_path = val;
		break;
	case OPT_PROFILE:
		if (strcmp(val, "l2") == 0)
			opt->profile = L2FWD_PROFILE_L2;
		else if (strcmp(val, "reflector") == 0)
			opt->profile = L2FWD_PROFILE_REFLECTOR;
		else if (strcmp(val, "l3") == 0)
			opt->profile = L2FWD_PROFILE_L3;
		else
			return app_fail(err, errlen,
			                "--profile '%s': unknown profile: give l2, reflector or l3",
			                val);
		break;
	case OPT_ADDR: {
		char *end;
		unsigned long port = strtoul(val, &end, 10);
		uint32_t a;
		uint8_t len;

		if (end == val || *end != ':' || port >= TERN_MAX_PORTS ||
		    l2fwd_parse_prefix(end + 1, &a, &len) < 0 || len == 0 || len > 30)
			return app_fail(err, errlen,
			                "--addr '%s': give PORT:A.B.C.D/LEN with LEN 1 to 30, e.g. "
			                "--addr 0:198.18.1.1/24",
			                val);
		opt->l3.addr_set[port] = true;
		opt->l3.addr[port] = a;
		opt->l3.addr_len[port] = len;
		break;
	}
	case OPT_ROUTE: {
		char pfx[32];
		const char *comma = strchr(val, ',');
		uint32_t a, nh;
		uint8_t len, nh_len;
		unsigned i = opt->l3.nb_routes;

		if (comma == NULL || (size_t)(comma - val) >= sizeof(pfx))
			goto bad_route;
		memcpy(pfx, val, (size_t)(comma - val));
		pfx[comma - val] = '\0';
		if (l2fwd_parse_prefix(pfx, &a, &len) < 0 ||
		    l2fwd_parse_prefix(comma + 1, &nh, &nh_len) < 0 || nh_len != 32)
			goto bad_route;
		if (i == L2FWD_MAX_ROUTES)
			return app_fail(err, errlen, "--route: more than %d routes",
			                L2FWD_MAX_ROUTES);
		opt->l3.routes[i].prefix = len ? a & (uint32_t)(~0ull << (32 - len)) : 0;
		opt->l3.routes[i].len = len;
		opt->l3.routes[i].nexthop = nh;
		opt->l3.nb_routes++;
		break;
	bad_route:
		return app_fail(err, errlen,
		                "--route '%s': give PREFIX/LEN,NEXTHOP, e.g. --route "
		                "10.0.0.0/8,198.18.1.2",
		                val);
	}
	case OPT_STATS_FORMAT:
		if (strcmp(val, "plain") == 0)
			opt->stats_format = L2FWD_STATS_PLAIN;
		else if (strcmp(val, "moongen") == 0)
			opt->stats_format = L2FWD_STATS_MOONGEN;
		else if (strcmp(val, "csv") == 0)
			opt->stats_format = L2FWD_STATS_CSV;
		else if (strcmp(val, "json") == 0)
			opt->stats_format = L2FWD_STATS_JSON;
		else
			return app_fail(err, errlen,
			                "--stats-format '%s': unknown format: give plain, moongen, "
			                "csv or json",
			                val);
		break;
	case OPT_HELP:
		opt->help = true;
		break;
	}
	return 0;
}

int l2fwd_parse_options(struct l2fwd_options *opt, int argc, char *const argv[], char *err,
                        size_t errlen)
{
	memset(opt, 0, sizeof(*opt));
	opt->q_per_lcore = 1;
	opt->period_s = 1;
	opt->mac_updating = false; /* frames untouched: see doc/l2fwd.md */
	opt->promisc = true;
	opt->burst = 32;
	opt->mode = L2FWD_MODE_RTC;
	opt->ring_size = L2FWD_RING_SIZE;

	return app_parse_args(opt_defs, TERN_DIM(opt_defs), L2FWD_PROG, argc, argv, apply_opt, opt,
	                      err, errlen);
}

int l2fwd_resolve_ports(const struct l2fwd_options *opt, uint16_t nb_ports,
                        uint16_t pair[TERN_MAX_PORTS], char *err, size_t errlen)
{
	uint64_t present = nb_ports >= 64 ? UINT64_MAX : (1ull << nb_ports) - 1;
	uint64_t enabled = opt->portmask ? opt->portmask : present;
	uint16_t last = L2FWD_NO_PAIR;
	unsigned nb_enabled = 0;

	for (unsigned p = 0; p < TERN_MAX_PORTS; p++)
		pair[p] = L2FWD_NO_PAIR;
	if (nb_ports == 0)
		return app_fail(err, errlen,
		                "no ports: name some with EAL options, e.g. --vdev null0 "
		                "--vdev null1");
	if (enabled & ~present) {
		unsigned p = (unsigned)__builtin_ctzll(enabled & ~present);

		return app_fail(err, errlen,
		                "-p 0x%" PRIx64 ": port %u does not exist (%u ports): give a mask "
		                "within 0x%" PRIx64,
		                opt->portmask, p, nb_ports, present);
	}
	nb_enabled = (unsigned)__builtin_popcountll(enabled);

	if (opt->profile != L2FWD_PROFILE_L2) {
		const char *name = opt->profile == L2FWD_PROFILE_L3 ? "l3" : "reflector";

		if (opt->nb_pairs > 0)
			return app_fail(
			    err, errlen,
			    "--portmap pairs ports, but --profile %s chooses each frame's "
			    "port itself: leave --portmap out",
			    name);
		if (opt->profile == L2FWD_PROFILE_L3 && opt->mode != L2FWD_MODE_RTC)
			return app_fail(err, errlen,
			                "--profile l3 runs in --mode rtc only: leave --mode out");
		/* Each port's "pair" is itself: its frames' way out is decided per frame. */
		for (unsigned p = 0; p < nb_ports; p++) {
			if (!(enabled & (1ull << p)))
				continue;
			if (opt->profile == L2FWD_PROFILE_L3 && !opt->l3.addr_set[p])
				return app_fail(
				    err, errlen,
				    "--profile l3: port %u has no address: give e.g. --addr "
				    "%u:198.%u.1.1/24",
				    p, p, 18 + p % 2);
			pair[p] = (uint16_t)p;
		}
		return 0;
	}

	if (opt->nb_pairs > 0) {
		for (unsigned i = 0; i < opt->nb_pairs; i++) {
			for (int k = 0; k < 2; k++) {
				uint16_t p = opt->pairs[i][k];

				if (p >= nb_ports)
					return app_fail(
					    err, errlen,
					    "--portmap: port %u does not exist (%u ports): "
					    "pair ports 0 to %u",
					    p, nb_ports, nb_ports - 1);
				if (!(enabled & (1ull << p)))
					return app_fail(
					    err, errlen,
					    "--portmap: port %u is not in the -p mask: add "
					    "it to -p or leave it out of --portmap",
					    p);
			}
			pair[opt->pairs[i][0]] = opt->pairs[i][1];
			pair[opt->pairs[i][1]] = opt->pairs[i][0];
		}
		for (unsigned p = 0; p < nb_ports; p++)
			if ((enabled & (1ull << p)) && pair[p] == L2FWD_NO_PAIR)
				return app_fail(
				    err, errlen,
				    "port %u is enabled but in no --portmap pair: add it "
				    "to a pair or leave it out of -p",
				    p);
		return 0;
	}

	if (nb_enabled % 2)
		return app_fail(err, errlen,
		                "%u ports enabled, an odd number: pair them with --portmap or "
		                "leave one out with -p",
		                nb_enabled);
	for (unsigned p = 0; p < nb_ports; p++) {
		if (!(enabled & (1ull << p)))
			continue;
		if (last == L2FWD_NO_PAIR) {
			last = (uint16_t)p;
		} else {
			pair[last] = (uint16_t)p;
			pair[p] = last;
			last = L2FWD_NO_PAIR;
		}
	}
	return 0;
}
