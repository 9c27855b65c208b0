/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * error.c - the thread's last error, set by tern_error() (tern_error.h).
 *
 * Thread-local and fixed-size: recording an error allocates nothing, so the
 * line is there after ENOMEM too, and two threads never see each other's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tern_common.h"
#include "tern_eal.h"
#include "tern_error.h"
#include "tern_log.h"

static _Thread_local char err_line[TERN_ERROR_LEN];
static _Thread_local unsigned long err_count;
static _Thread_local const char *ctx_component;
static _Thread_local const char *ctx_prefix;

int tern_verror(int err, const char *component, const char *fmt, va_list ap)
{
	char msg[TERN_ERROR_LEN];
	size_t len = 0;

	if (err < 0)
		err = -err;
	if (err == 0)
		err = EINVAL; /* a failure is never "success" */
	if (component == NULL)
		component = "tern";
	if (ctx_prefix != NULL) {
		component = ctx_component;
		strlcpy(msg, ctx_prefix, sizeof(msg));
		strlcat(msg, ": ", sizeof(msg));
		len = strlen(msg);
	}
	/* The analyzer loses track of va_start in our callers (a false positive). */
	vsnprintf(msg + len, sizeof(msg) - len, fmt,
	          ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	/*
	 * One line, whatever the caller quoted: a control character from user
	 * input (an argument holding a newline) would split it. Found by
	 * fuzz/fuzz_eal_args.c; replayed from fuzz/regressions/eal_args/.
	 */
	for (char *c = msg; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	/* "component: message", as the default sink prints it after "tern: ". */
	strlcpy(err_line, component, sizeof(err_line));
	strlcat(err_line, ": ", sizeof(err_line));
	strlcat(err_line, msg, sizeof(err_line));
	err_count++;
	tern_errno = err;
	tern_log(TERN_LOG_ERR, component, "%s", msg);
	return -err;
}

int tern_error(int err, const char *component, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = tern_verror(err, component, fmt, ap);
	va_end(ap);
	return ret;
}

const char *tern_last_error(void)
{
	return err_line;
}

const char *tern_eal_last_error(void)
{
	return err_line;
}

void tern_eal_set_error(const char *component, const char *fmt, ...)
{
	va_list ap;
	int saved = tern_errno;

	/* The older name: the same channel, but tern_errno is left as it was. */
	va_start(ap, fmt);
	tern_verror(EINVAL, component, fmt, ap);
	va_end(ap);
	tern_errno = saved;
}

void tern_error_clear(void)
{
	err_line[0] = '\0';
}

unsigned long tern_error_count(void)
{
	return err_count;
}

void tern_error_context_set(const char *component, const char *prefix)
{
	ctx_component = component ? component : "tern";
	ctx_prefix = prefix;
}

void tern_error_context_clear(void)
{
	ctx_component = NULL;
	ctx_prefix = NULL;
}
