/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test/pci/pci.c - the PCI bus on the host, without touching a real device:
 * address parsing, a scan of a fake sysfs tree, tern_pci_open's one-line
 * errors, the sysfs access path against plain files standing in for
 * config/resourceN, the IOVA choice at init, and device models.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "fake_sysfs.h"
#include "tern_test.h"
#include "tern_pci.h"
#include "pci_test.h"
#include "tern_port.h"

static void setup(void)
{
	fake_init();
}

static void teardown(void)
{
	fake_fini();
}

TestSuite(pci, .init = setup, .fini = teardown);

static struct tern_pci_addr A(const char *s) {
	struct tern_pci_addr a;

	cr_assert_eq(tern_pci_addr_parse(s, &a), 0, "parse %s", s);
	return a;
}

Test(pci, addr_parse_good)
{
	struct {
		const char *in, *out;
	} good[] = {
	    {"0000:00:03.0", "0000:00:03.0"}, {"00:03.0", "0000:00:03.0"},
	    {"0001:ff:1f.7", "0001:ff:1f.7"}, {"abcd:0A:1b.3", "abcd:0a:1b.3"},
	    {"3:4.5", "0000:03:04.5"},        {"0:0:0.0", "0000:00:00.0"},
	};
	char buf[TERN_PCI_ADDR_FMT_SIZE];

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct tern_pci_addr a = A(good[i].in);

		tern_pci_addr_format(&a, buf, sizeof(buf));
		cr_expect_str_eq(buf, good[i].out, "%s", good[i].in);
	}
	struct tern_pci_addr a = {.domain = 1, .bus = 2, .dev = 3, .func = 4};
	tern_pci_addr_format(&a, buf, sizeof(buf));
	cr_expect_str_eq(buf, "0001:02:03.4");
}

Test(pci, addr_parse_bad)
{
	const char *bad[] = {"",
	                     "0000:00:03",
	                     "0000:00:20.0",
	                     "00:03.8",
	                     "0000:100:03.0",
	                     "00000:00:03.0",
	                     "0000:00:03.0x",
	                     "g0:00.0",
	                     "0000:00:03.0 ",
	                     "0:0:0:0.0",
	                     "0000:00:03.",
	                     "0000::03.0",
	                     "0000:00:03.00",
	                     ":00:03.0",
	                     "00.0",
	                     "null0"};
	struct tern_pci_addr a;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(tern_pci_addr_parse(bad[i], &a), -EINVAL, "'%s' parsed", bad[i]);
	cr_expect_eq(tern_pci_addr_parse(NULL, &a), -EINVAL);
}

Test(pci, scan_fake_tree)
{
	struct tern_pci_dev *list;
	int n;

	fake_device("0000:00:05.0", 0x1af4, 0x1000, 0x020000, "", -1, -1);
	fake_device("0000:00:04.0", 0x1af4, 0x1041, 0x020000, "virtio-pci", 3, 1);
	fake_device("0000:01:00.0", 0x8086, 0x10fb, 0x020000, "vfio-pci", 7, -2);
	fake_device("0000:00:1f.2", 0x8086, 0x2922, 0x010601, "ahci", -1, 0);
	fake_write("bus/pci/devices/not-an-address", "");
	n = tern_pci_scan(&list);
	cr_assert_eq(n, 4, "%d devices: %s", n, tern_eal_last_error());
	/* In address order. */
	cr_expect_str_eq(list[0].name, "0000:00:04.0");
	cr_expect_str_eq(list[1].name, "0000:00:05.0");
	cr_expect_str_eq(list[2].name, "0000:00:1f.2");
	cr_expect_str_eq(list[3].name, "0000:01:00.0");

	cr_expect_eq(list[0].vendor_id, 0x1af4);
	cr_expect_eq(list[0].device_id, 0x1041);
	cr_expect_eq(list[0].subsys_vendor_id, 0x1af4);
	cr_expect_eq(list[0].subsys_device_id, 1);
	cr_expect_eq(list[0].class_id, 0x02);
	cr_expect_eq(list[0].subclass_id, 0x00);
	cr_expect_eq(list[0].revision, 1);
	cr_expect_eq(list[0].numa_node, 1);
	cr_expect_str_eq(list[0].kdriver, "virtio-pci");
	cr_expect_eq(list[1].numa_node, -1);
	cr_expect_str_eq(list[1].kdriver, "");
	cr_expect_eq(list[2].class_id, 0x01);
	cr_expect_eq(list[2].subclass_id, 0x06);
	cr_expect_eq(list[2].prog_if, 0x01);
	cr_expect_eq(list[3].numa_node, -1, "no numa_node file");
	cr_expect_str_eq(list[3].kdriver, "vfio-pci");

	/* BARs: 0 I/O 64 B, 1 memory 4 KiB, 4 memory 16 KiB, the rest absent; ROM ignored. */
	cr_expect(list[0].bar[0].io);
	cr_expect_eq(list[0].bar[0].len, 64);
	cr_expect_eq(list[0].bar[0].phys, 0xc000);
	cr_expect(!list[0].bar[1].io);
	cr_expect_eq(list[0].bar[1].len, 4096);
	cr_expect_eq(list[0].bar[1].phys, 0xfebd1000);
	cr_expect_eq(list[0].bar[2].len, 0);
	cr_expect_eq(list[0].bar[3].len, 0);
	cr_expect(!list[0].bar[4].io);
	cr_expect_eq(list[0].bar[4].len, 16384);
	cr_expect_eq(list[0].bar[5].len, 0);
	cr_expect_null(list[0].bar[1].va, "scan maps nothing");
	free(list);
}

Test(pci, scan_no_sysfs)
{
	struct tern_pci_dev *list;

	setenv("TERN_SYSFS_ROOT", "/nonexistent-tern", 1);
	cr_expect_eq(tern_pci_scan(&list), -ENOENT);
	cr_expect(strstr(tern_eal_last_error(), "/nonexistent-tern/bus/pci/devices") != NULL, "%s",
	          tern_eal_last_error());
}

/* Open must fail with errno err and a last error containing `want`. */
static void expect_open_fails(const char *addr, enum tern_pci_access access, int err,
                              const char *want)
{
	struct tern_pci_addr a = A(addr);
	struct tern_pci_dev *dev = tern_pci_open(&a, access);

	cr_expect_null(dev, "%s opened", addr);
	cr_expect_eq(tern_errno, err, "%s: errno %d, want %d", addr, tern_errno, err);
	cr_expect(strstr(tern_eal_last_error(), want) != NULL, "%s: '%s' lacks '%s'", addr,
	          tern_eal_last_error(), want);
	cr_expect(strchr(tern_eal_last_error(), '\n') == NULL, "one line");
}

Test(pci, open_errors_name_what_is_missing)
{
	fake_device("0000:00:04.0", 0x1af4, 0x1000, 0x020000, "virtio-pci", -1, -1);
	fake_device("0000:00:05.0", 0x1af4, 0x1000, 0x020000, "vfio-pci", -1, -1);
	fake_device("0000:00:06.0", 0x1af4, 0x1000, 0x020000, "", -1, -1);

	expect_open_fails("0000:00:09.0", TERN_PCI_ACCESS_AUTO, ENODEV,
	                  "no PCI device 0000:00:09.0");
	expect_open_fails("0000:00:04.0", TERN_PCI_ACCESS_AUTO, EBUSY,
	                  "bound to the kernel driver virtio-pci: use tools/tern-devbind --bind "
	                  "vfio-pci 0000:00:04.0");
	expect_open_fails("0000:00:04.0", TERN_PCI_ACCESS_VFIO, EBUSY, "--bind vfio-pci");
	expect_open_fails("0000:00:04.0", TERN_PCI_ACCESS_SYSFS, EBUSY,
	                  "tools/tern-devbind --unbind 0000:00:04.0");
	expect_open_fails("0000:00:05.0", TERN_PCI_ACCESS_AUTO, ENODEV, "has no IOMMU group");
	expect_open_fails("0000:00:06.0", TERN_PCI_ACCESS_VFIO, EBUSY, "bound to no driver");
	expect_open_fails("0000:00:06.0", TERN_PCI_ACCESS_EMUL, ENODEV, "no device model");
}

Test(pci, open_vfio_without_module)
{
	/* Only where this machine has no VFIO at all: never open a real group. */
	if (access("/dev/vfio", F_OK) == 0)
		cr_skip_test("/dev/vfio exists here");
	fake_device("0000:00:05.0", 0x1af4, 0x1041, 0x020000, "vfio-pci", 12, -1);
	expect_open_fails("0000:00:05.0", TERN_PCI_ACCESS_AUTO, ENOENT,
	                  "the vfio module is not loaded; run 'modprobe vfio-pci'");
	expect_open_fails("0000:00:05.0", TERN_PCI_ACCESS_NOIOMMU, EINVAL,
	                  "behind an IOMMU (group 12)");
}

/*
 * The sysfs path against plain files: config, caps, bus master, a mapped
 * memory BAR and I/O BAR reads and writes go where they should.
 */
Test(pci, sysfs_path_on_files)
{
	struct tern_pci_addr a;
	struct tern_pci_dev *dev;
	uint16_t vendor, cmd;
	uint8_t b[4];
	void *va;

	fake_device("0000:00:06.0", 0x1af4, 0x1000, 0x020000, "", -1, -1);
	a = A("0000:00:06.0");
	dev = tern_pci_open(&a, TERN_PCI_ACCESS_AUTO);
	cr_assert_not_null(dev, "%s", tern_eal_last_error());
	cr_expect_eq(dev->access, TERN_PCI_ACCESS_SYSFS);
	cr_expect_str_eq(dev->name, "0000:00:06.0");
	cr_expect_eq(tern_pci_cfg_read(dev, &vendor, 2, 0), 0);
	cr_expect_eq(vendor, 0x1af4);

	/* Capabilities: MSI-X at 0x40, vendor-specific at 0x50 then 0x60. */
	cr_expect_eq(tern_pci_find_cap(dev, 0x11, 0), 0x40);
	cr_expect_eq(tern_pci_find_cap(dev, 0x09, 0), 0x50);
	cr_expect_eq(tern_pci_find_cap(dev, 0x09, 0x50), 0x60);
	cr_expect_eq(tern_pci_find_cap(dev, 0x09, 0x60), 0);
	cr_expect_eq(tern_pci_find_cap(dev, 0x05, 0), 0);
	cr_expect_eq(tern_pci_find_ext_cap(dev, 0x0001, 0), 0x100);
	cr_expect_eq(tern_pci_find_ext_cap(dev, 0x000f, 0), 0x140);
	cr_expect_eq(tern_pci_find_ext_cap(dev, 0x000f, 0x140), 0);
	cr_expect_eq(tern_pci_find_ext_cap(dev, 0x0010, 0), 0);

	/* Bus master: command bit 2 set, then cleared, other bits kept. */
	cr_expect_eq(tern_pci_bus_master(dev, true), 0);
	cr_assert_eq(fake_read_bytes("bus/pci/devices/0000:00:06.0/config", &cmd, 2, 4), 0);
	cr_expect_eq(cmd, 0x07);
	cr_expect_eq(tern_pci_bus_master(dev, false), 0);
	fake_read_bytes("bus/pci/devices/0000:00:06.0/config", &cmd, 2, 4);
	cr_expect_eq(cmd, 0x03);

	/* Memory BAR 4 mapped from resource4; BAR 0 is I/O; BAR 2 absent. */
	cr_expect_eq(tern_pci_map_bar(dev, 4, &va), 0, "%s", tern_eal_last_error());
	cr_assert_not_null(va);
	cr_expect_eq(dev->bar[4].va, va);
	uint8_t want[4] = {(uint8_t)(8 * 7 + 1), (uint8_t)(9 * 7 + 1), (uint8_t)(10 * 7 + 1),
	                   (uint8_t)(11 * 7 + 1)};
	uint32_t w;
	memcpy(&w, want, 4);
	cr_expect_eq(tern_pci_read32(dev, 4, 8), w);
	tern_pci_write32(dev, 4, 16, 0xdeadbeef);
	void *again;
	cr_expect_eq(tern_pci_map_bar(dev, 4, &again), 0);
	cr_expect_eq(again, va, "mapped once");
	cr_expect_eq(tern_pci_map_bar(dev, 0, &again), -EINVAL);
	cr_expect(strstr(tern_eal_last_error(), "I/O BAR") != NULL);
	cr_expect_eq(tern_pci_map_bar(dev, 2, &again), -ENOENT);

	/* I/O BAR 0 through pread/pwrite on resource0. */
	cr_expect_eq(tern_pci_io_read8(dev, 0, 3), (uint8_t)(3 * 7 + 1));
	tern_pci_io_write16(dev, 0, 0x12, 0xbeef);
	cr_expect_eq(tern_pci_io_read16(dev, 0, 0x12), 0xbeef);
	cr_expect_eq(tern_pci_io_read32(dev, 0, 62), UINT32_MAX, "past the BAR: all ones");
	tern_pci_close(dev);

	cr_assert_eq(fake_read_bytes("bus/pci/devices/0000:00:06.0/resource4", &w, 4, 16), 0);
	cr_expect_eq(w, 0xdeadbeef, "the BAR write reached the file");
	cr_assert_eq(fake_read_bytes("bus/pci/devices/0000:00:06.0/resource0", b, 2, 0x12), 0);
	cr_expect(b[0] == 0xef && b[1] == 0xbe);
}

Test(pci, sysfs_path_needs_pa_mode)
{
	struct tern_pci_addr a = A("0000:00:06.0");

	fake_device("0000:00:06.0", 0x1af4, 0x1000, 0x020000, "", -1, -1);
	cr_assert_eq(tern_test_eal_init(NULL), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_eal_iova_mode(), TERN_IOVA_VA);
	cr_expect_null(tern_pci_open(&a, TERN_PCI_ACCESS_AUTO));
	cr_expect(strstr(tern_eal_last_error(), "needs physical addresses") != NULL, "%s",
	          tern_eal_last_error());
	tern_eal_cleanup();
}

/* tern_eal_init with -a: the IOVA mode a device forces, and the probe's lines. */
Test(pci, init_iova_and_probe_errors)
{
	struct tern_eal_config cfg;

	fake_device("0000:00:06.0", 0x1234, 0x5678, 0x020000, "", -1, -1);
	fake_device("0000:00:07.0", 0x1234, 0x5679, 0x020000, "e1000e", -1, -1);

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.iova_mode = TERN_IOVA_VA;
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, "0000:00:06.0");
	cr_expect_eq(tern_eal_init(&cfg), -EINVAL);
	cr_expect(strstr(tern_eal_last_error(),
	                 "--iova-mode va cannot work with 0000:00:06.0: it is reached through "
	                 "sysfs") != NULL,
	          "%s", tern_eal_last_error());

	/* access=sysfs on a device a kernel driver holds: the same refusal. */
	strcpy(cfg.pci[0].name, "0000:00:07.0");
	strcpy(cfg.pci[0].args, "access=sysfs");
	cr_expect_eq(tern_eal_init(&cfg), -EINVAL);
	strcpy(cfg.pci[0].args, "access=bogus");
	cr_expect_eq(tern_eal_init(&cfg), -EINVAL);
	cr_expect(strstr(tern_eal_last_error(), "bad access 'bogus'") != NULL, "%s",
	          tern_eal_last_error());

	/* A device nobody drives: one line with its ids. */
	cfg.iova_mode = TERN_IOVA_DC;
	cfg.pci[0].args[0] = '\0';
	cr_expect_lt(tern_eal_init(&cfg), 0);
	cr_expect(strstr(tern_eal_last_error(),
	                 "port: no driver for PCI device 0000:00:07.0 (1234:5679)") != NULL,
	          "%s", tern_eal_last_error());
	cr_expect(!tern_eal_is_initialized());

	strcpy(cfg.pci[0].name, "0000:00:07");
	cr_expect_eq(tern_eal_init(&cfg), -EINVAL);
	cr_expect(strstr(tern_eal_last_error(), "not a PCI address") != NULL, "%s",
	          tern_eal_last_error());
}

/* ---- device models ---- */

struct model {
	uint32_t regs[64];
	uint8_t io[16];
	unsigned reads, writes;
};

static uint32_t model_read(void *ctx, unsigned bar, uint64_t off, unsigned width)
{
	struct model *m = ctx;

	m->reads++;
	if (bar == 2) {
		uint32_t v = 0;
		memcpy(&v, m->io + off, width);
		return v;
	}
	return m->regs[off / 4] >> (8 * (off % 4)) &
	       (width == 4 ? UINT32_MAX : (1u << 8 * width) - 1);
}

static void model_write(void *ctx, unsigned bar, uint64_t off, unsigned width, uint32_t val)
{
	struct model *m = ctx;

	m->writes++;
	if (bar == 2) {
		memcpy(m->io + off, &val, width);
		return;
	}
	if (width == 4)
		m->regs[off / 4] = val;
}

static const struct tern_pci_emul model_ops = {.read = model_read, .write = model_write};

Test(pci, emul_device_model)
{
	struct model m = {.regs = {[2] = 0x12345678}};
	uint64_t bars[TERN_PCI_MAX_BARS] = {0x20000, 0, 32};
	struct tern_pci_addr a = A("0000:42:00.0");
	struct tern_pci_dev *dev;
	uint16_t ids[2], cmd;
	void *va = (void *)1;

	cr_assert_eq(tern_pci_emul_register(&a, 0x8086, 0x10fb, &model_ops, &m, bars), 0);
	cr_expect_eq(tern_pci_emul_register(&a, 0x8086, 0x10fb, &model_ops, &m, bars), -EEXIST);
	dev = tern_pci_open(&a, TERN_PCI_ACCESS_AUTO);
	cr_assert_not_null(dev, "%s", tern_eal_last_error());
	cr_expect_eq(dev->emul, &model_ops);
	cr_expect_eq(dev->access, TERN_PCI_ACCESS_EMUL);
	cr_expect_eq(dev->vendor_id, 0x8086);
	cr_expect_eq(dev->device_id, 0x10fb);
	cr_expect_eq(dev->bar[0].len, 0x20000);
	cr_expect_eq(dev->numa_node, -1);

	cr_expect_eq(tern_pci_read32(dev, 0, 8), 0x12345678);
	cr_expect_eq(tern_pci_read16(dev, 0, 8), 0x5678);
	cr_expect_eq(tern_pci_read8(dev, 0, 9), 0x56);
	tern_pci_write32(dev, 0, 0x10, 0xcafef00d);
	cr_expect_eq(m.regs[4], 0xcafef00d);
	cr_expect_eq(tern_pci_read32(dev, 0, 0x10), 0xcafef00d);
	tern_pci_io_write16(dev, 2, 4, 0xabcd);
	cr_expect_eq(tern_pci_io_read16(dev, 2, 4), 0xabcd);
	cr_expect_eq(m.writes, 2);

	/* Synthesized config space: ids, command register, no capabilities. */
	cr_expect_eq(tern_pci_cfg_read(dev, ids, 4, 0), 0);
	cr_expect_eq(ids[0], 0x8086);
	cr_expect_eq(ids[1], 0x10fb);
	cr_expect_eq(tern_pci_bus_master(dev, true), 0);
	tern_pci_cfg_read(dev, &cmd, 2, 4);
	cr_expect(cmd & 0x4);
	cr_expect_eq(tern_pci_find_cap(dev, 0x09, 0), 0);
	cr_expect_eq(tern_pci_find_ext_cap(dev, 0x000f, 0), 0, "models are conventional PCI");
	cr_expect_eq(tern_pci_cfg_read(dev, ids, 4, 254), -ERANGE);
	cr_expect_eq(tern_pci_map_bar(dev, 0, &va), 0);
	cr_expect_null(va, "models have no mapping");
	tern_pci_close(dev);

	cr_expect_eq(tern_pci_emul_unregister(&a), 0);
	cr_expect_eq(tern_pci_emul_unregister(&a), -ENOENT);
	cr_expect_null(tern_pci_open(&a, TERN_PCI_ACCESS_EMUL));
}

/* A model behind -a keeps IOVA mode VA even with DC. */
Test(pci, emul_keeps_va)
{
	struct model m = {{0}};
	struct tern_pci_addr a = A("0000:42:00.0");
	struct tern_eal_config cfg;

	cr_assert_eq(tern_pci_emul_register(&a, 0x1234, 0x0001, &model_ops, &m, NULL), 0);
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.iova_mode = TERN_IOVA_VA;
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, "42:00.0");
	/* No driver has 1234:0001: init fails at the probe, after the IOVA check passed. */
	cr_expect_lt(tern_eal_init(&cfg), 0);
	cr_expect(strstr(tern_eal_last_error(),
	                 "no driver for PCI device 0000:42:00.0 (1234:0001)") != NULL,
	          "%s", tern_eal_last_error());
	tern_pci_emul_unregister(&a);
}

/* What each device needs: VA through a wide IOMMU or a model, PA otherwise. */
Test(pci, iova_need)
{
	struct model m = {{0}};
	struct tern_pci_addr a;
	struct tern_eal_config cfg;

	fake_device("0000:00:04.0", 0x1234, 0x0001, 0x020000, "vfio-pci", 4, -1);
	fake_device("0000:00:05.0", 0x1234, 0x0001, 0x020000, "vfio-pci", 5, -1);
	fake_device("0000:00:06.0", 0x1234, 0x0001, 0x020000, "", -1, -1);
	fake_device("0000:00:07.0", 0x1234, 0x0001, 0x020000, "e1000e", -1, -1);
	/* VT-d capability register, MGAW (bits 21:16) = width - 1. */
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/bus/pci/devices/0000:00:04.0/iommu/intel-iommu", fake_root);
	fake_mkdirs(dir);
	fake_write("bus/pci/devices/0000:00:04.0/iommu/intel-iommu/cap", "%llx\n", 38ull << 16);
	snprintf(dir, sizeof(dir), "%s/bus/pci/devices/0000:00:05.0/iommu/intel-iommu", fake_root);
	fake_mkdirs(dir);
	fake_write("bus/pci/devices/0000:00:05.0/iommu/intel-iommu/cap", "%llx\n", 47ull << 16);

	a = A("0000:00:04.0");
	cr_expect_eq(tern_pci_iova_need(&a, TERN_PCI_ACCESS_AUTO), TERN_IOVA_PA, "39-bit IOMMU");
	a = A("0000:00:05.0");
	cr_expect_eq(tern_pci_iova_need(&a, TERN_PCI_ACCESS_AUTO), TERN_IOVA_VA, "48-bit IOMMU");
	a = A("0000:00:06.0");
	cr_expect_eq(tern_pci_iova_need(&a, TERN_PCI_ACCESS_AUTO), TERN_IOVA_PA, "sysfs");
	a = A("0000:00:07.0");
	cr_expect_eq(tern_pci_iova_need(&a, TERN_PCI_ACCESS_AUTO), TERN_IOVA_DC, "kernel driver");
	cr_expect_eq(tern_pci_iova_need(&a, TERN_PCI_ACCESS_NOIOMMU), TERN_IOVA_PA);
	a = A("0000:00:08.0");
	cr_expect_eq(tern_pci_iova_need(&a, TERN_PCI_ACCESS_AUTO), TERN_IOVA_DC, "absent");
	cr_assert_eq(tern_pci_emul_register(&a, 0x1234, 1, &model_ops, &m, NULL), 0);
	cr_expect_eq(tern_pci_iova_need(&a, TERN_PCI_ACCESS_AUTO), TERN_IOVA_VA, "model");
	tern_pci_emul_unregister(&a);

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.iova_mode = TERN_IOVA_VA;
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, "0000:00:04.0");
	cr_expect_eq(tern_eal_init(&cfg), -EINVAL);
	cr_expect(strstr(tern_eal_last_error(), "its IOMMU translates 39-bit addresses, fewer than "
	                                        "the 47 bits") != NULL,
	          "%s", tern_eal_last_error());
}

/* -a with a device model and a plugin driver: the whole probe path. */
Test(pci, probe_model_through_plugin)
{
	const char *so = getenv("TERN_TEST_EMULDRV");
	struct model m = {.regs = {[0] = 0xabcd0001}};
	uint64_t bars[TERN_PCI_MAX_BARS] = {0x20000};
	struct tern_pci_addr a = A("0000:42:00.0");
	struct tern_eal_config cfg;
	uint16_t port;

	if (so == NULL)
		cr_skip_test("TERN_TEST_EMULDRV not set (run through meson test)");
	cr_assert_eq(tern_pci_emul_register(&a, 0x1234, 0xfeed, &model_ops, &m, bars), 0);
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.nb_plugins = 1;
	strcpy(cfg.plugins[0], so);
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, "42:00.0");
	strcpy(cfg.pci[0].args, "access=auto,mode=ok");
	cfg.nb_vdev = 1;
	strcpy(cfg.vdev[0].name, "null0");

	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	cr_expect_eq(tern_eal_iova_mode(), TERN_IOVA_VA);
	cr_expect_eq(tern_port_count(), 2);
	cr_expect_eq(tern_port_by_name("0000:42:00.0", &port), 0);
	cr_expect_eq(port, 0, "-a ports come first");
	cr_expect_eq(m.regs[1], 1, "the driver wrote its register at probe");
	cr_expect_eq(tern_eal_cleanup(), 0);
	cr_expect_eq(m.regs[2], 0xdead, "the driver's close ran");

	/* The driver refuses: one line, and init leaves nothing behind. */
	strcpy(cfg.pci[0].args, "mode=refuse");
	cr_expect_eq(tern_eal_init(&cfg), -EIO);
	cr_expect(strstr(tern_eal_last_error(), "-a 0000:42:00.0: driver emultest refused it") !=
	              NULL,
	          "%s", tern_eal_last_error());
	/* Given twice. */
	strcpy(cfg.pci[0].args, "mode=ok");
	cfg.nb_pci = 2;
	strcpy(cfg.pci[1].name, "0000:42:00.0");
	cr_expect_eq(tern_eal_init(&cfg), -EEXIST);
	cr_expect(strstr(tern_eal_last_error(), "given twice") != NULL, "%s",
	          tern_eal_last_error());
	tern_pci_emul_unregister(&a);
}

/* A no-IOMMU group (vfio's enable_unsafe_noiommu_mode): told apart from sysfs alone. */
Test(pci, noiommu_group)
{
	struct tern_pci_addr a = A("0000:00:04.0");
	char dir[600];

	if (access("/dev/vfio", F_OK) == 0)
		cr_skip_test("/dev/vfio exists here");
	fake_device("0000:00:04.0", 0x1af4, 0x1000, 0x020000, "vfio-pci", 0, -1);
	/* The kernel names such a group "vfio-noiommu" (drivers/vfio/group.c). */
	snprintf(dir, sizeof(dir), "%s/kernel/iommu_groups/0", fake_root);
	fake_mkdirs(dir);
	fake_write("kernel/iommu_groups/0/name", "vfio-noiommu\n");
	cr_expect_eq(tern_pci_iova_need(&a, TERN_PCI_ACCESS_AUTO), TERN_IOVA_PA);
	expect_open_fails(
	    "0000:00:04.0", TERN_PCI_ACCESS_VFIO, EPERM,
	    "is in a no-IOMMU group (noiommu-0): there is no IOMMU to protect memory; "
	    "say access=noiommu");
	/* AUTO takes the no-IOMMU path, and names the module parameter when vfio is absent. */
	expect_open_fails("0000:00:04.0", TERN_PCI_ACCESS_AUTO, ENOENT,
	                  "run 'modprobe vfio-pci' with vfio.enable_unsafe_noiommu_mode=1");
}
