/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --mac-updating: the rewrite tern-l2fwd applies to every frame (no port
 * that shows frames exists yet, so the function is tested directly).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "mac.h"

Test(mac_rewrite, dst_is_port_address_src_is_tx_mac_rest_untouched)
{
	uint8_t frame[64];
	const struct tern_ether_addr tx_mac = {{0x02, 0x74, 0x00, 0x00, 0x00, 0x07}};
	const uint8_t want_dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x05};
	uint8_t before[64];

	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(0xa0 + i);
	memcpy(before, frame, sizeof(frame));

	l2fwd_mac_rewrite((struct tern_ether_hdr *)frame, 5, &tx_mac);

	cr_assert_arr_eq(frame, want_dst, 6);
	cr_assert_arr_eq(frame + 6, tx_mac.addr, 6);
	/* EtherType and payload are the sender's: MoonGen's checks rely on it. */
	cr_assert_arr_eq(frame + 12, before + 12, sizeof(frame) - 12);
}

Test(mac_rewrite, port_id_low_byte_as_dpdk)
{
	struct tern_ether_hdr eth;
	const struct tern_ether_addr tx_mac = {{0x02, 0x74, 0, 0, 0x01, 0x02}};

	memset(&eth, 0xff, sizeof(eth));
	l2fwd_mac_rewrite(&eth, 0x0112, &tx_mac);
	cr_assert_eq(eth.dst.addr[5], 0x12);
	cr_assert_eq(eth.dst.addr[0], 0x02);
	cr_assert_eq(eth.dst.addr[4], 0x00);
	cr_assert_eq(eth.ether_type, 0xffff);
}
