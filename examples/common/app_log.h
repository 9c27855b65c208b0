/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_log.h - for the examples' start-up: while tern parses options and
 * starts, its error lines (tern_error(): one per failure) come out as the
 * program's own, "tern-l2fwd: eal: unknown option ...", so that a failed
 * start prints exactly one line and the example prints nothing more. Other
 * levels keep tern's default format ("tern: component: message").
 */
#ifndef EXAMPLES_APP_LOG_H
#define EXAMPLES_APP_LOG_H

/* Route tern's log through the start-up sink, ERR lines prefixed with prog. */
void app_log_startup(const char *prog);

/* Back to tern's default sink. */
void app_log_default(void);

#endif /* EXAMPLES_APP_LOG_H */
