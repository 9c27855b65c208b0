#!/usr/bin/env bash
# kill -9 leaves nothing that blocks the next start: tern-l2fwd on af_xdp
# is killed mid-traffic; its XDP programs go with it (bpf_link), and a new
# tern-l2fwd on the same interfaces forwards ping again and returns every
# buffer at its end. The restart loads libxdp's default program with
# xdp_prog= when it is installed, so that path is run too.
. "$(dirname "$0")/af_xdp_lib.sh"
netns_setup
l2fwd_start 60
ip netns exec "$NSA" ping -c 200 -i 0.002 -W 1 "$IPB" >/dev/null 2>&1 &
sleep 0.2
kill -9 "$L2FWD_PID"
wait "$L2FWD_PID" 2>/dev/null || true
wait || true
# The kernel releases the links of a dead process at once.
for _ in $(seq 20); do
	ip -n "$NSM" link show dev "$MA" | grep -q prog/xdp || break
	sleep 0.1
done
no_prog_left
XSKPROG=$(ls /usr/lib/*/bpf/xsk_def_xdp_prog.o /usr/lib/bpf/xsk_def_xdp_prog.o 2>/dev/null | head -1 || true)
[ -n "$XSKPROG" ] && L2FWD_DEVARGS=",xdp_prog=$XSKPROG"
l2fwd_start 30
if [ -n "$XSKPROG" ]; then
	ip -n "$NSM" link show dev "$MA" | grep -q 'prog/xdp .*name xsk_def_prog' ||
		fail "xdp_prog=$XSKPROG is not the program on $MA"
fi
ip netns exec "$NSA" ping -c 5 -i 0.1 -W 1 "$IPB" >/dev/null || fail "ping after the restart"
kill -INT "$L2FWD_PID"
l2fwd_finish
no_prog_left
echo "ok: kill -9 left no XDP program; the restart forwards and returns every buffer"
