#!/usr/bin/env python3
"""tern's QEMU test guests: boot Debian's stock kernel under TCG, chroot into
the host's own root file system (9p, read-only), run one command, power off.

Library use (from a test, together with wire.py):

    from guest import Guest
    with Guest("iommu", ["sh", "-c", "echo hi; exit 3"], net=True) as g:
        g.start()
        g.wait_file("ready", timeout=60)      # the command touched $TERN_VM_SHARE/ready
        # (or g.wait_output(r"^forwarding") on the command's live output)
        g.wire.port(0).send(frame)            # frames into the guest's first NIC
        res = g.wait()                        # res.status == 3, res.output == "hi\\n"

Command line: test/vm/run-guest.sh --variant iommu -- COMMAND... (see --help).

Variants (see README.md):
  iommu    q35 + intel-iommu (intremap, caching-mode); modern-only NICs with
           iommu_platform behind PCIe root ports; intel_iommu=on. VFIO type1.
  noiommu  q35, no IOMMU; transitional NICs (legacy I/O BAR + modern BARs);
           vfio loaded with enable_unsafe_noiommu_mode=1.
  sysfs    as noiommu, but the NICs are bound to no driver at all (for the
           sysfs resourceN path).
"""
import argparse
import gzip
import hashlib
import os
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)    # for wire.py, wherever this is imported from
TOP = os.path.dirname(os.path.dirname(HERE))
CACHE = os.environ.get("TERN_VM_CACHE") or os.path.join(TOP, ".vm-cache")
KDIR = os.path.join(CACHE, "kernel")
BUSYBOX = "/bin/busybox"

VARIANTS = ("iommu", "noiommu", "sysfs")

# What every guest loads (dependencies are added from the modules themselves).
# bridge is there for the kernel-driver wire test, vfio* for the binding tests.
BASE_MODULES = ["virtio_pci", "virtio_net", "9pnet_virtio", "9p",
                "vfio", "vfio_iommu_type1", "vfio_pci", "uio_pci_generic",
                "bridge"]

# Where the two NICs appear in the guest, per variant (fixed by the QEMU
# command line below: root ports at 00:04.0/00:05.0 get buses 1 and 2).
NET_ADDRS = {
    "iommu": ("0000:01:00.0", "0000:02:00.0"),
    "noiommu": ("0000:00:04.0", "0000:00:05.0"),
    "sysfs": ("0000:00:04.0", "0000:00:05.0"),
}
NET_MACS = ("52:54:00:7e:00:00", "52:54:00:7e:00:01")


class VmError(Exception):
    pass


# --------------------------------------------------------------------------
# Kernel, modules, initramfs

def kernel_version():
    try:
        with open(os.path.join(KDIR, "version")) as f:
            return f.read().strip()
    except OSError:
        raise VmError("the vm rig is not prepared: run test/vm/prepare.sh "
                      "(no %s/version)" % KDIR) from None


def vmlinuz():
    return os.path.join(KDIR, "root", "boot", "vmlinuz-" + kernel_version())


def vmlinux():
    """The uncompressed kernel (ELF with a PVH entry note), extracted once
    from vmlinuz into the cache. QEMU boots it directly through PVH: no
    real-mode setup and no xz decompression under TCG (about 15 s saved)."""
    out = os.path.join(KDIR, "vmlinux-" + kernel_version())
    if os.path.exists(out):
        return out
    import lzma
    with open(vmlinuz(), "rb") as f:
        data = f.read()
    i = data.find(b"\xfd7zXZ\x00")
    if i < 0:
        raise VmError("%s: no xz payload (only xz kernels are handled)" % vmlinuz())
    elf = lzma.LZMADecompressor().decompress(data[i:])
    if elf[:4] != b"\x7fELF":
        raise VmError("%s: the xz payload is not an ELF kernel" % vmlinuz())
    fd, tmp = tempfile.mkstemp(dir=KDIR, prefix=".vmlinux.")
    with os.fdopen(fd, "wb") as f:
        f.write(elf)
    os.replace(tmp, out)
    return out


def _norm(name):
    return name.replace("-", "_")


def modinfo(path):
    """The .modinfo section of a kernel module (ELF64 LE) as {key: [values]}."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise VmError("%s: not an ELF64 module" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def sect(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        return struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)

    stroff = sect(shstrndx)[4]
    info = {}
    for i in range(shnum):
        s = sect(i)
        name = data[stroff + s[0]:data.index(b"\0", stroff + s[0])]
        if name == b".modinfo":
            for kv in data[s[4]:s[4] + s[5]].split(b"\0"):
                if b"=" in kv:
                    k, v = kv.decode(errors="replace").split("=", 1)
                    info.setdefault(k, []).append(v)
    return info


def _module_index():
    """{normalized name: path} for every .ko of the prepared kernel."""
    root = os.path.join(KDIR, "root", "lib", "modules", kernel_version())
    index = {}
    for d, _, files in os.walk(root):
        for fn in files:
            if fn.endswith(".ko"):
                index[_norm(fn[:-3])] = os.path.join(d, fn)
    builtin = set()
    try:
        with open(os.path.join(root, "modules.builtin")) as f:
            builtin = {_norm(os.path.basename(l.strip())[:-3]) for l in f if l.strip()}
    except OSError:
        pass
    return index, builtin


def resolve_modules(names):
    """Paths of the modules named and of all they depend on, dependencies
    first. Built-in names are skipped; unknown ones are an error."""
    index, builtin = _module_index()
    order, seen = [], set()

    def visit(n, chain):
        n = _norm(n)
        if n in seen:
            return
        if n not in index:
            if n in builtin:
                return
            raise VmError("module %s (needed by %s) is neither a module nor "
                          "built in" % (n, " <- ".join(chain) or "the rig"))
        if n in chain:
            raise VmError("module dependency loop: %s" % " -> ".join(chain + [n]))
        for dep in modinfo(index[n]).get("depends", [""])[0].split(","):
            if dep:
                visit(dep, chain + [n])
        seen.add(n)
        order.append((n, index[n]))

    for name in names:
        visit(name, [])
    return order


MODULE_SIG_MAGIC = b"~Module signature appended~\n"


def strip_signature(ko):
    """A module without its appended signature. Debian does not enforce
    signatures (no lockdown without Secure Boot), and checking them costs
    seconds per boot under TCG. (struct module_signature: 12 bytes, the
    signature length in the last 4, big endian; then the magic.)"""
    if not ko.endswith(MODULE_SIG_MAGIC):
        return ko
    end = len(ko) - len(MODULE_SIG_MAGIC)
    sig_len, = struct.unpack(">I", ko[end - 4:end])
    return ko[:end - 12 - sig_len]


def _cpio_newc(entries):
    """entries: (name, mode, data or symlink target). Returns the archive."""
    out = bytearray()
    ino = 1
    for name, mode, data in entries + [("TRAILER!!!", 0, b"")]:
        if isinstance(data, str):
            data = data.encode()
        nm = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nm), 0))
        out += hdr.encode() + nm
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
        ino += 1
    return bytes(out)


def initramfs(extra_modules=()):
    """Build (or reuse) the initramfs for this kernel, init.sh and module set.
    Cached in $TERN_VM_CACHE/initramfs-<hash>.cpio.gz; safe to call from
    several processes at once."""
    mods = resolve_modules(BASE_MODULES + list(extra_modules))
    init_path = os.path.join(HERE, "init.sh")
    h = hashlib.sha256(b"strip-sig\n")
    for p in [init_path, BUSYBOX] + [p for _, p in mods]:
        st = os.stat(p)
        h.update(("%s %d %d\n" % (p, st.st_size, st.st_mtime_ns)).encode())
    out = os.path.join(CACHE, "initramfs-%s.cpio.gz" % h.hexdigest()[:16])
    if os.path.exists(out):
        return out
    dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys",
            "host", "share", "tmp", "lib", "lib/tern-mods"]
    entries = [(d, 0o40755, b"") for d in dirs]
    with open(BUSYBOX, "rb") as f:
        entries.append(("bin/busybox", 0o100755, f.read()))
    entries.append(("bin/sh", 0o120777, "busybox"))
    with open(init_path, "rb") as f:
        entries.append(("init", 0o100755, f.read()))
    for n, p in mods:
        with open(p, "rb") as f:
            entries.append(("lib/tern-mods/%s.ko" % n, 0o100644, strip_signature(f.read())))
    entries.append(("lib/tern-mods/load.list", 0o100644,
                    "".join(n + "\n" for n, _ in mods)))
    fd, tmp = tempfile.mkstemp(dir=CACHE, prefix=".initramfs.")
    with os.fdopen(fd, "wb") as f:
        f.write(gzip.compress(_cpio_newc(entries), compresslevel=1))
    os.replace(tmp, out)
    return out


# --------------------------------------------------------------------------
# Guests

def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _die_with_parent():
    """In the QEMU child: SIGKILL when the test process dies (even by
    SIGKILL), so no guest outlives its test."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


def exit_on_sigterm():
    """Turn SIGTERM (meson's time-out, kill) into SystemExit, so that `with
    Guest(...)` blocks clean up."""
    import signal

    def handler(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)


class Result:
    def __init__(self, status, output, boot_seconds, wall_seconds, console):
        self.status = status            # the command's exit status
        self.output = output            # its stdout and stderr, as text
        self.boot_seconds = boot_seconds  # guest uptime when the command started
        self.wall_seconds = wall_seconds  # host time from launch to power-off
        self.console = console          # path of the serial console log

    def __repr__(self):
        return "Result(status=%r, boot=%.1fs, wall=%.1fs)" % (
            self.status, self.boot_seconds or -1, self.wall_seconds)


class Guest:
    """One guest running one command. Use as a context manager (kills QEMU
    and removes the share on exit unless keep=True)."""

    def __init__(self, variant, command, *, net=True, udp=None, timeout=300,
                 mem=1536, smp=1, hugepages=256, extra_modules=(),
                 extra_append="", share=None, keep=False, cwd=None, env=None,
                 packed=False):
        if variant not in VARIANTS:
            raise VmError("unknown variant %r (use one of %s)" % (variant, ", ".join(VARIANTS)))
        self.variant = variant
        self.command = list(command)
        self.timeout = timeout
        self.mem, self.smp, self.hugepages = mem, smp, hugepages
        self.extra_modules = list(extra_modules)
        self.extra_append = extra_append
        self.packed = packed            # virtio-net-pci packed=on (virtio 1.1 packed rings)
        self.keep = keep
        self.cwd = cwd or os.getcwd()
        self.env = dict(env or {})      # more environment for the command
        self.own_share = share is None
        self.share = share or tempfile.mkdtemp(prefix="tern-vm-")
        os.makedirs(self.share, exist_ok=True)
        self.share = os.path.realpath(self.share)
        self.console = os.path.join(self.share, "console.log")
        self.net_addrs = NET_ADDRS[variant]
        self.proc = None
        self.t0 = None
        self.wire = None
        self.udp = None
        if net:
            if udp is None:
                import wire as wiremod
                self.wire = wiremod.Wire()
                self.udp = self.wire.udp_pairs()
            else:
                self.udp = udp  # [(host_port, qemu_port), (host_port, qemu_port)]

    # The QEMU command line ------------------------------------------------
    def qemu_args(self):
        v = self.variant
        # mitigations=off etc.: no security value in a throw-away test guest,
        # and each of them costs seconds under TCG.
        append = ["console=ttyS0", "panic=-1", "loglevel=4", "mitigations=off",
                  "tsc=reliable", "no_timer_check", "audit=0", "nokaslr",
                  "hugepages=%d" % self.hugepages, "rdinit=/init"]
        a = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max",
             "-smp", str(self.smp), "-m", str(self.mem),
             "-nodefaults", "-no-user-config", "-display", "none",
             "-no-reboot", "-serial", "file:" + self.console,
             "-kernel", vmlinux(), "-initrd", initramfs(self.extra_modules)]
        if v == "iommu":
            a += ["-machine", "q35,kernel-irqchip=split",
                  "-device", "intel-iommu,intremap=on,caching-mode=on,device-iotlb=on"]
            append += ["intel_iommu=on", "iommu=nopt"]
        else:
            a += ["-machine", "q35"]
        if v == "noiommu":
            append.append("vfio.enable_unsafe_noiommu_mode=1")
        if v == "sysfs":
            append.append("tern.unbind=" + ",".join(self.net_addrs))
        a += ["-fsdev", "local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap",
              "-device", "virtio-9p-pci,fsdev=fsroot,mount_tag=hostroot,addr=0x2",
              "-fsdev", "local,id=fsshare,path=%s,security_model=none" % self.share,
              "-device", "virtio-9p-pci,fsdev=fsshare,mount_tag=tern-share,addr=0x3"]
        for i in (0, 1):
            if self.udp:
                hp, qp = self.udp[i]
                a += ["-netdev", "socket,id=n%d,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (i, hp, qp)]
            else:
                a += ["-netdev", "user,id=n%d,restrict=on" % i]
            dev = "virtio-net-pci,netdev=n%d,mac=%s,romfile=" % (i, NET_MACS[i])
            if v == "iommu":
                a += ["-device", "pcie-root-port,id=rp%d,bus=pcie.0,chassis=%d,addr=0x%x" % (i, i + 1, 4 + i)]
                dev += ",bus=rp%d,disable-legacy=on,disable-modern=off,iommu_platform=on,ats=on" % i
            else:
                dev += ",bus=pcie.0,addr=0x%x,disable-legacy=off,disable-modern=off" % (4 + i)
            if self.packed:
                dev += ",packed=on"
            a += ["-device", dev]
        if self.extra_append:
            append.append(self.extra_append)
        a += ["-append", " ".join(append)]
        return a

    def _write_share(self):
        env = {"TERN_VM_VARIANT": self.variant, "TERN_VM_SHARE": self.share,
               "TERN_VM_NET0": self.net_addrs[0], "TERN_VM_NET1": self.net_addrs[1],
               "TERN_VM_TOP": TOP}
        with open(os.path.join(self.share, "guest.env"), "w") as f:
            for k, val in env.items():
                f.write("%s=%s\n" % (k, shlex.quote(val)))
        with open(os.path.join(self.share, "cmd.sh"), "w") as f:
            f.write("cd %s 2>/dev/null || cd /\n" % shlex.quote(self.cwd))
            for k, val in self.env.items():
                f.write("export %s=%s\n" % (k, shlex.quote(str(val))))
            f.write("exec %s\n" % " ".join(shlex.quote(c) for c in self.command))
        for stale in ("status", "output", "boot-seconds", "init-error", "console.log"):
            try:
                os.unlink(os.path.join(self.share, stale))
            except FileNotFoundError:
                pass

    def start(self):
        self._write_share()
        for attempt in range(3):
            args = self.qemu_args()
            with open(os.path.join(self.share, "qemu.cmdline"), "w") as f:
                f.write(" ".join(shlex.quote(x) for x in args) + "\n")
            self.qemu_log = open(os.path.join(self.share, "qemu.log"), "w")
            self.t0 = time.monotonic()
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=self.qemu_log, stderr=subprocess.STDOUT,
                                         preexec_fn=_die_with_parent)
            # QEMU's UDP ports were free when picked but are bound only now:
            # another process may have taken one. QEMU then exits at once.
            try:
                self.proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                break
            self.qemu_log.close()
            if "in use" not in (self._read("qemu.log") or "") or attempt == 2:
                break
            self._repick_qemu_ports()
        if self.wire:
            self.wire.connect()
        return self

    def _repick_qemu_ports(self):
        if self.wire:
            for p in self.wire.ports:
                p.qemu_port = free_udp_port()
            self.udp = self.wire.udp_pairs()
        elif self.udp:
            self.udp = [(h, free_udp_port()) for h, _ in self.udp]

    def path(self, name):
        return os.path.join(self.share, name)

    def remaining(self):
        return self.timeout - (time.monotonic() - self.t0)

    def wait_file(self, name, timeout=None):
        """Wait until the guest creates `name` in the share; VmError if the
        guest ends or the time runs out first."""
        deadline = time.monotonic() + min(timeout or self.timeout, self.remaining())
        p = self.path(name)
        while not os.path.exists(p):
            if self.proc.poll() is not None:
                raise VmError("guest ended before creating %s\n%s" % (name, self.diagnostics()))
            if time.monotonic() > deadline:
                raise VmError("timed out waiting for %s in the share\n%s" % (name, self.diagnostics()))
            time.sleep(0.05)

    def wait_output(self, pattern, timeout=None):
        """Wait until the command's output (written live to the share)
        matches the regular expression `pattern`; returns the match."""
        import re
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + min(timeout or self.timeout, self.remaining())
        while True:
            m = rx.search(self._read("output", ""))
            if m:
                return m
            if self.proc.poll() is not None:
                raise VmError("guest ended before its output matched %r\n%s" % (pattern, self.diagnostics()))
            if time.monotonic() > deadline:
                raise VmError("timed out waiting for output matching %r\n%s" % (pattern, self.diagnostics()))
            time.sleep(0.1)

    def touch(self, name, text=""):
        """Create a file in the share (a signal to the guest)."""
        with open(self.path(name) + ".tmp", "w") as f:
            f.write(text)
        os.replace(self.path(name) + ".tmp", self.path(name))

    def _read(self, name, default=None):
        try:
            with open(self.path(name), errors="replace") as f:
                return f.read()
        except OSError:
            return default

    def diagnostics(self, lines=40):
        out = []
        err = self._read("init-error")
        if err:
            out.append("init error: " + err.strip())
        q = self._read("qemu.log", "").strip()
        if q:
            out.append("qemu: " + q[-2000:])
        con = self._read("console.log", "").splitlines()
        out.append("console (last %d lines of %s):" % (lines, self.console))
        out += ["  | " + l for l in con[-lines:]]
        o = self._read("output")
        if o:
            out.append("command output (last 40 lines):")
            out += ["  > " + l for l in o.splitlines()[-40:]]
        return "\n".join(out)

    def wait(self):
        """Wait for power-off (killing QEMU at the time-out). Returns a Result;
        VmError if the command's status never came back."""
        try:
            self.proc.wait(timeout=max(0.1, self.remaining()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise VmError("guest timed out after %ds (killed)\n%s" % (self.timeout, self.diagnostics()))
        wall = time.monotonic() - self.t0
        status = self._read("status")
        if status is None or not status.strip().isdigit():
            raise VmError("guest powered off without a command status (qemu exit %d)\n%s"
                          % (self.proc.returncode, self.diagnostics()))
        boot = self._read("boot-seconds")
        return Result(int(status), self._read("output", ""),
                      float(boot) if boot else None, wall, self.console)

    def run(self):
        self.start()
        return self.wait()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.wire:
            self.wire.close()
        if getattr(self, "qemu_log", None):
            self.qemu_log.close()
        if self.own_share and not self.keep:
            shutil.rmtree(self.share, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --------------------------------------------------------------------------
# Command line

def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="run-guest.sh",
        description="Boot a tern test guest, run COMMAND chrooted in the host's root "
                    "file system, print its output, exit with its status.")
    ap.add_argument("--variant", choices=VARIANTS, default="iommu")
    ap.add_argument("--timeout", type=float, default=300, help="seconds (default 300)")
    ap.add_argument("--mem", type=int, default=1536, help="MiB (default 1536)")
    ap.add_argument("--smp", type=int, default=1, help="vCPUs (default 1)")
    ap.add_argument("--hugepages", type=int, default=256, help="2 MiB pages (default 256)")
    ap.add_argument("--module", action="append", default=[],
                    help="also load this kernel module (and its dependencies)")
    ap.add_argument("--append", default="", help="more kernel command line")
    ap.add_argument("--udp", metavar="H0:Q0,H1:Q1",
                    help="UDP ports of the NICs' backends: QEMU sends port N's frames to "
                         "127.0.0.1:HN and receives on 127.0.0.1:QN (default: free ports, printed)")
    ap.add_argument("--share", help="use this directory as the writable share (kept)")
    ap.add_argument("--keep", action="store_true", help="keep the share directory")
    ap.add_argument("--print-cmdline", action="store_true",
                    help="print the QEMU command line and exit")
    ap.add_argument("--build-initramfs", action="store_true",
                    help="build the initramfs, print its path and exit")
    ap.add_argument("command", nargs="*", help="command to run in the guest (after --)")
    a = ap.parse_args(argv)
    exit_on_sigterm()
    try:
        if a.build_initramfs:
            print(initramfs(a.module))
            return 0
        if a.udp:
            udp = [tuple(int(x) for x in p.split(":")) for p in a.udp.split(",")]
        else:
            udp = [(free_udp_port(), free_udp_port()) for _ in (0, 1)]
        cmd = a.command or ["true"]
        with Guest(a.variant, cmd, net=True, udp=udp, timeout=a.timeout, mem=a.mem,
                   smp=a.smp, hugepages=a.hugepages, extra_modules=a.module,
                   extra_append=a.append, share=a.share, keep=a.keep) as g:
            if a.print_cmdline:
                print(" ".join(shlex.quote(x) for x in g.qemu_args()))
                return 0
            for i, (hp, qp) in enumerate(udp):
                print("run-guest: port %d (%s): host 127.0.0.1:%d <-> qemu 127.0.0.1:%d"
                      % (i, g.net_addrs[i], hp, qp), file=sys.stderr)
            if a.keep or a.share:
                print("run-guest: share %s" % g.share, file=sys.stderr)
            r = g.run()
            sys.stdout.write(r.output)
            sys.stdout.flush()
            print("run-guest: %s: status %d, command started at %.1fs, power-off at %.1fs"
                  % (a.variant, r.status, r.boot_seconds or -1, r.wall_seconds), file=sys.stderr)
            return r.status
    except VmError as e:
        print("run-guest: %s" % e, file=sys.stderr)
        return 125


if __name__ == "__main__":
    sys.exit(main())
