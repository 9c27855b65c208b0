#!/bin/busybox sh
# test/vm/init.sh - /init of tern's test guests (busybox ash, PID 1).
#
# 1. proc/sys/dev; insmod the modules listed in /lib/tern-mods/load.list, in
#    that (dependency) order, with any MOD.param=value found on the kernel
#    command line (what modprobe would do);
# 2. mounts the host's / (9p tag hostroot, read-only) on /host and the
#    writable share (9p tag tern-share) on /share, reads /share/guest.env;
# 3. inside /host: proc, sys, devtmpfs, devpts, hugetlbfs, tmpfs /tmp /run
#    /dev/shm, and the share bind-mounted at its own host path;
# 4. chroot /host, run $TERN_VM_SHARE/cmd.sh with output to
#    $TERN_VM_SHARE/output, write the exit status to $TERN_VM_SHARE/status;
# 5. poweroff -f. Any failure in here also powers off: the host sees no
#    status file and reports the console log.
#
# Kernel command line words read here:
#   tern.unbind=ADDR[,ADDR]  keep these PCI devices away from every driver
#                            (driver_override before the modules load)
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

log() { echo "tern-init: $*" >/dev/console; }
die() {
	log "FATAL: $*"
	[ -d /share/. ] && echo "init: $*" >>/share/init-error
	sync
	poweroff -f
	sleep 10
}

cmdline=$(cat /proc/cmdline)
for w in $cmdline; do
	case "$w" in
	tern.unbind=*)
		for a in $(echo "${w#tern.unbind=}" | tr , ' '); do
			# No driver is called this: the device stays unbound.
			echo tern-none >"/sys/bus/pci/devices/$a/driver_override" ||
				die "cannot set driver_override of $a"
		done ;;
	esac
done

# Modules, in the order the host resolved from their 'depends' fields.
while read -r mod; do
	[ -n "$mod" ] || continue
	args=
	# shellcheck disable=SC3060 # busybox ash has ${//}
	dashed=${mod//_/-} # no forks in this loop: each costs ~0.1 s under TCG
	for w in $cmdline; do
		case "$w" in
		"$mod".*=* | "$dashed".*=*) args="$args ${w#*.}" ;;
		esac
	done
	echo "tern-init: insmod $mod$args" >/dev/kmsg # timestamps in dmesg
	# shellcheck disable=SC2086
	insmod "/lib/tern-mods/$mod.ko" $args || die "insmod $mod$args failed"
done </lib/tern-mods/load.list

mkdir -p /host /share
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 tern-share /share ||
	die "cannot mount the share (9p tag tern-share)"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro hostroot /host ||
	die "cannot mount the host root (9p tag hostroot)"
[ -f /share/guest.env ] || die "no guest.env in the share"
. /share/guest.env

R=/host
mount -t proc proc $R/proc || die "proc in chroot"
mount -t sysfs sys $R/sys || die "sys in chroot"
mount -t devtmpfs dev $R/dev || die "dev in chroot"
mkdir -p $R/dev/pts $R/dev/shm $R/dev/hugepages
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t hugetlbfs hugetlbfs $R/dev/hugepages
# The chroot gets a private /tmp. A project tree that lives under the host's
# /tmp (a CI clone may) must stay visible: keep a handle on the host's /tmp,
# then bind the tree back into the new one.
mkdir -p /hosttmp
mount --bind $R/tmp /hosttmp || die "cannot keep the host's /tmp"
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || die "tmp in chroot"
case "$TERN_VM_TOP" in
/tmp/*)
	mkdir -p "$R$TERN_VM_TOP"
	mount --bind "/hosttmp${TERN_VM_TOP#/tmp}" "$R$TERN_VM_TOP" ||
		die "cannot show the tree $TERN_VM_TOP inside the guest's /tmp"
	;;
esac
mount -t tmpfs -o mode=755 tmpfs $R/run || die "run in chroot"
# The share appears at its own host path (mkdir works when that is under /tmp).
mkdir -p "$R$TERN_VM_SHARE" 2>/dev/null
mount --bind /share "$R$TERN_VM_SHARE" || die "cannot bind the share at $TERN_VM_SHARE"
ip link set lo up
hostname tern-guest

read -r up _ </proc/uptime
echo "$up" >/share/boot-seconds
log "up in ${up}s, variant $TERN_VM_VARIANT, running $TERN_VM_SHARE/cmd.sh"

env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM=dumb LANG=C.UTF-8 \
	TERN_VM=1 TERN_VM_VARIANT="$TERN_VM_VARIANT" TERN_VM_SHARE="$TERN_VM_SHARE" \
	TERN_VM_NET0="$TERN_VM_NET0" TERN_VM_NET1="$TERN_VM_NET1" \
	TERN_VM_TOP="$TERN_VM_TOP" \
	chroot $R /bin/sh "$TERN_VM_SHARE/cmd.sh" </dev/null >/share/output 2>&1
rc=$?
read -r up _ </proc/uptime
log "command exited with status $rc at ${up}s"
echo "$rc" >/share/status.tmp && mv /share/status.tmp /share/status
sync
poweroff -f
sleep 10
