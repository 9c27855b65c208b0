/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - tern-l2fwd: start tern, set up, forward until told to stop, then
 * give everything back and check that every packet buffer came home.
 *
 *   tern-l2fwd [EAL options] -- [options]     (see l2fwd_usage or doc/l2fwd.md)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tern_cycles.h>
#include <tern_eal.h>
#include <tern_lcore.h>

#include "l2fwd.h"
#include "app_opts.h"
#include "app_buffers.h"
#include "app_start.h"

atomic_bool l2fwd_quit;

/* Runs on the main lcore when next_tick_tsc has passed: stats and --duration. */
static bool tick(struct l2fwd_app *app)
{
	uint64_t now = tern_rdtsc();
	uint64_t period = (uint64_t)app->opt.period_s * app->tsc_hz;

	if (period && now >= app->next_stats_tsc) {
		l2fwd_stats_print_period(app);
		app->next_stats_tsc += period;
		if (app->next_stats_tsc <= now) /* we fell behind: skip, don't burst */
			app->next_stats_tsc = now + period;
	}
	if (app->end_tsc && now >= app->end_tsc) {
		atomic_store_explicit(&l2fwd_quit, true, memory_order_relaxed);
		return true;
	}
	app->next_tick_tsc = TERN_MIN(period ? app->next_stats_tsc : UINT64_MAX,
	                              app->end_tsc ? app->end_tsc : UINT64_MAX);
	return false;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int lcore_main(void *arg)
{
	struct l2fwd_lcore *lc = arg;
	struct l2fwd_app *app = lc->app;
	bool is_main = lc == &app->lcores[0];
	/*
	 * CPU time, not wall time: on a machine shared with other busy
	 * processes, cycles per packet stay meaningful (bench/).
	 */
	uint64_t t0 = thread_cpu_ns();
	int ret;

	switch (lc->role) {
	case L2FWD_ROLE_RTC:
		ret = l2fwd_rtc_loop(app, lc, is_main);
		break;
	case L2FWD_ROLE_RX:
		ret = l2fwd_rx_loop(app, lc, is_main);
		break;
	case L2FWD_ROLE_TX:
		ret = l2fwd_tx_loop(app, lc, is_main);
		break;
	default:
		ret = l2fwd_idle_loop(app, is_main);
		break;
	}
	lc->cpu_ns = thread_cpu_ns() - t0;
	return ret;
}

static void print_plan(const struct l2fwd_app *app)
{
	static const char *const role[] = {"idle", "rtc", "rx", "tx"};
	static const char *const profile[] = {"l2", "reflector", "l3"};

	printf("tern-l2fwd: %s mode, profile %s, %u lcores, burst %u, MAC updating %s, "
	       "promiscuous %s\n",
	       app->opt.mode == L2FWD_MODE_RTC ? "rtc" : "pipeline", profile[app->opt.profile],
	       app->nb_lcores, app->opt.burst, app->opt.mac_updating ? "on" : "off",
	       app->opt.promisc ? "on" : "off");
	for (unsigned l = 0; l < app->nb_lcores; l++) {
		const struct l2fwd_lcore *lc = &app->lcores[l];

		printf("lcore %u (%s):", lc->lcore_id, role[lc->role]);
		for (unsigned i = 0; i < lc->nb_rx; i++)
			printf(" rx %u.%u->%u", lc->rx[i].port, lc->rx[i].queue,
			       lc->rx[i].dst_port);
		for (unsigned i = 0; i < lc->nb_tx; i++)
			printf(" tx ring->%u.%u", lc->tx[i].port, lc->tx[i].queue);
		printf("\n");
	}
	fflush(stdout);
}

/* Bad input: one line, everything given back, status 2. */
static int usage_error(struct l2fwd_app *app, bool eal_up, const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, L2FWD_PROG ": %s\n", msg);
	if (app != NULL) {
		l2fwd_stop_ports(app);
		l2fwd_release(app);
	}
	if (eal_up)
		tern_eal_cleanup();
	return L2FWD_EXIT_USAGE;
}

static int run(struct l2fwd_app *app)
{
	unsigned l;
	struct app_buffers bufs;
	int ret = 0;
	double duration, cpu_s = 0;
	struct l2fwd_result res;
	FILE *json = NULL;

	if (app->opt.json_path != NULL) {
		/* Opened before any traffic so that a bad path costs nothing. */
		json = fopen(app->opt.json_path, "w");
		if (json == NULL) {
			char msg[L2FWD_ERR_LEN];

			snprintf(msg, sizeof(msg),
			         "--json %s: cannot open: %s: give a writable path",
			         app->opt.json_path, strerror(errno));
			return usage_error(app, true, msg);
		}
	}
	print_plan(app);
	app->tsc_hz = tern_tsc_hz();
	app->tick = tick;
	l2fwd_stats_begin(app);
	app->next_stats_tsc = app->start_tsc + (uint64_t)app->opt.period_s * app->tsc_hz;
	app->end_tsc =
	    app->opt.duration_s ? app->start_tsc + (uint64_t)app->opt.duration_s * app->tsc_hz : 0;
	app->next_tick_tsc = TERN_MIN(app->opt.period_s ? app->next_stats_tsc : UINT64_MAX,
	                              app->end_tsc ? app->end_tsc : UINT64_MAX);

	for (l = 1; l < app->nb_lcores; l++) {
		int r = tern_lcore_launch(app->lcores[l].lcore_id, lcore_main, &app->lcores[l]);

		if (r < 0) {
			fprintf(stderr, L2FWD_PROG ": lcore %u: launch: %s\n",
			        app->lcores[l].lcore_id, tern_last_error());
			atomic_store_explicit(&l2fwd_quit, true, memory_order_relaxed);
			ret = 1;
			break;
		}
	}
	if (ret == 0)
		lcore_main(&app->lcores[0]);
	/* The main lcore stopped (signal or --duration): stop the others too. */
	atomic_store_explicit(&l2fwd_quit, true, memory_order_relaxed);
	/* tern_lcore_wait() orders every worker's counter and ring writes before our reads. */
	for (unsigned w = 1; w < l; w++)
		if (tern_lcore_wait(app->lcores[w].lcore_id) != 0)
			ret = 1;
	duration = (double)(tern_rdtsc() - app->start_tsc) / (double)app->tsc_hz;
	for (unsigned i = 0; i < app->nb_lcores; i++)
		cpu_s += (double)app->lcores[i].cpu_ns / 1e9;

	/* In-flight packets: the rings, then what the stopped ports give back. */
	l2fwd_drain_rings(app);
	l2fwd_stop_ports(app);
	bufs = app_buffers_count(app->pools, app->nb_pools);
	l2fwd_stats_print_totals(app, duration);
	if (json != NULL) {
		res = (struct l2fwd_result){
		    .duration_s = duration,
		    .cpu_s = cpu_s,
		    .buffers_returned = bufs.avail,
		    .buffers_total = bufs.total,
		};
		if (l2fwd_json_write(json, app, &res) < 0) {
			fprintf(stderr, L2FWD_PROG ": --json %s: write failed\n",
			        app->opt.json_path);
			ret = 1;
		}
		fclose(json);
	}
	l2fwd_release(app);
	if (!app_buffers_report(L2FWD_PROG, bufs))
		ret = L2FWD_EXIT_BUFFERS;
	tern_eal_cleanup();
	return ret;
}

static int parse_options(void *opt, int argc, char *const argv[], char *err, size_t errlen)
{
	return l2fwd_parse_options(opt, argc, argv, err, errlen);
}

int main(int argc, char **argv)
{
	static struct l2fwd_app app_storage;
	struct l2fwd_app *app = &app_storage;
	char err[L2FWD_ERR_LEN];
	unsigned l;
	int n, ret;

	switch (app_start(L2FWD_PROG, argc, argv, parse_options, &app->opt, &app->opt.help,
	                  &l2fwd_quit)) {
	case APP_START_RUN:
		break;
	case APP_START_HELP:
		l2fwd_usage(stdout);
		return 0;
	case APP_START_USAGE:
		return L2FWD_EXIT_USAGE;
	case APP_START_FAIL:
		return 1;
	}

	app->nb_ports = tern_port_count();
	if (l2fwd_resolve_ports(&app->opt, app->nb_ports, app->pair, err, sizeof(err)) < 0)
		return usage_error(NULL, true, err);

	/* The main lcore first: it keeps the clock and prints the stats. */
	app->nb_lcores = tern_lcore_count();
	app->lcores = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*app->lcores) * app->nb_lcores);
	if (app->lcores == NULL)
		return usage_error(NULL, true, "out of memory");
	memset(app->lcores, 0, sizeof(*app->lcores) * app->nb_lcores);
	app->lcores[0].lcore_id = tern_lcore_main();
	n = 1;
	TERN_LCORE_FOREACH_WORKER (l) {
		if (n < (int)app->nb_lcores)
			app->lcores[n++].lcore_id = l;
	}
	for (l = 0; l < app->nb_lcores; l++)
		app->lcores[l].app = app;

	if (l2fwd_plan(app, err, sizeof(err)) < 0 || l2fwd_setup(app, err, sizeof(err)) < 0) {
		ret = usage_error(app, true, err);
		free(app->lcores);
		return ret;
	}
	ret = run(app);
	free(app->lcores);
	return ret;
}
