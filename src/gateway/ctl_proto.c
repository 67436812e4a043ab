/*
 * ctl_proto.c — the control socket's lines (see ctl_proto.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ctl_proto.h"
#include "ouroboros/evolve.h"
#include "ouroboros/seed.h"
#include "util/utf8.h"
#include "util/xalloc.h"

json_t *
ctl_parse_object(const char *line, size_t len, size_t cap, char **cause)
{
	json_error_t err;
	json_t *v;

	if (len > cap) {
		xasprintf(cause, "line too long (%zu bytes, limit %zu)", len,
		    cap);
		return NULL;
	}
	v = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &err);
	if (v == NULL) {
		xasprintf(cause, "invalid JSON at byte %d: %s", err.position,
		    err.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		xasprintf(cause, "a line must be a JSON object");
		json_decref(v);
		return NULL;
	}
	return v;
}

int
ctl_keys_known(const json_t *o, const char *const *keys, char **cause)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)o, k, v) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], k) == 0)
				break;
		if (keys[i] == NULL) {
			xasprintf(cause, "unknown field '%.64s'", k);
			return -1;
		}
	}
	return 0;
}

/*
 * An optional string field of at most `max` bytes, without NUL, nonempty.
 * *out is NULL when absent or null.
 */
static int
ctl_opt_str(const json_t *o, const char *key, size_t max, const char **out,
    char **cause)
{
	const json_t *v = json_object_get(o, key);
	size_t n;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		xasprintf(cause, "'%s' must be a string", key);
		return -1;
	}
	n = json_string_length(v);
	if (n == 0 || n > max || memchr(json_string_value(v), '\0', n)) {
		xasprintf(cause, "'%s' must be 1 to %zu bytes, without NUL",
		    key, max);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* An optional integer in [1, max]; 0 when absent or null. */
static int
ctl_opt_int(const json_t *o, const char *key, long long max, long long *out,
    char **cause)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > max) {
		xasprintf(cause, "'%s' must be an integer from 1 to %lld", key,
		    max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int
ctl_name_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr("-_.", *s) != NULL))
			return 0;
	return 1;
}

int
ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
    char **cause)
{
	static const char *const keys[] = { "type", "prompt", "session",
		"model", "timeout", "budget_tokens", "budget_usd", "agent",
		"class", "spec", "ask", "approvals", "persona", "space", NULL };
	const char *type, *prompt, *session, *model, *agent, *cls, *persona,
	    *space;
	const json_t *usd, *spec, *ask, *appr;
	long long timeout;
	json_t *o;
	int rc = -1;

	memset(req, 0, sizeof *req);
	req->cls = CALL_RUN;
	if ((o = ctl_parse_object(line, len, CTL_LINE_MAX, cause)) == NULL)
		return -1;
	if (ctl_keys_known(o, keys, cause) != 0)
		goto out;
	type = json_string_value(json_object_get(o, "type"));
	if (type == NULL || strcmp(type, "run") != 0) {
		xasprintf(cause, "the first line must have \"type\":\"run\"");
		goto out;
	}
	if (ctl_opt_str(o, "prompt", CTL_PROMPT_MAX, &prompt, cause) != 0)
		goto out;
	if (prompt == NULL) {
		xasprintf(cause, "'prompt' is missing");
		goto out;
	}
	if (ctl_opt_str(o, "session", CTL_NAME_MAX, &session, cause) != 0 ||
	    ctl_opt_str(o, "model", CTL_NAME_MAX, &model, cause) != 0 ||
	    ctl_opt_str(o, "agent", CTL_NAME_MAX, &agent, cause) != 0 ||
	    ctl_opt_str(o, "persona", 64, &persona, cause) != 0 ||
	    ctl_opt_str(o, "class", 16, &cls, cause) != 0 ||
	    ctl_opt_str(o, "space", CTL_NAME_MAX, &space, cause) != 0)
		goto out;
	if (session != NULL && !ctl_name_ok(session)) {
		xasprintf(cause, "'session' is not a session id");
		goto out;
	}
	if (agent != NULL && !ctl_name_ok(agent)) {
		xasprintf(cause,
		    "'agent' may hold letters, digits, '-', '_' "
		    "and '.' only");
		goto out;
	}
	if (persona != NULL && (persona[0] == '\0' || !ctl_name_ok(persona))) {
		xasprintf(cause, "'persona' is not a persona's name");
		goto out;
	}
	if (model != NULL && strchr(model, '/') == NULL) {
		xasprintf(cause, "'model' must be provider/model");
		goto out;
	}
	if (cls != NULL && strcmp(cls, "run") == 0)
		req->cls = CALL_RUN;
	else if (cls != NULL && strcmp(cls, "interactive") == 0)
		req->cls = CALL_INTERACTIVE;
	else if (cls != NULL) {
		xasprintf(cause, "'class' must be \"run\" or \"interactive\"");
		goto out;
	}
	if (ctl_opt_int(o, "timeout", CTL_TIMEOUT_MAX, &timeout, cause) != 0 ||
	    ctl_opt_int(o, "budget_tokens", CTL_TOKENS_MAX, &req->budget_tokens,
		cause) != 0)
		goto out;
	req->timeout_secs = (long)timeout;
	usd = json_object_get(o, "budget_usd");
	if (usd != NULL && !json_is_null(usd)) {
		if (!json_is_number(usd) ||
		    !(json_number_value(usd) > 0 &&
			json_number_value(usd) <= CTL_USD_MAX)) {
			xasprintf(cause,
			    "'budget_usd' must be a number above "
			    "0, at most 1e9");
			goto out;
		}
		req->budget_usd = json_number_value(usd);
	}
	spec = json_object_get(o, "spec");
	if (spec != NULL && !json_is_null(spec) && !json_is_boolean(spec)) {
		xasprintf(cause, "'spec' must be true, false or null");
		goto out;
	}
	ask = json_object_get(o, "ask");
	if (ask != NULL && !json_is_boolean(ask)) {
		xasprintf(cause, "'ask' must be true or false");
		goto out;
	}
	req->ask = json_is_true(ask);
	appr = json_object_get(o, "approvals");
	if (appr != NULL && !json_is_boolean(appr)) {
		xasprintf(cause, "'approvals' must be true or false");
		goto out;
	}
	req->approvals = json_is_true(appr);
	req->spec = json_is_true(spec) ? KERNEL_SPEC_ALWAYS :
	    json_is_false(spec)        ? KERNEL_SPEC_NEVER :
					 KERNEL_SPEC_CONFIG;
	req->prompt = xstrdup(prompt);
	req->session = session != NULL ? xstrdup(session) : NULL;
	req->model = model != NULL ? xstrdup(model) : NULL;
	req->agent = agent != NULL ? xstrdup(agent) : NULL;
	req->persona = persona != NULL ? xstrdup(persona) : NULL;
	req->space = space != NULL ? xstrdup(space) : NULL;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

char *
ctl_line(json_t *o, size_t *len)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY), *line;
	size_t n;

	json_decref(o);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	free(s);
	*len = n + 1;
	return line;
}

char *
ctl_request_line(const struct ctl_request *req, size_t *len)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s}", "type", "run", "prompt", req->prompt,
		"class", req->cls == CALL_INTERACTIVE ? "interactive" : "run");

	if (o == NULL)
		return NULL;
	if (req->session != NULL)
		json_object_set_new(o, "session", json_string(req->session));
	if (req->model != NULL)
		json_object_set_new(o, "model", json_string(req->model));
	if (req->agent != NULL)
		json_object_set_new(o, "agent", json_string(req->agent));
	if (req->persona != NULL)
		json_object_set_new(o, "persona", json_string(req->persona));
	if (req->space != NULL)
		json_object_set_new(o, "space", json_string(req->space));
	if (req->timeout_secs > 0)
		json_object_set_new(o, "timeout",
		    json_integer(req->timeout_secs));
	if (req->budget_tokens > 0)
		json_object_set_new(o, "budget_tokens",
		    json_integer(req->budget_tokens));
	if (req->budget_usd > 0)
		json_object_set_new(o, "budget_usd",
		    json_real(req->budget_usd));
	if (req->spec != KERNEL_SPEC_CONFIG)
		json_object_set_new(o, "spec",
		    json_boolean(req->spec == KERNEL_SPEC_ALWAYS));
	if (req->ask)
		json_object_set_new(o, "ask", json_true());
	if (req->approvals)
		json_object_set_new(o, "approvals", json_true());
	return ctl_line(o, len);
}

void
ctl_request_free(struct ctl_request *req)
{
	free(req->prompt);
	free(req->session);
	free(req->model);
	free(req->agent);
	free(req->persona);
	free(req->space);
	memset(req, 0, sizeof *req);
}

/* A JSON string of the well-formed prefix of `s` (a reason cut at 512
 * bytes may end inside a character). */
json_t *
ctl_jstr(const char *s)
{
	return json_stringn(s, utf8_valid_prefix(s, strlen(s)));
}

/* ---- events ---- */

static const struct {
	const char *name;
	enum ctl_event_type type;
	const char *const keys[24];
} ctl_events[] = {
	{ "started", CTL_EV_STARTED, { "event", "session_id", "agent_id" } },
	{ "text", CTL_EV_TEXT, { "event", "text" } },
	{ "reset", CTL_EV_RESET, { "event" } },
	{ "tool_start", CTL_EV_TOOL_START, { "event", "name", "input" } },
	{ "tool_end", CTL_EV_TOOL_END, { "event", "name", "result" } },
	{ "done", CTL_EV_DONE,
	    { "event", "started", "session_id", "agent_id", "stop_reason",
		"stop_detail", "answer", "iterations", "tool_calls", "usage",
		"cost_usd", "duration_ms", "sandbox", "error", "phase_reached",
		"seed_id", "evaluation_passed", "generations", "ouroboros_stop",
		"ouroboros_detail", "space_id", "space_tag", "persona" } },
	{ "error", CTL_EV_ERROR, { "event", "error" } },
	{ "questions", CTL_EV_QUESTIONS, { "event", "round", "questions" } },
	{ "phase", CTL_EV_PHASE,
	    { "event", "phase", "generation", "seed_id" } },
	{ "retry", CTL_EV_RETRY, { "event", "attempt", "wait_ms", "reason" } },
	{ "approval", CTL_EV_APPROVAL,
	    { "event", "id", "tool", "summary", "reason", "expires_at" } },
};
#define CTL_NEVENTS (sizeof ctl_events / sizeof ctl_events[0])

int
ctl_req_str(const json_t *o, const char *key, int nul, const char **out,
    size_t *n, char **cause)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) ||
	    (!nul &&
		memchr(json_string_value(v), '\0', json_string_length(v)) !=
		    NULL)) {
		xasprintf(cause, "'%s' must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	if (n != NULL)
		*n = json_string_length(v);
	return 0;
}

char *
ctl_ev_retry(const char *why, int attempt, long wait_ms, size_t *len)
{
	size_t n = strlen(why);

	/* What a provider said may be cut anywhere: its valid part. */
	n = utf8_valid_prefix(why, n < CTL_REASON_MAX ? n : CTL_REASON_MAX);
	return ctl_line(json_pack("{s:s, s:i, s:I, s:s%}", "event", "retry",
			    "attempt", attempt, "wait_ms", (json_int_t)wait_ms,
			    "reason", why, n),
	    len);
}

/* A RETRY event's fields into ev (attempt, wait_ms, text). */
static int
ctl_retry_check(struct ctl_event *ev, char **cause)
{
	const json_t *a = json_object_get(ev->obj, "attempt"),
		     *w = json_object_get(ev->obj, "wait_ms");

	if (!json_is_integer(a) || json_integer_value(a) < 1 ||
	    json_integer_value(a) > CTL_ATTEMPT_MAX) {
		xasprintf(cause, "'attempt' must be an integer from 1 to %d",
		    CTL_ATTEMPT_MAX);
		return -1;
	}
	if (!json_is_integer(w) || json_integer_value(w) < -1 ||
	    json_integer_value(w) > CTL_WAIT_MAX_MS) {
		xasprintf(cause, "'wait_ms' must be an integer from -1 to %ld",
		    CTL_WAIT_MAX_MS);
		return -1;
	}
	if (ctl_req_str(ev->obj, "reason", 0, &ev->text, &ev->text_len,
		cause) != 0)
		return -1;
	if (ev->text_len > CTL_REASON_MAX) {
		xasprintf(cause, "'reason' is over %d bytes", CTL_REASON_MAX);
		return -1;
	}
	ev->attempt = (int)json_integer_value(a);
	ev->wait_ms = (long)json_integer_value(w);
	return 0;
}

int
ctl_event_parse(const char *line, size_t len, struct ctl_event *ev,
    char **cause)
{
	const char *name;
	size_t i;

	memset(ev, 0, sizeof *ev);
	if ((ev->obj = ctl_parse_object(line, len, CTL_EVENT_MAX, cause)) ==
	    NULL)
		return -1;
	name = json_string_value(json_object_get(ev->obj, "event"));
	for (i = 0; name != NULL && i < CTL_NEVENTS; i++)
		if (strcmp(ctl_events[i].name, name) == 0)
			break;
	if (name == NULL || i == CTL_NEVENTS) {
		xasprintf(cause, "unknown event");
		goto fail;
	}
	ev->type = ctl_events[i].type;
	if (ctl_keys_known(ev->obj, ctl_events[i].keys, cause) != 0)
		goto fail;
	switch (ev->type) {
	case CTL_EV_STARTED:
		if (ctl_req_str(ev->obj, "session_id", 0, &ev->session_id, NULL,
			cause) != 0 ||
		    ctl_req_str(ev->obj, "agent_id", 0, &ev->agent_id, NULL,
			cause) != 0)
			goto fail;
		break;
	case CTL_EV_TEXT:
		if (ctl_req_str(ev->obj, "text", 1, &ev->text, &ev->text_len,
			cause) != 0)
			goto fail;
		break;
	case CTL_EV_TOOL_START:
	case CTL_EV_TOOL_END:
		if (ctl_req_str(ev->obj, "name", 0, &ev->name, NULL, cause) !=
		    0)
			goto fail;
		ev->data = json_object_get(ev->obj,
		    ev->type == CTL_EV_TOOL_START ? "input" : "result");
		if (ev->data == NULL) {
			xasprintf(cause, "a tool event without its data");
			goto fail;
		}
		break;
	case CTL_EV_ERROR:
		if (ctl_req_str(ev->obj, "error", 0, &ev->text, &ev->text_len,
			cause) != 0)
			goto fail;
		break;
	case CTL_EV_QUESTIONS:
		if (ctl_questions_check(ev, cause) != 0)
			goto fail;
		break;
	case CTL_EV_PHASE:
		if (ctl_phase_check(ev, cause) != 0)
			goto fail;
		break;
	case CTL_EV_RETRY:
		if (ctl_retry_check(ev, cause) != 0)
			goto fail;
		break;
	case CTL_EV_APPROVAL:
		if (ctl_approval_check(ev, cause) != 0)
			goto fail;
		break;
	case CTL_EV_RESET:
	case CTL_EV_DONE: /* checked by ctl_done_apply() */
		break;
	}
	return 0;
fail:
	ctl_event_free(ev);
	return -1;
}

void
ctl_event_free(struct ctl_event *ev)
{
	json_decref(ev->obj);
	memset(ev, 0, sizeof *ev);
}

int
ctl_stop_parse(const char *name)
{
	int s;

	for (s = 0; s < 64; s++) {
		const char *n = agent_stop_name((enum agent_stop)s);

		if (strcmp(n, "unknown") == 0)
			break;
		if (strcmp(n, name) == 0)
			return s;
	}
	return -1;
}

char *
ctl_ev_started(const struct kernel_run *r, size_t *len)
{
	return ctl_line(json_pack("{s:s, s:s, s:s}", "event", "started",
			    "session_id", r->session, "agent_id", r->agent),
	    len);
}

char *
ctl_ev_text(const char *s, size_t n, size_t *len)
{
	json_t *t = json_stringn(s, n);

	if (t == NULL)
		return NULL;
	return ctl_line(json_pack("{s:s, s:o}", "event", "text", "text", t),
	    len);
}

char *
ctl_ev_reset(size_t *len)
{
	return ctl_line(json_pack("{s:s}", "event", "reset"), len);
}

char *
ctl_ev_tool(int end, const char *name, const json_t *data, size_t *len)
{
	json_t *d = data != NULL ? json_deep_copy(data) : json_null();

	return ctl_line(json_pack("{s:s, s:s, s:o}", "event",
			    end ? "tool_end" : "tool_start", "name", name,
			    end ? "result" : "input", d),
	    len);
}

char *
ctl_ev_error(const char *msg, size_t *len)
{
	return ctl_line(json_pack("{s:s, s:o}", "event", "error", "error",
			    ctl_jstr(msg)),
	    len);
}
