# test/pktgen/lib.sh - sourced by the tern-pktgen tests: two namespaces, two veth pairs.
#
#   ns P: tern-pktgen on p0, p1 == veth == ma, mb in ns M: the device under test
#
# Names carry the test's PID; pg_cleanup (trapped on EXIT) removes all of it.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: network namespaces and veth pairs need root"
	exit 77
fi

T=$$
NSP=tern-pgp-$T
NSM=tern-pgm-$T
NSB=tern-pgb-$T
P0=p0_$T
P1=p1_$T
MA=ma_$T
MB=mb_$T
PKTGEN=${PKTGEN:?PKTGEN must name the tern-pktgen binary}

pg_cleanup() {
	local rc=$?
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for ns in "$NSP" "$NSM" "$NSB"; do ip netns del "$ns" 2>/dev/null || true; done
	[ -n "${TMPD:-}" ] && rm -rf "$TMPD"
	exit $rc
}
trap pg_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pg_setup() {
	TMPD=$(mktemp -d)
	for ns in "$NSP" "$NSM"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip link add "$P0" netns "$NSP" type veth peer name "$MA" netns "$NSM"
	ip link add "$P1" netns "$NSP" type veth peer name "$MB" netns "$NSM"
	for d in "$P0 $NSP" "$P1 $NSP" "$MA $NSM" "$MB $NSM"; do
		set -- $d
		ip netns exec "$2" sysctl -qw net.ipv6.conf."$1".disable_ipv6=1
		ip -n "$2" link set "$1" up
	done
}

# For routing tests: the second veth's outer end goes to its own namespace B,
# so that P (with p0) and B (with p1) are two hosts on two subnets.
pg_split() {
	ip netns add "$NSB"
	ip -n "$NSB" link set lo up
	ip -n "$NSP" link set "$P1" netns "$NSB"
	ip -n "$NSB" link set "$P1" up
}

# Wait until tern-l2fwd (pid $2, output $1) has started its ports: it prints
# its plan ("lcore N (rtc): ...") once they are up.
pg_wait_dut() {
	for _ in $(seq 100); do
		grep -q '^lcore ' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || { cat "$1"; fail "tern-l2fwd exited"; }
		sleep 0.1
	done
	cat "$1"
	fail "tern-l2fwd did not start within 10 s"
}

# Run tern-pktgen in ns P on p0 and p1 with the given options; output in $TMPD/pg.out.
pg_run() {
	ip netns exec "$NSP" "$PKTGEN" --no-huge -l 0 --vdev "af_packet0,iface=$P0" \
		--vdev "af_packet1,iface=$P1" -- -T 1 --json "$TMPD/pg.json" "$@" >"$TMPD/pg.out" 2>&1 ||
		{ cat "$TMPD/pg.out"; fail "tern-pktgen exit status $?"; }
	cat "$TMPD/pg.out"
	grep -Eq '^buffers: ([0-9]+)/\1 returned$' "$TMPD/pg.out" || fail "pktgen buffers line"
}

# A field of the pktgen JSON summary, by a Python expression on r.
pg_json() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$TMPD/pg.json" "$1"
}
