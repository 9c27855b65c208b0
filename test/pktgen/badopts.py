#!/usr/bin/env python3
# badopts.py TERN_PKTGEN TERN_L2FWD: every bad option or value gives exactly one line on
# stderr saying what is wrong and how to fix it, status 2, and no traffic
# (no stats line, no buffers line).
import os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import badopts  # noqa: E402

exe = sys.argv[1]
one = ["--no-huge", "-l", "0", "--vdev", "null0", "--"]
P = "tern-pktgen: "
cases = [
    (one + ["--rate", "20000"],
     P + "port 0: --rate asks for 20000 Mbit/s on the wire, above the port's link speed of "
     "10000 Mbit/s: lower --rate"),
    (one + ["--rate", "15mpps"],
     P + "port 0: --rate asks for 10080 Mbit/s on the wire, above the port's link speed of "
     "10000 Mbit/s: lower --rate"),
    (one + ["--rate", "fast"],
     P + "--rate 'fast': give [PORT:]RATE with RATE a positive number of wire Mbit/s, NUMmpps "
     "or max, e.g. --rate 0:1000"),
    (one + ["--rate", "0"],
     P + "--rate '0': give [PORT:]RATE with RATE a positive number of wire Mbit/s, NUMmpps "
     "or max, e.g. --rate 0:1000"),
    (one + ["--size", "63"],
     P + "--size '63': give a frame size in bytes with CRC from 64 to 1518, or imix"),
    (one + ["--size", "1519"],
     P + "--size '1519': give a frame size in bytes with CRC from 64 to 1518, or imix"),
    (one + ["--size", "jumbo"],
     P + "--size 'jumbo': give a frame size in bytes with CRC from 64 to 1518, or imix"),
    (one + ["--flows", "0"], P + "--flows '0': give a whole number from 1 to 65536"),
    (one + ["--flows", "65537"], P + "--flows '65537': give a whole number from 1 to 65536"),
    (one + ["--burst", "0"], P + "--burst '0': give a whole number from 1 to 512"),
    (one + ["--dst-mac", "1:02:00"],
     P + "--dst-mac '1:02:00': give [PORT:]xx:xx:xx:xx:xx:xx, e.g. 1:02:00:00:00:00:01"),
    (one + ["--dst-ip", "0:198.18.1"], P + "--dst-ip '0:198.18.1': give [PORT:]A.B.C.D, e.g. 0:198.18.1.2"),
    (one + ["--rfc2544", "64,9000"],
     P + "--rfc2544 '64,9000': give up to 16 frame sizes with CRC from 64 to 1518, "
     "comma-separated, e.g. 64,128,1518"),
    (one + ["--loss", "101"], P + "--loss '101': give a percentage from 0 to 100"),
    (one + ["-p", "0x2"],
     P + "-p 0x2 names port 1, but there are 1 ports (0..0): fix -p or add a --vdev"),
    (one + ["--tx-mask", "0x2"], P + "--tx-mask 0x2 names ports not in -p 0x1"),
    (one + ["--bogus"], P + "unknown option '--bogus': see tern-pktgen -- --help"),
    (one + ["--flows"], P + "option '--flows' needs a value: e.g. --flows 16"),
    (one + ["--json", "/nonexistent-dir/x.json"],
     P + "--json /nonexistent-dir/x.json: cannot open: No such file or directory: give a writable path"),
    (["--no-huge", "-l", "0", "--"], P + "no ports: give one with --vdev, e.g. --vdev null0"),
]
# tern-l2fwd's device-under-test options.
l2fwd = sys.argv[2]
two = ["--no-huge", "-l", "0", "--vdev", "null0", "--vdev", "null1", "--", "-q", "2"]
L = "tern-l2fwd: "
l3 = ["--profile", "l3", "--addr", "0:198.18.1.1/24", "--addr", "1:198.19.1.1/24"]
l2fwd_cases = [
    (two + ["--profile", "router"], L + "--profile 'router': unknown profile: give l2, reflector or l3"),
    (two + ["--profile", "l3"],
     L + "--profile l3: port 0 has no address: give e.g. --addr 0:198.18.1.1/24"),
    (two + ["--addr", "0:198.18.1.1"],
     L + "--addr '0:198.18.1.1': give PORT:A.B.C.D/LEN with LEN 1 to 30, e.g. --addr 0:198.18.1.1/24"),
    (two + ["--route", "10.0.0.0/8"],
     L + "--route '10.0.0.0/8': give PREFIX/LEN,NEXTHOP, e.g. --route 10.0.0.0/8,198.18.1.2"),
    (two + l3 + ["--route", "10.0.0.0/8,192.0.2.1"],
     L + "--route 10.0.0.0/8,192.0.2.1: the next hop is on no port's subnet: give a next hop "
     "inside an --addr subnet"),
    (two + l3 + ["--mode", "pipeline"], L + "--profile l3 runs in --mode rtc only: leave --mode out"),
    (two + ["--profile", "reflector", "--portmap", "(0,1)"],
     L + "--portmap pairs ports, but --profile reflector chooses each frame's port itself: "
     "leave --portmap out"),
    (two + ["--stats-format", "xml"],
     L + "--stats-format 'xml': unknown format: give plain, moongen, csv or json"),
]
cases = [([exe] + a, w) for a, w in cases] + [([l2fwd] + a, w) for a, w in l2fwd_cases]
sys.exit(badopts.run_cases(cases, exe, P))
