#!/usr/bin/env bash
# Run one tern program under valgrind memcheck: any memory error, or any
# definitely or indirectly lost block, fails the test. Usage:
#   memcheck.sh PROGRAM [ARGS...]
# The program's own exit status counts too (e.g. l2fwd's buffer check).
set -uo pipefail
if ! command -v valgrind >/dev/null; then
	echo "memcheck.sh: valgrind is not installed: apt-get install valgrind" >&2
	exit 77
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --fair-sched: valgrind runs one thread at a time, and by default a polling
# lcore can keep that lock for seconds while the thread that would stop it
# waits (tern-embed took 235 s in CI, 2 s with fair scheduling).
valgrind --quiet --fair-sched=yes --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --track-fds=no --log-file="$log" "$@"
status=$?
cat "$log"
if [ $status -eq 99 ]; then
	echo "memcheck.sh: valgrind found memory errors or leaks in $1" >&2
	exit 1
fi
if [ $status -ne 0 ]; then
	echo "memcheck.sh: $1 exited with $status under valgrind" >&2
	exit 1
fi
echo "memcheck.sh: no errors, no leaks"
