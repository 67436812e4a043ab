/*
 * jsonschema_ref.c — the links of a compiled schema: the map from json_t
 * pointers to nodes (a $ref to a schema compiled already reuses its
 * node), "$ref" resolution within the document (JSON pointers with ~0,
 * ~1 and %XX escapes, optionally after the root's "$id"), and the check
 * that no loop of schemas stays on one value.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonschema_int.h"
#include "util/xalloc.h"

#define JSONSCHEMA_MAX_CHAIN 64 /* schemas applied in a row to one value */

static size_t
jsonschema_cc_hash(const json_t *v, size_t cap)
{
	uintptr_t h = (uintptr_t)v;

	h ^= h >> 17;
	h *= (uintptr_t)0x9e3779b97f4a7c15ULL;
	return (size_t)(h ^ h >> 29) & (cap - 1);
}

struct jsonschema_node *
jsonschema_cc_map_get(const struct jsonschema_cc *cc, const json_t *v)
{
	size_t i;

	if (cc->map_cap == 0)
		return NULL;
	for (i = jsonschema_cc_hash(v, cc->map_cap); cc->map[i].key != NULL;
	     i = (i + 1) & (cc->map_cap - 1))
		if (cc->map[i].key == v)
			return cc->map[i].node;
	return NULL;
}

void
jsonschema_cc_map_put(struct jsonschema_cc *cc, struct jsonschema_node *n)
{
	struct jsonschema_slot *old = cc->map;
	size_t cap = cc->map_cap, i, j;

	if ((cc->map_n + 1) * 2 > cc->map_cap) {
		cc->map_cap = cap == 0 ? 64 : cap * 2;
		cc->map = xcalloc(cc->map_cap, sizeof *cc->map);
		cc->map_n = 0;
		for (j = 0; j < cap; j++)
			if (old[j].key != NULL)
				jsonschema_cc_map_put(cc, old[j].node);
		free(old);
	}
	for (i = jsonschema_cc_hash(n->src, cc->map_cap);
	     cc->map[i].key != NULL; i = (i + 1) & (cc->map_cap - 1))
		;
	cc->map[i].key = n->src;
	cc->map[i].node = n;
	cc->map_n++;
}

/* %XX escapes of a URI fragment decoded into `out`.  0, or -1. */
static int
jsonschema_cc_unpercent(const char *s, struct buf *out)
{
	char hex[3] = { 0, 0, 0 };

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			(void)buf_addc(out, *s);
			continue;
		}
		if (!isxdigit((unsigned char)s[1]) ||
		    !isxdigit((unsigned char)s[2]))
			return -1;
		hex[0] = s[1];
		hex[1] = s[2];
		(void)buf_addc(out, (char)strtoul(hex, NULL, 16));
		s += 2;
	}
	return 0;
}

/* The value at JSON pointer `ptr` ("" or "/a/0") in doc, or NULL. */
static const json_t *
jsonschema_cc_pointer(const json_t *doc, const char *ptr, size_t len)
{
	const json_t *cur = doc;
	struct buf tok;
	size_t i = 0, idx;

	buf_init(&tok, BUF_NOCAP);
	while (cur != NULL && i < len) {
		if (ptr[i++] != '/') {
			cur = NULL;
			break;
		}
		buf_reset(&tok);
		(void)buf_add(&tok, "", 0);
		for (; i < len && ptr[i] != '/'; i++) {
			if (ptr[i] != '~')
				(void)buf_addc(&tok, ptr[i]);
			else if (i + 1 < len &&
			    (ptr[i + 1] == '0' || ptr[i + 1] == '1'))
				(void)buf_addc(&tok,
				    ptr[++i] == '0' ? '~' : '/');
			else
				goto bad;
		}
		if (json_is_object(cur))
			cur = json_object_getn(cur, tok.data, tok.len);
		else if (json_is_array(cur)) {
			if (tok.len == 0 || tok.len > 9 ||
			    strspn(tok.data, "0123456789") != tok.len ||
			    (tok.data[0] == '0' && tok.len > 1))
				goto bad;
			idx = strtoul(tok.data, NULL, 10);
			cur = json_array_get(cur, idx);
		} else
			cur = NULL;
	}
	buf_free(&tok);
	return cur;
bad:
	buf_free(&tok);
	return NULL;
}

/* Resolve n's "$ref", compiling its target if need be. */
static int
jsonschema_cc_resolve(struct jsonschema_cc *cc, struct jsonschema_node *n)
{
	const char *r = n->ref_str;
	const json_t *target;
	struct buf frag;
	int rc = -1, cut;

	cut = (int)jsonschema_cut(r, strlen(r), 80);
	buf_init(&frag, BUF_NOCAP);
	jsonschema_cc_set_where(cc, n->where);
	(void)buf_adds(&cc->where, "/$ref");
	if (cc->root_id != NULL && cc->root_id_len > 0 &&
	    strncmp(r, cc->root_id, cc->root_id_len) == 0 &&
	    (r[cc->root_id_len] == '\0' || r[cc->root_id_len] == '#'))
		r += cc->root_id_len;
	if (*r != '\0' && *r != '#') {
		jsonschema_cc_fail(cc,
		    "remote or relative \"$ref\": \"%.*s\" is not supported "
		    "(only same-document ones such as \"#/$defs/name\")",
		    cut, n->ref_str);
		goto out;
	}
	if (*r == '#' && jsonschema_cc_unpercent(r + 1, &frag) != 0) {
		jsonschema_cc_fail(cc, "bad %%-escape in \"%.*s\"", cut,
		    n->ref_str);
		goto out;
	}
	if (frag.len > 0 && frag.data[0] != '/') {
		jsonschema_cc_fail(cc,
		    "anchor \"$ref\": \"%.*s\" is not supported (use a JSON "
		    "pointer such as \"#/$defs/name\")",
		    cut, n->ref_str);
		goto out;
	}
	target = jsonschema_cc_pointer(cc->s->doc, frag.data, frag.len);
	if (target == NULL) {
		jsonschema_cc_fail(cc, "\"%.*s\" points nowhere", cut,
		    n->ref_str);
		goto out;
	}
	if (!json_is_object(target) && !json_is_boolean(target)) {
		jsonschema_cc_fail(cc, "\"%.*s\" points to a non-schema", cut,
		    n->ref_str);
		goto out;
	}
	/* The target's location as the $ref spells it (valid UTF-8). */
	jsonschema_cc_set_where(cc, *r == '#' ? r : "#");
	cc->depth = 0;
	if ((n->ref = jsonschema_cc_node(cc, target)) == NULL)
		goto out;
	rc = 0;
out:
	buf_free(&frag);
	return rc;
}

static int jsonschema_cc_chain(struct jsonschema_cc *, struct jsonschema_node *,
    int depth);

static int
jsonschema_cc_chain_list(struct jsonschema_cc *cc,
    const struct jsonschema_list *l, int depth, int *best)
{
	size_t i;
	int d;

	for (i = 0; i < l->n; i++) {
		if ((d = jsonschema_cc_chain(cc, l->v[i], depth)) < 0)
			return -1;
		*best = d > *best ? d : *best;
	}
	return 0;
}

/*
 * The longest path from n through schemas that apply to the same value
 * ($ref, allOf, anyOf, oneOf, not, if, then, else, dependentSchemas), or
 * -1 on a loop or a path longer than JSONSCHEMA_MAX_CHAIN.
 */
static int
jsonschema_cc_chain(struct jsonschema_cc *cc, struct jsonschema_node *n,
    int depth)
{
	struct jsonschema_node *one[5];
	int best = 0, d;
	size_t i;

	if (n == NULL)
		return 0;
	if (n->chain >= 0)
		return n->chain;
	jsonschema_cc_set_where(cc, n->where);
	if (n->chain == -1)
		return jsonschema_cc_fail(cc,
		    "a $ref loop that never descends into the value");
	if (depth >= JSONSCHEMA_MAX_CHAIN)
		return jsonschema_cc_fail(cc,
		    "more than %d schemas ($ref, allOf, anyOf...) apply in a "
		    "row to one value",
		    JSONSCHEMA_MAX_CHAIN);
	n->chain = -1;
	one[0] = n->ref;
	one[1] = n->not_;
	one[2] = n->if_;
	one[3] = n->then_;
	one[4] = n->else_;
	for (i = 0; i < 5; i++) {
		if ((d = jsonschema_cc_chain(cc, one[i], depth + 1)) < 0)
			return -1;
		best = d > best ? d : best;
	}
	if (jsonschema_cc_chain_list(cc, &n->all_of, depth + 1, &best) != 0 ||
	    jsonschema_cc_chain_list(cc, &n->any_of, depth + 1, &best) != 0 ||
	    jsonschema_cc_chain_list(cc, &n->one_of, depth + 1, &best) != 0)
		return -1;
	for (i = 0; i < n->ndep; i++) {
		if ((d = jsonschema_cc_chain(cc, n->dep_schemas[i].node,
			 depth + 1)) < 0)
			return -1;
		best = d > best ? d : best;
	}
	n->chain = best + 1;
	return n->chain;
}

int
jsonschema_cc_link(struct jsonschema_cc *cc)
{
	struct jsonschema *s = cc->s;
	size_t i;

	/* Targets compiled here add nodes: the loop sees them too. */
	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i]->ref_str != NULL &&
		    jsonschema_cc_resolve(cc, s->nodes[i]) != 0)
			return -1;
	for (i = 0; i < s->nnodes; i++)
		if (jsonschema_cc_chain(cc, s->nodes[i], 0) < 0)
			return -1;
	return 0;
}
