/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_netif.h - driver SDK: a Linux network interface that a driver runs
 * over (af_packet, af_xdp, or a plugin of the same kind), reached through
 * the ioctls of netdevice(7) and ethtool on a control socket.
 *
 * The calls are silent: they return 0 or a negative errno and leave the
 * one error line to the driver, which knows the port and what the user
 * should do. -ENODEV means the interface is gone (deleted, or moved to
 * another network namespace): tern_port_dev_removed() is the answer.
 */
#ifndef TERN_NETIF_H
#define TERN_NETIF_H

#include <stdint.h>

#include "tern_port.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ifreq; /* <net/if.h>, which needs _DEFAULT_SOURCE for it */

/* A datagram socket for the ioctls below (close(2) it), or a negative errno. */
int tern_netif_ctl_socket(void);

/* ioctl(fd, req, ifr) with ifr_name set to iface; 0 or -errno. */
int tern_netif_ioctl(int fd, const char *iface, unsigned long req, struct ifreq *ifr);

/* The interface's MTU set to mtu; nothing is written when it already is. */
int tern_netif_mtu_set(int fd, const char *iface, uint32_t mtu);

int tern_netif_mac_get(int fd, const char *iface, struct tern_ether_addr *mac);
int tern_netif_mac_set(int fd, const char *iface, const struct tern_ether_addr *mac);

/*
 * Up when the interface is both administratively up and running; speed,
 * duplex and autoneg from ethtool where the driver reports them (veth
 * says 10000 Mb/s), else 0. An error is that of reading the flags.
 */
int tern_netif_link_get(int fd, const char *iface, struct tern_link *link);

#ifdef __cplusplus
}
#endif

#endif /* TERN_NETIF_H */
