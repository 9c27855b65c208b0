/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mac.h - the MAC rewrite of --mac-updating, as DPDK's l2fwd does it.
 */
#ifndef L2FWD_MAC_H
#define L2FWD_MAC_H

#include <stdint.h>

#include <tern_ether.h>

/*
 * dst = 02:00:00:00:00:<dst port id> (locally administered, so it never
 * collides with a real NIC), src = the MAC of the port the frame leaves by.
 * Only the low byte of the port id fits, as in DPDK.
 */
static inline void l2fwd_mac_rewrite(struct tern_ether_hdr *eth, uint16_t dst_port,
                                     const struct tern_ether_addr *tx_mac)
{
	eth->dst.addr[0] = 0x02;
	eth->dst.addr[1] = 0;
	eth->dst.addr[2] = 0;
	eth->dst.addr[3] = 0;
	eth->dst.addr[4] = 0;
	eth->dst.addr[5] = (uint8_t)dst_port;
	eth->src = *tx_mac;
}

#endif /* L2FWD_MAC_H */
