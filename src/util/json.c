/*
 * json.c — jansson helpers.
 */
#include <stdlib.h>

#include "util/json.h"
#include "util/xalloc.h"

json_t *
oxjson_parse(const char *text, size_t len, size_t cap, char **cause)
{
	json_error_t err;
	json_t *v;

	if (len > cap) {
		xasprintf(cause, "JSON text too large (%zu bytes, limit %zu)",
		    len, cap);
		return NULL;
	}
	v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    &err);
	if (v == NULL)
		xasprintf(cause,
		    "invalid JSON at line %d, column %d (byte %d): %s",
		    err.line, err.column, err.position, err.text);
	return v;
}

const char *
oxjson_str(const json_t *obj, const char *key, const char *def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

json_int_t
oxjson_int(const json_t *obj, const char *key, json_int_t def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

int
oxjson_bool(const json_t *obj, const char *key, int def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

const char *
oxjson_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "table";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "float";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

int
oxjson_print(FILE *f, const json_t *v, int pretty)
{
	size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | OXJSON_REAL;

	flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
	if (json_dumpf(v, f, flags) == -1)
		return -1;
	return fputc('\n', f) == EOF ? -1 : 0;
}
