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
 * Equality (enum, const, uniqueItems) is JSON's: 1 equals 1.0, objects
 * are unordered; uniqueItems sorts hashes, so it is n log n.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonschema_int.h"
#include "util/xalloc.h"

#define JSONSCHEMA_MAX_FRAMES 1000 /* schemas applied, nested */
#define JSONSCHEMA_TOKEN 64        /* bytes of a name in a pointer */
#define JSONSCHEMA_WHY_DEPTH 2     /* anyOf/oneOf explained, nested */

/* Where a value is: a chain of names and indexes up to the root. */
struct jsonschema_path {
	const struct jsonschema_path *up;
	const char *key; /* a name, or NULL for an index */
	size_t n;        /* the name's length, or the index */
};

struct jsonschema_err {
	char *ptr; /* JSON pointer (owned) */
	char *msg; /* owned */
};

struct jsonschema_run {
	int cap;  /* messages wanted */
	int nerr; /* messages recorded */
	struct jsonschema_err err[JSONSCHEMA_MAX_ERRORS];
	long steps;     /* work done */
	int frames;     /* schemas being applied */
	int explaining; /* jsonschema_why() calls open */
	char *limit;    /* the limit hit, with its pointer (owned), or NULL */
};

static int jsonschema_eval(struct jsonschema_run *,
    const struct jsonschema_node *, const json_t *,
    const struct jsonschema_path *, int depth);

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

static int
jsonschema_more(const struct jsonschema_run *run)
{
	return run->nerr < run->cap;
}

/* Record an error at `path` if messages are wanted; returns 0. */
static int __attribute__((format(printf, 3, 4)))
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
static int __attribute__((format(printf, 3, 4)))
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

static int
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
static int
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
static int
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
static int
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
static int
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

/* JSON equality, within the run's limits: 1, 0 or -1. */
static int
jsonschema_eq(struct jsonschema_run *run, const struct jsonschema_path *path,
    const json_t *a, const json_t *b)
{
	int r = jsonschema_equal(a, b, &run->steps);

	if (r < 0)
		return jsonschema_limit(run, path,
		    "values nested deeper than %d levels cannot be compared",
		    JSONSCHEMA_MAX_EQ_DEPTH);
	return jsonschema_charge(run, path, 0) != 0 ? -1 : r;
}

static int
jsonschema_unique(struct jsonschema_run *run,
    const struct jsonschema_path *path, const json_t *v)
{
	size_t i, j;
	int r = jsonschema_duplicate(v, &run->steps, &i, &j);

	if (jsonschema_charge(run, path, 0) != 0)
		return -1;
	if (r < 0)
		return jsonschema_limit(run, path,
		    "values nested deeper than %d levels cannot be compared",
		    JSONSCHEMA_MAX_EQ_DEPTH);
	if (r == 1)
		return jsonschema_fail(run, path, "items %zu and %zu are equal",
		    i, j);
	return 1;
}

static int
jsonschema_check_type(struct jsonschema_run *run,
    const struct jsonschema_node *n, const json_t *v,
    const struct jsonschema_path *path)
{
	const json_t *t;
	unsigned have;
	struct buf want;
	size_t i, count;

	switch (json_typeof(v)) {
	case JSON_NULL:
		have = JSONSCHEMA_NULL;
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		have = JSONSCHEMA_BOOLEAN;
		break;
	case JSON_OBJECT:
		have = JSONSCHEMA_OBJECT;
		break;
	case JSON_ARRAY:
		have = JSONSCHEMA_ARRAY;
		break;
	case JSON_STRING:
		have = JSONSCHEMA_STRING;
		break;
	default:
		have = JSONSCHEMA_NUMBER |
		    (jsonschema_is_integral(v) ? JSONSCHEMA_INTEGER : 0);
		break;
	}
	if (n->types == 0 || (n->types & have) != 0)
		return 1;
	if (!jsonschema_more(run))
		return 0;
	/* The names as the schema gives them: "string or null". */
	t = json_object_get(n->src, "type");
	count = json_is_array(t) ? json_array_size(t) : 1;
	buf_init(&want, BUF_NOCAP);
	for (i = 0; i < count; i++) {
		if (i > 0)
			(void)buf_adds(&want, i + 1 == count ? " or " : ", ");
		(void)buf_adds(&want,
		    json_string_value(
			json_is_array(t) ? json_array_get(t, i) : t));
	}
	jsonschema_fail(run, path, "expected %s, got %s", buf_str(&want),
	    jsonschema_type_name(v));
	buf_free(&want);
	return 0;
}

/* "s" unless n is 1, for "1 item" and "2 items". */
static const char *
jsonschema_s(long long n)
{
	return n == 1 ? "" : "s";
}

static int
jsonschema_check_enum(struct jsonschema_run *run,
    const struct jsonschema_node *n, const json_t *v,
    const struct jsonschema_path *path)
{
	struct buf list;
	size_t i;
	char *got;
	int r;

	if (n->const_v != NULL) {
		if ((r = jsonschema_eq(run, path, v, n->const_v)) != 0)
			return r;
		if (jsonschema_more(run)) {
			buf_init(&list, BUF_NOCAP);
			jsonschema_show(&list, n->const_v);
			got = jsonschema_shown(v);
			jsonschema_fail(run, path, "expected %s, got %s",
			    buf_str(&list), got);
			free(got);
			buf_free(&list);
		}
		return 0;
	}
	if (n->enum_v == NULL)
		return 1;
	for (i = 0; i < json_array_size(n->enum_v); i++)
		if ((r = jsonschema_eq(run, path, v,
			 json_array_get(n->enum_v, i))) != 0)
			return r;
	if (!jsonschema_more(run))
		return 0;
	buf_init(&list, BUF_NOCAP);
	for (i = 0; i < json_array_size(n->enum_v) && list.len < 200; i++) {
		if (i > 0)
			(void)buf_adds(&list, ", ");
		jsonschema_show(&list, json_array_get(n->enum_v, i));
	}
	if (i < json_array_size(n->enum_v))
		(void)buf_adds(&list, ", ...");
	got = jsonschema_shown(v);
	if (json_array_size(n->enum_v) == 0)
		jsonschema_fail(run, path, "no value is allowed (empty enum)");
	else
		jsonschema_fail(run, path, "expected one of %s; got %s",
		    buf_str(&list), got);
	free(got);
	buf_free(&list);
	return 0;
}

static int
jsonschema_check_number(struct jsonschema_run *run,
    const struct jsonschema_node *n, const json_t *v,
    const struct jsonschema_path *path)
{
	static const char *const op[] = { ">=", "<=", ">", "<" };
	const json_t *lim[4] = { n->minimum, n->maximum, n->xminimum,
		n->xmaximum };
	char *a, *b;
	int ok = 1, i, c, bad;

	for (i = 0; i < 4; i++) {
		if (lim[i] == NULL)
			continue;
		c = jsonschema_cmp(v, lim[i]);
		bad = i == 0 ? c < 0 :
		    i == 1   ? c > 0 :
		    i == 2   ? c <= 0 :
			       c >= 0;
		if (!bad)
			continue;
		ok = 0;
		if (!jsonschema_more(run))
			return 0;
		a = jsonschema_shown(lim[i]);
		b = jsonschema_shown(v);
		jsonschema_fail(run, path, "expected a number %s %s, got %s",
		    op[i], a, b);
		free(a);
		free(b);
	}
	if (n->multiple != NULL && !jsonschema_multiple(v, n->multiple)) {
		if (!jsonschema_more(run))
			return 0;
		a = jsonschema_shown(n->multiple);
		b = jsonschema_shown(v);
		jsonschema_fail(run, path, "expected a multiple of %s, got %s",
		    a, b);
		free(a);
		free(b);
		ok = 0;
	}
	return ok;
}

static int
jsonschema_check_string(struct jsonschema_run *run,
    const struct jsonschema_node *n, const json_t *v,
    const struct jsonschema_path *path)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v), chars = 0, i;
	int ok = 1, m;

	if (n->min_length >= 0 || n->max_length >= 0) {
		for (i = 0; i < len; i++)
			chars += ((unsigned char)s[i] & 0xc0) != 0x80;
		if (n->min_length >= 0 && chars < (size_t)n->min_length) {
			ok = 0;
			jsonschema_fail(run, path,
			    "expected at least %lld character%s, got %zu",
			    (long long)n->min_length,
			    jsonschema_s(n->min_length), chars);
		}
		if (n->max_length >= 0 && chars > (size_t)n->max_length) {
			ok = 0;
			jsonschema_fail(run, path,
			    "expected at most %lld character%s, got %zu",
			    (long long)n->max_length,
			    jsonschema_s(n->max_length), chars);
		}
		if (!ok && !jsonschema_more(run))
			return 0;
	}
	if (n->pattern != NULL) {
		if (jsonschema_charge(run, path, (long)(len / 64)) != 0)
			return -1;
		if ((m = jsonschema_regex_match(n->pattern, s, len)) < 0)
			return jsonschema_limit(run, path,
			    "string too long to match a pattern");
		if (m == 0) {
			jsonschema_fail(run, path,
			    "does not match the pattern \"%.*s\"",
			    (int)jsonschema_cut(n->pattern->src,
				strlen(n->pattern->src), 80),
			    n->pattern->src);
			ok = 0;
		}
	}
	return ok;
}

static int
jsonschema_check_array(struct jsonschema_run *run,
    const struct jsonschema_node *n, const json_t *v,
    const struct jsonschema_path *path, int depth)
{
	size_t size = json_array_size(v), i, count = 0;
	int ok = 1, r;

	if (n->min_items >= 0 && size < (size_t)n->min_items) {
		jsonschema_fail(run, path,
		    "expected at least %lld item%s, got %zu",
		    (long long)n->min_items, jsonschema_s(n->min_items), size);
		if (!jsonschema_and(run, &ok, 0))
			return ok;
	}
	if (n->max_items >= 0 && size > (size_t)n->max_items) {
		jsonschema_fail(run, path,
		    "expected at most %lld item%s, got %zu",
		    (long long)n->max_items, jsonschema_s(n->max_items), size);
		if (!jsonschema_and(run, &ok, 0))
			return ok;
	}
	if (n->unique &&
	    !jsonschema_and(run, &ok, jsonschema_unique(run, path, v)))
		return ok;
	for (i = 0; i < size && i < n->prefix.n; i++)
		if (!jsonschema_and(run, &ok,
			jsonschema_child(run, n->prefix.v[i],
			    json_array_get(v, i), path, NULL, i, depth)))
			return ok;
	if (n->items != NULL && n->items->kind == JSONSCHEMA_FALSE &&
	    size > n->prefix.n) {
		jsonschema_fail(run, path,
		    "expected at most %zu item%s, got %zu", n->prefix.n,
		    jsonschema_s((long long)n->prefix.n), size);
		if (!jsonschema_and(run, &ok, 0))
			return ok;
	} else if (n->items != NULL)
		for (i = n->prefix.n; i < size; i++)
			if (!jsonschema_and(run, &ok,
				jsonschema_child(run, n->items,
				    json_array_get(v, i), path, NULL, i,
				    depth)))
				return ok;
	if (n->contains == NULL)
		return ok;
	for (i = 0; i < size; i++) {
		struct jsonschema_path item = { path, NULL, i };

		if (depth + 1 > JSONSCHEMA_MAX_DEPTH)
			return jsonschema_limit(run, &item,
			    "nested deeper than %d levels",
			    JSONSCHEMA_MAX_DEPTH);
		r = jsonschema_try(run, n->contains, json_array_get(v, i),
		    &item, depth + 1);
		if (r < 0)
			return -1;
		count += (size_t)r;
		if (n->max_contains < 0 && count >= (size_t)n->min_contains)
			break;
	}
	if (count < (size_t)n->min_contains) {
		jsonschema_fail(run, path,
		    "expected at least %lld item%s matching \"contains\", got "
		    "%zu",
		    (long long)n->min_contains, jsonschema_s(n->min_contains),
		    count);
		ok = 0;
	} else if (n->max_contains >= 0 && count > (size_t)n->max_contains) {
		jsonschema_fail(run, path,
		    "expected at most %lld item%s matching \"contains\", got "
		    "%zu",
		    (long long)n->max_contains, jsonschema_s(n->max_contains),
		    count);
		ok = 0;
	}
	return ok;
}

/* ", allowed: a, b, c" for an unexpected property, or "". */
static char *
jsonschema_allowed(const struct jsonschema_node *n)
{
	struct buf b;
	size_t i;

	buf_init(&b, BUF_NOCAP);
	for (i = 0; i < n->nprops && b.len < 200; i++) {
		(void)buf_adds(&b, i == 0 ? " (allowed: " : ", ");
		(void)buf_add(&b, n->props[i].name,
		    jsonschema_cut(n->props[i].name, n->props[i].len,
			JSONSCHEMA_TOKEN));
	}
	if (i < n->nprops)
		(void)buf_adds(&b, ", ...");
	if (i > 0)
		(void)buf_adds(&b, ")");
	return buf_detach(&b);
}

/* patternProperties and additionalProperties, for one member. */
static int
jsonschema_check_member(struct jsonschema_run *run,
    const struct jsonschema_node *n, const char *key, size_t len,
    const json_t *mv, const struct jsonschema_path *path, int depth)
{
	char *allowed, *name;
	int ok = 1, matched = 0, m;
	size_t i;

	matched = n->props_obj != NULL &&
	    json_object_getn(n->props_obj, key, len) != NULL;
	for (i = 0; i < n->npprops; i++) {
		if (jsonschema_charge(run, path, (long)(len / 64)) != 0)
			return -1;
		if ((m = jsonschema_regex_match(n->pprops[i].re, key, len)) < 0)
			return jsonschema_limit(run, path,
			    "name too long to match a pattern");
		if (m == 0)
			continue;
		matched = 1;
		if (!jsonschema_and(run, &ok,
			jsonschema_child(run, n->pprops[i].node, mv, path, key,
			    len, depth)))
			return ok;
	}
	if (matched || n->additional == NULL)
		return ok;
	if (n->additional->kind == JSONSCHEMA_FALSE) {
		if (jsonschema_more(run)) {
			allowed = jsonschema_allowed(n);
			name = jsonschema_name(key, len);
			jsonschema_fail(run, path, "unexpected property %s%s",
			    name, allowed);
			free(name);
			free(allowed);
		}
		return 0;
	}
	jsonschema_and(run, &ok,
	    jsonschema_child(run, n->additional, mv, path, key, len, depth));
	return ok;
}

/* propertyNames, for one name. */
static int
jsonschema_check_name(struct jsonschema_run *run,
    const struct jsonschema_node *n, const char *key, size_t len,
    const struct jsonschema_path *path, int depth)
{
	json_t *name = json_stringn_nocheck(key, len);
	char *why = NULL, *shown;
	int r;

	if (name == NULL)
		abort(); /* out of memory */
	if (!jsonschema_more(run))
		r = jsonschema_try(run, n->names, name, path, depth);
	else if ((r = jsonschema_why(run, n->names, name, path, depth, &why)) ==
	    0) {
		shown = jsonschema_shown(name);
		jsonschema_fail(run, path, "property name %s is invalid: %s",
		    shown, why != NULL ? why : "?");
		free(shown);
	}
	free(why);
	json_decref(name);
	return r;
}

static int
jsonschema_check_object(struct jsonschema_run *run,
    const struct jsonschema_node *n, const json_t *v,
    const struct jsonschema_path *path, int depth)
{
	size_t size = json_object_size(v), i, j;
	const json_t *need, *mv;
	const char *key;
	char *a, *b;
	size_t len;
	void *it;
	int ok = 1;

	if (n->min_props >= 0 && size < (size_t)n->min_props) {
		jsonschema_fail(run, path,
		    "expected at least %lld propert%s, got %zu",
		    (long long)n->min_props, n->min_props == 1 ? "y" : "ies",
		    size);
		if (!jsonschema_and(run, &ok, 0))
			return ok;
	}
	if (n->max_props >= 0 && size > (size_t)n->max_props) {
		jsonschema_fail(run, path,
		    "expected at most %lld propert%s, got %zu",
		    (long long)n->max_props, n->max_props == 1 ? "y" : "ies",
		    size);
		if (!jsonschema_and(run, &ok, 0))
			return ok;
	}
	for (i = 0; n->required != NULL && i < json_array_size(n->required);
	     i++) {
		need = json_array_get(n->required, i);
		if (json_object_getn(v, json_string_value(need),
			json_string_length(need)) != NULL)
			continue;
		if (jsonschema_more(run)) {
			a = jsonschema_shown(need);
			jsonschema_fail(run, path,
			    "missing required property %s", a);
			free(a);
		}
		if (!jsonschema_and(run, &ok, 0))
			return ok;
	}
	if (n->dep_required != NULL)
		for (it = json_object_iter((json_t *)n->dep_required);
		     it != NULL;
		     it =
			 json_object_iter_next((json_t *)n->dep_required, it)) {
			key = json_object_iter_key(it);
			len = json_object_iter_key_len(it);
			if (json_object_getn(v, key, len) == NULL)
				continue;
			need = json_object_iter_value(it);
			for (j = 0; j < json_array_size(need); j++) {
				mv = json_array_get(need, j);
				if (json_object_getn(v, json_string_value(mv),
					json_string_length(mv)) != NULL)
					continue;
				if (jsonschema_more(run)) {
					a = jsonschema_name(key, len);
					b = jsonschema_shown(mv);
					jsonschema_fail(run, path,
					    "property %s requires property %s",
					    a, b);
					free(a);
					free(b);
				}
				if (!jsonschema_and(run, &ok, 0))
					return ok;
			}
		}
	for (i = 0; i < n->nprops; i++) {
		mv = json_object_getn(v, n->props[i].name, n->props[i].len);
		if (mv != NULL &&
		    !jsonschema_and(run, &ok,
			jsonschema_child(run, n->props[i].node, mv, path,
			    n->props[i].name, n->props[i].len, depth)))
			return ok;
	}
	for (i = 0; i < n->ndep; i++)
		if (json_object_getn(v, n->dep_schemas[i].name,
			n->dep_schemas[i].len) != NULL &&
		    !jsonschema_and(run, &ok,
			jsonschema_eval(run, n->dep_schemas[i].node, v, path,
			    depth)))
			return ok;
	if (n->npprops == 0 && n->additional == NULL && n->names == NULL)
		return ok;
	for (it = json_object_iter((json_t *)v); it != NULL;
	     it = json_object_iter_next((json_t *)v, it)) {
		key = json_object_iter_key(it);
		len = json_object_iter_key_len(it);
		if (n->names != NULL &&
		    !jsonschema_and(run, &ok,
			jsonschema_check_name(run, n, key, len, path, depth)))
			return ok;
		if (!jsonschema_and(run, &ok,
			jsonschema_check_member(run, n, key, len,
			    json_object_iter_value(it), path, depth)))
			return ok;
	}
	return ok;
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

static int
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
