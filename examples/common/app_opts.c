/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_opts.c - the examples' option walker and stop signals (app_opts.h).
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_opts.h"

int app_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/*
	 * clang-tidy 14 reports `ap` uninitialized here when it analyses
	 * several files in one run (alone, this file is clean): va_start is
	 * right above.
	 */
	vsnprintf(err, errlen, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	return -EINVAL;
}

bool app_parse_u64(const char *s, int base, uint64_t *v)
{
	char *end;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return errno == 0 && *end == '\0';
}

/* The table entry arg names, and its value when joined to it ("-p3", "--burst=32"). */
static const struct app_opt *find_opt(const struct app_opt *defs, size_t nb_defs, const char *arg,
                                      const char **inline_val)
{
	*inline_val = NULL;
	for (size_t i = 0; i < nb_defs; i++) {
		const struct app_opt *d = &defs[i];
		size_t len = strlen(d->name);

		if (strncmp(arg, d->name, len) != 0)
			continue;
		if (arg[len] == '\0')
			return d;
		if (!d->has_arg)
			continue;
		if (d->name[1] == '-' && arg[len] == '=') {
			*inline_val = arg + len + 1;
			return d;
		}
		if (d->name[1] != '-') {
			*inline_val = arg + len;
			return d;
		}
	}
	return NULL;
}

int app_parse_args(const struct app_opt *defs, size_t nb_defs, const char *prog, int argc,
                   char *const argv[], app_opt_apply_fn apply, void *ctx, char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *val;
		const struct app_opt *d;
		int ret;

		if (arg[0] != '-' || arg[1] == '\0')
			return app_fail(
			    err, errlen,
			    "unexpected argument '%s': options start with '-' (see --help)", arg);
		d = find_opt(defs, nb_defs, arg, &val);
		if (d == NULL)
			return app_fail(err, errlen, "unknown option '%s': see %s -- --help", arg,
			                prog);
		if (d->has_arg && val == NULL) {
			if (i + 1 >= argc)
				return app_fail(err, errlen, "option '%s' needs a value: e.g. %s",
				                d->name, d->example);
			val = argv[++i];
		}
		ret = apply(ctx, d->id, val, err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static atomic_bool *stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	/* Relaxed: the flag carries no data. A lock-free atomic store is async-signal-safe. */
	atomic_store_explicit(stop_flag, true, memory_order_relaxed);
}

int app_stop_on_signals(atomic_bool *flag)
{
	struct sigaction sa;

	stop_flag = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	return 0;
}
