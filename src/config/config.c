/*
 * config.c — load config.toml, check it against the schema, apply
 * defaults and the environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/json.h"
#include "util/toml.h"
#include "util/xalloc.h"

#define CONFIG_PATH_MAX 1024

struct config_walk {
	const char *name; /* file name for messages */
	json_t *pos;      /* locations from toml_parse() */
	struct config *cfg;
	char **cause;
};

static int
config_choice_ok(const char *choices, const char *s)
{
	size_t n = strlen(s), len;

	for (;;) {
		len = strcspn(choices, "|");
		if (len == n && strncmp(choices, s, n) == 0)
			return 1;
		if (choices[len] == '\0')
			return 0;
		choices += len + 1;
	}
}

static int
config_all(const json_t *v, int (*pred)(const json_t *))
{
	const json_t *e;
	const char *key;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (!pred(e))
				return 0;
		}
		return 1;
	}
	json_object_foreach((json_t *)v, key, e) {
		if (!pred(e))
			return 0;
	}
	return 1;
}

static int
config_is_string(const json_t *v)
{
	return json_is_string(v);
}

static int
config_is_integer(const json_t *v)
{
	return json_is_integer(v);
}

/*
 * Check `v` against `k`: type, range, choices.  Returns 0, or -1 with
 * *why (caller frees) saying what is wrong, without the key.
 */
static int
config_check(const struct config_key *k, const json_t *v, char **why)
{
	int ok;
	double d;

	switch (k->type) {
	case CT_STRING:
		ok = json_is_string(v);
		break;
	case CT_INT:
		ok = json_is_integer(v);
		break;
	case CT_FLOAT:
		ok = json_is_number(v);
		break;
	case CT_BOOL:
		ok = json_is_boolean(v);
		break;
	case CT_STRINGS:
		ok = json_is_array(v) && config_all(v, config_is_string);
		break;
	case CT_INTS:
		ok = json_is_array(v) && config_all(v, config_is_integer);
		break;
	case CT_STRMAP:
		ok = json_is_object(v) && config_all(v, config_is_string);
		break;
	default:
		ok = 0;
		break;
	}
	if (!ok) {
		xasprintf(why, "expected %s, got %s", config_type_name(k->type),
		    oxjson_type_name(v));
		return -1;
	}
	if (json_is_number(v) && k->min <= k->max) {
		d = json_number_value(v);
		if (d < k->min || d > k->max) {
			char *text = toml_format_value(v);

			xasprintf(why, "%s is out of range %.15g..%.15g", text,
			    k->min, k->max);
			free(text);
			return -1;
		}
	}
	if (json_is_string(v) && k->choices != NULL &&
	    !config_choice_ok(k->choices, json_string_value(v))) {
		xasprintf(why, "\"%s\" is not one of %s", json_string_value(v),
		    k->choices);
		return -1;
	}
	return config_format_check(k, v, why);
}

/* A float key given an integer keeps a float.  New reference. */
static json_t *
config_coerce(const struct config_key *k, json_t *v)
{
	if (k->type == CT_FLOAT && json_is_integer(v))
		return json_real((double)json_integer_value(v));
	return json_deep_copy(v);
}

/* "file:line:col" of `path`, or just "file" when it has no location. */
static char *
config_where(const struct config_walk *w, const char *path)
{
	json_t *loc = json_object_get(w->pos, path);
	char *s;

	if (json_is_array(loc))
		xasprintf(&s, "%s:%d:%d", w->name,
		    (int)json_integer_value(json_array_get(loc, 0)),
		    (int)json_integer_value(json_array_get(loc, 1)));
	else
		s = xstrdup(w->name);
	return s;
}

static int
config_walk_table(struct config_walk *w, json_t *table, char *path, size_t size)
{
	const struct config_key *k;
	const char *key;
	json_t *v;
	size_t len = strlen(path);
	char *where, *why = NULL;

	json_object_foreach(table, key, v) {
		path[len] = '\0';
		if (toml_path_append(path, size, key) != 0) {
			xasprintf(w->cause, "%s: key path too long", w->name);
			return -1;
		}
		if ((k = config_schema_find(path)) != NULL) {
			if (config_check(k, v, &why) != 0) {
				where = config_where(w, path);
				xasprintf(w->cause, "%s: %s: %s", where, path,
				    why);
				free(where);
				free(why);
				return -1;
			}
			json_object_set_new(w->cfg->values, path,
			    config_coerce(k, v));
			json_object_set_new(w->cfg->sources, path,
			    json_string("file"));
			if (k->flags & CK_PLANNED) {
				where = config_where(w, path);
				json_array_append_new(w->cfg->warnings,
				    json_sprintf("%s: %s " CONFIG_PLANNED_NOTE,
					where, path));
				free(where);
			}
		} else if (config_schema_is_table(path)) {
			if (!json_is_object(v)) {
				where = config_where(w, path);
				xasprintf(w->cause,
				    "%s: %s: expected a table, got %s", where,
				    path, oxjson_type_name(v));
				free(where);
				return -1;
			}
			if (config_walk_table(w, v, path, size) != 0)
				return -1;
		} else {
			where = config_where(w, path);
			json_array_append_new(w->cfg->warnings,
			    json_sprintf("%s: unknown key '%s' (ignored)",
				where, path));
			free(where);
		}
	}
	path[len] = '\0';
	return 0;
}

/* Deprecated keys read as their new name when that one is not set. */
static const struct {
	const char *old, *new;
} config_aliases[] = {
	{ "orchestrator.max_generations", "ouroboros.max_generations" },
	{ "orchestrator.ambiguity_threshold", "ouroboros.ambiguity_threshold" },
	{ "orchestrator.interview", "ouroboros.interview" },
};

/* One warning per deprecated key set; its value moves to the new key
 * unless that one was set too. */
static void
config_alias(struct config *cfg)
{
	const char *src, *nsrc;
	size_t i;

	for (i = 0; i < sizeof config_aliases / sizeof config_aliases[0]; i++) {
		src = json_string_value(
		    json_object_get(cfg->sources, config_aliases[i].old));
		if (src == NULL || strcmp(src, "default") == 0)
			continue;
		nsrc = json_string_value(
		    json_object_get(cfg->sources, config_aliases[i].new));
		json_array_append_new(cfg->warnings,
		    json_sprintf("%s is deprecated: use %s%s",
			config_aliases[i].old, config_aliases[i].new,
			nsrc == NULL || strcmp(nsrc, "default") == 0 ?
			    "" :
			    " (set too; it wins)"));
		if (nsrc != NULL && strcmp(nsrc, "default") != 0)
			continue;
		json_object_set(cfg->values, config_aliases[i].new,
		    json_object_get(cfg->values, config_aliases[i].old));
		json_object_set_new(cfg->sources, config_aliases[i].new,
		    json_string(src));
	}
}

/* Parse a TOML literal (the default of a key, or user input). */
static json_t *
config_parse_literal(const char *text, char **cause)
{
	struct toml_error err;
	json_t *root = NULL, *v = NULL;
	char *doc;

	xasprintf(&doc, "v = %s\n", text);
	if (toml_parse(doc, strlen(doc), 0, &root, NULL, &err) != 0)
		xasprintf(cause, "not a valid value (%s)", err.msg);
	else if (json_object_size(root) != 1 ||
	    (v = json_object_get(root, "v")) == NULL)
		xasprintf(cause, "not a single value");
	else
		json_incref(v);
	json_decref(root);
	free(doc);
	return v;
}

/*
 * Defaults of wildcard keys ("mcp.servers.*.enabled") for each instance
 * the file defines ("mcp.servers.fs"), unless that instance is one the
 * schema names itself (providers.anthropic).
 */
static void
config_wild_defaults(struct config *cfg, const struct config_key *k)
{
	const char *star = strstr(k->key, "*"), *key, *leaf;
	size_t plen = (size_t)(star - k->key), seg;
	json_t *v, *dv, *src;
	char *inst, *full, *why = NULL;
	size_t i;
	int named;

	json_object_foreach(cfg->sources, key, src) {
		if (strcmp(json_string_value(src), "file") != 0 ||
		    strncmp(key, k->key, plen) != 0)
			continue;
		seg = config_segment_len(key + plen);
		if (key[plen + seg] != '.')
			continue;
		inst = xstrndup(key, plen + seg);
		named = 0;
		for (i = 0; i < config_schema_len; i++) {
			if (strchr(config_schema[i].key, '*') == NULL &&
			    strncmp(config_schema[i].key, inst, strlen(inst)) ==
				0 &&
			    config_schema[i].key[strlen(inst)] == '.')
				named = 1;
		}
		leaf = star + 1;
		xasprintf(&full, "%s%s", inst, leaf);
		if (!named && json_object_get(cfg->values, full) == NULL &&
		    (dv = config_parse_literal(k->def, &why)) != NULL) {
			v = config_coerce(k, dv);
			json_decref(dv);
			json_object_set_new(cfg->values, full, v);
			json_object_set_new(cfg->sources, full,
			    json_string("default"));
		}
		free(why);
		why = NULL;
		free(full);
		free(inst);
	}
}

static int
config_defaults_env(struct config *cfg, char **cause)
{
	const struct config_key *k;
	const char *env, *src;
	json_t *v, *dv;
	char *why = NULL;
	size_t i;

	for (i = 0; i < config_schema_len; i++) {
		k = &config_schema[i];
		if (k->def == NULL)
			continue;
		if (strchr(k->key, '*') != NULL) {
			config_wild_defaults(cfg, k);
			continue;
		}
		if (json_object_get(cfg->values, k->key) != NULL)
			continue;
		if ((dv = config_parse_literal(k->def, &why)) == NULL) {
			xasprintf(cause, "schema: %s: bad default: %s", k->key,
			    why);
			free(why);
			return -1;
		}
		v = config_coerce(k, dv);
		json_decref(dv);
		json_object_set_new(cfg->values, k->key, v);
		json_object_set_new(cfg->sources, k->key,
		    json_string("default"));
	}
	for (i = 0; i < config_schema_len; i++) {
		k = &config_schema[i];
		if (k->env == NULL || (env = getenv(k->env)) == NULL ||
		    *env == '\0')
			continue;
		if ((v = config_parse_input(k, k->key, env, &why)) == NULL) {
			xasprintf(cause, "environment variable %s: %s", k->env,
			    why);
			free(why);
			return -1;
		}
		/* One warning per key: the file's line has said it already. */
		src = json_string_value(json_object_get(cfg->sources, k->key));
		if ((k->flags & CK_PLANNED) &&
		    (src == NULL || strcmp(src, "file") != 0))
			json_array_append_new(cfg->warnings,
			    json_sprintf(
				"environment variable %s: %s " CONFIG_PLANNED_NOTE,
				k->env, k->key));
		json_object_set_new(cfg->values, k->key, v);
		json_object_set_new(cfg->sources, k->key,
		    json_sprintf("env:%s", k->env));
	}
	return 0;
}

/* Order values (and sources) as the schema lists their keys. */
static void
config_sort(struct config *cfg)
{
	json_t *values = json_object(), *sources = json_object(), *v;
	const char *key;
	size_t i;

	for (i = 0; i < config_schema_len; i++) {
		json_object_foreach(cfg->values, key, v) {
			if (config_schema_find(key) != &config_schema[i])
				continue;
			json_object_set(values, key, v);
			json_object_set(sources, key,
			    json_object_get(cfg->sources, key));
		}
	}
	json_decref(cfg->values);
	json_decref(cfg->sources);
	cfg->values = values;
	cfg->sources = sources;
}

int
config_load_text(const char *name, const char *text, size_t len,
    struct config **out, char **cause)
{
	struct config *cfg;
	struct config_walk w;
	struct toml_error err;
	json_t *root = NULL, *pos = NULL;
	char path[CONFIG_PATH_MAX] = "";
	int rc = -1;

	*out = NULL;
	cfg = xcalloc(1, sizeof *cfg);
	cfg->path = xstrdup(name);
	cfg->values = json_object();
	cfg->sources = json_object();
	cfg->warnings = json_array();
	if (text != NULL) {
		cfg->exists = 1;
		if (len > CONFIG_MAX_FILE) {
			xasprintf(cause, "%s: larger than %d bytes", name,
			    CONFIG_MAX_FILE);
			goto out;
		}
		if (toml_parse(text, len, 0, &root, &pos, &err) != 0) {
			if (err.line > 0)
				xasprintf(cause, "%s:%d:%d: %s", name, err.line,
				    err.col, err.msg);
			else
				xasprintf(cause, "%s: %s", name, err.msg);
			goto out;
		}
		w.name = name;
		w.pos = pos;
		w.cfg = cfg;
		w.cause = cause;
		if (config_walk_table(&w, root, path, sizeof path) != 0)
			goto out;
	}
	if (config_defaults_env(cfg, cause) != 0 ||
	    config_check_whole(cfg, name, pos, cause) != 0)
		goto out;
	config_alias(cfg);
	config_sort(cfg);
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	json_decref(root);
	json_decref(pos);
	config_free(cfg);
	return rc;
}

/* What a file that is not regular is, for messages. */
static const char *
config_file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a regular file";
}

static int
config_file_refuse(const char *path, const struct stat *st, char **cause)
{
	if (!S_ISREG(st->st_mode)) {
		xasprintf(cause,
		    "%s: is %s; the configuration must be a regular file", path,
		    config_file_kind(st->st_mode));
		errno = EINVAL;
		return -1;
	}
	if (st->st_size > CONFIG_MAX_FILE) {
		xasprintf(cause, "%s: larger than %d bytes", path,
		    CONFIG_MAX_FILE);
		errno = EFBIG;
		return -1;
	}
	return 0;
}

int
config_file_read(const char *path, char **text, size_t *len, char **cause)
{
	struct stat st;
	char *why = NULL;
	int fd = -1, saved, rc = -1;

	*text = NULL;
	*len = 0;
	/* stat() first: opening a FIFO or a device could block or act. */
	if (stat(path, &st) != 0) {
		saved = errno;
		xasprintf(cause, "%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (config_file_refuse(path, &st, cause) != 0)
		return -1;
	/* O_NONBLOCK and fstat() again: it may have been swapped since. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) ==
	    -1) {
		saved = errno;
		xasprintf(cause, "%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		saved = errno;
		xasprintf(cause, "%s: %s", path, strerror(saved));
		goto out;
	}
	if (config_file_refuse(path, &st, cause) != 0) {
		saved = errno;
		goto out;
	}
	if (file_read_fd(fd, CONFIG_MAX_FILE, text, len, &why) != 0) {
		saved = errno;
		xasprintf(cause, "%s: %s", path, why);
		free(why);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	if (rc != 0)
		errno = saved;
	return rc;
}

int
config_load(const char *path, struct config **out, char **cause)
{
	char *text = NULL, *why = NULL;
	size_t len = 0;
	int rc;

	if (config_file_read(path, &text, &len, &why) != 0) {
		if (errno != ENOENT) {
			*out = NULL;
			*cause = why;
			return -1;
		}
		free(why);
		text = NULL;
	}
	rc = config_load_text(path, text, len, out, cause);
	free(text);
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	json_decref(cfg->values);
	json_decref(cfg->sources);
	json_decref(cfg->warnings);
	free(cfg);
}

json_t *
config_get(const struct config *cfg, const char *key)
{
	return json_object_get(cfg->values, key);
}

const char *
config_str(const struct config *cfg, const char *key)
{
	return json_string_value(config_get(cfg, key));
}

long long
config_int(const struct config *cfg, const char *key)
{
	return json_integer_value(config_get(cfg, key));
}

double
config_float(const struct config *cfg, const char *key)
{
	return json_number_value(config_get(cfg, key));
}

int
config_bool(const struct config *cfg, const char *key)
{
	return json_is_true(config_get(cfg, key));
}

char *
config_show_value(const struct config_key *k, const json_t *v)
{
	if (k != NULL && (k->flags & CK_SECRET))
		return xstrdup(CONFIG_REDACTED);
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return toml_format_value(v);
}

/* Split a path into unquoted segments.  New array of strings. */
static json_t *
config_path_split(const char *path)
{
	json_t *segs = json_array(), *s;
	size_t n;

	for (;;) {
		n = config_segment_len(path);
		if (path[0] == '"' &&
		    (s = json_loadb(path, n, JSON_DECODE_ANY, NULL)) != NULL &&
		    json_is_string(s))
			json_array_append_new(segs, s);
		else {
			if (path[0] == '"')
				json_decref(s);
			json_array_append_new(segs, json_stringn(path, n));
		}
		if (path[n] != '.')
			break;
		path += n + 1;
	}
	return segs;
}

json_t *
config_tree(const struct config *cfg)
{
	json_t *root = json_object(), *segs, *t, *child, *v;
	const struct config_key *k;
	const char *key;
	size_t i, n;

	json_object_foreach(cfg->values, key, v) {
		k = config_schema_find(key);
		segs = config_path_split(key);
		n = json_array_size(segs);
		t = root;
		for (i = 0; i + 1 < n; i++) {
			const char *seg =
			    json_string_value(json_array_get(segs, i));

			if ((child = json_object_get(t, seg)) == NULL) {
				child = json_object();
				json_object_set_new(t, seg, child);
			}
			t = child;
		}
		json_object_set_new(t,
		    json_string_value(json_array_get(segs, n - 1)),
		    k != NULL && (k->flags & CK_SECRET) ?
			json_string(CONFIG_REDACTED) :
			json_deep_copy(v));
		json_decref(segs);
	}
	return root;
}

/* "a, b ,c" -> ["a","b","c"]; integers when `ints`. */
static json_t *
config_split_list(const char *input, int ints, char **cause)
{
	json_t *arr = json_array(), *e;
	const char *s = input, *end;
	char *item, *why = NULL;
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, ",");
		end = s + n;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		item = xstrndup(s, (size_t)(end - s));
		if (ints)
			e = config_parse_literal(item, &why);
		else
			e = json_string(item);
		if (e == NULL) {
			xasprintf(cause, "list item '%s': %s", item,
			    why != NULL ? why : "not valid UTF-8");
			free(why);
			free(item);
			json_decref(arr);
			return NULL;
		}
		free(item);
		json_array_append_new(arr, e);
		s += n;
		if (*s == ',')
			s++;
	}
	return arr;
}

/* What the user typed, fit for a one-line message.  Caller frees. */
static char *
config_quote_input(const char *input)
{
	const unsigned char *p;
	json_t *s;
	char *out;

	for (p = (const unsigned char *)input; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\'')
			break;
	}
	if (*p == '\0') {
		xasprintf(&out, "'%s'", input);
		return out;
	}
	if ((s = json_string(input)) == NULL)
		return xstrdup("(text that is not UTF-8)");
	out = toml_format_value(s);
	json_decref(s);
	return out;
}

json_t *
config_parse_input(const struct config_key *k, const char *key,
    const char *input, char **cause)
{
	json_t *v = NULL, *c;
	char *why = NULL;

	switch (k->type) {
	case CT_STRING:
		if (input[0] == '"' || input[0] == '\'')
			v = config_parse_literal(input, &why);
		else if ((v = json_string(input)) == NULL)
			why = xstrdup("not valid UTF-8");
		break;
	case CT_STRINGS:
	case CT_INTS:
		if (input[0] == '[')
			v = config_parse_literal(input, &why);
		else
			v = config_split_list(input, k->type == CT_INTS, &why);
		break;
	default:
		if ((v = config_parse_literal(input, &why)) == NULL) {
			char *q = config_quote_input(input);

			free(why);
			xasprintf(&why, "expected %s, got %s",
			    config_type_name(k->type), q);
			free(q);
		}
		break;
	}
	if (v == NULL) {
		xasprintf(cause, "%s: %s", key, why);
		free(why);
		return NULL;
	}
	if (config_check(k, v, &why) != 0) {
		xasprintf(cause, "%s: %s", key, why);
		free(why);
		json_decref(v);
		return NULL;
	}
	c = config_coerce(k, v);
	json_decref(v);
	return c;
}
