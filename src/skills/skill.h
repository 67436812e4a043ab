/*
 * skill.h — skills: folders with a SKILL.md (YAML front matter and a
 * Markdown body) found in four sources by priority, their eligibility
 * (binaries, environment, configuration keys, OS), their content hash
 * and their enabled state (docs/skills.md).  Skills are data: nothing in
 * one runs when it is loaded.
 */
#ifndef OXIOS_SKILLS_SKILL_H
#define OXIOS_SKILLS_SKILL_H

#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

#include "config/config.h"

#define SKILL_MAX_BYTES (256 * 1024) /* a SKILL.md, and a file beside it */
#define SKILL_MAX_DEPTH 32           /* nesting of the front matter */
#define SKILL_MAX_NODES 20000        /* scalars and containers */
#define SKILL_MAX_PER_SOURCE 512     /* skill folders read per source */
#define SKILL_NAME_MAX 64

/* Sources, highest priority first. */
enum skill_source {
	SKILL_AGENT,     /* $OXIOS_HOME/agents/NAME/skills/ */
	SKILL_WORKSPACE, /* WORKSPACE/skills/ */
	SKILL_USER,      /* $OXIOS_HOME/skills/ */
	SKILL_BUNDLED,   /* share/skills/ beside the binary */
	SKILL_NSOURCES
};

enum skill_status { SKILL_READY, SKILL_NEEDS_SETUP, SKILL_DISABLED };

/* A parsed SKILL.md. */
struct skill_doc {
	json_t *front; /* the front matter as JSON (an object) */
	char *body;    /* the Markdown after it */
};

/*
 * Parse a SKILL.md's text (`len` bytes, at most SKILL_MAX_BYTES): the
 * front matter between two "---" lines, with libyaml (no aliases, depth
 * and node caps), then the body.  Unknown keys are kept.  `path` names it
 * in messages.  Returns 0, or -1 with *cause ("PATH:LINE: problem",
 * caller frees).
 */
int skill_parse(const char *text, size_t len, const char *path,
    struct skill_doc *doc, char **cause);
void skill_doc_free(struct skill_doc *doc);

/* Whether `s` is a skill name: 1-64 of [A-Za-z0-9._-], no leading '.'. */
int skill_name_ok(const char *s);

struct skill {
	char *name;
	char *description; /* one line */
	enum skill_source source;
	char *dir; /* the skill's folder */
	json_t *front;
	char *body;
	char hash[65]; /* BLAKE2b-256 of SKILL.md, hex */
	enum skill_status status;
	char *reason;    /* needs-setup: what is missing; NULL otherwise */
	char *hint;      /* needs-setup: how to install it; may be NULL */
	int enabled;     /* not disabled */
	int changed;     /* enabled with another hash than today's */
	int model_off;   /* disable-model-invocation: never offered to agents */
	json_t *shadows; /* the folders of the same name it hides */
};

/* Where to look: a folder per source (NULL: none). */
struct skill_where {
	char *dir[SKILL_NSOURCES];
};

/*
 * The default folders: the agent profile's (`principal`, may be NULL),
 * `workspace`'s (may be NULL), the user's under $OXIOS_HOME, the bundled
 * ones beside the executable (skill_bundled_dir()).
 */
void skill_where_init(struct skill_where *w, const char *workspace,
    const char *principal);
void skill_where_free(struct skill_where *w);
/* The bundled skills' folder: $OXIOS_SKILLS_BUNDLED, else
 * EXE/../share/oxios/skills (installed), else EXE/../share/skills (the
 * source tree, from a build directory).  NULL if none (caller frees). */
char *skill_bundled_dir(void);

struct skill_set {
	struct skill *v;
	size_t n;
	json_t *errors; /* [{path, error}]: skipped files */
};

/*
 * Read every source of `w`, the higher shadowing the lower, with each
 * skill's eligibility under `cfg` (may be NULL: no config key is set)
 * and its state in `db` (may be NULL: all enabled).  Malformed files go
 * to set->errors, never fail the scan.  Sorted by name.
 */
void skill_scan(sqlite3 *db, const struct config *cfg,
    const struct skill_where *w, struct skill_set *set);
void skill_set_free(struct skill_set *set);
/* The skill named `name`, or NULL. */
const struct skill *skill_find(const struct skill_set *set, const char *name);

const char *skill_source_name(enum skill_source s);
const char *skill_status_name(enum skill_status s);
/* One skill as JSON (new reference); with its body if `body`. */
json_t *skill_json(const struct skill *s, int body);

/*
 * Enable or disable `name` (its hash today recorded) in the state table.
 * 0, or -1 with *cause.
 */
int skill_set_enabled(sqlite3 *db, const struct skill *s, int enabled,
    const char *actor, char **cause);

/*
 * Read the file `file` beside the skill's SKILL.md, confined to its
 * folder (no "..", no absolute path, no symbolic link leading out), at
 * most SKILL_MAX_BYTES.  0 with *data (caller frees), or -1 with *cause.
 */
int skill_read_file(const struct skill *s, const char *file, char **data,
    size_t *len, char **cause);

/*
 * Install a skill into the user source ($OXIOS_HOME/skills/NAME/): its
 * SKILL.md `content` (parsed first: a malformed one is refused) and
 * `files` (an object path → text; may be NULL), confined to the folder.
 * An existing skill of that name there is replaced.  0, or -1 with *cause.
 */
int skill_install(const char *name, const char *content, size_t len,
    const json_t *files, char **cause);
/*
 * Record a change made to skill `name` by `actor`: `op` is "install",
 * "delete", "enable" or "disable".  An audit entry (action `other`,
 * resource "skill:NAME", detail {op}) and the event skills.changed
 * {name, op}.  0, or -1 with *cause (the audit failed).
 */
int skill_record(sqlite3 *db, const char *actor, const char *name,
    const char *op, char **cause);
/* Delete the user source's skill `name`.  0, or -1 with *cause (ENOENT:
 * not there). */
int skill_remove(const char *name, char **cause);

#endif
