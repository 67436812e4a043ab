/*
 * memory.c — memories: types, decay, classification, the store and its
 * two indexes (FTS5 rows kept by triggers, the HNSW graph kept here).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/home.h"
#include "kernel/gate.h"
#include "memory/embed.h"
#include "memory/embed_local.h"
#include "memory/memory_int.h"
#include "memory/root.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

struct mem_state mem = { .lock = PTHREAD_MUTEX_INITIALIZER };

const struct mem_type_info mem_types[MEM_NTYPES] = {
	[MEM_USER_PROFILE] = { "user_profile", 0.9, 0.0005 },
	[MEM_PREFERENCE] = { "preference", 0.8, 0.001 },
	[MEM_DECISION] = { "decision", 0.7, 0.002 },
	[MEM_KNOWLEDGE] = { "knowledge", 0.6, 0.002 },
	[MEM_SKILL] = { "skill", 0.7, 0.001 },
	[MEM_FACT] = { "fact", 0.5, 0.004 },
	[MEM_EPISODE] = { "episode", 0.4, 0.01 },
	[MEM_SESSION] = { "session", 0.3, 0.02 },
	[MEM_CONVERSATION] = { "conversation", 0.2, 0.03 },
	[MEM_SUMMARY] = { "summary", 0.6, 0.001 },
};

static const char *const mem_tier_names[TIER_NTIERS] = { "hot", "warm",
	"cold" };
static const char *const mem_protect_names[PROT_NLEVELS] = { "none", "low",
	"medium", "high", "permanent" };
static const double mem_protect_mult[PROT_NLEVELS] = { 1.0, 0.5, 0.25, 0.1,
	0.0 };

int
mem_type_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < MEM_NTYPES; i++) {
		if (strcmp(mem_types[i].name, s) == 0)
			return i;
	}
	return -1;
}

int
mem_tier_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < TIER_NTIERS; i++) {
		if (strcmp(mem_tier_names[i], s) == 0)
			return i;
	}
	return -1;
}

int
mem_protect_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < PROT_NLEVELS; i++) {
		if (strcmp(mem_protect_names[i], s) == 0)
			return i;
	}
	return -1;
}

const char *
mem_tier_name(enum mem_tier t)
{
	return (unsigned)t < TIER_NTIERS ? mem_tier_names[t] : "warm";
}

const char *
mem_protect_name(enum mem_protect p)
{
	return (unsigned)p < PROT_NLEVELS ? mem_protect_names[p] : "none";
}

double
mem_protect_multiplier(enum mem_protect p)
{
	return (unsigned)p < PROT_NLEVELS ? mem_protect_mult[p] : 1.0;
}

double
mem_retention(enum mem_type type, enum mem_protect prot, long long access_count,
    double hours)
{
	double rate =
	    mem_types[(unsigned)type < MEM_NTYPES ? type : MEM_FACT].decay;

	if (hours < 0)
		hours = 0;
	if (access_count < 0)
		access_count = 0;
	return exp(-rate * mem_protect_multiplier(prot) /
	    (1.0 + log(1.0 + (double)access_count)) * hours);
}

enum mem_protect
mem_auto_protect(enum mem_protect prot, long long access_count)
{
	enum mem_protect earned = PROT_NONE;

	/* Used often enough, a memory has shown it matters. */
	if (access_count >= 25)
		earned = PROT_HIGH;
	else if (access_count >= 10)
		earned = PROT_MEDIUM;
	else if (access_count >= 4)
		earned = PROT_LOW;
	return earned > prot ? earned : prot;
}

/* Whether `s` (lower-cased) holds any of the phrases. */
static int
mem_has(const char *s, const char *const *phrases)
{
	for (; *phrases != NULL; phrases++) {
		if (strstr(s, *phrases) != NULL)
			return 1;
	}
	return 0;
}

enum mem_type
mem_classify(const char *content, size_t len)
{
	static const char *const profile[] = { "my name is", "i am a ",
		"i'm a ", "i work as", "i work at", "i live in", "my role",
		"my job", "my email", "call me ", NULL };
	static const char *const preference[] = { "i prefer", "i like",
		"i love", "i hate", "i don't like", "i dislike", "i want ",
		"always use", "never use", "please always", "please never",
		"favorite", "favourite", NULL };
	static const char *const decision[] = { "we decided", "i decided",
		"decision:", "we chose", "we will use", "let's go with",
		"agreed to", "we'll use", "decided to", NULL };
	static const char *const skill[] = { "how to ", "steps:", "step 1",
		"to do this,", "recipe", "run `", "usage:", "procedure", NULL };
	static const char *const conversation[] = { "user:", "assistant:", "q:",
		NULL };
	static const char *const episode[] = { "yesterday", "today",
		"last week", "this morning", "happened", "we met", "went to",
		"tonight", NULL };
	static const char *const session[] = { "in this session",
		"session summary", "summary of the session", NULL };
	static const char *const knowledge[] = { " is a ", " are a ", " means ",
		" is defined as", " refers to", " is used for", " consists of",
		NULL };
	char *low;
	size_t i;
	enum mem_type t = MEM_FACT;

	low = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)content[i]);
	low[len] = '\0';
	if (mem_has(low, session))
		t = MEM_SESSION;
	else if (mem_has(low, conversation))
		t = MEM_CONVERSATION;
	else if (mem_has(low, profile))
		t = MEM_USER_PROFILE;
	else if (mem_has(low, preference))
		t = MEM_PREFERENCE;
	else if (mem_has(low, decision))
		t = MEM_DECISION;
	else if (mem_has(low, skill))
		t = MEM_SKILL;
	else if (mem_has(low, episode))
		t = MEM_EPISODE;
	else if (mem_has(low, knowledge))
		t = MEM_KNOWLEDGE;
	free(low);
	return t;
}

/* ---- database helpers ---- */

int
mem_exec(sqlite3 *db, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
		return 0;
	xasprintf(cause, "memory: %s", err != NULL ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	return -1;
}

long long
mem_meta(sqlite3 *db, const char *key)
{
	int64_t v = 0;

	db_int(db, "SELECT value FROM memory_meta WHERE key = ?1", &v, "t",
	    key);
	return (long long)v;
}

/* The integer a query answers (0 if none). */
long long
mem_scalar(sqlite3 *db, const char *sql)
{
	int64_t v = 0;

	db_int(db, sql, &v, "");
	return (long long)v;
}

static int
mem_meta_add(sqlite3 *db, const char *key, long long delta)
{
	if (db_exec(db,
		"INSERT INTO memory_meta (key, value) VALUES (?1, ?2) "
		"ON CONFLICT (key) DO UPDATE SET value = value + ?2",
		"tI", key, (int64_t)delta) < 0)
		return -1;
	return 0;
}

long long
mem_generation(sqlite3 *db)
{
	return mem_meta(db, "generation");
}

long long
mem_bump(sqlite3 *db)
{
	mem_meta_add(db, "generation", 1);
	return mem_generation(db);
}

int
mem_df(sqlite3 *db, const char *text, size_t len, int delta, char **cause)
{
	struct embed_term *t;
	sqlite3_stmt *st = NULL;
	size_t n, i;
	int rc = -1;

	n = embed_terms(text, len, &t);
	if ((st = db_prepare(db,
		 delta > 0 ?
		     "INSERT INTO memory_terms (term, df) VALUES (?1, 1) "
		     "ON CONFLICT (term) DO UPDATE SET df = df + 1" :
		     "UPDATE memory_terms SET df = df - 1 WHERE term = ?1",
		 "")) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, t[i].term, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
		sqlite3_reset(st);
	}
	if (delta < 0 &&
	    mem_exec(db, "DELETE FROM memory_terms WHERE df <= 0", cause) != 0)
		goto out;
	if (mem_meta_add(db, "docs", delta) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && *cause == NULL)
		xasprintf(cause, "memory: terms: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	embed_terms_free(t, n);
	return rc;
}

/* The TF-IDF vector of a text with the corpus as it is now. */
float *
mem_embed_tfidf(sqlite3 *db, const char *text, size_t len)
{
	struct embed_term *t;
	sqlite3_stmt *st = NULL;
	long long *df, docs = mem_meta(db, "docs");
	float *v = xcalloc((size_t)mem.dim, sizeof *v);
	size_t n, i;

	n = embed_terms(text, len, &t);
	df = xcalloc(n + 1, sizeof *df);
	if ((st = db_prepare(db, "SELECT df FROM memory_terms WHERE term = ?1",
		 "")) != NULL) {
		for (i = 0; i < n; i++) {
			sqlite3_bind_text(st, 1, t[i].term, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				df[i] = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
		}
	}
	sqlite3_finalize(st);
	embed_tfidf(t, n, df, docs, mem.dim, v);
	free(df);
	embed_terms_free(t, n);
	return v;
}

float *
mem_embed_offline(sqlite3 *db, const char *text, size_t len)
{
	float *v;

	if (!mem.local)
		return mem_embed_tfidf(db, text, len);
	v = xcalloc((size_t)mem.dim, sizeof *v);
	embed_local(text, len, v);
	return v;
}

/* Fired by memory_stop(): the token of calls made without one. */
static pthread_once_t mem_stop_once = PTHREAD_ONCE_INIT;
static struct cancel mem_stop_token;

static void
mem_stop_init(void)
{
	cancel_init(&mem_stop_token, NULL, 0);
}

const struct cancel *
mem_stop(void)
{
	pthread_once(&mem_stop_once, mem_stop_init);
	return &mem_stop_token;
}

void
memory_stop(void)
{
	pthread_once(&mem_stop_once, mem_stop_init);
	cancel_fire(&mem_stop_token);
}

float *
mem_embed_many(sqlite3 *db, const char *const *texts, size_t n,
    const struct cancel *cancel, struct llm_error *err, char **cause)
{
	struct gate_embedder *e;
	struct llm_error own;
	float *v = NULL, *row;
	double norm;
	size_t i;
	int dim = 0, want, k;

	if (err == NULL)
		err = &own;
	memset(err, 0, sizeof *err);
	pthread_mutex_lock(&mem.lock);
	if (!mem.api) {
		v = xcalloc(n * (size_t)mem.dim, sizeof *v);
		for (i = 0; i < n; i++) {
			row = mem_embed_offline(db, texts[i], strlen(texts[i]));
			memcpy(v + i * (size_t)mem.dim, row,
			    (size_t)mem.dim * sizeof *row);
			free(row);
		}
		pthread_mutex_unlock(&mem.lock);
		return v;
	}
	e = gate_embedder_ref(mem.api_embedder);
	pthread_mutex_unlock(&mem.lock);
	if (e == NULL) {
		xasprintf(cause, "memory: the service is closed");
		return NULL;
	}
	if (cancel == NULL)
		cancel = mem_stop();
	if (gate_embed(e, texts, n, cancel, &v, &dim, NULL, err) != 0) {
		xasprintf(cause, "%s", err->message);
		goto out;
	}
	pthread_mutex_lock(&mem.lock);
	if (mem.dim == 0 && mem.api_embedder == e)
		mem.dim = dim; /* the first vectors of this embedder */
	want = mem.dim;
	pthread_mutex_unlock(&mem.lock);
	if (dim != want) {
		/* The model behind the name changed: its vectors and the
		 * index's cannot be compared. */
		err->cls = LLM_ERR_PROTOCOL;
		snprintf(err->message, sizeof err->message,
		    "embeddings: %s gave %d dimensions, the index has %d",
		    gate_embedder_model(e), dim, want);
		xasprintf(cause, "%s", err->message);
		free(v);
		v = NULL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		row = v + i * (size_t)dim;
		norm = 0;
		for (k = 0; k < dim; k++)
			norm += (double)row[k] * row[k];
		for (k = 0; norm > 0 && k < dim; k++)
			row[k] = (float)(row[k] / sqrt(norm));
	}
out:
	gate_embedder_unref(e);
	return v;
}

float *
mem_embed(sqlite3 *db, const char *text, size_t len,
    const struct cancel *cancel, struct llm_error *err, char **cause)
{
	char *copy = xstrndup(text, len);
	const char *texts[1] = { copy };
	float *v;

	v = mem_embed_many(db, texts, 1, cancel, err, cause);
	free(copy);
	return v;
}

int
memory_embed(sqlite3 *db, const char *text, size_t len, float *out,
    char **cause)
{
	float *v = mem_embed(db, text, len, NULL, NULL, cause);

	if (v == NULL)
		return -1;
	memcpy(out, v, (size_t)mem.dim * sizeof *v);
	free(v);
	return 0;
}

int
memory_dim(void)
{
	int d;

	pthread_mutex_lock(&mem.lock);
	d = mem.dim;
	pthread_mutex_unlock(&mem.lock);
	return d;
}

int
memory_remote_embedder(void)
{
	int api;

	pthread_mutex_lock(&mem.lock);
	api = mem.open && mem.api;
	pthread_mutex_unlock(&mem.lock);
	return api;
}

int
mem_vec_ok(const float *v, int dim)
{
	int i;

	for (i = 0; i < dim; i++) {
		if (v[i] != 0)
			return 1;
	}
	return 0;
}

/* ---- the index ---- */

static struct hnsw *
mem_index_new(char **cause)
{
	struct hnsw_params p;
	struct hnsw *h;

	memset(&p, 0, sizeof p);
	p.dim = mem.dim;
	p.m = mem.m;
	p.ef_construction = mem.ef_construction;
	p.ef_search = mem.ef_search;
	if ((h = hnsw_new(&p, cause)) == NULL)
		return NULL;
	/* A rebuild of the same memories: the last tuning holds until the
	 * next one, which a change in size brings. */
	if (mem.tuning.ef > 0)
		hnsw_set_tuning(h, &mem.tuning);
	mem.serial++;
	return h;
}

/* Add the vectors of the current embedder the index lacks; rebuild if
 * rows went away.  mem.lock held. */
int
mem_sync(sqlite3 *db, char **cause)
{
	sqlite3_stmt *st = NULL;
	long long gen = mem_generation(db), rows = 0;
	int64_t id;
	const void *blob;
	char *why = NULL;
	int bytes, rebuilt = 0;

	if (mem.index != NULL && gen == mem.generation)
		return 0;
	if (mem.dim == 0)
		return 0; /* API embedder, nothing embedded yet */
again:
	if (mem.index == NULL) {
		if ((mem.index = mem_index_new(cause)) == NULL)
			return -1;
		rebuilt = 1;
	}
	if ((st = db_prepare(db,
		 "SELECT id, embedding FROM memories WHERE embedder = ?1", "t",
		 mem.embedder)) == NULL) {
		xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		blob = sqlite3_column_blob(st, 1);
		bytes = sqlite3_column_bytes(st, 1);
		if (blob == NULL || bytes != mem.dim * (int)sizeof(float) ||
		    !mem_vec_ok(blob, mem.dim))
			continue; /* nothing to index */
		rows++;
		if (hnsw_contains(mem.index, id))
			continue;
		if (hnsw_add(mem.index, id, blob, &why) == 0)
			mem.dirty = 1;
		free(why);
		why = NULL;
	}
	sqlite3_finalize(st);
	if (!rebuilt && (long long)hnsw_count(mem.index) > rows) {
		/* Memories left through another process: start over. */
		hnsw_free(mem.index);
		mem.index = NULL;
		goto again;
	}
	mem.generation = gen;
	return 0;
}

int
memory_flush(char **cause)
{
	int rc = 0;

	pthread_mutex_lock(&mem.lock);
	if (mem.index != NULL && mem.dirty && mem.path != NULL) {
		rc = hnsw_save(mem.index, mem.path, (uint64_t)mem.generation,
		    cause);
		if (rc == 0)
			mem.dirty = 0;
	}
	pthread_mutex_unlock(&mem.lock);
	return rc;
}

int
memory_open(sqlite3 *db, const struct config *cfg, char **cause)
{
	const struct hnsw_params *hp;
	uint64_t stamp = 0;
	char *why = NULL;
	uint64_t t0 = time_mono_ms();
	int rc = 0;

	memory_close();
	pthread_mutex_lock(&mem.lock);
	mem.m = (int)config_int(cfg, "memory.hnsw_m");
	mem.ef_construction =
	    (int)config_int(cfg, "memory.hnsw_ef_construction");
	if (mem.ef_construction < mem.m)
		mem.ef_construction = mem.m;
	mem.ef_search = (int)config_int(cfg, "memory.hnsw_ef_search");
	mem.target_recall = config_float(cfg, "memory.hnsw_target_recall");
	mem.hot_tokens = (long)config_int(cfg, "memory.hot_tokens");
	mem.prune_threshold = config_float(cfg, "memory.prune_threshold");
	mem.compaction = config_bool(cfg, "memory.compaction");
	mem.covered_decay = config_float(cfg, "memory.covered_decay");
	mem.compact_max_calls =
	    (long)config_int(cfg, "memory.compaction_max_calls");
	mem.prune_covered_days =
	    (long)config_int(cfg, "memory.prune_covered_days");
	mem.api = strcmp(config_str(cfg, "memory.embedder"), "api") == 0;
	mem.local = strcmp(config_str(cfg, "memory.embedder"), "local") == 0;
	if (mem.api) {
		/* The provider is resolved once; calls go through the gate. */
		if ((mem.api_embedder = gate_embedder_new(cfg, cause)) ==
		    NULL) {
			rc = -1;
			goto out;
		}
		snprintf(mem.embedder, sizeof mem.embedder, "api:%s",
		    gate_embedder_model(mem.api_embedder));
		/* The dimension: that of what is stored, or the first
		 * answer's. */
		{
			int64_t bytes = 0;

			db_int(db,
			    "SELECT length(embedding) FROM memories WHERE "
			    "embedder = ?1 LIMIT 1",
			    &bytes, "t", mem.embedder);
			mem.dim = (int)bytes / (int)sizeof(float);
		}
	} else if (mem.local) {
		mem.dim = embed_local_dim();
		snprintf(mem.embedder, sizeof mem.embedder, "%s",
		    EMBED_LOCAL_NAME);
	} else {
		mem.dim = (int)config_int(cfg, "memory.embedding_dim");
		snprintf(mem.embedder, sizeof mem.embedder, "tfidf:%d",
		    mem.dim);
	}
	mem.path = home_path("memory.hnsw");
	mem.open = 1;
	mem.generation = -1;

	/* The saved graph, if it is of this embedder's vectors. */
	if ((mem.index = hnsw_load(mem.path, &stamp, &why)) != NULL) {
		hp = hnsw_params(mem.index);
		if (hp->dim != mem.dim || hp->m != mem.m) {
			hnsw_free(mem.index);
			mem.index = NULL;
		} else {
			hnsw_set_ef(mem.index, mem.ef_search);
			mem.generation = (long long)stamp;
			if (hnsw_tuning(mem.index) != NULL)
				mem.tuning = *hnsw_tuning(mem.index);
			mem.serial++;
		}
	}
	free(why);
	if (mem_sync(db, cause) != 0 || root_heal(db, cause) != 0) {
		rc = -1;
		goto out;
	}
	if (mem.index != NULL && time_mono_ms() - t0 > 1000)
		log_info("memory: index of %zu vectors ready in %llu ms",
		    hnsw_count(mem.index),
		    (unsigned long long)(time_mono_ms() - t0));
out:
	pthread_mutex_unlock(&mem.lock);
	return rc;
}

void
memory_close(void)
{
	char *cause = NULL;

	if (memory_flush(&cause) != 0) {
		log_warn("memory: saving the index: %s", cause);
		free(cause);
	}
	pthread_mutex_lock(&mem.lock);
	hnsw_free(mem.index);
	mem.index = NULL;
	free(mem.path);
	mem.path = NULL;
	/* A thread embedding now holds its own reference. */
	gate_embedder_unref(mem.api_embedder);
	mem.api_embedder = NULL;
	free(mem.queries);
	mem.queries = NULL;
	mem.nqueries = mem.qnext = 0;
	memset(&mem.tuning, 0, sizeof mem.tuning);
	mem.open = 0;
	mem.dirty = 0;
	pthread_mutex_unlock(&mem.lock);
}
