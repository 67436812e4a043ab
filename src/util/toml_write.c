/*
 * toml_write.c — TOML text from a plain-mode jansson tree: one value
 * (toml_format_value()) or a whole document (toml_dump()).  What is
 * written reads back, with toml_parse(), as the same tree.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/toml.h"
#include "util/toml_int.h"
#include "util/xalloc.h"

int
toml_bare(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
			s[i] == '-'))
			return 0;
	return n > 0;
}

void
toml_quote(struct buf *b, const char *s, size_t n)
{
	size_t i, run;
	unsigned char c;

	(void)buf_addc(b, '"');
	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n; run++) {
			c = s[i + run];
			if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
				break;
		}
		if (run > 0) {
			(void)buf_add(b, s + i, run);
			continue;
		}
		switch ((c = s[i])) {
		case '"':
			(void)buf_adds(b, "\\\"");
			break;
		case '\\':
			(void)buf_adds(b, "\\\\");
			break;
		case '\b':
			(void)buf_adds(b, "\\b");
			break;
		case '\t':
			(void)buf_adds(b, "\\t");
			break;
		case '\n':
			(void)buf_adds(b, "\\n");
			break;
		case '\f':
			(void)buf_adds(b, "\\f");
			break;
		case '\r':
			(void)buf_adds(b, "\\r");
			break;
		default:
			(void)buf_printf(b, "\\u%04X", c);
		}
		run = 1;
	}
	(void)buf_addc(b, '"');
}

void
toml_write_key(struct buf *b, const char *key, size_t n)
{
	if (toml_bare(key, n))
		(void)buf_add(b, key, n);
	else
		toml_quote(b, key, n);
}

void
toml_format_real(double d, char *out, size_t size)
{
	int prec;

	if (!isfinite(d)) {
		if (isnan(d))
			snprintf(out, size, "nan");
		else
			snprintf(out, size, "%sinf", d < 0 ? "-" : "");
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(out, size, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(out, size, "%.17g", d);
	if (strpbrk(out, ".e") == NULL && strlen(out) + 2 < size)
		strcat(out, ".0");
}

/* Whether `v` holds a null anywhere (TOML has no null). */
static int
toml_write_hasnull(const json_t *v)
{
	void *it;
	size_t i;

	if (json_is_null(v))
		return 1;
	for (i = 0; i < json_array_size(v); i++)
		if (toml_write_hasnull(json_array_get(v, i)))
			return 1;
	for (it = json_object_iter((json_t *)v); it != NULL;
	     it = json_object_iter_next((json_t *)v, it))
		if (toml_write_hasnull(json_object_iter_value(it)))
			return 1;
	return 0;
}

/* Append the text of `v`, which holds no null. */
static void
toml_write_value(struct buf *b, const json_t *v)
{
	void *it;
	size_t i;
	char num[40];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			(void)buf_adds(b, "{}");
			break;
		}
		(void)buf_adds(b, "{ ");
		for (it = json_object_iter((json_t *)v); it != NULL;
		     it = json_object_iter_next((json_t *)v, it)) {
			toml_write_key(b, json_object_iter_key(it),
			    json_object_iter_key_len(it));
			(void)buf_adds(b, " = ");
			toml_write_value(b, json_object_iter_value(it));
			if (json_object_iter_next((json_t *)v, it) != NULL)
				(void)buf_adds(b, ", ");
		}
		(void)buf_adds(b, " }");
		break;
	case JSON_ARRAY:
		(void)buf_addc(b, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				(void)buf_adds(b, ", ");
			toml_write_value(b, json_array_get(v, i));
		}
		(void)buf_addc(b, ']');
		break;
	case JSON_STRING:
		toml_quote(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		(void)buf_printf(b, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		toml_format_real(json_real_value(v), num, sizeof num);
		(void)buf_adds(b, num);
		break;
	case JSON_TRUE:
		(void)buf_adds(b, "true");
		break;
	case JSON_FALSE:
		(void)buf_adds(b, "false");
		break;
	case JSON_NULL:
		break;
	}
}

char *
toml_format_value(const json_t *v)
{
	struct buf b;

	if (v == NULL || toml_write_hasnull(v))
		return NULL;
	buf_init(&b, BUF_NOCAP);
	toml_write_value(&b, v);
	return buf_detach(&b);
}

/* An array written as [[name]] sections: non-empty, all tables. */
static int
toml_write_isaot(const json_t *v)
{
	size_t i;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return 0;
	for (i = 0; i < json_array_size(v); i++)
		if (!json_is_object(json_array_get(v, i)))
			return 0;
	return 1;
}

static void toml_write_table(struct buf *, const json_t *, struct buf *);

/* A [path] or [[path]] header, then the body of table `t`. */
static void
toml_write_section(struct buf *b, const json_t *t, struct buf *path, int aot)
{
	(void)buf_printf(b, "%s%s%s%s\n", b->len > 0 ? "\n" : "",
	    aot ? "[[" : "[", buf_str(path), aot ? "]]" : "]");
	toml_write_table(b, t, path);
}

/*
 * The body of table `t`, whose path is in `path`: its plain keys, then a
 * [section] per sub-table and [[sections]] per array of tables.  A null,
 * or an array holding one, is left out with its key.
 */
static void
toml_write_table(struct buf *b, const json_t *t, struct buf *path)
{
	size_t plen = path->len, i;
	json_t *v;
	void *it;

	for (it = json_object_iter((json_t *)t); it != NULL;
	     it = json_object_iter_next((json_t *)t, it)) {
		v = json_object_iter_value(it);
		if (json_is_object(v) || toml_write_isaot(v) ||
		    toml_write_hasnull(v))
			continue;
		toml_write_key(b, json_object_iter_key(it),
		    json_object_iter_key_len(it));
		(void)buf_adds(b, " = ");
		toml_write_value(b, v);
		(void)buf_addc(b, '\n');
	}
	for (it = json_object_iter((json_t *)t); it != NULL;
	     it = json_object_iter_next((json_t *)t, it)) {
		v = json_object_iter_value(it);
		if (!json_is_object(v) && !toml_write_isaot(v))
			continue;
		if (path->len > 0)
			(void)buf_addc(path, '.');
		toml_write_key(path, json_object_iter_key(it),
		    json_object_iter_key_len(it));
		if (json_is_object(v))
			toml_write_section(b, v, path, 0);
		for (i = 0; i < json_array_size(v); i++)
			toml_write_section(b, json_array_get(v, i), path, 1);
		path->len = plen;
		path->data[plen] = '\0';
	}
}

char *
toml_dump(const json_t *root)
{
	struct buf b, path;

	buf_init(&b, BUF_NOCAP);
	buf_init(&path, BUF_NOCAP);
	if (json_is_object(root))
		toml_write_table(&b, root, &path);
	buf_free(&path);
	return buf_detach(&b);
}

int
toml_path_append(char *buf, size_t size, const char *key)
{
	struct buf b;
	size_t have;
	int rc = -1;

	if (size == 0)
		return -1;
	have = strnlen(buf, size);
	buf_init(&b, BUF_NOCAP);
	toml_write_key(&b, key, strlen(key));
	if (have < size && b.len + (have > 0) < size - have) {
		if (have > 0)
			buf[have++] = '.';
		memcpy(buf + have, b.data, b.len + 1);
		rc = 0;
	}
	buf_free(&b);
	return rc;
}

int
toml_is_bare_key(const char *s)
{
	return toml_bare(s, strlen(s));
}
