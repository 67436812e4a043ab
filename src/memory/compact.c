/*
 * compact.c — the compaction tree (compact.h): periods, one run's passes
 * (daily, weekly, monthly, root), the model's summaries and the pruning
 * of what they cover.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/home.h"
#include "kernel/events.h"
#include "llm/models.h"
#include "memory/compact.h"
#include "memory/memory_int.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define DAY_MS 86400000LL
/* The raw types (compact_period.c) as SQL. */
#define COMPACT_RAW_SQL \
	"('episode', 'session', 'conversation', 'fact', 'knowledge')"

/* How a summary of each level weighs at first. */
static const double compact_importance[COMPACT_NLEVELS] = { 0.5, 0.55, 0.6,
	0.7 };
/* What the model is asked to write, by level. */
static const char *const compact_ask_what[COMPACT_NLEVELS] = {
	"the notes of one day",
	"the daily summaries of one week",
	"the weekly summaries of one month",
	"the monthly summaries that touch one topic",
};

/* ---- one run ---- */

/* A source of a summary to be, under its period's key. */
struct compact_src {
	int64_t id;
	char key[80]; /* a period's key, or a topic */
	int64_t start_ms, end_ms;
	int fresh; /* not taken in by the period's summary yet */
	int shown; /* in the prompt of this run (compact_prompt()) */
	/* What the prompt showed, so that the edge names that memory and
	 * not another that took its id meanwhile, nor a later version. */
	int64_t created_ms, version;
};

struct compact_run {
	sqlite3 *db;
	const struct config *cfg;
	const char *actor;
	int64_t now;
	int model;     /* engine.default_model is configured */
	int calls;     /* made, of mem.compact_max_calls */
	int failed;    /* a period was left: no level above this run */
	int refused;   /* the gate refused a call: no more this run */
	int capped;    /* a period was left for the call cap */
	char why[512]; /* why it did */
	int n[COMPACT_NLEVELS][4]; /* written, rewritten, unchanged, pending */
};

enum { C_WRITTEN, C_REWRITTEN, C_UNCHANGED, C_PENDING };

static int
compact_src_cmp(const void *a, const void *b)
{
	const struct compact_src *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : x->id < y->id ? -1 : x->id > y->id;
}

/*
 * The sources of `level`, each under its period: raw memories (daily),
 * daily summaries (weekly), weekly ones (monthly), or the monthly
 * summaries under each topic of the raw memories they cover (root).
 * Sorted by key.  0, or -1 with *cause.
 */
static int
compact_gather(sqlite3 *db, enum compact_level level, int64_t now,
    struct compact_src **out, size_t *np, char **cause)
{
	static const char *const sql[COMPACT_NLEVELS] = {
		"SELECT id, created_ms FROM memories WHERE type IN " COMPACT_RAW_SQL
		" AND created_ms < ?1",
		"SELECT memory_id, start_ms FROM memory_summaries WHERE level "
		"= 'daily'",
		"SELECT memory_id, start_ms FROM memory_summaries WHERE level "
		"= 'weekly'",
		"WITH RECURSIVE down(top, id) AS (SELECT memory_id, memory_id "
		"FROM memory_summaries WHERE level = 'monthly' UNION SELECT "
		"down.top, e.source_id FROM down JOIN memory_summary_sources e "
		"ON e.summary_id = down.id AND e.seen >= 0) SELECT DISTINCT down.top, "
		"s.start_ms, s.end_ms, l.topic FROM down JOIN "
		"memory_topic_links l ON l.memory_id = down.id JOIN memories m "
		"ON m.id = down.id JOIN memory_summaries s ON s.memory_id = "
		"down.top WHERE m.type != 'summary'",
	};
	sqlite3_stmt *st = NULL;
	struct compact_src *s = NULL;
	struct compact_period p;
	size_t n = 0;

	/* Only the daily query has a parameter (?1). */
	if ((st = db_prepare(db, sql[level], level == COMPACT_DAILY ? "I" : "",
		 (int64_t)now)) == NULL) {
		xasprintf(cause, "memory: compaction: %s", sqlite3_errmsg(db));
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		s = xreallocarray(s, n + 1, sizeof *s);
		s[n].id = sqlite3_column_int64(st, 0);
		if (level == COMPACT_ROOT) {
			s[n].start_ms = sqlite3_column_int64(st, 1);
			s[n].end_ms = sqlite3_column_int64(st, 2);
			snprintf(s[n].key, sizeof s[n].key, "%s",
			    (const char *)sqlite3_column_text(st, 3));
		} else {
			compact_period_of(level, sqlite3_column_int64(st, 1),
			    &p);
			snprintf(s[n].key, sizeof s[n].key, "%s", p.key);
			s[n].start_ms = p.start_ms;
			s[n].end_ms = p.end_ms;
		}
		n++;
	}
	sqlite3_finalize(st);
	if (n > 1)
		qsort(s, n, sizeof *s, compact_src_cmp);
	*out = s;
	*np = n;
	return 0;
}

/* The summary of a level's period: its id, or -1. */
static int64_t
compact_summary_of(sqlite3 *db, enum compact_level level, const char *key)
{
	int64_t v = -1;

	db_int(db,
	    "SELECT memory_id FROM memory_summaries WHERE level = ?1 AND "
	    "period = ?2",
	    &v, "tt", compact_level_name(level), key);
	return v;
}

/* How many of src[0..n) summary `id` (-1: none) has not taken in yet —
 * new ones, and summaries rewritten since — each marked `fresh`. */
static size_t
compact_fresh(sqlite3 *db, int64_t id, struct compact_src *src, size_t n)
{
	sqlite3_stmt *st = NULL;
	size_t i, fresh = 0;

	for (i = 0; i < n; i++)
		src[i].fresh = 1;
	if (id < 0 ||
	    (st = db_prepare(db,
		 "SELECT COALESCE((SELECT version FROM memory_summaries WHERE "
		 "memory_id = ?2), 0) > COALESCE((SELECT seen FROM "
		 "memory_summary_sources WHERE summary_id = ?1 AND source_id = "
		 "?2 AND seen >= 0), -1)",
		 "")) == NULL)
		return n;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, src[i].id);
		src[i].fresh = sqlite3_step(st) != SQLITE_ROW ||
		    sqlite3_column_int(st, 0) != 0;
		fresh += src[i].fresh;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return fresh;
}

/* The prompt for a period's summary: the old one, then the sources it
 * has not taken in (as many as fit COMPACT_PROMPT_BYTES, each marked
 * `shown`: only those get an edge, the rest wait for the next run).
 * Caller buf_free()s. */
static void
compact_prompt(sqlite3 *db, enum compact_level level, const char *key,
    int64_t old, struct compact_src *src, size_t n, struct buf *p)
{
	sqlite3_stmt *st = NULL;
	const char *text, *lvl;
	size_t i, len, shown = 0, start;
	char at[40];

	buf_init(p, BUF_NOCAP);
	buf_printf(p, "Summarise %s (%s %s) for a memory store.\n",
	    compact_ask_what[level],
	    level == COMPACT_ROOT ? "topic" : compact_level_name(level), key);
	if ((st = db_prepare(db,
		 "SELECT m.content, m.created_ms, s.level, s.period, "
		 "COALESCE(s.version, 0) FROM memories m LEFT JOIN "
		 "memory_summaries s ON s.memory_id = m.id WHERE m.id = ?1",
		 "")) == NULL)
		return;
	if (old > 0) {
		sqlite3_bind_int64(st, 1, old);
		if (sqlite3_step(st) == SQLITE_ROW)
			buf_printf(p,
			    "\nThe summary so far (new notes came since):\n%s\n",
			    (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	buf_adds(p, "\nThe notes:\n");
	start = p->len;
	for (i = 0; i < n; i++) {
		src[i].shown = 0;
		if (!src[i].fresh)
			continue;
		sqlite3_bind_int64(st, 1, src[i].id);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    p->len - start < COMPACT_PROMPT_BYTES) {
			text = (const char *)sqlite3_column_text(st, 0);
			len = utf8_cut(text, COMPACT_SOURCE_BYTES);
			lvl = (const char *)sqlite3_column_text(st, 2);
			time_rfc3339(sqlite3_column_int64(st, 1), at,
			    sizeof at);
			if (lvl != NULL)
				buf_printf(p, "- [%s %s] ", lvl,
				    (const char *)sqlite3_column_text(st, 3));
			else
				buf_printf(p, "- [%.10s] ", at);
			buf_add(p, text, len);
			buf_adds(p, "\n");
			src[i].created_ms = sqlite3_column_int64(st, 1);
			src[i].version = sqlite3_column_int64(st, 4);
			src[i].shown = 1;
			shown++;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	buf_adds(p,
	    "\nWrite the summary: every fact, decision and name that "
	    "matters, in a few short sentences. Answer with the "
	    "summary only.");
}

/* The model's summary for `prompt`: a new string, or NULL (logged). */
static char *
compact_ask(struct compact_run *run, const struct buf *prompt)
{
	struct llm_error err;
	char *text;

	run->calls++;
	if ((text = mem_ask(run->cfg,
		 "You compress notes of a memory store into summaries. Never "
		 "add facts.",
		 600, prompt->data, prompt->len, &err)) != NULL)
		return text;
	if (err.cls == LLM_OK) {
		log_warn("memory: compaction: the model's summary was empty, "
			 "too long or not UTF-8");
		return NULL;
	}
	log_warn("memory: compaction: no summary: %s", err.message);
	/* Refused (a budget, the breaker, auth, a stop): no more calls this
	 * run; whatever is left waits. */
	if (err.cls == LLM_ERR_BUDGET || err.cls == LLM_ERR_UNAVAILABLE ||
	    err.cls == LLM_ERR_AUTH || err.cls == LLM_ERR_CONFIG ||
	    err.cls == LLM_ERR_CANCELLED) {
		run->refused = 1;
		snprintf(run->why, sizeof run->why, "%s", err.message);
	}
	return NULL;
}

/* What a new summary's transaction adds: its row and edges. */
struct compact_new {
	enum compact_level level;
	const char *key;
	int64_t start_ms, end_ms, now;
	const struct compact_src *src;
	size_t n;
};

/* Its edges to the sources of src[0..n) the prompt showed, each with the
 * version it showed, and only to a memory still there under its id (not
 * one made since under a reused id), in the caller's transaction.  0, or
 * -1 with *cause. */
static int
compact_edges(sqlite3 *db, int64_t id, const struct compact_src *src, size_t n,
    char **cause)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	if ((st = db_prepare(db,
		 "INSERT INTO memory_summary_sources (summary_id, source_id, "
		 "seen) SELECT ?1, ?2, ?4 WHERE EXISTS (SELECT 1 FROM memories "
		 "WHERE id = ?2 AND created_ms = ?3) ON CONFLICT DO UPDATE SET "
		 "seen = excluded.seen",
		 "")) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if (!src[i].shown)
			continue; /* not in the prompt: still to take in */
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, src[i].id);
		sqlite3_bind_int64(st, 3, src[i].created_ms);
		sqlite3_bind_int64(st, 4, src[i].version);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
fail:
	xasprintf(cause, "memory: compaction: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

static int
compact_new_tx(sqlite3 *db, int64_t id, void *arg, char **cause)
{
	const struct compact_new *c = arg;

	if (db_exec(db,
		"INSERT INTO memory_summaries (memory_id, level, period, "
		"start_ms, end_ms, made_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		"IttIII", (int64_t)id, compact_level_name(c->level), c->key,
		(int64_t)c->start_ms, (int64_t)c->end_ms,
		(int64_t)c->now) < 0) {
		xasprintf(cause, "memory: compaction: %s", sqlite3_errmsg(db));
		return -1;
	}
	return compact_edges(db, id, c->src, c->n, cause);
}

/* An existing summary takes a new text and its new sources, with its
 * audit entry, in one transaction.  0, or -1 with *cause. */
static int
compact_rewrite(struct compact_run *run, int64_t id, const char *text,
    const struct compact_new *c, const json_t *detail, char **cause)
{
	sqlite3 *db = run->db;
	float *apivec = NULL;
	char resource[32];
	long long before;
	int64_t changed;
	int rc = -1;

	if (mem.api &&
	    (apivec = mem_embed(db, text, strlen(text), mem_stop(), NULL,
		 cause)) == NULL)
		return -1;
	if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0) {
		free(apivec);
		return -1;
	}
	/* The rows first, then the text and its vector under the index's
	 * lock, to the commit. */
	snprintf(resource, sizeof resource, "memory:%lld", (long long)id);
	if (compact_edges(db, id, c->src, c->n, cause) != 0 ||
	    audit_append_tx(db, run->actor, AUDIT_MEMORY_WRITE, resource,
		detail, cause) < 0)
		goto out;
	if ((changed = db_exec(db,
		 "UPDATE memory_summaries SET made_ms = ?2, version = version "
		 "+ 1, start_ms = min(start_ms, ?3), end_ms = max(end_ms, ?4) "
		 "WHERE memory_id = ?1",
		 "IIII", (int64_t)id, (int64_t)run->now, (int64_t)c->start_ms,
		 (int64_t)c->end_ms)) < 0)
		goto dberr;
	if (changed != 1) {
		xasprintf(cause, "summary #%lld was forgotten meanwhile",
		    (long long)id);
		goto out;
	}
	pthread_mutex_lock(&mem.lock);
	before = mem_generation(db);
	if (mem_rewrite(db, id, text, apivec, cause) == 0 &&
	    mem_exec(db, "COMMIT", cause) == 0) {
		if (before == mem.generation)
			mem.generation = mem_generation(db);
		rc = 0;
	}
	pthread_mutex_unlock(&mem.lock);
	goto out;
dberr:
	xasprintf(cause, "memory: compaction: %s", sqlite3_errmsg(db));
out:
	if (rc != 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free(apivec);
	return rc;
}

/*
 * One period of `level`: nothing when it is open or its summary covers
 * every source already; else the model's summary, written or rewritten.
 * A period left (no model, the call cap, a refused call) counts as
 * pending, and so does one whose store failed (logged).
 */
static void
compact_period(struct compact_run *run, enum compact_level level,
    struct compact_src *src, size_t n)
{
	struct compact_new c;
	struct mem_new m;
	struct buf prompt;
	json_t *tags = NULL, *detail = NULL;
	char *text = NULL, *why = NULL, **cause = &why;
	int64_t old;
	size_t i;
	int rc = 0;

	memset(&c, 0, sizeof c);
	c.level = level;
	c.key = src[0].key;
	c.start_ms = src[0].start_ms;
	c.end_ms = src[0].end_ms;
	for (i = 1; i < n; i++) {
		if (src[i].start_ms < c.start_ms)
			c.start_ms = src[i].start_ms;
		if (src[i].end_ms > c.end_ms)
			c.end_ms = src[i].end_ms;
	}
	c.now = run->now;
	c.src = src;
	c.n = n;
	if (level != COMPACT_ROOT && c.end_ms > run->now)
		return; /* not over yet */
	old = compact_summary_of(run->db, level, c.key);
	if (compact_fresh(run->db, old, src, n) == 0) {
		run->n[level][C_UNCHANGED]++;
		return;
	}
	if (!run->model || run->refused ||
	    run->calls >= mem.compact_max_calls) {
		run->capped = run->model && !run->refused;
		run->n[level][C_PENDING]++;
		run->failed = 1;
		return;
	}
	compact_prompt(run->db, level, c.key, old, src, n, &prompt);
	text = compact_ask(run, &prompt);
	buf_free(&prompt);
	if (text == NULL) {
		run->n[level][C_PENDING]++;
		run->failed = 1;
		return;
	}
	detail = json_pack("{s:s, s:s, s:s, s:I, s:s}", "via", "compaction",
	    "level", compact_level_name(level), "period", c.key, "sources",
	    (json_int_t)n, "content", text);
	if (old > 0) {
		if (compact_rewrite(run, old, text, &c, detail, cause) != 0)
			rc = -1;
		else
			run->n[level][C_REWRITTEN]++;
		goto out;
	}
	memset(&m, 0, sizeof m);
	m.content = text;
	m.len = strlen(text);
	m.type = MEM_SUMMARY;
	/* Low protection: never pruned by retention (what it covers may be
	 * gone); it decays at half the rate. */
	m.protect = PROT_LOW;
	m.importance = compact_importance[level];
	if (level == COMPACT_ROOT)
		m.tags = tags = json_pack("[s]", c.key);
	m.cancel = mem_stop();
	m.audit_actor = run->actor;
	m.audit_detail = detail;
	m.in_tx = compact_new_tx;
	m.in_tx_arg = &c;
	if (memory_add(run->db, &m, cause) < 0)
		rc = -1;
	else
		run->n[level][C_WRITTEN]++;
out:
	if (rc != 0) {
		/* An embedding refused is a period for next time. */
		log_warn("memory: compaction: %s %s: %s",
		    compact_level_name(level), c.key, *cause);
		free(*cause);
		*cause = NULL;
		run->n[level][C_PENDING]++;
		run->failed = 1;
	}
	json_decref(tags);
	json_decref(detail);
	free(text);
}

/* Every period of `level`.  0, or -1 with *cause. */
static int
compact_level_run(struct compact_run *run, enum compact_level level,
    char **cause)
{
	struct compact_src *src = NULL;
	size_t n = 0, i, j;

	if (compact_gather(run->db, level, run->now, &src, &n, cause) != 0)
		return -1;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(src[j].key, src[i].key) == 0;
		     j++)
			;
		compact_period(run, level, src + i, j - i);
	}
	free(src);
	return 0;
}

int
compact_prune(sqlite3 *db, long days, json_t *ids, char **cause)
{
	sqlite3_stmt *st = NULL;
	int64_t *victims = NULL;
	size_t n = 0, i;
	long long before;
	int rc = -1;

	if (days <= 0)
		return 0;
	/* Chosen inside the transaction that deletes them, so a memory
	 * protected or uncovered meanwhile is not taken; one longer than
	 * a prompt shows of a source (cut) is never covered whole. */
	if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		return -1;
	if ((st = db_prepare(db,
		 "SELECT id FROM memories WHERE protection = 0 AND type IN " COMPACT_RAW_SQL
		 " AND created_ms < ?1 AND length(CAST(content AS BLOB)) <= ?2 "
		 "AND EXISTS (SELECT 1 FROM memory_summary_sources e JOIN "
		 "memory_summaries s ON s.memory_id = e.summary_id WHERE "
		 "e.source_id = memories.id AND e.seen >= 0) ORDER BY id",
		 "Ii", (int64_t)(mem_clock_ms() - (int64_t)days * DAY_MS),
		 (int)COMPACT_SOURCE_BYTES)) == NULL) {
		xasprintf(cause, "memory: pruning: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		victims = xreallocarray(victims, n + 1, sizeof *victims);
		victims[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	pthread_mutex_lock(&mem.lock);
	before = mem_generation(db);
	for (i = 0; i < n; i++)
		if (mem_delete_row(db, victims[i], cause) < 0)
			break;
	if (i < n || mem_exec(db, "COMMIT", cause) != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		pthread_mutex_unlock(&mem.lock);
		goto out;
	}
	if (before == mem.generation)
		mem.generation = mem_generation(db);
	pthread_mutex_unlock(&mem.lock);
	for (i = 0; ids != NULL && i < n; i++)
		json_array_append_new(ids, json_integer(victims[i]));
	rc = (int)n;
out:
	free(victims);
	return rc;
}

/* Why periods were left pending, when some were: `pending_why` of the
 * report, the one text the CLI and the dashboard show. */
static void
compact_pending_why(const struct compact_run *run, json_t *report)
{
	char why[640];
	int l, pending = 0;

	for (l = 0; l < COMPACT_NLEVELS; l++)
		pending += run->n[l][C_PENDING];
	if (pending == 0)
		return;
	if (run->refused)
		snprintf(why, sizeof why,
		    "the model's call was refused (%s); the rest waits for "
		    "the next run",
		    run->why);
	else if (!run->model)
		snprintf(why, sizeof why,
		    "no chat model (engine.default_model's provider has no "
		    "key: oxios onboard); summaries wait for one");
	else if (run->capped)
		snprintf(why, sizeof why,
		    "a run makes at most %ld model calls: the next run goes "
		    "on",
		    mem.compact_max_calls);
	else
		snprintf(why, sizeof why,
		    "a summary could not be written or stored (the log says "
		    "why); the next run tries again");
	json_object_set_new(report, "pending_why", json_string(why));
}

/*
 * One compaction at a time on a home, across the daemon's threads (dream,
 * REST) and other processes (the CLI): an exclusive flock on
 * $OXIOS_HOME/memory.compact.lock.  Its descriptor; -1 when the file
 * cannot be opened (no lock then: a period's UNIQUE row still keeps one
 * summary); -2 when another compaction holds it.
 */
static int
compact_lock(void)
{
	char *path = home_path("memory.compact.lock");
	int fd;

	fd = path != NULL ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	free(path);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return -2;
	}
	return fd;
}

json_t *
memory_compact(sqlite3 *db, const struct config *cfg, const char *actor,
    char **cause)
{
	static const char *const counts[] = { "written", "rewritten",
		"unchanged", "pending" };
	struct compact_run run;
	json_t *report = NULL, *levels, *lv, *pruned_ids, *ev;
	char clock[40];
	int l, k, pruned = 0, skipped, lock;

	if ((lock = compact_lock()) == -2) {
		xasprintf(cause, "a compaction is already running");
		errno = EBUSY;
		return NULL;
	}
	memset(&run, 0, sizeof run);
	run.db = db;
	run.cfg = cfg;
	run.actor = actor;
	run.now = mem_clock_ms();
	run.model = cfg != NULL &&
	    llm_model_configured(cfg, config_str(cfg, "engine.default_model"));
	levels = json_object();
	pruned_ids = json_array();
	for (l = 0; l < COMPACT_NLEVELS; l++) {
		/* A level waits while one below it left a period. */
		skipped = run.failed;
		if (!skipped &&
		    compact_level_run(&run, (enum compact_level)l, cause) != 0)
			goto out;
		lv = json_object();
		for (k = 0; k < 4; k++)
			json_object_set_new(lv, counts[k],
			    json_integer(run.n[l][k]));
		if (skipped)
			json_object_set_new(lv, "waiting", json_true());
		json_object_set_new(levels,
		    compact_level_name((enum compact_level)l), lv);
	}
	if ((pruned = compact_prune(db, mem.prune_covered_days, pruned_ids,
		 cause)) < 0)
		goto out;
	time_rfc3339(run.now, clock, sizeof clock);
	report = json_pack("{s:O, s:i, s:b, s:i, s:O, s:s}", "levels", levels,
	    "calls", run.calls, "model", run.model, "pruned", pruned,
	    "pruned_ids", pruned_ids, "clock", clock);
	if (run.refused)
		json_object_set_new(report, "refused", json_string(run.why));
	else if (run.capped) {
		json_object_set_new(report, "capped", json_true());
		json_object_set_new(report, "max_calls",
		    json_integer(mem.compact_max_calls));
	}
	compact_pending_why(&run, report);
	ev = json_pack("{s:O, s:i, s:i, s:s}", "levels", levels, "calls",
	    run.calls, "pruned", pruned, "actor", actor);
	events_emit(EVENT_MEMORY_COMPACTED, ev);
	json_decref(ev);
	log_info("memory: compaction (%s): %d model calls, %d pruned", actor,
	    run.calls, pruned);
out:
	json_decref(levels);
	json_decref(pruned_ids);
	if (lock >= 0)
		close(lock);
	return report;
}
