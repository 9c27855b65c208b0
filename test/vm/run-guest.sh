#!/usr/bin/env bash
# test/vm/run-guest.sh [--variant iommu|noiommu|sysfs] [options] -- COMMAND...
# Boot a tern test guest, run COMMAND chrooted in this machine's own root file
# system, print its output and exit with its status (125: the rig failed).
# See test/vm/README.md and --help. Prepares the cache first if needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/prepare.sh" --check 2>/dev/null || "$here/prepare.sh" >&2
exec python3 "$here/guest.py" "$@"
