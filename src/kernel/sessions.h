/*
 * sessions.h — conversations kept in SQLite: each message (canonical
 * blocks, see llm/llm.h) is a row written in its own transaction as soon as
 * it exists, so a crash loses nothing already said.
 */
#ifndef OXIOS_KERNEL_SESSIONS_H
#define OXIOS_KERNEL_SESSIONS_H

#include <sqlite3.h>
#include <jansson.h>

#include "util/uuid.h"

/* A new session; its id into `id`.  0, or -1 with *cause. */
int session_create(sqlite3 *db, const char *title, char id[UUID_STRLEN],
    char **cause);
/* 1 if the session exists, 0 if not, -1 with *cause on error. */
int session_exists(sqlite3 *db, const char *id, char **cause);
/*
 * The messages of a session in order, as [{"role", "content"}].
 * New reference, or NULL with *cause.
 */
json_t *session_messages(sqlite3 *db, const char *id, char **cause);
/* Append one message {"role", "content"}.  0, or -1 with *cause. */
int session_append(sqlite3 *db, const char *id, const char *agent_id,
    const json_t *msg, char **cause);
/* Record the model and add token counts.  0, or -1 with *cause. */
int session_touch(sqlite3 *db, const char *id, const char *model,
    long long input_tokens, long long output_tokens, char **cause);
/*
 * Sessions, newest first: [{"id", "title", "created_at", "updated_at",
 * "model", "messages"}].  New reference, or NULL with *cause.
 */
json_t *session_list(sqlite3 *db, int limit, char **cause);

/*
 * A session with its messages, its persona (kernel/personas.h; null
 * until a run took one) and the agents that ran in it (their state
 * says whether a run ended, failed or was interrupted).  NULL with *cause
 * NULL if there is no such session.
 */
json_t *session_get(sqlite3 *db, const char *id, char **cause);
/* What session_delete() found. */
#define SESSION_NONE 0    /* no such session */
#define SESSION_DELETED 1 /* deleted, with its messages */
#define SESSION_BUSY 2    /* an agent runs or waits in it: kept */
/*
 * Delete a session and its messages unless an agent of it is running or
 * queued, in one statement: no agent starts in it between the check and
 * the delete.  Returns SESSION_DELETED, SESSION_NONE or SESSION_BUSY (the
 * agent may have ended since: try again), or -1 with *cause.
 */
int session_delete(sqlite3 *db, const char *id, char **cause);

#endif
