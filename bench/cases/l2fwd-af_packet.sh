#!/usr/bin/env bash
# bench/cases/l2fwd-af_packet.sh - tern-l2fwd against dpdk-testpmd (io
# forwarding), both over two af_packet ports, on the same veth wire:
#
#   ns A: afp-blast on a0 ==veth== ma [ns M: forwarder] mb ==veth== b0 :ns B
#
# afp-blast (afp-blast.c, built here) sends 64-byte frames from a0 as fast as
# one core can, pinned to CPU 0; the forwarder polls on CPU 1 (tern-l2fwd
# -l 1 -q 2; testpmd -l 0-1, whose forwarding lcore is 1). The rate is what
# arrives at b0 (its rx_packets counter) over a 5 s window after 2 s of
# warm-up: the same measure for both. 3 runs each (1 with --quick),
# alternating, medians. Two rows: each side with its default rings (tern:
# 4096 RX frames, DPDK: 512), then both with framecnt=4096:
#   l2fwd af_packet Mpps <TAB> tern <TAB> dpdk <TAB> Mpps <TAB> higher
#   l2fwd af_packet Mpps, framecnt=4096 both <TAB> ...
set -euo pipefail

runs=3
[ "${1:-}" = "--quick" ] && runs=1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
L2FWD=${TERN_BUILD:?TERN_BUILD must name a tern build directory}/examples/l2fwd/tern-l2fwd
if [ ! -x "$L2FWD" ]; then
	echo "l2fwd-af_packet.sh: $L2FWD not found: build tern first (ninja -C $TERN_BUILD)" >&2
	exit 2
fi
if ! command -v dpdk-testpmd >/dev/null; then
	echo "l2fwd-af_packet.sh: dpdk-testpmd not found: apt-get install dpdk" >&2
	exit 2
fi
export L2FWD
. "$top/test/netns/lib.sh" # namespaces, veths, and their removal on exit
netns_setup >&2
cc -O2 -o "$TMPD/afp-blast" "$here/afp-blast.c"
MACB=$(ip netns exec "$NSB" cat /sys/class/net/b0/address)
warm=2
window=5

rx_b0() {
	ip -n "$NSB" -s -j link show b0 |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

# Wait until frames cross the forwarder (it may take seconds to start).
wait_forwarding() {
	for _ in $(seq 100); do
		ip netns exec "$NSA" ping -c 1 -W 0.2 "$IPB" >/dev/null 2>&1 && return 0
	done
	echo "l2fwd-af_packet.sh: $1 did not forward within 20 s" >&2
	return 1
}

# Blast for warm + window seconds; print the Mpps b0 received in the window.
measure() {
	local r0 r1
	ip netns exec "$NSA" taskset -c 0 "$TMPD/afp-blast" a0 "$MACB" $((warm + window + 1)) \
		>/dev/null &
	local blast=$!
	sleep "$warm"
	r0=$(rx_b0)
	sleep "$window"
	r1=$(rx_b0)
	wait "$blast"
	echo "$r0 $r1 $window" | awk '{ printf "%.3f\n", ($2 - $1) / $3 / 1e6 }'
}

run_tern() { # [,extra devargs]
	ip netns exec "$NSM" "$L2FWD" --no-huge -l 1 --vdev "af_packet0,iface=$MA${1:-}" \
		--vdev "af_packet1,iface=$MB${1:-}" -- -q 2 -T 0 >"$TMPD/tern.out" 2>&1 &
	local pid=$!
	wait_forwarding tern-l2fwd
	measure
	kill -INT "$pid"
	wait "$pid" || { cat "$TMPD/tern.out" >&2; return 1; }
}

run_dpdk() { # [,extra devargs]
	(sleep 60) | ip netns exec "$NSM" dpdk-testpmd --no-huge -m 1024 --no-pci -l 0-1 \
		--vdev "net_af_packet0,iface=$MA${1:-}" --vdev "net_af_packet1,iface=$MB${1:-}" \
		--file-prefix tern-afp-$$ -- --forward-mode=io -a >"$TMPD/dpdk.out" 2>&1 &
	local pid=$! # ip netns exec execs testpmd: this is testpmd itself
	wait_forwarding dpdk-testpmd
	measure
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

med() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

row() { # LABEL [,extra devargs]
	local label=$1 extra=${2:-}
	rm -f "$TMPD/tern.mpps" "$TMPD/dpdk.mpps"
	for _ in $(seq "$runs"); do
		run_tern "$extra" >>"$TMPD/tern.mpps"
		run_dpdk "$extra" >>"$TMPD/dpdk.mpps"
	done
	echo "$label: tern $(tr '\n' ' ' <"$TMPD/tern.mpps")| dpdk $(tr '\n' ' ' <"$TMPD/dpdk.mpps")" >&2
	printf '%s\t%s\t%s\tMpps\thigher\n' "$label" "$(med "$TMPD/tern.mpps")" \
		"$(med "$TMPD/dpdk.mpps")"
}

row "l2fwd af_packet Mpps"
row "l2fwd af_packet Mpps, framecnt=4096 both" ",framecnt=4096"
