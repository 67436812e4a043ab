/*
 * test_toml.c — the TOML parser and writer (util/toml.h): scalars,
 * errors and their positions, the positions object, limits, paths, value
 * formatting and the dump/parse round trip.  The toml-test corpus is run
 * by test_toml_corpus.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/toml.h"
#include "util/xalloc.h"

/* Parse `text` (a C string), which must succeed. */
static json_t *
parse_ok(const char *text, int flags)
{
	struct toml_error err;
	json_t *root = NULL;

	if (toml_parse(text, strlen(text), flags, &root, NULL, &err) != 0)
		fail_msg("unexpected error %d:%d: %s in:\n%s", err.line,
		    err.col, err.msg, text);
	return root;
}

/* Parse `n` bytes, which must fail; the error is returned in *err. */
static void
parse_bad(const char *text, size_t n, struct toml_error *err)
{
	json_t *root = (json_t *)1, *pos = (json_t *)1;

	if (toml_parse(text, n, 0, &root, &pos, err) == 0)
		fail_msg("accepted:\n%s", text);
	assert_null(root);
	assert_null(pos);
	assert_true(err->msg[0] != '\0');
}

static void
test_scalars_plain(void **state)
{
	json_t *r;

	(void)state;
	r = parse_ok("s1 = \"a\\tb\\\"c\\\\d\\u00e9\\U0001F600\"\n"
		     "s2 = 'C:\\path\\no\\escapes'\n"
		     "s3 = \"\"\"\nline1\nline2 \\\n    joined\"\"\"\n"
		     "s4 = '''\r\nraw\\n ''quoted'' '''\n"
		     "s5 = \"\"\"two quotes at end\"\"\"\"\"\n"
		     "i1 = +99\ni2 = -17\ni3 = 1_000_000\ni4 = 0xDEAD_beef\n"
		     "i5 = 0o755\ni6 = 0b1101\n"
		     "i7 = 9223372036854775807\ni8 = -9223372036854775808\n"
		     "f1 = 3.25\nf2 = -1e-3\nf3 = 6.626e-34\nf4 = 1_000.5\n"
		     "f5 = inf\nf6 = -inf\nf7 = nan\nf8 = +inf\n"
		     "b1 = true\nb2 = false\n"
		     "d1 = 1979-05-27T07:32:00Z\nd2 = 1979-05-27 00:32:00.999-07:00\n"
		     "d3 = 1979-05-27t07:32:00\nd4 = 1979-05-27\nd5 = 07:32:00.5\n"
		     "d6 = 2000-02-29T23:59:60z\n",
	    0);
	assert_string_equal(json_string_value(json_object_get(r, "s1")),
	    "a\tb\"c\\d\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(json_string_value(json_object_get(r, "s2")),
	    "C:\\path\\no\\escapes");
	assert_string_equal(json_string_value(json_object_get(r, "s3")),
	    "line1\nline2 joined");
	assert_string_equal(json_string_value(json_object_get(r, "s4")),
	    "raw\\n ''quoted'' ");
	assert_string_equal(json_string_value(json_object_get(r, "s5")),
	    "two quotes at end\"\"");
	assert_int_equal(json_integer_value(json_object_get(r, "i1")), 99);
	assert_int_equal(json_integer_value(json_object_get(r, "i2")), -17);
	assert_int_equal(json_integer_value(json_object_get(r, "i3")), 1000000);
	assert_int_equal(json_integer_value(json_object_get(r, "i4")),
	    0xDEADBEEF);
	assert_int_equal(json_integer_value(json_object_get(r, "i5")), 0755);
	assert_int_equal(json_integer_value(json_object_get(r, "i6")), 13);
	assert_true(json_integer_value(json_object_get(r, "i7")) == INT64_MAX);
	assert_true(json_integer_value(json_object_get(r, "i8")) == INT64_MIN);
	assert_true(json_is_real(json_object_get(r, "f1")));
	assert_true(json_real_value(json_object_get(r, "f1")) == 3.25);
	assert_true(json_real_value(json_object_get(r, "f2")) == -1e-3);
	assert_true(json_real_value(json_object_get(r, "f3")) == 6.626e-34);
	assert_true(json_real_value(json_object_get(r, "f4")) == 1000.5);
	/* Values jansson cannot hold stay text. */
	assert_string_equal(json_string_value(json_object_get(r, "f5")), "inf");
	assert_string_equal(json_string_value(json_object_get(r, "f6")),
	    "-inf");
	assert_string_equal(json_string_value(json_object_get(r, "f7")), "nan");
	assert_string_equal(json_string_value(json_object_get(r, "f8")), "inf");
	assert_true(json_is_true(json_object_get(r, "b1")));
	assert_true(json_is_false(json_object_get(r, "b2")));
	assert_string_equal(json_string_value(json_object_get(r, "d1")),
	    "1979-05-27T07:32:00Z");
	assert_string_equal(json_string_value(json_object_get(r, "d2")),
	    "1979-05-27T00:32:00.999-07:00");
	assert_string_equal(json_string_value(json_object_get(r, "d3")),
	    "1979-05-27T07:32:00");
	assert_string_equal(json_string_value(json_object_get(r, "d4")),
	    "1979-05-27");
	assert_string_equal(json_string_value(json_object_get(r, "d5")),
	    "07:32:00.5");
	assert_string_equal(json_string_value(json_object_get(r, "d6")),
	    "2000-02-29T23:59:60Z");
	json_decref(r);
}

static void
assert_tag(const json_t *root, const char *key, const char *type,
    const char *value)
{
	const json_t *v = json_object_get(root, key);

	assert_non_null(v);
	assert_int_equal(json_object_size(v), 2);
	assert_string_equal(json_string_value(json_object_get(v, "type")),
	    type);
	assert_string_equal(json_string_value(json_object_get(v, "value")),
	    value);
}

static void
test_scalars_tagged(void **state)
{
	json_t *r, *a;

	(void)state;
	r = parse_ok("s = 'x'\ni = 0x10\nf = 0.5\ng = -0.0\nh = -nan\n"
		     "b = true\nd = 1979-05-27 07:32:00+01:00\n"
		     "dl = 1979-05-27T07:32:00\nld = 1979-05-27\nlt = 07:32:00\n"
		     "a = [1, 'two', 3.0, [true]]\n[t]\nk = 1\n",
	    TOML_TAGGED);
	assert_tag(r, "s", "string", "x");
	assert_tag(r, "i", "integer", "16");
	assert_tag(r, "f", "float", "0.5");
	assert_tag(r, "g", "float", "-0.0");
	assert_tag(r, "h", "float", "nan");
	assert_tag(r, "b", "bool", "true");
	assert_tag(r, "d", "datetime", "1979-05-27T07:32:00+01:00");
	assert_tag(r, "dl", "datetime-local", "1979-05-27T07:32:00");
	assert_tag(r, "ld", "date-local", "1979-05-27");
	assert_tag(r, "lt", "time-local", "07:32:00");
	a = json_object_get(r, "a");
	assert_int_equal(json_array_size(a), 4);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(a, 1), "type")),
	    "string");
	assert_true(json_is_array(json_array_get(a, 3)));
	/* Tables stay plain objects. */
	assert_tag(json_object_get(r, "t"), "k", "integer", "1");
	json_decref(r);
}

static void
test_structure(void **state)
{
	json_t *r, *want;
	json_error_t jerr;

	(void)state;
	r = parse_ok("a.b.c = 1\n"
		     "a.b.d = 2\n"
		     "\"quoted.key\" = 3\n"
		     "inl = { x = 1, y.z = 2 }\n"
		     "arr = [\n  1, # one\n  2,\n]\n"
		     "[t1.t2]\nk = 1\n"
		     "[t1]\nk = 0\n"
		     "[[aot]]\nn = 1\n"
		     "[aot.sub]\nm = 1\n"
		     "[[aot]]\nn = 2\n"
		     "[[aot.inner]]\nq = 1\n",
	    0);
	want = json_loads("{\"a\": {\"b\": {\"c\": 1, \"d\": 2}},"
			  " \"quoted.key\": 3,"
			  " \"inl\": {\"x\": 1, \"y\": {\"z\": 2}},"
			  " \"arr\": [1, 2],"
			  " \"t1\": {\"k\": 0, \"t2\": {\"k\": 1}},"
			  " \"aot\": [{\"n\": 1, \"sub\": {\"m\": 1}},"
			  "  {\"n\": 2, \"inner\": [{\"q\": 1}]}]}",
	    0, &jerr);
	assert_non_null(want);
	assert_true(json_equal(r, want));
	json_decref(r);
	json_decref(want);

	/* Not NUL-terminated: only `len` bytes are read. */
	{
		struct toml_error err;
		const char text[] = "a = 12345";

		assert_int_equal(toml_parse(text, 6, 0, &r, NULL, &err), 0);
		assert_int_equal(json_integer_value(json_object_get(r, "a")),
		    12);
		json_decref(r);
	}
}

struct bad_case {
	const char *text;
	int line, col;
	const char *msg; /* a part of the message */
};

static void
test_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "a = 1\nb = \"x\\q\"\n", 2, 7,
		    "invalid escape '\\q' in string" },
		{ "port = 1\nport = 2\n", 2, 1, "duplicate key 'port'" },
		{ "[srv]\nport = 1\n[srv]\n", 3, 2,
		    "table 'srv' defined twice" },
		{ "name \"x\"\n", 1, 6, "expected '=' after key" },
		{ "x = '\xc3\xa9' \xc3\xa9\n", 1, 9, "after value" },
		{ "k = \"\xc3\xa9\xc3\xa9\xff\"\n", 1, 8, "UTF-8" },
		{ "n = 9223372036854775808\n", 1, 5, "out of range" },
		{ "n = 012\n", 1, 5, "leading zero" },
		{ "d = 2023-02-29\n", 1, 5, "day out of range" },
		{ "t = { a = 1, }\n", 1, 14, "trailing comma" },
		{ "t = { a = 1\n}\n", 1, 12, "inline table" },
		{ "a = [1 2]\n", 1, 8, "expected ',' or ']'" },
		{ "a = 1\r\nb = 2\rc = 3\n", 2, 6, "carriage return" },
		{ "# ok\n# bad \x01 here\n", 2, 7, "in comment" },
		{ "s = \"tab\tok, bell\a not\"\n", 1, 18, "U+0007" },
		{ "s = \"\\uD800\"\n", 1, 6, "Unicode scalar" },
		{ "s = \"abc\n", 1, 9, "newline" },
		{ "s = \"\"\"abc\n", 1, 5, "unterminated string" },
		{ "[a]\nb.c = 1\n[a.b]\n", 3, 4, "dotted keys" },
		{ "[a.b]\n[a]\nb.c = 1\n", 3, 1, "with dotted keys" },
		{ "t = {}\n[t]\n", 2, 2, "inline table" },
		{ "t = {}\nt.x = 1\n", 2, 1, "inline table" },
		{ "a = [1]\n[[a]]\n", 2, 3, "array of tables" },
		{ "[[a]]\n[a]\n", 2, 2, "array of tables" },
		{ "a = 1\na.b = 2\n", 2, 1, "not a table" },
		{ "x = 0x-1\n", 1, 5, "invalid value" },
		{ "x = +0x1\n", 1, 5, "sign" },
		{ "= 1\n", 1, 1, "expected a key" },
		{ "a =\n", 1, 4, "expected a value" },
		{ "[a\n", 1, 3, "expected ']'" },
	};
	struct toml_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		parse_bad(cases[i].text, strlen(cases[i].text), &err);
		if (err.line != cases[i].line || err.col != cases[i].col ||
		    strstr(err.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: got %d:%d: %s; want %d:%d: ...%s...",
			    i, err.line, err.col, err.msg, cases[i].line,
			    cases[i].col, cases[i].msg);
	}
}

/* The text an entry of `pos` covers. */
static void
assert_span(const char *text, const json_t *pos, const char *path, int line,
    int col, const char *want)
{
	const json_t *e = json_object_get(pos, path);
	size_t start, end;

	if (e == NULL)
		fail_msg("no position for %s", path);
	assert_int_equal(json_array_size(e), 4);
	assert_int_equal(json_integer_value(json_array_get(e, 0)), line);
	assert_int_equal(json_integer_value(json_array_get(e, 1)), col);
	start = json_integer_value(json_array_get(e, 2));
	end = json_integer_value(json_array_get(e, 3));
	assert_true(start <= end && end <= strlen(text));
	if (end - start != strlen(want) ||
	    memcmp(text + start, want, end - start))
		fail_msg("%s: span is '%.*s', want '%s'", path,
		    (int)(end - start), text + start, want);
}

static void
test_positions(void **state)
{
	static const char doc[] = "# top comment\n"
				  "title = \"x\"   # trailing\n"
				  "\n"
				  "[server]\n"
				  "host = \"h\"\n"
				  "# a comment inside\n"
				  "\n"
				  "  port = 8080 # last\n"
				  "# a comment after the last key\n"
				  "\n"
				  "[[peers]]\n"
				  "name = \"p1\"\n"
				  "[[peers]]\n"
				  "name = \"\"\"\nmulti\"\"\"\n"
				  "a.\"b c\".d = [1,\n 2]\n"
				  "inl = { x = 1, y = [0, { z = 'é' }] }\n"
				  "[empty]";
	struct toml_error err;
	json_t *root, *pos;
	const char *p;
	char want[64];

	(void)state;
	assert_int_equal(toml_parse(doc, strlen(doc), 0, &root, &pos, &err), 0);
	assert_span(doc, pos, "title", 2, 1, "\"x\"");
	assert_span(doc, pos, "server.host", 5, 1, "\"h\"");
	assert_span(doc, pos, "server.port", 8, 3, "8080");
	assert_span(doc, pos, "peers[0].name", 12, 1, "\"p1\"");
	assert_span(doc, pos, "peers[1].name", 14, 1, "\"\"\"\nmulti\"\"\"");
	assert_span(doc, pos, "peers[1].a.\"b c\".d", 16, 1, "[1,\n 2]");
	assert_span(doc, pos, "peers[1].inl", 18, 1,
	    "{ x = 1, y = [0, { z = 'é' }] }");
	assert_span(doc, pos, "peers[1].inl.x", 18, 9, "1");
	assert_span(doc, pos, "peers[1].inl.y[1].z", 18, 26, "'é'");
	/* Implicit tables have no entry. */
	assert_null(json_object_get(pos, "peers[1].a"));
	assert_null(json_object_get(pos, "peers"));

	/* Sections: from the header to the end of the last key line. */
	p = strstr(doc, "[server]");
	snprintf(want, sizeof want, "%.*s",
	    (int)(strstr(doc, " # last") - p + strlen(" # last")), p);
	assert_span(doc, pos, "server", 4, 1, want);
	assert_span(doc, pos, "peers[0]", 11, 1, "[[peers]]\nname = \"p1\"");
	assert_span(doc, pos, "peers[1]", 13, 1,
	    "[[peers]]\nname = \"\"\"\nmulti\"\"\"\n"
	    "a.\"b c\".d = [1,\n 2]\n"
	    "inl = { x = 1, y = [0, { z = 'é' }] }");
	assert_span(doc, pos, "empty", 19, 1, "[empty]");
	json_decref(root);
	json_decref(pos);

	/* CRLF: a section ends before the "\r\n". */
	{
		static const char crlf[] = "[a]\r\nx = 1\r\n\r\n[b]\r\n";

		assert_int_equal(toml_parse(crlf, strlen(crlf), 0, &root, &pos,
				     &err),
		    0);
		assert_span(crlf, pos, "a", 1, 1, "[a]\r\nx = 1");
		assert_span(crlf, pos, "a.x", 2, 1, "1");
		assert_span(crlf, pos, "b", 4, 1, "[b]");
		json_decref(root);
		json_decref(pos);
	}
	/* Columns count characters; a leading BOM is not one. */
	{
		static const char bom[] = "\xef\xbb\xbf\xc3\xa9 = 1\n";

		assert_int_equal(toml_parse(bom, strlen(bom), 0, &root, &pos,
				     &err),
		    -1);
		assert_int_equal(err.line, 1);
		assert_int_equal(err.col, 1);
		assert_null(root);
		assert_null(pos);
	}
}

static void
test_size_cap(void **state)
{
	struct toml_error err;
	json_t *root;
	char *big;

	(void)state;
	big = xmalloc((size_t)TOML_MAX_INPUT + 1);
	memset(big, ' ', (size_t)TOML_MAX_INPUT + 1);
	big[0] = '#';
	big[TOML_MAX_INPUT - 1] = '\n';
	/* Exactly at the cap: accepted. */
	assert_int_equal(toml_parse(big, TOML_MAX_INPUT, 0, &root, NULL, &err),
	    0);
	assert_int_equal(json_object_size(root), 0);
	json_decref(root);
	/* One byte more: refused, without a position. */
	parse_bad(big, (size_t)TOML_MAX_INPUT + 1, &err);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "larger"));
	free(big);
}

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = xmalloc(hl + ul * n + tl + 1);

	memcpy(s, head, hl);
	for (i = 0; i < n; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + ul * n, tail, tl + 1);
	return s;
}

static void
test_deep_nesting(void **state)
{
	struct toml_error err;
	json_t *r;
	char *s, *open, *close;

	(void)state;
	s = repeat("a = ", "[", 100000, "");
	parse_bad(s, strlen(s), &err);
	assert_non_null(strstr(err.msg, "too deeply"));
	free(s);
	s = repeat("a = ", "{b=", 100000, "");
	parse_bad(s, strlen(s), &err);
	assert_non_null(strstr(err.msg, "too deeply"));
	free(s);
	s = repeat("[a", ".a", 100000, "]\n");
	parse_bad(s, strlen(s), &err);
	free(s);
	s = repeat("a", ".a", 100000, " = 1\n");
	parse_bad(s, strlen(s), &err);
	free(s);

	/* Arrays of tables count twice: [[a.a.a]] is 6 levels deep. */
	{
		size_t i;
		char *doc, *hdr, *tmp;

		doc = xstrdup("");
		hdr = xstrdup("a");
		for (i = 1; i <= TOML_MAX_DEPTH / 2 + 1; i++) {
			xasprintf(&tmp, "%s[[%s]]\n", doc, hdr);
			free(doc);
			doc = tmp;
			if (i == TOML_MAX_DEPTH / 2) {
				r = parse_ok(doc, 0);
				json_decref(r);
			}
			xasprintf(&tmp, "%s.a", hdr);
			free(hdr);
			hdr = tmp;
		}
		parse_bad(doc, strlen(doc), &err);
		assert_non_null(strstr(err.msg, "too deeply"));
		free(doc);
		free(hdr);
	}

	/* The deepest allowed: key at depth 1, arrays down to the limit. */
	open = repeat("a = ", "[", TOML_MAX_DEPTH - 1, "");
	close = repeat(open, "]", TOML_MAX_DEPTH - 1, "\n");
	r = parse_ok(close, 0);
	json_decref(r);
	free(close);
	close = repeat(open, "[]", 1, "");
	free(open);
	open = repeat(close, "]", TOML_MAX_DEPTH - 1, "\n");
	parse_bad(open, strlen(open), &err);
	free(open);
	free(close);
}

static void
test_path_append(void **state)
{
	char buf[32], small[6];

	(void)state;
	buf[0] = '\0';
	assert_int_equal(toml_path_append(buf, sizeof buf, "server"), 0);
	assert_string_equal(buf, "server");
	assert_int_equal(toml_path_append(buf, sizeof buf, "a b"), 0);
	assert_string_equal(buf, "server.\"a b\"");
	assert_int_equal(toml_path_append(buf, sizeof buf, "x.y"), 0);
	assert_string_equal(buf, "server.\"a b\".\"x.y\"");
	buf[0] = '\0';
	assert_int_equal(toml_path_append(buf, sizeof buf, ""), 0);
	assert_string_equal(buf, "\"\"");
	buf[0] = '\0';
	assert_int_equal(toml_path_append(buf, sizeof buf, "q\"\\\x01"), 0);
	assert_string_equal(buf, "\"q\\\"\\\\\\u0001\"");
	buf[0] = '\0';
	assert_int_equal(toml_path_append(buf, sizeof buf, "\xc3\xa9"), 0);
	assert_string_equal(buf, "\"\xc3\xa9\"");

	/* "ab.cd" needs 6 bytes with the NUL. */
	small[0] = '\0';
	assert_int_equal(toml_path_append(small, sizeof small, "ab"), 0);
	assert_int_equal(toml_path_append(small, sizeof small, "cd"), 0);
	assert_string_equal(small, "ab.cd");
	assert_int_equal(toml_path_append(small, sizeof small, "e"), -1);
	assert_string_equal(small, "ab.cd");
	small[0] = '\0';
	assert_int_equal(toml_path_append(small, sizeof small, "abcdef"), -1);
	assert_string_equal(small, "");
	assert_int_equal(toml_path_append(small, 0, "a"), -1);

	assert_true(toml_is_bare_key("A-z_09"));
	assert_false(toml_is_bare_key(""));
	assert_false(toml_is_bare_key("a.b"));
	assert_false(toml_is_bare_key("a b"));
	assert_false(toml_is_bare_key("\xc3\xa9"));
}

/* toml_format_value() of `json`, compared with `want`. */
static void
assert_format(const char *json, const char *want)
{
	json_error_t jerr;
	json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	char *s;

	assert_non_null(v);
	s = toml_format_value(v);
	if (want == NULL)
		assert_null(s);
	else {
		assert_non_null(s);
		assert_string_equal(s, want);
	}
	free(s);
	json_decref(v);
}

static void
test_format_value(void **state)
{
	json_t *v, *r;
	char *s, *doc;

	(void)state;
	assert_format("\"plain\"", "\"plain\"");
	assert_format("\"q\\\" b\\\\ n\\n t\\t r\\r f\\f b\\b\"",
	    "\"q\\\" b\\\\ n\\n t\\t r\\r f\\f b\\b\"");
	assert_format("\"\\u0001\\u007f\\u0000\xc3\xa9\"",
	    "\"\\u0001\\u007F\\u0000\xc3\xa9\"");
	assert_format("42", "42");
	assert_format("-9223372036854775808", "-9223372036854775808");
	assert_format("0.1", "0.1");
	assert_format("1.0", "1.0");
	assert_format("-0.0", "-0.0");
	assert_format("1e300", "1e+300");
	assert_format("0.30000000000000004", "0.30000000000000004");
	assert_format("true", "true");
	assert_format("false", "false");
	assert_format("[]", "[]");
	assert_format("{}", "{}");
	assert_format("[1, \"a\", [2.5]]", "[1, \"a\", [2.5]]");
	assert_format("{\"a\": 1, \"b c\": [true]}",
	    "{ a = 1, \"b c\" = [true] }");
	assert_format("null", NULL);
	assert_format("[1, null]", NULL);
	assert_format("{\"a\": {\"b\": null}}", NULL);

	/* What it writes reads back as the same value. */
	v = json_loads("{\"s\": \"a\\u0000\\u001f\\\"'''\\\\\", \"f\": 1e-300,"
		       " \"n\": [[], {}, {\"x\": [1.5, -2]}], \"\": \"empty\"}",
	    JSON_ALLOW_NUL, NULL);
	assert_non_null(v);
	s = toml_format_value(v);
	xasprintf(&doc, "v = %s\n", s);
	r = parse_ok(doc, 0);
	assert_true(json_equal(json_object_get(r, "v"), v));
	json_decref(r);
	json_decref(v);
	free(s);
	free(doc);
}

/* json_equal(), but for keys that hold a NUL too. */
static int
tree_equal(const json_t *a, const json_t *b)
{
	void *it;
	size_t i;

	if (json_is_object(a)) {
		if (!json_is_object(b) ||
		    json_object_size(a) != json_object_size(b))
			return 0;
		for (it = json_object_iter((json_t *)a); it != NULL;
		     it = json_object_iter_next((json_t *)a, it))
			if (!tree_equal(json_object_iter_value(it),
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
			if (!tree_equal(json_array_get(a, i),
				json_array_get(b, i)))
				return 0;
		return 1;
	}
	return b != NULL && json_equal(a, b);
}

static void
test_dump_roundtrip(void **state)
{
	static const char *trees[] = {
		"{}",
		"{\"a\": 1, \"b\": \"two\", \"c\": 3.5, \"d\": true, \"e\": [1, 2]}",
		"{\"t\": {\"x\": 1, \"sub\": {\"y\": 2, \"deeper\": {}}},"
		" \"top\": 0}",
		"{\"srv\": [{\"name\": \"a\", \"tags\": [\"x\"]},"
		" {\"name\": \"b\", \"opts\": {\"k\": 1},"
		"  \"inner\": [{\"q\": 1}, {\"q\": 2}]}]}",
		"{\"mixed\": [1, {\"a\": 1}], \"objs\": [{}, {}],"
		" \"empty\": [], \"nested\": [[{\"a\": [{}]}]]}",
		"{\"we.ird\": {\"\": {\"a b\": {\"\\\"q\\\"\": 1}}},"
		" \"\xc3\xa9\": \"\\u0000\\n\\t\\u007f\", \"z\": {\"x\": -0.0}}",
		"{\"f\": [0.1, 1e-300, 1.7976931348623157e308, -2.5e-8, 100.0],"
		" \"i\": [9223372036854775807, -9223372036854775808, 0]}",
	};
	json_error_t jerr;
	json_t *t, *r;
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof trees / sizeof trees[0]; i++) {
		t = json_loads(trees[i], JSON_ALLOW_NUL, &jerr);
		if (t == NULL)
			fail_msg("tree %zu: %s", i, jerr.text);
		s = toml_dump(t);
		r = parse_ok(s, 0);
		if (!tree_equal(t, r))
			fail_msg("tree %zu does not round-trip:\n%s", i, s);
		json_decref(r);
		json_decref(t);
		free(s);
	}

	/* A parsed document, with a NUL in a key, round-trips too. */
	t = parse_ok("\"k\\u0000nul\".x = 1\n[[a.b]]\nc = 'd'\n[a.b.e]\n", 0);
	s = toml_dump(t);
	r = parse_ok(s, 0);
	assert_true(tree_equal(t, r));
	assert_non_null(json_object_getn(r, "k\0nul", 5));
	json_decref(r);
	json_decref(t);
	free(s);

	/* Keys holding null are left out; so are arrays with a null. */
	t = json_loads("{\"a\": null, \"b\": [null], \"c\": {\"d\": null},"
		       " \"e\": 1}",
	    0, NULL);
	s = toml_dump(t);
	r = parse_ok(s, 0);
	assert_int_equal(json_object_size(r), 2);
	assert_int_equal(json_object_size(json_object_get(r, "c")), 0);
	json_decref(r);
	json_decref(t);
	free(s);

	/* Layout: scalars first, then [tables], then [[arrays]]. */
	t = json_loads("{\"t\": {\"x\": 1}, \"a\": [{\"y\": 2}], \"s\": \"v\"}",
	    JSON_PRESERVE_ORDER, NULL);
	s = toml_dump(t);
	assert_string_equal(s, "s = \"v\"\n\n[t]\nx = 1\n\n[[a]]\ny = 2\n");
	json_decref(t);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars_plain),
		cmocka_unit_test(test_scalars_tagged),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_path_append),
		cmocka_unit_test(test_format_value),
		cmocka_unit_test(test_dump_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
