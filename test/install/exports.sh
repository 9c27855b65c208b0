#!/usr/bin/env bash
# exports.sh LIBTERN_SO: the shared library exports tern_* names and nothing
# else (libtern.map), so a host application's own symbols never clash with
# tern's internals and no internal function becomes ABI by accident.
set -euo pipefail
so=${1:?usage: exports.sh path/to/libtern.so}
names=$(nm -D --defined-only "$so" | awk '{ print $3 }')
stray=$(printf '%s\n' "$names" | grep -v '^tern_' || true)
count=$(printf '%s\n' "$names" | grep -c '^tern_' || true)
if [ -n "$stray" ]; then
	echo "exports.sh: $so exports names without the tern_ prefix:" $stray >&2
	exit 1
fi
# The public API is there at all (a broken map could hide everything).
for want in tern_eal_init tern_ring_create tern_pktpool_create tern_port_configure; do
	printf '%s\n' "$names" | grep -qx "$want" || { echo "exports.sh: $so does not export $want" >&2; exit 1; }
done
# Test seams (eal/pci_test.h, ring/ring_test.h) are for tests linking libtern.a only.
for hook in tern_pci_emul_register tern_pci_emul_unregister tern_ring_test_reset_at; do
	if printf '%s\n' "$names" | grep -qx "$hook"; then
		echo "exports.sh: $so exports the test seam $hook (see libtern.map)" >&2
		exit 1
	fi
done
echo "exports.sh: $count tern_* symbols exported, nothing else"
