#!/usr/bin/env bash
# bench/cases/ring.sh - tern-ring-perf against DPDK's ring_perf_autotest.
#
# Runs both sides 3 times (1 with --quick), alternating so that both see the
# same machine, takes the median of each row and prints, per row:
#   label <TAB> tern <TAB> dpdk <TAB> cycles/obj <TAB> lower
# Only DPDK's "legacy APIs" rows (void * objects, like tern_ring) are used:
# single, burst, bulk and empty-ring rows on one lcore, and the "two physical
# cores" rows. DPDK prints the same label in several sections, so the empty
# and two-core rows get a prefix ("empty: ", "2 cores: "), as tern-ring-perf
# prints them. Units are DPDK's: the one-lcore burst/bulk rows are cycles per
# enqueue+dequeue pair of n objects, the two-core rows cycles per object.
set -euo pipefail

runs=3
[ "${1:-}" = "--quick" ] && runs=1

tern_bin=${TERN_BUILD:?TERN_BUILD must name a tern build directory}/bench/ring/tern-ring-perf
if [ ! -x "$tern_bin" ]; then
	echo "ring.sh: $tern_bin not found: build tern first (ninja -C $TERN_BUILD)" >&2
	exit 2
fi
if ! command -v dpdk-test >/dev/null; then
	echo "ring.sh: dpdk-test not found: apt-get install dpdk" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# DPDK's output -> "label<TAB>value" in tern's labels.
dpdk_rows() {
	awk '
	/^### / {
		prefix = "skip"
		if ($0 ~ /single element|burst enq|bulk enq/) prefix = ""
		else if ($0 ~ /empty bulk deq/) prefix = "empty: "
		else if ($0 ~ /two physical cores/) prefix = "2 cores: "
		next
	}
	prefix != "skip" && /^legacy APIs: / {
		line = substr($0, length("legacy APIs: ") + 1)
		n = split(line, f, ": ")
		label = f[1]
		for (i = 2; i < n; i++) label = label ": " f[i]
		printf "%s%s\t%s\n", prefix, label, f[n]
	}'
}

for i in $(seq "$runs"); do
	"$tern_bin" >"$tmp/tern.$i"
	echo ring_perf_autotest |
		dpdk-test --no-huge --no-pci -l 0-1 -m 512 --file-prefix tern-bench-ring 2>/dev/null |
		dpdk_rows >"$tmp/dpdk.$i"
done

# Median per label, rows in tern's order.
awk -F'\t' '
function median(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
FILENAME ~ /\/tern\./ {
	if (!($1 in tern)) order[++nrows] = $1
	tern[$1] = tern[$1] " " $2
	next
}
{ dpdk[$1] = dpdk[$1] " " $2 }
END {
	for (r = 1; r <= nrows; r++) {
		l = order[r]
		printf "%s\t%.2f\t%s\tcycles/obj\tlower\n", l, median(tern[l]),
			(l in dpdk) ? sprintf("%.2f", median(dpdk[l])) : "0"
	}
}' "$tmp"/tern.* "$tmp"/dpdk.*
