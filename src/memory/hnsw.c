/*
 * hnsw.c — Hierarchical Navigable Small World graph (Malkov & Yashunin,
 * "Efficient and robust approximate nearest neighbor search using
 * Hierarchical Navigable Small World graphs", 2016/2018).
 *
 * Layout: node i owns row i of every array.  Vectors are unit length and
 * packed in one float array so a distance reads one contiguous row.  The
 * distance is -dot (cosine distance 1 - dot shifted by one: the same
 * order, and the score -d is then exact, not 1 - (1 - dot)).  A second
 * array holds the vectors in half precision: the walk steers by those
 * (half the bytes to read), and what it ends with is measured again in
 * full (hnsw_exact()).  Layer 0 links are one flat array of (1 + 2m) uint32 per node (a count, then
 * the links); a node of level L > 0 has one allocation with L lists of
 * (1 + m) for layers 1..L.
 *
 * Deleted nodes are tombstones: they keep their links and keep routing,
 * searches walk through them but never return them, and new nodes do not
 * pick them as neighbours unless nothing else is there.
 *
 * The file format is in hnsw_file.c.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory/hnsw.h"
#include "util/xalloc.h"
#include "memory/hnsw_int.h"
#include "memory/hnsw_heap.h"

int
hnsw_check_params(const struct hnsw_params *p, char **cause)
{
	if (p->dim < 1 || p->dim > 65536) {
		xasprintf(cause, "hnsw: dim %d not in 1..65536", p->dim);
		return -1;
	}
	if (p->m < 2 || p->m > 128) {
		xasprintf(cause, "hnsw: m %d not in 2..128", p->m);
		return -1;
	}
	if (p->ef_construction < 8 || p->ef_construction > 4096 ||
	    p->ef_construction < p->m) {
		xasprintf(cause,
		    "hnsw: ef_construction %d not in 8..4096 or < m",
		    p->ef_construction);
		return -1;
	}
	if (p->ef_search < 0 || p->ef_search > 4096) {
		xasprintf(cause, "hnsw: ef_search %d not in 0 (auto)..4096",
		    p->ef_search);
		return -1;
	}
	return 0;
}

const float *
hnsw_row(const struct hnsw *h, uint32_t i)
{
	return h->vec + (size_t)i * h->dim;
}

static inline float
hnsw_dist(const struct hnsw *h, const float *q, uint32_t i)
{
	return -h->dot(q, hnsw_row(h, i), h->dim);
}

static inline const uint16_t *
hnsw_half_row(const struct hnsw *h, uint32_t i)
{
	return h->half + (size_t)i * h->dim;
}

/* The distance the graph walk goes by: to the half-precision row.  Close
 * enough to steer by; what is returned or linked is measured again in
 * full (hnsw_exact()). */
static inline float
hnsw_walk_dist(const struct hnsw *h, const float *q, uint32_t i)
{
	return -h->doth(q, hnsw_half_row(h, i), h->dim);
}

void
hnsw_set_half(struct hnsw *h, uint32_t i)
{
	const float *v = hnsw_row(h, i);
	uint16_t *o = h->half + (size_t)i * h->dim;
	size_t k;

	for (k = 0; k < h->dim; k++)
		o[k] = hnsw_half(v[k]);
}

/* Ask for a whole row ahead of its use: a 256-d half row is 8 cache
 * lines, and rows are visited in no order the hardware could guess. */
static inline void
hnsw_prefetch_row(const struct hnsw *h, uint32_t i)
{
	const char *p = (const char *)hnsw_half_row(h, i);
	size_t off, len = h->dim * sizeof(uint16_t);

	for (off = 0; off < len; off += 64)
		__builtin_prefetch(p + off);
}

/* Node i's list at layer lc: [0] is the count, the links follow. */
uint32_t *
hnsw_links(const struct hnsw *h, uint32_t i, int lc)
{
	if (lc == 0)
		return h->link0 + (size_t)i * (1 + h->m0);
	return h->upper[i] + (size_t)(lc - 1) * (1 + h->m);
}

/* A score in -1..1 from a distance (rounding can step just outside). */
static float
hnsw_score(float d)
{
	float s = -d;

	return s > 1.0f ? 1.0f : (s < -1.0f ? -1.0f : s);
}

int
hnsw_normalise(size_t dim, const float *in, float *out)
{
	double ss = 0, inv;
	size_t i;

	for (i = 0; i < dim; i++) {
		if (!isfinite(in[i]))
			return -1;
		ss += (double)in[i] * in[i];
	}
	if (!(ss > 0))
		return -1;
	inv = 1.0 / sqrt(ss);
	for (i = 0; i < dim; i++)
		out[i] = (float)(in[i] * inv);
	return 0;
}

uint64_t
hnsw_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* floor(-ln(U) * mult) with U uniform in (0, 1], as in the paper. */
static int
hnsw_random_level(struct hnsw *h)
{
	double u = (double)((hnsw_rand(&h->rng) >> 11) + 1) * 0x1.0p-53;
	double l = -log(u) * h->mult;

	return l >= HNSW_MAX_LEVEL ? HNSW_MAX_LEVEL : (int)l;
}

/* --- search --- */

/* A fresh visited mark: bumping the epoch clears the set in O(1). */
static uint32_t
hnsw_epoch(const struct hnsw *h)
{
	struct hnsw_scratch *s = h->s;

	if (++s->epoch == 0) {
		memset(s->visit, 0, h->cap * sizeof *s->visit);
		s->epoch = 1;
	}
	return s->epoch;
}

/* Greedy walk (ef = 1) from `cur` down through layers from..to+1,
 * never through `skip`. */
static struct hnsw_cand
hnsw_descend(const struct hnsw *h, const float *q, struct hnsw_cand cur,
    int from, int to, uint32_t skip)
{
	const uint32_t *ll;
	uint32_t j;
	float d;
	int lc, changed;

	for (lc = from; lc > to; lc--) {
		do {
			changed = 0;
			ll = hnsw_links(h, cur.i, lc);
			for (j = 1; j <= ll[0]; j++) {
				if (ll[j] == skip)
					continue;
				d = hnsw_walk_dist(h, q, ll[j]);
				if (d < cur.d) {
					cur.d = d;
					cur.i = ll[j];
					changed = 1;
				}
			}
		} while (changed);
	}
	return cur;
}

/*
 * Best-first search of layer lc from ep[0..nep), leaving the ef closest
 * in s->res.  With `live`, deleted nodes are walked through but not kept
 * (a query must still find ef live ones); an insertion keeps them all and
 * filters when it picks neighbours.  `skip` (HNSW_NONE: none) counts as
 * seen from the start: it is neither walked through nor kept.
 */
static void
hnsw_search_layer(const struct hnsw *h, const float *q,
    const struct hnsw_cand *ep, size_t nep, size_t ef, int lc, int live,
    uint32_t skip)
{
	struct hnsw_scratch *s = h->s;
	uint32_t epoch = hnsw_epoch(h), *visit = s->visit;
	const uint32_t *ll;
	struct hnsw_cand c;
	float bound = FLT_MAX, d;
	uint32_t j, nb, cnt;
	size_t e;

	if (skip != HNSW_NONE)
		visit[skip] = epoch;
	s->cand.n = s->res.n = 0;
	hnsw_heap_reserve(&s->res, ef + 1);
	for (e = 0; e < nep; e++) {
		visit[ep[e].i] = epoch;
		hnsw_cand_push(&s->cand, ep[e]);
		if (!live || !h->dead[ep[e].i]) {
			hnsw_res_push(&s->res, ep[e]);
			if (s->res.n > ef)
				hnsw_res_pop(&s->res);
		}
	}
	if (s->res.n > 0)
		bound = s->res.v[0].d;

	while (s->cand.n > 0) {
		c = s->cand.v[0];
		if (c.d > bound && s->res.n >= ef)
			break;
		hnsw_cand_pop(&s->cand);
		ll = hnsw_links(h, c.i, lc);
		cnt = ll[0];
		if (cnt > 0)
			hnsw_prefetch_row(h, ll[1]);
		for (j = 1; j <= cnt; j++) {
			nb = ll[j];
			if (j < cnt) {
				__builtin_prefetch(&visit[ll[j + 1]]);
				hnsw_prefetch_row(h, ll[j + 1]);
			}
			if (visit[nb] == epoch)
				continue;
			visit[nb] = epoch;
			d = hnsw_walk_dist(h, q, nb);
			if (s->res.n >= ef && d >= bound)
				continue;
			c.d = d;
			c.i = nb;
			hnsw_cand_push(&s->cand, c);
			/* The next node to expand: fetch its links meanwhile. */
			__builtin_prefetch(hnsw_links(h, s->cand.v[0].i, lc));
			if (!live || !h->dead[nb]) {
				hnsw_res_push(&s->res, c);
				if (s->res.n > ef)
					hnsw_res_pop(&s->res);
				bound = s->res.v[0].d;
			}
		}
	}
}

/* --- insertion --- */

/*
 * The paper's heuristic (Algorithm 4, with keepPrunedConnections): walking
 * c[] closest first, take a candidate if it is closer to the base than to
 * every one already taken.  That spreads links over directions instead
 * of spending them all on one dense cluster, which is what keeps
 * clustered data navigable.  The slots left are then filled with the
 * closest of those passed over: without that, points around one hub
 * (memories that differ by a word) keep a link or two each, and the hub,
 * once its list is full, drops some of them for good; on 60 such notes
 * a fifth had no way in at all.  Live nodes first; deleted ones only if
 * there is nothing else, so a node is never left without links.
 */
static size_t
hnsw_select(const struct hnsw *h, const struct hnsw_cand *c, size_t nc,
    size_t max, struct hnsw_cand *out)
{
	size_t n = 0, taken, i, j;
	const float *v;
	int pass;

	for (pass = 0; pass < 2 && n == 0; pass++) {
		for (i = 0; i < nc && n < max; i++) {
			if (pass == 0 && h->dead[c[i].i])
				continue;
			v = hnsw_row(h, c[i].i);
			for (j = 0; j < n; j++) {
				if (hnsw_dist(h, v, out[j].i) < c[i].d)
					break;
			}
			if (j == n)
				out[n++] = c[i];
		}
	}
	/* The fill: the passed-over live ones, closest first. */
	taken = n;
	for (i = 0; i < nc && n < max; i++) {
		if (h->dead[c[i].i])
			continue;
		for (j = 0; j < taken && out[j].i != c[i].i; j++)
			;
		if (j == taken)
			out[n++] = c[i];
	}
	return n;
}

static int
hnsw_cand_cmp(const void *a, const void *b)
{
	const struct hnsw_cand *x = a, *y = b;

	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return x->i < y->i ? -1 : (x->i > y->i);
}

/* A rank for node i in the ties of base's list: a hash of both. */
static uint32_t
hnsw_tie_rank(uint32_t i, uint32_t base)
{
	uint32_t x = i * 0x9e3779b1u ^ base * 0x85ebca6bu;

	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	return x;
}

/*
 * Reorder each run of equal distances in c[0..n) (sorted by distance)
 * by a rank that depends on the base node.  Ties are common in memory:
 * texts that share the same words and differ by one are all equally
 * close to each other.  In any one fixed order (by node number, say)
 * the same nodes would lose every tie in every list, and be left with
 * no way in; an order per list spreads the losses.
 */
static void
hnsw_ties(struct hnsw_cand *c, size_t n, uint32_t base)
{
	struct hnsw_cand x;
	size_t lo, hi, i, j;

	for (lo = 0; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && c[hi].d == c[lo].d; hi++)
			;
		for (i = lo + 1; i < hi; i++) { /* runs are short */
			x = c[i];
			for (j = i; j > lo &&
			     hnsw_tie_rank(c[j - 1].i, base) >
				 hnsw_tie_rank(x.i, base);
			     j--)
				c[j] = c[j - 1];
			c[j] = x;
		}
	}
}

/* Link `from` -> `to` at layer lc, pruning a full list by the heuristic. */
static void
hnsw_link_back(struct hnsw *h, uint32_t from, uint32_t to, int lc)
{
	struct hnsw_scratch *s = h->s;
	uint32_t *ll = hnsw_links(h, from, lc);
	uint32_t max = lc == 0 ? h->m0 : h->m, j;
	const float *v;
	size_t n;

	if (ll[0] < max) {
		ll[1 + ll[0]++] = to;
		return;
	}
	v = hnsw_row(h, from);
	for (j = 0; j < max; j++) {
		s->prune[j].i = ll[1 + j];
		s->prune[j].d = hnsw_dist(h, v, ll[1 + j]);
	}
	s->prune[max].i = to;
	s->prune[max].d = hnsw_dist(h, v, to);
	qsort(s->prune, max + 1, sizeof *s->prune, hnsw_cand_cmp);
	hnsw_ties(s->prune, max + 1, from);
	n = hnsw_select(h, s->prune, max + 1, max, s->kept);
	for (j = 0; j < n; j++)
		ll[1 + j] = s->kept[j].i;
	ll[0] = (uint32_t)n;
}

/*
 * Take what a walk left in s->res into s->w, each measured again against
 * the full-precision row, closest first; returns how many.  The walk
 * steers by half precision, but order, scores and links go by this.
 */
static size_t
hnsw_exact(const struct hnsw *h, const float *q)
{
	struct hnsw_scratch *s = h->s;
	struct hnsw_heap *res = &s->res;
	struct hnsw_cand *w;
	size_t n = res->n, j;

	if (n > s->wcap) {
		s->wcap = n;
		s->w = xreallocarray(s->w, s->wcap, sizeof *s->w);
	}
	w = s->w;
	for (j = 0; j < n; j++) {
		w[j].i = res->v[j].i;
		w[j].d = hnsw_dist(h, q, w[j].i);
	}
	res->n = 0;
	qsort(w, n, sizeof *w, hnsw_cand_cmp);
	return n;
}

/*
 * Wire node i (level l, already stored) into the graph.  At layer 0 the
 * new node picks up to 2m neighbours, the layer's full width, where the
 * paper and hnswlib pick m (faiss picks 2m too): the same ef then reaches
 * a few points more recall (0.91 -> 0.95 at ef 64 on 5k random 64-d
 * vectors) for a slower build, which is the trade a memory store wants.
 */
static void
hnsw_connect(struct hnsw *h, uint32_t i, int l)
{
	struct hnsw_scratch *s = h->s;
	const float *q = hnsw_row(h, i);
	struct hnsw_cand cur;
	uint32_t *ll;
	size_t nw, nsel, j;
	int lc;

	cur.i = h->entry;
	cur.d = hnsw_walk_dist(h, q, cur.i);
	cur = hnsw_descend(h, q, cur, h->maxlevel, l, HNSW_NONE);
	s->w[0] = cur;
	nw = 1;
	for (lc = l < h->maxlevel ? l : h->maxlevel; lc >= 0; lc--) {
		hnsw_search_layer(h, q, s->w, nw, (size_t)h->p.ef_construction,
		    lc, 0, HNSW_NONE);
		nw = hnsw_exact(h, q);
		hnsw_ties(s->w, nw, i);
		nsel = hnsw_select(h, s->w, nw, lc == 0 ? h->m0 : h->m, s->sel);
		ll = hnsw_links(h, i, lc);
		for (j = 0; j < nsel; j++)
			ll[1 + j] = s->sel[j].i;
		ll[0] = (uint32_t)nsel;
		for (j = 0; j < nsel; j++)
			hnsw_link_back(h, s->sel[j].i, i, lc);
	}
}

/* Room for `need` nodes in every per-node array. */
void
hnsw_reserve(struct hnsw *h, size_t need)
{
	struct hnsw_scratch *s = h->s;
	size_t cap = h->cap;

	if (need <= cap)
		return;
	while (cap < need)
		cap = cap < 16 ? 16 : cap * 2;
	if (cap > HNSW_MAX_NODES)
		cap = HNSW_MAX_NODES;
	h->vec = xreallocarray(h->vec, cap, h->dim * sizeof *h->vec);
	h->half = xreallocarray(h->half, cap, h->dim * sizeof *h->half);
	h->ids = xreallocarray(h->ids, cap, sizeof *h->ids);
	h->level = xreallocarray(h->level, cap, sizeof *h->level);
	h->dead = xreallocarray(h->dead, cap, sizeof *h->dead);
	h->link0 = xreallocarray(h->link0, cap, (1 + h->m0) * sizeof *h->link0);
	h->upper = xreallocarray(h->upper, cap, sizeof *h->upper);
	s->visit = xreallocarray(s->visit, cap, sizeof *s->visit);
	memset(s->visit + h->cap, 0, (cap - h->cap) * sizeof *s->visit);
	h->cap = cap;
}

/* Append a node (not yet linked); returns its index. */
uint32_t
hnsw_append(struct hnsw *h, int64_t id, int dead, int level)
{
	uint32_t i = (uint32_t)h->n;

	hnsw_reserve(h, h->n + 1);
	h->n++;
	h->ids[i] = id;
	h->dead[i] = (uint8_t)dead;
	h->level[i] = (uint8_t)level;
	hnsw_links(h, i, 0)[0] = 0;
	h->upper[i] = NULL;
	if (level > 0)
		h->upper[i] =
		    xcalloc((size_t)level * (1 + h->m), sizeof **h->upper);
	return i;
}

struct hnsw *
hnsw_alloc(const struct hnsw_params *p)
{
	struct hnsw *h = xcalloc(1, sizeof *h);
	struct hnsw_scratch *s = xcalloc(1, sizeof *s);

	h->p = *p;
	h->dim = (size_t)p->dim;
	h->m = (uint32_t)p->m;
	h->m0 = 2 * h->m;
	h->mult = 1.0 / log((double)p->m);
	h->rng = p->seed != 0 ? p->seed : HNSW_DEFAULT_SEED;
	h->entry = HNSW_NONE;
	hnsw_dot_pick(&h->dot, &h->doth);
	h->s = s;
	s->wcap = (size_t)p->ef_construction + 1;
	s->w = xreallocarray(NULL, s->wcap, sizeof *s->w);
	s->sel = xreallocarray(NULL, h->m0 + 1, sizeof *s->sel);
	s->prune = xreallocarray(NULL, h->m0 + 1, sizeof *s->prune);
	s->kept = xreallocarray(NULL, h->m0 + 1, sizeof *s->kept);
	s->q = xreallocarray(NULL, h->dim, sizeof *s->q);
	hnsw_map_grow(h);
	return h;
}

struct hnsw *
hnsw_new(const struct hnsw_params *p, char **cause)
{
	if (hnsw_check_params(p, cause) == -1)
		return NULL;
	return hnsw_alloc(p);
}

void
hnsw_free(struct hnsw *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		free(h->upper[i]);
	free(h->upper);
	free(h->vec);
	free(h->half);
	free(h->ids);
	free(h->level);
	free(h->dead);
	free(h->link0);
	free(h->mkey);
	free(h->mval);
	free(h->s->visit);
	free(h->s->cand.v);
	free(h->s->res.v);
	free(h->s->w);
	free(h->s->sel);
	free(h->s->prune);
	free(h->s->kept);
	free(h->s->q);
	free(h->s);
	free(h);
}

int
hnsw_add(struct hnsw *h, int64_t id, const float *vec, char **cause)
{
	uint32_t i, old;
	int l;

	if (hnsw_normalise(h->dim, vec, h->s->q) == -1) {
		xasprintf(cause, "hnsw: vector for %lld is zero or not finite",
		    (long long)id);
		return -1;
	}
	if (h->n >= HNSW_MAX_NODES) {
		xasprintf(cause, "hnsw: index full (%zu nodes)", h->n);
		return -1;
	}
	if ((old = hnsw_map_get(h, id)) != HNSW_NONE) {
		h->dead[old] = 1;
		h->ndead++;
	}
	l = hnsw_random_level(h);
	i = hnsw_append(h, id, 0, l);
	memcpy(h->vec + (size_t)i * h->dim, h->s->q, h->dim * sizeof *h->vec);
	hnsw_set_half(h, i);
	hnsw_map_put(h, id, i);
	if (h->entry == HNSW_NONE) {
		h->entry = i;
		h->maxlevel = l;
		return 0;
	}
	hnsw_connect(h, i, l);
	if (l > h->maxlevel) {
		h->entry = i;
		h->maxlevel = l;
	}
	return 0;
}

int
hnsw_delete(struct hnsw *h, int64_t id)
{
	uint32_t i;

	if ((i = hnsw_map_get(h, id)) == HNSW_NONE)
		return 0;
	h->dead[i] = 1;
	h->ndead++;
	hnsw_map_del(h, id);
	return 1;
}

int
hnsw_contains(const struct hnsw *h, int64_t id)
{
	return hnsw_map_get(h, id) != HNSW_NONE;
}

size_t
hnsw_count(const struct hnsw *h)
{
	return h->n - h->ndead;
}

size_t
hnsw_deleted(const struct hnsw *h)
{
	return h->ndead;
}

void
hnsw_knn(const struct hnsw *h, const float *q, size_t k, size_t ef,
    uint32_t skip)
{
	struct hnsw_scratch *s = h->s;
	struct hnsw_cand c;
	size_t n, e;
	uint32_t j;

	s->res.n = 0;
	if (k == 0 || hnsw_count(h) == 0 || h->entry == skip)
		return;
	if (ef > 0) {
		if (ef < k)
			ef = k;
		if (ef > h->n) /* no more to find, and it bounds the heap */
			ef = h->n;
		c.i = h->entry;
		c.d = hnsw_walk_dist(h, q, c.i);
		c = hnsw_descend(h, q, c, h->maxlevel, 0, skip);
		hnsw_search_layer(h, q, &c, 1, ef, 0, 1, skip);
		n = hnsw_exact(h, q);
		for (e = 0; e < n && e < k; e++)
			hnsw_res_push(&s->res, s->w[e]);
		return;
	}
	hnsw_heap_reserve(&s->res, k + 1);
	for (j = 0; j < h->n; j++) {
		if (h->dead[j] || j == skip)
			continue;
		c.d = hnsw_dist(h, q, j);
		c.i = j;
		if (s->res.n == k && c.d >= s->res.v[0].d)
			continue;
		hnsw_res_push(&s->res, c);
		if (s->res.n > k)
			hnsw_res_pop(&s->res);
	}
}

/* The k nearest to `query` (ef 0: all of them, exactly) as hits. */
static size_t
hnsw_find(const struct hnsw *h, const float *query, size_t k, size_t ef,
    struct hnsw_hit *hits)
{
	struct hnsw_heap *res = &h->s->res;
	size_t n, i;

	if (k == 0 || hnsw_count(h) == 0)
		return 0;
	if (hnsw_normalise(h->dim, query, h->s->q) == -1)
		return 0;
	hnsw_knn(h, h->s->q, k, ef, HNSW_NONE);
	n = res->n;
	for (i = n; i-- > 0;) {
		hits[i].id = h->ids[res->v[0].i];
		hits[i].score = hnsw_score(res->v[0].d);
		hnsw_res_pop(res);
	}
	return n;
}

int
hnsw_ef(const struct hnsw *h)
{
	if (h->p.ef_search > 0)
		return h->p.ef_search;
	if (h->tuned.ef > 0)
		return h->tuned.ef;
	return HNSW_DEFAULT_EF_SEARCH;
}

size_t
hnsw_search(const struct hnsw *h, const float *query, size_t k, int ef,
    struct hnsw_hit *hits)
{
	return hnsw_find(h, query, k, (size_t)(ef > 0 ? ef : hnsw_ef(h)), hits);
}

size_t
hnsw_search_exact(const struct hnsw *h, const float *query, size_t k,
    struct hnsw_hit *hits)
{
	return hnsw_find(h, query, k, 0, hits);
}

void
hnsw_set_ef(struct hnsw *h, int ef_search)
{
	h->p.ef_search =
	    ef_search < 0 ? 0 : (ef_search > 4096 ? 4096 : ef_search);
}

const struct hnsw_params *
hnsw_params(const struct hnsw *h)
{
	return &h->p;
}
