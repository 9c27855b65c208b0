/* SPDX-License-Identifier: BSD-3-Clause */
/* cycles.c - the frequency of tern_rdtsc(), measured once and cached. */
#include <stdatomic.h>
#include <time.h>

#include "tern_cycles.h"

static _Atomic uint64_t tsc_hz;

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t tern_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t measure(void)
{
#if defined(__x86_64__) || defined(__i386__)
	/*
	 * Count TSC ticks over ~10 ms of CLOCK_MONOTONIC_RAW (not slewed by
	 * NTP). CPUID leaf 0x15 is absent or zero on most VMs, so measuring is
	 * the path that always works; 10 ms keeps the error well under 0.1%.
	 */
	struct timespec sleep = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
	uint64_t t0 = raw_ns(), c0 = tern_rdtsc();

	nanosleep(&sleep, NULL);
	uint64_t t1 = raw_ns(), c1 = tern_rdtsc();

	if (t1 <= t0)
		return 1000000000ull;
	return (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
#else
	/* Elsewhere tern_rdtsc() counts nanoseconds. */
	return 1000000000ull;
#endif
}

uint64_t tern_tsc_hz(void)
{
	/*
	 * Relaxed is enough: the value is self-contained (no other data is
	 * published with it). Two threads racing on first use both measure and
	 * store nearly the same number, which is harmless.
	 */
	uint64_t hz = atomic_load_explicit(&tsc_hz, memory_order_relaxed);

	if (hz == 0) {
		hz = measure();
		atomic_store_explicit(&tsc_hz, hz, memory_order_relaxed);
	}
	return hz;
}
