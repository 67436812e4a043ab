/* test_metrics.c — HTTP counters, histograms, and their two renderings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/metrics.h"

static int
reset(void **state)
{
	(void)state;
	metrics_reset();
	return 0;
}

/* The text, rendered without a sample. */
static char *
render(const struct metrics_sample *s)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_prometheus(&b, s), 0);
	return buf_detach(&b);
}

static void
assert_line(const char *text, const char *line)
{
	char *want;
	size_t n = strlen(line);

	want = malloc(n + 3);
	snprintf(want, n + 3, "\n%s\n", line);
	if (strstr(text, want) == NULL)
		fail_msg("missing line: %s\n--- in ---\n%s", line, text);
	free(want);
}

static void
test_counts_and_histogram(void **state)
{
	char *t;

	(void)state;
	metrics_http("/api/agents", "GET", 200, 0.0004);
	metrics_http("/api/agents", "GET", 200, 0.003);
	metrics_http("/api/agents", "GET", 200, 0.01); /* le is inclusive */
	metrics_http("/api/agents", "POST", 201, 0.2);
	metrics_http("/api/agents", "GET", 404, 100);
	metrics_http("unmatched", "BREW", 404, 0.001);
	t = render(NULL);

	assert_line(t, "# TYPE oxios_http_requests_total counter");
	assert_non_null(strstr(t, "# HELP oxios_http_requests_total "));
	assert_line(t,
	    "oxios_http_requests_total{route=\"/api/agents\","
	    "method=\"GET\",status=\"200\"} 3");
	assert_line(t,
	    "oxios_http_requests_total{route=\"/api/agents\","
	    "method=\"POST\",status=\"201\"} 1");
	assert_line(t,
	    "oxios_http_requests_total{route=\"/api/agents\","
	    "method=\"GET\",status=\"404\"} 1");
	/* Unknown methods cannot add series. */
	assert_line(t,
	    "oxios_http_requests_total{route=\"unmatched\","
	    "method=\"other\",status=\"404\"} 1");

	assert_line(t, "# TYPE oxios_http_request_duration_seconds histogram");
	/* Cumulative: 0.0004 | 0.003 | 0.01 | 0.2 | 100 (past 60). */
	assert_line(t,
	    "oxios_http_request_duration_seconds_bucket{"
	    "route=\"/api/agents\",le=\"0.0005\"} 1");
	assert_line(t,
	    "oxios_http_request_duration_seconds_bucket{"
	    "route=\"/api/agents\",le=\"0.0025\"} 1");
	assert_line(t,
	    "oxios_http_request_duration_seconds_bucket{"
	    "route=\"/api/agents\",le=\"0.005\"} 2");
	assert_line(t,
	    "oxios_http_request_duration_seconds_bucket{"
	    "route=\"/api/agents\",le=\"0.01\"} 3");
	assert_line(t,
	    "oxios_http_request_duration_seconds_bucket{"
	    "route=\"/api/agents\",le=\"0.25\"} 4");
	assert_line(t,
	    "oxios_http_request_duration_seconds_bucket{"
	    "route=\"/api/agents\",le=\"60\"} 4");
	assert_line(t,
	    "oxios_http_request_duration_seconds_bucket{"
	    "route=\"/api/agents\",le=\"+Inf\"} 5");
	assert_line(t,
	    "oxios_http_request_duration_seconds_count{"
	    "route=\"/api/agents\"} 5");
	assert_line(t,
	    "oxios_http_request_duration_seconds_sum{"
	    "route=\"/api/agents\"} 100.2134");
	assert_line(t,
	    "oxios_http_request_duration_seconds_bucket{"
	    "route=\"unmatched\",le=\"+Inf\"} 1");
	free(t);

	/* Reset forgets them. */
	metrics_reset();
	t = render(NULL);
	assert_null(strstr(t, "/api/agents"));
	free(t);
}

static void
test_buckets_are_cumulative(void **state)
{
	static const double bounds[] = METRICS_BUCKETS;
	char *t, *p, line[256];
	unsigned long long prev = 0, v;
	size_t i, nb = sizeof bounds / sizeof bounds[0];

	(void)state;
	/* One request in every bucket, and one past the last. */
	for (i = 0; i < nb; i++)
		metrics_http("/x", "GET", 200, bounds[i]);
	metrics_http("/x", "GET", 200, 1e6);
	t = render(NULL);
	for (i = 0; i < nb; i++) {
		snprintf(line, sizeof line,
		    "oxios_http_request_duration_seconds_bucket{route=\"/x\","
		    "le=\"%g\"} ",
		    bounds[i]);
		assert_non_null(p = strstr(t, line));
		v = strtoull(p + strlen(line), NULL, 10);
		assert_int_equal(v, i + 1);
		assert_true(v >= prev);
		prev = v;
	}
	assert_line(t,
	    "oxios_http_request_duration_seconds_bucket{"
	    "route=\"/x\",le=\"+Inf\"} 17");
	assert_line(t,
	    "oxios_http_request_duration_seconds_count{"
	    "route=\"/x\"} 17");
	free(t);
}

static void
test_label_escaping(void **state)
{
	char *t;

	(void)state;
	metrics_http("/a\"b\\c\nd", "GET", 200, 0.1);
	t = render(NULL);
	assert_line(t,
	    "oxios_http_requests_total{route=\"/a\\\"b\\\\c\\nd\","
	    "method=\"GET\",status=\"200\"} 1");
	free(t);
}

static void
test_series_cap(void **state)
{
	char route[32], *t;
	int i, lines = 0;
	const char *p;

	(void)state;
	for (i = 0; i < 600; i++) {
		snprintf(route, sizeof route, "/r/%d", i);
		metrics_http(route, "GET", 200, 0.001);
	}
	/* A known series still counts as itself. */
	metrics_http("/r/0", "GET", 200, 0.001);
	t = render(NULL);
	assert_line(t,
	    "oxios_http_requests_total{route=\"/r/0\","
	    "method=\"GET\",status=\"200\"} 2");
	assert_line(t,
	    "oxios_http_requests_total{route=\"/r/511\","
	    "method=\"GET\",status=\"200\"} 1");
	assert_null(strstr(t, "route=\"/r/512\""));
	assert_null(strstr(t, "route=\"/r/599\""));
	/* The 88 beyond the cap, together. */
	assert_line(t,
	    "oxios_http_requests_total{route=\"other\","
	    "method=\"other\",status=\"other\"} 88");
	/* Histograms are capped too (128 routes); the rest are "other". */
	assert_line(t,
	    "oxios_http_request_duration_seconds_count{"
	    "route=\"other\"} 472");
	for (p = t; (p = strstr(p, "\noxios_http_requests_total{")) != NULL;
	     p++)
		lines++;
	assert_int_equal(lines, 513);
	free(t);
}

static void
test_sample(void **state)
{
	struct metrics_sample s;
	char *t;

	(void)state;
	memset(&s, 0, sizeof s);
	s.uptime_ms = 61500;
	s.agents_running = 2;
	s.agents_queued = 3;
	s.agents_by_state = json_pack("{s:i, s:i}", "exited", 7, "failed", 1);
	s.llm = json_pack("[{s:s, s:s, s:s, s:i, s:i, s:i, s:f},"
			  " {s:s, s:s, s:s, s:i, s:i, s:i, s:f}]",
	    "provider", "anthropic", "model", "claude-x", "status", "ok",
	    "calls", 4, "input_tokens", 1000, "output_tokens", 200, "cost_usd",
	    0.25, "provider", "anthropic", "model", "claude-x", "status",
	    "error", "calls", 1, "input_tokens", 10, "output_tokens", 0,
	    "cost_usd", 0.5);
	s.breakers = json_pack("[{s:s, s:s, s:{s:i, s:i, s:i}}]", "provider",
	    "anthropic", "state", "open", "transitions", "closed", 1, "open", 2,
	    "half_open", 1);
	s.events_published = 42;
	s.sse_clients = 5;
	s.ws_clients = 6;
	s.rate_limited = 7;
	s.auth_failures = 8;
	t = render(&s);
	assert_line(t, "# TYPE oxios_uptime_seconds gauge");
	assert_line(t, "oxios_uptime_seconds 61.500");
	assert_line(t, "# TYPE oxios_agents gauge");
	assert_line(t, "oxios_agents{state=\"running\"} 2");
	assert_line(t, "oxios_agents{state=\"queued\"} 3");
	assert_line(t, "oxios_agents_by_state{state=\"exited\"} 7");
	assert_line(t, "oxios_agents_by_state{state=\"failed\"} 1");
	assert_line(t, "# TYPE oxios_llm_calls_total counter");
	assert_line(t,
	    "oxios_llm_calls_total{provider=\"anthropic\","
	    "model=\"claude-x\",status=\"ok\"} 4");
	assert_line(t,
	    "oxios_llm_calls_total{provider=\"anthropic\","
	    "model=\"claude-x\",status=\"error\"} 1");
	/* Tokens and cost are summed over the outcomes: one series each. */
	assert_line(t,
	    "oxios_llm_tokens_total{provider=\"anthropic\","
	    "model=\"claude-x\",direction=\"input\"} 1010");
	assert_line(t,
	    "oxios_llm_tokens_total{provider=\"anthropic\","
	    "model=\"claude-x\",direction=\"output\"} 200");
	assert_line(t,
	    "oxios_llm_cost_usd_total{provider=\"anthropic\","
	    "model=\"claude-x\"} 0.75");
	assert_line(t, "# TYPE oxios_llm_breaker gauge");
	assert_line(t,
	    "oxios_llm_breaker{provider=\"anthropic\",state=\"open\"} 1");
	assert_line(t,
	    "oxios_llm_breaker{provider=\"anthropic\",state=\"closed\"} 0");
	assert_line(t,
	    "oxios_llm_breaker{provider=\"anthropic\",state=\"half_open\"} "
	    "0");
	assert_line(t, "# TYPE oxios_llm_breaker_transitions_total counter");
	assert_line(t,
	    "oxios_llm_breaker_transitions_total{provider=\"anthropic\","
	    "state=\"open\"} 2");
	assert_line(t,
	    "oxios_llm_breaker_transitions_total{provider=\"anthropic\","
	    "state=\"closed\"} 1");
	assert_line(t, "# TYPE oxios_events_published_total counter");
	assert_line(t, "oxios_events_published_total 42");
	assert_line(t, "# TYPE oxios_sse_clients gauge");
	assert_line(t, "oxios_sse_clients 5");
	assert_line(t, "oxios_ws_clients 6");
	assert_line(t, "oxios_http_rate_limited_total 7");
	assert_line(t, "oxios_http_auth_failures_total 8");
	free(t);

	/* NULL fields are left out, the rest still there. */
	json_decref(s.agents_by_state);
	json_decref(s.llm);
	json_decref(s.breakers);
	s.agents_by_state = NULL;
	s.llm = NULL;
	s.breakers = NULL;
	t = render(&s);
	assert_null(strstr(t, "oxios_agents_by_state"));
	assert_null(strstr(t, "oxios_llm_"));
	assert_line(t, "oxios_ws_clients 6");
	free(t);
}

static void
test_over_cap(void **state)
{
	struct buf b;

	(void)state;
	metrics_http("/x", "GET", 200, 0.1);
	buf_init(&b, 100);
	assert_int_equal(metrics_prometheus(&b, NULL), -1);
	assert_true(b.len <= 100);
	buf_free(&b);
}

static void
test_json(void **state)
{
	struct metrics_sample s;
	json_t *j, *http, *row, *lat;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		metrics_http("/api/x", "GET", 200, 0.002);
	metrics_http("/api/x", "DELETE", 500, 0.02);
	j = metrics_json(NULL);
	http = json_object_get(j, "http");
	assert_true(json_is_array(http));
	assert_int_equal(json_array_size(http), 2);
	row = json_array_get(http, 0);
	assert_string_equal(json_string_value(json_object_get(row, "route")),
	    "/api/x");
	assert_string_equal(json_string_value(json_object_get(row, "method")),
	    "GET");
	assert_int_equal(json_integer_value(json_object_get(row, "status")),
	    200);
	assert_int_equal(json_integer_value(json_object_get(row, "count")), 10);
	lat = json_object_get(json_object_get(j, "latency"), "/api/x");
	assert_non_null(lat);
	assert_int_equal(json_integer_value(json_object_get(lat, "count")), 11);
	assert_float_equal(json_real_value(json_object_get(lat, "sum_seconds")),
	    0.04, 1e-9);
	/* p50 falls in (0.001, 0.0025], p99 in (0.01, 0.025]. */
	assert_true(json_real_value(json_object_get(lat, "p50")) > 0.001);
	assert_true(json_real_value(json_object_get(lat, "p50")) <= 0.0025);
	assert_true(json_real_value(json_object_get(lat, "p99")) > 0.01);
	assert_true(json_real_value(json_object_get(lat, "p99")) <= 0.025);
	/* No sample: nothing else. */
	assert_int_equal(json_object_size(j), 2);
	json_decref(j);

	memset(&s, 0, sizeof s);
	s.uptime_ms = 2000;
	s.agents_running = 1;
	s.llm = json_pack("[{s:s}]", "provider", "openai");
	s.ws_clients = 3;
	j = metrics_json(&s);
	assert_float_equal(json_real_value(
			       json_object_get(j, "uptime_seconds")),
	    2.0, 1e-9);
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(j, "agents"),
				 "running")),
	    1);
	assert_null(json_object_get(json_object_get(j, "agents"), "by_state"));
	assert_true(json_equal(json_object_get(j, "llm"), s.llm));
	assert_int_equal(json_integer_value(json_object_get(j, "ws_clients")),
	    3);
	assert_non_null(json_object_get(j, "auth_failures"));
	json_decref(j);
	json_decref(s.llm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_counts_and_histogram, reset),
		cmocka_unit_test_setup(test_buckets_are_cumulative, reset),
		cmocka_unit_test_setup(test_label_escaping, reset),
		cmocka_unit_test_setup(test_series_cap, reset),
		cmocka_unit_test_setup(test_sample, reset),
		cmocka_unit_test_setup(test_over_cap, reset),
		cmocka_unit_test_setup(test_json, reset),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	metrics_reset(); /* for valgrind: the tables own their routes */
	return rc;
}
