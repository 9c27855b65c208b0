/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_cycles.h - a cheap cycle counter and its frequency.
 */
#ifndef TERN_CYCLES_H
#define TERN_CYCLES_H

#include <stdint.h>
#include <time.h>

static inline uint64_t tern_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

/*
 * Frequency of tern_rdtsc() in Hz: read from the CPU or measured once
 * (about 10 ms) on first use, then cached.
 */
uint64_t tern_tsc_hz(void);

/* Monotonic time in nanoseconds. */
static inline uint64_t tern_time_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* TERN_CYCLES_H */
