#!/usr/bin/env python3
# l2fwd_badopts.py TERN_L2FWD: every bad option or value gives exactly one
# line on stderr saying what is wrong and how to fix it, status 2, and no
# forwarding (nothing on stdout after the plan).
import os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import badopts  # noqa: E402

exe = sys.argv[1]
two = ["--no-huge", "-l", "0-1", "--vdev", "null0", "--vdev", "null1", "--"]
P = "tern-l2fwd: "
cases = [
    (two + ["-p", "zz"], P + "-p 'zz': not a hex port mask: give e.g. -p 0x3"),
    (two + ["-p", "0"], P + "-p '0': the mask selects no port: give e.g. -p 0x3"),
    (two + ["-p", "0x4"], P + "-p 0x4: port 2 does not exist (2 ports): give a mask within 0x3"),
    (two + ["-p", "0x1"], P + "1 ports enabled, an odd number: pair them with --portmap or leave one out with -p"),
    (["--no-huge", "-l", "0-1", "--vdev", "null0", "--vdev", "null1", "--vdev", "null2", "--"],
     P + "3 ports enabled, an odd number: pair them with --portmap or leave one out with -p"),
    (two + ["--portmap", "(0,1)(1,0)"],
     P + "--portmap '(0,1)(1,0)': port 1 is in two pairs: name each port once"),
    (two + ["--portmap", "(0,1"],
     P + "--portmap '(0,1': expected pairs '(A,B)': give e.g. --portmap \"(0,1)(2,3)\""),
    (two + ["--portmap", "(0,3)"],
     P + "--portmap: port 3 does not exist (2 ports): pair ports 0 to 1"),
    (two + ["--bogus"], P + "unknown option '--bogus': see tern-l2fwd -- --help"),
    (two + ["stray"], P + "unexpected argument 'stray': options start with '-' (see --help)"),
    (two + ["--burst", "0"], P + "--burst 0: out of range: give 1 to 512"),
    (two + ["--burst", "513"], P + "--burst 513: out of range: give 1 to 512"),
    (two + ["--burst", "x"], P + "--burst 'x': not a number: give 1 to 512"),
    (two + ["--burst"], P + "option '--burst' needs a value: e.g. --burst 32"),
    (two + ["--mode", "turbo"], P + "--mode 'turbo': unknown mode: give rtc or pipeline"),
    (two + ["--ring-size", "1000"],
     P + "--ring-size '1000': not a power of two from 32 to 65536: give e.g. --ring-size 4096"),
    (two + ["-q", "0"], P + "-q '0': not a queue count: give 1 to 64"),
    (two + ["-T", "-1"], P + "-T '-1': not a number of seconds: give 0 (off) to 86400"),
    (two + ["--duration", "1.5s"],
     P + "--duration '1.5s': not a number of seconds: give 0 (until SIGINT) or more"),
    (two + ["--json", "/nonexistent-dir/x.json"],
     P + "--json /nonexistent-dir/x.json: cannot open: No such file or directory: give a writable path"),
    (["--no-huge", "-l", "0", "--vdev", "null0", "--vdev", "null1", "--", "--mode", "pipeline"],
     P + "--mode pipeline needs at least 2 lcores (RX and TX): give e.g. -l 0-1"),
    (["--no-huge", "-l", "0", "--vdev", "null0", "--vdev", "null1", "--"],
     P + "2 ports need 2 lcores at -q 1, but there are 1: add lcores with -l or raise -q"),
    (["--no-huge", "-l", "0-1", "--"],
     P + "no ports: name some with EAL options, e.g. --vdev null0 --vdev null1"),
]
cases = [([exe] + a, w) for a, w in cases]
sys.exit(badopts.run_cases(cases, exe, P))
