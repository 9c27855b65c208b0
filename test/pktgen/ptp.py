#!/usr/bin/env python3
"""PTP frames as MoonGen's latency probes send them, over raw packet sockets.

  ptp.py send IFACE l2  DST_MAC                   PTP over Ethernet (0x88F7)
  ptp.py send IFACE udp DST_MAC SRC_IP DST_IP     PTP over UDP/IPv4, port 319
  ptp.py recv IFACE l2|udp READY_FILE             the first such frame received

Both print the frame as hex on stdout; send sends it 3 times (the receiver may
be slow to start), recv gives up after 10 s (status 1).
"""
import os
import socket
import struct
import sys
import time


def ipv4_csum(h):
    s = sum(struct.unpack("!10H", h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ptp_sync(seq):
    # IEEE 1588-2008 13.3 / 13.6: a Sync message, 44 bytes, version 2.
    hdr = struct.pack("!BBHBBH8sI10sHBb", 0x00, 0x02, 44, 0, 0, 0x0200, b"\0" * 8, 0,
                      bytes.fromhex("02aabbfffe0011220001"), seq, 0, 0)
    return hdr + struct.pack("!HII", 0, 0x12345678, 0x9ABC)  # originTimestamp


def frame(kind, dst_mac, src_mac, src_ip=None, dst_ip=None):
    ptp = ptp_sync(0x4242)
    if kind == "l2":
        return dst_mac + src_mac + b"\x88\xf7" + ptp + b"\0" * 2
    udp_len = 8 + len(ptp)
    udp = struct.pack("!HHHH", 319, 319, udp_len, 0) + ptp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0xB8, 20 + udp_len, 0x1234, 0x4000, 64, 17, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", ipv4_csum(ip)) + ip[12:]
    # UDP checksum over the pseudo-header (RFC 768): a PTP stack sends one.
    ph = ip[12:20] + struct.pack("!BBH", 0, 17, udp_len) + udp
    if len(ph) % 2:
        ph += b"\0"
    s = sum(struct.unpack("!%dH" % (len(ph) // 2), ph))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    udp = udp[:6] + struct.pack("!H", (~s) & 0xFFFF or 0xFFFF) + udp[8:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def is_ptp(kind, f):
    if kind == "l2":
        return f[12:14] == b"\x88\xf7"
    return f[12:14] == b"\x08\x00" and f[23] == 17 and f[36:38] == b"\x01\x3f"


def main():
    op, iface, kind = sys.argv[1], sys.argv[2], sys.argv[3]
    if op == "send":
        dst = bytes.fromhex(sys.argv[4].replace(":", ""))
        src = bytes.fromhex(open("/sys/class/net/%s/address" % iface).read().strip().replace(":", ""))
        f = frame(kind, dst, src, *sys.argv[5:7])
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        for _ in range(3):
            s.send(f)
            time.sleep(0.05)
        print(f.hex())
        return 0
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((iface, 0))
    s.settimeout(0.2)
    open(sys.argv[4], "w").close()
    end = time.time() + 10
    while time.time() < end:
        try:
            f, addr = s.recvfrom(4096)
        except socket.timeout:
            continue
        if addr[2] != socket.PACKET_OUTGOING and is_ptp(kind, f):
            print(f.hex())
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
