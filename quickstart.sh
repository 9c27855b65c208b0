#!/usr/bin/env bash
# ./quickstart.sh - install what is missing, build tern, and forward packets
# between two null ports with tern-l2fwd for 5 seconds, printing Mpps.
set -euo pipefail
cd "$(dirname "$0")"

scripts/deps.sh build
if [ ! -f build/build.ninja ]; then
	meson setup build -Dbuildtype=release >/dev/null
fi
ninja -C build >/dev/null
echo "built tern in build/"
echo
echo "+ build/examples/l2fwd/tern-l2fwd --no-huge -l 0-1 --vdev null0 --vdev null1 -- --duration 5"
exec build/examples/l2fwd/tern-l2fwd --no-huge -l 0-1 --vdev null0 --vdev null1 -- --duration 5
