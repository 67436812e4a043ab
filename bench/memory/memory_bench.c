/*
 * memory_bench — the memory store end to end: insert rate (classify,
 * embed, SQLite row + FTS5, HNSW) and hybrid search latency (embedding
 * the query + BM25 + vectors + fusion + rows) at growing sizes.
 *
 *   [MEMBENCH_EMBEDDER=local|tfidf] [MEMBENCH_TAGS=N] memory_bench [SIZES...]
 *                                default: local; 1000 tags; 10000 100000
 *
 * Synthetic memories: 8 to 30 English words drawn from the 20 000 most
 * frequent of the local embedder's table with a Zipf-like skew, fixed
 * seed (the same texts for either embedder), each with one of
 * MEMBENCH_TAGS tags (a topic of the ROOT index; 0: no tags, every memory
 * under its type, a few topics of tens of thousands of memories each: a
 * write moves a topic's count by one whatever it holds, so the rate is
 * the same).  Runs in a temporary $OXIOS_HOME.
 * The index's ef_search is auto: tuned after the warm-up searches, as
 * the daemon tunes it when memory has grown by a quarter.
 * Prints figures; asserts nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "memory/embed_local.h"
#include "memory/memory.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/time.h"

#define VOCAB 20000
#define QUERIES 1000
#define WARMUP 200

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The vocabulary: the table's words by frequency rank. */
static const char *vocab[VOCAB];

static void
vocab_init(void)
{
	size_t i, n = embed_local_words();
	unsigned rank;
	const char *w;

	for (i = 0; i < n; i++) {
		w = embed_local_word_at(i, &rank);
		/* Ranks count the source's words the table left out. */
		if (w != NULL && rank < VOCAB && vocab[rank] == NULL)
			vocab[rank] = w;
	}
	for (i = 0, n = 0; i < VOCAB; i++) {
		if (vocab[i] != NULL)
			vocab[n++] = vocab[i];
	}
	for (i = n; i < VOCAB; i++)
		vocab[i] = vocab[i % n];
}

/* A word of the vocabulary, skewed towards the frequent ones. */
static void
word(struct buf *b)
{
	double u = (double)(next() % 1000000) / 1000000.0;
	unsigned w = (unsigned)(pow(u, 3.0) * VOCAB);

	buf_adds(b, vocab[w]);
}

static void
text(struct buf *b, int words)
{
	int i;

	buf_reset(b);
	for (i = 0; i < words; i++) {
		if (i > 0)
			buf_addc(b, ' ');
		word(b);
	}
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* What the daemon does when the index's size has moved by a quarter. */
static void
bench_tune(sqlite3 *db, long size)
{
	char *cause = NULL;
	json_t *t;

	if (!memory_tune_due())
		return;
	if ((t = memory_tune(db, NULL, &cause)) == NULL) {
		fprintf(stderr, "memory_bench: %s\n", cause);
		free(cause);
		return;
	}
	printf("%7ld memories: tuned ef_search %lld, recall@10 %.3f on %lld "
	       "queries (%lld recent), %lld ms\n",
	    size,
	    (long long)json_integer_value(json_object_get(t, "ef_search")),
	    json_real_value(json_object_get(t, "recall")),
	    (long long)json_integer_value(json_object_get(t, "samples")),
	    (long long)json_integer_value(json_object_get(t, "recent_queries")),
	    (long long)json_integer_value(json_object_get(t, "duration_ms")));
	json_decref(t);
}

int
main(int argc, char **argv)
{
	char cfgtext[128], tag[32];
	json_t *tags;
	int64_t rc;
	const char *embedder = getenv("MEMBENCH_EMBEDDER");
	long ntags = getenv("MEMBENCH_TAGS") != NULL ?
	    strtol(getenv("MEMBENCH_TAGS"), NULL, 10) :
	    1000;
	long sizes[8] = { 10000, 100000 };
	int nsizes = 2, s, q;
	char dir[256] = "/tmp/oxios-membench-XXXXXX", path[300], *cause = NULL;
	struct config *cfg = NULL;
	struct mem_new m;
	struct mem_query mq;
	struct buf b;
	sqlite3 *db = NULL;
	double lat[QUERIES], cold[WARMUP];
	long have = 0, i;
	uint64_t t0;
	json_t *r;

	if (argc > 1) {
		nsizes = 0;
		for (s = 1; s < argc && nsizes < 8; s++)
			sizes[nsizes++] = strtol(argv[s], NULL, 10);
	}
	/* MEMBENCH_HOME: keep the store there, and reuse it next time. */
	if (getenv("MEMBENCH_HOME") != NULL)
		snprintf(dir, sizeof dir, "%s", getenv("MEMBENCH_HOME"));
	else if (mkdtemp(dir) == NULL)
		return 1;
	setenv("OXIOS_HOME", dir, 1);
	if (embedder == NULL)
		embedder = "local";
	snprintf(cfgtext, sizeof cfgtext,
	    "[memory]\ndream_interval_mins = 0\nembedder = \"%s\"\n", embedder);
	vocab_init();
	snprintf(path, sizeof path, "%s/oxios.db", dir);
	if (config_load_text("bench", cfgtext, strlen(cfgtext), &cfg, &cause) !=
		0 ||
	    db_open(path, &db, &cause) != 0 ||
	    memory_open(db, cfg, &cause) != 0) {
		fprintf(stderr, "memory_bench: %s\n", cause);
		return 1;
	}
	buf_init(&b, BUF_NOCAP);
	{
		json_t *st = memory_stats(db, &cause);

		have = (long)json_integer_value(json_object_get(st, "total"));
		json_decref(st);
	}
	printf("memory_bench: %s %d-d, HNSW M=%lld efC=%lld ef=%lld\n",
	    embedder, memory_dim(), config_int(cfg, "memory.hnsw_m"),
	    config_int(cfg, "memory.hnsw_ef_construction"),
	    config_int(cfg, "memory.hnsw_ef_search"));
	for (s = 0; s < nsizes; s++) {
		t0 = time_mono_ns();
		for (i = have; i < sizes[s]; i++) {
			text(&b, 8 + (int)(next() % 23));
			memset(&m, 0, sizeof m);
			m.content = b.data;
			m.len = b.len;
			snprintf(tag, sizeof tag, "topic%ld",
			    ntags > 0 ? i % ntags : 0);
			tags = ntags > 0 ? json_pack("[s]", tag) : NULL;
			m.tags = tags;
			m.type = m.protect = -1;
			m.importance = -1;
			rc = memory_add(db, &m, &cause);
			json_decref(tags);
			if (rc < 0) {
				fprintf(stderr, "memory_bench: %s\n", cause);
				return 1;
			}
		}
		if (sizes[s] > have)
			printf("%7ld memories: inserted %ld at %.0f/s\n",
			    sizes[s], sizes[s] - have,
			    (double)(sizes[s] - have) /
				((double)(time_mono_ns() - t0) / 1e9));
		if (sizes[s] > have)
			have = sizes[s];
		/* Warm up first (page cache, mmap): a daemon is long-lived
		 * and searches a warm store; the first searches are shown
		 * apart.  Then the index tunes its ef_search as the daemon
		 * would (on those searches and held-out memories). */
		for (q = 0; q < WARMUP + QUERIES; q++) {
			if (q == WARMUP)
				bench_tune(db, sizes[s]);
			text(&b, 2 + (int)(next() % 4));
			memset(&mq, 0, sizeof mq);
			mq.text = b.data;
			mq.mode = MEM_HYBRID;
			mq.limit = 10;
			mq.type = -1;
			mq.include_cold = 1;
			t0 = time_mono_ns();
			r = memory_search(db, &mq, &cause);
			if (q < WARMUP)
				cold[q] = (double)(time_mono_ns() - t0) / 1e6;
			else
				lat[q - WARMUP] =
				    (double)(time_mono_ns() - t0) / 1e6;
			json_decref(r);
			free(cause);
			cause = NULL;
		}
		qsort(lat, QUERIES, sizeof lat[0], cmp_d);
		qsort(cold, WARMUP, sizeof cold[0], cmp_d);
		printf("%7ld memories: first %d searches p50 %.2f ms, p99 %.2f "
		       "ms\n",
		    sizes[s], WARMUP, cold[WARMUP / 2],
		    cold[WARMUP * 99 / 100]);
		printf("%7ld memories: hybrid search p50 %.2f ms, p99 %.2f ms "
		       "(%d queries, 10 results)\n",
		    sizes[s], lat[QUERIES / 2], lat[QUERIES * 99 / 100],
		    QUERIES);
	}
	buf_free(&b);
	memory_close();
	db_close(db);
	config_free(cfg);
	if (getenv("MEMBENCH_HOME") == NULL) {
		snprintf(path, sizeof path, "rm -rf '%s'", dir);
		if (system(path) != 0)
			return 1;
	}
	return 0;
}
