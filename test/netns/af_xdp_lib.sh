# test/netns/af_xdp_lib.sh - sourced by the af_xdp namespace tests: lib.sh's
# wire (ns A == veth == ns M == veth == ns B), with tern-l2fwd on two af_xdp
# ports in ns M instead of af_packet ones (extra devargs in L2FWD_DEVARGS).
. "$(dirname "$0")/lib.sh"
L2FWD_DRIVER=af_xdp

# No XDP program may be left on either middle interface once tern has gone.
no_prog_left() {
	for d in "$MA" "$MB"; do
		! ip -n "$NSM" link show dev "$d" | grep -q 'prog/xdp' ||
			fail "an XDP program is still attached to $d: $(ip -n "$NSM" link show dev "$d")"
	done
}
