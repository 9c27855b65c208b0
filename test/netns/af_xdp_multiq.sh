#!/usr/bin/env bash
# Multi-queue: veth pairs with 4 queues, two af_xdp ports with queue_count=4,
# tern-l2fwd with 2 lcores each polling 2 queues of each port (-q 4). UDP
# datagrams numbered and spread over 32 flows (so the peer's TX queue choice
# spreads them over the queues) must each arrive in ns B exactly once, and
# more than one queue of each port must have carried traffic. The ports
# busy-poll (busy_budget=32), so that path runs too.
. "$(dirname "$0")/af_xdp_lib.sh"
N=${N:-4000}
netns_setup 4
L2FWD_DEVARGS=",queue_count=4,busy_budget=32" L2FWD_EXTRA="-q 4" L2FWD_EAL_EXTRA="--log-level af_xdp:debug" \
	l2fwd_start 60
cat >"$TMPD/count.py" <<'PY'
import socket, struct, sys, time
n, ready = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
s.bind(("0.0.0.0", 5002))
s.settimeout(0.5)
open(ready, "w").close()
seen, dups, end = set(), 0, time.time() + 20
while len(seen) < n and time.time() < end:
    try:
        d = s.recv(2048)
    except socket.timeout:
        continue
    k = struct.unpack("!I", d[:4])[0]
    dups += k in seen
    seen.add(k)
time.sleep(0.3)  # late duplicates
s.setblocking(False)
try:
    while True:
        d = s.recv(2048)
        dups += struct.unpack("!I", d[:4])[0] in seen
except BlockingIOError:
    pass
print("received %d of %d, %d duplicates" % (len(seen), n, dups))
sys.exit(0 if len(seen) == n and dups == 0 else 1)
PY
cat >"$TMPD/send.py" <<'PY'
import socket, struct, sys, time
n, dst = int(sys.argv[1]), sys.argv[2]
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(32)]
for i in range(n):
    socks[i % 32].sendto(struct.pack("!I", i) + bytes(60), (dst, 5002))
    if i % 100 == 99:
        time.sleep(0.01)
print("sent %d" % n)
PY
ip netns exec "$NSB" python3 "$TMPD/count.py" "$N" "$TMPD/ready" &
counter=$!
for _ in $(seq 100); do [ -e "$TMPD/ready" ] && break; sleep 0.1; done
ip netns exec "$NSA" python3 "$TMPD/send.py" "$N" "$IPB" || fail "sender"
ok=0
wait "$counter" || ok=$?
kill -INT "$L2FWD_PID"
l2fwd_finish
no_prog_left
[ "$ok" -eq 0 ] || fail "the counter in ns B missed frames or saw duplicates"
used=$(grep -Ec 'af_xdp0: RX queue [0-3]: ([1-9][0-9]*) packets' "$TMPD/l2fwd.out" || true)
[ "$used" -ge 2 ] || fail "only $used RX queue(s) of port 0 carried traffic"
echo "ok: $N datagrams over 4 queues x 2 lcores, each once; $used queues of port 0 used"
