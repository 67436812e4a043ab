/*
 * seed_yaml_write.c — JSON as the YAML that seed_yaml_parse() reads back,
 * and seed files: write, read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ouroboros/seed_yaml.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/xalloc.h"

/* s[0..n) double-quoted, with JSON's escapes. */
static void
seed_yaml_w_string(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			buf_adds(b, "\\\"");
			break;
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		case '\t':
			buf_adds(b, "\\t");
			break;
		case '\r':
			buf_adds(b, "\\r");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(b, "\\u%04x", c);
			else
				buf_addc(b, (char)c);
		}
	}
	buf_addc(b, '"');
}

/* A key: plain when it is a simple word, else quoted. */
static void
seed_yaml_w_key(struct buf *b, const char *k, size_t n)
{
	size_t i;
	int plain = n > 0 &&
	    ((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z') ||
		k[0] == '_');

	for (i = 0; plain && i < n; i++)
		plain = (k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_' || k[i] == '-';
	if (plain)
		buf_add(b, k, n);
	else
		seed_yaml_w_string(b, k, n);
	buf_addc(b, ':');
}

/* Whether v fits on the line of its key or dash. */
static int
seed_yaml_w_inline(const json_t *v)
{
	return !(json_is_object(v) && json_object_size(v) > 0) &&
	    !(json_is_array(v) && json_array_size(v) > 0);
}

static void
seed_yaml_w_scalar(struct buf *b, const json_t *v)
{
	char num[40];

	switch (json_typeof(v)) {
	case JSON_STRING:
		seed_yaml_w_string(b, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		/* The shortest form that reads back the same. */
		snprintf(num, sizeof num, "%.15g", json_real_value(v));
		if (strtod(num, NULL) != json_real_value(v))
			snprintf(num, sizeof num, "%.17g", json_real_value(v));
		/* A real must not read back as an integer. */
		if (strpbrk(num, ".eEn") == NULL)
			strcat(num, ".0");
		buf_adds(b, num);
		break;
	case JSON_TRUE:
		buf_adds(b, "true");
		break;
	case JSON_FALSE:
		buf_adds(b, "false");
		break;
	case JSON_OBJECT:
		buf_adds(b, "{}");
		break;
	case JSON_ARRAY:
		buf_adds(b, "[]");
		break;
	default:
		buf_adds(b, "null");
		break;
	}
}

static void seed_yaml_w_block(struct buf *, const json_t *, int, int);

/* After "key:" or "-": the value on the line, or below it. */
static void
seed_yaml_w_after(struct buf *b, const json_t *v, int indent)
{
	if (seed_yaml_w_inline(v)) {
		buf_addc(b, ' ');
		seed_yaml_w_scalar(b, v);
		buf_addc(b, '\n');
	} else {
		buf_addc(b, '\n');
		seed_yaml_w_block(b, v, indent + 2, 0);
	}
}

/*
 * A non-empty collection at `indent`; `hanging`: its first line goes
 * after a dash already written ("- key: v").
 */
static void
seed_yaml_w_block(struct buf *b, const json_t *v, int indent, int hanging)
{
	const char *key;
	const json_t *x;
	size_t i;

	if (json_is_object(v)) {
		i = 0;
		json_object_foreach((json_t *)v, key, x) {
			if (i++ > 0 || !hanging)
				buf_printf(b, "%*s", indent, "");
			seed_yaml_w_key(b, key, strlen(key));
			seed_yaml_w_after(b, x, indent);
		}
		return;
	}
	json_array_foreach(v, i, x) {
		if (i > 0 || !hanging)
			buf_printf(b, "%*s", indent, "");
		buf_addc(b, '-');
		if (json_is_object(x) && !seed_yaml_w_inline(x)) {
			buf_addc(b, ' ');
			seed_yaml_w_block(b, x, indent + 2, 1);
		} else
			seed_yaml_w_after(b, x, indent);
	}
}

char *
seed_yaml_emit(const json_t *v)
{
	struct buf b;

	buf_init(&b, BUF_NOCAP);
	if (seed_yaml_w_inline(v)) {
		seed_yaml_w_scalar(&b, v);
		buf_addc(&b, '\n');
	} else
		seed_yaml_w_block(&b, v, 0, 0);
	return buf_detach(&b);
}

char *
seed_yaml_text(const struct seed *s)
{
	json_t *v = seed_to_json(s);
	char *body = seed_yaml_emit(v), *text;

	xasprintf(&text,
	    "# Oxios seed %s, generation %d of root %s.\n"
	    "# A seed is frozen: editing this file changes no stored seed.\n"
	    "%s",
	    s->id, s->generation, s->root_id, body);
	free(body);
	json_decref(v);
	return text;
}

int
seed_yaml_to_seed(const char *text, size_t len, struct seed **out, char **cause)
{
	json_t *v;
	int rc;

	*out = NULL;
	if (seed_yaml_parse(text, len, &v, cause) != 0)
		return -1;
	rc = seed_from_json(v, out, cause);
	json_decref(v);
	return rc;
}

int
seed_yaml_write(const struct seed *s, const char *seeds_dir, char **path,
    char **cause)
{
	char *dir = NULL, *file = NULL, *text = NULL;
	int rc = -1;

	if (path != NULL)
		*path = NULL;
	xasprintf(&dir, "%s/%s", seeds_dir, s->root_id);
	xasprintf(&file, "%s/gen-%d.yaml", dir, s->generation);
	if (file_mkdirs(dir, 0700, cause) != 0)
		goto out;
	text = seed_yaml_text(s);
	if (file_write_atomic(file, text, strlen(text), 0600, cause) != 0)
		goto out;
	if (path != NULL) {
		*path = file;
		file = NULL;
	}
	rc = 0;
out:
	free(dir);
	free(file);
	free(text);
	return rc;
}

int
seed_yaml_read(const char *path, struct seed **out, char **cause)
{
	char *text = NULL, *why = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (file_read(path, SEED_YAML_MAX, &text, &len, cause) != 0)
		return -1;
	if ((rc = seed_yaml_to_seed(text, len, out, &why)) != 0) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
	}
	free(text);
	return rc;
}
