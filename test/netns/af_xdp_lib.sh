# test/netns/af_xdp_lib.sh - sourced by the af_xdp namespace tests: lib.sh's
# wire (ns A == veth == ns M == veth == ns B), with tern-l2fwd on two af_xdp
# ports in ns M instead of af_packet ones.
. "$(dirname "$0")/lib.sh"

# tern-l2fwd on af_xdp ports for $1 seconds; extra devargs in AXP_ARGS, EAL
# options in L2FWD_EAL_EXTRA, l2fwd options in L2FWD_EXTRA.
l2fwd_start() {
	ip netns exec "$NSM" "$L2FWD" --no-huge -l ${L2FWD_LCORES:-0-1} ${L2FWD_EAL_EXTRA:-} \
		--vdev "af_xdp0,iface=$MA${AXP_ARGS:-}" --vdev "af_xdp1,iface=$MB${AXP_ARGS:-}" -- \
		--duration "$1" -T 0 ${L2FWD_EXTRA:-} --json "$TMPD/l2fwd.json" >"$TMPD/l2fwd.out" 2>&1 &
	L2FWD_PID=$!
	for _ in $(seq 50); do
		ip netns exec "$NSA" ping -c 1 -W 0.2 "$IPB" >/dev/null 2>&1 && return 0
		kill -0 "$L2FWD_PID" 2>/dev/null || { cat "$TMPD/l2fwd.out"; fail "tern-l2fwd exited early"; }
	done
	cat "$TMPD/l2fwd.out"
	fail "no ping through tern-l2fwd within 10 s"
}

# No XDP program may be left on either middle interface once tern has gone.
no_prog_left() {
	for d in "$MA" "$MB"; do
		! ip -n "$NSM" link show dev "$d" | grep -q 'prog/xdp' ||
			fail "an XDP program is still attached to $d: $(ip -n "$NSM" link show dev "$d")"
	done
}

# lib.sh's netns_setup with $1 RX and TX queues on every veth end.
netns_setup_mq() {
	TMPD=$(mktemp -d)
	for ns in "$NSA" "$NSB" "$NSM"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip link add a0 netns "$NSA" numtxqueues "$1" numrxqueues "$1" type veth peer name "$MA" \
		netns "$NSM" numtxqueues "$1" numrxqueues "$1"
	ip link add b0 netns "$NSB" numtxqueues "$1" numrxqueues "$1" type veth peer name "$MB" \
		netns "$NSM" numtxqueues "$1" numrxqueues "$1"
	for d in "$MA" "$MB"; do
		ip netns exec "$NSM" sysctl -qw net.ipv6.conf."$d".disable_ipv6=1
		ip -n "$NSM" link set "$d" up
	done
	ip -n "$NSA" addr add "$IPA/24" dev a0
	ip -n "$NSB" addr add "$IPB/24" dev b0
	ip -n "$NSA" link set a0 up
	ip -n "$NSB" link set b0 up
}
