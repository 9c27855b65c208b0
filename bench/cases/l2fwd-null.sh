#!/usr/bin/env bash
# bench/cases/l2fwd-null.sh [--quick]: tern-l2fwd against DPDK, both between
# two null ports, in the same run, interleaved (tern rtc, tern pipeline, DPDK
# pipeline, testpmd) 3 times; medians. Each mode has a peer doing the same work:
#
#   tern rtc:      -l 1 -- -q 2        one lcore (pinned to CPU 1) polls both ports
#   dpdk rtc:      testpmd -l 0-1      lcore 0 is testpmd's console, lcore 1 forwards
#   tern pipeline: -l 0-1              lcore 0 receives both ports, lcore 1 sends
#   dpdk pipeline: dpdk-pipeline-fwd   the same with mbufs and rte_rings
#                                      (bench/l2fwd_pipeline_dpdk/)
#
# Rates are steady state for both: the per-second figures each program
# prints, the first one (start-up, first touch of --no-huge memory) left
# out, median of the rest. cycles/packet = CPU time of the forwarding
# threads (tern and dpdk-pipeline-fwd: CLOCK_THREAD_CPUTIME_ID of their
# lcores; testpmd: /proc schedstat of its forwarding thread) x TSC Hz /
# packets sent: unlike Hz / pps it stays right when other processes share
# the cores. The pipeline spends 2 lcores on what rtc does with one: the
# pipeline/rtc ratio of total Mpps (stderr) shows what the second one buys.
# Rows (see bench/compare.sh): label, tern, dpdk, unit, higher|lower.
set -euo pipefail

quick=0
[ "${1:-}" = "--quick" ] && quick=1
runs=3
dur=6
[ $quick = 1 ] && dur=3
l2fwd=$TERN_BUILD/examples/l2fwd/tern-l2fwd
tmp=$(mktemp -d)
tp_pid= hold_pid=
cleanup() {
	[ -n "$tp_pid" ] && kill -KILL "$tp_pid" 2>/dev/null || true
	[ -n "$hold_pid" ] && kill "$hold_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$l2fwd" ]; then
	echo "l2fwd-null: no $l2fwd: build tern first" >&2
	exit 2
fi
command -v dpdk-testpmd >/dev/null || { echo "l2fwd-null: dpdk-testpmd not installed (apt-get install dpdk)" >&2; exit 2; }
pkg-config --exists libdpdk || { echo "l2fwd-null: no libdpdk pkg-config, so no DPDK pipeline peer (apt-get install dpdk-dev, then reconfigure the build)" >&2; exit 2; }
peer=$TERN_BUILD/bench/l2fwd_pipeline_dpdk/dpdk-pipeline-fwd
[ -x "$peer" ] || { echo "l2fwd-null: no $peer: run ninja -C $TERN_BUILD (after meson setup --reconfigure $TERN_BUILD if dpdk-dev came after the build was set up)" >&2; exit 2; }

# Steady-state total Mpps from tern-l2fwd's periodic lines: sum the ports' tx
# per timestamp, drop the first second, median of the rest.
tern_steady() {
	awk '/^\[ *[0-9.]+ s\] port [0-9]+: / {
		t = $2; sub(/\]/, "", t); if (!(t in sum)) order[n++] = t
		for (i = 1; i <= NF; i++) if ($i == "tx") { sum[t] += $(i + 1); break }
	}
	END {
		# One line only (a starved main lcore prints late): use it.
		m = 0; for (i = (n > 1 ? 1 : 0); i < n; i++) v[m++] = sum[order[i]]
		if (m == 0) { print 0; exit }
		for (i = 0; i < m; i++) for (j = i + 1; j < m; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
		print (m % 2) ? v[int(m / 2)] : (v[m / 2 - 1] + v[m / 2]) / 2
	}' "$1"
}

# tern-l2fwd MODE EAL-AND-APP-ARGS...: prints the steady Mpps, checks the run.
run_tern() {
	local mode=$1 out=$tmp/tern.out json=$tmp/tern.json
	shift
	"$l2fwd" --no-huge "$@" --vdev null0 --vdev null1 -- --mode "$mode" "${app_args[@]}" \
		--duration "$dur" --json "$json" >"$out" 2>&1 ||
		{ echo "l2fwd-null: tern-l2fwd $mode failed:" >&2; cat "$out" >&2; exit 1; }
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(r["buffers_returned"] != r["buffers_total"])' "$json" ||
		{ echo "l2fwd-null: tern-l2fwd $mode lost buffers" >&2; exit 1; }
	# "steady-Mpps cycles/packet": cycles from the lcores' CPU time, not wall time.
	echo "$(tern_steady "$out") $(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print("%.2f" % (r["cpu_s"] * r["tsc_hz"] / r["tx_pkts"] if r["tx_pkts"] else 0))' "$json")"
}

# testpmd: sets dpdk_val (not in a subshell, so that the EXIT trap can stop
# testpmd if we are interrupted). Wait for traffic, take (samples) per-second figures, SIGINT it.
run_dpdk() {
	local out=$tmp/dpdk.out want=$((dur - 1)) waited=0
	: >"$out"
	# testpmd ends at EOF on stdin: hold it open with a fifo we close ourselves.
	rm -f "$tmp/hold" && mkfifo "$tmp/hold"
	sleep 600 >"$tmp/hold" &
	hold_pid=$!
	dpdk-testpmd --no-huge -m 1024 --no-pci -l 0-1 --vdev net_null0 --vdev net_null1 \
		--file-prefix tern-bench-l2fwd -- --forward-mode=io --burst=32 -a \
		--stats-period 1 <"$tmp/hold" >"$out" 2>&1 &
	tp_pid=$!
	# Start-up takes several seconds: count non-zero samples, not seconds.
	while [ "$(grep -c 'Tx-pps: *[1-9]' "$out" || true)" -lt $((2 * (want + 1))) ]; do
		sleep 0.5
		waited=$((waited + 1))
		if [ $waited -gt 120 ]; then
			echo "l2fwd-null: testpmd shows no traffic after 60 s:" >&2
			tail -20 "$out" >&2
			exit 1
		fi
	done
	# CPU time of the forwarding thread: the busiest of testpmd's threads
	# (its main lcore only prints stats). schedstat's first field is ns on CPU.
	fwd_ns=0
	for t in /proc/"$tp_pid"/task/*; do
		ns=$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null || echo 0)
		[ "$ns" -gt "$fwd_ns" ] && fwd_ns=$ns
	done
	kill -INT "$tp_pid" 2>/dev/null || true
	wait "$tp_pid" 2>/dev/null || true
	kill "$hold_pid" 2>/dev/null || true
	wait "$hold_pid" 2>/dev/null || true
	tp_pid= hold_pid=
	# Sum the two ports' Tx-pps per period; drop the first non-zero period.
	dpdk_val=$(awk '/Tx-pps:/ { s += $2; if (++k % 2 == 0) { if (s > 0) v[m++] = s; s = 0 } }
	END {
		n = 0; for (i = 1; i < m; i++) w[n++] = v[i]
		if (n == 0) { print 0; exit }
		for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (w[j] < w[i]) { x = w[i]; w[i] = w[j]; w[j] = x }
		print ((n % 2) ? w[int(n / 2)] : (w[n / 2 - 1] + w[n / 2]) / 2) / 1e6
	}' "$out")
	# TX-packets of the final accumulated statistics, forwarded by that thread.
	dpdk_cpp=$(awk -v ns="$fwd_ns" -v hz="$hz" '/Accumulated forward statistics/ { acc = 1 }
		acc && /TX-packets:/ { if ($2 > 0) printf "%.2f", ns / 1e9 * hz / $2; else print 0; exit }' "$out")
}

# dpdk-pipeline-fwd: prints "steady-Mpps cycles/packet" like run_tern. Its
# per-second lines are "[ T s] total: rx X Mpps | tx Y Mpps | ...".
run_dpdk_pipe() {
	local out=$tmp/pipe.out
	"$peer" --no-huge -m 1024 --no-pci -l 0-1 --vdev net_null0 --vdev net_null1 \
		--file-prefix tern-bench-pipe -- --duration "$dur" >"$out" 2>&1 ||
		{ echo "l2fwd-null: dpdk-pipeline-fwd failed (exit 3: mbufs lost):" >&2; tail -20 "$out" >&2; exit 1; }
	awk -v hz="$hz" '/^\[ *[0-9.]+ s\] total:/ { for (i = 1; i <= NF; i++) if ($i == "tx") v[m++] = $(i + 1) }
	/^totals over/ { for (i = 1; i <= NF; i++) if ($i == "tx") pkts = $(i + 1) }
	/^cpu:/ { for (i = 1; i <= NF; i++) if ($i == "=") cpu = $(i + 1) }
	END {
		n = 0; for (i = (m > 1 ? 1 : 0); i < m; i++) w[n++] = v[i]
		for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (w[j] < w[i]) { x = w[i]; w[i] = w[j]; w[j] = x }
		# Parenthesised: a bare > among the printf arguments is a redirection.
		printf "%s %.2f\n", (n ? ((n % 2) ? w[int(n / 2)] : (w[n / 2 - 1] + w[n / 2]) / 2) : 0),
			(pkts > 0 ? cpu * hz / pkts : 0)
	}' "$out"
}

# P/Q to 2 places: the pipeline/rtc ratio; n/a when rtc gave nothing.
ratio() { awk -v p="$1" -v q="$2" 'BEGIN { if (q > 0) printf "%.2f", p / q; else printf "n/a" }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# A failing run exits its $(...) subshell: `r=$(...) || exit 1` passes that on
# (read <<<"$(...)" would take the empty output and carry on).
rtc=() rtc_c=() pipe=() pipe_c=() dpipe=() dpipe_c=() dpdk=() dpdk_c=()
hz=
for i in $(seq $runs); do
	app_args=(-q 2)
	r=$(run_tern rtc -l 1) || exit 1
	read -r m c <<<"$r"
	rtc+=("$m") rtc_c+=("$c")
	# TSC Hz as tern-l2fwd measured it: the unit of every cycles figure.
	[ -n "$hz" ] || hz=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tsc_hz"])' "$tmp/tern.json")
	app_args=()
	r=$(run_tern pipeline -l 0-1) || exit 1
	read -r m c <<<"$r"
	pipe+=("$m") pipe_c+=("$c")
	r=$(run_dpdk_pipe) || exit 1
	read -r m c <<<"$r"
	dpipe+=("$m") dpipe_c+=("$c")
	run_dpdk
	dpdk+=("$dpdk_val") dpdk_c+=("$dpdk_cpp")
	echo "l2fwd-null: run $i: Mpps (cycles/packet): tern rtc ${rtc[-1]} (${rtc_c[-1]})," \
		"pipeline ${pipe[-1]} (${pipe_c[-1]}); dpdk rtc ${dpdk[-1]} (${dpdk_c[-1]})," \
		"pipeline ${dpipe[-1]} (${dpipe_c[-1]}); pipeline/rtc: tern $(ratio "${pipe[-1]}" "${rtc[-1]}")," \
		"dpdk $(ratio "${dpipe[-1]}" "${dpdk[-1]}"); load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
tr=$(median "${rtc[@]}") tp=$(median "${pipe[@]}")
dr=$(median "${dpdk[@]}") dp=$(median "${dpipe[@]}")
echo "l2fwd-null: pipeline/rtc total Mpps (medians): tern $(ratio "$tp" "$tr"), dpdk $(ratio "$dp" "$dr")" >&2
printf 'l2fwd rtc total Mpps\t%s\t%s\tMpps\thigher\n' "$tr" "$dr"
printf 'l2fwd rtc cycles/packet\t%s\t%s\tcycles\tlower\n' "$(median "${rtc_c[@]}")" "$(median "${dpdk_c[@]}")"
printf 'l2fwd pipeline total Mpps (2 lcores)\t%s\t%s\tMpps\thigher\n' "$tp" "$dp"
printf 'l2fwd pipeline cycles/packet (2 lcores)\t%s\t%s\tcycles\tlower\n' "$(median "${pipe_c[@]}")" "$(median "${dpipe_c[@]}")"
