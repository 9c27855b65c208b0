#!/usr/bin/env bash
# tern-l2fwd on two af_xdp ports joins two namespaces like a wire: ping,
# then a 4 MiB TCP transfer arrives intact with the veths' default offloads;
# every buffer back in its pool, and no XDP program left on the interfaces.
. "$(dirname "$0")/af_xdp_lib.sh"
netns_setup
L2FWD_EAL_EXTRA="--log-level af_xdp:debug" l2fwd_start 60
ip netns exec "$NSA" ping -c 5 -i 0.1 -W 1 "$IPB" >/dev/null || fail "ping through tern-l2fwd"
tcp_transfer 4
kill -INT "$L2FWD_PID"
l2fwd_finish
no_prog_left
# Zero copy inside tern: both ports share tern-l2fwd's pool, so TX copied nothing.
grep -Eq "af_xdp0: TX queue 0: 0 packets copied" "$TMPD/l2fwd.out" || fail "TX copied packets"
# veth hands XDP partial checksums: the driver completed them (af_xdp_csum.c).
grep -Eq "af_xdp0: RX queue 0: [0-9]+ packets, [1-9][0-9]* checksums completed" "$TMPD/l2fwd.out" ||
	fail "no checksum completed on port 0"
echo "ok: ping, 4 MiB over TCP in $TCP_SECONDS s, sha256 matches"
