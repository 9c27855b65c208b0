/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_start.h - how a standalone example starts, in the one order they all
 * need: tern's EAL options, then "--" and the example's own, --help, the
 * EAL itself, then SIGINT/SIGTERM to stop. Any failure prints exactly one
 * line (tern's own, under the program's name, or the parser's).
 */
#ifndef EXAMPLES_APP_START_H
#define EXAMPLES_APP_START_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

enum app_start {
	APP_START_RUN,   /* the EAL is up and the signals stop *quit: run */
	APP_START_HELP,  /* --help: print the usage and exit 0; the EAL is not up */
	APP_START_USAGE, /* bad options (one line said why): exit with the usage code */
	APP_START_FAIL,  /* the signal handlers could not be set: exit 1 */
};

/* The example's own options: 0, or a negative errno with one line in err. */
typedef int (*app_parse_fn)(void *opt, int argc, char *const argv[], char *err, size_t errlen);

/*
 * Parse, then start. opt is handed to parse; *help is read after it (the
 * parser sets it for --help). The main lcore is pinned to its own core, as
 * in a DPDK application (an embedding host leaves it off: doc/embedding.md).
 */
enum app_start app_start(const char *prog, int argc, char **argv, app_parse_fn parse, void *opt,
                         const bool *help, atomic_bool *quit);

#endif /* EXAMPLES_APP_START_H */
