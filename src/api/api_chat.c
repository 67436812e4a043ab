/*
 * api_chat.c — chat: POST /api/chat (answers when the agent is done),
 * the WebSocket /api/chat/stream (streams the run), and its tickets.
 *
 * Each chat runs kernel_run() on a thread of its own (the agent's host
 * thread) so that no HTTP or hub thread ever waits for an agent.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "http/hub.h"
#include "http/ws.h"
#include "kernel/kernel.h"
#include "kernel/sessions.h"
#include "kernel/supervisor.h"
#include "security/auth.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define CHAT_MAX_CONTENT (256 * 1024) /* characters of one message */
#define CHAT_TOOL_PREVIEW 2000        /* characters of a tool result sent */

struct chat_job {
	const struct config *cfg; /* held */
	char *content;
	char *session_id;
	char *model;
	volatile int cancel;
	struct http_req *req;  /* REST: answered at the end (held) */
	struct hub_conn *ws;   /* WebSocket: streamed to (ref'd) */
	struct chat_ws *owner; /* its connection's state (ref'd) */
	struct kernel_run run;
	pthread_t thread;
	struct chat_job *next, *prev;
};

/* A WebSocket connection's state (hub thread, plus the job under lock). */
struct chat_ws {
	pthread_mutex_t lock;
	int refs;
};

static void chat_ws_unref(struct chat_ws *cw);

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct chat_job *jobs;
	int count;
} chat = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0 };

/* ---- the job ---- */

static void
chat_ws_send(struct chat_job *j, json_t *msg)
{
	char *s;

	if (j->ws != NULL &&
	    (s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII)) != NULL) {
		hub_send(j->ws, s, strlen(s));
		free(s);
	}
	json_decref(msg);
}

static void
chat_text(const char *s, size_t n, void *arg)
{
	struct chat_job *j = arg;
	json_t *t = json_stringn_nocheck(s, n);

	chat_ws_send(j, json_pack("{s:s, s:o}", "type", "delta", "text", t));
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
chat_result(struct chat_job *j)
{
	struct kernel_run *r = &j->run;

	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:i, s:i, "
			 "s:{s:I, s:I}, s:f}",
	    "reply", r->answer != NULL ? r->answer : "", "session_id",
	    r->session, "agent_id", r->agent, "duration_ms",
	    (json_int_t)r->duration_ms, "stop_reason", agent_stop_name(r->stop),
	    "reason", r->reason, "iterations", r->iterations, "tool_calls",
	    r->tool_calls, "usage", "input_tokens",
	    (json_int_t)r->usage.input_tokens, "output_tokens",
	    (json_int_t)r->usage.output_tokens, "cost_usd", r->cost_usd);
}

/* The HTTP status and error code of a run that did not answer. */
static int
chat_failure(struct chat_job *j, const char **code)
{
	if (!j->run.started) {
		*code = "cannot_run";
		return strstr(j->run.error, "no session") != NULL ? 404 : 503;
	}
	switch (j->run.stop) {
	case AGENT_CANCELLED:
		*code = "cancelled";
		return api_stopping() ? 503 : 409;
	case AGENT_LLM_ERROR:
		*code = "llm_error";
		return 502;
	case AGENT_WORKER_ERROR:
		*code = "worker_error";
		return 500;
	default:
		*code = "stopped";
		return 200; /* a limit: the run has a result */
	}
}

static void
chat_finish(struct chat_job *j)
{
	const char *code = NULL;
	json_t *res = chat_result(j), *err;
	int status = j->run.stop == AGENT_DONE && j->run.started ?
	    200 :
	    chat_failure(j, &code);

	if (status != 200) {
		err = json_pack("{s:s, s:s}", "code", code, "message",
		    j->run.started ? j->run.reason : j->run.error);
		json_object_set_new(res, "error", err);
	}
	if (j->req != NULL) {
		http_answer(j->req, status, json_incref(res));
		http_complete(j->req);
		j->req = NULL;
	}
	if (j->ws != NULL) {
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
		chat_ws_send(j, json_incref(res));
	}
	json_decref(res);
}

static void
chat_job_free(struct chat_job *j)
{
	kernel_run_free(&j->run);
	if (j->ws != NULL)
		hub_unref(j->ws);
	if (j->owner != NULL)
		chat_ws_unref(j->owner);
	api_config_put(j->cfg);
	free(j->content);
	free(j->session_id);
	free(j->model);
	free(j);
}

/* Take j off the list of running chats (waking api_chat_wait()) and free
 * it. */
static void
chat_job_unlink(struct chat_job *j)
{
	pthread_mutex_lock(&chat.lock);
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		chat.jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	chat.count--;
	pthread_cond_broadcast(&chat.cond);
	pthread_mutex_unlock(&chat.lock);
	chat_job_free(j);
}

static void *
chat_thread(void *arg)
{
	struct chat_job *j = arg;
	struct kernel_run *r = &j->run;

	r->cfg = j->cfg;
	r->db = db_get();
	r->session_id = j->session_id;
	r->prompt = j->content;
	r->model = j->model;
	r->cancel = &j->cancel;
	r->hooks.text = chat_text;
	r->hooks.reset = chat_reset;
	r->hooks.tool_start = chat_tool_start;
	r->hooks.tool_end = chat_tool_end;
	r->hooks.arg = j;
	r->started_hook = chat_started;
	if (r->db == NULL)
		snprintf(r->error, sizeof r->error,
		    "the database cannot be opened");
	else
		kernel_run(r);
	chat_finish(j);
	chat_job_unlink(j);
	return NULL;
}

static struct chat_job *
chat_job_new(const char *content, const char *session, const char *model)
{
	struct chat_job *j = xcalloc(1, sizeof *j);

	j->cfg = api_config_get();
	j->content = xstrdup(content);
	j->session_id = session != NULL ? xstrdup(session) : NULL;
	j->model = model != NULL ? xstrdup(model) : NULL;
	return j;
}

/* Start the job's thread.  0, or -1 (j freed). */
static int
chat_job_start(struct chat_job *j)
{
	pthread_attr_t attr;
	int rc;

	pthread_mutex_lock(&chat.lock);
	j->next = chat.jobs;
	if (j->next != NULL)
		j->next->prev = j;
	chat.jobs = j;
	chat.count++;
	pthread_mutex_unlock(&chat.lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&j->thread, &attr, chat_thread, j);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return 0;
	chat_job_unlink(j);
	return -1;
}

void
api_chat_cancel_all(void)
{
	struct chat_job *j;

	pthread_mutex_lock(&chat.lock);
	for (j = chat.jobs; j != NULL; j = j->next)
		j->cancel = 1;
	pthread_mutex_unlock(&chat.lock);
}

int
api_chat_wait(long ms)
{
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&chat.lock);
	while (chat.count > 0 &&
	    pthread_cond_timedwait(&chat.cond, &chat.lock, &ts) == 0)
		;
	n = chat.count;
	pthread_mutex_unlock(&chat.lock);
	return n;
}

int
api_chat_count(void)
{
	int n;

	pthread_mutex_lock(&chat.lock);
	n = chat.count;
	pthread_mutex_unlock(&chat.lock);
	return n;
}

/*
 * Check a chat request: content (or message), session_id, model.  Returns
 * 0 with the values, or -1 with *code and *msg for a 400/404.
 */
static int
chat_check(json_t *body, const char **content, const char **session,
    const char **model, const char **code, char *msg, size_t msgsize)
{
	json_t *c, *s, *m;
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
	*content = json_string_value(c);
	*session = json_is_string(s) ? json_string_value(s) : NULL;
	*model = json_is_string(m) ? json_string_value(m) : NULL;
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
	const char *content, *session, *model, *code;
	struct chat_job *j;
	char msg[256];

	if (api_stopping())
		return http_error(r, 503, "stopping", "the daemon is stopping");
	if (chat_check(r->body, &content, &session, &model, &code, msg,
		sizeof msg) != 0)
		return http_error(r,
		    strcmp(code, "not_found") == 0       ? 404 :
			strcmp(code, "bad_request") == 0 ? 400 :
							   503,
		    code, "%s", msg);
	j = chat_job_new(content, session, model);
	http_hold(r);
	j->req = r;
	if (chat_job_start(j) != 0) {
		http_complete(r); /* drops the hold; nothing answered yet */
		return http_error(r, 503, "busy", "cannot start a thread");
	}
	return HTTP_ASYNC;
}

static int
api_chat_ticket(struct http_req *r)
{
	char ticket[AUTH_TICKET_LEN + 1];

	auth_ticket_new(ticket, time_mono_ms());
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

/* Whether a job of this connection still runs. */
static int
chat_ws_busy(struct chat_ws *cw)
{
	struct chat_job *j;
	int busy = 0;

	pthread_mutex_lock(&chat.lock);
	for (j = chat.jobs; j != NULL; j = j->next) {
		if (j->owner == cw)
			busy = 1;
	}
	pthread_mutex_unlock(&chat.lock);
	return busy;
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
	const char *content, *session, *model, *code, *type;
	struct chat_job *j;
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
		pthread_mutex_lock(&chat.lock);
		for (j = chat.jobs; j != NULL; j = j->next) {
			if (j->owner == cw) {
				j->cancel = 1;
				if (j->run.agent[0] != '\0')
					supervisor_kill(j->run.agent);
			}
		}
		pthread_mutex_unlock(&chat.lock);
		goto out;
	}
	if (strcmp(type, "ping") == 0) {
		hub_send(c, "{\"type\":\"pong\"}", 15);
		goto out;
	}
	if (strcmp(type, "message") != 0) {
		snprintf(text, sizeof text,
		    "unknown message type '%.64s' (message, cancel, ping)",
		    type);
		chat_ws_error(c, "bad_request", text);
		goto out;
	}
	if (api_stopping()) {
		chat_ws_error(c, "stopping", "the daemon is stopping");
		goto out;
	}
	if (chat_ws_busy(cw)) {
		chat_ws_error(c, "busy",
		    "a run is in progress on this connection (cancel it or "
		    "wait for done)");
		goto out;
	}
	if (chat_check(msg, &content, &session, &model, &code, text,
		sizeof text) != 0) {
		chat_ws_error(c, code, text);
		goto out;
	}
	j = chat_job_new(content, session, model);
	hub_ref(c);
	j->ws = c;
	pthread_mutex_lock(&cw->lock);
	cw->refs++;
	pthread_mutex_unlock(&cw->lock);
	j->owner = cw;
	if (chat_job_start(j) != 0)
		chat_ws_error(c, "busy", "cannot start a thread");
out:
	json_decref(msg);
}

static void
chat_ws_close(struct hub_conn *c, void *arg)
{
	struct chat_ws *cw = arg;
	struct chat_job *j;

	(void)c;
	/* The client left: its run is cancelled. */
	pthread_mutex_lock(&chat.lock);
	for (j = chat.jobs; j != NULL; j = j->next) {
		if (j->owner == cw)
			j->cancel = 1;
	}
	pthread_mutex_unlock(&chat.lock);
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
	    .handler = api_chat,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_CHAT,
	    .tag = "chat",
	    .summary = "Run an agent on a message and answer when it is done.",
	    .request = "{content (or message), session_id?, model?}",
	    .response =
		"{reply, session_id, agent_id, duration_ms, stop_reason, "
		"iterations, tool_calls, usage}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/chat/ticket",
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
	    .handler = api_chat_stream,
	    .flags = ROUTE_STREAM | ROUTE_TICKET,
	    .tag = "chat",
	    .summary =
		"WebSocket: send {type: message, content}, receive started, "
		"delta, tool_start, tool_end, done, error; send {type: cancel}.",
	    .response = "101 Switching Protocols",
	},
	{ .method = NULL },
};
