/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * held_log.h - for the examples' start-up: while tern parses options and
 * starts, hold back its ERR lines. If start-up fails, the user sees one line
 * (the example's, with tern_eal_last_error()) rather than the same message
 * twice; if it succeeds, the held lines are printed then. Other levels go
 * straight to stderr in tern's default format.
 */
#ifndef EXAMPLES_HELD_LOG_H
#define EXAMPLES_HELD_LOG_H

#include <stdbool.h>

/* Route tern's log through the holder. */
void hold_logs(void);

/* Print the held ERR lines (if print), forget them, restore tern's default sink. */
void release_logs(bool print);

#endif /* EXAMPLES_HELD_LOG_H */
