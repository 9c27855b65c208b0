/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_probe.c - ports from "-a DDDD:BB:DD.F[,k=v...]".
 *
 * For each -a device: read its ids (sysfs, or a device model registered in
 * a test), pick the driver whose pci_ids list them (built-in drivers first,
 * then plugins), open the device through the access path the devargs ask
 * for ("access=vfio|noiommu|sysfs", automatic otherwise), and hand it to
 * the driver's pci_probe() with the remaining devargs. The driver owns the
 * open device from then on; if it refuses, the device is closed here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern_pci.h"
#include "port_internal.h"

static bool ids_match(const struct tern_driver *drv, uint16_t vendor, uint16_t device)
{
	if (drv->bus != TERN_BUS_PCI || drv->pci_ids == NULL || drv->pci_probe == NULL)
		return false;
	for (const struct tern_pci_id *id = drv->pci_ids; id->vendor != 0; id++)
		if (id->vendor == vendor && id->device == device)
			return true;
	return false;
}

static const struct tern_driver *pci_driver(uint16_t vendor, uint16_t device)
{
	const struct tern_driver *drv;

	for (unsigned i = 0; (drv = tern_driver_at(i)) != NULL; i++)
		if (ids_match(drv, vendor, device))
			return drv;
	return NULL;
}

/* "virtio (1af4:1000 1af4:1041), ixgbe (...)": what PCI drivers there are, for the error line. */
static void known_pci_drivers(char *buf, size_t len)
{
	const struct tern_driver *drv;

	buf[0] = '\0';
	for (unsigned i = 0; (drv = tern_driver_at(i)) != NULL; i++) {
		char ids[16];

		if (drv->bus != TERN_BUS_PCI || drv->pci_ids == NULL)
			continue;
		if (buf[0] != '\0')
			strlcat(buf, "; ", len);
		strlcat(buf, drv->name, len);
		for (const struct tern_pci_id *id = drv->pci_ids; id->vendor != 0; id++) {
			snprintf(ids, sizeof(ids), " %04x:%04x", id->vendor, id->device);
			strlcat(buf, ids, len);
		}
	}
	if (buf[0] == '\0')
		strlcpy(buf, "none built in or loaded with -d", len);
}

/* args without its access=... items (the EAL's, not the driver's). */
static void strip_access(const char *args, char *out, size_t len)
{
	out[0] = '\0';
	for (const char *p = args; *p != '\0';) {
		size_t n = strcspn(p, ",");
		bool is_access = (n == 6 && strncmp(p, "access", 6) == 0) ||
		                 (n >= 7 && strncmp(p, "access=", 7) == 0);

		if (n > 0 && !is_access) {
			size_t used = strlen(out) + (out[0] != '\0');

			if (used + n + 1 > len)
				break; /* args is at most TERN_DEVARG_ARGS_LEN as out is */
			if (out[0] != '\0')
				out[used - 1] = ',';
			memcpy(out + used, p, n);
			out[used + n] = '\0';
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

int tern_pci_probe_port(const struct tern_eal_devarg *da)
{
	const struct tern_driver *drv;
	struct tern_port_dev *dev = NULL;
	struct tern_pci_dev *pci;
	uint16_t vendor, device;
	struct tern_pci_addr addr;
	enum tern_pci_access access;
	char name[TERN_PCI_ADDR_FMT_SIZE], args[TERN_DEVARG_ARGS_LEN];
	char what[8 + TERN_PCI_ADDR_FMT_SIZE];
	struct tern_probe pr;
	uint16_t dup;
	int ret;

	if (tern_pci_addr_parse(da->name, &addr) != 0) {
		return tern_error(EINVAL, PORT_LOG,
		                  "-a %s: not a PCI address: write DDDD:BB:DD.F, e.g. 0000:00:03.0",
		                  da->name);
	}
	tern_pci_addr_format(&addr, name, sizeof(name));
	if (tern_port_by_name(name, &dup) == 0) {
		return tern_error(EEXIST, PORT_LOG, "-a %s is given twice (port %u already has it)",
		                  name, dup);
	}
	ret = tern_pci_parse_access(name, da->args, &access);
	if (ret)
		return ret;

	/* The ids, without opening anything: a device with no driver stays untouched. */
	if (tern_pci_identify(&addr, &vendor, &device) != 0) {
		return tern_error(ENODEV, PORT_LOG,
		                  "no PCI device %s in %s/bus/pci/devices: check the address "
		                  "(tools/tern-devbind --status)",
		                  name, tern_pci_sysfs_root());
	}
	drv = pci_driver(vendor, device);
	if (drv == NULL) {
		char list[256];

		known_pci_drivers(list, sizeof(list));
		return tern_error(ENODEV, PORT_LOG,
		                  "no driver for PCI device %s (%04x:%04x): known PCI "
		                  "drivers are %s",
		                  name, vendor, device, list);
	}

	pci = tern_pci_open(&addr, access);
	if (pci == NULL)
		return -tern_errno; /* tern_pci_open said what is missing */
	strip_access(da->args, args, sizeof(args));
	snprintf(what, sizeof(what), "-a %s", name);
	tern_probe_begin(&pr, drv, what);
	ret = drv->pci_probe(pci, args, &dev);
	if (ret < 0 || dev == NULL)
		tern_pci_close(pci); /* the driver's own close (attach failing) closes pci too */
	return tern_probe_end(&pr, ret, dev, name);
}
