/*
 * budget_agent.c — the budgets of agent principals: their limits in
 * budget_agents, what they used in their window, changes (audited, with
 * events), holds, and the reports of GET /api/budget and `oxios budget`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/budget_agent.h"
#include "kernel/events.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/xalloc.h"

static const char *const budget_windows[] = {
	[BUDGET_DAY] = "day",
	[BUDGET_MONTH] = "month",
	[BUDGET_LIFETIME] = "lifetime",
};

int
budget_agent_name_ok(const char *name, char **cause)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > BUDGET_AGENT_MAX ||
	    strspn(name,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789_.-") != n) {
		xasprintf(cause,
		    "invalid agent name '%.*s%s': 1 to %d of A-Z a-z 0-9 _ . -",
		    (int)(n > BUDGET_AGENT_MAX ? BUDGET_AGENT_MAX : n),
		    name != NULL ? name : "", n > BUDGET_AGENT_MAX ? "..." : "",
		    BUDGET_AGENT_MAX);
		return -1;
	}
	return 0;
}

const char *
budget_window_name(enum budget_window w)
{
	return (unsigned)w <= BUDGET_LIFETIME ? budget_windows[w] : "lifetime";
}

int
budget_window_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i <= BUDGET_LIFETIME; i++) {
		if (strcmp(s, budget_windows[i]) == 0)
			return i;
	}
	return -1;
}

int64_t
budget_window_start(enum budget_window w, int64_t reset_at, int64_t now_ms)
{
	int64_t start = w == BUDGET_DAY ? budget_day_start(now_ms) :
	    w == BUDGET_MONTH           ? budget_month_start(now_ms) :
					  0;

	return reset_at > start ? reset_at : start;
}

/* Member `key` of `body`, an integer in [0, max] into *out (absent: left
 * alone).  0, or -1 with *cause. */
static int
budget_int_member(const json_t *body, const char *key, long long max,
    long long *out, char **cause)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max) {
		xasprintf(cause, "%s must be an integer from 0 to %lld", key,
		    max);
		return -1;
	}
	*out = (long long)json_integer_value(v);
	return 0;
}

static int
budget_usd_member(const json_t *body, double *out, char **cause)
{
	json_t *v = json_object_get(body, "usd");

	if (v == NULL)
		return 0;
	if (!json_is_number(v) || !(json_number_value(v) >= 0) ||
	    json_number_value(v) > 1e9) {
		xasprintf(cause, "usd must be a number from 0 to 1e9");
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

/* Whether every member of `body` (an object) is one of `keys`; else
 * *cause. */
static int
budget_members_ok(const json_t *body, const char *const *keys, char **cause)
{
	const char *key;
	json_t *v;
	int i;

	if (!json_is_object(body)) {
		xasprintf(cause, "the body must be a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)body, key, v) {
		for (i = 0; keys[i] != NULL; i++) {
			if (strcmp(key, keys[i]) == 0)
				break;
		}
		if (keys[i] == NULL) {
			xasprintf(cause, "unknown member '%.64s'", key);
			return -1;
		}
	}
	return 0;
}

int
budget_limits_parse(const json_t *body, struct budget_agent *out, char **cause)
{
	static const char *const keys[] = { "tokens", "calls", "usd", "window",
		NULL };
	json_t *w;
	int win = BUDGET_LIFETIME;

	out->tokens = out->calls = 0;
	out->usd = 0;
	if (budget_members_ok(body, keys, cause) != 0 ||
	    budget_int_member(body, "tokens", 1000000000000LL, &out->tokens,
		cause) != 0 ||
	    budget_int_member(body, "calls", 1000000000LL, &out->calls,
		cause) != 0 ||
	    budget_usd_member(body, &out->usd, cause) != 0)
		return -1;
	if ((w = json_object_get(body, "window")) != NULL &&
	    (win = budget_window_parse(json_string_value(w))) < 0) {
		xasprintf(cause, "window must be day, month or lifetime");
		return -1;
	}
	out->window = (enum budget_window)win;
	if (out->tokens == 0 && out->calls == 0 && out->usd == 0) {
		xasprintf(cause,
		    "give at least one limit above 0: tokens, "
		    "calls or usd (to remove the limits: DELETE)");
		return -1;
	}
	return 0;
}

int
budget_hold_parse(const json_t *body, long long *tokens, double *usd,
    int64_t *ttl_ms, char **cause)
{
	static const char *const keys[] = { "tokens", "usd", "ttl_secs", NULL };
	long long ttl = BUDGET_HOLD_DEFAULT_MS / 1000;

	*tokens = 0;
	*usd = 0;
	if (budget_members_ok(body, keys, cause) != 0 ||
	    budget_int_member(body, "tokens", 1000000000000LL, tokens, cause) !=
		0 ||
	    budget_usd_member(body, usd, cause) != 0 ||
	    budget_int_member(body, "ttl_secs", BUDGET_HOLD_MAX_MS / 1000, &ttl,
		cause) != 0)
		return -1;
	if (ttl < 1) {
		xasprintf(cause, "ttl_secs must be an integer from 1 to %lld",
		    BUDGET_HOLD_MAX_MS / 1000);
		return -1;
	}
	if (*tokens == 0 && *usd == 0) {
		xasprintf(cause, "give tokens or usd above 0 to reserve");
		return -1;
	}
	*ttl_ms = ttl * 1000;
	return 0;
}

int
budget_agent_get(sqlite3 *db, const char *principal, struct budget_agent *out,
    char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, s;

	memset(out, 0, sizeof *out);
	if ((st = db_prepare(db,
		 "SELECT tokens, calls, usd, period, reset_at, updated_at "
		 "FROM budget_agents WHERE principal = ?",
		 "t", principal)) == NULL)
		goto out;
	if ((s = sqlite3_step(st)) == SQLITE_DONE)
		rc = 0;
	else if (s == SQLITE_ROW) {
		snprintf(out->principal, sizeof out->principal, "%s",
		    principal);
		out->tokens = sqlite3_column_int64(st, 0);
		out->calls = sqlite3_column_int64(st, 1);
		out->usd = sqlite3_column_double(st, 2);
		s = budget_window_parse(
		    (const char *)sqlite3_column_text(st, 3));
		out->window = s < 0 ? BUDGET_LIFETIME : (enum budget_window)s;
		out->reset_at = sqlite3_column_int64(st, 4);
		out->updated_at = sqlite3_column_int64(st, 5);
		rc = 1;
	}
out:
	if (rc < 0)
		xasprintf(cause, "budget: reading the limits of agent '%s': %s",
		    principal, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

int
budget_agent_used(sqlite3 *db, const struct budget_agent *a, int64_t now_ms,
    struct budget_sum *spent, struct budget_sum *reserved, char **cause)
{
	sqlite3_stmt *st = NULL;
	int64_t since = budget_window_start(a->window, a->reset_at, now_ms);

	if (budget_usage(db, a->principal, since, now_ms, spent, reserved,
		cause) != 0)
		return -1;
	if (a->window != BUDGET_LIFETIME)
		return 0;
	/* What rows pruned for age carried since the last reset. */
	if ((st = db_prepare(db,
		 "SELECT tokens, calls, usd FROM budget_carry "
		 "WHERE principal = ?",
		 "t", a->principal)) == NULL) {
		xasprintf(cause, "budget: the ledger cannot be read: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		spent->tokens += sqlite3_column_int64(st, 0);
		spent->calls += sqlite3_column_int64(st, 1);
		spent->usd += sqlite3_column_double(st, 2);
	}
	sqlite3_finalize(st);
	return 0;
}

/* One budget change: its statements, bound to what they change. */
struct budget_change {
	const struct budget_agent *a; /* set */
	const char *principal;
	int64_t now_ms;
	int changed; /* rows the first statement changed */
};

static int
budget_run(sqlite3 *db, const char *sql, const struct budget_change *c,
    int *changed, char **cause)
{
	int64_t n;

	n = c->a != NULL ? db_exec(db, sql, "tIIIdt", c->principal, c->now_ms,
			       (int64_t)c->a->tokens, (int64_t)c->a->calls,
			       c->a->usd, budget_window_name(c->a->window)) :
			   db_exec(db, sql, "tI", c->principal, c->now_ms);
	if (n < 0) {
		xasprintf(cause, "budget: changing agent '%s': %s",
		    c->principal, sqlite3_errmsg(db));
		return -1;
	}
	if (changed != NULL)
		*changed = (int)n;
	return 0;
}

static int
budget_write_set(sqlite3 *db, void *arg, char **cause)
{
	struct budget_change *c = arg;

	return budget_run(db,
	    "INSERT INTO budget_agents (principal, updated_at, tokens, calls, "
	    "usd, period) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT (principal) DO UPDATE SET tokens = ?3, calls = ?4, "
	    "usd = ?5, period = ?6, updated_at = ?2",
	    c, &c->changed, cause);
}

static int
budget_write_unset(sqlite3 *db, void *arg, char **cause)
{
	struct budget_change *c = arg;

	return budget_run(db,
	    "DELETE FROM budget_agents WHERE principal = ?1 AND ?2 IS NOT NULL",
	    c, &c->changed, cause);
}

static int
budget_write_reset(sqlite3 *db, void *arg, char **cause)
{
	struct budget_change *c = arg;

	if (budget_run(db,
		"UPDATE budget_agents SET reset_at = ?2, updated_at = ?2 "
		"WHERE principal = ?1",
		c, &c->changed, cause) != 0)
		return -1;
	if (c->changed == 0)
		return 0;
	return budget_run(db,
	    "DELETE FROM budget_carry WHERE principal = ?1 AND ?2 IS NOT NULL",
	    c, NULL, cause);
}

/*
 * The limits for the audit log and the event bus, whose redaction hides
 * every member named like "tokens": {window, limits: [{kind, max}...]}.
 */
static json_t *
budget_limits_note(const struct budget_agent *a)
{
	return json_pack("{s:s, s:[{s:s, s:I}, {s:s, s:I}, {s:s, s:f}]}",
	    "window", budget_window_name(a->window), "limits", "kind", "tokens",
	    "max", (json_int_t)a->tokens, "kind", "calls", "max",
	    (json_int_t)a->calls, "kind", "usd", "max", a->usd);
}

static json_t *
budget_limits_json(const struct budget_agent *a)
{
	return json_pack("{s:I, s:I, s:f, s:s}", "tokens",
	    (json_int_t)a->tokens, "calls", (json_int_t)a->calls, "usd", a->usd,
	    "window", budget_window_name(a->window));
}

int
budget_agent_set(sqlite3 *db, const struct budget_agent *a, const char *actor,
    int64_t now_ms, char **cause)
{
	struct budget_change c = { a, a->principal, now_ms, 0 };
	char res[BUDGET_AGENT_MAX + 8];
	json_t *d, *ev;
	int rc;

	if (budget_agent_name_ok(a->principal, cause) != 0)
		return -1;
	snprintf(res, sizeof res, "budget:%s", a->principal);
	d = budget_limits_note(a);
	json_object_set_new(d, "op", json_string("set"));
	rc = audit_write(db, budget_write_set, &c, actor, AUDIT_BUDGET, res, d,
	    cause);
	if (rc == 0) {
		ev = budget_limits_note(a);
		json_object_set_new(ev, "agent", json_string(a->principal));
		events_emit(EVENT_BUDGET_SET, ev);
		json_decref(ev);
	}
	json_decref(d);
	return rc;
}

/* Unset or reset: 1, 0 (no limits), -1 with *cause. */
static int
budget_agent_change(sqlite3 *db, const char *principal, const char *actor,
    int64_t now_ms, int reset, char **cause)
{
	struct budget_change c = { NULL, principal, now_ms, 0 };
	struct budget_agent a;
	char res[BUDGET_AGENT_MAX + 8];
	json_t *d, *ev;
	int has;

	if (budget_agent_name_ok(principal, cause) != 0)
		return -1;
	if ((has = budget_agent_get(db, principal, &a, cause)) <= 0)
		return has;
	snprintf(res, sizeof res, "budget:%s", principal);
	d = reset ? json_object() : budget_limits_note(&a);
	json_object_set_new(d, "op", json_string(reset ? "reset" : "unset"));
	if (audit_write(db, reset ? budget_write_reset : budget_write_unset, &c,
		actor, AUDIT_BUDGET, res, d, cause) != 0) {
		json_decref(d);
		return -1;
	}
	json_decref(d);
	if (c.changed == 0)
		return 0; /* gone in between */
	if (reset)
		ev = json_pack("{s:s, s:I}", "agent", principal, "reset_at",
		    (json_int_t)now_ms);
	else
		ev = json_pack("{s:s, s:n}", "agent", principal, "limits");
	events_emit(reset ? EVENT_BUDGET_RESET : EVENT_BUDGET_SET, ev);
	json_decref(ev);
	return 1;
}

int
budget_agent_unset(sqlite3 *db, const char *principal, const char *actor,
    char **cause)
{
	return budget_agent_change(db, principal, actor, 0, 0, cause);
}

int
budget_agent_reset(sqlite3 *db, const char *principal, const char *actor,
    int64_t now_ms, char **cause)
{
	return budget_agent_change(db, principal, actor, now_ms, 1, cause);
}

int
budget_agent_hold(sqlite3 *db, const struct config *cfg, const char *principal,
    long long tokens, double usd, int64_t ttl_ms, const char *actor,
    int64_t now_ms, int64_t *id, int64_t *expires_at, int *exceeded,
    char **cause)
{
	struct budget_limits lim;
	struct budget_estimate est = { tokens, usd, 1, 1, ttl_ms };
	char res[BUDGET_AGENT_MAX + 8];
	json_t *d;

	*exceeded = 0;
	*id = 0;
	if (budget_agent_name_ok(principal, cause) != 0)
		return -1;
	budget_limits_get(cfg, NULL, &lim);
	lim.principal = principal;
	if (budget_reserve(db, &lim, "api", "hold", &est, now_ms, id, cause) !=
	    0) {
		*exceeded = strncmp(*cause, "budget: ", 8) == 0 &&
		    strstr(*cause, "would be exceeded") != NULL;
		if (*exceeded)
			budget_exceeded_event(&lim, "api", "hold", *cause);
		return -1;
	}
	*expires_at = now_ms + ttl_ms;
	snprintf(res, sizeof res, "budget:%s", principal);
	d = json_pack("{s:s, s:I, s:[{s:s, s:I}, {s:s, s:f}], s:I}", "op",
	    "reserve", "reservation", (json_int_t)*id, "hold", "kind", "tokens",
	    "amount", (json_int_t)tokens, "kind", "usd", "amount", usd,
	    "expires_at", (json_int_t)*expires_at);
	audit_note(db, actor, AUDIT_BUDGET, res, d);
	json_decref(d);
	return 0;
}

int
budget_agent_release(sqlite3 *db, const char *principal, int64_t id,
    const char *actor, int64_t now_ms, char **cause)
{
	char res[BUDGET_AGENT_MAX + 8];
	int64_t n;
	json_t *d;

	if (budget_agent_name_ok(principal, cause) != 0)
		return -1;
	if ((n = db_exec(db,
		 "DELETE FROM budget_ledger WHERE id = ? AND principal = ? AND "
		 "state = 'reserved' AND calls = 0 AND provider = 'api' AND "
		 "model = 'hold' AND expires_at > ?",
		 "ItI", id, principal, now_ms)) < 0) {
		xasprintf(cause, "budget: releasing hold %lld: %s",
		    (long long)id, sqlite3_errmsg(db));
		return -1;
	}
	if (n > 0) {
		snprintf(res, sizeof res, "budget:%s", principal);
		d = json_pack("{s:s, s:I}", "op", "release", "reservation",
		    (json_int_t)id);
		audit_note(db, actor, AUDIT_BUDGET, res, d);
		json_decref(d);
	}
	return n > 0;
}

static json_t *
budget_sum_json(const struct budget_sum *s)
{
	return json_pack("{s:I, s:I, s:f}", "tokens", (json_int_t)s->tokens,
	    "calls", (json_int_t)s->calls, "usd", s->usd);
}

json_t *
budget_agent_json(sqlite3 *db, const char *principal, int64_t now_ms,
    char **cause)
{
	struct budget_agent a;
	struct budget_sum spent, held;
	json_t *o;
	int has;

	if ((has = budget_agent_get(db, principal, &a, cause)) < 0)
		return NULL;
	if (has == 0) { /* no limits: what it ever spent */
		snprintf(a.principal, sizeof a.principal, "%s", principal);
		a.window = BUDGET_LIFETIME;
	}
	if (budget_agent_used(db, &a, now_ms, &spent, &held, cause) != 0)
		return NULL;
	o = json_pack("{s:s, s:o, s:s, s:I, s:I, s:o, s:o}", "agent", principal,
	    "limits", has ? budget_limits_json(&a) : json_null(), "window",
	    budget_window_name(a.window), "window_start",
	    (json_int_t)budget_window_start(a.window, a.reset_at, now_ms),
	    "reset_at", (json_int_t)a.reset_at, "spent",
	    budget_sum_json(&spent), "reserved", budget_sum_json(&held));
	return o;
}

/* {limit, spent, reserved} of the global USD window from `since`. */
static json_t *
budget_global_json(sqlite3 *db, double limit, int64_t since, int64_t now_ms,
    char **cause)
{
	struct budget_sum spent, held;

	if (budget_usage(db, NULL, since, now_ms, &spent, &held, cause) != 0)
		return NULL;
	return json_pack("{s:f, s:I, s:o, s:o}", "usd", limit, "since",
	    (json_int_t)since, "spent", budget_sum_json(&spent), "reserved",
	    budget_sum_json(&held));
}

json_t *
budget_list_json(sqlite3 *db, const struct config *cfg, int64_t now_ms,
    char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *agents = json_array(), *a, *day = NULL, *month = NULL;

	if (sqlite3_prepare_v2(db,
		"SELECT principal FROM budget_agents UNION "
		"SELECT DISTINCT principal FROM budget_ledger UNION "
		"SELECT principal FROM budget_carry ORDER BY 1",
		-1, &st, NULL) != SQLITE_OK) {
		xasprintf(cause, "budget: the ledger cannot be read: %s",
		    sqlite3_errmsg(db));
		goto fail;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		a = budget_agent_json(db,
		    (const char *)sqlite3_column_text(st, 0), now_ms, cause);
		if (a == NULL)
			goto fail;
		json_array_append_new(agents, a);
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((day = budget_global_json(db, config_float(cfg, "budget.daily_usd"),
		 budget_day_start(now_ms), now_ms, cause)) == NULL ||
	    (month = budget_global_json(db,
		 config_float(cfg, "budget.monthly_usd"),
		 budget_month_start(now_ms), now_ms, cause)) == NULL)
		goto fail;
	return json_pack("{s:o, s:{s:o, s:o, s:{s:I, s:I}, s:{s:I, s:I, s:f}}}",
	    "agents", agents, "global", "daily", day, "monthly", month,
	    "per_run", "tokens",
	    (json_int_t)config_int(cfg, "budget.max_tokens_per_run"), "calls",
	    (json_int_t)config_int(cfg, "budget.max_calls_per_run"),
	    "per_session", "tokens",
	    (json_int_t)config_int(cfg, "budget.session_tokens"), "calls",
	    (json_int_t)config_int(cfg, "budget.session_calls"), "usd",
	    config_float(cfg, "budget.session_usd"));
fail:
	sqlite3_finalize(st);
	json_decref(agents);
	json_decref(day);
	json_decref(month);
	return NULL;
}
