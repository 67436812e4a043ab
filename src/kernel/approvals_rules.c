/*
 * approvals_rules.c — the allow rules an "allow always" answer makes
 * (approvals.h, table policy_rules): a call whose tool, principal and
 * canonical arguments equal a rule's runs without asking.  Exact match
 * only: a rule allows one call, never a family of calls.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/registry.h"
#include "kernel/approvals.h"
#include "kernel/budget_agent.h"
#include "kernel/events.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/time.h"
#include "util/xalloc.h"

int64_t
approvals_rule_match(sqlite3 *db, const char *principal, const char *tool,
    const json_t *args)
{
	char *match = approvals_canonical(args);
	int64_t id = 0;

	if (db_int(db,
		"SELECT id FROM policy_rules WHERE principal = ? AND tool = ? "
		"AND match = ? AND revoked_at IS NULL ORDER BY id LIMIT 1",
		&id, "ttt", principal != NULL ? principal : "default", tool,
		match) < 0)
		id = -1;
	free(match);
	return id;
}

json_t *
approvals_rules(sqlite3 *db, int all, char **cause)
{
	const char *every = all ? "1" : "0";

	return db_rows(db,
	    "SELECT id, principal, tool, match, created_at, created_by, "
	    "approval_id, revoked_at, revoked_by FROM policy_rules WHERE ?1 = "
	    "'1' OR revoked_at IS NULL ORDER BY id",
	    1, &every, 10000, cause);
}

/*
 * A change to a rule that failed inside its transaction: the SQLite
 * error in *cause when `sqlerr` (else *cause already says why), then
 * ROLLBACK.  Returns -1.
 */
static int
approvals_rule_fail(sqlite3 *db, int sqlerr, char **cause)
{
	if (sqlerr)
		xasprintf(cause, "rules: %s", sqlite3_errmsg(db));
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * The end of a change to rule `id` (inside its transaction): `detail`
 * audited as `actor` (permission_change, resource rule:ID), the commit,
 * then the event permissions.changed.  0, or -1 with *cause (the
 * transaction left to the caller to roll back).
 */
static int
approvals_rule_commit(sqlite3 *db, int64_t id, const char *actor,
    json_t *detail, char **cause)
{
	char resource[48];
	json_t *ev;

	snprintf(resource, sizeof resource, "rule:%lld", (long long)id);
	if (audit_append_tx(db, actor, AUDIT_PERMISSION, resource, detail,
		cause) < 0)
		return -1;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		xasprintf(cause, "rules: %s", sqlite3_errmsg(db));
		return -1;
	}
	ev = json_deep_copy(detail);
	json_object_set_new(ev, "rule_id", json_integer(id));
	json_object_set_new(ev, "by", json_string(actor));
	events_emit(EVENT_PERMISSIONS_CHANGED, ev);
	json_decref(ev);
	return 0;
}

int64_t
approvals_rule_add(sqlite3 *db, const char *principal, const char *tool,
    const json_t *args, const char *actor, char **cause)
{
	json_t *detail;
	char *match;
	int64_t id;

	if (budget_agent_name_ok(principal, cause) != 0 ||
	    registry_args_check(tool, args, cause) != 0)
		return APPROVALS_BAD;
	match = approvals_canonical(args);
	if (strlen(match) > APPROVALS_INPUT_MAX) {
		xasprintf(cause, "the arguments are over %d bytes as JSON",
		    APPROVALS_INPUT_MAX);
		free(match);
		return APPROVALS_BAD;
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		SQLITE_OK ||
	    db_exec(db,
		"INSERT INTO policy_rules (principal, tool, match, created_at, "
		"created_by) VALUES (?, ?, ?, ?, ?)",
		"tttIt", principal, tool, match, time_wall_ms(), actor) < 0) {
		free(match);
		return approvals_rule_fail(db, 1, cause);
	}
	free(match);
	id = sqlite3_last_insert_rowid(db);
	detail = json_pack("{s:s, s:s, s:s}", "op", "rule_add", "principal",
	    principal, "tool", tool);
	if (approvals_rule_commit(db, id, actor, detail, cause) != 0)
		id = approvals_rule_fail(db, 0, cause);
	json_decref(detail);
	return id;
}

int
approvals_rule_revoke(sqlite3 *db, int64_t id, const char *actor, char **cause)
{
	sqlite3_stmt *st;
	json_t *detail = NULL;
	int rc, r, revoked = 0;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		SQLITE_OK ||
	    (st = db_prepare(db,
		 "SELECT principal, tool, revoked_at IS NOT NULL FROM "
		 "policy_rules WHERE id = ?",
		 "I", id)) == NULL)
		return approvals_rule_fail(db, 1, cause);
	if ((r = sqlite3_step(st)) == SQLITE_ROW &&
	    !(revoked = sqlite3_column_int(st, 2)))
		detail = json_pack("{s:s, s:s, s:s}", "op", "rule_revoke",
		    "principal", (const char *)sqlite3_column_text(st, 0),
		    "tool", (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	if (r == SQLITE_DONE) {
		xasprintf(cause, "no rule %lld", (long long)id);
		approvals_rule_fail(db, 0, cause);
		return APPROVALS_UNKNOWN;
	}
	if (r != SQLITE_ROW)
		return approvals_rule_fail(db, 1, cause);
	if (revoked) {
		xasprintf(cause, "rule %lld is already revoked", (long long)id);
		approvals_rule_fail(db, 0, cause);
		return APPROVALS_DECIDED;
	}
	if (db_exec(db,
		"UPDATE policy_rules SET revoked_at = ?, revoked_by = ? "
		"WHERE id = ?",
		"ItI", time_wall_ms(), actor, id) < 0)
		rc = approvals_rule_fail(db, 1, cause);
	else if (approvals_rule_commit(db, id, actor, detail, cause) != 0)
		rc = approvals_rule_fail(db, 0, cause);
	else
		rc = 0;
	json_decref(detail);
	return rc;
}
