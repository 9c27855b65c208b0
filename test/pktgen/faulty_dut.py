#!/usr/bin/env python3
"""A deliberately faulty device under test for tern-pktgen's accounting.

Relays tern-pktgen frames (UDP to port 29799) from interface IN to OUT over
raw packet sockets, counting them from 1: it drops every DROP_EVERY-th frame,
sends frame DUP twice and sends frames SWAP and SWAP+1 in the opposite order.
Other frames are ignored. Runs until no frame came for IDLE seconds after
the first one (or for LIMIT seconds); then prints what it did as one line of
JSON.

    faulty_dut.py IN OUT READY_FILE
"""
import json
import os
import socket
import sys
import time

DROP_EVERY, DUP, SWAP, LIMIT, IDLE = 1000, 500, 700, 60, 1.0
ETH_P_ALL = 3


def main():
    iface_in, iface_out, ready = sys.argv[1], sys.argv[2], sys.argv[3]
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE
    rx.bind((iface_in, 0))
    rx.settimeout(0.2)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((iface_out, 0))
    open(ready, "w").close()
    n = dropped = dups = swapped = 0
    held = None
    end = time.time() + LIMIT
    last = None
    while time.time() < end and (last is None or time.time() - last < IDLE):
        try:
            f, addr = rx.recvfrom(4096)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        # Ethernet, IPv4 without options, UDP to 29799.
        if len(f) < 60 or f[12:14] != b"\x08\x00" or f[23] != 17 or f[36:38] != b"\x74\x67":
            continue
        n += 1
        last = time.time()
        if n % DROP_EVERY == 0:
            dropped += 1
            continue
        if n == SWAP:
            held = f
            continue
        tx.send(f)
        if n == SWAP + 1 and held is not None:
            tx.send(held)
            held = None
            swapped += 1
        if n == DUP:
            tx.send(f)
            dups += 1
    print(json.dumps({"relayed": n, "dropped": dropped, "duplicated": dups, "swapped": swapped}))
    sys.exit(0 if n > SWAP else 1)


if __name__ == "__main__":
    main()
