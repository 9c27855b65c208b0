/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_pci.c - the virtio over PCI transports (virtio 1.0 4.1).
 *
 * modern (4.1.4): vendor capabilities point at the common configuration,
 *   notification, ISR and device configuration structures inside memory
 *   BARs; 64 feature bits; FEATURES_OK.
 * legacy (4.1.4.8): one I/O BAR 0 with a fixed layout; 32 feature bits;
 *   rings at page-aligned physical frames.
 * A transitional device (1af4:1000) offers both; we take modern when its
 * capabilities are there and it offers VERSION_1, unless legacy=1 asks.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "tern_error.h"
#include "tern_log.h"
#include "virtio.h"

/* ---- modern: memory BARs through tern_pci_read/write ---- */

static uint32_t common_read32(struct virtio_hw *hw, unsigned off)
{
	return tern_pci_read32(hw->pci, hw->common_bar, hw->common_off + off);
}

static void common_write32(struct virtio_hw *hw, unsigned off, uint32_t v)
{
	tern_pci_write32(hw->pci, hw->common_bar, hw->common_off + off, v);
}

static uint16_t common_read16(struct virtio_hw *hw, unsigned off)
{
	return tern_pci_read16(hw->pci, hw->common_bar, hw->common_off + off);
}

static void common_write16(struct virtio_hw *hw, unsigned off, uint16_t v)
{
	tern_pci_write16(hw->pci, hw->common_bar, hw->common_off + off, v);
}

/* 4.1.3.1: 64-bit fields are written as two 32-bit halves, low first. */
static void common_write64(struct virtio_hw *hw, unsigned lo, unsigned hi, uint64_t v)
{
	common_write32(hw, lo, (uint32_t)v);
	common_write32(hw, hi, (uint32_t)(v >> 32));
}

static uint8_t modern_get_status(struct virtio_hw *hw)
{
	return tern_pci_read8(hw->pci, hw->common_bar, hw->common_off + VIRTIO_PCI_COMMON_STATUS);
}

static void modern_set_status(struct virtio_hw *hw, uint8_t status)
{
	tern_pci_write8(hw->pci, hw->common_bar, hw->common_off + VIRTIO_PCI_COMMON_STATUS, status);
}

/* 4.1.4.3: device_feature through device_feature_select, 32 bits at a time. */
static uint64_t modern_get_features(struct virtio_hw *hw)
{
	uint64_t f;

	common_write32(hw, VIRTIO_PCI_COMMON_DFSELECT, 0);
	f = common_read32(hw, VIRTIO_PCI_COMMON_DF);
	common_write32(hw, VIRTIO_PCI_COMMON_DFSELECT, 1);
	return f | (uint64_t)common_read32(hw, VIRTIO_PCI_COMMON_DF) << 32;
}

static void modern_set_features(struct virtio_hw *hw, uint64_t features)
{
	common_write32(hw, VIRTIO_PCI_COMMON_GFSELECT, 0);
	common_write32(hw, VIRTIO_PCI_COMMON_GF, (uint32_t)features);
	common_write32(hw, VIRTIO_PCI_COMMON_GFSELECT, 1);
	common_write32(hw, VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> 32));
}

/*
 * 4.1.4.3.1: read config_generation around the read until it is stable, at
 * most VIRTIO_CFG_TRIES times: a device whose generation never settles
 * (broken, or hostile) gets a clear error, not a hung caller.
 */
#define VIRTIO_CFG_TRIES 64

static int modern_read_config(struct virtio_hw *hw, unsigned off, void *buf, unsigned len)
{
	uint8_t gen, *p = buf;

	for (int t = 0; t < VIRTIO_CFG_TRIES; t++) {
		gen = tern_pci_read8(hw->pci, hw->common_bar,
		                     hw->common_off + VIRTIO_PCI_COMMON_CFGGENERATION);
		for (unsigned i = 0; i < len; i++)
			p[i] = tern_pci_read8(hw->pci, hw->device_bar, hw->device_off + off + i);
		if (gen == tern_pci_read8(hw->pci, hw->common_bar,
		                          hw->common_off + VIRTIO_PCI_COMMON_CFGGENERATION))
			return 0;
	}
	return tern_error(
	    EIO, VIRTIO_LOG,
	    "%s: device config at %u: config_generation changed on each of %d reads: the "
	    "device keeps rewriting its config; reset it (stop/start) or check the host side",
	    hw->name, off, VIRTIO_CFG_TRIES);
}

static uint16_t modern_get_queue_size(struct virtio_hw *hw, uint16_t index)
{
	if (index >= common_read16(hw, VIRTIO_PCI_COMMON_NUMQ))
		return 0;
	common_write16(hw, VIRTIO_PCI_COMMON_Q_SELECT, index);
	return common_read16(hw, VIRTIO_PCI_COMMON_Q_SIZE);
}

/* 4.1.5.1.3: select the queue, size it, give the three addresses, enable it. */
static int modern_setup_queue(struct virtio_hw *hw, struct virtqueue *vq)
{
	uint16_t noff;

	common_write16(hw, VIRTIO_PCI_COMMON_Q_SELECT, vq->index);
	common_write16(hw, VIRTIO_PCI_COMMON_Q_SIZE, vq->size);
	common_write16(hw, VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR); /* we poll */
	common_write64(hw, VIRTIO_PCI_COMMON_Q_DESCLO, VIRTIO_PCI_COMMON_Q_DESCHI, vq->desc_iova);
	common_write64(hw, VIRTIO_PCI_COMMON_Q_AVAILLO, VIRTIO_PCI_COMMON_Q_AVAILHI,
	               vq->avail_iova);
	common_write64(hw, VIRTIO_PCI_COMMON_Q_USEDLO, VIRTIO_PCI_COMMON_Q_USEDHI, vq->used_iova);
	/* 4.1.4.4: this queue's doorbell is at queue_notify_off * notify_off_multiplier. */
	noff = common_read16(hw, VIRTIO_PCI_COMMON_Q_NOFF);
	vq->notify_off = hw->notify_off + (uint64_t)noff * hw->notify_mult;
	if (hw->pci->emul == NULL && vq->notify_off + 2 > hw->pci->bar[hw->notify_bar].len) {
		return tern_error(EIO, VIRTIO_LOG, "%s: queue %u: doorbell outside BAR %u",
		                  hw->name, vq->index, hw->notify_bar);
	}
	common_write16(hw, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	return 0;
}

/* 4.1.5.2: write the queue index to its doorbell. */
static void modern_notify(struct virtio_hw *hw, struct virtqueue *vq)
{
	tern_pci_write16(hw->pci, hw->notify_bar, vq->notify_off, vq->index);
}

static const struct virtio_ops modern_ops = {
    .name = "modern",
    .get_status = modern_get_status,
    .set_status = modern_set_status,
    .get_features = modern_get_features,
    .set_features = modern_set_features,
    .read_config = modern_read_config,
    .get_queue_size = modern_get_queue_size,
    .setup_queue = modern_setup_queue,
    .notify = modern_notify,
};

/* ---- legacy: I/O BAR 0 through tern_pci_io_* (4.1.4.8) ---- */

static uint8_t legacy_get_status(struct virtio_hw *hw)
{
	return tern_pci_io_read8(hw->pci, 0, VIRTIO_PCI_STATUS);
}

static void legacy_set_status(struct virtio_hw *hw, uint8_t status)
{
	tern_pci_io_write8(hw->pci, 0, VIRTIO_PCI_STATUS, status);
}

static uint64_t legacy_get_features(struct virtio_hw *hw)
{
	return tern_pci_io_read32(hw->pci, 0, VIRTIO_PCI_HOST_FEATURES);
}

static void legacy_set_features(struct virtio_hw *hw, uint64_t features)
{
	tern_pci_io_write32(hw->pci, 0, VIRTIO_PCI_GUEST_FEATURES, (uint32_t)features);
}

static int legacy_read_config(struct virtio_hw *hw, unsigned off, void *buf, unsigned len)
{
	uint8_t *p = buf;

	for (unsigned i = 0; i < len; i++)
		p[i] = tern_pci_io_read8(hw->pci, 0, hw->legacy_cfg_off + off + i);
	return 0; /* legacy has no generation counter (4.1.4.8) */
}

static uint16_t legacy_get_queue_size(struct virtio_hw *hw, uint16_t index)
{
	tern_pci_io_write16(hw->pci, 0, VIRTIO_PCI_QUEUE_SEL, index);
	return tern_pci_io_read16(hw->pci, 0, VIRTIO_PCI_QUEUE_NUM);
}

/* 4.1.5.1.3.1 (legacy): the size is the device's; the rings go at one page frame number. */
static int legacy_setup_queue(struct virtio_hw *hw, struct virtqueue *vq)
{
	uint64_t pfn = vq->desc_iova >> VIRTIO_PCI_QUEUE_ADDR_SHIFT;

	if (pfn >> 32 != 0) {
		return tern_error(ERANGE, VIRTIO_LOG,
		                  "%s: queue %u: ring at 0x%llx is beyond the 44 "
		                  "bits a legacy device can address",
		                  hw->name, vq->index, (unsigned long long)vq->desc_iova);
	}
	tern_pci_io_write16(hw->pci, 0, VIRTIO_PCI_QUEUE_SEL, vq->index);
	if (tern_pci_io_read16(hw->pci, 0, VIRTIO_PCI_QUEUE_NUM) != vq->size) {
		return tern_error(EINVAL, VIRTIO_LOG,
		                  "%s: queue %u: a legacy device's queue size "
		                  "cannot be changed",
		                  hw->name, vq->index);
	}
	tern_pci_io_write32(hw->pci, 0, VIRTIO_PCI_QUEUE_PFN, (uint32_t)pfn);
	return 0;
}

static void legacy_notify(struct virtio_hw *hw, struct virtqueue *vq)
{
	tern_pci_io_write16(hw->pci, 0, VIRTIO_PCI_QUEUE_NOTIFY, vq->index);
}

static const struct virtio_ops legacy_ops = {
    .name = "legacy",
    .get_status = legacy_get_status,
    .set_status = legacy_set_status,
    .get_features = legacy_get_features,
    .set_features = legacy_set_features,
    .read_config = legacy_read_config,
    .get_queue_size = legacy_get_queue_size,
    .setup_queue = legacy_setup_queue,
    .notify = legacy_notify,
};

/* ---- finding the transport ---- */

/*
 * 4.1.4: walk the vendor capabilities; keep the first of each type whose BAR
 * is a memory BAR that holds it (4.1.4.1: the driver uses the first it can).
 * Returns true when common, notify and device config were all found.
 */
static bool modern_caps(struct virtio_hw *hw)
{
	struct tern_pci_dev *pci = hw->pci;
	bool common = false, notify = false, device = false;

	for (int pos = tern_pci_find_cap(pci, PCI_CAP_ID_VNDR, 0); pos > 0;
	     pos = tern_pci_find_cap(pci, PCI_CAP_ID_VNDR, pos)) {
		uint8_t type, bar;
		uint32_t off, len, mult = 0;

		if (tern_pci_cfg_read(pci, &type, 1, pos + VIRTIO_PCI_CAP_CFG_TYPE) < 0 ||
		    tern_pci_cfg_read(pci, &bar, 1, pos + VIRTIO_PCI_CAP_BAR) < 0 ||
		    tern_pci_cfg_read(pci, &off, 4, pos + VIRTIO_PCI_CAP_OFFSET) < 0 ||
		    tern_pci_cfg_read(pci, &len, 4, pos + VIRTIO_PCI_CAP_LENGTH) < 0)
			return false;
		if (bar >= TERN_PCI_MAX_BARS || pci->bar[bar].io ||
		    (uint64_t)off + len > pci->bar[bar].len)
			continue;
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG &&
		    tern_pci_cfg_read(pci, &mult, 4, pos + VIRTIO_PCI_NOTIFY_CAP_MULT) < 0)
			return false;
		if (type == VIRTIO_PCI_CAP_COMMON_CFG && !common) {
			hw->common_bar = bar, hw->common_off = off, common = true;
		} else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !notify) {
			hw->notify_bar = bar, hw->notify_off = off, hw->notify_mult = mult;
			notify = true;
		} else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !device) {
			hw->device_bar = bar, hw->device_off = off, device = true;
		}
	}
	return common && notify && device;
}

static int map_bar(struct virtio_hw *hw, unsigned bar)
{
	void *va;
	int ret = tern_pci_map_bar(hw->pci, bar, &va);

	if (ret < 0)
		return tern_error(-ret, VIRTIO_LOG, "%s: cannot map BAR %u: %s", hw->name, bar,
		                  strerror(-ret));
	return 0;
}

/* Legacy device config sits after the MSI-X vectors only while MSI-X is enabled (4.1.4.8). */
static unsigned legacy_config_offset(struct virtio_hw *hw)
{
	int pos = tern_pci_find_cap(hw->pci, PCI_CAP_ID_MSIX, 0);
	uint16_t ctrl = 0;

	if (pos > 0)
		tern_pci_cfg_read(hw->pci, &ctrl, 2, pos + PCI_MSIX_FLAGS);
	return VIRTIO_PCI_CONFIG_OFF((ctrl & PCI_MSIX_FLAGS_ENABLE) != 0);
}

int tern_virtio_pci_init(struct virtio_hw *hw, bool force_legacy)
{
	struct tern_pci_dev *pci = hw->pci;
	/* A device model (test/virtio) has no I/O flag on its BARs: its BAR 0 stands in. */
	bool has_legacy = (pci->bar[0].io || pci->emul != NULL) &&
	                  pci->bar[0].len >= VIRTIO_PCI_CONFIG_OFF(false);

	if (!force_legacy && modern_caps(hw)) {
		if (map_bar(hw, hw->common_bar) < 0 || map_bar(hw, hw->notify_bar) < 0 ||
		    map_bar(hw, hw->device_bar) < 0)
			return -EIO;
		hw->ops = &modern_ops;
		hw->modern = true;
		/* 6.1: a modern device must offer VERSION_1; else a transitional one can go legacy.
		 */
		if ((modern_get_features(hw) >> VIRTIO_F_VERSION_1 & 1) || !has_legacy)
			return 0;
		tern_log(TERN_LOG_INFO, VIRTIO_LOG, "%s: no VERSION_1: using the legacy interface",
		         hw->name);
	}
	if (!has_legacy) {
		return tern_error(ENODEV, VIRTIO_LOG, "%s: %s", hw->name,
		                  force_legacy
		                      ? "legacy=1, but the device has no legacy I/O BAR 0 "
		                        "(disable-legacy=on?)"
		                      : "neither virtio 1.0 capabilities nor a legacy I/O BAR 0");
	}
	hw->ops = &legacy_ops;
	hw->modern = false;
	hw->legacy_cfg_off = legacy_config_offset(hw);
	return 0;
}

/* 2.1.2 and 4.1.4.3.2: writing 0 resets; the driver waits until status reads back 0. */
int tern_virtio_reset(struct virtio_hw *hw)
{
	hw->ops->set_status(hw, 0);
	for (int i = 0; i < 1000; i++) {
		if (hw->ops->get_status(hw) == 0)
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	return tern_error(ETIMEDOUT, VIRTIO_LOG, "%s: device did not reset within 1 s", hw->name);
}
