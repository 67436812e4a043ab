/*
 * dream.c — consolidation, in four steps, with a report of each run:
 *
 *   orient       what is there (counts by tier and type)
 *   gather       retention, protection earned by use, tiers
 *   consolidate  near-duplicates (same type, cosine >= DREAM_MERGE_SIM;
 *                never summaries: compaction keeps those)
 *                merged into the more valuable one; the merged text is kept
 *                in memory_merged and its id in the survivor's sources
 *   prune/index  unprotected memories below memory.prune_threshold go;
 *                vectors of another embedder or of a stale IDF are
 *                re-embedded; a graph with many tombstones is rebuilt
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/gate.h"
#include "llm/models.h"
#include "store/db.h"
#include "memory/compact.h"
#include "memory/embed.h"
#include "memory/memory_int.h"
#include "memory/root.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define DREAM_MERGE_SIM 0.92
#define DREAM_NEIGHBOURS 5
#define DREAM_REEMBED_GROWTH 1.25 /* corpus growth that makes IDF stale */
#define DREAM_MAX_LISTED 100      /* ids listed in a report */
#define DREAM_REEMBED_BATCH 32    /* texts of one embeddings request */

struct dream_row {
	int64_t id;
	char type[32];
	double value; /* importance x retention: who survives a merge */
	int gone;
};

static int
dream_row_cmp(const void *a, const void *b)
{
	const struct dream_row *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct dream_row *
dream_find(struct dream_row *r, size_t n, int64_t id)
{
	struct dream_row key;

	key.id = id;
	return bsearch(&key, r, n, sizeof *r, dream_row_cmp);
}

/*
 * One statement that says what both near-duplicates say, from the model
 * of engine.default_model if its provider is configured.  A new string,
 * or NULL (no model, or it failed: the survivor keeps its text).
 */
static char *
dream_summarise(const struct config *cfg, const char *a, const char *b,
    char **why)
{
	struct llm_error err;
	char *prompt = NULL, *text = NULL;

	if (cfg == NULL ||
	    !llm_model_configured(cfg, config_str(cfg, "engine.default_model")))
		return NULL;
	xasprintf(&prompt,
	    "These two notes of a memory store say nearly the same thing. "
	    "Write one short note that keeps every fact of both. Answer with "
	    "the note only.\n\n1. %s\n2. %s",
	    a, b);
	text = mem_ask(cfg, "You consolidate notes. Never add facts.", 400,
	    prompt, strlen(prompt), &err);
	free(prompt);
	if (text == NULL && err.cls != LLM_OK)
		xasprintf(why, "%s", err.message);
	else if (text == NULL)
		xasprintf(why,
		    "the model's summary was empty, too long or not "
		    "UTF-8");
	return text;
}

char *
mem_ask(const struct config *cfg, const char *system, int max_tokens,
    const char *prompt, size_t len, struct llm_error *err)
{
	struct llm_request req;
	struct llm_response resp;
	json_t *messages;
	char *text;

	memset(err, 0, sizeof *err);
	if ((messages = json_pack("[{s:s, s:s%}]", "role", "user", "content",
		 prompt, len)) == NULL) {
		err->cls = LLM_ERR_BAD_REQUEST;
		snprintf(err->message, sizeof err->message,
		    "memory: the prompt is not UTF-8");
		return NULL;
	}
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.system = system;
	req.messages = messages;
	req.max_tokens = max_tokens;
	req.temperature = 0;
	req.phase = "dream";
	if (gate_call(cfg, NULL, &req, NULL, NULL, mem_stop(), &resp, NULL,
		err) != 0) {
		json_decref(messages);
		return NULL;
	}
	json_decref(messages);
	text = mem_note_text(llm_response_text(&resp));
	llm_response_free(&resp);
	return text;
}

char *
mem_note_text(char *text)
{
	size_t n, start;
	json_t *check;

	if (text == NULL)
		return NULL;
	start = strspn(text, " \t\r\n");
	n = strlen(text + start);
	while (n > 0 && strchr(" \t\r\n", text[start + n - 1]) != NULL)
		n--;
	check = json_stringn(text + start, n);
	if (n == 0 || n > MEMORY_MAX_CONTENT || check == NULL) {
		json_decref(check);
		free(text);
		return NULL;
	}
	json_decref(check);
	memmove(text, text + start, n);
	text[n] = '\0';
	return text;
}

/* The survivor of a merge takes the summary as its text (mem.lock held,
 * in a transaction): terms, vector and index follow. */
int
mem_rewrite(sqlite3 *db, int64_t id, const char *text, const float *apivec,
    char **cause)
{
	sqlite3_stmt *st = NULL;
	char *old = NULL;
	float *vec = NULL;
	const float *v = apivec;
	int rc = -1, ok;

	if ((st = db_prepare(db, "SELECT content FROM memories WHERE id = ?1",
		 "I", (int64_t)id)) == NULL)
		goto dberr;
	if (sqlite3_step(st) == SQLITE_ROW)
		old = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	if (old == NULL)
		return 0;
	if (!mem.api) {
		if (mem_df(db, old, strlen(old), -1, cause) != 0 ||
		    mem_df(db, text, strlen(text), 1, cause) != 0)
			goto out;
		v = vec = mem_embed_offline(db, text, strlen(text));
	}
	ok = v != NULL && mem_vec_ok(v, mem.dim);
	if (db_exec(db,
		"UPDATE memories SET content = ?2, embedding = ?3, embedder = ?4 "
		"WHERE id = ?1",
		"Itbt", (int64_t)id, text, ok ? (const void *)v : NULL,
		mem.dim * (int)sizeof(float), mem.embedder) < 0)
		goto dberr;
	if (root_note(db, id, cause) != 0)
		goto out;
	if (mem.index != NULL) {
		if (ok && hnsw_add(mem.index, id, v, cause) != 0)
			goto out;
		if (!ok)
			hnsw_delete(mem.index, id);
		mem.dirty = 1;
	}
	mem_bump(db);
	rc = 0;
	goto out;
dberr:
	xasprintf(cause, "memory: summary: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	free(old);
	free(vec);
	return rc;
}

/* The text of a memory (new string), or NULL. */
static char *
dream_text(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st = NULL;
	char *t = NULL;

	if ((st = db_prepare(db, "SELECT content FROM memories WHERE id = ?1",
		 "I", (int64_t)id)) != NULL &&
	    sqlite3_step(st) == SQLITE_ROW)
		t = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return t;
}

/* Merge `from` into `into` (mem.lock held, in a transaction). */
static int
dream_merge(sqlite3 *db, int64_t into, int64_t from, double sim, char **cause)
{
	/* Provenance first: the merged text is kept. */
	static const char keep_sql[] =
	    "INSERT INTO memory_merged (id, into_id, content, type, "
	    "created_ms, merged_ms, similarity) SELECT id, ?1, content, "
	    "type, created_ms, ?3, ?4 FROM memories WHERE id = ?2";
	/* The survivor takes its use, weight and tags. */
	static const char take_sql[] =
	    "UPDATE memories SET "
	    "access_count = access_count + (SELECT access_count FROM "
	    "memories WHERE id = ?2), "
	    "importance = max(importance, (SELECT importance FROM memories "
	    "WHERE id = ?2)), "
	    "protection = max(protection, (SELECT protection FROM memories "
	    "WHERE id = ?2)), "
	    "last_access_ms = max(last_access_ms, (SELECT last_access_ms "
	    "FROM memories WHERE id = ?2)), "
	    "tags = (SELECT json_group_array(DISTINCT value) FROM (SELECT "
	    "value FROM json_each(memories.tags) UNION SELECT value FROM "
	    "json_each((SELECT tags FROM memories WHERE id = ?2)))), "
	    "sources = (SELECT json_group_array(value) FROM (SELECT value "
	    "FROM json_each(memories.sources) UNION SELECT ?2 UNION SELECT "
	    "value FROM json_each((SELECT sources FROM memories WHERE id = "
	    "?2)))) "
	    "WHERE id = ?1";

	if (db_exec(db, keep_sql, "IIId", (int64_t)into, (int64_t)from,
		(int64_t)time_wall_ms(), sim) < 0 ||
	    db_exec(db, take_sql, "II", (int64_t)into, (int64_t)from) < 0) {
		xasprintf(cause, "memory: merge: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (mem_delete_row(db, from, cause) < 0)
		return -1;
	return root_note(db, into, cause);
}

/* Consolidate: near-duplicates of the same type. */
static int
dream_consolidate(sqlite3 *db, const struct config *cfg, json_t *pairs,
    int *merged, int *summarised, char **cause)
{
	struct dream_row *r = NULL, *a, *b;
	struct hnsw_hit hits[DREAM_NEIGHBOURS + 1];
	sqlite3_stmt *st = NULL;
	const void *blob;
	char *ta = NULL, *tb = NULL, *summary = NULL, *why = NULL;
	float *apivec = NULL;
	json_t *pair;
	size_t n = 0, i, k, nh;
	int64_t keep, drop;
	int rc = -1;

	*merged = 0;
	if ((st = db_prepare(db,
		 "SELECT id, type, importance, embedding, embedder FROM memories "
		 "WHERE embedding IS NOT NULL AND type != 'summary' ORDER BY id",
		 "")) == NULL)
		goto dberr;
	while (sqlite3_step(st) == SQLITE_ROW) {
		r = xreallocarray(r, n + 1, sizeof *r);
		r[n].id = sqlite3_column_int64(st, 0);
		snprintf(r[n].type, sizeof r[n].type, "%s",
		    (const char *)sqlite3_column_text(st, 1));
		r[n].value = sqlite3_column_double(st, 2);
		r[n].gone = 0;
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((st = db_prepare(db,
		 "SELECT embedding FROM memories WHERE id = ?1 AND embedder = ?2",
		 "")) == NULL)
		goto dberr;
	for (i = 0; i < n; i++) {
		a = &r[i];
		if (a->gone)
			continue;
		/* The neighbours under the index's lock, the merges after
		 * it: a writer takes the database before the index, never the
		 * other way round. */
		pthread_mutex_lock(&mem.lock);
		sqlite3_bind_int64(st, 1, a->id);
		sqlite3_bind_text(st, 2, mem.embedder, -1, SQLITE_STATIC);
		nh = 0;
		if (sqlite3_step(st) == SQLITE_ROW && mem.index != NULL &&
		    (blob = sqlite3_column_blob(st, 0)) != NULL &&
		    sqlite3_column_bytes(st, 0) == mem.dim * (int)sizeof(float))
			nh = hnsw_search(mem.index, blob, DREAM_NEIGHBOURS + 1,
			    0, hits);
		sqlite3_reset(st);
		pthread_mutex_unlock(&mem.lock);
		for (k = 0; k < nh; k++) {
			if (hits[k].id == a->id ||
			    hits[k].score < DREAM_MERGE_SIM)
				continue;
			if ((b = dream_find(r, n, hits[k].id)) == NULL ||
			    b->gone || strcmp(a->type, b->type) != 0)
				continue;
			/* The more important one stays; at a tie, the older
			 * (it has the longer history). */
			if (b->value > a->value) {
				keep = b->id;
				drop = a->id;
			} else {
				keep = a->id;
				drop = b->id;
			}
			/* The model (and an API embedding) before any
			 * lock: both may take seconds. */
			ta = dream_text(db, keep);
			tb = dream_text(db, drop);
			/* Word vectors make "on Monday" and "on Tuesday" all
			 * but equal: with them a merge needs the same words
			 * too. */
			if (mem.local && ta != NULL && tb != NULL &&
			    embed_terms_similarity(ta, tb) < DREAM_MERGE_SIM) {
				free(ta);
				free(tb);
				ta = tb = NULL;
				continue;
			}
			summary = ta != NULL && tb != NULL ?
			    dream_summarise(cfg, ta, tb, &why) :
			    NULL;
			if (why != NULL) {
				log_warn("memory: dream: no summary: %s", why);
				free(why);
				why = NULL;
			}
			apivec = summary != NULL && mem.api ?
			    mem_embed(db, summary, strlen(summary), NULL, NULL,
				&why) :
			    NULL;
			free(why);
			why = NULL;
			if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0)
				goto out;
			pthread_mutex_lock(&mem.lock);
			if (dream_merge(db, keep, drop, hits[k].score, cause) !=
				0 ||
			    (summary != NULL && (!mem.api || apivec != NULL) &&
				mem_rewrite(db, keep, summary, apivec, cause) !=
				    0) ||
			    mem_exec(db, "COMMIT", cause) != 0) {
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
				pthread_mutex_unlock(&mem.lock);
				goto out;
			}
			pthread_mutex_unlock(&mem.lock);
			(*merged)++;
			pair = json_pack("{s:I, s:I, s:f}", "kept",
			    (json_int_t)keep, "merged", (json_int_t)drop,
			    "similarity", round(hits[k].score * 1e4) / 1e4);
			if (summary != NULL && (!mem.api || apivec != NULL)) {
				/* Provenance of the rewrite: both texts. */
				(*summarised)++;
				json_object_set_new(pair, "summary",
				    json_pack("{s:s, s:s?, s:s?}", "text",
					summary, "kept_text", ta, "merged_text",
					tb));
			}
			if (json_array_size(pairs) < DREAM_MAX_LISTED)
				json_array_append_new(pairs, pair);
			else
				json_decref(pair);
			free(ta);
			free(tb);
			free(summary);
			free(apivec);
			ta = tb = summary = NULL;
			apivec = NULL;
			dream_find(r, n, drop)->gone = 1;
			if (drop == a->id)
				break;
		}
	}
	rc = 0;
	goto out;
dberr:
	xasprintf(cause, "memory: dream: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	free(r);
	free(ta);
	free(tb);
	free(summary);
	free(apivec);
	return rc;
}

/* Prune: unprotected memories whose retention fell below the threshold. */
static int
dream_prune(sqlite3 *db, json_t *ids, int *pruned, char **cause)
{
	sqlite3_stmt *st = NULL;
	int64_t *victims = NULL, now = time_wall_ms();
	size_t n = 0, i;
	enum mem_type type;
	double r;
	int rc = -1;

	*pruned = 0;
	if ((st = db_prepare(db,
		 "SELECT id, type, access_count, last_access_ms, " MEM_COVERED_SQL
		 " FROM memories WHERE protection = 0",
		 "")) == NULL) {
		xasprintf(cause, "memory: prune: %s", sqlite3_errmsg(db));
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		type = (enum mem_type)mem_type_parse(
		    (const char *)sqlite3_column_text(st, 1));
		r = mem_retention((int)type < 0 ? MEM_FACT : type, PROT_NONE,
		    sqlite3_column_int64(st, 2),
		    (double)(now - sqlite3_column_int64(st, 3)) / 3600000.0 *
			(sqlite3_column_int(st, 4) ? mem.covered_decay : 1));
		if (r >= mem.prune_threshold)
			continue;
		victims = xreallocarray(victims, n + 1, sizeof *victims);
		victims[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		goto out;
	pthread_mutex_lock(&mem.lock);
	for (i = 0; i < n; i++) {
		if (mem_delete_row(db, victims[i], cause) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			pthread_mutex_unlock(&mem.lock);
			goto out;
		}
		if (json_array_size(ids) < DREAM_MAX_LISTED)
			json_array_append_new(ids, json_integer(victims[i]));
	}
	if (mem_exec(db, "COMMIT", cause) != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		pthread_mutex_unlock(&mem.lock);
		goto out;
	}
	pthread_mutex_unlock(&mem.lock);
	*pruned = (int)n;
	rc = 0;
out:
	free(victims);
	return rc;
}

/*
 * Re-embed what another embedder made, or (TF-IDF) what was embedded
 * while the corpus was much smaller.  Returns how many, or -1.
 */
static int
dream_reembed(sqlite3 *db, char **cause)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	char embedder[128];
	long long docs, then;
	struct llm_error err;
	int64_t *ids = NULL;
	char **texts = NULL;
	size_t n = 0, i, j, batch;
	float *vs, *v;
	int all, done = 0, dim, zero, k;

	pthread_mutex_lock(&mem.lock);
	snprintf(embedder, sizeof embedder, "%s", mem.embedder);
	pthread_mutex_unlock(&mem.lock);
	docs = 0;
	then = 0;
	if ((st = db_prepare(db,
		 "SELECT (SELECT value FROM memory_meta WHERE key = 'docs'), "
		 "(SELECT value FROM memory_meta WHERE key = 'idf_docs')",
		 "")) != NULL &&
	    sqlite3_step(st) == SQLITE_ROW) {
		docs = sqlite3_column_int64(st, 0);
		then = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	st = NULL;
	all = strncmp(embedder, "tfidf:", 6) == 0 &&
	    (double)docs > (double)then * DREAM_REEMBED_GROWTH;
	if ((st = db_prepare(db,
		 "SELECT id, content FROM memories WHERE ?1 OR embedder != ?2 "
		 "OR embedding IS NULL",
		 "it", all, embedder)) == NULL)
		goto dberr;
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		texts = xreallocarray(texts, n + 1, sizeof *texts);
		ids[n] = sqlite3_column_int64(st, 0);
		texts[n] = xstrdup((const char *)sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((up = db_prepare(db,
		 "UPDATE memories SET embedding = ?2, embedder = ?3 WHERE id = ?1",
		 "")) == NULL)
		goto dberr;
	/* A batch at a time: one provider request each (API embedder). */
	for (i = 0; i < n; i += batch) {
		batch =
		    n - i < DREAM_REEMBED_BATCH ? n - i : DREAM_REEMBED_BATCH;
		if ((vs = mem_embed_many(db, (const char *const *)texts + i,
			 batch, NULL, &err, cause)) == NULL) {
			log_warn("memory: re-embedding %zu memories from #%lld: "
				 "%s",
			    batch, (long long)ids[i], *cause);
			free(*cause);
			*cause = NULL;
			if (err.cls == LLM_ERR_CANCELLED)
				break; /* stopping: the next dream does it */
			continue;
		}
		dim = memory_dim();
		for (j = i; j < i + batch; j++) {
			v = vs + (j - i) * (size_t)dim;
			zero = 1;
			for (k = 0; k < dim && zero; k++)
				zero = v[k] == 0;
			sqlite3_bind_int64(up, 1, ids[j]);
			/* No term to index ("the of and"): no vector. */
			if (zero)
				sqlite3_bind_null(up, 2);
			else
				sqlite3_bind_blob(up, 2, v,
				    dim * (int)sizeof(float), SQLITE_TRANSIENT);
			sqlite3_bind_text(up, 3, embedder, -1, SQLITE_STATIC);
			if (sqlite3_step(up) == SQLITE_DONE)
				done++;
			sqlite3_reset(up);
			pthread_mutex_lock(&mem.lock);
			if (mem.index != NULL && !zero &&
			    hnsw_add(mem.index, ids[j], v, cause) == 0)
				mem.dirty = 1;
			free(*cause);
			*cause = NULL;
			pthread_mutex_unlock(&mem.lock);
		}
		free(vs);
	}
	if (all)
		db_exec(db,
		    "INSERT INTO memory_meta (key, value) VALUES ('idf_docs', "
		    "?1) ON CONFLICT (key) DO UPDATE SET value = ?1",
		    "I", (int64_t)docs);
	goto out;
dberr:
	xasprintf(cause, "memory: re-embedding: %s", sqlite3_errmsg(db));
	done = -1;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(ids);
	return done;
}

json_t *
memory_dream(sqlite3 *db, const struct config *cfg, const char *reason,
    char **cause)
{
	json_t *report = NULL, *before, *after, *pairs, *pruned_ids;
	json_t *tuned = NULL, *compacted = NULL;
	uint64_t t0 = time_mono_ms();
	char started[40];
	int promoted = 0, demoted = 0, protect = 0, merged = 0, pruned = 0;
	int reembedded, rebuilt = 0, summarised = 0;
	char *text;

	time_rfc3339(time_wall_ms(), started, sizeof started);
	pairs = json_array();
	pruned_ids = json_array();
	/* Orient. */
	if ((before = memory_stats(db, cause)) == NULL)
		goto out;
	/* Index first: consolidation compares vectors of one embedder. */
	if ((reembedded = dream_reembed(db, cause)) < 0)
		goto out;
	/* Gather signal. */
	if (mem_retier(db, &promoted, &demoted, &protect, cause) != 0)
		goto out;
	/* Consolidate. */
	if (dream_consolidate(db, cfg, pairs, &merged, &summarised, cause) != 0)
		goto out;
	/* The compaction tree (memory.compaction): its failure is logged,
	 * its periods wait for the next dream. */
	if (mem.compaction &&
	    (compacted = memory_compact(db, cfg, "dream", cause)) == NULL) {
		log_warn("%s", *cause);
		free(*cause);
		*cause = NULL;
	}
	/* Prune and index. */
	if (dream_prune(db, pruned_ids, &pruned, cause) != 0)
		goto out;
	if (mem_retier(db, NULL, NULL, NULL, cause) != 0)
		goto out;
	/* The ROOT index, rebuilt: whatever drifted heals. */
	if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		goto out;
	if (root_rebuild(db, cause) != 0 ||
	    mem_exec(db, "COMMIT", cause) != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	pthread_mutex_lock(&mem.lock);
	if (mem.index != NULL &&
	    hnsw_deleted(mem.index) > hnsw_count(mem.index) / 4 + 16) {
		hnsw_free(mem.index);
		mem.index = NULL;
		rebuilt = 1;
	}
	mem.generation = -1; /* check against the database */
	mem_sync(db, cause);
	free(*cause);
	*cause = NULL;
	pthread_mutex_unlock(&mem.lock);
	if (memory_flush(cause) != 0)
		goto out;
	if (memory_tune_due() &&
	    (tuned = memory_tune(db, NULL, cause)) == NULL) {
		log_warn("%s", *cause);
		free(*cause);
		*cause = NULL;
	}
	if ((after = memory_stats(db, cause)) == NULL)
		goto out;

	report = json_pack("{s:s, s:s, s:I, s:{s:O, s:O}, s:{s:i, s:i, "
			   "s:i}, s:{s:i, s:o}, s:{s:i, s:o, s:f}, s:{s:i, "
			   "s:b, s:O}, s:{s:O, s:O}, s:s}",
	    "started_at", started, "reason", reason, "duration_ms",
	    (json_int_t)0, "orient", "total", json_object_get(before, "total"),
	    "tiers", json_object_get(before, "tiers"), "signal", "promoted",
	    promoted, "demoted", demoted, "protected", protect, "consolidate",
	    "merged", merged, "pairs", pairs, "prune", "pruned", pruned, "ids",
	    pruned_ids, "threshold", mem.prune_threshold, "index", "reembedded",
	    reembedded, "rebuilt", rebuilt, "vectors",
	    json_object_get(json_object_get(after, "index"), "vectors"),
	    "after", "total", json_object_get(after, "total"), "tiers",
	    json_object_get(after, "tiers"), "summaries", "");
	json_object_set_new(report, "summaries", json_integer(summarised));
	json_object_set_new(report, "compaction",
	    compacted != NULL ? compacted : json_null());
	compacted = NULL;
	if (tuned == NULL) { /* not due: the one in use */
		pthread_mutex_lock(&mem.lock);
		tuned = mem_tuning_json();
		pthread_mutex_unlock(&mem.lock);
	}
	json_object_set_new(json_object_get(report, "index"), "tuning", tuned);
	tuned = NULL;
	pairs = pruned_ids = NULL;
	json_decref(after);
	json_object_set_new(report, "duration_ms",
	    json_integer((json_int_t)(time_mono_ms() - t0)));
	text = json_dumps(report, JSON_COMPACT);
	if (db_exec(db,
		"INSERT INTO memory_dreams (started_at, duration_ms, reason, "
		"report) VALUES (?1, ?2, ?3, ?4)",
		"tItt", started, (int64_t)(time_mono_ms() - t0), reason,
		text) >= 0)
		json_object_set_new(report, "id",
		    json_integer(sqlite3_last_insert_rowid(db)));
	free(text);
	log_info("memory: dream (%s): %d merged, %d pruned, %d promoted, %d "
		 "demoted, %d re-embedded",
	    reason, merged, pruned, promoted, demoted, reembedded);
out:
	json_decref(compacted);
	json_decref(tuned);
	json_decref(before);
	json_decref(pairs);
	json_decref(pruned_ids);
	return report;
}

/* A stored report (id, report) with its id; NULL if it does not parse. */
static json_t *
dream_report_row(sqlite3_stmt *st)
{
	json_t *r;

	r = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
	if (r != NULL)
		json_object_set_new(r, "id",
		    json_integer(sqlite3_column_int64(st, 0)));
	return r;
}

json_t *
memory_dream_reports(sqlite3 *db, long limit, char **cause)
{
	json_t *out = json_array();

	if (db_collect(db_prepare(db,
			   "SELECT id, report FROM memory_dreams ORDER BY id "
			   "DESC LIMIT ?1",
			   "I", (int64_t)limit),
		dream_report_row, out) == 0)
		return out;
	xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
	json_decref(out);
	return NULL;
}
