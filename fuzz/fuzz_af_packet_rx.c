/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_af_packet_rx.c - pmd/af_packet's receive path (afp_rx_burst and
 * rx_frame in af_packet_rxtx.c), unchanged, against a ring the harness fills
 * as the kernel would (packet_mmap.rst, TPACKET_V2 with PACKET_VNET_HDR), with
 * every field the kernel writes taken from the input:
 *
 *   header  4 bytes: burst size 1-32, the pool (data room 64, 512 or 2048
 *           bytes), how many ring slots (1-8), how many buffers the
 *           application holds when the first burst runs (the -ENOBUFS path)
 *   frames  per slot, 20 bytes then the frame's bytes (taken from the rest
 *           of the input, over and over if the frame is longer):
 *             flags     TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID,
 *                       TP_STATUS_COPY, a snap length short of tp_len without
 *                       COPY, tp_mac moved by 0-48 bytes, +4096 bytes of length
 *             tci, tpid the VLAN tag the kernel took off
 *             vnet hdr  struct virtio_net_hdr as the kernel wrote it (any
 *                       flags, GSO type, sizes, checksum offsets)
 *             length    the frame's length; a COPY frame (bigger than its
 *                       slot) waits whole on the socket, vnet header first,
 *                       and is read into the bounce buffer (up to 69 KiB, so
 *                       also past AFP_BOUNCE_SIZE)
 *
 * The socket is one end of an AF_UNIX datagram pair: recv(MSG_TRUNC) gives
 * the real length as a packet socket does. Each slot is its own heap block
 * of the frame size, so ASan sees any read past a slot.
 *
 * What must hold: no crash, ASan or UBSan finding; every packet handed out
 * is a well-formed chain (pkt_len the sum of its segments, nb_segs their
 * count, each segment within its buffer's data room, port id set); a plain
 * frame (no GSO, no checksum to complete) comes out byte for byte, with the
 * 802.1Q tag put back at offset 12 when the kernel had taken it off, or is
 * dropped exactly when it is malformed or could never fit the pool; every
 * slot goes back to the kernel; nothing waits forever once the application
 * gives its buffers back (it frees what it receives at once); the queue's packet counter matches;
 * and after the input every buffer is back in its pool.
 *
 * Found so far: nothing in the driver.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "af_packet.h"
#include "fuzz_common.h"
#include "offload.h"
#include "tern_eal.h"
#include "tern_mempool.h"
#include "tern_pkt.h"

#define HARNESS    "fuzz_af_packet_rx"
#define FRAME_SIZE 2048u
#define MAX_SLOTS  8
#define POOL_N     255 /* a power of two less one: the ring backend's size */
#define MAC_BASE   76u /* TPACKET_ALIGN(TPACKET2_HDRLEN + 14) + vnet - 14, as the kernel puts it */
#define REC_LEN    20
#define MAX_OUT    (MAX_SLOTS * AFP_PEND_MAX) /* packets one input may produce (GSO) */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t rooms[3] = {64, 512, 2048};
static struct tern_mempool *pools[3];
static int sv[2] = {-1, -1};
static uint8_t *slots[MAX_SLOTS];
static struct tern_pkt *pend[AFP_PEND_MAX];
static uint8_t *bounce;
static uint8_t *big; /* a COPY frame's datagram: vnet header + frame */

/* What a frame must come out as: its bytes, or dropped, or unknown (GSO, checksum). */
enum expect { E_DROP, E_EXACT, E_UNKNOWN };

struct want {
	enum expect e;
	uint32_t len;
	uint8_t *bytes; /* E_EXACT: what the packet holds */
};

static struct want want[MAX_SLOTS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tern_eal_config cfg;
	int sz = 1 << 20;

	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	if (tern_eal_init(&cfg) != 0)
		fuzz_die(HARNESS, "init");
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "afpfz%d", i);
		pools[i] = tern_pktpool_create(name, POOL_N, 0, 0,
		                               (uint16_t)(rooms[i] + TERN_PKT_HEADROOM),
		                               TERN_SOCKET_ID_ANY);
		if (pools[i] == NULL)
			fuzz_die(HARNESS, "pool");
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) != 0 ||
	    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) != 0)
		fuzz_die(HARNESS, "socketpair");
	for (int i = 0; i < MAX_SLOTS; i++)
		if ((slots[i] = malloc(FRAME_SIZE)) == NULL)
			fuzz_die(HARNESS, "slots");
	bounce = malloc(AFP_BOUNCE_SIZE);
	big = malloc(AFP_BOUNCE_SIZE + 8192);
	for (int i = 0; i < MAX_SLOTS; i++)
		want[i].bytes = malloc(AFP_BOUNCE_SIZE + AFP_VLAN_TAG_LEN);
	if (bounce == NULL || big == NULL)
		fuzz_die(HARNESS, "buffers");
	return 0;
}

/* Fill dst[0..n) from src[0..len), over and over (zeros if there is nothing). */
static void cyc(uint8_t *dst, uint32_t n, const uint8_t *src, size_t len)
{
	if (len == 0) {
		memset(dst, 0, n);
		return;
	}
	for (uint32_t off = 0; off < n; off += (uint32_t)len)
		memcpy(dst + off, src, TERN_MIN((size_t)(n - off), len));
}

static void drain_socket(void)
{
	while (recv(sv[1], bounce, 1, MSG_DONTWAIT | MSG_TRUNC) >= 0)
		;
}

/* The chain is well formed; returns its length. */
static uint32_t check_chain(const struct tern_pkt *p, uint16_t room)
{
	uint32_t sum = 0;
	uint16_t segs = 0;

	if (p->port != 7)
		__builtin_trap();
	for (const struct tern_pkt *s = p; s != NULL; s = s->next) {
		if (s->data_len > room || s->data_off + s->data_len > s->buf_len)
			__builtin_trap();
		if (s->data_len == 0 && s != p)
			__builtin_trap(); /* an empty segment chained for nothing */
		sum += s->data_len;
		if (++segs > AFP_MAX_BURST)
			__builtin_trap();
	}
	if (sum != p->pkt_len || segs != p->nb_segs)
		__builtin_trap();
	return sum;
}

static bool same_bytes(const struct tern_pkt *p, const uint8_t *b, uint32_t len)
{
	uint32_t off = 0;

	if (p->pkt_len != len)
		return false;
	for (const struct tern_pkt *s = p; s != NULL; s = s->next) {
		if (memcmp(tern_pkt_mtod(s, const uint8_t *), b + off, s->data_len) != 0)
			return false;
		off += s->data_len;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct afp_rxq q;
	struct tern_pkt *held[POOL_N];
	unsigned nheld = 0, nout = 0, nslots, burst, pidx, wi = 0;
	const uint8_t *content;
	size_t clen;
	bool all_known = true;
	uint8_t *ring[MAX_SLOTS];

	if (size < 4)
		return 0;
	burst = 1 + data[0] % 32;
	pidx = data[1] % 3;
	nslots = 1 + data[2] % MAX_SLOTS;
	nheld = data[3] % (POOL_N + 1);
	if (size < 4 + (size_t)nslots * REC_LEN)
		return 0;
	content = data + 4 + nslots * REC_LEN;
	clen = size - 4 - nslots * REC_LEN;
	drain_socket();

	memset(&q, 0, sizeof(q));
	q.fd = sv[1];
	q.frames = ring;
	q.nb_frames = nslots;
	q.mp = pools[pidx];
	q.room = rooms[pidx];
	q.pool_size = tern_mempool_size(pools[pidx]);
	q.port_id = 7;
	q.qid = 0;
	q.pend = pend;
	q.bounce = bounce;

	/* The kernel's side: fill each slot (and the socket, for a COPY frame). */
	for (unsigned i = 0; i < nslots; i++) {
		const uint8_t *r = data + 4 + i * REC_LEN;
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)slots[i];
		uint8_t flags = r[0];
		uint16_t tci = (uint16_t)(r[1] << 8 | r[2]), tpid = (uint16_t)(r[3] << 8 | r[4]);
		const uint8_t *vnet = r + 5; /* 10 bytes: struct virtio_net_hdr */
		/* Up to 2 KiB; with 0x40 up to 64 KiB, and 0x80 on top: past the bounce buffer. */
		uint32_t len = (flags & 0x40)
		                   ? (uint32_t)(r[15] << 8 | r[16]) + ((flags & 0x80) ? 4096u : 0u)
		                   : (uint32_t)((r[15] << 8 | r[16]) & 0x7ff);
		uint32_t mac = MAC_BASE + 16u * ((flags >> 4) & 3);
		uint32_t cap = FRAME_SIZE - mac;
		struct virtio_net_hdr vhc, *vh = &vhc;
		bool copy = (flags & 0x04) != 0, vlan = (flags & 0x01) != 0;
		uint8_t *frame;
		uint32_t flen = len, fin = len;

		memcpy(&vhc, vnet, sizeof(vhc)); /* the input is not aligned */
		ring[i] = slots[i];
		memset(h, 0, FRAME_SIZE);
		h->tp_status = TP_STATUS_USER | (vlan ? TP_STATUS_VLAN_VALID : 0) |
		               ((flags & 0x02) ? TP_STATUS_VLAN_TPID_VALID : 0) |
		               (copy ? TP_STATUS_COPY : 0);
		h->tp_mac = (uint16_t)mac;
		h->tp_net = (uint16_t)(mac + 14);
		h->tp_vlan_tci = tci;
		h->tp_vlan_tpid = tpid;
		want[i].e = E_DROP;
		if (copy) {
			/* Too big for its slot: the slot holds a snap of it, the socket all of it.
			 */
			uint32_t dlen = (uint32_t)AFP_VNET_LEN + len;

			if (dlen > AFP_BOUNCE_SIZE + 8192)
				dlen = AFP_BOUNCE_SIZE + 8192;
			memcpy(big, vnet, AFP_VNET_LEN);
			cyc(big + AFP_VNET_LEN, dlen - (uint32_t)AFP_VNET_LEN, content, clen);
			h->tp_len = len + 1; /* never equal to the snap */
			h->tp_snaplen = TERN_MIN(len, cap);
			memcpy(slots[i] + mac - AFP_VNET_LEN, vnet, AFP_VNET_LEN);
			memcpy(slots[i] + mac, big + AFP_VNET_LEN, h->tp_snaplen);
			if (send(sv[0], big, dlen, 0) != (ssize_t)dlen)
				fuzz_die(HARNESS, "send");
			if (dlen < AFP_VNET_LEN + AFP_VLAN_TAG_OFF + 2 || dlen > AFP_BOUNCE_SIZE)
				continue; /* dropped: too short, or past the bounce buffer */
			frame = big + AFP_VNET_LEN;
			fin = dlen - (uint32_t)AFP_VNET_LEN;
		} else {
			flen = TERN_MIN(len, cap);
			h->tp_len = flen;
			h->tp_snaplen = flen;
			memcpy(slots[i] + mac - AFP_VNET_LEN, vnet, AFP_VNET_LEN);
			cyc(slots[i] + mac, flen, content, clen);
			if (flags & 0x08) {
				/* Truncated with no copy kept (the socket was full): dropped. */
				h->tp_len = flen + 100;
				continue;
			}
			if (flen < AFP_VLAN_TAG_OFF + 2)
				continue;
			frame = slots[i] + mac;
			fin = flen;
		}
		/* The oracle: a plain frame comes out as it is, the tag back in. */
		if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE ||
		    (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
			want[i].e = E_UNKNOWN;
			all_known = false;
			continue;
		}
		uint32_t total = fin + (vlan ? AFP_VLAN_TAG_LEN : 0);
		unsigned need = total <= q.room ? 1 : (total + q.room - 1) / q.room;

		if (need > q.pool_size || need > AFP_MAX_BURST)
			continue; /* could never fit: dropped */
		want[i].e = E_EXACT;
		want[i].len = total;
		if (vlan) {
			uint16_t t = (flags & 0x02) ? tpid : TERN_ETHER_TYPE_VLAN;

			memcpy(want[i].bytes, frame, AFP_VLAN_TAG_OFF);
			want[i].bytes[12] = (uint8_t)(t >> 8);
			want[i].bytes[13] = (uint8_t)t;
			want[i].bytes[14] = (uint8_t)(tci >> 8);
			want[i].bytes[15] = (uint8_t)tci;
			memcpy(want[i].bytes + 16, frame + AFP_VLAN_TAG_OFF,
			       fin - AFP_VLAN_TAG_OFF);
		} else {
			memcpy(want[i].bytes, frame, fin);
		}
	}

	/* The application: hold some buffers, then burst until the ring is empty. */
	if (nheld > 0 && tern_pkt_alloc_bulk(q.mp, held, nheld) < 0)
		nheld = 0;
	for (unsigned round = 0, idle = 0, left = nslots; round < 4 * MAX_SLOTS + AFP_PEND_MAX;
	     round++) {
		struct tern_pkt *pkts[32];
		uint16_t n = afp_rx_burst(&q, pkts, (uint16_t)burst);
		unsigned waiting = 0;

		for (uint16_t k = 0; k < n; k++) {
			check_chain(pkts[k], q.room);
			if (nout++ == MAX_OUT)
				__builtin_trap();
			if (all_known) {
				/* In ring order: the next frame that is to come out. */
				while (wi < nslots && want[wi].e != E_EXACT)
					wi++;
				if (wi == nslots ||
				    !same_bytes(pkts[k], want[wi].bytes, want[wi].len))
					__builtin_trap();
				wi++;
			}
			/* Freed at once, as an application that keeps up does. */
			tern_pkt_free(pkts[k]);
		}
		for (unsigned i = 0; i < nslots; i++)
			waiting +=
			    (((struct tpacket2_hdr *)slots[i])->tp_status & TP_STATUS_USER) != 0;
		if (waiting == 0 && q.pend_cnt == 0)
			break;
		if (n == 0 && waiting == left) {
			/* Stalled for buffers: the application gives its own back. */
			if (nheld > 0) {
				tern_pkt_free_bulk(held, nheld);
				nheld = 0;
			} else if (++idle > 2) {
				__builtin_trap(); /* every buffer free and still a frame waits */
			}
		}
		left = waiting;
		if (round + 1 == 4 * MAX_SLOTS + AFP_PEND_MAX)
			__builtin_trap();
	}
	if (tern_qstat_read(&q.stats.packets) != nout)
		__builtin_trap();
	if (all_known) {
		while (wi < nslots && want[wi].e != E_EXACT)
			wi++;
		if (wi != nslots)
			__builtin_trap(); /* a frame that should have come out did not */
	}
	if (nheld > 0)
		tern_pkt_free_bulk(held, nheld);
	if (tern_mempool_avail_count(q.mp) != tern_mempool_size(q.mp))
		__builtin_trap(); /* a buffer lost or freed twice */
	drain_socket();
	return 0;
}
