#!/usr/bin/env bash
# meson test "install": stage `meson install`, build test/install/app.c
# against the staged headers and tern.pc only (shared and static), run both.
set -euo pipefail
build=${1:?build dir}
# A sanitizer build's libtern needs the application built with the same
# sanitizer (its runtime must come first).
san=${2:-none}
sanflags=()
[ "$san" != none ] && sanflags=(-fsanitize="$san")
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

eval "$("$src/stage.sh" "$build" "$work/stage")"
cflags=$(pkg-config --cflags tern)
case "$cflags" in
*"$work/stage"*) ;;
*) echo "install_test: pkg-config cflags '$cflags' do not point into the staged tree" >&2; exit 1 ;;
esac

# Every installed header on its own, as C11 and C++17 (gcc, clang, g++, clang++).
incdir=$(pkg-config --cflags-only-I tern | awk '{ sub(/^-I/, "", $1); print $1 }')
"$src/headers.sh" "$incdir"

cc -std=gnu11 -Wall -Werror "${sanflags[@]}" -o "$work/app" "$src/app.c" $(pkg-config --cflags --libs tern)
"$work/app"
cc -std=gnu11 -Wall -Werror "${sanflags[@]}" -o "$work/app-static" "$src/app.c" \
	$(pkg-config --cflags tern) $(pkg-config --static --libs tern | sed 's/-ltern\b/-l:libtern.a/')
ldd "$work/app-static" | grep -q libtern && { echo "install_test: app-static links libtern.so" >&2; exit 1; }
"$work/app-static"
echo "install test: shared and static builds against the installed tern work"
