/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_sysfs.c - the access path without VFIO, as ixy does it: the device
 * is bound to no driver, its memory BARs are mmap'ed from resourceN, its
 * I/O BARs are read and written with pread/pwrite on resourceN, and config
 * space is the file `config` (Documentation/PCI/sysfs-pci.rst). The device
 * is given physical addresses, so DMA reaches all of memory: no isolation.
 * Opening these files for writing needs root (CAP_SYS_ADMIN).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eal_pci.h"

static int open_file(struct tern_pci_dev *dev, const char *dir, const char *file, int *fd)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	int err = errno;
	if (err == EACCES || err == EPERM)
		return tern_error(err, PCI_LOG,
		                  "%s: cannot open %s (%s): the sysfs path needs root; run as root "
		                  "or bind the device to vfio-pci",
		                  dev->name, path, strerror(err));
	return tern_error(err, PCI_LOG, "%s: cannot open %s: %s", dev->name, path, strerror(err));
}

int pci_sysfs_open(struct tern_pci_dev *dev, struct pci_priv *p)
{
	char dir[PATH_MAX], file[16];
	int ret;

	pci_dev_dir(&dev->addr, dir, sizeof(dir));
	ret = open_file(dev, dir, "config", &p->cfg.fd);
	if (ret)
		return ret;
	p->own_fds[TERN_PCI_MAX_BARS] = p->cfg.fd;
	p->cfg.off = 0;
	p->cfg.size = 0; /* 256 or 4096 bytes: the file says with a short read */
	for (unsigned i = 0; i < TERN_PCI_MAX_BARS; i++) {
		if (dev->bar[i].len == 0)
			continue;
		/* The upper half of a 64-bit BAR has no resource file; sysfs lists only the BAR. */
		snprintf(file, sizeof(file), "resource%u", i);
		ret = open_file(dev, dir, file, &p->bar[i].fd);
		if (ret)
			return ret;
		p->own_fds[i] = p->bar[i].fd;
		p->bar[i].off = 0;
		p->bar[i].size = dev->bar[i].len;
		/* Linux refuses mmap of an I/O resourceN on x86; those go by pread/pwrite. */
		p->bar[i].mmap_ok = !dev->bar[i].io;
	}
	return 0;
}
