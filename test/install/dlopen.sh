#!/usr/bin/env bash
# dlopen.sh LIBTERN_SO: libtern.so loads with dlopen() from any host.
#
# A library loaded at run time (ctypes, JNI, a plugin host) gets its
# initial-exec thread-local storage from glibc's small static TLS surplus,
# a few hundred bytes shared by every such library. libtern keeps two
# initial-exec variables for the fast path (tern_lcore_id_, tern_errno), which
# puts its whole TLS block in that surplus, so the block must stay small.
set -euo pipefail
so=${1:?usage: dlopen.sh path/to/libtern.so}
limit=${TERN_TLS_LIMIT:-768}

# The TLS program header: its MemSiz is the per-thread block.
tls=$(readelf -lW "$so" | awk '$1 == "TLS" { print $6 }')
[ -n "$tls" ] || tls=0x0
bytes=$((tls))
echo "dlopen.sh: $so has $bytes bytes of thread-local storage (limit $limit)"
if [ "$bytes" -gt "$limit" ]; then
	echo "dlopen.sh: $bytes bytes of TLS: a host that dlopen()s libtern would fail with" \
		"'cannot allocate memory in static TLS block'; keep large per-thread state on the heap" >&2
	exit 1
fi
# What a Python host does: Debian's python3, ctypes only. A sanitizer build
# cannot be dlopen()ed by an uninstrumented interpreter: skip that part.
if ldd "$so" | grep -Eq 'lib(asan|tsan|ubsan)'; then
	echo "dlopen.sh: sanitizer build, python3 dlopen skipped"
	exit 0
fi
/usr/bin/python3 - "$so" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.tern_eal_is_initialized.restype = ctypes.c_bool
assert not lib.tern_eal_is_initialized()
print("dlopen.sh: python3 ctypes loaded", sys.argv[1])
PY
