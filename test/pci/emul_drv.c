/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * emul_drv.c - a test plugin driver for PCI device 1234:feed that does just
 * enough to prove the -a probe path: it gets the open device and its devargs
 * (without access=), touches registers through tern_pci_read32/write32, and
 * closes the device in its close op. Only ever matched by a device model.
 *
 * Registers of the model (BAR 0): 0x0 id, 0x4 written 1 at probe, 0x8
 * written 0xdead at close. devargs: mode=ok|refuse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tern_driver.h"

struct emul_port {
	struct tern_port_dev port;
	struct tern_pci_dev *pci;
};

static void emul_close(struct tern_port_dev *dev)
{
	struct emul_port *e = tern_container_of(dev, struct emul_port, port);

	tern_pci_write32(e->pci, 0, 0x8, 0xdead);
	tern_pci_close(e->pci);
	free(e);
}

static const struct tern_port_ops emul_ops = {.close = emul_close};

static int emul_probe(struct tern_pci_dev *pci, const char *args, struct tern_port_dev **dev)
{
	static const char *const known[] = {"mode", NULL};
	struct emul_port *e;
	char mode[16];

	if (tern_devargs_check("emultest", args, known) != 0)
		return -EINVAL;
	if (tern_devargs_get(args, "mode", mode, sizeof(mode)) < 0 || strcmp(mode, "ok") != 0)
		return -EIO;
	if (tern_pci_read32(pci, 0, 0x0) != 0xabcd0001)
		return -ENODEV;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	tern_pci_write32(pci, 0, 0x4, 1);
	e->pci = pci;
	e->port.ops = &emul_ops;
	e->port.rx_burst = tern_port_burst_none;
	e->port.tx_burst = tern_port_burst_none;
	e->port.socket = pci->numa_node;
	*dev = &e->port;
	return 0;
}

static const struct tern_pci_id emul_ids[] = {{0x1234, 0xfeed}, {0, 0}};

static const struct tern_driver emul_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "emultest",
    .bus = TERN_BUS_PCI,
    .pci_ids = emul_ids,
    .pci_probe = emul_probe,
};

TERN_PLUGIN_DRIVER(emul_driver);
