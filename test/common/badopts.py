# test/common/badopts.py - the bad-option check the examples' tests share:
# every case must give exactly one line on stderr (the expected one), exit
# status 2, and no traffic (no "buffers:" or "Mpps" on stdout); and tern's
# own EAL errors come out as one line under the program's name.
import subprocess


def run_cases(cases, exe, prefix):
    """cases: (argv, wanted stderr line) pairs, argv with the program first;
    exe: the program whose EAL errors are checked; prefix: "prog: ".
    Prints each wrong case; returns the exit status for the test."""
    bad = 0
    for args, want in cases:
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        err = p.stderr.splitlines()
        ok = p.returncode == 2 and err == [want] and "buffers:" not in p.stdout \
            and "Mpps" not in p.stdout
        if not ok:
            bad += 1
            print("FAIL: %s\n  want: %s (2)\n  got:  %s (%d)"
                  % (" ".join(args), want, err, p.returncode))
    for args in (["--no-huge", "--bogus"], ["--no-huge", "--vdev", "nope0", "--"]):
        p = subprocess.run([exe] + args, capture_output=True, text=True, timeout=60)
        err = p.stderr.splitlines()
        if p.returncode != 2 or len(err) != 1 or not err[0].startswith(prefix):
            bad += 1
            print("FAIL: %s: got %s (%d)" % (" ".join(args), err, p.returncode))
    print("%d of %d cases wrong" % (bad, len(cases) + 2))
    return 1 if bad else 0
