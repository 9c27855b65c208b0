#!/usr/bin/env python3
# netns_echo.py TERN_ECHO CASE: tern-echo end to end over af_packet.
#
#   ns C (vc, 10.X.Y.1/24) == veth == (vs) ns S: tern-echo --ip 10.X.Y.2/24
#
# Both ends live in namespaces this script creates, so nothing in the
# machine's own namespace is touched; names carry the PID so tests may run
# side by side; the namespaces (and with them the veth pair) are removed on
# exit, on failure and on SIGINT/SIGTERM too. Clients run inside ns C as
# "netns_echo.py client ...". Every case ends tern-echo with SIGINT and
# checks its exit status, "buffers: N/N returned" and the --json counters.
#
# CASE: ping arping udp tcp tcp20 malformed tshark flood arp5227   (exit 77: skipped, not root)
import hashlib, json, os, random, re, signal, socket, struct, subprocess, sys, tempfile, threading, time

PY = "/usr/bin/python3"  # Debian's, which has python3-scapy
HERE = os.path.abspath(__file__)


# ---- clients (run inside ns C) ------------------------------------------------

def client_udp(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for size in (1, 100, 1472):
        data = os.urandom(size)
        for attempt in range(3):
            s.sendto(data, (host, 7))
            try:
                got, peer = s.recvfrom(4096)
                break
            except socket.timeout:
                continue
        else:
            sys.exit("udp %d bytes: no answer" % size)
        if got != data or peer != (host, 7):
            sys.exit("udp %d bytes: got %d bytes from %s" % (size, len(got), peer))
        print("udp %d bytes ok" % size)


def tcp_echo_one(host, nbytes, results, idx):
    data = os.urandom(nbytes)
    try:
        s = socket.create_connection((host, 7), timeout=20)
        s.settimeout(30)

        def send():
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        t = threading.Thread(target=send)
        t.start()
        h, n = hashlib.sha256(), 0
        while True:
            b = s.recv(65536)
            if not b:
                break
            h.update(b)
            n += len(b)
        t.join()
        s.close()
        results[idx] = (n, h.hexdigest() == hashlib.sha256(data).hexdigest())
    except Exception as e:  # reported by the caller
        results[idx] = (-1, repr(e))


def client_tcp(host, nclients, nbytes):
    results = [None] * nclients
    threads = [threading.Thread(target=tcp_echo_one, args=(host, nbytes, results, i))
               for i in range(nclients)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.time() - t0
    bad = [(i, r) for i, r in enumerate(results) if r is None or r[0] != nbytes or r[1] is not True]
    if bad:
        sys.exit("tcp: %d of %d clients failed: %s" % (len(bad), nclients, bad[:3]))
    print("tcp: %d clients x %d bytes echoed, sha256 match, %.2f s, %.1f Mbit/s"
          % (nclients, nbytes, dt, 2 * 8 * nclients * nbytes / dt / 1e6))


def malformed_frames(dst_mac, src_ip, dst_ip):
    """(reason, frame bytes) for every malformed case a veth can carry."""
    from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPOption, Raw
    E = Ether(dst=dst_mac, type=0x0800)
    ip = IP(src=src_ip, dst=dst_ip)
    arp = bytes(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, pdst=dst_ip, psrc=src_ip))
    cases = [
        ("runt_arp", bytes(Ether(dst=dst_mac, type=0x0806)) + b"\x00\x01\x08\x00\x06\x04"),
        ("runt_ipv4", bytes(E) + b"\x45\x00\x00\x14\x00\x00"),
        ("giant", bytes(E / ip / ICMP() / Raw(b"g" * 1560))),
        ("eth_src_multicast", bytes(Ether(dst=dst_mac, src="03:00:00:00:00:01") / ip / ICMP())),
        ("arp_bad_format", arp[:18] + b"\x08" + arp[19:]),  # ar$hln 8
        ("arp_bad_op", bytes(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op=3, pdst=dst_ip, psrc=src_ip))),
        ("arp_bad_sender", bytes(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, pdst=dst_ip, psrc="255.255.255.255"))),
        ("ip_bad_version", bytes(E) + bytes(IP(version=6, src=src_ip, dst=dst_ip) / ICMP())),
        ("ip_bad_ihl", bytes(E / IP(ihl=4, src=src_ip, dst=dst_ip) / ICMP())),
        ("ip_options", bytes(E / IP(src=src_ip, dst=dst_ip, options=[IPOption(b"\x01\x01\x01\x00")]) / ICMP())),
        ("ip_len_short", bytes(E / IP(len=12, src=src_ip, dst=dst_ip) / ICMP())),
        ("ip_truncated", bytes(E / IP(len=400, src=src_ip, dst=dst_ip) / ICMP())),
        ("ip_bad_csum", bytes(E / IP(chksum=0x1234, src=src_ip, dst=dst_ip) / ICMP())),
        ("ip_fragment", bytes(E / IP(flags="MF", src=src_ip, dst=dst_ip) / ICMP())),
        ("ip_fragment", bytes(E / IP(frag=100, src=src_ip, dst=dst_ip) / ICMP())),
        ("ip_bad_src", bytes(E / IP(src="255.255.255.255", dst=dst_ip) / ICMP())),
        ("icmp_truncated", bytes(E / IP(proto=1, src=src_ip, dst=dst_ip) / Raw(b"\x08\x00\xf7"))),
        ("icmp_bad_csum", bytes(E / ip / ICMP(chksum=0x1234) / Raw(b"data"))),
        ("udp_truncated", bytes(E / IP(proto=17, src=src_ip, dst=dst_ip) / Raw(b"\x13\x88\x00\x07\x00"))),
        ("udp_bad_len", bytes(E / ip / UDP(sport=5000, dport=7, len=100) / Raw(b"x" * 10))),
        ("udp_bad_csum", bytes(E / ip / UDP(sport=5000, dport=7, chksum=0x1234) / Raw(b"x" * 10))),
        ("udp_bad_sport", bytes(E / ip / UDP(sport=7, dport=7) / Raw(b"loop"))),
        ("tcp_truncated", bytes(E / IP(proto=6, src=src_ip, dst=dst_ip) / Raw(b"\x00" * 12))),
        ("tcp_bad_offset", bytes(E / ip / TCP(dport=7, dataofs=3))),
        ("tcp_bad_csum", bytes(E / ip / TCP(dport=7, chksum=0x1234))),
    ]
    return cases


def client_malformed(iface, dst_mac, src_ip, dst_ip, repeat):
    # scapy builds the frames; a plain packet socket sends them, retrying
    # when the kernel is momentarily out of buffers (ENOBUFS: the per-CPU
    # backlog that veth delivers into is shared with everything else on the
    # machine), so that every frame counted as sent was sent.
    import errno
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for reason, frame in malformed_frames(dst_mac, src_ip, dst_ip):
        for _ in range(repeat):
            for attempt in range(200):
                try:
                    s.send(frame)
                    break
                except OSError as e:
                    if e.errno != errno.ENOBUFS:
                        raise
                    time.sleep(0.01)
            else:
                sys.exit("%s: ENOBUFS for 2 s" % reason)
            time.sleep(0.001)
        print("sent %d x %s (%d bytes)" % (repeat, reason, len(frame)))


# ---- the flood (case "flood") ----------------------------------------------------

def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn_frame(dst_mac, src_mac, src_ip, dst_ip, sport, seq):
    """A TCP SYN to port 7 (RFC 793), built by hand: fast enough for thousands."""
    sip, dip = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    tcp = struct.pack("!HHIIBBHHH", sport, 7, seq, 0, 5 << 4, 0x02, 65535, 0, 0)
    c = _csum(sip + dip + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), seq & 0xFFFF, 0, 64, 6, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    return bytes.fromhex(dst_mac.replace(":", "")) + src_mac + b"\x08\x00" + ip + tcp


def client_flood(iface, dst_mac, net, sip, nidle, nsyn, seconds):
    """From ns C: nidle connections from NET.1 that each send 64 KiB and never read;
    nsyn SYNs from 150 sources NET.100-249 with MACs nobody has (they never answer);
    a chargen-style responder on UDP port 19 and an echo responder on port 4000, each
    kicked once towards tern-echo's port 7. Holds it all for `seconds`, then reports."""
    import errno, select
    cip = net + ".1"
    idle, connected, sent = [], 0, 0
    for i in range(nidle):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 17)
        s.setblocking(False)
        s.bind((cip, 0))
        s.connect_ex((sip, 7))
        idle.append(s)
        if i % 8 == 7:
            time.sleep(0.02)  # clients arriving, not one burst of SYNs
    # The two UDP responders, and one kick each (from their own port).
    stop = threading.Event()
    got = {19: 0, 4000: 0}

    def responder(port, reply):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((cip, port))
        u.settimeout(0.2)
        u.sendto(b"kick from port %d" % port, (sip, 7))
        while not stop.is_set():
            try:
                data, peer = u.recvfrom(2048)
            except socket.timeout:
                continue
            got[port] += 1
            u.sendto(reply(data), peer)
        u.close()
    rs = [threading.Thread(target=responder, args=(19, lambda d: bytes(range(32, 106)))),
          threading.Thread(target=responder, args=(4000, lambda d: d))]
    for t in rs:
        t.start()
    # The SYN flood, at a few thousand per second.
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((iface, 0))
    rnd = random.Random(1)
    frames = [syn_frame(dst_mac, bytes([2, 0xee, 0, 0, i // 256, i % 256]), "%s.%d" % (net, 100 + i % 150),
                        sip, 1024 + rnd.randrange(60000), rnd.randrange(1 << 32)) for i in range(nsyn)]
    t0 = time.time()
    for i, fr in enumerate(frames):
        for attempt in range(200):
            try:
                raw.send(fr)
                break
            except OSError as e:
                if e.errno != errno.ENOBUFS:
                    raise
                time.sleep(0.002)
        if i % 64 == 63:
            time.sleep(0.02)
    syn_s = time.time() - t0
    # Fill every idle connection that was accepted: 64 KiB each, never read.
    deadline = time.time() + seconds
    pending = {s: 64 << 10 for s in idle}
    while time.time() < deadline:
        _, w, _ = select.select([], [s for s in pending if pending[s] > 0], [], 0.2)
        for s in w:
            try:
                n = s.send(b"x" * min(pending[s], 16384))
                pending[s] -= n
                sent += n
            except OSError:
                pending[s] = 0
    for s in idle:
        try:
            s.getpeername()
            connected += 1
        except OSError:
            pass
    loop_then = got[4000]
    time.sleep(1.0)
    stop.set()
    for t in rs:
        t.join()
    print("flood: %d of %d idle connections up, %d bytes sent into them; %d SYNs in %.1f s; "
          "chargen responder got %d, echo responder got %d (%d a second ago)"
          % (connected, nidle, sent, nsyn, syn_s, got[19], got[4000], loop_then))
    for s in idle:
        s.close()


def arp_frame(dst_mac, src_mac, op, sha, spa, tha, tpa):
    """An Ethernet/IPv4 ARP frame (RFC 826), addresses as bytes."""
    return (dst_mac + src_mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) +
            sha + socket.inet_aton(spa) + tha + socket.inet_aton(tpa))


def client_arp5227(iface, sip):
    """RFC 5227 against tern-echo: a probe for its address is answered (to the prober,
    target IP 0.0.0.0); another MAC claiming its address gets one broadcast
    announcement back, and a second claim right after gets none (DEFEND_INTERVAL)."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((iface, 0))
    me = s.getsockname()[4]
    bcast, zero = b"\xff" * 6, b"\0" * 6

    def wait_arp(pred, secs):
        end = time.time() + secs
        while time.time() < end:
            s.settimeout(max(0.01, end - time.time()))
            try:
                fr = s.recv(2048)
            except socket.timeout:
                break
            if len(fr) >= 42 and fr[12:14] == b"\x08\x06" and pred(fr):
                return fr
        return None
    s.send(arp_frame(bcast, me, 1, me, "0.0.0.0", zero, sip))
    r = wait_arp(lambda f: struct.unpack("!H", f[20:22])[0] == 2 and f[28:32] == socket.inet_aton(sip), 3)
    if r is None:
        sys.exit("no answer to an ARP probe for %s" % sip)
    if r[0:6] != me or r[32:38] != me or r[38:42] != b"\0\0\0\0":
        sys.exit("the probe's answer is not to the prober with target IP 0.0.0.0: %s" % r[:42].hex())
    print("probe answered by %s" % r[22:28].hex(":"))
    thief = b"\x02\xaa\xbb\xcc\xdd\xee"

    def announcement(f):
        return (f[0:6] == bcast and struct.unpack("!H", f[20:22])[0] == 1 and f[22:28] != thief
                and f[28:32] == socket.inet_aton(sip) and f[38:42] == socket.inet_aton(sip))
    s.send(arp_frame(bcast, thief, 1, thief, sip, zero, sip))
    if wait_arp(announcement, 3) is None:
        sys.exit("no announcement defending %s after a conflicting ARP" % sip)
    print("conflict defended with a broadcast announcement")
    s.send(arp_frame(bcast, thief, 2, thief, sip, zero, sip))
    if wait_arp(announcement, 1.0) is not None:
        sys.exit("a second announcement within the defend interval")
    print("a second conflict within 10 s: not defended again")


def client_real(host, src):
    """The real client, from its own address: UDP echo, then 1 MiB of TCP echo."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(2)
    for size in (1, 100, 1472):
        data = os.urandom(size)
        for attempt in range(3):
            s.sendto(data, (host, 7))
            try:
                got, peer = s.recvfrom(4096)
                break
            except socket.timeout:
                continue
        else:
            sys.exit("udp %d bytes: no answer during the flood" % size)
        if got != data:
            sys.exit("udp %d bytes: wrong answer" % size)
    data = os.urandom(1 << 20)
    c = socket.create_connection((host, 7), timeout=20, source_address=(src, 0))
    c.settimeout(30)
    t = threading.Thread(target=lambda: (c.sendall(data), c.shutdown(socket.SHUT_WR)))
    t.start()
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    t.join()
    c.close()
    if n != len(data) or h.hexdigest() != hashlib.sha256(data).hexdigest():
        sys.exit("tcp: %d of %d bytes echoed back, or not the same" % (n, len(data)))
    print("real client: udp 1, 100, 1472 bytes and 1 MiB of TCP echoed during the flood")


# ---- the harness ---------------------------------------------------------------

class Netns:
    def __init__(self, exe):
        pid = os.getpid()
        self.exe = exe
        self.nsc, self.nss = "tern-ec-%d" % pid, "tern-es-%d" % pid
        self.vc, self.vs = "ec%d" % pid, "es%d" % pid
        net = "10.%d.%d" % (pid % 200 + 20, pid // 200 % 250)
        self.net = net
        self.cip, self.sip, self.rip = net + ".1", net + ".2", net + ".3"
        self.tmp = tempfile.mkdtemp(prefix="tern-echo-")
        self.json = os.path.join(self.tmp, "echo.json")
        self.proc = None
        self.out = None

    def sh(self, *cmd, check=True, **kw):
        return subprocess.run(list(cmd), check=check, **kw)

    def in_c(self, *cmd, **kw):
        return self.sh("ip", "netns", "exec", self.nsc, *cmd, **kw)

    def setup(self, mtu=None):
        for ns in (self.nsc, self.nss):
            self.sh("ip", "netns", "add", ns)
            self.sh("ip", "-n", ns, "link", "set", "lo", "up")
        self.sh("ip", "link", "add", self.vc, "netns", self.nsc, "type", "veth",
                "peer", "name", self.vs, "netns", self.nss)
        # No IPv6 chatter (router solicitations, DAD) on either end.
        self.sh("ip", "netns", "exec", self.nsc, "sysctl", "-qw",
                "net.ipv6.conf.%s.disable_ipv6=1" % self.vc)
        self.sh("ip", "netns", "exec", self.nss, "sysctl", "-qw",
                "net.ipv6.conf.%s.disable_ipv6=1" % self.vs)
        if mtu:
            self.sh("ip", "-n", self.nsc, "link", "set", self.vc, "mtu", str(mtu))
            self.sh("ip", "-n", self.nss, "link", "set", self.vs, "mtu", str(mtu))
        self.sh("ip", "-n", self.nsc, "addr", "add", self.cip + "/24", "dev", self.vc)
        self.sh("ip", "-n", self.nsc, "link", "set", self.vc, "up")
        self.sh("ip", "-n", self.nss, "link", "set", self.vs, "up")

    def start(self, *app_args):
        cpu = os.environ.get("TERN_ECHO_LCORE", "1" if os.cpu_count() > 1 else "0")
        cmd = ["ip", "netns", "exec", self.nss, self.exe, "--no-huge", "-l", cpu,
               "--vdev", "af_packet0,iface=" + self.vs, "--",
               "--ip", self.sip + "/24", "--json", self.json] + list(app_args)
        self.out = open(os.path.join(self.tmp, "stdout"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            self.out.seek(0)
            text = self.out.read()
            m = re.search(r"^tern-echo: \S+ at (\S+) on port", text, re.M)
            if m:
                self.mac = m.group(1)
                return
            if self.proc.poll() is not None:
                raise SystemExit("tern-echo exited early (%d):\n%s" % (self.proc.returncode, text))
            time.sleep(0.05)
        raise SystemExit("tern-echo did not start:\n" + text)

    def stop(self):
        """SIGINT; check exit 0, the buffers line and return the JSON."""
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=20)
        self.out.seek(0)
        text = self.out.read()
        sys.stdout.write(text)
        assert rc == 0, "tern-echo exit status %d" % rc
        m = re.search(r"^buffers: (\d+)/(\d+) returned$", text, re.M)
        assert m and m.group(1) == m.group(2), "buffers not all returned"
        res = json.load(open(self.json))
        assert res["buffers_returned"] == res["buffers_total"] == int(m.group(2)), res
        self.proc = None
        return res

    def cleanup(self):
        if self.proc is not None:
            # A failed case: stop tern-echo and show what it counted.
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.out.seek(0)
            sys.stdout.write("tern-echo (exit %s):\n%s" % (self.proc.returncode, self.out.read()))
        for ns in (self.nsc, self.nss):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", self.tmp])

    def client(self, *args, timeout=120):
        p = self.in_c(PY, HERE, "client", *args, check=False, capture_output=True, text=True,
                      timeout=timeout)
        sys.stdout.write(p.stdout)
        assert p.returncode == 0, "client %s failed: %s" % (args, p.stderr or p.stdout)
        return p.stdout

    def ping(self, count, interval="0.01"):
        p = self.in_c("ping", "-c", str(count), "-i", interval, "-W", "5", self.sip,
                      check=False, capture_output=True, text=True, timeout=60)
        m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout)
        assert m, p.stdout + p.stderr
        return int(m.group(2))


def case_ping(n):
    got = n.ping(100)
    assert got == 100, "ping: %d of 100 replies" % got
    res = n.stop()
    assert res["in"]["icmp"] >= 100 and res["out"]["icmp"] >= 100, res
    print("ok: ping 100/100")


def case_arping(n):
    p = n.in_c("arping", "-c", "3", "-w", "10", "-I", n.vc, n.sip, check=False,
               capture_output=True, text=True, timeout=30)
    sys.stdout.write(p.stdout)
    m = re.search(r"Received (\d+) response", p.stdout)
    assert p.returncode == 0 and m and int(m.group(1)) == 3, p.stdout + p.stderr
    assert n.mac.lower() in p.stdout.lower(), "arping did not resolve to %s" % n.mac
    res = n.stop()
    assert res["out"]["arp"] >= 3, res
    print("ok: arping 3/3 at", n.mac)


def case_udp(n):
    n.client("udp", n.sip)
    res = n.stop()
    assert res["out"]["udp"] >= 3, res
    print("ok: udp 1, 100, 1472 bytes")


def case_tcp(n):
    n.client("tcp", n.sip, "1", str(1 << 20))
    res = n.stop()
    assert res["tcp_connections"] == 1 and res["tcp_bytes"] == 1 << 20, res
    print("ok: tcp 1 MiB")


def case_tcp20(n):
    n.client("tcp", n.sip, "20", str(256 << 10))
    res = n.stop()
    assert res["tcp_connections"] == 20 and res["tcp_bytes"] == 20 * (256 << 10), res
    print("ok: tcp 20 clients")


def case_malformed(n):
    repeat = 3
    assert n.ping(3, "0.2") == 3, "no echo before the bad frames"
    out = n.client("malformed", n.vc, n.mac, n.cip, n.sip, str(repeat))
    sent = {}
    for m in re.finditer(r"^sent (\d+) x (\w+)", out, re.M):
        sent[m.group(2)] = sent.get(m.group(2), 0) + int(m.group(1))
    got = n.ping(5, "0.2")
    assert got == 5, "ping after the bad frames: %d of 5" % got
    res = n.stop()
    wrong = {r: (c, res["dropped"].get(r)) for r, c in sent.items() if res["dropped"].get(r) != c}
    assert not wrong, "counter (sent, counted): %s" % wrong
    others = {r: c for r, c in res["dropped"].items() if c and r not in sent}
    assert not others, "unexpected drops: %s" % others
    assert res["out"]["icmp"] == 8, res["out"]
    print("ok: %d malformed cases each counted under its reason, ping still answered" % len(sent))


def case_tshark(n):
    cap = os.path.join(n.tmp, "cap.pcapng")
    d = subprocess.Popen(["ip", "netns", "exec", n.nsc, "dumpcap", "-q", "-i", n.vc, "-w", cap],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # dumpcap has opened the interface
        assert n.ping(20) == 20
        n.client("udp", n.sip)
        n.client("tcp", n.sip, "1", str(256 << 10))
        time.sleep(0.5)
    finally:
        d.send_signal(signal.SIGINT)
        d.wait(timeout=10)
    n.stop()
    prefs = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
             "-o", "tcp.check_checksum:TRUE"]

    def count(flt):
        p = subprocess.run(["tshark", "-n", "-r", cap] + prefs + ["-Y", flt],
                           capture_output=True, text=True, check=True)
        return len([l for l in p.stdout.splitlines() if l.strip()])
    # Only what tern-echo sent: the client's own frames carry partial checksums
    # (veth's TX offload), which tshark would rightly flag.
    src = "(ip.src == %s) && " % n.sip
    bad = count(src + '(ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || '
                      'tcp.checksum.status == "Bad" || icmp.checksum.status == "Bad")')
    good = {p: count(src + '%s.checksum.status == "Good"' % p) for p in ("ip", "icmp", "udp", "tcp")}
    # The same filter on the client's frames: veth leaves their checksums to
    # "the hardware", so some show as bad here; proof the filter can match.
    client_bad = count("(ip.src == %s) && " % n.cip + 'tcp.checksum.status == "Bad"')
    print("tshark: frames from tern-echo with good checksums:", good, "bad:", bad,
          "| client frames with a bad (offloaded) TCP checksum:", client_bad)
    assert bad == 0, "%d frames from tern-echo with a bad checksum" % bad
    assert good["icmp"] >= 20 and good["udp"] >= 3 and good["tcp"] > 100, good
    print("ok: tshark finds no bad checksum")


def case_arp5227(n):
    n.client("arp5227", n.vc, n.sip)
    assert n.ping(3, "0.2") == 3, "no echo after the conflict"
    res = n.stop()
    assert res["arp_probes"] == 1 and res["arp_defended"] == 1, res
    assert res["ignored"]["arp_conflict"] == 2, res["ignored"]
    print("ok: ARP probe answered, conflict defended once, both counted")


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


FLOOD_MEM_MB = 16


def case_flood(n):
    """Issue 12 items 4-6 at once: 384 idle connections that send 64 KiB and never
    read, 3000 SYNs from 150 sources that never answer ARP, a chargen-style UDP
    responder and an echo responder. tern-echo's memory stays under --stack-mem-mb,
    its counters name each refusal, and a real client (its own address) still gets
    ping, UDP and 1 MiB of TCP echoed during the flood."""
    assert n.ping(3, "0.2") == 3, "no echo before the flood"
    base = rss_kb(n.proc.pid)
    n.sh("ip", "-n", n.nsc, "addr", "add", n.rip + "/24", "dev", n.vc)
    flood = subprocess.Popen(["ip", "netns", "exec", n.nsc, PY, HERE, "client", "flood", n.vc, n.mac,
                              n.net, n.sip, "384", "3000", "6"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    peak, samples = base, []
    sampler_stop = threading.Event()

    def sample():
        nonlocal peak
        while not sampler_stop.is_set():
            r = rss_kb(n.proc.pid)
            samples.append(r)
            peak = max(peak, r)
            time.sleep(0.1)
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        time.sleep(2.0)  # the flood is on: connections filling, SYNs arriving
        p = n.in_c("ping", "-c", "20", "-i", "0.05", "-W", "2", "-I", n.rip, n.sip, check=False,
                   capture_output=True, text=True, timeout=60)
        m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout)
        pings = int(m.group(2)) if m else 0
        n.client("real", n.sip, n.rip)
        fout, _ = flood.communicate(timeout=60)
    finally:
        sampler_stop.set()
        sampler.join()
        if flood.poll() is None:
            flood.kill()
            flood.wait()
    sys.stdout.write(fout)
    after = rss_kb(n.proc.pid)
    res = n.stop()
    grow = (peak - base) / 1024.0
    print("flood: RSS %d kB before, peak %d kB (+%.1f MiB), %d kB at the end; stack_mem_peak %.1f MiB; "
          "ping %d/20" % (base, peak, grow, after, res["stack_mem_peak"] / 1048576.0, pings))
    print("flood counters:", {k: res[k] for k in ("tcp_connections", "tcp_refused", "tcp_source_refused",
                                                   "tcp_syn_dropped", "tcp_mem_refused", "tcp_mem_aborted",
                                                   "arp_limited", "udp_limited")},
          "udp_bad_sport", res["dropped"]["udp_bad_sport"], "arp out", res["out"]["arp"])
    fm = re.search(r"chargen responder got (\d+), echo responder got (\d+) \((\d+) a second ago\)", fout)
    assert fm, fout
    assert pings >= 18, "ping during the flood: %d of 20" % pings
    assert grow < FLOOD_MEM_MB, "RSS grew by %.1f MiB, over --stack-mem-mb %d" % (grow, FLOOD_MEM_MB)
    assert res["stack_mem_peak"] < FLOOD_MEM_MB << 20, res["stack_mem_peak"]
    assert res["tcp_source_refused"] > 0, "idle connections beyond --tcp-max-per-source not counted"
    assert res["tcp_syn_dropped"] > 0, "half-open connections beyond --tcp-max-half-open not counted"
    assert 0 < res["tcp_connections"] <= 32 + 1, res["tcp_connections"]
    assert res["dropped"]["udp_bad_sport"] >= 1, "the kick from port 19 was not refused"
    assert int(fm.group(1)) == 0, "tern-echo answered the chargen port %s times" % fm.group(1)
    assert res["udp_limited"] >= 1, "the echo loop with port 4000 was not cut by --udp-rate"
    assert fm.group(2) == fm.group(3), "the UDP loop with port 4000 still runs"
    assert res["out"]["arp"] < 50, "%d ARP frames sent for 3000 SYNs" % res["out"]["arp"]
    print("ok: flood: memory under the ceiling, every refusal counted, the real client served")


CASES = {"ping": case_ping, "arping": case_arping, "udp": case_udp, "tcp": case_tcp,
         "tcp20": case_tcp20, "malformed": case_malformed, "tshark": case_tshark,
         "flood": case_flood, "arp5227": case_arp5227}


def main():
    if sys.argv[1] == "client":
        kind = sys.argv[2]
        if kind == "udp":
            client_udp(sys.argv[3])
        elif kind == "tcp":
            client_tcp(sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        elif kind == "flood":
            client_flood(sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], int(sys.argv[7]),
                         int(sys.argv[8]), float(sys.argv[9]))
        elif kind == "arp5227":
            client_arp5227(sys.argv[3], sys.argv[4])
        elif kind == "real":
            client_real(sys.argv[3], sys.argv[4])
        elif kind == "malformed":
            client_malformed(sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], int(sys.argv[7]))
        return 0
    exe, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    if os.geteuid() != 0:
        print("skipped: needs root for network namespaces")
        return 77
    n = Netns(exe)

    def on_signal(sig, frame):
        raise SystemExit("killed by signal %d" % sig)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        n.setup(mtu=1600 if case == "malformed" else None)
        if case == "flood":
            n.start("--tcp-max-conns", "64", "--tcp-max-per-source", "32", "--tcp-max-half-open", "16",
                    "--stack-mem-mb", str(FLOOD_MEM_MB), "--udp-rate", "50")
        else:
            n.start()
        CASES[case](n)
    finally:
        n.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
