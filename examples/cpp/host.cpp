// SPDX-License-Identifier: BSD-3-Clause
//
// tern from C++: RAII owners for tern's life, a packet pool and the ports,
// the inline fast path called from C++, and tern's log lines through a C++
// logger. Two lives in one process (init, forward, check, clean up, init
// again); a refused config comes back as an exception that carries tern's
// error line. Exit status 0 only if everything went right.
//
//   g++ -std=c++17 host.cpp $(pkg-config --cflags --libs tern)
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include <tern_eal.h>
#include <tern_lcore.h>
#include <tern_log.h>
#include <tern_mempool.h>
#include <tern_pkt.h>
#include <tern_port.h>

namespace tern
{

// A failed tern call: what was called, the errno and tern's one-line reason.
class error : public std::runtime_error
{
      public:
	error(const std::string &what, int ret)
	    : std::runtime_error(what + ": " + std::strerror(ret < 0 ? -ret : ret) + " (" +
	                         tern_eal_last_error() + ")"),
	      code(ret < 0 ? -ret : ret)
	{
	}
	int code;
};

// tern itself: init in the constructor, cleanup in the destructor.
class eal
{
      public:
	explicit eal(const tern_eal_config &cfg)
	{
		int ret = tern_eal_init(&cfg);

		if (ret < 0)
			throw error("tern_eal_init", ret);
	}
	~eal()
	{
		tern_eal_cleanup();
	}
	eal(const eal &) = delete;
	eal &operator=(const eal &) = delete;
};

// A packet pool, freed with its owner (every buffer must be back by then).
class pool
{
      public:
	pool(const char *name, unsigned n, unsigned cache)
	    : mp_(tern_pktpool_create(name, n, cache, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                              TERN_SOCKET_ID_ANY))
	{
		if (mp_ == nullptr)
			throw error("tern_pktpool_create", tern_errno);
	}
	~pool()
	{
		tern_mempool_free(mp_);
	}
	pool(const pool &) = delete;
	pool &operator=(const pool &) = delete;
	tern_mempool *get() const
	{
		return mp_;
	}
	unsigned avail() const
	{
		return tern_mempool_avail_count(mp_);
	}
	unsigned size() const
	{
		return tern_mempool_size(mp_);
	}

      private:
	tern_mempool *mp_;
};

// A started port with one RX and one TX queue; stopped and closed with its owner.
class port
{
      public:
	port(uint16_t id, const pool &rx_pool) : id_(id)
	{
		check("configure", tern_port_configure(id, 1, 1, nullptr));
		check("rx queue",
		      tern_port_rx_queue_setup(id, 0, 0, TERN_SOCKET_ID_ANY, rx_pool.get()));
		check("tx queue", tern_port_tx_queue_setup(id, 0, 0, TERN_SOCKET_ID_ANY));
		check("start", tern_port_start(id));
	}
	~port()
	{
		tern_port_stop(id_);
		tern_port_close(id_);
	}
	port(const port &) = delete;
	port &operator=(const port &) = delete;
	void stop()
	{
		tern_port_stop(id_);
	}
	uint16_t id() const
	{
		return id_;
	}
	tern_port_stats stats() const
	{
		tern_port_stats st{};
		tern_port_stats_get(id_, &st);
		return st;
	}

      private:
	void check(const char *what, int ret)
	{
		if (ret < 0) {
			tern_port_close(id_);
			throw error("port " + std::to_string(id_) + " " + what, ret);
		}
	}
	uint16_t id_;
};

} // namespace tern

static unsigned log_lines;

// The host's logger: tern calls it from any thread, lcores included.
static void log_from_tern(void *, tern_log_level level, const char *component, const char *msg)
{
	__atomic_add_fetch(&log_lines, 1, __ATOMIC_RELAXED);
	std::fprintf(stderr, "[c++] tern says: %s: %s%s\n", component, msg,
	             level <= TERN_LOG_ERR ? " (error)" : "");
}

static tern_eal_config config(const char *first_vdev)
{
	tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.log_fn = log_from_tern;
	cfg.nb_vdev = 2;
	std::snprintf(cfg.vdev[0].name, sizeof(cfg.vdev[0].name), "%s", first_vdev);
	std::snprintf(cfg.vdev[1].name, sizeof(cfg.vdev[1].name), "null1");
	return cfg;
}

static void run_round(int n, double seconds)
{
	tern::eal eal(config("null0"));
	tern::pool pool("cpp_pool", 2047, 256);
	uint64_t forwarded = 0, dropped = 0;
	{
		tern::port p0(0, pool), p1(1, pool);

		tern_pkt *pkts[32];
		auto start = std::chrono::steady_clock::now();
		auto end = start + std::chrono::duration<double>(seconds);
		while (std::chrono::steady_clock::now() < end) {
			for (uint16_t in = 0; in < 2; in++) {
				uint16_t got = tern_port_rx_burst(in, 0, pkts, 32);
				uint16_t sent = got ? tern_port_tx_burst(in ^ 1, 0, pkts, got) : 0;

				if (sent < got)
					tern_pkt_free_bulk(&pkts[sent], got - sent);
				forwarded += sent;
				dropped += got - sent;
			}
		}
		p0.stop(); // an RX queue gives its buffers back at stop
		p1.stop();
		tern_port_stats s0 = p0.stats(), s1 = p1.stats();
		std::printf("[c++] round %d: lcore %u, forwarded %llu (%.2f Mpps), dropped %llu; "
		            "received %llu; buffers %u/%u returned\n",
		            n, tern_lcore_id(), (unsigned long long)forwarded,
		            (double)forwarded / seconds / 1e6, (unsigned long long)dropped,
		            (unsigned long long)(s0.ipackets + s1.ipackets), pool.avail(),
		            pool.size());
		if (forwarded == 0)
			throw std::runtime_error("nothing forwarded");
		if (s0.ipackets + s1.ipackets != forwarded + dropped)
			throw std::runtime_error("received and forwarded + dropped differ");
	} // ports closed here, before the pool and tern go

	// A thread of the host's own, registered for an lcore id (and so a
	// mempool cache) for this life of tern, given back before it ends.
	int host_id = -1, host_ok = 0;
	std::thread host([&] {
		tern_pkt *pkts[32];

		host_id = tern_thread_register();
		if (host_id >= 0 && tern_lcore_id() == (unsigned)host_id &&
		    tern_pkt_alloc_bulk(pool.get(), pkts, 32) == 0) {
			tern_pkt_free_bulk(pkts, 32);
			host_ok = tern_thread_unregister() == 0;
		}
	});
	host.join();
	std::printf("[c++] round %d: a host thread registered as lcore %d\n", n, host_id);
	if (!host_ok || (unsigned)host_id == tern_lcore_id())
		throw std::runtime_error("host thread registration failed");
	if (pool.avail() != pool.size())
		throw std::runtime_error(std::to_string(pool.size() - pool.avail()) +
		                         " buffers missing from the pool");
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;

	try {
		// A config tern refuses: an exception with tern's reason, nothing left running.
		try {
			tern::eal bad(config("nosuchdriver0"));
			throw std::runtime_error("tern accepted a driver that does not exist");
		} catch (const tern::error &e) {
			std::printf("[c++] as expected, init failed: %s\n", e.what());
			if (e.code != ENODEV || tern_eal_is_initialized())
				throw std::runtime_error(
				    "a failed init must say ENODEV and leave nothing");
		}
		for (int n = 1; n <= 2; n++)
			run_round(n, seconds);
		if (log_lines == 0)
			throw std::runtime_error("no tern log line came through the C++ logger");
	} catch (const std::exception &e) {
		std::fprintf(stderr, "[c++] FAILED: %s\n", e.what());
		return 1;
	}
	std::printf("[c++] all good: 2 rounds, %u tern log lines via the C++ logger\n", log_lines);
	return 0;
}
