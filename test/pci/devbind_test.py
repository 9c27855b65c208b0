#!/usr/bin/env python3
"""tools/tern-devbind against a fake sysfs tree (never the host's devices):
refusals of an interface in use, --force, the state file, unbind/restore
writes, --status. The fake tree has no kernel behind it, so a bind "does
not take"; what is checked is what the tool writes and decides.

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


def device(root, addr, drv, iface, flags):
    d = "bus/pci/devices/" + addr
    mk(root, d + "/vendor", "0x1af4\n")
    mk(root, d + "/device", "0x1000\n")
    mk(root, d + "/class", "0x020000\n")
    mk(root, d + "/driver_override", "(null)\n")
    mk(root, "bus/pci/drivers/" + drv + "/unbind", "")
    mk(root, "bus/pci/drivers/" + drv + "/bind", "")
    os.symlink(os.path.join(root, "bus/pci/drivers", drv), os.path.join(root, d, "driver"))
    mk(root, d + "/virtio0/net/" + iface)
    mk(root, "class/net/%s/flags" % iface, flags + "\n")


def run(root, state, *args):
    env = dict(os.environ, TERN_SYSFS_ROOT=root, TERN_DEVBIND_STATE=state)
    p = subprocess.run([sys.executable, TOOL] + list(args), env=env, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


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
        check("--status lists both", rc == 0 and "0000:00:04.0 1af4:1000 driver=virtio-pci" in out
              and "if=ternfake0 up" in out and "ternfake1 down" in out and "(saved: virtio-pci)" in out, out + err)

        rc, out, err = run(root, state, "--restore", "0000:00:05.0")
        check("restore gives it back to virtio-pci", rc == 0 and read(root, "bus/pci/drivers/virtio-pci/bind") == "0000:00:05.0", err)
        check("restore clears driver_override", read(root, "bus/pci/devices/0000:00:05.0/driver_override") == "\n")
        check("restore forgets the state", not os.path.exists(os.path.join(state, "0000:00:05.0")))
        rc, out, err = run(root, state, "--restore", "0000:00:05.0")
        check("a second restore says there is nothing to restore", rc == 1 and "nothing to restore" in err, err)

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
