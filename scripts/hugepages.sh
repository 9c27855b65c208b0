#!/usr/bin/env bash
# Make sure at least N free 2 MiB hugepages exist (as root), printing what it
# did. Prints the previous nr_hugepages so a caller can restore it:
#   old=$(scripts/hugepages.sh 512) ... scripts/hugepages.sh --restore "$old"
set -euo pipefail
f=/proc/sys/vm/nr_hugepages
if [ "${1:-}" = "--restore" ]; then
	[ "$(id -u)" -eq 0 ] && [ -n "${2:-}" ] && echo "$2" >"$f" 2>/dev/null || true
	exit 0
fi
want=${1:-512}
cur=$(cat "$f")
echo "$cur"
[ "$(id -u)" -eq 0 ] || exit 0
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if [ "$free" -lt "$want" ]; then
	echo $((cur + want - free)) >"$f" 2>/dev/null || true
fi
