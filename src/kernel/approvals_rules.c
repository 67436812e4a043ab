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
	sqlite3_stmt *st = NULL;
	char *match = approvals_canonical(args);
	int64_t id = -1;
	int rc;

	if (sqlite3_prepare_v2(db,
		"SELECT id FROM policy_rules WHERE principal = ? AND tool = ? "
		"AND match = ? AND revoked_at IS NULL ORDER BY id LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, principal != NULL ? principal : "default", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, match, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		id = 0;
out:
	sqlite3_finalize(st);
	free(match);
	return id;
}

json_t *
approvals_rules(sqlite3 *db, int all, char **cause)
{
	char *ignored = NULL;
	json_t *v;

	if (cause == NULL) {
		v = approvals_rules(db, all, &ignored);
		free(ignored);
		return v;
	}
	return db_rows(db,
	    all ? "SELECT id, principal, tool, match, created_at, created_by, "
		  "approval_id, revoked_at, revoked_by FROM policy_rules "
		  "ORDER BY id" :
		  "SELECT id, principal, tool, match, created_at, created_by, "
		  "approval_id, revoked_at, revoked_by FROM policy_rules "
		  "WHERE revoked_at IS NULL ORDER BY id",
	    0, NULL, 10000, cause);
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
	sqlite3_stmt *st = NULL;
	json_t *detail = NULL;
	char *match = NULL;
	int64_t id = -1;

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
	    sqlite3_prepare_v2(db,
		"INSERT INTO policy_rules (principal, tool, match, created_at, "
		"created_by) VALUES (?, ?, ?, ?, ?)",
		-1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_text(st, 1, principal, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, time_wall_ms());
	sqlite3_bind_text(st, 5, actor, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlerr;
	id = sqlite3_last_insert_rowid(db);
	detail = json_pack("{s:s, s:s, s:s}", "op", "rule_add", "principal",
	    principal, "tool", tool);
	if (approvals_rule_commit(db, id, actor, detail, cause) != 0) {
		id = -1;
		goto fail;
	}
	goto out;
sqlerr:
	id = -1;
	xasprintf(cause, "rules: %s", sqlite3_errmsg(db));
fail:
	if (!sqlite3_get_autocommit(db)) {
		sqlite3_finalize(st);
		st = NULL;
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
out:
	sqlite3_finalize(st);
	json_decref(detail);
	free(match);
	return id;
}

int
approvals_rule_revoke(sqlite3 *db, int64_t id, const char *actor, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *detail = NULL;
	int rc = -1, r;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"SELECT principal, tool, revoked_at IS NOT NULL FROM "
		"policy_rules WHERE id = ?",
		-1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_int64(st, 1, id);
	if ((r = sqlite3_step(st)) == SQLITE_DONE) {
		xasprintf(cause, "no rule %lld", (long long)id);
		rc = APPROVALS_UNKNOWN;
		goto fail;
	}
	if (r != SQLITE_ROW)
		goto sqlerr;
	if (sqlite3_column_int(st, 2)) {
		xasprintf(cause, "rule %lld is already revoked", (long long)id);
		rc = APPROVALS_DECIDED;
		goto fail;
	}
	detail = json_pack("{s:s, s:s, s:s}", "op", "rule_revoke", "principal",
	    (const char *)sqlite3_column_text(st, 0), "tool",
	    (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db,
		"UPDATE policy_rules SET revoked_at = ?, revoked_by = ? "
		"WHERE id = ?",
		-1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_int64(st, 1, time_wall_ms());
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlerr;
	if (approvals_rule_commit(db, id, actor, detail, cause) != 0)
		goto fail;
	rc = 0;
	goto out;
sqlerr:
	xasprintf(cause, "rules: %s", sqlite3_errmsg(db));
fail:
	if (!sqlite3_get_autocommit(db)) {
		sqlite3_finalize(st);
		st = NULL;
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
out:
	sqlite3_finalize(st);
	json_decref(detail);
	return rc;
}
