/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_user.c - tern's virtio PMD over vhost-user against DPDK's vhost
 * (dpdk-testpmd --vdev net_vhost0,iface=SOCK), and against a small fake
 * backend in this file for the refusals: frames both ways byte-exact in
 * macswap and io mode, 1 and 2 queue pairs, tern as client (the backend's
 * socket) and as server (server=1, the backend with client=1), the backend
 * killed and started again mid-run (tern reconnects and forwards again),
 * every buffer back; no socket, a backend without VERSION_1, more queues
 * than the backend has.
 *
 * Skips when dpdk-testpmd or 16 free 2 MiB hugepages (for tern) are
 * missing, or when not root (the DMA memory is shared through
 * /proc/self/map_files). The DPDK backends run on hugepages with
 * --in-memory -m 64 (32 pages each) when 64 are free at their start,
 * else with --no-huge -m 256 (DPDK's vhost maps tern's memory, not its own).
 * VIRTIO_UT_DEBUG=1 keeps testpmd's log (/tmp/virtio-ut-PID.log) with the
 * vhost-user messages it read.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tern_test.h"
#include "tern_cycles.h"
#include "tern_eal.h"
#include "tern_log.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "tern_port.h"

#define NB_FRAMES 64

static char sock_path[108];
static char log_path[128]; /* testpmd's stdout, line-buffered */
static pid_t backend = -1;
static int backend_stdin = -1;

/* Root, dpdk-testpmd, and free 2 MiB hugepages for tern's rings and pool (16 do). */
static bool can_run(void)
{
	if (geteuid() != 0 || access("/usr/bin/dpdk-testpmd", X_OK) != 0)
		return false;
	return tern_test_hugepages_free() >= 16;
}

/*
 * dpdk-testpmd as the vhost-user server at sock_path (waits for its
 * socket), or as the client of tern's socket (client=1: nothing to wait for).
 */
static void backend_spawn(unsigned queues, const char *fwd, bool client)
{
	char vdev[256], prefix[64], q[32];
	/* testpmd's own memory: hugepages when there are enough, else 4 KiB pages. */
	const char *huge[3] = {"--in-memory", "-m", "64"}, *small[3] = {"--no-huge", "-m", "256"};
	const char *const *mem = tern_test_hugepages_free() >= 64 ? huge : small;
	/* VIRTIO_UT_DEBUG: keep testpmd's log, with the vhost-user messages in it. */
	bool debug = getenv("VIRTIO_UT_DEBUG") != NULL;
	int p[2];

	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s,queues=%u%s", sock_path, queues,
	         client ? ",client=1" : "");
	snprintf(prefix, sizeof(prefix), "vuser-ut-%d", (int)getpid());
	snprintf(q, sizeof(q), "%u", queues);
	cr_assert_eq(pipe(p), 0);
	unlink(log_path); /* no "Press enter" of an earlier backend */
	backend = fork();
	cr_assert_geq(backend, 0);
	if (backend == 0) {
		char fm[64];
		char qa[48], qb[48];
		int devnull = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		snprintf(fm, sizeof(fm), "--forward-mode=%s", fwd);
		snprintf(qa, sizeof(qa), "--rxq=%s", q);
		snprintf(qb, sizeof(qb), "--txq=%s", q);
		dup2(p[0], 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		close(p[1]);
		execl("/usr/bin/stdbuf", "stdbuf", "-oL", "/usr/bin/dpdk-testpmd", "-l", "0-1",
		      mem[0], mem[1], mem[2], "--file-prefix", prefix, "--no-pci", "--vdev", vdev,
		      "--log-level", debug ? "lib.vhost.config:info" : "*:error", "--",
		      "--auto-start", fm, qa, qb, "--nb-cores=1", "--total-num-mbufs=4096",
		      "--disable-link-check", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	backend_stdin = p[1];
}

static void backend_start_mode(unsigned queues, const char *fwd, bool client)
{
	backend_spawn(queues, fwd, client);
	/*
	 * Wait until testpmd forwards ("Press enter to exit"): DPDK's vhost PMD
	 * gives a device that becomes ready before its port is configured no
	 * queues (seen with client=1, where it connects during its own init).
	 */
	for (int i = 0; i < 300; i++) {
		char line[256];
		bool up = false;
		FILE *f = fopen(log_path, "r");

		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			up = up || strstr(line, "Press enter to exit") != NULL;
		if (f != NULL)
			fclose(f);
		if (up)
			break;
		cr_assert_eq(waitpid(backend, NULL, WNOHANG), 0, "dpdk-testpmd exited at start");
		usleep(100000);
	}
	for (int i = 0; !client && i < 300; i++) {
		struct stat st;

		if (stat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode))
			return;
		cr_assert_eq(waitpid(backend, NULL, WNOHANG), 0, "dpdk-testpmd exited at start");
		usleep(100000);
	}
	if (!client)
		cr_assert_fail("dpdk-testpmd made no socket at %s within 30 s", sock_path);
}

static void backend_start(unsigned queues, const char *fwd)
{
	backend_start_mode(queues, fwd, false);
}

static void backend_kill_keep_socket(void)
{
	if (backend > 0) {
		kill(backend, SIGKILL);
		waitpid(backend, NULL, 0);
	}
	if (backend_stdin >= 0)
		close(backend_stdin);
	backend = -1;
	backend_stdin = -1;
}

static void backend_kill(void)
{
	backend_kill_keep_socket();
	unlink(sock_path);
}

static void setup(void)
{
	if (!can_run())
		cr_skip_test("needs root, 16 free 2 MiB hugepages and /usr/bin/dpdk-testpmd");
	snprintf(sock_path, sizeof(sock_path), "/tmp/virtio-ut-%d.sock", (int)getpid());
	snprintf(log_path, sizeof(log_path), "/tmp/virtio-ut-%d.log", (int)getpid());
	unlink(sock_path);
}

static void teardown(void)
{
	backend_kill();
	if (getenv("VIRTIO_UT_DEBUG") == NULL)
		unlink(log_path);
}

static bool eal_no_huge; /* eal_up() with --no-huge */

static int eal_up(const char *args)
{
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.no_huge = eal_no_huge;
	cfg.nb_vdev = 1;
	strcpy(cfg.vdev[0].name, "virtio_user0");
	snprintf(cfg.vdev[0].args, sizeof(cfg.vdev[0].args), "%s", args);
	return tern_eal_init(&cfg);
}

static struct tern_mempool *port_up(uint16_t queues)
{
	struct tern_mempool *mp =
	    tern_pktpool_create("vuser", 2047, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);

	cr_assert_not_null(mp);
	cr_assert_eq(tern_port_configure(0, queues, queues, NULL), 0);
	for (uint16_t q = 0; q < queues; q++) {
		cr_assert_eq(tern_port_rx_queue_setup(0, q, 0, TERN_SOCKET_ID_ANY, mp), 0);
		cr_assert_eq(tern_port_tx_queue_setup(0, q, 0, TERN_SOCKET_ID_ANY), 0);
	}
	cr_assert_eq(tern_port_start(0), 0, "%s", tern_eal_last_error());
	return mp;
}

static void port_down(struct tern_mempool *mp)
{
	cr_expect_eq(tern_port_stop(0), 0);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp), "every buffer back");
	tern_port_close(0);
	tern_mempool_free(mp);
	tern_eal_cleanup();
}

static bool wait_link(bool up, unsigned ms)
{
	struct tern_link link;

	for (unsigned i = 0; i < ms / 10; i++) {
		if (tern_port_link_get(0, &link) == 0 && link.up == up)
			return true;
		usleep(10000);
	}
	return false;
}

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0xaa}, mac_b[6] = {0x02, 0, 0, 0, 0, 0xbb};

static uint32_t frame_len(unsigned seq)
{
	return 60 + (seq * 97) % 1455;
}

static void frame_fill(uint8_t *b, uint32_t len, unsigned seq)
{
	memcpy(b, mac_a, 6);
	memcpy(b + 6, mac_b, 6);
	b[12] = 0x88;
	b[13] = 0xb5; /* local experimental ethertype */
	b[14] = (uint8_t)seq;
	b[15] = (uint8_t)(seq >> 8);
	for (uint32_t i = 16; i < len; i++)
		b[i] = (uint8_t)(seq * 31 + i);
}

/*
 * Send NB_FRAMES frames on queue q (round 'round'), take them back from any
 * queue, check each byte: macswap swaps the addresses, io leaves them.
 */
static void round_trip(struct tern_mempool *pool, uint16_t queues, bool swapped)
{
	struct tern_pkt *pkts[32];
	bool seen[NB_FRAMES] = {false};
	unsigned got = 0, sent = 0;
	uint64_t t0 = tern_time_ns();

	for (uint16_t q = 0; q < queues; q++) {
		struct tern_pkt *out[NB_FRAMES];
		unsigned n = NB_FRAMES / queues, k = 0;

		for (unsigned i = 0; i < n; i++) {
			unsigned seq = q * n + i;
			uint8_t *b;

			out[i] = tern_pkt_alloc(pool);
			cr_assert_not_null(out[i]);
			b = (uint8_t *)tern_pkt_append(out[i], (uint16_t)frame_len(seq));
			cr_assert_not_null(b);
			frame_fill(b, frame_len(seq), seq);
		}
		while (k < n && tern_time_ns() - t0 < 5000000000ull)
			k += tern_port_tx_burst(0, q, out + k, (uint16_t)(n - k));
		cr_assert_eq(k, n, "queue %u took %u of %u frames", q, k, n);
		sent += n;
	}
	while (got < sent && tern_time_ns() - t0 < 10000000000ull) {
		for (uint16_t q = 0; q < queues; q++) {
			uint16_t n = tern_port_rx_burst(0, q, pkts, 32);

			for (uint16_t i = 0; i < n; i++) {
				const uint8_t *b = tern_pkt_mtod(pkts[i], const uint8_t *);
				unsigned seq = b[14] | b[15] << 8;
				uint8_t want[1600];

				if (b[12] != 0x88 || b[13] != 0xb5)
					continue; /* sent while the backend was down: resent now */

				cr_assert_lt(seq, NB_FRAMES);
				cr_expect(!seen[seq], "frame %u twice", seq);
				seen[seq] = true;
				cr_assert_eq(pkts[i]->pkt_len, frame_len(seq));
				frame_fill(want, frame_len(seq), seq);
				if (swapped) {
					memcpy(want, mac_b, 6);
					memcpy(want + 6, mac_a, 6);
				}
				cr_expect_eq(pkts[i]->nb_segs, 1);
				cr_expect(memcmp(b, want, frame_len(seq)) == 0, "frame %u differs",
				          seq);
				got++;
			}
			tern_pkt_free_bulk(pkts, n);
		}
	}
	cr_assert_eq(got, sent, "%u of %u frames came back", got, sent);
}

/*
 * Until the backend forwards: a probe frame (ethertype 0x88b6, which
 * round_trip skips) every 20 ms until one comes back, within ms. A backend
 * that has just started may drop what arrives before it forwards (testpmd
 * empties its RX queues once at the start of forwarding), so a test that
 * counts every frame waits for this first.
 */
static bool wait_forwarding(struct tern_mempool *pool, unsigned ms)
{
	uint64_t t0 = tern_time_ns();

	while (tern_time_ns() - t0 < ms * 1000000ull) {
		struct tern_pkt *p = tern_pkt_alloc(pool), *rx[32];
		uint8_t *b;
		uint16_t n;
		bool back = false;

		cr_assert_not_null(p);
		b = (uint8_t *)tern_pkt_append(p, 60);
		cr_assert_not_null(b);
		memset(b, 0, 60);
		memcpy(b, mac_a, 6);
		memcpy(b + 6, mac_b, 6);
		b[12] = 0x88;
		b[13] = 0xb6;
		if (tern_port_tx_burst(0, 0, &p, 1) != 1)
			tern_pkt_free(p);
		usleep(20000);
		while ((n = tern_port_rx_burst(0, 0, rx, 32)) > 0) {
			for (uint16_t i = 0; i < n; i++) {
				const uint8_t *r = tern_pkt_mtod(rx[i], const uint8_t *);

				back = back || (r[12] == 0x88 && r[13] == 0xb6);
			}
			tern_pkt_free_bulk(rx, n);
		}
		if (back)
			return true;
	}
	return false;
}

TestSuite(virtio_user, .init = setup, .fini = teardown, .timeout = 60);

Test(virtio_user, macswap_one_pair_byte_exact)
{
	struct tern_mempool *mp;
	char args[200];

	backend_start(1, "macswap");
	snprintf(args, sizeof(args), "path=%s", sock_path);
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp = port_up(1);
	cr_assert(wait_link(true, 5000), "link up");
	for (unsigned r = 0; r < 3; r++)
		round_trip(mp, 1, true);
	port_down(mp);
}

Test(virtio_user, io_two_pairs_byte_exact)
{
	struct tern_mempool *mp;
	char args[200];

	backend_start(2, "io");
	snprintf(args, sizeof(args), "path=%s,queues=2", sock_path);
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp = port_up(2);
	cr_assert(wait_link(true, 5000), "link up");
	for (unsigned r = 0; r < 3; r++)
		round_trip(mp, 2, false);
	port_down(mp);
}

/*
 * 5.1.6.4 against a real backend: a 4000-byte frame sent as a chain of
 * three segments comes back from DPDK's vhost (macswap) in merged RX
 * buffers (MRG_RXBUF), as a chain, byte-exact.
 */
Test(virtio_user, jumbo_chain_out_merged_buffers_back)
{
	struct tern_mempool *mp;
	struct tern_pkt *p, *seg, *rx[4];
	uint8_t want[4000], got[4000];
	uint32_t off = 0;
	uint64_t t0;
	uint16_t n = 0;
	char args[200];

	backend_start(1, "macswap");
	snprintf(args, sizeof(args), "path=%s", sock_path);
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp = port_up(1);
	cr_assert(wait_link(true, 5000), "link up");
	frame_fill(want, sizeof(want), 7);
	p = NULL;
	for (uint32_t len = 1500; off < sizeof(want); off += len) {
		len = TERN_MIN(len, (uint32_t)sizeof(want) - off);
		seg = tern_pkt_alloc(mp);
		cr_assert_not_null(seg);
		memcpy(tern_pkt_append(seg, (uint16_t)len), want + off, len);
		if (p == NULL)
			p = seg;
		else
			cr_assert_eq(tern_pkt_chain(p, seg), 0);
	}
	cr_assert_eq(p->nb_segs, 3);
	cr_assert_eq(tern_port_tx_burst(0, 0, &p, 1), 1);
	t0 = tern_time_ns();
	while (n == 0 && tern_time_ns() - t0 < 5000000000ull)
		n = tern_port_rx_burst(0, 0, rx, 4);
	cr_assert_eq(n, 1, "the jumbo frame came back");
	cr_expect_gt(rx[0]->nb_segs, 1, "in merged buffers");
	cr_assert_eq(rx[0]->pkt_len, sizeof(want));
	off = 0;
	for (seg = rx[0]; seg != NULL; seg = seg->next) {
		memcpy(got + off, tern_pkt_mtod(seg, uint8_t *), seg->data_len);
		off += seg->data_len;
	}
	memcpy(want, mac_b, 6);
	memcpy(want + 6, mac_a, 6);
	cr_expect(memcmp(got, want, sizeof(want)) == 0, "byte-exact");
	tern_pkt_free(rx[0]);
	port_down(mp);
}

/*
 * Packed virtqueues (virtio 1.1 2.7, packed_vq=1) against the same
 * backend: the probe must say it negotiated them (else this would test
 * split rings again), then frames both ways byte-exact, every buffer back.
 */
static struct tern_mempool *packed_up(uint16_t queues, const char *fwd)
{
	struct tern_test_log_watch w;
	char args[200];
	struct tern_mempool *mp;

	backend_start(queues, fwd);
	snprintf(args, sizeof(args), "path=%s,queues=%u,packed_vq=1", sock_path, queues);
	tern_test_log_watch(&w, "packed virtqueues");
	tern_log_set_level("virtio", TERN_LOG_INFO); /* the probe line says which layout */
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	cr_assert_eq(atomic_load(&w.hits), 1, "packed virtqueues negotiated");
	tern_log_set_callback(NULL, NULL);
	mp = port_up(queues);
	cr_assert(wait_link(true, 5000), "link up");
	return mp;
}

Test(virtio_user, packed_macswap_one_pair_byte_exact)
{
	struct tern_mempool *mp = packed_up(1, "macswap");

	/* 5 rounds of 64 frames: past the 256 slots, so both wrap counters flip. */
	for (unsigned r = 0; r < 5; r++)
		round_trip(mp, 1, true);
	port_down(mp);
}

Test(virtio_user, packed_io_two_pairs_byte_exact)
{
	struct tern_mempool *mp = packed_up(2, "io");

	/* 10 rounds of 32 frames a queue: past the 256 slots, so both wrap counters flip. */
	for (unsigned r = 0; r < 10; r++)
		round_trip(mp, 2, false);
	port_down(mp);
}

/* 5.1.6.4 on packed rings: a 3-segment TX chain out, merged RX buffers back, byte-exact. */
Test(virtio_user, packed_jumbo_chain_out_merged_buffers_back)
{
	struct tern_mempool *mp = packed_up(1, "macswap");
	struct tern_pkt *p = NULL, *seg, *rx[4];
	uint8_t want[4000], got[4000];
	uint32_t off = 0;
	uint64_t t0;
	uint16_t n = 0;

	frame_fill(want, sizeof(want), 9);
	for (uint32_t len = 1500; off < sizeof(want); off += len) {
		len = TERN_MIN(len, (uint32_t)sizeof(want) - off);
		seg = tern_pkt_alloc(mp);
		cr_assert_not_null(seg);
		memcpy(tern_pkt_append(seg, (uint16_t)len), want + off, len);
		if (p == NULL)
			p = seg;
		else
			cr_assert_eq(tern_pkt_chain(p, seg), 0);
	}
	cr_assert_eq(tern_port_tx_burst(0, 0, &p, 1), 1);
	t0 = tern_time_ns();
	while (n == 0 && tern_time_ns() - t0 < 5000000000ull)
		n = tern_port_rx_burst(0, 0, rx, 4);
	cr_assert_eq(n, 1, "the jumbo frame came back");
	cr_expect_gt(rx[0]->nb_segs, 1, "in merged buffers");
	cr_assert_eq(rx[0]->pkt_len, sizeof(want));
	off = 0;
	for (seg = rx[0]; seg != NULL; seg = seg->next) {
		memcpy(got + off, tern_pkt_mtod(seg, uint8_t *), seg->data_len);
		off += seg->data_len;
	}
	memcpy(want, mac_b, 6);
	memcpy(want + 6, mac_a, 6);
	cr_expect(memcmp(got, want, sizeof(want)) == 0, "byte-exact");
	tern_pkt_free(rx[0]);
	port_down(mp);
}

/*
 * A restarted backend takes the packed rings over where the old one left
 * them (SET_VRING_BASE: slot and wrap counter in bit 15); after laps past
 * the ring's end, so that a wrong wrap bit would stall it.
 */
Test(virtio_user, packed_backend_restart_reconnects)
{
	struct tern_mempool *mp = packed_up(1, "macswap");

	for (unsigned r = 0; r < 5; r++)
		round_trip(mp, 1, true);
	backend_kill();
	cr_assert(wait_link(false, 5000), "link down once the backend is gone");
	backend_start(1, "macswap");
	cr_assert(wait_link(true, 10000), "link up again after the backend restarted");
	for (unsigned r = 0; r < 5; r++)
		round_trip(mp, 1, true);
	port_down(mp);
}

/* The backend is killed mid-run: link down; started again: tern reconnects and forwards. */
Test(virtio_user, backend_restart_reconnects)
{
	struct tern_mempool *mp;
	struct tern_pkt *pkts[8];
	char args[200];

	backend_start(1, "macswap");
	snprintf(args, sizeof(args), "path=%s", sock_path);
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp = port_up(1);
	cr_assert(wait_link(true, 5000), "link up");
	round_trip(mp, 1, true);
	backend_kill();
	cr_assert(wait_link(false, 5000), "link down once the backend is gone");
	/* Bursts keep working (nothing is sent anywhere): TX fills the ring, RX gets 0. */
	for (unsigned i = 0; i < 8; i++)
		pkts[i] = tern_pkt_alloc(mp);
	for (unsigned i = 0; i < 8; i++)
		memset(tern_pkt_append(pkts[i], 60), 0, 60); /* not ours: ethertype 0 */
	{
		uint16_t n = tern_port_tx_burst(0, 0, pkts, 8);

		tern_pkt_free_bulk(pkts + n, 8 - n);
	}
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 8), 0);
	backend_start(1, "macswap");
	cr_assert(wait_link(true, 10000), "link up again after the backend restarted");
	round_trip(mp, 1, true);
	port_down(mp);
}

/*
 * server=1 against DPDK's vhost in client mode (net_vhost0,...,client=1, as
 * OVS-DPDK's dpdkvhostuserclient ports): tern listens, the backend
 * connects. Each test waits for the backend to forward before it counts
 * frames (wait_forwarding: testpmd drops what arrives while it empties its
 * RX queues at the start of forwarding; seen with --no-flush-rx, where no
 * frame is lost).
 */

/* The backend first (it retries its connection every second), tern second. */
Test(virtio_user, server_mode_macswap_one_pair_byte_exact)
{
	struct tern_mempool *mp;
	char args[200];

	backend_start_mode(1, "macswap", true);
	snprintf(args, sizeof(args), "path=%s,server=1", sock_path);
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp = port_up(1);
	cr_assert(wait_link(true, 10000), "link up");
	cr_assert(wait_forwarding(mp, 10000), "the backend forwards");
	for (unsigned r = 0; r < 3; r++)
		round_trip(mp, 1, true);
	port_down(mp);
}

/* tern first (waiting at probe), the backend started while it waits. */
Test(virtio_user, server_mode_io_two_pairs_byte_exact)
{
	struct tern_mempool *mp;
	char args[200];

	snprintf(args, sizeof(args), "path=%s,server=1,queues=2", sock_path);
	backend_spawn(2, "io", true); /* connects once tern listens */
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp = port_up(2);
	cr_assert(wait_link(true, 10000), "link up");
	cr_assert(wait_forwarding(mp, 15000), "the backend forwards");
	for (unsigned r = 0; r < 3; r++)
		round_trip(mp, 2, false);
	port_down(mp);
}

/*
 * The DPDK client killed mid-run: link down, tern keeps listening; a new
 * client started while tern polls its link (it connects during its own
 * init) is taken and forwards again. tern's socket is gone after close.
 */
Test(virtio_user, server_mode_backend_restart_forwards_again)
{
	struct tern_mempool *mp;
	struct stat st;
	char args[200];

	backend_start_mode(1, "macswap", true);
	snprintf(args, sizeof(args), "path=%s,server=1", sock_path);
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp = port_up(1);
	cr_assert(wait_link(true, 10000), "link up");
	cr_assert(wait_forwarding(mp, 10000), "the backend forwards");
	round_trip(mp, 1, true);
	backend_kill_keep_socket(); /* tern's listening socket stays */
	cr_assert(wait_link(false, 5000), "link down once the backend is gone");
	backend_spawn(1, "macswap", true);
	cr_assert(wait_link(true, 15000), "link up again: the backend connected to tern again");
	cr_assert(wait_forwarding(mp, 10000), "the new backend forwards");
	round_trip(mp, 1, true);
	port_down(mp);
	cr_expect_neq(stat(sock_path, &st), 0, "tern removed its socket at close");
}

/* The backend dies with frames in both rings: bursts keep returning, stop gives every buffer back.
 */
Test(virtio_user, backend_dies_every_buffer_back)
{
	struct tern_mempool *mp;
	struct tern_pkt *pkts[32];
	uint16_t sent;
	char args[200];

	backend_start(1, "rxonly");
	snprintf(args, sizeof(args), "path=%s", sock_path);
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp = port_up(1);
	cr_assert(wait_link(true, 5000), "link up");
	backend_kill();
	cr_assert(wait_link(false, 5000), "link down");
	cr_assert_eq(tern_pkt_alloc_bulk(mp, pkts, 32), 0);
	for (unsigned i = 0; i < 32; i++)
		memset(tern_pkt_append(pkts[i], 60), 0, 60);
	sent = tern_port_tx_burst(0, 0, pkts, 32);
	tern_pkt_free_bulk(pkts + sent, 32 - sent);
	cr_expect_gt(sent, 0, "TX takes frames into its ring");
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 32), 0);
	cr_expect_lt(tern_mempool_avail_count(mp), tern_mempool_size(mp), "buffers in the rings");
	port_down(mp); /* stop: every buffer back though nobody answers GET_VRING_BASE */
}

Test(virtio_user, no_socket_is_one_clear_error)
{
	char args[200];
	struct tern_test_log_watch w;

	tern_test_log_watch(&w, "cannot connect to vhost-user socket");
	snprintf(args, sizeof(args), "path=%s", sock_path);
	cr_expect_lt(eal_up(args), 0);
	cr_expect_eq(atomic_load(&w.hits), 1, "%s", w.first);
	tern_log_set_callback(NULL, NULL);
}

/*
 * A scripted fake backend (vhost-user.rst, the back-end side), a thread on
 * a unix socket: accepts one connection and answers GET_FEATURES (1),
 * GET_PROTOCOL_FEATURES (15), GET_QUEUE_NUM (17) and GET_VRING_BASE (11)
 * from fixed values, acks requests that ask for it (flags bit 3, with
 * REPLY_ACK) with 0 except `nack`, which it refuses with 1 (from
 * connection `nack_from` on, if set); `oversized` gets a reply 4 KiB long,
 * `mute` none at all. `hangup` closes the first connection after the
 * second SET_VRING_ENABLE (both rings of a pair enabled). It accepts again
 * after each connection ends, until stopped. File descriptors that come
 * with a request are closed at once, so the test's fd count sees tern's.
 */
#define FB_PF_MQ        (1ull << 0)
#define FB_PF_REPLY_ACK (1ull << 3)
#define FB_VERSION_1    (1ull << 32)
#define FB_PROTOCOL     (1ull << 30)

struct fake_backend {
	int lsock;
	uint64_t features, protocol_features, queue_num;
	uint32_t nack, oversized, mute;
	unsigned nack_from; /* 0 or 1: every connection; 2: from the second on */
	bool hangup;
	pthread_t thread;
};

struct fb_msg {
	uint32_t req, flags, size;
	uint64_t v;
} __attribute__((packed));

/* One request: header and payload, fds closed. 0 at EOF or on a bad request. */
static int fb_recv(int c, struct fb_msg *m, uint8_t *payload, size_t room)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = {.iov_base = m, .iov_len = 12};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};

	if (recvmsg(c, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC) != 12)
		return 0;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h != NULL; h = CMSG_NXTHDR(&mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
	if (m->size > room || (m->size && recv(c, payload, m->size, MSG_WAITALL) != m->size))
		return 0;
	return 1;
}

/* One connection; false when the backend should stop accepting. */
static bool fake_backend_conn(struct fake_backend *fb, int c, unsigned conn)
{
	uint8_t buf[512];
	unsigned enables = 0;

	for (;;) {
		struct fb_msg m;
		bool reply = true;

		if (!fb_recv(c, &m, buf, sizeof(buf)))
			return true;
		if (m.req == fb->mute)
			continue;
		if (m.req == fb->oversized) {
			static uint8_t junk[4096];

			m.flags = 0x5;
			m.size = sizeof(junk);
			if (send(c, &m, 12, MSG_NOSIGNAL) != 12 ||
			    send(c, junk, sizeof(junk), MSG_NOSIGNAL) != sizeof(junk))
				return true;
			continue;
		}
		switch (m.req) {
		case 1:
			m.v = fb->features;
			break;
		case 15:
			m.v = fb->protocol_features;
			break;
		case 17:
			m.v = fb->queue_num;
			break;
		case 11:
			m.v = 0;
			memcpy(&m.v, buf, 4); /* {index, num = 0} */
			break;
		default:
			reply = (m.flags & 0x8) != 0;
			m.v = m.req == fb->nack && conn >= fb->nack_from;
		}
		m.flags = 0x5;
		m.size = 8;
		if (reply && send(c, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m))
			return true;
		if (m.req == 18 && ++enables == 2 && fb->hangup && conn == 1)
			return true;
	}
}

static void *fake_backend_run(void *arg)
{
	struct fake_backend *fb = arg;

	for (unsigned conn = 1;; conn++) {
		int c = accept4(fb->lsock, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			break; /* fake_backend_stop() */
		fake_backend_conn(fb, c, conn);
		close(c);
	}
	return NULL;
}

static void fake_backend_start(struct fake_backend *fb)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fb->lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(fb->lsock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fb->lsock, 1), 0);
	cr_assert_eq(pthread_create(&fb->thread, NULL, fake_backend_run, fb), 0);
}

/* After tern closed its end: the thread ends at EOF (or in accept, woken here). */
static void fake_backend_stop(struct fake_backend *fb)
{
	shutdown(fb->lsock, SHUT_RDWR);
	pthread_join(fb->thread, NULL);
	close(fb->lsock);
	unlink(sock_path);
}

/* tern's error lines while set: all of them, and those that contain needle. */
struct err_watch {
	const char *needle;
	atomic_uint lines, hits;
	char first[256];
};

static void err_watch_cb(void *arg, enum tern_log_level level, const char *component,
                         const char *msg)
{
	struct err_watch *w = arg;

	fprintf(stderr, "tern: %s: %s\n", component, msg);
	if (level > TERN_LOG_ERR)
		return;
	atomic_fetch_add(&w->lines, 1);
	if (strstr(msg, w->needle) != NULL && atomic_fetch_add(&w->hits, 1) == 0)
		snprintf(w->first, sizeof(w->first), "%s", msg);
}

static void err_watch(struct err_watch *w, const char *needle)
{
	w->needle = needle;
	atomic_store(&w->lines, 0);
	atomic_store(&w->hits, 0);
	w->first[0] = '\0';
	tern_log_set_callback(err_watch_cb, w);
}

/* One error line, and it is the one that says why. */
static void err_watch_end(struct err_watch *w)
{
	tern_log_set_callback(NULL, NULL);
	cr_expect_eq(atomic_load(&w->hits), 1, "one line saying '%s' (got: %s)", w->needle,
	             w->first);
	cr_expect_eq(atomic_load(&w->lines), 1, "one error line in all, not %u",
	             atomic_load(&w->lines));
}

/* The probe (eal_up) against fb fails with one line containing needle; nothing leaks. */
static void probe_refused(struct fake_backend *fb, const char *args_tail, const char *needle)
{
	struct err_watch w;
	char args[200];
	int fds = tern_test_open_fds();

	fake_backend_start(fb);
	err_watch(&w, needle);
	snprintf(args, sizeof(args), "path=%s%s", sock_path, args_tail);
	cr_expect_lt(eal_up(args), 0);
	err_watch_end(&w);
	if (tern_eal_is_initialized())
		tern_eal_cleanup();
	fake_backend_stop(fb);
	cr_expect_eq(tern_test_open_fds(), fds, "no fd leaked");
}

/*
 * tern_port_start against fb fails with one line containing needle; every
 * buffer is back and, once the port is closed, no fd is left.
 */
static void start_refused(struct fake_backend *fb, const char *needle)
{
	struct tern_mempool *mp;
	struct err_watch w;
	char args[200];
	int fds = tern_test_open_fds();

	fake_backend_start(fb);
	snprintf(args, sizeof(args), "path=%s", sock_path);
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp =
	    tern_pktpool_create("vuser", 1023, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(tern_port_configure(0, 1, 1, NULL), 0);
	cr_assert_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), 0);
	cr_assert_eq(tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY), 0);
	err_watch(&w, needle);
	cr_expect_lt(tern_port_start(0), 0);
	err_watch_end(&w);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp), "every buffer back");
	tern_port_close(0);
	tern_mempool_free(mp);
	tern_eal_cleanup();
	fake_backend_stop(fb);
	cr_expect_eq(tern_test_open_fds(), fds, "no fd leaked");
}

/* tern on --no-huge: private memory the backend could never map; refused at start. */
Test(virtio_user, no_huge_memory_refused_at_start)
{
	struct fake_backend fb = {.features = FB_VERSION_1};

	eal_no_huge = true;
	start_refused(&fb, "virtio_user needs hugepages (not --no-huge)");
}

/* REPLY_ACK: the backend NACKs SET_MEM_TABLE (5). */
Test(virtio_user, memory_table_rejected_start_fails_nothing_leaked)
{
	struct fake_backend fb = {.features = FB_VERSION_1 | FB_PROTOCOL,
	                          .protocol_features = FB_PF_MQ | FB_PF_REPLY_ACK,
	                          .nack = 5};

	start_refused(&fb, "rejected tern's memory table");
}

/* REPLY_ACK: the backend offers features, then NACKs SET_FEATURES (2) with them. */
Test(virtio_user, features_rejected_start_fails_nothing_leaked)
{
	struct fake_backend fb = {.features = FB_VERSION_1 | FB_PROTOCOL | 1ull << 15,
	                          .protocol_features = FB_PF_REPLY_ACK,
	                          .nack = 2};

	start_refused(&fb, "rejected features 0x");
}

/* A 4 KiB reply to GET_FEATURES: refused, never read into tern's message. */
Test(virtio_user, oversized_reply_is_refused)
{
	struct fake_backend fb = {.features = FB_VERSION_1, .oversized = 1};

	probe_refused(&fb, "", "bad reply from");
}

/* No reply to GET_FEATURES: the probe gives up after reply_timeout_ms, not never. */
Test(virtio_user, silent_backend_times_out)
{
	struct fake_backend fb = {.features = FB_VERSION_1, .mute = 1};
	uint64_t t0 = tern_time_ns();

	probe_refused(&fb, ",reply_timeout_ms=200", "no reply from");
	cr_expect_lt(tern_time_ns() - t0, 3000000000ull, "given up within 3 s");
}

/*
 * A backend that takes the port, goes away and, back again, NACKs the
 * memory table each time: tern's link stays down, and while it is polled
 * (every 10 ms here) tern says so about once a second, not once a poll.
 */
Test(virtio_user, refusing_backend_is_not_retried_every_poll)
{
	struct fake_backend fb = {.features = FB_VERSION_1 | FB_PROTOCOL,
	                          .protocol_features = FB_PF_REPLY_ACK,
	                          .nack = 5,
	                          .nack_from = 2,
	                          .hangup = true};
	struct tern_mempool *mp;
	struct err_watch w;
	char args[200];
	int fds = tern_test_open_fds();

	fake_backend_start(&fb);
	snprintf(args, sizeof(args), "path=%s", sock_path);
	cr_assert_eq(eal_up(args), 0, "%s", tern_eal_last_error());
	mp = port_up(1);
	cr_assert(wait_link(false, 5000), "link down once the backend hung up");
	err_watch(&w, "rejected tern's memory table");
	cr_expect_not(wait_link(true, 1500), "link stays down against a refusing backend");
	tern_log_set_callback(NULL, NULL);
	cr_expect_geq(atomic_load(&w.hits), 1, "the refusal is said");
	cr_expect_leq(atomic_load(&w.lines), 3, "about once a second, not per poll: %u lines",
	              atomic_load(&w.lines));
	port_down(mp);
	fake_backend_stop(&fb);
	cr_expect_eq(tern_test_open_fds(), fds, "no fd leaked");
}

/* A backend offering `features` (protocol features: MQ) and `queue_num` pairs refuses the probe. */
static void fake_backend_check(uint64_t features, uint64_t queue_num, const char *args_tail,
                               const char *needle)
{
	struct fake_backend fb = {
	    .features = features, .protocol_features = FB_PF_MQ, .queue_num = queue_num};

	probe_refused(&fb, args_tail, needle);
}

Test(virtio_user, backend_without_version_1_is_refused)
{
	fake_backend_check(1ull << 15 /* MRG_RXBUF only */, 1, "",
	                   "does not offer VIRTIO_F_VERSION_1");
}

Test(virtio_user, more_queues_than_the_backend_is_refused)
{
	fake_backend_check(1ull << 32 | 1ull << 30, 1, ",queues=2", "queues=2, but the backend at");
}

Test(virtio_user, packed_vq_refused_when_the_backend_has_no_packed_rings)
{
	fake_backend_check(1ull << 32 | 1ull << 30, 1, ",packed_vq=1",
	                   "does not offer packed virtqueues");
}

Test(virtio_user, bad_devargs_refused)
{
	cr_expect_lt(eal_up("path=/nonexistent,packed_vq=1"), 0);
	cr_expect_lt(eal_up("path=/nonexistent,queue_size=100"), 0);
	cr_expect_lt(eal_up("path=/nonexistent,reply_timeout_ms=0"), 0);
}
