/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_xdp.h - what the af_xdp driver's files share: its queues, its port and
 * the bookkeeping of the buffers lent to the kernel. af_xdp.c runs the
 * control path (its top comment describes the design), af_xdp_prog.c the XDP
 * program, af_xdp_rxtx.c the fast path. Internal to the driver.
 */
#ifndef AF_XDP_H
#define AF_XDP_H

#include <stdint.h>

#include <linux/if_xdp.h>
#include <net/if.h>
#include <xdp/xsk.h>

#include "tern_driver.h"
#include "tern_mempool.h"
#include "tern_pkt.h"

#define AXP_LOG        "af_xdp"
#define AXP_MAX_QUEUES 16
/*
 * RX lends at least this many buffers to the kernel: on a busy host the
 * poller is off its CPU for milliseconds while the kernel keeps filling
 * frames; with 1024 fill ring entries 60% of the frames of our benchmark
 * found the fill ring empty (as af_packet's 512-frame rings lost 80%).
 */
#define AXP_MIN_RX_DESC  4096
#define AXP_DEFAULT_DESC 4096
#define AXP_MAX_DESC     8192
#define AXP_MIN_DESC     64
#define AXP_MAX_BURST    512
#define AXP_FILL_BATCH   32 /* refill the fill ring in batches of at least this */
/*
 * Documentation/networking/af_xdp.rst: the kernel writes a received frame
 * XDP_PACKET_HEADROOM (256) bytes into its chunk, so a chunk of buf_len
 * bytes takes frames of buf_len - 256 bytes at most.
 */
#define AXP_XDP_HEADROOM 256

/*
 * Who holds a buffer lent to the kernel, by the buffer's index in its pool
 * (struct tern_mempool_objhdr.idx): set while the kernel has it. Set when an
 * address goes on the fill or TX ring, cleared when it comes back on the RX
 * or completion ring; an address coming back that is not marked is not ours
 * and is refused. At stop, after the socket is closed, whatever is still
 * marked goes back to the pool: nothing is lost, whichever ring (or the
 * driver's own hardware ring, in zero-copy mode) held it last.
 */
struct axp_lent {
	struct tern_pkt **pkt; /* size entries: the buffer while lent, else NULL */
	uint32_t size;         /* buffers in the pool */
	uint32_t count;        /* lent now */
};

/* One XSK socket per queue pair: its UMEM is the RX queue's pool. */
struct axp_sock {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	int fd;
	bool zc; /* XDP_OPTIONS_ZEROCOPY */
	/*
	 * The fill or completion ring of a one-way pair (RX-only or TX-only):
	 * unused, but libxdp keeps the address of the struct it filled in and
	 * unmaps the ring through it in xsk_socket__delete(), so it lives here.
	 */
	struct xsk_ring_prod fill_unused;
	struct xsk_ring_cons comp_unused;
};

struct axp_rxq {
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fill;
	uint8_t *base; /* start of the UMEM: descriptor addresses are offsets from it */
	uint64_t umem_len;
	struct tern_mempool *mp;
	uint32_t buf_off; /* from a struct tern_pkt to its buffer (buf_addr) */
	uint32_t target;  /* buffers kept lent to the kernel (nb_desc) */
	uint16_t buf_len; /* the chunk size: every buffer of the pool */
	uint16_t port_id;
	uint16_t qid;
	int fd;
	bool busy;     /* busy_budget > 0: recvfrom() drives the NAPI loop */
	bool csum_fix; /* complete partial L4 checksums (af_xdp_csum.c) */
	struct axp_lent lent;
	struct axp_sock sock;
	struct tern_qstats st; /* missed: the kernel's drops, refreshed by stats (af_xdp.c) */
	uint64_t csum;         /* checksums completed (tern_qstat_add) */
	uint64_t k_rx_dropped, k_rx_invalid, k_rx_ring_full, k_fill_empty; /* of closed sockets */
} TERN_CACHE_ALIGNED;

struct axp_txq {
	struct xsk_ring_prod tx;
	struct xsk_ring_cons comp;
	uint8_t *base;
	uint64_t umem_len;
	struct tern_mempool *mp; /* the UMEM's pool: its buffers go out without a copy */
	uint32_t buf_off;
	uint32_t target; /* TX ring size asked for (nb_desc) */
	uint16_t buf_len;
	uint16_t qid;
	int fd;
	bool busy;
	struct axp_lent lent;
	struct axp_rxq *rxq;  /* queue pair whose socket this is; NULL: own socket */
	struct axp_sock sock; /* TX-only queues (qid >= nb_rxq) */
	struct tern_qstats st;
	uint64_t copies; /* packets of another pool copied into the UMEM (tern_qstat_add) */
	uint64_t k_tx_invalid, k_tx_ring_empty;
} TERN_CACHE_ALIGNED;

enum axp_mode { AXP_MODE_AUTO, AXP_MODE_ZC, AXP_MODE_COPY };

struct axp_port {
	struct tern_port_dev dev;
	char iface[IFNAMSIZ];
	int ifindex;
	int ctl_fd; /* AF_INET datagram socket for interface ioctls */
	uint32_t start_queue, queue_count, iface_queues;
	uint32_t busy_budget;
	enum axp_mode mode;
	char xdp_prog[256]; /* xdp_prog=: a user's BPF object, "" for tern's own program */
	bool promisc_set_by_us;
	bool csum_fix; /* a virtual interface (veth, tun): see af_xdp_csum.c */
	/* The XDP program while started (af_xdp_prog.c). */
	int map_fd; /* the XSKMAP, by NIC queue id */
	int prog_fd;
	int link_fd;   /* bpf_link: closing it (or dying) detaches the program */
	void *bpf_obj; /* struct bpf_object of xdp_prog= */
	bool native;   /* attached in driver (native) mode, else generic */
	uint64_t k_gone_rx_invalid, k_gone_tx_invalid; /* of released queues */
};

static inline struct axp_port *axp_port(struct tern_port_dev *dev)
{
	return tern_container_of(dev, struct axp_port, dev);
}

/* The pool index of a buffer (the header before every pool object). */
static inline uint32_t axp_pkt_idx(const struct tern_pkt *p)
{
	return ((const struct tern_mempool_objhdr *)p - 1)->idx;
}

/*
 * The packet whose chunk starts at UMEM offset `chunk`, or NULL if no
 * buffer of ours does: the address comes from the kernel (a user XDP
 * program may even have written it), so it is bounded and checked against
 * the lent marks before anything is read through it.
 */
static inline struct tern_pkt *axp_chunk_pkt(uint8_t *base, uint64_t umem_len, uint32_t buf_off,
                                             const struct axp_lent *lent, uint64_t chunk)
{
	struct tern_pkt *p;
	uint32_t idx;

	/* Inside the UMEM, and on a cache line as every struct tern_pkt is (base is a page). */
	if (tern_unlikely(chunk < buf_off + sizeof(struct tern_mempool_objhdr) ||
	                  chunk >= umem_len ||
	                  ((chunk - buf_off) & (TERN_CACHE_LINE_SIZE - 1)) != 0))
		return NULL;
	p = (struct tern_pkt *)(base + chunk - buf_off);
	idx = axp_pkt_idx(p);
	if (tern_unlikely(idx >= lent->size || lent->pkt[idx] != p))
		return NULL;
	return p;
}

/* af_xdp_sock.c: the lent table, and each queue pair's socket (start, stop). */
int axp_lent_init(struct axp_lent *l, struct tern_mempool *mp);
void axp_lent_free(struct axp_lent *l);
void axp_sock_kstats(int fd, struct xdp_statistics *st);
int axp_pair_open(struct axp_port *ap, uint16_t i, bool *zc);
void axp_pair_close(struct axp_port *ap, uint16_t i);

/* af_xdp_prog.c: the XDP program that redirects the port's queues to their sockets. */
int axp_prog_check_iface(struct axp_port *ap, const char *name);
int axp_prog_attach(struct axp_port *ap);
int axp_prog_map_set(struct axp_port *ap, uint32_t nic_queue, int xsk_fd);
void axp_prog_map_clear(struct axp_port *ap, uint32_t nic_queue);
void axp_prog_detach(struct axp_port *ap);

/* af_xdp_csum.c: complete a partial TCP/UDP checksum in place; 1 if it did. */
int axp_csum_fix(uint8_t *frame, uint32_t len);

/* af_xdp_rxtx.c: the burst functions, and the refill that start() also uses. */
uint16_t axp_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);
uint16_t axp_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);
void axp_rx_refill(struct axp_rxq *q);
void axp_tx_complete(struct axp_txq *q);

#endif /* AF_XDP_H */
