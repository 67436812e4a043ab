/*
 * test_usage.c — the usage report (kernel/usage.h): llm_calls rows grouped
 * by each dimension, the sort (cost, then tokens), the window, the agent
 * filter, unknown and partial costs, the total, unknown dimensions, the
 * JSON, and the times a window may start at.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tmpdb.h"

#include "kernel/usage.h"

static struct tmpdb tdb;
static sqlite3 *db; /* tdb.db */

#define AGENT_A "0b0e9a1c-1c1d-4e5f-8a9b-0c1d2e3f4a5b"
#define AGENT_B "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
#define NOAGENT "11111111-2222-4333-8444-555555555555"
/* A session both agents ran in (a protocol run's two generations), and
 * one with no agent. */
#define SESSION "5e551011-aaaa-4bbb-8ccc-dddddddddddd"
#define EMPTY_SESSION "5e551011-0000-4000-8000-000000000000"
#define UNPRICED (-1.0)

struct call {
	const char *at, *provider, *model, *kind;
	long long in, out, cread, cwrite;
	double cost; /* UNPRICED: NULL */
	const char *status, *agent, *principal, *cls, *phase;
};

/*
 * Seven calls over three days:
 *   phase      cost               tokens (in+out)  calls  errors
 *   execute    0.75               370              2      1
 *   triage     0.10 (1 unpriced)  374              2      0
 *   evaluate   0.01               11               1      0
 *   dream      -                  5000             1      0
 *   embedding  -                  1000             1      0
 */
static const struct call calls[] = {
	{ "2026-12-01T10:00:00.000Z", "anthropic", "claude-x", "chat", 100, 50,
	    10, 5, 0.50, "ok", AGENT_A, "default", "run", "execute" },
	{ "2026-12-01T11:00:00.000Z", "anthropic", "claude-x", "chat", 200, 20,
	    0, 0, 0.25, "rate_limited", AGENT_A, "default", "run", "execute" },
	{ "2026-12-02T09:00:00.000Z", "openai", "gpt-y", "chat", 300, 30, 0, 0,
	    UNPRICED, "ok", AGENT_B, "ops", "interactive", "triage" },
	{ "2026-12-02T10:00:00.000Z", "local", "emb", "embedding", 1000, 0, 0,
	    0, UNPRICED, "ok", NULL, "default", "background", "embedding" },
	{ "2026-12-02T12:00:00.000Z", "openai", "gpt-y", "chat", 40, 4, 0, 0,
	    0.10, "ok", AGENT_B, "ops", "interactive", "triage" },
	{ "2026-12-03T00:00:00.000Z", "anthropic", "claude-x", "chat", 10, 1, 0,
	    0, 0.01, "ok", AGENT_A, "default", "run", "evaluate" },
	{ "2026-12-03T01:00:00.000Z", "local", "big", "chat", 5000, 0, 0, 0,
	    UNPRICED, "ok", NULL, "default", "background", "dream" },
};

static int
setup(void **state)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	(void)state;
	if (tmpdb_setup(&tdb, "usage") != 0)
		return -1;
	db = tdb.db;
	if (sqlite3_prepare_v2(db,
		"INSERT INTO llm_calls (started_at, provider, model, kind, "
		"input_tokens, output_tokens, cache_read_tokens, "
		"cache_write_tokens, cost_usd, duration_ms, attempts, status, "
		"agent_id, principal, class, phase) VALUES (?, ?, ?, ?, ?, ?, "
		"?, ?, ?, 10, 1, ?, ?, ?, ?, ?)",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		const struct call *c = &calls[i];

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, c->at, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, c->model, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, c->in);
		sqlite3_bind_int64(st, 6, c->out);
		sqlite3_bind_int64(st, 7, c->cread);
		sqlite3_bind_int64(st, 8, c->cwrite);
		if (c->cost == UNPRICED)
			sqlite3_bind_null(st, 9);
		else
			sqlite3_bind_double(st, 9, c->cost);
		sqlite3_bind_text(st, 10, c->status, -1, SQLITE_STATIC);
		if (c->agent != NULL)
			sqlite3_bind_text(st, 11, c->agent, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 11);
		sqlite3_bind_text(st, 12, c->principal, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 13, c->cls, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, c->phase, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return sqlite3_exec(db,
		   "INSERT INTO sessions (id, created_at, updated_at) VALUES "
		   "('" SESSION "', 'x', 'x'), ('" EMPTY_SESSION "', 'x', 'x');"
		   "INSERT INTO agents (id, session_id, state, created_at) VALUES "
		   "('" AGENT_A "', '" SESSION "', 'exited', 'x'), "
		   "('" AGENT_B "', '" SESSION "', 'exited', 'x');",
		   NULL, NULL, NULL) == SQLITE_OK ?
	    0 :
	    -1;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdb_teardown(&tdb);
	db = NULL;
	return 0;
}

/* The report, which must succeed. */
static void
report(const char *by, const char *since, const char *agent,
    struct usage_report *r)
{
	struct usage_filter f = { since, agent, NULL };
	char *cause = NULL;

	assert_int_equal(usage_report(db, by, &f, r, &cause), 0);
	assert_null(cause);
}

/* The keys of r's rows, comma separated, into buf. */
static const char *
keys(const struct usage_report *r, char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    i > 0 ? "," : "", r->rows[i].key);
	return buf;
}

static void
test_by_phase(void **state)
{
	struct usage_report r;
	char k[256];

	(void)state;
	report("phase", NULL, NULL, &r);
	/* By cost, then (dream before embedding) by tokens. */
	assert_string_equal(keys(&r, k, sizeof k),
	    "execute,triage,evaluate,dream,embedding");
	assert_int_equal(r.rows[0].calls, 2);
	assert_int_equal(r.rows[0].errors, 1);
	assert_int_equal(r.rows[0].input_tokens, 300);
	assert_int_equal(r.rows[0].output_tokens, 70);
	assert_int_equal(r.rows[0].cache_read_tokens, 10);
	assert_int_equal(r.rows[0].cache_write_tokens, 5);
	assert_true(r.rows[0].priced);
	assert_float_equal(r.rows[0].cost_usd, 0.75, 1e-9);
	assert_int_equal(r.rows[0].unpriced_calls, 0);
	/* triage: one call priced, one not: partial. */
	assert_true(r.rows[1].priced);
	assert_float_equal(r.rows[1].cost_usd, 0.10, 1e-9);
	assert_int_equal(r.rows[1].unpriced_calls, 1);
	/* dream and embedding: no call priced, the cost unknown. */
	assert_false(r.rows[3].priced);
	assert_int_equal(r.rows[3].unpriced_calls, 1);
	assert_int_equal(r.rows[3].input_tokens, 5000);
	assert_false(r.rows[4].priced);
	/* The total. */
	assert_string_equal(r.total.key, "total");
	assert_int_equal(r.total.calls, 7);
	assert_int_equal(r.total.errors, 1);
	assert_int_equal(r.total.input_tokens, 6650);
	assert_int_equal(r.total.output_tokens, 105);
	assert_int_equal(r.total.cache_read_tokens, 10);
	assert_int_equal(r.total.cache_write_tokens, 5);
	assert_int_equal(r.total.unpriced_calls, 3);
	assert_true(r.total.priced);
	assert_float_equal(r.total.cost_usd, 0.86, 1e-9);
	usage_report_free(&r);
	assert_int_equal(r.n, 0);
}

static void
test_other_dimensions(void **state)
{
	static const struct {
		const char *by, *keys;
	} cases[] = {
		{ "model",
		    "anthropic/claude-x,openai/gpt-y,local/big,"
		    "local/emb" },
		{ "principal", "default,ops" },
		{ "class", "run,interactive,background" },
		{ "kind", "chat,embedding" },
		{ "day", "2026-12-01,2026-12-02,2026-12-03" },
	};
	struct usage_report r;
	char k[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		report(cases[i].by, NULL, NULL, &r);
		assert_string_equal(keys(&r, k, sizeof k), cases[i].keys);
		assert_int_equal(r.total.calls, 7);
		assert_float_equal(r.total.cost_usd, 0.86, 1e-9);
		usage_report_free(&r);
	}
	/* The second day: 0.10 priced, two calls unpriced. */
	report("day", NULL, NULL, &r);
	assert_int_equal(r.rows[1].calls, 3);
	assert_float_equal(r.rows[1].cost_usd, 0.10, 1e-9);
	assert_int_equal(r.rows[1].unpriced_calls, 2);
	assert_int_equal(r.rows[1].input_tokens, 1340);
	usage_report_free(&r);
}

static void
test_window_and_agent(void **state)
{
	struct usage_report r;
	char k[256];

	(void)state;
	/* From the second day on. */
	report("phase", "2026-12-02T00:00:00.000Z", NULL, &r);
	assert_string_equal(keys(&r, k, sizeof k),
	    "triage,evaluate,dream,embedding");
	assert_int_equal(r.total.calls, 5);
	assert_float_equal(r.total.cost_usd, 0.11, 1e-9);
	usage_report_free(&r);
	/* The window starts at a call: it counts. */
	report("phase", "2026-12-03T01:00:00.000Z", NULL, &r);
	assert_string_equal(keys(&r, k, sizeof k), "dream");
	assert_false(r.total.priced);
	usage_report_free(&r);
	/* Agent A's calls only. */
	report("phase", NULL, AGENT_A, &r);
	assert_string_equal(keys(&r, k, sizeof k), "execute,evaluate");
	assert_int_equal(r.total.calls, 3);
	assert_int_equal(r.total.errors, 1);
	assert_int_equal(r.total.unpriced_calls, 0);
	assert_float_equal(r.total.cost_usd, 0.76, 1e-9);
	usage_report_free(&r);
	/* Agent B from 10:00 on the second day: its priced call alone. */
	report("phase", "2026-12-02T10:00:00.000Z", AGENT_B, &r);
	assert_string_equal(keys(&r, k, sizeof k), "triage");
	assert_int_equal(r.rows[0].calls, 1);
	assert_int_equal(r.rows[0].unpriced_calls, 0);
	assert_float_equal(r.rows[0].cost_usd, 0.10, 1e-9);
	usage_report_free(&r);
	/* An agent without calls: no rows, a zero total of unknown cost. */
	report("model", NULL, NOAGENT, &r);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.total.calls, 0);
	assert_false(r.total.priced);
	usage_report_free(&r);
	/* A window after every call. */
	report("day", "2027-01-01T00:00:00.000Z", NULL, &r);
	assert_int_equal(r.n, 0);
	usage_report_free(&r);
}

/* One session: every agent that ran in it (a protocol run's
 * generations), and nothing of the agents outside it. */
static void
test_session(void **state)
{
	const struct usage_filter run = { NULL, NULL, SESSION },
				  empty = { NULL, NULL, EMPTY_SESSION },
				  late = { "2026-12-02T10:00:00.000Z", NULL,
					  SESSION };
	struct usage_report r;
	char *cause = NULL, k[256];

	(void)state;
	assert_int_equal(usage_report(db, "phase", &run, &r, &cause), 0);
	assert_string_equal(keys(&r, k, sizeof k), "execute,triage,evaluate");
	assert_int_equal(r.total.calls, 5); /* not the dream, the embedding */
	assert_float_equal(r.total.cost_usd, 0.86, 1e-9);
	usage_report_free(&r);
	assert_int_equal(usage_report(db, "phase", &late, &r, &cause), 0);
	assert_string_equal(keys(&r, k, sizeof k), "triage,evaluate");
	usage_report_free(&r);
	assert_int_equal(usage_report(db, "phase", &empty, &r, &cause), 0);
	assert_int_equal(r.n, 0);
	usage_report_free(&r);
	assert_null(cause);
}

static void
test_unknown_dimension(void **state)
{
	static const char *const bad[] = { "agent", "Phase", "",
		"phase; DROP TABLE llm_calls", "started_at", "cost_usd" };
	static const struct usage_filter none;
	struct usage_report r;
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_false(usage_dim_ok(bad[i]));
		assert_int_equal(usage_report(db, bad[i], &none, &r, &cause),
		    -1);
		assert_non_null(cause);
		assert_non_null(strstr(cause, "unknown dimension"));
		assert_non_null(strstr(cause, usage_dims()));
		assert_int_equal(r.n, 0);
		assert_null(r.rows);
		free(cause);
		cause = NULL;
	}
	assert_int_equal(usage_report(db, NULL, &none, &r, &cause), -1);
	free(cause);
	/* The table survived. */
	report("kind", NULL, NULL, &r);
	assert_int_equal(r.total.calls, 7);
	usage_report_free(&r);
	assert_true(usage_dim_ok("phase") && usage_dim_ok("day"));
}

static void
test_json(void **state)
{
	static const struct usage_filter none;
	const struct usage_filter fb = { "2026-12-01T00:00:00.000Z", AGENT_B,
		NULL };
	struct usage_report r;
	json_t *v, *rows, *t;

	(void)state;
	report("phase", "2026-12-01T00:00:00.000Z", AGENT_B, &r);
	v = usage_report_json(&r, "phase", &fb);
	usage_report_free(&r);
	assert_string_equal(json_string_value(json_object_get(v, "by")),
	    "phase");
	assert_string_equal(json_string_value(json_object_get(v, "since")),
	    "2026-12-01T00:00:00.000Z");
	assert_string_equal(json_string_value(json_object_get(v, "agent")),
	    AGENT_B);
	rows = json_object_get(v, "rows");
	assert_int_equal(json_array_size(rows), 1);
	t = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(t, "key")),
	    "triage");
	assert_int_equal(json_integer_value(json_object_get(t, "calls")), 2);
	assert_int_equal(json_integer_value(
			     json_object_get(t, "unpriced_calls")),
	    1);
	assert_true(json_is_true(json_object_get(t, "partial")));
	assert_float_equal(json_number_value(json_object_get(t, "cost_usd")),
	    0.10, 1e-9);
	t = json_object_get(v, "total");
	assert_int_equal(json_integer_value(json_object_get(t, "input_tokens")),
	    340);
	json_decref(v);
	/* Unknown cost: null, not partial; no window, any agent: null. */
	report("phase", "2026-12-03T01:00:00.000Z", NULL, &r);
	v = usage_report_json(&r, "phase", &none);
	usage_report_free(&r);
	assert_true(json_is_null(json_object_get(v, "since")));
	assert_true(json_is_null(json_object_get(v, "agent")));
	assert_true(json_is_null(json_object_get(v, "session")));
	t = json_array_get(json_object_get(v, "rows"), 0);
	assert_true(json_is_null(json_object_get(t, "cost_usd")));
	assert_true(json_is_false(json_object_get(t, "partial")));
	assert_true(json_is_null(
	    json_object_get(json_object_get(v, "total"), "cost_usd")));
	json_decref(v);
}

/* 2026-12-05T12:00:00.000Z */
#define NOW 1796472000000LL

static void
test_since(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "24h", "2026-12-04T12:00:00.000Z" },
		{ "7d", "2026-11-28T12:00:00.000Z" },
		{ "2w", "2026-11-21T12:00:00.000Z" },
		{ "90m", "2026-12-05T10:30:00.000Z" },
		{ "30s", "2026-12-05T11:59:30.000Z" },
		{ "0h", "2026-12-05T12:00:00.000Z" },
		{ "2026-12-01", "2026-12-01T00:00:00.000Z" },
		{ "2026-12-01T10:00Z", "2026-12-01T10:00:00.000Z" },
		{ "2026-12-01T10:00", "2026-12-01T10:00:00.000Z" },
		{ "2026-12-01T10:00:00+02:00", "2026-12-01T08:00:00.000Z" },
		{ "2026-12-01T23:30:00-01:00", "2026-12-02T00:30:00.000Z" },
		{ "2026-12-01t10:00:00.5z", "2026-12-01T10:00:00.500Z" },
		{ "2026-12-01 10:00:00.123456Z", "2026-12-01T10:00:00.123Z" },
		{ "2024-02-29", "2024-02-29T00:00:00.000Z" },
	};
	static const char *const bad[] = { "", "24", "h", "24x", "-1d", "1.5h",
		"24h ", " 24h", "99999999999d", "3654d", "2026-02-30",
		"2025-02-29", "2026-13-01", "2026-00-10", "2026-12-1",
		"2026-12-01T25:00Z", "2026-12-01T10:60Z",
		"2026-12-01T10:00:61Z", "2026-12-01T10Z",
		"2026-12-01T10:00:00.Z", "2026-12-01T10:00:00Zjunk",
		"2026-12-01T10:00+2:00", "1969-12-31", "yesterday" };
	char out[USAGE_SINCE_MAX], *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(usage_since_parse(good[i].in, NOW, out,
				     sizeof out, &cause),
		    0);
		assert_null(cause);
		assert_string_equal(out, good[i].out);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (usage_since_parse(bad[i], NOW, out, sizeof out, &cause) ==
		    0)
			fail_msg("'%s' was taken as %s", bad[i], out);
		assert_non_null(cause);
		assert_non_null(strstr(cause, "since"));
		free(cause);
		cause = NULL;
	}
	/* Too small a buffer is refused, not overrun. */
	assert_int_equal(usage_since_parse("24h", NOW, out, 10, &cause), -1);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_by_phase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_dimensions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_window_and_agent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_dimension, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test(test_since),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
