#!/bin/sh
# tern-l2fwd, unchanged, on two 82599 model ports (LD_PRELOAD registers them):
# 2 lcores, -q 2 (RSS over two RX queues per port), frames circulating on the
# model's wire. Passes when both ports forwarded, the driver's init followed
# the datasheet, and l2fwd exits cleanly.
#
# With "unplug": port 1's card is pulled 1.5 s into a 4 s run
# (TERN_IXM_UNPLUG). Passes when l2fwd runs on to its --duration, logs the
# removal once, shows port 1's link down, prints its totals, gets every
# buffer back, and exits 0.
# usage: l2fwd_model.sh TERN_L2FWD PRELOAD_SO [unplug]
set -eu
l2fwd=$1
preload=$2
mode=${3:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
if [ "$mode" = unplug ]; then
	export TERN_IXM_UNPLUG=1:1500
fi
start=$(date +%s)
LD_PRELOAD=$preload "$l2fwd" -l 0-1 --no-huge -a 0000:e0:00.0 -a 0000:e0:00.1 -- \
	-q 2 --duration 4 -T 1 --json "$out/run.json" >"$out/stdout" 2>"$out/stderr" || {
	echo "tern-l2fwd failed:"; cat "$out/stdout" "$out/stderr"; exit 1; }
end=$(date +%s)
cat "$out/stdout" "$out/stderr"
grep -q "init in datasheet order" "$out/stderr" || { echo "FAIL: init sequence"; exit 1; }
[ "$(grep -c "init in datasheet order" "$out/stderr")" = 2 ] || { echo "FAIL: port init"; exit 1; }
# RSS spread the flows: every RX queue of both ports received frames.
if grep "ixgbe model port" "$out/stderr" | grep -Eq "queue [01]: 0[,)]"; then
	echo "FAIL: an RX queue got nothing: RSS did not spread the flows"; exit 1
fi
grep -Eq "^buffers: ([0-9]+)/\1 returned" "$out/stdout" || { echo "FAIL: buffers line"; exit 1; }
grep -q "^totals over" "$out/stdout" || { echo "FAIL: no totals"; exit 1; }
if [ "$mode" = unplug ]; then
	line="ixgbe: 0000:e0:00.1 (port 1): device stopped answering (registers read all ones)"
	n=$(grep -c "$line" "$out/stderr" || true)
	[ "$n" = 1 ] || { echo "FAIL: the removal was logged $n times, want once"; exit 1; }
	grep -q "port 1 unplugged after" "$out/stderr" || { echo "FAIL: no unplug"; exit 1; }
	grep -Eq "^\[ *[0-9.]+ s\] port 1: .* \| link down$" "$out/stdout" ||
		{ echo "FAIL: no stats line shows port 1's link down"; exit 1; }
	[ $((end - start)) -ge 4 ] || { echo "FAIL: l2fwd ended before its --duration"; exit 1; }
fi
python3 - "$out/run.json" "$mode" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
for p in run["ports"]:
    assert p["rx_pkts"] > 1000 and p["tx_pkts"] > 1000, p
assert run["buffers_returned"] == run["buffers_total"], run
print("ok: both ports forwarded, every buffer returned" +
      (", port 1 removed mid-run" if sys.argv[2] == "unplug" else ""))
PY
