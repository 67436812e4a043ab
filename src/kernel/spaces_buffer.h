/*
 * spaces_buffer.h — the conversation buffer: when a session's history
 * outgrows spaces.buffer_tokens (estimated as characters / 4), its older
 * turns are summarised through the gate (phase "summary") and the
 * summary kept in the session's row (sessions.summary, summary_upto:
 * how many messages it stands for); a request then carries the summary
 * (the system prompt's space section) and the recent turns.  The
 * messages themselves stay in the session.
 */
#ifndef OXIOS_KERNEL_SPACES_BUFFER_H
#define OXIOS_KERNEL_SPACES_BUFFER_H

#include <sqlite3.h>
#include <jansson.h>

#include "config/config.h"
#include "kernel/scope.h"

/* Estimated tokens of messages [from, end): their JSON's bytes / 4. */
long long spaces_buffer_estimate(const json_t *messages, size_t from);
/*
 * Where to cut `messages` (pure): 0 when they fit `budget`; else the
 * index of the oldest user turn kept, keeping up to `keep_turns` turns
 * (fewer while they would fill over half the budget, at least one).
 */
long spaces_buffer_cut(const json_t *messages, long long budget,
    int keep_turns);
/*
 * `messages`, the whole history of `session`, loses what its summary
 * stands for; if the rest is over the budget, its older turns are
 * summarised with the summary so far (the model through the gate, under
 * `scope`, may be NULL) and dropped too.  A failed summary leaves the
 * history whole (logged).  0, or -1 with *cause (the database).
 */
int spaces_buffer(sqlite3 *db, const struct config *cfg,
    const struct call_scope *scope, const char *session, json_t *messages,
    char **cause);
/* The session's summary (new string, NULL none) and how many messages it
 * stands for.  0, or -1 with *cause. */
int spaces_buffer_read(sqlite3 *db, const char *session, char **summary,
    long *upto, char **cause);

#endif
