/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_xchk.c - a tern application that checks frames over a memif link.
 *
 *   memif_xchk [EAL options] -- MODE [--frames N] [--size S] [--queues Q]
 *              [--wait-link SECONDS] [--seconds T] [--go-file PATH]
 *
 * MODE
 *   echo  port 0 faces a peer that sends every frame back (testpmd io on a
 *         looped port): send N distinct frames spread over the Q queues,
 *         receive them back on any queue, compare each byte for byte.
 *   link  port 0 only: wait for the link (--wait-link) and exit 0 if it came up
 *         and --expect up (default), or stayed down and --expect down.
 *   blast port 0: send 64-byte frames as fast as the link takes them for T
 *         seconds; prints "tx Mpps: X" (bench/cases/memif.sh).
 *   sink  port 0: receive for T seconds; prints "rx Mpps: X" over the time
 *         after the first frame.
 *   lend  port 0 faces a peer that reads nothing (testpmd -i, not forwarding):
 *         send until its ring is full, print "lent: sent N, held H" (H: the
 *         pool's buffers in the driver's hands: lent on TX, offered on RX, 0
 *         in copy mode), then wait for the link to go down (the test kills
 *         the peer) and check that every buffer came back while the port is
 *         still started.
 *   fwd   ports 0 and 1: send on 0, receive on 1 (tern-l2fwd in between):
 *         compare the same way, for T seconds, through peer restarts; prints
 *         how many times the link went down and came back.
 * Always: after the ports are closed every buffer must be back in the pool.
 * Exit 0 and one line "ok ..." when all holds; else one line saying what not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tern_eal.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "tern_port.h"

#define POOL_N 8191
#define BURST  32

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Frame i: Ethernet header, then a 4-byte sequence number, then bytes derived from i. */
static void fill(uint8_t *p, uint32_t seq, uint32_t size)
{
	static const uint8_t hdr[14] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5};

	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + 14, &seq, 4);
	for (uint32_t k = 18; k < size; k++)
		p[k] = (uint8_t)(seq * 7 + k * 13);
}

static uint32_t frame_size(uint32_t seq, uint32_t size)
{
	return size ? size : 60 + (seq * 37) % 1400; /* 0: a mix of sizes */
}

/* 0 if the frame is one we sent, byte for byte; sets *seq. */
static int check(const struct tern_pkt *p, uint32_t size, uint32_t nb, uint32_t *seq)
{
	uint8_t want[2048];
	const uint8_t *d = tern_pkt_mtod(p, const uint8_t *);

	if (p->nb_segs != 1 || p->pkt_len < 18)
		return -1;
	memcpy(seq, d + 14, 4);
	if (*seq >= nb || p->pkt_len != frame_size(*seq, size))
		return -1;
	fill(want, *seq, p->pkt_len);
	return memcmp(want + 12, d + 12, p->pkt_len - 12) == 0 ? 0 : -1; /* MACs may be rewritten */
}

/*
 * Echo warm-up: a peer that has just connected may still be setting its
 * queues up and drop what it gets (testpmd does). Probe frames carry
 * sequence number PROBE_SEQ, are sent until each queue has echoed one, and
 * are recognised and skipped if one comes back late.
 */
#define PROBE_SEQ 0xfffffffeu

static bool is_probe(const struct tern_pkt *p)
{
	uint32_t seq;

	if (p->nb_segs != 1 || p->pkt_len < 18)
		return false;
	memcpy(&seq, tern_pkt_mtod(p, const uint8_t *) + 14, 4);
	return seq == PROBE_SEQ;
}

static int warm_up(struct tern_mempool *mp, uint16_t queues, double secs)
{
	double end = now_s() + secs, next_probe = 0;
	uint32_t echoed = 0; /* bit q: queue q echoed a probe */

	while (echoed != (1u << queues) - 1) {
		if (now_s() > end)
			return -1;
		for (uint16_t q = 0; q < queues; q++) {
			struct tern_pkt *pk[BURST];
			uint16_t k = tern_port_rx_burst(0, q, pk, BURST);

			for (uint16_t i = 0; i < k; i++)
				if (is_probe(pk[i]))
					echoed |= 1u << q;
			tern_pkt_free_bulk(pk, k);
			if (now_s() >= next_probe && !(echoed & (1u << q))) {
				pk[0] = tern_pkt_alloc(mp);
				if (pk[0] == NULL)
					continue;
				fill((uint8_t *)tern_pkt_append(pk[0], 64), PROBE_SEQ, 64);
				if (tern_port_tx_burst(0, q, pk, 1) != 1)
					tern_pkt_free(pk[0]);
			}
		}
		if (now_s() >= next_probe)
			next_probe = now_s() + 0.02;
	}
	return 0;
}

static int wait_link(uint16_t port, double secs)
{
	double end = now_s() + secs;
	struct tern_link l;

	do {
		if (tern_port_link_get(port, &l) == 0 && l.up)
			return 0;
		usleep(10000);
	} while (now_s() < end);
	return -1;
}

int main(int argc, char **argv)
{
	int n = tern_eal_init_args(argc, argv);
	uint32_t frames = 10000, size = 0, queues = 1, seconds = 5;
	double wait = 10;
	const char *mode, *expect = "up", *go_file = NULL;
	struct tern_mempool *mp;
	uint16_t nports;
	uint8_t *seen;
	uint64_t got = 0, bad = 0, dup = 0, sent = 0, downs = 0, ups = 0, after = 0;
	bool expect_restart = false;
	int ret = 0;

	if (n < 0) {
		fprintf(stderr, "memif_xchk: %s\n", tern_eal_last_error());
		return 2;
	}
	argc -= n;
	argv += n;
	if (argc < 2) {
		fprintf(stderr, "memif_xchk: give a mode: echo or fwd\n");
		return 2;
	}
	mode = argv[1];
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--expect-restart") == 0)
			expect_restart = true;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--expect-restart") == 0)
			i--;
		else if (strcmp(argv[i], "--frames") == 0)
			frames = (uint32_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--size") == 0)
			size = (uint32_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--queues") == 0)
			queues = (uint32_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--wait-link") == 0)
			wait = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--go-file") == 0)
			go_file = argv[i + 1];
		else if (strcmp(argv[i], "--expect") == 0)
			expect = argv[i + 1];
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = (uint32_t)atoi(argv[i + 1]);
	}
	nports = strcmp(mode, "fwd") == 0 ? 2 : 1;
	mp = tern_pktpool_create("xchk", POOL_N, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	if (mp == NULL || tern_port_count() < nports) {
		fprintf(stderr, "memif_xchk: need %u ports and a pool: %s\n", nports,
		        tern_eal_last_error());
		return 2;
	}
	for (uint16_t p = 0; p < nports; p++) {
		if (tern_port_configure(p, (uint16_t)queues, (uint16_t)queues, NULL) != 0)
			return 2;
		for (uint16_t q = 0; q < queues; q++)
			if (tern_port_rx_queue_setup(p, q, 512, TERN_SOCKET_ID_ANY, mp) != 0 ||
			    tern_port_tx_queue_setup(p, q, 512, TERN_SOCKET_ID_ANY) != 0)
				return 2;
		if (tern_port_start(p) != 0)
			return 2;
	}
	if (strcmp(mode, "link") == 0) {
		bool up = wait_link(0, wait) == 0;

		if (up) /* hold the link a moment: the peer polls it too */
			usleep(500000);

		if (up != (strcmp(expect, "up") == 0)) {
			printf("FAIL: link %s, expected %s\n", up ? "up" : "down", expect);
			ret = 1;
		}
		goto out;
	}
	for (uint16_t p = 0; p < nports; p++)
		if (wait_link(p, wait) != 0) {
			printf("FAIL: port %u: link not up after %.0f s\n", p, wait);
			ret = 1;
			goto out;
		}
	/* --go-file: the peer forwards only once that file exists (testpmd drops what came before).
	 */
	for (double end = now_s() + 20; go_file != NULL && access(go_file, F_OK) != 0;) {
		if (now_s() > end) {
			printf("FAIL: %s never appeared\n", go_file);
			ret = 1;
			goto out;
		}
		usleep(10000);
	}
	seen = calloc(frames, 1);
	if (strcmp(mode, "blast") == 0 || strcmp(mode, "sink") == 0) {
		bool tx = strcmp(mode, "blast") == 0;
		double end = now_s() + seconds, first = 0;
		uint64_t pkts = 0;

		while (now_s() < end) {
			struct tern_pkt *pk[BURST];
			uint16_t k;

			for (int it = 0; it < 256; it++) {
				if (tx) {
					if (tern_pkt_alloc_bulk(mp, pk, BURST) != 0)
						break;
					for (k = 0; k < BURST; k++)
						fill((uint8_t *)tern_pkt_append(pk[k], 64),
						     (uint32_t)k, 64);
					k = tern_port_tx_burst(0, 0, pk, BURST);
					tern_pkt_free_bulk(pk + k, BURST - k);
				} else {
					k = tern_port_rx_burst(0, 0, pk, BURST);
					tern_pkt_free_bulk(pk, k);
				}
				if (k != 0 && first == 0)
					first = now_s();
				pkts += k;
			}
		}
		printf("%s Mpps: %.3f\n", tx ? "tx" : "rx",
		       first > 0 ? (double)pkts / (now_s() - first) / 1e6 : 0.0);
		sent = tx ? pkts : 0;
		got = tx ? 0 : pkts;
	} else if (strcmp(mode, "lend") == 0) {
		double quiet = now_s() + 0.5, end;
		struct tern_link l;

		/* Until the ring stays full for half a second. */
		while (now_s() < quiet) {
			struct tern_pkt *pk = tern_pkt_alloc(mp);

			if (pk == NULL)
				break;
			fill((uint8_t *)tern_pkt_append(pk, 64), (uint32_t)sent, 64);
			if (tern_port_tx_burst(0, 0, &pk, 1) == 1) {
				sent++;
				quiet = now_s() + 0.5;
			} else {
				tern_pkt_free(pk);
				usleep(1000);
			}
		}
		printf("lent: sent %lu, held %u\n", (unsigned long)sent,
		       POOL_N - tern_mempool_avail_count(mp));
		fflush(stdout);
		end = now_s() + wait;
		do {
			usleep(10000);
			tern_port_link_get(0, &l);
		} while (l.up && now_s() < end);
		if (l.up) {
			printf("FAIL: the link stayed up for %.0f s\n", wait);
			ret = 1;
		} else if (tern_mempool_avail_count(mp) != POOL_N) {
			printf(
			    "FAIL: the peer is gone and %u of %u buffers are back (port started)\n",
			    tern_mempool_avail_count(mp), POOL_N);
			ret = 1;
		}
	} else if (strcmp(mode, "echo") == 0) {
		double end;
		uint32_t next = 0;

		if (queues > 16 || warm_up(mp, queues, wait) != 0) {
			printf("FAIL: the peer echoed no probe within %.0f s\n", wait);
			ret = 1;
			goto out;
		}
		end = now_s() + 20;

		while (got < frames && now_s() < end) {
			for (uint16_t q = 0; q < queues; q++) {
				struct tern_pkt *pk[BURST];
				uint16_t k = 0, tx;

				/* At most 512 in flight: the peer's rings (1024 slots each way)
				 * never fill. */
				while (k < BURST && next + k < frames &&
				       sent + k < got + bad + 512) {
					uint32_t s = next + k, len = frame_size(s, size);

					pk[k] = tern_pkt_alloc(mp);
					if (pk[k] == NULL)
						break;
					fill((uint8_t *)tern_pkt_append(pk[k], (uint16_t)len), s,
					     len);
					k++;
				}
				tx = tern_port_tx_burst(0, q, pk, k);
				next += tx;
				sent += tx;
				tern_pkt_free_bulk(pk + tx, k - tx);
				k = tern_port_rx_burst(0, q, pk, BURST);
				for (uint16_t i = 0; i < k; i++) {
					uint32_t s;

					if (is_probe(pk[i]))
						continue; /* a late warm-up echo */
					if (check(pk[i], size, frames, &s) != 0)
						bad++;
					else if (seen[s]++)
						dup++;
					else
						got++;
				}
				tern_pkt_free_bulk(pk, k);
			}
		}
		if (got != frames || bad || dup) {
			printf(
			    "FAIL: sent %lu, got back %lu of %u intact, %lu corrupt, %lu twice\n",
			    (unsigned long)sent, (unsigned long)got, frames, (unsigned long)bad,
			    (unsigned long)dup);
			ret = 1;
		}
	} else {
		double end = now_s() + seconds;
		uint32_t next = 0;
		bool up = true;

		while (now_s() < end) {
			struct tern_link l;
			struct tern_pkt *pk[BURST];
			uint16_t k = 0, tx;

			tern_port_link_get(0, &l);
			if (up && !l.up)
				downs++;
			if (!up && l.up) {
				ups++;
				after = 0;
			}
			up = l.up;
			while (k < 8) {
				uint32_t s = next % frames, len = frame_size(s, size);

				pk[k] = tern_pkt_alloc(mp);
				if (pk[k] == NULL)
					break;
				fill((uint8_t *)tern_pkt_append(pk[k], (uint16_t)len), s, len);
				k++;
				next++;
			}
			tx = tern_port_tx_burst(0, 0, pk, k);
			sent += tx;
			next -= k - tx;
			tern_pkt_free_bulk(pk + tx, k - tx);
			k = tern_port_rx_burst(1, 0, pk, BURST);
			for (uint16_t i = 0; i < k; i++) {
				uint32_t s;

				if (check(pk[i], size, frames, &s) != 0)
					bad++;
				else {
					got++;
					after++;
				}
			}
			tern_pkt_free_bulk(pk, k);
			usleep(100);
		}
		if (got == 0 || bad || after == 0 || (expect_restart && (downs == 0 || ups == 0))) {
			printf("FAIL: sent %lu, received %lu intact (%lu since the link last came "
			       "up), "
			       "%lu corrupt, link down %lu up %lu\n",
			       (unsigned long)sent, (unsigned long)got, (unsigned long)after,
			       (unsigned long)bad, (unsigned long)downs, (unsigned long)ups);
			ret = 1;
		}
	}
	free(seen);
out:
	for (uint16_t p = 0; p < nports; p++) {
		tern_port_stop(p);
		tern_port_close(p);
	}
	if (tern_mempool_avail_count(mp) != POOL_N) {
		printf("FAIL: %u of %u buffers back in the pool\n", tern_mempool_avail_count(mp),
		       POOL_N);
		ret = 1;
	}
	if (ret == 0)
		printf("ok %s: sent %lu, received %lu intact, link down %lu up %lu, pool full\n",
		       mode, (unsigned long)sent, (unsigned long)got, (unsigned long)downs,
		       (unsigned long)ups);
	tern_mempool_free(mp);
	tern_eal_cleanup();
	return ret;
}
