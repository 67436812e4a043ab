/*
 * fuzz_spaces.c — a space's body over REST or from the CLI
 * (spaces_parse_body() in kernel/spaces.h), and detection over what it
 * accepted.
 *
 * The input is the body.  Invariants: a refusal says why; an accepted
 * body is an object with only the known keys, a name unless partial,
 * lists within their caps; serialised again it is accepted again, equal;
 * detection over a store of that one space returns 0 or -1 (never
 * another index), and its explicit choice by name finds it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/spaces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check(const json_t *o, int partial)
{
	const char *key, *name;
	json_t *v, *again, *store;
	enum space_why why;
	char *text, *cause = NULL;
	int i;

	json_object_foreach((json_t *)o, key, v) {
		if (strcmp(key, "name") != 0 && strcmp(key, "emoji") != 0 &&
		    strcmp(key, "description") != 0 &&
		    strcmp(key, "paths") != 0 && strcmp(key, "tags") != 0)
			abort();
		if (json_is_array(v) && json_array_size(v) > SPACE_LIST_MAX)
			abort();
	}
	name = json_string_value(json_object_get(o, "name"));
	if (!partial && (name == NULL || strlen(name) > SPACE_NAME_MAX))
		abort();
	text = json_dumps(o, JSON_COMPACT);
	again = spaces_parse_body(text, strlen(text), partial, &cause);
	if (again == NULL || !json_equal(again, o))
		abort();
	free(text);
	json_decref(again);
	if (name == NULL)
		return;
	store = json_pack("[{s:s, s:s, s:O?, s:O?}]", "id", "fuzz-id", "name",
	    name, "paths", json_object_get(o, "paths"), "tags",
	    json_object_get(o, "tags"));
	for (i = 0; i < 2; i++) {
		int got = spaces_detect(store, NULL,
		    i == 0 ?
			name :
			json_string_value(json_object_get(o, "description")),
		    &why);

		if (got != 0 && got != -1)
			abort();
	}
	if (spaces_detect(store, name, NULL, &why) != 0 ||
	    why != SPACE_WHY_EXPLICIT)
		abort();
	json_decref(store);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cause = NULL;
	json_t *o;
	int partial;

	for (partial = 0; partial < 2; partial++) {
		o = spaces_parse_body((const char *)data, size, partial,
		    &cause);
		if (o == NULL) {
			if (cause == NULL)
				abort();
			free(cause);
			cause = NULL;
			continue;
		}
		fuzz_check(o, partial);
		json_decref(o);
	}
	return 0;
}
