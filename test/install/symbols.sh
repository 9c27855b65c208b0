#!/usr/bin/env bash
# symbols.sh LIBTERN_A LIBTERN_SO: every global symbol tern defines, in the
# static library as in the shared one, starts with tern_. A host that links
# libtern.a and has its own port_get, pci_scan or virtio_reset must not get
# "multiple definition" from tern's internals; a shared library exports only
# tern_* (libtern.map) but its objects should follow the same rule.
#
# Internal functions shared between files are tern_-prefixed too (or static).
# Prints each offender with the object that defines it.
set -euo pipefail
a=${1:?usage: symbols.sh path/to/libtern.a path/to/libtern.so}
so=${2:?usage: symbols.sh path/to/libtern.a path/to/libtern.so}
fail=0

# libtern.a: "member.o:" headers, then "ADDR TYPE NAME" for global symbols.
bad_a=$(nm -g --defined-only "$a" | awk '
	/:$/ { obj = $1; sub(/:$/, "", obj); next }
	NF == 3 && $3 !~ /^tern_/ { printf "%s (%s)\n", $3, obj }')
if [ -n "$bad_a" ]; then
	echo "symbols.sh: $a defines $(printf '%s\n' "$bad_a" | wc -l) global symbols without the tern_ prefix:" >&2
	printf '%s\n' "$bad_a" | sed 's/^/  /' >&2
	fail=1
fi

# libtern.so: the exports (the version node itself, type A, is not a symbol of tern's).
bad_so=$(nm -D --defined-only "$so" | awk '$2 != "A" { sub(/@.*/, "", $3); if ($3 !~ /^tern_/) print $3 }')
if [ -n "$bad_so" ]; then
	echo "symbols.sh: $so exports names without the tern_ prefix:" $bad_so >&2
	fail=1
fi
[ "$fail" = 0 ] || exit 1
echo "symbols.sh: every global symbol of $(basename "$a") and $(basename "$so") starts with tern_"
