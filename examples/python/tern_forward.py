#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tern from Python: ctypes only, no compiled glue.

Starts tern from a config struct (two null ports, logs through a Python
function), creates a packet pool, forwards bursts of 32 from port 0 to port 1
and back for a second, prints Mpps and the buffer accounting, cleans up, and
does it all again in the same process.

    python3 examples/python/tern_forward.py [--lib PATH] [--seconds S] [--rounds N]

The library is found with --lib, else $TERN_LIB, else the dynamic loader's
search path (an installed tern, or LD_LIBRARY_PATH). The fast path goes
through tern_ffi.h: the exported forms of the inline burst and buffer calls.
Exit status 0 only if every round forwarded packets and got every buffer back.

    python3 examples/python/tern_forward.py --layout
prints the size and field offsets of the ctypes mirror of
struct tern_eal_config (the install test compares them with the C compiler's).
"""
import argparse
import ctypes
import ctypes.util
import os
import sys
import time

# ---- struct tern_eal_config, as tern_eal.h defines it ----------------------
TERN_MAX_NUMA_NODES = 8
TERN_EAL_MAX_DEVARGS = 32
TERN_EAL_MAX_PLUGINS = 16
TERN_DEVARG_NAME_LEN = 64
TERN_DEVARG_ARGS_LEN = 256
TERN_EAL_PATH_LEN = 512
TERN_EAL_CORELIST_LEN = 256
TERN_EAL_MAX_LOG_LEVELS = 16
TERN_LOG_COMPONENT_LEN = 32
TERN_SOCKET_ID_ANY = -1
TERN_PKT_DEFAULT_BUF_SIZE = 2048 + 128
TERN_LOG_ERR = 4

# void (*)(void *arg, enum tern_log_level level, const char *component, const char *msg)
LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p)


class Devarg(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * TERN_DEVARG_NAME_LEN),
                ("args", ctypes.c_char * TERN_DEVARG_ARGS_LEN)]


class LogLevel(ctypes.Structure):
    _fields_ = [("component", ctypes.c_char * TERN_LOG_COMPONENT_LEN),
                ("level", ctypes.c_int)]


class EalConfig(ctypes.Structure):
    _fields_ = [("cores", ctypes.c_char * TERN_EAL_CORELIST_LEN),
                ("pin_main", ctypes.c_bool),
                ("no_huge", ctypes.c_bool),
                ("mem_mb", ctypes.c_size_t),
                ("socket_mem_mb", ctypes.c_size_t * TERN_MAX_NUMA_NODES),
                ("iova_mode", ctypes.c_int),
                ("log_level", ctypes.c_int),
                ("nb_pci", ctypes.c_uint),
                ("pci", Devarg * TERN_EAL_MAX_DEVARGS),
                ("nb_vdev", ctypes.c_uint),
                ("vdev", Devarg * TERN_EAL_MAX_DEVARGS),
                ("nb_plugins", ctypes.c_uint),
                ("plugins", (ctypes.c_char * TERN_EAL_PATH_LEN) * TERN_EAL_MAX_PLUGINS),
                ("log_fn", LOG_FN),
                ("log_arg", ctypes.c_void_p),
                ("nb_log_levels", ctypes.c_uint),
                ("log_levels", LogLevel * TERN_EAL_MAX_LOG_LEVELS)]


class PortStats(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in
                ("ipackets", "ibytes", "ierrors", "opackets", "obytes", "oerrors",
                 "rx_nombuf", "imissed")]


def load(path):
    """The library and the prototypes of what this script calls."""
    lib = ctypes.CDLL(path)
    P, U16, U, I = ctypes.c_void_p, ctypes.c_uint16, ctypes.c_uint, ctypes.c_int
    protos = {
        "tern_eal_config_init": (None, [ctypes.POINTER(EalConfig)]),
        "tern_eal_init": (I, [ctypes.POINTER(EalConfig)]),
        "tern_eal_cleanup": (I, []),
        "tern_eal_is_initialized": (ctypes.c_bool, []),
        "tern_eal_last_error": (ctypes.c_char_p, []),
        "tern_lcore_count": (U, []),
        "tern_port_count": (U16, []),
        "tern_port_configure": (I, [U16, U16, U16, P]),
        "tern_port_rx_queue_setup": (I, [U16, U16, U16, I, P]),
        "tern_port_tx_queue_setup": (I, [U16, U16, U16, I]),
        "tern_port_start": (I, [U16]),
        "tern_port_stop": (I, [U16]),
        "tern_port_close": (I, [U16]),
        "tern_port_stats_get": (I, [U16, ctypes.POINTER(PortStats)]),
        "tern_pktpool_create": (P, [ctypes.c_char_p, U, U, U16, U16, I]),
        "tern_mempool_free": (None, [P]),
        "tern_mempool_avail_count": (U, [P]),
        "tern_ffi_mempool_size": (U, [P]),
        "tern_ffi_lcore_id": (U, []),
        "tern_ffi_port_rx_burst": (U16, [U16, U16, P, U16]),
        "tern_ffi_port_tx_burst": (U16, [U16, U16, P, U16]),
        "tern_ffi_pkt_free_bulk": (None, [P, U]),
        "tern_ffi_pkt_alloc": (P, [P]),
        "tern_ffi_pkt_free": (None, [P]),
        "tern_ffi_pkt_append": (ctypes.c_void_p, [P, U16]),
        "tern_ffi_pkt_len": (ctypes.c_uint32, [P]),
    }
    for name, (res, args) in protos.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


class Host:
    """A Python application that uses tern for packet I/O."""

    def __init__(self, lib):
        self.lib = lib
        self.log_lines = []
        # Kept referenced for as long as tern may call it (ctypes frees
        # the trampoline with the Python object).
        self.log_fn = LOG_FN(self._log)

    def _log(self, _arg, level, component, msg):
        line = "%s: %s" % (component.decode(errors="replace"), msg.decode(errors="replace"))
        self.log_lines.append(line)
        print("[py] tern says: %s%s" % (line, " (error)" if level <= TERN_LOG_ERR else ""),
              flush=True)

    def error(self, what, ret):
        return "%s: %s (%s)" % (what, os.strerror(-ret) if ret < 0 else ret,
                                self.lib.tern_eal_last_error().decode(errors="replace"))

    def config(self, first=b"null0"):
        cfg = EalConfig()
        self.lib.tern_eal_config_init(ctypes.byref(cfg))
        cfg.no_huge = True          # no hugepages needed for null ports
        cfg.log_fn = self.log_fn    # tern's lines through self._log
        cfg.nb_vdev = 2
        cfg.vdev[0].name = first
        # A devarg's name and its options are separate fields.
        cfg.vdev[1].name, cfg.vdev[1].args = b"null1", b"size=64"
        return cfg

    def failed_init(self):
        """A config tern must refuse: the error comes back, and through the logger."""
        lines = len(self.log_lines)
        cfg = self.config(first=b"nosuchdriver0")
        ret = self.lib.tern_eal_init(ctypes.byref(cfg))
        if ret >= 0 or self.lib.tern_eal_is_initialized():
            raise RuntimeError("tern_eal_init accepted a driver that does not exist")
        if len(self.log_lines) == lines or not self.lib.tern_eal_last_error():
            raise RuntimeError("a failed init said nothing through the Python logger")
        print("[py] as expected, init failed: %s" % self.error("tern_eal_init", ret), flush=True)

    def round(self, n, seconds):
        lib = self.lib
        cfg = self.config()
        ret = lib.tern_eal_init(ctypes.byref(cfg))
        if ret != 0:
            raise RuntimeError(self.error("tern_eal_init", ret))
        pool = None
        try:
            if lib.tern_port_count() != 2:
                raise RuntimeError("expected 2 ports, tern has %u" % lib.tern_port_count())
            pool = lib.tern_pktpool_create(b"py_pool", 2047, 256, 0,
                                           TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY)
            if not pool:
                raise RuntimeError(self.error("tern_pktpool_create", -1))
            for p in (0, 1):
                for what, ret in (("configure", lib.tern_port_configure(p, 1, 1, None)),
                                  ("rx queue", lib.tern_port_rx_queue_setup(
                                      p, 0, 0, TERN_SOCKET_ID_ANY, pool)),
                                  ("tx queue", lib.tern_port_tx_queue_setup(
                                      p, 0, 0, TERN_SOCKET_ID_ANY)),
                                  ("start", lib.tern_port_start(p))):
                    if ret != 0:
                        raise RuntimeError(self.error("port %d %s" % (p, what), ret))
            forwarded, dropped, bursts = self.forward(pool, seconds)
            for p in (0, 1):
                lib.tern_port_stop(p)
            stats = [PortStats(), PortStats()]
            for p in (0, 1):
                lib.tern_port_stats_get(p, ctypes.byref(stats[p]))
            avail, size = lib.tern_mempool_avail_count(pool), lib.tern_ffi_mempool_size(pool)
            print("[py] round %d: lcore %u, forwarded %d in %d bursts (%.2f Mpps), dropped %d; "
                  "port 0 rx %d tx %d, port 1 rx %d tx %d; buffers %u/%u returned"
                  % (n, lib.tern_ffi_lcore_id(), forwarded, bursts, forwarded / seconds / 1e6,
                     dropped, stats[0].ipackets, stats[0].opackets, stats[1].ipackets,
                     stats[1].opackets, avail, size), flush=True)
            if forwarded == 0:
                raise RuntimeError("round %d forwarded nothing" % n)
            if stats[0].ipackets + stats[1].ipackets != forwarded + dropped:
                raise RuntimeError("received %d, but forwarded %d and dropped %d"
                                   % (stats[0].ipackets + stats[1].ipackets, forwarded, dropped))
            if avail != size:
                raise RuntimeError("%d buffers missing from the pool" % (size - avail))
        finally:
            for p in (0, 1):
                lib.tern_port_close(p)
            if pool:
                lib.tern_mempool_free(pool)
            ret = lib.tern_eal_cleanup()
        if ret != 0 or lib.tern_eal_is_initialized():
            raise RuntimeError(self.error("tern_eal_cleanup", ret))

    def forward(self, pool, seconds):
        """Bursts of 32 from each port to the other; what TX refuses is freed."""
        lib = self.lib
        burst = 32
        pkts = (ctypes.c_void_p * burst)()
        rx, tx, free_bulk = lib.tern_ffi_port_rx_burst, lib.tern_ffi_port_tx_burst, \
            lib.tern_ffi_pkt_free_bulk
        forwarded = dropped = bursts = 0
        # One packet written from Python, to show the data is reachable too.
        pkt = lib.tern_ffi_pkt_alloc(pool)
        data = lib.tern_ffi_pkt_append(pkt, 60)
        if not data:
            raise RuntimeError("tern_ffi_pkt_append failed")
        ctypes.memset(data, 0xab, 60)
        if lib.tern_ffi_pkt_len(pkt) != 60 or ctypes.string_at(data, 60) != b"\xab" * 60:
            raise RuntimeError("packet data not as written")
        lib.tern_ffi_pkt_free(pkt)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for port in (0, 1):
                n = rx(port, 0, pkts, burst)
                if n == 0:
                    continue
                sent = tx(port ^ 1, 0, pkts, n)
                if sent < n:
                    free_bulk(ctypes.byref(pkts, sent * ctypes.sizeof(ctypes.c_void_p)), n - sent)
                forwarded += sent
                dropped += n - sent
                bursts += 1
        return forwarded, dropped, bursts


def layout():
    for name, _ in EalConfig._fields_:
        print("tern_eal_config.%s %d" % (name, getattr(EalConfig, name).offset))
    print("tern_eal_config %d" % ctypes.sizeof(EalConfig))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", default=os.environ.get("TERN_LIB"))
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--layout", action="store_true")
    args = ap.parse_args()
    if args.layout:
        layout()
        return 0
    path = args.lib or ctypes.util.find_library("tern") or "libtern.so"
    host = Host(load(path))
    try:
        host.failed_init()
        for n in range(1, args.rounds + 1):
            host.round(n, args.seconds)
    except RuntimeError as e:
        print("[py] FAILED: %s" % e, file=sys.stderr)
        return 1
    print("[py] all good: %d rounds, %d tern log lines via the Python logger"
          % (args.rounds, len(host.log_lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
