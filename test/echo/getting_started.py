#!/usr/bin/env python3
# getting_started.py BUILD_ROOT DOC: run doc/getting-started.md's shell blocks
# as written (but those marked "not run by test/echo/getting_started.py"),
# in order, in one bash, from a scratch directory where `build` is the meson
# build root. Namespace names get this PID so that runs cannot collide; an
# EXIT trap deletes them whatever happens. Then check what the doc promises.
import os, re, subprocess, sys, tempfile

build, doc = os.path.abspath(sys.argv[1]), sys.argv[2]
if os.geteuid() != 0:
    print("skipped: needs root for network namespaces")
    sys.exit(77)
text = open(doc).read()
blocks = []
for m in re.finditer(r"(<!--[^>]*-->\n)?```sh\n(.*?)```", text, re.S):
    if m.group(1) and "not run by test/echo/getting_started.py" in m.group(1):
        continue
    blocks.append(m.group(2))
assert len(blocks) >= 8, "found %d runnable blocks" % len(blocks)
tag = "demo%d-" % os.getpid()
names = sorted(set(re.findall(r"demo-[a-z]+", text)))
script = "set -e\ntrap 'for ns in %s; do ip netns del $ns 2>/dev/null || true; done' EXIT\n" % \
    " ".join(n.replace("demo-", tag) for n in names)
script += "\n".join(b.replace("demo-", tag) for b in blocks)
with tempfile.TemporaryDirectory() as tmp:
    os.symlink(build, os.path.join(tmp, "build"))
    p = subprocess.run(["bash", "-c", script], cwd=tmp, capture_output=True, text=True,
                       timeout=150)
out = p.stdout + p.stderr
sys.stdout.write(out)
assert p.returncode == 0, "the doc's commands failed (exit %d)" % p.returncode
assert len(re.findall(r"3 packets transmitted, 3 received", out)) == 2, "ping: not 3/3 twice"
assert "Received 3 response(s)" in out, "arping"
assert re.search(r"^hello udp$", out, re.M) and re.search(r"^hello tcp$", out, re.M), "nc"
bufs = re.findall(r"^buffers: (\d+)/(\d+) returned$", out, re.M)
assert len(bufs) == 3 and all(a == b for a, b in bufs), bufs
left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
assert tag not in left, "namespaces left behind"
print("ok: getting-started.md runs as written")
