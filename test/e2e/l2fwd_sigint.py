#!/usr/bin/env python3
# l2fwd_sigint.py TERN_L2FWD [SIGNAL]: a run with no --duration ends cleanly
# on SIGINT (or SIGTERM): status 0, totals, and every buffer returned.
import re, signal, subprocess, sys, time

exe = sys.argv[1]
sig = getattr(signal, sys.argv[2]) if len(sys.argv) > 2 else signal.SIGINT
p = subprocess.Popen([exe, "--no-huge", "-l", "0-1", "--vdev", "null0", "--vdev", "null1",
                      "--", "-T", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
# Wait for the first stats line: traffic is flowing.
lines = []
deadline = time.time() + 30
while time.time() < deadline:
    line = p.stdout.readline()
    if not line:
        break
    lines.append(line)
    if re.match(r"^\[\s*[\d.]+ s\] port 1: ", line):
        break
else:
    p.kill()
    sys.exit("no stats line within 30 s")
p.send_signal(sig)
try:
    out, err = p.communicate(timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    sys.exit("still running 20 s after %s" % sig.name)
out = "".join(lines) + out
sys.stdout.write(out)
sys.stderr.write(err)
assert p.returncode == 0, "exit status %d after %s" % (p.returncode, sig.name)
assert re.search(r"^totals over [\d.]+ s:$", out, re.M), "no totals"
for port in (0, 1):
    m = re.search(r"^port %d: rx (\d+) pkts .* tx (\d+) pkts" % port, out, re.M)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) > 0, "port %d totals" % port
m = re.search(r"^buffers: (\d+)/(\d+) returned$", out, re.M)
assert m and m.group(1) == m.group(2) and int(m.group(2)) > 0, "buffers line"
print("ok: ended by", sig.name)
