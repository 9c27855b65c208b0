#!/usr/bin/env python3
# l2fwd_kill9.py TERN_L2FWD: kill -9 in the middle of a forwarding run leaves
# nothing behind: no files (new in /dev/shm or /dev/hugepages, or any file the
# run held open or mapped that still exists), no mounts,
# and every hugepage the run took is free again once the process is reaped.
# As root it reserves hugepages for the run when too few are free (and puts
# nr_hugepages back after); without free hugepages it runs with --no-huge
# and checks files and mounts only.
import glob, os, re, signal, subprocess, sys, time

exe = sys.argv[1]
NR = "/proc/sys/vm/nr_hugepages"
FREE = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
WANT = 128


def read_int(path):
    try:
        return int(open(path).read())
    except OSError:
        return 0


def files():
    # Where a leftover would live; /tmp and /run are shared with other test
    # runs, so only what the run itself held open is checked there (held()).
    seen = set()
    for d in ("/dev/shm", "/dev/hugepages"):
        seen.update(glob.glob(d + "/*"))
    return seen


def held(pid):
    """Regular files the process has open or mapped, but for deleted ones and memfds."""
    paths = set()
    for fd in glob.glob("/proc/%d/fd/*" % pid):
        try:
            paths.add(os.readlink(fd))
        except OSError:
            pass
    try:
        for line in open("/proc/%d/maps" % pid):
            f = line.split(None, 5)
            if len(f) == 6:
                paths.add(f[5].strip())
    except OSError:
        pass
    return {x for x in paths if x.startswith("/") and not x.endswith("(deleted)")
            and not x.startswith(("/usr/", "/lib", "/dev/null", "/dev/pts", "/proc/", "/sys/"))
            and not re.search(r"\.so(\.[\d.]+)?$", x) and x != os.path.realpath(exe)
            and os.path.isfile(x)}


def mounts():
    return sorted(open("/proc/mounts").read().splitlines())


old_nr = read_int(NR)
reserved = False
if os.geteuid() == 0 and read_int(FREE) < WANT:
    try:
        open(NR, "w").write(str(old_nr + WANT - read_int(FREE)))
        reserved = True
    except OSError:
        pass
huge = read_int(FREE) >= 64
bad = []
try:
    files0, mounts0, free0 = files(), mounts(), read_int(FREE)
    args = [exe] + ([] if huge else ["--no-huge"]) + \
        ["-l", "0-1", "--vdev", "null0", "--vdev", "null1", "--", "-T", "1"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line or re.match(r"^\[\s*[\d.]+ s\] port 1: ", line):
            break
    else:
        line = ""
    if not line:
        p.kill()
        sys.exit("no stats line within 30 s: %s" % p.stderr.read())
    taken = free0 - read_int(FREE)
    open_files = held(p.pid)
    if huge and taken <= 0:
        bad.append("the run took no hugepages (free %d before, %d during)" % (free0, read_int(FREE)))
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=20)
    p.stdout.close()
    p.stderr.close()
    # The kernel frees a dead process's pages as its mm goes; give it a moment.
    deadline = time.time() + 10
    while time.time() < deadline and read_int(FREE) < free0:
        time.sleep(0.2)
    left = (files() - files0) | {f for f in open_files if os.path.exists(f)}
    if left:
        bad.append("files left behind: %s" % sorted(left))
    if mounts() != mounts0:
        bad.append("mounts changed: %s" % sorted(set(mounts()) ^ set(mounts0)))
    if read_int(FREE) < free0:
        bad.append("hugepages not given back: %d free before, %d after" % (free0, read_int(FREE)))
    print("kill -9 after traffic: %s, %d hugepages taken during the run, status %d" %
          ("hugepages" if huge else "--no-huge", taken, p.returncode))
finally:
    if reserved:
        open(NR, "w").write(str(old_nr))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
