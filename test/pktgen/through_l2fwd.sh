#!/usr/bin/env bash
# tern-pktgen -> tern-l2fwd -> tern-pktgen over af_packet ports on veth pairs,
# both directions at once, at a rate well under what the wire carries: no
# frame lost, duplicated or reordered, latency measured, and each port's
# achieved rate within 1% of the requested one.
. "$(dirname "$0")/lib.sh"
L2FWD=${L2FWD:?L2FWD must name the tern-l2fwd binary}
RATE=${RATE:-10000} # frames per second per port
pg_setup
ip netns exec "$NSM" "$L2FWD" --no-huge -l 1 --vdev "af_packet0,iface=$MA" \
	--vdev "af_packet1,iface=$MB" -- -q 2 -T 0 --duration 30 >"$TMPD/l2fwd.out" 2>&1 &
l2fwd=$!
# l2fwd forwards once its ports are up: a short pktgen run until frames come back.
for i in $(seq 40); do
	ip netns exec "$NSP" "$PKTGEN" --no-huge -l 0 --vdev "af_packet0,iface=$P0" \
		--vdev "af_packet1,iface=$P1" -- --duration 1 --rate 0.001mpps -T 0 \
		--drain-ms 50 >"$TMPD/probe.out" 2>&1 || true
	grep -Eq 'flows: [0-9]+ sent, [1-9][0-9]* received' "$TMPD/probe.out" && break
	kill -0 "$l2fwd" 2>/dev/null || { cat "$TMPD/l2fwd.out"; fail "tern-l2fwd exited"; }
	[ "$i" -eq 40 ] && { cat "$TMPD/probe.out"; fail "nothing came back through tern-l2fwd"; }
done
pg_run --duration 2 --rate "$(python3 -c "print($RATE / 1e6)")mpps" --flows 8 --size 128 \
	--drain-ms 1000 --hist "$TMPD/histogram.csv"
kill -INT "$l2fwd"
wait "$l2fwd" || { cat "$TMPD/l2fwd.out"; fail "tern-l2fwd exit status"; }
grep -Eq '^buffers: ([0-9]+)/\1 returned$' "$TMPD/l2fwd.out" || fail "l2fwd buffers"

sent=$(pg_json 'r["flows"]["sent"]')
# The rate is checked where the generator had the CPU it needed: a pacer that
# fell more than 100 ms behind (descheduled on a busy machine) gives up that
# backlog, counts pacer_behind and says so rather than bursting it out.
starved=$(pg_json 'sum(p["pacer_behind"] for p in r["ports"])')
[ "$(pg_json 'r["flows"]["lost"]')" -eq 0 ] || fail "frames lost"
[ "$(pg_json 'r["flows"]["duplicates"]')" -eq 0 ] || fail "duplicates"
[ "$(pg_json 'r["flows"]["reordered"]')" -eq 0 ] || fail "reordered"
[ "$(pg_json 'r["flows"]["received"]')" -eq "$sent" ] || fail "received != sent"
for p in 0 1; do
	got=$(pg_json "r['ports'][$p]['tx_mpps']")
	echo "port $p: requested $RATE pps, achieved $got Mpps"
	if [ "$starved" -gt 0 ]; then
		echo "NOTE: the generator was descheduled for over 100 ms ($starved times): rate not checked"
		continue
	fi
	python3 -c "import sys; g=$got; w=$RATE/1e6; sys.exit(0 if abs(g/w-1) < 0.01 else 1)" ||
		fail "port $p: achieved $got Mpps, requested $((RATE)) pps: off by 1% or more"
done
# Every frame was a probe: one latency sample per frame received, all in the histogram.
[ "$(pg_json 'r["latency_ns"]["samples"]')" -eq "$sent" ] || fail "latency samples"
hist=$(awk -F, '{ n += $2 } END { print n }' "$TMPD/histogram.csv")
[ "$hist" -eq "$sent" ] || fail "histogram.csv holds $hist samples, not $sent"
grep -Eq '^\[Device: id=1\] RX: [0-9.]+ Mpps, [0-9]+ Mbit/s \([0-9]+ Mbit/s with framing\)$' \
	"$TMPD/pg.out" || fail "no MoonGen-style per-second line"
echo "ok: $sent frames, none lost$([ "$starved" -eq 0 ] && echo ", rate within 1%")"
