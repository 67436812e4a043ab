/*
 * toml_int.h — private to the toml module (toml.c, toml_scalar.c,
 * toml_write.c): the parser state and the helpers the files share.
 */
#ifndef OXIOS_UTIL_TOML_INT_H
#define OXIOS_UTIL_TOML_INT_H

#include <stddef.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/toml.h"

/* What is known about a table (struct toml_tflag.flags). */
#define TOML_T_TABLE 0x01  /* a table, not a tagged scalar */
#define TOML_T_HEADER 0x02 /* defined by [header] or [[header]] */
#define TOML_T_DOTTED 0x04 /* defined by dotted keys, in section .sect */
#define TOML_T_INLINE 0x08 /* an inline table: closed */
#define TOML_T_AOT 0x10    /* an array made by [[header]] */

struct toml_tflag {
	const json_t *v; /* NULL: free slot */
	unsigned flags;
	unsigned sect;
};

struct toml_parser {
	const char *s;          /* the input; not NUL-terminated */
	size_t len;             /* its length */
	size_t i;               /* read offset */
	size_t bom;             /* length of a leading byte order mark */
	int flags;              /* TOML_* */
	struct toml_error *err; /* filled by toml_fail() */

	json_t *root;       /* the document (owned until returned) */
	json_t *pos;        /* locations, or NULL if not wanted */
	size_t pos_bytes;   /* path bytes stored in pos so far */
	json_t *cur;        /* table of the current section */
	int cur_depth;      /* its depth below root */
	unsigned sect;      /* section number: 0 root, +1 per header */
	json_t *sect_entry; /* pos entry of the current header */
	size_t sect_end;    /* end of its last line so far */
	struct buf path;    /* path of what is being parsed (if pos) */

	struct toml_tflag *map; /* table flags, keyed by json_t pointer */
	size_t map_cap;         /* slots (power of two, or 0) */
	size_t map_n;           /* used slots */

	size_t loc_off; /* toml_loc() cache: offset ... */
	int loc_line;   /* ... its line ... */
	int loc_col;    /* ... and column */
};

/* toml_lex.c */
/* Record an error at byte offset `off`; always returns -1. */
int toml_fail(struct toml_parser *, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A short description of the character at `off` ("'x'", "newline", ...). */
const char *toml_desc(struct toml_parser *, size_t off, char *out, size_t size);
/* A newline (LF or CRLF) at p->i: its length, or 0. */
size_t toml_newline(const struct toml_parser *);
/* Abort on a NULL from a jansson constructor (out of memory). */
json_t *toml_json(json_t *);
/* The flags entry of table/array `v`, or NULL. */
struct toml_tflag *toml_map_find(const struct toml_parser *, const json_t *v);
/* Set the flags of `v` (and the section that defined it). */
void toml_map_set(struct toml_parser *, const json_t *v, unsigned flags,
    unsigned sect);
/* The flags of `v` (0 if none). */
unsigned toml_map_flags(const struct toml_parser *, const json_t *v);
/* A new table with `flags`. */
json_t *toml_table_new(struct toml_parser *, unsigned flags);
/* Whether `v` is a table (not a tagged scalar). */
int toml_is_table(const struct toml_parser *, const json_t *v);
/* 1-based line and column (UTF-8 characters) of byte offset `off`. */
void toml_loc(struct toml_parser *, size_t off, int *line, int *col);
/* 0 if the whole input is well-formed UTF-8, else -1 (error set). */
int toml_utf8_check(struct toml_parser *);
/* Skip spaces and tabs. */
void toml_skip_ws(struct toml_parser *);
/* Blanks and a comment, then a newline or the end; *eol its offset. */
int toml_eol(struct toml_parser *, const char *after, size_t *eol);
/* Skip blanks, comments and newlines (inside arrays). */
int toml_skip_wscnl(struct toml_parser *);

/* toml_scalar.c */
/* A single-line basic or literal string (a quoted key) at p->i. */
int toml_scalar_key(struct toml_parser *, struct buf *out);
/* A string, number, boolean or date-time at p->i; *out is new. */
int toml_scalar_value(struct toml_parser *, json_t **out);

/* toml_write.c */
/* Append `s` (`n` bytes) as a TOML basic string, quotes included. */
void toml_quote(struct buf *, const char *s, size_t n);
/* Append a key: bare if it can be, else quoted. */
void toml_write_key(struct buf *, const char *key, size_t n);
/* Whether `n` bytes at `s` make a bare key. */
int toml_bare(const char *s, size_t n);
/* The shortest text that reads back as `d` (finite), with '.' or 'e'. */
void toml_format_real(double d, char *out, size_t size);

#endif
