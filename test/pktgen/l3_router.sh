#!/usr/bin/env bash
# tern-l2fwd --profile l3 as the router between two hosts in namespaces:
#
#   ns P: p0 198.18.1.2/24 == ma [ns M: router 198.18.1.1 | 198.19.1.1] mb == p1 198.19.1.2/24 :ns B
#
# It answers a real arping and ping on its addresses, routes ping and a TCP
# transfer (checked byte for byte) between the subnets, follows a static
# route (10.99.0.0/16 via 198.19.1.2) and counts what it cannot route; a PTP
# over UDP frame (port 319, MoonGen's latency probe) arrives with only the
# L3 rewrite: MACs, TTL - 1 and the IPv4 checksum.
. "$(dirname "$0")/lib.sh"
L2FWD=${L2FWD:?L2FWD must name the tern-l2fwd binary}
here=$(cd "$(dirname "$0")" && pwd)
pg_setup
pg_split
ip -n "$NSP" addr add 198.18.1.2/24 dev "$P0"
ip -n "$NSB" addr add 198.19.1.2/24 dev "$P1"
ip -n "$NSB" addr add 10.99.0.1/32 dev lo
ip -n "$NSP" route add default via 198.18.1.1
ip -n "$NSB" route add default via 198.19.1.1
ip netns exec "$NSM" "$L2FWD" --no-huge -l 1 --vdev "af_packet0,iface=$MA" \
	--vdev "af_packet1,iface=$MB" -- -q 2 -T 0 --duration 40 --profile l3 \
	--addr 0:198.18.1.1/24 --addr 1:198.19.1.1/24 --route 10.99.0.0/16,198.19.1.2 \
	--json "$TMPD/l3.json" >"$TMPD/l3.out" 2>&1 &
router=$!
ok=0
for _ in $(seq 50); do
	ip netns exec "$NSP" ping -c 1 -W 0.2 198.18.1.1 >/dev/null 2>&1 && { ok=1; break; }
	kill -0 "$router" 2>/dev/null || { cat "$TMPD/l3.out"; fail "tern-l2fwd exited"; }
done
[ "$ok" = 1 ] || { cat "$TMPD/l3.out"; fail "the router does not answer ping within 10 s"; }
MAC_MA=$(ip netns exec "$NSM" cat /sys/class/net/"$MA"/address)
MAC_MB=$(ip netns exec "$NSM" cat /sys/class/net/"$MB"/address)
MAC_B=$(ip netns exec "$NSB" cat /sys/class/net/"$P1"/address)

# ARP: arping gets the router port's own MAC.
ip netns exec "$NSP" arping -c 2 -w 5 -I "$P0" 198.18.1.1 >"$TMPD/arping.out" ||
	{ cat "$TMPD/arping.out"; fail "arping 198.18.1.1"; }
grep -qi "$MAC_MA" "$TMPD/arping.out" || { cat "$TMPD/arping.out"; fail "arping: not $MAC_MA"; }
# ping: the far port's address; then the far host, which the router has not
# heard from yet: the first echo waits for the router's own ARP request
# (counted no_arp), the later ones are routed both ways.
ip netns exec "$NSP" ping -c 3 -i 0.2 -W 2 198.19.1.1 >/dev/null || fail "ping 198.19.1.1"
ip netns exec "$NSP" ping -c 4 -i 0.3 -W 2 198.19.1.2 >"$TMPD/ping.out" || { cat "$TMPD/ping.out"; fail "ping 198.19.1.2 through the router"; }
grep -q "ttl=63" "$TMPD/ping.out" || fail "routed ping: TTL not decremented once"
ip netns exec "$NSB" arping -c 1 -w 5 -I "$P1" 198.19.1.1 | grep -qi "$MAC_MB" || fail "arping 198.19.1.1"
ip netns exec "$NSP" ping -c 3 -i 0.2 -W 2 10.99.0.1 >/dev/null || fail "ping 10.99.0.1 by the static route"
ip netns exec "$NSP" ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1 && fail "192.0.2.1 is not routable"

# TCP: 4 MiB from P to B through the router, intact.
head -c 4194304 /dev/urandom >"$TMPD/data"
ip netns exec "$NSB" nc -l -N 198.19.1.2 5001 >"$TMPD/recv" &
nc_pid=$!
sleep 0.3
ip netns exec "$NSP" timeout 20 nc -N 198.19.1.2 5001 <"$TMPD/data" || fail "nc send"
wait "$nc_pid" || fail "nc receive"
cmp "$TMPD/data" "$TMPD/recv" || fail "TCP transfer through the router: bytes differ"

# PTP over UDP: only the L3 rewrite.
ip netns exec "$NSB" python3 "$here/ptp.py" recv "$P1" udp "$TMPD/ready" >"$TMPD/ptp.rx" &
rx=$!
for _ in $(seq 50); do [ -e "$TMPD/ready" ] && break; sleep 0.1; done
ip netns exec "$NSP" python3 "$here/ptp.py" send "$P0" udp "$MAC_MA" 198.18.1.2 198.19.1.2 >"$TMPD/ptp.tx"
wait "$rx" || fail "no PTP/UDP frame reached ns B"
python3 - "$TMPD/ptp.tx" "$TMPD/ptp.rx" "$MAC_B" "$MAC_MB" <<'PY' || fail "PTP/UDP frame changed beyond the L3 rewrite"
import struct, sys
tx = bytes.fromhex(open(sys.argv[1]).read().strip())
rx = bytes.fromhex(open(sys.argv[2]).read().strip())
want = bytearray(tx)
want[0:6] = bytes.fromhex(sys.argv[3].replace(":", ""))
want[6:12] = bytes.fromhex(sys.argv[4].replace(":", ""))
want[22] -= 1  # TTL
want[24:26] = b"\0\0"
s = sum(struct.unpack("!10H", bytes(want[14:34])))
while s >> 16:
    s = (s & 0xFFFF) + (s >> 16)
want[24:26] = struct.pack("!H", ~s & 0xFFFF)
if bytes(want) != rx:
    print("sent     ", tx.hex(), "\nexpected ", bytes(want).hex(), "\nreceived ", rx.hex())
    sys.exit(1)
print("PTP/UDP: %d bytes, only MACs, TTL and IPv4 checksum rewritten" % len(rx))
PY

kill -INT "$router"
wait "$router" || { cat "$TMPD/l3.out"; fail "tern-l2fwd exit status"; }
cat "$TMPD/l3.out"
grep -Eq '^buffers: ([0-9]+)/\1 returned$' "$TMPD/l3.out" || fail "buffers"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); p=r["ports"][0]; assert p["unroutable"] >= 2 and p["local"] > 0 and p["no_arp"] >= 1, p' \
	"$TMPD/l3.json" || fail "unroutable pings or the ARP wait were not counted"
echo "ok: ARP, ping, static route, TCP and PTP/UDP through the L3 profile"
