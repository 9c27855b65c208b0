/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.c - the PCI bus: find devices in sysfs, open them through an access
 * path (pci_vfio.c, pci_sysfs.c, pci_emul.c), and give drivers config
 * space, capabilities, bus mastering and BARs.
 *
 * Everything about a device comes from its sysfs directory
 * (Documentation/ABI/testing/sysfs-bus-pci; Documentation/PCI/sysfs-pci.rst):
 * vendor, device, subsystem_vendor, subsystem_device, class, revision,
 * numa_node, resource (one "start end flags" line per BAR), and the driver
 * link. $TERN_SYSFS_ROOT replaces /sys, so tests can use a fake tree.
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

/* include/linux/ioport.h: the flags column of sysfs "resource". */
#define IORESOURCE_IO  0x00000100
#define IORESOURCE_MEM 0x00000200

#define CAP_WALK_MAX 48 /* (256 - 64) / 4: more links than that is a loop */

const char *tern_pci_sysfs_root(void)
{
	const char *root = getenv("TERN_SYSFS_ROOT");

	return root != NULL && root[0] != '\0' ? root : "/sys";
}

int tern_pci_identify(const struct tern_pci_addr *addr, uint16_t *vendor, uint16_t *device)
{
	struct tern_pci_dev dev;

	if (addr == NULL || vendor == NULL || device == NULL)
		return -EINVAL;
	if (pci_emul_lookup(addr, &dev) == 0)
		free(dev.priv);
	else if (pci_read_dev(addr, &dev) != 0)
		return -ENODEV;
	*vendor = dev.vendor_id;
	*device = dev.device_id;
	return 0;
}

void pci_dev_dir(const struct tern_pci_addr *addr, char *buf, size_t len)
{
	char name[TERN_PCI_ADDR_FMT_SIZE];

	tern_pci_addr_format(addr, name, sizeof(name));
	snprintf(buf, len, "%s/bus/pci/devices/%s", tern_pci_sysfs_root(), name);
}

/* Parse hex digits at *s into *val; returns how many (0 if none, or more than 8). */
static unsigned hex_field(const char **s, uint32_t *val)
{
	unsigned n = 0;

	*val = 0;
	while (isxdigit((unsigned char)**s)) {
		char c = (char)tolower((unsigned char)**s);

		if (++n > 8)
			return 0;
		*val = *val * 16 + (uint32_t)(isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);
		(*s)++;
	}
	return n;
}

int tern_pci_addr_parse(const char *s, struct tern_pci_addr *addr)
{
	uint32_t v[4];
	unsigned len[4], n = 0;
	const char *p = s;

	if (s == NULL || addr == NULL)
		return -EINVAL;
	/*
	 * [domain:]bus:device.function as sysfs and lspci write it; PCI 3.0
	 * 3.2.2.3.1: 8-bit bus, 5-bit device, 3-bit function (domains are Linux's).
	 */
	for (;;) {
		len[n] = hex_field(&p, &v[n]);
		if (len[n] == 0)
			return -EINVAL;
		n++;
		if (*p == ':' && n < 3)
			p++;
		else
			break;
	}
	if (n < 2 || *p++ != '.')
		return -EINVAL;
	len[n] = hex_field(&p, &v[n]);
	if (len[n] != 1 || *p != '\0')
		return -EINVAL;
	unsigned b = n - 2; /* index of the bus field */
	if ((n == 3 && len[0] > 4) || len[b] > 2 || len[b + 1] > 2 || v[b + 1] > 0x1f || v[n] > 7)
		return -EINVAL;
	addr->domain = n == 3 ? v[0] : 0;
	addr->bus = (uint8_t)v[b];
	addr->dev = (uint8_t)v[b + 1];
	addr->func = (uint8_t)v[n];
	return 0;
}

void tern_pci_addr_format(const struct tern_pci_addr *addr, char *buf, size_t len)
{
	snprintf(buf, len, "%04" PRIx32 ":%02x:%02x.%x", addr->domain & 0xffff, addr->bus,
	         addr->dev, addr->func);
}

const char *tern_pci_access_name(enum tern_pci_access access)
{
	switch (access) {
	case TERN_PCI_ACCESS_VFIO:
		return "vfio";
	case TERN_PCI_ACCESS_NOIOMMU:
		return "noiommu";
	case TERN_PCI_ACCESS_SYSFS:
		return "sysfs";
	case TERN_PCI_ACCESS_EMUL:
		return "emul";
	default:
		return "auto";
	}
}

/* First line of dir/file into buf (newline stripped); -errno. */
static int read_line(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_num(const char *dir, const char *file, long long *val)
{
	char buf[64], *end;
	int ret = read_line(dir, file, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*val = strtoll(buf, &end, 0);
	return errno || end == buf ? -EINVAL : 0;
}

/* Name of the kernel driver bound to dir ("" for none). */
static void read_driver(const char *dir, char *buf, size_t len)
{
	char path[PATH_MAX + 32], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/driver", dir);
	n = readlink(path, target, sizeof(target) - 1);
	buf[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	strlcpy(buf, slash ? slash + 1 : target, len);
}

/* BARs from "resource": lines "0xSTART 0xEND 0xFLAGS", the first six are BARs 0-5. */
static void read_bars(const char *dir, struct tern_pci_dev *dev)
{
	char path[PATH_MAX + 32], line[128];
	unsigned i = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/resource", dir);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (i < TERN_PCI_MAX_BARS && fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *q;
		unsigned long long v[3] = {0, 0, 0};
		unsigned n;

		for (n = 0; n < 3; n++, p = q) {
			errno = 0;
			v[n] = strtoull(p, &q, 16);
			if (q == p || errno)
				break;
		}
		unsigned long long start = v[0], end = v[1], flags = v[2];
		if (n == 3 && end > start && (flags & (IORESOURCE_IO | IORESOURCE_MEM))) {
			dev->bar[i].phys = start;
			dev->bar[i].len = end - start + 1;
			dev->bar[i].io = (flags & IORESOURCE_IO) != 0;
		}
		i++;
	}
	fclose(f);
}

int pci_read_dev(const struct tern_pci_addr *addr, struct tern_pci_dev *dev)
{
	char dir[PATH_MAX];
	long long v;

	memset(dev, 0, sizeof(*dev));
	dev->addr = *addr;
	tern_pci_addr_format(addr, dev->name, sizeof(dev->name));
	pci_dev_dir(addr, dir, sizeof(dir));
	if (read_num(dir, "vendor", &v) != 0)
		return -ENOENT;
	dev->vendor_id = (uint16_t)v;
	if (read_num(dir, "device", &v) == 0)
		dev->device_id = (uint16_t)v;
	if (read_num(dir, "subsystem_vendor", &v) == 0)
		dev->subsys_vendor_id = (uint16_t)v;
	if (read_num(dir, "subsystem_device", &v) == 0)
		dev->subsys_device_id = (uint16_t)v;
	/* class: 0xCCSSPP (PCI 3.0 6.2.1: base class, sub-class, programming interface). */
	if (read_num(dir, "class", &v) == 0) {
		dev->class_id = (uint8_t)(v >> 16);
		dev->subclass_id = (uint8_t)(v >> 8);
		dev->prog_if = (uint8_t)v;
	}
	if (read_num(dir, "revision", &v) == 0)
		dev->revision = (uint8_t)v;
	dev->numa_node = read_num(dir, "numa_node", &v) == 0 ? (int)v : -1;
	if (dev->numa_node < -1)
		dev->numa_node = -1;
	read_driver(dir, dev->kdriver, sizeof(dev->kdriver));
	read_bars(dir, dev);
	return 0;
}

static int addr_cmp(const void *x, const void *y)
{
	const struct tern_pci_addr *a = &((const struct tern_pci_dev *)x)->addr;
	const struct tern_pci_addr *b = &((const struct tern_pci_dev *)y)->addr;
	uint64_t ka = ((uint64_t)a->domain << 16) | (unsigned)(a->bus << 8) |
	              (unsigned)(a->dev << 3) | a->func;
	uint64_t kb = ((uint64_t)b->domain << 16) | (unsigned)(b->bus << 8) |
	              (unsigned)(b->dev << 3) | b->func;

	return ka < kb ? -1 : ka > kb;
}

int tern_pci_scan(struct tern_pci_dev **list)
{
	char path[PATH_MAX + 32];
	struct tern_pci_dev *devs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if (list == NULL)
		return -EINVAL;
	*list = NULL;
	snprintf(path, sizeof(path), "%s/bus/pci/devices", tern_pci_sysfs_root());
	d = opendir(path);
	if (d == NULL) {
		int err = errno;

		return tern_error(err, PCI_LOG,
		                  "cannot list PCI devices in %s: %s (is sysfs mounted?)", path,
		                  strerror(err));
	}
	while ((de = readdir(d)) != NULL) {
		struct tern_pci_addr addr;

		if (tern_pci_addr_parse(de->d_name, &addr) != 0)
			continue;
		if (n == cap) {
			struct tern_pci_dev *more;

			cap = cap ? cap * 2 : 16;
			more = realloc(devs, cap * sizeof(*devs));
			if (more == NULL) {
				closedir(d);
				free(devs);
				return -ENOMEM;
			}
			devs = more;
		}
		if (pci_read_dev(&addr, &devs[n]) == 0)
			n++;
	}
	closedir(d);
	if (n > 0)
		qsort(devs, n, sizeof(*devs), addr_cmp);
	*list = devs;
	return (int)n;
}

int tern_pci_parse_access(const char *who, const char *args, enum tern_pci_access *access)
{
	const char *p = args;

	*access = TERN_PCI_ACCESS_AUTO;
	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, ",");

		if (len > 7 && strncmp(p, "access=", 7) == 0) {
			const char *v = p + 7;
			size_t vlen = len - 7;

			if (vlen == 4 && strncmp(v, "vfio", 4) == 0)
				*access = TERN_PCI_ACCESS_VFIO;
			else if (vlen == 7 && strncmp(v, "noiommu", 7) == 0)
				*access = TERN_PCI_ACCESS_NOIOMMU;
			else if (vlen == 5 && strncmp(v, "sysfs", 5) == 0)
				*access = TERN_PCI_ACCESS_SYSFS;
			else if (vlen == 4 && strncmp(v, "auto", 4) == 0)
				*access = TERN_PCI_ACCESS_AUTO;
			else {
				return tern_error(
				    EINVAL, PCI_LOG,
				    "%s: bad access '%.*s': use access=vfio, noiommu, "
				    "sysfs or auto",
				    who, (int)vlen, v);
			}
		} else if (len == 6 && strncmp(p, "access", 6) == 0) {
			return tern_error(EINVAL, PCI_LOG,
			                  "%s: access needs a value: access=vfio, "
			                  "noiommu, sysfs or auto",
			                  who);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/*
 * The path AUTO resolves to for a device, from sysfs alone: vfio-pci bound
 * with an IOMMU group -> VFIO (or NOIOMMU for a no-IOMMU group), no driver
 * -> SYSFS. AUTO when it cannot be told (bound to a kernel driver, absent).
 */
static enum tern_pci_access guess_access(const struct tern_pci_dev *dev)
{
	int group;

	if (dev->emul != NULL)
		return TERN_PCI_ACCESS_EMUL;
	if (strcmp(dev->kdriver, "vfio-pci") == 0) {
		int kind = pci_vfio_group_kind(&dev->addr, &group);

		return kind == 1   ? TERN_PCI_ACCESS_NOIOMMU
		       : kind == 0 ? TERN_PCI_ACCESS_VFIO
		                   : TERN_PCI_ACCESS_AUTO;
	}
	if (dev->kdriver[0] == '\0')
		return TERN_PCI_ACCESS_SYSFS;
	return TERN_PCI_ACCESS_AUTO;
}

static bool needs_pa(enum tern_pci_access a)
{
	return a == TERN_PCI_ACCESS_NOIOMMU || a == TERN_PCI_ACCESS_SYSFS;
}

/*
 * Bits of IOVA the device's IOMMU translates, 64 when sysfs does not say.
 * Intel VT-d 3.x, 10.4.2 (Capability Register): MGAW in bits 21:16 is the
 * maximum guest address width minus one. QEMU's intel-iommu defaults to 39
 * bits, fewer than the 47 of x86-64 user addresses.
 */
int pci_iommu_width(const struct tern_pci_addr *addr)
{
	char dir[PATH_MAX], buf[32];

	pci_dev_dir(addr, dir, sizeof(dir));
	strlcat(dir, "/iommu/intel-iommu", sizeof(dir));
	if (read_line(dir, "cap", buf, sizeof(buf)) != 0)
		return 64;
	unsigned long long cap = strtoull(buf, NULL, 16);
	return (int)((cap >> 16) & 0x3f) + 1;
}

/* Highest bit of a user virtual address plus one (x86-64 4-level paging: 47). */
int pci_user_va_bits(void)
{
	return 47;
}

enum tern_iova_mode tern_pci_iova_need(const struct tern_pci_addr *addr,
                                       enum tern_pci_access access)
{
	struct tern_pci_dev dev;

	if (addr == NULL)
		return TERN_IOVA_DC;
	if (pci_emul_lookup(addr, &dev) == 0) {
		free(dev.priv);
		return TERN_IOVA_VA;
	}
	if (access == TERN_PCI_ACCESS_AUTO) {
		if (pci_read_dev(addr, &dev) != 0)
			return TERN_IOVA_DC;
		access = guess_access(&dev);
	}
	if (needs_pa(access))
		return TERN_IOVA_PA;
	if (access != TERN_PCI_ACCESS_VFIO)
		return TERN_IOVA_DC;
	return pci_iommu_width(addr) < pci_user_va_bits() ? TERN_IOVA_PA : TERN_IOVA_VA;
}

int eal_pci_choose_iova(const struct tern_eal_config *cfg, enum tern_iova_mode *iova)
{
	bool pa = false;

	for (unsigned i = 0; i < cfg->nb_pci; i++) {
		const struct tern_eal_devarg *da = &cfg->pci[i];
		struct tern_pci_addr addr;
		enum tern_pci_access access;
		int ret;

		/* Bad addresses and absent devices are the probe's to report. */
		if (tern_pci_addr_parse(da->name, &addr) != 0)
			continue;
		ret = tern_pci_parse_access(da->name, da->args, &access);
		if (ret)
			return ret;
		if (tern_pci_iova_need(&addr, access) != TERN_IOVA_PA)
			continue;
		if (cfg->iova_mode == TERN_IOVA_VA) {
			struct tern_pci_dev dev;

			if (access == TERN_PCI_ACCESS_AUTO && pci_read_dev(&addr, &dev) == 0)
				access = guess_access(&dev);
			if (needs_pa(access))
				return tern_error(
				    EINVAL, PCI_LOG,
				    "--iova-mode va cannot work with %s: it is reached "
				    "through %s (no IOMMU), which needs physical "
				    "addresses; use --iova-mode pa (as root) or bind it "
				    "to vfio-pci behind an IOMMU",
				    da->name, tern_pci_access_name(access));
			return tern_error(EINVAL, PCI_LOG,
			                  "--iova-mode va cannot work with %s: its IOMMU "
			                  "translates %d-bit addresses, fewer than the %d bits "
			                  "of user virtual addresses; use --iova-mode pa",
			                  da->name, pci_iommu_width(&addr), pci_user_va_bits());
		}
		pa = true;
	}
	if (cfg->iova_mode == TERN_IOVA_PA || pa)
		*iova = TERN_IOVA_PA;
	else
		*iova = TERN_IOVA_VA;
	return 0;
}

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
	ret = pci_emul_lookup(addr, dev);
	if (ret == 0)
		return dev;
	if (ret == -ENOMEM)
		return open_fail(dev, ENOMEM);
	if (access == TERN_PCI_ACCESS_EMUL) {
		tern_error(ENODEV, PCI_LOG, "%s: no device model is registered at this address",
		           name);
		return open_fail(dev, ENODEV);
	}
	if (pci_read_dev(addr, dev) != 0) {
		tern_error(ENODEV, PCI_LOG,
		           "no PCI device %s in %s/bus/pci/devices: check the address "
		           "(tools/tern-devbind --status)",
		           name, tern_pci_sysfs_root());
		return open_fail(dev, ENODEV);
	}

	bool vfio_bound = strcmp(dev->kdriver, "vfio-pci") == 0;
	if (access == TERN_PCI_ACCESS_AUTO) {
		access = guess_access(dev);
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
	if (needs_pa(access) && tern_eal_get_config() != NULL &&
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
		ret = pci_sysfs_open(dev, p);
	else
		ret = pci_vfio_open(dev, p, access == TERN_PCI_ACCESS_NOIOMMU);
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
			pci_vfio_close(dev, p);
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
		                           : pci_emul_cfg_read(dev, buf, len, off);
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
