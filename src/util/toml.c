/*
 * toml.c — the TOML 1.0 document parser: lines, keys, [tables],
 * [[arrays of tables]], arrays, inline tables, the rules against defining
 * anything twice, and positions.  Lexing, the table-flag map and errors
 * are in toml_lex.c; scalars are read by toml_scalar.c; text is written
 * by toml_write.c.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/toml.h"
#include "util/toml_int.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* Path bytes the positions object may hold (bounds its memory). */
#define TOML_POS_BYTES (16 * (size_t)TOML_MAX_INPUT)

struct toml_seg {
	const char *s; /* the key, unescaped; owned when `owned` */
	size_t len;    /* its length (it may hold NUL bytes) */
	size_t off;    /* its offset in the input */
	int owned;     /* quoted keys are copies; bare keys point into
			  the input */
};

#define TOML_KEY_INLINE 4

struct toml_key {
	struct toml_seg *seg; /* inl, or allocated when longer */
	size_t n, cap;
	struct toml_seg inl[TOML_KEY_INLINE];
};

static int toml_value(struct toml_parser *, int, json_t **);

static void
toml_key_free(struct toml_key *k)
{
	size_t j;

	for (j = 0; j < k->n; j++) {
		if (k->seg[j].owned)
			free((char *)k->seg[j].s);
	}
	if (k->seg != k->inl)
		free(k->seg);
}

/* A key at p->i: simple keys joined by '.'; blanks after it skipped. */
static int
toml_key_parse(struct toml_parser *p, struct toml_key *k)
{
	struct toml_seg *seg;
	struct buf b;
	size_t start;
	char d[32];

	for (;;) {
		start = p->i;
		buf_init(&b, TOML_MAX_INPUT);
		if (p->i < p->len &&
		    (p->s[p->i] == '"' || p->s[p->i] == '\'')) {
			if (toml_scalar_key(p, &b) == -1) {
				buf_free(&b);
				return -1;
			}
		} else {
			while (p->i < p->len && toml_bare(p->s + p->i, 1))
				p->i++;
			if (p->i == start)
				return toml_fail(p, start,
				    "expected a key, found %s",
				    toml_desc(p, start, d, sizeof d));
		}
		if (k->n == k->cap) {
			if (k->cap == 0) {
				k->seg = k->inl;
				k->cap = TOML_KEY_INLINE;
			} else if (k->seg == k->inl) {
				k->seg = xreallocarray(NULL, k->cap * 2,
				    sizeof *k->seg);
				memcpy(k->seg, k->inl, sizeof k->inl);
				k->cap *= 2;
			} else {
				k->cap *= 2;
				k->seg = xreallocarray(k->seg, k->cap,
				    sizeof *k->seg);
			}
		}
		seg = &k->seg[k->n++];
		if (b.data != NULL || p->s[start] == '"' ||
		    p->s[start] == '\'') {
			seg->len = b.len;
			seg->s = buf_detach(&b);
			seg->owned = 1;
		} else {
			seg->len = p->i - start;
			seg->s = p->s + start;
			seg->owned = 0;
		}
		seg->off = start;
		if (k->n > TOML_MAX_DEPTH)
			return toml_fail(p, start, "key has too many parts");
		toml_skip_ws(p);
		if (p->i >= p->len || p->s[p->i] != '.')
			return 0;
		p->i++;
		toml_skip_ws(p);
	}
}

/* The first `n` parts of `k` as a path, cut short for a message. */
static const char *
toml_key_repr(const struct toml_key *k, size_t n, char *out, size_t size)
{
	struct buf b;
	size_t j, cut;

	buf_init(&b, BUF_NOCAP);
	for (j = 0; j < n && b.len <= 64; j++) {
		if (j > 0)
			buf_addc(&b, '.');
		toml_write_key(&b, k->seg[j].s, k->seg[j].len);
	}
	if (b.len > 60 || j < n) {
		cut = utf8_cut(buf_str(&b), 57);
		snprintf(out, size, "%.*s...", (int)cut, b.data);
	} else
		snprintf(out, size, "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

/* Append a key, or an array index ([N]) if `key` is NULL, to p->path. */
static void
toml_path_push(struct toml_parser *p, const char *key, size_t n)
{
	if (p->pos == NULL)
		return;
	if (key == NULL) {
		(void)buf_printf(&p->path, "[%zu]", n);
		return;
	}
	if (p->path.len > 0)
		(void)buf_addc(&p->path, '.');
	toml_write_key(&p->path, key, n);
}

static void
toml_path_pop(struct toml_parser *p, size_t len)
{
	if (p->path.data != NULL) {
		p->path.len = len;
		p->path.data[len] = '\0';
	}
}

/* Record [line, col, start, end] for the current path. */
static int
toml_pos_add(struct toml_parser *p, int line, int col, size_t start, size_t end,
    json_t **entry)
{
	json_t *a;

	if (p->pos == NULL)
		return 0;
	if (p->path.len > TOML_POS_BYTES - p->pos_bytes)
		return toml_fail(p, start, "too many keys to record positions");
	p->pos_bytes += p->path.len;
	a = toml_json(json_array());
	json_array_append_new(a, toml_json(json_integer(line)));
	json_array_append_new(a, toml_json(json_integer(col)));
	json_array_append_new(a, toml_json(json_integer((json_int_t)start)));
	json_array_append_new(a, toml_json(json_integer((json_int_t)end)));
	if (json_object_setn_new(p->pos, p->path.data, p->path.len, a) != 0)
		return toml_fail(p, start, "cannot record position");
	if (entry != NULL)
		*entry = a;
	return 0;
}

/* A [table] or [[array of tables]] header at p->i. */
static int
toml_header(struct toml_parser *p)
{
	struct toml_key k = { 0 };
	struct toml_seg *seg = NULL;
	size_t start = p->i, j;
	int aot, depth = 0, line, col, rc = -1;
	json_t *t = p->root, *v = NULL;
	unsigned f = 0;
	const char *what;
	char d[32], kr[80];

	line = col = 0;
	if (p->pos != NULL)
		toml_loc(p, start, &line, &col);
	aot = start + 1 < p->len && p->s[start + 1] == '[';
	p->i += aot ? 2 : 1;
	toml_skip_ws(p);
	if (toml_key_parse(p, &k) == -1)
		goto out;
	if (p->i >= p->len || p->s[p->i] != ']' ||
	    (aot && (p->i + 1 >= p->len || p->s[p->i + 1] != ']'))) {
		toml_fail(p, p->i, "expected '%s' after table name, found %s",
		    aot ? "]]" : "]", toml_desc(p, p->i, d, sizeof d));
		goto out;
	}
	p->i += aot ? 2 : 1;
	toml_path_pop(p, 0);
	for (j = 0; j < k.n; j++) {
		seg = &k.seg[j];
		if ((depth += 1) > TOML_MAX_DEPTH) {
			toml_fail(p, seg->off, "tables nested too deeply");
			goto out;
		}
		v = json_object_getn(t, seg->s, seg->len);
		f = v == NULL ? 0 : toml_map_flags(p, v);
		if (j + 1 == k.n)
			break;
		toml_path_push(p, seg->s, seg->len);
		if (v == NULL) {
			v = toml_table_new(p, 0);
			json_object_setn_new(t, seg->s, seg->len, v);
		} else if (json_is_array(v) && (f & TOML_T_AOT)) {
			toml_path_push(p, NULL, json_array_size(v) - 1);
			v = json_array_get(v, json_array_size(v) - 1);
			depth++;
		} else if (f & TOML_T_INLINE) {
			toml_fail(p, seg->off,
			    "cannot extend inline table '%s'",
			    toml_key_repr(&k, j + 1, kr, sizeof kr));
			goto out;
		} else if (!toml_is_table(p, v)) {
			toml_fail(p, seg->off, "key '%s' is not a table",
			    toml_key_repr(&k, j + 1, kr, sizeof kr));
			goto out;
		}
		t = v;
	}
	toml_path_push(p, seg->s, seg->len);
	if (aot && v == NULL) {
		v = toml_json(json_array());
		toml_map_set(p, v, TOML_T_AOT, 0);
		json_object_setn_new(t, seg->s, seg->len, v);
	} else if (aot && !(json_is_array(v) && (f & TOML_T_AOT))) {
		toml_fail(p, seg->off,
		    "'%s' is already defined and is not "
		    "an array of tables",
		    toml_key_repr(&k, k.n, kr, sizeof kr));
		goto out;
	} else if (!aot && v == NULL) {
		v = toml_table_new(p, TOML_T_HEADER);
		json_object_setn_new(t, seg->s, seg->len, v);
	} else if (!aot && toml_is_table(p, v) &&
	    !(f & (TOML_T_HEADER | TOML_T_DOTTED | TOML_T_INLINE))) {
		toml_map_set(p, v, TOML_T_HEADER, 0);
	} else if (!aot) {
		what = "already has a value";
		if (f & TOML_T_HEADER)
			what = "defined twice";
		else if (f & TOML_T_DOTTED)
			what = "already defined by dotted keys";
		else if (f & TOML_T_INLINE)
			what = "already defined as an inline table";
		else if (f & TOML_T_AOT)
			what = "already defined as an array of tables";
		toml_fail(p, seg->off, "%s '%s' %s",
		    toml_is_table(p, v) ? "table" : "key",
		    toml_key_repr(&k, k.n, kr, sizeof kr), what);
		goto out;
	}
	if (aot) {
		t = toml_table_new(p, TOML_T_HEADER);
		json_array_append_new(v, t);
		toml_path_push(p, NULL, json_array_size(v) - 1);
		v = t;
		if ((depth += 1) > TOML_MAX_DEPTH) {
			toml_fail(p, seg->off, "tables nested too deeply");
			goto out;
		}
	}
	p->cur = v;
	p->cur_depth = depth;
	p->sect++;
	rc = toml_pos_add(p, line, col, start, p->i, &p->sect_entry);
out:
	toml_key_free(&k);
	return rc;
}

/* Write the end offset of the section that ends into its pos entry. */
static void
toml_sect_close(struct toml_parser *p)
{
	if (p->sect_entry != NULL)
		json_array_set_new(p->sect_entry, 3,
		    toml_json(json_integer((json_int_t)p->sect_end)));
	p->sect_entry = NULL;
}

/*
 * key = value at p->i, into table `t` at `depth` (whose path is in
 * p->path).  Dotted keys may create tables, or extend those they created
 * in this section, but not tables defined by a header or inline.
 */
static int
toml_keyval(struct toml_parser *p, json_t *t, int depth)
{
	struct toml_key k = { 0 };
	struct toml_seg *seg = NULL;
	struct toml_tflag *tf;
	size_t keyoff = p->i, plen = p->path.len, vstart, j;
	int line = 0, col = 0, rc = -1;
	json_t *v = NULL;
	char d[32], kr[80];

	if (p->pos != NULL)
		toml_loc(p, keyoff, &line, &col);
	if (toml_key_parse(p, &k) == -1)
		goto out;
	if (p->i >= p->len || p->s[p->i] != '=') {
		toml_fail(p, p->i, "expected '=' after key, found %s",
		    toml_desc(p, p->i, d, sizeof d));
		goto out;
	}
	p->i++;
	toml_skip_ws(p);
	for (j = 0; j < k.n; j++) {
		seg = &k.seg[j];
		if ((depth += 1) > TOML_MAX_DEPTH) {
			toml_fail(p, seg->off, "tables nested too deeply");
			goto out;
		}
		toml_path_push(p, seg->s, seg->len);
		v = json_object_getn(t, seg->s, seg->len);
		if (j + 1 == k.n)
			break;
		if (v == NULL) {
			v = toml_table_new(p, TOML_T_DOTTED);
			json_object_setn_new(t, seg->s, seg->len, v);
		} else if (!toml_is_table(p, v)) {
			toml_fail(p, seg->off, "key '%s' is not a table",
			    toml_key_repr(&k, j + 1, kr, sizeof kr));
			goto out;
		} else {
			tf = toml_map_find(p, v);
			if ((tf->flags & (TOML_T_HEADER | TOML_T_INLINE)) ||
			    ((tf->flags & TOML_T_DOTTED) &&
				tf->sect != p->sect)) {
				toml_fail(p, seg->off,
				    "cannot extend %stable "
				    "'%s' with dotted keys",
				    tf->flags & TOML_T_INLINE ? "inline " : "",
				    toml_key_repr(&k, j + 1, kr, sizeof kr));
				goto out;
			}
			toml_map_set(p, v, TOML_T_DOTTED, p->sect);
		}
		t = v;
	}
	if (v != NULL) {
		toml_fail(p, seg->off, "duplicate key '%s'",
		    toml_key_repr(&k, k.n, kr, sizeof kr));
		goto out;
	}
	vstart = p->i;
	if (toml_value(p, depth, &v) == -1)
		goto out;
	json_object_setn_new(t, seg->s, seg->len, v);
	rc = toml_pos_add(p, line, col, vstart, p->i, NULL);
out:
	toml_path_pop(p, plen);
	toml_key_free(&k);
	return rc;
}

/* An array at p->i ('['), whose elements are at depth + 1. */
static int
toml_array(struct toml_parser *p, int depth, json_t **out)
{
	size_t plen = p->path.len;
	json_t *a, *v;
	int rc = -1;
	char d[32];

	if (depth + 1 > TOML_MAX_DEPTH)
		return toml_fail(p, p->i, "arrays nested too deeply");
	a = toml_json(json_array());
	p->i++;
	for (;;) {
		if (toml_skip_wscnl(p) == -1)
			goto out;
		if (p->i < p->len && p->s[p->i] == ']')
			break;
		toml_path_push(p, NULL, json_array_size(a));
		if (toml_value(p, depth + 1, &v) == -1)
			goto out;
		toml_path_pop(p, plen);
		json_array_append_new(a, v);
		if (toml_skip_wscnl(p) == -1)
			goto out;
		if (p->i < p->len && p->s[p->i] == ',')
			p->i++;
		else if (p->i < p->len && p->s[p->i] == ']')
			break;
		else {
			toml_fail(p, p->i,
			    "expected ',' or ']' in array, found %s",
			    toml_desc(p, p->i, d, sizeof d));
			goto out;
		}
	}
	p->i++;
	*out = a;
	a = NULL;
	rc = 0;
out:
	toml_path_pop(p, plen);
	json_decref(a);
	return rc;
}

/* An inline table at p->i ('{'): one line, no trailing comma. */
static int
toml_inline(struct toml_parser *p, int depth, json_t **out)
{
	json_t *t;
	int rc = -1;
	char d[32];

	if (depth + 1 > TOML_MAX_DEPTH)
		return toml_fail(p, p->i, "inline tables nested too deeply");
	t = toml_table_new(p, 0);
	p->i++;
	toml_skip_ws(p);
	if (p->i < p->len && p->s[p->i] == '}')
		p->i++;
	else {
		for (;;) {
			if (toml_keyval(p, t, depth) == -1)
				goto out;
			toml_skip_ws(p);
			if (p->i < p->len && p->s[p->i] == '}') {
				p->i++;
				break;
			}
			if (p->i >= p->len || p->s[p->i] != ',') {
				toml_fail(p, p->i,
				    "expected ',' or '}' in inline "
				    "table, found %s",
				    toml_desc(p, p->i, d, sizeof d));
				goto out;
			}
			p->i++;
			toml_skip_ws(p);
			if (p->i < p->len && p->s[p->i] == '}') {
				toml_fail(p, p->i,
				    "trailing comma in inline table");
				goto out;
			}
		}
	}
	toml_map_set(p, t, TOML_T_INLINE, 0);
	*out = t;
	t = NULL;
	rc = 0;
out:
	json_decref(t);
	return rc;
}

/* Any value at p->i, at `depth` below the root. */
static int
toml_value(struct toml_parser *p, int depth, json_t **out)
{
	*out = NULL;
	if (p->i < p->len && p->s[p->i] == '[')
		return toml_array(p, depth, out);
	if (p->i < p->len && p->s[p->i] == '{')
		return toml_inline(p, depth, out);
	return toml_scalar_value(p, out);
}

int
toml_parse(const char *text, size_t len, int flags, json_t **out, json_t **pos,
    struct toml_error *err)
{
	struct toml_parser p;
	size_t eol = 0;
	int rc = -1;
	char c;

	*out = NULL;
	if (pos != NULL)
		*pos = NULL;
	memset(err, 0, sizeof *err);
	memset(&p, 0, sizeof p);
	p.s = text;
	p.len = len;
	p.flags = flags;
	p.err = err;
	buf_init(&p.path, BUF_NOCAP); /* bounded by TOML_POS_BYTES */
	if (len > TOML_MAX_INPUT) {
		snprintf(err->msg, sizeof err->msg,
		    "input larger than %d bytes", TOML_MAX_INPUT);
		goto out;
	}
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p.i = p.bom = 3;
	if (toml_utf8_check(&p) == -1)
		goto out;
	p.root = p.cur = toml_table_new(&p, TOML_T_HEADER);
	if (pos != NULL)
		p.pos = toml_json(json_object());
	for (;;) {
		toml_skip_ws(&p);
		if (p.i >= p.len)
			break;
		c = p.s[p.i];
		if (c == '#' || c == '\n' || c == '\r') {
			if (toml_eol(&p, NULL, NULL) == -1)
				goto out;
			continue;
		}
		if (c == '[') {
			toml_sect_close(&p);
			if (toml_header(&p) == -1 ||
			    toml_eol(&p, "table header", &eol) == -1)
				goto out;
		} else if (toml_keyval(&p, p.cur, p.cur_depth) == -1 ||
		    toml_eol(&p, "value", &eol) == -1)
			goto out;
		p.sect_end = eol;
	}
	toml_sect_close(&p);
	*out = p.root;
	p.root = NULL;
	if (pos != NULL) {
		*pos = p.pos;
		p.pos = NULL;
	}
	rc = 0;
out:
	json_decref(p.root);
	json_decref(p.pos);
	free(p.map);
	buf_free(&p.path);
	return rc;
}
