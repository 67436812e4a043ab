/*
 * edit.c — change config.toml in place.  The file is edited as text, at
 * the byte spans toml_parse() reports, so comments, order and layout stay
 * as the user wrote them; the result is parsed and validated whole before
 * it atomically replaces the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/toml.h"
#include "util/xalloc.h"

#define CONFIG_MODE 0600

/* Read the file; a missing one reads as the template. */
static int
config_edit_read(const char *path, char **text, size_t *len, char **cause)
{
	char *why = NULL;

	if (config_file_read(path, text, len, &why) == 0)
		return 0;
	if (errno != ENOENT) {
		*cause = why;
		return -1;
	}
	free(why);
	*text = config_template();
	*len = strlen(*text);
	return 0;
}

/* Parse and check `text`; on success write it to `path`. */
static int
config_edit_commit(const char *path, const char *text, size_t len, char **cause)
{
	struct config *cfg;
	char *why = NULL;

	if (config_load_text(path, text, len, &cfg, &why) != 0) {
		xasprintf(cause, "%s (%s is left as it was)", why, path);
		free(why);
		return -1;
	}
	config_free(cfg);
	return file_write_atomic(path, text, len, CONFIG_MODE, cause);
}

/* Locations of `text` (a config that parses).  New reference or NULL. */
static json_t *
config_edit_pos(const char *path, const char *text, size_t len, char **cause)
{
	struct toml_error err;
	json_t *root = NULL, *pos = NULL;

	if (toml_parse(text, len, 0, &root, &pos, &err) != 0) {
		xasprintf(cause, "%s:%d:%d: %s", path, err.line, err.col,
		    err.msg);
		return NULL;
	}
	json_decref(root);
	return pos;
}

/* "mcp.servers.fs.command" -> table "mcp.servers.fs", leaf "command". */
static void
config_edit_split(const char *key, char **table, char **leaf)
{
	const char *p = key, *last = key;
	size_t n;

	for (;;) {
		n = config_segment_len(p);
		if (p[n] != '.')
			break;
		p += n + 1;
		last = p;
	}
	*table =
	    last == key ? xstrdup("") : xstrndup(key, (size_t)(last - key - 1));
	*leaf = xstrdup(last);
}

int
config_set(const char *path, const char *key, const char *input, char **cause)
{
	const struct config_key *k;
	struct buf out;
	json_t *v = NULL, *pos = NULL, *loc;
	char *text = NULL, *lit = NULL, *table = NULL, *leaf = NULL;
	size_t len, start, end;
	int rc = -1;

	buf_init(&out, CONFIG_MAX_FILE);
	if ((k = config_schema_find(key)) == NULL) {
		xasprintf(cause, "unknown key '%s' (see: oxios config schema)",
		    key);
		goto out;
	}
	if ((v = config_parse_input(k, key, input, cause)) == NULL)
		goto out;
	lit = toml_format_value(v);
	if (config_edit_read(path, &text, &len, cause) != 0)
		goto out;
	if ((pos = config_edit_pos(path, text, len, cause)) == NULL)
		goto out;

	config_edit_split(key, &table, &leaf);
	if (json_is_array(loc = json_object_get(pos, key))) {
		/* The key is there: replace its value's text. */
		start = (size_t)json_integer_value(json_array_get(loc, 2));
		end = (size_t)json_integer_value(json_array_get(loc, 3));
		buf_add(&out, text, start);
		buf_adds(&out, lit);
		buf_add(&out, text + end, len - end);
	} else if (json_is_array(loc = json_object_get(pos, table))) {
		/* Its [table] is there: add the key at the section's end. */
		end = (size_t)json_integer_value(json_array_get(loc, 3));
		buf_add(&out, text, end);
		buf_printf(&out, "\n%s = %s", leaf, lit);
		if (end == len)
			buf_addc(&out, '\n');
		buf_add(&out, text + end, len - end);
	} else {
		/* A new section at the end of the file. */
		buf_add(&out, text, len);
		if (len > 0 && text[len - 1] != '\n')
			buf_addc(&out, '\n');
		buf_printf(&out, "\n[%s]\n%s = %s\n", table, leaf, lit);
	}
	if (out.len >= CONFIG_MAX_FILE) {
		xasprintf(cause, "%s: would grow past %d bytes", path,
		    CONFIG_MAX_FILE);
		goto out;
	}
	rc = config_edit_commit(path, buf_str(&out), out.len, cause);
out:
	buf_free(&out);
	json_decref(v);
	json_decref(pos);
	free(text);
	free(lit);
	free(table);
	free(leaf);
	return rc;
}

/* Byte offset of 1-based line:col (col in UTF-8 characters). */
static size_t
config_edit_offset(const char *text, size_t len, int line, int col)
{
	size_t i = 0;
	int l = 1, c = 1;

	/* Columns do not count a leading byte-order mark. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && l < line) {
		if (text[i++] == '\n')
			l++;
	}
	while (i < len && c < col && text[i] != '\n') {
		i++;
		while (i < len && ((unsigned char)text[i] & 0xc0) == 0x80)
			i++;
		c++;
	}
	return i;
}

int
config_unset(const char *path, const char *key, char **cause)
{
	json_t *pos = NULL, *loc;
	char *text = NULL;
	size_t len, keyoff, bol, eol, end, i, bom;
	struct buf out;
	int rc = -1;

	buf_init(&out, CONFIG_MAX_FILE);
	if (config_schema_find(key) == NULL) {
		xasprintf(cause, "unknown key '%s' (see: oxios config schema)",
		    key);
		goto out;
	}
	if (config_edit_read(path, &text, &len, cause) != 0)
		goto out;
	if ((pos = config_edit_pos(path, text, len, cause)) == NULL)
		goto out;
	if (!json_is_array(loc = json_object_get(pos, key))) {
		rc = 0; /* not in the file: it has its default already */
		goto out;
	}
	keyoff = config_edit_offset(text, len,
	    (int)json_integer_value(json_array_get(loc, 0)),
	    (int)json_integer_value(json_array_get(loc, 1)));
	end = (size_t)json_integer_value(json_array_get(loc, 3));
	bom = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	for (bol = keyoff; bol > bom && text[bol - 1] != '\n'; bol--)
		;
	for (i = bol; i < keyoff; i++) {
		if (text[i] != ' ' && text[i] != '\t')
			break;
	}
	/* The key must be alone on its line(s): key = value [# comment]. */
	for (eol = end; eol < len && (text[eol] == ' ' || text[eol] == '\t');
	     eol++)
		;
	if (i != keyoff ||
	    (eol < len && text[eol] != '\n' && text[eol] != '\r' &&
		text[eol] != '#')) {
		xasprintf(cause,
		    "%s: '%s' shares its line with other keys; "
		    "edit it by hand",
		    path, key);
		goto out;
	}
	while (eol < len && text[eol] != '\n')
		eol++;
	if (eol < len)
		eol++;
	buf_add(&out, text, bol);
	buf_add(&out, text + eol, len - eol);
	rc = config_edit_commit(path, buf_str(&out), out.len, cause);
out:
	buf_free(&out);
	json_decref(pos);
	free(text);
	return rc;
}

int
config_reset(const char *path, char **backup, char **cause)
{
	char *text = NULL, *old = NULL, *why = NULL, *bak = NULL;
	size_t len;
	int rc = -1;

	*backup = NULL;
	if (config_file_read(path, &old, &len, &why) == 0) {
		xasprintf(&bak, "%s.bak", path);
		if (file_write_atomic(bak, old, len, CONFIG_MODE, cause) != 0)
			goto out;
	} else if (errno != ENOENT) {
		*cause = why;
		why = NULL;
		goto out;
	}
	text = config_template();
	if (file_write_atomic(path, text, strlen(text), CONFIG_MODE, cause) !=
	    0)
		goto out;
	*backup = bak;
	bak = NULL;
	rc = 0;
out:
	free(why);
	free(old);
	free(bak);
	free(text);
	return rc;
}

char *
config_template(void)
{
	const struct config_key *k;
	struct buf b;
	size_t i, seclen, prevlen = 0;
	const char *prev = "", *dot;

	buf_init(&b, BUF_NOCAP);
	buf_adds(&b,
	    "# Oxios configuration.  Every key is listed with its default;\n"
	    "# uncomment a line to change it, or use `oxios config set`.\n"
	    "# Reference: docs/config.md, or `oxios config schema`.\n"
	    "# Secrets are better kept in the environment "
	    "(ANTHROPIC_API_KEY, ...).\n");
	for (i = 0; i < config_schema_len; i++) {
		k = &config_schema[i];
		dot = strrchr(k->key, '.');
		seclen = (size_t)(dot - k->key);
		if (seclen != prevlen || strncmp(prev, k->key, seclen) != 0) {
			buf_printf(&b, "\n# [%.*s]\n", (int)seclen, k->key);
			prev = k->key;
			prevlen = seclen;
		}
		buf_printf(&b, "# %s%s",
		    k->flags & CK_PLANNED ? "Not yet enforced (planned): " : "",
		    k->doc);
		if (k->env != NULL)
			buf_printf(&b, " (environment: %s)", k->env);
		buf_printf(&b, "\n# %s = %s\n", dot + 1,
		    k->def != NULL ? k->def : "\"\"");
	}
	return buf_detach(&b);
}
