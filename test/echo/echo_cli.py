#!/usr/bin/env python3
# echo_cli.py TERN_ECHO: tern-echo as a user drives it, on a null port (no
# root, no network): bad options are one line and exit 2, --help, --duration
# with -T stats and --json, SIGINT and SIGTERM end it cleanly with every
# buffer back.
import json, os, re, signal, subprocess, sys, tempfile, time

exe = sys.argv[1]
EAL = ["--no-huge", "-l", "0", "--vdev", "null0"]


def run(args, timeout=30):
    return subprocess.run([exe] + args, capture_output=True, text=True, timeout=timeout)


bad = [
    ([], "no address to answer for"),
    (["--ip", "10.0.0.2"], "--ip '10.0.0.2'"),
    (["--ip", "10.0.0.256/24"], "--ip '10.0.0.256/24'"),
    (["--ip", "10.0.0.2/33"], "--ip '10.0.0.2/33'"),
    (["--ip", "10.0.0.2/0"], "--ip '10.0.0.2/0'"),
    (["--ip", "010.0.0.2/24"], "--ip '010.0.0.2/24'"),
    (["--ip", "224.0.0.1/24"], "not a unicast address"),
    (["--ip", "127.0.0.1/8"], "not a unicast address"),
    (["--ip", "10.0.0.2/24", "--port", "x"], "--port 'x'"),
    (["--ip", "10.0.0.2/24", "--port", "32"], "--port '32'"),
    (["--ip", "10.0.0.2/24", "--port", "3"], "--port 3: no such port"),
    (["--ip", "10.0.0.2/24", "--duration", "-1"], "--duration '-1'"),
    (["--ip", "10.0.0.2/24", "-T", "x"], "-T 'x'"),
    (["--ip", "10.0.0.2/24", "--json", ""], "--json: empty file name"),
    (["--ip", "10.0.0.2/24", "--json", "/nonexistent/dir/x.json"], "--json /nonexistent/dir/x.json: cannot open"),
    (["--ip", "10.0.0.2/24", "--bogus"], "unknown option '--bogus'"),
    (["--ip", "10.0.0.2/24", "stray"], "unexpected argument 'stray'"),
    (["--ip"], "option '--ip' needs a value"),
    (["--ip", "10.0.0.2/24", "--tcp-max-conns", "0"], "--tcp-max-conns '0': not a number of connections: give 1 to 65535"),
    (["--ip", "10.0.0.2/24", "--tcp-max-half-open", "x"], "--tcp-max-half-open 'x'"),
    (["--ip", "10.0.0.2/24", "--tcp-max-per-source", "70000"], "--tcp-max-per-source '70000'"),
    (["--ip", "10.0.0.2/24", "--tcp-conn-bytes", "100"], "--tcp-conn-bytes '100': not a number of bytes: give 2920 to 65535"),
    (["--ip", "10.0.0.2/24", "--stack-mem-mb", "0"], "--stack-mem-mb '0'"),
    (["--ip", "10.0.0.2/24", "--arp-rate", "-1"], "--arp-rate '-1'"),
    (["--ip", "10.0.0.2/24", "--udp-rate", "1e6"], "--udp-rate '1e6'"),
    # The connection bounds must fit the memory ceiling: 256 x 86016 bytes + 64 x 4 KiB.
    (["--ip", "10.0.0.2/24", "--stack-mem-mb", "8"],
     "--tcp-max-conns 256 of --tcp-conn-bytes 32768 and --tcp-max-half-open 64 may take 22 MiB, "
     "over --stack-mem-mb 8: raise --stack-mem-mb to 22 or lower the others"),
]
for args, want in bad:
    p = run(EAL + ["--"] + args)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2, "%s: exit %d, stderr %r" % (args, p.returncode, p.stderr)
    assert len(lines) == 1 and lines[0].startswith("tern-echo: ") and want in lines[0], \
        "%s: stderr %r" % (args, p.stderr)
    assert p.stdout == "", "%s: stdout %r" % (args, p.stdout)
# An EAL mistake is one line too.
p = run(["--no-huge", "-l", "999", "--vdev", "null0", "--", "--ip", "10.0.0.2/24"])
assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
# No port at all.
p = run(["--no-huge", "-l", "0", "--", "--ip", "10.0.0.2/24"])
assert p.returncode == 2 and "no ports" in p.stderr, p.stderr
print("ok: %d bad command lines, one line each, exit 2" % (len(bad) + 2))

p = run(["--", "--help"])
assert p.returncode == 0 and p.stdout.startswith("usage: tern-echo"), p
print("ok: --help")

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "echo.json")
    p = run(EAL + ["--", "--ip", "10.0.0.2/24", "--duration", "2", "-T", "1", "--json", out])
    sys.stdout.write(p.stdout)
    assert p.returncode == 0, p.stderr
    res = json.load(open(out))
    assert 1.9 <= res["duration_s"] <= 3.0, res["duration_s"]
    assert res["ip"] == "10.0.0.2/24" and res["port"] == 0
    assert res["buffers_returned"] == res["buffers_total"] > 0, res
    assert set(res["in"]) == {"arp", "icmp", "udp", "tcp", "other"}
    assert "runt_eth" in res["dropped"] and "not_for_us" in res["ignored"]
    assert len(re.findall(r"^\[\s*[\d.]+ s\] arp \d+/\d+ icmp", p.stdout, re.M)) in (1, 2), p.stdout
    m = re.search(r"^buffers: (\d+)/(\d+) returned$", p.stdout, re.M)
    assert m and m.group(1) == m.group(2) == str(res["buffers_total"])
    print("ok: --duration 2 -T 1 --json")

for sig in (signal.SIGINT, signal.SIGTERM):
    proc = subprocess.Popen([exe] + EAL + ["--", "--ip", "10.0.0.2/24"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("tern-echo: 10.0.0.2/24 at "), line
    time.sleep(0.5)
    proc.send_signal(sig)
    rest, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, "%s: exit %d: %s" % (sig.name, proc.returncode, err)
    m = re.search(r"^buffers: (\d+)/(\d+) returned$", rest, re.M)
    assert m and m.group(1) == m.group(2), rest
    print("ok: %s ends it cleanly, %s/%s buffers" % (sig.name, m.group(1), m.group(2)))
