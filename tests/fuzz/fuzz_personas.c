/*
 * fuzz_personas.c — persona bodies as POST and PUT /api/personas and
 * `oxios persona create` hand them to personas_parse_text().  The first
 * byte picks a create (no name) or an edit of "Dev"; the rest is the
 * body.  Invariants: an accepted persona has a valid name (the edit's,
 * any case), an id that is its name in lower case, a prompt of 1 to
 * PERSONA_PROMPT_MAX bytes, no model or one with a '/', tools null or at
 * most PERSONA_TOOLS_MAX strings, at most PERSONA_TRAITS_MAX traits of
 * 1 to PERSONA_TRAIT_MAX bytes; its own members parse again to the same
 * persona; a refusal has a reason.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "kernel/personas.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_strings(const json_t *a, size_t max, size_t len)
{
	const json_t *e;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > max)
		abort();
	json_array_foreach(a, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > len)
			abort();
	}
}

static void
check_accepted(const json_t *p, const char *edit)
{
	const char *name = json_string_value(json_object_get(p, "name"));
	const char *id = json_string_value(json_object_get(p, "id"));
	const char *prompt = json_string_value(json_object_get(p, "prompt"));
	const json_t *model = json_object_get(p, "model");
	json_t *body, *again;
	char *cause = NULL;
	size_t i;

	if (name == NULL || id == NULL || personas_name_ok(name, NULL) != 0 ||
	    strlen(id) != strlen(name))
		abort();
	for (i = 0; name[i] != '\0'; i++)
		if (id[i] != (char)tolower((unsigned char)name[i]))
			abort();
	if (edit != NULL && strcasecmp(edit, name) != 0)
		abort();
	if (prompt == NULL || prompt[0] == '\0' ||
	    strlen(prompt) > PERSONA_PROMPT_MAX)
		abort();
	if (!json_is_null(model) &&
	    (!json_is_string(model) ||
		strchr(json_string_value(model), '/') == NULL))
		abort();
	if (!json_is_null(json_object_get(p, "tools")))
		check_strings(json_object_get(p, "tools"), PERSONA_TOOLS_MAX,
		    64);
	check_strings(json_object_get(p, "traits"), PERSONA_TRAITS_MAX,
	    PERSONA_TRAIT_MAX);
	/* Its members as a body again: the same persona. */
	body = json_deep_copy(p);
	json_object_del(body, "id");
	json_object_del(body, "builtin");
	json_object_del(body, "edited");
	if ((again = personas_parse(body, NULL, &cause)) == NULL ||
	    !json_equal(again, p))
		abort();
	json_decref(again);
	json_decref(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *edit;
	char *cause = NULL;
	json_t *p;

	if (size == 0)
		return 0;
	edit = (data[0] & 1) ? "Dev" : NULL;
	p = personas_parse_text((const char *)data + 1, size - 1, edit, &cause);
	if (p != NULL) {
		if (cause != NULL)
			abort();
		check_accepted(p, edit);
		json_decref(p);
	} else if (cause == NULL)
		abort();
	free(cause);
	return 0;
}
