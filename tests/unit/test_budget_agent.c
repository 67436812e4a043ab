/*
 * test_budget_agent.c — budgets of agent principals: names, windows,
 * limits in tokens, calls and USD, reset, lifetime across pruning, holds,
 * sessions, events, and 20 threads racing on one agent's budget.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budget_race.h"
#include "tmpdb.h"

#include "kernel/budget_agent.h"
#include "kernel/events.h"
#include "store/db.h"
#include "util/xalloc.h"

TMPDB_FIXTURE("budgetag")

/* 2024-03-15T12:00:00Z */
#define T0 1710504000000LL
#define HOUR (3600 * 1000LL)
#define DAY (24 * HOUR)

/* Set `who`'s limits at `now`. */
static void
set(const char *who, long long tokens, long long calls, double usd,
    enum budget_window w, int64_t now)
{
	struct budget_agent a;
	char *cause = NULL;

	memset(&a, 0, sizeof a);
	snprintf(a.principal, sizeof a.principal, "%s", who);
	a.tokens = tokens;
	a.calls = calls;
	a.usd = usd;
	a.window = w;
	assert_int_equal(budget_agent_set(db, &a, "user", now, &cause), 0);
	assert_null(cause);
}

/*
 * A call of `who` (in `session`, may be NULL) for `tokens` and `usd` at
 * `now`, settled at once when admitted: 1, or 0 with *cause.
 */
static int
call(const char *who, const char *session, long long tokens, double usd,
    int64_t now, char **cause)
{
	struct budget_limits lim;
	struct budget_estimate e = { tokens, usd, 1, 0, 0 };
	int64_t id = 0;

	memset(&lim, 0, sizeof lim);
	lim.principal = who;
	lim.session_id = session;
	if (budget_reserve(db, &lim, "anthropic", "claude-sonnet-4-5", &e, now,
		&id, cause) != 0) {
		assert_int_equal(id, 0);
		assert_non_null(*cause);
		return 0;
	}
	assert_true(id > 0);
	assert_int_equal(budget_settle(db, id, tokens, usd, cause), 0);
	return 1;
}

static void
test_names_windows_bodies(void **state)
{
	char *cause = NULL, long_name[70];
	struct budget_agent a;
	long long tokens;
	double usd;
	int64_t ttl;
	json_t *j;

	(void)state;
	assert_int_equal(budget_agent_name_ok("default", &cause), 0);
	assert_int_equal(budget_agent_name_ok("a.b-c_D9", &cause), 0);
	memset(long_name, 'x', 64);
	long_name[64] = '\0';
	assert_int_equal(budget_agent_name_ok(long_name, &cause), 0);
	long_name[64] = 'x';
	long_name[65] = '\0';
	assert_int_equal(budget_agent_name_ok(long_name, &cause), -1);
	assert_non_null(strstr(cause, "...': 1 to 64 of"));
	free(cause);
	cause = NULL;
	assert_int_equal(budget_agent_name_ok("", &cause), -1);
	assert_string_equal(cause,
	    "invalid agent name '': 1 to 64 of A-Z a-z 0-9 _ . -");
	free(cause);
	cause = NULL;
	assert_int_equal(budget_agent_name_ok("a/b", &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(budget_agent_name_ok(NULL, &cause), -1);
	free(cause);
	cause = NULL;

	assert_int_equal(budget_window_parse("day"), BUDGET_DAY);
	assert_int_equal(budget_window_parse("month"), BUDGET_MONTH);
	assert_int_equal(budget_window_parse("lifetime"), BUDGET_LIFETIME);
	assert_int_equal(budget_window_parse("week"), -1);
	assert_int_equal(budget_window_parse(NULL), -1);
	assert_string_equal(budget_window_name(BUDGET_MONTH), "month");
	/* The window: its start, or the reset when later. */
	assert_int_equal(budget_window_start(BUDGET_DAY, 0, T0),
	    T0 - 12 * HOUR);
	assert_int_equal(budget_window_start(BUDGET_DAY, T0 - HOUR, T0),
	    T0 - HOUR);
	assert_int_equal(budget_window_start(BUDGET_DAY, T0 - DAY, T0),
	    T0 - 12 * HOUR);
	assert_int_equal(budget_window_start(BUDGET_MONTH, 0, T0),
	    1709251200000LL);
	assert_int_equal(budget_window_start(BUDGET_LIFETIME, 0, T0), 0);
	assert_int_equal(budget_window_start(BUDGET_LIFETIME, 5, T0), 5);

	/* Bodies. */
	j = json_pack("{s:i, s:s}", "calls", 3, "window", "day");
	assert_int_equal(budget_limits_parse(j, &a, &cause), 0);
	assert_int_equal(a.calls, 3);
	assert_int_equal(a.tokens, 0);
	assert_int_equal(a.window, BUDGET_DAY);
	json_decref(j);
	j = json_pack("{s:f}", "usd", 2.5);
	assert_int_equal(budget_limits_parse(j, &a, &cause), 0);
	assert_true(a.usd == 2.5 && a.window == BUDGET_LIFETIME);
	json_decref(j);
	{
		static const char *const bad[] = {
			"{}",
			"[]",
			"{\"tokens\": 0}",
			"{\"tokens\": -1}",
			"{\"tokens\": 1.5}",
			"{\"usd\": \"1\"}",
			"{\"usd\": -0.1}",
			"{\"tokens\": 1, \"window\": 3}",
			"{\"tokens\": 1, \"window\": \"week\"}",
			"{\"tokens\": 1, \"x\": 1}",
			"{\"calls\": 10000000000}",
		};
		size_t i;

		for (i = 0; i < sizeof bad / sizeof *bad; i++) {
			j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
			assert_int_equal(budget_limits_parse(j, &a, &cause),
			    -1);
			assert_non_null(cause);
			free(cause);
			cause = NULL;
			json_decref(j);
		}
	}
	assert_int_equal(budget_limits_parse(NULL, &a, &cause), -1);
	assert_string_equal(cause, "the body must be a JSON object");
	free(cause);
	cause = NULL;

	j = json_pack("{s:i}", "tokens", 100);
	assert_int_equal(budget_hold_parse(j, &tokens, &usd, &ttl, &cause), 0);
	assert_int_equal(tokens, 100);
	assert_int_equal(ttl, BUDGET_HOLD_DEFAULT_MS);
	json_decref(j);
	j = json_pack("{s:f, s:i}", "usd", 0.5, "ttl_secs", 3600);
	assert_int_equal(budget_hold_parse(j, &tokens, &usd, &ttl, &cause), 0);
	assert_int_equal(ttl, 3600 * 1000LL);
	json_decref(j);
	j = json_pack("{s:i, s:i}", "tokens", 1, "ttl_secs", 0);
	assert_int_equal(budget_hold_parse(j, &tokens, &usd, &ttl, &cause), -1);
	assert_string_equal(cause,
	    "ttl_secs must be an integer from 1 to 3600");
	free(cause);
	cause = NULL;
	json_decref(j);
	j = json_pack("{s:i}", "calls", 1);
	assert_int_equal(budget_hold_parse(j, &tokens, &usd, &ttl, &cause), -1);
	assert_string_equal(cause, "unknown member 'calls'");
	free(cause);
	json_decref(j);
}

static void
test_agent_limits_and_windows(void **state)
{
	struct budget_agent a;
	char *cause = NULL;

	(void)state;
	assert_int_equal(budget_agent_get(db, "alice", &a, &cause), 0);
	set("alice", 1000, 0, 0, BUDGET_DAY, T0);
	assert_int_equal(budget_agent_get(db, "alice", &a, &cause), 1);
	assert_int_equal(a.tokens, 1000);
	assert_int_equal(a.window, BUDGET_DAY);
	assert_int_equal(a.updated_at, T0);

	assert_int_equal(call("alice", NULL, 600, 0, T0, &cause), 1);
	assert_int_equal(call("alice", NULL, 401, 0, T0 + 1, &cause), 0);
	assert_string_equal(cause,
	    "budget: the daily (UTC) budget of agent 'alice' (1000 tokens) "
	    "would be exceeded: 600 used, this call may need 401");
	free(cause);
	cause = NULL;
	assert_int_equal(call("alice", NULL, 400, 0, T0 + 2, &cause), 1);
	/* Others are not limited by alice's budget. */
	assert_int_equal(call("bob", NULL, 5000, 0, T0 + 3, &cause), 1);
	assert_int_equal(call(NULL, NULL, 5000, 0, T0 + 3, &cause), 1);
	/* The next UTC day is a new window. */
	assert_int_equal(call("alice", NULL, 1, 0, T0 + 12 * HOUR - 1, &cause),
	    0);
	free(cause);
	cause = NULL;
	assert_int_equal(call("alice", NULL, 1000, 0, T0 + 12 * HOUR, &cause),
	    1);

	/* Calls: each reservation is one; a hold is none. */
	set("carol", 0, 2, 0, BUDGET_MONTH, T0);
	assert_int_equal(call("carol", NULL, 10, 0, T0, &cause), 1);
	assert_int_equal(call("carol", NULL, 10, 0, T0, &cause), 1);
	assert_int_equal(call("carol", NULL, 10, 0, T0, &cause), 0);
	assert_string_equal(cause,
	    "budget: the monthly (UTC) budget of agent 'carol' (2 calls) would "
	    "be exceeded: 2 calls made");
	free(cause);
	cause = NULL;
	/* The next month. */
	assert_int_equal(call("carol", NULL, 10, 0, 1711929600000LL, &cause),
	    1);

	/* USD: fails closed unpriced, counts priced. */
	set("dave", 0, 0, 1.0, BUDGET_LIFETIME, T0);
	{
		struct budget_limits lim;
		struct budget_estimate e = { 10, 0, 0, 0, 0 };
		int64_t id;

		memset(&lim, 0, sizeof lim);
		lim.principal = "dave";
		assert_int_equal(budget_reserve(db, &lim, "local", "llama3", &e,
				     T0, &id, &cause),
		    -1);
		assert_string_equal(cause,
		    "budget: local/llama3 has no price, so the USD limit of "
		    "agent 'dave' cannot be enforced; the call is refused");
		free(cause);
		cause = NULL;
	}
	assert_int_equal(call("dave", NULL, 10, 0.6, T0, &cause), 1);
	assert_int_equal(call("dave", NULL, 10, 0.6, T0 + DAY * 300, &cause),
	    0);
	assert_non_null(strstr(cause,
	    "lifetime budget of agent 'dave' "
	    "($1.0000) would be exceeded: $0.6000"));
	free(cause);
}

static void
test_reset_unset_and_carry(void **state)
{
	struct budget_sum spent, held;
	struct budget_agent a;
	char *cause = NULL;
	json_t *j;

	(void)state;
	assert_int_equal(budget_agent_reset(db, "erin", "user", T0, &cause), 0);
	assert_int_equal(budget_agent_unset(db, "erin", "user", &cause), 0);
	set("erin", 1000, 0, 0, BUDGET_LIFETIME, T0);
	assert_int_equal(call("erin", NULL, 900, 0, T0, &cause), 1);
	assert_int_equal(call("erin", NULL, 200, 0, T0 + 1, &cause), 0);
	free(cause);
	cause = NULL;
	assert_int_equal(budget_agent_reset(db, "erin", "user", T0 + 2, &cause),
	    1);
	assert_int_equal(budget_agent_get(db, "erin", &a, &cause), 1);
	assert_int_equal(a.reset_at, T0 + 2);
	assert_int_equal(call("erin", NULL, 200, 0, T0 + 2, &cause), 1);
	/* The history is kept: every row of erin, before the reset too. */
	assert_int_equal(budget_usage(db, "erin", 0, T0 + 3, &spent, &held,
			     &cause),
	    0);
	assert_int_equal(spent.tokens, 1100);
	assert_int_equal(spent.calls, 2);
	j = budget_agent_json(db, "erin", T0 + 3, &cause);
	assert_non_null(j);
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(j, "spent"),
				 "tokens")),
	    200);
	assert_int_equal(json_integer_value(json_object_get(j, "reset_at")),
	    T0 + 2);
	json_decref(j);

	/* Lifetime across pruning: rows older than BUDGET_KEEP_MS leave the
	 * ledger, their spend since the reset stays in the carry. */
	assert_int_equal(call("erin", NULL, 300, 0, T0 + BUDGET_KEEP_MS + HOUR,
			     &cause),
	    1); /* prunes the rows of T0 */
	assert_int_equal(budget_usage(db, "erin", 0, T0 + BUDGET_KEEP_MS + HOUR,
			     &spent, &held, &cause),
	    0);
	assert_int_equal(spent.tokens, 300); /* the ledger's rows */
	assert_int_equal(call("erin", NULL, 501, 0,
			     T0 + BUDGET_KEEP_MS + 2 * HOUR, &cause),
	    0);
	assert_non_null(strstr(cause, "500 used")); /* 200 carried + 300 */
	free(cause);
	cause = NULL;
	assert_int_equal(call("erin", NULL, 500, 0,
			     T0 + BUDGET_KEEP_MS + 2 * HOUR, &cause),
	    1);
	/* A reset clears the carry too. */
	assert_int_equal(budget_agent_reset(db, "erin", "user",
			     T0 + BUDGET_KEEP_MS + 3 * HOUR, &cause),
	    1);
	assert_int_equal(call("erin", NULL, 1000, 0,
			     T0 + BUDGET_KEEP_MS + 3 * HOUR, &cause),
	    1);

	/* Unset: no limit any more; the rows stay. */
	assert_int_equal(budget_agent_unset(db, "erin", "user", &cause), 1);
	assert_int_equal(budget_agent_get(db, "erin", &a, &cause), 0);
	assert_int_equal(call("erin", NULL, 100000, 0,
			     T0 + BUDGET_KEEP_MS + 4 * HOUR, &cause),
	    1);
	assert_int_equal(budget_agent_reset(db, "erin", "user", T0, &cause), 0);
}

static void
test_sessions_and_run_calls(void **state)
{
	struct budget_limits lim;
	struct budget_estimate e = { 100, 0, 1, 0, 0 };
	char *cause = NULL;
	int64_t id;

	(void)state;
	memset(&lim, 0, sizeof lim);
	lim.session_id = "s1";
	lim.session_tokens = 250;
	lim.session_calls = 3;
	assert_true(budget_limited(&lim));
	assert_int_equal(budget_reserve(db, &lim, "anthropic",
			     "claude-sonnet-4-5", &e, T0, &id, &cause),
	    0);
	assert_int_equal(budget_reserve(db, &lim, "anthropic",
			     "claude-sonnet-4-5", &e, T0, &id, &cause),
	    0);
	assert_int_equal(budget_reserve(db, &lim, "anthropic",
			     "claude-sonnet-4-5", &e, T0, &id, &cause),
	    -1);
	assert_string_equal(cause,
	    "budget: the budget of a session (budget.session_tokens, "
	    "budget.session_calls, budget.session_usd) (250 tokens) would be "
	    "exceeded: 200 used, this call may need 100");
	free(cause);
	cause = NULL;
	lim.session_tokens = 0;
	assert_int_equal(budget_reserve(db, &lim, "anthropic",
			     "claude-sonnet-4-5", &e, T0, &id, &cause),
	    0);
	assert_int_equal(budget_reserve(db, &lim, "anthropic",
			     "claude-sonnet-4-5", &e, T0, &id, &cause),
	    -1);
	assert_non_null(strstr(cause, "(3 calls) would be exceeded: 3 calls"));
	free(cause);
	cause = NULL;
	/* Another session is not limited. */
	lim.session_id = "s2";
	assert_int_equal(budget_reserve(db, &lim, "anthropic",
			     "claude-sonnet-4-5", &e, T0, &id, &cause),
	    0);
	/* Without a session there is no session limit. */
	lim.session_id = NULL;
	assert_false(budget_limited(&lim));

	/* budget.max_calls_per_run. */
	memset(&lim, 0, sizeof lim);
	lim.run_id = "r1";
	lim.per_run_calls = 1;
	assert_true(budget_limited(&lim));
	assert_int_equal(budget_reserve(db, &lim, "anthropic",
			     "claude-sonnet-4-5", &e, T0, &id, &cause),
	    0);
	assert_int_equal(budget_reserve(db, &lim, "anthropic",
			     "claude-sonnet-4-5", &e, T0, &id, &cause),
	    -1);
	assert_string_equal(cause,
	    "budget: the call budget of a run (budget.max_calls_per_run) (1 "
	    "calls) would be exceeded: 1 calls made");
	free(cause);
}

/* The type of the next event of `s`, or "" (caller's buffer). */
static const char *
next_type(struct events_sub *s, char *buf, size_t size, json_t **data)
{
	struct event e;
	uint64_t lost;

	buf[0] = '\0';
	if (events_next(s, &e, &lost) == 1) {
		snprintf(buf, size, "%s", e.type);
		*data = json_loads(e.data, 0, NULL);
		free(e.data);
	}
	return buf;
}

static void
test_holds_events_and_list(void **state)
{
	struct config *cfg = NULL;
	struct events_sub *s;
	const char *toml = "[budget]\ndaily_usd = 2.0\nsession_calls = 7\n";
	char *cause = NULL, type[64];
	int64_t id, exp;
	int exceeded;
	json_t *j, *d = NULL;

	(void)state;
	assert_int_equal(config_load_text("t", toml, strlen(toml), &cfg,
			     &cause),
	    0);
	s = events_subscribe(events_last_id(), NULL, NULL);
	set("frank", 1000, 0, 0, BUDGET_LIFETIME, T0);
	assert_string_equal(next_type(s, type, sizeof type, &d), "budget.set");
	assert_string_equal(json_string_value(json_object_get(d, "agent")),
	    "frank");
	/* Limits named so that redaction keeps them. */
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(json_object_get(d,
								"limits"),
						 0),
				 "max")),
	    1000);
	json_decref(d);

	/* A hold counts like a call, but no call, until it expires. */
	assert_int_equal(budget_agent_hold(db, cfg, "frank", 800, 0.5, 60000,
			     "user", T0, &id, &exp, &exceeded, &cause),
	    0);
	assert_true(id > 0);
	assert_int_equal(exp, T0 + 60000);
	assert_int_equal(budget_agent_hold(db, cfg, "frank", 201, 0, 60000,
			     "user", T0 + 1, &id, &exp, &exceeded, &cause),
	    -1);
	assert_int_equal(exceeded, 1);
	assert_string_equal(cause,
	    "budget: the lifetime budget of agent 'frank' (1000 tokens) would "
	    "be exceeded: 800 used, this call may need 201");
	free(cause);
	cause = NULL;
	assert_string_equal(next_type(s, type, sizeof type, &d),
	    "budget.exceeded");
	assert_string_equal(json_string_value(json_object_get(d, "agent")),
	    "frank");
	json_decref(d);
	/* The global limits hold for holds too. */
	assert_int_equal(budget_agent_hold(db, cfg, "gina", 1, 2.5, 60000,
			     "user", T0 + 1, &id, &exp, &exceeded, &cause),
	    -1);
	assert_int_equal(exceeded, 1);
	assert_non_null(strstr(cause, "budget.daily_usd"));
	free(cause);
	cause = NULL;
	assert_string_equal(next_type(s, type, sizeof type, &d),
	    "budget.exceeded");
	json_decref(d);
	/* A hold counts no call. */
	set("hank", 0, 1, 0, BUDGET_LIFETIME, T0);
	assert_int_equal(budget_agent_hold(db, cfg, "hank", 5, 0, 60000, "user",
			     T0, &id, &exp, &exceeded, &cause),
	    0);
	assert_string_equal(next_type(s, type, sizeof type, &d), "budget.set");
	json_decref(d);
	assert_int_equal(call("hank", NULL, 5, 0, T0, &cause), 1);
	assert_int_equal(call("hank", NULL, 5, 0, T0, &cause), 0);
	free(cause);
	cause = NULL;
	/* Released, a hold frees its budget; only the agent's own, once. */
	assert_int_equal(budget_agent_hold(db, cfg, "hank", 7, 0, 60000, "user",
			     T0, &id, &exp, &exceeded, &cause),
	    0);
	assert_int_equal(budget_agent_release(db, "frank", id, "user", T0,
			     &cause),
	    0);
	assert_int_equal(budget_agent_release(db, "hank", id, "user",
			     T0 + 60001, &cause),
	    0); /* expired by then */
	assert_int_equal(budget_agent_release(db, "hank", id, "user", T0,
			     &cause),
	    1);
	assert_int_equal(budget_agent_release(db, "hank", id, "user", T0,
			     &cause),
	    0);
	/* Expired: the budget is free again. */
	assert_int_equal(budget_agent_hold(db, cfg, "frank", 1000, 0, 60000,
			     "user", T0 + 60001, &id, &exp, &exceeded, &cause),
	    0);

	j = budget_list_json(db, cfg, T0 + 60002, &cause);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "agents")), 2);
	assert_true(
	    json_number_value(
		json_object_get(json_object_get(json_object_get(j, "global"),
				    "daily"),
		    "usd")) == 2.0);
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(json_object_get(j,
								 "global"),
						 "per_session"),
				 "calls")),
	    7);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_array_get(json_object_get(j,
								"agents"),
						 0),
				 "reserved"),
			     "tokens")),
	    1000);
	json_decref(j);

	assert_int_equal(budget_agent_reset(db, "frank", "user", T0, &cause),
	    1);
	assert_string_equal(next_type(s, type, sizeof type, &d),
	    "budget.reset");
	json_decref(d);
	assert_int_equal(budget_agent_unset(db, "frank", "user", &cause), 1);
	assert_string_equal(next_type(s, type, sizeof type, &d), "budget.set");
	assert_true(json_is_null(json_object_get(d, "limits")));
	json_decref(d);
	events_unsubscribe(s);
	config_free(cfg);
}

static void
test_race_agent_no_overspend(void **state)
{
	struct budget_limits lim;
	struct budget_agent a;
	struct budget_sum spent, held;
	char *cause = NULL;

	(void)state;
	/* Tokens allow 12 calls, USD 9, calls 7: the calls win. */
	set("racer", 1200, 7, 0.95, BUDGET_DAY, T0);
	memset(&lim, 0, sizeof lim);
	lim.principal = "racer";
	assert_int_equal(budget_race(tdb.path, &lim, "agent 'racer'",
			     T0 + 5 * DAY),
	    7);
	assert_int_equal(budget_agent_get(db, "racer", &a, &cause), 1);
	assert_int_equal(budget_agent_used(db, &a, T0 + 5 * DAY, &spent, &held,
			     &cause),
	    0);
	assert_int_equal(spent.calls, 7);
	assert_int_equal(spent.tokens, 700);
	assert_int_equal(held.calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_windows_bodies),
		cmocka_unit_test_setup_teardown(test_agent_limits_and_windows,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_unset_and_carry,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions_and_run_calls,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_holds_events_and_list,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_race_agent_no_overspend,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
