/*
 * tools.c — the worker's tool table, and what the tools share: paths
 * checked and opened beneath the workspace (by security/confine.h),
 * argument reading, UTF-8 cleaning, globs; how a run of a program ended
 * as members of an answer, written and read back strictly.
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/tools.h"
#include "security/confine.h"
#include "util/buf.h"
#include "util/xalloc.h"

const struct tool tool_table[] = {
	{ .name = "read", .fn = tool_read },
	{ .name = "write", .fn = tool_write },
	{ .name = "edit", .fn = tool_edit },
	{ .name = "ls", .fn = tool_ls },
	{ .name = "find", .fn = tool_find },
	{ .name = "grep", .fn = tool_grep },
	{ .name = "exec", .fn = tool_exec, .flags = TOOL_EXEC },
	{ .name = NULL },
};

const struct tool *
tools_find(const char *name)
{
	const struct tool *t;

	for (t = tool_table; t->name != NULL; t++) {
		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

int
tools_run(struct tool_ctx *ctx, const char *name, json_t *args,
    struct tool_result *res)
{
	const struct tool *t;
	json_t *empty = NULL;
	char *s;
	int rc;

	memset(res, 0, sizeof *res);
	if ((t = tools_find(name)) == NULL)
		return tools_fail(res, "unknown tool '%s'", name);
	if (args == NULL || json_is_null(args))
		args = empty = json_object();
	if (!json_is_object(args))
		return tools_fail(res, "the arguments of %s must be an object",
		    name);
	rc = t->fn(ctx, args, res);
	json_decref(empty);
	if (rc == 0) {
		res->ok = 1;
		s = tools_utf8(res->output != NULL ? res->output : "",
		    res->output != NULL ? strlen(res->output) : 0);
		free(res->output);
		res->output = s;
		free(res->error);
		res->error = NULL;
		return 0;
	}
	res->ok = 0;
	s = tools_utf8(res->error != NULL ? res->error : "failed",
	    res->error != NULL ? strlen(res->error) : 6);
	free(res->error);
	res->error = s;
	if (res->run.state != TOOL_RUN_RAN) {
		free(res->output);
		res->output = NULL;
		res->truncated = 0;
	} else if (res->output == NULL)
		res->output = xstrdup("");
	if (res->run.state == TOOL_RUN_RAN) {
		s = tools_utf8(res->run.ended != NULL ? res->run.ended :
							"failed",
		    res->run.ended != NULL ? strlen(res->run.ended) : 6);
		free(res->run.ended);
		res->run.ended = s;
	}
	return -1;
}

void
tools_result_free(struct tool_result *res)
{
	free(res->output);
	free(res->error);
	free(res->run.ended);
	memset(res, 0, sizeof *res);
}

const char *
tools_signame(int sig, char *buf, size_t size)
{
	const char *abbrev = sig > 0 && sig < NSIG ? sigabbrev_np(sig) : NULL;

	if (abbrev != NULL)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "SIG%d", sig);
	return buf;
}

int
tools_signo(const char *name)
{
	char buf[32];
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (strcmp(tools_signame(sig, buf, sizeof buf), name) == 0)
			return sig;
	}
	return 0;
}

void
tools_run_json(const struct tool_run *run, json_t *obj)
{
	char name[32];

	if (run->state == TOOL_RUN_NONE)
		return;
	json_object_set_new(obj, "ran",
	    json_boolean(run->state == TOOL_RUN_RAN));
	if (run->state == TOOL_RUN_REFUSED)
		json_object_set_new(obj, "refused", json_true());
	if (run->state != TOOL_RUN_RAN)
		return;
	if (run->exit_code >= 0)
		json_object_set_new(obj, "exit_code",
		    json_integer(run->exit_code));
	if (run->signal > 0)
		json_object_set_new(obj, "signal",
		    json_string(tools_signame(run->signal, name, sizeof name)));
	if (run->timed_out) {
		json_object_set_new(obj, "timed_out", json_true());
		json_object_set_new(obj, "timeout_secs",
		    json_integer(run->timeout_secs));
	}
	if (run->stopped)
		json_object_set_new(obj, "stopped", json_true());
	if (run->ended != NULL)
		json_object_set_new(obj, "ended", json_string(run->ended));
}

/* Member `key` of obj if it is `type` (or absent: NULL); -1 otherwise. */
static int
tools_run_member(const json_t *obj, const char *key, json_type type, json_t **v,
    char **cause)
{
	*v = json_object_get(obj, key);
	if (*v == NULL)
		return 0;
	if (json_typeof(*v) == type ||
	    (type == JSON_TRUE && json_typeof(*v) == JSON_FALSE))
		return 0;
	xasprintf(cause, "'%s' has the wrong type", key);
	return -1;
}

int
tools_run_parse(const json_t *obj, int ok, struct tool_run *run, char **cause)
{
	json_t *ran, *refused, *code, *sig, *to, *secs, *stopped, *ended;
	int ways;

	memset(run, 0, sizeof *run);
	run->exit_code = -1;
	*cause = NULL;
	if (tools_run_member(obj, "ran", JSON_TRUE, &ran, cause) == -1 ||
	    tools_run_member(obj, "refused", JSON_TRUE, &refused, cause) ==
		-1 ||
	    tools_run_member(obj, "exit_code", JSON_INTEGER, &code, cause) ==
		-1 ||
	    tools_run_member(obj, "signal", JSON_STRING, &sig, cause) == -1 ||
	    tools_run_member(obj, "timed_out", JSON_TRUE, &to, cause) == -1 ||
	    tools_run_member(obj, "timeout_secs", JSON_INTEGER, &secs, cause) ==
		-1 ||
	    tools_run_member(obj, "stopped", JSON_TRUE, &stopped, cause) ==
		-1 ||
	    tools_run_member(obj, "ended", JSON_STRING, &ended, cause) == -1)
		return -1;
	if (ran == NULL) {
		if (refused != NULL || code != NULL || sig != NULL ||
		    to != NULL || secs != NULL || stopped != NULL ||
		    ended != NULL) {
			xasprintf(cause, "a run's members without 'ran'");
			return -1;
		}
		return 0;
	}
	if (json_is_false(ran)) {
		if ((refused != NULL && !json_is_true(refused)) ||
		    code != NULL || sig != NULL || to != NULL || secs != NULL ||
		    stopped != NULL || ended != NULL || ok) {
			xasprintf(cause, "how a run ended, but it did not run");
			return -1;
		}
		run->state =
		    refused != NULL ? TOOL_RUN_REFUSED : TOOL_RUN_NOSTART;
		return 0;
	}
	run->state = TOOL_RUN_RAN;
	if (refused != NULL || (to != NULL && !json_is_true(to)) ||
	    (stopped != NULL && !json_is_true(stopped)) ||
	    (to != NULL) != (secs != NULL)) {
		xasprintf(cause, "a run's members do not agree");
		return -1;
	}
	ways =
	    (code != NULL) + (sig != NULL) + (to != NULL) + (stopped != NULL);
	if (ways != 1) {
		xasprintf(cause, "a run must end in exactly one way, not %d",
		    ways);
		return -1;
	}
	if (code != NULL) {
		if (json_integer_value(code) < 0 ||
		    json_integer_value(code) > 255) {
			xasprintf(cause, "'exit_code' is out of range");
			return -1;
		}
		run->exit_code = (int)json_integer_value(code);
	}
	if (sig != NULL &&
	    (run->signal = tools_signo(json_string_value(sig))) == 0) {
		xasprintf(cause, "'signal' names no signal");
		return -1;
	}
	if (secs != NULL) {
		if (json_integer_value(secs) < 1 ||
		    json_integer_value(secs) > 7 * 86400) {
			xasprintf(cause, "'timeout_secs' is out of range");
			return -1;
		}
		run->timed_out = 1;
		run->timeout_secs = (int)json_integer_value(secs);
	}
	run->stopped = stopped != NULL;
	if (ok != (run->exit_code == 0 && ended == NULL) ||
	    (!ok && ended == NULL)) {
		xasprintf(cause,
		    ok ? "ok, but the run did not exit 0" :
			 "a failed run without 'ended'");
		return -1;
	}
	if (ended != NULL)
		run->ended = xstrdup(json_string_value(ended));
	return 0;
}

int
tools_fail_take(struct tool_result *res, char *msg)
{
	res->ok = 0;
	free(res->error);
	res->error = msg;
	return -1;
}

int
tools_fail(struct tool_result *res, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	return tools_fail_take(res, msg);
}

int
tools_open(struct tool_ctx *ctx, const char *norm, int flags, mode_t mode,
    char **cause)
{
	return confine_open_how(ctx->dirfd, ctx->no_openat2, norm, flags, mode,
	    cause);
}

static const char *
tools_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

int
tools_arg_bytes(json_t *args, const char *key, const char **out, size_t *len,
    char **cause)
{
	json_t *v = json_object_get(args, key);

	if (v == NULL || json_is_null(v)) {
		xasprintf(cause, "'%s' is required", key);
		return -1;
	}
	if (!json_is_string(v)) {
		xasprintf(cause, "'%s' must be a string, not %s", key,
		    tools_type(v));
		return -1;
	}
	*out = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

int
tools_arg_str(json_t *args, const char *key, int required, const char *def,
    const char **out, char **cause)
{
	json_t *v = json_object_get(args, key);
	size_t len;

	if (v == NULL || json_is_null(v)) {
		if (required) {
			xasprintf(cause, "'%s' is required", key);
			return -1;
		}
		*out = def;
		return 0;
	}
	if (tools_arg_bytes(args, key, out, &len, cause) == -1)
		return -1;
	if (strlen(*out) != len) {
		xasprintf(cause, "'%s' contains a NUL byte", key);
		return -1;
	}
	return 0;
}

int
tools_arg_int(json_t *args, const char *key, long min, long max, long def,
    long *out, char **cause)
{
	json_t *v = json_object_get(args, key);
	double d;

	*out = def;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < min || json_integer_value(v) > max)
			goto range;
		*out = (long)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d != (double)(long)d)
			goto type;
		if (d < (double)min || d > (double)max)
			goto range;
		*out = (long)d;
		return 0;
	}
type:
	xasprintf(cause, "'%s' must be an integer, not %s", key, tools_type(v));
	return -1;
range:
	xasprintf(cause, "'%s' must be between %ld and %ld", key, min, max);
	return -1;
}

int
tools_arg_bool(json_t *args, const char *key, int def, int *out, char **cause)
{
	json_t *v = json_object_get(args, key);

	*out = def;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		xasprintf(cause, "'%s' must be true or false, not %s", key,
		    tools_type(v));
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int
tools_arg_path(json_t *args, const char *key, const char *def, char **norm,
    char **cause)
{
	json_t *v = json_object_get(args, key);
	const char *s;
	size_t len;

	*norm = NULL;
	if (def != NULL && (v == NULL || json_is_null(v)))
		return confine_check(def, strlen(def), norm, cause);
	if (tools_arg_bytes(args, key, &s, &len, cause) == -1)
		return -1;
	return confine_check(s, len, norm, cause);
}

/* Length of the valid UTF-8 sequence at p (< end), or 0. */
static size_t
tools_utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef) {
		n = 3;
		if (*p == 0xe0)
			lo = 0xa0;
		else if (*p == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 4;
		if (*p == 0xf0)
			lo = 0x90;
		else if (*p == 0xf4)
			hi = 0x8f; /* up to U+10FFFF */
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return n;
}

char *
tools_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *run;
	struct buf b;
	size_t len;

	buf_init(&b, BUF_NOCAP);
	while (p < end) {
		for (run = p; p < end && *p != 0 && *p < 0x80; p++)
			;
		if (p > run)
			buf_add(&b, run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p != 0 && (len = tools_utf8_seq(p, end)) != 0) {
			buf_add(&b, p, len);
			p += len;
		} else {
			buf_adds(&b, "\xef\xbf\xbd");
			p++;
		}
	}
	return buf_detach(&b);
}

#define TOOLS_GLOB_SEGS 64

/* Split s (modified) at '/' into at most TOOLS_GLOB_SEGS parts. */
static int
tools_glob_split(char *s, char **seg)
{
	int n = 0;

	for (;;) {
		if (n == TOOLS_GLOB_SEGS)
			return -1;
		seg[n++] = s;
		if ((s = strchr(s, '/')) == NULL)
			return n;
		*s++ = '\0';
	}
}

int
tools_glob(const char *g, const char *p)
{
	char *gs[TOOLS_GLOB_SEGS], *ps[TOOLS_GLOB_SEGS];
	unsigned char m[TOOLS_GLOB_SEGS + 1][TOOLS_GLOB_SEGS + 1];
	char *gc, *pc;
	const char *base;
	int ng, np, i, j, match = 0;

	if (strchr(g, '/') == NULL) {
		base = strrchr(p, '/');
		return fnmatch(g, base != NULL ? base + 1 : p, 0) == 0;
	}
	gc = xstrdup(g);
	pc = xstrdup(p);
	if ((ng = tools_glob_split(gc, gs)) == -1 ||
	    (np = tools_glob_split(pc, ps)) == -1)
		goto out;
	/* m[i][j]: pattern parts i.. match path parts j.. */
	memset(m, 0, sizeof m);
	m[ng][np] = 1;
	for (i = ng - 1; i >= 0; i--) {
		for (j = np; j >= 0; j--) {
			if (strcmp(gs[i], "**") == 0)
				m[i][j] =
				    m[i + 1][j] || (j < np && m[i][j + 1]);
			else
				m[i][j] = j < np && m[i + 1][j + 1] &&
				    fnmatch(gs[i], ps[j], 0) == 0;
		}
	}
	match = m[0][0];
out:
	free(gc);
	free(pc);
	return match;
}

static int
tools_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
tools_dir_names(DIR *d, size_t *n)
{
	struct dirent *de;
	char **names = NULL;
	size_t alloc = 0;

	*n = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (*n == alloc) {
			alloc = alloc == 0 ? 64 : alloc * 2;
			names = xreallocarray(names, alloc, sizeof *names);
		}
		names[(*n)++] = xstrdup(de->d_name);
	}
	if (*n > 0)
		qsort(names, *n, sizeof *names, tools_strcmp);
	return names;
}
