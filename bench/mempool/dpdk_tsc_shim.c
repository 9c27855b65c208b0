/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdk_tsc_shim.c - pick the rows of dpdk-test's mempool_perf_autotest that
 * bench/cases/mempool.sh compares, and give only those real time.
 *
 * DPDK 22.11's mempool_perf_autotest runs ~700 rows for a fixed TIME_S = 5 s
 * each (about an hour here) and has no option to choose rows. Two facts make
 * selection possible without touching what is measured:
 *
 *  - before each row it prints "mempool_autotest cache=%u cores=%u
 *    n_get_bulk=%u n_put_bulk=%u n_keep=%u constant_n=%u " (through
 *    __printf_chk, Debian builds with _FORTIFY_SOURCE), then launches the
 *    lcores of that row;
 *  - each lcore loops `while (elapsed_tsc / rte_get_timer_hz() < TIME_S)`,
 *    where rte_get_timer_hz() calls the exported rte_get_tsc_hz().
 *
 * Preloaded, this file watches that line and answers rte_get_tsc_hz() with
 * real_hz * TERN_DPDK_TIME_SCALE for a wanted row seen for the first time
 * (so it runs 5 s * scale), and real_hz / 100000 for every other row (so it
 * runs for one round of the loop, 65536 objects, and is ignored).
 * The case divides a wanted row's printed rate_persec (objects / TIME_S) by
 * the scale to get objects per second.
 *
 * Wanted: constant_n=0, n_get_bulk == n_put_bulk in {8, 32}, n_keep in
 * {32, 128}; any cache and cores (a later pass repeating the same key, like
 * "max cores" = 2 or the default-ops pool, is skipped).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_FMT "mempool_autotest cache=%u cores=%u n_get_bulk=%u n_put_bulk=%u n_keep=%u"

uint64_t rte_get_tsc_hz(void);
int __printf_chk(int flag, const char *fmt, ...);

static double row_scale = 1.0; /* set per row, read when its lcores start */
static char seen[64][64];
static unsigned nb_seen;

static int first_time(const char *key)
{
	unsigned i;

	for (i = 0; i < nb_seen; i++)
		if (strcmp(seen[i], key) == 0)
			return 0;
	if (nb_seen < 64)
		snprintf(seen[nb_seen++], sizeof(seen[0]), "%s", key);
	return 1;
}

static void pick_row(unsigned cache, unsigned cores, unsigned get, unsigned put, unsigned keep,
                     unsigned constant)
{
	const char *s = getenv("TERN_DPDK_TIME_SCALE");
	double scale = s ? atof(s) : 1.0;
	char key[64];

	if (!(scale > 0 && scale <= 1))
		scale = 1.0;
	snprintf(key, sizeof(key), "%u/%u/%u/%u", cache, cores, get, keep);
	if (constant == 0 && get == put && (get == 8 || get == 32) && (keep == 32 || keep == 128) &&
	    first_time(key))
		row_scale = scale;
	else
		row_scale = 1e-5;
}

int __printf_chk(int flag, const char *fmt, ...)
{
	static int (*real_vprintf_chk)(int, const char *, va_list);
	va_list ap;
	int ret;

	if (real_vprintf_chk == NULL)
		real_vprintf_chk =
		    (int (*)(int, const char *, va_list))dlsym(RTLD_NEXT, "__vprintf_chk");
	va_start(ap, fmt);
	if (strncmp(fmt, ROW_FMT, strlen(ROW_FMT)) == 0) {
		va_list cp;
		unsigned v[6], i;

		va_copy(cp, ap);
		for (i = 0; i < 6; i++)
			v[i] = va_arg(cp, unsigned);
		va_end(cp);
		pick_row(v[0], v[1], v[2], v[3], v[4], v[5]);
	}
	ret = real_vprintf_chk ? real_vprintf_chk(flag, fmt, ap) : vprintf(fmt, ap);
	va_end(ap);
	return ret;
}

uint64_t rte_get_tsc_hz(void)
{
	static uint64_t (*real)(void);
	uint64_t hz;

	if (real == NULL)
		real = (uint64_t(*)(void))dlsym(RTLD_NEXT, "rte_get_tsc_hz");
	if (real == NULL)
		return 0;
	hz = (uint64_t)((double)real() * row_scale);
	return hz ? hz : 1;
}
