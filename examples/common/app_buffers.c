/* SPDX-License-Identifier: BSD-3-Clause */
/* app_buffers.c - see app_buffers.h. */
#include <stdio.h>

#include <tern_mempool.h>

#include "app_buffers.h"

struct app_buffers app_buffers_count(struct tern_mempool *const *pools, unsigned n)
{
	struct app_buffers b = {0, 0};

	for (unsigned i = 0; i < n; i++) {
		b.avail += tern_mempool_avail_count(pools[i]);
		b.total += tern_mempool_size(pools[i]);
	}
	return b;
}

bool app_buffers_report(const char *prog, struct app_buffers b)
{
	printf("buffers: %u/%u returned\n", b.avail, b.total);
	fflush(stdout);
	if (b.avail == b.total)
		return true;
	fprintf(stderr, "%s: %u packet buffers were not returned to their pool\n", prog,
	        b.total - b.avail);
	return false;
}
