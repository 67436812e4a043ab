/*
 * test_personas.c — personas (kernel/personas.h): the shipped ones, body
 * checks and their caps, custom ones and edits (audited, announced), the
 * default, a session's active one, a run's choice, and the persona
 * section of the system prompt (agent/context.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tmpdb.h"

#include "agent/context.h"
#include "kernel/events.h"
#include "kernel/personas.h"
#include "kernel/sessions.h"
#include "security/audit.h"
#include "util/xalloc.h"

TMPDB_FIXTURE("personas")

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* personas_parse_text() of `text`: the cause of its refusal (caller
 * frees), or NULL if it was accepted. */
static char *
refusal(const char *text, const char *name)
{
	char *cause = NULL;
	json_t *p = personas_parse_text(text, strlen(text), name, &cause);

	if (p != NULL) {
		json_decref(p);
		return NULL;
	}
	assert_non_null(cause);
	return cause;
}

static void
assert_refused(const char *text, const char *why)
{
	char *cause = refusal(text, NULL);

	if (cause == NULL)
		fail_msg("accepted: %s", text);
	if (strstr(cause, why) == NULL)
		fail_msg("'%s' refused with '%s', not '%s'", text, cause, why);
	free(cause);
}

static void
test_shipped(void **state)
{
	char *cause = NULL, def[PERSONA_NAME_MAX + 1];
	json_t *l, *p = NULL;

	(void)state;
	l = personas_list(db, &cause);
	assert_non_null(l);
	assert_int_equal(json_array_size(l), 3);
	assert_string_equal(str(json_array_get(l, 0), "name"), "Dev");
	assert_string_equal(str(json_array_get(l, 1), "name"), "Review");
	assert_string_equal(str(json_array_get(l, 2), "name"), "Research");
	assert_true(
	    json_is_true(json_object_get(json_array_get(l, 0), "default")));
	assert_true(
	    json_is_false(json_object_get(json_array_get(l, 1), "default")));
	json_decref(l);
	assert_int_equal(personas_default(db, def, &cause), 0);
	assert_string_equal(def, "Dev");
	/* Any case; Review may not write. */
	assert_int_equal(personas_get(db, "REVIEW", &p, &cause), 1);
	assert_string_equal(str(p, "id"), "review");
	assert_true(json_is_true(json_object_get(p, "builtin")));
	assert_non_null(strstr(str(p, "prompt"), "Oxios"));
	assert_true(json_is_array(json_object_get(p, "tools")));
	assert_true(json_is_null(json_object_get(p, "model")));
	json_decref(p);
	assert_int_equal(personas_get(db, "nobody", &p, &cause), 0);
	assert_null(p);
	assert_int_equal(personas_get(db, "bad name", &p, &cause), 0);
}

static void
test_parse(void **state)
{
	char big[PERSONA_PROMPT_MAX + 64], *cause = NULL, *t;
	json_t *p;
	size_t i;
	int n;

	(void)state;
	t = "{\"name\":\"Pirate\",\"prompt\":\"Arr.\",\"role\":\"sea dog\","
	    "\"model\":\"openai/gpt-x\",\"tools\":[\"read\"],"
	    "\"traits\":[\"salty\"]}";
	p = personas_parse_text(t, strlen(t), NULL, &cause);
	assert_non_null(p);
	assert_string_equal(str(p, "id"), "pirate");
	assert_string_equal(str(p, "model"), "openai/gpt-x");
	assert_int_equal(json_array_size(json_object_get(p, "tools")), 1);
	assert_true(json_is_false(json_object_get(p, "builtin")));
	json_decref(p);
	/* Defaults: no role, no model, every tool, no traits. */
	t = "{\"name\":\"a.b-c_9\",\"prompt\":\"x\"}";
	p = personas_parse_text(t, strlen(t), NULL, &cause);
	assert_non_null(p);
	assert_string_equal(str(p, "role"), "");
	assert_true(json_is_null(json_object_get(p, "model")));
	assert_true(json_is_null(json_object_get(p, "tools")));
	assert_int_equal(json_array_size(json_object_get(p, "traits")), 0);
	json_decref(p);
	/* An edit: the name from the path, the body's must match it. */
	t = "{\"prompt\":\"x\"}";
	p = personas_parse_text(t, strlen(t), "Dev", &cause);
	assert_non_null(p);
	assert_true(json_is_true(json_object_get(p, "builtin")));
	json_decref(p);
	cause = refusal("{\"name\":\"Other\",\"prompt\":\"x\"}", "Dev");
	assert_non_null(strstr(cause, "is not the persona's"));
	free(cause);

	assert_refused("[]", "a persona is an object");
	assert_refused("{\"prompt\":\"x\"}", "'name' is missing");
	assert_refused("{\"name\":\"\",\"prompt\":\"x\"}", "1 to 64");
	assert_refused("{\"name\":\"a b\",\"prompt\":\"x\"}",
	    "letters, digits");
	assert_refused("{\"name\":\"a/b\",\"prompt\":\"x\"}",
	    "letters, digits");
	assert_refused("{\"name\":\"x\"}", "'prompt' is missing");
	assert_refused("{\"name\":\"x\",\"prompt\":\"\"}", "'prompt' is empty");
	assert_refused("{\"name\":\"x\",\"prompt\":1}", "must be a string");
	assert_refused("{\"name\":\"x\",\"prompt\":\"a\\u0000b\"}", "NUL");
	assert_refused("{\"name\":\"x\",\"prompt\":\"p\",\"model\":\"gpt\"}",
	    "provider/model");
	assert_refused("{\"name\":\"x\",\"prompt\":\"p\",\"tools\":\"read\"}",
	    "array of strings");
	assert_refused("{\"name\":\"x\",\"prompt\":\"p\",\"traits\":[1]}",
	    "entries are strings");
	assert_refused("{\"name\":\"x\",\"prompt\":\"p\",\"traits\":[\"\"]}",
	    "entries are strings");
	assert_refused("{\"name\":\"x\",\"prompt\":\"p\",\"evil\":1}",
	    "unknown member 'evil'");
	assert_refused("{\"name\":\"x\",\"name\":\"y\",\"prompt\":\"p\"}",
	    "not JSON");
	assert_refused("{\"name\":", "not JSON");
	/* The caps: 64 of a name, 16 KiB of prompt, 32 traits. */
	n = snprintf(big, sizeof big, "{\"name\":\"");
	for (i = 0; i < 65; i++)
		big[n++] = 'a';
	snprintf(big + n, sizeof big - (size_t)n, "\",\"prompt\":\"p\"}");
	assert_refused(big, "'name' is longer than 64 bytes");
	n = snprintf(big, sizeof big, "{\"name\":\"x\",\"prompt\":\"");
	for (i = 0; i < PERSONA_PROMPT_MAX + 1; i++)
		big[n++] = 'p';
	snprintf(big + n, sizeof big - (size_t)n, "\"}");
	assert_refused(big, "'prompt' is longer than 16384 bytes");
	/* Exactly 16 KiB: accepted. */
	snprintf(big + n - 1, sizeof big - (size_t)n + 1, "\"}");
	cause = refusal(big, NULL);
	assert_null(cause);
	n = snprintf(big, sizeof big,
	    "{\"name\":\"x\",\"prompt\":\"p\",\"traits\":[");
	for (i = 0; i < PERSONA_TRAITS_MAX + 1; i++)
		n += snprintf(big + n, sizeof big - (size_t)n, "%s\"t\"",
		    i > 0 ? "," : "");
	snprintf(big + n, sizeof big - (size_t)n, "]}");
	assert_refused(big, "more than 32 entries");
	/* A body over the cap is refused before it is parsed. */
	t = xmalloc(PERSONA_BODY_MAX + 2);
	memset(t, ' ', PERSONA_BODY_MAX + 1);
	t[PERSONA_BODY_MAX + 1] = '\0';
	p = personas_parse_text(t, PERSONA_BODY_MAX + 1, NULL, &cause);
	assert_null(p);
	assert_non_null(strstr(cause, "at most 65536 bytes"));
	free(cause);
	free(t);
}

static json_t *
parsed(const char *text)
{
	char *cause = NULL;
	json_t *p = personas_parse_text(text, strlen(text), NULL, &cause);

	if (p == NULL)
		fail_msg("%s", cause);
	return p;
}

static void
test_custom_and_edits(void **state)
{
	struct events_sub *s;
	struct event e;
	uint64_t lost;
	char *cause = NULL;
	json_t *p, *got = NULL, *l;

	(void)state;
	s = events_subscribe(events_last_id(), NULL, NULL);
	p = parsed("{\"name\":\"Pirate\",\"prompt\":\"Arr.\"}");
	assert_int_equal(personas_put(db, p, 0, "user", &cause),
	    PERSONAS_UNKNOWN);
	assert_int_equal(personas_put(db, p, 1, "user", &cause), 0);
	assert_int_equal(personas_put(db, p, 1, "user", &cause),
	    PERSONAS_EXISTS);
	json_decref(p);
	assert_int_equal(events_next(s, &e, &lost), 1);
	assert_string_equal(e.type, "persona.changed");
	free(e.data);
	assert_int_equal(personas_get(db, "pirate", &got, &cause), 1);
	assert_string_equal(str(got, "prompt"), "Arr.");
	assert_true(json_is_false(json_object_get(got, "builtin")));
	json_decref(got);
	l = personas_list(db, &cause);
	assert_int_equal(json_array_size(l), 4);
	assert_string_equal(str(json_array_get(l, 3), "name"), "Pirate");
	json_decref(l);
	/* Audited as config_change. */
	l = audit_list(db, 0, 100, "config_change", NULL, "persona:pirate",
	    &cause);
	assert_non_null(l);
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);

	/* A shipped one edited, then its edits deleted. */
	assert_int_equal(personas_delete(db, "Dev", "user", &cause),
	    PERSONAS_BUILTIN);
	p = parsed("{\"name\":\"dev\",\"prompt\":\"New words.\"}");
	assert_int_equal(personas_put(db, p, 0, "user", &cause), 0);
	json_decref(p);
	assert_int_equal(personas_get(db, "Dev", &got, &cause), 1);
	assert_string_equal(str(got, "prompt"), "New words.");
	assert_true(json_is_true(json_object_get(got, "edited")));
	json_decref(got);
	l = personas_list(db, &cause);
	assert_int_equal(json_array_size(l), 4); /* not twice */
	json_decref(l);
	assert_int_equal(personas_delete(db, "Dev", "user", &cause), 0);
	assert_int_equal(personas_get(db, "Dev", &got, &cause), 1);
	assert_non_null(strstr(str(got, "prompt"), "You are Dev"));
	json_decref(got);
	assert_int_equal(personas_delete(db, "Pirate", "user", &cause), 0);
	assert_int_equal(personas_delete(db, "Pirate", "user", &cause),
	    PERSONAS_UNKNOWN);
	assert_int_equal(personas_delete(db, "no such", "user", &cause),
	    PERSONAS_UNKNOWN);
	events_unsubscribe(s);
}

static void
test_default_session_resolve(void **state)
{
	char sid[UUID_STRLEN], name[PERSONA_NAME_MAX + 1], *cause = NULL;
	json_t *p = NULL, *c;

	(void)state;
	assert_int_equal(session_create(db, "t", sid, &cause), 0);
	assert_int_equal(personas_session(db, sid, name, &cause), 1);
	assert_string_equal(name, "");
	assert_int_equal(personas_session(db, "nope", name, &cause), 0);
	/* Nothing chosen: the default, Dev. */
	assert_int_equal(personas_resolve(db, NULL, sid, &p, &cause), 1);
	assert_string_equal(str(p, "name"), "Dev");
	json_decref(p);
	/* The default changed. */
	assert_int_equal(personas_use(db, NULL, "research", "user", &cause), 0);
	assert_int_equal(personas_default(db, name, &cause), 0);
	assert_string_equal(name, "Research");
	assert_int_equal(personas_resolve(db, NULL, sid, &p, &cause), 1);
	assert_string_equal(str(p, "name"), "Research");
	json_decref(p);
	/* The session's beats the default, the run's beats the session's. */
	assert_int_equal(personas_use(db, sid, "Review", "user", &cause), 0);
	assert_int_equal(personas_resolve(db, NULL, sid, &p, &cause), 1);
	assert_string_equal(str(p, "name"), "Review");
	json_decref(p);
	assert_int_equal(personas_resolve(db, "dev", sid, &p, &cause), 1);
	assert_string_equal(str(p, "name"), "Dev");
	json_decref(p);
	/* Unknown: a persona, a session. */
	assert_int_equal(personas_resolve(db, "ghost", sid, &p, &cause),
	    PERSONAS_UNKNOWN);
	assert_non_null(strstr(cause, "no persona 'ghost'"));
	free(cause);
	cause = NULL;
	assert_int_equal(personas_use(db, sid, "ghost", "user", &cause),
	    PERSONAS_UNKNOWN);
	free(cause);
	cause = NULL;
	assert_int_equal(personas_use(db, "nope", "Dev", "user", &cause),
	    PERSONAS_UNKNOWN);
	free(cause);
	cause = NULL;
	/* A session's persona deleted since: the default. */
	c = parsed("{\"name\":\"Temp\",\"prompt\":\"t\"}");
	assert_int_equal(personas_put(db, c, 1, "user", &cause), 0);
	json_decref(c);
	assert_int_equal(personas_use(db, sid, "temp", NULL, &cause), 0);
	assert_int_equal(personas_delete(db, "temp", "user", &cause), 0);
	assert_int_equal(personas_resolve(db, NULL, sid, &p, &cause), 1);
	assert_string_equal(str(p, "name"), "Research");
	json_decref(p);
}

static void
test_context_section(void **state)
{
	struct context_in in;
	char *s, *cause = NULL;
	json_t *p;

	(void)state;
	memset(&in, 0, sizeof in);
	in.db = db;
	in.workspace = "/ws";
	s = context_system_prompt(&in); /* no persona: the base */
	assert_non_null(strstr(s, "You are an Oxios agent"));
	free(s);
	p = parsed("{\"name\":\"Pirate\",\"prompt\":\"Talk like a pirate.\","
		   "\"role\":\"sea dog\"}");
	assert_int_equal(personas_put(db, p, 1, "user", &cause), 0);
	json_decref(p);
	in.persona = "Pirate";
	s = context_system_prompt(&in);
	assert_null(strstr(s, "You are an Oxios agent"));
	assert_int_equal(strncmp(s, "Talk like a pirate.\nYour role: sea dog.",
			     38),
	    0);
	assert_non_null(strstr(s, "Your workspace is /ws"));
	free(s);
	in.persona = "Gone"; /* deleted since: the base's words */
	s = context_system_prompt(&in);
	assert_non_null(strstr(s, "You are an Oxios agent"));
	free(s);
	assert_string_equal(context_sections[1].name, "persona");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_custom_and_edits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_default_session_resolve,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_context_section, setup,
		    teardown),
	};
	int rc;

	if (audit_open(1, 300, NULL) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	audit_close();
	return rc;
}
