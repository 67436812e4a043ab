/*
 * jsonschema_eval.c — validating a value against a compiled schema.
 *
 * Every check returns 1 (valid), 0 (invalid) or -1 (a limit was hit: the
 * whole validation fails, whatever "not" or "anyOf" would make of it).  A
 * run records at most `cap` messages: JSONSCHEMA_MAX_ERRORS at the top,
 * none inside "not", "if", "contains" and the like, where only the answer
 * counts, and one per branch of "anyOf" and "oneOf", to say why each
 * failed.  Once no more messages are wanted, the first error ends the run.
 *
 * This file holds the run (messages, limits), the keywords that apply
 * other schemas to the same value (allOf, anyOf, oneOf, not, if, $ref) and
 * the entry point; jsonschema_check.c the keywords of one kind of value.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonschema_int.h"
#include "util/xalloc.h"

#define JSONSCHEMA_MAX_FRAMES 1000 /* schemas applied, nested */
#define JSONSCHEMA_WHY_DEPTH 2     /* anyOf/oneOf explained, nested */

/* The pointer of `path`: "/a/0", or "(root)".  Caller frees. */
static char *
jsonschema_pointer(const struct jsonschema_path *path)
{
	const struct jsonschema_path *seg[JSONSCHEMA_MAX_DEPTH + 2];
	struct buf b;
	size_t n = 0, i, k, cut;

	if (path == NULL)
		return xstrdup("(root)");
	for (; path != NULL && n < JSONSCHEMA_MAX_DEPTH + 2; path = path->up)
		seg[n++] = path;
	buf_init(&b, BUF_NOCAP);
	while (n-- > 0) {
		if (seg[n]->key == NULL) {
			(void)buf_printf(&b, "/%zu", seg[n]->n);
			continue;
		}
		(void)buf_addc(&b, '/');
		cut = jsonschema_cut(seg[n]->key, seg[n]->n, JSONSCHEMA_TOKEN);
		for (i = 0; i < cut; i++) {
			k = (unsigned char)seg[n]->key[i];
			if (k == '~')
				(void)buf_adds(&b, "~0");
			else if (k == '/')
				(void)buf_adds(&b, "~1");
			else if (k == '\0')
				(void)buf_adds(&b, "\\u0000");
			else
				(void)buf_addc(&b, (char)k);
		}
		if (i < seg[n]->n)
			(void)buf_adds(&b, "...");
	}
	return buf_detach(&b);
}

int
jsonschema_more(const struct jsonschema_run *run)
{
	return run->nerr < run->cap;
}

/* Record an error at `path` if messages are wanted; returns 0. */
int
jsonschema_fail(struct jsonschema_run *run, const struct jsonschema_path *path,
    const char *fmt, ...)
{
	va_list ap;

	if (!jsonschema_more(run))
		return 0;
	va_start(ap, fmt);
	xvasprintf(&run->err[run->nerr].msg, fmt, ap);
	va_end(ap);
	run->err[run->nerr].ptr = jsonschema_pointer(path);
	run->nerr++;
	return 0;
}

/* Record the limit hit at `path`; returns -1. */
int
jsonschema_limit(struct jsonschema_run *run, const struct jsonschema_path *path,
    const char *fmt, ...)
{
	va_list ap;
	char *ptr, *msg;

	if (run->limit != NULL)
		return -1;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	ptr = jsonschema_pointer(path);
	xasprintf(&run->limit, "%s: %s", ptr, msg);
	free(ptr);
	free(msg);
	return -1;
}

int
jsonschema_charge(struct jsonschema_run *run,
    const struct jsonschema_path *path, long n)
{
	run->steps += n;
	if (run->steps > JSONSCHEMA_MAX_STEPS)
		return jsonschema_limit(run, path,
		    "validation stopped after %ld steps (the value or the "
		    "schema is too large)",
		    JSONSCHEMA_MAX_STEPS);
	return 0;
}

/*
 * Fold a check's result `r` into *ok.  Returns 1 to go on with the next
 * check, 0 to stop (a limit, or an error and no more messages wanted).
 */
int
jsonschema_and(const struct jsonschema_run *run, int *ok, int r)
{
	if (r < 0) {
		*ok = -1;
		return 0;
	}
	if (r == 0) {
		*ok = 0;
		return jsonschema_more(run);
	}
	return 1;
}

/* Apply `n` and record nothing: only the answer counts. */
int
jsonschema_try(struct jsonschema_run *run, const struct jsonschema_node *n,
    const json_t *v, const struct jsonschema_path *path, int depth)
{
	int cap = run->cap, r;

	run->cap = 0;
	r = jsonschema_eval(run, n, v, path, depth);
	run->cap = cap;
	return r;
}

/*
 * Apply `n`, keeping its first error apart: *why gets "message" if it is
 * at `path`, else "pointer: message" (caller frees; NULL if valid).
 */
int
jsonschema_why(struct jsonschema_run *run, const struct jsonschema_node *n,
    const json_t *v, const struct jsonschema_path *path, int depth, char **why)
{
	struct jsonschema_run sub = *run;
	char *here;
	int r;

	*why = NULL;
	sub.cap = 1;
	sub.nerr = 0;
	sub.explaining++;
	r = jsonschema_eval(&sub, n, v, path, depth);
	run->steps = sub.steps;
	run->limit = sub.limit;
	if (sub.nerr > 0) {
		here = jsonschema_pointer(path);
		if (strcmp(here, sub.err[0].ptr) == 0)
			*why = sub.err[0].msg;
		else {
			xasprintf(why, "%s: %s", sub.err[0].ptr,
			    sub.err[0].msg);
			free(sub.err[0].msg);
		}
		free(sub.err[0].ptr);
		free(here);
	}
	return r;
}

/* Apply `n` to the member `key` or item `index` of the value. */
int
jsonschema_child(struct jsonschema_run *run, const struct jsonschema_node *n,
    const json_t *v, const struct jsonschema_path *up, const char *key,
    size_t kn, int depth)
{
	struct jsonschema_path path = { up, key, kn };

	if (depth + 1 > JSONSCHEMA_MAX_DEPTH)
		return jsonschema_limit(run, &path,
		    "nested deeper than %d levels", JSONSCHEMA_MAX_DEPTH);
	return jsonschema_eval(run, n, v, &path, depth + 1);
}

/*
 * anyOf (one = 0) or oneOf (one = 1).  With messages wanted, each branch
 * keeps its first error, to say why none matched.
 */
static int
jsonschema_check_some(struct jsonschema_run *run,
    const struct jsonschema_list *l, int one, const json_t *v,
    const struct jsonschema_path *path, int depth)
{
	const char *kw = one ? "oneOf" : "anyOf";
	char *why[3] = { NULL, NULL, NULL };
	size_t i, hits = 0, first = 0, shown = 0;
	int r = 0, want;

	/* Explain two levels of branches at most: messages stay short. */
	want = jsonschema_more(run) && run->explaining < JSONSCHEMA_WHY_DEPTH;

	for (i = 0; i < l->n; i++) {
		if (want && i < 3)
			r = jsonschema_why(run, l->v[i], v, path, depth,
			    &why[i]);
		else
			r = jsonschema_try(run, l->v[i], v, path, depth);
		if (r < 0)
			break;
		if (r == 1 && hits++ == 0)
			first = i;
		if (r == 1 && (!one || hits > 1))
			break;
	}
	if (r >= 0 && hits == 0 && jsonschema_more(run)) {
		struct buf b;

		buf_init(&b, BUF_NOCAP);
		for (i = 0; i < 3 && i < l->n; i++)
			if (why[i] != NULL)
				(void)buf_printf(&b, "%s%zu: %s",
				    shown++ == 0 ? " (" : "; ", i, why[i]);
		if (l->n > 3)
			(void)buf_adds(&b, "; ...");
		if (shown > 0)
			(void)buf_adds(&b, ")");
		jsonschema_fail(run, path, "matches none of the %s schemas%s",
		    kw, buf_str(&b));
		buf_free(&b);
	} else if (r >= 0 && one && hits > 1)
		jsonschema_fail(run, path,
		    "matches more than one of the oneOf schemas (%zu and %zu)",
		    first, i);
	for (i = 0; i < 3; i++)
		free(why[i]);
	if (r < 0)
		return -1;
	return one ? hits == 1 : hits > 0;
}

static int
jsonschema_check_logic(struct jsonschema_run *run,
    const struct jsonschema_node *n, const json_t *v,
    const struct jsonschema_path *path, int depth)
{
	size_t i;
	char *shown;
	int ok = 1, r;

	for (i = 0; i < n->all_of.n; i++)
		if (!jsonschema_and(run, &ok,
			jsonschema_eval(run, n->all_of.v[i], v, path, depth)))
			return ok;
	if (n->any_of.n > 0 &&
	    !jsonschema_and(run, &ok,
		jsonschema_check_some(run, &n->any_of, 0, v, path, depth)))
		return ok;
	if (n->one_of.n > 0 &&
	    !jsonschema_and(run, &ok,
		jsonschema_check_some(run, &n->one_of, 1, v, path, depth)))
		return ok;
	if (n->not_ != NULL) {
		if ((r = jsonschema_try(run, n->not_, v, path, depth)) < 0)
			return -1;
		if (r == 1) {
			if (jsonschema_more(run)) {
				shown = jsonschema_shown(n->not_->src);
				jsonschema_fail(run, path,
				    "must not match %s (\"not\")", shown);
				free(shown);
			}
			if (!jsonschema_and(run, &ok, 0))
				return ok;
		}
	}
	if (n->if_ != NULL) {
		if ((r = jsonschema_try(run, n->if_, v, path, depth)) < 0)
			return -1;
		if (r == 1 && n->then_ != NULL &&
		    !jsonschema_and(run, &ok,
			jsonschema_eval(run, n->then_, v, path, depth)))
			return ok;
		if (r == 0 && n->else_ != NULL &&
		    !jsonschema_and(run, &ok,
			jsonschema_eval(run, n->else_, v, path, depth)))
			return ok;
	}
	if (n->ref != NULL)
		jsonschema_and(run, &ok,
		    jsonschema_eval(run, n->ref, v, path, depth));
	return ok;
}

static int
jsonschema_eval_node(struct jsonschema_run *run,
    const struct jsonschema_node *n, const json_t *v,
    const struct jsonschema_path *path, int depth)
{
	int ok = 1;

	if (!jsonschema_and(run, &ok, jsonschema_check_type(run, n, v, path)))
		return ok;
	if ((n->const_v != NULL || n->enum_v != NULL) &&
	    !jsonschema_and(run, &ok, jsonschema_check_enum(run, n, v, path)))
		return ok;
	if (json_is_number(v) &&
	    !jsonschema_and(run, &ok, jsonschema_check_number(run, n, v, path)))
		return ok;
	if (json_is_string(v) &&
	    !jsonschema_and(run, &ok, jsonschema_check_string(run, n, v, path)))
		return ok;
	if (json_is_array(v) &&
	    !jsonschema_and(run, &ok,
		jsonschema_check_array(run, n, v, path, depth)))
		return ok;
	if (json_is_object(v) &&
	    !jsonschema_and(run, &ok,
		jsonschema_check_object(run, n, v, path, depth)))
		return ok;
	jsonschema_and(run, &ok,
	    jsonschema_check_logic(run, n, v, path, depth));
	return ok;
}

int
jsonschema_eval(struct jsonschema_run *run, const struct jsonschema_node *n,
    const json_t *v, const struct jsonschema_path *path, int depth)
{
	int r;

	if (jsonschema_charge(run, path, 1) != 0)
		return -1;
	if (n->kind == JSONSCHEMA_TRUE)
		return 1;
	if (n->kind == JSONSCHEMA_FALSE)
		return jsonschema_fail(run, path,
		    "no value is allowed here (the schema is false)");
	if (run->frames >= JSONSCHEMA_MAX_FRAMES)
		return jsonschema_limit(run, path,
		    "schemas nested deeper than %d levels",
		    JSONSCHEMA_MAX_FRAMES);
	run->frames++;
	r = jsonschema_eval_node(run, n, v, path, depth);
	run->frames--;
	return r;
}

int
jsonschema_validate(const struct jsonschema *s, const json_t *instance,
    char **cause)
{
	struct jsonschema_run run;
	struct buf b;
	int r, i;

	memset(&run, 0, sizeof run);
	run.cap = cause != NULL ? JSONSCHEMA_MAX_ERRORS : 0;
	if (instance == NULL) {
		if (cause != NULL)
			*cause = xstrdup("(root): no value");
		return -1;
	}
	r = jsonschema_eval(&run, s->root, instance, NULL, 0);
	if (r == 1)
		return 0;
	if (cause != NULL) {
		buf_init(&b, BUF_NOCAP);
		if (run.limit != NULL)
			(void)buf_adds(&b, run.limit);
		for (i = 0; i < run.nerr; i++)
			(void)buf_printf(&b, "%s%s: %s", b.len > 0 ? "; " : "",
			    run.err[i].ptr, run.err[i].msg);
		if (b.len == 0)
			(void)buf_adds(&b, "(root): invalid");
		*cause = buf_detach(&b);
	}
	for (i = 0; i < run.nerr; i++) {
		free(run.err[i].ptr);
		free(run.err[i].msg);
	}
	free(run.limit);
	return -1;
}
