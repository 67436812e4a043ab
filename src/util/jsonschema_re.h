/*
 * jsonschema_re.h — shared by the two halves of the pattern translation
 * (jsonschema_regex.c, jsonschema_class.c); nothing else includes it.
 */
#ifndef OXIOS_UTIL_JSONSCHEMA_RE_H
#define OXIOS_UTIL_JSONSCHEMA_RE_H

#include <stdint.h>

#include "util/buf.h"

#define JSONSCHEMA_RE_MAX_RANGE 256 /* non-ASCII code points of a range */

/* The translation in progress. */
struct jsonschema_re {
	const char *s; /* the ECMA pattern */
	size_t len;
	size_t i;       /* read offset */
	struct buf out; /* the POSIX pattern */
	int nest;       /* groups open */
	char *err;      /* what went wrong (owned) */
};

/* One class being built: ranges of code points (a single is lo == hi). */
struct jsonschema_re_class {
	uint32_t (*r)[2];
	size_t n;
	size_t size;
	int neg;
};

/* Record the first error (at the read offset); returns -1. */
int jsonschema_re_fail(struct jsonschema_re *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append POSIX text to the output. */
void jsonschema_re_emit(struct jsonschema_re *p, const char *s);
/* Append code point c as UTF-8. */
void jsonschema_re_utf8(struct buf *b, uint32_t c);
/* The code point at the read offset (well-formed UTF-8), consumed. */
int jsonschema_re_char(struct jsonschema_re *p, uint32_t *c);
/* The escape after a backslash (consumed): *cls one of "dDwWsSbB", or
 * *c the code point. */
int jsonschema_re_escape(struct jsonschema_re *p, int in_class, uint32_t *c,
    char *cls);
/* A bracket expression at the read offset (after '['), translated. */
int jsonschema_re_class(struct jsonschema_re *p);
/* A class escape (\d \D \w \W \s \S) outside brackets, translated. */
void jsonschema_re_class_escape(struct jsonschema_re *p, char cls);

#endif
