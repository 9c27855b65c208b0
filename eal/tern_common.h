/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_common.h - small macros every part of tern shares.
 */
#ifndef TERN_COMMON_H
#define TERN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_CACHE_LINE_SIZE 64
#define TERN_CACHE_ALIGNED   __attribute__((aligned(TERN_CACHE_LINE_SIZE)))

#define tern_likely(x)   __builtin_expect(!!(x), 1)
#define tern_unlikely(x) __builtin_expect(!!(x), 0)

#define TERN_ALWAYS_INLINE inline __attribute__((always_inline))
#define TERN_UNUSED        __attribute__((unused))
#define TERN_EXPORT        __attribute__((visibility("default")))

/*
 * C11 spellings that C++ lacks, for the public headers: __thread is GNU C
 * and C++ alike (C++'s thread_local would route every access through a
 * wrapper function), __restrict is what g++ and clang++ accept.
 */
#ifdef __cplusplus
#define TERN_THREAD_LOCAL __thread
#define TERN_RESTRICT     __restrict
#else
#define TERN_THREAD_LOCAL _Thread_local
#define TERN_RESTRICT     restrict
#endif

/*
 * Around a struct that ends in a C99 flexible array member, which C++
 * compilers accept as an extension but name in -pedantic warnings.
 */
#ifdef __cplusplus
#define TERN_FLEX_ARRAY_BEGIN                                                                      \
	_Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wpedantic\"")
#define TERN_FLEX_ARRAY_END _Pragma("GCC diagnostic pop")
#else
#define TERN_FLEX_ARRAY_BEGIN
#define TERN_FLEX_ARRAY_END
#endif

/* Recover the containing struct from a pointer to one of its members. */
#define tern_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define TERN_DIM(a) (sizeof(a) / sizeof((a)[0]))

/* Round x up/down to a multiple of align (a power of two). */
#define TERN_ALIGN_CEIL(x, align)  (((x) + ((align)-1)) & ~((__typeof__(x))(align)-1))
#define TERN_ALIGN_FLOOR(x, align) ((x) & ~((__typeof__(x))(align)-1))

#define TERN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TERN_MAX(a, b) ((a) > (b) ? (a) : (b))

/* An I/O virtual address: what a device puts on the bus to reach our memory. */
typedef uint64_t tern_iova_t;
#define TERN_BAD_IOVA ((tern_iova_t)-1)

static inline int tern_is_power_of_2(uint64_t n)
{
	return n && !(n & (n - 1));
}

static inline uint32_t tern_align32pow2(uint32_t x)
{
	if (x <= 1)
		return 1;
	return 1u << (32 - __builtin_clz(x - 1));
}

/* The value of a hexadecimal digit, or -1 for any other character. */
static inline int tern_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hint to the CPU that we are spinning. */
static inline void tern_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

/*
 * Start fetching a cache line that will soon be read (tern_prefetch) or
 * written (tern_prefetch_w, which asks for the line exclusive, so a store to
 * a line another core last held does not wait for it). Hints only: no fault
 * on any address, no effect on correctness.
 */
static inline void tern_prefetch(const void *p)
{
	__builtin_prefetch(p, 0, 3);
}

static inline void tern_prefetch_w(const void *p)
{
#if defined(__x86_64__)
	/*
	 * PREFETCHW itself, whatever -march says: compilers only emit it for
	 * __builtin_prefetch(p, 1) when told the CPU has it (not x86-64-v3),
	 * and x86-64 CPUs without it (Intel before Broadwell) run it as a NOP.
	 */
	__asm__ volatile("prefetchw %0" : : "m"(*(const volatile char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

/*
 * Errors: functions that return a pointer return NULL and set tern_errno to a
 * positive errno value; functions that return int return a negative errno.
 */
extern TERN_THREAD_LOCAL int tern_errno __attribute__((tls_model("initial-exec")));

#ifdef __cplusplus
}
#endif

#endif /* TERN_COMMON_H */
