#!/bin/sh
# test/vm/guest/checks.sh - inside a guest: what the rig and the variant
# ($TERN_VM_VARIANT) promise. One line per check; exit 1 if any failed.
here=$(dirname "$0")
. "$here/lib.sh"

echo "guest: $(uname -r), variant $TERN_VM_VARIANT, NICs $(nic_addrs)"
# The chroot: the host's own files, read-only; private writable places.
check "kernel is Debian's 6.1" sh -c 'uname -r | grep -q "^6\.1\..*-amd64$"'
check "host root is the chroot (this script is visible)" test -f "$here/checks.sh"
check "host root is read-only" sh -c '! touch /.tern-vm-rw-probe 2>/dev/null'
check "/tmp is writable" sh -c 'echo x >/tmp/probe && rm /tmp/probe'
check "the share is writable" sh -c 'echo x >"$TERN_VM_SHARE/probe" && rm "$TERN_VM_SHARE/probe"'
check "/proc is the guest's" sh -c 'grep -q "^tern-guest$" /proc/sys/kernel/hostname'
check "hugepages reserved" sh -c '[ "$(awk "/HugePages_Total/ {print \$2}" /proc/meminfo)" -gt 0 ]'
check "/dev/hugepages is hugetlbfs" sh -c 'grep -q " /dev/hugepages hugetlbfs " /proc/mounts'
check "python3 runs" python3 -c 'import sys; sys.exit(0)'
check "dpdk-testpmd is there" test -x /usr/bin/dpdk-testpmd
# What binaries built for the guest may use (README: build for x86-64-v3).
check "CPU is x86-64-v3 (AVX2, FMA, BMI2, MOVBE)" sh -c \
	'/lib64/ld-linux-x86-64.so.2 --help | grep -q "x86-64-v3 (supported"'
grep -qw avx512f /proc/cpuinfo && echo "note: AVX-512 available" || echo "note: no AVX-512 in this guest CPU"

for a in $(nic_addrs); do
	d=$(sysdev "$a")
	check "$a exists" test -d "$d"
	check "$a is a virtio device (1af4)" grep -qx 0x1af4 "$d/vendor"
	dev=$(cat "$d/device" 2>/dev/null)
	case "$TERN_VM_VARIANT" in
	iommu)
		check "$a is modern-only (1041)" test "$dev" = 0x1041
		check "$a has no I/O BAR (no resource0)" test ! -e "$d/resource0"
		check "$a has an IOMMU group" test -e "$d/iommu_group"
		check "$a is bound to virtio-pci" test "$(driver "$a")" = virtio-pci
		check "$a has a kernel netdev" test -n "$(netdev "$a")"
		check "$a is PCIe with ATS (ext. capability 0x000f)" python3 -c "
import struct, sys
c = open('$d/config', 'rb').read()
pos = 0x100
while 0x100 <= pos < len(c) - 4:
    h, = struct.unpack_from('<I', c, pos)
    if h & 0xffff == 0x000f: sys.exit(0)
    pos = h >> 20
sys.exit(1)"
		;;
	noiommu)
		check "$a is transitional (1000)" test "$dev" = 0x1000
		check "$a has an I/O BAR (resource0)" test -e "$d/resource0"
		check "$a has no IOMMU group" test ! -e "$d/iommu_group"
		check "$a is bound to virtio-pci" test "$(driver "$a")" = virtio-pci
		check "$a has a kernel netdev" test -n "$(netdev "$a")"
		;;
	sysfs)
		check "$a is transitional (1000)" test "$dev" = 0x1000
		check "$a is bound to no driver" test "$(driver "$a")" = none
		for r in resource0 resource1 resource4; do
			check "$a has $r" test -e "$d/$r"
		done
		;;
	esac
done
case "$TERN_VM_VARIANT" in
iommu)
	check "DMAR (intel-iommu) is active" sh -c 'ls /sys/class/iommu | grep -q dmar'
	check "the NICs are in different IOMMU groups" test \
		"$(readlink "$(sysdev "$TERN_VM_NET0")/iommu_group")" != \
		"$(readlink "$(sysdev "$TERN_VM_NET1")/iommu_group")"
	check "vfio type1 is loaded" test -d /sys/module/vfio_iommu_type1
	;;
noiommu)
	check "no IOMMU" sh -c '[ -z "$(ls /sys/class/iommu 2>/dev/null)" ]'
	if [ -e /sys/module/vfio/parameters/enable_unsafe_noiommu_mode ]; then
		check "vfio no-IOMMU mode is on" grep -q Y /sys/module/vfio/parameters/enable_unsafe_noiommu_mode
	else
		echo "note: this kernel's vfio has no no-IOMMU mode (CONFIG_VFIO_NOIOMMU unset); uio_pci_generic is the VFIO-less path"
	fi
	;;
sysfs)
	# Read the MAC through the BARs, from user space, with no driver at all.
	python3 "$here/virtio_bars.py" "$TERN_VM_NET0" 52:54:00:7e:00:00 \
		"$TERN_VM_NET1" 52:54:00:7e:00:01 || fails=$((fails + 1))
	;;
esac
finish
