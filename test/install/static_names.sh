#!/usr/bin/env bash
# static_names.sh LIBTERN_A: every global symbol libtern.a defines is tern_-
# prefixed, so a host that links tern statically and has its own port_get,
# pci_read_dev or log_save never fails to link. Objects of the drivers
# below still being renamed are skipped (named, so the list only shrinks).
set -euo pipefail
a=${1:?usage: static_names.sh path/to/libtern.a}
skip='^(af_packet_|af_xdp_|memif_|virtio_|ixgbe_)'
stray=$(nm -A -g --defined-only "$a" | awk '{ split($1, p, ":"); print p[2], $3 }' |
	grep -Ev "$skip" | grep -v ' tern_' |
	grep -Ev ' __(odr_asan|asan|ubsan|tsan|sancov)' || true)
if [ -n "$stray" ]; then
	echo "static_names.sh: $a defines global symbols without the tern_ prefix (object symbol):" >&2
	printf '  %s\n' "$stray" >&2
	exit 1
fi
echo "static_names.sh: every global symbol of $(basename "$a") outside ${skip} is tern_*"
