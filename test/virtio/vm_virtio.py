#!/usr/bin/env python3
"""tern's virtio PMD in a QEMU guest (meson suite 'vm'), one guest per variant:

  vm_virtio.py VARIANT BUILD_DIR DEVBIND [--workdir DIR] [--frames N]

In the guest (vm_guest.sh), one after the other:
  l2fwd      N frames of 64/512/1514 bytes into port 0 come out of port 1
             unmodified, and back; then frames of 4000 and 9018 bytes (merged
             RX buffers, chained TX); "buffers: X/X returned" at exit
  l2fwd-mac  the same with --mac-updating: dst 02:00:00:00:00:<out port>,
             src the out port's MAC
  echo       tern-echo on port 0 answers ARP, ICMP echo and UDP echo (port 7)
             with correct checksums
  testpmd    Debian's dpdk-testpmd io-forwards the same frames; its frame set
             must equal tern's
Rates (frames/s through the guest, TCG: for information only) are printed.
Exit 0 pass, 1 fail, 77 skip.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "test", "vm"))
import guest  # noqa: E402
import wire   # noqa: E402

NIC_MAC = [bytes.fromhex("5254007e0000"), bytes.fromhex("5254007e0001")]
HOST_MAC = bytes.fromhex("020000c0c0c0")
HOST_IP = bytes([10, 0, 0, 1])
GUEST_IP = bytes([10, 0, 0, 2])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, payload, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      HOST_IP, GUEST_IP)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def eth(dst, ethertype, payload):
    f = dst + HOST_MAC + struct.pack("!H", ethertype) + payload
    return f + b"\0" * max(0, 60 - len(f))


def arp_request():
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, HOST_MAC, HOST_IP, b"\0" * 6,
                       GUEST_IP)
    return eth(b"\xff" * 6, 0x0806, body)


def icmp_echo(mac, seq, size=56):
    data = bytes((seq + i) & 0xFF for i in range(size))
    hdr = struct.pack("!BBHHH", 8, 0, 0, 0x7E57, seq)
    c = csum(hdr + data)
    return eth(mac, 0x0800, ipv4(1, hdr[:2] + struct.pack("!H", c) + hdr[4:] + data, seq))


def udp_echo(mac, seq, size):
    data = bytes((seq * 3 + i) & 0xFF for i in range(size))
    sport = 40000 + seq
    ln = 8 + len(data)
    pseudo = HOST_IP + GUEST_IP + struct.pack("!BBH", 0, 17, ln)
    c = csum(pseudo + struct.pack("!HHHH", sport, 7, ln, 0) + data) or 0xFFFF
    return eth(mac, 0x0800, ipv4(17, struct.pack("!HHHH", sport, 7, ln, c) + data, seq))


def recv_matching(port, pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        f = port.recv(0.2, only_ours=False)
        if f is not None and pred(f):
            return f
    return None


def check_ip_reply(f, proto):
    """The reply is to us, from the guest, with valid IPv4 and L4 checksums."""
    assert f[0:6] == HOST_MAC and f[12:14] == b"\x08\x00", "not an IPv4 frame to us"
    ip = f[14:]
    ihl = (ip[0] & 0xF) * 4
    tot = struct.unpack_from("!H", ip, 2)[0]
    assert ip[9] == proto and ip[12:16] == GUEST_IP and ip[16:20] == HOST_IP, "addresses"
    assert csum(ip[:ihl]) == 0, "bad IPv4 header checksum"
    l4 = ip[ihl:tot]
    if proto == 1:
        assert l4[0] == 0 and csum(l4) == 0, "bad ICMP echo reply"
    else:
        ln = struct.unpack_from("!H", l4, 4)[0]
        pseudo = ip[12:16] + ip[16:20] + struct.pack("!BBH", 0, 17, ln)
        if struct.unpack_from("!H", l4, 6)[0] != 0:
            assert csum(pseudo + l4[:ln]) == 0, "bad UDP checksum"
    return l4


def traffic_echo(g):
    p0 = g.wire.port(0)
    p0.drain()
    p0.send(arp_request())
    r = recv_matching(p0, lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02")
    assert r is not None, "no ARP reply"
    mac = r[22:28]
    assert r[0:6] == HOST_MAC and r[28:32] == GUEST_IP and r[32:38] == HOST_MAC, "bad ARP reply"
    assert mac == NIC_MAC[0], "ARP reply names %s, not the NIC's MAC" % wire.mac_str(mac)
    print("echo: ARP reply from %s" % wire.mac_str(mac))
    for seq in range(1, 6):
        p0.send(icmp_echo(mac, seq))
        r = recv_matching(p0, lambda f: f[12:14] == b"\x08\x00" and f[23] == 1)
        assert r is not None, "no ICMP echo reply to seq %d" % seq
        l4 = check_ip_reply(r, 1)
        assert struct.unpack_from("!H", l4, 6)[0] == seq and l4[8:] == \
            bytes((seq + i) & 0xFF for i in range(56)), "ICMP echo reply payload"
    print("echo: 5 ICMP echo replies, checksums good")
    for seq, size in enumerate((1, 100, 1472), 1):
        p0.send(udp_echo(mac, seq, size))
        r = recv_matching(p0, lambda f: f[12:14] == b"\x08\x00" and f[23] == 17)
        assert r is not None, "no UDP echo of %d bytes" % size
        l4 = check_ip_reply(r, 17)
        assert struct.unpack_from("!HH", l4, 0) == (7, 40000 + seq), "UDP ports"
        assert l4[8:] == bytes((seq * 3 + i) & 0xFF for i in range(size)), "UDP payload"
    print("echo: UDP echo of 1, 100, 1472 bytes, checksums good")


def forward_both(g, frames, name, expect=lambda f, out: f, window=32):
    """Frames into port 0 out of port 1 and back; returns (received sets, rate)."""
    got_all = []
    t0 = time.monotonic()
    for src, dst in ((0, 1), (1, 0)):
        g.wire.port(dst).drain()
        got = g.wire.transfer(src, dst, frames, timeout=90, window=window)
        wire.check_same([expect(f, dst) for f in frames], got,
                        what="%s frames %d->%d" % (name, src, dst))
        got_all.append(sorted(got))
    dt = time.monotonic() - t0
    rate = 2 * len(frames) / dt
    print("%s: 2 x %d frames forwarded, every one unmodified-as-expected, %.0f frames/s "
          "(TCG)" % (name, len(frames), rate))
    return got_all, rate


def mac_updated(f, out):
    return bytes([2, 0, 0, 0, 0, out]) + NIC_MAC[out] + f[12:]


def cpu_ok(build):
    """Binaries built with -march=native on an AVX-512 host die in the guest."""
    try:
        opts = json.loads(subprocess.run(["meson", "introspect", "--buildoptions", build],
                                         capture_output=True, text=True, timeout=60).stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        return True
    if not any(o["name"] == "cpu_instruction_set" and o["value"] == "native" for o in opts):
        return True
    with open("/proc/cpuinfo") as f:
        return "avx512f" not in f.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("variant")
    ap.add_argument("build")
    ap.add_argument("devbind")
    ap.add_argument("--workdir")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--timeout", type=int, default=280)
    ap.add_argument("--packed", action="store_true",
                    help="the NICs offer packed virtqueues (packed=on): tern must take them")
    a = ap.parse_args()
    if subprocess.call([os.path.join(TOP, "test", "vm", "prepare.sh"), "--check"],
                       stderr=subprocess.DEVNULL) != 0:
        print("SKIP: vm rig not prepared: run test/vm/prepare.sh")
        return 77
    build = os.path.abspath(a.build)
    if not cpu_ok(build):
        print("SKIP: %s is built with -march=native (AVX-512): the guest CPU is x86-64-v3; "
              "use a build with -Dcpu_instruction_set=x86-64-v3" % build)
        return 77
    share = None
    if a.workdir:
        subprocess.call(["rm", "-rf", a.workdir])
        os.makedirs(a.workdir)
        share = a.workdir
    cmd = ["sh", os.path.join(HERE, "vm_guest.sh"), build, os.path.abspath(a.devbind)]
    frames = wire.make_frames(a.frames, sizes=(64, 512, 1514))
    failures = []
    sets = {}
    rates = {}
    with guest.Guest(a.variant, cmd, timeout=a.timeout, share=share, cwd=TOP,
                     packed=a.packed) as g:
        g.start()
        for name in ("l2fwd", "l2fwd-mac", "echo", "testpmd"):
            try:
                g.wait_file(name + ".ready", timeout=150)
                with open(g.path(name + ".ready")) as f:
                    if f.read().strip() != "ready":
                        raise AssertionError("%s did not start in the guest" % name)
                if name == "echo":
                    traffic_echo(g)
                elif name == "l2fwd-mac":
                    forward_both(g, frames, name, mac_updated)
                else:
                    sets[name], rates[name] = forward_both(g, frames, name)
                    if name == "l2fwd":
                        # Bigger than a 2 KiB buffer: MRG_RXBUF chains in, chained TX out.
                        # A small window: 32 jumbo datagrams overflow the receive buffer
                        # of QEMU's UDP socket (~208 KiB) while TCG is busy.
                        forward_both(g, wire.make_frames(20, sizes=(4000, 9018)), "l2fwd jumbo",
                                     window=4)
            except (AssertionError, guest.VmError) as e:
                print("FAIL: %s: %s" % (name, e))
                failures.append(name)
            finally:
                g.touch(name + ".done")
        res = g.wait()
    sys.stdout.write("".join("  guest| " + ln + "\n" for ln in res.output.splitlines()))
    if res.status != 0:
        failures.append("guest status %d" % res.status)
    # The probe line (virtio:info) names the ring layout negotiated.
    layout = "packed virtqueues" if a.packed else "split virtqueues"
    for name in ("l2fwd", "l2fwd-mac"):
        log = res.output.split("---- %s output" % name)
        if len(log) < 2 or layout not in log[1].split("---- ")[0]:
            failures.append("%s: the probe did not say %s" % (name, layout))
    for name in ("l2fwd", "l2fwd-mac"):
        log = res.output.split("---- %s output" % name)
        if len(log) < 2 or "buffers: " not in log[1]:
            failures.append("%s: no buffers line" % name)
            continue
        line = log[1][log[1].index("buffers: "):].split("\n")[0]
        x, y = line.split()[1].split("/")
        if x != y:
            failures.append("%s: %s" % (name, line))
    if "l2fwd" in sets and "testpmd" in sets:
        if sets["l2fwd"] != sets["testpmd"]:
            failures.append("tern-l2fwd and dpdk-testpmd delivered different frame sets")
        else:
            print("cross-check: tern-l2fwd and dpdk-testpmd delivered identical frame sets")
        print("rates (TCG, for information): tern-l2fwd %.0f frames/s, dpdk-testpmd %.0f "
              "frames/s" % (rates["l2fwd"], rates["testpmd"]))
    print("timing: virtio %s%s boot=%.1f total=%.1f" % (
        a.variant, " packed" if a.packed else "", res.boot_seconds or -1, res.wall_seconds))
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("PASS: virtio %s%s" % (a.variant, " packed" if a.packed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
