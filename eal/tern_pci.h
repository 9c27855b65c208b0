/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_pci.h - PCI devices for poll-mode drivers.
 *
 * The EAL finds a device in sysfs, opens it through one of three access
 * paths and hands the driver a struct tern_pci_dev: its identity (what
 * Mirage_pci.S exposes: vendor, device, class, subclass, prog-if), its BARs
 * mapped into the process, config space access, bus mastering, and DMA
 * memory whose IOVA the device can use. Drivers never open sysfs or VFIO
 * files themselves.
 *
 * Access paths (chosen automatically, or forced with the devarg
 * "access=vfio|noiommu|sysfs"):
 *   VFIO with an IOMMU: type1 container and group; BARs mapped through VFIO
 *     regions; every DMA allocation mapped into the container with IOVA = VA.
 *   VFIO no-IOMMU: vfio's enable_unsafe_noiommu_mode; physical addresses.
 *   sysfs: resourceN mmap, I/O BARs by pread/pwrite, physical addresses (as
 *     ixy does without VFIO). Needs root; offers no isolation at all.
 * tern never unbinds a kernel driver by itself: a device must already be
 * bound to vfio-pci (VFIO paths) or to no driver (sysfs), e.g. with
 * tools/tern-devbind.
 *
 * Register access goes through tern_pci_read32()/tern_pci_write32() and
 * friends. An emulated device (a software model under test/, never a real
 * one) sets `emul`, and its accesses go to the model's callbacks; a real
 * device pays one well-predicted branch per access for that.
 */
#ifndef TERN_PCI_H
#define TERN_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern_atomic.h"
#include "tern_common.h"
#include "tern_eal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_PCI_MAX_BARS      6
#define TERN_PCI_ADDR_FMT_SIZE 16 /* "dddd:bb:dd.f" and NUL */

struct tern_pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev;
	uint8_t func;
};

enum tern_pci_access {
	TERN_PCI_ACCESS_AUTO = 0,
	TERN_PCI_ACCESS_VFIO,    /* VFIO type1 with an IOMMU: IOVA = VA */
	TERN_PCI_ACCESS_NOIOMMU, /* VFIO no-IOMMU mode: IOVA = PA */
	TERN_PCI_ACCESS_SYSFS,   /* sysfs resourceN: IOVA = PA */
	TERN_PCI_ACCESS_EMUL,    /* a device model in a test (tern_pci_emul_register): IOVA = VA */
};

struct tern_pci_bar {
	uint64_t phys; /* bus address as the kernel reports it */
	uint64_t len;  /* 0: BAR not implemented */
	bool io;       /* an I/O port BAR (access with tern_pci_io_*) */
	void *va;      /* memory BAR mapped by tern_pci_map_bar(), else NULL */
};

/* Callbacks of an emulated device (test models only). */
struct tern_pci_emul {
	uint32_t (*read)(void *ctx, unsigned bar, uint64_t off, unsigned width);
	void (*write)(void *ctx, unsigned bar, uint64_t off, unsigned width, uint32_t val);
	int (*cfg_read)(void *ctx, void *buf, size_t len, uint64_t off);
	int (*cfg_write)(void *ctx, const void *buf, size_t len, uint64_t off);
};

struct tern_pci_dev {
	struct tern_pci_addr addr;
	char name[TERN_PCI_ADDR_FMT_SIZE]; /* "0000:00:03.0" */
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_device_id;
	uint8_t class_id, subclass_id, prog_if, revision;
	int numa_node;    /* -1 when the platform does not say */
	char kdriver[32]; /* kernel driver bound now ("vfio-pci", "" for none) */
	enum tern_pci_access access;
	struct tern_pci_bar bar[TERN_PCI_MAX_BARS];
	const struct tern_pci_emul *emul; /* NULL for real devices */
	void *emul_ctx;
	void *priv; /* the access path's state (eal/pci_*.c) */
};

/* "0000:00:03.0" or "00:03.0" -> addr. 0 or -EINVAL. */
int tern_pci_addr_parse(const char *s, struct tern_pci_addr *addr);
void tern_pci_addr_format(const struct tern_pci_addr *addr, char *buf, size_t len);

/*
 * Every PCI device sysfs lists, read-only (identity, BAR sizes, bound kernel
 * driver; nothing is opened), in address order. *list is malloc'ed; free it
 * with free(). Returns the count or a negative errno. Device models are not
 * listed ($TERN_SYSFS_ROOT replaces /sys, for tests).
 */
int tern_pci_scan(struct tern_pci_dev **list);

/*
 * Open a device for a driver through `access` (AUTO: VFIO if the device is
 * bound to vfio-pci and its group is viable, no-IOMMU if that group is a
 * noiommu one, else sysfs when no kernel driver is bound). On failure
 * returns NULL with tern_errno set and tern_eal_last_error() naming what is
 * missing (module, permission, IOMMU group, hugepages, bound driver).
 */
struct tern_pci_dev *tern_pci_open(const struct tern_pci_addr *addr, enum tern_pci_access access);
void tern_pci_close(struct tern_pci_dev *dev);

/*
 * The IOVA mode a device needs, from sysfs alone (nothing is opened), for
 * `access` (AUTO: the path tern_pci_open would take): TERN_IOVA_VA when it
 * is reached through VFIO behind an IOMMU wide enough for this process's
 * virtual addresses (or is a device model), TERN_IOVA_PA when it needs
 * physical addresses (no-IOMMU, sysfs, or an IOMMU narrower than user
 * addresses, e.g. 39-bit VT-d), TERN_IOVA_DC when that cannot be told (not
 * present, bound to a kernel driver). tern_eal_init() asks this of every -a
 * device; an application that opens devices itself can ask it before init.
 */
enum tern_iova_mode tern_pci_iova_need(const struct tern_pci_addr *addr,
                                       enum tern_pci_access access);

/* "vfio", "noiommu", "sysfs" or "auto". */
const char *tern_pci_access_name(enum tern_pci_access access);

/*
 * The vendor and device ids of the device at addr, without opening it: from
 * a device model registered there, else from sysfs. 0, or -ENODEV (nothing
 * at that address; no error line: the caller says what it was looking for).
 */
int tern_pci_identify(const struct tern_pci_addr *addr, uint16_t *vendor, uint16_t *device);

/* Where PCI devices are looked up: $TERN_SYSFS_ROOT (for tests) or "/sys". */
const char *tern_pci_sysfs_root(void);

/*
 * The "access=vfio|noiommu|sysfs" item of a devargs string (AUTO when
 * absent). 0, or -EINVAL after one error line naming `who` (the device).
 */
int tern_pci_parse_access(const char *who, const char *args, enum tern_pci_access *access);

/*
 * Map memory BAR `idx` (once; later calls return the same mapping; unmapped
 * by tern_pci_close). -ENOENT: BAR not implemented; -EINVAL: an I/O BAR (use
 * tern_pci_io_*); -ENOTSUP: the path cannot map it. A device model returns 0
 * with *va NULL: its registers are reached through tern_pci_read32() & co.
 */
int tern_pci_map_bar(struct tern_pci_dev *dev, unsigned idx, void **va);

int tern_pci_cfg_read(struct tern_pci_dev *dev, void *buf, size_t len, uint64_t off);
int tern_pci_cfg_write(struct tern_pci_dev *dev, const void *buf, size_t len, uint64_t off);
/* Command register bit 2 (PCI 3.0 6.2.2): on before the device may DMA. */
int tern_pci_bus_master(struct tern_pci_dev *dev, bool on);

/* Walk the capability list; returns the config offset of capability `id` after `from` (0: start),
 * or 0. */
int tern_pci_find_cap(struct tern_pci_dev *dev, uint8_t id, int from);

/*
 * Walk the PCI Express extended capability list (config space from 0x100,
 * PCIe 3.0 7.9.1); returns the offset of capability `id` after `from` (0:
 * start), or 0 (also for conventional PCI devices and device models).
 */
int tern_pci_find_ext_cap(struct tern_pci_dev *dev, uint16_t id, int from);

/* I/O port BARs (legacy virtio): by VFIO region or sysfs resourceN pread/pwrite. */
uint8_t tern_pci_io_read8(struct tern_pci_dev *dev, unsigned bar, uint64_t off);
uint16_t tern_pci_io_read16(struct tern_pci_dev *dev, unsigned bar, uint64_t off);
uint32_t tern_pci_io_read32(struct tern_pci_dev *dev, unsigned bar, uint64_t off);
void tern_pci_io_write8(struct tern_pci_dev *dev, unsigned bar, uint64_t off, uint8_t v);
void tern_pci_io_write16(struct tern_pci_dev *dev, unsigned bar, uint64_t off, uint16_t v);
void tern_pci_io_write32(struct tern_pci_dev *dev, unsigned bar, uint64_t off, uint32_t v);

/*
 * Device models in tests register at an address through eal/pci_test.h
 * (not installed, not exported from libtern.so); a driver sees no
 * difference but `emul` below.
 */

/* ---- memory BAR registers: inline, one branch for emulated devices ---- */

static inline uint32_t tern_pci_read32(const struct tern_pci_dev *dev, unsigned bar, uint64_t off)
{
	if (tern_unlikely(dev->emul != NULL))
		return dev->emul->read(dev->emul_ctx, bar, off, 4);
	return *(const volatile uint32_t *)((const char *)dev->bar[bar].va + off);
}

static inline void tern_pci_write32(const struct tern_pci_dev *dev, unsigned bar, uint64_t off,
                                    uint32_t val)
{
	if (tern_unlikely(dev->emul != NULL)) {
		dev->emul->write(dev->emul_ctx, bar, off, 4, val);
		return;
	}
	*(volatile uint32_t *)((char *)dev->bar[bar].va + off) = val;
}

static inline uint16_t tern_pci_read16(const struct tern_pci_dev *dev, unsigned bar, uint64_t off)
{
	if (tern_unlikely(dev->emul != NULL))
		return (uint16_t)dev->emul->read(dev->emul_ctx, bar, off, 2);
	return *(const volatile uint16_t *)((const char *)dev->bar[bar].va + off);
}

static inline void tern_pci_write16(const struct tern_pci_dev *dev, unsigned bar, uint64_t off,
                                    uint16_t val)
{
	if (tern_unlikely(dev->emul != NULL)) {
		dev->emul->write(dev->emul_ctx, bar, off, 2, val);
		return;
	}
	*(volatile uint16_t *)((char *)dev->bar[bar].va + off) = val;
}

static inline uint8_t tern_pci_read8(const struct tern_pci_dev *dev, unsigned bar, uint64_t off)
{
	if (tern_unlikely(dev->emul != NULL))
		return (uint8_t)dev->emul->read(dev->emul_ctx, bar, off, 1);
	return *(const volatile uint8_t *)((const char *)dev->bar[bar].va + off);
}

static inline void tern_pci_write8(const struct tern_pci_dev *dev, unsigned bar, uint64_t off,
                                   uint8_t val)
{
	if (tern_unlikely(dev->emul != NULL)) {
		dev->emul->write(dev->emul_ctx, bar, off, 1, val);
		return;
	}
	*(volatile uint8_t *)((char *)dev->bar[bar].va + off) = val;
}

/*
 * Make DMA-memory writes done so far visible to the device before a
 * following register write (a doorbell). On x86-64 stores are not reordered
 * with other stores and MMIO is uncached, so the compiler barrier that a
 * release fence is there suffices. A port to a weakly ordered CPU must make
 * this a barrier that covers device memory (arm64: dmb oshst); keep every
 * doorbell behind this one function so that port is one line.
 */
static inline void tern_pci_wmb(void)
{
	atomic_thread_fence(memory_order_release);
}

/* Read-side pair of tern_pci_wmb(): after seeing a done bit, before reading the rest. */
static inline void tern_pci_rmb(void)
{
	atomic_thread_fence(memory_order_acquire);
}

#ifdef __cplusplus
}
#endif

#endif /* TERN_PCI_H */
