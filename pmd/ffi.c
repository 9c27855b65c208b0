/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ffi.c - the inline fast path compiled once, for hosts that cannot inline
 * C (tern_ffi.h). Every function is its inline namesake, nothing more.
 */
#include "tern_ffi.h"
#include "tern_lcore.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "tern_port.h"

uint16_t tern_ffi_port_rx_burst(uint16_t port, uint16_t queue, struct tern_pkt **pkts, uint16_t n)
{
	return tern_port_rx_burst(port, queue, pkts, n);
}

uint16_t tern_ffi_port_tx_burst(uint16_t port, uint16_t queue, struct tern_pkt **pkts, uint16_t n)
{
	return tern_port_tx_burst(port, queue, pkts, n);
}

struct tern_pkt *tern_ffi_pkt_alloc(struct tern_mempool *mp)
{
	return tern_pkt_alloc(mp);
}

int tern_ffi_pkt_alloc_bulk(struct tern_mempool *mp, struct tern_pkt **pkts, unsigned n)
{
	return tern_pkt_alloc_bulk(mp, pkts, n);
}

void tern_ffi_pkt_free(struct tern_pkt *pkt)
{
	tern_pkt_free(pkt);
}

void tern_ffi_pkt_free_bulk(struct tern_pkt **pkts, unsigned n)
{
	tern_pkt_free_bulk(pkts, n);
}

void *tern_ffi_pkt_mtod(struct tern_pkt *pkt)
{
	return tern_pkt_mtod(pkt, void *);
}

char *tern_ffi_pkt_append(struct tern_pkt *pkt, uint16_t len)
{
	return tern_pkt_append(pkt, len);
}

uint16_t tern_ffi_pkt_data_len(const struct tern_pkt *pkt)
{
	return pkt->data_len;
}

uint32_t tern_ffi_pkt_len(const struct tern_pkt *pkt)
{
	return pkt->pkt_len;
}

unsigned tern_ffi_mempool_size(const struct tern_mempool *mp)
{
	return tern_mempool_size(mp);
}

unsigned tern_ffi_lcore_id(void)
{
	return tern_lcore_id();
}
