/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.c - the counters: a line per period, the totals at exit, --json.
 */
#include <inttypes.h>
#include <stdio.h>

#include <tern_cycles.h>

#include "echo.h"

void echo_stats_print_period(struct echo_app *app)
{
	struct echo_counters *c = &app->ctr;
	double t = (double)(tern_rdtsc() - app->start_tsc) / (double)app->tsc_hz;
	uint64_t drops = 0;

	for (unsigned r = ECHO_R_NONE + 1; r < ECHO_R_DROP_END; r++)
		drops += echo_ctr_get(&c->reason[r]);
	printf("[%7.1f s]", t);
	for (unsigned k = 0; k < ECHO_KIND_COUNT - 1; k++)
		printf(" %s %" PRIu64 "/%" PRIu64, echo_kind_name(k), echo_ctr_get(&c->in[k]),
		       echo_ctr_get(&c->out[k]));
	printf(" | dropped %" PRIu64 "\n", drops);
	fflush(stdout);
}

void echo_stats_print_totals(struct echo_app *app, double duration_s)
{
	struct echo_counters *c = &app->ctr;

	printf("%s: %.1f s on port %u\n", ECHO_PROG, duration_s, app->port);
	for (unsigned k = 0; k < ECHO_KIND_COUNT; k++)
		printf("%-5s in %" PRIu64 " out %" PRIu64 "\n", echo_kind_name(k),
		       echo_ctr_get(&c->in[k]), echo_ctr_get(&c->out[k]));
	printf("tcp connections %" PRIu64 ", bytes echoed %" PRIu64 "\n",
	       echo_ctr_get(&c->tcp_conns), echo_ctr_get(&c->tcp_bytes));
	for (unsigned r = ECHO_R_NONE + 1; r < ECHO_R_COUNT; r++) {
		uint64_t v = echo_ctr_get(&c->reason[r]);

		if (v)
			printf("%s %s: %" PRIu64 "\n", r < ECHO_R_DROP_END ? "dropped" : "ignored",
			       echo_reason_name(r), v);
	}
	printf("lost: tx_full %" PRIu64 ", to_stack_full %" PRIu64 ", stack_nobuf %" PRIu64
	       ", stack_ring_full %" PRIu64 ", stack_too_big %" PRIu64 ", rx_chained %" PRIu64 "\n",
	       echo_ctr_get(&c->tx_full), echo_ctr_get(&c->to_stack_full),
	       echo_ctr_get(&c->stack_nobuf), echo_ctr_get(&c->stack_ring_full),
	       echo_ctr_get(&c->stack_too_big), echo_ctr_get(&c->rx_chained));
	printf("bounds: tcp_refused %" PRIu64 ", tcp_source_refused %" PRIu64
	       ", tcp_syn_dropped %" PRIu64 ", tcp_mem_refused %" PRIu64
	       ", tcp_mem_aborted %" PRIu64 ", arp_limited %" PRIu64 ", udp_limited %" PRIu64
	       ", stack_mem_peak %" PRIu64 " bytes\n",
	       echo_ctr_get(&c->tcp_refused), echo_ctr_get(&c->tcp_source_refused),
	       echo_ctr_get(&c->tcp_syn_dropped), echo_ctr_get(&c->tcp_mem_refused),
	       echo_ctr_get(&c->tcp_mem_aborted), echo_ctr_get(&c->arp_limited),
	       echo_ctr_get(&c->udp_limited), echo_ctr_get(&c->stack_mem_peak));
	printf("arp: probes answered %" PRIu64 ", conflicts defended %" PRIu64 "\n",
	       echo_ctr_get(&c->arp_probes), echo_ctr_get(&c->arp_defended));
}

static void json_reasons(FILE *f, struct echo_counters *c, unsigned from, unsigned to)
{
	for (unsigned r = from; r < to; r++)
		fprintf(f, "%s\"%s\": %" PRIu64, r == from ? "" : ", ", echo_reason_name(r),
		        echo_ctr_get(&c->reason[r]));
}

int echo_json_write(FILE *f, struct echo_app *app, double duration_s, unsigned buffers_returned,
                    unsigned buffers_total)
{
	struct echo_counters *c = &app->ctr;
	const uint8_t *ip = app->host.ip;

	fprintf(f, "{\n  \"duration_s\": %.6f,\n  \"port\": %u,\n  \"ip\": \"%u.%u.%u.%u/%u\",\n",
	        duration_s, app->port, ip[0], ip[1], ip[2], ip[3], app->opt.prefix);
	for (int dir = 0; dir < 2; dir++) {
		fprintf(f, "  \"%s\": {", dir == 0 ? "in" : "out");
		for (unsigned k = 0; k < ECHO_KIND_COUNT; k++)
			fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "", echo_kind_name(k),
			        echo_ctr_get(dir == 0 ? &c->in[k] : &c->out[k]));
		fprintf(f, "},\n");
	}
	fprintf(f, "  \"dropped\": {");
	json_reasons(f, c, ECHO_R_NONE + 1, ECHO_R_DROP_END);
	fprintf(f, "},\n  \"ignored\": {");
	json_reasons(f, c, ECHO_R_IGNORE_FIRST + 1, ECHO_R_COUNT);
	fprintf(f,
	        "},\n  \"tcp_connections\": %" PRIu64 ",\n  \"tcp_bytes\": %" PRIu64
	        ",\n  \"tx_full\": %" PRIu64 ",\n  \"to_stack_full\": %" PRIu64
	        ",\n  \"stack_nobuf\": %" PRIu64 ",\n  \"stack_ring_full\": %" PRIu64
	        ",\n  \"stack_too_big\": %" PRIu64 ",\n  \"rx_chained\": %" PRIu64
	        ",\n  \"tcp_refused\": %" PRIu64 ",\n  \"tcp_source_refused\": %" PRIu64
	        ",\n  \"tcp_syn_dropped\": %" PRIu64 ",\n  \"tcp_mem_refused\": %" PRIu64
	        ",\n  \"tcp_mem_aborted\": %" PRIu64 ",\n  \"arp_limited\": %" PRIu64
	        ",\n  \"udp_limited\": %" PRIu64 ",\n  \"arp_probes\": %" PRIu64
	        ",\n  \"arp_defended\": %" PRIu64 ",\n  \"stack_mem_peak\": %" PRIu64
	        ",\n  \"buffers_returned\": %u,\n  \"buffers_total\": %u\n}\n",
	        echo_ctr_get(&c->tcp_conns), echo_ctr_get(&c->tcp_bytes), echo_ctr_get(&c->tx_full),
	        echo_ctr_get(&c->to_stack_full), echo_ctr_get(&c->stack_nobuf),
	        echo_ctr_get(&c->stack_ring_full), echo_ctr_get(&c->stack_too_big),
	        echo_ctr_get(&c->rx_chained), echo_ctr_get(&c->tcp_refused),
	        echo_ctr_get(&c->tcp_source_refused), echo_ctr_get(&c->tcp_syn_dropped),
	        echo_ctr_get(&c->tcp_mem_refused), echo_ctr_get(&c->tcp_mem_aborted),
	        echo_ctr_get(&c->arp_limited), echo_ctr_get(&c->udp_limited),
	        echo_ctr_get(&c->arp_probes), echo_ctr_get(&c->arp_defended),
	        echo_ctr_get(&c->stack_mem_peak), buffers_returned, buffers_total);
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
