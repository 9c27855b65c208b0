#!/usr/bin/env bash
# tern-pktgen -> tern-l2fwd -> tern-pktgen over af_packet ports on veth pairs,
# both directions at once, at a rate well under what the wire carries: no
# frame lost, duplicated or reordered, latency measured, and each port's
# achieved rate within 1% of the requested one.
. "$(dirname "$0")/lib.sh"
L2FWD=${L2FWD:?L2FWD must name the tern-l2fwd binary}
RATE=${RATE:-5000} # frames per second per port: af_packet rings (4096) cover 0.8 s off-CPU
pg_setup
ip netns exec "$NSM" "$L2FWD" --no-huge -l 1 --vdev "af_packet0,iface=$MA" \
	--vdev "af_packet1,iface=$MB" -- -q 2 -T 0 --duration 30 >"$TMPD/l2fwd.out" 2>&1 &
l2fwd=$!
pg_wait_dut "$TMPD/l2fwd.out" "$l2fwd"
pg_run --duration 2 --rate "$(python3 -c "print($RATE / 1e6)")mpps" --flows 8 --size 128 \
	--drain-ms 500 --hist "$TMPD/histogram.csv"
kill -INT "$l2fwd"
wait "$l2fwd" || { cat "$TMPD/l2fwd.out"; fail "tern-l2fwd exit status"; }
grep -Eq '^buffers: ([0-9]+)/\1 returned$' "$TMPD/l2fwd.out" || fail "l2fwd buffers"

# One Python for all the checks (each interpreter start costs ~0.5 s on a busy host).
python3 - "$TMPD/pg.json" "$TMPD/histogram.csv" "$TMPD/pg.out" "$RATE" <<'PY' || fail "see above"
import json, re, sys
r = json.load(open(sys.argv[1]))
rate = int(sys.argv[4])
f = r["flows"]
bad = []
if f["lost"] or f["duplicates"] or f["reordered"] or f["received"] != f["sent"]:
    bad.append("flows: %s" % f)
# The rate is checked where the generator had the CPU it needed: a pacer that
# fell more than 100 ms behind (descheduled on a busy machine) gives up that
# backlog, counts pacer_behind and says so rather than bursting it out.
starved = sum(p["pacer_behind"] for p in r["ports"])
for p in r["ports"]:
    print("port %d: requested %d pps, achieved %.6f Mpps" % (p["port"], rate, p["tx_mpps"]))
    if starved:
        print("NOTE: the generator was descheduled for over 100 ms (%d times): rate not checked" % starved)
    elif abs(p["tx_mpps"] / (rate / 1e6) - 1) >= 0.01:
        bad.append("port %d: achieved %.6f Mpps: off by 1%% or more" % (p["port"], p["tx_mpps"]))
# Every frame was a probe: one latency sample per frame received, all in the histogram.
hist = sum(int(l.split(",")[1]) for l in open(sys.argv[2]))
if r["latency_ns"]["samples"] != f["sent"] or hist != f["sent"]:
    bad.append("latency samples %d, histogram.csv %d, frames %d" % (r["latency_ns"]["samples"], hist, f["sent"]))
if not re.search(r"^\[Device: id=1\] RX: [0-9.]+ Mpps, [0-9]+ Mbit/s \([0-9]+ Mbit/s with framing\)$",
                 open(sys.argv[3]).read(), re.M):
    bad.append("no MoonGen-style per-second line")
for b in bad:
    print("FAIL:", b)
print("ok: %d frames, none lost%s" % (f["sent"], "" if starved else ", rate within 1%") if not bad else "")
sys.exit(1 if bad else 0)
PY
