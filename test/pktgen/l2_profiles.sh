#!/usr/bin/env bash
# tern-l2fwd's L2 profiles as a device under test:
#  - l2 (default): PTP frames (over Ethernet, EtherType 0x88F7, and over
#    UDP port 319: MoonGen's latency probes) cross byte for byte;
#  - reflector: one port, every frame sent back where it came from with its
#    MACs swapped and nothing else changed.
. "$(dirname "$0")/lib.sh"
L2FWD=${L2FWD:?L2FWD must name the tern-l2fwd binary}
here=$(cd "$(dirname "$0")" && pwd)
pg_setup
MAC_P0=$(ip netns exec "$NSP" cat /sys/class/net/"$P0"/address)

start() { # OUT_NAME, l2fwd EAL and app options...
	local out=$1
	shift
	ip netns exec "$NSM" "$L2FWD" --no-huge -l 1 "$@" >"$TMPD/$out" 2>&1 &
	DUT=$!
	pg_wait_dut "$TMPD/$out" "$DUT"
}
finish() { # OUT_NAME
	kill -INT "$DUT"
	wait "$DUT" || { cat "$TMPD/$1"; fail "tern-l2fwd exit status"; }
	grep -Eq '^buffers: ([0-9]+)/\1 returned$' "$TMPD/$1" || fail "buffers"
}
# Send one PTP frame KIND from p0 until it shows up on IFACE (the DUT may be starting).
cross() { # KIND IFACE
	local kind=$1 iface=$2 ok=0
	shift 2
	for _ in $(seq 10); do
		rm -f "$TMPD/ready"
		ip netns exec "$NSP" python3 "$here/ptp.py" recv "$iface" "$kind" "$TMPD/ready" >"$TMPD/rx" &
		local rx=$!
		for _ in $(seq 50); do [ -e "$TMPD/ready" ] && break; sleep 0.1; done
		ip netns exec "$NSP" python3 "$here/ptp.py" send "$P0" "$kind" "$@" >"$TMPD/tx"
		wait "$rx" && { ok=1; break; }
	done
	[ "$ok" = 1 ] || fail "no PTP $kind frame arrived on $iface"
}

start l2.out --vdev "af_packet0,iface=$MA" --vdev "af_packet1,iface=$MB" -- -q 2 -T 0
for kind in l2 udp; do
	cross "$kind" "$P1" 02:00:00:00:00:99 198.18.1.2 198.19.1.2
	cmp -s "$TMPD/tx" "$TMPD/rx" || { cat "$TMPD/tx" "$TMPD/rx"; fail "PTP $kind frame changed"; }
	echo "PTP $kind: $(($(wc -c <"$TMPD/rx") / 2)) bytes, identical"
done
finish l2.out

start refl.out --vdev "af_packet0,iface=$MA" -- --profile reflector -T 0
cross udp "$P0" 02:00:00:00:00:99 198.18.1.2 198.19.1.2
python3 - "$TMPD/tx" "$TMPD/rx" <<'PY' || fail "reflected frame is not the sent one with MACs swapped"
import sys
tx = bytes.fromhex(open(sys.argv[1]).read().strip())
rx = bytes.fromhex(open(sys.argv[2]).read().strip())
want = tx[6:12] + tx[0:6] + tx[12:]
sys.exit(0 if rx == want else print("sent", tx.hex(), "\ngot ", rx.hex()) or 1)
PY
finish refl.out
echo "ok: PTP frames untouched in l2; reflector swaps MACs only"
