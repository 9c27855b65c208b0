/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_eal_args.c - tern_eal_parse_args() on an argv made from the input.
 *
 * The input is split on NUL bytes into arguments (argv[0] is "fuzz"). What
 * must hold whatever the input:
 *   - the return value is a count within argc - 1, or -EINVAL;
 *   - on error, tern_eal_last_error() is one non-empty line and the caller's
 *     config is left exactly as it was;
 *   - on success, every string in the config is NUL-terminated within its
 *     array and every count within its array's bound.
 * Logs go to a callback that drops them (the error line is checked instead).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tern_eal.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		__builtin_trap(); /* a string in the config is not terminated */
}

static void check_config(const struct tern_eal_config *c)
{
	if (c->nb_pci > TERN_EAL_MAX_DEVARGS || c->nb_vdev > TERN_EAL_MAX_DEVARGS ||
	    c->nb_plugins > TERN_EAL_MAX_PLUGINS || c->nb_log_levels > TERN_EAL_MAX_LOG_LEVELS)
		__builtin_trap();
	check_str(c->cores, sizeof(c->cores));
	for (unsigned i = 0; i < c->nb_pci; i++) {
		check_str(c->pci[i].name, sizeof(c->pci[i].name));
		check_str(c->pci[i].args, sizeof(c->pci[i].args));
	}
	for (unsigned i = 0; i < c->nb_vdev; i++) {
		check_str(c->vdev[i].name, sizeof(c->vdev[i].name));
		check_str(c->vdev[i].args, sizeof(c->vdev[i].args));
	}
	for (unsigned i = 0; i < c->nb_plugins; i++)
		check_str(c->plugins[i], sizeof(c->plugins[i]));
	for (unsigned i = 0; i < c->nb_log_levels; i++)
		check_str(c->log_levels[i].component, sizeof(c->log_levels[i].component));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tern_eal_config cfg, before;
	char *argv[MAX_ARGS + 1];
	char *buf;
	int argc = 0, ret;

	fuzz_quiet_log();
	/* One heap copy with a NUL after the end, so the last argument ends too. */
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"fuzz";
	for (size_t off = 0; off <= size && argc < MAX_ARGS;) {
		size_t len = strlen(buf + off);

		argv[argc++] = buf + off;
		off += len + 1;
	}
	argv[argc] = NULL;

	tern_eal_config_init(&cfg);
	before = cfg;
	ret = tern_eal_parse_args(&cfg, argc, argv);
	if (ret < 0) {
		const char *e = tern_eal_last_error();

		if (ret != -EINVAL || e[0] == '\0' || strchr(e, '\n') != NULL)
			__builtin_trap();
		if (memcmp(&cfg, &before, sizeof(cfg)) != 0)
			__builtin_trap(); /* a failed parse changed the caller's config */
	} else {
		if (ret > argc - 1)
			__builtin_trap();
		check_config(&cfg);
	}
	free(buf);
	return 0;
}
