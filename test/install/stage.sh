#!/usr/bin/env bash
# Install a tern build into a staging directory, as `meson install` would
# install it on a machine, and print the environment that makes pkg-config
# and the dynamic loader find the staged copy:
#
#   eval "$(test/install/stage.sh BUILD_DIR STAGE_DIR)"
#   cc app.c $(pkg-config --cflags --libs tern)
set -euo pipefail
build=${1:?usage: stage.sh BUILD_DIR STAGE_DIR}
stage=${2:?usage: stage.sh BUILD_DIR STAGE_DIR}
stage=$(mkdir -p "$stage" && cd "$stage" && pwd)

meson install -C "$build" --destdir "$stage" --no-rebuild --quiet >/dev/null

pc=$(find "$stage" -name tern.pc -path '*pkgconfig*' | head -n 1)
if [ -z "$pc" ]; then
	echo "stage.sh: meson install put no tern.pc under $stage" >&2
	exit 1
fi
libdir=$(dirname "$(dirname "$pc")")
echo "export PKG_CONFIG_PATH='$(dirname "$pc")'"
echo "export PKG_CONFIG_SYSROOT_DIR='$stage'"
echo "export LD_LIBRARY_PATH='$libdir'"
