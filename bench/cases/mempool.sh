#!/usr/bin/env bash
# bench/cases/mempool.sh [--quick] - tern's mempool against DPDK 22.11's, by
# the method of DPDK's app/test/test_mempool_perf.c: each lcore gets n_keep
# objects in bulks of n_get_bulk, puts them back in bulks of n_put_bulk, for
# a fixed time; pool of 2 x (128 + 512) - 1 objects of 2048 bytes, cache 512
# or none.
#
# Rows: cache 0/512 x 1/2 lcores x bulk 8/32 (get = put) x n_keep 32/128,
# as TSC cycles one lcore spends per object (got and put):
#
#     cycles/obj = tsc_hz * cores / rate_persec
#
# where rate_persec is the objects per second summed over the lcores (what
# DPDK prints). Both sides use the same TSC frequency (tern's tsc_hz line).
#
# DPDK's mempool_perf_autotest cannot choose rows and runs about an hour in
# full; bench/mempool/dpdk_tsc_shim.c, preloaded into dpdk-test, gives the
# wanted rows (the first pass that has them) TIME_S * scale seconds each and
# every other row one loop round, so the whole run takes well under a minute.
# DPDK divides its object count by TIME_S = 5 s, so its printed rate is
# divided by the scale here.
#
# Prints: label <TAB> tern <TAB> dpdk <TAB> cycles/obj <TAB> lower
set -euo pipefail

quick=0
for a in "$@"; do
	case "$a" in
	--quick) quick=1 ;;
	*) echo "mempool.sh: unknown option '$a' (use --quick)" >&2; exit 2 ;;
	esac
done

build=${TERN_BUILD:?TERN_BUILD must name a tern build directory}
perf=$build/bench/mempool/tern-mempool-perf
shim=$build/bench/mempool/tern-dpdk-tsc-shim.so
for f in "$perf" "$shim"; do
	[ -e "$f" ] || { echo "mempool.sh: $f missing: build tern first (ninja -C $build)" >&2; exit 2; }
done
command -v dpdk-test >/dev/null || { echo "mempool.sh: dpdk-test missing: scripts/deps.sh bench" >&2; exit 2; }
case "$shim" in /*) ;; *) shim=$(pwd)/$shim ;; esac

# Other work on the machine only ever slows a run down, so each side runs
# `runs` times and each row keeps its best figure.
if [ "$quick" = 1 ]; then
	tern_time=0.2 scale=0.04 runs=1 # 0.2 s per row on both sides
else
	tern_time=1 scale=0.2 runs=3 # 1 s per row on both sides, best of 3
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/tern.out"
: >"$tmp/dpdk.out"

for ((run = 0; run < runs; run++)); do
	# tern, then DPDK: never both at once on a 2-core machine.
	"$perf" -l 0-1 --no-huge -m 512 --log-level warning -- --time "$tern_time" >>"$tmp/tern.out"

	echo "== run $run" >>"$tmp/dpdk.out"
	echo mempool_perf_autotest |
		TERN_DPDK_TIME_SCALE=$scale LD_PRELOAD=$shim timeout 600 \
			dpdk-test --no-huge -m 512 --no-pci -l 0-1 --file-prefix tern-bench-mp \
			>"$tmp/dpdk.run" 2>&1 || {
		echo "mempool.sh: dpdk-test failed; its last lines:" >&2
		tail -n 20 "$tmp/dpdk.run" >&2
		exit 1
	}
	cat "$tmp/dpdk.run" >>"$tmp/dpdk.out"
done

# A row whose lcores were off the CPU for a noticeable part of the run
# measured the machine's other work as much as the mempool: say so.
awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^on_cpu=/) { split($i, a, "="); if (a[2] < 0.9) busy++ } }
END { if (busy) printf "mempool.sh: %d tern rows ran less than 90%% on the CPU: the machine is busy, figures are noisy\n", busy > "/dev/stderr" }' "$tmp/tern.out"

awk -v scale="$scale" '
function val(line, key,   i, n, kv) {
	n = split(line, kv, /[ =]/)
	for (i = 1; i < n; i++) if (kv[i] == key) return kv[i + 1]
	return ""
}
FNR == NR {
	if ($0 ~ /^tsc_hz=/) { hz = val($0, "tsc_hz"); next }
	if ($0 !~ /^cache=/) next
	k = val($0, "cache") " " val($0, "cores") " " val($0, "n_get_bulk") " " val($0, "n_keep")
	c = val($0, "cycles_per_obj") + 0
	if (!(k in tern)) order[++n] = k
	if (!(k in tern) || c < tern[k]) tern[k] = c
	next
}
/^== run / { delete seen; next }
/^mempool_autotest / && / constant_n=0 / && /rate_persec=/ {
	if (val($0, "n_get_bulk") != val($0, "n_put_bulk")) next
	k = val($0, "cache") " " val($0, "cores") " " val($0, "n_get_bulk") " " val($0, "n_keep")
	if (k in seen) next # the first pass with this row is the one the shim timed
	seen[k] = 1
	r = val($0, "rate_persec") / scale
	if (r > dpdk_rate[k]) dpdk_rate[k] = r
}
END {
	for (i = 1; i <= n; i++) {
		k = order[i]; split(k, f, " ")
		d = (k in dpdk_rate && dpdk_rate[k] > 0) ? hz * f[2] / dpdk_rate[k] : 0
		printf "cache=%s cores=%s bulk=%s keep=%s\t%.2f\t%.2f\tcycles/obj\tlower\n",
			f[1], f[2], f[3], f[4], tern[k], d
	}
}' "$tmp/tern.out" "$tmp/dpdk.out"
