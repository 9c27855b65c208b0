/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * abi_layout.c - TERN_DRIVER_ABI_VERSION covers every struct a plugin
 * compiles into its code.
 *
 * A plugin inlines the fast path (tern_port.h), the packet and mempool
 * calls (tern_pkt.h, tern_mempool.h, which inline the ring), reads
 * struct tern_pci_dev and fills struct tern_port_dev and its op table. Each
 * struct's size and field offsets are recorded below for the ABI version
 * they belong to: a change to any of them fails this test until the version
 * is bumped and the table rewritten, so an old plugin is refused by the
 * loader instead of reading a field at the wrong offset.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tern_driver.h"
#include "tern_mempool.h"
#include "tern_pci.h"
#include "tern_pkt.h"
#include "tern_ring.h"

#define LAYOUT_VERSION 3 /* the TERN_DRIVER_ABI_VERSION the table below describes */

static char buf[1024];
static size_t len;

static void put(const char *name, size_t v)
{
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s@%zu ", name, v);
}

#define BEGIN(T) (len = 0, put("size", sizeof(struct T)))
#define F(T, f)  put(#f, offsetof(struct T, f))

struct layout {
	const char *name;
	const char *want;
};

static const char *describe(const char *name)
{
#define IS(T) (strcmp(name, #T) == 0 && (BEGIN(T), 1))
	if (IS(tern_pkt)) {
		F(tern_pkt, buf_addr), F(tern_pkt, buf_iova), F(tern_pkt, data_off);
		F(tern_pkt, refcnt), F(tern_pkt, nb_segs), F(tern_pkt, port), F(tern_pkt, pkt_len);
		F(tern_pkt, data_len), F(tern_pkt, buf_len), F(tern_pkt, ol_flags);
		F(tern_pkt, rss_hash), F(tern_pkt, priv_size), F(tern_pkt, vlan_tci);
		F(tern_pkt, next), F(tern_pkt, pool);
	} else if (IS(tern_mempool)) {
		F(tern_mempool, ring), F(tern_mempool, cache_size), F(tern_mempool, size);
		F(tern_mempool, elt_size), F(tern_mempool, total_elt_size), F(tern_mempool, flags);
		F(tern_mempool, socket), F(tern_mempool, name), F(tern_mempool, mem);
		F(tern_mempool, mem_len), F(tern_mempool, ring_mem), F(tern_mempool, obj_tab);
		F(tern_mempool, user_data), F(tern_mempool, pkt_buf_len),
		    F(tern_mempool, local_cache);
	} else if (IS(tern_mempool_cache)) {
		F(tern_mempool_cache, len), F(tern_mempool_cache, size);
		F(tern_mempool_cache, flushthresh), F(tern_mempool_cache, objs);
	} else if (IS(tern_mempool_objhdr)) {
		F(tern_mempool_objhdr, iova), F(tern_mempool_objhdr, mp),
		    F(tern_mempool_objhdr, idx);
	} else if (IS(tern_ring)) {
		F(tern_ring, name), F(tern_ring, size), F(tern_ring, mask), F(tern_ring, capacity);
		F(tern_ring, flags), F(tern_ring, memory), F(tern_ring, prod),
		    F(tern_ring, prod_tail);
		F(tern_ring, cons), F(tern_ring, cons_tail), F(tern_ring, slots);
	} else if (IS(tern_pci_dev)) {
		F(tern_pci_dev, addr), F(tern_pci_dev, name), F(tern_pci_dev, vendor_id);
		F(tern_pci_dev, device_id), F(tern_pci_dev, subsys_vendor_id);
		F(tern_pci_dev, subsys_device_id), F(tern_pci_dev, class_id);
		F(tern_pci_dev, subclass_id), F(tern_pci_dev, prog_if), F(tern_pci_dev, revision);
		F(tern_pci_dev, numa_node), F(tern_pci_dev, kdriver), F(tern_pci_dev, access);
		F(tern_pci_dev, bar), F(tern_pci_dev, emul), F(tern_pci_dev, emul_ctx);
		F(tern_pci_dev, priv);
	} else if (IS(tern_pci_bar)) {
		F(tern_pci_bar, phys), F(tern_pci_bar, len), F(tern_pci_bar, io),
		    F(tern_pci_bar, va);
	} else if (IS(tern_port_dev)) {
		F(tern_port_dev, ops), F(tern_port_dev, rx_burst), F(tern_port_dev, tx_burst);
		F(tern_port_dev, mac), F(tern_port_dev, socket), F(tern_port_dev, name);
		F(tern_port_dev, drv), F(tern_port_dev, port_id), F(tern_port_dev, priv);
	} else if (IS(tern_port_ops)) {
		F(tern_port_ops, configure), F(tern_port_ops, info_get);
		F(tern_port_ops, rx_queue_setup), F(tern_port_ops, tx_queue_setup);
		F(tern_port_ops, rx_queue_release), F(tern_port_ops, tx_queue_release);
		F(tern_port_ops, start), F(tern_port_ops, stop), F(tern_port_ops, close);
		F(tern_port_ops, mac_set), F(tern_port_ops, promisc_set),
		    F(tern_port_ops, link_get);
		F(tern_port_ops, stats_get), F(tern_port_ops, queue_stats_get);
	} else if (IS(tern_driver)) {
		F(tern_driver, abi_version), F(tern_driver, name), F(tern_driver, bus);
		F(tern_driver, pci_ids), F(tern_driver, probe), F(tern_driver, pci_probe);
	} else if (IS(tern_qstats)) {
		F(tern_qstats, packets), F(tern_qstats, bytes), F(tern_qstats, errors);
		F(tern_qstats, nombuf), F(tern_qstats, missed);
	} else if (IS(tern_port_fp)) {
		F(tern_port_fp, rx_burst), F(tern_port_fp, tx_burst), F(tern_port_fp, rxq);
		F(tern_port_fp, txq);
	} else if (IS(tern_port_info)) {
		F(tern_port_info, name), F(tern_port_info, driver), F(tern_port_info, socket);
		F(tern_port_info, max_rx_queues), F(tern_port_info, max_tx_queues);
		F(tern_port_info, rx_desc_min), F(tern_port_info, rx_desc_max);
		F(tern_port_info, tx_desc_min), F(tern_port_info, tx_desc_max);
		F(tern_port_info, max_rx_pktlen), F(tern_port_info, capa);
	} else if (IS(tern_port_stats)) {
		F(tern_port_stats, ipackets), F(tern_port_stats, ibytes),
		    F(tern_port_stats, ierrors);
		F(tern_port_stats, opackets), F(tern_port_stats, obytes),
		    F(tern_port_stats, oerrors);
		F(tern_port_stats, rx_nombuf), F(tern_port_stats, imissed);
	} else if (IS(tern_queue_stats)) {
		F(tern_queue_stats, packets), F(tern_queue_stats, bytes),
		    F(tern_queue_stats, errors);
		F(tern_queue_stats, nombuf), F(tern_queue_stats, missed);
	} else if (IS(tern_link)) {
		F(tern_link, up), F(tern_link, full_duplex), F(tern_link, autoneg);
		F(tern_link, speed_mbps);
	} else if (IS(tern_port_conf)) {
		F(tern_port_conf, mtu), F(tern_port_conf, rss);
	} else if (strcmp(name, "constants") == 0) {
		/* Sizes the inline code bakes in. */
		len = 0;
		put("TERN_MAX_LCORE", TERN_MAX_LCORE), put("TERN_MAX_PORTS", TERN_MAX_PORTS);
		put("TERN_MAX_QUEUES_PER_PORT", TERN_MAX_QUEUES_PER_PORT);
		put("TERN_PKT_HEADROOM", TERN_PKT_HEADROOM);
		put("TERN_MEMPOOL_CACHE_MAX", TERN_MEMPOOL_CACHE_MAX);
		put("TERN_PORT_NAME_LEN", TERN_PORT_NAME_LEN);
	} else {
		return NULL;
	}
	return buf;
#undef IS
}

static const char *const names[] = {
    "tern_pkt",       "tern_mempool",    "tern_mempool_cache", "tern_mempool_objhdr",
    "tern_ring",      "tern_pci_dev",    "tern_pci_bar",       "tern_port_dev",
    "tern_port_ops",  "tern_driver",     "tern_qstats",        "tern_port_fp",
    "tern_port_info", "tern_port_stats", "tern_queue_stats",   "tern_link",
    "tern_port_conf", "constants",
};

/*
 * Recorded for LAYOUT_VERSION on x86-64 (LP64). To record a new version:
 * ABI_LAYOUT_PRINT=1 build/test/pmd/test_pmd_abi_layout > test/pmd/abi_layout.inc
 */
static const struct layout layouts[] = {
#include "abi_layout.inc"
};

static const char *recorded(const char *name)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (strcmp(layouts[i].name, name) == 0)
			return layouts[i].want;
	return NULL;
}

/* The recording tool: prints the table for abi_layout.inc. */
static void print_layouts(void) __attribute__((constructor));
static void print_layouts(void)
{
	if (getenv("ABI_LAYOUT_PRINT") == NULL)
		return;
	printf("/* Generated by ABI_LAYOUT_PRINT=1 test_pmd_abi_layout: driver ABI %d. */\n",
	       TERN_DRIVER_ABI_VERSION);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		printf("{\"%s\", \"%s\"},\n", names[i], describe(names[i]));
	exit(0);
}

Test(abi, every_inlined_struct_is_covered_by_the_driver_abi_version)
{
	unsigned bad = 0;

	cr_assert_eq(TERN_DRIVER_ABI_VERSION, LAYOUT_VERSION,
	             "TERN_DRIVER_ABI_VERSION is %d but the layouts here are for %d: record the "
	             "new layouts (test/pmd/abi_layout.inc) and set LAYOUT_VERSION",
	             TERN_DRIVER_ABI_VERSION, LAYOUT_VERSION);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *want = recorded(names[i]), *have = describe(names[i]);

		cr_assert_not_null(want, "struct %s: no recorded layout", names[i]);
		if (strcmp(have, want) != 0) {
			cr_log_error(
			    "struct %s changed without a driver ABI bump:\n  recorded %s\n  "
			    "now      %s",
			    names[i], want, have);
			bad++;
		}
	}
	cr_expect_eq(bad, 0,
	             "%u structs a plugin inlines changed: bump TERN_DRIVER_ABI_VERSION "
	             "(pmd/tern_driver.h) and record their layouts here",
	             bad);
}
