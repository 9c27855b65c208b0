#!/usr/bin/env bash
# headers.sh INCLUDE_DIR: every installed public header compiles on its own
# as C11 (gcc and clang, -pedantic) and as C++17 (g++ and clang++), with
# -Wall -Wextra -pedantic -Werror, and the structs C and C++ share have the
# same size and field offsets in both languages.
set -euo pipefail
inc=${1:?usage: headers.sh INCLUDE_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
warn=(-Wall -Wextra -pedantic -Werror)
compilers=("gcc -x c -std=c11" "clang -x c -std=c11" "g++ -x c++ -std=c++17" "clang++ -x c++ -std=c++17")
fail=0
n=0
for h in "$inc"/tern_*.h; do
	case "$h" in *_pvt.h) continue ;; esac # included by their header only
	b=$(basename "$h")
	printf '#include <%s>\n' "$b" >"$work/one.src"
	for c in "${compilers[@]}"; do
		if ! $c "${warn[@]}" -I"$inc" -fsyntax-only "$work/one.src" 2>"$work/err"; then
			echo "headers.sh: $b does not compile on its own with '$c ${warn[*]}':" >&2
			head -n 8 "$work/err" >&2
			fail=1
		fi
		n=$((n + 1))
	done
done
[ "$n" -gt 0 ] || { echo "headers.sh: no tern_*.h in $inc" >&2; exit 1; }

# The layout of what the library and a C++ host both touch.
cat >"$work/layout.src" <<'SRC'
#include <stddef.h>
#include <stdio.h>
#include <tern_driver.h>
#include <tern_mempool.h>
#include <tern_pkt.h>
#include <tern_ring.h>
#define L(t, f) printf("%s.%s %zu\n", #t, #f, (size_t)offsetof(struct t, f))
int main(void)
{
	printf("tern_pkt %zu\ntern_mempool %zu\ntern_mempool_cache %zu\ntern_ring %zu\n",
	       sizeof(struct tern_pkt), sizeof(struct tern_mempool),
	       sizeof(struct tern_mempool_cache), sizeof(struct tern_ring));
	L(tern_pkt, refcnt); L(tern_pkt, pool); L(tern_mempool_cache, len);
	L(tern_mempool_cache, objs); L(tern_mempool, local_cache); L(tern_ring, prod_tail);
	L(tern_ring, cons); L(tern_ring, cons_tail); L(tern_ring, slots);
	L(tern_port_fp, txq); L(tern_port_dev, rx_burst);
	return 0;
}
SRC
gcc -x c -std=gnu11 -I"$inc" -o "$work/layout-c" "$work/layout.src"
g++ -x c++ -std=c++17 -Wno-invalid-offsetof -I"$inc" -o "$work/layout-cxx" "$work/layout.src"
"$work/layout-c" >"$work/c.txt"
"$work/layout-cxx" >"$work/cxx.txt"
if ! diff -u "$work/c.txt" "$work/cxx.txt" >&2; then
	echo "headers.sh: struct layouts differ between C and C++ (above)" >&2
	fail=1
fi
[ "$fail" = 0 ] || exit 1
echo "headers.sh: $((n / 4)) headers compile alone as C11 (gcc, clang) and C++17 (g++, clang++); C and C++ layouts agree"
