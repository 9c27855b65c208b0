#!/usr/bin/env bash
# tern-echo on an af_xdp port answers a namespace's ping, UDP echo (1, 100
# and 1472 bytes) and a 1 MiB TCP echo; then every buffer is back.
#
#   ns C (ec, 10.X.Y.1/24) == veth == (es) ns S: tern-echo --ip 10.X.Y.2/24
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: network namespaces and veth pairs need root"
	exit 77
fi
ECHO=${ECHO:?ECHO must name the tern-echo binary}
CLIENT=$(dirname "$0")/../echo/netns_echo.py # its client mode: udp and tcp
T=$$
NSC=tern-xc-$T
NSS=tern-xs-$T
NET=10.$((T % 200 + 20)).$((T / 200 % 250))
TMPD=$(mktemp -d)
cleanup() {
	local rc=$?
	[ -n "${EPID:-}" ] && kill -9 "$EPID" 2>/dev/null
	wait 2>/dev/null || true
	ip netns del "$NSC" 2>/dev/null || true
	ip netns del "$NSS" 2>/dev/null || true
	rm -rf "$TMPD"
	exit $rc
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	cat "$TMPD/echo.out" >&2 || true
	exit 1
}
for ns in "$NSC" "$NSS"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip link add "ec$T" netns "$NSC" type veth peer name "es$T" netns "$NSS"
ip netns exec "$NSC" sysctl -qw net.ipv6.conf."ec$T".disable_ipv6=1
ip netns exec "$NSS" sysctl -qw net.ipv6.conf."es$T".disable_ipv6=1
ip -n "$NSC" addr add "$NET.1/24" dev "ec$T"
ip -n "$NSC" link set "ec$T" up
ip -n "$NSS" link set "es$T" up

ip netns exec "$NSS" "$ECHO" --no-huge -l 0 --log-level af_xdp:debug \
	--vdev "af_xdp0,iface=es$T,mode=copy" -- --ip "$NET.2/24" --json "$TMPD/echo.json" \
	>"$TMPD/echo.out" 2>&1 &
EPID=$!
for _ in $(seq 100); do
	grep -q '^tern-echo: .* on port' "$TMPD/echo.out" && break
	kill -0 "$EPID" 2>/dev/null || fail "tern-echo exited early"
	sleep 0.05
done
# One ping first: ARP resolves before the burst (ping's packets wait in a short queue).
ip netns exec "$NSC" ping -c 1 -W 5 "$NET.2" >/dev/null || fail "no first ping reply"
ip netns exec "$NSC" ping -c 20 -i 0.01 -W 2 "$NET.2" | grep -q ' 20 received' || fail "ping: not 20/20"
ip netns exec "$NSC" python3 "$CLIENT" client udp "$NET.2" || fail "UDP echo"
ip netns exec "$NSC" timeout 60 python3 "$CLIENT" client tcp "$NET.2" 1 $((1 << 20)) || fail "TCP echo"
kill -INT "$EPID"
rc=0
wait "$EPID" || rc=$?
EPID=
cat "$TMPD/echo.out"
[ "$rc" -eq 0 ] || fail "tern-echo exit status $rc"
grep -Eq '^buffers: ([0-9]+)/\1 returned$' "$TMPD/echo.out" || fail "buffers line"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["buffers_returned"] == r["buffers_total"] > 0 and r["tcp_bytes"] == 1 << 20 and r["out"]["udp"] >= 3 and r["out"]["icmp"] >= 21, r' \
	"$TMPD/echo.json" || fail "JSON counters"
grep -q "af_xdp0: es$T queues 0-0: copy mode" "$TMPD/echo.out" || fail "mode=copy not logged"
! ip -n "$NSS" link show dev "es$T" | grep -q prog/xdp || fail "XDP program left on es$T"
echo "ok: ping 20/20, UDP 1/100/1472 bytes, 1 MiB TCP echo through af_xdp"
