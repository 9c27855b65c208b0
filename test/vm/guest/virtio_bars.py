#!/usr/bin/env python3
"""In a guest: read each NIC's MAC address through sysfs alone, the way a
user-space driver without VFIO does it (the 'sysfs' variant's claim).

  modern:  walk the virtio vendor capabilities in /sys/.../config, mmap the
           BAR of the device-specific configuration (resourceN) and read the
           MAC there (virtio 1.x, 4.1.4);
  legacy:  pread the MAC from the I/O BAR through resource0 (legacy header:
           MAC at offset 20 while MSI-X is off, 4.1.4.8).

Usage: virtio_bars.py ADDR EXPECTED_MAC [ADDR EXPECTED_MAC...]
Prints one line per check; exit 1 if any failed.
"""
import mmap
import os
import struct
import sys

VIRTIO_PCI_CAP_DEVICE_CFG = 4


def modern_mac(dev):
    cfg = open(os.path.join(dev, "config"), "rb").read()
    status, = struct.unpack_from("<H", cfg, 6)
    if not status & 0x10:
        return None, "no capability list"
    pos = cfg[0x34] & ~3
    while pos:
        cap_id, nxt = cfg[pos], cfg[pos + 1]
        if cap_id == 0x09 and cfg[pos + 3] == VIRTIO_PCI_CAP_DEVICE_CFG:
            bar = cfg[pos + 4]
            off, length = struct.unpack_from("<II", cfg, pos + 8)
            path = os.path.join(dev, "resource%d" % bar)
            fd = os.open(path, os.O_RDWR | os.O_SYNC)
            try:
                size = os.fstat(fd).st_size
                m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
                mac = bytes(m[off + i] for i in range(6))  # byte reads, like a driver
                m.close()
            finally:
                os.close(fd)
            return mac, "BAR%d+0x%x via mmap of resource%d" % (bar, off, bar)
        pos = nxt & ~3
    return None, "no virtio device-cfg capability"


def legacy_mac(dev):
    path = os.path.join(dev, "resource0")
    lines = open(os.path.join(dev, "resource")).read().split()
    flags = int(lines[2], 16)
    if not flags & 0x100:  # IORESOURCE_IO
        return None, "BAR0 is not an I/O BAR"
    fd = os.open(path, os.O_RDWR)
    try:
        mac = bytes(os.pread(fd, 1, 20 + i)[0] for i in range(6))
    finally:
        os.close(fd)
    return mac, "I/O BAR0+20 via pread of resource0"


def main(args):
    bad = 0
    for addr, want in zip(args[0::2], args[1::2]):
        dev = "/sys/bus/pci/devices/" + addr
        want = bytes.fromhex(want.replace(":", ""))
        for name, fn in (("modern", modern_mac), ("legacy", legacy_mac)):
            if name == "legacy" and not os.path.exists(os.path.join(dev, "resource0")):
                print("%s %s: no resource0 (modern-only device)" % (addr, name))
                continue
            try:
                mac, how = fn(dev)
            except OSError as e:
                mac, how = None, str(e)
            ok = mac == want
            bad += not ok
            print("%s %s: %s MAC %s (%s)" % (addr, name, "ok" if ok else "FAIL",
                                            mac.hex(":") if mac else "-", how))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
