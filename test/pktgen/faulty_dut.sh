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
python3 - "$TMPD/pg.json" "$TMPD/dut.out" <<'PY' || fail "pktgen's counts differ from what the DUT did"
import json, sys
f = json.load(open(sys.argv[1]))["flows"]
n, relayed = f["sent"], json.loads(open(sys.argv[2]).read())["relayed"]
want = {"lost": n // 1000, "duplicates": 1, "reordered": 1, "received": n - n // 1000 + 1}
got = {k: f[k] for k in want}
print("sent %d, DUT saw %d; want %s, got %s" % (n, relayed, want, got))
sys.exit(0 if relayed == n and got == want else 1)
PY
echo "ok: pktgen saw every 1000th frame lost, 1 duplicate, 1 reordered"
