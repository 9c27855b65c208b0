/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_guest.c - inside a test guest (never on the host): open each
 * virtio-net device through one access path and use what a driver would.
 *
 *   pci_guest [--access auto|vfio|noiommu|sysfs] [--iova dc|va|pa] [--expect-fail TEXT]
 *             [--expect-iova va|pa] [--unmapped-iova]
 *             [--no-eal (with --expect-fail)] ADDR...
 *
 * Per device: ids (1af4:1041 modern, 1af4:1000 transitional), config space
 * and the capability list (virtio 1.0 4.1.4: vendor-specific capabilities
 * 0x09 locate the common, notify, ISR and device config structures), a
 * memory BAR mapped and the common config's device_feature read (virtio 1.0
 * 4.1.4.3), the legacy I/O BAR's host features on transitional devices
 * (virtio 0.9.5 / 1.0 4.1.4.8: offset 0), bus mastering toggled, DMA memory
 * allocated before and after the open with its IOVA checked (VA under VFIO
 * with an IOMMU, the physical address otherwise) and used for real: the
 * device transmits one frame from a virtqueue in tern DMA memory and writes
 * the used ring back (check_virtio_tx). With --expect-fail, the
 * open must fail and the error line contain TEXT.
 * Prints "ok:"/"FAIL:" lines; exit status 0 only if everything held.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tern_eal.h"
#include "tern_memory.h"
#include "tern_pci.h"

#define VIRTIO_VENDOR           0x1af4
#define VIRTIO_PCI_CAP_COMMON   1 /* virtio 1.0 4.1.4: cfg_type */
#define VIRTIO_PCI_CAP_NOTIFY   2
#define VIRTIO_F_VERSION_1_HIGH 0x1 /* feature bit 32 = bit 0 of the high word */
#define VIRTIO_NET_F_MAC        (1u << 5)
#define COMMON_DFSELECT         0x00 /* device_feature_select */
#define COMMON_DF               0x04 /* device_feature */
#define LEGACY_HOST_FEATURES    0x00

static int fails;
/* --unmapped-iova: give the device ring addresses 1 GiB past ours (VFIO type1 only). */
static bool unmapped_iova;
static bool expect_ats; /* --expect-ats: the device has a PCIe ATS extended capability */
/* 16 KiB of DMA memory allocated before any device is open; NULL once used. */
static char *early_mem;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok: ");                                                            \
		} else {                                                                           \
			printf("FAIL: ");                                                          \
			fails++;                                                                   \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

static void check_dma(const char *when, bool iova_is_va)
{
	void *va = tern_dma_zalloc(when, 4096, 0, TERN_SOCKET_ID_ANY);

	CHECK(va != NULL, "DMA allocation %s: %s", when, va ? "" : tern_eal_last_error());
	if (va == NULL)
		return;
	tern_iova_t iova = tern_dma_virt2iova(va);
	if (iova_is_va)
		CHECK(iova == (tern_iova_t)(uintptr_t)va, "DMA %s: IOVA 0x%" PRIx64 " = VA %p",
		      when, iova, va);
	else
		CHECK(iova == tern_virt2phys(va) && iova != (tern_iova_t)(uintptr_t)va,
		      "DMA %s: IOVA 0x%" PRIx64 " = PA 0x%" PRIx64 " (VA %p)", when, iova,
		      tern_virt2phys(va), va);
	tern_dma_free(va);
}

/* virtio 1.0 4.1.4.3: struct virtio_pci_common_cfg. */
#define COMMON_GFSELECT      0x08 /* driver_feature_select */
#define COMMON_GF            0x0c /* driver_feature */
#define COMMON_STATUS        0x14
#define COMMON_Q_SELECT      0x16
#define COMMON_Q_SIZE        0x18
#define COMMON_Q_ENABLE      0x1c
#define COMMON_Q_NOFF        0x1e
#define COMMON_Q_DESCLO      0x20
#define COMMON_Q_DESCHI      0x24
#define COMMON_Q_AVAILLO     0x28
#define COMMON_Q_AVAILHI     0x2c
#define COMMON_Q_USEDLO      0x30
#define COMMON_Q_USEDHI      0x34
#define STATUS_ACKNOWLEDGE   1 /* virtio 1.0 2.1 */
#define STATUS_DRIVER        2
#define STATUS_DRIVER_OK     4
#define STATUS_FEATURES_OK   8
#define F_HI_VERSION_1       (1u << 0) /* feature 32 */
#define F_HI_ACCESS_PLATFORM (1u << 1) /* feature 33 (VIRTIO_F_IOMMU_PLATFORM) */
#define TXQ                  1         /* virtio-net 5.1.2: queue 1 is transmitq1 */
#define QSZ                  16

struct vq_desc { /* virtio 1.0 2.4.5 */
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/*
 * Real DMA through the path's IOVAs: bring the device up on its modern
 * interface (virtio 1.0 3.1.1), give transmit queue 1 a descriptor table,
 * avail and used rings in tern DMA memory and one frame, notify, and wait
 * for the device to write the used ring back. The device reads the rings and
 * the frame and writes the used ring by DMA to the IOVAs tern gave it: this
 * only completes if those IOVAs reach our memory (IOMMU mapping, or the
 * physical addresses).
 */
static void check_virtio_tx(struct tern_pci_dev *dev, unsigned cb, uint32_t co, unsigned nb,
                            uint32_t noff, uint32_t mult)
{
	const char *name = dev->name;
	/*
	 * The first device uses memory allocated before any device was open (the
	 * container must have mapped it when it opened), later ones fresh memory
	 * (mapped by the allocation itself).
	 */
	bool was_early = early_mem != NULL;
	char *mem = was_early ? early_mem : tern_dma_zalloc("vq", 16384, 4096, TERN_SOCKET_ID_ANY);
	void *nva;

	early_mem = NULL;
	if (was_early)
		memset(mem, 0, 16384);

	if (mem == NULL || tern_pci_map_bar(dev, nb, &nva) != 0) {
		CHECK(0, "%s: DMA memory and notify BAR for the TX check: %s", name,
		      tern_eal_last_error());
		if (!was_early)
			tern_dma_free(mem);
		return;
	}
	struct vq_desc *desc = (struct vq_desc *)mem;                 /* 16 * 16 bytes */
	volatile uint16_t *avail = (volatile uint16_t *)(mem + 1024); /* flags, idx, ring[] */
	volatile uint16_t *used = (volatile uint16_t *)(mem + 2048);  /* flags, idx, ring[] */
	uint8_t *frame = (uint8_t *)mem + 8192;                       /* net hdr + frame */
	tern_iova_t base = tern_dma_virt2iova(mem);

	/* An IOVA the IOMMU has no mapping for; never used without one (it would be real memory).
	 */
	if (unmapped_iova && dev->access != TERN_PCI_ACCESS_VFIO) {
		CHECK(0, "%s: --unmapped-iova needs access vfio", name);
		if (!was_early)
			tern_dma_free(mem);
		return;
	}
	if (unmapped_iova)
		base += 1ull << 30;

	tern_pci_bus_master(dev, true);
	tern_pci_write8(dev, cb, co + COMMON_STATUS, 0); /* reset */
	while (tern_pci_read8(dev, cb, co + COMMON_STATUS) != 0)
		;
	tern_pci_write8(dev, cb, co + COMMON_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	tern_pci_write32(dev, cb, co + COMMON_DFSELECT, 1);
	uint32_t hi = tern_pci_read32(dev, cb, co + COMMON_DF);
	tern_pci_write32(dev, cb, co + COMMON_GFSELECT, 0);
	tern_pci_write32(dev, cb, co + COMMON_GF, 0);
	tern_pci_write32(dev, cb, co + COMMON_GFSELECT, 1);
	tern_pci_write32(dev, cb, co + COMMON_GF, hi & (F_HI_VERSION_1 | F_HI_ACCESS_PLATFORM));
	tern_pci_write8(dev, cb, co + COMMON_STATUS,
	                STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
	uint8_t st = tern_pci_read8(dev, cb, co + COMMON_STATUS);
	CHECK(st & STATUS_FEATURES_OK, "%s: FEATURES_OK (VERSION_1%s)", name,
	      hi & F_HI_ACCESS_PLATFORM ? ", ACCESS_PLATFORM" : "");

	tern_pci_write16(dev, cb, co + COMMON_Q_SELECT, TXQ);
	uint16_t qmax = tern_pci_read16(dev, cb, co + COMMON_Q_SIZE);
	tern_pci_write16(dev, cb, co + COMMON_Q_SIZE, QSZ);
	uint16_t qnoff = tern_pci_read16(dev, cb, co + COMMON_Q_NOFF);
	tern_pci_write32(dev, cb, co + COMMON_Q_DESCLO, (uint32_t)base);
	tern_pci_write32(dev, cb, co + COMMON_Q_DESCHI, (uint32_t)(base >> 32));
	tern_pci_write32(dev, cb, co + COMMON_Q_AVAILLO, (uint32_t)(base + 1024));
	tern_pci_write32(dev, cb, co + COMMON_Q_AVAILHI, (uint32_t)((base + 1024) >> 32));
	tern_pci_write32(dev, cb, co + COMMON_Q_USEDLO, (uint32_t)(base + 2048));
	tern_pci_write32(dev, cb, co + COMMON_Q_USEDHI, (uint32_t)((base + 2048) >> 32));
	tern_pci_write16(dev, cb, co + COMMON_Q_ENABLE, 1);
	tern_pci_write8(dev, cb, co + COMMON_STATUS,
	                STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);

	/* 12-byte virtio_net_hdr (all zero: no offloads) and a 60-byte broadcast frame. */
	memset(frame + 12, 0xff, 6);
	frame[12 + 6] = 0x02;
	frame[12 + 12] = 0x88;
	frame[12 + 13] = 0xb5; /* local experimental ethertype */
	desc[0].addr = tern_dma_virt2iova(frame);
	desc[0].len = 12 + 60;
	desc[0].flags = 0;
	avail[2] = 0;   /* ring[0]: descriptor 0 */
	tern_pci_wmb(); /* descriptor and ring entry before the index (2.4.7) */
	avail[1] = 1;   /* idx */
	tern_pci_wmb(); /* index before the notify */
	tern_pci_write16(dev, nb, noff + (uint64_t)qnoff * mult, TXQ);

	double t0 = now();
	while (used[1] != 1 && now() - t0 < (unmapped_iova ? 1.0 : 5.0))
		tern_pause();
	tern_pci_rmb(); /* pairs with the device's write of used->idx */
	uint32_t id = *(volatile uint32_t *)(mem + 2048 + 4);
	if (unmapped_iova)
		CHECK(used[1] == 0 && desc[0].len == 12 + 60,
		      "%s: the IOMMU kept the device from rings at unmapped IOVA 0x%" PRIx64
		      " (used idx %u after 1 s)",
		      name, base, used[1]);
	else
		CHECK(used[1] == 1 && id == 0,
		      "%s: the device completed a TX descriptor by DMA in %.2f s (queue size %u, "
		      "used "
		      "idx %u, id %u, rings at IOVA 0x%" PRIx64 " in memory allocated %s)",
		      name, now() - t0, qmax, used[1], id, base,
		      was_early ? "before the open" : "after the open");
	tern_pci_write8(dev, cb, co + COMMON_STATUS, 0); /* reset: no more DMA */
	while (tern_pci_read8(dev, cb, co + COMMON_STATUS) != 0)
		;
	tern_pci_bus_master(dev, false);
	if (!was_early)
		tern_dma_free(mem);
}

static void one_device(const char *name, enum tern_pci_access access, const char *expect_fail)
{
	struct tern_pci_addr addr;
	struct tern_pci_dev *dev;
	uint16_t ids[2], cmd;

	if (tern_pci_addr_parse(name, &addr) != 0) {
		CHECK(0, "%s parses", name);
		return;
	}
	dev = tern_pci_open(&addr, access);
	if (expect_fail != NULL) {
		const char *err = tern_eal_last_error();

		CHECK(dev == NULL && strstr(err, expect_fail) != NULL,
		      "%s: open through %s fails with '%s' (got: %s)", name,
		      tern_pci_access_name(access), expect_fail, dev ? "opened" : err);
		tern_pci_close(dev);
		return;
	}
	CHECK(dev != NULL, "%s: opened through %s%s%s", name,
	      dev ? tern_pci_access_name(dev->access) : tern_pci_access_name(access),
	      dev ? "" : ": ", dev ? "" : tern_eal_last_error());
	if (dev == NULL)
		return;
	bool modern = dev->device_id == 0x1041, legacy = dev->device_id == 0x1000;
	CHECK(dev->vendor_id == VIRTIO_VENDOR && (modern || legacy),
	      "%s: virtio-net %04x:%04x (%s)", name, dev->vendor_id, dev->device_id,
	      modern ? "modern" : "transitional");
	CHECK(tern_pci_cfg_read(dev, ids, sizeof(ids), 0) == 0 && ids[0] == dev->vendor_id &&
	          ids[1] == dev->device_id,
	      "%s: config space says %04x:%04x", name, ids[0], ids[1]);

	/* Vendor-specific capabilities: find the common config structure. */
	int ncaps = 0, common_bar = -1, notify_bar = -1;
	uint32_t common_off = 0, notify_off = 0, notify_mult = 0;
	for (int pos = tern_pci_find_cap(dev, 0x09, 0); pos;
	     pos = tern_pci_find_cap(dev, 0x09, pos)) {
		uint8_t cap[20];

		if (tern_pci_cfg_read(dev, cap, sizeof(cap), (uint64_t)pos) != 0)
			break;
		ncaps++;
		/* struct virtio_pci_cap: vndr, next, len, cfg_type, bar, pad[3], offset, length. */
		uint32_t off = (uint32_t)cap[8] | (uint32_t)cap[9] << 8 | (uint32_t)cap[10] << 16 |
		               (uint32_t)cap[11] << 24;
		printf("  cap 0x%02x: cfg_type %u bar %u offset 0x%x\n", pos, cap[3], cap[4], off);
		if (cap[3] == VIRTIO_PCI_CAP_COMMON && common_bar < 0) {
			common_bar = cap[4];
			common_off = off;
		}
		if (cap[3] == VIRTIO_PCI_CAP_NOTIFY && notify_bar < 0) {
			/* virtio 1.0 4.1.4.4: notify_off_multiplier follows the cap. */
			notify_bar = cap[4];
			notify_off = off;
			memcpy(&notify_mult, cap + 16, 4);
		}
	}
	CHECK(ncaps >= 4 && common_bar >= 0,
	      "%s: %d virtio vendor capabilities (0x09), common config in BAR %d at 0x%x", name,
	      ncaps, common_bar, common_off);

	/* PCIe extended capabilities: the iommu variant's NICs (behind root ports) have ATS. */
	int ats = tern_pci_find_ext_cap(dev, 0x000f, 0);
	printf("  PCIe ATS extended capability (0x000f): %s at 0x%x\n", ats ? "found" : "none",
	       ats);
	if (expect_ats)
		CHECK(ats >= 0x100, "%s: ATS extended capability at 0x%x", name, ats);

	if (common_bar >= 0 && common_bar < TERN_PCI_MAX_BARS) {
		void *va = NULL;
		int ret = tern_pci_map_bar(dev, (unsigned)common_bar, &va);

		CHECK(ret == 0 && va != NULL, "%s: BAR %d mapped (%" PRIu64 " bytes)%s%s", name,
		      common_bar, dev->bar[common_bar].len, ret ? ": " : "",
		      ret ? tern_eal_last_error() : "");
		if (ret == 0) {
			tern_pci_write32(dev, (unsigned)common_bar, common_off + COMMON_DFSELECT,
			                 1);
			uint32_t hi =
			    tern_pci_read32(dev, (unsigned)common_bar, common_off + COMMON_DF);
			tern_pci_write32(dev, (unsigned)common_bar, common_off + COMMON_DFSELECT,
			                 0);
			uint32_t lo =
			    tern_pci_read32(dev, (unsigned)common_bar, common_off + COMMON_DF);
			CHECK((hi & VIRTIO_F_VERSION_1_HIGH) && (lo & VIRTIO_NET_F_MAC),
			      "%s: common cfg device_feature = 0x%08x%08x (VERSION_1, MAC)", name,
			      hi, lo);
		}
	}
	if (legacy) {
		CHECK(dev->bar[0].io && dev->bar[0].len > 0,
		      "%s: BAR 0 is an I/O BAR (%" PRIu64 " bytes)", name, dev->bar[0].len);
		uint32_t hf = tern_pci_io_read32(dev, 0, LEGACY_HOST_FEATURES);
		CHECK(hf != UINT32_MAX && (hf & VIRTIO_NET_F_MAC),
		      "%s: legacy I/O BAR host features = 0x%08x (MAC)", name, hf);
	}

	/* Bus master (PCI 3.0 6.2.2, command bit 2): on, read back, off, read back. */
	CHECK(tern_pci_bus_master(dev, true) == 0 && tern_pci_cfg_read(dev, &cmd, 2, 4) == 0 &&
	          (cmd & 0x4),
	      "%s: bus master on (command 0x%04x)", name, cmd);
	CHECK(tern_pci_bus_master(dev, false) == 0 && tern_pci_cfg_read(dev, &cmd, 2, 4) == 0 &&
	          !(cmd & 0x4),
	      "%s: bus master off (command 0x%04x)", name, cmd);

	if (common_bar >= 0 && notify_bar >= 0 && notify_bar < TERN_PCI_MAX_BARS)
		check_virtio_tx(dev, (unsigned)common_bar, common_off, (unsigned)notify_bar,
		                notify_off, notify_mult);
	check_dma("after open", tern_eal_iova_mode() == TERN_IOVA_VA);
	tern_pci_close(dev);
	printf("  %s closed\n", name);
}

int main(int argc, char **argv)
{
	enum tern_pci_access access = TERN_PCI_ACCESS_AUTO;
	struct tern_eal_config cfg;
	const char *expect_fail = NULL, *expect_iova = NULL;
	bool no_eal = false;
	int i;

	tern_eal_config_init(&cfg);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";

		if (strcmp(argv[i], "--access") == 0) {
			access = strcmp(v, "vfio") == 0      ? TERN_PCI_ACCESS_VFIO
			         : strcmp(v, "noiommu") == 0 ? TERN_PCI_ACCESS_NOIOMMU
			         : strcmp(v, "sysfs") == 0   ? TERN_PCI_ACCESS_SYSFS
			                                     : TERN_PCI_ACCESS_AUTO;
		} else if (strcmp(argv[i], "--iova") == 0) {
			cfg.iova_mode = strcmp(v, "pa") == 0   ? TERN_IOVA_PA
			                : strcmp(v, "va") == 0 ? TERN_IOVA_VA
			                                       : TERN_IOVA_DC;
		} else if (strcmp(argv[i], "--expect-ats") == 0) {
			expect_ats = true;
			continue;
		} else if (strcmp(argv[i], "--no-eal") == 0) {
			no_eal = true;
			continue;
		} else if (strcmp(argv[i], "--unmapped-iova") == 0) {
			unmapped_iova = true;
			continue;
		} else if (strcmp(argv[i], "--expect-iova") == 0) {
			expect_iova = v;
		} else if (strcmp(argv[i], "--expect-fail") == 0) {
			expect_fail = v;
		} else {
			fprintf(stderr, "usage: pci_guest [--access A] [--iova M] [--expect-fail "
			                "TEXT] ADDR...\n");
			return 2;
		}
		i++;
	}
	/* Don't care: what the devices need, as tern_eal_init() decides for -a devices. */
	bool dc = cfg.iova_mode == TERN_IOVA_DC;
	for (int j = i; dc && j < argc && cfg.iova_mode != TERN_IOVA_PA; j++) {
		struct tern_pci_addr a;

		if (tern_pci_addr_parse(argv[j], &a) == 0) {
			enum tern_iova_mode need = tern_pci_iova_need(&a, access);

			if (need != TERN_IOVA_DC)
				cfg.iova_mode = need;
		}
	}
	/* Opening needs no EAL: so that an unprivileged open gets to the path's own error. */
	if (no_eal && expect_fail != NULL) {
		for (; i < argc; i++)
			one_device(argv[i], access, expect_fail);
		printf(fails ? "%d check(s) failed\n" : "all checks passed\n", fails);
		return fails ? 1 : 0;
	}
	if (tern_eal_init(&cfg) != 0) {
		printf("FAIL: tern_eal_init: %s\n", tern_eal_last_error());
		return 1;
	}
	const char *mode = tern_eal_iova_mode() == TERN_IOVA_PA ? "pa" : "va";
	printf("tern up, IOVA mode %s\n", mode);
	if (expect_iova != NULL)
		CHECK(strcmp(mode, expect_iova) == 0, "IOVA mode %s (want %s)", mode, expect_iova);
	/* Allocated before any device is open: the VFIO container must map it when it opens. */
	void *early = tern_dma_zalloc("early", 16384, 4096, TERN_SOCKET_ID_ANY);
	CHECK(early != NULL, "early DMA allocation");
	early_mem = early;
	for (; i < argc; i++)
		one_device(argv[i], access, expect_fail);
	check_dma("after close", tern_eal_iova_mode() == TERN_IOVA_VA);
	tern_dma_free(early);
	tern_eal_cleanup();
	printf(fails ? "%d check(s) failed\n" : "all checks passed\n", fails);
	return fails ? 1 : 0;
}
