#!/usr/bin/env bash
# Probe failures a user meets first: a missing interface, and no CAP_NET_RAW.
# Each must come out as one line naming the problem and the fix, and
# tern-l2fwd must exit 2.
. "$(dirname "$0")/lib.sh"
netns_setup

expect_one_line() { # NAME IFACE PATTERN -- command...
	local name=$1 iface=$2 pat=$3 rc=0
	shift 4
	"$@" >"$TMPD/$name.out" 2>&1 || rc=$?
	cat "$TMPD/$name.out"
	[ "$rc" -eq 2 ] || fail "$name: exit status $rc, want 2"
	# One line on the terminal; it must name the interface. The driver's own
	# line (with the fix) shows when tern-l2fwd prints it, and then once.
	[ "$(wc -l <"$TMPD/$name.out")" -eq 1 ] || fail "$name: want one line of output"
	grep -q "$iface" "$TMPD/$name.out" || fail "$name: the line does not name $iface"
	[ "$(grep -Ec "^tern: af_packet: " "$TMPD/$name.out")" -le 1 ] ||
		fail "$name: the driver said it more than once"
	if grep -q "^tern: af_packet: " "$TMPD/$name.out"; then
		grep -Eq "$pat" "$TMPD/$name.out" || fail "$name: no line matching '$pat'"
	fi
}

expect_one_line missing-iface "nosuch$T" "interface 'nosuch$T' does not exist.*ip link" -- \
	ip netns exec "$NSM" "$L2FWD" --no-huge -l 0 --vdev "af_packet0,iface=nosuch$T" -- \
	--duration 1

# As nobody, no capabilities at all (setpriv), on interfaces that do exist.
chmod o+rx "$TMPD"
expect_one_line no-cap-net-raw "$MA" "needs CAP_NET_RAW.*$MA" -- \
	ip netns exec "$NSM" setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all --bounding-set=-all "$L2FWD" --no-huge -l 0 \
	--vdev "af_packet0,iface=$MA" --vdev "af_packet1,iface=$MB" -- --duration 1
echo "ok: probe errors are one line each, exit status 2"
