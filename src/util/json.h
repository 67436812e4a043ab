/*
 * json.h — helpers around jansson.  Jansson owns the json_ prefix, so this
 * module's functions are named oxjson_.
 */
#ifndef OXIOS_UTIL_JSON_H
#define OXIOS_UTIL_JSON_H

#include <stdio.h>
#include <jansson.h>

/*
 * Parse `len` bytes of JSON (any value), refusing more than `cap` bytes.
 * Returns a new reference, or NULL with *cause (caller frees) naming the
 * line, column and byte position of the error.
 */
json_t *oxjson_parse(const char *text, size_t len, size_t cap, char **cause);
/* obj[key] as a string, or `def` if absent or not a string. */
const char *oxjson_str(const json_t *obj, const char *key, const char *def);
/* obj[key] as an integer, or `def` if absent or not an integer. */
json_int_t oxjson_int(const json_t *obj, const char *key, json_int_t def);
/* obj[key] as a boolean, or `def` if absent or not a boolean. */
int oxjson_bool(const json_t *obj, const char *key, int def);
/* Name of the value's type: "string", "integer", "float", "table"... */
const char *oxjson_type_name(const json_t *v);
/*
 * How every JSON shown to people and clients (the CLI, the REST API, the
 * WebSocket, SSE) writes a float: 15 significant digits, so 0.8 is 0.8
 * (not 0.80000000000000004) and a sum of costs does not end in ...0001.
 * Internal records that must round-trip exactly (the control socket)
 * keep jansson's 17.
 */
#define OXJSON_REAL JSON_REAL_PRECISION(15)

/* Write v to f, indented when `pretty`, and a newline (floats with
 * OXJSON_REAL).  Returns 0 or -1. */
int oxjson_print(FILE *f, const json_t *v, int pretty);

#endif
