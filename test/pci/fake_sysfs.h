/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fake_sysfs.h - build a fake /sys PCI tree under /tmp for tests
 * ($TERN_SYSFS_ROOT points tern at it). Nothing here touches the real /sys.
 *
 * Layout as Linux has it (Documentation/ABI/testing/sysfs-bus-pci):
 *   bus/pci/devices/ADDR/{vendor,device,subsystem_*,class,revision,numa_node,
 *                         resource,config,resourceN,driver -> .., iommu_group -> ..}
 *   bus/pci/drivers/NAME/, kernel/iommu_groups/N/devices/ADDR
 *   class/net/IF/flags, bus/pci/devices/ADDR/net/IF
 */
#ifndef FAKE_SYSFS_H
#define FAKE_SYSFS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fake_root[256];

static inline void fake_mkdirs(const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, 0755);
}

/* Write a file under the fake root: path relative to it, printf content. */
static inline void fake_write(const char *rel, const char *fmt, ...)
{
	char path[1024];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static inline void fake_write_bytes(const char *rel, const void *buf, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fwrite(buf, 1, len, f);
	fclose(f);
}

static inline int fake_read_bytes(const char *rel, void *buf, size_t len, long off)
{
	char path[1024];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	fseek(f, off, SEEK_SET);
	ok = fread(buf, 1, len, f) == len ? 0 : -1;
	fclose(f);
	return ok;
}

static inline void fake_init(void)
{
	char path[1024];

	snprintf(fake_root, sizeof(fake_root), "/tmp/tern-pci-test-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/bus/pci/devices", fake_root);
	fake_mkdirs(path);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers", fake_root);
	fake_mkdirs(path);
	snprintf(path, sizeof(path), "%s/class/net", fake_root);
	fake_mkdirs(path);
	setenv("TERN_SYSFS_ROOT", fake_root, 1);
}

static inline void fake_fini(void)
{
	char cmd[300];

	if (strncmp(fake_root, "/tmp/tern-pci-test-", 19) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fake_root);
}

/*
 * One device. drv: "" for none. group: -1 for no iommu_group. numa: -2 for
 * no numa_node file. A config file with a capability list (MSI-X at 0x40,
 * two vendor-specific 0x09 at 0x50 and 0x60) and BARs as a transitional
 * virtio-net has them: 0 I/O 64 bytes, 1 memory 4 KiB, 4 memory 64-bit 16 KiB.
 */
static inline void fake_device(const char *addr, unsigned vendor, unsigned device, unsigned class,
                               const char *drv, int group, int numa)
{
	char dir[300], path[700], target[700];
	uint8_t cfg[4096] = {0};

	snprintf(dir, sizeof(dir), "bus/pci/devices/%s", addr);
	snprintf(path, sizeof(path), "%s/%s", fake_root, dir);
	fake_mkdirs(path);
#define F(name, ...)                                                                               \
	do {                                                                                       \
		snprintf(path, sizeof(path), "%s/" name, dir);                                     \
		fake_write(path, __VA_ARGS__);                                                     \
	} while (0)
	F("vendor", "0x%04x\n", vendor);
	F("device", "0x%04x\n", device);
	F("subsystem_vendor", "0x%04x\n", vendor);
	F("subsystem_device", "0x0001\n");
	F("class", "0x%06x\n", class);
	F("revision", "0x01\n");
	if (numa != -2)
		F("numa_node", "%d\n", numa);
	F("resource", "0x000000000000c000 0x000000000000c03f 0x0000000000040101\n"
	              "0x00000000febd1000 0x00000000febd1fff 0x0000000000040200\n"
	              "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	              "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	              "0x00000000fe000000 0x00000000fe003fff 0x000000000014220c\n"
	              "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	              "0x00000000feb80000 0x00000000febbffff 0x0000000000046200\n");
#undef F
	cfg[0] = (uint8_t)vendor;
	cfg[1] = (uint8_t)(vendor >> 8);
	cfg[2] = (uint8_t)device;
	cfg[3] = (uint8_t)(device >> 8);
	cfg[4] = 0x03;    /* command: I/O and memory on, bus master off */
	cfg[6] = 0x10;    /* status: capability list */
	cfg[0x34] = 0x41; /* low bits are reserved: must be masked */
	cfg[0x40] = 0x11; /* MSI-X */
	cfg[0x41] = 0x50;
	cfg[0x50] = 0x09; /* vendor specific */
	cfg[0x51] = 0x60;
	cfg[0x60] = 0x09;
	cfg[0x61] = 0x00;
	/* PCIe extended capabilities: AER (0x0001) at 0x100 -> ATS (0x000f) at 0x140. */
	cfg[0x100] = 0x01;
	cfg[0x102] = 0x01; /* version 1 */
	cfg[0x103] = 0x14; /* next 0x140 in bits 31:20 */
	cfg[0x140] = 0x0f;
	cfg[0x142] = 0x01;
	snprintf(path, sizeof(path), "%s/config", dir);
	fake_write_bytes(path, cfg, sizeof(cfg));
	{
		uint8_t bar[16384];

		for (unsigned i = 0; i < sizeof(bar); i++)
			bar[i] = (uint8_t)(i * 7 + 1);
		snprintf(path, sizeof(path), "%s/resource0", dir);
		fake_write_bytes(path, bar, 64);
		snprintf(path, sizeof(path), "%s/resource1", dir);
		fake_write_bytes(path, bar, 4096);
		snprintf(path, sizeof(path), "%s/resource4", dir);
		fake_write_bytes(path, bar, sizeof(bar));
	}
	if (drv[0] != '\0') {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", fake_root, drv);
		fake_mkdirs(path);
		snprintf(target, sizeof(target), "%s/bus/pci/drivers/%s", fake_root, drv);
		snprintf(path, sizeof(path), "%s/%s/driver", fake_root, dir);
		if (symlink(target, path) != 0)
			perror("symlink");
	}
	if (group >= 0) {
		snprintf(target, sizeof(target), "%s/kernel/iommu_groups/%d/devices", fake_root,
		         group);
		fake_mkdirs(target);
		snprintf(target, sizeof(target), "%s/kernel/iommu_groups/%d", fake_root, group);
		snprintf(path, sizeof(path), "%s/%s/iommu_group", fake_root, dir);
		if (symlink(target, path) != 0)
			perror("symlink");
	}
}

#endif /* FAKE_SYSFS_H */
