/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * afp-blast.c - a traffic source for bench/cases/l2fwd-af_packet.sh: sends
 * 64-byte frames (60 + CRC) out of an interface as fast as one core can,
 * through a PACKET_MMAP TX ring with PACKET_QDISC_BYPASS, for a given time.
 *
 *   afp-blast IFACE DST_MAC SECONDS
 *
 * The frames carry EtherType 0x88b5 (local experimental), so the receiving
 * stack drops them right after counting them, and the source MAC counts up
 * so that they are not all one flow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_LEN  60
#define FRAME_SIZE 2048
#define NB_FRAMES  4096
#define BATCH      256

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct tpacket_req req = {.tp_block_size = 4096 * 16,
	                          .tp_frame_size = FRAME_SIZE,
	                          .tp_block_nr = NB_FRAMES / (4096 * 16 / FRAME_SIZE),
	                          .tp_frame_nr = NB_FRAMES};
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	unsigned char dst[6], frame[FRAME_LEN] = {0};
	const int v2 = TPACKET_V2, one = 1;
	unsigned long long sent = 0;
	unsigned head = 0;
	double end;
	uint8_t *ring;
	int fd;

	if (argc != 4 || sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst[0], &dst[1], &dst[2],
	                        &dst[3], &dst[4], &dst[5]) != 6) {
		fprintf(stderr, "usage: afp-blast IFACE DST_MAC SECONDS\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (fd < 0 || sll.sll_ifindex == 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v2, sizeof(v2)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "afp-blast: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	ring = mmap(NULL, (size_t)req.tp_block_size * req.tp_block_nr, PROT_READ | PROT_WRITE,
	            MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		fprintf(stderr, "afp-blast: mmap: %s\n", strerror(errno));
		return 1;
	}
	memcpy(frame, dst, 6);
	memcpy(frame + 6, "\x02\x74\x00\x00\x00\x00", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	end = now() + atof(argv[3]);
	while (now() < end) {
		for (int i = 0; i < BATCH; i++) {
			struct tpacket2_hdr *h = (void *)(ring + (size_t)head * FRAME_SIZE);
			_Atomic uint32_t *st = (_Atomic uint32_t *)&h->tp_status;

			/* Acquire/release: the frame handshake of packet_mmap.rst (TX ring). */
			if (atomic_load_explicit(st, memory_order_acquire) != TP_STATUS_AVAILABLE)
				break;
			frame[11] = (uint8_t)sent;
			memcpy((uint8_t *)h + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll), frame,
			       FRAME_LEN);
			h->tp_len = FRAME_LEN;
			atomic_store_explicit(st, TP_STATUS_SEND_REQUEST, memory_order_release);
			head = (head + 1) % NB_FRAMES;
			sent++;
		}
		if (sendto(fd, NULL, 0, 0, NULL, 0) < 0 && errno != ENOBUFS && errno != EAGAIN) {
			fprintf(stderr, "afp-blast: send: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("%llu\n", sent);
	return 0;
}
