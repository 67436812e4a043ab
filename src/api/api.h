/*
 * api.h — the REST API: the route table and what its handlers share.
 *
 * Handlers (one file per resource: api_chat.c, api_agents.c, ...) run on
 * the HTTP threads and must not block on an agent: a chat runs on a thread
 * of its own and answers later (HTTP_ASYNC).  The configuration can be
 * replaced while requests use it (SIGHUP, PUT /api/config): a handler
 * holds the one it started with.
 */
#ifndef OXIOS_API_API_H
#define OXIOS_API_API_H

#include <stdint.h>
#include <jansson.h>

#include "config/config.h"
#include "http/router.h"
#include "http/server.h"

extern const struct route api_routes[];

/* Start the API's state with the configuration (taken). */
void api_init(struct config *cfg);
/* Free it (after the server and every chat have stopped). */
void api_shutdown(void);

/* The current configuration, held until api_config_put(). */
const struct config *api_config_get(void);
void api_config_put(const struct config *cfg);
/*
 * Replace the configuration with `cfg` (taken).  *changed (new reference)
 * lists the keys whose value changed; *restart those of them that take
 * effect only after a restart.
 */
void api_config_replace(struct config *cfg, json_t **changed, json_t **restart);

/* The HTTP server's settings from a configuration (pointers into it). */
void api_http_config(const struct config *cfg, struct http_config *hc);
/* Apply the current configuration to what can change live: the HTTP
 * server's limits, kernel.max_agents, the log level. */
void api_apply_config(void);

/* Milliseconds since the daemon started. */
long long api_uptime_ms(void);
/* Whether the daemon is stopping (no new chats). */
int api_stopping(void);
void api_set_stopping(void);

/* Handlers, by file. */
int api_health(struct http_req *r);
int api_ready(struct http_req *r);
int api_status(struct http_req *r);
int api_config_show(struct http_req *r);
int api_config_update(struct http_req *r);
int api_metrics_json(struct http_req *r);
int api_metrics_text(struct http_req *r);
int api_events(struct http_req *r);
int api_openapi(struct http_req *r);

int api_chat(struct http_req *r);
int api_chat_ticket(struct http_req *r);
int api_chat_stream(struct http_req *r);

int api_agents_list(struct http_req *r);
int api_agents_get(struct http_req *r);
int api_agents_kill(struct http_req *r);
int api_groups_list(struct http_req *r);
int api_groups_get(struct http_req *r);
int api_sessions_list(struct http_req *r);
int api_sessions_get(struct http_req *r);
int api_sessions_delete(struct http_req *r);

int api_memory_list(struct http_req *r);
int api_memory_add(struct http_req *r);
int api_memory_get(struct http_req *r);
int api_memory_delete(struct http_req *r);
int api_memory_search(struct http_req *r);
int api_memory_semantic(struct http_req *r);
int api_memory_tiers(struct http_req *r);
int api_memory_stats(struct http_req *r);
int api_memory_dream(struct http_req *r);
int api_memory_reports(struct http_req *r);
/* How many dreams asked through the API still run. */
int api_memory_dreams_running(void);

int api_audit_entries(struct http_req *r);
int api_audit_agent(struct http_req *r);
int api_audit_verify(struct http_req *r);
int api_audit_flush(struct http_req *r);
int api_audit_proof(struct http_req *r);
int api_audit_export(struct http_req *r);

int api_workspace_tree(struct http_req *r);
int api_workspace_read(struct http_req *r);
int api_workspace_write(struct http_req *r);

/* Helpers. */
/* The database connection of this thread, or an answer 503 and NULL. */
struct sqlite3 *api_db(struct http_req *r);
/* Answer 500 with `cause` (freed). */
int api_fail(struct http_req *r, char *cause);
/*
 * Answer a lookup: `v` (taken) with 200; else, with `cause` set, 500
 * (cause freed); else 404 "no WHAT ID".  Returns 0.
 */
int api_found(struct http_req *r, json_t *v, char *cause, const char *what,
    const char *id);
/* An integer query parameter in [min, max], or def; -1 and a 400 answer if
 * it is not one. */
int api_query_int(struct http_req *r, const char *name, long min, long max,
    long def, long *out);
/* A string member of the body; NULL if absent (or not a string: then
 * *bad is set). */
const char *api_body_str(struct http_req *r, const char *key, int *bad);

#endif
