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
 * the order of calls and the arguments, keeps the fast-path table, and
 * calls the ops below with valid arguments only.
 */
#ifndef TERN_DRIVER_H
#define TERN_DRIVER_H

#include "tern_pci.h"
#include "tern_port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bump on any change to the structs in this file or to struct tern_pkt. */
#define TERN_DRIVER_ABI_VERSION 2 /* 2: pci_probe */

struct tern_port_dev;

struct tern_port_ops {
	/* Called by tern_port_configure after the port layer checked nb_rxq/nb_txq. */
	int (*configure)(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
	                 const struct tern_port_conf *conf);
	void (*info_get)(struct tern_port_dev *dev, struct tern_port_info *info);
	/* Return the new queue in *queue; it is what the burst functions get. */
	int (*rx_queue_setup)(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
	                      struct tern_mempool *mp, void **queue);
	int (*tx_queue_setup)(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
	                      void **queue);
	void (*rx_queue_release)(struct tern_port_dev *dev, void *queue);
	void (*tx_queue_release)(struct tern_port_dev *dev, void *queue);
	int (*start)(struct tern_port_dev *dev);
	/* Must give every packet the driver holds back to its pool. */
	int (*stop)(struct tern_port_dev *dev);
	/* Free the device (queues were released before). */
	void (*close)(struct tern_port_dev *dev);
	int (*mac_set)(struct tern_port_dev *dev, const struct tern_ether_addr *mac); /* optional */
	int (*promisc_set)(struct tern_port_dev *dev, bool on);                       /* optional */
	int (*link_get)(struct tern_port_dev *dev, struct tern_link *link);
	/* Counters since probe; the port layer subtracts its reset baseline. */
	int (*stats_get)(struct tern_port_dev *dev, struct tern_port_stats *stats);
	int (*queue_stats_get)(struct tern_port_dev *dev, bool rx, uint16_t qid,
	                       struct tern_queue_stats *stats);
};

/*
 * The generic part of a device. Drivers fill the fields marked (driver) in
 * probe(); the rest belongs to the port layer.
 */
struct tern_port_dev {
	const struct tern_port_ops *ops; /* (driver) */
	tern_burst_fn rx_burst;          /* (driver) */
	tern_burst_fn tx_burst;          /* (driver) */
	struct tern_ether_addr mac;      /* (driver) current address */
	int socket;                      /* (driver) NUMA socket, or TERN_SOCKET_ID_ANY */
	char name[TERN_PORT_NAME_LEN];   /* set from the device name before probe() */
	const struct tern_driver *drv;
	uint16_t port_id;
	uint16_t nb_rxq, nb_txq;
	int state; /* port layer's life-cycle state */
	bool promisc;
	void **rxq; /* queue pointers, nb_rxq of them */
	void **txq;
	struct tern_port_stats stats_base; /* baseline from the last stats reset */
	struct tern_queue_stats *rxq_base, *txq_base;
};

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
	 * afterwards) and return 0; else a negative errno after one log line.
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
