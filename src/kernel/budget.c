/*
 * budget.c — budgets: reserve before an LLM call, settle after, in the
 * budget_ledger table.
 *
 * Invariant: at the end of every reserving transaction, for every limit
 * that applied, spent + reserved (unexpired) rows of its window are at
 * most the limit.  The check and the insert share one BEGIN IMMEDIATE
 * transaction, which holds SQLite's write lock from its start: no other
 * connection, in this process or another, can reserve in between.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/budget.h"
#include "kernel/budget_agent.h"
#include "kernel/events.h"
#include "llm/models.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

void
budget_limits_get(const struct config *cfg, const struct call_scope *scope,
    struct budget_limits *out)
{
	memset(out, 0, sizeof *out);
	if (scope != NULL) {
		out->run_id = scope->run_id;
		out->run_tokens = scope->run_tokens;
		out->run_usd = scope->run_usd;
		out->principal = scope->principal;
		out->session_id = scope->session_id;
	}
	out->per_run_tokens = config_int(cfg, "budget.max_tokens_per_run");
	out->per_run_calls = config_int(cfg, "budget.max_calls_per_run");
	out->session_tokens = config_int(cfg, "budget.session_tokens");
	out->session_calls = config_int(cfg, "budget.session_calls");
	out->session_usd = config_float(cfg, "budget.session_usd");
	out->daily_usd = config_float(cfg, "budget.daily_usd");
	out->monthly_usd = config_float(cfg, "budget.monthly_usd");
}

int
budget_limited(const struct budget_limits *lim)
{
	int run = lim->run_id != NULL &&
	    (lim->run_tokens > 0 || lim->run_usd > 0 ||
		lim->per_run_tokens > 0 || lim->per_run_calls > 0);
	int session = lim->session_id != NULL &&
	    (lim->session_tokens > 0 || lim->session_calls > 0 ||
		lim->session_usd > 0);

	return run || session || lim->daily_usd > 0 || lim->monthly_usd > 0;
}

static size_t
budget_json_chars(const json_t *j)
{
	size_t n;

	if (j == NULL)
		return 0;
	n = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	return n;
}

void
budget_estimate(const char *provider, const char *model,
    const struct llm_request *req, struct budget_estimate *out)
{
	struct llm_usage u;
	size_t chars;

	memset(&u, 0, sizeof u);
	memset(out, 0, sizeof *out);
	chars = (req->system != NULL ? strlen(req->system) : 0) +
	    budget_json_chars(req->messages) + budget_json_chars(req->tools);
	u.input_tokens = (long long)(chars + 3) / 4;
	u.output_tokens = req->max_tokens > 0 ? req->max_tokens : 0;
	out->tokens = u.input_tokens + u.output_tokens;
	out->priced = llm_cost_usd(provider, model, &u, &out->usd) == 0;
}

int64_t
budget_day_start(int64_t now_ms)
{
	const int64_t day = 86400 * 1000LL;

	return now_ms - ((now_ms % day) + day) % day;
}

int64_t
budget_month_start(int64_t now_ms)
{
	time_t t = (time_t)(budget_day_start(now_ms) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (int64_t)timegm(&tm) * 1000;
}

/* Which rows budget_total() adds up. */
enum budget_rows { ROWS_ALL, ROWS_RUN, ROWS_SESSION, ROWS_PRINCIPAL };

/*
 * The rows of `which` (`key` its run, session or principal) since
 * `since`, at `now_ms`: with `state` "spent" the settled ones, "reserved"
 * the unexpired reservations, NULL both.  0, or -1 (the error is
 * sqlite3_errmsg()).
 */
static int
budget_total(sqlite3 *db, enum budget_rows which, const char *key,
    int64_t since, int64_t now_ms, const char *state, struct budget_sum *out)
{
	static const char *const where[] = {
		[ROWS_ALL] = "",
		[ROWS_RUN] = " AND run_id = ?3",
		[ROWS_SESSION] = " AND session_id = ?3",
		[ROWS_PRINCIPAL] = " AND principal = ?3",
	};
	static const char *const states[] = {
		"(state = 'spent' OR expires_at > ?1)",
		"state = 'spent' AND ?1 IS NOT NULL",
		"state = 'reserved' AND expires_at > ?1",
	};
	sqlite3_stmt *st;
	char sql[320];
	int rc = -1,
	    k = state == NULL           ? 0 :
	    strcmp(state, "spent") == 0 ? 1 :
					  2;

	memset(out, 0, sizeof *out);
	snprintf(sql, sizeof sql,
	    "SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(calls), 0), "
	    "COALESCE(SUM(usd), 0.0) FROM budget_ledger WHERE %s AND "
	    "at >= ?2%s",
	    states[k], where[which]);
	if ((st = db_prepare(db, sql, which != ROWS_ALL ? "IIt" : "II", now_ms,
		 since, key)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->tokens = sqlite3_column_int64(st, 0);
		out->calls = sqlite3_column_int64(st, 1);
		out->usd = sqlite3_column_double(st, 2);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int
budget_usage(sqlite3 *db, const char *principal, int64_t since, int64_t now_ms,
    struct budget_sum *spent, struct budget_sum *reserved, char **cause)
{
	enum budget_rows w = principal != NULL ? ROWS_PRINCIPAL : ROWS_ALL;

	if (budget_total(db, w, principal, since, now_ms, "spent", spent) !=
		0 ||
	    budget_total(db, w, principal, since, now_ms, "reserved",
		reserved) != 0) {
		xasprintf(cause, "budget: the ledger cannot be read: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * One limit in tokens, calls and USD (0: none) over the rows `sum` adds
 * up, named `name` in a refusal: "budget: NAME would be exceeded: ...".
 */
static int
budget_cap(const char *name, const struct budget_sum *sum, long long tokens,
    long long calls, double usd, const struct budget_estimate *est,
    char **cause)
{
	long long ncalls = est->hold ? 0 : 1;

	if (tokens > 0 && sum->tokens + est->tokens > tokens) {
		xasprintf(cause,
		    "budget: %s (%lld tokens) would be exceeded: %lld used, "
		    "this call may need %lld",
		    name, tokens, sum->tokens, est->tokens);
		return -1;
	}
	if (calls > 0 && sum->calls + ncalls > calls) {
		xasprintf(cause,
		    "budget: %s (%lld calls) would be exceeded: %lld calls "
		    "made",
		    name, calls, sum->calls);
		return -1;
	}
	if (usd > 0 && sum->usd + est->usd > usd) {
		xasprintf(cause,
		    "budget: %s ($%.4f) would be exceeded: $%.4f used, this "
		    "call may cost $%.4f",
		    name, usd, sum->usd, est->usd);
		return -1;
	}
	return 0;
}

/*
 * The limits of the call's principal, its session and the run's call
 * count (those budget_check() does not do).  0, -1 with *cause, or -2
 * (a database error: sqlite3_errmsg()).
 */
static int
budget_check_more(sqlite3 *db, const struct budget_limits *lim,
    const char *provider, const char *model, const struct budget_estimate *est,
    int64_t now_ms, char **cause)
{
	const char *who =
	    lim->principal != NULL ? lim->principal : BUDGET_DEFAULT_AGENT;
	struct budget_agent a;
	struct budget_sum sum, held;
	char name[160], *c = NULL;
	int has;

	if (lim->run_id != NULL && lim->per_run_calls > 0) {
		if (budget_total(db, ROWS_RUN, lim->run_id, 0, now_ms, NULL,
			&sum) != 0)
			return -2;
		if (budget_cap("the call budget of a run "
			       "(budget.max_calls_per_run)",
			&sum, 0, lim->per_run_calls, 0, est, cause) != 0)
			return -1;
	}
	if (lim->session_id != NULL &&
	    (lim->session_tokens > 0 || lim->session_calls > 0 ||
		lim->session_usd > 0)) {
		if (lim->session_usd > 0 && !est->priced) {
			xasprintf(cause,
			    "budget: %s/%s has no price, so budget.session_usd "
			    "cannot be enforced; the call is refused",
			    provider, model);
			return -1;
		}
		if (budget_total(db, ROWS_SESSION, lim->session_id, 0, now_ms,
			NULL, &sum) != 0)
			return -2;
		if (budget_cap("the budget of a session (budget.session_tokens, "
			       "budget.session_calls, budget.session_usd)",
			&sum, lim->session_tokens, lim->session_calls,
			lim->session_usd, est, cause) != 0)
			return -1;
	}
	if ((has = budget_agent_get(db, who, &a, &c)) < 0) {
		free(c);
		return -2;
	}
	if (has == 0 || (a.tokens == 0 && a.calls == 0 && a.usd == 0))
		return 0;
	snprintf(name, sizeof name, "the %s budget of agent '%s'",
	    a.window == BUDGET_DAY       ? "daily (UTC)" :
		a.window == BUDGET_MONTH ? "monthly (UTC)" :
					   "lifetime",
	    who);
	if (a.usd > 0 && !est->priced) {
		xasprintf(cause,
		    "budget: %s/%s has no price, so the USD limit of agent "
		    "'%s' cannot be enforced; the call is refused",
		    provider, model, who);
		return -1;
	}
	if (budget_agent_used(db, &a, now_ms, &sum, &held, &c) != 0) {
		free(c);
		return -2;
	}
	sum.tokens += held.tokens;
	sum.calls += held.calls;
	sum.usd += held.usd;
	return budget_cap(name, &sum, a.tokens, a.calls, a.usd, est, cause);
}

/* Whether every limit of `lim` holds with `est` added; else *cause. */
static int
budget_check(sqlite3 *db, const struct budget_limits *lim, const char *provider,
    const char *model, const struct budget_estimate *est, int64_t now_ms,
    char **cause)
{
	struct budget_sum sum;
	long long tokens = 0;
	double usd = 0;
	const char *usd_name = NULL;
	int more;

	if (lim->run_id != NULL && lim->run_usd > 0)
		usd_name = "this run's USD budget (--budget-usd)";
	else if (lim->daily_usd > 0)
		usd_name = "budget.daily_usd";
	else if (lim->monthly_usd > 0)
		usd_name = "budget.monthly_usd";
	if (usd_name != NULL && !est->priced) {
		xasprintf(cause,
		    "budget: %s/%s has no price, so %s cannot be enforced; "
		    "the call is refused",
		    provider, model, usd_name);
		return -1;
	}
	if (lim->run_id != NULL &&
	    (lim->run_tokens > 0 || lim->per_run_tokens > 0 ||
		lim->run_usd > 0)) {
		if (budget_total(db, ROWS_RUN, lim->run_id, 0, now_ms, NULL,
			&sum) != 0)
			goto dberr;
		tokens = sum.tokens;
		usd = sum.usd;
		if (lim->run_tokens > 0 &&
		    tokens + est->tokens > lim->run_tokens) {
			xasprintf(cause,
			    "budget: this run's token budget (%lld) would be "
			    "exceeded: %lld used, this call may need %lld",
			    lim->run_tokens, tokens, est->tokens);
			return -1;
		}
		if (lim->per_run_tokens > 0 &&
		    tokens + est->tokens > lim->per_run_tokens) {
			xasprintf(cause,
			    "budget: the token budget of a run "
			    "(budget.max_tokens_per_run = %lld) would be "
			    "exceeded: %lld used, this call may need %lld",
			    lim->per_run_tokens, tokens, est->tokens);
			return -1;
		}
		if (lim->run_usd > 0 && usd + est->usd > lim->run_usd) {
			xasprintf(cause,
			    "budget: this run's USD budget ($%.4f) would be "
			    "exceeded: $%.4f used, this call may cost $%.4f",
			    lim->run_usd, usd, est->usd);
			return -1;
		}
	}
	if (lim->daily_usd > 0) {
		if (budget_total(db, ROWS_ALL, NULL, budget_day_start(now_ms),
			now_ms, NULL, &sum) != 0)
			goto dberr;
		usd = sum.usd;
		if (usd + est->usd > lim->daily_usd) {
			xasprintf(cause,
			    "budget: the daily USD budget (budget.daily_usd = "
			    "$%.4f) would be exceeded: $%.4f used today (UTC), "
			    "this call may cost $%.4f",
			    lim->daily_usd, usd, est->usd);
			return -1;
		}
	}
	if (lim->monthly_usd > 0) {
		if (budget_total(db, ROWS_ALL, NULL, budget_month_start(now_ms),
			now_ms, NULL, &sum) != 0)
			goto dberr;
		usd = sum.usd;
		if (usd + est->usd > lim->monthly_usd) {
			xasprintf(cause,
			    "budget: the monthly USD budget (budget.monthly_usd "
			    "= $%.4f) would be exceeded: $%.4f used this month "
			    "(UTC), this call may cost $%.4f",
			    lim->monthly_usd, usd, est->usd);
			return -1;
		}
	}
	if ((more = budget_check_more(db, lim, provider, model, est, now_ms,
		 cause)) != -2)
		return more;
dberr:
	xasprintf(cause, "budget: the ledger cannot be read: %s",
	    sqlite3_errmsg(db));
	return -1;
}

/*
 * Drop the rows older than `cut`, first adding what the settled ones
 * since their principal's last reset spent to its budget_carry (its
 * lifetime total).  0, or -1 (sqlite3_errmsg()).
 */
static int
budget_prune(sqlite3 *db, int64_t cut)
{
	static const char *const sql[] = {
		"INSERT INTO budget_carry (principal, tokens, calls, usd) "
		"SELECT l.principal, SUM(l.tokens), SUM(l.calls), SUM(l.usd) "
		"FROM budget_ledger l LEFT JOIN budget_agents a "
		"ON a.principal = l.principal WHERE l.state = 'spent' AND "
		"l.at < ?1 AND l.at >= COALESCE(a.reset_at, 0) "
		"GROUP BY l.principal "
		"ON CONFLICT (principal) DO UPDATE SET "
		"tokens = tokens + excluded.tokens, "
		"calls = calls + excluded.calls, usd = usd + excluded.usd",
		"DELETE FROM budget_ledger WHERE at < ?1",
	};
	size_t i;

	for (i = 0; i < sizeof sql / sizeof *sql; i++)
		if (db_exec(db, sql[i], "I", cut) < 0)
			return -1;
	return 0;
}

static int
budget_exec(sqlite3 *db, const char *sql, char **cause)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	xasprintf(cause, "budget: %s: %s", sql, sqlite3_errmsg(db));
	return -1;
}

int
budget_reserve(sqlite3 *db, const struct budget_limits *lim,
    const char *provider, const char *model, const struct budget_estimate *est,
    int64_t now_ms, int64_t *reservation, char **cause)
{
	int rc = -1, open = 0;

	*reservation = 0;
	if (budget_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		goto out;
	open = 1;
	if (budget_check(db, lim, provider, model, est, now_ms, cause) != 0)
		goto out;
	if (db_exec(db,
		"INSERT INTO budget_ledger (at, run_id, provider, model, "
		"tokens, usd, state, expires_at, principal, session_id, calls) "
		"VALUES (?, ?, ?, ?, ?, ?, 'reserved', ?, ?, ?, ?)",
		"ItttIdItti", now_ms, lim->run_id, provider, model,
		(int64_t)est->tokens, est->priced ? est->usd : 0.0,
		(int64_t)(now_ms +
		    (est->ttl_ms > 0 ? est->ttl_ms : BUDGET_RESERVE_TTL_MS)),
		lim->principal != NULL ? lim->principal : BUDGET_DEFAULT_AGENT,
		lim->session_id, est->hold ? 0 : 1) < 0)
		goto dberr;
	*reservation = sqlite3_last_insert_rowid(db);
	if (budget_prune(db, now_ms - BUDGET_KEEP_MS) != 0)
		goto dberr;
	if (budget_exec(db, "COMMIT", cause) != 0)
		goto out;
	open = 0;
	rc = 0;
	goto out;
dberr:
	xasprintf(cause, "budget: the ledger cannot be written: %s",
	    sqlite3_errmsg(db));
out:
	if (open)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (rc != 0)
		*reservation = 0;
	return rc;
}

int
budget_settle(sqlite3 *db, int64_t id, long long tokens, double usd,
    char **cause)
{
	if (db_exec(db,
		"UPDATE budget_ledger SET tokens = ?, usd = ?, "
		"state = 'spent', expires_at = NULL WHERE id = ?",
		"IdI", (int64_t)tokens, usd, id) >= 0)
		return 0;
	xasprintf(cause, "budget: settling reservation %lld: %s", (long long)id,
	    sqlite3_errmsg(db));
	return -1;
}

int
budget_release(sqlite3 *db, int64_t id, char **cause)
{
	if (db_exec(db,
		"DELETE FROM budget_ledger WHERE id = ? AND state = "
		"'reserved'",
		"I", id) >= 0)
		return 0;
	xasprintf(cause, "budget: releasing reservation %lld: %s",
	    (long long)id, sqlite3_errmsg(db));
	return -1;
}

int
budget_run_spent(sqlite3 *db, const char *run_id, long long *tokens,
    double *usd, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	*tokens = 0;
	*usd = 0;
	if ((st = db_prepare(db,
		 "SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(usd), 0.0) "
		 "FROM budget_ledger WHERE state = 'spent' AND run_id = ?",
		 "t", run_id)) != NULL) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			*tokens = sqlite3_column_int64(st, 0);
			*usd = sqlite3_column_double(st, 1);
			rc = 0;
		}
	}
	if (rc != 0)
		xasprintf(cause, "budget: reading run %s: %s", run_id,
		    sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

void
budget_exceeded_event(const struct budget_limits *lim, const char *provider,
    const char *model, const char *cause)
{
	json_t *d;

	d = json_pack("{s:s, s:s*, s:s*, s:s, s:s, s:s}", "agent",
	    lim->principal != NULL ? lim->principal : BUDGET_DEFAULT_AGENT,
	    "session_id", lim->session_id, "run_id", lim->run_id, "provider",
	    provider, "model", model, "error", cause);
	events_emit(EVENT_BUDGET_EXCEEDED, d);
	json_decref(d);
}

int
budget_gate_reserve(const struct config *cfg, const struct call_scope *scope,
    const char *provider, const char *model, const struct llm_request *req,
    int64_t *reservation, struct llm_error *err)
{
	struct budget_limits lim;
	struct budget_estimate est;
	sqlite3 *db;
	char *cause = NULL;

	*reservation = 0;
	budget_limits_get(cfg, scope, &lim);
	if ((db = db_get()) == NULL) {
		if (!budget_limited(&lim))
			return 0; /* nothing to count, nothing to enforce */
		err->cls = LLM_ERR_BUDGET;
		snprintf(err->message, sizeof err->message,
		    "budget: no database to check the budget against; the "
		    "call is refused");
		return -1;
	}
	budget_estimate(provider, model, req, &est);
	if (budget_reserve(db, &lim, provider, model, &est, time_wall_ms(),
		reservation, &cause) != 0) {
		budget_exceeded_event(&lim, provider, model, cause);
		err->cls = LLM_ERR_BUDGET;
		snprintf(err->message, sizeof err->message, "%s", cause);
		log_warn("%s/%s: %s", provider, model, cause);
		free(cause);
		return -1;
	}
	return 0;
}

void
budget_gate_settle(int64_t reservation, int rc, const char *provider,
    const char *model, const struct llm_usage *usage)
{
	sqlite3 *db;
	char *cause = NULL;
	double usd = 0;
	int r;

	if (reservation == 0 || (db = db_get()) == NULL)
		return;
	if (rc == 0) {
		if (llm_cost_usd(provider, model, usage, &usd) != 0)
			usd = 0;
		r = budget_settle(db, reservation,
		    usage->input_tokens + usage->output_tokens +
			usage->cache_read_tokens + usage->cache_write_tokens,
		    usd, &cause);
	} else
		r = budget_release(db, reservation, &cause);
	if (r != 0) {
		log_error("%s", cause);
		free(cause);
	}
}
