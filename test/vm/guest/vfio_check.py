#!/usr/bin/env python3
"""In a guest: prove a PCI device bound to vfio-pci is usable the way tern's
EAL will use it: open /dev/vfio/vfio, check the API and the IOMMU type, add
the device's group to a container, set the IOMMU, get the device fd, read
its PCI config space through the VFIO config region, map 2 MiB of DMA
memory (type1 only).

Usage: vfio_check.py ADDR...     (exit 1 on the first failure)
Linux uapi: include/uapi/linux/vfio.h
"""
import ctypes
import fcntl
import mmap
import os
import struct
import sys

VFIO_TYPE = ord(";")
BASE = 100


def _io(nr):
    return (VFIO_TYPE << 8) | (BASE + nr)


VFIO_GET_API_VERSION = _io(0)
VFIO_CHECK_EXTENSION = _io(1)
VFIO_SET_IOMMU = _io(2)
VFIO_GROUP_GET_STATUS = _io(3)
VFIO_GROUP_SET_CONTAINER = _io(4)
VFIO_GROUP_GET_DEVICE_FD = _io(6)
VFIO_DEVICE_GET_INFO = _io(7)
VFIO_DEVICE_GET_REGION_INFO = _io(8)
VFIO_IOMMU_MAP_DMA = _io(13)
VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_NOIOMMU_IOMMU = 1, 3, 8
VFIO_GROUP_FLAGS_VIABLE = 1
VFIO_PCI_CONFIG_REGION_INDEX = 7


def check(addr):
    dev = "/sys/bus/pci/devices/" + addr
    group = os.path.basename(os.readlink(dev + "/iommu_group"))
    noiommu = os.path.exists("/dev/vfio/noiommu-" + group)
    gpath = "/dev/vfio/" + ("noiommu-" if noiommu else "") + group
    cont = os.open("/dev/vfio/vfio", os.O_RDWR)
    ver = fcntl.ioctl(cont, VFIO_GET_API_VERSION)
    iommu = VFIO_NOIOMMU_IOMMU if noiommu else VFIO_TYPE1v2_IOMMU
    if ver != 0 or not fcntl.ioctl(cont, VFIO_CHECK_EXTENSION, iommu):
        raise RuntimeError("api %d, iommu type %d unsupported" % (ver, iommu))
    grp = os.open(gpath, os.O_RDWR)
    st = bytearray(struct.pack("II", 8, 0))
    fcntl.ioctl(grp, VFIO_GROUP_GET_STATUS, st)
    if not struct.unpack("II", st)[1] & VFIO_GROUP_FLAGS_VIABLE:
        raise RuntimeError("group %s not viable" % gpath)
    fcntl.ioctl(grp, VFIO_GROUP_SET_CONTAINER, struct.pack("i", cont))
    fcntl.ioctl(cont, VFIO_SET_IOMMU, iommu)
    # A mutable buffer makes ioctl() return the call's result (the new fd).
    devfd = fcntl.ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, bytearray(addr.encode() + b"\0"))
    info = bytearray(struct.pack("IIII", 16, 0, 0, 0))
    fcntl.ioctl(devfd, VFIO_DEVICE_GET_INFO, info)
    _, flags, nregions, nirqs = struct.unpack("IIII", info)
    # struct vfio_region_info: argsz flags index cap_offset size(u64) offset(u64)
    ri = bytearray(struct.pack("IIIIQQ", 32, 0, VFIO_PCI_CONFIG_REGION_INDEX, 0, 0, 0))
    fcntl.ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, ri)
    size, off = struct.unpack_from("QQ", ri, 16)
    ids = os.pread(devfd, 4, off)
    vendor, device = struct.unpack("<HH", ids)
    msg = "%s: %s, device fd ok, %d regions, %d irqs, config %04x:%04x" % (
        addr, gpath, nregions, nirqs, vendor, device)
    if vendor != 0x1AF4:
        raise RuntimeError(msg + ": not a virtio device")
    if not noiommu:
        # struct vfio_iommu_type1_dma_map: argsz flags vaddr iova size
        buf = mmap.mmap(-1, 2 << 20, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        vaddr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
        fcntl.ioctl(cont, VFIO_IOMMU_MAP_DMA,
                    struct.pack("IIQQQ", 32, 3, vaddr, 0x100000, 2 << 20))
        msg += ", 2 MiB DMA mapped at IOVA 0x100000"
    print("ok: vfio " + msg)
    os.close(devfd)
    os.close(grp)
    os.close(cont)


if __name__ == "__main__":
    rc = 0
    for a in sys.argv[1:]:
        try:
            check(a)
        except (OSError, RuntimeError) as e:
            print("FAIL: vfio %s: %s" % (a, e))
            rc = 1
    sys.exit(rc)
