#!/usr/bin/env python3
# l2fwd_kill9.py TERN_L2FWD: kill -9 in the middle of a forwarding run leaves
# nothing behind: no files (/dev/shm, /dev/hugepages, /tmp, /run), no mounts,
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
    seen = set()
    for d in ("/dev/shm", "/dev/hugepages", "/tmp", "/run", "/var/run"):
        for f in glob.glob(d + "/*tern*") + glob.glob(d + "/.tern*"):
            seen.add(f)
    for d in ("/dev/hugepages", "/dev/shm"):
        for f in glob.glob(d + "/*"):
            seen.add(f)
    return seen


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
    left = files() - files0
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
