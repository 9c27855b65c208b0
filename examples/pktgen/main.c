/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - tern-pktgen: start tern, check the request against the ports, set
 * them up, send and measure (or run the RFC 2544 search), report, give every
 * buffer back and check that it came home.
 *
 *   tern-pktgen [EAL options] -- [options]     (pg_usage, doc/benchmarking.md)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tern_cycles.h>
#include <tern_eal.h>
#include <tern_lcore.h>
#include <tern_mempool.h>
#include <tern_pkt.h>

#include "app_opts.h"
#include "app_start.h"
#include "pktgen.h"

static void release(struct pg_app *app)
{
	if (app->released)
		return;
	app->released = true;
	for (unsigned u = 0; u < app->nb_used; u++) {
		struct pg_port *p = &app->ports[app->used[u]];

		if (tern_port_is_started(p->id))
			tern_port_stop(p->id);
	}
	for (unsigned u = 0; u < app->nb_used; u++) {
		struct pg_port *p = &app->ports[app->used[u]];

		tern_port_close(p->id);
	}
}

static void free_app(struct pg_app *app)
{
	for (unsigned u = 0; u < app->nb_used; u++) {
		struct pg_port *p = &app->ports[app->used[u]];

		free(p->tmpl);
		free(p->seq);
		free(p->flow_tx);
		free(p->flow_rx);
	}
	free(app->hist);
	app->nb_used = 0;
}

/* Bad input: one line, everything given back, status 2. */
static int usage_error(struct pg_app *app, bool eal_up, const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, PG_PROG ": %s\n", msg);
	if (app != NULL) {
		release(app);
		free_app(app);
		if (app->pool != NULL)
			tern_mempool_free(app->pool);
	}
	if (eal_up)
		tern_eal_cleanup();
	return PG_EXIT_USAGE;
}

/* Ports, addresses and rates from the options and the ports themselves. */
static int plan(struct pg_app *app, char *err, size_t errlen)
{
	const struct pg_options *o = &app->opt;
	uint64_t mask = o->portmask ? o->portmask : (1ull << app->nb_ports) - 1;

	if (app->nb_ports == 0)
		return app_fail(err, errlen, "no ports: give one with --vdev, e.g. --vdev null0");
	for (uint16_t p = 0; p < TERN_MAX_PORTS; p++) {
		if (!(mask >> p & 1))
			continue;
		if (p >= app->nb_ports)
			return app_fail(err, errlen,
			                "-p 0x%llx names port %u, but there are %u ports (0..%u): "
			                "fix -p or add a --vdev",
			                (unsigned long long)mask, p, app->nb_ports,
			                app->nb_ports - 1);
		app->used[app->nb_used++] = p;
	}
	if (o->txmask & ~mask)
		return app_fail(err, errlen, "--tx-mask 0x%llx names ports not in -p 0x%llx",
		                (unsigned long long)o->txmask, (unsigned long long)mask);

	for (unsigned u = 0; u < app->nb_used; u++) {
		struct pg_port *p = &app->ports[app->used[u]];
		struct tern_link link;

		p->id = app->used[u];
		p->tx = o->txmask ? (o->txmask >> p->id & 1) : true;
		if (tern_port_mac_get(p->id, &p->mac) < 0)
			tern_ether_addr_local(&p->mac, p->id);
		p->speed_mbps = tern_port_link_get(p->id, &link) == 0 ? link.speed_mbps : 0;
		p->src_ip = o->port[p->id].src_ip_set
		                ? o->port[p->id].src_ip
		                : (198u << 24 | (18u + u) << 16 | 1u << 8 | 2u);
	}
	for (unsigned u = 0; u < app->nb_used; u++) {
		struct pg_port *p = &app->ports[app->used[u]];
		const struct pg_port *next = &app->ports[app->used[(u + 1) % app->nb_used]];
		const struct pg_port_opt *po = &o->port[p->id];
		struct pg_rate r = po->rate_set  ? po->rate
		                   : o->rate_set ? o->rate
		                                 : (struct pg_rate){.unit = PG_RATE_MAX};
		double wire;

		p->dst_ip = po->dst_ip_set ? po->dst_ip : next->src_ip;
		p->dst_mac = po->dst_mac_set ? po->dst_mac : next->mac;
		pg_set_rate(app, p, &r);
		wire = pg_rate_wire_mbit(app, &r);
		if (p->tx && p->speed_mbps && wire > p->speed_mbps)
			return app_fail(
			    err, errlen,
			    "port %u: --rate asks for %.0f Mbit/s on the wire, above the "
			    "port's link speed of %u Mbit/s: lower --rate",
			    p->id, wire, p->speed_mbps);
		if (o->rfc2544 && p->tx && r.unit == PG_RATE_MAX && p->speed_mbps == 0)
			return app_fail(
			    err, errlen,
			    "--rfc2544: port %u reports no link speed: give the search's "
			    "upper bound with --rate, e.g. --rate 1000",
			    p->id);
	}
	return 0;
}

/* The driver's descriptor limits applied to PG_NB_DESC (af_xdp lends RX at least 4096). */
static void desc_counts(uint16_t port, uint16_t *rxd, uint16_t *txd)
{
	struct tern_port_info info;

	*rxd = *txd = PG_NB_DESC;
	if (tern_port_info_get(port, &info) < 0)
		return;
	if (info.rx_desc_max && *rxd > info.rx_desc_max)
		*rxd = info.rx_desc_max;
	if (info.tx_desc_max && *txd > info.tx_desc_max)
		*txd = info.tx_desc_max;
	if (*rxd < info.rx_desc_min)
		*rxd = info.rx_desc_min;
	if (*txd < info.tx_desc_min)
		*txd = info.tx_desc_min;
}

static int setup(struct pg_app *app, char *err, size_t errlen)
{
	const struct pg_options *o = &app->opt;
	uint16_t rxd[TERN_MAX_PORTS], txd[TERN_MAX_PORTS];
	unsigned n = 0;
	size_t nt = (size_t)PG_MAX_SIZES * o->flows;

	for (unsigned u = 0; u < app->nb_used; u++) {
		struct pg_port *p = &app->ports[app->used[u]];

		p->tmpl = malloc(nt * PG_HDR_LEN);
		p->seq = calloc(o->flows, sizeof(*p->seq));
		p->flow_tx = calloc(o->flows, sizeof(*p->flow_tx));
		p->flow_rx = calloc(o->flows, sizeof(*p->flow_rx));
		if (!p->tmpl || !p->seq || !p->flow_tx || !p->flow_rx)
			return app_fail(err, errlen, "out of memory for %u flows", o->flows);
		pg_build_templates(app, p);
		/* Every descriptor may hold a buffer, plus a pending burst per port. */
		desc_counts(p->id, &rxd[p->id], &txd[p->id]);
		n += rxd[p->id] + txd[p->id] + o->burst;
	}
	app->hist = calloc(PG_HIST_MAX, sizeof(*app->hist));
	if (app->hist == NULL)
		return app_fail(err, errlen, "out of memory");
	/* One lcore's cache (up to 1.5x its size after a put, plus a get's refill), one RX burst.
	 */
	n += 3 * PG_POOL_CACHE + o->burst;
	app->pool = tern_pktpool_create("pktgen_pool", n, PG_POOL_CACHE, 0,
	                                TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	if (app->pool == NULL)
		return app_fail(err, errlen,
		                "cannot create a pool of %u packet buffers: %s: give more memory "
		                "(-m) or use fewer ports",
		                n, strerror(tern_errno));
	for (unsigned u = 0; u < app->nb_used; u++) {
		uint16_t p = app->used[u];
		int ret;

		if (tern_port_configure(p, 1, 1, NULL) < 0 ||
		    tern_port_rx_queue_setup(p, 0, rxd[p], TERN_SOCKET_ID_ANY, app->pool) < 0 ||
		    tern_port_tx_queue_setup(p, 0, txd[p], TERN_SOCKET_ID_ANY) < 0)
			return app_fail(err, errlen, "port %u: set-up: %s", p,
			                tern_eal_last_error());
		/* Frames come back addressed to another port's MAC, or through a router. */
		ret = tern_port_promisc_set(p, true);
		if (ret < 0 && ret != -ENOTSUP)
			return app_fail(err, errlen, "port %u: promiscuous mode: %s", p,
			                tern_eal_last_error());
	}
	for (unsigned u = 0; u < app->nb_used; u++)
		if (tern_port_start(app->used[u]) < 0)
			return app_fail(err, errlen, "port %u: start: %s", app->used[u],
			                tern_eal_last_error());
	return 0;
}

static FILE *open_out(const char *path, const char *opt, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		app_fail(err, errlen, "%s %s: cannot open: %s: give a writable path", opt, path,
		         strerror(errno));
	return f;
}

static void print_plan(const struct pg_app *app)
{
	for (unsigned u = 0; u < app->nb_used; u++) {
		const struct pg_port *p = &app->ports[app->used[u]];
		char mac[TERN_ETHER_ADDR_FMT_SIZE], dmac[TERN_ETHER_ADDR_FMT_SIZE];

		tern_ether_addr_format(mac, &p->mac);
		tern_ether_addr_format(dmac, &p->dst_mac);
		printf("port %u: %s, link %u Mbit/s, %s", p->id, mac, p->speed_mbps,
		       p->tx ? "sends" : "receives only");
		if (p->tx) {
			printf(" %u flow(s) %u.%u.%u.%u+ -> %u.%u.%u.%u (%s) at ", app->opt.flows,
			       p->src_ip >> 24, p->src_ip >> 16 & 255, p->src_ip >> 8 & 255,
			       p->src_ip & 255, p->dst_ip >> 24, p->dst_ip >> 16 & 255,
			       p->dst_ip >> 8 & 255, p->dst_ip & 255, dmac);
			if (p->rate.unit == PG_RATE_MAX)
				printf("max rate");
			else
				printf("%g %s", p->rate.value,
				       p->rate.unit == PG_RATE_MPPS ? "Mpps" : "Mbit/s (wire)");
		}
		printf("\n");
	}
	printf("frames: ");
	if (app->opt.imix)
		printf("IMIX 64/594/1518 B 7:4:1");
	else
		printf("%u B with CRC", app->opt.sizes[0]);
	printf(", burst %u\n", app->opt.burst);
	fflush(stdout);
}

static int run(struct pg_app *app)
{
	char err[PG_ERR_LEN];
	FILE *json = NULL, *hist = NULL;
	struct pg_trial t = {0};
	struct pg_rfc_row rows[PG_MAX_SIZES];
	int nb_rows = 0, ret = 0;
	unsigned avail, total;

	if (app->opt.json_path &&
	    (json = open_out(app->opt.json_path, "--json", err, sizeof(err))) == NULL)
		return usage_error(app, true, err);
	if (app->opt.hist_path &&
	    (hist = open_out(app->opt.hist_path, "--hist", err, sizeof(err))) == NULL) {
		if (json)
			fclose(json);
		return usage_error(app, true, err);
	}
	print_plan(app);
	if (app->opt.rfc2544) {
		nb_rows = pg_rfc2544(app, rows);
	} else {
		pg_reset_counters(app);
		pg_run(app, app->opt.duration_s, app->opt.period_s > 0, &t);
		pg_print_totals(app, &t);
	}
	release(app);
	avail = tern_mempool_avail_count(app->pool);
	total = tern_mempool_size(app->pool);
	if (hist) {
		if (pg_write_histogram(app, hist) < 0)
			ret = 1;
		fclose(hist);
	}
	if (json) {
		if (pg_write_json(json, app, &t, rows, nb_rows > 0 ? (unsigned)nb_rows : 0, avail,
		                  total) < 0)
			ret = 1;
		fclose(json);
	}
	tern_mempool_free(app->pool);
	app->pool = NULL;
	free_app(app);
	printf("buffers: %u/%u returned\n", avail, total);
	fflush(stdout);
	if (avail != total) {
		fprintf(stderr, PG_PROG ": %u packet buffers were not returned to their pool\n",
		        total - avail);
		ret = PG_EXIT_BUFFERS;
	}
	tern_eal_cleanup();
	return ret;
}

static int parse_options(void *opt, int argc, char *const argv[], char *err, size_t errlen)
{
	return pg_parse_options(opt, argc, argv, err, errlen);
}

int main(int argc, char **argv)
{
	static struct pg_app app_storage;
	struct pg_app *app = &app_storage;
	char err[PG_ERR_LEN];

	switch (
	    app_start(PG_PROG, argc, argv, parse_options, &app->opt, &app->opt.help, &pg_quit)) {
	case APP_START_RUN:
		break;
	case APP_START_HELP:
		pg_usage(stdout);
		return 0;
	case APP_START_USAGE:
		return PG_EXIT_USAGE;
	case APP_START_FAIL:
		return 1;
	}
	app->tsc_hz = tern_tsc_hz();
	app->ns_per_tick = 1e9 / (double)app->tsc_hz;
	app->nb_ports = tern_port_count();
	pg_set_pattern(app);
	if (plan(app, err, sizeof(err)) < 0) {
		app->nb_used = 0; /* nothing set up yet */
		return usage_error(app, true, err);
	}
	if (setup(app, err, sizeof(err)) < 0)
		return usage_error(app, true, err);
	return run(app);
}
