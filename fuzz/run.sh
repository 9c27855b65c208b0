#!/usr/bin/env bash
# fuzz/run.sh [--runs N] [--build DIR] [--no-build] [HARNESS...]
#
# Runs each libFuzzer harness (default: eal_args devargs echo_frame ixgbe_rx af_packet_rx memif_*)
# for N executions (default 100000) from its checked-in seed corpus
# fuzz/corpus/<h>. New inputs go to a scratch directory, not the checked-in
# corpus. A crash leaves its input in fuzz/artifacts/<h>/ and fails the run:
# copy that file into fuzz/regressions/<h>/ once fixed, and the meson test
# fuzz-<h>-regressions replays it forever after.
#
# Without --no-build, DIR (default build-fuzz) is configured with clang,
# ASan+UBSan and libFuzzer coverage over the whole library, then built.
# Prints one line per harness: "fuzz <h>: N runs, S s, C corpus units, OK|CRASH".
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
runs=100000
build=$src/build-fuzz
do_build=1
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) runs=${1#--runs=}; shift ;;
	--build) build=${2:?--build needs a directory}; shift 2 ;;
	--no-build) do_build=0; shift ;;
	-h|--help) sed -n 2,14p "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option '$1': see fuzz/run.sh --help" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done
case "$runs" in ''|*[!0-9]*) echo "run.sh: --runs '$runs': not a number: give e.g. --runs 20000" >&2; exit 2 ;; esac
[ ${#names[@]} -gt 0 ] || names=(eal_args devargs echo_frame ixgbe_rx af_packet_rx memif_peer memif_server)

if [ $do_build = 1 ]; then
	if [ ! -f "$build/build.ninja" ]; then
		CC=clang meson setup "$build" "$src" -Dfuzz=true -Dtests=false -Dbuildtype=debug \
			-Db_sanitize=address,undefined -Db_lundef=false -Dcpu_instruction_set=generic \
			-Dc_args=-fsanitize=fuzzer-no-link >"$build.setup.log" 2>&1 ||
			{ cat "$build.setup.log"; exit 1; }
	fi
	ninja -C "$build" >"$build.ninja.log" 2>&1 || { tail -n 40 "$build.ninja.log"; exit 1; }
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
for h in "${names[@]}"; do
	exe=$build/fuzz/fuzz-$h
	if [ ! -x "$exe" ]; then
		echo "fuzz $h: no $exe (built with clang and -Dfuzz=true?)" >&2
		status=1
		continue
	fi
	scratch=$(mktemp -d)
	art=$src/fuzz/artifacts/$h
	mkdir -p "$art"
	log=$(mktemp)
	# -seed fixed: the same run finds the same things; -max_len: frames and argv fit.
	"$exe" -runs="$runs" -seed=1 -max_len=2048 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$art/" -print_final_stats=1 \
		"$scratch" "$src/fuzz/corpus/$h" >"$log" 2>&1
	rc=$?
	done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1)
	units=$(find "$scratch" -maxdepth 1 -type f | wc -l)
	if [ $rc = 0 ]; then
		echo "fuzz $h: ${done_line#Done }, $units new corpus units, OK"
		rmdir "$art" 2>/dev/null
	else
		echo "fuzz $h: CRASH (status $rc): input in $art/"
		grep -E 'ERROR|runtime error|SUMMARY|deadly signal' "$log" | head -n 5
		status=1
	fi
	rm -rf "$scratch" "$log"
done
exit $status
