/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * errors.c - tern's one error channel (tern_error.h), as a host sees it.
 *
 * Every bad field of struct tern_eal_config fails init with a negative
 * errno, one line in tern_last_error() that names the field, the same line
 * once through the host's log callback, and nothing on stderr. An error
 * after out-of-memory is there too, and tern_error() itself keeps its
 * promises (errno, count, context, no control characters).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tern_eal.h"
#include "tern_error.h"
#include "tern_memory.h"
#include "tern_ring.h"

#define MAX_LINES 8

struct capture {
	unsigned n, nb_err;
	char line[MAX_LINES][TERN_ERROR_LEN + 40];
};

static void capture_fn(void *arg, enum tern_log_level level, const char *component, const char *msg)
{
	struct capture *c = arg;

	if (level <= TERN_LOG_ERR)
		c->nb_err++;
	if (c->n < MAX_LINES)
		snprintf(c->line[c->n++], sizeof(c->line[0]), "%s: %s", component, msg);
}

/* Point fd 2 at a temporary file; stderr_restore() says how many bytes reached it. */
static int saved_stderr = -1;
static FILE *stderr_file;

static void stderr_capture(void)
{
	fflush(stderr);
	stderr_file = tmpfile();
	cr_assert_not_null(stderr_file);
	saved_stderr = dup(2);
	cr_assert_geq(saved_stderr, 0);
	cr_assert_geq(dup2(fileno(stderr_file), 2), 0);
}

static long stderr_restore(void)
{
	long len;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	len = ftell(stderr_file) >= 0 ? (fseek(stderr_file, 0, SEEK_END), ftell(stderr_file)) : -1;
	fclose(stderr_file);
	return len;
}

enum field {
	F_IOVA_MODE,
	F_LOG_LEVEL_HIGH,
	F_LOG_LEVEL_NEG,
	F_NB_PCI,
	F_NB_VDEV,
	F_NB_PLUGINS,
	F_NB_LOG_LEVELS,
	F_LL_LEVEL,
	F_LL_COMPONENT_EMPTY,
	F_LL_COMPONENT_UNTERMINATED,
	F_CORES_SYNTAX,
	F_CORES_UNTERMINATED,
	F_PCI_NAME,
	F_PCI_ACCESS,
	F_VDEV_NAME,
	F_PLUGIN_PATH,
	F_MEM_MB,
	F_VDEV_ARGS_UNTERMINATED,
	F_PLUGIN_UNTERMINATED,
};

static const struct {
	enum field f;
	const char *names; /* what the error line must say */
} cases[] = {
    {F_IOVA_MODE, "iova_mode"},
    {F_LOG_LEVEL_HIGH, "log_level"},
    {F_LOG_LEVEL_NEG, "log_level"},
    {F_NB_PCI, "nb_pci"},
    {F_NB_VDEV, "nb_vdev"},
    {F_NB_PLUGINS, "nb_plugins"},
    {F_NB_LOG_LEVELS, "nb_log_levels"},
    {F_LL_LEVEL, "log_levels[0].level"},
    {F_LL_COMPONENT_EMPTY, "log_levels[0].component"},
    {F_LL_COMPONENT_UNTERMINATED, "log_levels[0].component"},
    {F_CORES_SYNTAX, "cores"},
    {F_CORES_UNTERMINATED, "cores"},
    {F_VDEV_ARGS_UNTERMINATED, "vdev[0]"},
    {F_PLUGIN_UNTERMINATED, "plugins[0]"},
    {F_PCI_NAME, "zz:zz"},
    {F_PCI_ACCESS, "access"},
    {F_VDEV_NAME, "--vdev nope0"},
    {F_PLUGIN_PATH, "/nonexistent/tern-errors.so"},
    {F_MEM_MB, "-m"},
};

static void break_field(struct tern_eal_config *cfg, enum field f)
{
	switch (f) {
	case F_IOVA_MODE:
		cfg->iova_mode = (enum tern_iova_mode)7;
		break;
	case F_LOG_LEVEL_HIGH:
		cfg->log_level = 9;
		break;
	case F_LOG_LEVEL_NEG:
		cfg->log_level = -1;
		break;
	case F_NB_PCI:
		cfg->nb_pci = TERN_EAL_MAX_DEVARGS + 1;
		break;
	case F_NB_VDEV:
		cfg->nb_vdev = TERN_EAL_MAX_DEVARGS + 1;
		break;
	case F_NB_PLUGINS:
		cfg->nb_plugins = TERN_EAL_MAX_PLUGINS + 1;
		break;
	case F_NB_LOG_LEVELS:
		cfg->nb_log_levels = TERN_EAL_MAX_LOG_LEVELS + 1;
		break;
	case F_LL_LEVEL:
		cfg->nb_log_levels = 1;
		strcpy(cfg->log_levels[0].component, "eal");
		cfg->log_levels[0].level = 0;
		break;
	case F_LL_COMPONENT_EMPTY:
		cfg->nb_log_levels = 1;
		cfg->log_levels[0].level = TERN_LOG_INFO;
		break;
	case F_LL_COMPONENT_UNTERMINATED:
		cfg->nb_log_levels = 1;
		memset(cfg->log_levels[0].component, 'x', sizeof(cfg->log_levels[0].component));
		cfg->log_levels[0].level = TERN_LOG_INFO;
		break;
	case F_CORES_SYNTAX:
		strcpy(cfg->cores, "0-");
		break;
	case F_CORES_UNTERMINATED:
		memset(cfg->cores, '0', sizeof(cfg->cores));
		break;
	case F_PCI_NAME:
		cfg->nb_pci = 1;
		strcpy(cfg->pci[0].name, "zz:zz");
		break;
	case F_PCI_ACCESS:
		cfg->nb_pci = 1;
		strcpy(cfg->pci[0].name, "0000:00:1f.7");
		strcpy(cfg->pci[0].args, "access=bogus");
		break;
	case F_VDEV_NAME:
		cfg->nb_vdev = 1;
		strcpy(cfg->vdev[0].name, "nope0");
		break;
	case F_PLUGIN_PATH:
		cfg->nb_plugins = 1;
		strcpy(cfg->plugins[0], "/nonexistent/tern-errors.so");
		break;
	case F_VDEV_ARGS_UNTERMINATED:
		cfg->nb_vdev = 1;
		strcpy(cfg->vdev[0].name, "null0");
		memset(cfg->vdev[0].args, 'a', sizeof(cfg->vdev[0].args));
		break;
	case F_PLUGIN_UNTERMINATED:
		cfg->nb_plugins = 1;
		memset(cfg->plugins[0], 'p', sizeof(cfg->plugins[0]));
		break;
	case F_MEM_MB:
		cfg->mem_mb =
		    1; /* less than tern needs for anything: refused at init or first use */
		break;
	}
}

Test(errors, every_bad_config_field_is_one_line_through_the_callback_naming_it)
{
	static struct capture cap;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tern_eal_config cfg;
		int ret;

		if (cases[i].f == F_MEM_MB)
			continue; /* not an init-time check: see dma_alloc_over_the_limit below */
		tern_eal_config_init(&cfg);
		cfg.no_huge = true;
		cfg.log_fn = capture_fn;
		cfg.log_arg = &cap;
		break_field(&cfg, cases[i].f);
		memset(&cap, 0, sizeof(cap));
		tern_error_clear();

		stderr_capture();
		ret = tern_eal_init(&cfg);
		long on_stderr = stderr_restore();

		cr_expect_lt(ret, 0, "case %zu (%s): init returned %d", i, cases[i].names, ret);
		cr_expect_eq(tern_errno, -ret, "case %zu: tern_errno %d", i, tern_errno);
		cr_expect(strstr(tern_last_error(), cases[i].names) != NULL,
		          "case %zu: '%s' does not name %s", i, tern_last_error(), cases[i].names);
		cr_expect_eq(cap.nb_err, 1, "case %zu (%s): %u error lines, first '%s'", i,
		             cases[i].names, cap.nb_err, cap.line[0]);
		cr_expect_str_eq(cap.line[0], tern_last_error(), "case %zu", i);
		cr_expect_eq(on_stderr, 0, "case %zu (%s): %ld bytes on stderr", i, cases[i].names,
		             on_stderr);
		cr_expect_not(tern_eal_is_initialized());
		if (ret == 0)
			tern_eal_cleanup();
	}
}

Test(errors, dma_alloc_over_the_limit_and_out_of_memory_leave_a_line)
{
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	break_field(&cfg, F_MEM_MB);
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_last_error());
	tern_error_clear();
	cr_assert_null(tern_dma_zalloc("big", 8u << 20, 0, TERN_SOCKET_ID_ANY));
	cr_expect_eq(tern_errno, ENOMEM);
	cr_expect(strstr(tern_last_error(), "-m") != NULL, "%s", tern_last_error());

	/* More than the machine has: ENOMEM before anything is mapped, and still a line. */
	tern_error_clear();
	cr_assert_null(tern_dma_zalloc("huge", (size_t)1 << 60, 0, TERN_SOCKET_ID_ANY));
	cr_expect_eq(tern_errno, ENOMEM);
	cr_expect(strstr(tern_last_error(), "huge") != NULL, "'%s'", tern_last_error());

	/* A ring that cannot get its memory: the lower layer's line, once. */
	tern_error_clear();
	unsigned long before = tern_error_count();
	cr_assert_null(tern_ring_create("r", 1u << 20, TERN_SOCKET_ID_ANY, 0));
	cr_expect_eq(tern_errno, ENOMEM);
	cr_expect_eq(tern_error_count(), before + 1, "one error, not one per layer");
	cr_expect_neq(tern_last_error()[0], '\0');
	cr_assert_eq(tern_eal_cleanup(), 0);
}

Test(errors, tern_error_returns_negative_errno_and_records_one_line)
{
	unsigned long n = tern_error_count();

	cr_assert_eq(tern_error(ENOENT, "host", "no %s here", "frob"), -ENOENT);
	cr_assert_eq(tern_errno, ENOENT);
	cr_assert_str_eq(tern_last_error(), "host: no frob here");
	cr_assert_eq(tern_error(-EBUSY, NULL, "line\nbreak"), -EBUSY, "the sign does not matter");
	cr_assert_str_eq(tern_last_error(), "tern: line?break", "one line, whatever was quoted");
	cr_assert_eq(tern_error(0, "x", "zero"), -EINVAL, "a failure is never 0");
	cr_assert_eq(tern_error_count(), n + 3);
	cr_assert_str_eq(tern_eal_last_error(), tern_last_error(), "the old name is the same line");

	tern_error_context_set("port", "--vdev x0: driver x refused it");
	tern_error(EINVAL, "x", "size= must be a number");
	tern_error_context_clear();
	cr_assert_str_eq(tern_last_error(),
	                 "port: --vdev x0: driver x refused it: size= must be a number");
	tern_error_clear();
	cr_assert_str_eq(tern_last_error(), "");
}
