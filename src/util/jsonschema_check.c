/*
 * jsonschema_check.c — the keywords that look at one kind of value:
 * type, enum and const, the number, string, array and object keywords.
 * Each check returns 1, 0 or -1 as described in jsonschema_eval.c, and
 * says why through jsonschema_fail().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonschema_int.h"
#include "util/xalloc.h"

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

int
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

int
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

int
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

int
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

int
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

int
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
