/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_driver.h - what a poll-mode driver implements, built in or loaded
 * from a shared object with -d.
 *
 * A driver is one descriptor, struct tern_driver. Built-in drivers are
 * listed in a table that meson generates from the enabled drivers (no
 * constructors, so static linking needs no --whole-archive). A plugin is a
 * shared object that defines its descriptor with TERN_PLUGIN_DRIVER(); the
 * loader refuses one whose abi_version differs from TERN_DRIVER_ABI_VERSION.
 *
 * probe() creates a device: the driver allocates its own struct with a
 * struct tern_port_dev inside (recovered in ops with tern_container_of),
 * fills in ops, burst functions, MAC and capabilities, and returns it. The
 * port layer owns the life cycle from there: it assigns the port id, checks
 * the order of calls and the arguments, keeps the fast-path table, sums the
 * queue counters, keeps the stats baselines and the removed state (the
 * driver SDK below), and calls the ops with valid arguments only.
 * doc/drivers.md is the guide.
 */
#ifndef TERN_DRIVER_H
#define TERN_DRIVER_H

#include "tern_atomic.h"
#include "tern_pci.h"
#include "tern_port.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Bump on any change to a struct a plugin compiles into its code: the ones in
 * this file and tern_port.h, struct tern_pkt (tern_pkt.h), struct tern_mempool
 * and its cache and object header (tern_mempool.h, inlined by every get and
 * put), struct tern_ring (tern_ring.h, inlined by the mempool and by ring
 * users) and struct tern_pci_dev (tern_pci.h). test/pmd/abi_layout.c records
 * their sizes and field offsets for this version and fails until both move
 * together.
 */
#define TERN_DRIVER_ABI_VERSION 3 /* 2: pci_probe; 3: driver SDK, tern_port_dev split */

struct tern_port_dev;
struct tern_port_priv;

/* ---- the driver SDK: what the port layer does for every driver ----------------
 *
 * Queue counters. A driver embeds one struct tern_qstats in each queue and
 * hands the port layer a pointer to it from rx/tx_queue_setup. Each queue
 * is polled by one thread at a time, so each counter has exactly one
 * writer: tern_qstat_add() is a relaxed load and a relaxed store (plain
 * moves on x86-64 and aarch64, no lock prefix, no fence), and a stats
 * reader on another thread still reads whole values, with no data race.
 * The port layer zeroes the counters at setup, sums the queues into the
 * port's stats, keeps the counts of released queues and the reset
 * baselines: drivers never clear, sum or fold a counter themselves.
 */
struct tern_qstats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors; /* RX: frames dropped as bad; TX: packets refused */
	uint64_t nombuf; /* RX: a refill found the pool empty */
	uint64_t missed; /* RX: dropped before the driver saw them (no descriptor, kernel drop) */
};

/* Add n to a counter only the calling thread writes (see above). */
static inline void tern_qstat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* Read a counter another thread may be writing. */
static inline uint64_t tern_qstat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

struct tern_port_ops {
	/* Called by tern_port_configure after the port layer checked nb_rxq/nb_txq. */
	int (*configure)(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
	                 const struct tern_port_conf *conf);
	void (*info_get)(struct tern_port_dev *dev, struct tern_port_info *info);
	/*
	 * Return the new queue in *queue (what the burst functions get) and its
	 * counters in *stats (the port layer zeroes them; NULL: none).
	 */
	int (*rx_queue_setup)(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
	                      struct tern_mempool *mp, void **queue, struct tern_qstats **stats);
	int (*tx_queue_setup)(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
	                      void **queue, struct tern_qstats **stats);
	/* Free the queue; the port layer already took its counters. */
	void (*rx_queue_release)(struct tern_port_dev *dev, void *queue);
	void (*tx_queue_release)(struct tern_port_dev *dev, void *queue);
	int (*start)(struct tern_port_dev *dev);
	/* Must give every packet the driver holds back to its pool (removed devices too). */
	int (*stop)(struct tern_port_dev *dev);
	/* Free the device (queues were released before). */
	void (*close)(struct tern_port_dev *dev);
	int (*mac_set)(struct tern_port_dev *dev, const struct tern_ether_addr *mac); /* optional */
	int (*promisc_set)(struct tern_port_dev *dev, bool on);                       /* optional */
	int (*link_get)(struct tern_port_dev *dev, struct tern_link *link);
	/*
	 * Optional: counters the device keeps itself (a NIC's packet and miss
	 * registers), since probe, never cleared. The port layer adds the queue
	 * counters to what these store and subtracts its baselines. A driver
	 * may refresh its queues' tern_qstats from the device here (the control
	 * thread is then their one writer); queue_stats_get is also called just
	 * before a queue is released, so that nothing it would read is lost.
	 */
	int (*stats_get)(struct tern_port_dev *dev, struct tern_port_stats *stats);
	int (*queue_stats_get)(struct tern_port_dev *dev, bool rx, uint16_t qid,
	                       struct tern_queue_stats *stats);
};

/*
 * The generic part of a device, embedded in the driver's own struct. The
 * driver fills the first five fields in probe(); the port layer fills the
 * next three (read them, never write them) and keeps everything else in
 * `priv`, which drivers reach only through the tern_port_dev_*() calls below.
 */
struct tern_port_dev {
	const struct tern_port_ops *ops; /* (driver) */
	tern_burst_fn rx_burst;          /* (driver) */
	tern_burst_fn tx_burst;          /* (driver) */
	struct tern_ether_addr mac;      /* (driver) current address; mac_set updates it */
	int socket;                      /* (driver) NUMA socket, or TERN_SOCKET_ID_ANY */
	char name[TERN_PORT_NAME_LEN];   /* (port layer) "null0", "0000:03:00.0" */
	const struct tern_driver *drv;   /* (port layer) */
	uint16_t port_id;                /* (port layer) valid from queue setup on */
	struct tern_port_priv *priv;     /* (port layer) opaque */
};

/* The queues as configured: their count, and each one (NULL until set up). */
uint16_t tern_port_dev_nb_rxq(const struct tern_port_dev *dev);
uint16_t tern_port_dev_nb_txq(const struct tern_port_dev *dev);
void *tern_port_dev_rxq(const struct tern_port_dev *dev, uint16_t qid);
void *tern_port_dev_txq(const struct tern_port_dev *dev, uint16_t qid);
/* Promiscuous mode as the application last set it (to program at start). */
bool tern_port_dev_promisc(const struct tern_port_dev *dev);

/*
 * The device is gone (it left the bus, reads all ones, stopped answering):
 * from any thread, any number of times. The first call logs one line
 * "NAME (port N): WHY: port down; close it and re-probe once the device is
 * back" under the driver's name, switches the port's bursts to no-ops,
 * freezes its stats and link (down); from then on start, configure, queue
 * setup, mac and promiscuous changes return -ENODEV, while stop and close
 * still run the driver's ops so that it gives every buffer back.
 */
void tern_port_dev_removed(struct tern_port_dev *dev, const char *why);
bool tern_port_dev_is_removed(const struct tern_port_dev *dev);

enum tern_bus {
	TERN_BUS_VDEV = 1, /* --vdev NAME,args */
	TERN_BUS_PCI = 2,  /* -a DDDD:BB:DD.F,args */
};

struct tern_pci_id {
	uint16_t vendor;
	uint16_t device;
};

struct tern_driver {
	uint32_t abi_version; /* TERN_DRIVER_ABI_VERSION */
	const char *name;     /* "null": --vdev null0 and --vdev net_null0 both match */
	enum tern_bus bus;
	const struct tern_pci_id *pci_ids; /* PCI drivers: ends with a zero entry */
	/*
	 * Create the device for `name` ("null0") with its "k=v,k=v" args (never
	 * NULL). On success store it in *dev (its name is filled in by the caller
	 * afterwards) and return 0; else a negative errno from tern_error().
	 */
	int (*probe)(const char *name, const char *args, struct tern_port_dev **dev);
	/*
	 * PCI drivers (bus == TERN_BUS_PCI) implement this instead of probe():
	 * `pci` is open (BARs listed, not yet mapped) and belongs to the device
	 * from now on; the driver closes it in its close op.
	 */
	int (*pci_probe)(struct tern_pci_dev *pci, const char *args, struct tern_port_dev **dev);
};

/* The symbol a plugin exports, and how it does. */
#define TERN_PLUGIN_SYMBOL "tern_plugin_driver"
#define TERN_PLUGIN_DRIVER(drv)                                                                    \
	__attribute__((visibility("default"))) const struct tern_driver *tern_plugin_driver = &(drv)

/*
 * Devargs: "k=v,k=v" parsing for probe(). tern_devargs_get copies the value of
 * key into buf (returns its length, -ENOENT if absent, -E2BIG if too long);
 * tern_devargs_check returns -EINVAL (after a clear log line) if args holds a
 * key not in the NULL-terminated list `known`.
 */
int tern_devargs_get(const char *args, const char *key, char *buf, size_t len);
int tern_devargs_get_u32(const char *args, const char *key, uint32_t *val); /* -ENOENT, -EINVAL */
int tern_devargs_check(const char *drv, const char *args, const char *const known[]);

/* Dummy burst function for stopped ports: returns 0. */
uint16_t tern_port_burst_none(void *queue, struct tern_pkt **pkts, uint16_t n);

#ifdef __cplusplus
}
#endif

#endif /* TERN_DRIVER_H */
