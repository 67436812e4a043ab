/*
 * personas.h — who an agent is told to be: a persona has a name, a role,
 * a description, a system prompt, an optional model, an optional tools
 * allow-list and traits.  Oxios ships Dev, Review and Research; custom
 * ones (and edits of the shipped ones) are rows of `personas`
 * (migration 015).  One persona is the default; a session has an
 * active one (sessions.persona).  docs/agents.md, "Personas".
 *
 * A persona is a JSON object {id, name, role, description, prompt,
 * model (null: the run's), tools (null: all), traits, builtin, edited}:
 * the id is the name in lower case.
 */
#ifndef OXIOS_KERNEL_PERSONAS_H
#define OXIOS_KERNEL_PERSONAS_H

#include <sqlite3.h>
#include <jansson.h>

#define PERSONA_NAME_MAX 64
#define PERSONA_ROLE_MAX 256
#define PERSONA_DESC_MAX 1024
#define PERSONA_PROMPT_MAX (16 * 1024)
#define PERSONA_MODEL_MAX 128
#define PERSONA_TRAITS_MAX 32
#define PERSONA_TRAIT_MAX 128
#define PERSONA_TOOLS_MAX 64
#define PERSONA_BODY_MAX (64 * 1024) /* a body as text, REST or CLI */

/* Outcomes besides 0 and -1. */
#define PERSONAS_EXISTS 2  /* create: the name is taken */
#define PERSONAS_UNKNOWN 3 /* no such persona */
#define PERSONAS_BUILTIN 4 /* delete: a shipped persona without edits */

/* 0 if `name` is 1..64 of [A-Za-z0-9_.-], else -1 with *cause (when
 * `cause` is not NULL). */
int personas_name_ok(const char *name, char **cause);
/*
 * A persona from a request body (an object): name, prompt required,
 * role, description, model (provider/model), tools and traits (arrays
 * of strings) optional; unknown members refused.  With `name` non-NULL
 * (an edit) the body's name may be left out and must match it when
 * given.  New reference, or NULL with *cause (the caller's mistake).
 */
json_t *personas_parse(const json_t *body, const char *name, char **cause);
/* The same from JSON text of at most PERSONA_BODY_MAX bytes. */
json_t *personas_parse_text(const char *text, size_t len, const char *name,
    char **cause);

/* Every persona, shipped then custom by name, each with "default".  New
 * reference, or NULL with *cause. */
json_t *personas_list(sqlite3 *db, char **cause);
/* The persona called `name` (any case) into *out (new reference): 1, 0
 * when there is none, -1 with *cause. */
int personas_get(sqlite3 *db, const char *name, json_t **out, char **cause);
/* Store a persona from personas_parse(): `create` refuses a taken name
 * (PERSONAS_EXISTS), an edit an unknown one (PERSONAS_UNKNOWN).  Audited
 * (config_change), event persona.changed.  0, or -1 with *cause. */
int personas_put(sqlite3 *db, const json_t *p, int create, const char *actor,
    char **cause);
/* Delete a custom persona or a shipped one's edits: 0, PERSONAS_UNKNOWN,
 * PERSONAS_BUILTIN (nothing to delete), -1 with *cause. */
int personas_delete(sqlite3 *db, const char *name, const char *actor,
    char **cause);

/* The default persona's name into `out` ("Dev" until set): 0, or -1. */
int personas_default(sqlite3 *db, char out[PERSONA_NAME_MAX + 1], char **cause);
/* The session's active persona into `out` ("" when none): 1, 0 when the
 * session does not exist, -1 with *cause. */
int personas_session(sqlite3 *db, const char *session_id,
    char out[PERSONA_NAME_MAX + 1], char **cause);
/*
 * Make `name` the default (session_id NULL) or the session's active
 * persona; `name` NULL clears a session's.  Audited when `actor` is
 * non-NULL (a choice; a run recording its persona is not), event
 * persona.changed.  0, PERSONAS_UNKNOWN (no such persona or session),
 * -1 with *cause.
 */
int personas_use(sqlite3 *db, const char *session_id, const char *name,
    const char *actor, char **cause);
/*
 * The persona of a run: `chosen` if given, else the session's active
 * one, else the default.  1 with *out (new reference), PERSONAS_UNKNOWN
 * with *cause when the chosen one does not exist, -1 with *cause.
 */
int personas_resolve(sqlite3 *db, const char *chosen, const char *session_id,
    json_t **out, char **cause);

#endif
