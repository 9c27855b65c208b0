/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_test.h - a seam for tests of the ring. Not installed and not exported
 * from libtern.so: tests that use it link libtern.a (tern_test_dep).
 */
#ifndef TERN_RING_TEST_H
#define TERN_RING_TEST_H

#include <stdint.h>

#include "tern_ring.h"

/*
 * Empty the ring and start all its indices at `start`, so a test can drive
 * the 32-bit counters across their wrap-around quickly. Same rules as
 * tern_ring_reset().
 */
void tern_ring_test_reset_at(struct tern_ring *r, uint32_t start);

#endif /* TERN_RING_TEST_H */
