#!/bin/sh
# test/pci/vm/pci_vm.sh PCI_GUEST TERN_DEVBIND [48] - inside a test guest: the
# PCI access path of the variant ($TERN_VM_VARIANT), end to end.
#   iommu:   tern-devbind refuses an up interface, binds both NICs to vfio-pci,
#            pci_guest opens them through VFIO type1 (IOVA = VA with a 48-bit
#            IOMMU, PA with QEMU's default 39-bit one), other paths
#            are refused with their one line, --restore gives them back.
#   noiommu: vfio no-IOMMU if the kernel has it; Debian's 6.1 does not
#            (CONFIG_VFIO_NOIOMMU unset): then vfio-pci's refusal and tern's
#            line are checked, and the transitional NICs go through sysfs
#            (legacy I/O BAR, IOVA = PA), and back to virtio-pci.
#   sysfs:   the NICs have no driver: pci_guest through sysfs (IOVA = PA).
. "$TERN_VM_TOP/test/vm/guest/lib.sh"
pg=$1
devbind=$2
aw=${3:-} # "48": the guest's intel-iommu was given aw-bits=48
n0=$TERN_VM_NET0
n1=$TERN_VM_NET1
ifname() { basename "$(netdev "$1")"; }

# run DESCRIPTION COMMAND...: like check, but shows the command's output.
run() {
	_desc=$1
	shift
	if "$@"; then ok "$_desc"; else fail "$_desc"; fi
}

# refuse_up ADDR: with its interface up, tern-devbind refuses to take it.
refuse_up() {
	i=$(ifname "$1")
	ip link set "$i" up
	out=$("$devbind" --unbind "$1" 2>&1)
	rc=$?
	echo "  $out"
	check "tern-devbind refuses $1 while $i is up" test $rc = 1
	check "... and says why in one line" sh -c "echo '$out' | grep -q 'its interface $i is up' && [ \$(echo '$out' | wc -l) = 1 ]"
	check "$1 is still bound to virtio-pci" test "$(driver "$1")" = virtio-pci
	ip link set "$i" down
}

restore_both() {
	for a in $n0 $n1; do
		run "tern-devbind --restore $a" "$devbind" --restore "$a"
		check "$a is back on virtio-pci" test "$(driver "$a")" = virtio-pci
		check "$a has its netdev again" test -n "$(netdev "$a")"
	done
}

echo "variant $TERN_VM_VARIANT, NICs $n0 $n1"
"$devbind" --status
case "$TERN_VM_VARIANT" in
iommu)
	refuse_up "$n0"
	for a in $n0 $n1; do
		run "tern-devbind --bind vfio-pci $a" "$devbind" --bind vfio-pci "$a"
	done
	"$devbind" --status
	if [ "$aw" = 48 ]; then
		run "pci_guest through VFIO type1, 48-bit IOMMU: IOVA = VA" "$pg" --expect-iova va \
			--expect-ats "$n0" "$n1"
	else
		# QEMU's intel-iommu translates 39 bits by default: user VAs (47 bits) do not fit.
		run "pci_guest through VFIO type1, 39-bit IOMMU: IOVA = PA" "$pg" --expect-iova pa "$n0" "$n1"
		run "IOVA mode va refused for a 39-bit IOMMU" "$pg" --iova va \
			--expect-fail "translates 39-bit addresses" "$n0"
	fi
	run "the IOMMU stops DMA to an IOVA tern did not map" "$pg" --unmapped-iova "$n1"
	run "an unprivileged user is told about /dev/vfio/N" setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$pg" --no-eal --expect-fail "permission denied on /dev/vfio/" "$n0"
	run "access=sysfs refused on a vfio-pci device" "$pg" --access sysfs --iova pa \
		--expect-fail "bound to the kernel driver vfio-pci" "$n0"
	run "access=noiommu refused behind an IOMMU" "$pg" --access noiommu --iova pa \
		--expect-fail "is behind an IOMMU" "$n0"
	run "iova va with the device open: fine; pa with type1: fine too" "$pg" --iova pa "$n1"
	restore_both
	;;
noiommu)
	if [ -e /sys/module/vfio/parameters/enable_unsafe_noiommu_mode ]; then
		for a in $n0 $n1; do
			run "tern-devbind --bind vfio-pci $a" "$devbind" --bind vfio-pci "$a"
		done
		run "pci_guest through VFIO no-IOMMU, IOVA = PA" "$pg" --access noiommu --iova pa "$n0" "$n1"
		restore_both
	else
		echo "note: this kernel's vfio has no no-IOMMU mode (CONFIG_VFIO_NOIOMMU unset)"
		out=$("$devbind" --bind vfio-pci "$n0" 2>&1)
		echo "  $out"
		check "vfio-pci does not take a device without an IOMMU group" sh -c "echo '$out' | grep -q 'did not take it'"
		run "tern-devbind --restore $n0 after the failed bind" "$devbind" --restore "$n0"
		check "$n0 is back on virtio-pci" test "$(driver "$n0")" = virtio-pci
		run "access=noiommu on a device vfio-pci does not hold: one line" "$pg" \
			--access noiommu --iova pa --expect-fail "use tools/tern-devbind --bind vfio-pci $n0" "$n0"
	fi
	# The same transitional NICs through sysfs: legacy I/O BAR, physical addresses.
	refuse_up "$n0"
	for a in $n0 $n1; do
		run "tern-devbind --unbind $a" "$devbind" --unbind "$a"
	done
	run "pci_guest through sysfs, IOVA = PA" "$pg" --access sysfs --iova pa "$n0" "$n1"
	run "IOVA mode va refused for the sysfs path" "$pg" --iova va \
		--expect-fail "needs physical addresses" "$n0"
	restore_both
	;;
sysfs)
	run "pci_guest through sysfs (auto), IOVA = PA" "$pg" --iova pa "$n0" "$n1"
	run "an unprivileged user is told the sysfs path needs root" setpriv --reuid=65534 \
		--regid=65534 --clear-groups "$pg" --no-eal --expect-fail "the sysfs path needs root" "$n0"
	run "IOVA mode va refused for the sysfs path" "$pg" --iova va \
		--expect-fail "needs physical addresses" "$n0"
	run "access=vfio on an unbound device: one line" "$pg" --access vfio \
		--expect-fail "bound to no driver" "$n0"
	;;
esac
finish
