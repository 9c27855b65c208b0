#!/usr/bin/env python3
# badinput.py --drivers LIST L2FWD [ECHO]: one table of bad input over the
# user-facing programs. Each case gives exactly one line on stderr, the one
# in the table (doc/troubleshooting.md lists each with its remedy), exit
# status 2, and no run (no "buffers:" line, nothing forwarded).
#
# Cases that need something (af_packet built, root for setpriv and for the
# no-hugepages case) are skipped, and said so, when it is missing. The
# no-hugepages case sets nr_hugepages to 0 for the few milliseconds the two
# programs take to fail, then puts it back.
import os, subprocess, sys

args = sys.argv[1:]
drivers = []
if args[:1] == ["--drivers"]:
    drivers = [d for d in args[1].split(",") if d]
    args = args[2:]
progs = {"tern-l2fwd": args[0]}
if len(args) > 1 and args[1]:
    progs["tern-echo"] = args[1]
root = os.geteuid() == 0


def online_cpus():
    try:
        return open("/sys/devices/system/cpu/online").read().strip()
    except OSError:
        return "?"


# Each program's own options after "--": what makes a run otherwise valid.
APP = {"tern-l2fwd": [], "tern-echo": ["--ip", "10.1.2.2/24"]}
# Ports: l2fwd wants pairs, echo one.
PORTS = {"tern-l2fwd": ["--vdev", "null0", "--vdev", "null1"], "tern-echo": ["--vdev", "null0"]}
# The vdev drivers in table order; pmd/virtio adds virtio_user after the rest.
vdev_names = [d for d in drivers if d in ("null", "af_packet", "af_xdp", "memif")]
vdev_names += ["virtio_user"] if "virtio" in drivers else []
vdev_drivers = ", ".join(vdev_names)
NH = ["--no-huge", "-l", "0-1"]
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def std(prog, eal, app=None):
    """An argv: EAL options, the program's usual ports unless eal names its own, app options."""
    ports = [] if "--vdev" in eal or "-a" in eal else PORTS[prog]
    return eal + ports + ["--"] + APP[prog] + (app or [])


# (case, programs, argv builder, expected line after "PROG: ", needs)
CASES = [
    ("unknown EAL option", None, lambda p: std(p, NH + ["--bogus"]),
     "eal: unknown option '--bogus': see doc/options.md for the EAL options", None),
    ("bad core list", None, lambda p: std(p, ["--no-huge", "-l", "0-x"]),
     "eal: bad core list '0-x' for -l: use numbers and ranges like 0-3,6", None),
    ("core not present", None, lambda p: std(p, ["--no-huge", "-l", "99"]),
     "eal: core 99 in '99' does not exist: this machine has cores 0-%d" % (os.cpu_count() - 1), None),
    ("bad PCI address", None, lambda p: std(p, NH + ["-a", "0000:zz:00.0"]),
     "eal: bad PCI address '0000:zz:00.0' for -a: use DDDD:BB:DD.F or BB:DD.F, like 0000:00:03.0",
     None),
    ("absent PCI device", None, lambda p: std(p, NH + ["-a", "0000:7f:1f.7"]),
     "port: no PCI device 0000:7f:1f.7 in /sys/bus/pci/devices: check the address "
     "(tools/tern-devbind --status)", None),
    ("unknown driver", None, lambda p: std(p, NH + ["--vdev", "foo0"]),
     "port: no driver for --vdev foo0: known drivers are %s" % vdev_drivers, None),
    ("unknown devarg", None, lambda p: std(p, NH + ["--vdev", "null0,bogus=1"] + PORTS[p][2:]),
     "port: --vdev null0,bogus=1: driver null refused it: unknown device argument 'bogus': "
     "null takes size", None),
    ("unparsable devarg number", None,
     lambda p: std(p, NH + ["--vdev", "null0,size=abc"] + PORTS[p][2:]),
     "port: --vdev null0,size=abc: driver null refused it: size= must be a number of bytes "
     "from 14 to 9000", None),
    ("unparsable -m", None, lambda p: std(p, NH + ["-m", "abc"]),
     "eal: -m needs a number of megabytes, got 'abc'", None),
    ("missing interface", None,
     lambda p: std(p, NH + ["--vdev", "af_packet0,iface=nonexistent0"] + PORTS[p][2:]),
     "port: --vdev af_packet0,iface=nonexistent0: driver af_packet refused it: af_packet0: "
     "interface 'nonexistent0' does not exist in this network namespace: give iface= an "
     "existing one (see 'ip link')", "af_packet"),
    ("no permission (af_packet as nobody)", None,
     lambda p: NOBODY + [progs[p]] + std(p, NH + ["--vdev", "af_packet0,iface=lo"] + PORTS[p][2:]),
     "port: --vdev af_packet0,iface=lo: driver af_packet refused it: af_packet0: a packet "
     "socket on lo needs CAP_NET_RAW: run as root or grant it (setcap cap_net_raw+ep on the "
     "program)", "af_packet+root"),
    ("no hugepages", None, lambda p: std(p, ["-l", "0-1"]),
     "eal: no free hugepages: reserve some as root with 'echo 512 > /proc/sys/vm/nr_hugepages', "
     "or pass --no-huge", "nohuge"),
    ("port mask naming absent ports", ["tern-l2fwd"], lambda p: std(p, NH, ["-p", "0xc"]),
     "-p 0xc: port 2 does not exist (2 ports): give a mask within 0x3", None),
    ("absent port", ["tern-echo"], lambda p: std(p, NH, ["--port", "3"]),
     "--port 3: no such port (1 ports): give 0 to 0", None),
    ("unparsable app number", ["tern-l2fwd"], lambda p: std(p, NH, ["--burst", "x"]),
     "--burst 'x': not a number: give 1 to 512", None),
    ("unparsable app number", ["tern-echo"], lambda p: std(p, NH, ["--port", "x"]),
     "--port 'x': not a port id: give 0 to 31", None),
    ("unknown app option", None, lambda p: std(p, NH, ["--bogus"]),
     {"tern-l2fwd": "unknown option '--bogus': see tern-l2fwd -- --help",
      "tern-echo": "unknown option '--bogus': see tern-echo -- --help"}, None),
]

NR = "/proc/sys/vm/nr_hugepages"


def run(argv, nohuge):
    old = None
    if nohuge:
        old = open(NR).read().strip()
        open(NR, "w").write("0")
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)
    finally:
        if old is not None:
            open(NR, "w").write(old)


bad = ran = skipped = 0
for name, only, build, want, needs in CASES:
    if needs and "af_packet" in needs and "af_packet" not in drivers:
        print("skip: %s (af_packet not built)" % name)
        skipped += 1
        continue
    if needs and ("root" in needs or needs == "nohuge") and not root:
        print("skip: %s (needs root)" % name)
        skipped += 1
        continue
    for prog in (only or progs.keys()):
        if prog not in progs:
            continue
        argv = build(prog)
        if argv[0] != "setpriv":
            argv = [progs[prog]] + argv
        line = prog + ": " + (want[prog] if isinstance(want, dict) else want)
        p = run(argv, needs == "nohuge")
        err = p.stderr.splitlines()
        ran += 1
        if p.returncode == 2 and err == [line] and "buffers:" not in p.stdout:
            print("ok: %s: %s" % (prog, name))
        else:
            bad += 1
            print("FAIL: %s: %s\n  argv: %s\n  want: %s (2)\n  got:  %s (%d)" %
                  (prog, name, " ".join(argv), line, err, p.returncode))
print("%d of %d cases wrong, %d skipped" % (bad, ran, skipped))
sys.exit(1 if bad else 0)
