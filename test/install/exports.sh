#!/usr/bin/env bash
# exports.sh LIBTERN_SO [VERSION VERSION_PROBE]: the shared library exports
# tern_* names and nothing else (libtern.map), so a host application's own
# symbols never clash with tern's internals and no internal function becomes
# ABI by accident; every export carries the symbol version TERN_<major>.<minor>
# (none left in the unversioned "Base" node); and tern_version() returns the
# project's version (VERSION_PROBE is a program that prints it).
set -euo pipefail
so=${1:?usage: exports.sh path/to/libtern.so [VERSION VERSION_PROBE]}
version=${2:-}
probe=${3:-}
# "name@@NODE" (and the node itself, an absolute symbol named like TERN_0.1).
syms=$(nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }')
names=$(printf '%s\n' "$syms" | sed 's/@.*//')
stray=$(printf '%s\n' "$names" | grep -v '^tern_' || true)
count=$(printf '%s\n' "$names" | grep -c '^tern_' || true)
if [ -n "$stray" ]; then
	echo "exports.sh: $so exports names without the tern_ prefix:" $stray >&2
	exit 1
fi
# The public API is there at all (a broken map could hide everything).
for want in tern_eal_init tern_ring_create tern_pktpool_create tern_port_configure tern_version; do
	printf '%s\n' "$names" | grep -qx "$want" || { echo "exports.sh: $so does not export $want" >&2; exit 1; }
done
# Test seams (eal/pci_test.h, ring/ring_test.h) are for tests linking libtern.a only.
for hook in tern_pci_emul_register tern_pci_emul_unregister tern_ring_test_reset_at; do
	if printf '%s\n' "$names" | grep -qx "$hook"; then
		echo "exports.sh: $so exports the test seam $hook (see libtern.map)" >&2
		exit 1
	fi
done
if [ -n "$version" ]; then
	node="TERN_$(echo "$version" | cut -d. -f1-2)"
	unversioned=$(printf '%s\n' "$syms" | grep -v "@@${node}\$" || true)
	if [ -n "$unversioned" ]; then
		echo "exports.sh: $so exports names without the symbol version $node (libtern.map):" \
			$unversioned >&2
		exit 1
	fi
	got=$("$probe")
	if [ "$got" != "$version" ]; then
		echo "exports.sh: tern_version() says '$got', the project is version $version" >&2
		exit 1
	fi
	echo "exports.sh: $count tern_* symbols exported, all at $node, nothing else; tern_version() = $got"
else
	echo "exports.sh: $count tern_* symbols exported, nothing else"
fi
