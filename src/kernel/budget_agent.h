/*
 * budget_agent.h — the budgets of agent principals: limits set at runtime
 * (REST /api/budget, `oxios budget`), stored in budget_agents (migration
 * 010), enforced by budget_reserve() (kernel/budget.h) on every call of
 * the principal.
 *
 * A principal is a named agent profile that outlives a run (`--agent
 * NAME`, `agent` in API requests; "default" unless named).  Its limits
 * are in tokens, calls and USD over a window: the UTC day, the UTC month
 * or its lifetime, counted from the later of the window's start and its
 * last reset.  A reset keeps the ledger's rows (the history) and records
 * its time.
 */
#ifndef OXIOS_KERNEL_BUDGET_AGENT_H
#define OXIOS_KERNEL_BUDGET_AGENT_H

#include <stdint.h>
#include <jansson.h>
#include <sqlite3.h>

#include "config/config.h"
#include "kernel/budget.h"

#define BUDGET_AGENT_MAX 64 /* characters of a principal's name */
#define BUDGET_DEFAULT_AGENT "default"
/* The longest hold of POST /api/budget/{agent}/reserve. */
#define BUDGET_HOLD_MAX_MS BUDGET_RESERVE_TTL_MS
#define BUDGET_HOLD_DEFAULT_MS (600 * 1000LL)

enum budget_window { BUDGET_DAY, BUDGET_MONTH, BUDGET_LIFETIME };

struct budget_agent {
	char principal[BUDGET_AGENT_MAX + 1];
	long long tokens; /* 0: no limit */
	long long calls;  /* 0: no limit */
	double usd;       /* 0: no limit */
	enum budget_window window;
	int64_t reset_at;   /* Unix ms of the last reset; 0: never */
	int64_t updated_at; /* Unix ms */
};

/*
 * Whether `name` can name a principal: 1 to 64 of [A-Za-z0-9_.-].
 * Returns 0, or -1 with *cause (caller frees) saying what is wrong.
 */
int budget_agent_name_ok(const char *name, char **cause);
/* "day", "month", "lifetime". */
const char *budget_window_name(enum budget_window w);
/* The window called `s`, or -1. */
int budget_window_parse(const char *s);
/* Where window `w` counts from at `now_ms`, after a reset at `reset_at`. */
int64_t budget_window_start(enum budget_window w, int64_t reset_at,
    int64_t now_ms);

/*
 * The bodies of POST /api/budget/{agent} ({tokens?, calls?, usd?,
 * window?}: at least one limit above 0, integers and a number >= 0, the
 * window "day", "month" or "lifetime" (the default)) and of its /reserve
 * ({tokens?, usd?, ttl_secs?}: at least one above 0; ttl_secs 1 to 3600,
 * 600 by default).  Other members are refused.  `body` may be anything
 * (or NULL).  0 with the fields of *out (principal left alone) or *tokens,
 * *usd, *ttl_ms; or -1 with *cause (caller frees).
 */
int budget_limits_parse(const json_t *body, struct budget_agent *out,
    char **cause);
int budget_hold_parse(const json_t *body, long long *tokens, double *usd,
    int64_t *ttl_ms, char **cause);

/* The limits of `principal` into *out: 1, 0 (none set), -1 with *cause. */
int budget_agent_get(sqlite3 *db, const char *principal,
    struct budget_agent *out, char **cause);
/*
 * What `a`'s principal used in its current window at `now_ms`: settled
 * rows (and, for a lifetime window, what pruned rows carried) in *spent,
 * unexpired reservations in *reserved.  0, or -1 with *cause.
 */
int budget_agent_used(sqlite3 *db, const struct budget_agent *a, int64_t now_ms,
    struct budget_sum *spent, struct budget_sum *reserved, char **cause);

/* The changes, each audited (action "budget") in its own transaction with
 * the write and published as an event.  `actor`: "user", ... */
/*
 * Set the limits of a->principal (its reset time is kept when it had
 * limits).  0, or -1 with *cause.
 */
int budget_agent_set(sqlite3 *db, const struct budget_agent *a,
    const char *actor, int64_t now_ms, char **cause);
/* Remove the limits of `principal`: 1, 0 (it had none), -1 with *cause. */
int budget_agent_unset(sqlite3 *db, const char *principal, const char *actor,
    char **cause);
/*
 * Start the window of `principal` anew at `now_ms` (its ledger rows are
 * kept): 1, 0 (it has no limits), -1 with *cause.
 */
int budget_agent_reset(sqlite3 *db, const char *principal, const char *actor,
    int64_t now_ms, char **cause);
/*
 * Hold `tokens` and `usd` for `principal` for `ttl_ms` ahead of an
 * expensive operation, checked against its limits and the global ones of
 * `cfg` like a call (but counting no call).  0 with *id and *expires_at;
 * or -1 with *cause ("budget: ..." naming the budget when it does not
 * fit: *exceeded is then 1).
 */
int budget_agent_hold(sqlite3 *db, const struct config *cfg,
    const char *principal, long long tokens, double usd, int64_t ttl_ms,
    const char *actor, int64_t now_ms, int64_t *id, int64_t *expires_at,
    int *exceeded, char **cause);

/*
 * Drop hold `id` of `principal` before it expires: 1, 0 (no such hold
 * held), -1 with *cause.  Audited.
 */
int budget_agent_release(sqlite3 *db, const char *principal, int64_t id,
    const char *actor, int64_t now_ms, char **cause);

/*
 * {agent, limits: {tokens, calls, usd, window} | null, reset_at,
 * window_start, spent: {tokens, calls, usd}, reserved: {...}}.  New
 * reference, or NULL with *cause.
 */
json_t *budget_agent_json(sqlite3 *db, const char *principal, int64_t now_ms,
    char **cause);
/*
 * Every principal with limits or spend in the ledger, and the global
 * limits of `cfg` with what they count: {agents: [...], global: {daily:
 * {usd, spent, reserved}, monthly: {...}, per_run: {...}, session:
 * {...}}}.  New reference, or NULL with *cause.
 */
json_t *budget_list_json(sqlite3 *db, const struct config *cfg, int64_t now_ms,
    char **cause);
#endif
