/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_error.h - tern's one error channel.
 *
 * Every failing call of tern returns a negative errno (or NULL with
 * tern_errno set) after exactly one call of tern_error(), which
 *   - records the calling thread's last error as "component: message",
 *   - logs the same line once, at ERR, through the log sink (tern_log.h),
 *   - sets tern_errno to the positive errno,
 *   - and returns the negative errno, so that `return tern_error(...)` ends
 *     a failing function.
 * The message says what is wrong and how to fix it, in one line. Nothing is
 * allocated: the line is right after an out-of-memory failure too.
 *
 * Drivers and applications built on tern use the same call, so a host reads
 * every failure from one place: tern_last_error(), or its log callback.
 */
#ifndef TERN_ERROR_H
#define TERN_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest error line, terminating NUL included (longer lines are cut). */
#define TERN_ERROR_LEN 512

/*
 * Record and log the calling thread's error; returns -|err| (-EINVAL for 0).
 * component is the module's log component ("eal", "port", "null", ...).
 */
int tern_error(int err, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tern_verror(int err, const char *component, const char *fmt, va_list ap);

/* The calling thread's last error line ("" if none since tern_error_clear()). */
const char *tern_last_error(void);

/* Forget the calling thread's last error. */
void tern_error_clear(void);

/*
 * How many errors the calling thread has recorded so far: a caller that
 * must know whether a callee said why it failed compares two readings.
 */
unsigned long tern_error_count(void);

/*
 * Context for the errors of a callee: while set on a thread, tern_error()
 * records and logs "component: prefix: message" (the callee's component is
 * replaced), so that one line says both which object failed and why. The
 * port layer sets "--vdev null0,size=x: driver null refused it" around a
 * driver's probe. Both strings must live until tern_error_context_clear().
 */
void tern_error_context_set(const char *component, const char *prefix);
void tern_error_context_clear(void);

#ifdef __cplusplus
}
#endif

#endif /* TERN_ERROR_H */
