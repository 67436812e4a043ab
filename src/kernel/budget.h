/*
 * budget.h — budgets: a reservation before each LLM call, settled after.
 *
 * The ledger lives in SQLite (budget_ledger, migration 007) so that every
 * process sharing the database (the daemon, an embedded `oxios run`)
 * counts the same spend.  budget_reserve() checks every applicable limit
 * against what is spent plus what is reserved, and reserves, in one
 * BEGIN IMMEDIATE transaction: concurrent callers never overspend.  A
 * reservation counts until it is settled (budget_settle(): the real usage
 * replaces it), released (budget_release()) or expires
 * (BUDGET_RESERVE_TTL_MS: its process died).  All times are Unix ms; the
 * day and month windows are UTC.
 */
#ifndef OXIOS_KERNEL_BUDGET_H
#define OXIOS_KERNEL_BUDGET_H

#include <stdint.h>
#include <sqlite3.h>

#include "config/config.h"
#include "kernel/scope.h"
#include "llm/llm.h"

#define BUDGET_RESERVE_TTL_MS (3600 * 1000LL)
/* Rows older than this are pruned (longer than any window or run). */
#define BUDGET_KEEP_MS (40 * 86400 * 1000LL)

/*
 * Every limit that applies to one call; 0 means none.  The limits of the
 * call's agent principal are not here: budget_reserve() reads them from
 * budget_agents (budget_agent.h) inside its transaction.
 */
struct budget_limits {
	const char *run_id;   /* run limits apply only with one */
	long long run_tokens; /* the run's flags */
	double run_usd;
	long long per_run_tokens; /* budget.max_tokens_per_run */
	long long per_run_calls;  /* budget.max_calls_per_run */
	double daily_usd;         /* budget.daily_usd, the UTC day */
	double monthly_usd;       /* budget.monthly_usd, the UTC month */
	const char *principal;    /* the agent profile; NULL: "default" */
	const char *session_id;   /* session limits apply only with one */
	long long session_tokens; /* budget.session_tokens */
	long long session_calls;  /* budget.session_calls */
	double session_usd;       /* budget.session_usd */
};

/*
 * What one call may spend: tokens, and USD when its model is priced.  A
 * hold (POST /api/budget/{agent}/reserve) counts no call and expires
 * after ttl_ms (0: BUDGET_RESERVE_TTL_MS).
 */
struct budget_estimate {
	long long tokens;
	double usd;
	int priced;
	int hold;
	int64_t ttl_ms;
};

/* What a set of ledger rows adds up to. */
struct budget_sum {
	long long tokens;
	long long calls;
	double usd;
};

/* The limits of `scope` (may be NULL) under `cfg`, into *out. */
void budget_limits_get(const struct config *cfg, const struct call_scope *scope,
    struct budget_limits *out);
/* Whether any limit is set in *lim. */
int budget_limited(const struct budget_limits *lim);

/*
 * The estimate of `req` on provider/model: input tokens counted roughly
 * from the request (its characters / 4: system, messages, tools), output
 * tokens its max_tokens; USD at the model's price, when it has one.
 */
void budget_estimate(const char *provider, const char *model,
    const struct llm_request *req, struct budget_estimate *out);

/* Start of the UTC day and of the UTC month holding `now_ms`. */
int64_t budget_day_start(int64_t now_ms);
int64_t budget_month_start(int64_t now_ms);

/*
 * Check every limit of `lim` against the ledger at `now_ms` and, when
 * `est` fits them all, reserve it for provider/model: *reservation is
 * its id.  A USD limit with an unpriced estimate is refused (fails
 * closed).  Returns 0; or -1 with *cause (caller frees): "budget: ..."
 * naming the budget that would be exceeded, or why it cannot be checked.
 */
int budget_reserve(sqlite3 *db, const struct budget_limits *lim,
    const char *provider, const char *model, const struct budget_estimate *est,
    int64_t now_ms, int64_t *reservation, char **cause);
/*
 * Replace reservation `id` with what the call really spent.  Returns 0,
 * or -1 with *cause (caller frees).
 */
int budget_settle(sqlite3 *db, int64_t id, long long tokens, double usd,
    char **cause);
/* Drop reservation `id` (the call was not made, or failed). */
int budget_release(sqlite3 *db, int64_t id, char **cause);
/*
 * Spent (settled) rows in *spent and unexpired reservations in *reserved,
 * at `now_ms`: of principal `principal` since `since` (0: ever), when
 * `principal` is not NULL; else of every principal since `since`.
 * Returns 0, or -1 with *cause (caller frees).
 */
int budget_usage(sqlite3 *db, const char *principal, int64_t since,
    int64_t now_ms, struct budget_sum *spent, struct budget_sum *reserved,
    char **cause);
/*
 * What a run has spent (settled), in tokens and USD.  Returns 0, or -1
 * with *cause (caller frees).
 */
int budget_run_spent(sqlite3 *db, const char *run_id, long long *tokens,
    double *usd, char **cause);

/* Publish "budget.exceeded" for a call under `lim` refused with `cause`. */
void budget_exceeded_event(const struct budget_limits *lim,
    const char *provider, const char *model, const char *cause);
/*
 * The gate's side (gate_call()): reserve for `req` on provider/model
 * with the thread's database connection, under `scope` (may be NULL).
 * Returns 0 with *reservation (0 when nothing was reserved: no database
 * and no limit), or -1 with *err filled (LLM_ERR_BUDGET).
 */
int budget_gate_reserve(const struct config *cfg,
    const struct call_scope *scope, const char *provider, const char *model,
    const struct llm_request *req, int64_t *reservation, struct llm_error *err);
/*
 * Settle `reservation` with `usage` when the call succeeded (rc 0), else
 * release it; failures are logged.
 */
void budget_gate_settle(int64_t reservation, int rc, const char *provider,
    const char *model, const struct llm_usage *usage);
#endif
