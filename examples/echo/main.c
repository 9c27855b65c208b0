/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - tern-echo: start tern and lwIP, answer until told to stop, then
 * give everything back and check that every packet buffer came home.
 *
 *   tern-echo [EAL options] -- --ip A.B.C.D/NN [--port N] [--duration S]
 *             [-T S] [--json FILE]                      (see doc/echo.md)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tern_cycles.h>
#include <tern_lcore.h>
#include <tern_memory.h>
#include <tern_pkt.h>
#include <tern_ring.h>

#include "echo.h"
#include "app_opts.h"
#include "app_buffers.h"
#include "app_start.h"

atomic_bool echo_quit;

/* Give back the port, rings and pool (each may be absent). */
static void release(struct echo_app *app, bool port_open)
{
	if (port_open)
		tern_port_close(app->port);
	tern_ring_free(app->to_stack);
	tern_ring_free(app->from_stack);
	app->to_stack = app->from_stack = NULL;
	if (app->pool != NULL)
		tern_mempool_free(app->pool);
	app->pool = NULL;
}

/* Bad input: one line, everything given back, status 2. */
static int usage_error(struct echo_app *app, bool eal_up, bool port_open, const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, ECHO_PROG ": %s\n", msg);
	if (app != NULL)
		release(app, port_open);
	if (eal_up)
		tern_eal_cleanup();
	return ECHO_EXIT_USAGE;
}

static uint16_t clamp_desc(uint16_t want, uint16_t lo, uint16_t hi)
{
	if (hi && want > hi)
		return hi;
	return want < lo ? lo : want;
}

/* Port, pool and rings. Returns 0 or -1 with err set; *port_open says what to close. */
static int setup(struct echo_app *app, bool *port_open, char *err, size_t errlen)
{
	struct tern_port_info info;
	int socket, ret;

	*port_open = false;
	if (!tern_port_is_valid(app->port)) {
		if (tern_port_count() == 0)
			snprintf(err, errlen,
			         "no ports: name one with EAL options, e.g. --vdev "
			         "af_packet0,iface=veth0");
		else
			snprintf(err, errlen, "--port %u: no such port (%u ports): give 0 to %u",
			         app->port, (unsigned)tern_port_count(),
			         (unsigned)tern_port_count() - 1);
		return -1;
	}
	*port_open = true;
	ret = tern_port_info_get(app->port, &info);
	socket = ret == 0 && info.socket >= 0 ? info.socket : TERN_SOCKET_ID_ANY;
	app->pool = tern_pktpool_create("echo_pool", ECHO_POOL_SIZE, ECHO_POOL_CACHE, 0,
	                                TERN_PKT_DEFAULT_BUF_SIZE, socket);
	if (app->pool == NULL) {
		snprintf(err, errlen, "cannot create the packet pool: %s: give more memory (-m)",
		         strerror(tern_errno));
		return -1;
	}
	/* Both rings have one producer thread and one consumer thread. */
	app->to_stack = tern_ring_create("echo_to_stack", ECHO_RING_SIZE, socket,
	                                 TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ);
	app->from_stack = tern_ring_create("echo_from_stack", ECHO_RING_SIZE, socket,
	                                   TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ);
	if (app->to_stack == NULL || app->from_stack == NULL) {
		snprintf(err, errlen, "cannot create the rings: %s", strerror(tern_errno));
		return -1;
	}
	/*
	 * MTU 0: the driver's own choice, which for af_packet is the interface's
	 * MTU as its administrator set it (a NULL conf would force 1500).
	 * Frames over 1514 bytes are dropped as giants here anyway.
	 */
	struct tern_port_conf conf = {.mtu = 0};

	ret = tern_port_configure(app->port, 1, 1, &conf);
	if (ret == 0)
		ret = tern_port_rx_queue_setup(
		    app->port, 0, clamp_desc(ECHO_NB_DESC, info.rx_desc_min, info.rx_desc_max),
		    socket, app->pool);
	if (ret == 0)
		ret = tern_port_tx_queue_setup(
		    app->port, 0, clamp_desc(ECHO_NB_DESC, info.tx_desc_min, info.tx_desc_max),
		    socket);
	if (ret == 0)
		ret = tern_port_start(app->port);
	if (ret < 0) {
		snprintf(err, errlen, "port %u (%s): cannot start: %s", app->port, info.name,
		         tern_eal_last_error());
		return -1;
	}
	struct tern_ether_addr mac;

	ret = tern_port_mac_get(app->port, &mac);
	if (ret < 0) {
		snprintf(err, errlen, "port %u: no MAC address: %s", app->port, strerror(-ret));
		return -1;
	}
	memcpy(app->host.mac, mac.addr, 6);
	return 0;
}

static int run(struct echo_app *app)
{
	char mac[TERN_ETHER_ADDR_FMT_SIZE], err[ECHO_ERR_LEN];
	struct app_buffers bufs;
	double duration;
	FILE *json = NULL;
	int ret = 0;

	if (app->opt.json_path != NULL) {
		/* Opened before any traffic so that a bad path costs nothing. */
		json = fopen(app->opt.json_path, "w");
		if (json == NULL) {
			snprintf(err, sizeof(err),
			         "--json %s: cannot open: %s: give a writable path",
			         app->opt.json_path, strerror(errno));
			return usage_error(app, true, true, err);
		}
	}
	app->tsc_hz = tern_tsc_hz();
	echo_bucket_init(&app->udp_bucket, app->opt.udp_rate, app->tsc_hz, tern_rdtsc());
	if (echo_stack_start(app, err, sizeof(err)) < 0) {
		fprintf(stderr, ECHO_PROG ": %s\n", err);
		if (json)
			fclose(json);
		echo_stack_stop(app->stack);
		release(app, true);
		tern_eal_cleanup();
		return 1;
	}
	tern_ether_addr_format(mac, (const struct tern_ether_addr *)app->host.mac);
	printf("%s: %u.%u.%u.%u/%u at %s on port %u: ARP, ICMP echo, UDP and TCP echo on port 7\n",
	       ECHO_PROG, app->host.ip[0], app->host.ip[1], app->host.ip[2], app->host.ip[3],
	       app->opt.prefix, mac, app->port);
	fflush(stdout);

	app->start_tsc = tern_rdtsc();
	app->next_stats_tsc = app->start_tsc + (uint64_t)app->opt.period_s * app->tsc_hz;
	app->end_tsc =
	    app->opt.duration_s ? app->start_tsc + (uint64_t)app->opt.duration_s * app->tsc_hz : 0;
	echo_poll_loop(app);
	duration = (double)(tern_rdtsc() - app->start_tsc) / (double)app->tsc_hz;

	/*
	 * In-flight buffers: stop lwIP touching tern (under its core lock, which
	 * also orders its counter writes before our reads), then the rings, then
	 * what the stopped port gives back, then this lcore's pool cache.
	 */
	echo_stack_stop(app->stack);
	echo_ring_drain(app->to_stack);
	echo_ring_drain(app->from_stack);
	tern_port_stop(app->port);
	tern_mempool_cache_flush(app->pool, tern_lcore_id());
	bufs = app_buffers_count(&app->pool, 1);
	echo_stats_print_totals(app, duration);
	if (json != NULL) {
		if (echo_json_write(json, app, duration, bufs.avail, bufs.total) < 0) {
			fprintf(stderr, ECHO_PROG ": --json %s: write failed\n",
			        app->opt.json_path);
			ret = 1;
		}
		fclose(json);
	}
	release(app, true);
	if (!app_buffers_report(ECHO_PROG, bufs))
		ret = ECHO_EXIT_BUFFERS;
	tern_eal_cleanup();
	return ret;
}

static int parse_options(void *opt, int argc, char *const argv[], char *err, size_t errlen)
{
	return echo_parse_options(opt, argc, argv, err, errlen);
}

int main(int argc, char **argv)
{
	static struct echo_app app_storage;
	struct echo_app *app = &app_storage;
	char err[ECHO_ERR_LEN];
	bool port_open;

	switch (app_start(ECHO_PROG, argc, argv, parse_options, &app->opt, &app->opt.help,
	                  &echo_quit)) {
	case APP_START_RUN:
		break;
	case APP_START_HELP:
		echo_usage(stdout);
		return 0;
	case APP_START_USAGE:
		return ECHO_EXIT_USAGE;
	case APP_START_FAIL:
		return 1;
	}
	app->port = app->opt.port;
	memcpy(app->host.ip, app->opt.ip, 4);
	echo_prefix_mask(app->opt.prefix, app->host.mask);
	if (setup(app, &port_open, err, sizeof(err)) < 0)
		return usage_error(app, true, port_open, err);
	return run(app);
}
