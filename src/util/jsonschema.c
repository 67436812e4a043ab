/*
 * jsonschema.c — compiling a JSON Schema: the walk over the document, the
 * location it is at (for messages), the nodes it makes.  The keywords
 * are in jsonschema_keywords.c, $refs in jsonschema_ref.c, validation in
 * jsonschema_eval.c.
 *
 * Compiling walks the document depth-first; every schema met becomes a
 * node, remembered in a map keyed by the json_t pointer so that a $ref
 * to a schema compiled already reuses its node.  $refs are resolved when
 * the walk is over (a target not reached by the walk, such as a schema
 * inside "enum", is compiled then), and the loop check runs last.
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

#define JSONSCHEMA_MAX_NEST 128   /* schemas nested in the document */
#define JSONSCHEMA_WHERE_TOKEN 64 /* bytes of a name kept in locations */

int
jsonschema_cc_fail(struct jsonschema_cc *cc, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (cc->err != NULL)
		return -1;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(&cc->err, "%s: %s", buf_str(&cc->where), msg);
	free(msg);
	return -1;
}

/* Append "/name" (escaped, long names cut) to the location. */
size_t
jsonschema_cc_push(struct jsonschema_cc *cc, const char *name, size_t len)
{
	size_t saved = cc->where.len, i, cut;

	(void)buf_addc(&cc->where, '/');
	cut = jsonschema_cut(name, len, JSONSCHEMA_WHERE_TOKEN);
	for (i = 0; i < cut; i++) {
		if (name[i] == '~')
			(void)buf_adds(&cc->where, "~0");
		else if (name[i] == '/')
			(void)buf_adds(&cc->where, "~1");
		else
			(void)buf_addc(&cc->where,
			    name[i] != '\0' ? name[i] : '?');
	}
	if (i < len)
		(void)buf_adds(&cc->where, "...");
	return saved;
}

size_t
jsonschema_cc_push_index(struct jsonschema_cc *cc, size_t i)
{
	size_t saved = cc->where.len;

	(void)buf_printf(&cc->where, "/%zu", i);
	return saved;
}

void
jsonschema_cc_pop(struct jsonschema_cc *cc, size_t saved)
{
	cc->where.len = saved;
	cc->where.data[saved] = '\0';
}

void
jsonschema_cc_set_where(struct jsonschema_cc *cc, const char *where)
{
	buf_reset(&cc->where);
	(void)buf_adds(&cc->where, where);
}

static struct jsonschema_node *
jsonschema_cc_new(struct jsonschema_cc *cc, const json_t *v)
{
	struct jsonschema *s = cc->s;
	struct jsonschema_node *n = xcalloc(1, sizeof *n);

	n->src = v;
	n->where = xstrdup(buf_str(&cc->where));
	n->min_length = n->max_length = -1;
	n->min_items = n->max_items = -1;
	n->min_contains = 1;
	n->max_contains = -1;
	n->min_props = n->max_props = -1;
	n->chain = -2;
	if (s->nnodes == s->size) {
		s->size = s->size == 0 ? 16 : s->size * 2;
		s->nodes = xreallocarray(s->nodes, s->size, sizeof *s->nodes);
	}
	s->nodes[s->nnodes++] = n;
	jsonschema_cc_map_put(cc, n);
	return n;
}

struct jsonschema_node *
jsonschema_cc_node(struct jsonschema_cc *cc, const json_t *v)
{
	struct jsonschema_node *n;
	void *it;
	int rc = 0;

	if ((n = jsonschema_cc_map_get(cc, v)) != NULL)
		return n;
	if (json_is_boolean(v)) {
		n = jsonschema_cc_new(cc, v);
		n->kind = json_is_true(v) ? JSONSCHEMA_TRUE : JSONSCHEMA_FALSE;
		return n;
	}
	if (!json_is_object(v)) {
		jsonschema_cc_fail(cc,
		    "a schema must be an object or a boolean");
		return NULL;
	}
	if (cc->depth >= JSONSCHEMA_MAX_NEST) {
		jsonschema_cc_fail(cc, "schemas nested deeper than %d",
		    JSONSCHEMA_MAX_NEST);
		return NULL;
	}
	n = jsonschema_cc_new(cc, v);
	n->kind =
	    json_object_size(v) == 0 ? JSONSCHEMA_TRUE : JSONSCHEMA_SCHEMA;
	cc->depth++;
	for (it = json_object_iter((json_t *)v); it != NULL && rc == 0;
	     it = json_object_iter_next((json_t *)v, it))
		rc = jsonschema_cc_keyword(cc, n, json_object_iter_key(it),
		    json_object_iter_key_len(it), json_object_iter_value(it));
	cc->depth--;
	return rc == 0 ? n : NULL;
}

struct jsonschema *
jsonschema_compile(const json_t *schema, char **cause)
{
	struct jsonschema_cc cc;
	struct jsonschema *s;

	memset(&cc, 0, sizeof cc);
	buf_init(&cc.where, BUF_NOCAP);
	(void)buf_adds(&cc.where, "#");
	s = xcalloc(1, sizeof *s);
	s->doc = json_incref((json_t *)schema);
	cc.s = s;
	if (schema == NULL) {
		jsonschema_cc_fail(&cc, "no schema");
		goto fail;
	}
	if ((s->root = jsonschema_cc_node(&cc, schema)) == NULL)
		goto fail;
	if (jsonschema_cc_link(&cc) != 0)
		goto fail;
	buf_free(&cc.where);
	free(cc.map);
	return s;
fail:
	if (cause != NULL)
		*cause = cc.err;
	else
		free(cc.err);
	buf_free(&cc.where);
	free(cc.map);
	jsonschema_free(s);
	return NULL;
}

void
jsonschema_free(struct jsonschema *s)
{
	struct jsonschema_node *n;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nnodes; i++) {
		n = s->nodes[i];
		free(n->where);
		free(n->prefix.v);
		free(n->all_of.v);
		free(n->any_of.v);
		free(n->one_of.v);
		free(n->props);
		free(n->pprops);
		free(n->dep_schemas);
		free(n);
	}
	for (i = 0; i < s->nregexes; i++) {
		jsonschema_regex_free(s->regexes[i]);
		free(s->regexes[i]);
	}
	free(s->nodes);
	free(s->regexes);
	json_decref(s->doc);
	free(s);
}
