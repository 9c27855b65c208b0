/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_pci.h - how eal/pci.c and its access paths (pci_vfio.c, pci_sysfs.c,
 * pci_emul.c) share a device, and what eal.c asks of PCI.
 * Not installed.
 *
 * Both real paths reduce to file descriptors and offsets: config space,
 * I/O BARs and memory BARs are each a (fd, offset) pair that pci.c preads,
 * pwrites or mmaps. sysfs: the files config and resourceN at offset 0; VFIO:
 * the device fd at each region's offset (Linux Documentation/driver-api/
 * vfio.rst, "VFIO bus driver API": regions are read, written and mapped
 * through the device fd at the offset VFIO_DEVICE_GET_REGION_INFO gives).
 */
#ifndef TERN_EAL_PCI_H
#define TERN_EAL_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "tern_eal.h"
#include "tern_pci.h"

#define PCI_LOG "pci"

/* PCI 3.0, 6.1 configuration space header. */
#define PCI_CFG_VENDOR_ID   0x00
#define PCI_CFG_COMMAND     0x04
#define PCI_CFG_STATUS      0x06
#define PCI_CFG_CAP_PTR     0x34
#define PCI_COMMAND_IO      0x1
#define PCI_COMMAND_MEMORY  0x2
#define PCI_COMMAND_MASTER  0x4 /* bus master enable, PCI 3.0 6.2.2 */
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CFG_HEADER_LEN  256

/* A region of the device reachable through a file: config space or a BAR. */
struct pci_region {
	int fd;        /* -1: not available */
	uint64_t off;  /* offset of the region in fd */
	uint64_t size; /* 0: unknown (sysfs config) */
	bool mmap_ok;  /* the path allows mmap of this region */
};

/* tern_pci_dev.priv of a real device. */
struct pci_priv {
	struct pci_region cfg;
	struct pci_region bar[TERN_PCI_MAX_BARS];
	int own_fds[TERN_PCI_MAX_BARS + 2]; /* fds to close (sysfs), -1 for none */
	void *vfio;                         /* pci_vfio.c's group/device state */
};

/* pci.c: a device's directory under tern_pci_sysfs_root(). */
void pci_dev_dir(const struct tern_pci_addr *addr, char *buf, size_t len);

/* pci.c: read identity, BARs and driver of one device from sysfs; -ENOENT if absent. */
int pci_read_dev(const struct tern_pci_addr *addr, struct tern_pci_dev *dev);

/* pci.c: bits of IOVA the device's IOMMU translates (64: unknown); user VA bits. */
int pci_iommu_width(const struct tern_pci_addr *addr);
int pci_user_va_bits(void);

/* pci_sysfs.c: open config and resourceN files. 0 or negative errno after one error line. */
int pci_sysfs_open(struct tern_pci_dev *dev, struct pci_priv *p);

/* pci_vfio.c: join the device's group to a container, get the device fd and its regions. */
int pci_vfio_open(struct tern_pci_dev *dev, struct pci_priv *p, bool noiommu);
void pci_vfio_close(struct tern_pci_dev *dev, struct pci_priv *p);

/*
 * pci_vfio.c: what group a device bound to vfio-pci is in. Returns 1 for
 * a no-IOMMU group, 0 for an IOMMU one, -ENOENT without iommu_group.
 */
int pci_vfio_group_kind(const struct tern_pci_addr *addr, int *group);

/* pci_emul.c: the model registered for addr, filled into dev; -ENOENT if none. */
int pci_emul_lookup(const struct tern_pci_addr *addr, struct tern_pci_dev *dev);
/* pci_emul.c: config space of a model without cfg callbacks (a synthesized header). */
int pci_emul_cfg_read(struct tern_pci_dev *dev, void *buf, size_t len, uint64_t off);

/*
 * pci.c, for eal.c: the IOVA mode init should use for the -a devices of
 * cfg, before memory is handed out. TERN_IOVA_DC in the config: VA if every
 * device is reached through VFIO with an IOMMU (or is a model), else PA. An
 * explicit mode that a device cannot work with fails with one line.
 */
int eal_pci_choose_iova(const struct tern_eal_config *cfg, enum tern_iova_mode *iova);

#endif /* TERN_EAL_PCI_H */
