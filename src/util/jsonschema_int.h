/*
 * jsonschema_int.h — private to the jsonschema module (jsonschema.c
 * compiles, jsonschema_ref.c resolves $refs, jsonschema_eval.c validates
 * with jsonschema_check.c, jsonschema_value.c compares values,
 * jsonschema_regex.c translates patterns): the compiled form of a schema
 * and the state of a validation.
 *
 * Every schema (object or boolean) of the document becomes one node; a
 * node points to the nodes of its subschemas, and "$ref" to its target,
 * so the nodes form a graph.  The graph never has a cycle that stays on
 * the same instance value ($ref, allOf, anyOf, oneOf, not, if, then,
 * else, dependentSchemas): compiling refuses one.  Values such as enum
 * lists and property names point into the document, which the compiled
 * schema keeps a reference to.
 */
#ifndef OXIOS_UTIL_JSONSCHEMA_INT_H
#define OXIOS_UTIL_JSONSCHEMA_INT_H

#include <regex.h>
#include <stddef.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/jsonschema.h"

/* Instance types (struct jsonschema_node.types). */
#define JSONSCHEMA_NULL 0x01
#define JSONSCHEMA_BOOLEAN 0x02
#define JSONSCHEMA_OBJECT 0x04
#define JSONSCHEMA_ARRAY 0x08
#define JSONSCHEMA_NUMBER 0x10
#define JSONSCHEMA_STRING 0x20
#define JSONSCHEMA_INTEGER 0x40

/* A node's kind. */
#define JSONSCHEMA_FALSE 0  /* the schema false: nothing is valid */
#define JSONSCHEMA_TRUE 1   /* the schema true or {}: all is valid */
#define JSONSCHEMA_SCHEMA 2 /* an object with keywords */

struct jsonschema_regex {
	regex_t re;
	const char *src; /* the ECMA-262 pattern, in the document */
};

/* A name with a schema: properties, dependentSchemas. */
struct jsonschema_named {
	const char *name; /* in the document */
	size_t len;
	struct jsonschema_node *node;
};

/* A pattern with a schema: patternProperties. */
struct jsonschema_patterned {
	struct jsonschema_regex *re;
	struct jsonschema_node *node;
};

struct jsonschema_list {
	struct jsonschema_node **v;
	size_t n;
};

struct jsonschema_node {
	const json_t *src; /* the schema, in the document */
	char *where;       /* its location "#/..." (owned) */
	int kind;          /* JSONSCHEMA_FALSE, _TRUE, _SCHEMA */

	unsigned types;        /* JSONSCHEMA_* wanted, 0 for any */
	const json_t *enum_v;  /* array, or NULL */
	const json_t *const_v; /* NULL if absent (json null is a value) */
	const json_t *minimum; /* numbers, or NULL */
	const json_t *maximum;
	const json_t *xminimum; /* exclusiveMinimum */
	const json_t *xmaximum; /* exclusiveMaximum */
	const json_t *multiple; /* multipleOf, > 0 */

	json_int_t min_length, max_length; /* code points; -1 if absent */
	struct jsonschema_regex *pattern;

	json_int_t min_items, max_items; /* -1 if absent */
	int unique;
	struct jsonschema_list prefix;
	struct jsonschema_node *items;
	struct jsonschema_node *contains;
	json_int_t min_contains, max_contains; /* 1 and -1 by default */

	const json_t *props_obj; /* "properties", or NULL */
	struct jsonschema_named *props;
	size_t nprops;
	struct jsonschema_patterned *pprops;
	size_t npprops;
	struct jsonschema_node *additional;
	const json_t *required;          /* array of strings, or NULL */
	json_int_t min_props, max_props; /* -1 if absent */
	struct jsonschema_node *names;   /* propertyNames */
	const json_t *dep_required;      /* object of string arrays, or NULL */
	struct jsonschema_named *dep_schemas;
	size_t ndep;

	struct jsonschema_list all_of, any_of, one_of;
	struct jsonschema_node *not_, *if_, *then_, *else_;

	const char *ref_str;         /* "$ref" as written, or NULL */
	struct jsonschema_node *ref; /* its target */

	int chain; /* compiling: longest same-value path (-1 on the stack) */
};

struct jsonschema {
	json_t *doc;                    /* the schema (a reference) */
	struct jsonschema_node *root;   /* the node of doc */
	struct jsonschema_node **nodes; /* every node, to free them */
	size_t nnodes;
	size_t size;
	struct jsonschema_regex **regexes; /* every pattern, to free them */
	size_t nregexes;
	size_t rsize;
};

/* jsonschema.c: compiling. */
struct jsonschema_slot {
	const json_t *key;
	struct jsonschema_node *node;
};

/* The compilation in progress. */
struct jsonschema_cc {
	struct jsonschema *s;
	struct buf where;            /* location being compiled, "#/..." */
	struct jsonschema_slot *map; /* nodes by json_t pointer */
	size_t map_cap;              /* slots (a power of two, or 0) */
	size_t map_n;                /* used slots */
	const char *root_id;         /* the root's "$id", or NULL */
	size_t root_id_len;          /* without a trailing '#' */
	int depth;                   /* schemas nested around this one */
	char *err;                   /* the first error (owned) */
};

/* Record the first error at the current location; returns -1. */
int jsonschema_cc_fail(struct jsonschema_cc *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Make `where` the current location. */
void jsonschema_cc_set_where(struct jsonschema_cc *, const char *where);
/* Append "/name" (escaped, long names cut) or "/i" to the location;
 * each returns what jsonschema_cc_pop() takes to step back. */
size_t jsonschema_cc_push(struct jsonschema_cc *, const char *name, size_t len);
size_t jsonschema_cc_push_index(struct jsonschema_cc *, size_t i);
void jsonschema_cc_pop(struct jsonschema_cc *, size_t saved);
/* Compile keyword `key` of node `n`, its value `v` (jsonschema_keywords.c):
 * an unknown or refused keyword fails, saying why.  0, or -1. */
int jsonschema_cc_keyword(struct jsonschema_cc *, struct jsonschema_node *n,
    const char *key, size_t len, const json_t *v);
/* The node of schema `v` at the current location, or NULL on error. */
struct jsonschema_node *jsonschema_cc_node(struct jsonschema_cc *,
    const json_t *v);

/* jsonschema_ref.c */
/* The node compiled from `v`, or NULL. */
struct jsonschema_node *jsonschema_cc_map_get(const struct jsonschema_cc *,
    const json_t *v);
/* Remember node n under n->src. */
void jsonschema_cc_map_put(struct jsonschema_cc *, struct jsonschema_node *n);
/*
 * Once every schema is compiled: resolve each "$ref" (compiling targets
 * not met yet) and refuse a loop that stays on one value.  0, or -1.
 */
int jsonschema_cc_link(struct jsonschema_cc *);

/* jsonschema_eval.c: a validation in progress. */
#define JSONSCHEMA_TOKEN 64 /* bytes of a name in a message or pointer */

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

/* Whether the run still records messages. */
int jsonschema_more(const struct jsonschema_run *);
/* Record an error at `path` if messages are wanted; returns 0. */
int jsonschema_fail(struct jsonschema_run *, const struct jsonschema_path *,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record the limit hit at `path`; returns -1. */
int jsonschema_limit(struct jsonschema_run *, const struct jsonschema_path *,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Count `n` steps of work: 0, or -1 past JSONSCHEMA_MAX_STEPS. */
int jsonschema_charge(struct jsonschema_run *, const struct jsonschema_path *,
    long n);
/*
 * Fold a check's result `r` into *ok.  Returns 1 to go on with the next
 * check, 0 to stop (a limit, or an error and no more messages wanted).
 */
int jsonschema_and(const struct jsonschema_run *, int *ok, int r);
/* Apply `n` to v recording nothing: 1, 0 or -1. */
int jsonschema_try(struct jsonschema_run *, const struct jsonschema_node *n,
    const json_t *v, const struct jsonschema_path *, int depth);
/*
 * Apply `n` to v keeping its first error apart in *why (caller frees;
 * NULL if none): "message" if at `path`, else "pointer: message".
 */
int jsonschema_why(struct jsonschema_run *, const struct jsonschema_node *n,
    const json_t *v, const struct jsonschema_path *, int depth, char **why);
/* Apply `n` to the member `key` (kn bytes) or item kn (key NULL) of v. */
int jsonschema_child(struct jsonschema_run *, const struct jsonschema_node *n,
    const json_t *v, const struct jsonschema_path *up, const char *key,
    size_t kn, int depth);
/* Apply `n` to v, at `path`, `depth` levels into the instance. */
int jsonschema_eval(struct jsonschema_run *, const struct jsonschema_node *n,
    const json_t *v, const struct jsonschema_path *, int depth);

/* jsonschema_check.c: the keywords of one kind of value; 1, 0 or -1. */
int jsonschema_check_type(struct jsonschema_run *,
    const struct jsonschema_node *, const json_t *,
    const struct jsonschema_path *);
int jsonschema_check_enum(struct jsonschema_run *,
    const struct jsonschema_node *, const json_t *,
    const struct jsonschema_path *);
int jsonschema_check_number(struct jsonschema_run *,
    const struct jsonschema_node *, const json_t *,
    const struct jsonschema_path *);
int jsonschema_check_string(struct jsonschema_run *,
    const struct jsonschema_node *, const json_t *,
    const struct jsonschema_path *);
int jsonschema_check_array(struct jsonschema_run *,
    const struct jsonschema_node *, const json_t *,
    const struct jsonschema_path *, int depth);
int jsonschema_check_object(struct jsonschema_run *,
    const struct jsonschema_node *, const json_t *,
    const struct jsonschema_path *, int depth);

/* jsonschema_regex.c */
/*
 * Compile the ECMA-262 pattern `src` (`len` bytes) into `re`.  0, or -1
 * with *cause (caller frees) saying what is not supported.
 */
int jsonschema_regex_compile(struct jsonschema_regex *re, const char *src,
    size_t len, char **cause);
/*
 * 1 if the pattern matches somewhere in `s` (`len` bytes), 0 if not, -1
 * if `s` is too long for regexec() (2 GiB).
 */
int jsonschema_regex_match(const struct jsonschema_regex *re, const char *s,
    size_t len);
/* Free what jsonschema_regex_compile() made. */
void jsonschema_regex_free(struct jsonschema_regex *re);

/* jsonschema_value.c */
#define JSONSCHEMA_MAX_EQ_DEPTH 128 /* nesting of values compared */
/* Whether v is an integer: a JSON integer, or a real such as 1.0. */
int jsonschema_is_integral(const json_t *v);
/* "object", "array", "string", "integer" (1.0 too), "number"... */
const char *jsonschema_type_name(const json_t *v);
/* Append v to `out` as short JSON: "abc...", 0.1, {"a":1,"b":... */
void jsonschema_show(struct buf *out, const json_t *v);
/* jsonschema_show() as a new string (caller frees). */
char *jsonschema_shown(const json_t *v);
/* A name (`len` bytes) shown as a short JSON string (caller frees). */
char *jsonschema_name(const char *s, size_t len);
/* How many of the `len` bytes of UTF-8 `s` to keep for at most `max`. */
size_t jsonschema_cut(const char *s, size_t len, size_t max);
/* -1, 0 or 1 as the number a is below, equal to or above b (exactly). */
int jsonschema_cmp(const json_t *a, const json_t *b);
/* Whether the number x is a multiple of m (> 0). */
int jsonschema_multiple(const json_t *x, const json_t *m);
/*
 * JSON equality (1 equals 1.0, members unordered): 1 or 0, or -1 for
 * values nested deeper than JSONSCHEMA_MAX_EQ_DEPTH.  Adds the values
 * visited to *steps.
 */
int jsonschema_equal(const json_t *a, const json_t *b, long *steps);
/*
 * For uniqueItems: 1 with two equal items *lo < *hi, 0 if all differ, -1
 * as jsonschema_equal() or once *steps passes JSONSCHEMA_MAX_STEPS.
 */
int jsonschema_duplicate(const json_t *array, long *steps, size_t *lo,
    size_t *hi);

#endif
