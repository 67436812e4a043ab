/*
 * fuzz_jsonschema.c — libFuzzer harness for jsonschema_compile() and
 * jsonschema_validate().  The input is a schema, a NUL byte, and a value
 * (both JSON).  Invariants checked (abort() when one breaks):
 *   - a refused schema has a cause naming a schema location "#...";
 *   - validating answers 0 with no cause, or -1 with a cause naming an
 *     instance location ("/..." or "(root)"); the same answer without a
 *     cause, and the same cause twice;
 *   - true accepts the value and false refuses it;
 *   - {"not": S} answers the opposite of S when both compile, unless a
 *     limit was hit or S holds "$ref" or "$id" (wrapping S moves its
 *     root, so "#" would mean something else);
 *   - {"const": v} and {"enum": [v]} accept v, and a copy of v whose
 *     integers are written as reals (1 as 1.0); uniqueItems refuses
 *     [v, that copy].  Unless a limit was hit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonschema.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_jsonschema: invariant broken: %s\n", what);
	abort();
}

/* Whether a cause reports a limit rather than an invalid value. */
static int
fuzz_limit(const char *cause)
{
	return cause != NULL &&
	    (strstr(cause, "nested deeper than") != NULL ||
		strstr(cause, "validation stopped after") != NULL ||
		strstr(cause, "cannot be compared") != NULL ||
		strstr(cause, "too long to match") != NULL);
}

/* Validate and check the answer's shape; *cause is kept (caller frees). */
static int
fuzz_validate(const struct jsonschema *s, const json_t *v, char **cause)
{
	char *again = NULL;
	int r;

	*cause = NULL;
	r = jsonschema_validate(s, v, cause);
	if (r != 0 && r != -1)
		fuzz_die("validate returned neither 0 nor -1");
	if (r == 0 && *cause != NULL)
		fuzz_die("a cause for a valid value");
	if (r == -1 &&
	    (*cause == NULL ||
		(**cause != '/' && strncmp(*cause, "(root)", 6) != 0)))
		fuzz_die("an invalid value without a located cause");
	if (jsonschema_validate(s, v, NULL) != r)
		fuzz_die("the answer depends on wanting a cause");
	if (r == -1) {
		if (jsonschema_validate(s, v, &again) != -1 ||
		    strcmp(again, *cause) != 0)
			fuzz_die("two validations differ");
		free(again);
	}
	return r;
}

/* Whether a schema holds a "$ref" or "$id" key anywhere. */
static int
fuzz_has_ref(const json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (fuzz_has_ref(m))
				return 1;
		return 0;
	}
	json_object_foreach((json_t *)v, key, m)
		if (strcmp(key, "$ref") == 0 || strcmp(key, "$id") == 0 ||
		    fuzz_has_ref(m))
			return 1;
	return 0;
}

/* A copy of v with every integer that a double holds as a real. */
static json_t *
fuzz_realify(const json_t *v)
{
	json_t *c, *m;
	size_t i;
	json_int_t n;
	void *it;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
		if (n > -(1LL << 53) && n < (1LL << 53))
			return json_real((double)n);
		return json_integer(n);
	}
	if (json_is_array(v)) {
		c = json_array();
		json_array_foreach(v, i, m)
			json_array_append_new(c, fuzz_realify(m));
		return c;
	}
	if (json_is_object(v)) {
		c = json_object();
		for (it = json_object_iter((json_t *)v); it != NULL;
		     it = json_object_iter_next((json_t *)v, it))
			json_object_setn_new_nocheck(c,
			    json_object_iter_key(it),
			    json_object_iter_key_len(it),
			    fuzz_realify(json_object_iter_value(it)));
		return c;
	}
	return json_deep_copy(v);
}

/* Compile `schema` (stolen), which must work; validate v; 0 or -1. */
static int
fuzz_with(json_t *schema, const json_t *v, int *limit)
{
	struct jsonschema *s;
	char *cause = NULL;
	int r;

	if ((s = jsonschema_compile(schema, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		fuzz_die("a schema made by the harness was refused");
	}
	r = fuzz_validate(s, v, &cause);
	*limit = fuzz_limit(cause);
	free(cause);
	jsonschema_free(s);
	json_decref(schema);
	return r;
}

static void
fuzz_equality(const json_t *v)
{
	json_t *real = fuzz_realify(v), *pair;
	int limit;
	if (fuzz_with(json_pack("{s:O}", "const", v), v, &limit) != 0 && !limit)
		fuzz_die("const refuses its own value");
	if (fuzz_with(json_pack("{s:[O]}", "enum", v), real, &limit) != 0 &&
	    !limit)
		fuzz_die("enum refuses its value written with reals");
	pair = json_pack("[O,O]", v, real);
	if (fuzz_with(json_pack("{s:b}", "uniqueItems", 1), pair, &limit) !=
		-1 &&
	    !limit)
		fuzz_die("uniqueItems accepts a value and its copy");
	json_decref(pair);
	json_decref(real);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	struct jsonschema *s = NULL, *not_s = NULL;
	json_t *schema = NULL, *v = NULL, *wrap = NULL;
	json_error_t err;
	char *cause = NULL, *not_cause = NULL;
	int r, nr, limit;

	if (nul == NULL)
		return 0;
	schema = json_loadb((const char *)data, (size_t)(nul - data),
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	v = json_loadb((const char *)nul + 1, size - (size_t)(nul - data) - 1,
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (schema == NULL)
		goto out;
	if ((s = jsonschema_compile(schema, &cause)) == NULL) {
		if (cause == NULL || cause[0] != '#')
			fuzz_die("a refusal without a located cause");
		goto out;
	}
	if (cause != NULL)
		fuzz_die("a cause for a compiled schema");
	if (v == NULL)
		goto out;
	if (fuzz_with(json_true(), v, &limit) != 0)
		fuzz_die("true refuses a value");
	if (fuzz_with(json_false(), v, &limit) != -1)
		fuzz_die("false accepts a value");
	r = fuzz_validate(s, v, &cause);
	if (!fuzz_has_ref(schema)) {
		wrap = json_pack("{s:O}", "not", schema);
		if ((not_s = jsonschema_compile(wrap, NULL)) != NULL) {
			nr = fuzz_validate(not_s, v, &not_cause);
			if (!fuzz_limit(cause) && !fuzz_limit(not_cause) &&
			    nr == r)
				fuzz_die("\"not\" gives the same answer");
		}
	}
	fuzz_equality(v);
out:
	free(cause);
	free(not_cause);
	jsonschema_free(s);
	jsonschema_free(not_s);
	json_decref(schema);
	json_decref(wrap);
	json_decref(v);
	return 0;
}
