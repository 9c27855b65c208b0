#!/usr/bin/env bash
# bench/cases/l2fwd-af_xdp.sh - tern-l2fwd against dpdk-testpmd (io
# forwarding), both over two AF_XDP ports (tern: af_xdp, DPDK: net_af_xdp),
# on the same veth wire, fed by the same generator; tern's af_packet ports
# on the same wire as a third line:
#
#   ns A: afp-blast on a0 ==veth== ma [ns M: forwarder] mb ==veth== b0 :ns B
#
# afp-blast (afp-blast.c) sends 64-byte frames from a0 as fast as one core
# can, pinned to CPU 0; the forwarder polls on CPU 1 (tern-l2fwd -l 1 -q 2;
# testpmd -l 0-1, whose forwarding lcore is 1). On veth both AF_XDP drivers
# run in copy mode with native XDP. The rate is what arrives at b0 (its
# rx_packets counter) over a 5 s window after 2 s of warm-up; cycles per
# packet are the forwarder process's CPU time over the window (user and
# system: copy-mode TX runs in its sendto) times the CPU clock, divided by
# those packets. The kernel's XDP work on RX runs in the generator's softirq
# on CPU 0 and is not in either figure. 3 runs each (1 with --quick),
# interleaved tern, DPDK, tern af_packet; medians. Rows:
#   l2fwd af_xdp Mpps                <TAB> tern <TAB> dpdk <TAB> Mpps <TAB> higher
#   l2fwd af_xdp cycles/packet       <TAB> tern <TAB> dpdk <TAB> cycles <TAB> lower
#   tern af_packet Mpps (same wire)  <TAB> af_packet <TAB> - <TAB> Mpps <TAB> info
set -euo pipefail

runs=3
[ "${1:-}" = "--quick" ] && runs=1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
L2FWD=${TERN_BUILD:?TERN_BUILD must name a tern build directory}/examples/l2fwd/tern-l2fwd
if [ ! -x "$L2FWD" ]; then
	echo "l2fwd-af_xdp.sh: $L2FWD not found: build tern first (ninja -C $TERN_BUILD)" >&2
	exit 2
fi
if ! command -v dpdk-testpmd >/dev/null; then
	echo "l2fwd-af_xdp.sh: dpdk-testpmd not found: apt-get install dpdk" >&2
	exit 2
fi
export L2FWD
. "$top/test/netns/lib.sh" # namespaces, veths, and their removal on exit
netns_setup >&2
cc -O2 -o "$TMPD/afp-blast" "$here/afp-blast.c"
MACB=$(ip netns exec "$NSB" cat /sys/class/net/b0/address)
HZ_CPU=$(awk -F: '/^cpu MHz/ { printf "%.0f\n", $2 * 1e6; exit }' /proc/cpuinfo)
TICK=$(getconf CLK_TCK)
warm=2
window=5

rx_b0() {
	ip -n "$NSB" -s -j link show b0 |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

cpu_ticks() { # PID: user + system ticks of the whole process
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

wait_forwarding() {
	for _ in $(seq 100); do
		ip netns exec "$NSA" ping -c 1 -W 0.2 "$IPB" >/dev/null 2>&1 && return 0
	done
	echo "l2fwd-af_xdp.sh: $1 did not forward within 20 s" >&2
	return 1
}

# Blast for warm + window seconds; print "Mpps cycles/packet" of the window.
measure() { # FORWARDER_PID
	local r0 r1 c0 c1
	ip netns exec "$NSA" taskset -c 0 "$TMPD/afp-blast" a0 "$MACB" $((warm + window + 1)) \
		>/dev/null &
	local blast=$!
	sleep "$warm"
	r0=$(rx_b0)
	c0=$(cpu_ticks "$1")
	sleep "$window"
	r1=$(rx_b0)
	c1=$(cpu_ticks "$1")
	wait "$blast"
	echo "$r0 $r1 $c0 $c1" | awk -v w="$window" -v hz="$HZ_CPU" -v tick="$TICK" \
		'{ p = $2 - $1; c = (p > 0) ? ($4 - $3) / tick * hz / p : 0; printf "%.3f %.0f\n", p / w / 1e6, c }'
}

# Nothing may stay on the middle ends between runs (DPDK's libxdp program).
xdp_off() {
	for d in "$MA" "$MB"; do
		ip -n "$NSM" link set dev "$d" xdp off 2>/dev/null || true
		ip -n "$NSM" link set dev "$d" xdpgeneric off 2>/dev/null || true
	done
}

run_tern() { # DRIVER
	ip netns exec "$NSM" "$L2FWD" --no-huge -l 1 --vdev "${1}0,iface=$MA" \
		--vdev "${1}1,iface=$MB" -- -q 2 -T 0 >"$TMPD/tern.out" 2>&1 &
	local pid=$!
	wait_forwarding "tern-l2fwd ($1)" || { cat "$TMPD/tern.out" >&2; return 1; }
	measure "$pid"
	kill -INT "$pid"
	wait "$pid" || { cat "$TMPD/tern.out" >&2; return 1; }
	grep -Eq '^buffers: ([0-9]+)/\1 returned$' "$TMPD/tern.out" ||
		{ cat "$TMPD/tern.out" >&2; return 1; }
}

run_dpdk() {
	(sleep 60) | ip netns exec "$NSM" dpdk-testpmd --no-huge -m 1024 --no-pci -l 0-1 \
		--vdev "net_af_xdp0,iface=$MA" --vdev "net_af_xdp1,iface=$MB" \
		--file-prefix tern-afxdp-$$ -- --forward-mode=io -a >"$TMPD/dpdk.out" 2>&1 &
	local pid=$! # ip netns exec execs testpmd: this is testpmd itself
	wait_forwarding dpdk-testpmd || { cat "$TMPD/dpdk.out" >&2; return 1; }
	measure "$pid"
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	xdp_off
}

med() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rm -f "$TMPD"/*.res
for _ in $(seq "$runs"); do
	run_tern af_xdp >>"$TMPD/tern.res"
	run_dpdk >>"$TMPD/dpdk.res"
	run_tern af_packet >>"$TMPD/afp.res"
done
for s in tern dpdk afp; do
	cut -d' ' -f1 "$TMPD/$s.res" >"$TMPD/$s.mpps"
	cut -d' ' -f2 "$TMPD/$s.res" >"$TMPD/$s.cyc"
	echo "$s: Mpps $(tr '\n' ' ' <"$TMPD/$s.mpps")| cycles/packet $(tr '\n' ' ' <"$TMPD/$s.cyc")" >&2
done
printf 'l2fwd af_xdp Mpps\t%s\t%s\tMpps\thigher\n' "$(med "$TMPD/tern.mpps")" "$(med "$TMPD/dpdk.mpps")"
printf 'l2fwd af_xdp cycles/packet\t%s\t%s\tcycles\tlower\n' "$(med "$TMPD/tern.cyc")" \
	"$(med "$TMPD/dpdk.cyc")"
printf 'tern af_packet Mpps (same wire; tern col)\t%s\t-\tMpps\tinfo\n' "$(med "$TMPD/afp.mpps")"
printf 'tern af_packet cycles/packet\t%s\t-\tcycles\tinfo\n' "$(med "$TMPD/afp.cyc")"
