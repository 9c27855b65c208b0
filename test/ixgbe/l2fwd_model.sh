#!/bin/sh
# tern-l2fwd, unchanged, on two 82599 model ports (LD_PRELOAD registers them):
# 2 lcores, -q 2 (RSS over two RX queues per port), frames circulating on the
# model's wire. Passes when both ports forwarded, the driver's init followed
# the datasheet, and l2fwd exits cleanly.
# usage: l2fwd_model.sh TERN_L2FWD PRELOAD_SO
set -eu
l2fwd=$1
preload=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
LD_PRELOAD=$preload "$l2fwd" -l 0-1 --no-huge -a 0000:e0:00.0 -a 0000:e0:00.1 -- \
	-q 2 --duration 4 -T 1 --json "$out/run.json" >"$out/stdout" 2>"$out/stderr" || {
	echo "tern-l2fwd failed:"; cat "$out/stdout" "$out/stderr"; exit 1; }
cat "$out/stdout" "$out/stderr"
grep -q "init in datasheet order" "$out/stderr" || { echo "FAIL: init sequence"; exit 1; }
[ "$(grep -c "init in datasheet order" "$out/stderr")" = 2 ] || { echo "FAIL: port init"; exit 1; }
# RSS spread the flows: every RX queue of both ports received frames.
if grep "ixgbe model port" "$out/stderr" | grep -Eq "queue [01]: 0[,)]"; then
	echo "FAIL: an RX queue got nothing: RSS did not spread the flows"; exit 1
fi
python3 - "$out/run.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
for p in run["ports"]:
    assert p["rx_pkts"] > 1000 and p["tx_pkts"] > 1000, p
assert run["buffers_returned"] == run["buffers_total"], run
print("ok: both ports forwarded, every buffer returned")
PY
