/*
 * memory_int.h — what memory.c, search.c and dream.c share.
 */
#ifndef OXIOS_MEMORY_MEMORY_INT_H
#define OXIOS_MEMORY_MEMORY_INT_H

#include <pthread.h>

#include "memory/hnsw.h"
#include "memory/memory.h"
#include "util/buf.h"

struct gate_embedder;

struct mem_state {
	pthread_mutex_t lock; /* everything below */
	int open;
	struct hnsw *index; /* vectors of the current embedder, or NULL */
	int dim;            /* 0 until known (API embedder) */
	char embedder[128]; /* "tfidf:256", "local:glove100", "api:<model>" */
	int api;
	int local; /* memory.embedder = local (embed_local.h) */
	struct gate_embedder *api_embedder; /* with api (kernel/gate.h) */
	int m, ef_construction, ef_search;
	long long generation; /* of the database, as the index has it */
	int dirty;            /* changed since saved */
	char *path;           /* $OXIOS_HOME/memory.hnsw */
	long hot_tokens;
	double prune_threshold;
	int compaction;            /* memory.compaction: dream compacts */
	double covered_decay;      /* memory.covered_decay */
	long compact_max_calls;    /* memory.compaction_max_calls */
	long prune_covered_days;   /* memory.prune_covered_days */
	double target_recall;      /* memory.hnsw_target_recall */
	unsigned long serial;      /* bumped by every new index */
	struct hnsw_tuning tuning; /* the last one, kept over rebuilds */
	float *queries;            /* ring of the last searches' vectors */
	size_t nqueries, qnext;
};

#define MEM_TUNE_K 10        /* tuned for recall@10 */
#define MEM_TUNE_QUERIES 100 /* recent queries in a tuning sample */

extern struct mem_state mem;

/* The memory row `id` as JSON (the API's shape). */
json_t *mem_row_json(sqlite3_stmt *st);
#define MEM_COLUMNS \
	"id, content, type, tier, importance, protection, access_count, " \
	"last_access_ms, created_ms, session_id, agent_id, space, tags, " \
	"sources"

/* A column of `memories` queries: whether a summary covers the memory
 * (it then decays memory.covered_decay times faster). */
#define MEM_COVERED_SQL \
	"EXISTS (SELECT 1 FROM memory_summary_sources e JOIN " \
	"memory_summaries s ON s.memory_id = e.summary_id WHERE " \
	"e.source_id = memories.id AND e.seen >= 0)"

/* A counter of memory_meta ("docs", "generation"), 0 if none. */
long long mem_meta(sqlite3 *db, const char *key);
/* The integer a query answers (0 if none). */
long long mem_scalar(sqlite3 *db, const char *sql);
/* Whether a vector of dim floats is not all zero. */
int mem_vec_ok(const float *v, int dim);
/* Run SQL with no result; 0 or -1 with *cause. */
int mem_exec(sqlite3 *db, const char *sql, char **cause);
/* The database's generation counter. */
long long mem_generation(sqlite3 *db);
/* Bump it by one (inside the caller's transaction); the new value. */
long long mem_bump(sqlite3 *db);
/* Remember a query's vector for the next tuning (mem.lock held). */
void mem_note_query(const float *vec);
/* The index's tuning as JSON, null if none (mem.lock held). */
json_t *mem_tuning_json(void);
/* Bring the index up to date with the database (mem.lock held). */
int mem_sync(sqlite3 *db, char **cause);
/* The TF-IDF vector of `text` (mem.lock held; mem.dim floats). */
float *mem_embed_tfidf(sqlite3 *db, const char *text, size_t len);
/* The vector of the offline embedder configured (local or TF-IDF), dim
 * floats, caller frees; mem.lock held. */
float *mem_embed_offline(sqlite3 *db, const char *text, size_t len);
/*
 * Embed `text` (mem.lock NOT held: the API may be slow): TF-IDF, or the
 * provider's vector through the gate (L2-normalised, of the index's
 * dimension).  `cancel` and `err` (may be NULL) as in struct mem_new;
 * without a token, mem_stop()'s stops the call.
 * New array of mem.dim floats, or NULL with *cause.
 */
float *mem_embed(sqlite3 *db, const char *text, size_t len,
    const struct cancel *cancel, struct llm_error *err, char **cause);
/*
 * The same for texts[0..n) (NUL-terminated; with the API embedder, one
 * provider request: n at most LLM_EMBED_MAX_INPUTS).  New array of n
 * vectors of mem.dim floats (vector i at i * mem.dim), or NULL.
 */
float *mem_embed_many(sqlite3 *db, const char *const *texts, size_t n,
    const struct cancel *cancel, struct llm_error *err, char **cause);
/* The token of provider calls made without one of their own (dreams,
 * recall): fired by memory_stop(). */
const struct cancel *mem_stop(void);
/*
 * Expand q->text for a search (expand.c; mem.lock NOT held, no
 * transaction open: it may call the model through the gate): r is filled
 * in (expansion, terms, why).  Never fails: a refusal or an error is said
 * in r->why.
 */
void mem_expand(sqlite3 *db, const struct mem_query *q, struct mem_recall *r);
/* Update document frequencies for a text added (+1) or removed (-1). */
int mem_df(sqlite3 *db, const char *text, size_t len, int delta, char **cause);
/* Recompute retention, protection and tiers of every memory.  Counts of
 * changes into *promoted, *demoted, *protected (may be NULL). */
int mem_retier(sqlite3 *db, int *promoted, int *demoted, int *protect,
    char **cause);
/* Delete a memory's row and keyword entry, fix the IDF (caller holds a
 * transaction); its vector leaves the index (mem.lock held by caller). */
int mem_delete_row(sqlite3 *db, int64_t id, char **cause);

/*
 * The memory clock: the wall clock, or, for tests only, the instant in
 * OXIOS_TEST_MEMORY_CLOCK_MS (Unix milliseconds) when it is set.  New
 * memories are created (and last accessed) at it, and compaction tells
 * closed periods by it; retention keeps the wall clock (compact.c).
 */
int64_t mem_clock_ms(void);
/* A model's answer `text` (taken; NULL: none) as a memory's text:
 * trimmed, not empty, at most MEMORY_MAX_CONTENT, UTF-8.  The same
 * string shortened, or NULL (freed). */
char *mem_note_text(char *text);
/*
 * Ask engine.default_model (through the gate, mem.lock NOT held, no
 * transaction open) for a memory's text: `prompt` (len bytes) as the one
 * user message under `system`, at most `max_tokens`, temperature 0,
 * phase "dream", stopped by mem_stop().  The answer through
 * mem_note_text() (caller frees); or NULL: *err says why when the call
 * failed (err->cls not LLM_OK), else the answer was not a memory's text
 * (dream.c, for dreams and compaction).
 */
char *mem_ask(const struct config *cfg, const char *system, int max_tokens,
    const char *prompt, size_t len, struct llm_error *err);
/* A memory takes `text` as its content (mem.lock held, in a transaction):
 * terms, vector (the API embedder's `apivec`, else TF-IDF), topics and
 * index follow (dream.c). */
int mem_rewrite(sqlite3 *db, int64_t id, const char *text, const float *apivec,
    char **cause);
/* ---- recall (recall.c) ---- */
#define MEM_RECALL_MIN_SIM 0.15 /* vector-only hits below this are noise */
/* The same floor for the local embedder: averaged word vectors make any
 * two texts somewhat alike (on the recall benchmark, bench/recall:
 * unrelated pairs have a median cosine of 0.39 and a 90th percentile of
 * 0.60; a fact and its paraphrase a median of 0.72, a 10th percentile of
 * 0.55; a search floor of 0.5 loses no recall@5 there). */
#define MEM_LOCAL_RECALL_MIN_SIM 0.6
/* A vector-only hit's vote for a message's topics (recall.c), with the
 * local embedder: a short message and an unrelated memory reach 0.7
 * ("any fact" and "The car needs an oil change ...": 0.71), so only a
 * close match votes; keyword hits and topic names always do. */
#define MEM_LOCAL_TOPIC_MIN_SIM 0.8
#define MEM_RECALL_HEAD "What you remember (from earlier sessions):\n"
/* Append the hot tier to `b` within memory.hot_tokens, MEM_RECALL_HEAD
 * first; their ids into the array `ids` (may be NULL).  How many. */
int mem_recall_hot(sqlite3 *db, struct buf *b, json_t *ids);
/* Whether search hit `hit` may be recalled: not hot (the hot tier is
 * listed already), and a keyword match or cosine at the recall floor of
 * the embedder (MEM_RECALL_MIN_SIM, MEM_LOCAL_RECALL_MIN_SIM). */
int mem_recall_fits(const json_t *hit);
/* Append "- [type #id] content\n" of a memory (a search hit's shape). */
void mem_recall_line(struct buf *b, const json_t *m);

#endif
