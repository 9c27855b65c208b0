/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_emul.c - device models in tests stand in for PCI addresses.
 *
 * A model registers an address with its ids, BAR lengths and callbacks;
 * tern_pci_open() of that address then returns a device whose register
 * accesses call the model (tern_pci.h's inline accessors branch on `emul`).
 * Nothing of sysfs or VFIO is touched, and DMA addresses are virtual: the
 * model runs in this process and reads our memory directly.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eal_pci.h"
#include "pci_test.h"

struct emul_entry {
	struct emul_entry *next;
	struct tern_pci_addr addr;
	uint16_t vendor, device;
	const struct tern_pci_emul *ops;
	void *ctx;
	uint64_t bar_len[TERN_PCI_MAX_BARS];
};

static pthread_mutex_t emul_lock = PTHREAD_MUTEX_INITIALIZER;
static struct emul_entry *emuls;

static bool same(const struct tern_pci_addr *a, const struct tern_pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev && a->func == b->func;
}

int tern_pci_emul_register(const struct tern_pci_addr *addr, uint16_t vendor, uint16_t device,
                           const struct tern_pci_emul *ops, void *ctx,
                           const uint64_t bar_len[TERN_PCI_MAX_BARS])
{
	struct emul_entry *e;

	if (addr == NULL || ops == NULL || ops->read == NULL || ops->write == NULL) {
		return tern_error(EINVAL, PCI_LOG,
		                  "tern_pci_emul_register: an address and read/write "
		                  "callbacks are needed");
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->addr = *addr;
	e->vendor = vendor;
	e->device = device;
	e->ops = ops;
	e->ctx = ctx;
	if (bar_len != NULL)
		memcpy(e->bar_len, bar_len, sizeof(e->bar_len));
	pthread_mutex_lock(&emul_lock);
	for (struct emul_entry *o = emuls; o; o = o->next)
		if (same(&o->addr, addr)) {
			pthread_mutex_unlock(&emul_lock);
			free(e);
			return -EEXIST;
		}
	e->next = emuls;
	emuls = e;
	pthread_mutex_unlock(&emul_lock);
	return 0;
}

int tern_pci_emul_unregister(const struct tern_pci_addr *addr)
{
	int ret = -ENOENT;

	if (addr == NULL)
		return -EINVAL;
	pthread_mutex_lock(&emul_lock);
	for (struct emul_entry **pp = &emuls; *pp; pp = &(*pp)->next)
		if (same(&(*pp)->addr, addr)) {
			struct emul_entry *e = *pp;

			*pp = e->next;
			free(e);
			ret = 0;
			break;
		}
	pthread_mutex_unlock(&emul_lock);
	return ret;
}

/* Little-endian stores into the synthesized config header (PCI is little endian). */
static void put16(uint8_t *c, unsigned off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, unsigned off, uint32_t v)
{
	put16(c, off, (uint16_t)v);
	put16(c, off + 2, (uint16_t)(v >> 16));
}

int pci_emul_lookup(const struct tern_pci_addr *addr, struct tern_pci_dev *dev)
{
	struct emul_entry found;
	bool hit = false;
	uint8_t *cfg;

	pthread_mutex_lock(&emul_lock);
	for (struct emul_entry *e = emuls; e; e = e->next)
		if (same(&e->addr, addr)) {
			found = *e;
			hit = true;
			break;
		}
	pthread_mutex_unlock(&emul_lock);
	if (!hit)
		return -ENOENT;
	/* Models without config callbacks get a type 0 header (PCI 3.0 6.1) kept here. */
	cfg = calloc(1, PCI_CFG_HEADER_LEN);
	if (cfg == NULL)
		return -ENOMEM;
	put16(cfg, PCI_CFG_VENDOR_ID, found.vendor);
	put16(cfg, PCI_CFG_VENDOR_ID + 2, found.device);
	put16(cfg, PCI_CFG_COMMAND, PCI_COMMAND_MEMORY);
	for (unsigned i = 0; i < TERN_PCI_MAX_BARS; i++)
		if (found.bar_len[i])
			put32(cfg, 0x10 + 4 * i, 0); /* 32-bit memory BAR at 0: no bus address */
	put16(cfg, 0x2c, found.vendor);              /* subsystem vendor */
	put16(cfg, 0x2e, found.device);              /* subsystem id */

	memset(dev, 0, sizeof(*dev));
	dev->addr = *addr;
	tern_pci_addr_format(addr, dev->name, sizeof(dev->name));
	dev->vendor_id = found.vendor;
	dev->device_id = found.device;
	dev->subsys_vendor_id = found.vendor;
	dev->subsys_device_id = found.device;
	dev->numa_node = -1;
	dev->access = TERN_PCI_ACCESS_EMUL;
	for (unsigned i = 0; i < TERN_PCI_MAX_BARS; i++)
		dev->bar[i].len = found.bar_len[i];
	dev->emul = found.ops;
	dev->emul_ctx = found.ctx;
	dev->priv = cfg;
	return 0;
}

int pci_emul_cfg_read(struct tern_pci_dev *dev, void *buf, size_t len, uint64_t off)
{
	if (off > PCI_CFG_HEADER_LEN || len > PCI_CFG_HEADER_LEN - off)
		return -ERANGE;
	memcpy(buf, (const char *)dev->priv + off, len);
	return 0;
}
