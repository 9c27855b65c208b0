#!/usr/bin/env bash
# Install what tern needs from Debian's packages, only what is missing.
# Usage: scripts/deps.sh [build|test|bench]  (test and bench include build)
# As root it runs apt-get; otherwise it prints the exact apt-get line and fails.
set -euo pipefail

what=${1:-build}
pkgs=(meson ninja-build gcc pkg-config libnuma-dev libbsd-dev libcriterion-dev liblwip-dev python3)
pkgs+=(libxdp-dev libbpf-dev) # the af_xdp driver (optional in meson: skipped without them)
case "$what" in
build) ;;
test) pkgs+=(clang libclang-rt-14-dev valgrind cppcheck clang-tidy dpdk dpdk-dev
		iproute2 iputils-ping iputils-arping netcat-openbsd python3-scapy tshark ethtool iperf3) ;;
bench) pkgs+=(dpdk dpdk-dev) ;;
*) echo "deps.sh: unknown set '$what': use build, test or bench" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "tern needs these Debian packages; as root run: apt-get update && $line" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine may be empty or old: refresh them first.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
