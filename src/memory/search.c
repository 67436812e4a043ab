/*
 * search.c — hybrid search: BM25 over FTS5 and cosine over the HNSW graph,
 * merged by reciprocal rank fusion (each list contributes 1 / (k + rank)),
 * weighted by retention and tier; and proactive recall for a context.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/embed.h"
#include "memory/memory_int.h"
#include "memory/root.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define SEARCH_DEPTH 50 /* candidates from each list */
#define SEARCH_MAX_LIMIT 1000
#define SEARCH_MIN_SIM 0.05      /* ... and below this, even in a search */
#define SEARCH_MAX_TERMS 8       /* keyword terms of a query, the rarest */
#define SEARCH_MAX_POSTINGS 1000 /* rows BM25 may score for one query */
/* The search floor for the local embedder (the recall floor beside
 * MEM_RECALL_MIN_SIM, memory_int.h, says why). */
#define LOCAL_SEARCH_MIN_SIM 0.5

struct hit {
	int64_t id;
	int bm25_rank; /* 1-based, 0: not in that list */
	int vec_rank;
	double sim; /* cosine, when in the vector list */
	double score;
	json_t *row;
};

struct qterm {
	const char *term;
	long long df;
};

static int
qterm_cmp(const void *a, const void *b)
{
	const struct qterm *x = a, *y = b;

	return x->df < y->df ? -1 : x->df > y->df;
}

/*
 * The FTS5 query for free text: its terms, quoted, OR'ed ("" if none).
 * The rarest SEARCH_MAX_TERMS only, while the memories they occur in add
 * up to at most SEARCH_MAX_POSTINGS (BM25 scores every one of them), and
 * none that is in more than a tenth of the memories (and more than 50):
 * such words add almost nothing to BM25.  When even the rarest is that
 * common, it alone, *ranked = 0: its newest matches, not scored.
 */
static char *
search_fts_query(sqlite3 *db, const char *text, int *ranked)
{
	struct embed_term *t;
	struct qterm *qt;
	sqlite3_stmt *st = NULL;
	struct buf b;
	long long docs = 0, common, postings = 0;
	size_t n, i, k = 0;

	n = embed_terms(text, strlen(text), &t);
	qt = xcalloc(n + 1, sizeof *qt);
	if ((st = db_prepare(db,
		 "SELECT (SELECT value FROM memory_meta WHERE key = 'docs'), "
		 "(SELECT df FROM memory_terms WHERE term = ?1)",
		 "")) != NULL) {
		for (i = 0; i < n; i++) {
			sqlite3_bind_text(st, 1, t[i].term, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW) {
				docs = sqlite3_column_int64(st, 0);
				qt[k].df = sqlite3_column_int64(st, 1);
			}
			sqlite3_reset(st);
			/* df counts contents only; FTS has the tags too. */
			qt[k++].term = t[i].term;
		}
	}
	sqlite3_finalize(st);
	qsort(qt, k, sizeof *qt, qterm_cmp);
	common = docs / 10 > 50 ? docs / 10 : 50;
	buf_init(&b, BUF_NOCAP);
	*ranked = 1;
	if (k > 0 && (qt[0].df > common || qt[0].df > SEARCH_MAX_POSTINGS)) {
		/* Even the rarest word is everywhere: its newest matches,
		 * unranked (walking a posting list is cheap; scoring it is
		 * not). */
		*ranked = 0;
		buf_printf(&b, "\"%s\"", qt[0].term);
		k = 0;
	}
	for (i = 0; i < k && i < SEARCH_MAX_TERMS; i++) {
		if (qt[i].df > common ||
		    postings + qt[i].df > SEARCH_MAX_POSTINGS)
			break;
		postings += qt[i].df;
		if (i > 0)
			buf_adds(&b, " OR ");
		/* Terms hold letters, digits and UTF-8 only: no quote to
		 * escape. */
		buf_printf(&b, "\"%s\"", qt[i].term);
	}
	free(qt);
	embed_terms_free(t, n);
	return buf_detach(&b);
}

static struct hit *
search_find(struct hit *h, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (h[i].id == id)
			return &h[i];
	}
	return NULL;
}

static int
search_hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Read what scoring and filtering need of candidate h (not the whole row:
 * most candidates are not shown; `st` takes its id as ?3).  Returns 1 if
 * it passes the filters, with h->score set.
 */
static int
search_score(sqlite3_stmt *st, const struct mem_query *q, struct hit *h)
{
	const char *tier, *type, *space, *tags;
	enum mem_type t;
	double r, tierw;
	char quoted[MEMORY_MAX_TAG * 2 + 3];
	int64_t now = time_wall_ms();

	sqlite3_bind_int64(st, 3, h->id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	type = (const char *)sqlite3_column_text(st, 0);
	tier = (const char *)sqlite3_column_text(st, 1);
	space = (const char *)sqlite3_column_text(st, 5);
	tags = (const char *)sqlite3_column_text(st, 6);
	if ((!q->include_cold && strcmp(tier, "cold") == 0) ||
	    (q->type >= 0 && strcmp(type, mem_types[q->type].name) != 0) ||
	    (q->space != NULL &&
		(space == NULL || strcmp(space, q->space) != 0))) {
		sqlite3_reset(st);
		return 0;
	}
	if (q->tag != NULL) {
		/* Tags are a JSON array of strings written by us: a quoted
		 * match is exact (a quote inside a tag is escaped). */
		json_t *want = json_string(q->tag);
		char *enc = want != NULL ?
		    json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT) :
		    NULL;

		snprintf(quoted, sizeof quoted, "%s", enc != NULL ? enc : "");
		free(enc);
		json_decref(want);
		if (tags == NULL || strstr(tags, quoted) == NULL) {
			sqlite3_reset(st);
			return 0;
		}
	}
	t = (enum mem_type)mem_type_parse(type);
	r = mem_retention((int)t < 0 ? MEM_FACT : t,
	    (enum mem_protect)sqlite3_column_int(st, 2),
	    sqlite3_column_int64(st, 3),
	    (double)(now - sqlite3_column_int64(st, 4)) / 3600000.0);
	tierw = strcmp(tier, "hot") == 0 ? 1.0 :
	    strcmp(tier, "warm") == 0    ? 0.9 :
					   0.6;
	h->score =
	    ((h->bm25_rank > 0 ? 1.0 / (MEMORY_RRF_K + h->bm25_rank) : 0) +
		(h->vec_rank > 0 ? 1.0 / (MEMORY_RRF_K + h->vec_rank) : 0)) *
	    tierw * (0.5 + 0.5 * r);
	sqlite3_reset(st);
	return 1;
}

/* Searches run (memory_searches()). */
static atomic_llong search_count;

long long
memory_searches(void)
{
	return atomic_load(&search_count);
}

/* The search of `text` as q asks (q->text is the user's query), its
 * recall into r. */
static json_t *
search_run(sqlite3 *db, const struct mem_query *q, const char *text,
    struct mem_recall *r, char **cause)
{
	struct hit *hits = NULL, *h;
	struct hnsw_hit *vh = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0, nv = 0, i, limit, depth;
	char *fts = NULL;
	float *vec = NULL;
	json_t *out = NULL, *row;
	int rank, rc, in_tx = 0, ranked = 1;
	double min_sim = SEARCH_MIN_SIM;

	limit = q->limit == 0           ? 10 :
	    q->limit > SEARCH_MAX_LIMIT ? SEARCH_MAX_LIMIT :
					  q->limit;
	depth = limit > SEARCH_DEPTH ? limit : SEARCH_DEPTH;

	/* The query's vector first: a provider call must not hold the
	 * database.  Without it a hybrid search still has its keywords. */
	if (q->mode != MEM_KEYWORD &&
	    (vec = mem_embed(db, text, strlen(text), q->cancel, q->embed_err,
		 cause)) == NULL) {
		if (q->mode == MEM_SEMANTIC)
			return NULL;
		log_warn("memory: searching by keywords only: %s", *cause);
		free(*cause);
		*cause = NULL;
		r->vector_failed = 1;
	}

	/* One read transaction for every lookup of the search: a statement
	 * on its own would take and drop the file locks each time. */
	in_tx = sqlite3_get_autocommit(db) &&
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;

	/* BM25: FTS5's rank is smaller for better matches. */
	if (q->mode != MEM_SEMANTIC &&
	    *(fts = search_fts_query(db, text, &ranked))) {
		/* The keyword index alone: time filters are applied with
		 * the others, to the candidates (a join here would look up
		 * every matching row). */
		if ((st = db_prepare(db,
			 ranked ?
			     "SELECT rowid FROM memories_fts WHERE "
			     "memories_fts MATCH ?1 ORDER BY rank LIMIT ?2" :
			     "SELECT rowid FROM memories_fts WHERE "
			     "memories_fts MATCH ?1 ORDER BY rowid DESC "
			     "LIMIT ?2",
			 "tI", fts, (int64_t)depth)) == NULL)
			goto dberr;
		rank = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			hits = xreallocarray(hits, n + 1, sizeof *hits);
			memset(&hits[n], 0, sizeof *hits);
			hits[n].id = sqlite3_column_int64(st, 0);
			hits[n].bm25_rank = ++rank;
			n++;
		}
		if (rc != SQLITE_DONE)
			goto dberr;
		sqlite3_finalize(st);
		st = NULL;
	}

	/* Vectors. */
	if (vec != NULL) {
		pthread_mutex_lock(&mem.lock);
		mem_sync(db, cause);
		free(*cause);
		*cause = NULL;
		if (mem.local)
			min_sim = LOCAL_SEARCH_MIN_SIM;
		if (mem.index != NULL) {
			vh = xcalloc(depth, sizeof *vh);
			/* Where the graph needs so wide a search for the
			 * target recall that a scan is faster, scan. */
			nv = hnsw_scan_cheaper(mem.index) ?
			    hnsw_search_exact(mem.index, vec, depth, vh) :
			    hnsw_search(mem.index, vec, depth, 0, vh);
			if (mem_vec_ok(vec, mem.dim))
				mem_note_query(vec);
		}
		pthread_mutex_unlock(&mem.lock);
		for (i = 0; i < nv; i++) {
			h = search_find(hits, n, vh[i].id);
			/* Feature hashing makes unrelated texts a little
			 * similar: that alone is no match. */
			if (h == NULL && vh[i].score < min_sim)
				continue;
			if (h == NULL) {
				hits = xreallocarray(hits, n + 1, sizeof *hits);
				h = &hits[n++];
				memset(h, 0, sizeof *h);
				h->id = vh[i].id;
			}
			h->vec_rank = (int)i + 1;
			h->sim = vh[i].score;
		}
	}

	/* Filters and fusion on what scoring needs; whole rows only for
	 * the results. */
	if ((st = db_prepare(db,
		 "SELECT type, tier, protection, access_count, last_access_ms, "
		 "space, tags FROM memories WHERE id = ?3 AND (?1 = 0 OR "
		 "created_ms >= ?1) AND (?2 = 0 OR created_ms < ?2)",
		 "II", (int64_t)q->since_ms, (int64_t)q->until_ms)) == NULL)
		goto dberr;
	for (i = 0; i < n; i++) {
		if (!search_score(st, q, &hits[i]))
			hits[i].score = -1;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n > 0)
		qsort(hits, n, sizeof *hits, search_hit_cmp);
	if ((st = db_prepare(db,
		 "SELECT " MEM_COLUMNS " FROM memories WHERE id = ?1", "")) ==
	    NULL)
		goto dberr;
	for (i = 0; i < n && i < limit && hits[i].score >= 0; i++) {
		sqlite3_bind_int64(st, 1, hits[i].id);
		if (sqlite3_step(st) == SQLITE_ROW)
			hits[i].row = mem_row_json(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;

	out = json_array();
	for (i = 0; i < n && json_array_size(out) < limit; i++) {
		h = &hits[i];
		if (h->row == NULL)
			continue;
		json_object_set_new(h->row, "score",
		    json_real(round(h->score * 1e6) / 1e6));
		if (h->bm25_rank > 0)
			json_object_set_new(h->row, "keyword_rank",
			    json_integer(h->bm25_rank));
		if (h->vec_rank > 0) {
			json_object_set_new(h->row, "vector_rank",
			    json_integer(h->vec_rank));
			json_object_set_new(h->row, "similarity",
			    json_real(round(h->sim * 1e4) / 1e4));
		}
		json_array_append(out, h->row);
	}
	if (in_tx) {
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		in_tx = 0;
	}
	if (q->touch && json_array_size(out) > 0) {
		if ((st = db_prepare(db,
			 "UPDATE memories SET access_count = access_count + 1, "
			 "last_access_ms = ?2 WHERE id = ?1",
			 "")) != NULL) {
			json_array_foreach(out, i, row) {
				sqlite3_bind_int64(st, 1,
				    json_integer_value(
					json_object_get(row, "id")));
				sqlite3_bind_int64(st, 2, time_wall_ms());
				sqlite3_step(st);
				sqlite3_reset(st);
			}
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	goto out;
dberr:
	xasprintf(cause, "memory: search: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	if (in_tx)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	for (i = 0; i < n; i++)
		json_decref(hits[i].row);
	free(hits);
	free(vh);
	free(vec);
	free(fts);
	return out;
}

json_t *
memory_search(sqlite3 *db, const struct mem_query *q, char **cause)
{
	struct mem_recall own, *r = q->recall != NULL ? q->recall : &own;
	char *text = NULL;
	json_t *out;

	atomic_fetch_add(&search_count, 1);
	memset(r, 0, sizeof *r);
	if (q->embed_err != NULL)
		memset(q->embed_err, 0, sizeof *q->embed_err);
	if (q->text == NULL || *q->text == '\0') {
		xasprintf(cause, "a search needs a query");
		return NULL;
	}
	if (strlen(q->text) > MEMORY_MAX_CONTENT) {
		xasprintf(cause, "the query is over %d bytes",
		    MEMORY_MAX_CONTENT);
		return NULL;
	}
	snprintf(r->how, sizeof r->how, "%s",
	    q->mode == MEM_KEYWORD      ? "fts" :
		q->mode == MEM_SEMANTIC ? "vector" :
					  "fts+vector");
	pthread_mutex_lock(&mem.lock);
	snprintf(r->embedder, sizeof r->embedder, "%s", mem.embedder);
	pthread_mutex_unlock(&mem.lock);
	/* Expansion first, like the embedding: no lock, no transaction
	 * while the model answers. */
	if (q->cfg != NULL)
		mem_expand(db, q, r);
	if (r->terms[0] != '\0')
		xasprintf(&text, "%s %s", q->text, r->terms);
	out = search_run(db, q, text != NULL ? text : q->text, r, cause);
	free(text);
	return out;
}

char *
memory_recall(sqlite3 *db, const char *message, size_t max_items)
{
	struct mem_query q;
	struct buf b;
	json_t *found, *row;
	char *cause = NULL;
	size_t i;
	int n;

	buf_init(&b, BUF_NOCAP);
	/* The hot tier: always there, within its budget (recall.c). */
	n = mem_recall_hot(db, &b, NULL);

	/* And what the message brings to mind. */
	if (message != NULL && *message != '\0' && max_items > 0) {
		memset(&q, 0, sizeof q);
		q.text = message;
		q.mode = MEM_HYBRID;
		q.limit = max_items;
		q.type = -1;
		q.touch = 1;
		if ((found = memory_search(db, &q, &cause)) != NULL) {
			json_array_foreach(found, i, row) {
				if (!mem_recall_fits(row))
					continue;
				if (n++ == 0)
					buf_adds(&b, MEM_RECALL_HEAD);
				mem_recall_line(&b, row);
			}
			json_decref(found);
		}
		free(cause);
	}
	return buf_detach(&b);
}
