/*
 * api.c — the list of route tables (api_route_tables[], at the end), the
 * API's shared state (its start, whether it stops), and the system routes
 * with their table: health, status, config, metrics, events, the OpenAPI
 * document.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "config/home.h"
#include "config/live.h"
#include "agent/hands.h"
#include "gateway/gateway.h"
#include "http/metrics.h"
#include "kernel/breaker.h"
#include "kernel/budget_agent.h"
#include "kernel/events.h"
#include "kernel/gate.h"
#include "kernel/kernel.h"
#include "kernel/monitor.h"
#include "kernel/supervisor.h"
#include "security/audit.h"
#include "security/ssrf_fetch.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

/* The daemon's start and whether it is stopping. */
static struct {
	pthread_mutex_t lock;
	uint64_t start_ms; /* set once by api_init(), before any thread */
	int stopping;      /* guarded by lock */
} api = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
api_init(void)
{
	api.start_ms = time_mono_ms();
	pthread_mutex_lock(&api.lock);
	api.stopping = 0;
	pthread_mutex_unlock(&api.lock);
}

void
api_http_config(const struct config *cfg, struct http_config *hc)
{
	memset(hc, 0, sizeof *hc);
	hc->host = config_str(cfg, "gateway.host");
	hc->port = (int)config_int(cfg, "gateway.port");
	hc->routes = api_route_tables;
	hc->max_body = (size_t)config_int(cfg, "gateway.max_body_bytes");
	hc->rate_per_min = (long)config_int(cfg, "gateway.rate_limit_per_min");
	hc->cors = config_get(cfg, "gateway.cors_origins");
	hc->api_key = config_str(cfg, "gateway.api_key");
	hc->ws_max_message = hc->max_body;
	hc->header_timeout_secs =
	    (int)config_int(cfg, "gateway.header_timeout_secs");
}

void
api_apply_config(void)
{
	const struct config *cfg = config_live_get();
	struct http_config hc;
	int level;

	api_http_config(cfg, &hc);
	http_reconfigure(&hc);
	supervisor_set_max((int)config_int(cfg, "kernel.max_agents"));
	audit_open(config_bool(cfg, "audit.enabled"),
	    config_int(cfg, "audit.sign_interval_secs"), NULL);
	if ((level = log_level_parse(config_str(cfg, "logging.level"))) >= 0)
		log_set_level((enum log_level)level);
	config_live_put(cfg);
}

long long
api_uptime_ms(void)
{
	return (long long)(time_mono_ms() - api.start_ms);
}

int
api_stopping(void)
{
	int s;

	pthread_mutex_lock(&api.lock);
	s = api.stopping;
	pthread_mutex_unlock(&api.lock);
	return s;
}

void
api_set_stopping(void)
{
	pthread_mutex_lock(&api.lock);
	api.stopping = 1;
	pthread_mutex_unlock(&api.lock);
}

/* ---- helpers ---- */

/* This thread's connection, or NULL (then nothing is audited). */
static sqlite3 *
api_db_quiet(void)
{
	return db_get();
}

sqlite3 *
api_db(struct http_req *r)
{
	sqlite3 *db = db_get();

	if (db == NULL)
		http_error(r, 503, "database_unavailable",
		    "the database cannot be opened (see the log)");
	return db;
}

const char *
api_actor(const struct http_req *r)
{
	/* Every route that writes needs a role, so an identity is there. */
	return r->identity.actor[0] != '\0' ? r->identity.actor : "api";
}

const char *
api_agent_param(struct http_req *r, const char *name)
{
	const char *id = route_param(&r->match, name);
	char *cause = NULL;

	if (budget_agent_name_ok(id, &cause) == 0)
		return id;
	http_error(r, 400, "invalid_agent", "%s", cause);
	free(cause);
	return NULL;
}

int
api_fail(struct http_req *r, char *cause)
{
	log_error("%s %s: %s", r->method, r->path, cause);
	http_error(r, 500, "internal", "%s", cause);
	free(cause);
	return 0;
}

int
api_found(struct http_req *r, json_t *v, char *cause, const char *what,
    const char *id)
{
	if (v != NULL)
		return http_json(r, 200, v);
	if (cause != NULL)
		return api_fail(r, cause);
	return http_error(r, 404, "not_found", "no %s %.64s", what, id);
}

int
api_query_int(struct http_req *r, const char *name, long min, long max,
    long def, long *out)
{
	const char *s = http_query(r, name);
	char *end;
	long v;

	*out = def;
	if (s == NULL)
		return 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		http_error(r, 400, "bad_parameter",
		    "%s must be an integer from %ld to %ld", name, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

const char *
api_body_str(const json_t *body, const char *key, int *bad)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* ---- system routes ---- */

static int
api_health(struct http_req *r)
{
	return http_json(r, 200,
	    json_pack("{s:s, s:s, s:I}", "status",
		api_stopping() ? "stopping" : "ok", "version", OXIOS_VERSION,
		"uptime_ms", (json_int_t)api_uptime_ms()));
}

static int
api_ready(struct http_req *r)
{
	const struct config *cfg = config_live_get();
	sqlite3 *db = db_get();
	char *ws = kernel_workspace(cfg), *cause = NULL;
	int dbok, wsok, accepting = !api_stopping();

	config_live_put(cfg);
	dbok = db_ping(db);
	wsok = access(ws, W_OK | X_OK) == 0;
	free(ws);
	free(cause);
	return http_json(r, dbok && wsok && accepting ? 200 : 503,
	    json_pack("{s:b, s:{s:b, s:b, s:b}}", "ready",
		dbok && wsok && accepting, "checks", "database", dbok,
		"workspace", wsok, "accepting", accepting));
}

static int
api_status(struct http_req *r)
{
	const struct config *cfg = config_live_get();
	int running, queued, sse, ws;
	char listen[300];

	supervisor_counts(&running, &queued);
	http_stream_counts(&sse, &ws);
	snprintf(listen, sizeof listen, "%s:%lld",
	    config_str(cfg, "gateway.host"), config_int(cfg, "gateway.port"));
	http_json(r, 200,
	    json_pack("{s:s, s:s, s:i, s:I, s:s, s:{s:i, s:i, s:i}, s:i, "
		      "s:i, s:i, s:I, s:s, s:o}",
		"status", api_stopping() ? "stopping" : "ok", "version",
		OXIOS_VERSION, "pid", (int)getpid(), "uptime_ms",
		(json_int_t)api_uptime_ms(), "listen", listen, "agents",
		"running", running, "queued", queued, "warm_workers",
		hands_pool_count(), "chats", gateway_count(), "sse_clients",
		sse, "ws_clients", ws, "last_event_id",
		(json_int_t)events_last_id(), "config", cfg->path, "providers",
		breaker_status()));
	config_live_put(cfg);
	return 0;
}

static int
api_config_show(struct http_req *r)
{
	const struct config *cfg = config_live_get();

	http_json(r, 200,
	    json_pack("{s:o, s:O, s:s, s:O}", "config", config_tree(cfg),
		"sources", cfg->sources, "path", cfg->path, "warnings",
		cfg->warnings));
	config_live_put(cfg);
	return 0;
}

/* Every key of the schema, and whether a change of it needs a restart. */
static int
api_config_schema(struct http_req *r)
{
	json_t *keys = json_array(), *row;
	size_t i;

	for (i = 0; i < config_schema_len; i++) {
		row = config_key_json(&config_schema[i]);
		json_object_set_new(row, "restart",
		    json_boolean(
			config_live_restart_key(config_schema[i].key)));
		json_array_append_new(keys, row);
	}
	return http_json(r, 200, json_pack("{s:o}", "keys", keys));
}

/* A refusal of PUT /api/config naming its key (error.key). */
static int
api_config_refuse(struct http_req *r, const char *code, const char *key,
    const char *why)
{
	json_t *err;

	http_error(r, 400, code, "%s", why);
	if ((err = json_object_get(r->json, "error")) != NULL)
		json_object_set_new(err, "key", json_string(key));
	return 0;
}

/* The text a user would type for a JSON value (config_parse_input). */
static char *
api_config_input(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/*
 * A URL key set over the API must not point Oxios at an address that is
 * not public (security/ssrf.h) unless security.ssrf_allow (in force now)
 * lists it; the same values from the file or the environment are trusted
 * (local LLMs).  A new allow list must parse.  Returns 0, or -1 with
 * *code and *why (caller frees).
 */
static int
api_config_ssrf(const struct config_key *k, const json_t *v,
    const struct ssrf_allow *allow, const char **code, char **why)
{
	struct ssrf_allow *parsed = NULL;
	const char **entries;
	size_t i, n;
	int rc;

	if (strcmp(k->key, "security.ssrf_allow") == 0 && json_is_array(v)) {
		n = json_array_size(v);
		entries = xcalloc(n + 1, sizeof *entries);
		for (i = 0; i < n; i++)
			entries[i] = json_string_value(json_array_get(v, i));
		rc = ssrf_allow_parse(entries, n, &parsed, why);
		free(entries);
		ssrf_allow_free(parsed);
		*code = "invalid_value";
		return rc;
	}
	if (CK_FORMAT_OF(k->flags) != CF_URL || !json_is_string(v) ||
	    json_string_length(v) == 0)
		return 0;
	*code = "ssrf_refused";
	if (ssrf_check_url(json_string_value(v), allow, why) != 0)
		return -1;
	return 0;
}

static int
api_config_update(struct http_req *r)
{
	const struct config *cur;
	const struct config_key *k;
	struct config *next = NULL;
	const char *key;
	json_t *v, *parsed, *changed, *restart;
	char *input, *cause = NULL, *path;
	struct ssrf_fetch_opts ssrf;
	struct ssrf_allow *allow = NULL;
	const char *code;
	sqlite3 *db;

	if (!json_is_object(r->body) || json_object_size(r->body) == 0)
		return http_error(r, 400, "bad_request",
		    "the body must be an object of keys to set, e.g. "
		    "{\"gateway.rate_limit_per_min\": 100} (null unsets)");
	/* Check every key and value before writing any. */
	json_object_foreach(r->body, key, v) {
		if ((k = config_schema_find(key)) == NULL) {
			xasprintf(&cause,
			    "unknown configuration key '%s' (see: oxios "
			    "config schema)",
			    key);
			api_config_refuse(r, "unknown_key", key, cause);
			free(cause);
			ssrf_allow_free(allow);
			return 0;
		}
		if (json_is_null(v))
			continue;
		input = api_config_input(v);
		parsed = config_parse_input(k, key, input, &cause);
		free(input);
		if (parsed == NULL) {
			api_config_refuse(r, "invalid_value", key, cause);
			free(cause);
			ssrf_allow_free(allow);
			return 0;
		}
		if (allow == NULL) {
			/* A bad list in the file: nothing beyond public. */
			cur = config_live_get();
			if (ssrf_fetch_config(cur, &ssrf, &allow, &cause) != 0)
				free(cause);
			config_live_put(cur);
			cause = NULL;
		}
		if (api_config_ssrf(k, parsed, allow, &code, &cause) != 0) {
			json_decref(parsed);
			ssrf_allow_free(allow);
			api_config_refuse(r, code, key, cause);
			free(cause);
			return 0;
		}
		json_decref(parsed);
	}
	ssrf_allow_free(allow);
	cur = config_live_get();
	path = xstrdup(cur->path);
	config_live_put(cur);
	json_object_foreach(r->body, key, v) {
		const struct config_key *ck = config_schema_find(key);
		json_t *d;
		int rc;

		d = json_pack("{s:s, s:o, s:s}", "key", key, "value",
		    ck != NULL && (ck->flags & CK_SECRET) && !json_is_null(v) ?
			json_string("<redacted>") :
			json_incref(v),
		    "via", "api");
		/* Recorded before the file changes (a file cannot share
		 * the log's transaction); not made if it cannot be. */
		db = api_db_quiet();
		if (db == NULL ||
		    audit_append(db, api_actor(r), AUDIT_CONFIG_CHANGE, key, d,
			&cause) < 0) {
			json_decref(d);
			http_error(r, 500, "audit_failed",
			    "the audit log cannot record the change of %s, so "
			    "it was not made: %s",
			    key, cause != NULL ? cause : "no database");
			free(cause);
			free(path);
			return 0;
		}
		json_decref(d);
		if (json_is_null(v))
			rc = config_unset(path, key, &cause);
		else {
			input = api_config_input(v);
			rc = config_set(path, key, input, &cause);
			free(input);
		}
		if (rc != 0) {
			/* The log must not claim it. */
			d = json_pack("{s:s, s:s, s:s}", "key", key, "failed",
			    cause, "via", "api");
			audit_note(db, api_actor(r), AUDIT_CONFIG_CHANGE, key,
			    d);
			json_decref(d);
			api_config_refuse(r, "invalid_value", key, cause);
			free(cause);
			free(path);
			return 0;
		}
	}
	if (config_load(path, &next, &cause) != 0) {
		free(path);
		return api_fail(r, cause);
	}
	free(path);
	config_live_replace(next, &changed, &restart);
	api_apply_config();
	log_info("configuration changed through the API: %d key(s)",
	    (int)json_array_size(changed));
	cur = config_live_get();
	http_json(r, 200,
	    json_pack("{s:o, s:o, s:o}", "changed", changed, "restart_required",
		restart, "config", config_tree(cur)));
	config_live_put(cur);
	return 0;
}

/* What the metrics need from the kernel and the database. */
static void
api_metrics_sample(struct metrics_sample *s)
{
	sqlite3 *db = db_get();
	char *cause = NULL;

	memset(s, 0, sizeof *s);
	s->uptime_ms = api_uptime_ms();
	supervisor_counts(&s->agents_running, &s->agents_queued);
	s->events_published = (long long)events_published();
	http_stream_counts(&s->sse_clients, &s->ws_clients);
	http_refusals(&s->rate_limited, &s->auth_failures);
	s->breakers = breaker_status();
	s->have_resources = monitor_current(&s->resources) == 0;
	if (db == NULL)
		return;
	/* A figure that cannot be read is left out of the metrics. */
	s->agents_by_state = supervisor_state_counts(db, &cause);
	free(cause);
	cause = NULL;
	s->llm = gate_usage(db, &cause);
	free(cause);
}

static void
api_metrics_free(struct metrics_sample *s)
{
	json_decref(s->agents_by_state);
	json_decref(s->llm);
	json_decref(s->breakers);
}

/* The Prometheus text (GET /metrics, GET /api/metrics). */
static int
api_metrics_text(struct http_req *r)
{
	struct metrics_sample s;
	struct buf b;

	api_metrics_sample(&s);
	buf_init(&b, 16 * 1024 * 1024);
	metrics_prometheus(&b, &s);
	api_metrics_free(&s);
	r->status = 200;
	r->text_len = b.len;
	r->text = buf_detach(&b);
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}

/* GET /api/metrics: the same text, or with ?format=json the JSON. */
static int
api_metrics(struct http_req *r)
{
	const char *format = http_query(r, "format");
	struct metrics_sample s;

	if (format == NULL || strcmp(format, "prometheus") == 0)
		return api_metrics_text(r);
	if (strcmp(format, "json") != 0)
		return http_error(r, 400, "bad_format",
		    "format must be json or prometheus");
	api_metrics_sample(&s);
	http_json(r, 200, metrics_json(&s));
	api_metrics_free(&s);
	return 0;
}

static int
api_events(struct http_req *r)
{
	const char *last = http_header(r, "Last-Event-ID");
	char *end;

	if (last == NULL)
		last = http_query(r, "last_event_id");
	if (api_stopping())
		return http_error(r, 503, "stopping", "the daemon is stopping");
	r->sse_after = 0;
	if (last != NULL && *last != '\0') {
		r->sse_after = strtoull(last, &end, 10);
		if (*end != '\0')
			return http_error(r, 400, "bad_last_event_id",
			    "Last-Event-ID must be an event id (a number)");
	}
	r->sse = 1;
	return 0;
}

static int
api_openapi(struct http_req *r)
{
	return http_json(r, 200,
	    router_openapi(api_route_tables, "Oxios API", OXIOS_VERSION));
}

static const struct route api_system_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/health",
	    .handler = api_health,
	    .flags = ROUTE_PUBLIC,
	    .tag = "system",
	    .summary = "Liveness: the daemon answers.",
	    .response = "{status, version, uptime_ms}",
	},
	{
	    .method = "GET",
	    .pattern = "/health/ready",
	    .handler = api_ready,
	    .flags = ROUTE_PUBLIC,
	    .tag = "system",
	    .summary =
		"Readiness: the database and the workspace work (503 if not).",
	    .response = "{ready, checks: {database, workspace, accepting}}",
	},
	{
	    .method = "GET",
	    .pattern = "/metrics",
	    .handler = api_metrics_text,
	    .flags = ROUTE_PUBLIC,
	    .tag = "system",
	    .summary = "Prometheus metrics (text exposition format).",
	    .response = "text/plain; version=0.0.4",
	},
	{
	    .method = "GET",
	    .pattern = "/api/status",
	    .role = ROLE_VIEWER,
	    .handler = api_status,
	    .tag = "system",
	    .summary =
		"The daemon: version, pid, uptime, address, agents, streams.",
	    .response =
		"{version, pid, uptime_ms, listen, agents, providers: [{provider, state, failures, next_probe_ms, reason, window_calls, window_failures, transitions}], ...}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/config",
	    .role = ROLE_VIEWER,
	    .handler = api_config_show,
	    .tag = "system",
	    .summary = "The effective configuration, secrets redacted.",
	    .response = "{config, sources, path}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/config/schema",
	    .role = ROLE_VIEWER,
	    .handler = api_config_schema,
	    .tag = "system",
	    .summary = "Every configuration key: its type, default, range or "
		       "choices, environment variable, meaning, and whether a "
		       "change needs a restart.",
	    .response = "{keys: [{key, type, default, env, secret, planned, "
			"doc, choices?, min?, max?, format?, restart}]}",
	},
	{
	    .method = "PUT",
	    .pattern = "/api/config",
	    .role = ROLE_ADMIN,
	    .handler = api_config_update,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_CONFIG,
	    .tag = "system",
	    .summary =
		"Change configuration keys (validated, written to config.toml, "
		"applied live where possible).",
	    .request =
		"{\"gateway.rate_limit_per_min\": 100, \"key\": null (unset)}",
	    .response = "{changed, restart_required, config}; a refused "
			"key or value: 400 with error.key (ssrf_refused: a "
			"URL to an address that is not public)",
	},
	{
	    .method = "GET",
	    .pattern = "/api/metrics",
	    .role = ROLE_VIEWER,
	    .handler = api_metrics,
	    .tag = "system",
	    .summary = "The metrics of /metrics, with the token: Prometheus "
		       "text; ?format=json for JSON.",
	    .response = "text/plain; version=0.0.4, or with ?format=json "
			"{http, latency, agents, llm, ...}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/events",
	    .role = ROLE_VIEWER,
	    .handler = api_events,
	    .flags = ROUTE_STREAM,
	    .tag = "system",
	    .summary =
		"Server-sent events of the kernel (agent started, delta, tool "
		"call, tool result, agent exited); Last-Event-ID replays.",
	    .response = "text/event-stream",
	},
	{
	    .method = "GET",
	    .pattern = "/api/openapi.json",
	    .role = ROLE_VIEWER,
	    .handler = api_openapi,
	    .tag = "system",
	    .summary = "This API as an OpenAPI 3.0 document.",
	    .response = "OpenAPI JSON",
	},
	{ .method = NULL },
};

/* Every route table, in the order routes are matched and documented. */
const struct route *const api_route_tables[] = {
	api_system_routes,
	api_chat_routes,
	api_agents_routes,
	api_memory_topics_routes,
	api_memory_tree_routes,
	api_memory_routes,
	api_audit_routes,
	api_workspace_routes,
	api_resources_routes,
	api_budget_routes,
	api_security_routes,
	api_skills_routes,
	api_personas_routes,
	api_spaces_routes,
	api_approvals_routes,
	api_scheduler_routes,
	api_usage_routes,
	api_seeds_routes,
	api_tokens_routes,
	api_web_routes,
	NULL,
};
