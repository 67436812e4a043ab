/*
 * recall.c — what a run is told it remembers: the hot tier, and the
 * memories its session recalled, at its start and at each shift of topic
 * (recall.h).
 */
#include <stdlib.h>
#include <string.h>

#include "memory/embed.h"
#include "memory/memory_int.h"
#include "memory/recall.h"
#include "memory/root.h"
#include "store/db.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* ---- lines of the section ---- */

int
mem_recall_hot(sqlite3 *db, struct buf *b, json_t *ids)
{
	sqlite3_stmt *st = NULL;
	long budget, tokens;
	int n = 0;

	pthread_mutex_lock(&mem.lock);
	budget = mem.hot_tokens;
	pthread_mutex_unlock(&mem.lock);
	if ((st = db_prepare(db,
		 "SELECT id, type, content FROM memories WHERE tier = 'hot' "
		 "ORDER BY importance DESC, last_access_ms DESC",
		 "")) != NULL) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			tokens = sqlite3_column_bytes(st, 2) / 4 + 1;
			if (tokens > budget)
				continue;
			budget -= tokens;
			if (n++ == 0)
				buf_adds(b, MEM_RECALL_HEAD);
			buf_printf(b, "- [%s #%lld] %s\n",
			    (const char *)sqlite3_column_text(st, 1),
			    (long long)sqlite3_column_int64(st, 0),
			    (const char *)sqlite3_column_text(st, 2));
			if (ids != NULL)
				json_array_append_new(ids,
				    json_integer(sqlite3_column_int64(st, 0)));
		}
	}
	sqlite3_finalize(st);
	return n;
}

/* Whether a search hit says something of the message: a keyword match,
 * or a vector one close enough (closer still for a topic's vote with
 * the local embedder: MEM_LOCAL_TOPIC_MIN_SIM). */
static int
recall_strong(const json_t *hit, int topic)
{
	double floor;

	pthread_mutex_lock(&mem.lock);
	floor = !mem.local ? MEM_RECALL_MIN_SIM :
	    topic          ? MEM_LOCAL_TOPIC_MIN_SIM :
			     MEM_LOCAL_RECALL_MIN_SIM;
	pthread_mutex_unlock(&mem.lock);
	return json_object_get(hit, "keyword_rank") != NULL ||
	    json_real_value(json_object_get(hit, "similarity")) >= floor;
}

int
mem_recall_fits(const json_t *hit)
{
	const char *tier = json_string_value(json_object_get(hit, "tier"));

	return recall_strong(hit, 0) &&
	    (tier == NULL || strcmp(tier, "hot") != 0);
}

void
mem_recall_line(struct buf *b, const json_t *m)
{
	buf_printf(b, "- [%s #%lld] %s\n",
	    json_string_value(json_object_get(m, "type")),
	    (long long)json_integer_value(json_object_get(m, "id")),
	    json_string_value(json_object_get(m, "content")));
}

/* ---- the shift ---- */

static int
recall_has(const char *const *set, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(set[i], name) == 0)
			return 1;
	return 0;
}

double
recall_shift(const char *const *recent, size_t nrecent, const char *const *next,
    size_t nnext)
{
	size_t i, fresh = 0;

	if (nnext == 0)
		return 0.0;
	for (i = 0; i < nnext; i++)
		if (!recall_has(recent, nrecent, next[i]))
			fresh++;
	return (double)fresh / (double)nnext;
}

int
recall_shifted(double shift, double threshold)
{
	return shift > threshold;
}

/* ---- a message's nearest topics ---- */

struct recall_vote {
	const char *topic; /* a key of the votes object */
	double w;
};

static int
recall_vote_cmp(const void *a, const void *b)
{
	const struct recall_vote *x = a, *y = b;

	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	return strcmp(x->topic, y->topic);
}

static void
recall_vote_add(json_t *votes, const char *topic, double w)
{
	json_t *v = json_object_get(votes, topic);

	json_object_set_new(votes, topic,
	    json_real((v != NULL ? json_real_value(v) : 0.0) + w));
}

/* The nearest topics of `message`, given the search's `hits`: a new
 * array of names, best first. */
static json_t *
recall_vote(sqlite3 *db, const char *message, const json_t *hits)
{
	json_t *votes = json_object(), *out = json_array(), *row, *links, *v;
	struct embed_term *terms = NULL;
	struct recall_vote *all = NULL;
	sqlite3_stmt *st = NULL;
	const char *name;
	size_t i, j, nterms, n = 0, rank = 0;

	json_array_foreach(hits, i, row) {
		if (!recall_strong(row, 1))
			continue;
		rank++;
		links = root_memory_topics(db,
		    json_integer_value(json_object_get(row, "id")));
		json_array_foreach(links, j, v)
			recall_vote_add(votes, json_string_value(v),
			    1.0 / (double)rank);
		json_decref(links);
	}
	nterms = embed_terms(message, strlen(message), &terms);
	if ((st = db_prepare(db, "SELECT 1 FROM memory_topics WHERE topic = ?1",
		 "")) != NULL) {
		for (i = 0; i < nterms && i < RECALL_MAX_TERMS; i++) {
			sqlite3_bind_text(st, 1, terms[i].term, -1,
			    SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				recall_vote_add(votes, terms[i].term, 1.0);
			sqlite3_reset(st);
		}
	}
	sqlite3_finalize(st);
	embed_terms_free(terms, nterms);

	if (json_object_size(votes) > 0) {
		all = xcalloc(json_object_size(votes), sizeof *all);
		json_object_foreach(votes, name, v) {
			all[n].topic = name;
			all[n++].w = json_real_value(v);
		}
		qsort(all, n, sizeof *all, recall_vote_cmp);
		for (i = 0; i < n && i < RECALL_MAX_TOPICS; i++)
			if (all[i].w >= all[0].w / 2)
				json_array_append_new(out,
				    json_string(all[i].topic));
	}
	free(all);
	json_decref(votes);
	return out;
}

/* The search whose hits vote: new reference, or NULL with *cause. */
static json_t *
recall_search(sqlite3 *db, const char *message, char **cause)
{
	struct mem_query q;
	char *cut = NULL;
	json_t *hits;

	/* A long message (a pasted file) is searched by its beginning: a
	 * query is at most MEMORY_MAX_CONTENT. */
	if (strlen(message) > MEMORY_MAX_CONTENT)
		message = cut =
		    xstrndup(message, utf8_cut(message, MEMORY_MAX_CONTENT));
	memset(&q, 0, sizeof q);
	q.text = message;
	q.mode = MEM_HYBRID;
	q.limit = RECALL_SEARCH;
	q.type = -1;
	hits = memory_search(db, &q, cause);
	free(cut);
	return hits;
}

json_t *
recall_topics(sqlite3 *db, const char *message, char **cause)
{
	json_t *hits, *out;

	if ((hits = recall_search(db, message, cause)) == NULL)
		return NULL;
	out = recall_vote(db, message, hits);
	json_decref(hits);
	return out;
}

/* ---- a session's recall ---- */

/* What a session has recalled so far (migration 020). */
struct recall_state {
	json_t *recent;   /* names: the topics of its last turn */
	json_t *recalled; /* set (object) of the topics it recalled */
	json_t *held;     /* set (object, ids as text) of its memories */
	long long turn;   /* its last turn (0: none) */
	long long seq;    /* its last recalled memory's seq (0: none) */
};

static void
recall_state_free(struct recall_state *s)
{
	json_decref(s->recent);
	json_decref(s->recalled);
	json_decref(s->held);
}

static int
recall_state_read(sqlite3 *db, const char *session, struct recall_state *s,
    char **cause)
{
	sqlite3_stmt *st = NULL;
	const char *topic;
	char key[24];
	int rc = -1, step;

	s->recent = json_array();
	s->recalled = json_object();
	s->held = json_object();
	s->turn = s->seq = 0;
	if ((st = db_prepare(db,
		 "SELECT topic, turn, recalled FROM session_recall_topics "
		 "WHERE session_id = ?1 ORDER BY turn DESC, topic",
		 "t", session)) == NULL)
		goto dberr;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		topic = (const char *)sqlite3_column_text(st, 0);
		if (s->turn == 0)
			s->turn = sqlite3_column_int64(st, 1);
		if (sqlite3_column_int64(st, 1) == s->turn)
			json_array_append_new(s->recent, json_string(topic));
		if (sqlite3_column_int(st, 2))
			json_object_set_new(s->recalled, topic, json_true());
	}
	if (step != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	if ((st = db_prepare(db,
		 "SELECT memory_id, seq FROM session_recall_memories "
		 "WHERE session_id = ?1",
		 "t", session)) == NULL)
		goto dberr;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(key, sizeof key, "%lld",
		    (long long)sqlite3_column_int64(st, 0));
		json_object_set_new(s->held, key, json_true());
		if (sqlite3_column_int64(st, 1) > s->seq)
			s->seq = sqlite3_column_int64(st, 1);
	}
	if (step != SQLITE_DONE)
		goto dberr;
	rc = 0;
	goto out;
dberr:
	xasprintf(cause, "recall: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	return rc;
}

/* The names of array `a` as a C array (borrowed strings); caller frees
 * the array. */
static const char **
recall_names(const json_t *a)
{
	const char **out = xcalloc(json_array_size(a) + 1, sizeof *out);
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		out[i] = json_string_value(v);
	return out;
}

/* Whether one of `links` is in the set `topics` (an object). */
static int
recall_under(const json_t *links, const json_t *topics)
{
	size_t i;
	json_t *v;

	json_array_foreach(links, i, v)
		if (json_object_get(topics, json_string_value(v)) != NULL)
			return 1;
	return 0;
}

/* Add memory `id` to the picks unless it is held or picked; mark the
 * topics of `fresh` it is under as covered. */
static void
recall_pick(sqlite3 *db, json_int_t id, const struct recall_state *s,
    json_t *picked, json_t *fresh, json_t *covered)
{
	json_t *links, *v;
	char key[24];
	size_t i;

	snprintf(key, sizeof key, "%lld", (long long)id);
	if (json_object_get(s->held, key) != NULL)
		return;
	json_array_foreach(picked, i, v)
		if (json_integer_value(v) == id)
			return;
	json_array_append_new(picked, json_integer(id));
	links = root_memory_topics(db, id);
	json_array_foreach(links, i, v)
		if (json_object_get(fresh, json_string_value(v)) != NULL)
			json_object_set_new(covered, json_string_value(v),
			    json_true());
	json_decref(links);
}

/* A topic of `fresh` no hit was under: its most important memories
 * (the ROOT index's ids), at most two, neither hot nor cold. */
static void
recall_fill(sqlite3 *db, const char *topic, const struct recall_state *s,
    json_t *picked, json_t *fresh, json_t *covered)
{
	sqlite3_stmt *st = NULL;
	json_t *ids = NULL, *v;
	size_t i, before;
	int n = 0;

	if ((st = db_prepare(db,
		 "SELECT m.id FROM memory_topic_links l JOIN memories m "
		 "ON m.id = l.memory_id WHERE l.topic = ?1 AND m.tier = 'warm' "
		 "ORDER BY m.importance DESC, m.id DESC LIMIT 4",
		 "t", topic)) == NULL)
		return;
	ids = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ids,
		    json_integer(sqlite3_column_int64(st, 0)));
	sqlite3_finalize(st);
	json_array_foreach(ids, i, v) {
		if (n == 2 || json_array_size(picked) >= RECALL_MAX_ITEMS)
			break;
		before = json_array_size(picked);
		recall_pick(db, json_integer_value(v), s, picked, fresh,
		    covered);
		n += json_array_size(picked) > before;
	}
	json_decref(ids);
}

/* Remember the turn: its topics (those of `fresh` recalled) and the
 * memories picked, in one transaction.  0, or -1 with *cause. */
static int
recall_note(sqlite3 *db, const char *session, const struct recall_state *s,
    const json_t *topics, const json_t *fresh, const json_t *picked,
    char **cause)
{
	static const char topic_sql[] =
	    "INSERT INTO session_recall_topics (session_id, topic, turn, "
	    "recalled) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (session_id, "
	    "topic) DO UPDATE SET turn = excluded.turn, recalled = CASE "
	    "WHEN excluded.recalled = 1 THEN 1 ELSE "
	    "session_recall_topics.recalled END";
	static const char memory_sql[] =
	    "INSERT INTO session_recall_memories (session_id, memory_id, "
	    "seq) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING";
	long long seq = s->seq;
	const char *topic;
	size_t i;
	json_t *v;

	if (json_array_size(topics) == 0 && json_array_size(picked) == 0)
		return 0;
	if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		return -1;
	json_array_foreach(topics, i, v) {
		topic = json_string_value(v);
		if (db_exec(db, topic_sql, "ttIi", session, topic,
			(int64_t)(s->turn + 1),
			json_object_get(fresh, topic) != NULL) < 0)
			goto dberr;
	}
	json_array_foreach(picked, i, v) {
		if (db_exec(db, memory_sql, "tII", session,
			(int64_t)json_integer_value(v), (int64_t)++seq) < 0)
			goto dberr;
	}
	if (mem_exec(db, "COMMIT", cause) != 0)
		goto rollback;
	return 0;
dberr:
	xasprintf(cause, "recall: %s", sqlite3_errmsg(db));
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The section: the hot tier, then the session's recalled memories (not
 * hot), the newest recalls that fit in `tokens`, in the order recalled. */
static char *
recall_text(sqlite3 *db, const char *session, long tokens)
{
	sqlite3_stmt *st = NULL;
	json_t *lines = json_array();
	struct buf b, line;
	long cost;
	size_t i;
	int n;

	buf_init(&b, BUF_NOCAP);
	buf_init(&line, BUF_NOCAP);
	n = mem_recall_hot(db, &b, NULL);
	if ((st = db_prepare(db,
		 "SELECT m.id, m.type, m.content, m.tier "
		 "FROM session_recall_memories r JOIN memories m "
		 "ON m.id = r.memory_id WHERE r.session_id = ?1 "
		 "ORDER BY r.seq DESC",
		 "t", session)) != NULL) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (strcmp((const char *)sqlite3_column_text(st, 3),
				"hot") == 0)
				continue; /* listed already */
			cost = sqlite3_column_bytes(st, 2) / 4 + 1;
			if (cost > tokens)
				break;
			tokens -= cost;
			buf_reset(&line);
			buf_printf(&line, "- [%s #%lld] %s\n",
			    (const char *)sqlite3_column_text(st, 1),
			    (long long)sqlite3_column_int64(st, 0),
			    (const char *)sqlite3_column_text(st, 2));
			json_array_append_new(lines,
			    json_stringn(line.data, line.len));
		}
	}
	sqlite3_finalize(st);
	for (i = json_array_size(lines); i > 0; i--) {
		if (n++ == 0)
			buf_adds(&b, MEM_RECALL_HEAD);
		buf_adds(&b, json_string_value(json_array_get(lines, i - 1)));
	}
	json_decref(lines);
	buf_free(&line);
	if (b.data == NULL)
		return xstrdup("");
	return buf_detach(&b);
}

int
recall_turn(sqlite3 *db, const struct recall_turn *t, struct recall_result *out,
    char **cause)
{
	struct recall_state s;
	json_t *hits = NULL, *topics = NULL, *fresh = json_object(),
	       *covered = json_object(), *picked = json_array(), *row, *v,
	       *links;
	const char **recent = NULL, **next = NULL, *why = NULL, *name;
	char *err = NULL;
	size_t i;
	int rc = -1, start;

	out->text = NULL;
	out->event = NULL;
	if (recall_state_read(db, t->session_id, &s, cause) != 0)
		goto out;
	if ((hits = recall_search(db, t->message, cause)) == NULL)
		goto out;
	topics = recall_vote(db, t->message, hits);
	start = s.turn == 0 && s.seq == 0;

	/* Decide: the first recall of the session, or a shift to topics
	 * not recalled yet; the fresh topics are those recalled now. */
	if (start) {
		why = "session_start";
		json_array_foreach(topics, i, v)
			json_object_set(fresh, json_string_value(v),
			    json_true());
	} else {
		recent = recall_names(s.recent);
		next = recall_names(topics);
		if (recall_shifted(recall_shift(recent,
				       json_array_size(s.recent), next,
				       json_array_size(topics)),
			t->threshold))
			json_array_foreach(topics, i, v)
				if (json_object_get(s.recalled,
					json_string_value(v)) == NULL)
					json_object_set(fresh,
					    json_string_value(v), json_true());
		if (json_object_size(fresh) > 0)
			why = "topic_change";
	}

	/* Pick: the hits (under a fresh topic, after the start), then the
	 * ROOT index's best of a fresh topic no hit was under. */
	if (why != NULL) {
		json_array_foreach(hits, i, row) {
			if (json_array_size(picked) >= RECALL_MAX_ITEMS)
				break;
			if (!mem_recall_fits(row))
				continue;
			links = root_memory_topics(db,
			    json_integer_value(json_object_get(row, "id")));
			if (start || recall_under(links, fresh))
				recall_pick(db,
				    json_integer_value(
					json_object_get(row, "id")),
				    &s, picked, fresh, covered);
			json_decref(links);
		}
		json_array_foreach(topics, i, v) {
			name = json_string_value(v);
			if (json_object_get(fresh, name) != NULL &&
			    json_object_get(covered, name) == NULL)
				recall_fill(db, name, &s, picked, fresh,
				    covered);
		}
	}
	if (recall_note(db, t->session_id, &s, topics, fresh, picked, cause) !=
	    0)
		goto out;

	/* A recall counts as an access of what it recalled. */
	json_array_foreach(picked, i, v) {
		json_decref(memory_get(db, json_integer_value(v), 1, &err));
		free(err);
		err = NULL;
	}
	if (why != NULL &&
	    (json_array_size(picked) > 0 || json_object_size(fresh) > 0)) {
		json_t *names = json_array();

		json_array_foreach(topics, i, v)
			if (json_object_get(fresh, json_string_value(v)) !=
			    NULL)
				json_array_append(names, v);
		out->event = json_pack("{s:s, s:s, s:o, s:O}", "session_id",
		    t->session_id, "why", why, "topics", names, "ids", picked);
	}
	rc = 0;
out:
	out->text = recall_text(db, t->session_id, t->tokens);
	recall_state_free(&s);
	free(recent);
	free(next);
	json_decref(hits);
	json_decref(topics);
	json_decref(fresh);
	json_decref(covered);
	json_decref(picked);
	return rc;
}

json_t *
recall_session(sqlite3 *db, const char *id, char **cause)
{
	const char *p[1] = { id };
	json_t *topics, *mems;

	topics = db_rows(db,
	    "SELECT topic, turn, recalled FROM session_recall_topics "
	    "WHERE session_id = ?1 ORDER BY turn, topic",
	    1, p, 1000, cause);
	if (topics == NULL)
		return NULL;
	mems = db_rows(db,
	    "SELECT r.memory_id AS id, m.type, m.content FROM "
	    "session_recall_memories r LEFT JOIN memories m ON m.id = "
	    "r.memory_id WHERE r.session_id = ?1 ORDER BY r.seq",
	    1, p, 1000, cause);
	if (mems == NULL) {
		json_decref(topics);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "topics", topics, "memories", mems);
}
