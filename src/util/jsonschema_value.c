/*
 * jsonschema_value.c — JSON values as JSON Schema sees them: numbers
 * compared by value (1 is 1.0, and an integer past 2^53 is not rounded),
 * equality with unordered members, a hash that agrees with it (for
 * uniqueItems in n log n), and short renderings for messages.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonschema_int.h"
#include "util/xalloc.h"

#define JSONSCHEMA_HASH_DEPTH 32  /* nesting of values hashed */
#define JSONSCHEMA_SHOW 60        /* bytes of a value in a message */
#define JSONSCHEMA_SHOW_STRING 40 /* bytes of a string in a message */

int
jsonschema_is_integral(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return 1;
	if (!json_is_real(v))
		return 0;
	d = json_real_value(v);
	return isfinite(d) && d == floor(d);
}

const char *
jsonschema_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return jsonschema_is_integral(v) ? "integer" : "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

/* json_dump_callback() into a buffer, stopping at JSONSCHEMA_SHOW. */
static int
jsonschema_show_cb(const char *s, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + n > JSONSCHEMA_SHOW) {
		(void)buf_add(b, s, JSONSCHEMA_SHOW - b->len);
		return -1;
	}
	(void)buf_add(b, s, n);
	return 0;
}

void
jsonschema_show(struct buf *out, const json_t *v)
{
	struct buf b;
	char num[40];
	json_t *s;
	size_t n;
	int p;

	if (json_is_real(v)) {
		/* The shortest form that reads back: 0.1, not 0.1000...1. */
		for (p = 1; p <= 17; p++) {
			snprintf(num, sizeof num, "%.*g", p,
			    json_real_value(v));
			if (strtod(num, NULL) == json_real_value(v))
				break;
		}
		if (strpbrk(num, ".en") == NULL)
			strcat(num, ".0");
		(void)buf_adds(out, num);
		return;
	}
	if (json_is_string(v) &&
	    json_string_length(v) > JSONSCHEMA_SHOW_STRING) {
		/* Cut at a character boundary, and say so. */
		n = jsonschema_cut(json_string_value(v), json_string_length(v),
		    JSONSCHEMA_SHOW_STRING);
		s = json_stringn_nocheck(json_string_value(v), n);
		buf_init(&b, BUF_NOCAP);
		jsonschema_show(&b, s);
		json_decref(s);
		(void)buf_add(out, b.data, b.len - 1);
		(void)buf_adds(out, "...\"");
		buf_free(&b);
		return;
	}
	buf_init(&b, BUF_NOCAP);
	if (json_dump_callback(v, jsonschema_show_cb, &b,
		JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15)) != 0)
		(void)buf_adds(&b, "...");
	(void)buf_add(out, buf_str(&b), b.len);
	buf_free(&b);
}

size_t
jsonschema_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && (s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

char *
jsonschema_name(const char *s, size_t len)
{
	json_t *v = json_stringn_nocheck(s, len);
	char *out;

	if (v == NULL)
		abort(); /* out of memory */
	out = jsonschema_shown(v);
	json_decref(v);
	return out;
}

char *
jsonschema_shown(const json_t *v)
{
	struct buf b;

	buf_init(&b, BUF_NOCAP);
	jsonschema_show(&b, v);
	return buf_detach(&b);
}

int
jsonschema_cmp(const json_t *a, const json_t *b)
{
	json_int_t i, j;
	long double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		i = json_integer_value(a);
		j = json_integer_value(b);
		return (i > j) - (i < j);
	}
	/* long double holds every int64 and every double exactly. */
	x = json_is_integer(a) ? (long double)json_integer_value(a) :
				 (long double)json_real_value(a);
	y = json_is_integer(b) ? (long double)json_integer_value(b) :
				 (long double)json_real_value(b);
	return (x > y) - (x < y);
}

int
jsonschema_multiple(const json_t *x, const json_t *m)
{
	double q, r;

	if (json_is_integer(x) && json_is_integer(m))
		return json_integer_value(x) % json_integer_value(m) == 0;
	/* An integer by an integral real: exactly, past 2^53 too. */
	if (json_is_integer(x) && jsonschema_is_integral(m) &&
	    json_real_value(m) < 9223372036854775808.0)
		return json_integer_value(x) % (json_int_t)json_real_value(m) ==
		    0;
	q = json_number_value(x) / json_number_value(m);
	if (isinf(q))
		return fmod(json_number_value(x), json_number_value(m)) == 0;
	/* A few ulps of slack: 0.0075 / 0.0001 is 75.00000000000001. */
	r = nearbyint(q);
	return fabs(q - r) <= fabs(q) * 64 * DBL_EPSILON;
}

static int
jsonschema_equal_at(const json_t *a, const json_t *b, long *steps, int depth)
{
	const json_t *bv;
	size_t i;
	void *it;
	int r;

	(*steps)++;
	if (depth > JSONSCHEMA_MAX_EQ_DEPTH)
		return -1;
	if (json_is_number(a) && json_is_number(b))
		return jsonschema_cmp(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
			json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if ((r = jsonschema_equal_at(json_array_get(a, i),
				 json_array_get(b, i), steps, depth + 1)) != 1)
				return r;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		for (it = json_object_iter((json_t *)a); it != NULL;
		     it = json_object_iter_next((json_t *)a, it)) {
			bv = json_object_getn(b, json_object_iter_key(it),
			    json_object_iter_key_len(it));
			if (bv == NULL)
				return 0;
			if ((r = jsonschema_equal_at(json_object_iter_value(it),
				 bv, steps, depth + 1)) != 1)
				return r;
		}
		return 1;
	default:
		return 1; /* true, false, null */
	}
}

int
jsonschema_equal(const json_t *a, const json_t *b, long *steps)
{
	return jsonschema_equal_at(a, b, steps, 0);
}

static uint64_t
jsonschema_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ h >> 33;
}

static uint64_t
jsonschema_hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * A hash that agrees with jsonschema_equal(): numbers that are equal hash
 * alike, objects hash regardless of order.  Past JSONSCHEMA_HASH_DEPTH
 * levels values hash alike (equality tells them apart).
 */
static uint64_t
jsonschema_hash(const json_t *v, long *steps, int depth)
{
	uint64_t h;
	double d;
	size_t i;
	void *it;

	(*steps)++;
	if (depth > JSONSCHEMA_HASH_DEPTH)
		return 7;
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		return jsonschema_mix((uint64_t)json_integer_value(v));
	case JSON_REAL:
		d = json_real_value(v);
		if (d == floor(d) && d >= -9223372036854775808.0 &&
		    d < 9223372036854775808.0)
			return jsonschema_mix((uint64_t)(json_int_t)d);
		memcpy(&h, &d, sizeof h);
		return jsonschema_mix(h);
	case JSON_STRING:
		return jsonschema_hash_bytes(json_string_value(v),
		    json_string_length(v));
	case JSON_ARRAY:
		h = 0x1234;
		for (i = 0; i < json_array_size(v); i++)
			h = jsonschema_mix(h * 31 +
			    jsonschema_hash(json_array_get(v, i), steps,
				depth + 1));
		return h;
	case JSON_OBJECT:
		h = 0x5678;
		for (it = json_object_iter((json_t *)v); it != NULL;
		     it = json_object_iter_next((json_t *)v, it))
			h += jsonschema_mix(
			    jsonschema_hash_bytes(json_object_iter_key(it),
				json_object_iter_key_len(it)) ^
			    jsonschema_hash(json_object_iter_value(it), steps,
				depth + 1));
		return h;
	case JSON_TRUE:
		return 1;
	case JSON_FALSE:
		return 2;
	case JSON_NULL:
		break;
	}
	return 3;
}

struct jsonschema_hashed {
	uint64_t h;
	size_t i;
};

static int
jsonschema_hashed_cmp(const void *a, const void *b)
{
	const struct jsonschema_hashed *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

int
jsonschema_duplicate(const json_t *v, long *steps, size_t *lo, size_t *hi)
{
	struct jsonschema_hashed *a;
	size_t n = json_array_size(v), i, j;
	int r = 0, e;

	if (n < 2)
		return 0;
	a = xcalloc(n, sizeof *a);
	for (i = 0; i < n; i++) {
		a[i].h = jsonschema_hash(json_array_get(v, i), steps, 0);
		a[i].i = i;
	}
	qsort(a, n, sizeof *a, jsonschema_hashed_cmp);
	/* Only items of one hash are compared, pair by pair. */
	for (i = 0; i < n && r == 0; i++)
		for (j = i + 1; j < n && a[j].h == a[i].h && r == 0; j++) {
			if (*steps > JSONSCHEMA_MAX_STEPS)
				r = -1;
			else if ((e = jsonschema_equal(json_array_get(v,
							   a[i].i),
				      json_array_get(v, a[j].i), steps)) != 0) {
				/* Sorted by hash, then index: a[i].i < a[j].i. */
				*lo = a[i].i;
				*hi = a[j].i;
				r = e;
			}
		}
	free(a);
	return r;
}
