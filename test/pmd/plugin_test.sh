#!/usr/bin/env bash
# An out-of-tree driver, end to end: install tern into a staging tree, build
# examples/plugin against it with nothing but pkg-config, and load it into a
# host program with -d. Then two broken plugins (wrong ABI, no descriptor
# symbol) and a missing file must each be refused with their own message.
#
#   plugin_test.sh SOURCE_ROOT BUILD_ROOT PLUGIN_HOST
set -euo pipefail
src=${1:?usage: plugin_test.sh SOURCE_ROOT BUILD_ROOT PLUGIN_HOST}
build=${2:?}
host=${3:?}
tmp=$(mktemp -d /tmp/tern-plugin-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

eval "$("$src/test/install/stage.sh" "$build" "$tmp/stage")"

# The example, built where it would be out of tree: a copy, with its Makefile.
mkdir "$tmp/loop"
cp "$src/examples/plugin/loop.c" "$src/examples/plugin/Makefile" "$tmp/loop/"
make -s -C "$tmp/loop" CFLAGS="-O2 -Werror"
so="$tmp/loop/tern-plugin-loop.so"
test -f "$so"

cc_plugin() { # OUT.so C-SOURCE
	printf '%s\n' "$2" >"$tmp/p.c"
	cc -std=gnu11 -fPIC -shared -fvisibility=hidden -o "$1" "$tmp/p.c" \
		$(pkg-config --cflags --libs tern)
}
cc_plugin "$tmp/bad-abi.so" '#include <tern_driver.h>
static int probe(const char *n, const char *a, struct tern_port_dev **d)
{ (void)n; (void)a; (void)d; return -1; }
static const struct tern_driver drv = { .abi_version = TERN_DRIVER_ABI_VERSION + 41,
	.name = "badabi", .bus = TERN_BUS_VDEV, .probe = probe };
TERN_PLUGIN_DRIVER(drv);'
# Built against the previous header set (ABI 2: before the driver SDK).
cc_plugin "$tmp/old-abi.so" '#include <tern_driver.h>
static int probe(const char *n, const char *a, struct tern_port_dev **d)
{ (void)n; (void)a; (void)d; return -1; }
static const struct tern_driver drv = { .abi_version = 2,
	.name = "oldabi", .bus = TERN_BUS_VDEV, .probe = probe };
TERN_PLUGIN_DRIVER(drv);'
cc_plugin "$tmp/no-symbol.so" '#include <tern_driver.h>
__attribute__((visibility("default"))) int not_a_driver = 1;'
cc_plugin "$tmp/null-clash.so" '#include <tern_driver.h>
static int probe(const char *n, const char *a, struct tern_port_dev **d)
{ (void)n; (void)a; (void)d; return -1; }
static const struct tern_driver drv = { .abi_version = TERN_DRIVER_ABI_VERSION,
	.name = "null", .bus = TERN_BUS_VDEV, .probe = probe };
TERN_PLUGIN_DRIVER(drv);'

"$host" -d "$so" --vdev loop0 -- pass
# A directory loads every *.so in it.
mkdir "$tmp/dir" && cp "$so" "$tmp/dir/"
"$host" -d "$tmp/dir" --vdev loop0 -- pass

abi=$(printf '#include <tern_driver.h>\nTERN_DRIVER_ABI_VERSION\n' |
	cc -E -P $(pkg-config --cflags tern) - | tail -n 1)
"$host" -d "$tmp/bad-abi.so" --vdev null0 -- refuse \
	"bad-abi.so was built for driver ABI $((abi + 41)), this tern has ABI $abi: rebuild it against this tern's headers"
"$host" -d "$tmp/old-abi.so" --vdev null0 -- refuse \
	"old-abi.so was built for driver ABI 2, this tern has ABI $abi: rebuild it against this tern's headers"
test "$abi" -gt 2
"$host" -d "$tmp/no-symbol.so" --vdev null0 -- refuse \
	"no-symbol.so exports no 'tern_plugin_driver': is it a tern driver built with TERN_PLUGIN_DRIVER()?"
"$host" -d "$tmp/null-clash.so" --vdev null0 -- refuse \
	"driver name 'null' is already taken by a built-in driver"
"$host" -d "$tmp/missing.so" --vdev null0 -- refuse "missing.so: No such file or directory"
# Without -d the loop driver is unknown.
"$host" --vdev loop0 -- refuse "no driver for --vdev loop0: known drivers are null"
echo "plugin_test: ok"
