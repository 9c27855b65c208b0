#!/usr/bin/env bash
# bench/cases/virtio-user.sh [--quick]: tern's virtio_user against DPDK's
# net_virtio_user, each driving the same kind of DPDK vhost backend
# (dpdk-testpmd --vdev net_vhost0, a fresh one per run), interleaved (tern,
# dpdk) 3 times per mode; medians. Modes, driver side / backend side:
#
#   tx   vu-bench tx  / testpmd txonly      rxonly backend: TX-only Mpps
#   rx   vu-bench rx  / testpmd rxonly      txonly backend: RX-only Mpps
#   fwd  vu-bench fwd / testpmd io          io backend: a forward loop, both
#                                           sides start with one burst (--tx-first)
#
# CPUs: the backend's forwarding lcore on CPU 1, the driver's polling lcore
# on CPU 0 (tern: -l 0; testpmd: -l 0-1 --main-lcore 1, so lcore 0 forwards).
# On a 2-vCPU machine shared with other work both figures are bounded by the
# backend's share of CPU 1; the ratio is what this compares.
# Memory: tern and both DPDK processes on 2 MiB hugepages (DPDK: --in-memory,
# and --single-file-segments for its virtio_user, so that its memory table
# is a few regions); the machine needs about 300 free pages.
# Mpps: the driver's own count over the second half of the run (tern:
# vu-bench; testpmd: median of its per-second pps after the first). cycles/
# packet: CPU time of the driver's polling thread x TSC Hz / packets.
# Split rows, then packed rows (virtio 1.1 packed virtqueues: packed_vq=1 on
# both drivers, the same backend).
set -euo pipefail

quick=0
[ "${1:-}" = "--quick" ] && quick=1
runs=3
dur=6
[ $quick = 1 ] && runs=1 && dur=4
bench=$TERN_BUILD/bench/virtio_user/vu-bench
tmp=$(mktemp -d /tmp/virtio-bench-XXXXXX)
be_pid= drv_pid=
cleanup() {
	[ -n "$drv_pid" ] && kill -KILL "$drv_pid" 2>/dev/null || true
	[ -n "$be_pid" ] && kill -KILL "$be_pid" 2>/dev/null || true
	exec 4>&- 5>&- 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -x "$bench" ] || { echo "virtio-user: no $bench: build tern first" >&2; exit 2; }
command -v dpdk-testpmd >/dev/null || { echo "virtio-user: dpdk-testpmd not installed" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "virtio-user: run as root (hugepages, shared DMA memory)" >&2; exit 2; }

# backend FWDMODE: a DPDK vhost testpmd on CPU 1 at $tmp/s (stdin: fd 4).
backend() {
	rm -f "$tmp/s" "$tmp/be.in" && mkfifo "$tmp/be.in"
	local extra=()
	[ "$1" = io ] && extra=(--tx-first)
	dpdk-testpmd -l 0-1 --main-lcore 0 --in-memory -m 256 --file-prefix "vuser-bench-be-$$" \
		--no-pci --vdev "net_vhost0,iface=$tmp/s" --log-level '*:error' -- \
		--auto-start --forward-mode="$1" "${extra[@]}" --nb-cores=1 \
		--total-num-mbufs=8192 --disable-link-check <"$tmp/be.in" >"$tmp/be.log" 2>&1 &
	be_pid=$!
	exec 4>"$tmp/be.in"
	for _ in $(seq 150); do [ -S "$tmp/s" ] && return 0; sleep 0.2; done
	echo "virtio-user: the vhost backend made no socket" >&2; cat "$tmp/be.log" >&2; exit 1
}
backend_stop() {
	exec 4>&-
	kill "$be_pid" 2>/dev/null || true
	wait "$be_pid" 2>/dev/null || true
	be_pid=
}

# tern MODE: prints "mpps cycles"
run_tern() {
	local out
	out=$(taskset -c 0 "$bench" -l 0 --vdev "virtio_user0,path=$tmp/s$vq_arg" -- "$1" "$dur" 2>"$tmp/tern.err") ||
		{ echo "virtio-user: vu-bench $1 failed:" >&2; cat "$tmp/tern.err" >&2; exit 1; }
	set -- $out
	[ "$6" = "${6%/*}/${6%/*}" ] || { echo "virtio-user: vu-bench lost buffers: $6" >&2; exit 1; }
	echo "$8" >"$tmp/hz" # the TSC Hz for testpmd's cycles too
	echo "$2 $4"
}

# dpdk MODE: testpmd with net_virtio_user, forwarding lcore 0 on CPU 0.
run_dpdk() {
	local fm=$1 extra=()
	case $1 in tx) fm=txonly ;; rx) fm=rxonly ;; fwd) fm=io; extra=(--tx-first) ;; esac
	rm -f "$tmp/drv.in" && mkfifo "$tmp/drv.in"
	dpdk-testpmd -l 0-1 --main-lcore 1 --in-memory --single-file-segments -m 256 --file-prefix "vuser-bench-drv-$$" \
		--no-pci --vdev "net_virtio_user0,path=$tmp/s$vq_arg" --log-level '*:error' -- \
		--auto-start --forward-mode="$fm" "${extra[@]}" --nb-cores=1 --txpkts=64 \
		--total-num-mbufs=8192 --stats-period 1 --disable-link-check \
		<"$tmp/drv.in" >"$tmp/drv.log" 2>&1 &
	drv_pid=$!
	exec 5>"$tmp/drv.in"
	local key=Tx-pps
	[ "$1" = rx ] && key=Rx-pps
	local waited=0
	until [ "$(grep -c "$key: *[1-9]" "$tmp/drv.log" || true)" -ge 1 ]; do
		sleep 0.25; waited=$((waited + 1))
		[ $waited -gt 120 ] && { echo "virtio-user: testpmd virtio_user shows no traffic" >&2; tail "$tmp/drv.log" >&2; exit 1; }
	done
	sleep "$(python3 -c "print($dur / 2)")"
	local n0 t0 n1 t1 tid
	# The forwarding lcore's thread (DPDK names it rte-worker-N), else the busiest.
	tid=$(grep -l '^rte-worker-\|^lcore-worker-' /proc/"$drv_pid"/task/*/comm 2>/dev/null | head -1 || true)
	tid=${tid%/comm}
	[ -n "$tid" ] || tid=$(for t in /proc/"$drv_pid"/task/*; do echo "$(cut -d' ' -f1 "$t/schedstat") $t"; done | sort -n | tail -1 | cut -d' ' -f2)
	n0=$(cut -d' ' -f1 "$tid/schedstat"); t0=$(date +%s.%N)
	local k0; k0=$(grep -c "$key:" "$tmp/drv.log")
	sleep "$(python3 -c "print($dur / 2)")"
	n1=$(cut -d' ' -f1 "$tid/schedstat"); t1=$(date +%s.%N)
	exec 5>&-
	kill -INT "$drv_pid" 2>/dev/null || true
	wait "$drv_pid" 2>/dev/null || true
	drv_pid=
	# pps: median of the per-second figures printed in the measured half.
	awk -v key="$key:" -v k0="$k0" -v n0="$n0" -v n1="$n1" -v t0="$t0" -v t1="$t1" -v hz="$(cat "$tmp/hz")" '
		$1 == key { if (++k > k0) v[m++] = $2 }
		END {
			if (m == 0) { print "0 0"; exit }
			for (i = 0; i < m; i++) for (j = i + 1; j < m; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
			p = (m % 2) ? v[int(m / 2)] : (v[m / 2 - 1] + v[m / 2]) / 2
			cyc = p > 0 ? (n1 - n0) * 1e-9 * hz / (p * (t1 - t0)) : 0
			printf "%.3f %.1f\n", p / 1e6, cyc
		}' "$tmp/drv.log"
}

median() { sort -n | awk '{ v[n++] = $1 } END { print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }'; }

for layout in split packed; do
vq_arg=
[ $layout = packed ] && vq_arg=,packed_vq=1
for mode in tx rx fwd; do
	case $mode in tx) bm=rxonly ;; rx) bm=txonly ;; fwd) bm=io ;; esac
	: >"$tmp/t.$mode"; : >"$tmp/d.$mode"
	for _ in $(seq $runs); do
		backend $bm; run_tern $mode >>"$tmp/t.$mode"; backend_stop
		backend $bm; run_dpdk $mode >>"$tmp/d.$mode"; backend_stop
	done
	case $mode in tx) label="$layout TX-only" ;; rx) label="$layout RX-only" ;; fwd) label="$layout forward loop" ;; esac
	printf '%s Mpps\t%s\t%s\tMpps\thigher\n' "$label" \
		"$(cut -d' ' -f1 "$tmp/t.$mode" | median)" "$(cut -d' ' -f1 "$tmp/d.$mode" | median)"
	printf '%s cycles/pkt\t%s\t%s\tcycles\tlower\n' "$label" \
		"$(cut -d' ' -f2 "$tmp/t.$mode" | median)" "$(cut -d' ' -f2 "$tmp/d.$mode" | median)"
done
done
