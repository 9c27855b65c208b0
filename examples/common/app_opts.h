/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_opts.h - what tern-l2fwd and tern-echo share for their own options
 * (those after "--") and for stopping on a signal.
 *
 * A small table-driven parser rather than getopt_long: every mistake must
 * come out as exactly one line that says how to fix it, and getopt prints
 * its own wording first. Short options take their value joined or separate
 * ("-p3", "-p 3"), long ones with '=' or separate ("--burst=32",
 * "--burst 32").
 */
#ifndef EXAMPLES_APP_OPTS_H
#define EXAMPLES_APP_OPTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app_opt {
	const char *name;    /* "-p" or "--portmap" */
	int id;              /* the example's own option number */
	bool has_arg;        /* takes a value */
	const char *example; /* shown when the value is missing: "-p 0x3" */
};

/* Apply one option: 0, or a negative errno with the one-line message in err. */
typedef int (*app_opt_apply_fn)(void *ctx, int id, const char *val, char *err, size_t errlen);

/*
 * Walk argv[0..argc) (the arguments after "--": no program name) through
 * the table, calling apply for each option found. An unknown option, a
 * stray argument or a missing value stops it with -EINVAL and one line in
 * err that names prog's --help.
 */
int app_parse_args(const struct app_opt *defs, size_t nb_defs, const char *prog, int argc,
                   char *const argv[], app_opt_apply_fn apply, void *ctx, char *err, size_t errlen);

/* Format the one-line message into err; returns -EINVAL. */
int app_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A whole string as an unsigned number in base (no sign, no spaces); false otherwise. */
bool app_parse_u64(const char *s, int base, uint64_t *v);

/*
 * SIGINT and SIGTERM set *flag (and nothing else: the forwarding loops poll
 * it). The handler is the application's: the tern library installs none.
 * 0 or -errno.
 */
int app_stop_on_signals(atomic_bool *flag);

#endif /* EXAMPLES_APP_OPTS_H */
