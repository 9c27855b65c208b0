#!/usr/bin/env bash
# test/vm/prepare.sh - make this machine ready to boot tern's test guests.
#
# Idempotent. Installs (as root, with apt-get, only if missing) qemu-system-x86,
# busybox-static and python3; downloads Debian's stock kernel package into the
# cache and unpacks it there. Nothing here is ever committed: the cache is
# $TERN_VM_CACHE (default <repo>/.vm-cache, git-ignored).
#
#   test/vm/prepare.sh            prepare; prints the kernel version in use
#   test/vm/prepare.sh --check    exit 0 if ready, 77 (meson "skip") if not, no changes
#
# The initramfs is not built here: test/vm/guest.py builds it on demand (it is
# cheap, and depends on test/vm/init.sh, which changes with the rig).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${TERN_VM_CACHE:-$top/.vm-cache}
check=0
case "${1:-}" in
--check) check=1 ;;
"") ;;
*) echo "prepare.sh: unknown option '$1'" >&2; exit 2 ;;
esac

need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
# The initramfs needs a static busybox at /bin/busybox (what busybox-static installs).
dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
	need_pkgs+=(busybox-static)
command -v python3 >/dev/null || need_pkgs+=(python3)

kdir=$cache/kernel
ready() {
	[ ${#need_pkgs[@]} -eq 0 ] && [ -f "$kdir/version" ] &&
		[ -f "$kdir/root/boot/vmlinuz-$(cat "$kdir/version")" ]
}

if [ $check = 1 ]; then
	if ready; then exit 0; fi
	echo "vm rig not prepared: run test/vm/prepare.sh (missing: ${need_pkgs[*]:-} ${kdir})" >&2
	exit 77
fi

# Tests running in parallel may all call this at once: one at a time.
mkdir -p "$cache"
exec 9>"$cache/.prepare.lock"
flock 9

if [ ${#need_pkgs[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "prepare.sh: need root to install ${need_pkgs[*]}" >&2; exit 1; }
	echo "prepare.sh: installing ${need_pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null ||
		{ apt-get update -qq && apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null; }
fi

# The kernel: linux-image-amd64 is a meta package; its Depends names the real one.
if [ ! -f "$kdir/version" ]; then
	mkdir -p "$cache/debs"
	tmp=$(mktemp -d "$cache/kernel.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cd "$cache/debs"
	# (apt-get download as root warns that _apt cannot write here: harmless.)
	apt-get download linux-image-amd64 >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get download linux-image-amd64 >/dev/null 2>&1; }
	meta=$(ls -t linux-image-amd64_*.deb | head -n 1)
	real=$(dpkg-deb -f "$meta" Depends | tr ',|' '\n\n' | sed -n 's/^ *\(linux-image-6\.1[^ ]*-amd64\).*/\1/p' | head -n 1)
	[ -n "$real" ] || { echo "prepare.sh: cannot find the kernel package in $meta's Depends" >&2; exit 1; }
	ls "$real"_*.deb >/dev/null 2>&1 || apt-get download "$real" >/dev/null 2>&1
	deb=$(ls -t "$real"_*.deb | head -n 1)
	echo "prepare.sh: unpacking $deb"
	dpkg-deb -x "$deb" "$tmp/root"
	ver=${real#linux-image-}
	[ -f "$tmp/root/boot/vmlinuz-$ver" ] || { echo "prepare.sh: no vmlinuz-$ver in $deb" >&2; exit 1; }
	# Keep only what the rig uses: the kernel, its config and the module tree.
	rm -rf "$tmp/root/usr" "$tmp/root/etc"
	echo "$ver" >"$tmp/version"
	rm -rf "$kdir"
	mv "$tmp" "$kdir"
	trap - EXIT
fi
echo "prepare.sh: ready, kernel $(cat "$kdir/version") in $kdir"
