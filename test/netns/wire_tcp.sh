#!/usr/bin/env bash
# A 4 MiB TCP transfer across tern-l2fwd with the veths' default offloads
# (TX checksum and TSO on): the driver must complete checksums and cut GSO
# super-frames, or TCP stalls as it does through DPDK's net_af_packet.
. "$(dirname "$0")/lib.sh"
netns_setup
for ns_dev in "$NSA a0" "$NSM $MA"; do
	set -- $ns_dev
	ip netns exec "$1" ethtool -k "$2" | grep -q '^tcp-segmentation-offload: on' ||
		fail "expected TSO on by default on $2"
done
L2FWD_EAL_EXTRA="--log-level af_packet:debug" l2fwd_start 60
tcp_transfer 4
kill -INT "$L2FWD_PID"
l2fwd_finish
# The debug lines at port close: work was really done in software.
grep -Eq 'af_packet0: RX queue 0: [1-9][0-9]* checksums completed' "$TMPD/l2fwd.out" ||
	fail "no checksum completed on port 0"
grep -Eq 'af_packet0: RX queue 0: .* [1-9][0-9]* GSO frames cut' "$TMPD/l2fwd.out" ||
	fail "no GSO frame cut on port 0"
echo "ok: 4 MiB over TCP in $TCP_SECONDS s, sha256 matches"
