/* SPDX-License-Identifier: BSD-3-Clause */
/* held_log.c - see held_log.h. */
#include <stdio.h>

#include <tern_common.h>
#include <tern_log.h>

#include "held_log.h"

static struct {
	char lines[8][256];
	unsigned n;
} held;

static void hold_errors(void *arg, enum tern_log_level level, const char *component,
                        const char *msg)
{
	(void)arg;
	if (level <= TERN_LOG_ERR && held.n < TERN_DIM(held.lines))
		snprintf(held.lines[held.n++], sizeof(held.lines[0]), "tern: %s: %s", component,
		         msg);
	else if (level > TERN_LOG_ERR)
		fprintf(stderr, "tern: %s: %s\n", component, msg);
}

void hold_logs(void)
{
	held.n = 0;
	tern_log_set_callback(hold_errors, NULL);
}

void release_logs(bool print)
{
	for (unsigned i = 0; print && i < held.n; i++)
		fprintf(stderr, "%s\n", held.lines[i]);
	held.n = 0;
	tern_log_set_callback(NULL, NULL);
}
