/*
 * toml.h — a TOML 1.0 parser that builds a jansson tree, and a writer.
 *
 * The parser accepts exactly TOML 1.0.0 (checked against the toml-test
 * corpus in ../shared/conformance/toml-test) and never reads more than
 * TOML_MAX_INPUT bytes.  Errors carry a 1-based line and column; the column
 * counts UTF-8 characters.
 *
 * Plain mode (flags 0) maps TOML to jansson's own types: table -> object,
 * array -> array, string -> string, integer -> integer, float -> real,
 * boolean -> true/false.  Values jansson cannot hold keep their TOML text as
 * a string: offset/local date-times, dates and times (RFC 3339 text as
 * written, with 'T' separator and 'Z' in upper case), and the floats inf,
 * -inf and nan (also what a float too large for a double reads as).
 *
 * Tagged mode (TOML_TAGGED) keeps every type: each scalar becomes
 * {"type": T, "value": S} as in toml-test, with T one of string, integer,
 * float, bool, datetime, datetime-local, date-local, time-local and S the
 * value as a string.
 */
#ifndef OXIOS_UTIL_TOML_H
#define OXIOS_UTIL_TOML_H

#include <stddef.h>
#include <jansson.h>

#define TOML_MAX_INPUT (8 * 1024 * 1024) /* bytes; larger input is refused */
#define TOML_MAX_DEPTH 256               /* nesting of tables and arrays */

#define TOML_TAGGED 0x1 /* scalars as {"type","value"} (see above) */

struct toml_error {
	int line;      /* 1-based; 0 when the error has no position */
	int col;       /* 1-based, in UTF-8 characters */
	char msg[200]; /* what is wrong, without the position */
};

/*
 * Locations of what the document defines, for error messages and for
 * editing a file in place.  Each entry of the object filled by toml_parse()
 * is keyed by a path (see toml_path_append()) and holds an array
 *   [line, col, start, end]
 * line/col: 1-based position of the key (or of the '[' of a table header).
 * For a key/value: start/end are the byte offsets of the value's text
 * (end exclusive; for a multi-line value, the whole literal).
 * For a [table] or [[array]] header: start is the offset of the header's
 * first byte; end is the offset of the end of the last line that belongs to
 * the table's section (header or key/value line, comments excluded), i.e.
 * the offset of that line's '\n' (of the '\r' of a CRLF), or the length of
 * the input.
 * Tables created implicitly (by a dotted key or a sub-table header) have no
 * entry of their own.
 */

/*
 * Parse `len` bytes of `text` (need not be NUL-terminated).
 * On success: returns 0, *out gets a new reference to the root object
 * (caller json_decref()s it); if `pos` is not NULL, *pos gets a new object
 * of locations as described above (caller json_decref()s it).
 * On failure: returns -1, fills *err, and leaves *out and *pos NULL.
 */
int toml_parse(const char *text, size_t len, int flags, json_t **out,
    json_t **pos, struct toml_error *err);

/*
 * Append one key to a path in `buf` (of `size` bytes, NUL-terminated):
 * segments are joined by '.', a key that is not a bare key
 * ([A-Za-z0-9_-]+) is written as a TOML basic string ("a.b").  An element of
 * an array of tables is written as [N] after its key: servers[0].name.
 * Returns 0, or -1 if it does not fit (buf is then unchanged).
 */
int toml_path_append(char *buf, size_t size, const char *key);

/*
 * The TOML text of one value of a plain-mode tree (string, integer, real,
 * true/false, array, object as an inline table).  Strings are written as
 * basic strings with escapes.  Returns a new string (caller frees), or
 * NULL for a value TOML cannot express (null).
 */
char *toml_format_value(const json_t *v);

/*
 * A whole TOML document for a plain-mode root object: top-level scalars
 * first, then one [table] section per object (nested tables as
 * [a.b]), arrays of objects as [[a]].  Returns a new string (caller frees).
 */
char *toml_dump(const json_t *root);

/* Whether `s` can be written as a bare key. */
int toml_is_bare_key(const char *s);

#endif
