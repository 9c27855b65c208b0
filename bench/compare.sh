#!/usr/bin/env bash
# Run a tern benchmark and its DPDK peer in the same run, side by side.
#
# Usage: bench/compare.sh CASE [--quick]
#   CASE is one of the scripts in bench/cases/ (ring, mempool, l2fwd-null, ...).
#   --quick makes the case run a short pass (for CI smoke runs); figures from
#   a quick pass are noisier.
#
# A case prints one tab-separated row per measurement:
#   label <TAB> tern value <TAB> dpdk value <TAB> unit <TAB> lower|higher
# where lower/higher says which way is better ("info": a reference figure
# printed but left out of the speedup). This script prints the table,
# each row's speedup (above 1: tern is better), and ends with the geometric
# mean as `speedup vs dpdk: X.XX`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
case_name=${1:-}
shift || true

if [ -z "$case_name" ] || [ ! -f "$here/cases/$case_name.sh" ]; then
	echo "usage: bench/compare.sh CASE [--quick]; CASE is one of:" \
		$(cd "$here/cases" && ls *.sh | sed 's/\.sh$//') >&2
	exit 2
fi

export TERN_BUILD=${TERN_BUILD:-$top/build}
if [ ! -d "$TERN_BUILD" ]; then
	echo "compare.sh: no build at $TERN_BUILD: run ./quickstart.sh or ./test.sh first" >&2
	exit 2
fi
"$top/scripts/deps.sh" bench

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
bash "$here/cases/$case_name.sh" "$@" >"$rows"

awk -F'\t' -v name="$case_name" '
BEGIN { printf "%-44s %14s %14s %-10s %8s\n", name, "tern", "dpdk", "unit", "speedup" }
NF >= 5 && $5 == "info" { printf "%-44s %14s %14s %-10s %8s\n", $1, $2, $3, $4, "(info)"; next }
NF >= 5 {
	t = $2 + 0; d = $3 + 0
	if (t <= 0 || d <= 0) { printf "%-44s %14s %14s %-10s %8s\n", $1, $2, $3, $4, "n/a"; next }
	s = ($5 == "higher") ? t / d : d / t
	# Three decimals below 1 (e.g. Mpps over af_packet), two above.
	fmt = (t < 1 || d < 1) ? "%-44s %14.3f %14.3f %-10s %8.2f\n" : "%-44s %14.2f %14.2f %-10s %8.2f\n"
	printf fmt, $1, t, d, $4, s
	logsum += log(s); n++
}
END {
	if (n == 0) { print "compare.sh: the case produced no rows" > "/dev/stderr"; exit 1 }
	printf "speedup vs dpdk: %.2f\n", exp(logsum / n)
}' "$rows"
