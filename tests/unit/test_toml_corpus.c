/*
 * test_toml_corpus.c — the toml-test corpus (TOML 1.0.0 list) against
 * toml_parse(): every valid/ document must parse, in tagged mode to the
 * expected JSON and in plain mode without error; every invalid/ document
 * must be refused.  The corpus is TOML_TEST_DIR, or $OXIOS_TOML_TEST_DIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/toml.h"
#include "util/xalloc.h"

#ifndef TOML_TEST_DIR
#define TOML_TEST_DIR "../shared/conformance/toml-test"
#endif

/*
 * jansson refuses "\u0000" in an object key, which the corpus has; such
 * escapes are read as U+FDD0 (a noncharacter no test uses) and mapped back
 * to NUL when keys are compared.
 */
#define NUL_STANDIN "\xEF\xB7\x90"

static const char *
corpus_dir(void)
{
	const char *d = getenv("OXIOS_TOML_TEST_DIR");

	return d != NULL && *d != '\0' ? d : TOML_TEST_DIR;
}

/* The whole file; *len gets its size.  NULL if it cannot be read. */
static char *
corpus_read(const char *path, size_t *len)
{
	FILE *f;
	char *data = NULL;
	size_t size = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	*len = 0;
	for (;;) {
		if (*len == size) {
			size = size == 0 ? 4096 : size * 2;
			data = xrealloc(data, size + 1);
		}
		if ((n = fread(data + *len, 1, size - *len, f)) == 0)
			break;
		*len += n;
	}
	fclose(f);
	data[*len] = '\0';
	return data;
}

/* Expected JSON, with "\u0000" replaced as described above. */
static json_t *
corpus_expected(const char *path)
{
	json_error_t jerr;
	json_t *j = NULL;
	char *text, *fixed;
	size_t len, i, o = 0;

	if ((text = corpus_read(path, &len)) == NULL)
		return NULL;
	fixed = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (text[i] == '\\' && i + 1 < len && text[i + 1] == '\\') {
			fixed[o++] = text[i++];
			fixed[o++] = text[i];
		} else if (text[i] == '\\' && len - i >= 6 &&
		    memcmp(text + i, "\\u0000", 6) == 0) {
			memcpy(fixed + o, NUL_STANDIN, 3);
			o += 3;
			i += 5;
		} else
			fixed[o++] = text[i];
	}
	j = json_loadb(fixed, o, JSON_ALLOW_NUL, &jerr);
	if (j == NULL)
		fprintf(stderr, "%s: %s\n", path, jerr.text);
	free(text);
	free(fixed);
	return j;
}

static int
corpus_is_tagged(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 2 &&
	    json_is_string(json_object_get(v, "type")) &&
	    json_is_string(json_object_get(v, "value"));
}

static double
corpus_float(const char *s)
{
	if (strcmp(s, "inf") == 0 || strcmp(s, "+inf") == 0)
		return INFINITY;
	if (strcmp(s, "-inf") == 0)
		return -INFINITY;
	if (strstr(s, "nan") != NULL)
		return NAN;
	return strtod(s, NULL);
}

/* Date-time text made comparable: upper case, 'T', no trailing zeros. */
static void
corpus_datetime(const char *s, char *out, size_t size)
{
	size_t i, o = 0, dot = (size_t)-1, n = strlen(s);

	for (i = 0; i < n && o + 1 < size; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			c = c - 'a' + 'A';
		if (c == ' ')
			c = 'T';
		if (c == '.')
			dot = o;
		if (dot != (size_t)-1 && (c < '0' || c > '9') && c != '.') {
			while (o > dot + 1 && out[o - 1] == '0')
				o--;
			if (o == dot + 1)
				o = dot;
			dot = (size_t)-1;
		}
		out[o++] = c;
	}
	if (dot != (size_t)-1) {
		while (o > dot + 1 && out[o - 1] == '0')
			o--;
		if (o == dot + 1)
			o = dot;
	}
	out[o] = '\0';
}

/* A key or string of the expected JSON as the parser would have it. */
static char *
corpus_key(const char *k, size_t klen, size_t *len)
{
	char *out = xmalloc(klen + 1);
	size_t i, o = 0;

	for (i = 0; i < klen; i++) {
		if (klen - i >= 3 && memcmp(k + i, NUL_STANDIN, 3) == 0) {
			out[o++] = '\0';
			i += 2;
		} else
			out[o++] = k[i];
	}
	*len = o;
	return out;
}

/* Expected string `s` (`n` bytes) against the parser's string `got`. */
static int
corpus_string_equal(const char *s, size_t n, const json_t *got)
{
	char *want;
	size_t len;
	int eq;

	want = corpus_key(s, n, &len);
	eq = len == json_string_length(got) &&
	    memcmp(want, json_string_value(got), len) == 0;
	free(want);
	return eq;
}

static int
corpus_scalar_equal(const json_t *want, const json_t *got)
{
	const char *type, *a, *b;
	char na[128], nb[128];
	double x, y;

	if (!corpus_is_tagged(got))
		return 0;
	type = json_string_value(json_object_get(want, "type"));
	if (strcmp(type, json_string_value(json_object_get(got, "type"))) != 0)
		return 0;
	a = json_string_value(json_object_get(want, "value"));
	b = json_string_value(json_object_get(got, "value"));
	if (strcmp(type, "float") == 0) {
		x = corpus_float(a);
		y = corpus_float(b);
		return (isnan(x) && isnan(y)) || x == y;
	}
	if (strcmp(type, "integer") == 0)
		return strtoll(a, NULL, 10) == strtoll(b, NULL, 10);
	if (strncmp(type, "date", 4) == 0 || strcmp(type, "time-local") == 0) {
		corpus_datetime(a, na, sizeof na);
		corpus_datetime(b, nb, sizeof nb);
		return strcmp(na, nb) == 0;
	}
	return corpus_string_equal(a,
	    json_string_length(json_object_get(want, "value")),
	    json_object_get(got, "value"));
}

static int
corpus_equal(const json_t *want, const json_t *got)
{
	void *it;
	size_t i, n;
	char *key;
	int ok;

	if (corpus_is_tagged(want))
		return corpus_scalar_equal(want, got);
	if (json_is_array(want)) {
		if (!json_is_array(got) ||
		    json_array_size(want) != json_array_size(got))
			return 0;
		for (i = 0; i < json_array_size(want); i++)
			if (!corpus_equal(json_array_get(want, i),
				json_array_get(got, i)))
				return 0;
		return 1;
	}
	if (!json_is_object(want) || !json_is_object(got) ||
	    corpus_is_tagged(got) ||
	    json_object_size(want) != json_object_size(got))
		return 0;
	for (it = json_object_iter((json_t *)want); it != NULL;
	     it = json_object_iter_next((json_t *)want, it)) {
		key = corpus_key(json_object_iter_key(it),
		    json_object_iter_key_len(it), &n);
		ok = corpus_equal(json_object_iter_value(it),
		    json_object_getn(got, key, n));
		free(key);
		if (!ok)
			return 0;
	}
	return 1;
}

/* One valid/ document: 0 if it passes, else a message on stderr. */
static int
corpus_valid(const char *dir, const char *name)
{
	struct toml_error err;
	json_t *got = NULL, *plain = NULL, *want = NULL, *pos = NULL;
	char *path, *text;
	size_t len;
	int rc = -1;

	xasprintf(&path, "%s/%s", dir, name);
	if ((text = corpus_read(path, &len)) == NULL) {
		fprintf(stderr, "FAIL %s: cannot read\n", name);
		goto out;
	}
	if (toml_parse(text, len, TOML_TAGGED, &got, &pos, &err) != 0) {
		fprintf(stderr, "FAIL %s: %d:%d: %s\n", name, err.line, err.col,
		    err.msg);
		goto out;
	}
	if (toml_parse(text, len, 0, &plain, NULL, &err) != 0) {
		fprintf(stderr, "FAIL %s (plain mode): %d:%d: %s\n", name,
		    err.line, err.col, err.msg);
		goto out;
	}
	strcpy(path + strlen(path) - strlen(".toml"), ".json");
	if ((want = corpus_expected(path)) == NULL) {
		fprintf(stderr, "FAIL %s: cannot load the expected JSON\n",
		    name);
		goto out;
	}
	if (!corpus_equal(want, got)) {
		char *s = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

		fprintf(stderr, "FAIL %s: unexpected result %s\n", name,
		    s != NULL ? s : "?");
		free(s);
		goto out;
	}
	rc = 0;
out:
	json_decref(got);
	json_decref(plain);
	json_decref(pos);
	json_decref(want);
	free(text);
	free(path);
	return rc;
}

/* One invalid/ document: 0 if it is refused. */
static int
corpus_invalid(const char *dir, const char *name)
{
	struct toml_error err;
	json_t *got = NULL, *pos = NULL;
	char *path, *text;
	size_t len;
	int rc = -1, i;

	xasprintf(&path, "%s/%s", dir, name);
	if ((text = corpus_read(path, &len)) == NULL) {
		fprintf(stderr, "FAIL %s: cannot read\n", name);
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (toml_parse(text, len, i == 0 ? TOML_TAGGED : 0, &got,
			i == 0 ? &pos : NULL, &err) == 0) {
			fprintf(stderr, "FAIL %s: accepted (%s mode)\n", name,
			    i == 0 ? "tagged" : "plain");
			json_decref(got);
			json_decref(pos);
			goto out;
		}
		if (got != NULL || pos != NULL || err.msg[0] == '\0' ||
		    err.line < 1 || err.col < 1) {
			fprintf(stderr, "FAIL %s: bad error report\n", name);
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

static void
test_corpus_1_0_0(void **state)
{
	const char *dir = corpus_dir();
	struct stat st;
	char *list, line[1024];
	FILE *f;
	size_t n;
	int vok = 0, vbad = 0, iok = 0, ibad = 0;

	(void)state;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr,
		    "toml-test corpus not found at %s (set "
		    "OXIOS_TOML_TEST_DIR); skipping\n",
		    dir);
		skip();
		return;
	}
	xasprintf(&list, "%s/files-toml-1.0.0", dir);
	f = fopen(list, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (n < 5 || strcmp(line + n - 5, ".toml") != 0)
			continue;
		if (strncmp(line, "valid/", 6) == 0) {
			if (corpus_valid(dir, line) == 0)
				vok++;
			else
				vbad++;
		} else if (strncmp(line, "invalid/", 8) == 0) {
			if (corpus_invalid(dir, line) == 0)
				iok++;
			else
				ibad++;
		}
	}
	fclose(f);
	free(list);
	fprintf(stderr,
	    "toml-test 1.0.0: %d valid ok, %d bad; %d invalid rejected, "
	    "%d accepted\n",
	    vok, vbad, iok, ibad);
	assert_true(vok + iok > 0);
	assert_int_equal(vbad, 0);
	assert_int_equal(ibad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_1_0_0),
	};
	const char *dir = corpus_dir();
	struct stat st;

	/* cmocka prints no TAP line for a skipped test: say it here. */
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("1..1\nok 1 - test_corpus_1_0_0 # SKIP toml-test corpus "
		       "not found at %s (set OXIOS_TOML_TEST_DIR)\n",
		    dir);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
