/*
 * metrics.c — HTTP counters and latency histograms, and their rendering
 * with the gauges other modules sample at scrape time.
 *
 * Prometheus names (text format 0.0.4):
 *   oxios_http_requests_total{route,method,status}     counter
 *   oxios_http_request_duration_seconds{route}         histogram
 *   oxios_uptime_seconds                                gauge
 *   oxios_agents{state="running"|"queued"}              gauge: live, from
 *                                                       the supervisor
 *   oxios_agents_by_state{state}                        gauge: agents
 *                      recorded in the database, finished ones included
 *                      (not "_total": that suffix is for counters)
 *   oxios_llm_calls_total{provider,model,status}        counter
 *   oxios_llm_tokens_total{provider,model,direction}    counter
 *   oxios_llm_cost_usd_total{provider,model}            counter
 *   oxios_llm_breaker{provider,state}                   gauge: 1 for the
 *                      state of the provider's circuit breaker
 *                      ("closed", "open", "half_open"), 0 for the others
 *   oxios_llm_breaker_transitions_total{provider,state} counter: the
 *                      breaker's moves into that state
 *   oxios_events_published_total                        counter
 *   oxios_sse_clients, oxios_ws_clients                 gauge
 *   oxios_http_rate_limited_total                       counter (429s)
 *   oxios_http_auth_failures_total                      counter (401s)
 *
 * JSON (GET /api/metrics), the same numbers:
 *   { "http": [{"route","method","status","count"}],
 *     "latency": {ROUTE: {"count", "sum_seconds", "p50", "p90", "p99"}},
 *     "uptime_seconds", "agents": {"running","queued","by_state"},
 *     "llm": [...the sample's rows...], "breakers": [...its rows...],
 *     "events_published",
 *     "sse_clients", "ws_clients", "rate_limited", "auth_failures" }
 * The quantiles are estimated from the histogram the way Prometheus's
 * histogram_quantile() does (linear within a bucket) and are absent while
 * a route has no requests.  Without a sample only "http" and "latency"
 * are there; the sample's NULL fields are left out.
 *
 * Cardinality is bounded: methods outside the standard set count as
 * "other", at most METRICS_MAX_ROUTES routes get a histogram and at most
 * METRICS_MAX_SERIES (route, method, status) counters exist; beyond
 * either, requests count under route="other" (and, for counters, with
 * method and status "other" too, which needs no new series).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/metrics.h"
#include "util/xalloc.h"

#define METRICS_MAX_SERIES 512
#define METRICS_MAX_ROUTES 128
#define METRICS_OTHER "other"
#define METRICS_STATUS_OTHER 0 /* rendered as "other" */

static const double metrics_bounds[] = METRICS_BUCKETS;
#define METRICS_NBOUNDS (sizeof metrics_bounds / sizeof metrics_bounds[0])

static const char *const metrics_methods[] = { "GET", "HEAD", "POST", "PUT",
	"DELETE", "PATCH", "OPTIONS" };

struct metrics_series {
	char *route;        /* owned */
	const char *method; /* static: metrics_methods[] or "other" */
	int status;
	unsigned long long count;
};

struct metrics_hist {
	char *route; /* owned */
	/* Per bucket, not cumulative; the last one is (60, +Inf). */
	unsigned long long counts[METRICS_NBOUNDS + 1];
	unsigned long long count;
	double sum;
};

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_series metrics_series[METRICS_MAX_SERIES];
static size_t metrics_nseries;
/* Beyond the cap: route, method and status all "other". */
static struct metrics_series metrics_overflow = { NULL, METRICS_OTHER,
	METRICS_STATUS_OTHER, 0 };
static struct metrics_hist metrics_hists[METRICS_MAX_ROUTES];
static size_t metrics_nhists;
static struct metrics_hist metrics_hist_other;

static const char *
metrics_method(const char *method)
{
	size_t i;

	for (i = 0; i < sizeof metrics_methods / sizeof metrics_methods[0];
	     i++) {
		if (method != NULL && strcmp(method, metrics_methods[i]) == 0)
			return metrics_methods[i];
	}
	return METRICS_OTHER;
}

/* The histogram for `route`, or the "other" one.  Lock held. */
static struct metrics_hist *
metrics_hist_get(const char *route)
{
	size_t i;

	for (i = 0; i < metrics_nhists; i++) {
		if (strcmp(metrics_hists[i].route, route) == 0)
			return &metrics_hists[i];
	}
	if (metrics_nhists == METRICS_MAX_ROUTES)
		return &metrics_hist_other;
	metrics_hists[metrics_nhists].route = xstrdup(route);
	return &metrics_hists[metrics_nhists++];
}

/* The counter for the triple, or the overflow one.  Lock held. */
static struct metrics_series *
metrics_series_get(const char *route, const char *method, int status)
{
	struct metrics_series *s;
	size_t i;

	for (i = 0; i < metrics_nseries; i++) {
		s = &metrics_series[i];
		if (s->status == status && s->method == method &&
		    strcmp(s->route, route) == 0)
			return s;
	}
	if (metrics_nseries == METRICS_MAX_SERIES)
		return &metrics_overflow;
	s = &metrics_series[metrics_nseries++];
	s->route = xstrdup(route);
	s->method = method;
	s->status = status;
	s->count = 0;
	return s;
}

void
metrics_http(const char *route, const char *method, int status, double seconds)
{
	struct metrics_hist *h;
	size_t i;

	if (route == NULL)
		route = "unmatched";
	if (status < 100 || status > 999)
		status = METRICS_STATUS_OTHER;
	if (!(seconds >= 0)) /* also NaN */
		seconds = 0;

	pthread_mutex_lock(&metrics_lock);
	metrics_series_get(route, metrics_method(method), status)->count++;
	h = metrics_hist_get(route);
	for (i = 0; i < METRICS_NBOUNDS && seconds > metrics_bounds[i]; i++)
		;
	h->counts[i]++;
	h->count++;
	h->sum += seconds;
	pthread_mutex_unlock(&metrics_lock);
}

void
metrics_reset(void)
{
	size_t i;

	pthread_mutex_lock(&metrics_lock);
	for (i = 0; i < metrics_nseries; i++)
		free(metrics_series[i].route);
	memset(metrics_series, 0, sizeof metrics_series);
	metrics_nseries = 0;
	metrics_overflow.count = 0;
	for (i = 0; i < metrics_nhists; i++)
		free(metrics_hists[i].route);
	memset(metrics_hists, 0, sizeof metrics_hists);
	metrics_nhists = 0;
	memset(&metrics_hist_other, 0, sizeof metrics_hist_other);
	pthread_mutex_unlock(&metrics_lock);
}

/*
 * Text output: every append goes through metrics_out(), and the first
 * failure (the buffer's cap) sticks, so the renderer checks once.
 */
struct metrics_text {
	struct buf *b;
	int failed;
};

static void metrics_out(struct metrics_text *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
metrics_out(struct metrics_text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->failed)
		return;
	va_start(ap, fmt);
	if (buf_vprintf(t->b, fmt, ap) != 0)
		t->failed = 1;
	va_end(ap);
}

/* A label value, escaped as the format asks: \\, \" and \n. */
static void
metrics_label(struct metrics_text *t, const char *v)
{
	const char *p;

	for (p = v; *p != '\0'; p++) {
		if (*p == '\\')
			metrics_out(t, "\\\\");
		else if (*p == '"')
			metrics_out(t, "\\\"");
		else if (*p == '\n')
			metrics_out(t, "\\n");
		else
			metrics_out(t, "%c", *p);
	}
}

static void
metrics_head(struct metrics_text *t, const char *name, const char *type,
    const char *help)
{
	metrics_out(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_status_text(int status, char *out, size_t size)
{
	if (status == METRICS_STATUS_OTHER)
		snprintf(out, size, "%s", METRICS_OTHER);
	else
		snprintf(out, size, "%d", status);
}

static void
metrics_text_hist(struct metrics_text *t, const char *route,
    const struct metrics_hist *h)
{
	unsigned long long cum = 0;
	size_t i;

	for (i = 0; i < METRICS_NBOUNDS; i++) {
		cum += h->counts[i];
		metrics_out(t,
		    "oxios_http_request_duration_seconds_bucket{route=\"");
		metrics_label(t, route);
		metrics_out(t, "\",le=\"%g\"} %llu\n", metrics_bounds[i], cum);
	}
	metrics_out(t, "oxios_http_request_duration_seconds_bucket{route=\"");
	metrics_label(t, route);
	metrics_out(t, "\",le=\"+Inf\"} %llu\n", h->count);
	metrics_out(t, "oxios_http_request_duration_seconds_sum{route=\"");
	metrics_label(t, route);
	metrics_out(t, "\"} %.9g\n", h->sum);
	metrics_out(t, "oxios_http_request_duration_seconds_count{route=\"");
	metrics_label(t, route);
	metrics_out(t, "\"} %llu\n", h->count);
}

static void
metrics_text_http(struct metrics_text *t)
{
	const struct metrics_series *s;
	char status[16];
	size_t i;

	metrics_head(t, "oxios_http_requests_total", "counter",
	    "HTTP requests answered, by route pattern, method and status.");
	for (i = 0; i <= metrics_nseries; i++) {
		s = i < metrics_nseries ? &metrics_series[i] :
					  &metrics_overflow;
		if (s == &metrics_overflow && s->count == 0)
			continue;
		metrics_status_text(s->status, status, sizeof status);
		metrics_out(t, "oxios_http_requests_total{route=\"");
		metrics_label(t, s->route != NULL ? s->route : METRICS_OTHER);
		metrics_out(t, "\",method=\"%s\",status=\"%s\"} %llu\n",
		    s->method, status, s->count);
	}
	metrics_head(t, "oxios_http_request_duration_seconds", "histogram",
	    "Time to answer HTTP requests, by route pattern.");
	for (i = 0; i < metrics_nhists; i++)
		metrics_text_hist(t, metrics_hists[i].route, &metrics_hists[i]);
	if (metrics_hist_other.count > 0)
		metrics_text_hist(t, METRICS_OTHER, &metrics_hist_other);
}

/*
 * One LLM series, summed over the sample's rows that share its labels
 * (the tokens and cost are per provider and model, the rows per status
 * too).
 */
struct metrics_llm {
	const char *provider, *model, *status; /* borrowed from the sample */
	long long calls, in, out;
	double cost;
};

static const char *
metrics_llm_str(json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));

	return s != NULL ? s : "unknown";
}

/* Sum the rows by (provider, model[, status]).  Caller frees *out. */
static size_t
metrics_llm_group(json_t *llm, int by_status, struct metrics_llm **out)
{
	struct metrics_llm *g, *e;
	json_t *row;
	const char *p, *m, *st;
	size_t i, j, n = 0;

	g = xcalloc(json_array_size(llm) + 1, sizeof *g);
	json_array_foreach(llm, i, row) {
		p = metrics_llm_str(row, "provider");
		m = metrics_llm_str(row, "model");
		st = by_status ? metrics_llm_str(row, "status") : "";
		for (j = 0; j < n; j++) {
			if (strcmp(g[j].provider, p) == 0 &&
			    strcmp(g[j].model, m) == 0 &&
			    strcmp(g[j].status, st) == 0)
				break;
		}
		e = &g[j];
		if (j == n) {
			e->provider = p;
			e->model = m;
			e->status = st;
			n++;
		}
		e->calls +=
		    (long long)json_number_value(json_object_get(row, "calls"));
		e->in += (long long)json_number_value(
		    json_object_get(row, "input_tokens"));
		e->out += (long long)json_number_value(
		    json_object_get(row, "output_tokens"));
		e->cost += json_number_value(json_object_get(row, "cost_usd"));
	}
	*out = g;
	return n;
}

static void
metrics_text_pm(struct metrics_text *t, const char *name,
    const struct metrics_llm *e)
{
	metrics_out(t, "%s{provider=\"", name);
	metrics_label(t, e->provider);
	metrics_out(t, "\",model=\"");
	metrics_label(t, e->model);
	metrics_out(t, "\"");
}

static void
metrics_text_llm(struct metrics_text *t, json_t *llm)
{
	struct metrics_llm *g;
	size_t i, n;

	metrics_head(t, "oxios_llm_calls_total", "counter",
	    "LLM calls, by provider, model and outcome.");
	n = metrics_llm_group(llm, 1, &g);
	for (i = 0; i < n; i++) {
		metrics_text_pm(t, "oxios_llm_calls_total", &g[i]);
		metrics_out(t, ",status=\"");
		metrics_label(t, g[i].status);
		metrics_out(t, "\"} %lld\n", g[i].calls);
	}
	free(g);

	n = metrics_llm_group(llm, 0, &g);
	metrics_head(t, "oxios_llm_tokens_total", "counter",
	    "LLM tokens, by provider, model and direction.");
	for (i = 0; i < n; i++) {
		metrics_text_pm(t, "oxios_llm_tokens_total", &g[i]);
		metrics_out(t, ",direction=\"input\"} %lld\n", g[i].in);
		metrics_text_pm(t, "oxios_llm_tokens_total", &g[i]);
		metrics_out(t, ",direction=\"output\"} %lld\n", g[i].out);
	}
	metrics_head(t, "oxios_llm_cost_usd_total", "counter",
	    "Estimated LLM cost in US dollars, by provider and model.");
	for (i = 0; i < n; i++) {
		metrics_text_pm(t, "oxios_llm_cost_usd_total", &g[i]);
		metrics_out(t, "} %.9g\n", g[i].cost);
	}
	free(g);
}

/* One series per provider and state: 1 for the state it is in. */
static void
metrics_text_breakers(struct metrics_text *t, const json_t *rows)
{
	static const char *const states[] = { "closed", "open", "half_open" };
	const char *provider, *state;
	json_t *row, *moves;
	size_t i, k;

	metrics_head(t, "oxios_llm_breaker", "gauge",
	    "The circuit breaker of each LLM provider: 1 for its state.");
	json_array_foreach(rows, i, row) {
		provider = json_string_value(json_object_get(row, "provider"));
		state = json_string_value(json_object_get(row, "state"));
		if (provider == NULL || state == NULL)
			continue;
		for (k = 0; k < sizeof states / sizeof states[0]; k++) {
			metrics_out(t, "oxios_llm_breaker{provider=\"");
			metrics_label(t, provider);
			metrics_out(t, "\",state=\"%s\"} %d\n", states[k],
			    strcmp(state, states[k]) == 0);
		}
	}
	metrics_head(t, "oxios_llm_breaker_transitions_total", "counter",
	    "Moves of each LLM provider's circuit breaker into a state.");
	json_array_foreach(rows, i, row) {
		provider = json_string_value(json_object_get(row, "provider"));
		moves = json_object_get(row, "transitions");
		if (provider == NULL || !json_is_object(moves))
			continue;
		for (k = 0; k < sizeof states / sizeof states[0]; k++) {
			metrics_out(t,
			    "oxios_llm_breaker_transitions_total{provider=\"");
			metrics_label(t, provider);
			metrics_out(t, "\",state=\"%s\"} %lld\n", states[k],
			    (long long)json_integer_value(
				json_object_get(moves, states[k])));
		}
	}
}

/* The resource monitor's gauges; an unknown reading is left out. */
static void
metrics_text_resources(struct metrics_text *t, const struct monitor_snap *r)
{
	if (r->cpu_percent >= 0) {
		metrics_head(t, "oxios_system_cpu_percent", "gauge",
		    "System CPU busy share between the last two samples.");
		metrics_out(t, "oxios_system_cpu_percent %.3f\n",
		    r->cpu_percent);
	}
	metrics_head(t, "oxios_system_memory_percent", "gauge",
	    "Share of system memory in use (total minus available).");
	metrics_out(t, "oxios_system_memory_percent %.3f\n", r->memory_percent);
	metrics_head(t, "oxios_system_load1", "gauge",
	    "One-minute load average.");
	metrics_out(t, "oxios_system_load1 %.2f\n", r->load1);
	if (r->disk_free_mb >= 0) {
		metrics_head(t, "oxios_disk_free_bytes", "gauge",
		    "Free bytes on the disk of $OXIOS_HOME.");
		metrics_out(t, "oxios_disk_free_bytes %lld\n",
		    r->disk_free_mb * 1024 * 1024);
	}
	metrics_head(t, "oxios_overloaded", "gauge",
	    "1 while the resource monitor pauses new runs, else 0.");
	metrics_out(t, "oxios_overloaded %d\n", r->overloaded ? 1 : 0);
}

static void
metrics_text_sample(struct metrics_text *t, const struct metrics_sample *s)
{
	const char *state;
	json_t *v;

	metrics_head(t, "oxios_uptime_seconds", "gauge",
	    "Seconds since the daemon started.");
	metrics_out(t, "oxios_uptime_seconds %.3f\n", s->uptime_ms / 1000.0);
	metrics_head(t, "oxios_agents", "gauge",
	    "Agents the supervisor holds now: running or queued for a slot.");
	metrics_out(t, "oxios_agents{state=\"running\"} %d\n",
	    s->agents_running);
	metrics_out(t, "oxios_agents{state=\"queued\"} %d\n", s->agents_queued);
	if (s->agents_by_state != NULL) {
		metrics_head(t, "oxios_agents_by_state", "gauge",
		    "Agents recorded in the database, by state.");
		json_object_foreach(s->agents_by_state, state, v) {
			metrics_out(t, "oxios_agents_by_state{state=\"");
			metrics_label(t, state);
			metrics_out(t, "\"} %lld\n",
			    (long long)json_number_value(v));
		}
	}
	if (s->llm != NULL)
		metrics_text_llm(t, s->llm);
	if (s->breakers != NULL && json_array_size(s->breakers) > 0)
		metrics_text_breakers(t, s->breakers);
	if (s->have_resources)
		metrics_text_resources(t, &s->resources);
	metrics_head(t, "oxios_events_published_total", "counter",
	    "Events published on the daemon's bus.");
	metrics_out(t, "oxios_events_published_total %lld\n",
	    s->events_published);
	metrics_head(t, "oxios_sse_clients", "gauge",
	    "Clients connected to the event stream (SSE).");
	metrics_out(t, "oxios_sse_clients %d\n", s->sse_clients);
	metrics_head(t, "oxios_ws_clients", "gauge",
	    "Clients connected over WebSocket.");
	metrics_out(t, "oxios_ws_clients %d\n", s->ws_clients);
	metrics_head(t, "oxios_http_rate_limited_total", "counter",
	    "HTTP requests refused by the rate limit (429).");
	metrics_out(t, "oxios_http_rate_limited_total %lld\n", s->rate_limited);
	metrics_head(t, "oxios_http_auth_failures_total", "counter",
	    "HTTP requests refused for want of a valid token (401).");
	metrics_out(t, "oxios_http_auth_failures_total %lld\n",
	    s->auth_failures);
}

int
metrics_prometheus(struct buf *out, const struct metrics_sample *s)
{
	struct metrics_text t = { out, 0 };

	pthread_mutex_lock(&metrics_lock);
	metrics_text_http(&t);
	pthread_mutex_unlock(&metrics_lock);
	if (s != NULL)
		metrics_text_sample(&t, s);
	return t.failed ? -1 : 0;
}

/* Quantile q of a histogram, as Prometheus's histogram_quantile(). */
static double
metrics_quantile(const struct metrics_hist *h, double q)
{
	unsigned long long cum = 0, prev;
	double rank = q * (double)h->count, lo;
	size_t i;

	for (i = 0; i < METRICS_NBOUNDS; i++) {
		prev = cum;
		cum += h->counts[i];
		if ((double)cum >= rank && h->counts[i] > 0) {
			lo = i == 0 ? 0 : metrics_bounds[i - 1];
			return lo +
			    (metrics_bounds[i] - lo) * (rank - (double)prev) /
			    (double)h->counts[i];
		}
	}
	/* In the +Inf bucket: the largest finite bound is all we know. */
	return metrics_bounds[METRICS_NBOUNDS - 1];
}

static json_t *
metrics_json_hist(const struct metrics_hist *h)
{
	json_t *o;

	o = json_pack("{s:I, s:f}", "count", (json_int_t)h->count,
	    "sum_seconds", h->sum);
	if (h->count > 0) {
		json_object_set_new(o, "p50",
		    json_real(metrics_quantile(h, 0.5)));
		json_object_set_new(o, "p90",
		    json_real(metrics_quantile(h, 0.9)));
		json_object_set_new(o, "p99",
		    json_real(metrics_quantile(h, 0.99)));
	}
	return o;
}

static void
metrics_json_http(json_t *root)
{
	const struct metrics_series *s;
	json_t *http = json_array(), *lat = json_object(), *status;
	size_t i;

	pthread_mutex_lock(&metrics_lock);
	for (i = 0; i <= metrics_nseries; i++) {
		s = i < metrics_nseries ? &metrics_series[i] :
					  &metrics_overflow;
		if (s == &metrics_overflow && s->count == 0)
			continue;
		status = s->status == METRICS_STATUS_OTHER ?
		    json_string(METRICS_OTHER) :
		    json_integer(s->status);
		json_array_append_new(http,
		    json_pack("{s:s, s:s, s:o, s:I}", "route",
			s->route != NULL ? s->route : METRICS_OTHER, "method",
			s->method, "status", status, "count",
			(json_int_t)s->count));
	}
	for (i = 0; i < metrics_nhists; i++)
		json_object_set_new(lat, metrics_hists[i].route,
		    metrics_json_hist(&metrics_hists[i]));
	if (metrics_hist_other.count > 0)
		json_object_set_new(lat, METRICS_OTHER,
		    metrics_json_hist(&metrics_hist_other));
	pthread_mutex_unlock(&metrics_lock);
	json_object_set_new(root, "http", http);
	json_object_set_new(root, "latency", lat);
}

json_t *
metrics_json(const struct metrics_sample *s)
{
	json_t *root = json_object(), *agents;

	metrics_json_http(root);
	if (s == NULL)
		return root;
	json_object_set_new(root, "uptime_seconds",
	    json_real(s->uptime_ms / 1000.0));
	agents = json_pack("{s:i, s:i}", "running", s->agents_running, "queued",
	    s->agents_queued);
	if (s->agents_by_state != NULL)
		json_object_set_new(agents, "by_state",
		    json_deep_copy(s->agents_by_state));
	json_object_set_new(root, "agents", agents);
	if (s->llm != NULL)
		json_object_set_new(root, "llm", json_deep_copy(s->llm));
	if (s->breakers != NULL)
		json_object_set_new(root, "breakers",
		    json_deep_copy(s->breakers));
	json_object_set_new(root, "events_published",
	    json_integer(s->events_published));
	json_object_set_new(root, "sse_clients", json_integer(s->sse_clients));
	json_object_set_new(root, "ws_clients", json_integer(s->ws_clients));
	json_object_set_new(root, "rate_limited",
	    json_integer(s->rate_limited));
	json_object_set_new(root, "auth_failures",
	    json_integer(s->auth_failures));
	if (s->have_resources)
		json_object_set_new(root, "resources",
		    monitor_snap_json(&s->resources));
	return root;
}
