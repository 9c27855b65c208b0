#!/usr/bin/env python3
# null_run.py TERN_PKTGEN: tern-pktgen on null ports (no wire, no peer).
#  1. IMIX at 1000 wire Mbit/s for 2 s: the achieved wire rate is within 1%
#     of it, the JSON summary agrees with the MoonGen-style total line, and
#     every buffer comes back.
#  2. --rfc2544 over two sizes: a result row for each.
import json, os, re, subprocess, sys, tempfile

exe = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="tern-pktgen-%d-" % os.getpid())
js = os.path.join(tmp, "pg.json")
fails = []


def run(args):
    p = subprocess.run([exe, "--no-huge", "-l", "0", "--vdev", "null0", "--"] + args + ["--json", js],
                       capture_output=True, text=True, timeout=60)
    print(p.stdout, end="")
    if p.returncode != 0 or not re.search(r"^buffers: (\d+)/\1 returned$", p.stdout, re.M):
        fails.append("exit %d or buffers: %s" % (p.returncode, p.stderr))
    return p.stdout, json.load(open(js))


out, r = run(["--size", "imix", "--rate", "1000", "--duration", "2", "--tx-only", "-T", "0"])
port = r["ports"][0]
if abs(port["tx_wire_mbit"] / 1000 - 1) >= 0.01:
    fails.append("IMIX at 1000 Mbit/s: achieved %.3f" % port["tx_wire_mbit"])
m = re.search(r"^\[Device: id=0\] TX: .* total (\d+) packets with (\d+) bytes \(incl. CRC\)$", out, re.M)
if not m or int(m.group(1)) != port["tx_packets"] or int(m.group(2)) != port["tx_bytes"]:
    fails.append("total line and JSON disagree")
# IMIX 7:4:1 of 64/594/1518: mean frame (7*64 + 4*594 + 1518) / 12 bytes.
mean = port["tx_bytes"] / port["tx_packets"]
if abs(mean - (7 * 64 + 4 * 594 + 1518) / 12) > 2:
    fails.append("IMIX mean frame %.1f bytes" % mean)

# RFC 2544 plumbing: one row per size, in the JSON and on stdout. (A null
# port's RX hands out whatever its buffers held, often our own frames, so the
# figures mean nothing here; search_test.c checks the search itself.)
out, r = run(["--rfc2544", "64,1518", "--rate", "100", "--trial", "1", "--precision", "50",
              "--drain-ms", "20"])
rows = r["rfc2544"]
if [x["frame_size"] for x in rows] != [64, 1518] or any(x["trials"] < 1 for x in rows):
    fails.append("rfc2544 rows: %s" % rows)
if len(re.findall(r"^rfc2544: frame size \d+: throughput [\d.]+ Mpps, [\d.]+ Mbit/s with framing \(\d+ trials\)$", out, re.M)) != 2:
    fails.append("rfc2544: one result line per frame size expected")

for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
