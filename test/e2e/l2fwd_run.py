#!/usr/bin/env python3
# l2fwd_run.py TERN_L2FWD MODE: forward between two null ports for 2 s and
# check what a user relies on: traffic flows both ways, every frame received
# is either sent by the paired port or counted as dropped, one stats line per
# port per period, the totals, and every buffer back in its pool.
import json, os, re, subprocess, sys, tempfile

exe, mode = sys.argv[1], sys.argv[2]
extra = sys.argv[3:]
# L2FWD_PORTS=4 L2FWD_PAIRS=3,2,1,0: four null ports, port i paired with pairs[i].
nports = int(os.environ.get("L2FWD_PORTS", "2"))
pairs = [int(x) for x in os.environ.get("L2FWD_PAIRS", "1,0").split(",")]
vdevs = sum((["--vdev", "null%d" % i] for i in range(nports)), [])
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "run.json")
    cmd = [exe, "--no-huge", "-l", "0-1"] + vdevs + ["--",
           "--mode", mode, "--duration", "2", "-T", "1", "--json", out] + extra
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    assert p.returncode == 0, "exit status %d" % p.returncode
    res = json.load(open(out))

assert res["mode"] == mode, res["mode"]
# Never short; it may run long when other processes keep the main lcore off its CPU.
assert 1.9 <= res["duration_s"] <= 30.0, res["duration_s"]
ports = {e["port"]: e for e in res["ports"]}
assert sorted(ports) == list(range(nports)), ports
for a, e in ports.items():
    b = ports[e["pair"]]
    assert e["pair"] == pairs[a], (a, e["pair"])
    assert e["rx_pkts"] > 0 and e["tx_pkts"] > 0, e
    # Everything port a received went out of b or was dropped on the way to b.
    assert e["rx_pkts"] == b["tx_pkts"] + b["dropped"], (e, b)
    assert b["tx_pkts"] <= e["rx_pkts"]
    assert abs(e["rx_mpps"] - e["rx_pkts"] / res["duration_s"] / 1e6) < 1e-3
total = sum(e["tx_pkts"] for e in ports.values()) / res["duration_s"] / 1e6
assert abs(res["total_mpps"] - total) < 1e-3, (res["total_mpps"], total)
assert res["buffers_total"] > 0
assert res["buffers_returned"] == res["buffers_total"], res

# Stats: per port, at most one line per 1 s period (2 s run: at 1 s and 2 s).
for port in range(nports):
    times = [float(m.group(1)) for m in
             re.finditer(r"^\[\s*([\d.]+) s\] port %d: rx .* Mpps .* Mbit/s \| tx .* dropped \d+$" % port,
                         p.stdout, re.M)]
    assert len(times) in (1, 2), "port %d stats lines at %s" % (port, times)
    # The k-th line is never early (a loaded machine may make it late).
    assert all(t >= k + 1 - 0.05 for k, t in enumerate(times)), times
assert re.search(r"^total: [\d.]+ Mpps forwarded$", p.stdout, re.M), "no total line"
m = re.search(r"^buffers: (\d+)/(\d+) returned$", p.stdout, re.M)
assert m and m.group(1) == m.group(2) == str(res["buffers_total"]), "buffers line"
print("ok: %s %.1f Mpps" % (mode, res["total_mpps"]))
