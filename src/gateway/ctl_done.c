/*
 * ctl_done.c — the control socket's done record (ctl_proto.h): how a run
 * ended, written by the daemon (ctl_ev_done()) and read back into a
 * struct kernel_run by the client (ctl_done_apply()), every field
 * checked.
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

/* An optional id into `dst` (UUID_STRLEN): absent, null or a short id. */
static int
ctl_id(const json_t *o, const char *key, char *dst, char **cause)
{
	const json_t *v = json_object_get(o, key);

	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= UUID_STRLEN ||
	    !ctl_name_ok(json_string_value(v))) {
		xasprintf(cause, "'%s' must be an id", key);
		return -1;
	}
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* A count in [0, 2^53]. */
static int
ctl_count(const json_t *o, const char *key, long long *out, char **cause)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (1LL << 53)) {
		xasprintf(cause, "'%s' must be a count", key);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* s into dst[size], cut on a character boundary. */
static void
ctl_copy(char *dst, size_t size, const char *s)
{
	size_t n = utf8_cut(s, size - 1);

	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int ctl_done_ouro_apply(const json_t *o, struct kernel_run *r,
    char **cause);

int
ctl_done_apply(const struct ctl_event *ev, struct kernel_run *r, char **cause)
{
	const json_t *o = ev->obj, *usage, *sandbox, *cost, *v;
	const char *s;
	long long n;
	int stop;

	if (ev->type != CTL_EV_DONE ||
	    !json_is_boolean(json_object_get(o, "started"))) {
		xasprintf(cause, "'started' must be true or false");
		return -1;
	}
	if (ctl_id(o, "session_id", r->session, cause) != 0 ||
	    ctl_id(o, "agent_id", r->agent, cause) != 0 ||
	    ctl_id(o, "space_id", r->space_id, cause) != 0 ||
	    ctl_count(o, "duration_ms", &n, cause) != 0)
		return -1;
	r->space_tag[0] = '\0';
	if (json_object_get(o, "space_tag") != NULL) {
		if (ctl_req_str(o, "space_tag", 0, &s, NULL, cause) != 0)
			return -1;
		ctl_copy(r->space_tag, sizeof r->space_tag, s);
	}
	r->persona_name[0] = '\0';
	if (json_object_get(o, "persona") != NULL) {
		if (ctl_req_str(o, "persona", 0, &s, NULL, cause) != 0)
			return -1;
		ctl_copy(r->persona_name, sizeof r->persona_name, s);
	}
	r->duration_ms = (long)n;
	r->started = json_is_true(json_object_get(o, "started"));
	if (!r->started) {
		if (ctl_req_str(o, "error", 0, &s, NULL, cause) != 0)
			return -1;
		ctl_copy(r->error, sizeof r->error, s);
		return 0;
	}
	if (ctl_req_str(o, "stop_reason", 0, &s, NULL, cause) != 0)
		return -1;
	if ((stop = ctl_stop_parse(s)) < 0) {
		xasprintf(cause, "unknown stop_reason '%.32s'", s);
		return -1;
	}
	r->stop = (enum agent_stop)stop;
	if (ctl_req_str(o, "stop_detail", 0, &s, NULL, cause) != 0)
		return -1;
	ctl_copy(r->reason, sizeof r->reason, s);
	if (ctl_count(o, "iterations", &n, cause) != 0 || n > 1000000000)
		return -1;
	r->iterations = (int)n;
	if (ctl_count(o, "tool_calls", &n, cause) != 0 || n > 1000000000)
		return -1;
	r->tool_calls = (int)n;
	usage = json_object_get(o, "usage");
	if (!json_is_object(usage) || json_object_size(usage) != 2 ||
	    ctl_count(usage, "input_tokens", &n, cause) != 0)
		goto bad_usage;
	r->usage.input_tokens = n;
	if (ctl_count(usage, "output_tokens", &n, cause) != 0)
		goto bad_usage;
	r->usage.output_tokens = n;
	/* null: a model of the run has no known price. */
	cost = json_object_get(o, "cost_usd");
	r->cost_unknown = json_is_null(cost);
	if (!r->cost_unknown &&
	    (!json_is_number(cost) || !isfinite(json_number_value(cost)) ||
		json_number_value(cost) < 0)) {
		xasprintf(cause, "'cost_usd' must be a number or null");
		return -1;
	}
	r->cost_usd = r->cost_unknown ? 0 : json_number_value(cost);
	v = json_object_get(o, "answer");
	if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
		xasprintf(cause, "'answer' must be a string");
		return -1;
	}
	sandbox = json_object_get(o, "sandbox");
	if (sandbox != NULL && !json_is_null(sandbox) &&
	    !json_is_object(sandbox)) {
		xasprintf(cause, "'sandbox' must be an object");
		return -1;
	}
	free(r->answer);
	r->answer = json_is_string(v) ?
	    xstrndup(json_string_value(v), json_string_length(v)) :
	    NULL;
	if (ctl_done_ouro_apply(o, r, cause) != 0)
		return -1;
	json_decref(r->sandbox);
	r->sandbox =
	    json_is_object(sandbox) ? json_incref((json_t *)sandbox) : NULL;
	return 0;
bad_usage:
	free(*cause);
	xasprintf(cause, "'usage' must be {input_tokens, output_tokens}");
	return -1;
}

/* The Ouroboros fields of a done record (absent: nothing of it ran). */
static void
ctl_done_ouro(json_t *o, const struct kernel_run *r)
{
	if (r->phase_reached != NULL)
		json_object_set_new(o, "phase_reached",
		    json_string(r->phase_reached));
	if (r->seed_id[0] != '\0')
		json_object_set_new(o, "seed_id", json_string(r->seed_id));
	if (r->evaluation_passed >= 0)
		json_object_set_new(o, "evaluation_passed",
		    json_boolean(r->evaluation_passed));
	if (r->generations > 0)
		json_object_set_new(o, "generations",
		    json_integer(r->generations));
	if (r->ouro_stop[0] != '\0') {
		json_object_set_new(o, "ouroboros_stop",
		    json_string(r->ouro_stop));
		json_object_set_new(o, "ouroboros_detail",
		    ctl_jstr(r->ouro_detail));
	}
}

/* The phases phase_reached may name (static strings for kernel_run). */
static const char *const ctl_phases[] = { "Interview", "Seed", "Execute",
	"Evaluate", "Evolve", NULL };

/* The Ouroboros fields of a done record into r; each may be absent. */
static int
ctl_done_ouro_apply(const json_t *o, struct kernel_run *r, char **cause)
{
	const json_t *v = json_object_get(o, "phase_reached");
	const char *stop = NULL, *detail = NULL, *why;
	long long n = 0;
	int i;

	r->phase_reached = NULL;
	for (i = 0; v != NULL && ctl_phases[i] != NULL; i++)
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), ctl_phases[i]) == 0)
			r->phase_reached = ctl_phases[i];
	if (v != NULL && r->phase_reached == NULL)
		goto bad_phase;
	v = json_object_get(o, "evaluation_passed");
	if (v != NULL && !json_is_boolean(v))
		goto bad_passed;
	r->evaluation_passed = v == NULL ? -1 : json_is_true(v);
	if (ctl_id(o, "seed_id", r->seed_id, cause) != 0 ||
	    (json_object_get(o, "generations") != NULL &&
		ctl_count(o, "generations", &n, cause) != 0))
		return -1;
	if (n > SEED_MAX_GENERATION)
		goto bad_generations;
	r->generations = (int)n;
	r->ouro_stop[0] = r->ouro_detail[0] = '\0';
	if (json_object_get(o, "ouroboros_stop") == NULL)
		return 0;
	if (ctl_req_str(o, "ouroboros_stop", 0, &stop, NULL, cause) != 0 ||
	    ctl_req_str(o, "ouroboros_detail", 0, &detail, NULL, cause) != 0)
		return -1;
	for (i = OURO_STOP_PASSED; i <= OURO_STOP_ERROR; i++)
		if (strcmp(stop, ouro_stop_name((enum ouro_stop)i)) == 0)
			break;
	if (i > OURO_STOP_ERROR)
		goto bad_stop;
	ctl_copy(r->ouro_stop, sizeof r->ouro_stop, stop);
	ctl_copy(r->ouro_detail, sizeof r->ouro_detail, detail);
	return 0;
bad_phase:
	why = "'phase_reached' must name a phase";
	goto bad;
bad_passed:
	why = "'evaluation_passed' must be true or false";
	goto bad;
bad_generations:
	why = "'generations' must be 0 to 30";
	goto bad;
bad_stop:
	why = "'ouroboros_stop' must be a stop reason";
bad:
	xasprintf(cause, "%s", why);
	return -1;
}

char *
ctl_ev_done(const struct kernel_run *r, size_t *len)
{
	json_t *o = json_pack("{s:s, s:b, s:s?, s:s?, s:I}", "event", "done",
	    "started", r->started, "session_id",
	    r->session[0] != '\0' ? r->session : NULL, "agent_id",
	    r->agent[0] != '\0' ? r->agent : NULL, "duration_ms",
	    (json_int_t)r->duration_ms);

	if (o == NULL)
		return NULL;
	if (r->space_id[0] != '\0') {
		json_object_set_new(o, "space_id", json_string(r->space_id));
		json_object_set_new(o, "space_tag", ctl_jstr(r->space_tag));
	}
	if (r->persona_name[0] != '\0')
		json_object_set_new(o, "persona", ctl_jstr(r->persona_name));
	if (!r->started) {
		json_object_set_new(o, "error", ctl_jstr(r->error));
		return ctl_line(o, len);
	}
	json_object_set_new(o, "stop_reason",
	    json_string(agent_stop_name(r->stop)));
	json_object_set_new(o, "stop_detail", ctl_jstr(r->reason));
	json_object_set_new(o, "answer",
	    r->answer != NULL ? ctl_jstr(r->answer) : json_null());
	json_object_set_new(o, "iterations", json_integer(r->iterations));
	json_object_set_new(o, "tool_calls", json_integer(r->tool_calls));
	json_object_set_new(o, "usage",
	    json_pack("{s:I, s:I}", "input_tokens",
		(json_int_t)r->usage.input_tokens, "output_tokens",
		(json_int_t)r->usage.output_tokens));
	json_object_set_new(o, "cost_usd",
	    r->cost_unknown ? json_null() : json_real(r->cost_usd));
	json_object_set(o, "sandbox",
	    r->sandbox != NULL ? r->sandbox : json_null());
	ctl_done_ouro(o, r);
	return ctl_line(o, len);
}
