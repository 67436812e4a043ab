/*
 * fuzz_seed_yaml.c — libFuzzer harness for seed_yaml_parse(),
 * seed_yaml_emit() and seed_yaml_to_seed().  Invariants checked (abort()
 * when one breaks):
 *   - on failure: no value, a message; unless it is about the whole
 *     input (size, emptiness), it starts "line L, column C: " with L
 *     within the input's lines and C >= 1;
 *   - on success: an object or an array; seed_yaml_emit() of it parses
 *     back to an equal value, and emitting that gives the same text;
 *   - a seed read from the input, written with seed_yaml_text(), reads
 *     back to the same seed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ouroboros/seed_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_seed_yaml: invariant broken: %s\n", what);
	abort();
}

/* The failure message's position is inside the input. */
static void
fuzz_check_cause(const char *cause, const uint8_t *data, size_t size)
{
	unsigned long line, col, lines = 1;
	size_t i;

	if (cause == NULL || *cause == '\0')
		fuzz_die("failure without a message");
	if (strncmp(cause, "larger than", 11) == 0 ||
	    strncmp(cause, "an empty document", 17) == 0)
		return;
	if (sscanf(cause, "line %lu, column %lu: ", &line, &col) != 2)
		fuzz_die("failure without a position");
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (line < 1 || line > lines || col < 1 || col > size + 1)
		fuzz_die("position outside the input");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *cause = NULL, *out, *again;
	json_t *v = NULL, *back = NULL, *w = NULL;
	struct seed *s = NULL, *t = NULL;

	if (seed_yaml_parse(text, size, &v, &cause) != 0) {
		if (v != NULL)
			fuzz_die("a value on failure");
		fuzz_check_cause(cause, data, size);
		free(cause);
		return 0;
	}
	if (!json_is_object(v) && !json_is_array(v))
		fuzz_die("a document that is not a collection");
	out = seed_yaml_emit(v);
	if (seed_yaml_parse(out, strlen(out), &back, &cause) != 0) {
		fprintf(stderr, "%s\n%s\n", cause, out);
		fuzz_die("emitted YAML does not parse");
	}
	if (!json_equal(v, back))
		fuzz_die("emitted YAML parses to another value");
	again = seed_yaml_emit(back);
	if (strcmp(out, again) != 0)
		fuzz_die("emitting is not stable");
	free(out);
	free(again);
	json_decref(back);

	if (seed_yaml_to_seed(text, size, &s, &cause) == 0) {
		out = seed_yaml_text(s);
		if (seed_yaml_to_seed(out, strlen(out), &t, &cause) != 0)
			fuzz_die("a seed's YAML does not read back");
		w = seed_to_json(s);
		back = seed_to_json(t);
		if (!json_equal(w, back))
			fuzz_die("a seed's YAML reads back as another seed");
		json_decref(w);
		json_decref(back);
		seed_free(t);
		seed_free(s);
		free(out);
	} else
		free(cause);
	json_decref(v);
	return 0;
}
