/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mp_test.h - what the mempool tests share: EAL up and down from a config
 * struct, and a check that a pool got every object back.
 */
#ifndef MP_TEST_H
#define MP_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_THREAD__)
#define MP_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP_UNDER_TSAN 1
#endif
#endif
#ifndef MP_UNDER_TSAN
#define MP_UNDER_TSAN 0
#endif

#if MP_UNDER_TSAN
/*
 * Criterion cannot start under ThreadSanitizer (its arena collides with
 * TSan's memory layout, Snaipe/Criterion#274): the concurrency tests then
 * run from a plain main() with these stand-ins for the asserts they use.
 */
static inline void mp_check_(bool ok, const char *what, const char *file, int line)
{
	if (!ok) {
		fprintf(stderr, "%s:%d: failed: %s\n", file, line, what);
		exit(1);
	}
}
#define cr_assert(c, ...)          mp_check_((c), #c, __FILE__, __LINE__)
#define cr_assert_eq(a, b, ...)    mp_check_((a) == (b), #a " == " #b, __FILE__, __LINE__)
#define cr_assert_lt(a, b, ...)    mp_check_((a) < (b), #a " < " #b, __FILE__, __LINE__)
#define cr_assert_not_null(p, ...) mp_check_((p) != NULL, #p " != NULL", __FILE__, __LINE__)
#else
#include <criterion/criterion.h>
#endif

#include "tern_eal.h"
#include "tern_lcore.h"
#include "tern_memory.h"
#include "tern_mempool.h"
#include "tern_test.h"

/*
 * Start the EAL on `cores` ("" = the current CPU). The default IOVA mode
 * goes through the shared helper (hugepages when enough are free, else
 * --no-huge); an explicit mode (PA) uses hugepages (--no-huge with PA is
 * refused: 4 KiB pages move).
 */
static inline void mp_eal_up(const char *cores, enum tern_iova_mode iova)
{
	struct tern_eal_config cfg;
	int ret;

	if (iova == TERN_IOVA_DC) {
		ret = tern_test_eal_init(cores);
	} else {
		tern_eal_config_init(&cfg);
		strlcpy(cfg.cores, cores, sizeof(cfg.cores));
		cfg.no_huge = iova != TERN_IOVA_PA;
		cfg.iova_mode = iova;
		ret = tern_eal_init(&cfg);
	}
	cr_assert_eq(ret, 0, "tern_eal_init: %d %s", ret, tern_eal_last_error());
}

static inline void mp_eal_down(void)
{
	cr_assert_eq(tern_eal_cleanup(), 0);
}

/* Every object of mp back, with the counters agreeing. */
static inline void mp_assert_all_back(const struct tern_mempool *mp)
{
	cr_assert_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp), "%s: %u of %u back",
	             tern_mempool_name(mp), tern_mempool_avail_count(mp), tern_mempool_size(mp));
	cr_assert_eq(tern_mempool_in_use_count(mp), 0);
}

static inline void mp_assert_accounting(const struct tern_mempool *mp, unsigned expect_in_use)
{
	cr_assert_eq(tern_mempool_avail_count(mp) + tern_mempool_in_use_count(mp),
	             tern_mempool_size(mp));
	cr_assert_eq(tern_mempool_in_use_count(mp), expect_in_use, "in use %u, expected %u",
	             tern_mempool_in_use_count(mp), expect_in_use);
}

#endif /* MP_TEST_H */
