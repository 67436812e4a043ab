/*
 * permstore.c — agent_permissions rows: read, write (audited in the same
 * transaction), and the set a run's chain starts from.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/budget_agent.h"
#include "kernel/events.h"
#include "security/audit.h"
#include "security/permstore.h"
#include "store/db.h"
#include "util/xalloc.h"

const char *
permstore_name(const char *principal)
{
	return principal != NULL ? principal : PERMSTORE_DEFAULT;
}

const char *
permstore_default_template(const struct config *cfg)
{
	const char *t = config_str(cfg, "security.default_template");

	return t != NULL && *t != '\0' ? t : "trusted";
}

/* A row of the statement: {agent, template, grants, updated_at, by}. */
static json_t *
permstore_row(sqlite3_stmt *st)
{
	const char *g = (const char *)sqlite3_column_text(st, 2);
	json_t *grants = g != NULL ? json_loads(g, 0, NULL) : NULL;

	return json_pack("{s:s, s:s, s:o, s:I, s:s}", "agent",
	    (const char *)sqlite3_column_text(st, 0), "template",
	    (const char *)sqlite3_column_text(st, 1), "grants",
	    grants != NULL ? grants : json_array(), "updated_at",
	    (json_int_t)sqlite3_column_int64(st, 3), "updated_by",
	    (const char *)sqlite3_column_text(st, 4));
}

int
permstore_get(sqlite3 *db, const char *principal, json_t **out, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((st = db_prepare(db,
		 "SELECT principal, template, grants, updated_at, updated_by "
		 "FROM agent_permissions WHERE principal = ?",
		 "t", permstore_name(principal))) == NULL) {
		xasprintf(cause, "permissions: %s", sqlite3_errmsg(db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = permstore_row(st);
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else {
		xasprintf(cause, "permissions of %s: %s",
		    permstore_name(principal), sqlite3_errmsg(db));
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

/* What a write changes. */
struct permstore_change {
	const char *principal, *tpl, *grants, *actor;
	int64_t now_ms;
	int changed;
};

/* The end of write `c` that changed `n` rows (-1: it failed). */
static int
permstore_done(sqlite3 *db, struct permstore_change *c, int64_t n, char **cause)
{
	if (n < 0) {
		xasprintf(cause, "permissions of %s: %s", c->principal,
		    sqlite3_errmsg(db));
		return -1;
	}
	c->changed = (int)n;
	return 0;
}

static int
permstore_write_put(sqlite3 *db, void *arg, char **cause)
{
	struct permstore_change *c = arg;

	return permstore_done(db, c,
	    db_exec(db,
		"INSERT INTO agent_permissions (principal, template, grants, "
		"updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (principal) DO UPDATE SET template = ?2, "
		"grants = ?3, updated_at = ?4, updated_by = ?5",
		"tttIt", c->principal, c->tpl, c->grants, c->now_ms, c->actor),
	    cause);
}

static int
permstore_write_reset(sqlite3 *db, void *arg, char **cause)
{
	struct permstore_change *c = arg;

	return permstore_done(db, c,
	    db_exec(db, "DELETE FROM agent_permissions WHERE principal = ?1",
		"t", c->principal),
	    cause);
}

static void
permstore_announce(const char *principal, const char *op, const char *tpl)
{
	json_t *ev = json_pack("{s:s, s:s, s:s?}", "agent", principal, "op", op,
	    "template", tpl);

	events_emit(EVENT_PERMISSIONS_CHANGED, ev);
	json_decref(ev);
}

int
permstore_put(sqlite3 *db, const char *principal, const char *tpl,
    const json_t *grants, const char *actor, int64_t now_ms, char **cause)
{
	struct permstore_change c;
	struct policy_set *s;
	char res[BUDGET_AGENT_MAX + 16], *text = NULL;
	json_t *d;
	int rc;

	principal = permstore_name(principal);
	if (budget_agent_name_ok(principal, cause) != 0)
		return -1;
	if ((s = policy_set_new(principal, tpl, grants, cause)) == NULL)
		return -1;
	text = json_dumps(policy_set_grants(s), JSON_COMPACT);
	memset(&c, 0, sizeof c);
	c.principal = principal;
	c.tpl = policy_set_template(s);
	c.grants = text;
	c.actor = actor;
	c.now_ms = now_ms;
	snprintf(res, sizeof res, "permissions:%s", principal);
	d = json_pack("{s:s, s:s, s:O}", "op", "set", "template", c.tpl,
	    "grants", policy_set_grants(s));
	rc = audit_write(db, permstore_write_put, &c, actor, AUDIT_PERMISSION,
	    res, d, cause);
	if (rc == 0)
		permstore_announce(principal, "set", c.tpl);
	json_decref(d);
	free(text);
	policy_set_free(s);
	return rc;
}

int
permstore_reset(sqlite3 *db, const char *principal, const char *actor,
    char **cause)
{
	struct permstore_change c;
	char res[BUDGET_AGENT_MAX + 16];
	json_t *row = NULL, *d;
	int has;

	principal = permstore_name(principal);
	if (budget_agent_name_ok(principal, cause) != 0)
		return -1;
	if ((has = permstore_get(db, principal, &row, cause)) <= 0)
		return has;
	memset(&c, 0, sizeof c);
	c.principal = principal;
	c.actor = actor;
	snprintf(res, sizeof res, "permissions:%s", principal);
	d = json_pack("{s:s, s:O, s:O}", "op", "reset", "template",
	    json_object_get(row, "template"), "grants",
	    json_object_get(row, "grants"));
	json_decref(row);
	if (audit_write(db, permstore_write_reset, &c, actor, AUDIT_PERMISSION,
		res, d, cause) != 0) {
		json_decref(d);
		return -1;
	}
	json_decref(d);
	if (c.changed == 0)
		return 0; /* gone in between */
	permstore_announce(principal, "reset", NULL);
	return 1;
}

json_t *
permstore_list(sqlite3 *db, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *out;
	int rc;

	if (sqlite3_prepare_v2(db,
		"SELECT principal, template, grants, updated_at, updated_by "
		"FROM agent_permissions ORDER BY principal",
		-1, &st, NULL) != SQLITE_OK) {
		xasprintf(cause, "permissions: %s", sqlite3_errmsg(db));
		return NULL;
	}
	out = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(out, permstore_row(st));
	if (rc != SQLITE_DONE) {
		xasprintf(cause, "permissions: %s", sqlite3_errmsg(db));
		json_decref(out);
		out = NULL;
	}
	sqlite3_finalize(st);
	return out;
}

json_t *
permstore_rules(sqlite3 *db, const char *principal, char **cause)
{
	sqlite3_stmt *st = NULL;
	const char *m;
	json_t *out, *match;
	int rc;

	if ((st = db_prepare(db,
		 "SELECT id, principal, tool, match, created_at, created_by "
		 "FROM policy_rules WHERE revoked_at IS NULL AND "
		 "(?1 IS NULL OR principal = ?1) ORDER BY id",
		 "t", principal)) == NULL) {
		xasprintf(cause, "rules: %s", sqlite3_errmsg(db));
		return NULL;
	}
	out = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m = (const char *)sqlite3_column_text(st, 3);
		match = m != NULL ? json_loads(m, JSON_DECODE_ANY, NULL) : NULL;
		json_array_append_new(out,
		    json_pack("{s:I, s:s, s:s, s:o, s:I, s:s}", "id",
			(json_int_t)sqlite3_column_int64(st, 0), "principal",
			(const char *)sqlite3_column_text(st, 1), "tool",
			(const char *)sqlite3_column_text(st, 2), "match",
			match != NULL ? match : json_string(m != NULL ? m : ""),
			"created_at", (json_int_t)sqlite3_column_int64(st, 4),
			"created_by",
			(const char *)sqlite3_column_text(st, 5)));
	}
	if (rc != SQLITE_DONE) {
		xasprintf(cause, "rules: %s", sqlite3_errmsg(db));
		json_decref(out);
		out = NULL;
	}
	sqlite3_finalize(st);
	return out;
}

struct policy_set *
permstore_load(sqlite3 *db, const char *principal, const char *default_tpl,
    char **cause)
{
	struct policy_set *s;
	json_t *row = NULL;
	char *why = NULL;
	int has;

	principal = permstore_name(principal);
	if ((has = permstore_get(db, principal, &row, cause)) < 0)
		return NULL;
	if (has == 0)
		return policy_set_new(principal, default_tpl, NULL, cause);
	s = policy_set_new(principal,
	    json_string_value(json_object_get(row, "template")),
	    json_object_get(row, "grants"), &why);
	if (s == NULL) {
		xasprintf(cause, "the permissions of agent profile '%s': %s",
		    principal, why);
		free(why);
	}
	json_decref(row);
	return s;
}

json_t *
permstore_view(sqlite3 *db, const char *principal, const char *default_tpl,
    char **cause)
{
	struct policy_set *s;
	json_t *row = NULL, *rules, *out;
	int has;

	principal = permstore_name(principal);
	if (budget_agent_name_ok(principal, cause) != 0)
		return NULL;
	if ((has = permstore_get(db, principal, &row, cause)) < 0)
		return NULL;
	if ((s = permstore_load(db, principal, default_tpl, cause)) == NULL) {
		json_decref(row);
		return NULL;
	}
	if ((rules = permstore_rules(db, principal, cause)) == NULL) {
		json_decref(row);
		policy_set_free(s);
		return NULL;
	}
	out = json_pack("{s:s, s:s, s:b, s:O, s:o, s:o}", "agent", principal,
	    "template", policy_set_template(s), "default", has == 0, "grants",
	    policy_set_grants(s), "effective", policy_set_effective(s), "rules",
	    rules);
	if (row != NULL) {
		json_object_set(out, "updated_at",
		    json_object_get(row, "updated_at"));
		json_object_set(out, "updated_by",
		    json_object_get(row, "updated_by"));
	}
	json_decref(row);
	policy_set_free(s);
	return out;
}
