/*
 * fuzz_skill.c — libFuzzer harness for skill_parse() (skills/skill.h).
 * Invariants checked (abort() when one breaks):
 *   - on failure: no front matter, no body, a message that starts with
 *     the path ("f/SKILL.md") and, for a YAML error, "f/SKILL.md:L: "
 *     with L within the input's lines;
 *   - on success: the front matter is an object, the body is a suffix of
 *     the input, and the front matter serialises to JSON that parses
 *     back to an equal value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skills/skill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_skill: invariant broken: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct skill_doc doc;
	char *cause = NULL, *dump;
	unsigned long line, lines = 1;
	json_t *back;
	size_t i, blen;

	if (skill_parse(text, size, "f/SKILL.md", &doc, &cause) != 0) {
		if (doc.front != NULL || doc.body != NULL)
			fuzz_die("a value on failure");
		if (cause == NULL || strncmp(cause, "f/SKILL.md", 10) != 0)
			fuzz_die("a message without the path");
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (sscanf(cause, "f/SKILL.md:%lu: ", &line) == 1 &&
		    (line < 1 || line > lines + 1))
			fuzz_die("a line outside the input");
		free(cause);
		return 0;
	}
	if (!json_is_object(doc.front) || doc.body == NULL)
		fuzz_die("no object or no body on success");
	blen = strlen(doc.body);
	if (blen > size || memcmp(text + size - blen, doc.body, blen) != 0)
		fuzz_die("the body is not the input's end");
	dump = json_dumps(doc.front, JSON_COMPACT | JSON_ENCODE_ANY);
	if (dump == NULL)
		fuzz_die("the front matter does not serialise");
	back = json_loads(dump, JSON_DECODE_ANY, NULL);
	if (back == NULL || !json_equal(back, doc.front))
		fuzz_die("the front matter does not read back");
	json_decref(back);
	free(dump);
	skill_doc_free(&doc);
	return 0;
}
