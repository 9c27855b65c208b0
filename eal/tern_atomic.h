/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_atomic.h - C11 atomics for tern's inline fast paths, in C and in C++.
 *
 * tern's headers are C11: their fields are _Atomic(T) and their inline
 * functions call atomic_load_explicit() and friends. C++23 spells the same
 * thing <stdatomic.h>; for C++17 and C++20 this header does what that one
 * does: _Atomic(T) is std::atomic<T> (same size, alignment and lock-free
 * representation on GCC and Clang, checked below) and the C names are
 * brought into the global namespace. Use the _Atomic(T) form in public
 * headers: the qualifier form (_Atomic T) has no C++ equivalent.
 */
#ifndef TERN_ATOMIC_H
#define TERN_ATOMIC_H

#ifndef __cplusplus
#include <stdatomic.h>
#elif __cplusplus > 202002L && defined(__has_include) && __has_include(<stdatomic.h>)
#include <stdatomic.h>
#else
/* extern "C++": a host may include tern's headers inside its own extern "C". */
extern "C++" {
#include <atomic>
#include <cstdint>

#define _Atomic(T) std::atomic<T>

using std::memory_order;
using std::memory_order_acq_rel;
using std::memory_order_acquire;
using std::memory_order_consume;
using std::memory_order_relaxed;
using std::memory_order_release;
using std::memory_order_seq_cst;

using std::atomic_compare_exchange_strong_explicit;
using std::atomic_compare_exchange_weak_explicit;
using std::atomic_exchange_explicit;
using std::atomic_fetch_add_explicit;
using std::atomic_fetch_and_explicit;
using std::atomic_fetch_or_explicit;
using std::atomic_fetch_sub_explicit;
using std::atomic_load;
using std::atomic_load_explicit;
using std::atomic_signal_fence;
using std::atomic_store;
using std::atomic_store_explicit;
using std::atomic_thread_fence;
}
#endif

#ifdef __cplusplus
/* Structs shared with the C library must have the C layout. */
static_assert(sizeof(_Atomic(uint16_t)) == 2 && alignof(_Atomic(uint16_t)) == 2,
              "_Atomic(uint16_t) differs between C and C++");
static_assert(sizeof(_Atomic(uint32_t)) == 4 && alignof(_Atomic(uint32_t)) == 4,
              "_Atomic(uint32_t) differs between C and C++");
static_assert(sizeof(_Atomic(uint64_t)) == 8 && alignof(_Atomic(uint64_t)) == 8,
              "_Atomic(uint64_t) differs between C and C++");
#endif

#endif /* TERN_ATOMIC_H */
