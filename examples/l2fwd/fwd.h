/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fwd.h - what the rtc and pipeline loops share.
 */
#ifndef L2FWD_FWD_H
#define L2FWD_FWD_H

#include <tern_pkt.h>

#include "mac.h"

/* Rewrite a burst's MACs; prefetch a few frames ahead since each is a cache miss. */
static inline void l2fwd_mac_update_burst(struct tern_pkt **pkts, uint16_t n, uint16_t dst_port,
                                          const struct tern_ether_addr *tx_mac)
{
	enum { AHEAD = 4 };

	for (uint16_t i = 0; i < n && i < AHEAD; i++)
		__builtin_prefetch(tern_pkt_mtod(pkts[i], void *), 1);
	for (uint16_t i = 0; i < n; i++) {
		if (i + AHEAD < n)
			__builtin_prefetch(tern_pkt_mtod(pkts[i + AHEAD], void *), 1);
		l2fwd_mac_rewrite(tern_pkt_mtod(pkts[i], struct tern_ether_hdr *), dst_port,
		                  tx_mac);
	}
}

/* Reflector: each frame goes back to its sender, so its destination is the old source. */
static inline void l2fwd_mac_swap_burst(struct tern_pkt **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct tern_ether_hdr *eth = tern_pkt_mtod(pkts[i], struct tern_ether_hdr *);
		struct tern_ether_addr a = eth->dst;

		if (tern_unlikely(pkts[i]->data_len < TERN_ETHER_HDR_LEN))
			continue; /* no header to swap: sent back as it came */
		eth->dst = eth->src;
		eth->src = a;
	}
}

#endif /* L2FWD_FWD_H */
