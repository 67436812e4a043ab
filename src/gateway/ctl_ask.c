/*
 * ctl_ask.c — the control socket's Ouroboros lines (see ctl_proto.h):
 * the lines after the request (a cancel, or the answers to an
 * interview's round), and the events of the protocol (its questions, the
 * phase it entered).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/ctl_proto.h"
#include "llm/llm.h"
#include "ouroboros/interview.h"
#include "ouroboros/ouroboros.h"
#include "ouroboros/seed.h"
#include "util/uuid.h"
#include "util/xalloc.h"

/* A control line: answers to a round of at most OURO_QUESTIONS_MAX, each
 * escaped (6 bytes a byte at worst), and the rest. */
#define CTL_CONTROL_MAX (OURO_QUESTIONS_MAX * 6 * OURO_ANSWER_MAX + 1024)

int
ctl_control_parse(const char *line, size_t len, struct ctl_control *c,
    char **cause)
{
	static const char *const cancel_keys[] = { "type", NULL };
	static const char *const answer_keys[] = { "type", "answers", "go",
		NULL };
	static const char *const approve_keys[] = { "type", "id", "decision",
		NULL };
	const json_t *answers, *go;
	const char *type, *id, *d;
	json_t *o;
	int rc = -1;

	memset(c, 0, sizeof *c);
	if ((o = ctl_parse_object(line, len, CTL_CONTROL_MAX, cause)) == NULL)
		return -1;
	type = json_string_value(json_object_get(o, "type"));
	if (type != NULL && strcmp(type, "cancel") == 0) {
		if (ctl_keys_known(o, cancel_keys, cause) != 0)
			goto out;
		c->type = CTL_CANCEL;
	} else if (type != NULL && strcmp(type, "answers") == 0) {
		if (ctl_keys_known(o, answer_keys, cause) != 0)
			goto out;
		answers = json_object_get(o, "answers");
		go = json_object_get(o, "go");
		if (answers != NULL && !json_is_null(answers)) {
			if (!json_is_array(answers) ||
			    json_array_size(answers) > OURO_QUESTIONS_MAX) {
				xasprintf(cause,
				    "'answers' must be an array of at most "
				    "%d strings or nulls",
				    OURO_QUESTIONS_MAX);
				goto out;
			}
			if (ouro_answers_check(answers,
				json_array_size(answers), cause) != 0)
				goto out;
		}
		if (go != NULL && !json_is_boolean(go)) {
			xasprintf(cause, "'go' must be true or false");
			goto out;
		}
		c->type = CTL_ANSWERS;
		if (json_is_array(answers))
			c->answers = json_incref((json_t *)answers);
		c->go = json_is_true(go);
	} else if (type != NULL && strcmp(type, "approve") == 0) {
		if (ctl_keys_known(o, approve_keys, cause) != 0)
			goto out;
		id = json_string_value(json_object_get(o, "id"));
		d = json_string_value(json_object_get(o, "decision"));
		if (id == NULL || !uuid_valid(id)) {
			xasprintf(cause, "'id' must be an approval's id");
			goto out;
		}
		if (d == NULL ||
		    (strcmp(d, "once") != 0 && strcmp(d, "always") != 0 &&
			strcmp(d, "deny") != 0)) {
			xasprintf(cause,
			    "'decision' must be once, always or deny");
			goto out;
		}
		c->type = CTL_APPROVE;
		snprintf(c->id, sizeof c->id, "%s", id);
		snprintf(c->decision, sizeof c->decision, "%s", d);
	} else {
		xasprintf(cause,
		    "after the request only {\"type\":\"cancel\"}, "
		    "{\"type\":\"answers\"} or {\"type\":\"approve\"} may "
		    "come");
		goto out;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

void
ctl_control_free(struct ctl_control *c)
{
	json_decref(c->answers);
	memset(c, 0, sizeof *c);
}

char *
ctl_answers_line(const json_t *answers, int go, size_t *len)
{
	json_t *o = json_pack("{s:s, s:b}", "type", "answers", "go", go);

	if (o == NULL)
		return NULL;
	if (answers != NULL)
		json_object_set_new(o, "answers", json_deep_copy(answers));
	return ctl_line(o, len);
}

char *
ctl_approve_line(const char *id, const char *decision, size_t *len)
{
	return ctl_line(json_pack("{s:s, s:s, s:s}", "type", "approve", "id",
			    id, "decision", decision),
	    len);
}

char *
ctl_ev_approval(const json_t *a, size_t *len)
{
	return ctl_line(json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:O?}",
			    "event", "approval", "id", json_object_get(a, "id"),
			    "tool", json_object_get(a, "tool"), "summary",
			    json_object_get(a, "summary"), "reason",
			    json_object_get(a, "reason"), "expires_at",
			    json_object_get(a, "expires_at")),
	    len);
}

int
ctl_approval_check(struct ctl_event *ev, char **cause)
{
	static const char *const keys[] = { "id", "tool", "summary", "reason",
		"expires_at" };
	const char **out[] = { &ev->id, &ev->name, &ev->summary, &ev->reason,
		&ev->expires_at };
	const json_t *v;
	size_t i;

	for (i = 0; i < sizeof keys / sizeof *keys; i++) {
		v = json_object_get(ev->obj, keys[i]);
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			xasprintf(cause, "'%s' must be a string", keys[i]);
			return -1;
		}
		*out[i] = json_string_value(v);
	}
	if (!uuid_valid(ev->id)) {
		xasprintf(cause, "'id' must be an approval's id");
		return -1;
	}
	return 0;
}

char *
ctl_ev_questions(const json_t *questions, int round, size_t *len)
{
	return ctl_line(json_pack("{s:s, s:i, s:O}", "event", "questions",
			    "round", round, "questions", questions),
	    len);
}

int
ctl_questions_check(struct ctl_event *ev, char **cause)
{
	const json_t *round = json_object_get(ev->obj, "round");

	if (!json_is_integer(round) || json_integer_value(round) < 1 ||
	    json_integer_value(round) > OURO_INTERVIEW_ROUNDS) {
		xasprintf(cause, "'round' must be an integer from 1 to %d",
		    OURO_INTERVIEW_ROUNDS);
		return -1;
	}
	ev->round = (int)json_integer_value(round);
	ev->data = json_object_get(ev->obj, "questions");
	return ouro_questions_check(ev->data, cause);
}

char *
ctl_ev_phase(const char *seed_id, int generation, const char *phase,
    size_t *len)
{
	return ctl_line(json_pack("{s:s, s:s, s:i, s:s?}", "event", "phase",
			    "phase", phase, "generation", generation, "seed_id",
			    seed_id),
	    len);
}

int
ctl_phase_check(struct ctl_event *ev, char **cause)
{
	const json_t *gen = json_object_get(ev->obj, "generation"),
		     *seed = json_object_get(ev->obj, "seed_id");

	ev->phase = json_string_value(json_object_get(ev->obj, "phase"));
	if (ev->phase == NULL || !llm_phase_valid(ev->phase)) {
		xasprintf(cause, "'phase' is not a phase");
		return -1;
	}
	if (!json_is_integer(gen) || json_integer_value(gen) < 0 ||
	    json_integer_value(gen) > SEED_MAX_GENERATION) {
		xasprintf(cause, "'generation' must be an integer from 0 to %d",
		    SEED_MAX_GENERATION);
		return -1;
	}
	ev->generation = (int)json_integer_value(gen);
	if (seed != NULL && !json_is_null(seed) &&
	    !(json_is_string(seed) && uuid_valid(json_string_value(seed)))) {
		xasprintf(cause, "'seed_id' must be a seed id or null");
		return -1;
	}
	ev->seed_id = json_string_value(seed);
	return 0;
}
