/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * offload.h - software checksum completion and segmentation for frames that
 * the kernel hands to a PACKET_VNET_HDR socket with offload work left to do.
 *
 * Linux passes a struct virtio_net_hdr in front of each frame
 * (include/uapi/linux/virtio_net.h; Documentation/networking/packet_mmap.rst,
 * PACKET_VNET_HDR). Two things in it matter to a port that must put valid
 * wire frames in front of its application:
 *
 *  - VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at csum_start + csum_offset
 *    holds only the pseudo-header sum; the ones' complement sum from
 *    csum_start to the end of the frame must still be folded in.
 *  - gso_type TCPV4/TCPV6/UDP_L4: the frame is a "super-frame" whose payload
 *    must be cut into gso_size pieces, each with its own headers.
 *
 * These functions only read and write bytes: no tern_pkt, no socket, so that
 * they can be tested on crafted frames (test/netns/offload_test.c).
 */
#ifndef AFP_OFFLOAD_H
#define AFP_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

/* uapi/linux/virtio_net.h since Linux 6.2; older libc headers lack it. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* Longest L2+L3+L4 header a super-frame may have (with an inserted VLAN tag). */
#define AFP_GSO_HDR_MAX 256
/* Length of an 802.1Q tag, and where it goes: after the two MAC addresses. */
#define AFP_VLAN_TAG_LEN 4
#define AFP_VLAN_TAG_OFF 12

/* Ones' complement sum of len bytes added to sum (RFC 1071), not folded. */
uint64_t tern_afp_csum_add(uint64_t sum, const void *buf, size_t len);
/* Fold a sum to 16 bits (not complemented). */
uint16_t tern_afp_csum_fold(uint64_t sum);

/*
 * Complete a partial checksum in place: fold the sum of frame[start..len)
 * (which includes the pseudo-header sum already stored in the field) into
 * frame[start + off]. 0, or -EINVAL if the field is not inside the frame.
 */
int tern_afp_csum_complete(uint8_t *frame, uint32_t len, uint16_t start, uint16_t off);

/* A super-frame being cut into wire frames. */
struct afp_gso {
	uint8_t hdr[AFP_GSO_HDR_MAX]; /* template headers, VLAN tag inserted */
	const uint8_t *payload;       /* inside the source frame */
	uint32_t payload_len;
	uint16_t hdr_len; /* L2 + L3 + L4 header bytes in hdr[] */
	uint16_t l3_off;  /* IPv4 or IPv6 header in hdr[] */
	uint16_t l4_off;  /* TCP or UDP header in hdr[] */
	uint16_t mss;     /* payload bytes per segment (gso_size) */
	uint16_t nb_segs;
	uint8_t l4_proto; /* IPPROTO_TCP or IPPROTO_UDP */
	bool ipv6;
};

/*
 * Prepare to cut frame[0..len) whose virtio_net_hdr says gso_type (without
 * the ECN bit), gso_size and csum_start (all in host order). vlan_tag, if not
 * NULL, is a 4-byte 802.1Q tag (TPID, TCI) that the kernel stripped into
 * metadata and that goes back after the MAC addresses. Returns 0, -ENOTSUP
 * for a gso_type it does not know, -EINVAL for a malformed frame.
 */
int tern_afp_gso_init(struct afp_gso *g, const uint8_t *frame, uint32_t len, uint8_t gso_type,
                      uint16_t gso_size, uint16_t csum_start, const uint8_t *vlan_tag);

/*
 * Write the headers of segment i (0 <= i < nb_segs) into hdr (hdr_len bytes:
 * IP length, ID and checksum, TCP sequence, flags and checksum, or UDP length
 * and checksum all set) and say where its payload is. Returns hdr_len.
 */
uint16_t tern_afp_gso_segment(const struct afp_gso *g, uint16_t i, uint8_t *hdr,
                              const uint8_t **payload, uint32_t *payload_len);

#endif /* AFP_OFFLOAD_H */
