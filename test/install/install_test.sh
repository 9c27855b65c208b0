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
# Nothing a host does not need: tern's headers need no libbsd overlay (a host
# with its own strlcpy would break on it).
case "$cflags" in
*bsd* | *LIBBSD*) echo "install_test: pkg-config --cflags tern adds libbsd: '$cflags'" >&2; exit 1 ;;
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

# A plugin in a statically linked host: refused with what to link with, or,
# linked with -rdynamic, working against the host's own tern.
mkdir "$work/loop"
cp "$src/../../examples/plugin/loop.c" "$src/../../examples/plugin/Makefile" "$work/loop/"
make -s -C "$work/loop" CC=cc CFLAGS="-O2 ${sanflags[*]}"
for how in plain rdynamic; do
	cc -std=gnu11 -Wall -Werror "${sanflags[@]}" $([ $how = rdynamic ] && echo -rdynamic) \
		-o "$work/sp-$how" "$src/static_plugin_host.c" $(pkg-config --cflags tern) \
		$(pkg-config --static --libs tern | sed 's/-ltern\b/-l:libtern.a/')
done
"$work/sp-plain" --no-huge -d "$work/loop/tern-plugin-loop.so" --vdev loop0 -- refuse \
	"link it with -rdynamic (-Wl,--export-dynamic), or with libtern.so" 2>/dev/null
"$work/sp-rdynamic" --no-huge -d "$work/loop/tern-plugin-loop.so" --vdev loop0 -- pass

# The C++ host, built outside the tree from the installed headers and tern.pc.
top=$(cd "$src/../.." && pwd)
c++ -std=c++17 -Wall -Wextra -pedantic -Werror "${sanflags[@]}" -o "$work/cpp-host" \
	"$top/examples/cpp/host.cpp" $(pkg-config --cflags --libs tern)
"$work/cpp-host" 0.2

# The Python host with the installed library, found by the dynamic loader
# (LD_LIBRARY_PATH from stage.sh), after checking that its ctypes mirror of
# struct tern_eal_config has the C layout. A sanitizer build cannot be
# dlopen()ed by an uninstrumented interpreter.
if [ "$san" = none ]; then
	cat >"$work/cfg_layout.c" <<'SRC'
#include <stddef.h>
#include <stdio.h>
#include <tern_eal.h>
#define F(f) printf("tern_eal_config.%s %zu\n", #f, offsetof(struct tern_eal_config, f))
int main(void)
{
	F(cores); F(pin_main); F(no_huge); F(mem_mb); F(socket_mem_mb); F(iova_mode);
	F(log_level); F(nb_pci); F(pci); F(nb_vdev); F(vdev); F(nb_plugins); F(plugins);
	F(log_fn); F(log_arg); F(nb_log_levels); F(log_levels);
	printf("tern_eal_config %zu\n", sizeof(struct tern_eal_config));
	return 0;
}
SRC
	cc -std=gnu11 -o "$work/cfg_layout" "$work/cfg_layout.c" $(pkg-config --cflags tern)
	if ! diff -u <("$work/cfg_layout") <(/usr/bin/python3 "$top/examples/python/tern_forward.py" --layout); then
		echo "install_test: examples/python's struct tern_eal_config differs from tern_eal.h (above)" >&2
		exit 1
	fi
	(cd "$work" && /usr/bin/python3 "$top/examples/python/tern_forward.py" --seconds 0.2)
fi
echo "install test: shared and static C builds, a C++ host and a Python host against the installed tern work"
