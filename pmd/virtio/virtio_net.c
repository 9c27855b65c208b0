/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_net.c - the virtio-net poll-mode driver (virtio 1.0 section 5.1):
 * the control side. The fast path is in virtio_rxtx.c (split rings) and
 * virtio_rxtx_packed.c (packed rings, virtio 1.1 2.7), the virtqueues in
 * virtqueue.c and virtqueue_packed.c, the PCI transports in virtio_pci.c.
 *
 *   -a DDDD:BB:DD.F[,legacy=1][,packed_vq=0|1][,ctrl_timeout_ms=MS]
 *                  [,access=vfio|noiommu|sysfs]
 *
 * ctrl_timeout_ms: how long a control command waits for its answer
 * (default 5000). packed_vq=0 keeps split virtqueues even when the device
 * offers packed ones (virtio 1.1 2.7, VIRTIO_F_RING_PACKED), which are
 * negotiated by default on PCI (the modern interface only).
 *
 * Read top-down: virtio_pci_probe() finds the transport and reads what the
 * device offers (virtio_identify); virtio_start() is the initialization
 * sequence of 3.1.1 (reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK,
 * virtqueues, DRIVER_OK); then stop, the control queue (5.1.6.5), link,
 * queue set-up and stats. The device never interrupts us
 * (VRING_AVAIL_F_NO_INTERRUPT, no MSI-X): queues are polled. legacy=1
 * takes the legacy interface of a transitional device even when it offers
 * the modern one (for tests; 4.1.4.8).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "virtio.h"

#define VIRTIO_MAX_PKTLEN   9018
#define VIRTIO_CTRL_WAIT_MS 5000 /* default of ctrl_timeout_ms= */

struct virtio_port {
	struct tern_port_dev dev;
	struct virtio_hw hw;
	uint16_t max_pairs;        /* queue pairs the device has (5.1.4 max_virtqueue_pairs) */
	uint16_t rx_size, tx_size; /* device sizes of queues 0 and 1 */
	uint16_t cvq_size;         /* of the control queue */
	struct virtqueue *cvq;     /* control queue, when CTRL_VQ is negotiated */
	bool started;
	bool needs_reset_said;      /* DEVICE_NEEDS_RESET reported since the last start */
	int promisc;                /* -1: the device default (QEMU: on), else 0/1 */
	uint8_t *ctrl;              /* DMA: command header, data, ack */
	int32_t ctrl_head;          /* head of the control chain lent, -1: none */
	uint8_t ctrl_cls, ctrl_cmd; /* of that command, for the message */
	uint64_t ctrl_stray;        /* control answers that matched no command */
	uint32_t ctrl_wait_ms;      /* ctrl_timeout_ms= */
};

static inline struct virtio_port *virtio_port(struct tern_port_dev *dev)
{
	return tern_container_of(dev, struct virtio_port, dev);
}

static const struct tern_port_ops virtio_port_ops; /* at the end of the file */
static int virtio_identify(struct virtio_port *vp);
static uint64_t wanted_features(const struct virtio_hw *hw);
static void virtio_set_bursts(struct virtio_port *vp);
static int ctrl_cmd(struct virtio_port *vp, uint8_t cls, uint8_t cmd, const void *data,
                    uint16_t len);
static int ctrl_wait(struct virtio_port *vp, uint8_t cls, uint8_t cmd);

/* ---- probe ---------------------------------------------------------------- */

static int virtio_pci_probe(struct tern_pci_dev *pci, const char *args, struct tern_port_dev **devp)
{
	static const char *const known[] = {"legacy", "ctrl_timeout_ms", "packed_vq", NULL};
	struct virtio_port *vp;
	uint32_t legacy = 0, wait_ms = VIRTIO_CTRL_WAIT_MS, packed = 1;
	int ret;

	ret = tern_devargs_check(VIRTIO_LOG, args, known);
	if (ret < 0)
		return ret;
	ret = tern_devargs_get_u32(args, "legacy", &legacy);
	if (ret == -EINVAL || legacy > 1) {
		return tern_error(EINVAL, VIRTIO_LOG, "%s: legacy= must be 0 or 1", pci->name);
	}
	ret = tern_devargs_get_u32(args, "packed_vq", &packed);
	if (ret == -EINVAL || packed > 1) {
		return tern_error(
		    EINVAL, VIRTIO_LOG,
		    "%s: packed_vq= must be 0 (split rings) or 1 (packed when offered)", pci->name);
	}
	ret = tern_devargs_get_u32(args, "ctrl_timeout_ms", &wait_ms);
	if (ret == -EINVAL || wait_ms == 0 || wait_ms > 600000) {
		return tern_error(EINVAL, VIRTIO_LOG,
		                  "%s: ctrl_timeout_ms= must be 1..600000 (milliseconds)",
		                  pci->name);
	}
	vp = calloc(1, sizeof(*vp));
	if (vp == NULL) {
		return tern_error(ENOMEM, VIRTIO_LOG, "%s: out of memory", pci->name);
	}
	vp->hw.pci = pci;
	vp->hw.name = pci->name;
	vp->hw.packed_ok = packed == 1;
	vp->promisc = -1;
	vp->ctrl_head = -1;
	vp->ctrl_wait_ms = wait_ms;
	vp->dev.socket = pci->numa_node >= 0 ? pci->numa_node : TERN_SOCKET_ID_ANY;
	ret = tern_pci_bus_master(pci, true); /* the device reads and writes our rings */
	if (ret == 0)
		ret = tern_virtio_pci_init(&vp->hw, legacy == 1);
	if (ret == 0)
		ret = virtio_identify(vp);
	if (ret < 0) {
		if (vp->hw.ops != NULL)
			vp->hw.ops->set_status(&vp->hw, VIRTIO_CONFIG_S_FAILED);
		tern_virtqueue_free(vp->cvq);
		tern_dma_free(vp->ctrl);
		free(vp);
		return ret;
	}
	tern_log(TERN_LOG_INFO, VIRTIO_LOG,
	         "%s: virtio-net %04x:%04x, %s interface, %s access, features 0x%llx of 0x%llx, "
	         "%u queue pair(s), queue sizes %u/%u, %s virtqueues",
	         pci->name, pci->vendor_id, pci->device_id, vp->hw.ops ? vp->hw.ops->name : "?",
	         tern_pci_access_name(pci->access), (unsigned long long)vp->hw.features,
	         (unsigned long long)vp->hw.offered, vp->max_pairs, vp->rx_size, vp->tx_size,
	         virtio_has(&vp->hw, VIRTIO_F_RING_PACKED) ? "packed" : "split");
	virtio_set_bursts(vp);
	*devp = &vp->dev;
	return 0;
}

/*
 * --vdev virtio_user0,path=SOCK[,queues=N][,queue_size=Q][,mac=..]: the
 * same device over the vhost-user transport (virtio_user.c).
 */
static int virtio_user_probe(const char *name, const char *args, struct tern_port_dev **devp)
{
	struct virtio_port *vp = calloc(1, sizeof(*vp));
	int ret;

	if (vp == NULL) {
		return tern_error(ENOMEM, VIRTIO_LOG, "%s: out of memory", name);
	}
	vp->promisc = -1;
	vp->ctrl_head = -1;
	vp->ctrl_wait_ms = VIRTIO_CTRL_WAIT_MS;
	vp->dev.socket = TERN_SOCKET_ID_ANY;
	ret = tern_virtio_user_open(&vp->hw, name, args);
	if (ret == 0)
		ret = virtio_identify(vp);
	if (ret < 0) {
		tern_virtqueue_free(vp->cvq);
		tern_dma_free(vp->ctrl);
		tern_virtio_user_close(&vp->hw);
		free(vp);
		return ret;
	}
	tern_log(TERN_LOG_INFO, VIRTIO_LOG,
	         "%s: virtio-net over vhost-user, features 0x%llx of 0x%llx, %u queue pair(s), "
	         "queue sizes %u/%u, %s virtqueues",
	         name, (unsigned long long)vp->hw.features, (unsigned long long)vp->hw.offered,
	         vp->max_pairs, vp->rx_size, vp->tx_size,
	         virtio_has(&vp->hw, VIRTIO_F_RING_PACKED) ? "packed" : "split");
	virtio_set_bursts(vp);
	*devp = &vp->dev;
	return 0;
}

/*
 * The fast path for the ring layout negotiated, chosen once here: the
 * burst functions never branch on it.
 */
static void virtio_set_bursts(struct virtio_port *vp)
{
	bool packed = virtio_has(&vp->hw, VIRTIO_F_RING_PACKED);

	vp->dev.ops = &virtio_port_ops;
	vp->dev.rx_burst = packed ? tern_virtio_rx_burst_packed : tern_virtio_rx_burst;
	vp->dev.tx_burst = packed ? tern_virtio_tx_burst_packed : tern_virtio_tx_burst;
}

/*
 * What we can use (5.1.3, 6); VERSION_1 only for modern, ANY_LAYOUT only
 * matters to legacy; packed rings (virtio 1.1 6: RING_PACKED) only on the
 * modern interface and when not turned off (packed_vq=0).
 */
static uint64_t wanted_features(const struct virtio_hw *hw)
{
	bool modern = hw->modern;
	uint64_t f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
	             1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_CTRL_VQ |
	             1ull << VIRTIO_NET_F_CTRL_RX | 1ull << VIRTIO_NET_F_MQ |
	             1ull << VIRTIO_F_ACCESS_PLATFORM;

	if (modern && hw->packed_ok)
		f |= 1ull << VIRTIO_F_RING_PACKED;
	return f | (modern ? 1ull << VIRTIO_F_VERSION_1 : 1ull << VIRTIO_F_ANY_LAYOUT);
}

static int virtio_identify(struct virtio_port *vp)
{
	struct virtio_hw *hw = &vp->hw;
	uint16_t dev_pairs = 1;
	int ret;

	/* 3.1.1 steps 1-3. */
	ret = tern_virtio_reset(hw);
	if (ret < 0)
		return ret;
	hw->ops->set_status(hw, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	hw->ops->set_status(hw, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	/* Step 4: read the device's features; choose ours (written at start). */
	hw->offered = hw->ops->get_features(hw);
	hw->features = hw->offered & wanted_features(hw);
	if (!virtio_has(hw, VIRTIO_NET_F_CTRL_VQ)) /* 5.1.3.1: MQ and CTRL_RX need CTRL_VQ */
		hw->features &= ~(1ull << VIRTIO_NET_F_MQ | 1ull << VIRTIO_NET_F_CTRL_RX);
	/* Under VFIO with an IOMMU, a device that bypasses it would DMA to wrong addresses. */
	if (hw->pci != NULL && hw->pci->access == TERN_PCI_ACCESS_VFIO &&
	    !virtio_has(hw, VIRTIO_F_ACCESS_PLATFORM)) {
		return tern_error(
		    ENOTSUP, VIRTIO_LOG,
		    "%s: under VFIO with an IOMMU the device must offer ACCESS_PLATFORM "
		    "(QEMU: iommu_platform=on), or use access=noiommu|sysfs",
		    hw->name);
	}
	/* 5.1.4: MAC and queue pairs from the device config (allowed before FEATURES_OK). */
	if (virtio_has(hw, VIRTIO_NET_F_MAC)) {
		ret = hw->ops->read_config(hw, VIRTIO_NET_CFG_MAC, vp->dev.mac.addr, 6);
		if (ret < 0)
			return ret;
	} else {
		uint32_t r = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;

		if (hw->pci != NULL)
			r ^= (uint32_t)hw->pci->addr.bus << 8 ^ hw->pci->addr.dev;
		tern_ether_addr_local(&vp->dev.mac, r);
	}
	if (hw->pairs_hint > 0) /* vhost-user: the pairs asked for, checked with the backend */
		dev_pairs = hw->pairs_hint;
	if (virtio_has(hw, VIRTIO_NET_F_MQ))
		ret = hw->ops->read_config(hw, VIRTIO_NET_CFG_MAX_PAIRS, &dev_pairs,
		                           sizeof(dev_pairs));
	if (ret < 0)
		return ret;
	vp->max_pairs = TERN_MAX(1, TERN_MIN(dev_pairs, TERN_MAX_QUEUES_PER_PORT));
	vp->rx_size = hw->ops->get_queue_size(hw, VIRTIO_NET_RXQ(0));
	vp->tx_size = hw->ops->get_queue_size(hw, VIRTIO_NET_TXQ(0));
	if (vp->rx_size == 0 || vp->tx_size == 0 || (vp->rx_size & (vp->rx_size - 1)) ||
	    (vp->tx_size & (vp->tx_size - 1))) {
		return tern_error(EIO, VIRTIO_LOG, "%s: bad queue sizes %u/%u", hw->name,
		                  vp->rx_size, vp->tx_size);
	}
	if (virtio_has(hw, VIRTIO_NET_F_CTRL_VQ)) {
		uint16_t cidx =
		    2 * TERN_MAX(dev_pairs, 1); /* 5.1.2: controlq after the last pair */

		vp->cvq_size = hw->ops->get_queue_size(hw, cidx);
		vp->ctrl = tern_dma_zalloc("virtio ctrl", 64, 64, vp->dev.socket);
		if (vp->cvq_size == 0 || vp->ctrl == NULL)
			return -EIO;
		vp->cvq = tern_virtqueue_alloc(hw, cidx, vp->cvq_size, vp->dev.socket, false);
		if (vp->cvq == NULL)
			return -ENOMEM;
	}
	/* Quiet until start. */
	return tern_virtio_reset(hw);
}

/* ---- device life cycle (3.1) --------------------------------------------- */

static void virtio_release_all(struct virtio_port *vp)
{
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(&vp->dev); i++)
		if (tern_port_dev_rxq(&vp->dev, i) != NULL)
			tern_virtqueue_release_pkts(tern_port_dev_rxq(&vp->dev, i));
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(&vp->dev); i++)
		if (tern_port_dev_txq(&vp->dev, i) != NULL)
			tern_virtqueue_release_pkts(tern_port_dev_txq(&vp->dev, i));
}

/*
 * Whether the device has left the bus (surprise removal, or dead): a PCI
 * function that is gone reads all ones, and status 0xff is no state a
 * device can be in (FAILED together with DRIVER_OK and every other bit). A
 * device that is gone can no longer DMA, so its buffers are ours again.
 * Checked where the control path reads the device anyway; said once.
 */
static bool virtio_gone(struct virtio_port *vp)
{
	if (!tern_port_dev_is_removed(&vp->dev) && vp->hw.ops->get_status(&vp->hw) == 0xff)
		tern_port_dev_removed(&vp->dev, "device stopped answering (status reads 0xff)");
	return tern_port_dev_is_removed(&vp->dev);
}

static int virtio_refuse_gone(struct virtio_port *vp, const char *what)
{
	return tern_error(ENODEV, VIRTIO_LOG,
	                  "%s (port %u): %s: the device is gone: close the port", vp->hw.name,
	                  vp->dev.port_id, what);
}

/* 3.1.1 step 8 on failure: FAILED; then reset so that no DMA is left in flight. */
static int virtio_fail(struct virtio_port *vp, int ret)
{
	vp->hw.ops->set_status(&vp->hw, VIRTIO_CONFIG_S_FAILED);
	tern_virtio_reset(&vp->hw);
	virtio_release_all(vp);
	return ret;
}

static int virtio_setup_queue(struct virtio_hw *hw, struct virtqueue *vq)
{
	tern_virtqueue_init(vq);
	return hw->ops->setup_queue(hw, vq);
}

static int virtio_start(struct tern_port_dev *dev)
{
	struct virtio_port *vp = virtio_port(dev);
	struct virtio_hw *hw = &vp->hw;
	unsigned long errs;
	uint8_t status;
	int ret;

	if (virtio_gone(vp))
		return virtio_refuse_gone(vp, "start");
	vp->needs_reset_said = false;
	/* 3.1.1 steps 1-3: reset, ACKNOWLEDGE (we saw it), DRIVER (we can drive it). */
	ret = tern_virtio_reset(hw);
	if (ret < 0)
		return ret;
	hw->ops->set_status(hw, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	hw->ops->set_status(hw, status);
	/* Step 4: the features chosen at probe, a subset of what the device offers. */
	hw->ops->set_features(hw, hw->features);
	/* Steps 5-6 (not for legacy, 3.1.2): FEATURES_OK, and check the device kept it. */
	if (virtio_has(hw, VIRTIO_F_VERSION_1)) {
		status |= VIRTIO_CONFIG_S_FEATURES_OK;
		hw->ops->set_status(hw, status);
		if (!(hw->ops->get_status(hw) & VIRTIO_CONFIG_S_FEATURES_OK)) {
			return virtio_fail(
			    vp, tern_error(EIO, VIRTIO_LOG, "%s: device refused features 0x%llx",
			                   hw->name, (unsigned long long)hw->features));
		}
	}
	/* Step 7: virtqueues (4.1.5.1.3), RX rings filled before the device goes live. */
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		ret = virtio_setup_queue(hw, tern_port_dev_rxq(dev, i));
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++) {
		ret = virtio_setup_queue(hw, tern_port_dev_txq(dev, i));
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	if (vp->cvq != NULL) {
		vp->ctrl_head = -1; /* the reset took back whatever the device held */
		ret = virtio_setup_queue(hw, vp->cvq);
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		struct virtqueue *vq = tern_port_dev_rxq(dev, i);

		if (vq->packed)
			tern_virtio_rx_refill_packed(vq, false);
		else
			tern_virtio_rx_refill(vq, false);
		if (vq->nb_free == vq->size) {
			return virtio_fail(vp, tern_error(ENOBUFS, VIRTIO_LOG,
			                                  "%s: RX queue %u: pool %s is empty",
			                                  hw->name, i, tern_mempool_name(vq->mp)));
		}
	}
	/* Step 8: DRIVER_OK; then tell every RX queue it has buffers. */
	errs = tern_error_count();
	hw->ops->set_status(hw, status | VIRTIO_CONFIG_S_DRIVER_OK);
	/* A transport that failed and said why (vhost-user) needs no second line. */
	if (tern_error_count() != errs && (hw->ops->get_status(hw) & VIRTIO_CONFIG_S_FAILED))
		return virtio_fail(vp, -tern_errno);
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++)
		tern_virtqueue_kick(tern_port_dev_rxq(dev, i));
	/* 5.1.6.5.5: with MQ the device starts with one pair; ask for ours. */
	if (virtio_has(hw, VIRTIO_NET_F_MQ)) {
		uint16_t pairs = TERN_MAX(tern_port_dev_nb_rxq(dev), tern_port_dev_nb_txq(dev));

		ret = ctrl_cmd(vp, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs,
		               sizeof(pairs));
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	/* 5.1.6.5.1: promiscuous mode as asked for before start. */
	if (vp->promisc >= 0 && virtio_has(hw, VIRTIO_NET_F_CTRL_RX)) {
		uint8_t on = (uint8_t)vp->promisc;

		ret = ctrl_cmd(vp, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1);
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	if (hw->ops->get_status(hw) & VIRTIO_CONFIG_S_FAILED) {
		return virtio_fail(
		    vp, tern_error(EIO, VIRTIO_LOG, "%s: device failed at start", hw->name));
	}
	vp->started = true;
	return 0;
}

/* Reset first, so the device stops its DMA; then every buffer goes back to its pool. */
static int virtio_stop(struct tern_port_dev *dev)
{
	struct virtio_port *vp = virtio_port(dev);
	int ret;

	/* A device that is gone cannot write into our buffers any more: take them back. */
	ret = virtio_gone(vp) ? 0 : tern_virtio_reset(&vp->hw);
	if (ret < 0)
		return ret; /* the device may still write into our buffers: keep them */
	vp->started = false;
	virtio_release_all(vp);
	return 0;
}

/* 5.1.6.5.1: VIRTIO_NET_CTRL_RX_PROMISC; kept for the next start when stopped. */
static int virtio_promisc_set(struct tern_port_dev *dev, bool on)
{
	struct virtio_port *vp = virtio_port(dev);
	uint8_t v = on;
	int ret = 0;

	/* A vhost-user backend hands us every frame of its port: always promiscuous. */
	if (vp->hw.pci == NULL && on)
		return 0;
	if (!virtio_has(&vp->hw, VIRTIO_NET_F_CTRL_RX)) {
		return tern_error(ENOTSUP, VIRTIO_LOG,
		                  "%s: the device offers no CTRL_RX: promiscuous "
		                  "mode stays as the device has it",
		                  vp->hw.name);
	}
	if (vp->started)
		ret = ctrl_cmd(vp, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &v, 1);
	if (ret == 0)
		vp->promisc = on;
	return ret;
}

static int virtio_configure(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
                            const struct tern_port_conf *conf)
{
	struct virtio_port *vp = virtio_port(dev);

	(void)nb_rxq;
	(void)nb_txq;
	if (conf != NULL && conf->mtu > VIRTIO_MAX_PKTLEN - TERN_ETHER_HDR_LEN - 4) {
		return tern_error(EINVAL, VIRTIO_LOG, "%s: mtu %u too large", vp->hw.name,
		                  conf->mtu);
	}
	return 0; /* RSS: not negotiated; QEMU spreads flows over the pairs itself */
}

static void virtio_info_get(struct tern_port_dev *dev, struct tern_port_info *info)
{
	struct virtio_port *vp = virtio_port(dev);
	bool legacy = !virtio_has(&vp->hw, VIRTIO_F_VERSION_1);

	info->max_rx_queues = vp->max_pairs;
	info->max_tx_queues = vp->max_pairs;
	/* 2.4: split queue sizes are powers of two; legacy devices fix theirs (4.1.4.8). */
	info->rx_desc_min = legacy ? vp->rx_size : 64;
	info->rx_desc_max = vp->rx_size;
	info->tx_desc_min = legacy ? vp->tx_size : 64;
	info->tx_desc_max = vp->tx_size;
	info->max_rx_pktlen =
	    virtio_has(&vp->hw, VIRTIO_NET_F_MRG_RXBUF) ? VIRTIO_MAX_PKTLEN : TERN_ETHER_MAX_LEN;
	info->capa = TERN_PORT_CAPA_MULTI_SEG_TX;
	if (virtio_has(&vp->hw, VIRTIO_NET_F_MRG_RXBUF))
		info->capa |= TERN_PORT_CAPA_MULTI_SEG_RX;
	if (virtio_has(&vp->hw, VIRTIO_NET_F_STATUS))
		info->capa |= TERN_PORT_CAPA_RUNTIME_LINK;
	if (virtio_has(&vp->hw, VIRTIO_NET_F_CTRL_RX) || vp->hw.pci == NULL)
		info->capa |= TERN_PORT_CAPA_PROMISC;
}

static uint16_t queue_size(struct virtio_port *vp, uint16_t want, uint16_t dev_size)
{
	uint16_t size = want == 0 || want > dev_size ? dev_size : want;

	while (size & (size - 1)) /* round down to a power of two */
		size &= size - 1;
	(void)vp;
	return size;
}

static int virtio_rx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                                 int socket, struct tern_mempool *mp, void **queue,
                                 struct tern_qstats **stats)
{
	struct virtio_port *vp = virtio_port(dev);
	struct virtio_hw *hw = &vp->hw;
	bool mrg = virtio_has(hw, VIRTIO_NET_F_MRG_RXBUF);
	uint16_t hdr_len = mrg || virtio_has(hw, VIRTIO_F_VERSION_1) ? VIRTIO_NET_HDR_LEN_MRG
	                                                             : VIRTIO_NET_HDR_LEN_LEGACY;
	uint16_t room = tern_pktpool_data_room(mp);
	struct virtqueue *vq;

	/* Without MRG_RXBUF one buffer must hold a whole frame (5.1.6.3.1). */
	if (room == 0 || (!mrg && room < TERN_ETHER_MAX_LEN)) {
		return tern_error(EINVAL, VIRTIO_LOG,
		                  "%s: RX queue %u: buffers of pool %s (%u bytes) "
		                  "are too small: %s",
		                  hw->name, qid, tern_mempool_name(mp), room,
		                  mrg ? "no data room after the headroom"
		                      : "a whole frame must fit");
	}
	vq = tern_virtqueue_alloc(hw, VIRTIO_NET_RXQ(qid), queue_size(vp, nb_desc, vp->rx_size),
	                          socket == TERN_SOCKET_ID_ANY ? dev->socket : socket, false);
	if (vq == NULL)
		return -ENOMEM;
	vq->mp = mp;
	vq->port_id = dev->port_id;
	vq->hdr_len = hdr_len;
	vq->mrg = mrg;
	vq->rx_buf_len = (uint32_t)room + hdr_len;
	*queue = vq;
	*stats = &vq->stats;
	return 0;
}

static int virtio_tx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                                 int socket, void **queue, struct tern_qstats **stats)
{
	struct virtio_port *vp = virtio_port(dev);
	struct virtio_hw *hw = &vp->hw;
	struct virtqueue *vq;

	vq = tern_virtqueue_alloc(hw, VIRTIO_NET_TXQ(qid), queue_size(vp, nb_desc, vp->tx_size),
	                          socket == TERN_SOCKET_ID_ANY ? dev->socket : socket, true);
	if (vq == NULL)
		return -ENOMEM;
	vq->hdr_len = virtio_has(hw, VIRTIO_NET_F_MRG_RXBUF) || virtio_has(hw, VIRTIO_F_VERSION_1)
	                  ? VIRTIO_NET_HDR_LEN_MRG
	                  : VIRTIO_NET_HDR_LEN_LEGACY;
	vq->any_layout = virtio_has(hw, VIRTIO_F_ANY_LAYOUT) || virtio_has(hw, VIRTIO_F_VERSION_1);
	*queue = vq;
	*stats = &vq->stats;
	return 0;
}

static void virtio_rx_queue_release(struct tern_port_dev *dev, void *queue)
{
	(void)dev;
	tern_virtqueue_free(queue); /* the port layer already took its counters */
}

static void virtio_tx_queue_release(struct tern_port_dev *dev, void *queue)
{
	(void)dev;
	tern_virtqueue_free(queue); /* the port layer already took its counters */
}

static void virtio_close(struct tern_port_dev *dev)
{
	struct virtio_port *vp = virtio_port(dev);

	if (!virtio_gone(vp))
		tern_virtio_reset(&vp->hw);
	tern_virtqueue_free(vp->cvq);
	tern_dma_free(vp->ctrl);
	if (vp->hw.pci != NULL) {
		tern_pci_bus_master(vp->hw.pci, false);
		tern_pci_close(vp->hw.pci);
	} else {
		tern_virtio_user_close(&vp->hw);
	}
	free(vp);
}

/* 5.1.4: link status from the config space when STATUS was negotiated, else always up. */
static int virtio_link_get(struct tern_port_dev *dev, struct tern_link *link)
{
	struct virtio_port *vp = virtio_port(dev);
	struct virtio_hw *hw = &vp->hw;
	uint16_t status = VIRTIO_NET_S_LINK_UP;

	if (virtio_gone(vp)) {
		*link = (struct tern_link){.up = false, .full_duplex = true};
		return 0;
	}
	/* 2.1.2: the device stopped serving the queues until it is reset. */
	if (vp->started && (hw->ops->get_status(hw) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		if (!vp->needs_reset_said)
			tern_log(
			    TERN_LOG_ERR, VIRTIO_LOG,
			    "%s (port %u): device needs a reset (DEVICE_NEEDS_RESET): port down; "
			    "stop and start the port",
			    hw->name, vp->dev.port_id);
		vp->needs_reset_said = true;
		*link = (struct tern_link){.up = false, .full_duplex = true};
		return 0;
	}
	if (virtio_has(hw, VIRTIO_NET_F_STATUS))
		if (hw->ops->read_config(hw, VIRTIO_NET_CFG_STATUS, &status, sizeof(status)) < 0)
			status = 0; /* said by read_config: no trustworthy status, link down */
	*link = (struct tern_link){.up = (status & VIRTIO_NET_S_LINK_UP) != 0, .full_duplex = true};
	return 0;
}

/* ---- control queue (5.1.6.5) --------------------------------------------- */

/*
 * Take the control queue's used entries: the one naming the chain we lent
 * returns it; any other (an id we did not lend, a repeat) is a device bug,
 * counted and dropped. A late answer to a command that timed out is taken
 * here too, before the next command goes out, so it is never read as that
 * command's answer.
 */
static void ctrl_reap(struct virtio_port *vp)
{
	struct virtqueue *vq = vp->cvq;
	uint16_t pending;

	if (vq->packed) {
		/* Bounded: each call returns a lent buffer or steps over one slot. */
		for (uint16_t k = 0; k < vq->size; k++) {
			int id = tern_vqp_next_used(vq, NULL); /* acquire inside: 2.7.1 */

			if (id == -ENOENT)
				break;
			if (vp->ctrl_head >= 0 && id == vp->ctrl_head)
				vp->ctrl_head = -1;
			else
				vp->ctrl_stray++;
		}
		return;
	}
	pending = vq_used_pending(vq); /* acquire inside: 2.4.8 */
	while (pending-- > 0) {
		uint32_t id = vq->used->ring[vq->used_last++ & vq->mask].id;

		if (vp->ctrl_head >= 0 && id == (uint32_t)vp->ctrl_head &&
		    vq_chain_put(vq, (uint16_t)id))
			vp->ctrl_head = -1;
		else
			vp->ctrl_stray++;
	}
}

/*
 * Send one command (class, cmd, data) and wait for the device's ack: one
 * command in flight at a time, its answer matched by the chain's head id.
 */
static int ctrl_cmd(struct virtio_port *vp, uint8_t cls, uint8_t cmd, const void *data,
                    uint16_t len)
{
	struct virtqueue *vq = vp->cvq;
	tern_iova_t iova = tern_dma_virt2iova(vp->ctrl);
	uint16_t d0, d1, d2;

	ctrl_reap(vp);
	if (vp->ctrl_head >= 0 || vq->nb_free < 3) {
		/* The device still holds the buffer of a command that timed out. */
		return tern_error(
		    EBUSY, VIRTIO_LOG,
		    "%s: control command %u.%u: command %u.%u is still unanswered: stop and "
		    "start the port (a reset takes it back)",
		    vp->hw.name, cls, cmd, vp->ctrl_cls, vp->ctrl_cmd);
	}
	if (len > 48)
		return -EINVAL; /* our commands carry at most a few bytes */
	/* 5.1.6.5: header {class, command}, then data, then the ack the device writes. */
	vp->ctrl[0] = cls;
	vp->ctrl[1] = cmd;
	memcpy(vp->ctrl + 8, data, len);
	vp->ctrl[63] = 0xff;
	vp->ctrl_cls = cls;
	vp->ctrl_cmd = cmd;
	if (vq->packed) {
		const struct vqp_buf bufs[3] = {
		    {iova, 2, 0}, {iova + 8, len, 0}, {iova + 63, 1, VRING_DESC_F_WRITE}};

		vp->ctrl_head = tern_vqp_add_chain(vq, bufs, 3); /* nb_free >= 3: checked */
		tern_vqp_kick(vq);
		return ctrl_wait(vp, cls, cmd);
	}
	d0 = vq_desc_get(vq);
	d1 = vq->next[d0] = vq_desc_get(vq);
	d2 = vq->next[d1] = vq_desc_get(vq);
	vq->desc[d0] = (struct vring_desc){iova, 2, VRING_DESC_F_NEXT, d1};
	vq->desc[d1] = (struct vring_desc){iova + 8, len, VRING_DESC_F_NEXT, d2};
	vq->desc[d2] = (struct vring_desc){iova + 63, 1, VRING_DESC_F_WRITE, 0};
	vq->chain[d0] = 3;
	vp->ctrl_head = d0;
	vq->avail->ring[vq->avail_idx++ & vq->mask] = d0;
	tern_virtqueue_kick(vq);
	return ctrl_wait(vp, cls, cmd);
}

/* Wait for the answer to the command lent at ctrl_head, then read its ack. */
static int ctrl_wait(struct virtio_port *vp, uint8_t cls, uint8_t cmd)
{
	for (int ms = 0;; ms++) {
		ctrl_reap(vp);
		if (vp->ctrl_head < 0)
			break;
		if ((uint32_t)ms >= vp->ctrl_wait_ms) {
			return tern_error(ETIMEDOUT, VIRTIO_LOG,
			                  "%s: control command %u.%u: no answer within %u ms",
			                  vp->hw.name, cls, cmd, vp->ctrl_wait_ms);
		}
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	if (*(volatile uint8_t *)&vp->ctrl[63] != VIRTIO_NET_OK) {
		return tern_error(EIO, VIRTIO_LOG, "%s: control command %u.%u refused (ack %u)",
		                  vp->hw.name, cls, cmd, vp->ctrl[63]);
	}
	return 0;
}

static const struct tern_port_ops virtio_port_ops = {
    .configure = virtio_configure,
    .info_get = virtio_info_get,
    .rx_queue_setup = virtio_rx_queue_setup,
    .tx_queue_setup = virtio_tx_queue_setup,
    .rx_queue_release = virtio_rx_queue_release,
    .tx_queue_release = virtio_tx_queue_release,
    .start = virtio_start,
    .stop = virtio_stop,
    .close = virtio_close,
    .promisc_set = virtio_promisc_set,
    .link_get = virtio_link_get,
};

static const struct tern_pci_id virtio_pci_ids[] = {
    {VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_NET_TRANS},
    {VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_NET_MODERN},
    {0, 0},
};

const struct tern_driver tern_virtio_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "virtio",
    .bus = TERN_BUS_PCI,
    .pci_ids = virtio_pci_ids,
    .pci_probe = virtio_pci_probe,
};

const struct tern_driver tern_virtio_user_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "virtio_user",
    .bus = TERN_BUS_VDEV,
    .probe = virtio_user_probe,
};
