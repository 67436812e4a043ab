/*
 * spaces_bridge.h — the knowledge bridge: after a run in a space
 * (spaces.bridge), the durable facts of the conversation's new turns are
 * extracted through the gate (phase "space", background class, a small
 * max_tokens under the run's budget) and stored as memories whose origin
 * (memories.space) is the space's id; `oxios memory search --space` and
 * the REST search's "space" filter by it.
 */
#ifndef OXIOS_KERNEL_SPACES_BRIDGE_H
#define OXIOS_KERNEL_SPACES_BRIDGE_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>

#include "config/config.h"
#include "kernel/scope.h"

#define BRIDGE_MAX_FACTS 10

/* The facts of a model's answer (pure): its lines that start with "- ",
 * trimmed, non-empty, at most BRIDGE_MAX_FACTS; "NONE" gives none.  New
 * array of strings. */
json_t *spaces_bridge_facts(const char *answer);

/*
 * Extract the facts of `session`'s messages since the last extraction
 * into memory with `space_id` as their origin.  The number stored, or -1
 * with *cause (the database; a failed model call is logged, 0).
 */
int spaces_bridge(sqlite3 *db, const struct config *cfg,
    const struct call_scope *scope, const char *session, const char *space_id,
    char **cause);

#endif
