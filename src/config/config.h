/*
 * config.h — Oxios configuration: $OXIOS_HOME/config.toml checked against
 * a schema (schema.c) with defaults, environment overrides for secrets and
 * URLs, and in-place editing that keeps comments (edit.c).
 *
 * Keys are dotted paths ("gateway.port").  A schema key may contain '*',
 * matching any one table key ("mcp.servers.*.command").
 */
#ifndef OXIOS_CONFIG_CONFIG_H
#define OXIOS_CONFIG_CONFIG_H

#include <stddef.h>
#include <jansson.h>

#define CONFIG_MAX_FILE (1024 * 1024) /* config.toml larger than this fails */
#define CONFIG_REDACTED "<redacted>"

enum config_type {
	CT_STRING,
	CT_INT,
	CT_FLOAT,
	CT_BOOL,
	CT_STRINGS, /* array of strings */
	CT_INTS,    /* array of integers */
	CT_STRMAP,  /* table of string values */
};

#define CK_SECRET 0x1 /* never shown: redacted in show/get/list */
/*
 * Read by no code yet: a key Oxios accepts but does not enforce.  Setting
 * it (file or environment) is a load warning, and the docs, the schema
 * listing and the template say so.  Drop the flag in the commit that wires
 * the key; an integration test fails while a planned key is read somewhere
 * or an unplanned key is read nowhere.
 */
#define CK_PLANNED 0x2
#define CONFIG_PLANNED_NOTE \
	"is not yet enforced by this version of Oxios (planned); it has no " \
	"effect"

/*
 * What a string must look like beyond its type (in an array or a table of
 * strings: each one), in the flags as CK_FORMAT(CF_URL).  check.c holds
 * the rules; every string, whatever its format, must hold no NUL.
 */
enum config_format {
	CF_ANY,
	CF_DIR,     /* an absolute path (not /), or "" for the default */
	CF_URL,     /* http:// or https:// with a host */
	CF_ORIGIN,  /* "*" or scheme://host[:port], no path */
	CF_PROGRAM, /* a program name: no '/', not . or .. (exec.allowlist) */
	CF_MODEL,   /* provider/model; the provider must exist */
	CF_HOST,    /* a host name or an IP address */
	CF_ENVNAME, /* the name of an environment variable */
	CF_TOKEN,   /* a key or token: no spaces or control characters */
	CF_NAME,    /* not empty, no spaces or control characters */
};
#define CK_FORMAT(f) ((int)(f) << 8)
#define CK_FORMAT_OF(flags) ((enum config_format)(((flags) >> 8) & 0xff))

struct config_key {
	const char *key; /* "gateway.port" */
	enum config_type type;
	const char *def;     /* default as a TOML literal; NULL: unset */
	double min, max;     /* numbers: allowed range when min <= max */
	const char *choices; /* strings: "a|b|c", or NULL for any */
	const char *env;     /* environment variable that overrides it */
	int flags;           /* CK_*, and CK_FORMAT(CF_*) */
	const char *doc;     /* one line: what it means */
};

extern const struct config_key config_schema[];
extern const size_t config_schema_len;

struct config {
	char *path;       /* the config.toml this came from */
	int exists;       /* whether that file exists */
	json_t *values;   /* key -> effective value (flat, owned) */
	json_t *sources;  /* key -> "default" | "file" | "env:NAME" */
	json_t *warnings; /* array of strings: unknown and planned keys */
};

/* The schema entry for `key` (exact or through '*'), or NULL. */
const struct config_key *config_schema_find(const char *key);
/* What format `f` asks for, in words; NULL for CF_ANY. */
const char *config_format_doc(enum config_format f);
/*
 * check.c: `v` (already of k's type) against k's format.  Returns 0, or
 * -1 with *why (caller frees) saying what is wrong, without the key.
 */
int config_format_check(const struct config_key *k, const json_t *v,
    char **why);
/*
 * check.c: the rules that tie keys together, on a loaded configuration
 * (`pos`: the file's locations from toml_parse(), or NULL).  Returns 0,
 * or -1 with *cause (caller frees) naming file:line:col of the key.
 */
int config_check_whole(const struct config *cfg, const char *name, json_t *pos,
    char **cause);
/* Whether `prefix` names a table of the schema ("gateway", "mcp.servers"). */
int config_schema_is_table(const char *prefix);
/* Length of the first segment of a path ("a.b" -> 1, "\"x.y\".b" -> 5). */
size_t config_segment_len(const char *path);
/* "string", "integer", ...: the type's name as users see it. */
const char *config_type_name(enum config_type t);
/*
 * schema.c: one schema row as JSON {key, type, default, env, secret,
 * planned, doc, choices?, min?, max?, format?} (`oxios config schema
 * --json`, GET /api/config/schema).  New reference.
 */
json_t *config_key_json(const struct config_key *k);

/*
 * Load `path` (a missing file means all defaults) and the environment.
 * Returns 0 with *out (caller config_free()s), or -1 with *cause (caller
 * frees) as one line "path:line:col: what is wrong".  Unknown keys, and
 * planned keys (CK_PLANNED) set in the file or the environment, are not
 * errors: they are listed in (*out)->warnings, one line each.
 */
int config_load(const char *path, struct config **out, char **cause);
/*
 * Read config.toml: it must be a regular file (a symbolic link to one is
 * followed) of at most CONFIG_MAX_FILE bytes; a FIFO, a directory, a
 * socket or a device is refused before it is opened, so that nothing
 * blocks.  *text is NUL-terminated (caller frees).  Returns 0, or -1 with
 * *cause (caller frees) and errno (ENOENT: there is no file).
 */
int config_file_read(const char *path, char **text, size_t *len, char **cause);
/* The same from text in memory (`name` is used in messages). */
int config_load_text(const char *name, const char *text, size_t len,
    struct config **out, char **cause);
void config_free(struct config *cfg);

/* Effective value of a leaf key, or NULL if unset.  Borrowed reference. */
json_t *config_get(const struct config *cfg, const char *key);
/* Typed getters: the key must be in the schema with that type. */
const char *config_str(const struct config *cfg, const char *key);
long long config_int(const struct config *cfg, const char *key);
double config_float(const struct config *cfg, const char *key);
int config_bool(const struct config *cfg, const char *key);

/*
 * Text of a value as shown to people: strings bare, the rest as TOML;
 * secrets as CONFIG_REDACTED.  New string (caller frees).
 */
char *config_show_value(const struct config_key *k, const json_t *v);
/*
 * The effective configuration as one nested object, secrets redacted.
 * New reference.
 */
json_t *config_tree(const struct config *cfg);

/*
 * Turn what a user typed for `k` into a value of its type: "4300" for an
 * integer, "true", "anthropic/x" or "\"quoted\"" for a string, a TOML array
 * literal or "a,b,c" for a list.  Checks range and choices.
 * Returns a new reference, or NULL with *cause (caller frees).
 */
json_t *config_parse_input(const struct config_key *k, const char *key,
    const char *input, char **cause);

/* edit.c: change config.toml in place, keeping the rest of the file. */

/*
 * Set `key` to `input` (see config_parse_input) in the file at `path`
 * (created from the template if missing).  The new text is parsed and
 * validated as a whole before it replaces the file, atomically, mode 0600.
 * Returns 0, or -1 with *cause (caller frees); the file is then untouched.
 */
int config_set(const char *path, const char *key, const char *input,
    char **cause);
/* Remove `key` from the file so that it takes its default again. */
int config_unset(const char *path, const char *key, char **cause);
/*
 * Replace the file with the commented template (all defaults), keeping
 * the old one as path.bak.  *backup is that path, or NULL if there was no
 * file (caller frees).
 */
int config_reset(const char *path, char **backup, char **cause);
/* The commented template: every key with its meaning and default. */
char *config_template(void);

#endif
