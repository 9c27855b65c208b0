/* SPDX-License-Identifier: BSD-3-Clause */
/* ether.c - Ethernet address parsing (the rest of tern_ether.h is inline). */
#include <errno.h>

#include "tern_common.h"
#include "tern_ether.h"

int tern_ether_addr_parse(const char *s, struct tern_ether_addr *ea)
{
	struct tern_ether_addr tmp;

	if (s == NULL || ea == NULL)
		return -EINVAL;
	/* Exactly "xx:xx:xx:xx:xx:xx": two digits per byte, ':' between bytes. */
	for (int i = 0; i < TERN_ETHER_ADDR_LEN; i++) {
		int hi = tern_hexval(s[3 * i]), lo = hi < 0 ? -1 : tern_hexval(s[3 * i + 1]);
		char sep = lo < 0 ? 'x' : s[3 * i + 2];

		if (hi < 0 || lo < 0 || sep != (i == TERN_ETHER_ADDR_LEN - 1 ? '\0' : ':'))
			return -EINVAL;
		tmp.addr[i] = (uint8_t)(hi << 4 | lo);
	}
	*ea = tmp;
	return 0;
}
