#!/usr/bin/env bash
# Ping both ways across tern-l2fwd on two af_packet ports (see lib.sh).
. "$(dirname "$0")/lib.sh"
netns_setup
l2fwd_start 60
ip netns exec "$NSA" ping -c 20 -i 0.05 -W 2 "$IPB" || fail "ping A -> B"
ip netns exec "$NSB" ping -c 20 -i 0.05 -W 2 "$IPA" || fail "ping B -> A"
kill -INT "$L2FWD_PID"
l2fwd_finish
echo "ok: ping both ways through tern"
