/*
 * hnsw_tune.c — choosing ef_search from the data: the smallest candidate
 * list whose recall@k, measured against an exact scan with the index's
 * own vectors held out as queries, reaches a target (see hnsw.h).
 *
 * How hard a search is depends on the data far more than on its size:
 * on text embeddings an ef of a few dozen finds 99% of the true
 * neighbours, on uniform random 256-d vectors (no neighbourhood structure
 * at all) it finds 15% and an ef in the thousands is needed.  No fixed
 * default suits both, so the index measures itself.
 *
 * The work is cut into steps of one search each so that the caller (the
 * memory store) can take and release its lock around every step and
 * searches are never held up for long.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memory/hnsw.h"
#include "util/xalloc.h"
#include "memory/hnsw_int.h"

#define TUNE_MAX_EF 4096
#define TUNE_Z 1.645   /* one-sided 95% */
#define TUNE_EPS 1e-6f /* distances this close are a tie */

enum { TUNE_TRUTH, TUNE_PROBE, TUNE_DONE };

struct hnsw_tuner {
	size_t k, dim;
	double target;
	float *qv; /* the caller's queries, unit length: samples 0..nq */
	size_t nq;
	uint32_t *sample; /* held-out nodes: samples nq..ns */
	float *kth;       /* per sample: the exact k-th nearest distance */
	size_t *ntruth;   /* per sample: how many there are (<= k) */
	size_t ns, total, need, count;
	int phase;
	size_t next; /* the next sample of this phase */
	size_t ef, maxef;
	size_t lo, hi; /* largest ef that failed, smallest that passed */
	double hi_recall, last_recall;
	size_t hits, misses;
	uint64_t exact_ns, probe_ns, hi_ns; /* hi_ns: per query */
	struct hnsw_tuning res;
};

static uint64_t
tune_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A node is a possible sample if it is live and not the entry point (a
 * search has to start somewhere). */
static int
tune_usable(const struct hnsw *h, uint32_t i)
{
	return !h->dead[i] && i != h->entry;
}

/* Up to `want` distinct usable nodes: all of them if there are few, else
 * drawn at random with a fixed seed (the same index tunes the same). */
static size_t
tune_pick(const struct hnsw *h, size_t want, uint32_t *out)
{
	size_t usable = hnsw_count(h) - (h->entry != HNSW_NONE), n = 0, j;
	uint64_t rng = h->p.seed ^ (uint64_t)h->n;
	uint32_t i;

	if (usable <= want) {
		for (i = 0; i < h->n && n < want; i++) {
			if (tune_usable(h, i))
				out[n++] = i;
		}
		return n;
	}
	while (n < want) {
		i = (uint32_t)(hnsw_rand(&rng) % h->n);
		if (!tune_usable(h, i))
			continue;
		for (j = 0; j < n && out[j] != i; j++)
			;
		if (j == n)
			out[n++] = i;
	}
	return n;
}

/* Sample s as a query: its vector, and the node to hold out. */
static const float *
tune_query(const struct hnsw_tuner *t, const struct hnsw *h, size_t s,
    uint32_t *skip)
{
	if (s < t->nq) {
		*skip = HNSW_NONE;
		return t->qv + s * t->dim;
	}
	*skip = t->sample[s - t->nq];
	return hnsw_row(h, *skip);
}

struct hnsw_tuner *
hnsw_tuner_new(const struct hnsw *h, size_t k, double target, size_t samples,
    const float *queries, size_t nq)
{
	struct hnsw_tuner *t = xcalloc(1, sizeof *t);
	size_t live = hnsw_count(h), i;

	if (k == 0)
		k = 1;
	if (samples == 0)
		samples = 1;
	if (!(target > 0 && target < 1))
		target = 0.95;
	t->k = k;
	t->dim = h->dim;
	t->target = target;
	t->count = live;
	t->qv = xreallocarray(NULL, nq + 1, h->dim * sizeof *t->qv);
	for (i = 0; i < nq && t->nq < samples; i++) {
		if (hnsw_normalise(h->dim, queries + i * h->dim,
			t->qv + t->nq * h->dim) == 0)
			t->nq++;
	}
	t->sample = xreallocarray(NULL, samples, sizeof *t->sample);
	t->ns = t->nq + tune_pick(h, samples - t->nq, t->sample);
	t->kth = xcalloc(t->ns + 1, sizeof *t->kth);
	t->ntruth = xcalloc(t->ns + 1, sizeof *t->ntruth);
	t->maxef = live < TUNE_MAX_EF ? live : TUNE_MAX_EF;
	if (t->maxef < k)
		t->maxef = k;
	t->ef = (size_t)hnsw_ef(h);
	if (t->ef < k)
		t->ef = k;
	if (t->ef > t->maxef)
		t->ef = t->maxef;
	t->phase = TUNE_TRUTH;
	return t;
}

void
hnsw_tuner_free(struct hnsw_tuner *t)
{
	if (t == NULL)
		return;
	free(t->qv);
	free(t->sample);
	free(t->kth);
	free(t->ntruth);
	free(t);
}

static void
tune_finish(struct hnsw_tuner *t, size_t ef, double recall, int reached,
    uint64_t graph_ns)
{
	t->res.exact_us =
	    t->ns > 0 ? (double)t->exact_ns / (double)t->ns / 1e3 : 0;
	t->res.graph_us = (double)graph_ns / 1e3;
	t->res.ef = (int)ef;
	t->res.k = (int)t->k;
	t->res.target = t->target;
	t->res.recall = recall;
	t->res.samples = t->ns;
	t->res.count = t->count;
	t->res.reached = reached;
	t->phase = TUNE_DONE;
}

/* Hits needed out of t->total for an ef to pass. */
static size_t
tune_need(const struct hnsw_tuner *t)
{
	double p = t->target, margin, need;

	margin = TUNE_Z * sqrt(p * (1 - p) / (double)t->total);
	need = ceil((p + margin) * (double)t->total);
	return need > (double)t->total ? t->total : (size_t)need;
}

/* The measurement of t->ef is complete (passed) or cannot pass. */
static void
tune_judge(struct hnsw_tuner *t, int pass)
{
	uint64_t last_ns;
	size_t gap;

	t->last_recall = (double)t->hits / (double)(t->hits + t->misses);
	if (pass) {
		t->hi = t->ef;
		t->hi_recall = t->last_recall;
		t->hi_ns = t->probe_ns / t->ns; /* a pass measures them all */
	} else
		t->lo = t->ef;
	last_ns = t->probe_ns / t->next;
	t->next = t->hits = t->misses = 0;
	t->probe_ns = 0;

	if (t->hi == 0) { /* nothing passed yet: double */
		if (t->ef >= t->maxef) {
			tune_finish(t, t->maxef, t->last_recall, 0, last_ns);
			return;
		}
		t->ef = t->ef * 2 > t->maxef ? t->maxef : t->ef * 2;
		return;
	}
	if (t->lo == 0) { /* nothing failed yet: halve */
		if (t->hi <= t->k) {
			tune_finish(t, t->hi, t->hi_recall, 1, t->hi_ns);
			return;
		}
		t->ef = t->hi / 2 < t->k ? t->k : t->hi / 2;
		return;
	}
	gap = t->lo / 8 > 1 ? t->lo / 8 : 1;
	if (t->hi - t->lo <= gap) {
		tune_finish(t, t->hi, t->hi_recall, 1, t->hi_ns);
		return;
	}
	t->ef = t->lo + (t->hi - t->lo) / 2;
}

/*
 * How many of a search's answers (in h->s->res) are true neighbours of
 * sample s: as close as its exact k-th nearest.  By distance, not by
 * node, so that of equally close vectors (copies of one text) any will
 * do, as exact search would have picked any.
 */
static size_t
tune_matches(const struct hnsw_tuner *t, const struct hnsw *h, size_t s)
{
	const struct hnsw_heap *res = &h->s->res;
	size_t m = 0, i;

	for (i = 0; i < res->n && m < t->ntruth[s]; i++) {
		if (res->v[i].d <= t->kth[s] + TUNE_EPS)
			m++;
	}
	return m;
}

int
hnsw_tuner_step(struct hnsw_tuner *t, const struct hnsw *h,
    struct hnsw_tuning *out)
{
	const float *q;
	uint32_t skip;
	size_t m;

	uint64_t t0 = tune_now_ns();

	if (t->phase == TUNE_TRUTH && t->next < t->ns) {
		q = tune_query(t, h, t->next, &skip);
		hnsw_knn(h, q, t->k, 0, skip);
		t->exact_ns += tune_now_ns() - t0;
		/* The result heap has the farthest on top. */
		t->ntruth[t->next] = h->s->res.n;
		t->kth[t->next] = h->s->res.n > 0 ? h->s->res.v[0].d : 0;
		t->total += t->ntruth[t->next];
		t->next++;
	} else if (t->phase == TUNE_TRUTH) {
		t->next = 0;
		if (t->total == 0) /* one vector, or none: nothing to miss */
			tune_finish(t, t->k, 1.0, 1, 0);
		else {
			t->need = tune_need(t);
			t->phase = TUNE_PROBE;
		}
	} else if (t->phase == TUNE_PROBE) {
		q = tune_query(t, h, t->next, &skip);
		hnsw_knn(h, q, t->k, t->ef, skip);
		t->probe_ns += tune_now_ns() - t0;
		m = tune_matches(t, h, t->next);
		t->hits += m;
		t->misses += t->ntruth[t->next] - m;
		t->next++;
		/* Give up on this ef as soon as it cannot pass, unless it is
		 * the last one there is: its recall is reported whole. */
		if (t->misses > t->total - t->need && t->ef < t->maxef)
			tune_judge(t, 0);
		else if (t->next == t->ns)
			tune_judge(t, t->hits >= t->need);
	}
	if (t->phase != TUNE_DONE)
		return 1;
	*out = t->res;
	return 0;
}

void
hnsw_tune(struct hnsw *h, size_t k, double target, size_t samples,
    struct hnsw_tuning *out)
{
	struct hnsw_tuner *t = hnsw_tuner_new(h, k, target, samples, NULL, 0);

	while (hnsw_tuner_step(t, h, out) == 1)
		;
	hnsw_tuner_free(t);
	hnsw_set_tuning(h, out);
}

void
hnsw_set_tuning(struct hnsw *h, const struct hnsw_tuning *t)
{
	if (t == NULL)
		memset(&h->tuned, 0, sizeof h->tuned);
	else
		h->tuned = *t;
}

const struct hnsw_tuning *
hnsw_tuning(const struct hnsw *h)
{
	return h->tuned.ef > 0 ? &h->tuned : NULL;
}

int
hnsw_scan_cheaper(const struct hnsw *h)
{
	return h->p.ef_search == 0 && h->tuned.ef > 0 &&
	    h->tuned.graph_us > h->tuned.exact_us;
}
