/*
 * store.c — memories as rows: checked, classified, embedded and inserted
 * in one transaction; read, listed, forgotten; re-tiered by retention and
 * the hot budget; counted.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory/embed.h"
#include "memory/memory_int.h"
#include "memory/root.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

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
	enum mem_type type;
	char *tags = NULL;
	float *vec = NULL;
	double importance;
	int64_t id = -1, now = mem_clock_ms();
	long long before;
	char resource[32];
	int in_tx = 0;

	if (m->embed_err != NULL)
		memset(m->embed_err, 0, sizeof *m->embed_err);
	if (m->store_failed != NULL)
		*m->store_failed = 0;
	if (mem_check(m, &tags, cause) != 0)
		return -1;
	type = m->type >= 0 ? (enum mem_type)m->type :
			      mem_classify(m->content, m->len);
	importance =
	    m->importance >= 0 ? m->importance : mem_types[type].importance;
	/* An API embedding is fetched before the transaction: the network
	 * must not hold the database. */
	if (mem.api &&
	    (vec = mem_embed(db, m->content, m->len, m->cancel, m->embed_err,
		 cause)) == NULL)
		goto out;
	if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0) {
		if (m->store_failed != NULL)
			*m->store_failed = 1;
		goto out;
	}
	in_tx = 1;
	before = mem_generation(db);
	if (!mem.api) {
		if (mem_df(db, m->content, m->len, 1, cause) != 0)
			goto out;
		pthread_mutex_lock(&mem.lock);
		vec = mem_embed_offline(db, m->content, m->len);
		pthread_mutex_unlock(&mem.lock);
	}
	/* m->content need not end at m->len: bound with its length. */
	if (db_exec(db,
		"INSERT INTO memories (content, type, tier, importance, "
		"protection, last_access_ms, created_ms, session_id, "
		"agent_id, space, tags, embedder, embedding) VALUES (?1, ?2, "
		"?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		"TttdiItttttb", m->content, (int)m->len, mem_types[type].name,
		importance >= 0.8 ? "hot" : "warm", importance,
		(int)(m->protect >= 0 ? m->protect : PROT_NONE), (int64_t)now,
		m->session_id, m->agent_id, m->space, tags, mem.embedder,
		mem_vec_ok(vec, mem.dim) ? (const void *)vec : NULL,
		mem.dim * (int)sizeof(float)) < 0)
		goto dberr;
	id = sqlite3_last_insert_rowid(db);
	mem_bump(db);
	if (root_note(db, id, cause) != 0) {
		id = -1;
		goto out;
	}
	if (m->audit_actor != NULL) {
		snprintf(resource, sizeof resource, "memory:%lld",
		    (long long)id);
		if (audit_append_tx(db, m->audit_actor, AUDIT_MEMORY_WRITE,
			resource, m->audit_detail, cause) < 0) {
			id = -1;
			goto out;
		}
	}
	if (m->in_tx != NULL && m->in_tx(db, id, m->in_tx_arg, cause) != 0) {
		id = -1;
		goto out;
	}
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
	if (in_tx) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		if (m->store_failed != NULL)
			*m->store_failed = 1;
	}
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
	if (touch)
		db_exec(db,
		    "UPDATE memories SET access_count = access_count + 1, "
		    "last_access_ms = ?2 WHERE id = ?1",
		    "II", (int64_t)id, (int64_t)time_wall_ms());
	if ((st = db_prepare(db,
		 "SELECT " MEM_COLUMNS " FROM memories WHERE id = ?1", "I",
		 (int64_t)id)) == NULL) {
		xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
		return NULL;
	}
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

	if ((st = db_prepare(db,
		 "SELECT content, embedder FROM memories WHERE id = ?1", "I",
		 (int64_t)id)) == NULL)
		goto dberr;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return 0;
	}
	content = xstrdup((const char *)sqlite3_column_text(st, 0));
	embedder = xstrdup((const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	st = NULL;
	/* Counted in the terms by an offline embedder (memory_add()). */
	if ((strncmp(embedder, "tfidf:", 6) == 0 ||
		strncmp(embedder, "local:", 6) == 0) &&
	    mem_df(db, content, strlen(content), -1, cause) != 0)
		goto out;
	if ((n = (int)db_exec(db, "DELETE FROM memories WHERE id = ?1", "I",
		 (int64_t)id)) < 0)
		goto dberr;
	mem_bump(db);
	if (root_note(db, id, cause) != 0)
		goto out;
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
	json_t *out = json_array();

	if (db_collect(db_prepare(db,
			   "SELECT " MEM_COLUMNS " FROM memories WHERE (?1 IS "
			   "NULL OR type = ?1) AND (?2 IS NULL OR tier = ?2) "
			   "ORDER BY created_ms DESC, id DESC LIMIT ?3 OFFSET "
			   "?4",
			   "ttII", type, tier, (int64_t)limit, (int64_t)offset),
		mem_row_json, out) == 0)
		return out;
	xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
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

	if ((st = db_prepare(db,
		 "SELECT id, type, tier, importance, protection, access_count, "
		 "last_access_ms, length(CAST(content AS BLOB)), " MEM_COVERED_SQL
		 " FROM memories",
		 "")) == NULL)
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
		    (double)(now - sqlite3_column_int64(st, 6)) / 3600000.0 *
			(sqlite3_column_int(st, 8) ? mem.covered_decay : 1));
		r[n].score = sqlite3_column_double(st, 3) * r[n].retention;
		r[n].tokens = sqlite3_column_int(st, 7) / 4 + 1;
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n > 0)
		qsort(r, n, sizeof *r, mem_rank_cmp);
	if ((up = db_prepare(db,
		 "UPDATE memories SET tier = ?2, protection = ?3 WHERE id = ?1",
		 "")) == NULL)
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
		json_object_set_new(tiers, mem_tier_name((enum mem_tier)i),
		    json_integer(0));
	if ((st = db_prepare(db,
		 "SELECT tier, type, COUNT(*) FROM memories GROUP BY tier, type",
		 "")) == NULL) {
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
	    mem.index != NULL ? hnsw_ef(mem.index) : mem.ef_search, "documents",
	    (json_int_t)mem_meta(db, "docs"), "terms",
	    (json_int_t)mem_scalar(db, "SELECT COUNT(*) FROM memory_terms"),
	    "merged",
	    (json_int_t)mem_scalar(db, "SELECT COUNT(*) FROM memory_merged"));
	json_object_set_new(out, "topics",
	    json_integer(mem_scalar(db, "SELECT COUNT(*) FROM memory_topics")));
	json_object_set_new(out, "searches", json_integer(memory_searches()));
	json_object_set_new(json_object_get(out, "index"), "ef_search_mode",
	    json_string(mem.ef_search == 0 ? "auto" : "fixed"));
	json_object_set_new(json_object_get(out, "index"), "tuning",
	    mem_tuning_json());
	json_object_set_new(json_object_get(out, "index"), "search",
	    json_string(mem.index != NULL && hnsw_scan_cheaper(mem.index) ?
		    "scan" :
		    "graph"));
	pthread_mutex_unlock(&mem.lock);
	return out;
}

json_t *
memory_tiers(sqlite3 *db, char **cause)
{
	json_t *out = json_object(), *list;
	int i;

	for (i = 0; i < TIER_NTIERS; i++) {
		if ((list = memory_list(db, NULL,
			 mem_tier_name((enum mem_tier)i), 1000, 0, cause)) ==
		    NULL) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, mem_tier_name((enum mem_tier)i), list);
	}
	return out;
}

long long
memory_stale(sqlite3 *db)
{
	int64_t n = 0;

	pthread_mutex_lock(&mem.lock);
	db_int(db, "SELECT COUNT(*) FROM memories WHERE embedder != ?1", &n,
	    "t", mem.embedder);
	pthread_mutex_unlock(&mem.lock);
	return (long long)n;
}
