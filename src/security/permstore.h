/*
 * permstore.h — the permissions of agent profiles (principals): one row
 * per profile in agent_permissions (migration 013), a template and grants
 * (security/policy.h).  A profile without a row has the template of
 * security.default_template and no grants.  Every write is audited
 * (AUDIT_PERMISSION, resource "permissions:<profile>") in the same
 * transaction and announced as EVENT_PERMISSIONS_CHANGED.
 *
 * A principal NULL is the default profile, named "default" as budgets
 * name it (kernel/budget_agent.h).  The allow rules (policy_rules) are
 * the approvals' to write; permstore_rules() only reads them.
 */
#ifndef OXIOS_SECURITY_PERMSTORE_H
#define OXIOS_SECURITY_PERMSTORE_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "config/config.h"
#include "security/policy.h"

#define PERMSTORE_DEFAULT "default" /* the profile of a run without one */

/* The profile's name for `principal` (NULL: the default). */
const char *permstore_name(const char *principal);
/* The template of a profile without a row (security.default_template). */
const char *permstore_default_template(const struct config *cfg);
/*
 * The row of `principal`: 1 with *out {agent, template, grants,
 * updated_at, updated_by} (new reference), 0 if it has none, -1 with
 * *cause.
 */
int permstore_get(sqlite3 *db, const char *principal, json_t **out,
    char **cause);
/*
 * Set `principal`'s template and grants (unparsed; NULL: none), checked
 * by policy_set_new().  0, or -1 with *cause (nothing written).
 */
int permstore_put(sqlite3 *db, const char *principal, const char *tpl,
    const json_t *grants, const char *actor, int64_t now_ms, char **cause);
/* Drop `principal`'s row (back to the default): 1, 0 (none), -1. */
int permstore_reset(sqlite3 *db, const char *principal, const char *actor,
    char **cause);
/* Every row, by principal (new reference), or NULL with *cause. */
json_t *permstore_list(sqlite3 *db, char **cause);
/* The live allow rules of `principal` (NULL: all), read-only: [{id,
 * principal, tool, match, created_at, created_by}] or NULL with *cause. */
json_t *permstore_rules(sqlite3 *db, const char *principal, char **cause);
/*
 * The set of `principal`: its row, else `default_tpl` with no grants.
 * NULL with *cause (a row that no longer parses says so).  Caller
 * policy_set_free()s it.
 */
struct policy_set *permstore_load(sqlite3 *db, const char *principal,
    const char *default_tpl, char **cause);
/* The view of GET /api/permissions/{agent} and `oxios permissions show
 * AGENT --json`: {agent, template, default, grants, effective, rules}. */
json_t *permstore_view(sqlite3 *db, const char *principal,
    const char *default_tpl, char **cause);

#endif
