/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user.h - what virtio_user.c (the transport: connection, device
 * start and stop, virtio_ops) and vhost_user.c (the messages) share: the
 * vhost-user protocol's requests and message layout (QEMU
 * docs/interop/vhost-user.rst) and the transport's state.
 */
#ifndef TERN_VHOST_USER_H
#define TERN_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

/* vhost-user requests (front-end to back-end) */
enum {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
};

#define VHOST_USER_VERSION              0x1
#define VHOST_USER_REPLY                0x4
#define VHOST_USER_NEED_REPLY           0x8
#define VHOST_USER_F_PROTOCOL_FEAT      30 /* feature bit: protocol features exist */
#define VHOST_USER_PROTOCOL_F_MQ        0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_MAX_REGIONS          8
#define VHOST_USER_VRING_NOFD           (1u << 8)
#define VIRTIO_USER_MAX_QUEUES          (2 * TERN_MAX_QUEUES_PER_PORT)

struct vhost_user_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vhost_user_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct {
			uint32_t index, num;
		} state;
		struct {
			uint32_t index, flags;
			uint64_t desc, used, avail, log;
		} addr;
		struct {
			uint32_t nregions, padding;
			struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
		} mem;
	} payload;
} __attribute__((packed));

#define VHOST_USER_HDR_SIZE 12u

struct virtio_user {
	char path[108];
	int sock;  /* -1: not connected */
	int lsock; /* server=1: the listening socket, else -1 */
	uint8_t status;
	uint64_t backend_features;
	uint64_t driver_features;
	uint64_t protocol_features;
	uint16_t queues; /* pairs asked for */
	uint16_t queue_size;
	uint32_t reply_wait_ms; /* reply_timeout_ms= */
	uint8_t mac[6];
	bool running;      /* queues given to the backend */
	uint64_t retry_ns; /* no reconnect before (tern_time_ns), after a refusal */
	struct virtqueue *vq[VIRTIO_USER_MAX_QUEUES];
	int kickfd[VIRTIO_USER_MAX_QUEUES];
	int callfd[VIRTIO_USER_MAX_QUEUES];
	char name[32];
};

/*
 * The messages (vhost_user.c). Each returns 0 or a negative errno after one
 * error line; a reply that is late, short, oversized or for another request
 * ends the connection's usefulness (the caller disconnects).
 */
int tern_vu_send_acked(struct virtio_user *vu, struct vhost_user_msg *m, const int *fds,
                       unsigned nfd, const char *what, const char *hint);
int tern_vu_send(struct virtio_user *vu, struct vhost_user_msg *m, const int *fds, unsigned nfd);
int tern_vu_recv(struct virtio_user *vu, struct vhost_user_msg *m, uint32_t request, uint32_t size);
int tern_vu_u64(struct virtio_user *vu, uint32_t req, uint64_t v);
int tern_vu_get_u64(struct virtio_user *vu, uint32_t req, uint64_t *v);
int tern_vu_state(struct virtio_user *vu, uint32_t req, uint32_t index, uint32_t num);
int tern_vu_fd(struct virtio_user *vu, uint32_t req, uint32_t index, int fd);
int tern_vu_mem_table(struct virtio_user *vu);

#endif /* TERN_VHOST_USER_H */
