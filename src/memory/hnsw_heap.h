/*
 * hnsw_heap.h — the two heaps of a graph search (hnsw.c): candidates
 * still to expand, nearest on top, and the results so far, farthest on
 * top so it is the one dropped.  Inline: they run for every node a
 * search reaches.
 */
#ifndef OXIOS_MEMORY_HNSW_HEAP_H
#define OXIOS_MEMORY_HNSW_HEAP_H

#include "memory/hnsw_int.h"
#include "util/xalloc.h"

static inline void
hnsw_heap_reserve(struct hnsw_heap *hp, size_t n)
{
	if (n > hp->cap) {
		hp->cap = n;
		hp->v = xreallocarray(hp->v, hp->cap, sizeof *hp->v);
	}
}

/* Candidates: a min-heap on d. */
static inline void
hnsw_cand_push(struct hnsw_heap *hp, struct hnsw_cand c)
{
	size_t i, p;

	if (hp->n == hp->cap)
		hnsw_heap_reserve(hp, hp->cap < 64 ? 64 : hp->cap * 2);
	for (i = hp->n++; i > 0; i = p) {
		p = (i - 1) / 2;
		if (hp->v[p].d <= c.d)
			break;
		hp->v[i] = hp->v[p];
	}
	hp->v[i] = c;
}

static inline void
hnsw_cand_pop(struct hnsw_heap *hp)
{
	struct hnsw_cand last = hp->v[--hp->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < hp->n) {
		if (c + 1 < hp->n && hp->v[c + 1].d < hp->v[c].d)
			c++;
		if (last.d <= hp->v[c].d)
			break;
		hp->v[i] = hp->v[c];
		i = c;
	}
	hp->v[i] = last;
}

/* Results: a max-heap on d, so the worst is on top to be dropped. */
static inline void
hnsw_res_push(struct hnsw_heap *hp, struct hnsw_cand c)
{
	size_t i, p;

	if (hp->n == hp->cap)
		hnsw_heap_reserve(hp, hp->cap < 64 ? 64 : hp->cap * 2);
	for (i = hp->n++; i > 0; i = p) {
		p = (i - 1) / 2;
		if (hp->v[p].d >= c.d)
			break;
		hp->v[i] = hp->v[p];
	}
	hp->v[i] = c;
}

static inline void
hnsw_res_pop(struct hnsw_heap *hp)
{
	struct hnsw_cand last = hp->v[--hp->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < hp->n) {
		if (c + 1 < hp->n && hp->v[c + 1].d > hp->v[c].d)
			c++;
		if (last.d >= hp->v[c].d)
			break;
		hp->v[i] = hp->v[c];
		i = c;
	}
	hp->v[i] = last;
}

#endif
