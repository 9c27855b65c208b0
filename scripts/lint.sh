#!/usr/bin/env bash
# Static analysis over tern's own C sources: cppcheck and clang-tidy, with the
# configuration checked in (.clang-tidy, scripts/cppcheck.supp). Needs a
# configured build dir for compile_commands.json (default: build).
# Exits non-zero on any finding.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -f "$build/compile_commands.json" ] || { echo "lint.sh: no $build/compile_commands.json: run meson setup $build first" >&2; exit 2; }

srcs=$(git ls-files '*.c' | grep -Ev '^(test|bench)/' )
status=0

echo "== cppcheck"
if ! cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	--inline-suppr --suppressions-list=scripts/cppcheck.supp \
	--std=c11 -D__x86_64__ -D__GNUC__ --platform=unix64 \
	-Ieal -Iring -Imempool -Ipmd $srcs; then
	status=1
fi

echo "== clang-tidy"
# -march=native is fine for gcc but clang-tidy wants no surprises: it reads
# the gcc flags from compile_commands.json and ignores what it does not know.
if ! clang-tidy --quiet -p "$build" $srcs 2>/dev/null | grep -E 'warning:|error:' ; then
	:
else
	status=1
fi
[ $status -eq 0 ] && echo "lint: no findings"
exit $status
