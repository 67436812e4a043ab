/*
 * hnsw.h — a Hierarchical Navigable Small World index (Malkov & Yashunin),
 * written for Oxios: cosine similarity over float vectors of one fixed
 * dimension, ids chosen by the caller (the memory's row id), deletes, and
 * a file format that can be saved and loaded.
 *
 * Vectors are stored L2-normalised, so cosine similarity is a dot
 * product; a zero vector is refused.  Not thread-safe, searches included
 * (they use working memory inside the index): the caller (the memory
 * store) holds an exclusive lock around every call.  Deleted nodes stay
 * as tombstones until the caller rebuilds the index.
 */
#ifndef OXIOS_MEMORY_HNSW_H
#define OXIOS_MEMORY_HNSW_H

#include <stddef.h>
#include <stdint.h>

#define HNSW_DEFAULT_M 16
#define HNSW_DEFAULT_EF_CONSTRUCTION 200
#define HNSW_DEFAULT_EF_SEARCH 64
#define HNSW_MAX_LEVEL 16

struct hnsw;

struct hnsw_params {
	int dim;             /* vector dimension, 1..65536 */
	int m;               /* links per node per layer (layer 0: 2*m) */
	int ef_construction; /* candidate list while inserting */
	int ef_search;       /* candidate list while searching (>= k used);
				0: auto, the tuned one (hnsw_tune()) */
	uint64_t seed;       /* level generator seed; 0: a fixed default */
};

struct hnsw_hit {
	int64_t id;
	float score; /* cosine similarity, -1..1 (higher is closer) */
};

/* A new empty index.  NULL with *cause if the parameters are invalid. */
struct hnsw *hnsw_new(const struct hnsw_params *p, char **cause);
void hnsw_free(struct hnsw *h);

/*
 * Add `vec` (dim floats) under `id`.  An id already present is replaced
 * (its old vector deleted).  Returns 0, or -1 with *cause (zero or
 * non-finite vector).
 */
int hnsw_add(struct hnsw *h, int64_t id, const float *vec, char **cause);
/* Delete `id`: it is never returned again; its node keeps routing until
 * the graph is repaired or rebuilt.  Returns 1 if it was there, else 0. */
int hnsw_delete(struct hnsw *h, int64_t id);
/* Whether `id` is present (and not deleted). */
int hnsw_contains(const struct hnsw *h, int64_t id);
/* Live (not deleted) vectors, and deleted ones still in the graph. */
size_t hnsw_count(const struct hnsw *h);
size_t hnsw_deleted(const struct hnsw *h);

/*
 * The k nearest live vectors to `query`, best first, into hits[] (room for
 * k).  `ef` 0 means the index's ef_search (max(ef, k) is used).  Returns
 * how many were found (<= k).
 */
size_t hnsw_search(const struct hnsw *h, const float *query, size_t k, int ef,
    struct hnsw_hit *hits);
/* The same by brute force over every live vector (tests, recall). */
size_t hnsw_search_exact(const struct hnsw *h, const float *query, size_t k,
    struct hnsw_hit *hits);

/* Change ef_search (memory.hnsw_ef_search at run time; 0: auto). */
void hnsw_set_ef(struct hnsw *h, int ef_search);
const struct hnsw_params *hnsw_params(const struct hnsw *h);
/* The ef a search with ef 0 uses: ef_search if set, else the tuned one,
 * else (auto, never tuned) HNSW_DEFAULT_EF_SEARCH. */
int hnsw_ef(const struct hnsw *h);

/*
 * Tuning: the smallest ef_search whose recall@k reaches a target, on the
 * index's own data.  A sample of its live vectors is held out one at a
 * time (the node is neither walked through nor returned, as if it had
 * never been added) and used as a query; recall is measured against an
 * exact scan.  An ef passes when the measured recall is at least the
 * target plus a margin of 1.645 standard errors (one-sided 95%), so that
 * queries from the same distribution reach the target.  The ef searched
 * doubles from the current one until one passes (or 4096, or the index
 * size), then halves the gap down to an eighth.
 */
struct hnsw_tuning {
	int ef;          /* the chosen ef_search; 0: never tuned */
	int k;           /* recall@k */
	double target;   /* the recall aimed at */
	double recall;   /* measured at ef on the sample */
	size_t samples;  /* held-out queries */
	size_t count;    /* live vectors when tuned */
	int reached;     /* 0: the largest ef tried still fell short */
	double exact_us; /* time of one exact search (a scan), and */
	double graph_us; /* of one graph search at ef, microseconds */
};

#define HNSW_TUNE_SAMPLES 200

struct hnsw_tuner;

/*
 * A tuning of h for recall@k >= target (0 < target < 1) on `samples`
 * queries: the caller's queries[0..nq) (dim floats each: queries
 * actually made, when there are some) first, then held-out vectors.
 * Nothing is searched yet.
 */
struct hnsw_tuner *hnsw_tuner_new(const struct hnsw *h, size_t k, double target,
    size_t samples, const float *queries, size_t nq);
/*
 * One search's worth of work on h, which must be the index the tuner was
 * made for (vectors added since are fine).  1 while there is more to do,
 * 0 when done: then *out has the result (h is not changed).
 */
int hnsw_tuner_step(struct hnsw_tuner *t, const struct hnsw *h,
    struct hnsw_tuning *out);
void hnsw_tuner_free(struct hnsw_tuner *t);
/* All the steps at once, and the result applied to h. */
void hnsw_tune(struct hnsw *h, size_t k, double target, size_t samples,
    struct hnsw_tuning *out);
/* Apply a tuning (saved with the index); NULL clears it. */
void hnsw_set_tuning(struct hnsw *h, const struct hnsw_tuning *t);
/* The tuning in use, or NULL if never tuned. */
const struct hnsw_tuning *hnsw_tuning(const struct hnsw *h);
/* Whether ef_search is auto and tuned to an ef at which the graph took
 * longer than a scan of every vector: a caller that wants speed and
 * recall both then does better with hnsw_search_exact(). */
int hnsw_scan_cheaper(const struct hnsw *h);

/*
 * Save to `path` atomically (a temporary file, fsync, rename) with a
 * header (magic, version, parameters, counts, a caller-given `stamp` such
 * as the database's last change) and a checksum.  0, or -1 with *cause.
 */
int hnsw_save(const struct hnsw *h, const char *path, uint64_t stamp,
    char **cause);
/*
 * Load from `path`; *stamp (may be NULL) is what was saved.  A missing,
 * truncated, corrupt (checksum) or other-version file is an error: the
 * caller rebuilds from the database.  NULL with *cause.
 */
struct hnsw *hnsw_load(const char *path, uint64_t *stamp, char **cause);

#endif
