/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * json.c - the --json summary of a run, for scripts and bench/.
 */
#include <inttypes.h>
#include <stdio.h>

#include "l2fwd.h"

static const char *const role_name[] = {
    [L2FWD_ROLE_IDLE] = "idle",
    [L2FWD_ROLE_RTC] = "rtc",
    [L2FWD_ROLE_RX] = "rx",
    [L2FWD_ROLE_TX] = "tx",
};

static const char *const profile_name[] = {
    [L2FWD_PROFILE_L2] = "l2",
    [L2FWD_PROFILE_REFLECTOR] = "reflector",
    [L2FWD_PROFILE_L3] = "l3",
};

int l2fwd_json_write(FILE *f, const struct l2fwd_app *app, const struct l2fwd_result *res)
{
	struct l2fwd_port_totals tot[TERN_MAX_PORTS];
	double s = res->duration_s > 0 ? res->duration_s : 1e-9;
	uint64_t sum_tx = 0;
	bool first = true;

	l2fwd_totals(app, tot);
	fprintf(f,
	        "{\n  \"duration_s\": %.6f,\n  \"mode\": \"%s\",\n  \"profile\": \"%s\",\n  "
	        "\"lcores\": %u,\n  \"tsc_hz\": %" PRIu64 ",\n  \"lcore_cpu\": [",
	        res->duration_s, app->opt.mode == L2FWD_MODE_RTC ? "rtc" : "pipeline",
	        profile_name[app->opt.profile], app->nb_lcores, app->tsc_hz);
	/* Per lcore, so that a pipeline's RX and TX costs can be told apart. */
	for (unsigned l = 0; l < app->nb_lcores; l++)
		fprintf(f, "%s{\"lcore\": %u, \"role\": \"%s\", \"cpu_s\": %.6f}", l ? ", " : "",
		        app->lcores[l].lcore_id, role_name[app->lcores[l].role],
		        (double)app->lcores[l].cpu_ns / 1e9);
	fprintf(f, "],\n  \"ports\": [");
	for (uint16_t p = 0; p < app->nb_ports; p++) {
		const struct l2fwd_port_totals *t = &tot[p];

		if (app->pair[p] == L2FWD_NO_PAIR)
			continue;
		fprintf(f,
		        "%s\n    {\"port\": %u, \"pair\": %u, \"rx_pkts\": %" PRIu64
		        ", \"tx_pkts\": %" PRIu64
		        ", \"rx_mpps\": %.6f, \"tx_mpps\": %.6f, \"dropped\": %" PRIu64
		        ", \"imissed\": %" PRIu64 ", \"rx_nombuf\": %" PRIu64
		        ", \"local\": %" PRIu64 ", \"unroutable\": %" PRIu64
		        ", \"no_arp\": %" PRIu64 ", \"ttl\": %" PRIu64 ", \"bad\": %" PRIu64 "}",
		        first ? "" : ",", p, app->pair[p], t->rx, t->tx, (double)t->rx / s / 1e6,
		        (double)t->tx / s / 1e6, t->dropped, t->imissed, t->rx_nombuf, t->local,
		        t->unroutable, t->no_arp, t->ttl, t->bad);
		first = false;
		sum_tx += t->tx;
	}
	fprintf(f,
	        "\n  ],\n  \"total_mpps\": %.6f,\n  \"tx_pkts\": %" PRIu64
	        ",\n  \"cpu_s\": %.6f,\n  \"buffers_returned\": %u,\n  \"buffers_total\": %u\n}\n",
	        (double)sum_tx / s / 1e6, sum_tx, res->cpu_s, res->buffers_returned,
	        res->buffers_total);
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
