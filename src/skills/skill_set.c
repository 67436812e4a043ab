/*
 * skill_set.c — the skills of the four sources: folders read, higher
 * sources shadowing lower ones, each skill's eligibility computed (bins,
 * anyBins, env, config, os) with the install hint, its hash and its
 * state (skill_store.c).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <sodium.h>

#include "config/home.h"
#include "skills/skill.h"
#include "skills/skill_int.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "util/xalloc.h"

static const char *const skill_source_names[SKILL_NSOURCES] = {
	"agent",
	"workspace",
	"user",
	"bundled",
};
static const char *const skill_status_names[] = {
	"ready",
	"needs-setup",
	"disabled",
};

const char *
skill_source_name(enum skill_source s)
{
	return skill_source_names[s];
}

const char *
skill_status_name(enum skill_status s)
{
	return skill_status_names[s];
}

char *
skill_bundled_dir(void)
{
	const char *env = getenv("OXIOS_SKILLS_BUNDLED");
	static const char *const rel[] = { "../share/oxios/skills",
		"../share/skills" };
	char exe[PATH_MAX], *dir, *slash, *p, *n;
	struct stat st;
	ssize_t k;
	size_t i;

	if (env != NULL && env[0] != '\0')
		return xstrdup(env);
	if ((k = readlink("/proc/self/exe", exe, sizeof exe - 1)) <= 0)
		return NULL;
	exe[k] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	*slash = '\0';
	dir = exe;
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		p = path_join(dir, rel[i]);
		n = path_normalize(p);
		free(p);
		if (stat(n, &st) == 0 && S_ISDIR(st.st_mode))
			return n;
		free(n);
	}
	return NULL;
}

void
skill_where_init(struct skill_where *w, const char *workspace,
    const char *principal)
{
	char *p;

	memset(w, 0, sizeof *w);
	if (principal != NULL && skill_name_ok(principal)) {
		xasprintf(&p, "agents/%s/skills", principal);
		w->dir[SKILL_AGENT] = home_path(p);
		free(p);
	}
	if (workspace != NULL)
		w->dir[SKILL_WORKSPACE] = path_join(workspace, "skills");
	w->dir[SKILL_USER] = home_path("skills");
	w->dir[SKILL_BUNDLED] = skill_bundled_dir();
}

void
skill_where_free(struct skill_where *w)
{
	int i;

	for (i = 0; i < SKILL_NSOURCES; i++)
		free(w->dir[i]);
	memset(w, 0, sizeof *w);
}

/* The requirements block: metadata.openclaw (or its older names), else
 * the front matter itself (the seed's shape).  Borrowed. */
static const json_t *
skill_meta(const json_t *front)
{
	static const char *const names[] = { "openclaw", "clawdbot", "moltbot",
		"clawdis" };
	const json_t *m = json_object_get(front, "metadata"), *v;
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if ((v = json_object_get(m, names[i])) != NULL &&
		    json_is_object(v))
			return v;
	return front;
}

/* Whether the program `name` is in $PATH (executable regular file). */
static int
skill_on_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *c;
	char full[PATH_MAX];
	struct stat st;

	if (!path_is_name(name) || path == NULL)
		return 0;
	for (p = path;; p = c + 1) {
		size_t n;

		c = strchr(p, ':');
		n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (n == 0) /* the current directory: never */
			;
		else if ((size_t)snprintf(full, sizeof full, "%.*s/%s", (int)n,
			     p, name) < sizeof full &&
		    stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(full, X_OK) == 0)
			return 1;
		if (c == NULL)
			return 0;
	}
}

/* A list of names: an array of strings, or one string. */
static size_t
skill_list(const json_t *v, const char **out, size_t max)
{
	size_t i, n = 0;
	json_t *e;

	if (json_is_string(v) && max > 0) {
		out[0] = json_string_value(v);
		return 1;
	}
	json_array_foreach(v, i, e) {
		if (json_is_string(e) && n < max)
			out[n++] = json_string_value(e);
	}
	return n;
}

/* Whether config key `key` is set (present, not false, not ""). */
static int
skill_config_set(const struct config *cfg, const char *key)
{
	json_t *v;

	if (cfg == NULL || config_schema_find(key) == NULL)
		return 0;
	v = config_get(cfg, key);
	return v != NULL && !json_is_false(v) && !json_is_null(v) &&
	    !(json_is_string(v) && json_string_length(v) == 0);
}

/* The install hint of the front matter: "brew install gh; apt ..."
 * (caller frees), or NULL. */
static char *
skill_hint(const json_t *front, const json_t *meta)
{
	const json_t *list = json_object_get(meta, "install"), *e;
	const char *kind, *what;
	struct buf b;
	size_t i;

	if (list == NULL)
		list = json_object_get(front, "install");
	buf_init(&b, 2048);
	json_array_foreach(list, i, e) {
		kind = oxjson_str(e, "kind", NULL);
		what = oxjson_str(e, "formula", NULL);
		if (what == NULL)
			what = oxjson_str(e, "package", NULL);
		if (what == NULL)
			what = oxjson_str(e, "module", NULL);
		if (kind == NULL || what == NULL)
			continue;
		if (b.len > 0)
			buf_adds(&b, "; or ");
		if (strcmp(kind, "brew") == 0)
			buf_printf(&b, "brew install %s", what);
		else if (strcmp(kind, "apt") == 0)
			buf_printf(&b, "apt install %s", what);
		else if (strcmp(kind, "node") == 0 || strcmp(kind, "npm") == 0)
			buf_printf(&b, "npm install -g %s", what);
		else if (strcmp(kind, "go") == 0)
			buf_printf(&b, "go install %s", what);
		else if (strcmp(kind, "uv") == 0 || strcmp(kind, "pip") == 0)
			buf_printf(&b, "%s install %s",
			    strcmp(kind, "uv") == 0 ? "uv tool" : "pip", what);
		else
			buf_printf(&b, "%s: %s", kind, what);
	}
	return b.len > 0 ? buf_detach(&b) : (buf_free(&b), NULL);
}

/* Compute s->status, reason, hint from the requirements. */
static void
skill_eligible(struct skill *s, const struct config *cfg)
{
	const json_t *meta = skill_meta(s->front), *req;
	const char *names[64];
	struct utsname u;
	struct buf why;
	size_t n, i;
	int any;

	req = json_object_get(meta, "requires");
	if (req == NULL)
		req = json_object_get(s->front, "requires");
	buf_init(&why, 4096);
	n = skill_list(json_object_get(req, "bins"), names, 64);
	for (i = 0; i < n; i++)
		if (!skill_on_path(names[i]))
			buf_printf(&why, "%sthe program '%s' is not on PATH",
			    why.len > 0 ? "; " : "", names[i]);
	n = skill_list(json_object_get(req, "anyBins"), names, 64);
	for (i = 0, any = n == 0; i < n && !any; i++)
		any = skill_on_path(names[i]);
	if (!any) {
		buf_printf(&why, "%snone of the programs",
		    why.len > 0 ? "; " : "");
		for (i = 0; i < n; i++)
			buf_printf(&why, "%s'%s'", i > 0 ? ", " : " ",
			    names[i]);
		buf_adds(&why, " is on PATH");
	}
	n = skill_list(json_object_get(req, "env"), names, 64);
	for (i = 0; i < n; i++) {
		const char *e = getenv(names[i]);

		if (e == NULL || e[0] == '\0')
			buf_printf(&why,
			    "%sthe environment variable '%s' is not set",
			    why.len > 0 ? "; " : "", names[i]);
	}
	n = skill_list(json_object_get(req, "config"), names, 64);
	for (i = 0; i < n; i++)
		if (!skill_config_set(cfg, names[i]))
			buf_printf(&why, "%sthe config key '%s' is not set",
			    why.len > 0 ? "; " : "", names[i]);
	n = skill_list(json_object_get(meta, "os"), names, 64);
	if (n == 0)
		n = skill_list(json_object_get(s->front, "os"), names, 64);
	if (n > 0 && uname(&u) == 0) {
		for (i = 0, any = 0; i < n && !any; i++)
			any = strcasecmp(names[i], u.sysname) == 0;
		if (!any)
			buf_printf(&why, "%snot for this OS (%s)",
			    why.len > 0 ? "; " : "", u.sysname);
	}
	if (!s->enabled)
		s->status = SKILL_DISABLED;
	else if (why.len > 0)
		s->status = SKILL_NEEDS_SETUP;
	else
		s->status = SKILL_READY;
	if (why.len > 0) {
		s->reason = buf_detach(&why);
		s->hint = skill_hint(s->front, meta);
	} else
		buf_free(&why);
}

/* The first line of the description, at most 200 bytes (caller frees). */
static char *
skill_oneline(const json_t *front)
{
	const char *d = oxjson_str(front, "description", "");
	size_t n = strcspn(d, "\r\n");

	if (n > 200) { /* cut before a whole character */
		n = 200;
		while (n > 0 && ((unsigned char)d[n] & 0xC0) == 0x80)
			n--;
	}
	return xstrndup(d, n);
}

/* Read one skill folder `dir` (named `folder`) into *s.  0, 1 not a
 * skill folder, -1 appended to errors. */
static int
skill_read(const char *dir, const char *folder, enum skill_source src,
    struct skill *s, json_t *errors)
{
	unsigned char h[32];
	struct skill_doc doc;
	char *path, *text = NULL, *cause = NULL;
	const char *name;
	struct stat st;
	size_t len, i;

	path = path_join(dir, "SKILL.md");
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return 1;
	}
	if (file_read(path, SKILL_MAX_BYTES, &text, &len, &cause) < 0 ||
	    skill_parse(text, len, path, &doc, &cause) < 0)
		goto fail;
	name = oxjson_str(doc.front, "name", NULL);
	if (!skill_name_ok(name))
		name = folder;
	if (!skill_name_ok(name)) {
		skill_doc_free(&doc);
		xasprintf(&cause, "%s: '%s' is not a skill name", path, folder);
		goto fail;
	}
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->source = src;
	s->dir = xstrdup(dir);
	s->front = doc.front;
	s->body = doc.body;
	s->description = skill_oneline(s->front);
	s->enabled = 1;
	s->model_off = json_is_true(json_object_get(s->front,
			   "disable-model-invocation")) ||
	    json_is_true(json_object_get(skill_meta(s->front),
		"disable-model-invocation"));
	crypto_generichash(h, sizeof h, (const unsigned char *)text, len, NULL,
	    0);
	for (i = 0; i < sizeof h; i++)
		snprintf(s->hash + 2 * i, 3, "%02x", h[i]);
	free(text);
	free(path);
	return 0;
fail:
	if (cause != NULL && strncmp(cause, path, strlen(path)) != 0) {
		char *c = cause;

		xasprintf(&cause, "%s: %s", path, c);
		free(c);
	}
	json_array_append_new(errors,
	    json_pack("{s:s, s:s}", "path", path, "error",
		cause != NULL ? cause : "unreadable"));
	free(cause);
	free(text);
	free(path);
	return -1;
}

static void
skill_free(struct skill *s)
{
	free(s->name);
	free(s->description);
	free(s->dir);
	json_decref(s->front);
	free(s->body);
	free(s->reason);
	free(s->hint);
	json_decref(s->shadows);
}

static int
skill_cmp(const void *a, const void *b)
{
	return strcmp(((const struct skill *)a)->name,
	    ((const struct skill *)b)->name);
}

static int
skill_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read one source's folders into the set. */
static void
skill_source(struct skill_set *set, size_t *cap, const char *root,
    enum skill_source src)
{
	char *names[SKILL_MAX_PER_SOURCE], *dir;
	struct dirent *de;
	struct skill s;
	struct stat st;
	size_t n = 0, i, j;
	DIR *d;

	if (root == NULL || (d = opendir(root)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < SKILL_MAX_PER_SOURCE)
		if (de->d_name[0] != '.')
			names[n++] = xstrdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof names[0], skill_name_cmp);
	for (i = 0; i < n; i++) {
		dir = path_join(root, names[i]);
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    skill_read(dir, names[i], src, &s, set->errors) != 0) {
			free(dir);
			continue;
		}
		free(dir);
		for (j = 0; j < set->n; j++)
			if (strcmp(set->v[j].name, s.name) == 0)
				break;
		if (j < set->n) { /* shadowed by a higher source */
			if (set->v[j].shadows == NULL)
				set->v[j].shadows = json_array();
			json_array_append_new(set->v[j].shadows,
			    json_pack("{s:s, s:s}", "source",
				skill_source_names[src], "dir", s.dir));
			skill_free(&s);
			continue;
		}
		if (set->n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			set->v = xreallocarray(set->v, *cap, sizeof *set->v);
		}
		set->v[set->n++] = s;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
}

void
skill_scan(sqlite3 *db, const struct config *cfg, const struct skill_where *w,
    struct skill_set *set)
{
	size_t cap = 0, i;
	int src;

	memset(set, 0, sizeof *set);
	set->errors = json_array();
	for (src = 0; src < SKILL_NSOURCES; src++)
		skill_source(set, &cap, w->dir[src], (enum skill_source)src);
	for (i = 0; i < set->n; i++) {
		skill_state_apply(db, &set->v[i]);
		skill_eligible(&set->v[i], cfg);
	}
	if (set->n > 1)
		qsort(set->v, set->n, sizeof set->v[0], skill_cmp);
}

void
skill_set_free(struct skill_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		skill_free(&set->v[i]);
	free(set->v);
	json_decref(set->errors);
	memset(set, 0, sizeof *set);
}

const struct skill *
skill_find(const struct skill_set *set, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < set->n; i++)
		if (strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	return NULL;
}

json_t *
skill_json(const struct skill *s, int body)
{
	json_t *v;

	v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:b, s:b, s:s, "
		      "s:O}",
	    "name", s->name, "description", s->description, "source",
	    skill_source_names[s->source], "dir", s->dir, "status",
	    skill_status_names[s->status], "reason", s->reason, "install",
	    s->hint, "enabled", s->enabled, "changed", s->changed, "hash",
	    s->hash, "front_matter", s->front);
	json_object_set_new(v, "model_invocation", json_boolean(!s->model_off));
	if (s->shadows != NULL)
		json_object_set(v, "shadows", s->shadows);
	if (body)
		json_object_set_new(v, "body", json_string(s->body));
	return v;
}
