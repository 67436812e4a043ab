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
#include "memory/embed.h"
#include "memory/memory_int.h"
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

static long long
mem_meta(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = NULL;
	long long v = 0;

	if (sqlite3_prepare_v2(db,
		"SELECT value FROM memory_meta WHERE key = ?1", -1, &st,
		NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

/* The integer a query answers (0 if none). */
static long long
mem_scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
mem_meta_add(sqlite3 *db, const char *key, long long delta)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db,
		"INSERT INTO memory_meta (key, value) VALUES (?1, ?2) "
		"ON CONFLICT (key) DO UPDATE SET value = value + ?2",
		-1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, delta);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(st);
	return rc;
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
	if (sqlite3_prepare_v2(db,
		delta > 0 ?
		    "INSERT INTO memory_terms (term, df) VALUES (?1, 1) "
		    "ON CONFLICT (term) DO UPDATE SET df = df + 1" :
		    "UPDATE memory_terms SET df = df - 1 WHERE term = ?1",
		-1, &st, NULL) != SQLITE_OK)
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
	if (sqlite3_prepare_v2(db,
		"SELECT df FROM memory_terms WHERE term = ?1", -1, &st,
		NULL) == SQLITE_OK) {
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
mem_embed(sqlite3 *db, const char *text, size_t len, char **cause)
{
	char *url, *model, *key;
	float *v;
	int dim;

	pthread_mutex_lock(&mem.lock);
	if (!mem.api) {
		v = mem_embed_tfidf(db, text, len);
		pthread_mutex_unlock(&mem.lock);
		return v;
	}
	url = xstrdup(mem.api_url);
	model = xstrdup(mem.api_model);
	key = mem.api_key != NULL ? xstrdup(mem.api_key) : NULL;
	dim = mem.dim;
	pthread_mutex_unlock(&mem.lock);
	v = embed_api(url, model, key, text, len, &dim, cause);
	if (v != NULL) {
		double norm = 0;
		int i;

		for (i = 0; i < dim; i++)
			norm += (double)v[i] * v[i];
		for (i = 0; norm > 0 && i < dim; i++)
			v[i] = (float)(v[i] / sqrt(norm));
		pthread_mutex_lock(&mem.lock);
		if (mem.dim == 0)
			mem.dim = dim;
		pthread_mutex_unlock(&mem.lock);
	}
	free(url);
	free(model);
	if (key != NULL) {
		memset(key, 0, strlen(key));
		free(key);
	}
	return v;
}

int
memory_embed(sqlite3 *db, const char *text, size_t len, float *out,
    char **cause)
{
	float *v = mem_embed(db, text, len, cause);

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

static int
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

	memset(&p, 0, sizeof p);
	p.dim = mem.dim;
	p.m = mem.m;
	p.ef_construction = mem.ef_construction;
	p.ef_search = mem.ef_search;
	return hnsw_new(&p, cause);
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
	if (sqlite3_prepare_v2(db,
		"SELECT id, embedding FROM memories WHERE embedder = ?1", -1,
		&st, NULL) != SQLITE_OK) {
		xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, mem.embedder, -1, SQLITE_STATIC);
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
	const char *s;
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
	mem.hot_tokens = (long)config_int(cfg, "memory.hot_tokens");
	mem.prune_threshold = config_float(cfg, "memory.prune_threshold");
	mem.api = strcmp(config_str(cfg, "memory.embedder"), "api") == 0;
	if (mem.api) {
		s = config_str(cfg, "memory.embedding_url");
		mem.api_url = xstrdup(s != NULL ? s : "");
		s = config_str(cfg, "memory.embedding_model");
		mem.api_model = xstrdup(s != NULL ? s : "");
		s = config_str(cfg, "memory.embedding_api_key");
		mem.api_key = s != NULL ? xstrdup(s) : NULL;
		if (*mem.api_url == '\0' || *mem.api_model == '\0') {
			xasprintf(cause,
			    "memory.embedder = \"api\" needs "
			    "memory.embedding_url and memory.embedding_model");
			rc = -1;
			goto out;
		}
		snprintf(mem.embedder, sizeof mem.embedder, "api:%s",
		    mem.api_model);
		/* The dimension: that of what is stored, or the first
		 * answer's. */
		{
			sqlite3_stmt *st = NULL;

			mem.dim = 0;
			if (sqlite3_prepare_v2(db,
				"SELECT length(embedding) FROM memories WHERE "
				"embedder = ?1 LIMIT 1",
				-1, &st, NULL) == SQLITE_OK) {
				sqlite3_bind_text(st, 1, mem.embedder, -1,
				    SQLITE_STATIC);
				if (sqlite3_step(st) == SQLITE_ROW)
					mem.dim = sqlite3_column_int(st, 0) /
					    (int)sizeof(float);
			}
			sqlite3_finalize(st);
		}
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
		}
	}
	free(why);
	if (mem_sync(db, cause) != 0) {
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
	free(mem.api_url);
	free(mem.api_model);
	if (mem.api_key != NULL)
		memset(mem.api_key, 0, strlen(mem.api_key));
	free(mem.api_key);
	mem.path = mem.api_url = mem.api_model = mem.api_key = NULL;
	mem.open = 0;
	mem.dirty = 0;
	pthread_mutex_unlock(&mem.lock);
}

/* ---- rows ---- */

json_t *
mem_row_json(sqlite3_stmt *st)
{
	enum mem_type type;
	enum mem_protect prot;
	long long access;
	int64_t last, created;
	double hours;
	char at[40], made[40];
	json_t *j, *tags, *sources;

	type = (enum mem_type)mem_type_parse(
	    (const char *)sqlite3_column_text(st, 2));
	prot = (enum mem_protect)sqlite3_column_int(st, 5);
	access = sqlite3_column_int64(st, 6);
	last = sqlite3_column_int64(st, 7);
	created = sqlite3_column_int64(st, 8);
	hours = (double)(time_wall_ms() - last) / 3600000.0;
	time_rfc3339(last, at, sizeof at);
	time_rfc3339(created, made, sizeof made);
	tags = json_loads((const char *)sqlite3_column_text(st, 12), 0, NULL);
	sources =
	    json_loads((const char *)sqlite3_column_text(st, 13), 0, NULL);
	j = json_pack("{s:I, s:s, s:s, s:s, s:f, s:s, s:I, s:s, s:s, s:s?, "
		      "s:s?, s:s?, s:o, s:o, s:f}",
	    "id", (json_int_t)sqlite3_column_int64(st, 0), "content",
	    (const char *)sqlite3_column_text(st, 1), "type",
	    (const char *)sqlite3_column_text(st, 2), "tier",
	    (const char *)sqlite3_column_text(st, 3), "importance",
	    sqlite3_column_double(st, 4), "protection", mem_protect_name(prot),
	    "access_count", (json_int_t)access, "last_access", at, "created_at",
	    made, "session_id", (const char *)sqlite3_column_text(st, 9),
	    "agent_id", (const char *)sqlite3_column_text(st, 10), "space",
	    (const char *)sqlite3_column_text(st, 11), "tags",
	    tags != NULL ? tags : json_array(), "sources",
	    sources != NULL ? sources : json_array(), "retention",
	    mem_retention((int)type >= 0 ? type : MEM_FACT, prot, access,
		hours));
	return j;
}

/* Check a new memory.  0, or -1 with *cause. */
static int
mem_check(const struct mem_new *m, char **tags_json, char **cause)
{
	json_t *s, *copy;
	size_t i;

	if (m->content == NULL || m->len == 0 ||
	    strspn(m->content, " \t\r\n") >= m->len) {
		xasprintf(cause, "a memory needs content");
		return -1;
	}
	if (m->len > MEMORY_MAX_CONTENT) {
		xasprintf(cause,
		    "the content is %zu bytes; a memory holds at most %d",
		    m->len, MEMORY_MAX_CONTENT);
		return -1;
	}
	if (memchr(m->content, '\0', m->len) != NULL ||
	    (s = json_stringn(m->content, m->len)) == NULL) {
		xasprintf(cause, "the content is not UTF-8 text");
		return -1;
	}
	json_decref(s);
	if (m->type >= MEM_NTYPES || m->type < -1) {
		xasprintf(cause, "unknown memory type");
		return -1;
	}
	if (m->protect >= PROT_NLEVELS || m->protect < -1) {
		xasprintf(cause, "unknown protection level");
		return -1;
	}
	if (m->importance > 1) {
		xasprintf(cause, "importance is from 0 to 1");
		return -1;
	}
	if (m->tags != NULL && !json_is_array(m->tags)) {
		xasprintf(cause, "tags must be a list of strings");
		return -1;
	}
	if (json_array_size(m->tags) > MEMORY_MAX_TAGS) {
		xasprintf(cause, "at most %d tags", MEMORY_MAX_TAGS);
		return -1;
	}
	copy = json_array();
	for (i = 0; i < json_array_size(m->tags); i++) {
		s = json_array_get(m->tags, i);
		if (!json_is_string(s) || json_string_length(s) == 0 ||
		    json_string_length(s) > MEMORY_MAX_TAG) {
			json_decref(copy);
			xasprintf(cause,
			    "each tag must be a string of 1 to %d bytes",
			    MEMORY_MAX_TAG);
			return -1;
		}
		json_array_append(copy, s);
	}
	*tags_json = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	return 0;
}

int64_t
memory_add(sqlite3 *db, const struct mem_new *m, char **cause)
{
	sqlite3_stmt *st = NULL;
	enum mem_type type;
	char *tags = NULL;
	float *vec = NULL;
	double importance;
	int64_t id = -1, now = time_wall_ms();
	long long before;
	int in_tx = 0;

	if (mem_check(m, &tags, cause) != 0)
		return -1;
	type = m->type >= 0 ? (enum mem_type)m->type :
			      mem_classify(m->content, m->len);
	importance =
	    m->importance >= 0 ? m->importance : mem_types[type].importance;
	/* An API embedding is fetched before the transaction: the network
	 * must not hold the database. */
	if (mem.api && (vec = mem_embed(db, m->content, m->len, cause)) == NULL)
		goto out;
	if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		goto out;
	in_tx = 1;
	before = mem_generation(db);
	if (!mem.api) {
		if (mem_df(db, m->content, m->len, 1, cause) != 0)
			goto out;
		pthread_mutex_lock(&mem.lock);
		vec = mem_embed_tfidf(db, m->content, m->len);
		pthread_mutex_unlock(&mem.lock);
	}
	if (sqlite3_prepare_v2(db,
		"INSERT INTO memories (content, type, tier, importance, "
		"protection, last_access_ms, created_ms, session_id, agent_id, "
		"space, tags, embedder, embedding) VALUES (?1, ?2, ?3, ?4, ?5, "
		"?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		-1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, m->content, (int)m->len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mem_types[type].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, importance >= 0.8 ? "hot" : "warm", -1,
	    SQLITE_STATIC);
	sqlite3_bind_double(st, 4, importance);
	sqlite3_bind_int(st, 5, m->protect >= 0 ? m->protect : PROT_NONE);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_text(st, 7, m->session_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, m->agent_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, m->space, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, tags, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, mem.embedder, -1, SQLITE_STATIC);
	if (mem_vec_ok(vec, mem.dim))
		sqlite3_bind_blob(st, 12, vec, mem.dim * (int)sizeof(float),
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 12);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr;
	id = sqlite3_last_insert_rowid(db);
	mem_bump(db);
	if (mem_exec(db, "COMMIT", cause) != 0) {
		id = -1;
		goto out;
	}
	in_tx = 0;

	pthread_mutex_lock(&mem.lock);
	if (mem.index == NULL)
		mem_sync(db, cause); /* the first vector of an API embedder */
	else if (mem_vec_ok(vec, mem.dim)) {
		char *why = NULL;

		if (hnsw_add(mem.index, id, vec, &why) == 0)
			mem.dirty = 1;
		else
			log_warn("memory #%lld not indexed: %s", (long long)id,
			    why);
		free(why);
		if (before == mem.generation)
			mem.generation = before + 1;
	}
	pthread_mutex_unlock(&mem.lock);
	free(*cause);
	*cause = NULL;
	goto out;
dberr:
	xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
	id = -1;
out:
	sqlite3_finalize(st);
	if (in_tx)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free(tags);
	free(vec);
	return id;
}

json_t *
memory_get(sqlite3 *db, int64_t id, int touch, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;

	*cause = NULL;
	if (touch) {
		if (sqlite3_prepare_v2(db,
			"UPDATE memories SET access_count = access_count + 1, "
			"last_access_ms = ?2 WHERE id = ?1",
			-1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, time_wall_ms());
			sqlite3_step(st);
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (sqlite3_prepare_v2(db,
		"SELECT " MEM_COLUMNS " FROM memories WHERE id = ?1", -1, &st,
		NULL) != SQLITE_OK) {
		xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = mem_row_json(st);
	sqlite3_finalize(st);
	return j;
}

int
mem_delete_row(sqlite3 *db, int64_t id, char **cause)
{
	sqlite3_stmt *st = NULL;
	char *content = NULL, *embedder = NULL;
	int rc = -1, n;

	if (sqlite3_prepare_v2(db,
		"SELECT content, embedder FROM memories WHERE id = ?1", -1, &st,
		NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return 0;
	}
	content = xstrdup((const char *)sqlite3_column_text(st, 0));
	embedder = xstrdup((const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	st = NULL;
	if (strncmp(embedder, "tfidf:", 6) == 0 &&
	    mem_df(db, content, strlen(content), -1, cause) != 0)
		goto out;
	if (sqlite3_prepare_v2(db, "DELETE FROM memories WHERE id = ?1", -1,
		&st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr;
	n = sqlite3_changes(db);
	mem_bump(db);
	if (mem.index != NULL && hnsw_delete(mem.index, id))
		mem.dirty = 1;
	rc = n > 0 ? 1 : 0;
	goto out;
dberr:
	xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	free(content);
	free(embedder);
	return rc;
}

int
memory_forget(sqlite3 *db, int64_t id, char **cause)
{
	long long before;
	int rc;

	if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		return -1;
	pthread_mutex_lock(&mem.lock);
	before = mem_generation(db);
	rc = mem_delete_row(db, id, cause);
	if (rc >= 0 && mem_exec(db, "COMMIT", cause) != 0)
		rc = -1;
	if (rc < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	else if (rc == 1 && before == mem.generation)
		mem.generation = before + 1;
	pthread_mutex_unlock(&mem.lock);
	return rc;
}

json_t *
memory_list(sqlite3 *db, const char *type, const char *tier, long limit,
    long offset, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *out = json_array();
	int rc;

	if (sqlite3_prepare_v2(db,
		"SELECT " MEM_COLUMNS " FROM memories WHERE (?1 IS NULL OR "
		"type = ?1) AND (?2 IS NULL OR tier = ?2) ORDER BY created_ms "
		"DESC, id DESC LIMIT ?3 OFFSET ?4",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit);
	sqlite3_bind_int64(st, 4, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(out, mem_row_json(st));
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return out;
fail:
	xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	json_decref(out);
	return NULL;
}

/* ---- tiers ---- */

struct mem_rank {
	int64_t id;
	double score;
	double retention;
	long tokens;
	int tier, prot, new_prot;
};

static int
mem_rank_cmp(const void *a, const void *b)
{
	const struct mem_rank *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

int
mem_retier(sqlite3 *db, int *promoted, int *demoted, int *protect, char **cause)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	struct mem_rank *r = NULL;
	size_t n = 0, i;
	int64_t now = time_wall_ms();
	long budget;
	int tier, np = 0, nd = 0, nprot = 0, rc = -1;
	enum mem_type type;

	if (sqlite3_prepare_v2(db,
		"SELECT id, type, tier, importance, protection, access_count, "
		"last_access_ms, length(CAST(content AS BLOB)) FROM memories",
		-1, &st, NULL) != SQLITE_OK)
		goto dberr;
	while (sqlite3_step(st) == SQLITE_ROW) {
		r = xreallocarray(r, n + 1, sizeof *r);
		type = (enum mem_type)mem_type_parse(
		    (const char *)sqlite3_column_text(st, 1));
		if ((int)type < 0)
			type = MEM_FACT;
		r[n].id = sqlite3_column_int64(st, 0);
		r[n].tier =
		    mem_tier_parse((const char *)sqlite3_column_text(st, 2));
		r[n].prot = sqlite3_column_int(st, 4);
		r[n].new_prot = mem_auto_protect((enum mem_protect)r[n].prot,
		    sqlite3_column_int64(st, 5));
		r[n].retention = mem_retention(type,
		    (enum mem_protect)r[n].new_prot,
		    sqlite3_column_int64(st, 5),
		    (double)(now - sqlite3_column_int64(st, 6)) / 3600000.0);
		r[n].score = sqlite3_column_double(st, 3) * r[n].retention;
		r[n].tokens = sqlite3_column_int(st, 7) / 4 + 1;
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n > 0)
		qsort(r, n, sizeof *r, mem_rank_cmp);
	if (sqlite3_prepare_v2(db,
		"UPDATE memories SET tier = ?2, protection = ?3 WHERE id = ?1",
		-1, &up, NULL) != SQLITE_OK)
		goto dberr;
	/* Hot: the best, as many as fit the context budget; cold: those
	 * that have faded. */
	budget = mem.hot_tokens;
	for (i = 0; i < n; i++) {
		if (r[i].score >= 0.3 && r[i].tokens <= budget) {
			tier = TIER_HOT;
			budget -= r[i].tokens;
		} else if (r[i].retention >= 0.15 || r[i].new_prot >= PROT_HIGH)
			tier = TIER_WARM;
		else
			tier = TIER_COLD;
		if (tier == r[i].tier && r[i].new_prot == r[i].prot)
			continue;
		if (tier < r[i].tier)
			np++;
		else if (tier > r[i].tier)
			nd++;
		if (r[i].new_prot != r[i].prot)
			nprot++;
		sqlite3_bind_int64(up, 1, r[i].id);
		sqlite3_bind_text(up, 2, mem_tier_name((enum mem_tier)tier), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(up, 3, r[i].new_prot);
		if (sqlite3_step(up) != SQLITE_DONE)
			goto dberr;
		sqlite3_reset(up);
	}
	rc = 0;
	if (promoted != NULL)
		*promoted = np;
	if (demoted != NULL)
		*demoted = nd;
	if (protect != NULL)
		*protect = nprot;
	goto out;
dberr:
	xasprintf(cause, "memory: tiers: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	free(r);
	return rc;
}

json_t *
memory_stats(sqlite3 *db, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *tiers = json_object(), *types = json_object(), *out;
	long long total = 0;
	int i;

	for (i = 0; i < TIER_NTIERS; i++)
		json_object_set_new(tiers, mem_tier_names[i], json_integer(0));
	if (sqlite3_prepare_v2(db,
		"SELECT tier, type, COUNT(*) FROM memories GROUP BY tier, type",
		-1, &st, NULL) != SQLITE_OK) {
		xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
		json_decref(tiers);
		json_decref(types);
		return NULL;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *tier = (const char *)sqlite3_column_text(st, 0);
		const char *type = (const char *)sqlite3_column_text(st, 1);
		long long c = sqlite3_column_int64(st, 2);

		json_object_set_new(tiers, tier,
		    json_integer(
			json_integer_value(json_object_get(tiers, tier)) + c));
		json_object_set_new(types, type,
		    json_integer(
			json_integer_value(json_object_get(types, type)) + c));
		total += c;
	}
	sqlite3_finalize(st);
	pthread_mutex_lock(&mem.lock);
	mem_sync(db, cause);
	free(*cause);
	*cause = NULL;
	out = json_pack("{s:I, s:o, s:o, s:s, s:i, s:{s:I, s:I, s:i, s:i, "
			"s:i}, s:I, s:I, s:I}",
	    "total", (json_int_t)total, "tiers", tiers, "types", types,
	    "embedder", mem.embedder, "dim", mem.dim, "index", "vectors",
	    (json_int_t)(mem.index != NULL ? hnsw_count(mem.index) : 0),
	    "deleted",
	    (json_int_t)(mem.index != NULL ? hnsw_deleted(mem.index) : 0), "m",
	    mem.m, "ef_construction", mem.ef_construction, "ef_search",
	    mem.ef_search, "documents", (json_int_t)mem_meta(db, "docs"),
	    "terms",
	    (json_int_t)mem_scalar(db, "SELECT COUNT(*) FROM memory_terms"),
	    "merged",
	    (json_int_t)mem_scalar(db, "SELECT COUNT(*) FROM memory_merged"));
	pthread_mutex_unlock(&mem.lock);
	return out;
}

json_t *
memory_tiers(sqlite3 *db, char **cause)
{
	json_t *out = json_object(), *list;
	int i;

	for (i = 0; i < TIER_NTIERS; i++) {
		if ((list = memory_list(db, NULL, mem_tier_names[i], 1000, 0,
			 cause)) == NULL) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, mem_tier_names[i], list);
	}
	return out;
}

long long
memory_stale(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;

	pthread_mutex_lock(&mem.lock);
	if (sqlite3_prepare_v2(db,
		"SELECT COUNT(*) FROM memories WHERE embedder != ?1", -1, &st,
		NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, mem.embedder, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&mem.lock);
	return n;
}
