#!/bin/sh
# test/vm/guest/wire.sh - inside a guest, the kernel side of test_vm.py's wire
# test: bridge the two NICs with the guest kernel's own virtio_net driver,
# say "ready" in the share, wait for the host's "traffic-done", then move the
# NICs to the user-space driver binding of the variant and check it:
#   iommu:   vfio-pci; /dev/vfio/GROUP appears; the device is usable (vfio_check.py)
#   noiommu: vfio-pci with no-IOMMU mode if the kernel has it (/dev/vfio/noiommu-N),
#            else uio_pci_generic (/dev/uioN)
#   sysfs:   nothing to bind (the NICs have no driver; they are not bridged either)
here=$(dirname "$0")
. "$here/lib.sh"
share=$TERN_VM_SHARE

if [ "$TERN_VM_VARIANT" != sysfs ]; then
	# No IPv6 chatter (router solicitations, MLD) out of the test ports.
	echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
	echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
	i0=$(netdev "$TERN_VM_NET0")
	i1=$(netdev "$TERN_VM_NET1")
	echo "bridging $i0 ($TERN_VM_NET0) and $i1 ($TERN_VM_NET1)"
	ip link add br0 type bridge stp_state 0 forward_delay 0 &&
		ip link set "$i0" master br0 && ip link set "$i1" master br0 &&
		ip link set "$i0" up && ip link set "$i1" up && ip link set br0 up ||
		{ fail "bridge setup"; finish; exit 1; }
	# The bridge forwards once both ports are in state forwarding.
	n=0
	until [ "$(cat /sys/class/net/"$i0"/brport/state)$(cat /sys/class/net/"$i1"/brport/state)" = 33 ]; do
		n=$((n + 1))
		[ $n -lt 100 ] || { fail "bridge ports never forwarding"; break; }
		sleep 0.1
	done
	ok "bridge up"
	echo ready >"$share/ready"
	if wait_file "$share/traffic-done" 300; then ok "host traffic done"; else fail "host never finished"; fi
	ip -s link show "$i0"
	ip -s link show "$i1"
	ip link del br0
fi

case "$TERN_VM_VARIANT" in
iommu)
	for a in $(nic_addrs); do
		check "$a bound to vfio-pci" bind "$a" vfio-pci
		g=$(basename "$(readlink "$(sysdev "$a")/iommu_group")")
		check "$a: /dev/vfio/$g appears" test -c "/dev/vfio/$g"
	done
	python3 "$here/vfio_check.py" $(nic_addrs) || fails=$((fails + 1))
	;;
noiommu)
	if [ -e /sys/module/vfio/parameters/enable_unsafe_noiommu_mode ]; then
		for a in $(nic_addrs); do
			check "$a bound to vfio-pci" bind "$a" vfio-pci
			g=$(basename "$(readlink "$(sysdev "$a")/iommu_group")")
			check "$a: /dev/vfio/noiommu-$g appears" test -c "/dev/vfio/noiommu-$g"
		done
		python3 "$here/vfio_check.py" $(nic_addrs) || fails=$((fails + 1))
	else
		echo "note: no vfio no-IOMMU mode in this kernel (CONFIG_VFIO_NOIOMMU unset)"
		a=$TERN_VM_NET0
		if bind "$a" vfio-pci 2>/dev/null; then
			fail "$a: vfio-pci took a device without an IOMMU"
		else
			ok "$a: vfio-pci refuses a device without an IOMMU group"
		fi
		echo >"$(sysdev "$a")/driver_override"
		for a in $(nic_addrs); do
			check "$a bound to uio_pci_generic" bind "$a" uio_pci_generic
			u=$(ls "$(sysdev "$a")/uio" 2>/dev/null | head -n 1)
			check "$a: /dev/$u appears" test -n "$u" -a -c "/dev/$u"
		done
	fi
	;;
sysfs)
	for a in $(nic_addrs); do
		check "$a still bound to no driver" test "$(driver "$a")" = none
	done
	;;
esac
finish
