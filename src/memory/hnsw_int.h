/*
 * hnsw_int.h — the index's layout, shared by hnsw.c (the graph) and
 * hnsw_file.c (saving and loading it).
 */
#ifndef OXIOS_MEMORY_HNSW_INT_H
#define OXIOS_MEMORY_HNSW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "memory/hnsw.h"

#define HNSW_NONE UINT32_MAX
#define HNSW_MAX_NODES (UINT32_MAX - 1)
#define HNSW_MAGIC "OXHNSW1" /* with its NUL: 8 bytes */
#define HNSW_MAGIC_LEN 8
#define HNSW_VERSION 2 /* 1: the same without the tuning */
#define HNSW_DEFAULT_SEED 0x6f78696f73686e77ULL
#define HNSW_SUM_LEN crypto_generichash_BYTES
#define HNSW_HEADER_LEN (HNSW_MAGIC_LEN + 5 * 4 + 3 * 8 + 2 * 4 + 8)
/* Whole-file reads: the index is in memory anyway. */
#define HNSW_FILE_CAP ((size_t)1 << 40)
#define HNSW_OUT_BUF 65536

/* A node and its distance to whatever is being searched for. */
struct hnsw_cand {
	float d;
	uint32_t i;
};

struct hnsw_heap {
	struct hnsw_cand *v;
	size_t n, cap;
};

/*
 * Working memory of a search.  It hangs off the index by pointer so that
 * searches, which take a const index, can still use it: the caller's lock
 * already serialises every call.
 */
struct hnsw_scratch {
	uint32_t *visit; /* visit[i] == epoch: seen in this search */
	uint32_t epoch;
	struct hnsw_heap cand; /* min-heap: nodes still to expand */
	struct hnsw_heap res;  /* max-heap: the best found so far */
	struct hnsw_cand *w;   /* a layer's result, closest first */
	size_t wcap;
	struct hnsw_cand *sel;   /* neighbours chosen for a new node */
	struct hnsw_cand *prune; /* a full list being pruned, and its pick */
	struct hnsw_cand *kept;
	float *q; /* the normalised query */
};

typedef float (*hnsw_dot_fn)(const float *, const float *, size_t);
typedef float (*hnsw_doth_fn)(const float *, const uint16_t *, size_t);

struct hnsw {
	struct hnsw_params p;
	hnsw_dot_fn dot;   /* the fastest this processor has (hnsw_dot.c) */
	hnsw_doth_fn doth; /* ... against a half-precision row */
	size_t dim;
	uint32_t m, m0;
	double mult; /* level generator: 1 / ln(m) */
	uint64_t rng;

	size_t n, cap;
	float *vec;
	uint16_t *half; /* vec in half precision, for the graph walk */
	int64_t *ids;
	uint8_t *level;
	uint8_t *dead;
	uint32_t *link0;
	uint32_t **upper;
	size_t ndead;
	uint32_t entry;
	int maxlevel;

	/* id -> node of live nodes: open addressing, linear probing. */
	int64_t *mkey;
	uint32_t *mval; /* HNSW_NONE: empty slot */
	size_t mcap, mlen;

	struct hnsw_tuning tuned; /* ef 0: never tuned */
	struct hnsw_scratch *s;
};

struct hnsw *hnsw_alloc(const struct hnsw_params *p);
void hnsw_dot_pick(hnsw_dot_fn *dot, hnsw_doth_fn *doth);
uint16_t hnsw_half(float f);
float hnsw_unhalf(uint16_t h);
/* Node i's half-precision row from its vector (after it is stored). */
void hnsw_set_half(struct hnsw *h, uint32_t i);
/* splitmix64: small, fast, and any state (even 0) is a good one. */
uint64_t hnsw_rand(uint64_t *state);
uint32_t hnsw_append(struct hnsw *h, int64_t id, int dead, int level);
int hnsw_check_params(const struct hnsw_params *p, char **cause);
uint32_t *hnsw_links(const struct hnsw *h, uint32_t i, int lc);
uint32_t hnsw_map_get(const struct hnsw *h, int64_t id);
void hnsw_map_put(struct hnsw *h, int64_t id, uint32_t node);
void hnsw_map_del(struct hnsw *h, int64_t id);
void hnsw_map_grow(struct hnsw *h);
void hnsw_reserve(struct hnsw *h, size_t need);
const float *hnsw_row(const struct hnsw *h, uint32_t i);
/* Unit-length copy of `in` into `out`; -1 if zero or not finite. */
int hnsw_normalise(size_t dim, const float *in, float *out);
/*
 * The k nearest live nodes to the unit vector q, left in h->s->res: by
 * the graph with a candidate list of ef, or (ef 0) by a scan of every
 * node; a max-heap on distance, the farthest first.  `skip` (HNSW_NONE:
 * none) is treated as absent, neither walked through nor returned: the
 * tuner holds a node out that way and asks for the neighbours of its
 * vector.
 */
void hnsw_knn(const struct hnsw *h, const float *q, size_t k, size_t ef,
    uint32_t skip);

#endif
