#!/usr/bin/env python3
"""Boot a test guest of one variant and run pci_vm.sh in it (suite 'vm').

Usage: vm_pci.py VARIANT PCI_GUEST TERN_DEVBIND [--aw48] [--workdir DIR]
Exit 0 pass, 1 fail, 77 skip (the rig is not prepared and we are not root).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(TOP, "test", "vm"))
import guest  # noqa: E402


class Guest48(guest.Guest):
    """The rig's guest with a 48-bit intel-iommu (aw-bits=48), wide enough for
    user virtual addresses, so that VFIO type1 can use IOVA = VA."""

    def qemu_args(self):
        args = super().qemu_args()
        return [x + ",aw-bits=48" if x.startswith("intel-iommu,") else x for x in args]


def cpu_instruction_set(binary):
    """The build's cpu_instruction_set option, from meson-info above `binary`."""
    d = os.path.dirname(os.path.abspath(binary))
    while d != os.path.dirname(d):
        info = os.path.join(d, "meson-info", "intro-buildoptions.json")
        if os.path.exists(info):
            with open(info) as f:
                for o in json.load(f):
                    if o.get("name") == "cpu_instruction_set":
                        return o.get("value")
            return None
        d = os.path.dirname(d)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("variant", choices=guest.VARIANTS)
    ap.add_argument("pci_guest")
    ap.add_argument("devbind")
    ap.add_argument("--workdir")
    ap.add_argument("--aw48", action="store_true",
                    help="give the guest's intel-iommu 48 address bits (QEMU's default is 39)")
    ap.add_argument("--timeout", type=float, default=240)
    a = ap.parse_args()
    march = cpu_instruction_set(a.pci_guest)
    if march == "native":
        # QEMU's TCG CPU lacks what -march=native may use here (AVX-512).
        print("SKIP: this build uses -march=native, which need not run under TCG: configure a "
              "build dir with -Dcpu_instruction_set=x86-64-v2 for the vm suite")
        return 77
    prep = os.path.join(TOP, "test", "vm", "prepare.sh")
    if subprocess.call([prep, "--check"], stderr=subprocess.DEVNULL) != 0:
        if os.geteuid() != 0:
            print("SKIP: vm rig not prepared and not root: run test/vm/prepare.sh")
            return 77
        subprocess.check_call([prep])
    share = None
    if a.workdir:
        shutil.rmtree(a.workdir, ignore_errors=True)
        os.makedirs(a.workdir)
        share = a.workdir
    cmd = ["sh", os.path.join(HERE, "pci_vm.sh"), a.pci_guest, a.devbind]
    cls = guest.Guest
    if a.aw48:
        cmd.append("48")
        cls = Guest48
    try:
        # Few hugepages: each 100 cost about a second of boot under TCG.
        with cls(a.variant, cmd, net=False, timeout=a.timeout, hugepages=16,
                         share=share) as g:
            r = g.run()
            sys.stdout.write("".join("  guest| " + l + "\n" for l in r.output.splitlines()))
            print("timing: pci %s boot=%.1f total=%.1f" % (a.variant, r.boot_seconds or -1, r.wall_seconds))
            if "Illegal instruction" in r.output:
                print("FAIL: the build's instructions do not run under TCG: configure this "
                      "build dir with -Dcpu_instruction_set=x86-64-v2 for the vm suite")
                return 1
            lines = r.output.strip().splitlines()
            if r.status != 0 or not lines or lines[-1] != "all checks passed":
                print("FAIL: guest status %d (want 0 and 'all checks passed' last)" % r.status)
                return 1
    except guest.VmError as e:
        print("FAIL: %s" % e)
        return 1
    print("PASS: pci %s" % a.variant)
    return 0


if __name__ == "__main__":
    sys.exit(main())
