#!/usr/bin/env bash
# virtio_user_l2fwd.sh BUILD_DIR - tern-l2fwd on two virtio_user ports,
# joined through one DPDK vhost peer (dpdk-testpmd, two net_vhost ports, io
# forwarding, --tx-first as the traffic source): the frames testpmd sends
# circle through tern's two ports for a few seconds. Checks that both ports
# forwarded, none were dropped, and `buffers: N/N returned`.
# Skips (77) without root, free hugepages or dpdk-testpmd.
set -u
build=${1:?usage: virtio_user_l2fwd.sh BUILD_DIR}
# tern-l2fwd's rings and pool need about 16 free 2 MiB hugepages; testpmd runs --no-huge.
[ "$(id -u)" = 0 ] && command -v dpdk-testpmd >/dev/null &&
	[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)" -ge 16 ] ||
	{ echo "skip: needs root, 16 free 2 MiB hugepages, dpdk-testpmd"; exit 77; }
d=$(mktemp -d /tmp/virtio-l2fwd-XXXXXX)
tp=
cleanup() {
	[ -n "$tp" ] && kill "$tp" 2>/dev/null && wait "$tp" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
# stdin is a fifo this script holds open (fd 4): testpmd exits on its EOF or when killed.
mkfifo "$d/stdin"
dpdk-testpmd -l 0-1 --no-huge -m 256 --file-prefix "virtio-l2fwd-$$" --no-pci \
	--vdev "net_vhost0,iface=$d/s0" --vdev "net_vhost1,iface=$d/s1" --log-level '*:error' \
	-- --auto-start --forward-mode=io --tx-first --nb-cores=1 --total-num-mbufs=4096 \
	<"$d/stdin" >"$d/testpmd.log" 2>&1 &
tp=$!
exec 4>"$d/stdin"
for _ in $(seq 300); do [ -S "$d/s1" ] && break; sleep 0.1; done
[ -S "$d/s1" ] || { echo "FAIL: dpdk-testpmd made no socket"; cat "$d/testpmd.log"; exit 1; }
"$build/examples/l2fwd/tern-l2fwd" -l 1 --vdev "virtio_user0,path=$d/s0" \
	--vdev "virtio_user1,path=$d/s1" -- -q 2 --duration 3 >"$d/l2fwd.log" 2>&1
rc=$?
cat "$d/l2fwd.log"
[ $rc = 0 ] || { echo "FAIL: tern-l2fwd exit $rc"; exit 1; }
for p in 0 1; do
	rx=$(sed -n "s/^port $p: rx \([0-9]*\) pkts.*/\1/p" "$d/l2fwd.log")
	[ "${rx:-0}" -gt 0 ] || { echo "FAIL: port $p forwarded nothing"; exit 1; }
	grep -Eq "^port $p: .*dropped 0( |$)" "$d/l2fwd.log" || { echo "FAIL: port $p dropped frames"; exit 1; }
done
line=$(grep '^buffers: ' "$d/l2fwd.log")
n=${line#buffers: }; a=${n%/*}; t=${n#*/}; t=${t%% *}
[ -n "$a" ] && [ "$a" = "$t" ] || { echo "FAIL: $line"; exit 1; }
echo "PASS: $line"
