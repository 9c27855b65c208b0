# test/netns/lib.sh - sourced by the namespace tests: a wire through tern.
#
#   ns A (a0 10.X.0.1/24) == veth == (ma) ns M (mb) == veth == (b0 10.X.0.2/24) ns B
#
# tern runs in ns M on ma and mb, so nothing in the machine's own namespace
# is touched. Names carry the test's PID so that tests may run side by side;
# netns_cleanup (trapped on EXIT) removes all of it, even after a failure.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: network namespaces and veth pairs need root"
	exit 77 # meson: skipped
fi

T=$$
NSA=tern-a-$T
NSB=tern-b-$T
NSM=tern-m-$T
NET=10.$((T % 200 + 20)).$((T / 200 % 250))
IPA=$NET.1
IPB=$NET.2
MA=ma$T
MB=mb$T

netns_cleanup() {
	local rc=$?
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# Deleting a namespace deletes the veth ends in it, and so their peers.
	for ns in "$NSA" "$NSB" "$NSM"; do ip netns del "$ns" 2>/dev/null || true; done
	[ -n "${TMPD:-}" ] && rm -rf "$TMPD"
	exit $rc
}
trap netns_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Build the three namespaces and the two veth pairs (interfaces' default offloads).
netns_setup() {
	TMPD=$(mktemp -d)
	for ns in "$NSA" "$NSB" "$NSM"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip link add a0 netns "$NSA" type veth peer name "$MA" netns "$NSM"
	ip link add b0 netns "$NSB" type veth peer name "$MB" netns "$NSM"
	# No IPv6 chatter (router solicitations, DAD) from the tern side.
	for d in "$MA" "$MB"; do
		ip netns exec "$NSM" sysctl -qw net.ipv6.conf."$d".disable_ipv6=1
		ip -n "$NSM" link set "$d" up
	done
	ip -n "$NSA" addr add "$IPA/24" dev a0
	ip -n "$NSB" addr add "$IPB/24" dev b0
	ip -n "$NSA" link set a0 up
	ip -n "$NSB" link set b0 up
}

L2FWD=${L2FWD:?L2FWD must name the tern-l2fwd binary}

# Start tern-l2fwd in ns M on the two middle ends for $1 seconds; JSON to $TMPD/l2fwd.json.
l2fwd_start() {
	ip netns exec "$NSM" "$L2FWD" --no-huge -l 0-1 ${L2FWD_EAL_EXTRA:-} \
		--vdev "af_packet0,iface=$MA" --vdev "af_packet1,iface=$MB" -- \
		--duration "$1" -T 0 --json "$TMPD/l2fwd.json" >"$TMPD/l2fwd.out" 2>&1 &
	L2FWD_PID=$!
	# Forwarding starts once the ports are up: wait for a ping to go through.
	for _ in $(seq 50); do
		ip netns exec "$NSA" ping -c 1 -W 0.2 "$IPB" >/dev/null 2>&1 && return 0
		kill -0 "$L2FWD_PID" 2>/dev/null || { cat "$TMPD/l2fwd.out"; fail "tern-l2fwd exited early"; }
	done
	cat "$TMPD/l2fwd.out"
	fail "no ping through tern-l2fwd within 10 s"
}

# Wait for tern-l2fwd to end and check its exit status and buffer accounting.
l2fwd_finish() {
	local rc=0
	wait "$L2FWD_PID" || rc=$?
	cat "$TMPD/l2fwd.out"
	[ "$rc" -eq 0 ] || fail "tern-l2fwd exit status $rc"
	grep -Eq '^buffers: ([0-9]+)/\1 returned$' "$TMPD/l2fwd.out" || fail "buffers line"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["buffers_total"] > 0 and r["buffers_returned"] == r["buffers_total"], r' \
		"$TMPD/l2fwd.json" || fail "JSON buffers_returned != buffers_total"
}
