/* SPDX-License-Identifier: BSD-3-Clause */
/* app_log.c - see app_log.h. */
#include <stdio.h>

#include <tern_log.h>

#include "app_log.h"

static void startup_sink(void *arg, enum tern_log_level level, const char *component,
                         const char *msg)
{
	const char *prog = arg;

	/* One fprintf per line: stdio locks the stream, so lines never interleave. */
	fprintf(stderr, "%s: %s: %s\n", level <= TERN_LOG_ERR ? prog : "tern", component, msg);
}

void app_log_startup(const char *prog)
{
	tern_log_set_callback(startup_sink, (void *)prog);
}

void app_log_default(void)
{
	tern_log_set_callback(NULL, NULL);
}
