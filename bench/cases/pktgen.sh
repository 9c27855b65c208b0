#!/usr/bin/env bash
# bench/cases/pktgen.sh [--quick]: tern-pktgen --tx-only against dpdk-testpmd
# --forward-mode=txonly, TX Mpps of one port, in the same run, interleaved
# (tern, dpdk, tern, dpdk, ...), 3 runs each (1 with --quick), medians:
#
#   null:      --vdev null0 / net_null0: the generator's own cost per frame
#   af_packet: a veth end in a namespace of our own (the peer end drops the
#              frames): the port type that crosses processes today; both
#              with PACKET_QDISC_BYPASS (tern always, DPDK qdisc_bypass=1)
#
# Same work on both sides: 64-byte frames with CRC (60 bytes in the buffer:
# testpmd --txpkts=60), bursts of 32, one sending lcore pinned to CPU 1
# (tern-pktgen -l 1; testpmd -l 0-1, lcore 0 its console). tern-pktgen writes
# a flow id, sequence number and TSC stamp into every frame; testpmd's txonly
# copies its template. Rates are steady state: the per-second figures each
# prints, the first one left out, median of the rest (tern: its MoonGen-style
# "[Device: id=0] TX:" lines, Mpps from Mbit/s / 512 for 3 more digits;
# testpmd: Tx-pps of --stats-period 1).
set -euo pipefail

runs=3 dur=6
[ "${1:-}" = "--quick" ] && runs=1 dur=4
here=$(cd "$(dirname "$0")" && pwd)
PKTGEN=${TERN_BUILD:?TERN_BUILD must name a tern build directory}/examples/pktgen/tern-pktgen
[ -x "$PKTGEN" ] || { echo "pktgen.sh: no $PKTGEN: build tern first (ninja -C $TERN_BUILD)" >&2; exit 2; }
command -v dpdk-testpmd >/dev/null || { echo "pktgen.sh: dpdk-testpmd not installed (apt-get install dpdk)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "pktgen.sh: the af_packet row needs root (a namespace and a veth)" >&2; exit 2; }

T=$$
NS=tern-pgbench-$T
V0=pgb0_$T
V1=pgb1_$T
tmp=$(mktemp -d)
tp_pid= hold_pid=
cleanup() {
	[ -n "$tp_pid" ] && kill -KILL "$tp_pid" 2>/dev/null || true
	[ -n "$hold_pid" ] && kill "$hold_pid" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$NS"
ip link add "$V0" netns "$NS" type veth peer name "$V1" netns "$NS"
for d in "$V0" "$V1"; do
	ip netns exec "$NS" sysctl -qw net.ipv6.conf."$d".disable_ipv6=1
	ip -n "$NS" link set "$d" up
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Median of a column of numbers without its first line.
steady() { awk 'NR > 1 { v[n++] = $1 } END {
	if (n == 0) { print 0; exit }
	for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
	print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }'; }

run_tern() { # VDEV: prints steady Mpps
	local out=$tmp/tern.out
	ip netns exec "$NS" "$PKTGEN" --no-huge -l 1 --vdev "$1" -- --tx-only --size 64 --burst 32 \
		--duration "$dur" -T 1 >"$out" 2>&1 ||
		{ echo "pktgen.sh: tern-pktgen failed:" >&2; cat "$out" >&2; exit 1; }
	grep -Eq '^buffers: ([0-9]+)/\1 returned$' "$out" || { echo "pktgen.sh: tern-pktgen lost buffers" >&2; exit 1; }
	# "[Device: id=0] TX: 31.53 Mpps, 16144 Mbit/s (...)": Mbit/s of 64-byte frames / 512.
	awk '/^\[Device: id=0\] TX: [0-9.]+ Mpps,/ { printf "%.4f\n", $6 / 512 }' "$out" | steady
}

run_dpdk() { # VDEV: sets dpdk_val
	local out=$tmp/dpdk.out waited=0
	: >"$out"
	rm -f "$tmp/hold" && mkfifo "$tmp/hold"
	sleep 600 >"$tmp/hold" &
	hold_pid=$!
	ip netns exec "$NS" dpdk-testpmd --no-huge -m 1024 --no-pci -l 0-1 --vdev "$1" \
		--file-prefix "tern-pktgen-bench-$T" -- --forward-mode=txonly --txpkts=60 --burst=32 \
		--port-topology=loop -a --stats-period 1 <"$tmp/hold" >"$out" 2>&1 &
	tp_pid=$!
	# Start-up takes seconds: wait for dur non-zero samples.
	while [ "$(grep -c 'Tx-pps: *[1-9]' "$out" || true)" -lt "$dur" ]; do
		sleep 0.5
		waited=$((waited + 1))
		if [ $waited -gt 120 ]; then
			echo "pktgen.sh: testpmd shows no traffic after 60 s:" >&2
			tail -20 "$out" >&2
			exit 1
		fi
	done
	kill -INT "$tp_pid" 2>/dev/null || true
	wait "$tp_pid" 2>/dev/null || true
	kill "$hold_pid" 2>/dev/null || true
	wait "$hold_pid" 2>/dev/null || true
	tp_pid= hold_pid=
	dpdk_val=$(awk '/Tx-pps:/ && $2 > 0 { printf "%.4f\n", $2 / 1e6 }' "$out" | steady)
}

row() { # LABEL TERN_VDEV DPDK_VDEV
	local t=() d=()
	for i in $(seq "$runs"); do
		r=$(run_tern "$2") || exit 1
		t+=("$r")
		run_dpdk "$3"
		d+=("$dpdk_val")
		echo "pktgen: $1 run $i: tern ${t[-1]} Mpps, dpdk ${d[-1]} Mpps; load $(cut -d' ' -f1 /proc/loadavg)" >&2
	done
	printf '%s\t%s\t%s\tMpps\thigher\n' "$1" "$(median "${t[@]}")" "$(median "${d[@]}")"
}

row "pktgen txonly null, 64 B, burst 32" null0 net_null0
row "pktgen txonly af_packet veth, 64 B, burst 32" "af_packet0,iface=$V0" \
	"net_af_packet0,iface=$V0,qdisc_bypass=1"
