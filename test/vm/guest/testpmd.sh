#!/bin/sh
# test/vm/guest/testpmd.sh - inside a guest: Debian's dpdk-testpmd
# as a reference user-space virtio PMD on the two NICs, io forwarding
# (port 0 <-> port 1). What tern's virtio driver will be held against.
#   iommu:   NICs on vfio-pci, IOVA as VA (VFIO type1)
#   noiommu: NICs on uio_pci_generic, IOVA as PA, legacy virtio (I/O BAR)
# Says "ready" in the share once testpmd forwards, stops when the host
# touches "traffic-done" (or after 200 s), prints testpmd's statistics.
here=$(dirname "$0")
. "$here/lib.sh"
share=$TERN_VM_SHARE
case "$TERN_VM_VARIANT" in
iommu) drv=vfio-pci iova=va ;;
noiommu) drv=uio_pci_generic iova=pa ;;
*) echo "testpmd.sh: no user-space binding in variant $TERN_VM_VARIANT"; exit 2 ;;
esac
for a in $(nic_addrs); do
	check "$a bound to $drv" bind "$a" "$drv"
done
[ "$fails" -eq 0 ] || { finish; exit 1; }

log=$share/testpmd.log # live on the host too
mkfifo /tmp/testpmd.in
# stdin held open by the fifo until we write to it: testpmd quits at EOF.
# stdbuf: testpmd printf()s its progress; block-buffered into a file, the
# "Press enter to exit" we wait for would only appear at exit.
# With one vCPU both lcores share it: the main one sleeps in read(stdin).
if [ "$(nproc)" -ge 2 ]; then lcores=0,1; else lcores=0@0,1@0; fi
stdbuf -oL dpdk-testpmd --lcores "$lcores" -n 1 --file-prefix vm --iova-mode=$iova \
	-a "$TERN_VM_NET0" -a "$TERN_VM_NET1" -- \
	--forward-mode=io --auto-start --disable-link-check --total-num-mbufs=4096 --txd=256 --rxd=256 \
	</tmp/testpmd.in > "$log" 2>&1 &
pid=$!
exec 3>/tmp/testpmd.in
n=0
until grep -q "Press enter to exit" "$log"; do
	n=$((n + 1))
	if [ $n -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
		cat "$log"
		fail "testpmd did not start"
		finish
		exit 1
	fi
	sleep 0.1
done
ok "testpmd forwarding"
echo ready >"$share/ready"
wait_file "$share/traffic-done" 200 || fail "host never finished"
echo >&3
exec 3>&-
wait $pid
rc=$?
sed -n '/Forward statistics for port 0/,$p' "$log"
check "testpmd exited cleanly" test "$rc" -eq 0
finish
