# test/vm/guest/lib.sh - helpers for scripts that run inside a test guest
# (sourced by POSIX sh in the chroot; $TERN_VM_* come from the guest's init).
fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...
	_desc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$_desc"; else fail "$_desc"; fi
}
finish() {
	if [ "$fails" -eq 0 ]; then echo "all checks passed"; return 0; fi
	echo "$fails check(s) failed"
	return 1
}
nic_addrs() { echo "$TERN_VM_NET0 $TERN_VM_NET1"; }
sysdev() { echo "/sys/bus/pci/devices/$1"; }
# driver ADDR: name of the bound driver, or "none"
driver() {
	if [ -e "$(sysdev "$1")/driver" ]; then basename "$(readlink "$(sysdev "$1")/driver")"; else echo none; fi
}
# netdev ADDR: the kernel interface of a NIC bound to virtio-pci + virtio_net
netdev() { ls "$(sysdev "$1")"/virtio*/net 2>/dev/null | head -n 1; }
# bind ADDR DRIVER: move a device (of this guest) to DRIVER via driver_override
bind() {
	_d=$(sysdev "$1")
	if [ -e "$_d/driver" ]; then echo "$1" >"$_d/driver/unbind" || return 1; fi
	echo "$2" >"$_d/driver_override" || return 1
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null
	[ "$(driver "$1")" = "$2" ]
}
# wait_file PATH SECONDS
wait_file() {
	n=0
	while [ ! -e "$1" ]; do
		n=$((n + 1))
		[ "$n" -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}
