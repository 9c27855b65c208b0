/* SPDX-License-Identifier: BSD-3-Clause */
/* app_start.c - the examples' start-up sequence (app_start.h). */
#include <stdio.h>
#include <string.h>

#include "app_log.h"
#include "app_opts.h"
#include "app_start.h"
#include "tern_eal.h"

#define APP_START_ERR_LEN 512

enum app_start app_start(const char *prog, int argc, char **argv, app_parse_fn parse, void *opt,
                         const bool *help, atomic_bool *quit)
{
	struct tern_eal_config cfg;
	char err[APP_START_ERR_LEN];
	int n, first, ret;

	app_log_startup(prog);
	tern_eal_config_init(&cfg);
	n = tern_eal_parse_args(&cfg, argc, argv);
	if (n < 0) {
		app_log_default();
		return APP_START_USAGE; /* tern said why, once */
	}
	cfg.pin_main = true;
	first = 1 + n;
	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	if (parse(opt, argc - first, argv + first, err, sizeof(err)) < 0) {
		app_log_default();
		fprintf(stderr, "%s: %s\n", prog, err);
		return APP_START_USAGE;
	}
	if (*help) {
		app_log_default();
		return APP_START_HELP;
	}
	ret = tern_eal_init(&cfg);
	app_log_default();
	if (ret < 0)
		return APP_START_USAGE; /* tern said why, once */
	ret = app_stop_on_signals(quit);
	if (ret < 0) {
		fprintf(stderr, "%s: sigaction: %s\n", prog, strerror(-ret));
		tern_eal_cleanup();
		return APP_START_FAIL;
	}
	return APP_START_RUN;
}
