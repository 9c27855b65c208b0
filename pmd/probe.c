/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe.c - create the ports at tern_eal_init() and close them at cleanup
 * (the port layer's struct tern_eal_layer, handed to the EAL by init.c).
 *
 * Ports are numbered in probe order: the -a (PCI) devices first, then the
 * --vdev devices in command-line order. A vdev name picks its driver by
 * name: "null", "null0", "net_null" and "net_null1" all mean driver "null"
 * (DPDK users write net_null0; tern's own docs write null0).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
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
	const struct tern_driver *drv;

	for (unsigned i = 0; (drv = tern_driver_at(i)) != NULL; i++)
		if (drv->bus == TERN_BUS_VDEV && vdev_matches(name, drv->name))
			return drv;
	return NULL;
}

/* "null, loop": the names of every vdev driver, for the error line. */
static void known_drivers(char *buf, size_t len)
{
	const struct tern_driver *drv;

	buf[0] = '\0';
	for (unsigned i = 0; (drv = tern_driver_at(i)) != NULL; i++) {
		if (drv->bus != TERN_BUS_VDEV)
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ", ", len);
		strlcat(buf, drv->name, len);
	}
	if (buf[0] == '\0')
		strlcpy(buf, "(none)", len);
}

void tern_probe_begin(struct tern_probe *pr, const struct tern_driver *drv, const char *what)
{
	pr->drv = drv;
	pr->what = what;
	snprintf(pr->context, sizeof(pr->context), "%s: driver %s refused it", what, drv->name);
	pr->errors = tern_error_count();
	/* Whatever the driver says with tern_error() comes out as one line about this device. */
	tern_error_context_set(PORT_LOG, pr->context);
}

int tern_probe_end(struct tern_probe *pr, int ret, struct tern_port_dev *dev, const char *name)
{
	tern_error_context_clear();
	if (ret < 0 || dev == NULL) {
		ret = ret < 0 ? ret : -EINVAL;
		/* A driver that gave no reason of its own: say what it returned. */
		if (tern_error_count() == pr->errors)
			return tern_error(ret, PORT_LOG, "%s: %s", pr->context, strerror(-ret));
		return ret;
	}
	strlcpy(dev->name, name, sizeof(dev->name));
	dev->drv = pr->drv;
	ret = port_attach(dev);
	if (ret < 0) {
		dev->ops->close(dev);
		return tern_error(ret, PORT_LOG, "%s: more than %d ports", pr->what,
		                  TERN_MAX_PORTS);
	}
	return 0;
}

static int probe_vdev(const struct tern_eal_devarg *da)
{
	const struct tern_driver *drv = vdev_driver(da->name);
	struct tern_port_dev *dev = NULL;
	char what[16 + TERN_DEVARG_NAME_LEN + TERN_DEVARG_ARGS_LEN];
	struct tern_probe pr;
	uint16_t dup;
	int ret;

	if (drv == NULL) {
		char list[256];

		known_drivers(list, sizeof(list));
		return tern_error(ENODEV, PORT_LOG, "no driver for --vdev %s: known drivers are %s",
		                  da->name, list);
	}
	if (tern_port_by_name(da->name, &dup) == 0)
		return tern_error(EEXIST, PORT_LOG,
		                  "--vdev %s is given twice (port %u already has it)", da->name,
		                  dup);
	snprintf(what, sizeof(what), "--vdev %s%s%s", da->name, da->args[0] != '\0' ? "," : "",
	         da->args);
	tern_probe_begin(&pr, drv, what);
	ret = drv->probe(da->name, da->args, &dev);
	return tern_probe_end(&pr, ret, dev, da->name);
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
	ret = tern_plugin_load_all(cfg);
	if (ret < 0)
		goto fail;
	for (unsigned i = 0; i < cfg->nb_pci; i++) {
		ret = tern_pci_probe_port(&cfg->pci[i]); /* pci_probe.c */
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
	tern_plugin_unload_all();
	return ret;
}

void tern_pmd_cleanup(void)
{
	/* Closing stops each port, which gives every packet back to its pool. */
	close_all();
	/* Only now: the ports' code and op tables lived in the plugins. */
	tern_plugin_unload_all();
}
