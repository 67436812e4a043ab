/*
 * registry.c — the tool registry and its one dispatch point (see
 * registry.h).
 *
 * The compiled schemas are made once per process (pthread_once) and then
 * only read, by any thread.  A registry belongs to the run that made it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agent/registry.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/log.h"
#include "util/xalloc.h"

#define REGISTRY_MAX 128 /* rows offered to one run */

const struct tool_def registry_hands[] = {
	{
	    .name = "read",
	    .where = TOOL_HANDS,
	    .flags = 0,
	    .description =
		"Read a text file of the workspace. Shows numbered lines "
		"(like cat -n): from line `offset` (default 1), at most "
		"`limit` lines (default 2000). Long lines are cut; binary "
		"files are refused.",
	    .schema = "read",
	    .schema_shell = NULL,
	},
	{
	    .name = "write",
	    .where = TOOL_HANDS,
	    .flags = TOOL_EFFECT,
	    .description =
		"Create or replace a file of the workspace with `content`, "
		"creating missing parent directories. The file is replaced "
		"atomically.",
	    .schema = "write",
	    .schema_shell = NULL,
	},
	{
	    .name = "edit",
	    .where = TOOL_HANDS,
	    .flags = TOOL_EFFECT,
	    .description =
		"Replace text in a file: `old_text` must occur exactly once "
		"(include enough surrounding lines to make it unique) "
		"unless `replace_all` is true. Whitespace and indentation "
		"must match exactly.",
	    .schema = "edit",
	    .schema_shell = NULL,
	},
	{
	    .name = "ls",
	    .where = TOOL_HANDS,
	    .flags = 0,
	    .description =
		"List a directory of the workspace: directories end with "
		"'/', symbolic links show their target, files their size in "
		"bytes.",
	    .schema = "ls",
	    .schema_shell = NULL,
	},
	{
	    .name = "find",
	    .where = TOOL_HANDS,
	    .flags = 0,
	    .description =
		"Find files and directories by glob. A pattern without '/' "
		"matches names at any depth ('*.c'); one with '/' matches "
		"the path below `path`, '**' standing for any number of "
		"directories ('src/**/*.h'). Symbolic links are not "
		"followed; .git is skipped. Prints paths relative to the "
		"workspace.",
	    .schema = "find",
	    .schema_shell = NULL,
	},
	{
	    .name = "grep",
	    .where = TOOL_HANDS,
	    .flags = 0,
	    .description =
		"Search file contents with a POSIX extended regular "
		"expression (matched in linear time: no backreferences). "
		"Prints path:line:text for each matching line, and "
		"path-line-text for context lines. Binary files, files over "
		"16 MiB and .git are skipped.",
	    .schema = "grep",
	    .schema_shell = NULL,
	},
	{
	    .name = "exec",
	    .where = TOOL_HANDS,
	    .flags = TOOL_EXEC | TOOL_EFFECT,
	    .description =
		"Run a program in the workspace without a shell: `binary` "
		"names an allowed program, `args` are its arguments, which "
		"may not hold shell metacharacters (; | & ` $ < > or a line "
		"break). Its output (stdout and stderr together) is cut at "
		"the policy's size, and at its timeout it is killed with "
		"everything it started. A non-zero exit is an error that "
		"carries the output.",
	    .schema = "exec",
	    .schema_shell = "exec_shell",
	},
	{ .name = NULL },
};

struct registry_row {
	const struct tool_def *def;
	void *ctx;          /* brain: the owner's; hands: the struct hands */
	const char *schema; /* the schema in force (shell mode or not) */
	char *description;  /* as offered (exec: with its programs) */
};

struct registry {
	struct registry_row rows[REGISTRY_MAX];
	size_t n;
	struct registry_guard guard; /* check NULL: none */
};

/* The compiled schemas, parallel to tool_schema_srcs[]. */
static struct jsonschema **registry_compiled;
static char *registry_error; /* why they could not be compiled */
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static void
registry_compile(void)
{
	size_t n, i;
	json_error_t jerr;
	json_t *doc;
	char *cause = NULL;

	for (n = 0; tool_schema_srcs[n].name != NULL; n++)
		;
	registry_compiled = xcalloc(n + 1, sizeof *registry_compiled);
	for (i = 0; i < n; i++) {
		if ((doc = json_loads(tool_schema_srcs[i].text, 0, &jerr)) ==
		    NULL) {
			xasprintf(&registry_error, "schema %s: %s",
			    tool_schema_srcs[i].name, jerr.text);
			return;
		}
		registry_compiled[i] = jsonschema_compile(doc, &cause);
		json_decref(doc); /* the compiled schema keeps its own */
		if (registry_compiled[i] == NULL) {
			xasprintf(&registry_error, "schema %s: %s",
			    tool_schema_srcs[i].name, cause);
			free(cause);
			return;
		}
	}
}

int
registry_schemas_check(char **cause)
{
	pthread_once(&registry_once, registry_compile);
	if (registry_error != NULL) {
		xasprintf(cause, "%s", registry_error);
		return -1;
	}
	return 0;
}

/* The index of schema `name` in tool_schema_srcs[], or -1. */
static int
registry_schema_index(const char *name)
{
	int i;

	for (i = 0; name != NULL && tool_schema_srcs[i].name != NULL; i++) {
		if (strcmp(tool_schema_srcs[i].name, name) == 0)
			return i;
	}
	return -1;
}

int
registry_args_check(const char *tool, const json_t *args, char **cause)
{
	char *why = NULL;
	int i;

	if (registry_schemas_check(cause) != 0)
		return -1;
	if ((i = registry_schema_index(tool)) < 0) {
		xasprintf(cause, "unknown tool '%.64s'",
		    tool != NULL ? tool : "");
		return -1;
	}
	if (jsonschema_validate(registry_compiled[i], args, &why) != 0) {
		xasprintf(cause, "invalid arguments for %s: %s", tool, why);
		free(why);
		return -1;
	}
	return 0;
}

const char *
registry_schema_text(const char *name)
{
	int i = registry_schema_index(name);

	return i < 0 ? NULL : tool_schema_srcs[i].text;
}

struct registry *
registry_new(void)
{
	return xcalloc(1, sizeof(struct registry));
}

void
registry_free(struct registry *reg)
{
	size_t i;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->n; i++)
		free(reg->rows[i].description);
	free(reg);
}

static struct registry_row *
registry_find(struct registry *reg, const char *name)
{
	size_t i;

	for (i = 0; i < reg->n; i++) {
		if (strcmp(reg->rows[i].def->name, name) == 0)
			return &reg->rows[i];
	}
	return NULL;
}

/* Add or replace a row; the description is copied. */
static void
registry_put(struct registry *reg, const struct tool_def *def, void *ctx,
    const char *schema, const char *description)
{
	struct registry_row *row = registry_find(reg, def->name);

	if (row == NULL) {
		if (reg->n == REGISTRY_MAX) {
			log_error("tool registry: more than %d tools; %s left "
				  "out",
			    REGISTRY_MAX, def->name);
			return;
		}
		row = &reg->rows[reg->n++];
	} else
		free(row->description);
	row->def = def;
	row->ctx = ctx;
	row->schema = schema;
	row->description = xstrdup(description);
}

void
registry_add(struct registry *reg, const struct tool_def *def, void *ctx)
{
	registry_put(reg, def, ctx, def->schema, def->description);
}

void
registry_add_hands(struct registry *reg, struct hands *h,
    const struct hands_policy *pol)
{
	const struct tool_def *t;
	struct buf desc;
	size_t i;
	json_t *v;
	int n;

	for (t = registry_hands; t->name != NULL; t++) {
		buf_init(&desc, BUF_NOCAP);
		buf_adds(&desc, t->description);
		if (t->flags & TOOL_EXEC) {
			n = 0;
			json_array_foreach(pol->allowlist, i, v) {
				if (json_is_string(v))
					buf_printf(&desc, "%s%s",
					    n++ == 0 ? " Allowed programs: " :
						       ", ",
					    json_string_value(v));
			}
			if (n > 0)
				buf_addc(&desc, '.');
			if (pol->allow_shell)
				buf_adds(&desc, " Shell mode is allowed.");
			else if (n == 0) {
				buf_free(&desc);
				continue; /* nothing could run */
			}
		}
		registry_put(reg, t, h,
		    pol->allow_shell && t->schema_shell != NULL ?
			t->schema_shell :
			t->schema,
		    buf_str(&desc));
		buf_free(&desc);
	}
}

json_t *
registry_defs(const struct registry *reg)
{
	const struct registry_row *row;
	json_t *defs = json_array(), *schema;
	const char *text;
	size_t i;

	for (i = 0; i < reg->n; i++) {
		row = &reg->rows[i];
		text = registry_schema_text(row->schema);
		if (text == NULL ||
		    (schema = json_loads(text, 0, NULL)) == NULL)
			abort(); /* a row names a missing schema: test_registry */
		json_array_append_new(defs,
		    json_pack("{s:s, s:s, s:o}", "name", row->def->name,
			"description", row->description, "input_schema",
			schema));
	}
	return defs;
}

/* {"ok": false, "error": the formatted message}.  New reference. */
static json_t *registry_error_result(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static json_t *
registry_error_result(const char *fmt, ...)
{
	va_list ap;
	char *msg;
	json_t *r;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	r = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	free(msg);
	return r;
}

/*
 * Whether a string in `v` holds a NUL (\u0000 is valid JSON); its JSON
 * pointer then goes into `at`.  The brain's tools take text, which a NUL
 * would cut short; the worker's say per argument (a path may not hold
 * one, a file's content may: tools_arg_str(), tools_arg_bytes()).
 */
/* Back to the first `len` bytes (buf keeps its data NUL-terminated). */
static void
registry_cut(struct buf *at, size_t len)
{
	at->len = len;
	if (at->data != NULL)
		at->data[len] = '\0';
}

static int
registry_has_nul(const json_t *v, struct buf *at)
{
	const char *k, *c; /* the foreach steps from k: c walks it */
	json_t *x;
	size_t i, mark = at->len;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return memchr(json_string_value(v), '\0',
			   json_string_length(v)) != NULL;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, k, x) {
			buf_addc(at, '/');
			for (c = k; *c != '\0'; c++) {
				if (*c == '~')
					buf_adds(at, "~0");
				else if (*c == '/')
					buf_adds(at, "~1");
				else
					buf_addc(at, *c);
			}
			if (registry_has_nul(x, at))
				return 1;
			registry_cut(at, mark);
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(v, i, x) {
			buf_printf(at, "/%zu", i);
			if (registry_has_nul(x, at))
				return 1;
			registry_cut(at, mark);
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * A call to the hands.  When the worker died under it (its CPU limit, a
 * crash) the call fails with the cause, and fresh hands are started for
 * the next call; only when they cannot be is the run's end (*fatal).
 */
static json_t *
registry_hands_call(struct hands *h, const char *name, json_t *args,
    struct cancel *stop, int *fatal)
{
	json_t *result = NULL;
	char *cause = NULL, *why = NULL;

	if (!hands_alive(h) && !cancel_fired(stop) &&
	    hands_respawn(h, stop, &why) != 0) {
		result = registry_error_result("the worker is gone and cannot "
					       "be restarted: %s",
		    why);
		*fatal = 1;
		goto out;
	}
	free(why);
	why = NULL;
	if (hands_call(h, name, args, stop, &result, &cause) == 0) {
		/* A failed run's output is in its error already. */
		if (!json_is_true(json_object_get(result, "ok"))) {
			json_object_del(result, "output");
			json_object_del(result, "truncated");
		}
		goto out;
	}
	if (cancel_fired(stop))
		result = registry_error_result("%s",
		    cause != NULL ? cause : "cancelled");
	else if (hands_respawn(h, stop, &why) == 0)
		result = registry_error_result(
		    "%s: %s; the next call gets a fresh worker", name,
		    cause != NULL ? cause : "the worker failed");
	else {
		result = registry_error_result(
		    "%s: %s; no fresh worker could be started: %s", name,
		    cause != NULL ? cause : "the worker failed", why);
		*fatal = 1;
	}
out:
	free(cause);
	free(why);
	return result;
}

void
registry_set_guard(struct registry *reg, const struct registry_guard *g)
{
	if (g != NULL)
		reg->guard = *g;
	else
		memset(&reg->guard, 0, sizeof reg->guard);
}

void
registry_remove(struct registry *reg, const char *name)
{
	struct registry_row *row = registry_find(reg, name);
	size_t i;

	if (row == NULL)
		return;
	free(row->description);
	i = (size_t)(row - reg->rows);
	memmove(row, row + 1, (reg->n - i - 1) * sizeof *row);
	reg->n--;
}

const struct tool_def *
registry_def(const struct registry *reg, const char *name)
{
	struct registry_row *row;

	row = registry_find((struct registry *)reg, name);
	return row != NULL ? row->def : NULL;
}

json_t *
registry_call(struct registry *reg, const char *name, json_t *args,
    struct cancel *stop, int *fatal)
{
	struct registry_row *row;
	struct tool_result res;
	struct tool_call call;
	struct buf at;
	json_t *result = NULL, *empty = NULL;
	char *cause = NULL;
	int i;

	*fatal = 0;
	if ((row = registry_find(reg, name)) == NULL)
		return registry_error_result("unknown tool '%s'", name);
	if (args == NULL || json_is_null(args))
		args = empty = json_object();
	/* The one check every call passes, whoever runs it. */
	if (registry_schemas_check(&cause) != 0 ||
	    (i = registry_schema_index(row->schema)) < 0) {
		result = registry_error_result("%s: no usable schema: %s", name,
		    cause != NULL ? cause : "missing");
		goto out;
	}
	if (jsonschema_validate(registry_compiled[i], args, &cause) != 0) {
		result = registry_error_result("invalid arguments for %s: %s",
		    name, cause);
		goto out;
	}
	buf_init(&at, BUF_NOCAP);
	if (row->def->where == TOOL_BRAIN && registry_has_nul(args, &at)) {
		result = registry_error_result(
		    "invalid arguments for %s: %s: a NUL character (\\u0000) "
		    "in a string",
		    name, at.len > 0 ? buf_str(&at) : "/");
		buf_free(&at);
		goto out;
	}
	buf_free(&at);
	if (reg->guard.check != NULL &&
	    reg->guard.check(reg->guard.arg, row->def, args, stop, &cause) !=
		0) {
		result = registry_error_result("%s",
		    cause != NULL ? cause : "refused by policy");
		goto out;
	}
	switch (row->def->where) {
	case TOOL_BRAIN:
		memset(&res, 0, sizeof res);
		call.ctx = row->ctx;
		call.cancel = stop;
		call.name = name;
		if (row->def->fn(&call, args, &res) == 0)
			result = json_pack("{s:b, s:s, s:b}", "ok", 1, "output",
			    res.output != NULL ? res.output : "", "truncated",
			    res.truncated != 0);
		else
			result = json_pack("{s:b, s:s}", "ok", 0, "error",
			    res.error != NULL ? res.error : "failed");
		tools_result_free(&res);
		break;
	case TOOL_HANDS:
		result = registry_hands_call(row->ctx, name, args, stop, fatal);
		break;
	default:
		result = registry_error_result(
		    "%s: this kind of tool is not available yet", name);
		break;
	}
out:
	free(cause);
	json_decref(empty);
	return result;
}
