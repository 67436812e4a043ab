/*
 * api_chat.c — chat: POST /api/chat (answers when the agent is done),
 * the WebSocket /api/chat/stream (streams the run), and its tickets.
 *
 * A thin adapter: the gateway runs each chat on a host thread of its own
 * (no HTTP or hub thread ever waits for an agent); this file checks the
 * request and turns the run's activity into HTTP and WebSocket answers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "kernel/spaces.h"
#include "config/live.h"
#include "http/hub.h"
#include "http/ws.h"
#include "gateway/gateway.h"
#include "kernel/approvals.h"
#include "kernel/budget_agent.h"
#include "kernel/kernel.h"
#include "kernel/personas.h"
#include "kernel/sessions.h"
#include "security/auth.h"
#include "store/db.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define CHAT_MAX_CONTENT (256 * 1024) /* characters of one message */
#define CHAT_TOOL_PREVIEW 2000        /* characters of a tool result sent */

/* One run as this adapter sees it: where its answer goes. */
struct chat_call {
	const struct config *cfg; /* held for the run */
	struct http_req *req;     /* REST: answered at the end (held) */
	struct hub_conn *ws;      /* WebSocket: streamed to (ref'd) */
	struct chat_ws *owner;    /* its connection's state (ref'd) */
	char actor[80];           /* who asked (api_actor()) */
};

/* A WebSocket connection's state (hub thread, plus runs: ref counted). */
struct chat_ws {
	pthread_mutex_t lock;
	int refs;
	char actor[80]; /* who opened it (the ticket's identity) */
};

static void chat_ws_unref(struct chat_ws *cw);

/* ---- the run's sink ---- */

static void
chat_ws_send(struct chat_call *c, json_t *msg)
{
	char *s;

	if (c->ws != NULL &&
	    (s = json_dumps(msg,
		 JSON_COMPACT | JSON_ENSURE_ASCII | OXJSON_REAL)) != NULL) {
		hub_send(c->ws, s, strlen(s));
		free(s);
	}
	json_decref(msg);
}

static void
chat_text(const char *s, size_t n, void *arg)
{
	json_t *t = json_stringn_nocheck(s, n);

	chat_ws_send(arg, json_pack("{s:s, s:o}", "type", "delta", "text", t));
}

static void
chat_started(const struct kernel_run *r, void *arg)
{
	chat_ws_send(arg,
	    json_pack("{s:s, s:s, s:s}", "type", "started", "session_id",
		r->session, "agent_id", r->agent));
}

static void
chat_reset(void *arg)
{
	chat_ws_send(arg, json_pack("{s:s}", "type", "reset"));
}

static void
chat_tool_start(const char *name, const json_t *input, void *arg)
{
	chat_ws_send(arg,
	    json_pack("{s:s, s:s, s:O}", "type", "tool_start", "name", name,
		"input", input));
}

static void
chat_tool_end(const char *name, const json_t *result, void *arg)
{
	json_t *copy = json_deep_copy(result), *out;
	const char *text;

	/* Results can be large: the client gets a preview. */
	out = json_object_get(copy, "output");
	if (json_is_string(out) &&
	    json_string_length(out) > CHAT_TOOL_PREVIEW) {
		text = json_string_value(out);
		json_object_set_new(copy, "output",
		    json_stringn_nocheck(text, CHAT_TOOL_PREVIEW));
		json_object_set_new(copy, "preview", json_true());
	}
	chat_ws_send(arg,
	    json_pack("{s:s, s:s, s:o}", "type", "tool_end", "name", name,
		"result", copy));
}

/* The run's outcome as the API shows it. */
static json_t *
chat_result(const struct kernel_run *r)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:i, s:i, "
			      "s:{s:I, s:I}, s:o}",
	    "reply", r->answer != NULL ? r->answer : "", "session_id",
	    r->session, "agent_id", r->agent, "duration_ms",
	    (json_int_t)r->duration_ms, "stop_reason", agent_stop_name(r->stop),
	    "reason", r->reason, "iterations", r->iterations, "tool_calls",
	    r->tool_calls, "usage", "input_tokens",
	    (json_int_t)r->usage.input_tokens, "output_tokens",
	    (json_int_t)r->usage.output_tokens, "cost_usd",
	    r->cost_unknown ? json_null() : json_real(r->cost_usd));

	/* Ouroboros (docs/ouroboros.md): as `oxios run --json` says it. */
	json_object_set_new(o, "phase_reached",
	    r->phase_reached != NULL ? json_string(r->phase_reached) :
				       json_null());
	json_object_set_new(o, "seed_id",
	    r->seed_id[0] != '\0' ? json_string(r->seed_id) : json_null());
	json_object_set_new(o, "evaluation_passed",
	    r->evaluation_passed < 0 ? json_null() :
				       json_boolean(r->evaluation_passed));
	json_object_set_new(o, "generations", json_integer(r->generations));
	json_object_set_new(o, "space_id",
	    r->space_id[0] != '\0' ? json_string(r->space_id) : json_null());
	json_object_set_new(o, "space_tag",
	    r->space_id[0] != '\0' ? json_string(r->space_tag) : json_null());
	json_object_set_new(o, "ouroboros_stop",
	    r->ouro_stop[0] != '\0' ? json_string(r->ouro_stop) : json_null());
	return o;
}

/* The HTTP status and error code of a run that did not answer. */
static int
chat_failure(const struct kernel_run *r, const char **code)
{
	if (!r->started) {
		*code = "cannot_run";
		return strstr(r->error, "no session") != NULL ? 404 : 503;
	}
	switch (r->stop) {
	case AGENT_CANCELLED:
		*code = "cancelled";
		return api_stopping() ? 503 : 409;
	case AGENT_LLM_ERROR:
		*code = "llm_error";
		return 502;
	case AGENT_WORKER_ERROR:
		*code = "worker_error";
		return 500;
	case AGENT_REAPED:
		*code = "zombie";
		return 500;
	default:
		*code = "stopped";
		return 200; /* a limit: the run has a result */
	}
}

static void
chat_done(const struct kernel_run *r, void *arg)
{
	struct chat_call *c = arg;
	const char *code = NULL;
	json_t *res = chat_result(r), *err;
	int status =
	    r->stop == AGENT_DONE && r->started ? 200 : chat_failure(r, &code);

	if (status != 200) {
		err = json_pack("{s:s, s:s}", "code", code, "message",
		    r->started ? r->reason : r->error);
		json_object_set_new(res, "error", err);
	}
	if (c->req != NULL) {
		/* A copy: the HTTP thread frees it, and jansson reads a
		 * shared refcount without an atomic load. */
		http_answer(c->req, status, json_deep_copy(res));
		http_complete(c->req);
		c->req = NULL;
	}
	if (c->ws != NULL) {
		json_object_set_new(res, "type",
		    json_string(status == 200 ? "done" : "error"));
		if (status != 200) {
			json_object_set(res, "code",
			    json_object_get(json_object_get(res, "error"),
				"code"));
			json_object_set(res, "message",
			    json_object_get(json_object_get(res, "error"),
				"message"));
			json_object_del(res, "error");
		}
		chat_ws_send(c, json_incref(res));
	}
	json_decref(res);
}

static void
chat_release(void *arg)
{
	struct chat_call *c = arg;

	if (c->ws != NULL)
		hub_unref(c->ws);
	if (c->owner != NULL)
		chat_ws_unref(c->owner);
	config_live_put(c->cfg);
	free(c);
}

/* The interview's round, on the WebSocket (docs/ouroboros.md). */
static void
chat_questions(const json_t *questions, int round, void *arg)
{
	chat_ws_send(arg,
	    json_pack("{s:s, s:i, s:O}", "type", "questions", "round", round,
		"questions", questions));
}

/* The protocol's phase, on the WebSocket: a client follows the run. */
static void
chat_phase(const struct kernel_run *r, const char *seed_id, int generation,
    const char *phase, void *arg)
{
	(void)r;
	chat_ws_send(arg,
	    json_pack("{s:s, s:s, s:i, s:s?}", "type", "phase", "phase", phase,
		"generation", generation, "seed_id", seed_id));
}

/* A call to the model is retried: a client can say so, and why. */
static void
chat_retry(const char *why, int attempt, long wait_ms, void *arg)
{
	chat_ws_send(arg,
	    json_pack("{s:s, s:i, s:I, s:s%}", "type", "retry", "attempt",
		attempt, "wait_ms", (json_int_t)wait_ms, "reason", why,
		utf8_valid_prefix(why, strlen(why))));
}

/* A tool call waits for a human: the WebSocket's user may answer it
 * ({type: approve}); a REST client answers through /api/approvals. */
static void
chat_approval(const json_t *a, void *arg)
{
	chat_ws_send(arg,
	    json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:O?}", "type", "approval",
		"id", json_object_get(a, "id"), "tool",
		json_object_get(a, "tool"), "summary",
		json_object_get(a, "summary"), "reason",
		json_object_get(a, "reason"), "expires_at",
		json_object_get(a, "expires_at")));
}

/* The WebSocket's user answers the interview's questions; POST
 * /api/chat drops them (nobody to ask: the defaults are taken), and what
 * only a stream can carry goes nowhere (chat_ws_send()). */
static const struct gateway_sink chat_sink = {
	.started = chat_started,
	.text = chat_text,
	.reset = chat_reset,
	.tool_start = chat_tool_start,
	.tool_end = chat_tool_end,
	.done = chat_done,
	.release = chat_release,
	.questions = chat_questions,
	.phase = chat_phase,
	.retry = chat_retry,
	.approval = chat_approval,
};

/* Hand the message to the gateway.  0, or -1 (c released). */
static int
chat_submit(struct chat_call *c, const char *content, const char *session,
    const char *model, const char *agent, const char *persona,
    enum kernel_spec spec, const char *space)
{
	struct gateway_msg m = { .content = content,
		.space = space,
		.session_id = session,
		.model = model,
		.principal = agent,
		.persona = persona,
		.spec = spec,
		.identity = c->actor,
		.approvals = 1 };
	struct gateway_sink sink = chat_sink;
	char *cause = NULL;

	if (c->ws == NULL)
		sink.questions = NULL;
	if (gateway_submit(c->cfg, &m, &sink, c, c->owner, &cause) == 0)
		return 0;
	log_error("chat: %s", cause);
	free(cause);
	chat_release(c);
	return -1;
}

/*
 * Check a chat request: content (or message), session_id, model, agent
 * (the principal: 1 to 64 of [A-Za-z0-9_.-]).  Returns 0 with the values,
 * or -1 with *code and *msg for a 400/404.
 */
static int
chat_check(json_t *body, const char **content, const char **session,
    const char **model, const char **agent, const char **persona,
    enum kernel_spec *spec, const char **code, char *msg, size_t msgsize)
{
	json_t *c, *s, *m, *a, *sp, *pv, *p = NULL;
	sqlite3 *db;
	char *cause = NULL;
	int exists;

	*code = "bad_request";
	if (!json_is_object(body)) {
		snprintf(msg, msgsize,
		    "the body must be a JSON object: {\"content\": \"...\"}");
		return -1;
	}
	if ((c = json_object_get(body, "content")) == NULL)
		c = json_object_get(body, "message");
	s = json_object_get(body, "session_id");
	m = json_object_get(body, "model");
	a = json_object_get(body, "agent");
	sp = json_object_get(body, "spec");
	if (sp != NULL && !json_is_null(sp) && !json_is_boolean(sp)) {
		snprintf(msg, msgsize,
		    "\"spec\" must be true (the Ouroboros protocol), false "
		    "(none) or absent");
		return -1;
	}
	*spec = json_is_true(sp) ? KERNEL_SPEC_ALWAYS :
	    json_is_false(sp)    ? KERNEL_SPEC_NEVER :
				   KERNEL_SPEC_CONFIG;
	if (!json_is_string(c) || json_string_length(c) == 0) {
		snprintf(msg, msgsize,
		    "\"content\" (or \"message\") must be a non-empty string");
		return -1;
	}
	if (json_string_length(c) > CHAT_MAX_CONTENT) {
		snprintf(msg, msgsize, "\"content\" is over %d bytes",
		    CHAT_MAX_CONTENT);
		return -1;
	}
	if (memchr(json_string_value(c), '\0', json_string_length(c)) != NULL) {
		snprintf(msg, msgsize, "\"content\" holds a NUL character");
		return -1;
	}
	if ((s != NULL && !json_is_null(s) && !json_is_string(s)) ||
	    (m != NULL && !json_is_null(m) && !json_is_string(m))) {
		snprintf(msg, msgsize,
		    "\"session_id\" and \"model\" must be strings");
		return -1;
	}
	*agent = NULL;
	if (a != NULL && !json_is_null(a)) {
		if (budget_agent_name_ok(json_string_value(a), &cause) != 0) {
			snprintf(msg, msgsize, "\"agent\": %s",
			    json_is_string(a) ? cause :
						"must be a string, the "
						"agent profile's name");
			free(cause);
			return -1;
		}
		*agent = json_string_value(a);
	}
	*persona = NULL;
	pv = json_object_get(body, "persona");
	if (pv != NULL && !json_is_null(pv)) {
		if (!json_is_string(pv) ||
		    personas_name_ok(json_string_value(pv), &cause) != 0) {
			snprintf(msg, msgsize, "\"persona\": %s",
			    cause != NULL ? cause : "must be a persona's name");
			free(cause);
			return -1;
		}
		*persona = json_string_value(pv);
	}
	s = json_object_get(body, "space"); /* the space chosen */
	if (s != NULL && !json_is_null(s) &&
	    (!json_is_string(s) || json_string_length(s) == 0 ||
		json_string_length(s) > SPACE_NAME_MAX)) {
		snprintf(msg, msgsize,
		    "\"space\" must be a space's id or name");
		return -1;
	}
	if (json_is_string(s) && (db = db_get()) != NULL) {
		json_t *known = spaces_get(db, json_string_value(s), &cause);

		free(cause);
		cause = NULL;
		json_decref(known);
		if (known == NULL) {
			*code = "not_found";
			snprintf(msg, msgsize, "no space '%.64s'",
			    json_string_value(s));
			return -1;
		}
	}
	s = json_object_get(body, "session_id");
	*content = json_string_value(c);
	*session = json_is_string(s) ? json_string_value(s) : NULL;
	*model = json_is_string(m) ? json_string_value(m) : NULL;
	if (*persona != NULL) {
		if ((db = db_get()) == NULL) {
			*code = "database_unavailable";
			snprintf(msg, msgsize, "the database cannot be opened");
			return -1;
		}
		exists = personas_get(db, *persona, &p, &cause);
		json_decref(p);
		free(cause);
		cause = NULL;
		if (exists != 1) {
			*code = "not_found";
			snprintf(msg, msgsize,
			    "no persona %.64s (GET /api/personas lists them)",
			    *persona);
			return -1;
		}
	}
	if (*session != NULL) {
		if ((db = db_get()) == NULL) {
			*code = "database_unavailable";
			snprintf(msg, msgsize, "the database cannot be opened");
			return -1;
		}
		exists = session_exists(db, *session, &cause);
		free(cause);
		if (exists != 1) {
			*code = "not_found";
			snprintf(msg, msgsize, "no session %.64s", *session);
			return -1;
		}
	}
	return 0;
}

static int
api_chat(struct http_req *r)
{
	const char *content, *session, *model, *agent, *persona, *code;
	enum kernel_spec spec;
	struct chat_call *c;
	char msg[256];

	if (api_stopping())
		return http_error(r, 503, "stopping", "the daemon is stopping");
	if (chat_check(r->body, &content, &session, &model, &agent, &persona,
		&spec, &code, msg, sizeof msg) != 0)
		return http_error(r,
		    strcmp(code, "not_found") == 0       ? 404 :
			strcmp(code, "bad_request") == 0 ? 400 :
							   503,
		    code, "%s", msg);
	c = xcalloc(1, sizeof *c);
	c->cfg = config_live_get();
	http_hold(r);
	c->req = r;
	snprintf(c->actor, sizeof c->actor, "%s", api_actor(r));
	if (chat_submit(c, content, session, model, agent, persona, spec,
		json_string_value(json_object_get(r->body, "space"))) != 0) {
		http_complete(r); /* drops the hold; nothing answered yet */
		return http_error(r, 503, "busy", "cannot start a thread");
	}
	return HTTP_ASYNC;
}

static int
api_chat_ticket(struct http_req *r)
{
	char ticket[AUTH_TICKET_LEN + 1];

	auth_ticket_new(ticket, time_mono_ms(), &r->identity);
	return http_json(r, 200,
	    json_pack("{s:s, s:i}", "ticket", ticket, "expires_in",
		AUTH_TICKET_TTL_MS / 1000));
}

/* ---- the WebSocket ---- */

static void
chat_ws_unref(struct chat_ws *cw)
{
	int refs;

	pthread_mutex_lock(&cw->lock);
	refs = --cw->refs;
	pthread_mutex_unlock(&cw->lock);
	if (refs == 0) {
		pthread_mutex_destroy(&cw->lock);
		free(cw);
	}
}

static void
chat_ws_error(struct hub_conn *c, const char *code, const char *msg)
{
	json_t *m = json_pack("{s:s, s:s, s:s}", "type", "error", "code", code,
	    "message", msg);
	char *s = json_dumps(m, JSON_COMPACT);

	hub_send(c, s, strlen(s));
	free(s);
	json_decref(m);
}

/* {type: answers, answers?: [string|null], go?: bool}: the user's
 * answers to the interview's round its run waits on. */
static void
chat_ws_answers(struct hub_conn *c, struct chat_ws *cw, const json_t *msg)
{
	const json_t *answers = json_object_get(msg, "answers"),
		     *go = json_object_get(msg, "go");
	char *cause = NULL;
	int rc;

	if (answers != NULL && json_is_null(answers))
		answers = NULL;
	if (go != NULL && !json_is_boolean(go)) {
		chat_ws_error(c, "bad_request", "'go' must be true or false");
		return;
	}
	rc = gateway_answer(cw, answers, json_is_true(go), &cause);
	if (rc != 0)
		chat_ws_error(c, rc == -2 ? "not_asked" : "bad_request", cause);
	free(cause);
}

/* {type: approve, id, decision: once|always|deny}: the user's answer to
 * a tool call that waits (approvals.h). */
static void
chat_ws_approve(struct hub_conn *c, struct chat_ws *cw, const json_t *msg)
{
	const char *id = json_string_value(json_object_get(msg, "id")),
		   *d = json_string_value(json_object_get(msg, "decision"));
	sqlite3 *db = db_get();
	char *cause = NULL;
	int rc, deny;

	if (id == NULL || d == NULL ||
	    (strcmp(d, "once") != 0 && strcmp(d, "always") != 0 &&
		strcmp(d, "deny") != 0)) {
		chat_ws_error(c, "bad_request",
		    "approve needs an id and a decision: once, always or deny");
		return;
	}
	if (db == NULL) {
		chat_ws_error(c, "unavailable",
		    "the database cannot be opened");
		return;
	}
	deny = strcmp(d, "deny") == 0;
	rc = approvals_answer(db, id, !deny, deny ? NULL : d, cw->actor, NULL,
	    &cause);
	if (rc != 0)
		chat_ws_error(c,
		    rc == APPROVALS_UNKNOWN     ? "not_found" :
			rc == APPROVALS_DECIDED ? "conflict" :
						  "internal",
		    cause);
	free(cause);
}

static void
chat_ws_open(struct hub_conn *c, void *arg)
{
	(void)arg;
	hub_send(c, "{\"type\":\"ready\"}", 16);
}

static void
chat_ws_text(struct hub_conn *c, const char *s, size_t n, void *arg)
{
	struct chat_ws *cw = arg;
	const char *content, *session, *model, *agent, *persona, *code, *type;
	enum kernel_spec spec;
	struct chat_call *call;
	json_error_t err;
	json_t *msg;
	char text[256];

	if ((msg = json_loadb(s, n, JSON_REJECT_DUPLICATES, &err)) == NULL) {
		snprintf(text, sizeof text, "invalid JSON at byte %d: %s",
		    err.position, err.text);
		chat_ws_error(c, "invalid_json", text);
		return;
	}
	type = json_string_value(json_object_get(msg, "type"));
	if (type == NULL)
		type = "message";
	if (strcmp(type, "cancel") == 0) {
		gateway_cancel_owner(cw);
		goto out;
	}
	if (strcmp(type, "ping") == 0) {
		hub_send(c, "{\"type\":\"pong\"}", 15);
		goto out;
	}
	if (strcmp(type, "answers") == 0) {
		chat_ws_answers(c, cw, msg);
		goto out;
	}
	if (strcmp(type, "approve") == 0) {
		chat_ws_approve(c, cw, msg);
		goto out;
	}
	if (strcmp(type, "message") != 0) {
		snprintf(text, sizeof text,
		    "unknown message type '%.64s' (message, answers, approve, "
		    "cancel, ping)",
		    type);
		chat_ws_error(c, "bad_request", text);
		goto out;
	}
	if (api_stopping()) {
		chat_ws_error(c, "stopping", "the daemon is stopping");
		goto out;
	}
	if (gateway_owner_busy(cw)) {
		chat_ws_error(c, "busy",
		    "a run is in progress on this connection (cancel it or "
		    "wait for done)");
		goto out;
	}
	if (chat_check(msg, &content, &session, &model, &agent, &persona, &spec,
		&code, text, sizeof text) != 0) {
		chat_ws_error(c, code, text);
		goto out;
	}
	call = xcalloc(1, sizeof *call);
	call->cfg = config_live_get();
	hub_ref(c);
	call->ws = c;
	pthread_mutex_lock(&cw->lock);
	cw->refs++;
	pthread_mutex_unlock(&cw->lock);
	call->owner = cw;
	snprintf(call->actor, sizeof call->actor, "%s", cw->actor);
	if (chat_submit(call, content, session, model, agent, persona, spec,
		json_string_value(json_object_get(msg, "space"))) != 0)
		chat_ws_error(c, "busy", "cannot start a thread");
out:
	json_decref(msg);
}

static void
chat_ws_close(struct hub_conn *c, void *arg)
{
	struct chat_ws *cw = arg;

	(void)c;
	/* The client left: its run is cancelled. */
	gateway_cancel_owner(cw);
	chat_ws_unref(cw);
}

static int
api_chat_stream(struct http_req *r)
{
	const char *upgrade = http_header(r, "Upgrade");
	const char *version = http_header(r, "Sec-WebSocket-Version");
	const char *key = http_header(r, "Sec-WebSocket-Key");
	struct chat_ws *cw;

	if (upgrade == NULL || strcasecmp(upgrade, "websocket") != 0)
		return http_error(r, 426, "upgrade_required",
		    "this is a WebSocket: send Upgrade: websocket");
	if (version == NULL || strcmp(version, "13") != 0) {
		http_error(r, 426, "upgrade_required",
		    "only WebSocket version 13 is spoken");
		return 0;
	}
	if (key == NULL || ws_accept_key(key, r->ws_accept) != 0) {
		r->ws_accept[0] = '\0';
		return http_error(r, 400, "bad_websocket_key",
		    "Sec-WebSocket-Key must be the base64 of 16 bytes");
	}
	if (api_stopping()) {
		r->ws_accept[0] = '\0';
		return http_error(r, 503, "stopping", "the daemon is stopping");
	}
	cw = xcalloc(1, sizeof *cw);
	pthread_mutex_init(&cw->lock, NULL);
	cw->refs = 1;
	snprintf(cw->actor, sizeof cw->actor, "%s", api_actor(r));
	r->ws.open = chat_ws_open;
	r->ws.text = chat_ws_text;
	r->ws.close = chat_ws_close;
	r->ws.arg = cw;
	return 0;
}

const struct route api_chat_routes[] = {
	{
	    .method = "POST",
	    .pattern = "/api/chat",
	    .role = ROLE_OPERATOR,
	    .handler = api_chat,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_CHAT,
	    .tag = "chat",
	    .summary = "Run an agent on a message and answer when it is done.",
	    .request = "{content (or message), session_id?, model?, agent?, "
		       "spec?: true runs the Ouroboros protocol (defaults "
		       "accepted), false or absent: none, space?: a space's "
		       "id or name (else detected)}",
	    .response =
		"{reply, session_id, agent_id, duration_ms, stop_reason, "
		"iterations, tool_calls, usage, phase_reached, seed_id, "
		"evaluation_passed, generations, ouroboros_stop, space_id, "
		"space_tag}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/chat/ticket",
	    .role = ROLE_OPERATOR,
	    .handler = api_chat_ticket,
	    .tag = "chat",
	    .summary =
		"A one-time ticket (30 s) to open the chat WebSocket from a "
		"browser.",
	    .response = "{ticket, expires_in}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/chat/stream",
	    .role = ROLE_OPERATOR,
	    .handler = api_chat_stream,
	    .flags = ROUTE_STREAM | ROUTE_TICKET,
	    .tag = "chat",
	    .summary =
		"WebSocket: send {type: message, content, spec?}, receive "
		"started, delta, tool_start, tool_end, questions, phase, retry, "
		"approval, done, error; "
		"send {type: answers, answers?, go?} to questions, "
		"{type: approve, id, decision: once|always|deny} to an "
		"approval, {type: cancel}.",
	    .response = "101 Switching Protocols",
	},
	{ .method = NULL },
};
