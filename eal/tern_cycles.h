/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_cycles.h - a cheap cycle counter and its frequency.
 */
#ifndef TERN_CYCLES_H
#define TERN_CYCLES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Monotonic time in nanoseconds. Out of line: clock_gettime() is POSIX, and
 * this header compiles under plain -std=c11, where <time.h> does not declare it.
 */
uint64_t tern_time_ns(void);

static inline uint64_t tern_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return tern_time_ns(); /* tern_tsc_hz() is then 1 GHz */
#endif
}

/*
 * Frequency of tern_rdtsc() in Hz: read from the CPU or measured once
 * (about 10 ms) on first use, then cached.
 */
uint64_t tern_tsc_hz(void);

#ifdef __cplusplus
}
#endif

#endif /* TERN_CYCLES_H */
