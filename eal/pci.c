/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.c - open a PCI device through an access path (pci_vfio.c,
 * pci_sysfs.c, pci_emul.c) and give its driver config space, capabilities,
 * bus mastering, memory BARs and I/O ports. Finding and identifying devices
 * (sysfs, nothing opened) is pci_scan.c.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tern_log.h"
#include "eal_pci.h"

#define CAP_WALK_MAX 48 /* (256 - 64) / 4: more links than that is a loop */

static struct tern_pci_dev *open_fail(struct tern_pci_dev *dev, int err)
{
	free(dev);
	tern_errno = err;
	return NULL;
}

struct tern_pci_dev *tern_pci_open(const struct tern_pci_addr *addr, enum tern_pci_access access)
{
	struct tern_pci_dev *dev;
	struct pci_priv *p;
	char name[TERN_PCI_ADDR_FMT_SIZE];
	int ret;

	if (addr == NULL || access > TERN_PCI_ACCESS_EMUL) {
		tern_error(EINVAL, PCI_LOG, "tern_pci_open: bad arguments");
		tern_errno = EINVAL;
		return NULL;
	}
	tern_pci_addr_format(addr, name, sizeof(name));
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return open_fail(NULL, ENOMEM);

	/* A device model in a test takes the address over, whatever sysfs says. */
	ret = tern_pci_emul_lookup(addr, dev);
	if (ret == 0)
		return dev;
	if (ret == -ENOMEM)
		return open_fail(dev, ENOMEM);
	if (access == TERN_PCI_ACCESS_EMUL) {
		tern_error(ENODEV, PCI_LOG, "%s: no device model is registered at this address",
		           name);
		return open_fail(dev, ENODEV);
	}
	if (tern_pci_read_dev(addr, dev) != 0) {
		tern_error(ENODEV, PCI_LOG,
		           "no PCI device %s in %s/bus/pci/devices: check the address "
		           "(tools/tern-devbind --status)",
		           name, tern_pci_sysfs_root());
		return open_fail(dev, ENODEV);
	}

	bool vfio_bound = strcmp(dev->kdriver, "vfio-pci") == 0;
	if (access == TERN_PCI_ACCESS_AUTO) {
		access = tern_pci_guess_access(dev);
		if (access == TERN_PCI_ACCESS_AUTO && vfio_bound) {
			/* Bound to vfio-pci but no group: let the VFIO path say why. */
			access = TERN_PCI_ACCESS_VFIO;
		}
	}
	if (access == TERN_PCI_ACCESS_AUTO ||
	    ((access == TERN_PCI_ACCESS_VFIO || access == TERN_PCI_ACCESS_NOIOMMU) &&
	     !vfio_bound)) {
		if (dev->kdriver[0] != '\0')
			tern_error(EBUSY, PCI_LOG,
			           "%s is bound to the kernel driver %s: use tools/tern-devbind "
			           "--bind vfio-pci %s (or --unbind %s for the sysfs path)",
			           name, dev->kdriver, name, name);
		else
			tern_error(EBUSY, PCI_LOG,
			           "%s is bound to no driver, so VFIO cannot reach it: use "
			           "tools/tern-devbind --bind vfio-pci %s, or access=sysfs",
			           name, name);
		return open_fail(dev, EBUSY);
	}
	if (access == TERN_PCI_ACCESS_SYSFS && dev->kdriver[0] != '\0') {
		tern_error(EBUSY, PCI_LOG,
		           "%s is bound to the kernel driver %s, which owns it: use "
		           "tools/tern-devbind --unbind %s for the sysfs path",
		           name, dev->kdriver, name);
		return open_fail(dev, EBUSY);
	}
	/* A device without an IOMMU puts our IOVAs on the bus as they are. */
	if (tern_pci_needs_pa(access) && tern_eal_get_config() != NULL &&
	    tern_eal_iova_mode() != TERN_IOVA_PA) {
		tern_error(EINVAL, PCI_LOG,
		           "%s: access %s needs physical addresses but tern runs in IOVA "
		           "mode va: start it with --iova-mode pa (as root)",
		           name, tern_pci_access_name(access));
		return open_fail(dev, EINVAL);
	}

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return open_fail(dev, ENOMEM);
	p->cfg.fd = -1;
	for (unsigned i = 0; i < TERN_PCI_MAX_BARS; i++)
		p->bar[i].fd = -1;
	for (unsigned i = 0; i < TERN_DIM(p->own_fds); i++)
		p->own_fds[i] = -1;
	dev->priv = p;
	dev->access = access;
	if (access == TERN_PCI_ACCESS_SYSFS)
		ret = tern_pci_sysfs_open(dev, p);
	else
		ret = tern_pci_vfio_open(dev, p, access == TERN_PCI_ACCESS_NOIOMMU);
	if (ret < 0) {
		for (unsigned i = 0; i < TERN_DIM(p->own_fds); i++)
			if (p->own_fds[i] >= 0)
				close(p->own_fds[i]);
		free(p);
		return open_fail(dev, -ret);
	}
	tern_log(TERN_LOG_INFO, PCI_LOG, "%s (%04x:%04x) opened through %s", name, dev->vendor_id,
	         dev->device_id, tern_pci_access_name(access));
	return dev;
}

void tern_pci_close(struct tern_pci_dev *dev)
{
	struct pci_priv *p;

	if (dev == NULL)
		return;
	p = dev->priv;
	if (dev->emul == NULL && p != NULL) {
		for (unsigned i = 0; i < TERN_PCI_MAX_BARS; i++)
			if (dev->bar[i].va != NULL)
				munmap(dev->bar[i].va, dev->bar[i].len);
		if (dev->access != TERN_PCI_ACCESS_SYSFS)
			tern_pci_vfio_close(dev, p);
		for (unsigned i = 0; i < TERN_DIM(p->own_fds); i++)
			if (p->own_fds[i] >= 0)
				close(p->own_fds[i]);
	}
	free(dev->priv);
	free(dev);
}

int tern_pci_map_bar(struct tern_pci_dev *dev, unsigned idx, void **va)
{
	struct pci_priv *p;
	void *m;

	if (dev == NULL || va == NULL || idx >= TERN_PCI_MAX_BARS)
		return -EINVAL;
	*va = dev->bar[idx].va;
	if (dev->bar[idx].len == 0) {
		return tern_error(ENOENT, PCI_LOG, "%s: BAR %u is not implemented by the device",
		                  dev->name, idx);
	}
	if (dev->bar[idx].io) {
		return tern_error(EINVAL, PCI_LOG,
		                  "%s: BAR %u is an I/O BAR: use tern_pci_io_read*/write*",
		                  dev->name, idx);
	}
	/* A model's registers are reached through its callbacks only. */
	if (dev->emul != NULL || *va != NULL)
		return 0;
	p = dev->priv;
	if (p->bar[idx].fd < 0 || !p->bar[idx].mmap_ok) {
		return tern_error(ENOTSUP, PCI_LOG, "%s: BAR %u cannot be mapped through %s",
		                  dev->name, idx, tern_pci_access_name(dev->access));
	}
	m = mmap(NULL, dev->bar[idx].len, PROT_READ | PROT_WRITE, MAP_SHARED, p->bar[idx].fd,
	         (off_t)p->bar[idx].off);
	if (m == MAP_FAILED) {
		int err = errno;

		return tern_error(err, PCI_LOG, "%s: cannot map BAR %u (%" PRIu64 " bytes): %s",
		                  dev->name, idx, dev->bar[idx].len, strerror(err));
	}
	dev->bar[idx].va = m;
	*va = m;
	return 0;
}

/* Exact pread (rbuf) or pwrite (wbuf) of a region; -EIO for a short transfer. */
static int region_rw(const struct pci_region *r, void *rbuf, const void *wbuf, size_t len,
                     uint64_t off)
{
	ssize_t n;

	if (r->fd < 0)
		return -ENODEV;
	if (r->size && (off > r->size || len > r->size - off))
		return -ERANGE;
	n = wbuf ? pwrite(r->fd, wbuf, len, (off_t)(r->off + off))
	         : pread(r->fd, rbuf, len, (off_t)(r->off + off));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int tern_pci_cfg_read(struct tern_pci_dev *dev, void *buf, size_t len, uint64_t off)
{
	if (dev == NULL || (buf == NULL && len))
		return -EINVAL;
	if (dev->emul != NULL)
		return dev->emul->cfg_read ? dev->emul->cfg_read(dev->emul_ctx, buf, len, off)
		                           : tern_pci_emul_cfg_read(dev, buf, len, off);
	return region_rw(&((struct pci_priv *)dev->priv)->cfg, buf, NULL, len, off);
}

int tern_pci_cfg_write(struct tern_pci_dev *dev, const void *buf, size_t len, uint64_t off)
{
	if (dev == NULL || (buf == NULL && len))
		return -EINVAL;
	if (dev->emul != NULL) {
		if (dev->emul->cfg_write)
			return dev->emul->cfg_write(dev->emul_ctx, buf, len, off);
		if (off > PCI_CFG_HEADER_LEN || len > PCI_CFG_HEADER_LEN - off)
			return -ERANGE;
		memcpy((char *)dev->priv + off, buf, len);
		return 0;
	}
	return region_rw(&((struct pci_priv *)dev->priv)->cfg, NULL, buf, len, off);
}

int tern_pci_bus_master(struct tern_pci_dev *dev, bool on)
{
	uint16_t cmd;
	int ret;

	/* PCI 3.0 6.2.2: command register bit 2 lets the device master the bus (DMA). */
	ret = tern_pci_cfg_read(dev, &cmd, sizeof(cmd), PCI_CFG_COMMAND);
	if (ret == 0) {
		cmd = on ? (uint16_t)(cmd | PCI_COMMAND_MASTER)
		         : (uint16_t)(cmd & ~PCI_COMMAND_MASTER);
		ret = tern_pci_cfg_write(dev, &cmd, sizeof(cmd), PCI_CFG_COMMAND);
	}
	if (ret)
		tern_error(-ret, PCI_LOG, "%s: cannot %s bus mastering in the command register: %s",
		           dev ? dev->name : "?", on ? "enable" : "disable", strerror(-ret));
	return ret;
}

int tern_pci_find_cap(struct tern_pci_dev *dev, uint8_t id, int from)
{
	uint16_t status;
	uint8_t pos, hdr[2];

	/* PCI 3.0 6.7: status bit 4 says a list starts at the pointer at 0x34. */
	if (tern_pci_cfg_read(dev, &status, sizeof(status), PCI_CFG_STATUS) != 0 ||
	    !(status & PCI_STATUS_CAP_LIST))
		return 0;
	if (from == 0) {
		if (tern_pci_cfg_read(dev, &pos, 1, PCI_CFG_CAP_PTR) != 0)
			return 0;
	} else if (from < 0x40 || from > 0xff ||
	           tern_pci_cfg_read(dev, &pos, 1, (uint64_t)from + 1) != 0) {
		return 0;
	}
	/* Each capability: ID at +0, next pointer at +1; the low two bits are reserved. */
	for (unsigned n = 0; n < CAP_WALK_MAX; n++) {
		pos &= 0xfc;
		if (pos < 0x40)
			return 0;
		if (tern_pci_cfg_read(dev, hdr, sizeof(hdr), pos) != 0)
			return 0;
		if (hdr[0] == 0xff)
			return 0;
		if (hdr[0] == id)
			return pos;
		pos = hdr[1];
	}
	return 0;
}

int tern_pci_find_ext_cap(struct tern_pci_dev *dev, uint16_t id, int from)
{
	uint32_t hdr;
	int pos = 0x100;

	/*
	 * PCIe 3.0 7.9.1: each header is ID (15:0), version (19:16), next
	 * (31:20, dword aligned, 0 ends); a list that starts with ID 0 and next 0
	 * is empty. Config space past 0x100 exists only on PCI Express devices.
	 */
	if (from != 0) {
		if (from < 0x100 || from > 0xffc ||
		    tern_pci_cfg_read(dev, &hdr, sizeof(hdr), (uint64_t)from) != 0)
			return 0;
		pos = (int)(hdr >> 20) & 0xffc;
	}
	for (unsigned n = 0; n < (4096 - 256) / 8 && pos >= 0x100; n++) {
		if (tern_pci_cfg_read(dev, &hdr, sizeof(hdr), (uint64_t)pos) != 0 || hdr == 0 ||
		    hdr == UINT32_MAX)
			return 0;
		if ((hdr & 0xffff) == id)
			return pos;
		pos = (int)(hdr >> 20) & 0xffc;
	}
	return 0;
}

/* I/O BAR access; a failed read returns all ones, as a master abort would. */
static uint32_t io_read(struct tern_pci_dev *dev, unsigned bar, uint64_t off, unsigned width)
{
	uint32_t v = 0;

	if (dev->emul != NULL)
		return dev->emul->read(dev->emul_ctx, bar, off, width);
	if (bar >= TERN_PCI_MAX_BARS ||
	    region_rw(&((struct pci_priv *)dev->priv)->bar[bar], &v, NULL, width, off) != 0) {
		tern_log(TERN_LOG_DEBUG, PCI_LOG, "%s: I/O read of BAR %u at 0x%" PRIx64 " failed",
		         dev->name, bar, off);
		return UINT32_MAX;
	}
	return v;
}

static void io_write(struct tern_pci_dev *dev, unsigned bar, uint64_t off, unsigned width,
                     uint32_t v)
{
	if (dev->emul != NULL) {
		dev->emul->write(dev->emul_ctx, bar, off, width, v);
		return;
	}
	if (bar >= TERN_PCI_MAX_BARS ||
	    region_rw(&((struct pci_priv *)dev->priv)->bar[bar], NULL, &v, width, off) != 0)
		tern_log(TERN_LOG_DEBUG, PCI_LOG, "%s: I/O write of BAR %u at 0x%" PRIx64 " failed",
		         dev->name, bar, off);
}

uint8_t tern_pci_io_read8(struct tern_pci_dev *dev, unsigned bar, uint64_t off)
{
	return (uint8_t)io_read(dev, bar, off, 1);
}

uint16_t tern_pci_io_read16(struct tern_pci_dev *dev, unsigned bar, uint64_t off)
{
	return (uint16_t)io_read(dev, bar, off, 2);
}

uint32_t tern_pci_io_read32(struct tern_pci_dev *dev, unsigned bar, uint64_t off)
{
	return io_read(dev, bar, off, 4);
}

void tern_pci_io_write8(struct tern_pci_dev *dev, unsigned bar, uint64_t off, uint8_t v)
{
	io_write(dev, bar, off, 1, v);
}

void tern_pci_io_write16(struct tern_pci_dev *dev, unsigned bar, uint64_t off, uint16_t v)
{
	io_write(dev, bar, off, 2, v);
}

void tern_pci_io_write32(struct tern_pci_dev *dev, unsigned bar, uint64_t off, uint32_t v)
{
	io_write(dev, bar, off, 4, v);
}
