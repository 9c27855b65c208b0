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

# Build the three namespaces and the two veth pairs (interfaces' default
# offloads); with $1, that many RX and TX queues on every veth end.
netns_setup() {
	local q=()
	[ -n "${1:-}" ] && q=(numtxqueues "$1" numrxqueues "$1")
	TMPD=$(mktemp -d)
	for ns in "$NSA" "$NSB" "$NSM"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip link add a0 netns "$NSA" "${q[@]}" type veth peer name "$MA" netns "$NSM" "${q[@]}"
	ip link add b0 netns "$NSB" "${q[@]}" type veth peer name "$MB" netns "$NSM" "${q[@]}"
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

# Start tern-l2fwd in ns M on the two middle ends for $1 seconds; JSON to
# $TMPD/l2fwd.json. The driver is L2FWD_DRIVER (af_packet) with extra
# devargs L2FWD_DEVARGS (",k=v..."); EAL options in L2FWD_EAL_EXTRA, lcores
# in L2FWD_LCORES (0-1), l2fwd options in L2FWD_EXTRA.
l2fwd_start() {
	local drv=${L2FWD_DRIVER:-af_packet}
	ip netns exec "$NSM" "$L2FWD" --no-huge -l ${L2FWD_LCORES:-0-1} ${L2FWD_EAL_EXTRA:-} \
		--vdev "${drv}0,iface=$MA${L2FWD_DEVARGS:-}" --vdev "${drv}1,iface=$MB${L2FWD_DEVARGS:-}" -- \
		--duration "$1" -T 0 ${L2FWD_EXTRA:-} --json "$TMPD/l2fwd.json" >"$TMPD/l2fwd.out" 2>&1 &
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

# $1 MiB of random bytes over TCP from ns A to ns B through the wire; fails
# unless they arrive intact. Sets TCP_SECONDS to how long it took.
tcp_transfer() {
	head -c $(($1 << 20)) /dev/urandom >"$TMPD/in"
	ip netns exec "$NSB" timeout 30 nc -l -p 5001 >"$TMPD/out" &
	local rx=$! t0 t1 want got
	for _ in $(seq 50); do
		ip netns exec "$NSB" ss -ltn | grep -q ':5001 ' && break
		sleep 0.1
	done
	t0=$(date +%s.%N)
	ip netns exec "$NSA" timeout 30 nc -N -w 20 "$IPB" 5001 <"$TMPD/in" || fail "nc sender"
	wait "$rx" || fail "nc receiver"
	t1=$(date +%s.%N)
	want=$(sha256sum <"$TMPD/in" | cut -d' ' -f1)
	got=$(sha256sum <"$TMPD/out" | cut -d' ' -f1)
	[ "$want" = "$got" ] ||
		fail "sha256 differs: sent $want, received $got ($(stat -c %s "$TMPD/out") bytes)"
	TCP_SECONDS=$(printf '%.2f' "$(echo "$t1 - $t0" | bc)")
}
