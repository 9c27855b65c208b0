#!/usr/bin/env bash
# Bad input, one clear line each, exit status 2, nothing left attached: no
# such interface, a queue out of range, an interface that is down, an XDP
# program someone else attached (left in place), zero-copy refused by veth
# with mode=zc, no AF_XDP in the kernel (simulated: socket() fails with
# EAFNOSUPPORT through an LD_PRELOAD shim), no privileges.
. "$(dirname "$0")/af_xdp_lib.sh"
netns_setup

# NAME PATTERN -- command...: exit status 2, the driver's line (matching PATTERN).
expect_error() {
	local name=$1 pat=$2 rc=0
	shift 3
	"$@" >"$TMPD/$name.out" 2>&1 || rc=$?
	echo "--- $name:"
	cat "$TMPD/$name.out"
	[ "$rc" -eq 2 ] || fail "$name: exit status $rc, want 2"
	grep -Eq "$pat" "$TMPD/$name.out" || fail "$name: no line matching '$pat'"
	# Probe errors come out once, in the application's line; start errors
	# also as the driver's log line first: two lines at most.
	[ "$(wc -l <"$TMPD/$name.out")" -le 2 ] || fail "$name: more than one error line"
}
l2fwd() { # vdev args for port 0 and 1
	ip netns exec "$NSM" "$L2FWD" --no-huge -l 0-1 --vdev "af_xdp0,$1" --vdev "af_xdp1,$2" -- \
		--duration 1
}

expect_error no-iface "interface 'nosuch$T' does not exist.*ip link" -- \
	l2fwd "iface=nosuch$T" "iface=$MB"
expect_error queue-range "queues 1-1 are out of range: $MA has 1 RX queue.*ethtool -l" -- \
	l2fwd "iface=$MA,start_queue=1" "iface=$MB"
ip -n "$NSM" link set "$MA" down
expect_error iface-down "interface $MA is down.*ip link set dev $MA up" -- \
	l2fwd "iface=$MA" "iface=$MB"
ip -n "$NSM" link set "$MA" up

# Someone else's program (libxdp's default xsk program, attached by ip).
XSKPROG=$(ls /usr/lib/*/bpf/xsk_def_xdp_prog.o /usr/lib/bpf/xsk_def_xdp_prog.o 2>/dev/null | head -1 || true)
if [ -n "$XSKPROG" ] && ip -n "$NSM" link set dev "$MA" xdpgeneric obj "$XSKPROG" sec xdp 2>/dev/null; then
	before=$(ip -n "$NSM" link show dev "$MA" | grep -o 'prog/xdp id [0-9]*')
	expect_error foreign-prog "$MA already has an XDP program .* tern leaves it alone.*xdpgeneric off" -- \
		l2fwd "iface=$MA" "iface=$MB"
	after=$(ip -n "$NSM" link show dev "$MA" | grep -o 'prog/xdp id [0-9]*' || true)
	[ "$before" = "$after" ] || fail "the other program was touched: '$before' -> '$after'"
	ip -n "$NSM" link set dev "$MA" xdpgeneric off
else
	echo "note: no xsk_def_xdp_prog.o to attach (xdp-tools/libxdp): foreign-program case skipped"
fi
# A program another tern process attached is someone else's too, and stays.
l2fwd_start 20
expect_error other-tern "$MA already has an XDP program \\('tern_xsk_redir'.*xdpdrv off" -- \
	l2fwd "iface=$MA" "iface=$MB"
ip netns exec "$NSA" ping -c 2 -i 0.1 -W 1 "$IPB" >/dev/null || fail "the first tern-l2fwd stopped forwarding"
kill -INT "$L2FWD_PID"
l2fwd_finish

expect_error zc-refused "refuses zero-copy AF_XDP.*mode=copy" -- \
	l2fwd "iface=$MA,mode=zc" "iface=$MB"
no_prog_left

# No AF_XDP in the kernel: socket(AF_XDP) fails as it would.
cat >"$TMPD/noxdp.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	if (domain == 44 /* AF_XDP */) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	return real(domain, type, protocol);
}
C
cc -shared -fPIC -o "$TMPD/noxdp.so" "$TMPD/noxdp.c" -ldl || fail "building the no-AF_XDP shim"
expect_error no-af-xdp "no AF_XDP sockets.*af_packet0,iface=$MA" -- \
	ip netns exec "$NSM" env LD_PRELOAD="$TMPD/noxdp.so" "$L2FWD" --no-huge -l 0-1 \
	--vdev "af_xdp0,iface=$MA" --vdev "af_xdp1,iface=$MB" -- --duration 1

chmod o+rx "$TMPD"
expect_error no-privileges "needs CAP_NET_RAW.*CAP_BPF" -- \
	ip netns exec "$NSM" setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all --bounding-set=-all "$L2FWD" --no-huge -l 0-1 \
	--vdev "af_xdp0,iface=$MA" --vdev "af_xdp1,iface=$MB" -- --duration 1
no_prog_left
echo "ok: every bad input is one line, exit status 2, nothing left attached"
