/*
 * spaces.h — spaces: named conversation contexts (id, name, emoji tag,
 * description, paths, tags) so that topics don't cross-contaminate
 * (docs/agents.md, "Spaces").  A space has its conversation: a run sent
 * to a space without a session continues the space's session; a session
 * keeps the space it was given.  Detection routes a message to a space:
 * the explicit choice, a path the message names, a tag or the name, then
 * (spaces.classify) the model.
 */
#ifndef OXIOS_KERNEL_SPACES_H
#define OXIOS_KERNEL_SPACES_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>

#include "config/config.h"
#include "util/uuid.h"

#define SPACE_BODY_MAX (64 * 1024) /* a REST body, bytes */
#define SPACE_NAME_MAX 64          /* bytes */
#define SPACE_EMOJI_MAX 16         /* bytes */
#define SPACE_DESC_MAX 2000        /* bytes */
#define SPACE_LIST_MAX 32          /* paths, tags */
#define SPACE_ITEM_MAX 256         /* one path or tag, bytes */
#define SPACES_MAX 256             /* spaces in a store */

/*
 * A space's body over REST or from the CLI, parsed and checked: an
 * object of "name" (1..64 of letters, digits, '-', '_', '.', ' ', not
 * starting with a space), "emoji", "description", "paths" (workspace-
 * relative: no leading '/', no "..") and "tags" (words); unknown keys
 * refused.  `partial`: a PUT, where every key is optional.  New
 * reference with only the keys given, or NULL with *cause.
 */
json_t *spaces_parse_body(const char *text, size_t len, int partial,
    char **cause);

/* Every space, by name: [{"id", "name", "emoji", "description", "paths",
 * "tags", "session_id", "created_at", "updated_at"}].  NULL with *cause. */
json_t *spaces_list(sqlite3 *db, char **cause);
/* One space by id or name (case-insensitive); NULL with *cause NULL when
 * there is none. */
json_t *spaces_get(sqlite3 *db, const char *id_or_name, char **cause);
/* A new space from a checked body (spaces_parse_body()); its id into
 * `id`.  0, or -1 with *cause (a taken name says so). */
int spaces_create(sqlite3 *db, const json_t *body, char id[UUID_STRLEN],
    char **cause);
/* Change the keys of `body` (checked, partial).  1 changed, 0 no such
 * space, -1 with *cause. */
int spaces_update(sqlite3 *db, const char *id, const json_t *body,
    char **cause);
/* 1 deleted (its sessions keep their messages, without a space), 0 no
 * such space, -1 with *cause. */
int spaces_delete(sqlite3 *db, const char *id, char **cause);

/* A change made (op: "create", "update", "delete") by `actor`: into the
 * audit log (space_change) and on the bus (space.changed). */
void spaces_changed(sqlite3 *db, const char *actor, const char *op,
    const char *id, const char *name);

/* Why a space was chosen. */
enum space_why {
	SPACE_WHY_NONE,
	SPACE_WHY_EXPLICIT,
	SPACE_WHY_PATH,
	SPACE_WHY_TAG,
	SPACE_WHY_NAME,
	SPACE_WHY_MODEL,
	SPACE_WHY_SESSION,
};
const char *spaces_why_name(enum space_why why);

/*
 * Detection, pure: the index in `spaces` (spaces_list()'s shape) of the
 * space for `message`: the one whose id or name is `explicit` (when not
 * NULL; -2 if none is), else the first whose path (a glob, or a prefix
 * of a path) matches a path the message names, else the first whose tag
 * or name the message holds as a word (case-insensitive); -1: none.
 * *why says which rule chose.
 */
int spaces_detect(const json_t *spaces, const char *explicit,
    const char *message, enum space_why *why);

/* Whether path `p` (as the message names it) matches a space's path
 * `pat`: a glob (fnmatch) or a prefix ending at a '/'. */
int spaces_path_match(const char *pat, const char *p);

/*
 * The space of a run, before its session exists or after it is loaded:
 * the session's space when it has one (`session` may be NULL: a new
 * session), else detection (the model's classification when
 * spaces.classify is on).  The space's row into *space (new reference,
 * NULL: none), its session (the space's conversation, "" none) into
 * `conv`.  -1 with *cause: an explicit choice names no space.
 */
int spaces_for_run(sqlite3 *db, const struct config *cfg, const char *session,
    const char *explicit, const char *message, json_t **space,
    enum space_why *why, char conv[UUID_STRLEN], char **cause);
/* Put `session` in space `space_id` (and make it the space's
 * conversation).  0, or -1 with *cause. */
int spaces_bind(sqlite3 *db, const char *session, const char *space_id,
    char **cause);
/* The space of `session` (new reference), NULL when none (or *cause). */
json_t *spaces_of_session(sqlite3 *db, const char *session, char **cause);

#endif
