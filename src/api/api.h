/*
 * api.h — the REST API: its route tables and what their handlers share.
 *
 * Each resource file (api_chat.c, api_agents.c, ...) exports one route
 * table of static handlers; api.c lists the tables in api_route_tables[],
 * which the server routes with and the OpenAPI document and docs/api.md
 * are generated from.
 *
 * Handlers run on the HTTP threads and must not block on an agent: a chat
 * runs on a thread of its own and answers later (HTTP_ASYNC).  The
 * configuration can be replaced while requests use it (SIGHUP, PUT
 * /api/config): a handler holds the one it started with
 * (config_live_get() and config_live_put(), config/live.h).
 */
#ifndef OXIOS_API_API_H
#define OXIOS_API_API_H

#include <stdint.h>
#include <jansson.h>

#include "config/config.h"
#include "http/router.h"
#include "http/server.h"

/* Body caps of routes (struct route's max_body). */
#define API_BODY_CONFIG (256 * 1024)
/* A memory or a query: MEMORY_MAX_CONTENT (64 KiB) of text, which JSON
 * escaping may make several times longer, and its fields. */
#define API_BODY_MEMORY (512 * 1024)
#define API_BODY_CHAT (1024 * 1024) /* 256 KiB of text, escaped */

/* One table per resource file, each ended by a NULL method. */
extern const struct route api_chat_routes[];
extern const struct route api_agents_routes[];
extern const struct route api_memory_routes[];
extern const struct route api_memory_topics_routes[];
extern const struct route api_memory_tree_routes[];
extern const struct route api_audit_routes[];
extern const struct route api_workspace_routes[];
extern const struct route api_resources_routes[];
extern const struct route api_budget_routes[];
extern const struct route api_security_routes[];
extern const struct route api_skills_routes[];
extern const struct route api_personas_routes[];
extern const struct route api_spaces_routes[];
extern const struct route api_approvals_routes[];
extern const struct route api_scheduler_routes[];
extern const struct route api_usage_routes[];
extern const struct route api_seeds_routes[];
extern const struct route api_web_routes[];
extern const struct route api_tokens_routes[];
/* Every table (the system routes of api.c first), ended by NULL. */
extern const struct route *const api_route_tables[];

/* Start the API's state (the uptime clock; not stopping).  The
 * configuration it reads is the live one (config/live.h). */
void api_init(void);

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

/* How many memory requests still run on threads of their own (dreams, and
 * what an API embedder makes wait: api_memory.c). */
int api_memory_running(void);
/*
 * Stop the provider calls of memory requests (they answer 503) and wait
 * up to wait_ms for those requests to answer; dreams are not waited for.
 * From then on every such request is refused or cancelled.  Returns how
 * many still run.
 */
int api_memory_stop(long wait_ms);

/* Helpers. */
/* The database when memory is on (memtools_ready()), or an answer 503
 * memory_off and NULL (api_memory.c). */
struct sqlite3 *api_memory_db(struct http_req *r);
/*
 * Answer `r` with bg(db, actor, &status) later, from a thread of its own
 * counted with the dreams (api_memory_running(), waited for at stop):
 * work that calls a model, like a compaction.  HTTP_ASYNC, or a 503
 * answered now (api_memory.c).
 */
typedef json_t *(
    *api_mem_bg_fn)(struct sqlite3 *db, const char *actor, int *status);
int api_memory_background(struct http_req *r, api_mem_bg_fn bg);
/* The database connection of this thread, or an answer 503 and NULL. */
struct sqlite3 *api_db(struct http_req *r);
/* The audit actor of the request: its identity ("token:<name>"). */
const char *api_actor(const struct http_req *r);
/* Path parameter `name` if it can name an agent profile; else a 400
 * invalid_agent is answered and NULL returned. */
const char *api_agent_param(struct http_req *r, const char *name);
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
/* A string member of a request body (or a copy of one); NULL if absent
 * (or not a string: then *bad is set). */
const char *api_body_str(const json_t *body, const char *key, int *bad);

#endif
