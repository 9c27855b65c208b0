/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_buffers.h - the end-of-run check tern-l2fwd and tern-echo share:
 * once the ports are stopped and every ring drained, every packet buffer
 * must be back in its pool. The examples print "buffers: A/T returned" and
 * exit with their own status when some are missing.
 */
#ifndef EXAMPLES_APP_BUFFERS_H
#define EXAMPLES_APP_BUFFERS_H

#include <stdbool.h>

struct tern_mempool;

struct app_buffers {
	unsigned avail; /* in the pools now */
	unsigned total; /* the pools' sizes */
};

/* What n pools hold now against their sizes. */
struct app_buffers app_buffers_count(struct tern_mempool *const *pools, unsigned n);

/*
 * "buffers: A/T returned" on stdout and, when some are missing, one line on
 * stderr under prog. Returns whether every buffer is back.
 */
bool app_buffers_report(const char *prog, struct app_buffers b);

#endif /* EXAMPLES_APP_BUFFERS_H */
