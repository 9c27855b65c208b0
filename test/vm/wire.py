#!/usr/bin/env python3
"""Host side of a test guest's two NICs: raw Ethernet frames over UDP.

Each guest NIC N has a QEMU backend `-netdev socket,udp=127.0.0.1:H,
localaddr=127.0.0.1:Q`: every frame the guest transmits arrives here as one
UDP datagram on 127.0.0.1:H (sent from 127.0.0.1:Q), and every datagram we
send to 127.0.0.1:Q is one frame the guest receives. No FCS, no padding:
what is sent is what the guest's driver sees.

    w = Wire()                       # binds both host ends, picks QEMU's ports
    ... start QEMU with w.netdev_arg(0) and w.netdev_arg(1) (guest.Guest does)
    w.connect()
    frames = make_frames(100, sizes=(64, 512, 1514))
    got = w.transfer(0, 1, frames, timeout=30)   # into port 0, out of port 1
    check_same(frames, got)                      # raises WireError on difference

Frames made by make_frame() carry EtherType 0x88B5 (IEEE local
experimental) and a magic tag, so whatever else a guest's stack sends (IPv6
neighbour discovery, LLDP, ...) is told apart: recv(..., only_ours=True)
sets it aside in Port.others.
"""
import os
import select
import socket
import struct
import time

ETH_P_TERN = 0x88B5
MAGIC = b"TERNWIRE"
# Locally administered unicast addresses for test frames.
MAC_A = bytes.fromhex("020000a0a0a0")
MAC_B = bytes.fromhex("020000b0b0b0")


class WireError(AssertionError):
    pass


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def make_frame(seq, size, *, dst=MAC_B, src=MAC_A, run=0, ethertype=ETH_P_TERN):
    """One test frame of exactly `size` bytes (no FCS; 60..9018), payload:
    MAGIC, run id (u32), sequence number (u32), then a pattern derived from
    both, so any corrupted byte is caught by comparison."""
    hdr = dst + src + struct.pack("!H", ethertype)
    tag = MAGIC + struct.pack("!II", run, seq)
    n = size - len(hdr) - len(tag)
    if n < 0:
        raise ValueError("frame size %d too small (min %d)" % (size, len(hdr) + len(tag)))
    pat = bytes(((seq * 7 + run + i) & 0xFF) for i in range(min(n, 256)))
    pad = (pat * (n // 256 + 1))[:n] if pat else b""
    return hdr + tag + pad


def make_frames(n, sizes=(64, 512, 1514), run=None, **kw):
    """n frames cycling through `sizes`; `run` defaults to a random id so
    frames of a previous run can never be mistaken for this one's."""
    if run is None:
        run = struct.unpack("!I", os.urandom(4))[0]
    return [make_frame(i, sizes[i % len(sizes)], run=run, **kw) for i in range(n)]


def is_ours(frame):
    return len(frame) >= 22 and frame[12:14] == struct.pack("!H", ETH_P_TERN) \
        and frame[14:22] == MAGIC


def frame_id(frame):
    """(run, seq) of a frame made by make_frame, else None."""
    if not is_ours(frame) or len(frame) < 30:
        return None
    return struct.unpack_from("!II", frame, 22)


def describe(frame):
    fid = frame_id(frame)
    return "%d bytes %s > %s type %04x%s" % (
        len(frame), mac_str(frame[6:12]), mac_str(frame[0:6]),
        struct.unpack_from("!H", frame, 12)[0] if len(frame) >= 14 else 0,
        " run %d seq %d" % fid if fid else "")


def diff(sent, received):
    """Compare two lists of frames as multisets.
    Returns (missing, unexpected): frames sent but not received, and frames
    received but not sent (each a list of bytes)."""
    pool = {}
    for f in received:
        pool[f] = pool.get(f, 0) + 1
    missing = []
    for f in sent:
        if pool.get(f, 0):
            pool[f] -= 1
        else:
            missing.append(f)
    unexpected = [f for f, c in pool.items() for _ in range(c)]
    return missing, unexpected


def check_same(sent, received, *, ordered=False, what="frames"):
    """Raise WireError unless `received` holds exactly the frames `sent`
    (any order unless ordered=True), byte for byte."""
    missing, unexpected = diff(sent, received)
    problems = []
    if missing:
        problems.append("%d of %d %s missing, e.g. %s" % (
            len(missing), len(sent), what, "; ".join(describe(f) for f in missing[:3])))
    if unexpected:
        problems.append("%d unexpected %s, e.g. %s" % (
            len(unexpected), what, "; ".join(describe(f) for f in unexpected[:3])))
    if not problems and ordered and list(sent) != list(received):
        i = next(i for i, (a, b) in enumerate(zip(sent, received)) if a != b)
        problems.append("%s reordered, first at index %d" % (what, i))
    if problems:
        raise WireError("; ".join(problems))


class Port:
    """Host end of one guest NIC."""

    def __init__(self, index):
        self.index = index
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Bursts from the guest must not be dropped by the host's socket.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.host_port = self.sock.getsockname()[1]
        # QEMU's end: picked free now, bound by QEMU when it starts.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        self.qemu_port = s.getsockname()[1]
        s.close()
        self.others = []        # frames received that make_frame did not make
        self.rx = 0
        self.tx = 0

    def netdev_arg(self, netdev_id):
        return "socket,id=%s,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (
            netdev_id, self.host_port, self.qemu_port)

    def connect(self):
        # Only datagrams from QEMU's end are received from now on.
        self.sock.connect(("127.0.0.1", self.qemu_port))

    def send(self, frame):
        self.sock.send(frame)
        self.tx += 1

    def send_many(self, frames):
        for f in frames:
            self.send(f)

    def recv(self, timeout=1.0, only_ours=True):
        """The next frame, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            try:
                f = self.sock.recv(65536)
            except ConnectionRefusedError:
                # ICMP port unreachable from a send before QEMU bound its end.
                continue
            self.rx += 1
            if only_ours and not is_ours(f):
                self.others.append(f)
                continue
            return f

    def recv_many(self, n, timeout=5.0, only_ours=True):
        """Up to n frames, waiting at most `timeout` seconds in all."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            f = self.recv(max(0.0, deadline - time.monotonic()), only_ours)
            if f is None:
                break
            out.append(f)
        return out

    def drain(self, quiet=0.2):
        """Discard whatever arrives until `quiet` seconds pass without a frame."""
        n = 0
        while self.recv(quiet, only_ours=False) is not None:
            n += 1
        return n

    def close(self):
        self.sock.close()


class Wire:
    """The two host ends of a guest's NICs (port 0 and port 1)."""

    def __init__(self, nports=2):
        self.ports = [Port(i) for i in range(nports)]

    def port(self, i):
        return self.ports[i]

    def udp_pairs(self):
        return [(p.host_port, p.qemu_port) for p in self.ports]

    def netdev_arg(self, i):
        return self.ports[i].netdev_arg("n%d" % i)

    def connect(self):
        for p in self.ports:
            p.connect()

    def transfer(self, src, dst, frames, timeout=30.0, window=32, quiet=2.0):
        """Send `frames` into port `src` and collect what comes out of port
        `dst`, keeping at most `window` frames in flight (a guest under TCG is
        slow, and QEMU's socket backend drops what the guest cannot take).
        A stall of 0.5 s counts the frames in flight as lost and sending goes
        on. Ends when all arrived, `quiet` seconds after the last frame was
        sent and nothing more came, or at `timeout`. Returns the frames
        received (ours only, in arrival order)."""
        sp, dp = self.ports[src], self.ports[dst]
        got = []
        i = lost = 0
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while len(got) < len(frames):
            now = time.monotonic()
            if now >= deadline or (i == len(frames) and now - last >= quiet):
                break
            while i < len(frames) and i - len(got) - lost < window:
                sp.send(frames[i])
                i += 1
                last = time.monotonic()
            f = dp.recv(min(0.5, max(0.0, deadline - now)))
            if f is not None:
                got.append(f)
                last = time.monotonic()
            else:
                lost = i - len(got)
        # Duplicates or strays would show up within a short quiet time.
        got += dp.recv_many(len(frames), timeout=0.3)
        return got

    def close(self):
        for p in self.ports:
            p.close()
