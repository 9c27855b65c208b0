#!/usr/bin/env bash
# tern-pktgen through a device under test that drops every 1000th frame,
# duplicates one and swaps two (faulty_dut.py): pktgen must report exactly
# that loss, one duplicate and one reordered frame.
. "$(dirname "$0")/lib.sh"
pg_setup
ip netns exec "$NSM" python3 "$(dirname "$0")/faulty_dut.py" "$MA" "$MB" "$TMPD/ready" \
	>"$TMPD/dut.out" 2>&1 &
dut=$!
for _ in $(seq 100); do [ -e "$TMPD/ready" ] && break; sleep 0.1; done
# One sender (port 0), one flow: 5000 frames (+-1 at the end) at 5 kpps; port 1 only receives.
pg_run --tx-mask 0x1 --rate 0.005mpps --duration 1 --drain-ms 2000
wait "$dut" || { cat "$TMPD/dut.out"; fail "the faulty DUT relayed too few frames"; }
cat "$TMPD/dut.out"
N=$(pg_json 'r["flows"]["sent"]')
relayed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["relayed"])' "$TMPD/dut.out")
[ "$relayed" -eq "$N" ] || fail "pktgen sent $N frames, the DUT saw $relayed"
[ "$(pg_json 'r["flows"]["lost"]')" -eq $((N / 1000)) ] || fail "lost should be $((N / 1000))"
[ "$(pg_json 'r["flows"]["duplicates"]')" -eq 1 ] || fail "duplicates should be 1"
[ "$(pg_json 'r["flows"]["reordered"]')" -eq 1 ] || fail "reordered should be 1"
[ "$(pg_json 'r["flows"]["received"]')" -eq $((N - N / 1000 + 1)) ] || fail "received"
echo "ok: $N sent; pktgen saw $((N / 1000)) lost, 1 duplicate, 1 reordered"
