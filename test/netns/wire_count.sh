#!/usr/bin/env bash
# A raw sender in ns A emits N numbered frames; a raw reader in ns B must see
# every one of them, once, after tern-l2fwd forwarded them.
. "$(dirname "$0")/lib.sh"
N=${N:-2000}
netns_setup
l2fwd_start 60
MACB=$(ip netns exec "$NSB" cat /sys/class/net/b0/address)
cat >"$TMPD/count.py" <<'PY'
import socket, struct, sys, time
n, ready = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE: a busy host may hold us back
s.bind(("b0", 0))
s.settimeout(0.5)
open(ready, "w").close()
seen, dups, end = set(), 0, time.time() + 20
while len(seen) < n and time.time() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    if f[14:18] != b"tern":
        continue
    k = struct.unpack("!I", f[18:22])[0]
    dups += k in seen
    seen.add(k)
print("received %d of %d, %d duplicates" % (len(seen), n, dups))
sys.exit(0 if len(seen) == n and dups == 0 else 1)
PY
cat >"$TMPD/send.py" <<'PY'
import socket, struct, sys, time
n, dst = int(sys.argv[1]), bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("a0", 0))
src = bytes.fromhex("027400000a0a")
for i in range(n):
    s.send(dst + src + b"\x88\xb5" + b"tern" + struct.pack("!I", i) + bytes(42))
    if i % 100 == 99:
        time.sleep(0.01)  # 10 kpps: the test is about loss in tern, not in a busy host
print("sent %d" % n)
PY
ip netns exec "$NSB" python3 "$TMPD/count.py" "$N" "$TMPD/ready" &
counter=$!
for _ in $(seq 100); do [ -e "$TMPD/ready" ] && break; sleep 0.1; done
ip netns exec "$NSA" python3 "$TMPD/send.py" "$N" "$MACB" || fail "sender"
ok=0
wait "$counter" || ok=$?
kill -INT "$L2FWD_PID"
l2fwd_finish
for d in "$NSA a0" "$NSM $MA" "$NSM $MB" "$NSB b0"; do
	set -- $d
	echo "$2: $(ip -n "$1" -s -j link show "$2" | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]; print("rx", s["rx"]["packets"], "tx", s["tx"]["packets"], "rx dropped", s["rx"]["dropped"])')"
done
[ "$ok" -eq 0 ] || fail "the counter in ns B missed frames"
echo "ok: $N frames sent, $N received"
