/*
 * policy.c — capabilities: templates as data, grants parsed strictly,
 * globs matched by a small NFA (linear in the value, no backtracking),
 * chains checked by conjunction, and the per-call check whose argument
 * per tool is a table.
 */
#include <stdlib.h>
#include <string.h>

#include "security/policy.h"
#include "util/path.h"
#include "util/xalloc.h"

/* The kinds of resource, and the separator '*' does not cross. */
static const struct policy_kind {
	const char *name;
	int sep;
} policy_kinds[] = {
	{ "tool", 0 },
	{ "path", '/' },
	{ "exec", 0 },
	{ "mcp", '/' },
	{ "browser", 0 },
	{ "a2a", 0 },
	{ NULL, 0 },
};

#define R PERM_READ
#define W PERM_WRITE
#define X PERM_EXECUTE
#define D PERM_DELEGATE

/* The floor a profile narrows from: looks, runs only what grants add. */
static const struct policy_grant tpl_minimal[] = {
	{ "tool:read", R },
	{ "tool:ls", R },
	{ "tool:find", R },
	{ "tool:grep", R },
	{ "tool:exec", R },
	{ "tool:skill", R },
	{ "path:**", R },
	{ NULL, 0 },
};
static const struct policy_grant tpl_worker[] = {
	{ "tool:write", R },
	{ "tool:edit", R },
	{ "path:**", R | W },
	{ "exec:*", X },
	{ "exec:@shell", X },
	{ NULL, 0 },
};
static const struct policy_grant tpl_standard[] = {
	{ "tool:memory_read", R },
	{ "tool:memory_search", R },
	{ "tool:memory_topics", R },
	{ "tool:memory_topic", R },
	{ "browser:*", R | W },
	{ NULL, 0 },
};
static const struct policy_grant tpl_trusted[] = {
	{ "tool:memory_write", R },
	{ "tool:agent", D },
	{ "mcp:*/*", X },
	{ "a2a:*", D },
	{ NULL, 0 },
};
static const struct policy_grant tpl_supervisor[] = {
	{ "tool:cron", R },
	{ "tool:budget", R },
	{ "tool:permissions", R },
	{ NULL, 0 },
};

#undef R
#undef W
#undef X
#undef D

const struct policy_template policy_templates[] = {
	{ "minimal", NULL, tpl_minimal },
	{ "worker", "minimal", tpl_worker },
	{ "standard", "worker", tpl_standard },
	{ "trusted", "standard", tpl_trusted },
	{ "supervisor", "trusted", tpl_supervisor },
	{ NULL, NULL, NULL },
};

struct policy_set {
	char *principal;
	const struct policy_template *tpl;
	json_t *grants;            /* [{resource, rights}] */
	struct policy_grant *rows; /* the same, decoded */
	size_t nrows;
};

struct policy_chain {
	struct policy_set **sets;
	size_t n;
};

const struct policy_template *
policy_template_find(const char *name)
{
	const struct policy_template *t;

	if (name == NULL)
		return NULL;
	for (t = policy_templates; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

const char *
policy_rights_str(int rights, char *buf)
{
	char *p = buf;

	if (rights & PERM_READ)
		*p++ = 'r';
	if (rights & PERM_WRITE)
		*p++ = 'w';
	if (rights & PERM_EXECUTE)
		*p++ = 'x';
	if (rights & PERM_DELEGATE)
		*p++ = 'd';
	*p = '\0';
	return buf;
}

int
policy_rights_parse(const char *s)
{
	int r = 0, bit;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		switch (*s) {
		case 'r':
			bit = PERM_READ;
			break;
		case 'w':
			bit = PERM_WRITE;
			break;
		case 'x':
			bit = PERM_EXECUTE;
			break;
		case 'd':
			bit = PERM_DELEGATE;
			break;
		default:
			return -1;
		}
		if (r & bit)
			return -1;
		r |= bit;
	}
	return r;
}

/* The kind of "KIND:..." (its pattern after the colon), or NULL. */
static const struct policy_kind *
policy_kind_of(const char *res, const char **pattern)
{
	const struct policy_kind *k;
	size_t n;

	for (k = policy_kinds; k->name != NULL; k++) {
		n = strlen(k->name);
		if (strncmp(res, k->name, n) == 0 && res[n] == ':') {
			*pattern = res + n + 1;
			return k;
		}
	}
	return NULL;
}

int
policy_resource_parse(const char *s, char **out, char **cause)
{
	const struct policy_kind *k;
	const char *pat, *p;
	char *norm = NULL;
	size_t n;

	*out = NULL;
	n = strlen(s);
	if (n > POLICY_MAX_PATTERN) {
		xasprintf(cause, "resource of %zu bytes (at most %d)", n,
		    POLICY_MAX_PATTERN);
		return -1;
	}
	if ((k = policy_kind_of(s, &pat)) == NULL) {
		xasprintf(cause,
		    "resource '%.64s': not KIND:PATTERN with KIND one of "
		    "tool, path, exec, mcp, browser, a2a",
		    s);
		return -1;
	}
	if (*pat == '\0') {
		xasprintf(cause, "resource '%.64s': empty pattern", s);
		return -1;
	}
	for (p = pat; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			xasprintf(cause,
			    "resource '%.64s': control character in the "
			    "pattern",
			    s);
			return -1;
		}
	}
	if (strcmp(k->name, "path") == 0) {
		norm = path_normalize(pat);
		if (norm[0] == '/' || strcmp(norm, "..") == 0 ||
		    strncmp(norm, "../", 3) == 0) {
			xasprintf(cause,
			    "resource '%.64s': a path pattern is relative to "
			    "the workspace and stays inside it",
			    s);
			free(norm);
			return -1;
		}
		xasprintf(out, "path:%s", norm);
		free(norm);
		return 0;
	}
	if (strcmp(k->name, "exec") == 0 && strchr(pat, '/') != NULL) {
		xasprintf(cause,
		    "resource '%.64s': exec names a program, not a path", s);
		return -1;
	}
	if (strcmp(k->name, "exec") == 0 && pat[0] == '@' &&
	    strcmp(pat, "@shell") != 0) {
		xasprintf(cause,
		    "resource '%.64s': the only exec:@ mode is "
		    "@shell",
		    s);
		return -1;
	}
	if (strcmp(k->name, "mcp") == 0 && strchr(pat, '/') == NULL) {
		xasprintf(cause, "resource '%.64s': mcp:SERVER/TOOL", s);
		return -1;
	}
	*out = xstrdup(s);
	return 0;
}

/* Pattern tokens: a literal byte, '*' (within a segment), '**'. */
enum { TOK_LIT, TOK_STAR, TOK_DSTAR };

/* Whether glob `pat` covers `val`; '*' does not cross `sep` (0: none). */
static int
policy_glob(const char *pat, const char *val, int sep)
{
	size_t m = 0, i, plen = strlen(pat);
	unsigned char *tok, *ch, *cur, *next, *t;
	int ok;

	if (strchr(pat, '*') == NULL)
		return strcmp(pat, val) == 0;
	tok = xmalloc(plen + 1);
	ch = xmalloc(plen + 1);
	for (i = 0; i < plen; i++) {
		if (pat[i] == '*') {
			tok[m] = TOK_STAR;
			while (pat[i + 1] == '*') {
				tok[m] = TOK_DSTAR;
				i++;
			}
			ch[m++] = '*';
		} else {
			tok[m] = TOK_LIT;
			ch[m++] = (unsigned char)pat[i];
		}
	}
	cur = xcalloc(m + 1, 1);
	next = xcalloc(m + 1, 1);
	cur[0] = 1;
	for (;;) {
		/* Closure: a star may match nothing; "**" then '/' may match
		 * no segment; a final slash and "**" may match nothing. */
		for (i = 0; i < m; i++) {
			if (!cur[i])
				continue;
			if (tok[i] != TOK_LIT)
				cur[i + 1] = 1;
			if (tok[i] == TOK_DSTAR && i + 1 < m &&
			    tok[i + 1] == TOK_LIT && ch[i + 1] == '/')
				cur[i + 2] = 1;
			if (tok[i] == TOK_LIT && ch[i] == '/' && i + 2 == m &&
			    tok[i + 1] == TOK_DSTAR)
				cur[m] = 1;
		}
		if (*val == '\0')
			break;
		memset(next, 0, m + 1);
		for (i = 0; i < m; i++) {
			if (!cur[i])
				continue;
			if (tok[i] == TOK_LIT && ch[i] == (unsigned char)*val)
				next[i + 1] = 1;
			else if (tok[i] == TOK_DSTAR ||
			    (tok[i] == TOK_STAR && *val != sep))
				next[i] = 1;
		}
		t = cur;
		cur = next;
		next = t;
		val++;
	}
	ok = cur[m];
	free(tok);
	free(ch);
	free(cur);
	free(next);
	return ok;
}

int
policy_resource_match(const char *pattern, const char *resource)
{
	const struct policy_kind *kp, *kr;
	const char *p, *v;

	if ((kp = policy_kind_of(pattern, &p)) == NULL ||
	    (kr = policy_kind_of(resource, &v)) == NULL || kp != kr)
		return 0;
	/* exec:* is every program, not a mode such as @shell. */
	if (strcmp(kp->name, "exec") == 0 && v[0] == '@')
		return strcmp(p, v) == 0;
	return policy_glob(p, v, kp->sep);
}

int
policy_grants_parse(const json_t *grants, json_t **out, char **cause)
{
	json_t *arr, *g, *v;
	const char *key, *rs;
	char *res = NULL, *why = NULL, buf[8];
	size_t i;
	int rights;

	*out = NULL;
	if (!json_is_array(grants)) {
		xasprintf(cause, "grants: an array of {resource, rights}");
		return -1;
	}
	if (json_array_size(grants) > POLICY_MAX_GRANTS) {
		xasprintf(cause, "grants: %zu of them (at most %d)",
		    json_array_size(grants), POLICY_MAX_GRANTS);
		return -1;
	}
	arr = json_array();
	json_array_foreach(grants, i, g) {
		if (!json_is_object(g)) {
			xasprintf(cause,
			    "grants[%zu]: an object "
			    "{resource, rights}",
			    i);
			goto fail;
		}
		json_object_foreach((json_t *)g, key, v) {
			if (strcmp(key, "resource") != 0 &&
			    strcmp(key, "rights") != 0) {
				xasprintf(cause,
				    "grants[%zu]: unknown key '%.32s' (only "
				    "resource and rights)",
				    i, key);
				goto fail;
			}
		}
		if (!json_is_string(json_object_get(g, "resource"))) {
			xasprintf(cause,
			    "grants[%zu]: resource must be a "
			    "string",
			    i);
			goto fail;
		}
		if ((rs = json_string_value(json_object_get(g, "rights"))) ==
			NULL ||
		    strlen(rs) !=
			json_string_length(json_object_get(g, "rights")) ||
		    (rights = policy_rights_parse(rs)) < 0) {
			xasprintf(cause,
			    "grants[%zu]: rights must be a string of distinct "
			    "letters r, w, x, d",
			    i);
			goto fail;
		}
		if (strlen(json_string_value(json_object_get(g, "resource"))) !=
		    json_string_length(json_object_get(g, "resource"))) {
			xasprintf(cause, "grants[%zu]: NUL in the resource", i);
			goto fail;
		}
		if (policy_resource_parse(json_string_value(
					      json_object_get(g, "resource")),
			&res, &why) != 0) {
			xasprintf(cause, "grants[%zu]: %s", i, why);
			free(why);
			goto fail;
		}
		json_array_append_new(arr,
		    json_pack("{s:s, s:s}", "resource", res, "rights",
			policy_rights_str(rights, buf)));
		free(res);
		res = NULL;
	}
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return -1;
}

struct policy_set *
policy_set_new(const char *principal, const char *tpl, const json_t *grants,
    char **cause)
{
	const struct policy_template *t;
	struct policy_set *s;
	json_t *parsed = NULL, *g;
	size_t i;

	if ((t = policy_template_find(tpl)) == NULL) {
		xasprintf(cause,
		    "unknown template '%.64s' (minimal, worker, standard, "
		    "trusted or supervisor)",
		    tpl != NULL ? tpl : "");
		return NULL;
	}
	if (grants == NULL)
		parsed = json_array();
	else if (policy_grants_parse(grants, &parsed, cause) != 0)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->principal = xstrdup(principal);
	s->tpl = t;
	s->grants = parsed;
	s->nrows = json_array_size(parsed);
	s->rows = xcalloc(s->nrows + 1, sizeof *s->rows);
	json_array_foreach(parsed, i, g) {
		s->rows[i].resource =
		    xstrdup(json_string_value(json_object_get(g, "resource")));
		s->rows[i].rights = policy_rights_parse(
		    json_string_value(json_object_get(g, "rights")));
	}
	return s;
}

void
policy_set_free(struct policy_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nrows; i++)
		free(s->rows[i].resource);
	free(s->rows);
	json_decref(s->grants);
	free(s->principal);
	free(s);
}

const char *
policy_set_principal(const struct policy_set *s)
{
	return s->principal;
}

const char *
policy_set_template(const struct policy_set *s)
{
	return s->tpl->name;
}

const json_t *
policy_set_grants(const struct policy_set *s)
{
	return s->grants;
}

/* Whether one of `rows` grants `right` on `resource`. */
static int
policy_rows_allow(const struct policy_grant *rows, size_t n,
    const char *resource, int right)
{
	size_t i;

	for (i = 0; i < n && rows[i].resource != NULL; i++)
		if ((rows[i].rights & right) == right &&
		    policy_resource_match(rows[i].resource, resource))
			return 1;
	return 0;
}

int
policy_set_allows(const struct policy_set *s, const char *resource, int right)
{
	const struct policy_template *t;

	for (t = s->tpl; t != NULL; t = policy_template_find(t->base))
		if (policy_rows_allow(t->rows, (size_t)-1, resource, right))
			return 1;
	return policy_rows_allow(s->rows, s->nrows, resource, right);
}

json_t *
policy_set_effective(const struct policy_set *s)
{
	const struct policy_template *t, *chain[8];
	const struct policy_grant *g;
	json_t *out = json_array();
	size_t n = 0, i;
	char buf[8];

	for (t = s->tpl; t != NULL && n < 8; t = policy_template_find(t->base))
		chain[n++] = t;
	while (n-- > 0) /* the base template's rows first */
		for (g = chain[n]->rows; g->resource != NULL; g++)
			json_array_append_new(out,
			    json_pack("{s:s, s:s, s:s}", "resource",
				g->resource, "rights",
				policy_rights_str(g->rights, buf), "from",
				chain[n]->name));
	for (i = 0; i < s->nrows; i++)
		json_array_append_new(out,
		    json_pack("{s:s, s:s, s:s}", "resource",
			s->rows[i].resource, "rights",
			policy_rights_str(s->rows[i].rights, buf), "from",
			"grant"));
	return out;
}

/* A copy of `s`. */
static struct policy_set *
policy_set_dup(const struct policy_set *s)
{
	struct policy_set *d;
	char *cause = NULL;

	d = policy_set_new(s->principal, s->tpl->name, s->grants, &cause);
	if (d == NULL) /* it parsed once: it parses again */
		abort();
	return d;
}

struct policy_chain *
policy_chain_new(const struct policy_chain *parent, struct policy_set *own)
{
	struct policy_chain *c = xcalloc(1, sizeof *c);
	size_t np = parent != NULL ? parent->n : 0, i;

	c->sets = xcalloc(np + 1, sizeof *c->sets);
	for (i = 0; i < np; i++)
		c->sets[c->n++] = policy_set_dup(parent->sets[i]);
	c->sets[c->n++] = own;
	return c;
}

void
policy_chain_free(struct policy_chain *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		policy_set_free(c->sets[i]);
	free(c->sets);
	free(c);
}

/* The first set of the chain that lacks the right, or NULL. */
static const struct policy_set *
policy_chain_lacks(const struct policy_chain *c, const char *resource,
    int right)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!policy_set_allows(c->sets[i], resource, right))
			return c->sets[i];
	return NULL;
}

int
policy_chain_allows(const struct policy_chain *c, const char *resource,
    int right)
{
	return c != NULL && c->n > 0 &&
	    policy_chain_lacks(c, resource, right) == NULL;
}

/* Which argument of which tool is checked, and for which right. */
enum policy_arg {
	ARG_TOOL, /* only tool:NAME */
	ARG_PATH, /* `path` (default ".") as path:... */
	ARG_EXEC, /* `binary`, or @shell in shell mode, as exec:... */
};

static const struct policy_call {
	const char *tool;
	enum policy_arg arg;
	int right;
} policy_calls[] = {
	{ "read", ARG_PATH, PERM_READ },
	{ "ls", ARG_PATH, PERM_READ },
	{ "find", ARG_PATH, PERM_READ },
	{ "grep", ARG_PATH, PERM_READ },
	{ "write", ARG_PATH, PERM_WRITE },
	{ "edit", ARG_PATH, PERM_WRITE },
	{ "exec", ARG_EXEC, PERM_EXECUTE },
	{ NULL, ARG_TOOL, 0 },
};

static const char *
policy_right_name(int right)
{
	switch (right) {
	case PERM_READ:
		return "read";
	case PERM_WRITE:
		return "write";
	case PERM_EXECUTE:
		return "execute";
	default:
		return "delegate";
	}
}

/* The refusal naming the first set that lacks the right. */
static int
policy_deny(const struct policy_chain *c, const char *resource, int right,
    char **why)
{
	const struct policy_set *s;

	if (c == NULL || c->n == 0) {
		xasprintf(why,
		    "permission denied: no permissions loaded for "
		    "this agent");
		return -1;
	}
	if ((s = policy_chain_lacks(c, resource, right)) == NULL)
		return 0;
	xasprintf(why,
	    "permission denied: agent profile '%s' (template %s%s) has no %s "
	    "right on %s",
	    s->principal, s->tpl->name,
	    s != c->sets[c->n - 1] ? ", a parent agent's" : "",
	    policy_right_name(right), resource);
	return -1;
}

int
policy_tool_offered(const struct policy_chain *c, const char *tool)
{
	char *res;
	int ok;

	xasprintf(&res, "tool:%s", tool);
	ok = policy_chain_allows(c, res,
	    strcmp(tool, "agent") == 0 ? PERM_DELEGATE : PERM_READ);
	free(res);
	return ok;
}

int
policy_check_call(const struct policy_chain *c, const char *tool, json_t *args,
    char **why)
{
	const struct policy_call *pc;
	const char *v, *mode;
	char *res = NULL, *norm;
	int rc;

	*why = NULL;
	xasprintf(&res, "tool:%s", tool);
	rc = policy_deny(c, res,
	    strcmp(tool, "agent") == 0 ? PERM_DELEGATE : PERM_READ, why);
	free(res);
	res = NULL;
	if (rc != 0)
		return -1;
	for (pc = policy_calls; pc->tool != NULL; pc++)
		if (strcmp(pc->tool, tool) == 0)
			break;
	switch (pc->arg) {
	case ARG_TOOL:
		return 0;
	case ARG_PATH:
		v = json_string_value(json_object_get(args, "path"));
		norm = path_normalize(v != NULL ? v : ".");
		/* Outside the workspace no grant applies; the tool's own
		 * confinement refuses such a path (security/confine.c). */
		if (norm[0] == '/' || strcmp(norm, "..") == 0 ||
		    strncmp(norm, "../", 3) == 0) {
			free(norm);
			return 0;
		}
		xasprintf(&res, "path:%s", norm);
		free(norm);
		break;
	case ARG_EXEC:
		mode = json_string_value(json_object_get(args, "mode"));
		if (mode != NULL && strcmp(mode, "shell") == 0)
			res = xstrdup("exec:@shell");
		else {
			v = json_string_value(json_object_get(args, "binary"));
			xasprintf(&res, "exec:%s", v != NULL ? v : "");
		}
		break;
	}
	rc = policy_deny(c, res, pc->right, why);
	free(res);
	return rc;
}

json_t *
policy_templates_json(void)
{
	const struct policy_template *t;
	const struct policy_grant *g;
	json_t *out = json_array(), *rows;
	char buf[8];

	for (t = policy_templates; t->name != NULL; t++) {
		rows = json_array();
		for (g = t->rows; g->resource != NULL; g++)
			json_array_append_new(rows,
			    json_pack("{s:s, s:s}", "resource", g->resource,
				"rights", policy_rights_str(g->rights, buf)));
		json_array_append_new(out,
		    json_pack("{s:s, s:s?, s:o}", "name", t->name, "extends",
			t->base, "rights", rows));
	}
	return out;
}
