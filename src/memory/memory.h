/*
 * memory.h — what agents remember across sessions.
 *
 * A memory is a row of SQLite (content, type, tier, importance,
 * protection, access statistics, origin, tags, embedding) indexed twice:
 * FTS5 for BM25 keyword search and an HNSW graph (hnsw.c) for vectors.
 * Retention decays with time since the last access, slower for protected
 * and often-used memories; tiers follow it: Hot (loaded into every
 * context, within memory.hot_tokens), Warm (recalled on demand), Cold
 * (archived: searchable, never recalled on its own).  Dream consolidation
 * (dream.c) merges near-duplicates, re-tiers, prunes and re-indexes.
 *
 * Thread-safe: one mutex guards the in-memory index; every thread uses its
 * own database connection (db_get()).
 */
#ifndef OXIOS_MEMORY_MEMORY_H
#define OXIOS_MEMORY_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <jansson.h>

#include "config/config.h"
#include "llm/llm.h"
#include "util/cancel.h"

#define MEMORY_MAX_CONTENT (64 * 1024) /* bytes of one memory */
#define MEMORY_MAX_TAGS 32
#define MEMORY_MAX_TAG 64 /* bytes of one tag */
#define MEMORY_RRF_K 60   /* reciprocal rank fusion constant */

enum mem_type {
	MEM_USER_PROFILE,
	MEM_PREFERENCE,
	MEM_DECISION,
	MEM_KNOWLEDGE,
	MEM_SKILL,
	MEM_FACT,
	MEM_EPISODE,
	MEM_SESSION,
	MEM_CONVERSATION,
	MEM_SUMMARY, /* written by compaction (compact.h) */
	MEM_NTYPES
};

enum mem_tier { TIER_HOT, TIER_WARM, TIER_COLD, TIER_NTIERS };

enum mem_protect {
	PROT_NONE,
	PROT_LOW,
	PROT_MEDIUM,
	PROT_HIGH,
	PROT_PERMANENT,
	PROT_NLEVELS
};

/* Per type: how much it matters at first, and how fast it fades. */
struct mem_type_info {
	const char *name;
	double importance; /* base importance, 0..1 */
	double decay;      /* decay rate per hour */
};
extern const struct mem_type_info mem_types[MEM_NTYPES];

/* Names <-> values; -1 for an unknown name. */
int mem_type_parse(const char *s);
int mem_tier_parse(const char *s);
int mem_protect_parse(const char *s);
const char *mem_tier_name(enum mem_tier t);
const char *mem_protect_name(enum mem_protect p);
/* How much protection slows decay (Permanent: 0, never decays). */
double mem_protect_multiplier(enum mem_protect p);

/*
 * Retention R = exp(-rate * m / (1 + ln(1 + access_count)) * hours), where
 * m is the protection multiplier and hours the time since the last access.
 */
double mem_retention(enum mem_type type, enum mem_protect prot,
    long long access_count, double hours);
/* The protection that access frequency earns (never lowers `prot`). */
enum mem_protect mem_auto_protect(enum mem_protect prot,
    long long access_count);
/* The type of `content` by rules (the LLM may refine it later). */
enum mem_type mem_classify(const char *content, size_t len);

/* A memory as the callers see it. */
struct mem_new {
	const char *content;
	size_t len;
	int type;           /* enum mem_type, or -1: classify */
	int protect;        /* enum mem_protect, or -1: none */
	double importance;  /* < 0: the type's base importance */
	const json_t *tags; /* array of strings, or NULL */
	const char *session_id, *agent_id, *space; /* origin; may be NULL */
	/* With memory.embedder = "api" (may both be NULL): the token that
	 * stops the provider call, and where to say why that call failed
	 * (cls LLM_OK if it did not fail, or was not made). */
	const struct cancel *cancel;
	struct llm_error *embed_err;
	/* The audit entry (memory_write, resource "memory:<id>") stored in
	 * the memory's own transaction: who wrote it (NULL: no entry) and
	 * its detail (may be NULL; the caller keeps it). */
	const char *audit_actor;
	const json_t *audit_detail;
	/* May be NULL: set to 1 when the memory was fine but storing it
	 * (the database, its audit entry) failed, else 0. */
	int *store_failed;
	/* May be NULL: called inside the memory's transaction, after its
	 * row and audit entry, with its id; non-zero (with *cause) rolls
	 * everything back (compaction stores a summary's edges so). */
	int (*in_tx)(sqlite3 *db, int64_t id, void *arg, char **cause);
	void *in_tx_arg;
};

/*
 * Open the memory service: the index file $OXIOS_HOME/memory.hnsw is loaded
 * if it matches the database, else rebuilt from it.  Reads the memory.*
 * keys.  0, or -1 with *cause.
 */
int memory_open(sqlite3 *db, const struct config *cfg, char **cause);
/* Save the index and free it. */
void memory_close(void);
/* Save the index now (after a batch, at shutdown). */
int memory_flush(char **cause);

/*
 * Store a memory: check it (non-empty, at most MEMORY_MAX_CONTENT, UTF-8,
 * known type, tags), classify, embed, insert row, FTS entry and audit
 * entry (m->audit_actor) in one transaction, add to the index.  Nothing
 * is stored on error: a memory is never without its audit entry.
 * Returns the new id, or -1 with *cause.
 */
int64_t memory_add(sqlite3 *db, const struct mem_new *m, char **cause);
/* One memory as JSON (counts an access when `touch`).  NULL, with *cause
 * NULL if there is none. */
json_t *memory_get(sqlite3 *db, int64_t id, int touch, char **cause);
/* Delete one: 1, 0 if none, -1 with *cause. */
int memory_forget(sqlite3 *db, int64_t id, char **cause);
/* Newest first, with filters (type, tier; NULL for any). */
json_t *memory_list(sqlite3 *db, const char *type, const char *tier, long limit,
    long offset, char **cause);

enum mem_mode { MEM_HYBRID, MEM_KEYWORD, MEM_SEMANTIC };

struct mem_query {
	const char *text;
	enum mem_mode mode;
	size_t limit;
	int type;          /* -1: any */
	const char *tag;   /* NULL: any */
	const char *space; /* NULL: any */
	int64_t since_ms;  /* created at or after (0: any) */
	int64_t until_ms;  /* created before (0: any) */
	int include_cold;  /* cold memories too (search: yes; recall: no) */
	int touch;         /* count an access on the hits */
	const struct cancel *cancel; /* as in struct mem_new */
	struct llm_error *embed_err;
	/* With a configuration (NULL: never), a short query is expanded
	 * by the chat model as memory.query_expansion says (expand.c). */
	const struct config *cfg;
	struct mem_recall *recall; /* may be NULL: how the search went */
};

/* Which recall a search used, for the one who asked (memory search, the
 * REST answer's "recall"). */
struct mem_recall {
	char how[16];       /* "fts+vector", "fts", "vector" */
	char embedder[128]; /* as memory_stats() names it: "tfidf:256" */
	int vector_failed;  /* a hybrid search went on by keywords only */
	/* "expanded", "cached" (expanded, from the cache), "off",
	 * "skipped" (a long query), "failed" (the model's call or answer:
	 * the search went on without) */
	char expansion[16];
	char terms[300]; /* the words added, "" if none */
	char why[256];   /* why not expanded, "" if it was */
};

/*
 * Search: BM25 (FTS5) and vector (HNSW) results merged by reciprocal rank
 * fusion, each weighted by retention and tier.  A list of objects with at
 * least id, content, score (and type, tier, tags, retention, ...).  New
 * reference, or NULL with *cause.  The query is embedded before the
 * database is read; when that fails, a hybrid search goes on with
 * keywords only (logged) and a semantic one fails.
 */
json_t *memory_search(sqlite3 *db, const struct mem_query *q, char **cause);
/*
 * Whether a search of `text` with `cfg` would ask the chat model to expand
 * it (ignoring the cache): memory.query_expansion allows it and the query
 * is short.  For a caller that must not wait for the network on its
 * thread.
 */
int memory_expand_due(const struct config *cfg, const char *text);
/* The recall as one line, "recall: fts+vector (embedder tfidf:256),
 * expanded: tabs spaces indent", into out[size]. */
void memory_recall_line(const struct mem_recall *r, char *out, size_t size);
/* The recall as JSON {how, embedder, vector_failed, expansion, terms?,
 * why?}.  New reference. */
json_t *memory_recall_json(const struct mem_recall *r);
/*
 * Proactive recall: for the user's message, the hot tier (within
 * memory.hot_tokens) and the top warm memories scoring above a threshold,
 * as text ready for the agent's context ("" if none).  New string.
 */
char *memory_recall(sqlite3 *db, const char *message, size_t max_items);

/* Counts by tier and type, index size, embedder. */
json_t *memory_stats(sqlite3 *db, char **cause);
/* Each tier with its memories (ids, content preview, retention). */
json_t *memory_tiers(sqlite3 *db, char **cause);

/*
 * Dream consolidation: orient (counts), gather signal (retention, auto-
 * protection, tiers), consolidate (merge near-duplicates, keeping
 * provenance; with `cfg` and an LLM configured for engine.default_model,
 * the merged text is the model's summary of both), prune (unprotected
 * below memory.prune_threshold) and re-index.  Writes a report row;
 * returns it (new reference), or NULL with *cause.  `reason` is
 * "schedule", "api", "cli".  `cfg` may be NULL (no summaries).
 */
json_t *memory_dream(sqlite3 *db, const struct config *cfg, const char *reason,
    char **cause);
json_t *memory_dream_reports(sqlite3 *db, long limit, char **cause);
/*
 * Tune the vector index: the smallest ef_search that reaches recall@10 >=
 * memory.hnsw_target_recall, measured against exact search on recent
 * queries and held-out memories (see tune.c).  Takes the lock a search at
 * a time; `stop` (may be NULL) is asked between searches.  Returns the
 * result as JSON (new reference), or NULL with *cause.
 */
json_t *memory_tune(sqlite3 *db, int (*stop)(void), char **cause);
/* Whether memory.hnsw_ef_search is auto and the index is untuned, or
 * tuned for another target or a size a quarter away from today's. */
int memory_tune_due(void);
/* How many memories wait to be re-embedded (made by another embedder,
 * or never): the next dream does it. */
long long memory_stale(sqlite3 *db);

/* The reasoning bank: chains of reasoning that worked. */
int64_t memory_reasoning_add(sqlite3 *db, const char *task, const json_t *steps,
    const char *outcome, char **cause);
json_t *memory_reasoning_similar(sqlite3 *db, const char *task, size_t k,
    char **cause);

/* The embedding of `text` with the configured embedder, dim floats into
 * out (L2-normalised; all zero if the text has no terms).  0, or -1. */
int memory_embed(sqlite3 *db, const char *text, size_t len, float *out,
    char **cause);
int memory_dim(void);
/* Whether embedding calls a provider (memory.embedder = "api"), through
 * the gate (gate_embed()): then memory_add() and every search but a
 * keyword one wait for the network. */
int memory_remote_embedder(void);
/*
 * End the provider calls the service makes without a token of the
 * caller's (a dream's embeddings and summaries, recall), now and for the
 * rest of the process: they fail as cancelled.  For the daemon's stop,
 * before it waits for a dream.  Any thread.
 */
void memory_stop(void);

#endif
