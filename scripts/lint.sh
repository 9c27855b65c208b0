#!/usr/bin/env bash
# Static analysis over tern's own C sources: cppcheck and clang-tidy, with the
# configuration checked in (.clang-tidy, scripts/cppcheck.supp,
# scripts/cppcheck-libbpf.cfg).
#
#   scripts/lint.sh [BUILD] [FILE...]
#
# BUILD (default build-lint) gives compile_commands.json; when it does not
# exist it is configured with every driver enabled, so that each driver's
# sources are analyzed with their real include paths and flags. FILEs (default:
# every C file of the library and examples; not test/, bench/, fuzz/) limit the
# run, e.g. to the components whose authors have finished.
# Prints each finding and exits non-zero if there is any.
#
#   scripts/lint.sh --format
#
# runs only the clang-format check (.clang-format): every file under
# format_paths must be formatted already (clang-format --dry-run -Werror).
set -uo pipefail
cd "$(dirname "$0")/.."

# Every C file of the tree is checked.
format_paths=(':(glob)**/*.[ch]')

format_check() {
	local files n=0
	mapfile -t files < <(git ls-files -- "${format_paths[@]}" | grep -E '\.[ch]$')
	echo "== clang-format (${#files[@]} files)"
	for f in "${files[@]}"; do
		if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
			echo "clang-format: $f is not formatted: run clang-format -i $f"
			n=$((n + 1))
		fi
	done
	[ $n -eq 0 ]
}

if [ "${1:-}" = "--format" ]; then
	format_check && echo "lint: formatted"
	exit
fi
build=${1:-build-lint}
[ $# -gt 0 ] && shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$build/compile_commands.json" ]; then
	meson setup "$build" -Dcpu_instruction_set=generic \
		>"$log" 2>&1 || { cat "$log"; exit 2; }
fi
# Generated sources (the driver table) must exist for clang-tidy to parse.
ninja -C "$build" >"$log" 2>&1 || { tail -n 30 "$log"; exit 2; }

if [ $# -gt 0 ]; then
	srcs=("$@")
else
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		mapfile -t srcs < <(git ls-files '*.c' | grep -Ev '^(test|bench|fuzz)/')
	else # an exported tree (git archive): the same files, found on disk
		mapfile -t srcs < <(find eal ring mempool pmd examples -name '*.c' | sort)
	fi
fi
# Only files the build compiles (a driver folder the build does not enable
# cannot be analyzed with the right flags).
mapfile -t built < <(python3 - "$build/compile_commands.json" "${srcs[@]}" <<'PY'
import json, os, sys
cc = json.load(open(sys.argv[1]))
have = {os.path.realpath(os.path.join(e["directory"], e["file"])) for e in cc}
for f in sys.argv[2:]:
    if os.path.realpath(f) in have:
        print(f)
    else:
        print("lint.sh: %s is not compiled in this build: not analyzed" % f, file=sys.stderr)
PY
)
status=0
format_check || status=1

echo "== cppcheck (${#built[@]} files)"
incs=()
for d in eal ring mempool pmd pmd/*/ examples/*/; do incs+=(-I"$d"); done
if ! cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	--inline-suppr --suppressions-list=scripts/cppcheck.supp \
	--library=scripts/cppcheck-libbpf.cfg \
	--std=c11 -D__x86_64__ -D__GNUC__ -D_GNU_SOURCE --platform=unix64 \
	"${incs[@]}" "${built[@]}"; then
	status=1
fi

echo "== clang-tidy (${#built[@]} files)"
# One process per file, two at a time; findings (with their notes) kept whole.
out=$(printf '%s\n' "${built[@]}" | xargs -P "$(nproc)" -I{} sh -c \
	'r=$(clang-tidy --quiet -p "$1" "$2" 2>/dev/null); [ -n "$r" ] && printf "%s\n" "$r"; true' \
	sh "$build" {})
if printf '%s\n' "$out" | grep -qE '(warning|error):'; then
	printf '%s\n' "$out"
	echo "clang-tidy: $(printf '%s\n' "$out" | grep -cE '(warning|error):') findings"
	status=1
fi
[ $status -eq 0 ] && echo "lint: no findings"
exit $status
