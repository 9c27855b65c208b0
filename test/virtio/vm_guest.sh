#!/bin/sh
# test/virtio/vm_guest.sh BUILD TERN_DEVBIND - inside a test guest: tern's
# virtio PMD on the two NICs, one application after the other, each driven
# by the host (vm_virtio.py) through files in the share:
#   l2fwd      tern-l2fwd, frames forwarded untouched
#   l2fwd-mac  tern-l2fwd --mac-updating
#   echo       tern-echo --ip 10.0.0.2/24 on port 0
#   testpmd    Debian's dpdk-testpmd, io forwarding (the cross-check)
# For each: the guest writes NAME.ready once the app runs, the host sends
# its traffic and writes NAME.done, the guest stops the app with SIGINT and
# prints its output. Binding per variant:
#   iommu:   vfio-pci (VFIO type1), modern interface
#   noiommu: no driver (sysfs: Debian has no VFIO no-IOMMU), legacy=1: the
#            legacy interface of the transitional NICs (I/O BAR 0)
#   sysfs:   no driver (sysfs), modern interface, IOVA = PA
# testpmd needs vfio-pci or a UIO driver: uio_pci_generic outside iommu.
. "$TERN_VM_TOP/test/vm/guest/lib.sh"
build=$1
devbind=$2
share=$TERN_VM_SHARE
n0=$TERN_VM_NET0
n1=$TERN_VM_NET1
case "$TERN_VM_VARIANT" in
iommu) bindargs="--bind vfio-pci" dargs="" pmd_drv=vfio-pci iova=va ;;
noiommu) bindargs="--unbind" dargs=",legacy=1" pmd_drv=uio_pci_generic iova=pa ;;
*) bindargs="--unbind" dargs="" pmd_drv=uio_pci_generic iova=pa ;;
esac

for a in $n0 $n1; do
	check "tern-devbind $bindargs $a" "$devbind" $bindargs "$a"
done
"$devbind" --status

# say NAME WORD: NAME.ready holding WORD, whole when it appears (the host polls for it).
say() {
	echo "$2" >"$share/$1.ready.tmp" && mv "$share/$1.ready.tmp" "$share/$1.ready"
}

# phase NAME PATTERN COMMAND...: run it until the host says NAME.done.
phase() {
	name=$1
	pattern=$2
	shift 2
	log=/tmp/$name.log
	mkfifo /tmp/$name.in
	stdbuf -oL -eL "$@" </tmp/$name.in >"$log" 2>&1 &
	pid=$!
	exec 3>/tmp/$name.in # stdin held open (testpmd quits at end of file)
	n=0
	until grep -q "$pattern" "$log"; do
		n=$((n + 1))
		if [ $n -gt 1200 ] || ! kill -0 $pid 2>/dev/null; then
			cat "$log"
			fail "$name did not start"
			say "$name" failed
			exec 3>&-
			return 1
		fi
		sleep 0.1
	done
	say "$name" ready
	wait_file "$share/$name.done" 200 || fail "$name: the host never finished"
	case "$name" in
	testpmd) echo >&3 ;;
	*) kill -INT $pid ;;
	esac
	exec 3>&-
	wait $pid
	rc=$?
	echo "---- $name output"
	case "$name" in
	testpmd) sed -n '/Forward statistics for port 0/,$p' "$log" ;;
	*) cat "$log" ;;
	esac
	check "$name exited with 0" test $rc -eq 0
	cp "$log" "$share/$name.log"
}

eal="-l 0 -a $n0$dargs -a $n1$dargs --log-level virtio:info"
phase l2fwd "tern-l2fwd: rtc mode" "$build/examples/l2fwd/tern-l2fwd" $eal -- -T 0 -q 2
phase l2fwd-mac "tern-l2fwd: rtc mode" "$build/examples/l2fwd/tern-l2fwd" $eal -- -T 0 -q 2 \
	--mac-updating
phase echo "UDP and TCP echo on port 7" "$build/examples/echo/tern-echo" \
	-l 0 -a "$n0$dargs" -- --ip 10.0.0.2/24

for a in $n0 $n1; do
	check "$a bound to $pmd_drv for testpmd" bind "$a" "$pmd_drv"
done
if [ "$(nproc)" -ge 2 ]; then lcores=0,1; else lcores=0@0,1@0; fi
phase testpmd "Press enter to exit" dpdk-testpmd --lcores "$lcores" -n 1 --file-prefix vtest \
	--iova-mode=$iova -a "$n0" -a "$n1" -- --forward-mode=io --auto-start \
	--disable-link-check --total-num-mbufs=4096 --txd=256 --rxd=256
finish
