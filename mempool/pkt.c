/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkt.c - packet pools and the packet operations too big to inline.
 */
#include <errno.h>
#include <string.h>

#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_pkt.h"

#define PKT_LOG "mempool"

struct pktpool_args {
	uint16_t priv_size;
	uint16_t buf_size;
};

/* Set each buffer up once, in the state tern_pkt_free leaves it in. */
static void pkt_init(struct tern_mempool *mp, void *opaque, void *obj, unsigned idx)
{
	const struct pktpool_args *a = opaque;
	struct tern_pkt *pkt = obj;
	size_t hdr = sizeof(*pkt) + a->priv_size;

	(void)idx;
	memset(pkt, 0, hdr);
	pkt->buf_addr = (char *)pkt + hdr;
	pkt->buf_iova = tern_mempool_virt2iova(mp, obj) + hdr;
	pkt->buf_len = a->buf_size;
	pkt->priv_size = a->priv_size;
	pkt->pool = mp;
	atomic_init(&pkt->refcnt, 1);
	tern_pkt_reset(pkt);
}

struct tern_mempool *tern_pktpool_create(const char *name, unsigned n, unsigned cache_size,
                                         uint16_t priv_size, uint16_t buf_size, int socket)
{
	struct pktpool_args a = {.priv_size = priv_size, .buf_size = buf_size};
	struct tern_mempool *mp;

	if (priv_size % TERN_PKT_PRIV_ALIGN != 0) {
		tern_error(EINVAL, PKT_LOG, "%s: priv_size %u is not a multiple of %d",
		           name ? name : "", priv_size, TERN_PKT_PRIV_ALIGN);
		return NULL;
	}
	mp = tern_mempool_create(name, n, (unsigned)sizeof(struct tern_pkt) + priv_size + buf_size,
	                         cache_size, socket, 0, pkt_init, &a);
	if (mp != NULL)
		mp->pkt_buf_len = buf_size;
	return mp;
}

void tern_pkt_free_bulk_slow(struct tern_pkt **pkts, unsigned n)
{
	/* Segments of one pool gather here and go back in one put_bulk. */
	void *pend[64];
	struct tern_mempool *mp = NULL;
	unsigned nb = 0, i;

	for (i = 0; i < n; i++) {
		struct tern_pkt *seg = pkts[i];

		while (seg != NULL) {
			struct tern_pkt *next = seg->next;

			if (tern_pkt_prefree_seg(seg)) {
				seg->next = NULL;
				seg->nb_segs = 1;
				if (seg->pool != mp || nb == TERN_DIM(pend)) {
					if (nb > 0 && mp != NULL)
						tern_mempool_put_bulk(mp, pend, nb);
					mp = seg->pool;
					nb = 0;
				}
				pend[nb++] = seg;
			}
			seg = next;
		}
	}
	/*
	 * mp is NULL only for segments without a pool, which no allocation
	 * makes: they have nowhere to go back to (the analyzer follows that path).
	 */
	if (nb > 0 && mp != NULL)
		tern_mempool_put_bulk(mp, pend, nb);
}

int tern_pkt_chain(struct tern_pkt *head, struct tern_pkt *tail)
{
	if (head == NULL || tail == NULL || head == tail)
		return -EINVAL;
	if ((uint32_t)head->nb_segs + tail->nb_segs > TERN_PKT_MAX_SEGS ||
	    (uint64_t)head->pkt_len + tail->pkt_len > UINT32_MAX)
		return -EOVERFLOW;
	tern_pkt_lastseg(head)->next = tail;
	head->nb_segs += tail->nb_segs;
	head->pkt_len += tail->pkt_len;
	/* tail is now a middle segment: only the first carries chain totals. */
	tail->nb_segs = 1;
	tail->pkt_len = tail->data_len;
	return 0;
}

int tern_pkt_copy_data(const struct tern_pkt *pkt, uint32_t off, uint32_t len, void *dst)
{
	char *out = dst;

	if (pkt == NULL || (dst == NULL && len > 0) || off > pkt->pkt_len ||
	    len > pkt->pkt_len - off)
		return -EINVAL;
	/* Skip whole segments before off. */
	while (pkt != NULL && off >= pkt->data_len && len > 0) {
		off -= pkt->data_len;
		pkt = pkt->next;
	}
	while (len > 0) {
		uint32_t chunk;

		/* pkt_len promised more bytes than the segments hold: a broken chain. */
		if (pkt == NULL)
			return -EINVAL;
		chunk = TERN_MIN((uint32_t)pkt->data_len - off, len);
		memcpy(out, tern_pkt_mtod_offset(pkt, const char *, off), chunk);
		out += chunk;
		len -= chunk;
		off = 0;
		pkt = pkt->next;
	}
	return 0;
}
