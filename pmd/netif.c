/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netif.c - the Linux network interface calls of the driver SDK
 * (tern_netif.h): netdevice(7) and ethtool ioctls, silent, one errno each.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <net/if_arp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "tern_common.h"
#include "tern_ether.h"
#include "tern_netif.h"

int tern_netif_ctl_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

int tern_netif_ioctl(int fd, const char *iface, unsigned long req, struct ifreq *ifr)
{
	memset(ifr->ifr_name, 0, sizeof(ifr->ifr_name));
	strlcpy(ifr->ifr_name, iface, sizeof(ifr->ifr_name));
	return ioctl(fd, req, ifr) == 0 ? 0 : -errno;
}

int tern_netif_mtu_set(int fd, const char *iface, uint32_t mtu)
{
	struct ifreq ifr;
	int ret = tern_netif_ioctl(fd, iface, SIOCGIFMTU, &ifr);

	if (ret < 0 || (uint32_t)ifr.ifr_mtu == mtu)
		return ret;
	ifr.ifr_mtu = (int)mtu;
	return tern_netif_ioctl(fd, iface, SIOCSIFMTU, &ifr);
}

int tern_netif_mac_get(int fd, const char *iface, struct tern_ether_addr *mac)
{
	struct ifreq ifr;
	int ret = tern_netif_ioctl(fd, iface, SIOCGIFHWADDR, &ifr);

	if (ret == 0)
		memcpy(mac->addr, ifr.ifr_hwaddr.sa_data, TERN_ETHER_ADDR_LEN);
	return ret;
}

int tern_netif_mac_set(int fd, const char *iface, const struct tern_ether_addr *mac)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac->addr, TERN_ETHER_ADDR_LEN);
	return tern_netif_ioctl(fd, iface, SIOCSIFHWADDR, &ifr);
}

int tern_netif_link_get(int fd, const char *iface, struct tern_link *link)
{
	struct ethtool_cmd ecmd = {.cmd = ETHTOOL_GSET};
	struct ifreq ifr;
	int ret;

	*link = (struct tern_link){0};
	ret = tern_netif_ioctl(fd, iface, SIOCGIFFLAGS, &ifr);
	if (ret < 0)
		return ret;
	link->up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	if (!link->up)
		return 0;
	ifr.ifr_data = (void *)&ecmd;
	if (tern_netif_ioctl(fd, iface, SIOCETHTOOL, &ifr) == 0) {
		uint32_t speed = ethtool_cmd_speed(&ecmd);

		link->speed_mbps = speed == (uint32_t)SPEED_UNKNOWN ? 0 : speed;
		link->full_duplex = ecmd.duplex == DUPLEX_FULL;
		link->autoneg = ecmd.autoneg == AUTONEG_ENABLE;
	}
	return 0;
}
