/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_memory.h - DMA-able memory and its I/O virtual addresses.
 *
 * Each allocation is its own mapping of locked pages: 2 MiB (or 1 GiB, where
 * reserved and the size warrants it) hugepages from memfd_create(MFD_HUGETLB),
 * or 4 KiB pages with --no-huge. No hugetlbfs mount is needed and nothing is
 * left in the file system, even after kill -9.
 *
 * Every page's IOVA is known: the physical address (from /proc/self/pagemap)
 * in PA mode, the virtual address in VA mode. Physical addresses are
 * contiguous only within one page, so code that hands a device a range that
 * crosses a page boundary must check tern_dma_iova_contig() first.
 */
#ifndef TERN_MEMORY_H
#define TERN_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

#include "tern_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_SOCKET_ID_ANY (-1)

/*
 * Allocate `len` bytes of zeroed, locked DMA memory aligned to `align` (a
 * power of two, at most the page size; 0 means a cache line) on NUMA socket
 * `socket` (TERN_SOCKET_ID_ANY: the caller's). `name` is for logs and
 * tern_dma_dump(). Returns NULL with tern_errno = ENOMEM (no hugepages left,
 * over -m or --socket-mem), EINVAL (bad arguments, or tern_eal_init() has not
 * run) or EPERM (physical addresses unreadable). Any thread may call it.
 */
void *tern_dma_zalloc(const char *name, size_t len, size_t align, int socket);

/* Give back memory from tern_dma_zalloc(). NULL is ignored. */
void tern_dma_free(void *va);

/* IOVA of any byte inside a tern DMA allocation, TERN_BAD_IOVA elsewhere. */
tern_iova_t tern_dma_virt2iova(const void *va);

/* Page size behind a DMA address (4096, 2 MiB or 1 GiB); 0 if not tern memory. */
size_t tern_dma_page_size(const void *va);

/* Whether [va, va + len) is one contiguous IOVA range. */
bool tern_dma_iova_contig(const void *va, size_t len);

/*
 * Share the DMA allocation that holds `va` with another process: returns a
 * new file descriptor (the caller closes it) whose contents, from offset 0,
 * are that whole allocation, and sets *base and *len to where it starts in
 * this process and how long it is. The file is sealed against shrinking and
 * growing (F_SEAL_SHRINK | F_SEAL_GROW), so a process that maps it can
 * trust its size. Drivers that hand tern's buffers to a peer (memif
 * zero-copy, vhost-user) pass this descriptor over a unix socket.
 * Returns -EINVAL if va is not tern DMA memory, -ENOTSUP if the allocation
 * is private memory (--no-huge, or a kernel without hugetlb memfd), -errno
 * if the descriptor cannot be duplicated.
 */
int tern_dma_fd(const void *va, void **base, size_t *len);

/* Bytes of DMA memory allocated now, over all sockets. */
size_t tern_dma_allocated(void);

/* Log every live allocation (name, size, page size, socket, first IOVA). */
void tern_dma_dump(void);

/*
 * Physical address of a virtual address of this process, from
 * /proc/self/pagemap (page must be present: touch or lock it first).
 * Returns TERN_BAD_IOVA if it cannot be read (not root).
 */
tern_iova_t tern_virt2phys(const void *va);

#ifdef __cplusplus
}
#endif

#endif /* TERN_MEMORY_H */
