#!/usr/bin/env python3
"""memif end to end: memif_test.py XCHK L2FWD CASE

CASE
  dpdk-server-1q / -2q  tern client <-> dpdk-testpmd net_memif server (io, looped)
  dpdk-client-1q / -2q  tern server <-> dpdk-testpmd net_memif client
                        frames byte-exact both ways, every buffer back (memif_xchk echo)
  dpdk-server-zc-1q / -2q  the same with tern's client in zero-copy=yes (hugepages):
                        the connect line names the shared pool region
  dpdk-server-zc-kill   tern zero-copy client <-> testpmd -i (a server that reads
                        nothing): the C2S ring fills with lent buffers, testpmd is
                        killed with -9, every buffer is back while the port is started
  tern-zc               memif_xchk (two zero-copy client ports) <-> tern-l2fwd (two
                        server ports, copying): frames byte-exact, every buffer back
  bad-zc-nohuge         zero-copy=yes with --no-huge: one line at start, exit non-zero
  l2fwd-kill            memif_xchk (two server ports) <-> tern-l2fwd (two client ports),
                        l2fwd killed with -9 and restarted mid-run: the servers serve the
                        new process, frames flow again, every buffer back on both sides
  bad-file              socket= path is a regular file: one line, exit non-zero, file kept
  bad-secret            secret mismatch: one line each side, link stays down, nothing leaked
  bad-id                the client asks for an id nobody serves: one line on each side
  bad-rsize             client rsize above the server's: one line, connects with the smaller
Exit 77 (skip) when dpdk-testpmd or its memif driver is missing for the dpdk cases.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

xchk, l2fwd, case = sys.argv[1], sys.argv[2], sys.argv[3]
tmp = tempfile.mkdtemp(prefix="memif-MEMIF-%d-" % os.getpid())
procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(tmp, ignore_errors=True)


def fail(msg):
    print("FAIL:", msg)
    cleanup()
    sys.exit(1)


def run(cmd, timeout=30):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    return p


def tern(vdevs, *args, huge=False):
    # Zero-copy shares the pool with the peer: hugepage (memfd) memory, not --no-huge.
    cmd = [xchk, "-l", "0", "--log-level", "memif:info"] if huge else [xchk, "--no-huge", "-l", "0"]
    for v in vdevs:
        cmd += ["--vdev", v]
    return cmd + ["--"] + list(args)


def lines(text, needle):
    return [ln for ln in text.splitlines() if needle in ln]


def testpmd(role, sock, queues, forward=True):
    exe = shutil.which("dpdk-testpmd")
    if exe is None:
        print("SKIP: no dpdk-testpmd")
        cleanup()
        sys.exit(77)
    free = 0
    for ln in open("/proc/meminfo"):
        if ln.startswith("HugePages_Free:"):
            free = int(ln.split()[1])
    # Hugepages and --in-memory when there are enough free, else DPDK's --no-huge.
    mem = ["--in-memory"] if free >= 48 else ["--no-huge", "-m", "256"]
    log = open(os.path.join(tmp, "testpmd.log"), "w")
    # stdbuf: testpmd's "Press enter to exit" (forwarding started) reaches the log at once.
    cmd = ["stdbuf", "-oL", exe, "-l", "0-1", "--file-prefix", "memif-MEMIF-%d" % os.getpid(), "--no-pci"] + mem + [
        "--vdev", "net_memif0,role=%s,socket=%s,socket-abstract=no" % (role, sock), "--"]
    # forward=False: interactive, ports started (memif connects) but nothing polled.
    cmd += ["--auto-start", "--port-topology=loop", "--forward-mode=io", "--stats-period", "0"] \
        if forward else ["-i"]
    cmd += ["--total-num-mbufs=8192", "--disable-link-check", "--rxq=%d" % queues, "--txq=%d" % queues]
    # stdin held open: testpmd quits at its end.
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    procs.append(p)
    return p


def testpmd_wait(tp, ready="Press enter to exit"):
    # Forwarding started (a client that connects earlier meets queues set up again).
    for _ in range(300):
        if ready in open(os.path.join(tmp, "testpmd.log")).read() or tp.poll() is not None:
            break
        time.sleep(0.05)
    if tp.poll() is not None:
        print(open(os.path.join(tmp, "testpmd.log")).read())
        print("SKIP: testpmd did not start (memif driver or memory missing)")
        cleanup()
        sys.exit(77)


def dpdk_case(tern_role, queues, zc=False):
    sock = os.path.join(tmp, "s.sock")
    vdev = "memif0,socket=%s,socket-abstract=no,role=%s" % (sock, tern_role)
    if zc:
        vdev += ",zero-copy=yes"
    if tern_role == "client":
        tp = testpmd("server", sock, queues)
        testpmd_wait(tp)
        p = run(tern([vdev], "echo", "--frames", "20000", "--queues", str(queues),
                     "--wait-link", "10", huge=zc))
        if zc and not lines(p.stdout + p.stderr, "zero-copy from 1 pool region"):
            fail("no zero-copy connect line")
    else:
        go = os.path.join(tmp, "go")
        t = subprocess.Popen(tern([vdev], "echo", "--frames", "20000", "--queues", str(queues),
                                  "--wait-link", "10", "--go-file", go),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(t)
        time.sleep(0.3)
        tp = testpmd("client", sock, queues)
        # testpmd flushes its RX queues when forwarding starts: send only after that.
        for _ in range(300):
            if "Press enter to exit" in open(os.path.join(tmp, "testpmd.log")).read() or \
                    tp.poll() is not None:
                break
            time.sleep(0.05)
        open(go, "w").close()
        out, _ = t.communicate(timeout=30)
        sys.stdout.write(out)
        p = subprocess.CompletedProcess(t.args, t.returncode, out, "")
    if p.returncode != 0 or not lines(p.stdout, "ok echo: sent 20000, received 20000 intact"):
        print(open(os.path.join(tmp, "testpmd.log")).read()[-3000:])
        fail("tern %s <-> testpmd, %d queue(s)" % (tern_role, queues))


def dpdk_zc_kill():
    sock = os.path.join(tmp, "s.sock")
    tp = testpmd("server", sock, 1, forward=False)
    testpmd_wait(tp, "testpmd>")
    t = subprocess.Popen(tern(["memif0,socket=%s,socket-abstract=no,role=client,zero-copy=yes" % sock],
                              "lend", "--wait-link", "10", huge=True),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs.append(t)
    out = ""
    for ln in t.stdout:
        out += ln
        if ln.startswith("lent:"):
            break
    tp.kill()  # -9, with every C2S slot lent
    tp.wait()
    rest, _ = t.communicate(timeout=30)
    out += rest
    sys.stdout.write(out)
    # Held by the driver before the kill: 1024 lent on the C2S ring, 1024 offered on S2C.
    if not lines(out, "lent: sent 1024, held 2048"):
        fail("the zero-copy client did not hold its lent and offered buffers")
    if t.returncode != 0 or not lines(out, "pool full"):
        fail("buffers lost when the server was killed")


def tern_zc():
    s1, s2 = os.path.join(tmp, "a.sock"), os.path.join(tmp, "b.sock")
    fwd = subprocess.Popen([l2fwd, "--no-huge", "-l", "0-1",
                            "--vdev", "memif0,socket=%s,socket-abstract=no" % s1,
                            "--vdev", "memif1,socket=%s,socket-abstract=no" % s2,
                            "--", "-T", "0", "--duration", "6"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(fwd)
    time.sleep(0.3)
    p = run(tern(["memif0,socket=%s,socket-abstract=no,role=client,zero-copy=yes" % s1,
                  "memif1,socket=%s,socket-abstract=no,role=client,zero-copy=yes" % s2],
                 "fwd", "--seconds", "2", "--wait-link", "3", huge=True))
    if p.returncode != 0 or not lines(p.stdout, "ok fwd"):
        fail("tern zero-copy client <-> tern-l2fwd server")
    if len(lines(p.stdout + p.stderr, "zero-copy from 1 pool region")) != 2:
        fail("expected a zero-copy connect line per port")


def l2fwd_kill():
    s1, s2 = os.path.join(tmp, "a.sock"), os.path.join(tmp, "b.sock")
    gen = subprocess.Popen(tern(["memif0,socket=%s,socket-abstract=no" % s1,
                                 "memif1,socket=%s,socket-abstract=no" % s2],
                                "fwd", "--seconds", "6", "--expect-restart", "--wait-link", "5"),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs.append(gen)
    fwd = [l2fwd, "--no-huge", "-l", "0-1",
           "--vdev", "memif0,socket=%s,socket-abstract=no,role=client" % s1,
           "--vdev", "memif1,socket=%s,socket-abstract=no,role=client" % s2, "--", "-T", "0"]
    time.sleep(0.3)
    first = subprocess.Popen(fwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(first)
    time.sleep(2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(0.5)
    second = run(fwd + ["--duration", "3"])
    out, _ = gen.communicate(timeout=30)
    sys.stdout.write(out)
    if second.returncode != 0:
        fail("the restarted tern-l2fwd exited %d" % second.returncode)
    if gen.returncode != 0 or not lines(out, "ok fwd"):
        fail("memif_xchk did not see frames flow again after the restart")
    if not lines(out, "disconnected from tern: the peer closed the socket"):
        fail("no disconnect line for the killed peer")


def bad_file():
    path = os.path.join(tmp, "not-a-socket")
    open(path, "w").write("keep me\n")
    p = run(tern(["memif0,socket=%s,socket-abstract=no" % path], "link"))
    err = [ln for ln in lines(p.stdout + p.stderr, "exists and is not a socket")
           if ln.startswith("tern:")]
    if p.returncode == 0 or len(err) != 1:
        fail("a regular file as socket=: exit %d, %d explaining line(s)" % (p.returncode, len(err)))
    if open(path).read() != "keep me\n":
        fail("the file at socket= was changed")


def pair(server_args, client_args, server_expect, client_expect, wait=2.0):
    sock = os.path.join(tmp, "p.sock")
    srv = subprocess.Popen(tern(["memif0,socket=%s%s" % (sock, server_args)], "link",
                                "--wait-link", str(wait + 0.5), "--expect", server_expect),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs.append(srv)
    time.sleep(0.3)
    cli = run(tern(["memif0,socket=%s,role=client%s" % (sock, client_args)], "link",
                   "--wait-link", str(wait), "--expect", client_expect))
    sout, _ = srv.communicate(timeout=30)
    sys.stdout.write(sout)
    if "pool full" not in sout + cli.stdout and (srv.returncode or cli.returncode):
        fail("server exit %d, client exit %d" % (srv.returncode, cli.returncode))
    if srv.returncode != 0 or cli.returncode != 0:
        fail("server exit %d, client exit %d" % (srv.returncode, cli.returncode))
    return sout, cli.stdout + cli.stderr


if case == "dpdk-server-zc-kill":
    dpdk_zc_kill()
elif case.startswith("dpdk-"):
    dpdk_case("client" if case.startswith("dpdk-server") else "server", int(case[-2]),
              zc="-zc-" in case)
elif case == "tern-zc":
    tern_zc()
elif case == "bad-zc-nohuge":
    p = run(tern(["memif0,socket=%s,socket-abstract=no,role=client,zero-copy=yes" %
                  os.path.join(tmp, "z.sock")], "link"))
    err = [ln for ln in lines(p.stdout + p.stderr, "it is private memory (--no-huge)")
           if ln.startswith("tern:")]
    # Exit 2: memif_xchk's port start failed (not a link that stayed down).
    if p.returncode != 2 or len(err) != 1:
        fail("zero-copy with --no-huge: exit %d, %d explaining line(s)" % (p.returncode, len(err)))
elif case == "l2fwd-kill":
    l2fwd_kill()
elif case == "bad-file":
    bad_file()
elif case == "bad-secret":
    s, c = pair(",secret=right", ",secret=wrong", "down", "down")
    if len(lines(s, "the wrong secret")) != 1 or len(lines(c, "Incorrect secret")) != 1:
        fail("expected one line on each side about the secret")
elif case == "bad-id":
    s, c = pair(",id=1", ",id=2", "down", "down")
    if len(lines(s, "asked for id 2, which no memif port serves")) != 1 or \
            len(lines(c, "ID not found")) != 1:
        fail("expected one line on each side about the id")
elif case == "bad-rsize":
    s, c = pair(",rsize=8", ",rsize=12", "up", "up")
    if len(lines(c, "rsize=12 is above the server's maximum 8")) != 1:
        fail("expected one line about the ring size")
else:
    fail("unknown case " + case)
print("ok", case)
cleanup()
