/*
 * jsonschema_keywords.c — the keywords of a schema: the table (one row
 * per keyword: its name, the check of its value, the node field it
 * fills), the table of keywords refused and why, and the compiling of
 * each keyword's value into the node.  What each keyword then asserts of
 * a value is in jsonschema_check.c.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonschema_int.h"
#include "util/xalloc.h"

struct jsonschema_keyword {
	const char *name;
	int (*compile)(struct jsonschema_cc *, struct jsonschema_node *,
	    const json_t *v, size_t off);
	size_t off; /* the node field filled, for the shared checks */
};

struct jsonschema_refused {
	const char *name;
	const char *why;
};

/* A count: a non-negative integer (2.0 is one).  0, or -1. */
static int
jsonschema_kw_count(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	json_int_t *field = (json_int_t *)((char *)n + off);
	double d;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*field = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && jsonschema_is_integral(v) &&
	    (d = json_real_value(v)) >= 0) {
		*field = d >= 9.2e18 ? INT64_MAX : (json_int_t)d;
		return 0;
	}
	return jsonschema_cc_fail(cc, "must be a non-negative integer");
}

static int
jsonschema_kw_number(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	if (!json_is_number(v))
		return jsonschema_cc_fail(cc, "must be a number");
	*(const json_t **)((char *)n + off) = v;
	return 0;
}

static int
jsonschema_kw_multiple(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)off;
	if (!json_is_number(v) || json_number_value(v) <= 0)
		return jsonschema_cc_fail(cc, "must be a number above 0");
	n->multiple = v;
	return 0;
}

/* title, description, $comment, $schema, format: annotations. */
static int
jsonschema_kw_text(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)n;
	(void)off;
	return json_is_string(v) ? 0 :
				   jsonschema_cc_fail(cc, "must be a string");
}

/* deprecated, readOnly, writeOnly: annotations. */
static int
jsonschema_kw_flag(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)n;
	(void)off;
	return json_is_boolean(v) ?
	    0 :
	    jsonschema_cc_fail(cc, "must be true or false");
}

/* default: any value, an annotation. */
static int
jsonschema_kw_any(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)cc;
	(void)n;
	(void)v;
	(void)off;
	return 0;
}

static int
jsonschema_kw_examples(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)n;
	(void)off;
	return json_is_array(v) ? 0 :
				  jsonschema_cc_fail(cc, "must be an array");
}

/* Meta-schemas whose keywords mean here what they mean in 2020-12. */
static const char *const jsonschema_metas[] = {
	"json-schema.org/draft/2020-12/schema",
	"json-schema.org/draft/2019-09/schema",
	"json-schema.org/draft-07/schema",
	"json-schema.org/draft-06/schema",
};

static int
jsonschema_kw_schema_uri(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	const char *uri = json_string_value(v);
	size_t len, i;

	(void)n;
	(void)off;
	if (!json_is_string(v))
		return jsonschema_cc_fail(cc, "must be a string");
	if (strncmp(uri, "https://", 8) == 0)
		uri += 8;
	else if (strncmp(uri, "http://", 7) == 0)
		uri += 7;
	len = strlen(uri);
	if (len > 0 && uri[len - 1] == '#')
		len--;
	for (i = 0; i < sizeof jsonschema_metas / sizeof jsonschema_metas[0];
	     i++)
		if (strlen(jsonschema_metas[i]) == len &&
		    strncmp(uri, jsonschema_metas[i], len) == 0)
			return 0;
	return jsonschema_cc_fail(cc,
	    "unknown meta-schema \"%.*s\" (draft 2020-12 is supported)",
	    (int)jsonschema_cut(json_string_value(v),
		strlen(json_string_value(v)), 80),
	    json_string_value(v));
}

static int
jsonschema_kw_id(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)off;
	if (!json_is_string(v))
		return jsonschema_cc_fail(cc, "must be a string");
	if (n->src != cc->s->doc)
		return jsonschema_cc_fail(cc,
		    "\"$id\" below the root (an embedded resource) is not "
		    "supported");
	cc->root_id = json_string_value(v);
	cc->root_id_len = strlen(cc->root_id);
	if (cc->root_id_len > 0 && cc->root_id[cc->root_id_len - 1] == '#')
		cc->root_id_len--;
	return 0;
}

static int
jsonschema_kw_ref(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)off;
	if (!json_is_string(v))
		return jsonschema_cc_fail(cc, "must be a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return jsonschema_cc_fail(cc, "holds a NUL");
	n->ref_str = json_string_value(v);
	return 0;
}

static const char *const jsonschema_type_names[] = { "null", "boolean",
	"object", "array", "number", "string", "integer" };

static unsigned
jsonschema_type_bit(const json_t *v)
{
	size_t i;

	if (!json_is_string(v))
		return 0;
	for (i = 0; i < 7; i++)
		if (strcmp(json_string_value(v), jsonschema_type_names[i]) == 0)
			return 1u << i;
	return 0;
}

static int
jsonschema_kw_type(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	unsigned bit;
	size_t i;

	(void)off;
	if (json_is_string(v)) {
		if ((n->types = jsonschema_type_bit(v)) == 0)
			return jsonschema_cc_fail(cc,
			    "unknown type \"%s\" (one of null, boolean, "
			    "object, array, number, string, integer)",
			    json_string_value(v));
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return jsonschema_cc_fail(cc,
		    "must be a type name or a non-empty array of them");
	for (i = 0; i < json_array_size(v); i++) {
		bit = jsonschema_type_bit(json_array_get(v, i));
		if (bit == 0 || (n->types & bit) != 0)
			return jsonschema_cc_fail(cc,
			    "item %zu is not a type name, or is repeated", i);
		n->types |= bit;
	}
	return 0;
}

static int
jsonschema_kw_enum(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)off;
	if (!json_is_array(v))
		return jsonschema_cc_fail(cc, "must be an array");
	n->enum_v = v;
	return 0;
}

static int
jsonschema_kw_const(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)cc;
	(void)off;
	n->const_v = v;
	return 0;
}

static int
jsonschema_kw_unique(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)off;
	if (!json_is_boolean(v))
		return jsonschema_cc_fail(cc, "must be true or false");
	n->unique = json_is_true(v);
	return 0;
}

/* A compiled pattern, kept in the schema's list to be freed. */
static struct jsonschema_regex *
jsonschema_cc_regex(struct jsonschema_cc *cc, const char *src, size_t len)
{
	struct jsonschema *s = cc->s;
	struct jsonschema_regex *re = xcalloc(1, sizeof *re);
	char *why = NULL;

	if (jsonschema_regex_compile(re, src, len, &why) != 0) {
		jsonschema_cc_fail(cc, "pattern \"%.*s\": %s",
		    (int)jsonschema_cut(src, len, 80), src, why);
		free(why);
		free(re);
		return NULL;
	}
	if (s->nregexes == s->rsize) {
		s->rsize = s->rsize == 0 ? 8 : s->rsize * 2;
		s->regexes =
		    xreallocarray(s->regexes, s->rsize, sizeof *s->regexes);
	}
	s->regexes[s->nregexes++] = re;
	return re;
}

static int
jsonschema_kw_pattern(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)off;
	if (!json_is_string(v))
		return jsonschema_cc_fail(cc, "must be a string");
	n->pattern = jsonschema_cc_regex(cc, json_string_value(v),
	    json_string_length(v));
	return n->pattern != NULL ? 0 : -1;
}

/* A subschema at `name` below the current location. */
static struct jsonschema_node *
jsonschema_cc_sub(struct jsonschema_cc *cc, const json_t *v, const char *name,
    size_t len)
{
	struct jsonschema_node *sub;
	size_t saved = jsonschema_cc_push(cc, name, len);

	sub = jsonschema_cc_node(cc, v);
	jsonschema_cc_pop(cc, saved);
	return sub;
}

/* items, contains, additionalProperties, propertyNames, not, if... */
static int
jsonschema_kw_schema(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	struct jsonschema_node *sub;

	if (json_is_array(v) && off == offsetof(struct jsonschema_node, items))
		return jsonschema_cc_fail(cc,
		    "must be a schema (draft 2020-12 spells a tuple "
		    "\"prefixItems\")");
	if ((sub = jsonschema_cc_node(cc, v)) == NULL)
		return -1;
	*(struct jsonschema_node **)((char *)n + off) = sub;
	return 0;
}

/* prefixItems, allOf, anyOf, oneOf: non-empty arrays of schemas. */
static int
jsonschema_kw_list(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	struct jsonschema_list *l = (struct jsonschema_list *)((char *)n + off);
	size_t i, saved;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return jsonschema_cc_fail(cc,
		    "must be a non-empty array of schemas");
	l->v = xcalloc(json_array_size(v), sizeof *l->v);
	for (i = 0; i < json_array_size(v); i++) {
		saved = jsonschema_cc_push_index(cc, i);
		l->v[i] = jsonschema_cc_node(cc, json_array_get(v, i));
		jsonschema_cc_pop(cc, saved);
		if (l->v[i] == NULL)
			return -1;
		l->n++;
	}
	return 0;
}

/*
 * An object of schemas: properties, dependentSchemas, $defs.  Fills
 * *out (if not NULL) with the names and nodes.
 */
static int
jsonschema_cc_named(struct jsonschema_cc *cc, const json_t *v,
    struct jsonschema_named **out, size_t *n)
{
	struct jsonschema_named *a = NULL;
	struct jsonschema_node *sub;
	const char *key;
	size_t len;
	void *it;

	if (!json_is_object(v))
		return jsonschema_cc_fail(cc, "must be an object of schemas");
	if (out != NULL)
		a = xcalloc(json_object_size(v) + 1, sizeof *a);
	*n = 0;
	for (it = json_object_iter((json_t *)v); it != NULL;
	     it = json_object_iter_next((json_t *)v, it)) {
		key = json_object_iter_key(it);
		len = json_object_iter_key_len(it);
		sub =
		    jsonschema_cc_sub(cc, json_object_iter_value(it), key, len);
		if (sub == NULL) {
			free(a);
			return -1;
		}
		if (a != NULL) {
			a[*n].name = key;
			a[*n].len = len;
			a[*n].node = sub;
		}
		(*n)++;
	}
	if (out != NULL)
		*out = a;
	return 0;
}

static int
jsonschema_kw_properties(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)off;
	n->props_obj = v;
	return jsonschema_cc_named(cc, v, &n->props, &n->nprops);
}

static int
jsonschema_kw_dep_schemas(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)off;
	return jsonschema_cc_named(cc, v, &n->dep_schemas, &n->ndep);
}

static int
jsonschema_kw_defs(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	size_t count;

	(void)n;
	(void)off;
	return jsonschema_cc_named(cc, v, NULL, &count);
}

static int
jsonschema_kw_pattern_props(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	struct jsonschema_patterned *a;
	const char *key;
	size_t len, saved;
	void *it;

	(void)off;
	if (!json_is_object(v))
		return jsonschema_cc_fail(cc, "must be an object of schemas");
	a = xcalloc(json_object_size(v) + 1, sizeof *a);
	n->pprops = a;
	for (it = json_object_iter((json_t *)v); it != NULL;
	     it = json_object_iter_next((json_t *)v, it)) {
		key = json_object_iter_key(it);
		len = json_object_iter_key_len(it);
		saved = jsonschema_cc_push(cc, key, len);
		a[n->npprops].re = jsonschema_cc_regex(cc, key, len);
		if (a[n->npprops].re != NULL)
			a[n->npprops].node =
			    jsonschema_cc_node(cc, json_object_iter_value(it));
		jsonschema_cc_pop(cc, saved);
		if (a[n->npprops].node == NULL)
			return -1;
		n->npprops++;
	}
	return 0;
}

/* An array of distinct strings (required, dependentRequired's values). */
static int
jsonschema_cc_names(struct jsonschema_cc *cc, const json_t *v)
{
	const json_t *a, *b;
	size_t i, j;

	if (!json_is_array(v))
		return jsonschema_cc_fail(cc, "must be an array of strings");
	for (i = 0; i < json_array_size(v); i++) {
		a = json_array_get(v, i);
		if (!json_is_string(a))
			return jsonschema_cc_fail(cc,
			    "item %zu is not a string", i);
		/* Quadratic, but only over the schema, once. */
		for (j = 0; j < i; j++) {
			b = json_array_get(v, j);
			if (json_string_length(a) == json_string_length(b) &&
			    memcmp(json_string_value(a), json_string_value(b),
				json_string_length(a)) == 0)
				return jsonschema_cc_fail(cc,
				    "item %zu repeats item %zu", i, j);
		}
	}
	return 0;
}

static int
jsonschema_kw_required(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	(void)off;
	if (jsonschema_cc_names(cc, v) != 0)
		return -1;
	n->required = v;
	return 0;
}

static int
jsonschema_kw_dep_required(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const json_t *v, size_t off)
{
	size_t saved;
	void *it;
	int rc;

	(void)off;
	if (!json_is_object(v))
		return jsonschema_cc_fail(cc,
		    "must be an object of string arrays");
	for (it = json_object_iter((json_t *)v); it != NULL;
	     it = json_object_iter_next((json_t *)v, it)) {
		saved = jsonschema_cc_push(cc, json_object_iter_key(it),
		    json_object_iter_key_len(it));
		rc = jsonschema_cc_names(cc, json_object_iter_value(it));
		jsonschema_cc_pop(cc, saved);
		if (rc != 0)
			return -1;
	}
	n->dep_required = v;
	return 0;
}

#define JSONSCHEMA_AT(field) offsetof(struct jsonschema_node, field)

/* Every keyword supported: its check and the field it fills. */
static const struct jsonschema_keyword jsonschema_keywords[] = {
	{ "type", jsonschema_kw_type, 0 },
	{ "enum", jsonschema_kw_enum, 0 },
	{ "const", jsonschema_kw_const, 0 },
	{ "minimum", jsonschema_kw_number, JSONSCHEMA_AT(minimum) },
	{ "maximum", jsonschema_kw_number, JSONSCHEMA_AT(maximum) },
	{ "exclusiveMinimum", jsonschema_kw_number, JSONSCHEMA_AT(xminimum) },
	{ "exclusiveMaximum", jsonschema_kw_number, JSONSCHEMA_AT(xmaximum) },
	{ "multipleOf", jsonschema_kw_multiple, 0 },
	{ "minLength", jsonschema_kw_count, JSONSCHEMA_AT(min_length) },
	{ "maxLength", jsonschema_kw_count, JSONSCHEMA_AT(max_length) },
	{ "pattern", jsonschema_kw_pattern, 0 },
	{ "minItems", jsonschema_kw_count, JSONSCHEMA_AT(min_items) },
	{ "maxItems", jsonschema_kw_count, JSONSCHEMA_AT(max_items) },
	{ "uniqueItems", jsonschema_kw_unique, 0 },
	{ "prefixItems", jsonschema_kw_list, JSONSCHEMA_AT(prefix) },
	{ "items", jsonschema_kw_schema, JSONSCHEMA_AT(items) },
	{ "contains", jsonschema_kw_schema, JSONSCHEMA_AT(contains) },
	{ "minContains", jsonschema_kw_count, JSONSCHEMA_AT(min_contains) },
	{ "maxContains", jsonschema_kw_count, JSONSCHEMA_AT(max_contains) },
	{ "properties", jsonschema_kw_properties, 0 },
	{ "patternProperties", jsonschema_kw_pattern_props, 0 },
	{ "additionalProperties", jsonschema_kw_schema,
	    JSONSCHEMA_AT(additional) },
	{ "required", jsonschema_kw_required, 0 },
	{ "minProperties", jsonschema_kw_count, JSONSCHEMA_AT(min_props) },
	{ "maxProperties", jsonschema_kw_count, JSONSCHEMA_AT(max_props) },
	{ "propertyNames", jsonschema_kw_schema, JSONSCHEMA_AT(names) },
	{ "dependentRequired", jsonschema_kw_dep_required, 0 },
	{ "dependentSchemas", jsonschema_kw_dep_schemas, 0 },
	{ "allOf", jsonschema_kw_list, JSONSCHEMA_AT(all_of) },
	{ "anyOf", jsonschema_kw_list, JSONSCHEMA_AT(any_of) },
	{ "oneOf", jsonschema_kw_list, JSONSCHEMA_AT(one_of) },
	{ "not", jsonschema_kw_schema, JSONSCHEMA_AT(not_) },
	{ "if", jsonschema_kw_schema, JSONSCHEMA_AT(if_) },
	{ "then", jsonschema_kw_schema, JSONSCHEMA_AT(then_) },
	{ "else", jsonschema_kw_schema, JSONSCHEMA_AT(else_) },
	{ "$ref", jsonschema_kw_ref, 0 },
	{ "$defs", jsonschema_kw_defs, 0 },
	{ "definitions", jsonschema_kw_defs, 0 },
	{ "$id", jsonschema_kw_id, 0 },
	{ "$schema", jsonschema_kw_schema_uri, 0 },
	{ "$comment", jsonschema_kw_text, 0 },
	{ "title", jsonschema_kw_text, 0 },
	{ "description", jsonschema_kw_text, 0 },
	{ "format", jsonschema_kw_text, 0 },
	{ "default", jsonschema_kw_any, 0 },
	{ "examples", jsonschema_kw_examples, 0 },
	{ "deprecated", jsonschema_kw_flag, 0 },
	{ "readOnly", jsonschema_kw_flag, 0 },
	{ "writeOnly", jsonschema_kw_flag, 0 },
};
#define JSONSCHEMA_NKEYWORDS \
	(sizeof jsonschema_keywords / sizeof jsonschema_keywords[0])

/* Keywords known and refused, with what to do instead. */
static const struct jsonschema_refused jsonschema_refused[] = {
	{ "$anchor",
	    "anchors are not supported: use \"$ref\": "
	    "\"#/$defs/name\"" },
	{ "$dynamicRef", "dynamic references are not supported" },
	{ "$dynamicAnchor", "dynamic references are not supported" },
	{ "$recursiveRef", "draft 2019-09 recursion is not supported" },
	{ "$recursiveAnchor", "draft 2019-09 recursion is not supported" },
	{ "$vocabulary", "meta-schemas are not supported" },
	{ "unevaluatedProperties",
	    "not supported: use \"additionalProperties\"" },
	{ "unevaluatedItems", "not supported: use \"items\"" },
	{ "contentEncoding", "content keywords are not supported" },
	{ "contentMediaType", "content keywords are not supported" },
	{ "contentSchema", "content keywords are not supported" },
	{ "additionalItems",
	    "draft 2019-09 and older: use \"items\" after "
	    "\"prefixItems\"" },
	{ "dependencies",
	    "draft 7 and older: use \"dependentRequired\" or "
	    "\"dependentSchemas\"" },
};

static const struct jsonschema_keyword *
jsonschema_keyword(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < JSONSCHEMA_NKEYWORDS; i++)
		if (strlen(jsonschema_keywords[i].name) == len &&
		    memcmp(jsonschema_keywords[i].name, name, len) == 0)
			return &jsonschema_keywords[i];
	return NULL;
}

/* A keyword its table does not have: refused, saying why if known. */
static int
jsonschema_cc_unknown(struct jsonschema_cc *cc, const char *name, size_t len)
{
	size_t i;
	char *shown = jsonschema_name(name, len);
	const char *why = NULL;
	int rc;

	for (i = 0;
	     i < sizeof jsonschema_refused / sizeof jsonschema_refused[0]; i++)
		if (strlen(jsonschema_refused[i].name) == len &&
		    memcmp(jsonschema_refused[i].name, name, len) == 0)
			why = jsonschema_refused[i].why;
	if (why != NULL)
		rc = jsonschema_cc_fail(cc, "unsupported keyword %s (%s)",
		    shown, why);
	else
		rc = jsonschema_cc_fail(cc, "unsupported keyword %s", shown);
	free(shown);
	return rc;
}

int
jsonschema_cc_keyword(struct jsonschema_cc *cc, struct jsonschema_node *n,
    const char *key, size_t len, const json_t *v)
{
	const struct jsonschema_keyword *kw;
	size_t saved;
	int rc;

	if ((kw = jsonschema_keyword(key, len)) == NULL)
		return jsonschema_cc_unknown(cc, key, len);
	saved = jsonschema_cc_push(cc, key, len);
	rc = kw->compile(cc, n, v, kw->off);
	jsonschema_cc_pop(cc, saved);
	return rc;
}

static pthread_once_t jsonschema_names_once = PTHREAD_ONCE_INIT;
static const char *jsonschema_names[JSONSCHEMA_NKEYWORDS + 1];

static void
jsonschema_names_init(void)
{
	size_t i;

	for (i = 0; i < JSONSCHEMA_NKEYWORDS; i++)
		jsonschema_names[i] = jsonschema_keywords[i].name;
	jsonschema_names[i] = NULL;
}

const char *const *
jsonschema_supported(void)
{
	pthread_once(&jsonschema_names_once, jsonschema_names_init);
	return jsonschema_names;
}
