/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_scan.c - the PCI bus seen from sysfs, nothing opened: addresses,
 * identity, the scan, the access path a device would take and the IOVA mode
 * it needs. Opening, config space and BARs are pci.c.
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
	if (tern_pci_emul_lookup(addr, &dev) == 0)
		free(dev.priv);
	else if (tern_pci_read_dev(addr, &dev) != 0)
		return -ENODEV;
	*vendor = dev.vendor_id;
	*device = dev.device_id;
	return 0;
}

void tern_pci_dev_dir(const struct tern_pci_addr *addr, char *buf, size_t len)
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

int tern_pci_read_dev(const struct tern_pci_addr *addr, struct tern_pci_dev *dev)
{
	char dir[PATH_MAX];
	long long v;

	memset(dev, 0, sizeof(*dev));
	dev->addr = *addr;
	tern_pci_addr_format(addr, dev->name, sizeof(dev->name));
	tern_pci_dev_dir(addr, dir, sizeof(dir));
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
		if (tern_pci_read_dev(&addr, &devs[n]) == 0)
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
enum tern_pci_access tern_pci_guess_access(const struct tern_pci_dev *dev)
{
	int group;

	if (dev->emul != NULL)
		return TERN_PCI_ACCESS_EMUL;
	if (strcmp(dev->kdriver, "vfio-pci") == 0) {
		int kind = tern_pci_vfio_group_kind(&dev->addr, &group);

		return kind == 1   ? TERN_PCI_ACCESS_NOIOMMU
		       : kind == 0 ? TERN_PCI_ACCESS_VFIO
		                   : TERN_PCI_ACCESS_AUTO;
	}
	if (dev->kdriver[0] == '\0')
		return TERN_PCI_ACCESS_SYSFS;
	return TERN_PCI_ACCESS_AUTO;
}

bool tern_pci_needs_pa(enum tern_pci_access a)
{
	return a == TERN_PCI_ACCESS_NOIOMMU || a == TERN_PCI_ACCESS_SYSFS;
}

/*
 * Bits of IOVA the device's IOMMU translates, 64 when sysfs does not say.
 * Intel VT-d 3.x, 10.4.2 (Capability Register): MGAW in bits 21:16 is the
 * maximum guest address width minus one. QEMU's intel-iommu defaults to 39
 * bits, fewer than the 47 of x86-64 user addresses.
 */
int tern_pci_iommu_width(const struct tern_pci_addr *addr)
{
	char dir[PATH_MAX], buf[32];

	tern_pci_dev_dir(addr, dir, sizeof(dir));
	strlcat(dir, "/iommu/intel-iommu", sizeof(dir));
	if (read_line(dir, "cap", buf, sizeof(buf)) != 0)
		return 64;
	unsigned long long cap = strtoull(buf, NULL, 16);
	return (int)((cap >> 16) & 0x3f) + 1;
}

/* Highest bit of a user virtual address plus one (x86-64 4-level paging: 47). */
int tern_pci_user_va_bits(void)
{
	return 47;
}

enum tern_iova_mode tern_pci_iova_need(const struct tern_pci_addr *addr,
                                       enum tern_pci_access access)
{
	struct tern_pci_dev dev;

	if (addr == NULL)
		return TERN_IOVA_DC;
	if (tern_pci_emul_lookup(addr, &dev) == 0) {
		free(dev.priv);
		return TERN_IOVA_VA;
	}
	if (access == TERN_PCI_ACCESS_AUTO) {
		if (tern_pci_read_dev(addr, &dev) != 0)
			return TERN_IOVA_DC;
		access = tern_pci_guess_access(&dev);
	}
	if (tern_pci_needs_pa(access))
		return TERN_IOVA_PA;
	if (access != TERN_PCI_ACCESS_VFIO)
		return TERN_IOVA_DC;
	return tern_pci_iommu_width(addr) < tern_pci_user_va_bits() ? TERN_IOVA_PA : TERN_IOVA_VA;
}

int tern_eal_pci_choose_iova(const struct tern_eal_config *cfg, enum tern_iova_mode *iova)
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

			if (access == TERN_PCI_ACCESS_AUTO && tern_pci_read_dev(&addr, &dev) == 0)
				access = tern_pci_guess_access(&dev);
			if (tern_pci_needs_pa(access))
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
			                  da->name, tern_pci_iommu_width(&addr),
			                  tern_pci_user_va_bits());
		}
		pa = true;
	}
	if (cfg->iova_mode == TERN_IOVA_PA || pa)
		*iova = TERN_IOVA_PA;
	else
		*iova = TERN_IOVA_VA;
	return 0;
}
