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
	}
	out->per_run_tokens = config_int(cfg, "budget.max_tokens_per_run");
	out->daily_usd = config_float(cfg, "budget.daily_usd");
	out->monthly_usd = config_float(cfg, "budget.monthly_usd");
}

int
budget_limited(const struct budget_limits *lim)
{
	int run = lim->run_id != NULL &&
	    (lim->run_tokens > 0 || lim->run_usd > 0 ||
		lim->per_run_tokens > 0);

	return run || lim->daily_usd > 0 || lim->monthly_usd > 0;
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

/*
 * Spent + unexpired reserved rows: of run `run_id` when not NULL, else of
 * the rows since `since`.  0, or -1 (the error is sqlite3_errmsg()).
 */
static int
budget_sum(sqlite3 *db, const char *run_id, int64_t since, int64_t now_ms,
    long long *tokens, double *usd)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db,
		run_id != NULL ?
		    "SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(usd), 0.0) "
		    "FROM budget_ledger WHERE (state = 'spent' OR "
		    "expires_at > ?1) AND run_id = ?2" :
		    "SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(usd), 0.0) "
		    "FROM budget_ledger WHERE (state = 'spent' OR "
		    "expires_at > ?1) AND at >= ?3",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	if (run_id != NULL)
		sqlite3_bind_text(st, 2, run_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 3, since);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*tokens = sqlite3_column_int64(st, 0);
		*usd = sqlite3_column_double(st, 1);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Whether every limit of `lim` holds with `est` added; else *cause. */
static int
budget_check(sqlite3 *db, const struct budget_limits *lim, const char *provider,
    const char *model, const struct budget_estimate *est, int64_t now_ms,
    char **cause)
{
	long long tokens = 0;
	double usd = 0;
	const char *usd_name = NULL;

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
		if (budget_sum(db, lim->run_id, 0, now_ms, &tokens, &usd) != 0)
			goto dberr;
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
		if (budget_sum(db, NULL, budget_day_start(now_ms), now_ms,
			&tokens, &usd) != 0)
			goto dberr;
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
		if (budget_sum(db, NULL, budget_month_start(now_ms), now_ms,
			&tokens, &usd) != 0)
			goto dberr;
		if (usd + est->usd > lim->monthly_usd) {
			xasprintf(cause,
			    "budget: the monthly USD budget (budget.monthly_usd "
			    "= $%.4f) would be exceeded: $%.4f used this month "
			    "(UTC), this call may cost $%.4f",
			    lim->monthly_usd, usd, est->usd);
			return -1;
		}
	}
	return 0;
dberr:
	xasprintf(cause, "budget: the ledger cannot be read: %s",
	    sqlite3_errmsg(db));
	return -1;
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
	sqlite3_stmt *st = NULL;
	int rc = -1, open = 0;

	*reservation = 0;
	if (budget_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		goto out;
	open = 1;
	if (budget_check(db, lim, provider, model, est, now_ms, cause) != 0)
		goto out;
	if (sqlite3_prepare_v2(db,
		"INSERT INTO budget_ledger (at, run_id, provider, model, "
		"tokens, usd, state, expires_at) "
		"VALUES (?, ?, ?, ?, ?, ?, 'reserved', ?)",
		-1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, now_ms);
	if (lim->run_id != NULL)
		sqlite3_bind_text(st, 2, lim->run_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, model, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, est->tokens);
	sqlite3_bind_double(st, 6, est->priced ? est->usd : 0.0);
	sqlite3_bind_int64(st, 7, now_ms + BUDGET_RESERVE_TTL_MS);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr;
	*reservation = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "DELETE FROM budget_ledger WHERE at < ?", -1,
		&st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, now_ms - BUDGET_KEEP_MS);
	if (sqlite3_step(st) != SQLITE_DONE)
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
	sqlite3_finalize(st);
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
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db,
		"UPDATE budget_ledger SET tokens = ?, usd = ?, "
		"state = 'spent', expires_at = NULL WHERE id = ?",
		-1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, tokens);
		sqlite3_bind_double(st, 2, usd);
		sqlite3_bind_int64(st, 3, id);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = 0;
	}
	if (rc != 0)
		xasprintf(cause, "budget: settling reservation %lld: %s",
		    (long long)id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

int
budget_release(sqlite3 *db, int64_t id, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db,
		"DELETE FROM budget_ledger WHERE id = ? AND state = "
		"'reserved'",
		-1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = 0;
	}
	if (rc != 0)
		xasprintf(cause, "budget: releasing reservation %lld: %s",
		    (long long)id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

int
budget_run_spent(sqlite3 *db, const char *run_id, long long *tokens,
    double *usd, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	*tokens = 0;
	*usd = 0;
	if (sqlite3_prepare_v2(db,
		"SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(usd), 0.0) "
		"FROM budget_ledger WHERE state = 'spent' AND run_id = ?",
		-1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
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
