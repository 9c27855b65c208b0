#!/usr/bin/env bash
# ./test.sh - install what is missing, build, and run every test.
#
#   ./test.sh            release build (warnings are errors) + every suite (unit,
#                        concurrency, e2e, netns, vm, model, valgrind, fault), then
#                        unit, e2e and fault under AddressSanitizer+UBSan, the
#                        concurrency suite under ThreadSanitizer, the fuzz
#                        harnesses (clang, libFuzzer) and cppcheck + clang-tidy
#   ./test.sh --fast     the release build and its suites only
#
# Build trees: build/ (release), build-asan/, build-tsan/. Ends with one line
# "tests: N passed, M failed" and a non-zero status if anything failed.
set -uo pipefail
cd "$(dirname "$0")"
top=$(pwd)

fast=0
for a in "$@"; do
	case "$a" in
	--fast) fast=1 ;;
	*) echo "test.sh: unknown option '$a': use --fast or nothing" >&2; exit 2 ;;
	esac
done

scripts/deps.sh test || exit 1

# Tests prefer hugepages and fall back to --no-huge; reserve some if we may.
old_huge=$(scripts/hugepages.sh 512 | head -n 1)
trap 'scripts/hugepages.sh --restore "$old_huge"' EXIT

passed=0
failed=0
failures=()

# setup DIR [meson options...]: configure (or re-apply the options) and build.
setup() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	else
		meson configure "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { tail -n 60 "$dir.ninja.log"; return 1; }
}

# run_tests LABEL DIR [meson test args...]: run, then count from the JSON log.
run_tests() {
	local label=$1 dir=$2
	shift 2
	echo "== $label: meson test $*"
	meson test -C "$dir" --no-rebuild --print-errorlogs "$@"
	local log=$dir/meson-logs/testlog.json
	[ -f "$log" ] || { failed=$((failed + 1)); failures+=("$label: no test log"); return; }
	local counts
	counts=$(python3 - "$log" "$label" <<'PY'
import json, sys
ok = bad = 0
for line in open(sys.argv[1], errors="replace", newline="\n"):  # a raw \r in output is no line end
    if not line.strip():
        continue
    try:
        t = json.loads(line)
    except ValueError:
        bad += 1
        print("FAILED %s: unreadable line in the test log" % sys.argv[2], file=sys.stderr)
        continue
    if t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP"):
        ok += 1
    else:
        bad += 1
        print("FAILED %s: %s (%s)" % (sys.argv[2], t.get("name"), t.get("result")), file=sys.stderr)
print(ok, bad)
PY
)
	# Whatever went wrong in counting is a failure, never a silent pass.
	[[ "$counts" =~ ^[0-9]+\ [0-9]+$ ]] || counts="0 1"
	passed=$((passed + ${counts% *}))
	if [ "${counts#* }" != 0 ]; then
		failed=$((failed + ${counts#* }))
		failures+=("$label")
	fi
}

stage() {
	local label=$1 dir=$2
	shift 2
	echo "== $label: building $dir"
	if ! setup "$dir" "$@"; then
		failed=$((failed + 1))
		failures+=("$label: build failed")
		return 1
	fi
}

# The QEMU rig's kernel and initramfs (suite vm): fetched from Debian's
# archive into .vm-cache/ on first use; needs root, else those tests skip.
if [ "$(id -u)" -eq 0 ]; then
	test/vm/prepare.sh >/dev/null || echo "test.sh: test/vm/prepare.sh failed: the vm suite will fail or skip" >&2
fi

# x86-64-v3, not -march=native: the same binaries run on this machine and in
# the QEMU guests of the vm suite, whose TCG CPU has AVX2 but no AVX-512.
if stage release build -Dwerror=true -Dbuildtype=release -Dcpu_instruction_set=x86-64-v3; then
	run_tests release build
fi

if [ "$fast" = 0 ]; then
	# ASan + UBSan over the unit and end-to-end suites. Debug build: no -march
	# tuning needed. halt_on_error makes UBSan findings failures, not noise.
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	if stage asan build-asan -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false -Dcpu_instruction_set=generic; then
		run_tests asan build-asan --suite unit --suite e2e --suite fault --timeout-multiplier 4
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS

	# ThreadSanitizer over the concurrency tests (ring, mempool, lcores, pipeline).
	export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
	if stage tsan build-tsan -Dwerror=true -Dbuildtype=debug -Db_sanitize=thread \
		-Db_lundef=false -Dcpu_instruction_set=generic; then
		TERN_TEST_SHORT=1 run_tests tsan build-tsan --suite concurrency --timeout-multiplier 6
	fi
	unset TSAN_OPTIONS

	# libFuzzer (clang): replay every regression and corpus input, then a short
	# smoke pass per harness. Longer runs: fuzz/run.sh --runs N.
	export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	if CC=clang stage fuzz build-fuzz -Dfuzz=true -Dtests=false -Dwerror=true -Dbuildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false -Dcpu_instruction_set=generic \
		-Dc_args=-fsanitize=fuzzer-no-link; then
		run_tests fuzz build-fuzz --suite fuzz --timeout-multiplier 4
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS

	# Static analysis: cppcheck and clang-tidy over the library and examples.
	echo "== lint: scripts/lint.sh"
	if scripts/lint.sh build-lint; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("lint")
	fi
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failures[@]}"
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
