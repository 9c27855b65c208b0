#!/usr/bin/env python3
# stats_format.py TERN_L2FWD: --stats-format moongen|csv|json on two null
# ports: each period gives an RX and a TX line per port in the promised shape,
# counted as MoonGen counts (a null port's 64-byte frames are 68 bytes with
# the CRC, 88 with framing).
import json, re, subprocess, sys

exe = sys.argv[1]
fails = []


def run(fmt):
    p = subprocess.run([exe, "--no-huge", "-l", "0", "--vdev", "null0", "--vdev", "null1", "--",
                        "-q", "2", "--duration", "1", "-T", "1", "--stats-format", fmt],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0 or not re.search(r"^buffers: (\d+)/\1 returned$", p.stdout, re.M):
        fails.append("%s: exit %d: %s" % (fmt, p.returncode, p.stderr))
    return p.stdout.splitlines()


out = run("moongen")
pat = re.compile(r"^\[Device: id=([01])\] (RX|TX): ([\d.]+) Mpps, (\d+) Mbit/s \((\d+) Mbit/s with framing\)$")
got = [m.groups() for m in map(pat.match, out) if m]
if sorted((g[0], g[1]) for g in got) != [("0", "RX"), ("0", "TX"), ("1", "RX"), ("1", "TX")]:
    fails.append("moongen: one RX and one TX line per port expected: %s" % out)
for g in got:
    # 64-byte frames + 4 CRC: Mbit = Mpps * 68 * 8; with framing Mpps * 88 * 8.
    mpps, mbit, wire = float(g[2]), int(g[3]), int(g[4])
    if mpps <= 0 or abs(mbit - mpps * 544) > mpps * 5 + 1 or abs(wire - mpps * 704) > mpps * 5 + 1:
        fails.append("moongen: inconsistent line %s" % (g,))

out = run("csv")
head = "Time,Device,Direction,PacketRate,Mbit,MbitWithFraming,TotalPackets,TotalBytes"
rows = [l.split(",") for l in out if re.match(r"^\d+,Device: id=\d,", l)]
if head not in out or len(rows) != 4:
    fails.append("csv: header and 4 rows expected: %s" % out)
for r in rows:
    if int(r[7]) != int(r[6]) * 68:
        fails.append("csv: TotalBytes != 68 x TotalPackets: %s" % r)

out = run("json")
objs = [json.loads(l) for l in out if l.startswith("{")]
if len(objs) != 4 or any(o["total_bytes"] != 68 * o["total_packets"] or o["mpps"] <= 0 for o in objs):
    fails.append("json: %s" % objs)

for f in fails:
    print("FAIL:", f)
print("%d failures" % len(fails))
sys.exit(1 if fails else 0)
