/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_vfio.c - the VFIO access paths (Linux include/uapi/linux/vfio.h,
 * Documentation/driver-api/vfio.rst).
 *
 * The order is the one vfio.rst's example gives: open the container
 * /dev/vfio/vfio, check VFIO_API_VERSION and the IOMMU type extension, open
 * the device's group /dev/vfio/N, check that it is viable (every device in
 * it bound to vfio-pci or to no driver), add it to the container, set the
 * IOMMU type (first group only), and get the device fd by name. Regions
 * (BARs, config space) are then reached through the device fd at the offsets
 * VFIO_DEVICE_GET_REGION_INFO reports.
 *
 * One container per IOMMU type for the whole process: type1 (an IOMMU;
 * every tern DMA allocation is mapped into it with VFIO_IOMMU_MAP_DMA
 * through memory.c's hook) and no-IOMMU (VFIO_NOIOMMU_IOMMU: the group is
 * /dev/vfio/noiommu-N, nothing is mapped, the device sees physical
 * addresses and can DMA anywhere; needs CAP_SYS_RAWIO and vfio loaded with
 * enable_unsafe_noiommu_mode=1 on a kernel built with CONFIG_VFIO_NOIOMMU).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tern_log.h"
#include "eal_internal.h"
#include "eal_pci.h"

#define VFIO_DIR       "/dev/vfio"
#define VFIO_CONTAINER VFIO_DIR "/vfio"

struct vfio_container {
	int fd; /* -1: not open */
	unsigned users;
	bool hooked; /* memory.c maps DMA allocations into it */
};

struct vfio_group {
	struct vfio_group *next;
	int num;
	bool noiommu;
	int fd;
	unsigned users;
};

struct vfio_dev {
	struct vfio_group *group;
	int fd;
};

static pthread_mutex_t vfio_lock = PTHREAD_MUTEX_INITIALIZER;
/* [0]: type1, [1]: no-IOMMU. */
static struct vfio_container containers[2] = {{.fd = -1}, {.fd = -1}};
static struct vfio_group *groups;

int pci_vfio_group_kind(const struct tern_pci_addr *addr, int *group)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], target[PATH_MAX];
	ssize_t n;

	pci_dev_dir(addr, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/iommu_group", dir);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return -ENOENT;
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	*group = (int)strtol(slash ? slash + 1 : target, NULL, 10);
	/*
	 * A no-IOMMU group (vfio's enable_unsafe_noiommu_mode) is a fake group
	 * whose character device is /dev/vfio/noiommu-N; its iommu_group
	 * directory says "vfio-noiommu" in its name file.
	 */
	snprintf(path, sizeof(path), "%s/iommu_group/name", dir);
	FILE *f = fopen(path, "re");
	if (f != NULL) {
		char name[32] = "";
		bool noiommu =
		    fgets(name, sizeof(name), f) != NULL && strncmp(name, "vfio-noiommu", 12) == 0;

		fclose(f);
		if (noiommu)
			return 1;
	}
	snprintf(path, sizeof(path), VFIO_DIR "/noiommu-%d", *group);
	return access(path, F_OK) == 0 ? 1 : 0;
}

/* DMA hook of the type1 container: iova -> va for len bytes, read and write. */
static int type1_map(void *ctx, void *va, tern_iova_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_map map = {
	    .argsz = sizeof(map),
	    .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	    .vaddr = (uint64_t)(uintptr_t)va,
	    .iova = iova,
	    .size = len,
	};

	if (ioctl(*(int *)ctx, VFIO_IOMMU_MAP_DMA, &map) != 0)
		return -errno;
	return 0;
}

static void type1_unmap(void *ctx, void *va, tern_iova_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
	    .argsz = sizeof(unmap),
	    .iova = iova,
	    .size = len,
	};

	(void)va;
	if (ioctl(*(int *)ctx, VFIO_IOMMU_UNMAP_DMA, &unmap) != 0)
		tern_log(TERN_LOG_WARNING, PCI_LOG, "VFIO_IOMMU_UNMAP_DMA of %zu bytes failed: %s",
		         len, strerror(errno));
}

/* Open the container of one kind, or check that it is open. vfio_lock held. */
static int container_get(const char *name, bool noiommu, struct vfio_container **out)
{
	struct vfio_container *c = &containers[noiommu];
	int fd, ver;

	*out = c;
	if (c->fd >= 0)
		return 0;
	fd = open(VFIO_CONTAINER, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			return tern_error(
			    err, PCI_LOG,
			    "%s: no " VFIO_CONTAINER ": the vfio module is not loaded; "
			    "run 'modprobe vfio-pci'%s",
			    name, noiommu ? " with vfio.enable_unsafe_noiommu_mode=1" : "");
		return tern_error(err, PCI_LOG, "%s: cannot open " VFIO_CONTAINER ": %s", name,
		                  strerror(err));
	}
	ver = ioctl(fd, VFIO_GET_API_VERSION);
	if (ver != VFIO_API_VERSION) {
		tern_error(ENOTSUP, PCI_LOG, "%s: VFIO API version %d, tern speaks %d", name, ver,
		           VFIO_API_VERSION);
		close(fd);
		return -ENOTSUP;
	}
	if (noiommu) {
		if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU) <= 0) {
			tern_error(ENOTSUP, PCI_LOG,
			           "%s: vfio has no no-IOMMU mode: load vfio with "
			           "enable_unsafe_noiommu_mode=1 (needs a kernel with "
			           "CONFIG_VFIO_NOIOMMU)",
			           name);
			close(fd);
			return -ENOTSUP;
		}
	} else if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0 &&
	           ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0) {
		tern_error(ENOTSUP, PCI_LOG,
		           "%s: vfio has no type1 IOMMU support: load vfio_iommu_type1", name);
		close(fd);
		return -ENOTSUP;
	}
	c->fd = fd;
	c->users = 0;
	c->hooked = false;
	return 0;
}

static void container_put(struct vfio_container *c)
{
	if (c->users > 0 || c->fd < 0)
		return;
	if (c->hooked)
		eal_memory_set_dma_hook(NULL);
	c->hooked = false;
	close(c->fd);
	c->fd = -1;
}

/* Name the devices of group N bound to a kernel driver, for the not-viable line. */
static void group_culprits(int num, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", tern_pci_sysfs_root(),
	         num);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char link[PATH_MAX + 300], target[PATH_MAX];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s/driver", path, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		const char *drv = strrchr(target, '/');
		drv = drv ? drv + 1 : target;
		if (strcmp(drv, "vfio-pci") == 0 || strcmp(drv, "pci-stub") == 0)
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ", ", len);
		strlcat(buf, de->d_name, len);
		strlcat(buf, " (", len);
		strlcat(buf, drv, len);
		strlcat(buf, ")", len);
	}
	closedir(d);
}

/* Find or open group num and put it in its container. vfio_lock held. */
static int group_get(const char *name, int num, bool noiommu, struct vfio_group **out)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	struct vfio_container *c;
	struct vfio_group *g;
	char path[64];
	int ret;

	for (g = groups; g; g = g->next)
		if (g->num == num && g->noiommu == noiommu) {
			g->users++;
			*out = g;
			return 0;
		}
	ret = container_get(name, noiommu, &c);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), VFIO_DIR "/%s%d", noiommu ? "noiommu-" : "", num);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			tern_error(err, PCI_LOG,
			           "%s: no %s: bind the device to vfio-pci (tools/tern-devbind "
			           "--bind vfio-pci %s)",
			           name, path, name);
		else if (err == EACCES || err == EPERM)
			tern_error(err, PCI_LOG,
			           "%s: permission denied on %s: run as root or give this user "
			           "the file (chown)%s",
			           name, path,
			           noiommu ? "; no-IOMMU also needs CAP_SYS_RAWIO" : "");
		else if (err == EBUSY)
			tern_error(err, PCI_LOG, "%s: %s is in use by another process", name, path);
		else
			tern_error(err, PCI_LOG, "%s: cannot open %s: %s", name, path,
			           strerror(err));
		ret = -err;
		goto err_container;
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) != 0) {
		ret = -errno;
		tern_error(-ret, PCI_LOG, "%s: VFIO_GROUP_GET_STATUS on %s: %s", name, path,
		           strerror(-ret));
		goto err_fd;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		char who[256];

		group_culprits(num, who, sizeof(who));
		tern_error(EPERM, PCI_LOG,
		           "%s: IOMMU group %d is not viable: another device in it is bound "
		           "to a kernel driver (%s); bind every device of the group to vfio-pci",
		           name, num, who[0] ? who : "see /sys/kernel/iommu_groups");
		ret = -EPERM;
		goto err_fd;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &c->fd) != 0) {
		ret = -errno;
		tern_error(-ret, PCI_LOG, "%s: VFIO_GROUP_SET_CONTAINER: %s", name, strerror(-ret));
		goto err_fd;
	}
	/* The IOMMU type is set once, after the container's first group joined. */
	if (c->users == 0) {
		unsigned long type = noiommu ? VFIO_NOIOMMU_IOMMU
		                     : ioctl(c->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0
		                         ? VFIO_TYPE1v2_IOMMU
		                         : VFIO_TYPE1_IOMMU;

		if (ioctl(c->fd, VFIO_SET_IOMMU, type) != 0) {
			ret = -errno;
			tern_error(-ret, PCI_LOG, "%s: VFIO_SET_IOMMU (type %lu): %s%s", name, type,
			           strerror(-ret),
			           noiommu && ret == -EPERM ? " (no-IOMMU needs CAP_SYS_RAWIO)"
			                                    : "");
			goto err_unset;
		}
		if (!noiommu) {
			/* From now on every tern DMA allocation is mapped, IOVA as memory.c says.
			 */
			struct eal_dma_hook hook = {type1_map, type1_unmap, &c->fd};

			ret = eal_memory_set_dma_hook(&hook);
			if (ret) {
				tern_error(-ret, PCI_LOG,
				           "%s: cannot map tern's DMA memory into the IOMMU: %s "
				           "(raise 'ulimit -l' or run as root)",
				           name, strerror(-ret));
				goto err_unset;
			}
			c->hooked = true;
		}
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		ret = -ENOMEM;
		goto err_unset;
	}
	g->num = num;
	g->noiommu = noiommu;
	g->fd = fd;
	g->users = 1;
	g->next = groups;
	groups = g;
	c->users++;
	*out = g;
	return 0;

err_unset:
	ioctl(fd, VFIO_GROUP_UNSET_CONTAINER);
err_fd:
	close(fd);
err_container:
	container_put(c);
	return ret;
}

static void group_put(struct vfio_group *g)
{
	struct vfio_container *c = &containers[g->noiommu];

	if (--g->users > 0)
		return;
	for (struct vfio_group **pp = &groups; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	/* The container drops the group's mappings when its last group leaves. */
	if (c->users == 1 && c->hooked) {
		eal_memory_set_dma_hook(NULL);
		c->hooked = false;
	}
	ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
	close(g->fd);
	free(g);
	c->users--;
	container_put(c);
}

/* Fill the regions of p from the device fd: BARs 0-5 and config space. */
static int get_regions(struct tern_pci_dev *dev, struct pci_priv *p, int fd)
{
	struct vfio_device_info info = {.argsz = sizeof(info)};

	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &info) != 0) {
		return tern_error(errno, PCI_LOG, "%s: VFIO_DEVICE_GET_INFO: %s", dev->name,
		                  strerror(errno));
	}
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		return tern_error(ENODEV, PCI_LOG, "%s: VFIO does not present it as a PCI device",
		                  dev->name);
	}
	for (unsigned i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_CONFIG_REGION_INDEX; i++) {
		struct vfio_region_info reg = {.argsz = sizeof(reg), .index = i};
		struct pci_region *r;

		if (i > VFIO_PCI_BAR5_REGION_INDEX && i != VFIO_PCI_CONFIG_REGION_INDEX)
			continue;
		if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &reg) != 0) {
			return tern_error(errno, PCI_LOG, "%s: VFIO_DEVICE_GET_REGION_INFO %u: %s",
			                  dev->name, i, strerror(errno));
		}
		r = i == VFIO_PCI_CONFIG_REGION_INDEX ? &p->cfg : &p->bar[i];
		if (reg.size == 0)
			continue;
		r->fd = fd;
		r->off = reg.offset;
		r->size = reg.size;
		r->mmap_ok = (reg.flags & VFIO_REGION_INFO_FLAG_MMAP) != 0;
		/* VFIO's sizes are the BARs' own; sysfs may have rounded them. */
		if (i != VFIO_PCI_CONFIG_REGION_INDEX)
			dev->bar[i].len = reg.size;
	}
	return 0;
}

int pci_vfio_open(struct tern_pci_dev *dev, struct pci_priv *p, bool noiommu)
{
	struct vfio_group *g = NULL;
	struct vfio_dev *vd;
	int num, kind, fd, ret;

	kind = pci_vfio_group_kind(&dev->addr, &num);
	if (kind < 0) {
		return tern_error(ENODEV, PCI_LOG,
		                  "%s has no IOMMU group: enable the IOMMU (intel_iommu=on or "
		                  "amd_iommu=on) or use access=noiommu (vfio with "
		                  "enable_unsafe_noiommu_mode=1)",
		                  dev->name);
	}
	if (kind == 1 && !noiommu) {
		return tern_error(EPERM, PCI_LOG,
		                  "%s is in a no-IOMMU group (noiommu-%d): there is no IOMMU to "
		                  "protect memory; say access=noiommu to use it anyway",
		                  dev->name, num);
	}
	if (kind == 0 && noiommu) {
		return tern_error(EINVAL, PCI_LOG,
		                  "%s is behind an IOMMU (group %d), not in no-IOMMU mode: use "
		                  "access=vfio",
		                  dev->name, num);
	}
	/* VA mode puts user addresses on the bus: the IOMMU must translate that many bits. */
	if (!noiommu && tern_eal_get_config() != NULL && tern_eal_iova_mode() == TERN_IOVA_VA &&
	    pci_iommu_width(&dev->addr) < pci_user_va_bits()) {
		return tern_error(
		    EINVAL, PCI_LOG,
		    "%s: its IOMMU translates %d-bit addresses, fewer than the %d bits "
		    "of user virtual addresses: start tern with --iova-mode pa",
		    dev->name, pci_iommu_width(&dev->addr), pci_user_va_bits());
	}
	vd = calloc(1, sizeof(*vd));
	if (vd == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&vfio_lock);
	ret = group_get(dev->name, num, noiommu, &g);
	if (ret == 0 && g == NULL)
		ret = -EIO;
	if (ret == 0) {
		fd = ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, dev->name);
		if (fd < 0) {
			ret = -errno;
			tern_error(-ret, PCI_LOG, "%s: VFIO_GROUP_GET_DEVICE_FD: %s%s", dev->name,
			           strerror(-ret),
			           ret == -EBUSY ? " (opened already, here or elsewhere)" : "");
			group_put(g);
		}
	}
	pthread_mutex_unlock(&vfio_lock);
	if (ret) {
		free(vd);
		return ret;
	}
	vd->group = g;
	vd->fd = fd;
	p->vfio = vd;
	p->own_fds[TERN_PCI_MAX_BARS + 1] = fd;
	ret = get_regions(dev, p, fd);
	if (ret) {
		/* The caller closes own_fds (the device fd); give the group back here. */
		pthread_mutex_lock(&vfio_lock);
		close(fd);
		p->own_fds[TERN_PCI_MAX_BARS + 1] = -1;
		group_put(g);
		pthread_mutex_unlock(&vfio_lock);
		free(vd);
		p->vfio = NULL;
		return ret;
	}
	return 0;
}

void pci_vfio_close(struct tern_pci_dev *dev, struct pci_priv *p)
{
	struct vfio_dev *vd = p->vfio;

	(void)dev;
	if (vd == NULL)
		return;
	pthread_mutex_lock(&vfio_lock);
	/* The device fd goes before its group (vfio.rst: a group with open devices stays). */
	close(vd->fd);
	p->own_fds[TERN_PCI_MAX_BARS + 1] = -1;
	group_put(vd->group);
	pthread_mutex_unlock(&vfio_lock);
	free(vd);
	p->vfio = NULL;
}
