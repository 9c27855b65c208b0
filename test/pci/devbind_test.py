#!/usr/bin/env python3
"""tools/tern-devbind against a fake sysfs tree (never the host's devices):
refusals of an interface in use, --force, the state file, unbind/restore
writes, --status, and each safety refusal: a disk controller holding the
root filesystem, a NIC whose disk is mounted / swap / held by dm, an
interface in another network namespace (fake, and a real veth moved into a
namespace this test makes: the real namespace walk), an SR-IOV PF with VFs,
an IOMMU group peer in use. The fake tree has no kernel behind it, so a bind
"does not take"; what is checked is what the tool writes and decides.

Usage: devbind_test.py PATH/TO/tern-devbind
"""
import os
import shutil
import subprocess
import sys
import tempfile

TOOL = sys.argv[1]
fails = 0


def check(desc, cond, extra=""):
    global fails
    print("%s: %s%s" % ("ok" if cond else "FAIL", desc, (" (%s)" % extra) if extra and not cond else ""))
    if not cond:
        fails += 1


def mk(root, rel, text=None):
    p = os.path.join(root, rel)
    if text is None:
        os.makedirs(p, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    return p


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read()


def device(root, addr, drv, iface, flags, cls="0x020000"):
    d = "bus/pci/devices/" + addr
    mk(root, d + "/vendor", "0x1af4\n")
    mk(root, d + "/device", "0x1000\n")
    mk(root, d + "/class", cls + "\n")
    mk(root, d + "/driver_override", "(null)\n")
    mk(root, "bus/pci/drivers/" + drv + "/unbind", "")
    mk(root, "bus/pci/drivers/" + drv + "/bind", "")
    os.symlink(os.path.join(root, "bus/pci/drivers", drv), os.path.join(root, d, "driver"))
    if iface:
        mk(root, d + "/virtio0/net/" + iface)
        mk(root, "class/net/%s/flags" % iface, flags + "\n")


def disk(root, addr, name, devno, parts=()):
    """A block device below the PCI device (as /sys/block/NAME/device points), with partitions."""
    sub = "bus/pci/devices/%s/blk/%s" % (addr, name)
    mk(root, sub)
    mk(root, "block/%s/dev" % name, devno + "\n")
    mk(root, "block/%s/holders" % name)
    os.symlink(os.path.join(root, sub), os.path.join(root, "block", name, "device"))
    for pname, pdev in parts:
        mk(root, "block/%s/%s/partition" % (name, pname), "1\n")
        mk(root, "block/%s/%s/dev" % (name, pname), pdev + "\n")
        mk(root, "block/%s/%s/holders" % (name, pname))


def add_mount(root, devno, source, mnt):
    with open(os.path.join(mk(root, "proc"), "mountinfo"), "a") as f:
        f.write("29 1 %s / %s rw,relatime shared:1 - ext4 %s rw\n" % (devno, mnt, source))


ENV = {}


def run(root, state, *args):
    env = dict(os.environ, TERN_SYSFS_ROOT=root, TERN_DEVBIND_STATE=state, **ENV)
    p = subprocess.run([sys.executable, TOOL] + list(args), env=env, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


def refused_alone(root, state, addr, what, desc):
    """--bind and --unbind of addr are refused with exactly one line containing what,
    nothing is written; --force then takes it."""
    d = "bus/pci/devices/" + addr
    rc, out, err = run(root, state, "--bind", "vfio-pci", addr)
    check(desc + ": --bind refused in one line", rc == 1 and err.count("\n") == 0
          and err.startswith("tern-devbind: refusing %s: " % addr) and what in err and "--force" in err, err)
    rc, out, err = run(root, state, "--unbind", addr)
    check(desc + ": --unbind refused", rc == 1 and what in err, err)
    check(desc + ": nothing written", read(root, d + "/driver_override") == "(null)\n"
          and not os.path.exists(os.path.join(state, addr)))
    rc, out, err = run(root, state, "--status")
    lines = out.splitlines()
    row = [lines[i + 1] for i in range(len(lines) - 1) if lines[i].startswith(addr + " ")]
    check(desc + ": --status shows it as not safe", row and "not safe" in row[0] and what in row[0], out)
    rc, out, err = run(root, state, "--unbind", "--force", addr)
    check(desc + ": --force takes it", rc == 0 and read(root, d + "/driver_override") == "tern-none", err)


def safety_cases(root, state):
    # An NVMe controller (class 01h) holding the root filesystem: the case.
    device(root, "0000:01:00.0", "nvme", None, None, cls="0x010802")
    disk(root, "0000:01:00.0", "nvme0n1", "259:0", [("nvme0n1p1", "259:1"), ("nvme0n1p2", "259:2")])
    add_mount(root, "259:2", "/dev/root", "/")
    rc, out, err = run(root, state, "--bind", "vfio-pci", "0000:01:00.0")
    lines = err.splitlines()
    check("a disk controller holding / is refused", rc == 1, err)
    check("... one line per reason: not a NIC, holds the root filesystem",
          len(lines) == 2 and all(l.startswith("tern-devbind: refusing 0000:01:00.0: ") for l in lines)
          and "mass storage controller (class 0x010802), not a network controller" in lines[0]
          and "its disk nvme0n1 holds the root filesystem (/ on nvme0n1p2)" in lines[1], err)
    check("... and nvme is not unbound", read(root, "bus/pci/drivers/nvme/unbind") == "")
    rc, out, err = run(root, state, "--unbind", "0000:01:00.0")
    check("--unbind of it is refused too", rc == 1 and "root filesystem" in err, err)
    check("... and nothing is written", read(root, "bus/pci/drivers/nvme/unbind") == ""
          and read(root, "bus/pci/devices/0000:01:00.0/driver_override") == "(null)\n")
    rc, out, err = run(root, state, "--status")
    check("--status lists the disk controller, its class and why not", "0000:01:00.0 1af4:1000 class=0x010802 "
          "(mass storage controller) driver=nvme" in out and "not safe: it is a mass storage controller" in out, out)

    # A SATA controller with nothing mounted: refused for its class alone.
    device(root, "0000:01:01.0", "ahci", None, None, cls="0x010601")
    refused_alone(root, state, "0000:01:01.0", "not a network controller (class 02h)", "a SATA controller")
    # NICs (class 02h) whose disk is a mounted filesystem, swap, or under dm: each alone.
    device(root, "0000:02:00.0", "nic", None, None)
    disk(root, "0000:02:00.0", "sdb", "8:16", [("sdb1", "8:17")])
    add_mount(root, "8:17", "/dev/sdb1", "/srv/data")
    refused_alone(root, state, "0000:02:00.0", "its disk sdb holds the mounted filesystem /srv/data (on sdb1)",
                  "a device whose disk is mounted")
    device(root, "0000:02:01.0", "nic", None, None)
    disk(root, "0000:02:01.0", "sdc", "8:32", [("sdc1", "8:33")])
    mk(root, "proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/sdc1 partition 1024 0 -2\n")
    refused_alone(root, state, "0000:02:01.0", "its disk sdc is in use as swap (sdc1)", "a device whose disk is swap")
    device(root, "0000:02:02.0", "nic", None, None)
    disk(root, "0000:02:02.0", "sdd", "8:48", [("sdd1", "8:49")])
    mk(root, "block/sdd/sdd1/holders/dm-0")
    refused_alone(root, state, "0000:02:02.0", "its disk sdd is held by dm-0", "a device whose disk is under dm/LVM")
    # A NIC whose only interface lives in another network namespace (a container).
    device(root, "0000:02:03.0", "nic", None, None)
    mk(root, "bus/pci/devices/0000:02:03.0/virtio4/net-ctr/eth0")
    mk(root, "netns/ctr1/class/net")
    os.symlink(os.path.join(root, "bus/pci/devices/0000:02:03.0/virtio4/net-ctr/eth0"),
               os.path.join(root, "netns/ctr1/class/net/eth0"))
    mk(root, "bus/pci/devices/0000:02:03.0/virtio4/net-ctr/eth0/flags", "0x1002\n")
    refused_alone(root, state, "0000:02:03.0", "its interface eth0 lives in netns ctr1", "an interface in another netns")
    # An SR-IOV PF with VFs enabled; with none enabled it is fine.
    device(root, "0000:02:04.0", "ixgbe", None, None)
    mk(root, "bus/pci/devices/0000:02:04.0/sriov_numvfs", "4\n")
    refused_alone(root, state, "0000:02:04.0", "SR-IOV PF with 4 VF(s) enabled", "an SR-IOV PF")
    device(root, "0000:02:05.0", "ixgbe", None, None)
    mk(root, "bus/pci/devices/0000:02:05.0/sriov_numvfs", "0\n")
    rc, out, err = run(root, state, "--unbind", "0000:02:05.0")
    check("a PF with no VFs enabled may be unbound", rc == 0, err)
    # IOMMU group 7: a bridge and a vfio-pci device are fine, an in-use audio device is not.
    mk(root, "kernel/iommu_groups/7/devices")
    for addr, drv, cls in (("0000:03:00.0", "nic", "0x020000"), ("0000:00:1c.0", "pcieport", "0x060400"),
                           ("0000:03:00.2", "vfio-pci", "0x020000")):
        device(root, addr, drv, None, None, cls=cls)
        os.symlink(os.path.join(root, "kernel/iommu_groups/7"),
                   os.path.join(root, "bus/pci/devices", addr, "iommu_group"))
        os.symlink(os.path.join(root, "bus/pci/devices", addr),
                   os.path.join(root, "kernel/iommu_groups/7/devices", addr))
    rc, out, err = run(root, state, "--unbind", "0000:03:00.0")
    check("a group of a bridge and a vfio-pci device is fine", rc == 0, err)
    device(root, "0000:03:00.1", "snd_hda_intel", None, None, cls="0x040300")
    os.symlink(os.path.join(root, "bus/pci/devices/0000:03:00.1"),
               os.path.join(root, "kernel/iommu_groups/7/devices/0000:03:00.1"))
    os.unlink(os.path.join(state, "0000:03:00.0"))
    with open(os.path.join(root, "bus/pci/devices/0000:03:00.0/driver_override"), "w") as f:
        f.write("(null)\n")
    refused_alone(root, state, "0000:03:00.0", "its IOMMU group 7 also holds 0000:03:00.1, which the driver "
                  "snd_hda_intel holds", "an IOMMU group peer in use")
    real_netns_case(root, state)


def real_netns_case(root, state):
    """A real veth moved into a namespace this test makes: the fake tree places a PCI
    device where the kernel puts that veth (devices/virtual/net/NAME), and the tool's
    real namespace walk must find the interface there. Only sysfs is read; no device
    is bound (the fake tree is the only one written)."""
    if os.geteuid() != 0:
        print("skip: the real network namespace walk needs root")
        return
    pid = os.getpid()
    ns, va, vb = "tern-safety-%d" % pid, "tsf%da" % pid, "tsf%db" % pid
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "link", "add", va, "type", "veth", "peer", "name", vb, "netns", ns], check=True)
        for addr, name in (("0000:04:00.0", vb), ("0000:04:01.0", va)):
            mk(root, "devices/virtual/net/" + name)
            os.symlink(os.path.join(root, "devices/virtual/net", name), os.path.join(root, "bus/pci/devices", addr))
            mk(root, "bus/pci/devices/%s/class" % addr, "0x020000\n")
            mk(root, "bus/pci/devices/%s/driver_override" % addr, "(null)\n")
        ENV["TERN_DEVBIND_NETNS"] = "real"
        refused_alone(root, state, "0000:04:00.0", "its interface %s lives in netns %s" % (vb, ns),
                      "a real veth in a namespace the test made")
        rc, out, err = run(root, state, "--unbind", "0000:04:01.0")
        check("its peer, in this namespace and down, is not refused by the namespace walk", rc == 0, err)
    finally:
        ENV.pop("TERN_DEVBIND_NETNS", None)
        subprocess.run(["ip", "netns", "del", ns])
        subprocess.run(["ip", "link", "del", va], stderr=subprocess.DEVNULL)


def main():
    root = tempfile.mkdtemp(prefix="tern-devbind-test-")
    state = os.path.join(root, "state")
    try:
        mk(root, "bus/pci/drivers_probe", "")
        device(root, "0000:00:04.0", "virtio-pci", "ternfake0", "0x1003")  # IFF_UP
        device(root, "0000:00:05.0", "virtio-pci", "ternfake1", "0x1002")  # down

        rc, out, err = run(root, state, "--bind", "vfio-pci", "00:04.0")
        check("an up interface is refused", rc == 1, err)
        check("the refusal is one line naming the interface and why",
              err.count("\n") == 0 and "refusing 0000:00:04.0: its interface ternfake0 is up" in err
              and "--force" in err, err)
        check("nothing was written", read(root, "bus/pci/devices/0000:00:04.0/driver_override") == "(null)\n")
        check("no state saved", not os.path.exists(os.path.join(state, "0000:00:04.0")))

        rc, out, err = run(root, state, "--unbind", "0000:00:04.0")
        check("--unbind refuses it too", rc == 1 and "is up" in err, err)

        rc, out, err = run(root, state, "--bind", "vfio-pci", "0000:00:05.0")
        check("vfio-pci not loaded is said", rc == 1 and "driver vfio-pci is not loaded: run 'modprobe vfio-pci'" in err, err)

        mk(root, "bus/pci/drivers/vfio-pci")
        # 00:04.0 shares IOMMU group 3 with a device a kernel driver holds.
        mk(root, "kernel/iommu_groups/3/devices")
        os.symlink(os.path.join(root, "kernel/iommu_groups/3"),
                   os.path.join(root, "bus/pci/devices/0000:00:04.0/iommu_group"))
        os.symlink(os.path.join(root, "bus/pci/devices/0000:00:04.0"),
                   os.path.join(root, "kernel/iommu_groups/3/devices/0000:00:04.0"))
        mk(root, "bus/pci/devices/0000:00:04.1")
        mk(root, "bus/pci/drivers/snd_hda_intel")
        os.symlink(os.path.join(root, "bus/pci/drivers/snd_hda_intel"),
                   os.path.join(root, "bus/pci/devices/0000:00:04.1/driver"))
        os.symlink(os.path.join(root, "bus/pci/devices/0000:00:04.1"),
                   os.path.join(root, "kernel/iommu_groups/3/devices/0000:00:04.1"))
        rc, out, err = run(root, state, "--bind", "vfio-pci", "--force", "0000:00:04.0")
        check("a group peer on a kernel driver is named",
              "the IOMMU group of 0000:00:04.0 also holds 0000:00:04.1 (driver snd_hda_intel)" in out, out)
        check("--force goes ahead: old driver unbound", read(root, "bus/pci/drivers/virtio-pci/unbind") == "0000:00:04.0", err)
        check("--force goes ahead: driver_override set", read(root, "bus/pci/devices/0000:00:04.0/driver_override") == "vfio-pci")
        check("--force goes ahead: drivers_probe asked", read(root, "bus/pci/drivers_probe") == "0000:00:04.0")
        check("the original driver is remembered", read(root, "state/0000:00:04.0") == "virtio-pci\n")
        check("a bind the kernel did not do is reported", rc == 1 and "vfio-pci did not take it" in err, err)

        rc, out, err = run(root, state, "--unbind", "0000:00:05.0")
        check("a down interface may be unbound", rc == 0, err)
        check("unbind keeps it away from drivers", read(root, "bus/pci/devices/0000:00:05.0/driver_override") == "tern-none")
        check("unbind remembers virtio-pci", read(root, "state/0000:00:05.0") == "virtio-pci\n")

        rc, out, err = run(root, state, "--status")
        check("--status lists both", rc == 0 and "0000:00:04.0 1af4:1000 class=0x020000 (network controller) driver=virtio-pci" in out
              and "if=ternfake0 up" in out and "ternfake1 down" in out and "(saved: virtio-pci)" in out, out + err)

        rc, out, err = run(root, state, "--restore", "0000:00:05.0")
        check("restore gives it back to virtio-pci", rc == 0 and read(root, "bus/pci/drivers/virtio-pci/bind") == "0000:00:05.0", err)
        check("restore clears driver_override", read(root, "bus/pci/devices/0000:00:05.0/driver_override") == "\n")
        check("restore forgets the state", not os.path.exists(os.path.join(state, "0000:00:05.0")))
        rc, out, err = run(root, state, "--restore", "0000:00:05.0")
        check("a second restore says there is nothing to restore", rc == 1 and "nothing to restore" in err, err)

        safety_cases(root, state)

        rc, out, err = run(root, state, "--bind", "vfio-pci", "0000:00:4.0.1")
        check("a bad address is one line", rc == 1 and "not a PCI address" in err, err)
        rc, out, err = run(root, state, "--unbind", "0000:00:09.0")
        check("an absent device is named", rc == 1 and "0000:00:09.0: no such PCI device" in err, err)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("%d check(s) failed" % fails if fails else "all checks passed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
