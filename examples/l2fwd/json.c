/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * json.c - the --json summary of a run, for scripts and bench/.
 */
#include <inttypes.h>
#include <stdio.h>

#include "l2fwd.h"

int l2fwd_json_write(FILE *f, const struct l2fwd_app *app, const struct l2fwd_result *res)
{
	struct l2fwd_port_totals tot[TERN_MAX_PORTS];
	double s = res->duration_s > 0 ? res->duration_s : 1e-9;
	uint64_t sum_tx = 0;
	bool first = true;

	l2fwd_totals(app, tot);
	fprintf(f,
	        "{\n  \"duration_s\": %.6f,\n  \"mode\": \"%s\",\n  \"lcores\": %u,\n  "
	        "\"tsc_hz\": %" PRIu64 ",\n  \"ports\": [",
	        res->duration_s, app->opt.mode == L2FWD_MODE_RTC ? "rtc" : "pipeline",
	        app->nb_lcores, app->tsc_hz);
	for (uint16_t p = 0; p < app->nb_ports; p++) {
		const struct l2fwd_port_totals *t = &tot[p];

		if (app->pair[p] == L2FWD_NO_PAIR)
			continue;
		fprintf(f,
		        "%s\n    {\"port\": %u, \"pair\": %u, \"rx_pkts\": %" PRIu64
		        ", \"tx_pkts\": %" PRIu64
		        ", \"rx_mpps\": %.6f, \"tx_mpps\": %.6f, \"dropped\": %" PRIu64 "}",
		        first ? "" : ",", p, app->pair[p], t->rx, t->tx, (double)t->rx / s / 1e6,
		        (double)t->tx / s / 1e6, t->dropped);
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
