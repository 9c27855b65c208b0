/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_log.h - levelled logging per component, through a callback the host
 * application can replace.
 *
 * Every module logs under its own component name ("eal", "ring", "mempool",
 * "port", "null", ...). The level can be set for all components or for one.
 * Fast-path code uses TERN_DP_LOG, which compiles to nothing unless tern is
 * built with -DTERN_DEBUG.
 */
#ifndef TERN_LOG_H
#define TERN_LOG_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest component name, terminating NUL included. */
#define TERN_LOG_COMPONENT_LEN 32

enum tern_log_level {
	TERN_LOG_EMERG = 1,
	TERN_LOG_ALERT,
	TERN_LOG_CRIT,
	TERN_LOG_ERR,
	TERN_LOG_WARNING,
	TERN_LOG_NOTICE,
	TERN_LOG_INFO,
	TERN_LOG_DEBUG,
};

/*
 * A log sink. `msg` is one formatted line without a trailing newline.
 * It may be called from any thread, including lcores.
 */
typedef void (*tern_log_fn)(void *arg, enum tern_log_level level, const char *component,
                            const char *msg);

/* Replace the sink; NULL restores the default (stderr, "tern: component: msg"). */
void tern_log_set_callback(tern_log_fn fn, void *arg);

/* Set the level of one component, or of all (and the default) when component is NULL. */
int tern_log_set_level(const char *component, enum tern_log_level level);
enum tern_log_level tern_log_get_level(const char *component);

/*
 * Parse a level: a number 1-8 or a name ("err", "error", "warning", "info",
 * "debug", ...). Returns the level or -EINVAL.
 */
int tern_log_level_parse(const char *s);

/* Forget per-component levels and restore the default level (NOTICE). */
void tern_log_reset(void);

void tern_log(enum tern_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tern_vlog(enum tern_log_level level, const char *component, const char *fmt, va_list ap);

#define TERN_LOG(level, component, ...) tern_log(TERN_LOG_##level, component, __VA_ARGS__)

#ifdef TERN_DEBUG
#define TERN_DP_LOG(level, component, ...) TERN_LOG(level, component, __VA_ARGS__)
#else
#define TERN_DP_LOG(level, component, ...)                                                         \
	do {                                                                                       \
	} while (0)
#endif

#ifdef __cplusplus
}
#endif

#endif /* TERN_LOG_H */
