/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe_test.c - what tern_eal_init() does with -a and --vdev: which names
 * find the built-in null driver, and the one-line refusals for unknown
 * drivers, duplicates, bad device arguments and PCI devices (no PCI bus
 * yet). After every refusal, init works again in the same process.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "pmd_test.h"

TestSuite(probe);

/* Init must fail with a last error containing `text`, then work without the vdevs. */
static void expect_refused(struct tern_eal_config *cfg, const char *text)
{
	int fds = tern_test_open_fds();

	cr_assert_lt(tern_eal_init(cfg), 0, "init should fail (%s)", text);
	cr_expect(strstr(tern_eal_last_error(), text) != NULL, "error \"%s\" should say \"%s\"",
	          tern_eal_last_error(), text);
	cr_expect_eq(tern_port_count(), 0, "no port is left behind");
	cr_expect_eq(tern_test_open_fds(), fds);
	cfg->nb_vdev = 0;
	cfg->nb_pci = 0;
	cr_assert_eq(tern_eal_init(cfg), 0, "init after a refusal: %s", tern_eal_last_error());
	cr_expect_eq(tern_port_count(), 0);
	cr_assert_eq(tern_eal_cleanup(), 0);
}

static void add_vdev(struct tern_eal_config *cfg, const char *name, const char *args)
{
	struct tern_eal_devarg *d = &cfg->vdev[cfg->nb_vdev++];

	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->args, sizeof(d->args), "%s", args);
}

static void config(struct tern_eal_config *cfg)
{
	tern_eal_config_init(cfg);
	cfg->no_huge = !tern_test_use_huge();
}

Test(probe, null_answers_to_its_names)
{
	struct tern_port_info info;
	uint16_t p;

	cr_assert_eq(pmd_test_init(NULL, "null", "null0", "net_null", "net_null12", "null3,size=60",
	                           (char *)NULL),
	             0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_port_count(), 5);
	TERN_PORT_FOREACH (p) {
		cr_assert_eq(tern_port_info_get(p, &info), 0);
		cr_expect_str_eq(info.driver, "null");
	}
	cr_assert_eq(tern_port_by_name("null3", &p), 0);
	cr_expect_eq(p, 4, "ports are numbered in --vdev order");
	cr_assert_eq(tern_eal_cleanup(), 0);
	cr_expect_eq(tern_port_count(), 0, "cleanup closes every port");
	cr_expect(!tern_port_is_valid(0));
}

Test(probe, unknown_driver_is_refused_with_the_known_list)
{
	struct tern_eal_config cfg;

	config(&cfg);
	add_vdev(&cfg, "null0", "");
	add_vdev(&cfg, "foo0", "");
	expect_refused(&cfg, "port: no driver for --vdev foo0: known drivers are null");
}

Test(probe, near_misses_are_not_null)
{
	struct tern_eal_config cfg;

	config(&cfg);
	add_vdev(&cfg, "nullx", "");
	expect_refused(&cfg, "no driver for --vdev nullx");
	add_vdev(&cfg, "net_nul0", "");
	expect_refused(&cfg, "no driver for --vdev net_nul0");
}

Test(probe, duplicate_vdev_is_refused)
{
	struct tern_eal_config cfg;

	config(&cfg);
	add_vdev(&cfg, "null0", "");
	add_vdev(&cfg, "null1", "");
	add_vdev(&cfg, "null0", "size=128");
	expect_refused(&cfg, "--vdev null0 is given twice");
}

Test(probe, bad_device_arguments_are_refused)
{
	struct tern_eal_config cfg;

	config(&cfg);
	add_vdev(&cfg, "null0", "size=64,colour=blue");
	expect_refused(&cfg, "driver null refused it");
	add_vdev(&cfg, "null0", "size=13");
	expect_refused(&cfg, "driver null refused it");
	add_vdev(&cfg, "null0", "size=big");
	expect_refused(&cfg, "driver null refused it");
}

Test(probe, pci_device_without_driver_is_refused)
{
	struct tern_eal_config cfg;

	/*
	 * An address no machine here has: the test must never reach one of the
	 * machine's own devices. Whether the PCI bus says "no such device" or
	 * "no driver", the line comes from the port layer and names the device.
	 */
	config(&cfg);
	snprintf(cfg.pci[0].name, sizeof(cfg.pci[0].name), "0000:7e:1f.6");
	cfg.nb_pci = 1;
	add_vdev(&cfg, "null0", "");
	expect_refused(&cfg, "0000:7e:1f.6");
}

Test(probe, plugin_path_that_does_not_exist)
{
	struct tern_eal_config cfg;

	config(&cfg);
	snprintf(cfg.plugins[0], sizeof(cfg.plugins[0]), "/nonexistent/tern-plugin-x.so");
	cfg.nb_plugins = 1;
	cr_assert_lt(tern_eal_init(&cfg), 0);
	cr_expect(strstr(tern_eal_last_error(),
	                 "plugin: -d /nonexistent/tern-plugin-x.so: No such file or directory") !=
	              NULL,
	          "%s", tern_eal_last_error());
}

Test(probe, empty_plugin_directory_loads_nothing)
{
	struct tern_eal_config cfg;
	char dir[] = "/tmp/tern-empty-XXXXXX";

	cr_assert_not_null(mkdtemp(dir));
	config(&cfg);
	snprintf(cfg.plugins[0], sizeof(cfg.plugins[0]), "%s", dir);
	cfg.nb_plugins = 1;
	add_vdev(&cfg, "null0", "");
	cr_expect_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	cr_expect_eq(tern_port_count(), 1);
	tern_eal_cleanup();
	rmdir(dir);
}
