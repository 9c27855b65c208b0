#!/usr/bin/env bash
# bench/cases/memif.sh [--quick]: a forwarder between two memif links, tern
# against DPDK, with the same traffic source and sink, interleaved, medians.
#
#   source: dpdk-testpmd txonly (64-byte frames), net_memif client on socket A
#   forwarder, one of
#     tern: tern-l2fwd -l 1 -- -q 2, memif0 (server, A) <-> memif1 (server, B)
#     dpdk: dpdk-testpmd io -l 0-1, net_memif0 (server, A) <-> net_memif1 (server, B)
#   sink:   dpdk-testpmd rxonly, net_memif client on socket B
# The figure is what the sink receives (its Rx-pps per second, the first
# non-zero second left out, median): the same meter for both forwarders.
#
# Also one link, no forwarder: tern -> tern (test/memif/memif_xchk blast ->
# sink) and testpmd txonly -> testpmd rxonly; and the same link with the
# sending client in zero-copy=yes (it lends its pool's buffers, only the
# server copies): tern on hugepages, testpmd --in-memory
# --single-file-segments (DPDK's zero-copy needs one file per memseg list).
#
# First two rows, copy mode on both sides: the client owns the region, each side copies
# between the shared buffers and its own packet buffers. tern runs --no-huge;
# testpmd --no-huge -m 128 too (start-up excluded: the clock starts once
# testpmd says it forwards). Rows (see bench/compare.sh): label, tern, dpdk, unit, higher.
set -euo pipefail

quick=0
[ "${1:-}" = "--quick" ] && quick=1
runs=3
dur=6
[ $quick = 1 ] && runs=1 && dur=4
l2fwd=$TERN_BUILD/examples/l2fwd/tern-l2fwd
xchk=$TERN_BUILD/test/memif/memif_xchk
tmp=$(mktemp -d /tmp/memif-bench-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	[ -n "${MEMIF_BENCH_KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

for x in "$l2fwd" "$xchk"; do
	[ -x "$x" ] || { echo "memif: no $x: build tern (with tests) first" >&2; exit 2; }
done
command -v dpdk-testpmd >/dev/null || { echo "memif: dpdk-testpmd not installed (apt-get install dpdk)" >&2; exit 2; }

A=$tmp/a.sock B=$tmp/b.sock
n=0
# testpmd NAME MODE VDEVS...: started in the background, stdin held open by sleep.
testpmd() {
	local name=$1 mode=$2
	shift 2
	n=$((n + 1))
	local vd=()
	for v in "$@"; do vd+=(--vdev "$v"); done
	local mem=(--no-huge -m 128)
	[ "$name" = zsrc ] && mem=(--in-memory --single-file-segments -m 256)
	# The sink forwards on CPU 0 (its main lcore, idle, on CPU 1), every
	# other testpmd on CPU 1: a sender and its receiver never share a CPU,
	# as tern's blast (-l 1) and sink (-l 0) do not.
	local lc=(-l 0-1)
	[ "$name" = sink ] && lc=(-l 0-1 --main-lcore 1)
	(sleep $((dur + 30)) | stdbuf -oL dpdk-testpmd "${mem[@]}" --no-pci "${lc[@]}" \
		--file-prefix "memif-bench-$$-$n" "${vd[@]}" -- --forward-mode="$mode" \
		--txpkts=64 --burst=32 --auto-start --disable-link-check --stats-period 1 \
		--total-num-mbufs=4096 >"$tmp/$name.out" 2>&1) &
	pids+=($!)
}
wait_sock() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "memif: $1 never appeared" >&2; exit 1; }
# Median Rx-pps (in Mpps) of a testpmd log, the first non-zero second dropped.
rx_mpps() {
	awk '/Rx-pps:/ { if ($2 > 0) v[m++] = $2 }
	END { k = 0; for (i = 1; i < m; i++) w[k++] = v[i]
		if (k == 0) { print 0; exit }
		for (i = 0; i < k; i++) for (j = i + 1; j < k; j++) if (w[j] < w[i]) { x = w[i]; w[i] = w[j]; w[j] = x }
		printf "%.3f\n", ((k % 2) ? w[int(k / 2)] : (w[k / 2 - 1] + w[k / 2]) / 2) / 1e6 }' "$1"
}
stop_all() {
	for p in "${pids[@]}"; do pkill -INT -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
	pkill -KILL -f "memif-bench-$$-" 2>/dev/null || true
	rm -f "$A" "$B"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# wait_fwd LOG...: until each testpmd has started forwarding (start-up can be slow on a busy machine).
wait_fwd() {
	local f k
	for f in "$@"; do
		k=0
		while ! grep -qs "nb forwarding cores=" "$f"; do
			k=$((k + 1))
			if [ $k -gt 600 ]; then echo "memif: no traffic from $f after 60 s" >&2; tail -5 "$f" >&2; exit 1; fi
			sleep 0.1
		done
	done
	return 0
}
src_sink() {
	testpmd sink rxonly "net_memif0,role=client,socket=$B,socket-abstract=no"
	testpmd src txonly "net_memif0,role=client,socket=$A,socket-abstract=no"
	wait_fwd "$tmp/sink.out" "$tmp/src.out"
	sleep "$dur"
}

fwd_t=() fwd_d=() one_t=() one_d=() zc_t=() zc_d=()
for i in $(seq $runs); do
	# tern forwarder
	"$l2fwd" --no-huge -l 1 --vdev "memif0,socket=$A,socket-abstract=no" \
		--vdev "memif1,socket=$B,socket-abstract=no" -- -q 2 -T 0 --duration $((dur + 60)) \
		--json "$tmp/l2fwd.json" >"$tmp/l2fwd.out" 2>&1 &
	pids+=($!)
	wait_sock "$A"
	wait_sock "$B"
	src_sink
	fwd_t+=("$(rx_mpps "$tmp/sink.out")")
	stop_all
	# dpdk forwarder
	testpmd fwd io "net_memif0,role=server,socket=$A,socket-abstract=no" \
		"net_memif1,role=server,socket=$B,socket-abstract=no"
	wait_fwd "$tmp/fwd.out"
	wait_sock "$A"
	wait_sock "$B"
	src_sink
	fwd_d+=("$(rx_mpps "$tmp/sink.out")")
	stop_all
	# one link: tern -> tern
	"$xchk" --no-huge -l 0 --vdev "memif0,socket=$A,socket-abstract=no" -- sink \
		--seconds $((dur + 1)) --wait-link 10 >"$tmp/tsink.out" 2>&1 &
	pids+=($!)
	wait_sock "$A"
	"$xchk" --no-huge -l 1 --vdev "memif0,socket=$A,socket-abstract=no,role=client" -- blast \
		--seconds "$dur" --wait-link 10 >"$tmp/tblast.out" 2>&1 || true
	wait "${pids[-1]}" || true
	one_t+=("$(awk '/rx Mpps:/ { print $3 }' "$tmp/tsink.out")")
	stop_all
	# one link: testpmd -> testpmd
	testpmd sink rxonly "net_memif0,role=server,socket=$B,socket-abstract=no"
	wait_sock "$B"
	wait_fwd "$tmp/sink.out"
	testpmd src txonly "net_memif0,role=client,socket=$B,socket-abstract=no"
	wait_fwd "$tmp/src.out"
	sleep "$dur"
	one_d+=("$(rx_mpps "$tmp/sink.out")")
	stop_all
	# one link, zero-copy client: tern -> tern (the client's pool on hugepages)
	"$xchk" --no-huge -l 0 --vdev "memif0,socket=$A,socket-abstract=no" -- sink \
		--seconds $((dur + 1)) --wait-link 10 >"$tmp/zsink.out" 2>&1 &
	pids+=($!)
	wait_sock "$A"
	"$xchk" -l 1 --vdev "memif0,socket=$A,socket-abstract=no,role=client,zero-copy=yes" -- \
		blast --seconds "$dur" --wait-link 10 >"$tmp/zblast.out" 2>&1 || true
	wait "${pids[-1]}" || true
	zc_t+=("$(awk '/rx Mpps:/ { print $3 }' "$tmp/zsink.out")")
	stop_all
	# one link, zero-copy client: testpmd txonly (zero-copy=yes) -> testpmd rxonly
	testpmd sink rxonly "net_memif0,role=server,socket=$B,socket-abstract=no"
	wait_sock "$B"
	wait_fwd "$tmp/sink.out"
	testpmd zsrc txonly "net_memif0,role=client,socket=$B,socket-abstract=no,zero-copy=yes"
	wait_fwd "$tmp/zsrc.out"
	sleep "$dur"
	zc_d+=("$(rx_mpps "$tmp/sink.out")")
	stop_all
	echo "memif: run $i: forwarder Mpps tern ${fwd_t[-1]} dpdk ${fwd_d[-1]};" \
		"one link tern ${one_t[-1]} dpdk ${one_d[-1]};" \
		"zero-copy link tern ${zc_t[-1]} dpdk ${zc_d[-1]}; load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
printf 'memif forwarder, 2 links (testpmd src/sink)\t%s\t%s\tMpps\thigher\n' "$(median "${fwd_t[@]}")" "$(median "${fwd_d[@]}")"
printf 'memif one link, same program both ends\t%s\t%s\tMpps\thigher\n' "$(median "${one_t[@]}")" "$(median "${one_d[@]}")"
printf 'memif one link, zero-copy client\t%s\t%s\tMpps\thigher\n' "$(median "${zc_t[@]}")" "$(median "${zc_d[@]}")"
