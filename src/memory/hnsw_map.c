/*
 * hnsw_map.c — the index's id -> node map: open addressing, linear
 * probing, backward-shift deletion (no tombstones in the map itself).
 */
#include <stdlib.h>
#include <string.h>

#include "memory/hnsw_int.h"
#include "util/xalloc.h"

static size_t
hnsw_hash(int64_t id)
{
	uint64_t z = (uint64_t)id;

	z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
	z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
	return (size_t)(z ^ (z >> 33));
}

uint32_t
hnsw_map_get(const struct hnsw *h, int64_t id)
{
	size_t mask = h->mcap - 1, i;

	for (i = hnsw_hash(id) & mask; h->mval[i] != HNSW_NONE;
	     i = (i + 1) & mask) {
		if (h->mkey[i] == id)
			return h->mval[i];
	}
	return HNSW_NONE;
}

/* Kept at most half full so that probes stay short. */
void
hnsw_map_grow(struct hnsw *h)
{
	int64_t *okey = h->mkey;
	uint32_t *oval = h->mval;
	size_t ocap = h->mcap, i;

	h->mcap = ocap == 0 ? 64 : ocap * 2;
	h->mkey = xreallocarray(NULL, h->mcap, sizeof *h->mkey);
	h->mval = xreallocarray(NULL, h->mcap, sizeof *h->mval);
	memset(h->mval, 0xff, h->mcap * sizeof *h->mval);
	h->mlen = 0;
	for (i = 0; i < ocap; i++) {
		if (oval[i] != HNSW_NONE)
			hnsw_map_put(h, okey[i], oval[i]);
	}
	free(okey);
	free(oval);
}

void
hnsw_map_put(struct hnsw *h, int64_t id, uint32_t node)
{
	size_t mask, i;

	if (2 * (h->mlen + 1) > h->mcap)
		hnsw_map_grow(h);
	mask = h->mcap - 1;
	for (i = hnsw_hash(id) & mask; h->mval[i] != HNSW_NONE;
	     i = (i + 1) & mask) {
		if (h->mkey[i] == id) {
			h->mval[i] = node;
			return;
		}
	}
	h->mkey[i] = id;
	h->mval[i] = node;
	h->mlen++;
}

/* Backward-shift deletion: no tombstones, so lookups never slow down. */
void
hnsw_map_del(struct hnsw *h, int64_t id)
{
	size_t mask = h->mcap - 1, i, j, home;

	for (i = hnsw_hash(id) & mask; h->mval[i] != HNSW_NONE;
	     i = (i + 1) & mask) {
		if (h->mkey[i] == id)
			break;
	}
	if (h->mval[i] == HNSW_NONE)
		return;
	h->mval[i] = HNSW_NONE;
	h->mlen--;
	for (j = (i + 1) & mask; h->mval[j] != HNSW_NONE; j = (j + 1) & mask) {
		home = hnsw_hash(h->mkey[j]) & mask;
		/* Move it into the hole if the hole lies on its probe path. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			h->mkey[i] = h->mkey[j];
			h->mval[i] = h->mval[j];
			h->mval[j] = HNSW_NONE;
			i = j;
		}
	}
}
