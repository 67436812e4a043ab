/*
 * skill.c — a SKILL.md read: the front matter between two "---" lines,
 * parsed with libyaml's event API into JSON, and the body after it.
 *
 * Safe loading: the text is capped (SKILL_MAX_BYTES), NUL bytes are
 * refused, an alias is refused (no expansion, hence no alias bomb), the
 * nesting is capped (SKILL_MAX_DEPTH) and so is the number of nodes
 * (SKILL_MAX_NODES).  Plain scalars "true", "false", "null", "~" and
 * integers become JSON's; everything else stays a string.  JSON-style
 * flow mappings with trailing commas are YAML libyaml accepts as they are.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "skills/skill.h"
#include "util/xalloc.h"

/* One open container of the front matter. */
struct skill_frame {
	json_t *v;
	char *key; /* a mapping's key waiting for its value */
};

struct skill_yaml {
	struct skill_frame stack[SKILL_MAX_DEPTH + 1];
	int depth;
	size_t nodes;
	json_t *root;
};

int
skill_name_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '.')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= SKILL_NAME_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' ||
			c == '.'))
			return 0;
	}
	return 1;
}

/* A plain scalar's JSON value (new reference). */
static json_t *
skill_scalar(const char *s, size_t len, int plain)
{
	char *end;
	long long n;

	if (!plain)
		return json_stringn(s, len);
	if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return json_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return json_true();
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return json_false();
	if ((s[0] >= '0' && s[0] <= '9') ||
	    ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9')) {
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_integer(n);
	}
	return json_stringn(s, len);
}

/* Place `v` (taken) in the open container, or as the root. */
static int
skill_place(struct skill_yaml *y, json_t *v, char **problem)
{
	struct skill_frame *f;

	if (++y->nodes > SKILL_MAX_NODES) {
		json_decref(v);
		*problem = xstrdup("too many nodes in the front matter");
		return -1;
	}
	if (y->depth == 0) {
		if (y->root == NULL)
			y->root = v;
		else
			json_decref(v);
		return 0;
	}
	f = &y->stack[y->depth - 1];
	if (json_is_array(f->v))
		return json_array_append_new(f->v, v), 0;
	if (f->key == NULL) { /* a key: scalars only */
		if (!json_is_string(v)) {
			if (json_is_integer(v) || json_is_boolean(v) ||
			    json_is_null(v)) {
				/* a plain key such as 1 or true: its text */
				json_decref(v);
				*problem = NULL;
				return 1;
			}
			json_decref(v);
			*problem = xstrdup("a mapping key must be a scalar");
			return -1;
		}
		f->key = xstrdup(json_string_value(v));
		json_decref(v);
		return 0;
	}
	json_object_set_new(f->v, f->key, v);
	free(f->key);
	f->key = NULL;
	return 0;
}

static int
skill_open(struct skill_yaml *y, json_t *v, char **problem)
{
	if (y->depth >= SKILL_MAX_DEPTH) {
		json_decref(v);
		xasprintf(problem, "the front matter nests deeper than %d",
		    SKILL_MAX_DEPTH);
		return -1;
	}
	if (y->depth > 0 && json_is_object(y->stack[y->depth - 1].v) &&
	    y->stack[y->depth - 1].key == NULL) {
		json_decref(v);
		*problem = xstrdup("a mapping key must be a scalar");
		return -1;
	}
	y->stack[y->depth].v = v;
	y->stack[y->depth].key = NULL;
	y->depth++;
	return 0;
}

static int
skill_close(struct skill_yaml *y, char **problem)
{
	struct skill_frame f = y->stack[--y->depth];

	free(f.key);
	return skill_place(y, f.v, problem) < 0 ? -1 : 0;
}

/* One event into the tree.  0, 1 at the document's end, -1 *problem. */
static int
skill_event(struct skill_yaml *y, yaml_event_t *ev, char **problem)
{
	const char *s;
	int rc;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		*problem = xstrdup("aliases are not accepted");
		return -1;
	case YAML_SCALAR_EVENT:
		s = (const char *)ev->data.scalar.value;
		rc = skill_place(y,
		    skill_scalar(s, ev->data.scalar.length,
			ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE),
		    problem);
		if (rc == 1) { /* a non-string plain key: as text */
			y->stack[y->depth - 1].key = xstrdup(s);
			rc = 0;
		}
		return rc;
	case YAML_SEQUENCE_START_EVENT:
		return skill_open(y, json_array(), problem);
	case YAML_MAPPING_START_EVENT:
		return skill_open(y, json_object(), problem);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return skill_close(y, problem);
	case YAML_DOCUMENT_END_EVENT:
	case YAML_STREAM_END_EVENT:
		return 1;
	default:
		return 0;
	}
}

/* Parse YAML `text` into *out (an object).  *line is where it failed
 * (0-based, within the text). */
static int
skill_yaml(const char *text, size_t len, json_t **out, size_t *line,
    char **problem)
{
	struct skill_yaml y;
	yaml_parser_t p;
	yaml_event_t ev;
	size_t last, k;
	int rc = 0, i;

	memset(&y, 0, sizeof y);
	*line = 0;
	/* libyaml counts a lone "\r" (and Unicode breaks) as a line; an
	 * editor may not: lines are clamped to the text's "\n" lines. */
	for (k = 0, last = 0; k < len; k++)
		last += text[k] == '\n';
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			*line = p.problem_mark.line < last ?
			    p.problem_mark.line :
			    last;
			if (p.context != NULL)
				xasprintf(problem,
				    "%s (%s started at line %zu)",
				    p.problem != NULL ? p.problem :
							"invalid YAML",
				    p.context,
				    (p.context_mark.line < last ?
					    p.context_mark.line :
					    last) +
					2);
			else
				xasprintf(problem, "%s",
				    p.problem != NULL ? p.problem :
							"invalid YAML");
			rc = -1;
			break;
		}
		*line = ev.start_mark.line < last ? ev.start_mark.line : last;
		rc = skill_event(&y, &ev, problem);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	for (i = y.depth - 1; i >= 0; i--) {
		free(y.stack[i].key);
		json_decref(y.stack[i].v);
	}
	if (rc < 0) {
		json_decref(y.root);
		return -1;
	}
	if (y.root == NULL || json_is_null(y.root)) {
		json_decref(y.root);
		y.root = json_object();
	}
	if (!json_is_object(y.root)) {
		json_decref(y.root);
		*line = 0;
		*problem = xstrdup("the front matter is not a mapping");
		return -1;
	}
	*out = y.root;
	return 0;
}

/* Whether the line at `p` (up to `end`) is `mark` with only spaces or
 * "\r" after it; *next is the next line's start. */
static int
skill_marker(const char *p, const char *end, const char *mark,
    const char **next)
{
	size_t n = strlen(mark);
	const char *q;

	if ((size_t)(end - p) < n || memcmp(p, mark, n) != 0)
		return 0;
	for (q = p + n; q < end && *q != '\n'; q++)
		if (*q != ' ' && *q != '\t' && *q != '\r')
			return 0;
	*next = q < end ? q + 1 : end;
	return 1;
}

int
skill_parse(const char *text, size_t len, const char *path,
    struct skill_doc *doc, char **cause)
{
	const char *p = text, *end = text + len, *fm, *next;
	char *problem = NULL;
	size_t line, fmline = 2;

	memset(doc, 0, sizeof *doc);
	if (len > SKILL_MAX_BYTES) {
		xasprintf(cause, "%s: larger than %d bytes", path,
		    SKILL_MAX_BYTES);
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		xasprintf(cause, "%s: holds a NUL byte", path);
		return -1;
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (!skill_marker(p, end, "---", &next)) {
		xasprintf(cause,
		    "%s:1: no front matter (a SKILL.md starts with a "
		    "'---' line)",
		    path);
		return -1;
	}
	fm = p = next;
	for (;;) {
		if (p >= end) {
			xasprintf(cause,
			    "%s:1: the front matter has no closing '---' line",
			    path);
			return -1;
		}
		if (skill_marker(p, end, "---", &next) ||
		    skill_marker(p, end, "...", &next))
			break;
		p = memchr(p, '\n', (size_t)(end - p));
		p = p != NULL ? p + 1 : end;
	}
	if (skill_yaml(fm, (size_t)(p - fm), &doc->front, &line, &problem) <
	    0) {
		xasprintf(cause, "%s:%zu: %s", path, fmline + line, problem);
		free(problem);
		return -1;
	}
	doc->body = xstrndup(next, (size_t)(end - next));
	return 0;
}

void
skill_doc_free(struct skill_doc *doc)
{
	json_decref(doc->front);
	free(doc->body);
	memset(doc, 0, sizeof *doc);
}
