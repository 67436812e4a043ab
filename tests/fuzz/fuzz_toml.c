/*
 * fuzz_toml.c — libFuzzer harness for toml_parse(), toml_dump() and
 * toml_format_value().  Invariants checked (abort() when one breaks):
 *   - plain and tagged mode accept the same documents, report the same
 *     error, and build the same tree shape with the same scalar values;
 *   - on failure: no tree, no positions, a message, a position >= 1:1;
 *   - on success: every position entry is [line, col, start, end] with
 *     line, col >= 1 and 0 <= start <= end <= len, and both modes agree;
 *   - unless the document holds a date-time, inf or nan (kept as text in
 *     plain mode): toml_dump() of the tree parses back to the same tree,
 *     and so does "v = " + toml_format_value() of it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/toml.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_toml: invariant broken: %s\n", what);
	abort();
}

/* json_equal(), but for keys that hold a NUL too. */
static int
fuzz_equal(const json_t *a, const json_t *b)
{
	void *it;
	size_t i;

	if (json_is_object(a)) {
		if (!json_is_object(b) ||
		    json_object_size(a) != json_object_size(b))
			return 0;
		for (it = json_object_iter((json_t *)a); it != NULL;
		     it = json_object_iter_next((json_t *)a, it))
			if (!fuzz_equal(json_object_iter_value(it),
				json_object_getn(b, json_object_iter_key(it),
				    json_object_iter_key_len(it))))
				return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (!json_is_array(b) ||
		    json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!fuzz_equal(json_array_get(a, i),
				json_array_get(b, i)))
				return 0;
		return 1;
	}
	return b != NULL && json_equal(a, b);
}

/*
 * Walk the plain tree `p` and the tagged tree `t` together; they must
 * match.  Sets *special if a value is kept as text in plain mode; returns
 * the depth of `p`.
 */
static int
fuzz_walk(const json_t *p, const json_t *t, int *special)
{
	const char *type, *val;
	json_t *tv;
	void *it;
	size_t i;
	int depth = 0, d;

	if (json_is_object(p) || json_is_array(p)) {
		if (json_typeof(p) != json_typeof(t) ||
		    (json_is_object(p) &&
			json_object_size(p) != json_object_size(t)) ||
		    (json_is_array(p) &&
			json_array_size(p) != json_array_size(t)))
			fuzz_die("tagged and plain trees differ in shape");
		for (it = json_object_iter((json_t *)p); it != NULL;
		     it = json_object_iter_next((json_t *)p, it)) {
			tv = json_object_getn(t, json_object_iter_key(it),
			    json_object_iter_key_len(it));
			if (tv == NULL)
				fuzz_die("tagged tree lacks a key");
			d = fuzz_walk(json_object_iter_value(it), tv, special);
			depth = d > depth ? d : depth;
		}
		for (i = 0; i < json_array_size(p); i++) {
			d = fuzz_walk(json_array_get(p, i),
			    json_array_get(t, i), special);
			depth = d > depth ? d : depth;
		}
		return depth + 1;
	}
	if (!json_is_object(t) || json_object_size(t) != 2 ||
	    !json_is_string(json_object_get(t, "type")) ||
	    !json_is_string(json_object_get(t, "value")))
		fuzz_die("tagged scalar is not {type, value}");
	type = json_string_value(json_object_get(t, "type"));
	val = json_string_value(json_object_get(t, "value"));
	if (strcmp(type, "string") == 0) {
		if (!fuzz_equal(p, json_object_get(t, "value")))
			fuzz_die("string differs between modes");
	} else if (strcmp(type, "integer") == 0) {
		if (!json_is_integer(p) ||
		    json_integer_value(p) != strtoll(val, NULL, 10))
			fuzz_die("integer differs between modes");
	} else if (strcmp(type, "bool") == 0) {
		if (!json_is_boolean(p) ||
		    json_is_true(p) != (strcmp(val, "true") == 0))
			fuzz_die("bool differs between modes");
	} else if (strcmp(type, "float") == 0) {
		if (json_is_real(p)) {
			if (!isfinite(json_real_value(p)) ||
			    json_real_value(p) != strtod(val, NULL))
				fuzz_die("float differs between modes");
		} else if (json_is_string(p) &&
		    (strcmp(val, "inf") == 0 || strcmp(val, "-inf") == 0 ||
			strcmp(val, "nan") == 0) &&
		    strcmp(json_string_value(p), val) == 0)
			*special = 1;
		else
			fuzz_die("float differs between modes");
	} else if (strcmp(type, "datetime") == 0 ||
	    strcmp(type, "datetime-local") == 0 ||
	    strcmp(type, "date-local") == 0 ||
	    strcmp(type, "time-local") == 0) {
		if (!json_is_string(p) ||
		    strcmp(json_string_value(p), val) != 0)
			fuzz_die("date-time differs between modes");
		*special = 1;
	} else
		fuzz_die("unknown type tag");
	return 0;
}

static void
fuzz_positions(const json_t *pos, size_t len)
{
	json_int_t line, col, start, end;
	json_t *e;
	void *it;

	if (!json_is_object(pos))
		fuzz_die("positions are not an object");
	for (it = json_object_iter((json_t *)pos); it != NULL;
	     it = json_object_iter_next((json_t *)pos, it)) {
		e = json_object_iter_value(it);
		if (!json_is_array(e) || json_array_size(e) != 4)
			fuzz_die(
			    "position entry is not [line, col, start, end]");
		line = json_integer_value(json_array_get(e, 0));
		col = json_integer_value(json_array_get(e, 1));
		start = json_integer_value(json_array_get(e, 2));
		end = json_integer_value(json_array_get(e, 3));
		if (line < 1 || col < 1 || start < 0 || start > end ||
		    (size_t)end > len)
			fuzz_die("position entry out of range");
	}
}

/* Parse `text` in plain mode; it must succeed and equal `want`. */
static void
fuzz_reparse(const char *text, const json_t *want, const char *key)
{
	struct toml_error err;
	json_t *got;

	if (toml_parse(text, strlen(text), 0, &got, NULL, &err) != 0) {
		fprintf(stderr, "fuzz_toml: %d:%d: %s\n%s\n", err.line, err.col,
		    err.msg, text);
		fuzz_die("written TOML does not parse");
	}
	if (!fuzz_equal(want, key == NULL ? got : json_object_get(got, key))) {
		fprintf(stderr, "%s\n", text);
		fuzz_die("written TOML parses to another tree");
	}
	json_decref(got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct toml_error e1, e2;
	json_t *plain = NULL, *tagged = NULL, *p1 = NULL, *p2 = NULL;
	int r1, r2, special = 0, depth;
	char *s, *doc;

	r1 = toml_parse(text, size, 0, &plain, &p1, &e1);
	r2 = toml_parse(text, size, TOML_TAGGED, &tagged, &p2, &e2);
	if (r1 != r2)
		fuzz_die("plain and tagged mode disagree on validity");
	if (r1 != 0) {
		if (plain != NULL || p1 != NULL || tagged != NULL || p2 != NULL)
			fuzz_die("tree or positions left after an error");
		if (e1.msg[0] == '\0' ||
		    memchr(e1.msg, '\0', sizeof e1.msg) == NULL)
			fuzz_die("error message empty or unterminated");
		if (size <= TOML_MAX_INPUT && (e1.line < 1 || e1.col < 1))
			fuzz_die("error without a position");
		if (e1.line != e2.line || e1.col != e2.col ||
		    strcmp(e1.msg, e2.msg) != 0)
			fuzz_die("plain and tagged mode report other errors");
		return 0;
	}
	if (!json_is_object(plain) || !json_is_object(tagged))
		fuzz_die("root is not an object");
	fuzz_positions(p1, size);
	if (!json_equal(p1, p2))
		fuzz_die("plain and tagged mode record other positions");
	depth = fuzz_walk(plain, tagged, &special);

	if (!special) {
		s = toml_dump(plain);
		if (s == NULL)
			fuzz_die("toml_dump returned NULL");
		fuzz_reparse(s, plain, NULL);
		free(s);
		/* "v = {...}" is one level deeper than the root. */
		if (depth < TOML_MAX_DEPTH) {
			if ((s = toml_format_value(plain)) == NULL)
				fuzz_die("toml_format_value returned NULL");
			xasprintf(&doc, "v = %s\n", s);
			fuzz_reparse(doc, plain, "v");
			free(doc);
			free(s);
		}
	}
	json_decref(plain);
	json_decref(tagged);
	json_decref(p1);
	json_decref(p2);
	return 0;
}
