/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe.c - create the ports at tern_eal_init() and close them at cleanup.
 *
 * Ports are numbered in probe order: the -a (PCI) devices first, then the
 * --vdev devices in command-line order. A vdev name picks its driver by
 * name: "null", "null0", "net_null" and "net_null1" all mean driver "null"
 * (DPDK users write net_null0; tern's own docs write null0).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pmd_internal.h"
#include "port_internal.h"

/* Whether vdev `name` is "[net_]DRV[digits]". */
static bool vdev_matches(const char *name, const char *drv)
{
	size_t len = strlen(drv);

	if (strncmp(name, "net_", 4) == 0)
		name += 4;
	if (strncmp(name, drv, len) != 0)
		return false;
	for (name += len; *name != '\0'; name++)
		if (!isdigit((unsigned char)*name))
			return false;
	return true;
}

/* The driver for a vdev: built-ins first, then plugins. */
static const struct tern_driver *vdev_driver(const char *name)
{
	for (unsigned i = 0; i < tern_builtin_driver_count; i++) {
		const struct tern_driver *drv = tern_builtin_drivers[i];

		if (drv->bus == TERN_BUS_VDEV && vdev_matches(name, drv->name))
			return drv;
	}
	for (unsigned i = 0; i < plugin_count(); i++) {
		const struct tern_driver *drv = plugin_driver(i);

		if (drv->bus == TERN_BUS_VDEV && vdev_matches(name, drv->name))
			return drv;
	}
	return NULL;
}

/* "null, loop": the names of every vdev driver, for the error line. */
static void known_drivers(char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < tern_builtin_driver_count + plugin_count(); i++) {
		const struct tern_driver *drv = i < tern_builtin_driver_count
		                                    ? tern_builtin_drivers[i]
		                                    : plugin_driver(i - tern_builtin_driver_count);

		if (drv->bus != TERN_BUS_VDEV)
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ", ", len);
		strlcat(buf, drv->name, len);
	}
	if (buf[0] == '\0')
		strlcpy(buf, "(none)", len);
}

static int probe_vdev(const struct tern_eal_devarg *da)
{
	const struct tern_driver *drv = vdev_driver(da->name);
	struct tern_port_dev *dev = NULL;
	char before[512]; /* the last error line before probe, to see if the driver set one */
	uint16_t dup;
	int ret;

	if (drv == NULL) {
		char list[256];

		known_drivers(list, sizeof(list));
		tern_eal_set_error(PORT_LOG, "no driver for --vdev %s: known drivers are %s",
		                   da->name, list);
		return -ENODEV;
	}
	if (tern_port_by_name(da->name, &dup) == 0) {
		tern_eal_set_error(PORT_LOG, "--vdev %s is given twice (port %u already has it)",
		                   da->name, dup);
		return -EEXIST;
	}
	strlcpy(before, tern_eal_last_error(), sizeof(before));
	ret = drv->probe(da->name, da->args, &dev);
	if (ret < 0 || dev == NULL) {
		const char *why = tern_eal_last_error();
		const char *sep = strstr(why, ": ");

		if (strcmp(why, before) != 0 && sep != NULL) {
			/* The driver said why (tern_eal_set_error): say it for this device. */
			strlcpy(before, sep + 2, sizeof(before));
			tern_eal_set_error(PORT_LOG, "--vdev %s%s%s: driver %s refused it: %s",
			                   da->name, da->args[0] != '\0' ? "," : "", da->args,
			                   drv->name, before);
		} else {
			tern_eal_set_error(PORT_LOG, "--vdev %s%s%s: driver %s refused it: %s",
			                   da->name, da->args[0] != '\0' ? "," : "", da->args,
			                   drv->name, strerror(ret < 0 ? -ret : EINVAL));
		}
		return ret < 0 ? ret : -EINVAL;
	}
	strlcpy(dev->name, da->name, sizeof(dev->name));
	dev->drv = drv;
	ret = port_attach(dev);
	if (ret < 0) {
		tern_eal_set_error(PORT_LOG, "--vdev %s: more than %d ports", da->name,
		                   TERN_MAX_PORTS);
		dev->ops->close(dev);
		return ret;
	}
	return 0;
}

static void close_all(void)
{
	for (uint16_t p = 0; p < port_nb; p++)
		if (port_devs[p] != NULL)
			tern_port_close(p);
	port_nb = 0;
}

int tern_pmd_init(const struct tern_eal_config *cfg)
{
	int ret;

	if (cfg == NULL)
		return -EINVAL;
	ret = plugin_load_all(cfg);
	if (ret < 0)
		goto fail;
	for (unsigned i = 0; i < cfg->nb_pci; i++) {
		ret = pmd_pci_probe(&cfg->pci[i]); /* pci_probe.c */
		if (ret < 0)
			goto fail;
	}
	for (unsigned i = 0; i < cfg->nb_vdev; i++) {
		ret = probe_vdev(&cfg->vdev[i]);
		if (ret < 0)
			goto fail;
	}
	return 0;
fail:
	/* Leave nothing behind, so that init may simply run again. */
	close_all();
	plugin_unload_all();
	return ret;
}

void tern_pmd_cleanup(void)
{
	/* Closing stops each port, which gives every packet back to its pool. */
	close_all();
	/* Only now: the ports' code and op tables lived in the plugins. */
	plugin_unload_all();
}
