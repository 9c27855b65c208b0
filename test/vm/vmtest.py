#!/usr/bin/env python3
"""tern's vm smoke tests (meson suite 'vm'), one guest per test:

  vmtest.py boot --variant V   the guest boots, the chroot works, output and a
                               non-zero exit status come back, and the
                               variant's PCI/IOMMU/VFIO facts hold
                               (guest/checks.sh)
  vmtest.py wire --variant V   the guest kernel's virtio_net bridges the NICs;
                               N frames of 64/512/1514 bytes into port 0 come
                               out of port 1 unmodified, and back; then the
                               NICs move to vfio-pci / uio_pci_generic
                               (guest/wire.sh)
  vmtest.py testpmd --variant V  Debian's dpdk-testpmd forwards port 0 <-> 1
                               in the guest (vfio-pci / uio_pci_generic);
                               frames cross unmodified (guest/testpmd.sh)

Exit 0 pass, 1 fail, 77 skip (rig not prepared and cannot be: not root).
Prints timings: "timing: <test> <variant> boot=<s> total=<s>".
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guest  # noqa: E402
import wire   # noqa: E402


def prepare():
    if subprocess.call([os.path.join(HERE, "prepare.sh"), "--check"],
                       stderr=subprocess.DEVNULL) == 0:
        return True
    if os.geteuid() != 0:
        print("SKIP: vm rig not prepared and not root: run test/vm/prepare.sh")
        return False
    subprocess.check_call([os.path.join(HERE, "prepare.sh")])
    return True


def show(res):
    sys.stdout.write("".join("  guest| " + l + "\n" for l in res.output.splitlines()))


def fresh_share(workdir):
    """A clean share directory kept after the test (console.log, qemu.cmdline,
    output, ...), or None for a temporary one."""
    if not workdir:
        return None
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    return workdir


def boot(variant, timeout, workdir=None):
    cmd = ["sh", "-c", 'sh "$1" && exit 42', "checks", os.path.join(HERE, "guest", "checks.sh")]
    with guest.Guest(variant, cmd, net=True, timeout=timeout, share=fresh_share(workdir)) as g:
        r = g.run()
        show(r)
        print("timing: boot %s boot=%.1f total=%.1f" % (variant, r.boot_seconds or -1, r.wall_seconds))
        if r.status != 42:
            print("FAIL: guest status %d (want 42: checks passed and the status came back)" % r.status)
            print(g.diagnostics())
            return 1
        if "all checks passed" not in r.output:
            print("FAIL: the command's output did not come back")
            return 1
    print("PASS: boot %s" % variant)
    return 0


def wire_test(variant, timeout, n, workdir=None):
    cmd = ["sh", os.path.join(HERE, "guest", "wire.sh")]
    # Few hugepages: reserving them costs ~1 s of boot per 100 under TCG, and
    # the boot test already checks the default reservation.
    with guest.Guest(variant, cmd, net=True, timeout=timeout, share=fresh_share(workdir),
                     hugepages=16) as g:
        g.start()
        w = g.wire
        fails = []
        if variant != "sysfs":
            g.wait_file("ready", timeout=timeout)
            t = time.monotonic()
            for src, dst, smac, dmac in ((0, 1, wire.MAC_A, wire.MAC_B),
                                         (1, 0, wire.MAC_B, wire.MAC_A)):
                frames = wire.make_frames(n, sizes=(64, 512, 1514), src=smac, dst=dmac)
                got = w.transfer(src, dst, frames, timeout=min(60, g.remaining()))
                echoed = w.port(src).recv_many(n, timeout=0.2)
                try:
                    wire.check_same(frames, got)
                    print("ok: %d frames port %d -> guest bridge -> port %d, unmodified"
                          % (n, src, dst))
                except wire.WireError as e:
                    fails.append("port %d -> %d: %s" % (src, dst, e))
                if echoed:
                    fails.append("%d of our frames came back out of port %d" % (len(echoed), src))
            dt = time.monotonic() - t
            others = [f for p in w.ports for f in p.others]
            print("traffic: 2 x %d frames in %.1fs; %d other frames from the guest ignored%s"
                  % (n, dt, len(others), "".join("\n  other: " + wire.describe(f) for f in others[:4])))
            g.touch("traffic-done")
        r = g.wait()
        show(r)
        print("timing: wire %s boot=%.1f total=%.1f" % (variant, r.boot_seconds or -1, r.wall_seconds))
        if r.status != 0:
            fails.append("guest side failed (status %d)" % r.status)
        for f in fails:
            print("FAIL: " + f)
        if fails:
            return 1
    print("PASS: wire %s" % variant)
    return 0


def testpmd_test(variant, timeout, n, workdir=None):
    """dpdk-testpmd (Debian's, the reference user-space virtio PMD) forwards
    port 0 <-> port 1 in the guest; frames must cross unmodified."""
    cmd = ["sh", os.path.join(HERE, "guest", "testpmd.sh")]
    with guest.Guest(variant, cmd, net=True, timeout=timeout, share=fresh_share(workdir),
                     smp=1, hugepages=256) as g:
        g.start()
        w = g.wire
        fails = []
        g.wait_file("ready", timeout=timeout)
        t = time.monotonic()
        for src, dst in ((0, 1), (1, 0)):
            frames = wire.make_frames(n, sizes=(64, 512, 1514))
            got = w.transfer(src, dst, frames, timeout=min(60, g.remaining()))
            try:
                wire.check_same(frames, got)
                print("ok: %d frames port %d -> testpmd -> port %d, unmodified" % (n, src, dst))
            except wire.WireError as e:
                fails.append("port %d -> %d: %s" % (src, dst, e))
        print("traffic: 2 x %d frames in %.1fs" % (n, time.monotonic() - t))
        g.touch("traffic-done")
        r = g.wait()
        show(r)
        print("timing: testpmd %s boot=%.1f total=%.1f" % (variant, r.boot_seconds or -1, r.wall_seconds))
        if r.status != 0:
            fails.append("guest side failed (status %d)" % r.status)
        for f in fails:
            print("FAIL: " + f)
        if fails:
            return 1
    print("PASS: testpmd %s" % variant)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=("boot", "wire", "testpmd"))
    ap.add_argument("--variant", choices=guest.VARIANTS, required=True)
    ap.add_argument("--timeout", type=float, default=240)
    ap.add_argument("--frames", type=int, default=300, help="frames each way (wire)")
    ap.add_argument("--workdir", help="keep the guest's share (logs) here; emptied first")
    a = ap.parse_args()
    guest.exit_on_sigterm()
    if not prepare():
        return 77
    try:
        if a.test == "boot":
            return boot(a.variant, a.timeout, a.workdir)
        if a.test == "testpmd":
            return testpmd_test(a.variant, a.timeout, a.frames, a.workdir)
        return wire_test(a.variant, a.timeout, a.frames, a.workdir)
    except (guest.VmError, wire.WireError) as e:
        print("FAIL: %s" % e)
        if a.workdir:
            print("logs: %s" % a.workdir)
        return 1


if __name__ == "__main__":
    sys.exit(main())
