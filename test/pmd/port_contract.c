/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_contract.c - the port API's rules: calls out of order, bad ids and
 * bad arguments are refused with the errno tern_port.h promises, and the
 * life cycle configure -> setup -> start -> stop -> start -> close works.
 * Criterion runs each test in its own process.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "pmd_test.h"

static struct tern_mempool *mp;

static void setup(void)
{
	cr_assert_eq(pmd_test_init(NULL, "null0", "net_null1", (char *)NULL), 0, "init: %s",
	             tern_eal_last_error());
	mp = tern_pktpool_create("contract", 1023, 64, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
}

static void teardown(void)
{
	uint16_t p;

	TERN_PORT_FOREACH (p)
		tern_port_close(p);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp),
	             "every buffer is back in its pool");
	tern_mempool_free(mp);
	cr_expect_eq(tern_eal_cleanup(), 0);
}

TestSuite(port, .init = setup, .fini = teardown);

Test(port, ports_numbered_in_vdev_order)
{
	struct tern_port_info info;
	uint16_t id;

	cr_assert_eq(tern_port_count(), 2);
	cr_assert_eq(tern_port_info_get(0, &info), 0);
	cr_expect_str_eq(info.name, "null0");
	cr_expect_str_eq(info.driver, "null");
	cr_assert_eq(tern_port_info_get(1, &info), 0);
	cr_expect_str_eq(info.name, "net_null1");
	cr_expect_eq(tern_port_by_name("net_null1", &id), 0);
	cr_expect_eq(id, 1);
	cr_expect_eq(tern_port_by_name("null7", &id), -ENODEV);
	cr_expect(info.capa & TERN_PORT_CAPA_MULTI_SEG_TX);
	cr_expect_eq(info.max_rx_queues, 16);
}

Test(port, wrong_order_is_refused)
{
	/* Nothing before configure. */
	cr_expect_eq(tern_port_start(0), -EINVAL);
	cr_expect_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), -EINVAL);
	cr_expect_eq(tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY), -EINVAL);

	cr_assert_eq(tern_port_configure(0, 2, 1, NULL), 0);
	/* Start before every queue is set up. */
	cr_expect_eq(tern_port_start(0), -EINVAL);
	cr_assert_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), 0);
	cr_assert_eq(tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY), 0);
	cr_expect_eq(tern_port_start(0), -EINVAL, "RX queue 1 is not set up");
	cr_assert_eq(tern_port_rx_queue_setup(0, 1, 0, TERN_SOCKET_ID_ANY, mp), 0);
	cr_assert_eq(tern_port_start(0), 0);
	cr_expect(tern_port_is_started(0));

	/* A started port cannot be reconfigured or get new queues. */
	cr_expect_eq(tern_port_configure(0, 1, 1, NULL), -EBUSY);
	cr_expect_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), -EBUSY);
	cr_expect_eq(tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY), -EBUSY);

	/* After stop it can, and a reconfigure asks for every queue again. */
	cr_assert_eq(tern_port_stop(0), 0);
	cr_assert_eq(tern_port_configure(0, 1, 1, NULL), 0);
	cr_expect_eq(tern_port_start(0), -EINVAL);
}

Test(port, bad_ids_and_arguments_are_refused)
{
	struct tern_port_info info;
	struct tern_port_stats st;
	struct tern_queue_stats qs;
	struct tern_ether_addr mac;
	struct tern_link link;

	/* Unknown port ids, including far out of range. */
	cr_expect_eq(tern_port_configure(2, 1, 1, NULL), -EINVAL);
	cr_expect_eq(tern_port_configure(UINT16_MAX, 1, 1, NULL), -EINVAL);
	cr_expect_eq(tern_port_start(TERN_MAX_PORTS), -EINVAL);
	cr_expect_eq(tern_port_info_get(5, &info), -EINVAL);
	cr_expect(!tern_port_is_valid(2));
	cr_expect(!tern_port_is_started(UINT16_MAX));

	/* Queue counts out of the driver's range. */
	cr_expect_eq(tern_port_configure(0, 0, 1, NULL), -EINVAL);
	cr_expect_eq(tern_port_configure(0, 1, 0, NULL), -EINVAL);
	cr_expect_eq(tern_port_configure(0, 17, 1, NULL), -EINVAL);
	cr_expect_eq(tern_port_configure(0, 1, 1, &(struct tern_port_conf){.mtu = 9100}), -EINVAL);

	cr_assert_eq(tern_port_configure(0, 2, 2, NULL), 0);
	/* Queue id out of range, descriptor count out of range, no pool. */
	cr_expect_eq(tern_port_rx_queue_setup(0, 2, 0, TERN_SOCKET_ID_ANY, mp), -EINVAL);
	cr_expect_eq(tern_port_tx_queue_setup(0, 2, 0, TERN_SOCKET_ID_ANY), -EINVAL);
	cr_expect_eq(tern_port_rx_queue_setup(0, 0, 8192, TERN_SOCKET_ID_ANY, mp), -EINVAL);
	cr_expect_eq(tern_port_tx_queue_setup(0, 0, 8192, TERN_SOCKET_ID_ANY), -EINVAL);
	cr_expect_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, NULL), -EINVAL);
	cr_expect_eq(tern_port_rx_queue_setup(0, 0, 512, TERN_SOCKET_ID_ANY, mp), 0);
	cr_expect_eq(tern_port_rxq_stats_get(0, 1, &qs), -EINVAL, "queue 1 is not set up");
	cr_expect_eq(tern_port_rxq_stats_get(0, 2, &qs), -EINVAL);

	/* NULL output arguments. */
	cr_expect_eq(tern_port_info_get(0, NULL), -EINVAL);
	cr_expect_eq(tern_port_stats_get(0, NULL), -EINVAL);
	cr_expect_eq(tern_port_rxq_stats_get(0, 0, NULL), -EINVAL);
	cr_expect_eq(tern_port_mac_get(0, NULL), -EINVAL);
	cr_expect_eq(tern_port_mac_set(0, NULL), -EINVAL);
	cr_expect_eq(tern_port_link_get(0, NULL), -EINVAL);
	cr_expect_eq(tern_port_by_name(NULL, NULL), -EINVAL);

	/* Everything on a closed port. */
	cr_assert_eq(tern_port_close(1), 0);
	cr_expect(!tern_port_is_valid(1));
	cr_expect_eq(tern_port_count(), 2, "ids are not reused");
	cr_expect_eq(tern_port_close(1), -EINVAL);
	cr_expect_eq(tern_port_configure(1, 1, 1, NULL), -EINVAL);
	cr_expect_eq(tern_port_start(1), -EINVAL);
	cr_expect_eq(tern_port_stop(1), -EINVAL);
	cr_expect_eq(tern_port_stats_get(1, &st), -EINVAL);
	cr_expect_eq(tern_port_stats_reset(1), -EINVAL);
	cr_expect_eq(tern_port_mac_get(1, &mac), -EINVAL);
	cr_expect_eq(tern_port_promisc_get(1), -EINVAL);
	cr_expect_eq(tern_port_link_get(1, &link), -EINVAL);
	cr_expect_eq(tern_port_by_name("net_null1", &(uint16_t){0}), -ENODEV);
}

Test(port, life_cycle_and_stopped_bursts)
{
	struct tern_pkt *pkts[32];

	/* Never started: the bursts return 0 and touch nothing. */
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 32), 0);
	cr_expect_eq(tern_port_rx_burst(TERN_MAX_PORTS - 1, 0, pkts, 32), 0);

	cr_assert_eq(pmd_test_start(0, 1, mp), 0);
	cr_expect_eq(tern_port_start(0), 0, "starting a started port is no error");
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 32), 32);
	cr_expect_eq(tern_port_tx_burst(0, 0, pkts, 32), 32);

	cr_assert_eq(tern_port_stop(0), 0);
	cr_expect(!tern_port_is_started(0));
	cr_expect_eq(tern_port_stop(0), 0, "stopping a stopped port is no error");
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 32), 0);
	cr_expect_eq(tern_port_tx_burst(0, 0, pkts, 32), 0);

	/* Queues keep their setup across stop. */
	cr_assert_eq(tern_port_start(0), 0);
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 16), 16);
	cr_expect_eq(tern_port_tx_burst(0, 0, pkts, 16), 16);

	cr_assert_eq(tern_port_close(0), 0);
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 32), 0);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp));
}

Test(port, mac_promisc_link)
{
	struct tern_ether_addr m0, m1, set = {{0x02, 0, 0, 0, 0, 0x42}};
	struct tern_ether_addr mcast = {{0x01, 0, 0x5e, 0, 0, 1}};
	struct tern_link link;

	cr_assert_eq(tern_port_mac_get(0, &m0), 0);
	cr_assert_eq(tern_port_mac_get(1, &m1), 0);
	cr_expect_eq(m0.addr[0], 0x02, "locally administered unicast");
	cr_expect(!tern_ether_addr_eq(&m0, &m1), "two null ports get two MACs");

	cr_assert_eq(tern_port_mac_set(0, &set), 0);
	cr_assert_eq(tern_port_mac_get(0, &m0), 0);
	cr_expect(tern_ether_addr_eq(&m0, &set));
	cr_expect_eq(tern_port_mac_set(0, &mcast), -EINVAL);

	cr_expect_eq(tern_port_promisc_get(0), 0);
	cr_expect_eq(tern_port_promisc_set(0, true), 0);
	cr_expect_eq(tern_port_promisc_get(0), 1);
	cr_expect_eq(tern_port_promisc_set(0, false), 0);
	cr_expect_eq(tern_port_promisc_get(0), 0);

	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect(link.up);
	cr_expect(link.full_duplex);
	cr_expect_eq(link.speed_mbps, 10000);
}

Test(port, ether_addr_parse)
{
	struct tern_ether_addr ea;
	char buf[TERN_ETHER_ADDR_FMT_SIZE];

	cr_assert_eq(tern_ether_addr_parse("02:74:aB:cd:0e:F0", &ea), 0);
	tern_ether_addr_format(buf, &ea);
	cr_expect_str_eq(buf, "02:74:ab:cd:0e:f0");
	cr_expect_eq(tern_ether_addr_parse("02:74:ab:cd:0e", &ea), -EINVAL);
	cr_expect_eq(tern_ether_addr_parse("02:74:ab:cd:0e:f0:", &ea), -EINVAL);
	cr_expect_eq(tern_ether_addr_parse("02-74-ab-cd-0e-f0", &ea), -EINVAL);
	cr_expect_eq(tern_ether_addr_parse("2:74:ab:cd:0e:f0", &ea), -EINVAL);
	cr_expect_eq(tern_ether_addr_parse("", &ea), -EINVAL);
}

Test(port, devargs)
{
	static const char *const known[] = {"size", "queues", NULL};
	char buf[8];
	uint32_t v;

	cr_expect_eq(tern_devargs_get("size=128,queues=2", "queues", buf, sizeof(buf)), 1);
	cr_expect_str_eq(buf, "2");
	cr_expect_eq(tern_devargs_get("size=128", "siz", buf, sizeof(buf)), -ENOENT);
	cr_expect_eq(tern_devargs_get("size=123456789", "size", buf, sizeof(buf)), -E2BIG);
	cr_expect_eq(tern_devargs_get(",,size,", "size", buf, sizeof(buf)), 0);
	cr_expect_eq(tern_devargs_get_u32("size=0x40", "size", &v), 0);
	cr_expect_eq(v, 64);
	cr_expect_eq(tern_devargs_get_u32("size=12k", "size", &v), -EINVAL);
	cr_expect_eq(tern_devargs_get_u32("size=-1", "size", &v), -EINVAL);
	cr_expect_eq(tern_devargs_get_u32("size=4294967296", "size", &v), -EINVAL);
	cr_expect_eq(tern_devargs_get_u32("", "size", &v), -ENOENT);
	cr_expect_eq(tern_devargs_check("t", "size=1,queues=2", known), 0);
	cr_expect_eq(tern_devargs_check("t", "", known), 0);
	cr_expect_eq(tern_devargs_check("t", "size=1,sise=2", known), -EINVAL);
}
