/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_ffi.h - the inline fast path as exported functions, for hosts that
 * cannot call a static inline function: Python's ctypes, Rust or Go through
 * a hand-written extern "C" block, JNI, Lua's FFI.
 *
 * Each tern_ffi_X() does exactly what the inline tern_X() does (same
 * arguments, results, ownership and lack of checks in release builds); it is
 * the inline function compiled once into the library. The cost is one call
 * per burst (see doc/embedding.md for the figures). C and C++ hosts should
 * keep using the inline forms.
 */
#ifndef TERN_FFI_H
#define TERN_FFI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tern_mempool;
struct tern_pkt;

/* tern_port_rx_burst(), tern_port_tx_burst() (tern_port.h). */
uint16_t tern_ffi_port_rx_burst(uint16_t port, uint16_t queue, struct tern_pkt **pkts, uint16_t n);
uint16_t tern_ffi_port_tx_burst(uint16_t port, uint16_t queue, struct tern_pkt **pkts, uint16_t n);

/* tern_pkt_alloc(), tern_pkt_alloc_bulk(), tern_pkt_free(), tern_pkt_free_bulk() (tern_pkt.h). */
struct tern_pkt *tern_ffi_pkt_alloc(struct tern_mempool *mp);
int tern_ffi_pkt_alloc_bulk(struct tern_mempool *mp, struct tern_pkt **pkts, unsigned n);
void tern_ffi_pkt_free(struct tern_pkt *pkt);
void tern_ffi_pkt_free_bulk(struct tern_pkt **pkts, unsigned n);

/* tern_pkt_mtod(pkt, void *): the start of the packet's data. */
void *tern_ffi_pkt_mtod(struct tern_pkt *pkt);
/* tern_pkt_append(): grow the data at the end; the new bytes, or NULL. */
char *tern_ffi_pkt_append(struct tern_pkt *pkt, uint16_t len);
/* pkt->data_len and pkt->pkt_len, for hosts that do not mirror struct tern_pkt. */
uint16_t tern_ffi_pkt_data_len(const struct tern_pkt *pkt);
uint32_t tern_ffi_pkt_len(const struct tern_pkt *pkt);

/* tern_mempool_size() (tern_mempool.h) and tern_lcore_id() (tern_lcore.h). */
unsigned tern_ffi_mempool_size(const struct tern_mempool *mp);
unsigned tern_ffi_lcore_id(void);

#ifdef __cplusplus
}
#endif

#endif /* TERN_FFI_H */
