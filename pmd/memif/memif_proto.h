/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_proto.h - the memif wire format (protocol version 2.0), as spoken by
 * VPP, libmemif and DPDK's net_memif: the control messages on the unix
 * socket and the ring and descriptor layout in the shared regions.
 *
 * Reference: VPP src/plugins/memif/memif.h and DPDK drivers/net/memif/memif.h
 * (the same definitions); "C2S" is client to server, "S2C" server to client.
 *
 * Control (SOCK_SEQPACKET, every message 128 bytes, type in the first two):
 *   server -> client  HELLO        on accept: versions and maxima
 *   client -> server  INIT         version, interface id, mode, secret
 *   client -> server  ADD_REGION   one per region, its memfd in SCM_RIGHTS
 *   client -> server  ADD_RING     one per ring, an eventfd in SCM_RIGHTS
 *   client -> server  CONNECT      interface name
 *   server -> client  ACK          after INIT, ADD_REGION and ADD_RING
 *   server -> client  CONNECTED    after CONNECT: both sides now use the rings
 *   either            DISCONNECT   code and reason string, then close
 *
 * The client owns the memory: it creates every region, puts the rings in
 * region 0 and fills every descriptor's region and offset. On a C2S ring
 * the client produces at head and the server consumes and moves tail; on
 * an S2C ring the client hands empty buffers to the server by moving head
 * and the server fills them and moves tail.
 */
#ifndef MEMIF_PROTO_H
#define MEMIF_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define MEMIF_COOKIE        0x3E31F20u
#define MEMIF_VERSION_MAJOR 2
#define MEMIF_VERSION_MINOR 0
#define MEMIF_VERSION       ((MEMIF_VERSION_MAJOR << 8) | MEMIF_VERSION_MINOR)
#define MEMIF_NAME_SZ       32
#define MEMIF_SECRET_SZ     24
#define MEMIF_DISC_SZ       96
#define MEMIF_MSG_SZ        128

enum memif_msg_type {
	MEMIF_MSG_NONE = 0,
	MEMIF_MSG_ACK = 1,
	MEMIF_MSG_HELLO = 2,
	MEMIF_MSG_INIT = 3,
	MEMIF_MSG_ADD_REGION = 4,
	MEMIF_MSG_ADD_RING = 5,
	MEMIF_MSG_CONNECT = 6,
	MEMIF_MSG_CONNECTED = 7,
	MEMIF_MSG_DISCONNECT = 8,
};

#define MEMIF_MODE_ETHERNET 0

struct memif_msg_hello {
	uint8_t name[MEMIF_NAME_SZ];
	uint16_t min_version;
	uint16_t max_version;
	uint16_t max_region;   /* highest region index accepted */
	uint16_t max_c2s_ring; /* highest ring index accepted, per direction */
	uint16_t max_s2c_ring;
	uint8_t max_log2_ring_size;
} __attribute__((packed));

struct memif_msg_init {
	uint16_t version;
	uint32_t id;
	uint8_t mode;
	uint8_t secret[MEMIF_SECRET_SZ];
	uint8_t name[MEMIF_NAME_SZ];
} __attribute__((packed));

struct memif_msg_add_region {
	uint16_t index;
	uint64_t size;
} __attribute__((packed));

#define MEMIF_ADD_RING_FLAG_C2S 1
struct memif_msg_add_ring {
	uint16_t flags;
	uint16_t index;
	uint16_t region;
	uint32_t offset;
	uint8_t log2_ring_size;
	uint16_t private_hdr_size;
} __attribute__((packed));

struct memif_msg_connect {
	uint8_t if_name[MEMIF_NAME_SZ];
} __attribute__((packed)); /* CONNECT and CONNECTED alike */

struct memif_msg_disconnect {
	uint32_t code;
	uint8_t string[MEMIF_DISC_SZ];
} __attribute__((packed));

struct memif_msg {
	uint16_t type;
	union {
		struct memif_msg_hello hello;
		struct memif_msg_init init;
		struct memif_msg_add_region add_region;
		struct memif_msg_add_ring add_ring;
		struct memif_msg_connect connect;
		struct memif_msg_disconnect disconnect;
	};
	uint8_t pad[MEMIF_MSG_SZ - 2 - sizeof(struct memif_msg_disconnect)];
} __attribute__((packed));

static_assert(sizeof(struct memif_msg) == MEMIF_MSG_SZ, "memif message is 128 bytes");
static_assert(sizeof(struct memif_msg_hello) == 43, "hello layout");
static_assert(sizeof(struct memif_msg_init) == 63, "init layout");
static_assert(sizeof(struct memif_msg_add_ring) == 13, "add_ring layout");

/* A buffer descriptor: 16 bytes. */
#define MEMIF_DESC_FLAG_NEXT 1 /* the frame continues in the next slot */
struct memif_desc {
	uint16_t flags;
	uint16_t region;
	uint32_t length;
	uint32_t offset;
	uint32_t metadata;
};
static_assert(sizeof(struct memif_desc) == 16, "memif descriptor is 16 bytes");

/*
 * A ring: cookie, flags and head on the first 64-byte line, tail alone on
 * the second, the 2^log2 descriptors from byte 128.
 */
#define MEMIF_RING_FLAG_MASK_INT 1 /* the receiver polls: no eventfd kick wanted */
struct memif_ring {
	uint32_t cookie;
	uint16_t flags;
	_Atomic uint16_t head;
	uint8_t pad0[64 - 8];
	_Atomic uint16_t tail;
	uint8_t pad1[64 - 2];
	struct memif_desc desc[];
};
static_assert(offsetof(struct memif_ring, head) == 6, "ring head offset");
static_assert(offsetof(struct memif_ring, tail) == 64, "ring tail offset");
static_assert(offsetof(struct memif_ring, desc) == 128, "ring descriptors offset");

#define MEMIF_RING_HDR 128u

static inline uint64_t memif_ring_bytes(unsigned log2)
{
	return MEMIF_RING_HDR + ((uint64_t)sizeof(struct memif_desc) << log2);
}

#endif /* MEMIF_PROTO_H */
