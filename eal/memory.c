/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memory.c - DMA-able memory: one locked mapping per allocation, and the
 * IOVA of every page in it.
 *
 * Hugepages come from memfd_create(MFD_HUGETLB): an anonymous hugetlbfs file
 * that needs no mount and vanishes with the last mapping and descriptor, so
 * even kill -9 leaves nothing behind. The descriptor is kept with the
 * allocation (sealed against resizing) so that tern_dma_fd() can share the
 * memory with another process without /proc/self/map_files (root only).
 * The registry of allocations is a mutex-guarded list: IOVA lookups happen
 * at setup time (filling descriptor rings, creating pools), never per packet.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tern_lcore.h"
#include "tern_memory.h"
#include "eal_internal.h"

#define PAGE_4K  (4096ul)
#define PAGE_2M  (2ul << 20)
#define PAGE_1G  (1ul << 30)
#define MIB      (1ul << 20)
#define NAME_LEN 32
/* Requests this large may use 1 GiB pages, when some are free. */
#define USE_1G_AT (512ul << 20)

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21u << MFD_HUGE_SHIFT)
#endif
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB (30u << MFD_HUGE_SHIFT)
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels say EINVAL */
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

/* pagemap entry (Documentation/admin-guide/mm/pagemap.rst): bit 63 present, 0-54 PFN. */
#define PAGEMAP_PRESENT  (1ull << 63)
#define PAGEMAP_PFN_MASK ((1ull << 55) - 1)

struct dma_alloc {
	struct dma_alloc *next;
	char name[NAME_LEN];
	char *va;
	size_t len; /* mapped length: a multiple of page_sz */
	size_t page_sz;
	int socket;
	int fd;            /* the memfd behind a hugepage mapping, -1 for private memory */
	tern_iova_t *iova; /* one per page */
};

static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dma_alloc *mem_allocs; /* newest first */
static bool mem_ready;
static bool mem_no_huge;
static enum tern_iova_mode mem_iova;
static size_t mem_limit; /* bytes, 0: none */
static size_t mem_socket_limit[TERN_MAX_NUMA_NODES];
static size_t mem_total;
static size_t mem_socket_used[TERN_MAX_NUMA_NODES];
/* The VFIO type1 container's mapper while one is open (eal_pci.h); guarded by mem_lock. */
static struct eal_dma_hook mem_hook;
static bool mem_hook_set;

/*
 * Tell the hook about one allocation, one call per run of pages whose IOVAs
 * are contiguous (one call in VA mode). mem_lock held. On failure nothing
 * stays mapped.
 */
static int hook_map_locked(struct dma_alloc *a)
{
	size_t nb_pages = a->len / a->page_sz;

	for (size_t i = 0, run; i < nb_pages; i += run) {
		for (run = 1; i + run < nb_pages; run++)
			if (a->iova[i + run] != a->iova[i] + run * a->page_sz)
				break;
		int ret = mem_hook.map(mem_hook.ctx, a->va + i * a->page_sz, a->iova[i],
		                       run * a->page_sz);
		if (ret < 0) {
			/* Undo the runs before this one. */
			for (size_t j = 0; j < i; j++)
				mem_hook.unmap(mem_hook.ctx, a->va + j * a->page_sz, a->iova[j],
				               a->page_sz);
			tern_error(-ret, EAL_LOG,
			           "cannot map '%s' (%zu bytes) for DMA through the IOMMU: %s",
			           a->name, a->len, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Undo hook_map_locked page by page (the IOMMU splits mappings as needed). */
static void hook_unmap_locked(struct dma_alloc *a)
{
	size_t nb_pages = a->len / a->page_sz;

	for (size_t i = 0, run; i < nb_pages; i += run) {
		for (run = 1; i + run < nb_pages; run++)
			if (a->iova[i + run] != a->iova[i] + run * a->page_sz)
				break;
		mem_hook.unmap(mem_hook.ctx, a->va + i * a->page_sz, a->iova[i], run * a->page_sz);
	}
}

int tern_eal_memory_set_dma_hook(const struct eal_dma_hook *hook)
{
	struct dma_alloc *a;
	int ret = 0;

	pthread_mutex_lock(&mem_lock);
	if (hook == NULL) {
		if (mem_hook_set)
			for (a = mem_allocs; a; a = a->next)
				hook_unmap_locked(a);
		mem_hook_set = false;
		pthread_mutex_unlock(&mem_lock);
		return 0;
	}
	mem_hook = *hook;
	for (a = mem_allocs; a; a = a->next) {
		ret = hook_map_locked(a);
		if (ret)
			break;
	}
	if (ret) {
		/* a undid itself; undo those before it. */
		for (struct dma_alloc *b = mem_allocs; b != a; b = b->next)
			hook_unmap_locked(b);
	} else {
		mem_hook_set = true;
	}
	pthread_mutex_unlock(&mem_lock);
	return ret;
}

/* Free pages of one size, on one NUMA node (or all when node < 0); 0 if unknown. */
static unsigned long hugepages_free(size_t page_sz, int node)
{
	char path[160], line[32];
	unsigned long n = 0;
	FILE *f;

	if (node < 0)
		snprintf(path, sizeof(path),
		         "/sys/kernel/mm/hugepages/hugepages-%zukB/free_hugepages", page_sz >> 10);
	else
		snprintf(path, sizeof(path),
		         "/sys/devices/system/node/node%d/hugepages/hugepages-%zukB/free_hugepages",
		         node, page_sz >> 10);
	f = fopen(path, "re");
	if (f == NULL)
		return node < 0 ? 0 : hugepages_free(page_sz, -1);
	if (fgets(line, sizeof(line), f) != NULL)
		n = strtoul(line, NULL, 10);
	fclose(f);
	return n;
}

tern_iova_t tern_virt2phys(const void *va)
{
	uint64_t entry;
	long pg = sysconf(_SC_PAGESIZE);
	off_t off = (off_t)((uintptr_t)va / (uintptr_t)pg) * (off_t)sizeof(entry);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return TERN_BAD_IOVA;
	n = pread(fd, &entry, sizeof(entry), off);
	close(fd);
	/* Without CAP_SYS_ADMIN the kernel reports PFN 0 rather than failing. */
	if (n != sizeof(entry) || !(entry & PAGEMAP_PRESENT) || (entry & PAGEMAP_PFN_MASK) == 0)
		return TERN_BAD_IOVA;
	return (entry & PAGEMAP_PFN_MASK) * (uint64_t)pg + ((uintptr_t)va % (uintptr_t)pg);
}

/* Fill a->iova[] with the physical address of each page, reading pagemap in one go. */
static int fill_phys(struct dma_alloc *a)
{
	size_t sys_pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t nb_pages = a->len / a->page_sz, step = a->page_sz / sys_pg;
	size_t nb_entries = a->len / sys_pg;
	uint64_t *ent = malloc(nb_entries * sizeof(*ent));
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (ent == NULL || fd < 0) {
		ret = ent == NULL ? -ENOMEM : -errno;
		goto out;
	}
	size_t want = nb_entries * sizeof(*ent);
	off_t off = (off_t)((uintptr_t)a->va / sys_pg * sizeof(*ent));
	if (pread(fd, ent, want, off) != (ssize_t)want) {
		ret = -EIO;
		goto out;
	}
	for (size_t i = 0; i < nb_pages; i++) {
		uint64_t e = ent[i * step];

		if (!(e & PAGEMAP_PRESENT) || (e & PAGEMAP_PFN_MASK) == 0) {
			ret = -EPERM;
			goto out;
		}
		a->iova[i] = (e & PAGEMAP_PFN_MASK) * sys_pg;
	}
out:
	if (ret)
		tern_error(-ret, EAL_LOG,
		           "cannot read physical addresses from /proc/self/pagemap (%s): "
		           "--iova-mode pa needs root, use --iova-mode va",
		           strerror(-ret));
	if (fd >= 0)
		close(fd);
	free(ent);
	return ret;
}

/*
 * Map len bytes of pages of page_sz; MAP_FAILED on error with errno set.
 * *fdp: the memfd behind the mapping (kept for tern_dma_fd), or -1.
 */
static void *map_pages(size_t len, size_t page_sz, int *fdp)
{
	unsigned shift = (unsigned)__builtin_ctzl(page_sz);
	void *va;
	int fd;

	*fdp = -1;
	if (page_sz == PAGE_4K)
		return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	fd = memfd_create("tern-dma", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB |
	                                  (shift << MFD_HUGE_SHIFT));
	if (fd < 0 && errno == EINVAL) /* before Linux 4.16: no sealing of hugetlb memfds */
		fd =
		    memfd_create("tern-dma", MFD_CLOEXEC | MFD_HUGETLB | (shift << MFD_HUGE_SHIFT));
	if (fd >= 0) {
		/*
		 * MAP_SHARED on hugetlbfs reserves the pages at mmap time, so a
		 * shortage shows as ENOMEM here rather than SIGBUS on first touch.
		 */
		if (ftruncate(fd, (off_t)len) == 0)
			va = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		else
			va = MAP_FAILED;
		int err = errno;
		if (va == MAP_FAILED) {
			close(fd);
			errno = err;
			return va;
		}
		/*
		 * memfd_create(2) sealing: a process we share this with (memif,
		 * vhost-user) may check that the size it maps cannot shrink under
		 * it (SIGBUS). Kernels before 4.16 cannot seal hugetlb files:
		 * the memory is still shareable, unsealed.
		 */
		(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
		*fdp = fd;
		return va;
	}
	/* Kernels without hugetlb memfd: anonymous MAP_HUGETLB, reserved at mmap too. */
	return mmap(NULL, len, PROT_READ | PROT_WRITE,
	            MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (int)(shift << MAP_HUGE_SHIFT), -1,
	            0);
}

/* Bind to a node before the first touch, so the pages come from there. */
static int bind_node(void *va, size_t len, int socket)
{
	unsigned long mask;

	if (numa_available() < 0)
		return 0;
	mask = 1ul << socket;
	if (mbind(va, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0) != 0)
		return -errno;
	return 0;
}

/* Fault every page in and lock it. Errors come back as -errno, never SIGBUS. */
static int populate(void *va, size_t len, size_t page_sz)
{
	/*
	 * MADV_POPULATE_WRITE (Linux 5.14) reports a page it cannot get as an
	 * error; touching would raise SIGBUS for a hugepage the node lacks.
	 */
	if (madvise(va, len, MADV_POPULATE_WRITE) != 0 && errno != EINVAL)
		return -errno;
	/*
	 * A child of fork() (system(), popen()) must not share these pages:
	 * after a copy-on-write fault the parent would hold a new copy at a new
	 * physical address while the device keeps writing to the old one
	 * (madvise(2) MADV_DONTFORK, which is what it is for). Every mode: under
	 * VFIO the IOMMU maps the pinned originals too.
	 */
	if (madvise(va, len, MADV_DONTFORK) != 0)
		return -errno;
	if (mlock(va, len) != 0) {
		/* Hugepages are never swapped: locking them is a nicety, not a need. */
		if (page_sz == PAGE_4K)
			return -errno;
		tern_log(TERN_LOG_DEBUG, EAL_LOG, "mlock of hugepages failed: %s", strerror(errno));
	}
	/* Fresh pages are zero already, but make sure each is present (old kernels). */
	for (size_t off = 0; off < len; off += page_sz)
		((volatile char *)va)[off] = 0;
	return 0;
}

static size_t choose_page_size(size_t len, int socket)
{
	if (mem_no_huge)
		return PAGE_4K;
	unsigned long need_1g = (len + PAGE_1G - 1) / PAGE_1G;
	unsigned long need_2m = (len + PAGE_2M - 1) / PAGE_2M;
	bool have_1g = hugepages_free(PAGE_1G, socket) >= need_1g;

	if (len >= USE_1G_AT && have_1g)
		return PAGE_1G;
	/* Only 1 GiB pages left: wasteful for a small request, but it works. */
	if (hugepages_free(PAGE_2M, socket) < need_2m && have_1g)
		return PAGE_1G;
	return PAGE_2M;
}

static bool over_limit(const char *name, size_t len, int socket)
{
	if (mem_limit && mem_total + len > mem_limit) {
		tern_error(
		    ENOMEM, EAL_LOG,
		    "cannot allocate '%s' (%zu bytes): over the -m limit of %zu MiB (%zu MiB "
		    "in use); raise -m",
		    name, len, mem_limit / MIB, mem_total / MIB);
		return true;
	}
	if (mem_socket_limit[socket] && mem_socket_used[socket] + len > mem_socket_limit[socket]) {
		tern_error(ENOMEM, EAL_LOG,
		           "cannot allocate '%s' (%zu bytes) on socket %d: over the --socket-mem "
		           "limit of %zu MiB (%zu MiB in use); raise --socket-mem",
		           name, len, socket, mem_socket_limit[socket] / MIB,
		           mem_socket_used[socket] / MIB);
		return true;
	}
	return false;
}

static void *fail(int err)
{
	tern_errno = err;
	return NULL;
}

void *tern_dma_zalloc(const char *name, size_t len, size_t align, int socket)
{
	struct dma_alloc *a;
	size_t page_sz, map_len;
	int ret;

	bool ready;

	if (name == NULL)
		name = "?";
	pthread_mutex_lock(&mem_lock);
	ready = mem_ready;
	pthread_mutex_unlock(&mem_lock);
	if (!ready) {
		tern_error(EINVAL, EAL_LOG, "cannot allocate '%s': call tern_eal_init() first",
		           name);
		return fail(EINVAL);
	}
	if (socket == TERN_SOCKET_ID_ANY)
		socket = tern_socket_id();
	if (len == 0 || (align && !tern_is_power_of_2(align)) || socket < 0 ||
	    socket >= TERN_MAX_NUMA_NODES || (unsigned)socket >= tern_socket_count()) {
		tern_error(EINVAL, EAL_LOG,
		           "cannot allocate '%s': bad request (len %zu, align %zu, socket %d)",
		           name, len, align, socket);
		return fail(EINVAL);
	}
	page_sz = choose_page_size(len, socket);
	if (align > page_sz) {
		tern_error(EINVAL, EAL_LOG,
		           "cannot allocate '%s': alignment %zu is larger than the page size %zu",
		           name, align, page_sz);
		return fail(EINVAL);
	}
	if (len > SIZE_MAX - page_sz) {
		tern_error(ENOMEM, EAL_LOG, "cannot allocate '%s': %zu bytes is too large", name,
		           len);
		return fail(ENOMEM);
	}
	map_len = TERN_ALIGN_CEIL(len, page_sz);
	/*
	 * More than the machine has can never be locked: say so now, before
	 * sizing the per-page IOVA table by it.
	 */
	if (map_len / 4096 > (size_t)sysconf(_SC_PHYS_PAGES)) {
		tern_error(ENOMEM, EAL_LOG,
		           "cannot allocate '%s': %zu bytes is more than this machine's memory",
		           name, len);
		return fail(ENOMEM);
	}

	a = calloc(1, sizeof(*a));
	if (a)
		a->iova = calloc(map_len / page_sz, sizeof(*a->iova));
	if (a == NULL || a->iova == NULL) {
		if (a)
			free(a);
		tern_error(ENOMEM, EAL_LOG,
		           "cannot allocate '%s': out of memory for its page table", name);
		return fail(ENOMEM);
	}
	strlcpy(a->name, name, sizeof(a->name));
	a->len = map_len;
	a->page_sz = page_sz;
	a->socket = socket;

	/* Charge the limits first so that two threads cannot both slip under them. */
	pthread_mutex_lock(&mem_lock);
	if (over_limit(name, map_len, socket)) {
		pthread_mutex_unlock(&mem_lock);
		free(a->iova);
		free(a);
		return fail(ENOMEM);
	}
	mem_total += map_len;
	mem_socket_used[socket] += map_len;
	pthread_mutex_unlock(&mem_lock);

	a->va = map_pages(map_len, page_sz, &a->fd);
	if (a->va == MAP_FAILED) {
		ret = -errno;
		a->va = NULL;
		if (page_sz == PAGE_4K)
			tern_error(-ret, EAL_LOG, "cannot map %zu bytes for '%s': %s", map_len,
			           name, strerror(-ret));
		else
			tern_error(
			    ENOMEM, EAL_LOG,
			    "cannot allocate '%s' (%zu bytes): not enough free %zu kB hugepages "
			    "(%lu free); reserve more in /proc/sys/vm/nr_hugepages or use "
			    "--no-huge",
			    name, map_len, page_sz >> 10, hugepages_free(page_sz, -1));
		goto err;
	}
	ret = bind_node(a->va, map_len, socket);
	if (ret == 0)
		ret = populate(a->va, map_len, page_sz);
	if (ret) {
		tern_error(-ret, EAL_LOG,
		           "cannot get %zu bytes of locked memory on socket %d for '%s': %s%s",
		           map_len, socket, name, strerror(-ret),
		           page_sz == PAGE_4K ? " (raise 'ulimit -l' or run as root)" : "");
		goto err;
	}
	if (mem_iova == TERN_IOVA_PA) {
		ret = fill_phys(a);
		if (ret)
			goto err;
	} else {
		for (size_t i = 0; i < map_len / page_sz; i++)
			a->iova[i] = (tern_iova_t)(uintptr_t)(a->va + i * page_sz);
	}

	/* Register and map under one lock, so that a container opening now sees it once. */
	pthread_mutex_lock(&mem_lock);
	ret = mem_hook_set ? hook_map_locked(a) : 0;
	if (ret == 0) {
		a->next = mem_allocs;
		mem_allocs = a;
	}
	pthread_mutex_unlock(&mem_lock);
	if (ret == 0)
		return a->va;

err:
	if (a->va)
		munmap(a->va, map_len);
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_lock(&mem_lock);
	mem_total -= map_len;
	mem_socket_used[socket] -= map_len;
	pthread_mutex_unlock(&mem_lock);
	free(a->iova);
	free(a);
	return fail(ret == -EPERM ? EPERM : ret == -EINVAL ? EINVAL : ENOMEM);
}

/* The link that points at the allocation holding va, or NULL; mem_lock held. */
static struct dma_alloc **find_link_locked(const void *va)
{
	const char *p = va;

	for (struct dma_alloc **pp = &mem_allocs; *pp; pp = &(*pp)->next)
		if (p >= (*pp)->va && p < (*pp)->va + (*pp)->len)
			return pp;
	return NULL;
}

static struct dma_alloc *find_locked(const void *va)
{
	struct dma_alloc **pp = find_link_locked(va);

	return pp ? *pp : NULL;
}

static void release(struct dma_alloc *a)
{
	munmap(a->va, a->len);
	if (a->fd >= 0)
		close(a->fd);
	mem_total -= a->len;
	mem_socket_used[a->socket] -= a->len;
	free(a->iova);
	free(a);
}

void tern_dma_free(void *va)
{
	struct dma_alloc **pp, *a;

	if (va == NULL)
		return;
	pthread_mutex_lock(&mem_lock);
	pp = find_link_locked(va);
	if (pp && (*pp)->va == va) {
		a = *pp;
		*pp = a->next;
		if (mem_hook_set)
			hook_unmap_locked(a);
		release(a);
		va = NULL;
	}
	pthread_mutex_unlock(&mem_lock);
	if (va)
		tern_error(EINVAL, EAL_LOG, "tern_dma_free(%p): not the start of a DMA allocation",
		           va);
}

tern_iova_t tern_dma_virt2iova(const void *va)
{
	tern_iova_t iova = TERN_BAD_IOVA;
	struct dma_alloc *a;

	pthread_mutex_lock(&mem_lock);
	a = find_locked(va);
	if (a) {
		size_t off = (size_t)((const char *)va - a->va);

		iova = a->iova[off / a->page_sz] + off % a->page_sz;
	}
	pthread_mutex_unlock(&mem_lock);
	return iova;
}

size_t tern_dma_page_size(const void *va)
{
	struct dma_alloc *a;
	size_t sz;

	pthread_mutex_lock(&mem_lock);
	a = find_locked(va);
	sz = a ? a->page_sz : 0;
	pthread_mutex_unlock(&mem_lock);
	return sz;
}

bool tern_dma_iova_contig(const void *va, size_t len)
{
	struct dma_alloc *a;
	bool ok = false;

	pthread_mutex_lock(&mem_lock);
	a = find_locked(va);
	if (a && len > 0) {
		size_t off = (size_t)((const char *)va - a->va);

		if (len <= a->len - off) {
			size_t first = off / a->page_sz, last = (off + len - 1) / a->page_sz;

			ok = true;
			for (size_t i = first; i < last && ok; i++)
				ok = a->iova[i + 1] == a->iova[i] + a->page_sz;
		}
	}
	pthread_mutex_unlock(&mem_lock);
	return ok;
}

int tern_dma_fd(const void *va, void **base, size_t *len)
{
	struct dma_alloc *a;
	int fd = -EINVAL;

	pthread_mutex_lock(&mem_lock);
	a = find_locked(va);
	if (a != NULL && a->fd < 0)
		fd = -ENOTSUP;
	else if (a != NULL) {
		fd = fcntl(a->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			fd = -errno;
		*base = a->va;
		*len = a->len;
	}
	pthread_mutex_unlock(&mem_lock);
	return fd;
}

size_t tern_dma_allocated(void)
{
	size_t n;

	pthread_mutex_lock(&mem_lock);
	n = mem_total;
	pthread_mutex_unlock(&mem_lock);
	return n;
}

void tern_dma_dump(void)
{
	struct dma_alloc *a;

	pthread_mutex_lock(&mem_lock);
	for (a = mem_allocs; a; a = a->next)
		tern_log(TERN_LOG_INFO, EAL_LOG,
		         "dma '%s': %zu bytes at %p, %zu kB pages, socket %d, iova 0x%" PRIx64,
		         a->name, a->len, (void *)a->va, a->page_sz >> 10, a->socket, a->iova[0]);
	pthread_mutex_unlock(&mem_lock);
}

int tern_eal_memory_init(const struct tern_eal_config *cfg, enum tern_iova_mode iova)
{
	if (!cfg->no_huge && hugepages_free(PAGE_2M, -1) == 0 && hugepages_free(PAGE_1G, -1) == 0) {
		return tern_error(ENOMEM, EAL_LOG,
		                  "no free hugepages: reserve some as root with 'echo 512 > "
		                  "/proc/sys/vm/nr_hugepages', or pass --no-huge");
	}
	if (iova == TERN_IOVA_PA) {
		/* Find out now, with one clear line, rather than at the first allocation. */
		volatile char probe = 1;

		if (tern_virt2phys((const void *)&probe) == TERN_BAD_IOVA) {
			return tern_error(EPERM, EAL_LOG,
			                  "--iova-mode pa needs root to read physical addresses "
			                  "from /proc/self/pagemap: run as root or use --iova-mode "
			                  "va");
		}
	}
	if (iova == TERN_IOVA_PA && cfg->no_huge) {
		/*
		 * 4 KiB anonymous pages are locked against swap but not against
		 * migration (compaction, NUMA balancing): their physical address,
		 * read once, goes stale while the device keeps DMAing to it.
		 * Hugepages (hugetlbfs) are not moved by compaction; under VFIO the
		 * IOMMU pins whatever it maps.
		 */
		return tern_error(EINVAL, EAL_LOG,
		                  "--no-huge cannot give physical addresses (--iova-mode pa, or a "
		                  "device without an IOMMU): 4 KiB pages move and the device "
		                  "would write to the old ones: use hugepages, or VFIO with an "
		                  "IOMMU");
	}
	pthread_mutex_lock(&mem_lock);
	mem_no_huge = cfg->no_huge;
	mem_iova = iova;
	mem_limit = cfg->mem_mb * MIB;
	for (unsigned i = 0; i < TERN_MAX_NUMA_NODES; i++)
		mem_socket_limit[i] = cfg->socket_mem_mb[i] * MIB;
	mem_ready = true;
	pthread_mutex_unlock(&mem_lock);
	return 0;
}

void tern_eal_memory_cleanup(void)
{
	struct dma_alloc *a;

	pthread_mutex_lock(&mem_lock);
	mem_ready = false;
	while ((a = mem_allocs) != NULL) {
		mem_allocs = a->next;
		tern_log(TERN_LOG_WARNING, EAL_LOG,
		         "'%s' (%zu bytes) still allocated at cleanup: unmapping it", a->name,
		         a->len);
		if (mem_hook_set)
			hook_unmap_locked(a);
		release(a);
	}
	pthread_mutex_unlock(&mem_lock);
}
