/*
 * migrate.c — apply embedded schema migrations.
 */
#include <stdlib.h>

#include "store/migrate.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

static const char migrate_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)";

int
migrate_latest(void)
{
	return migrations_count;
}

static int
migrate_exec(sqlite3 *db, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		xasprintf(cause, "%s", err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
migrate_version(sqlite3 *db, int *version, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*version = 0;
	rc = sqlite3_prepare_v2(db,
	    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &st,
	    NULL);
	if (rc != SQLITE_OK) {
		xasprintf(cause, "reading schema version: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		xasprintf(cause, "reading schema version: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static int
migrate_one(sqlite3 *db, const struct migration *m, char **cause)
{
	sqlite3_stmt *st = NULL;
	char stamp[40], *why = NULL;
	int version, rc = -1;

	if (migrate_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		return -1;
	if (migrate_version(db, &version, cause) != 0)
		goto out;
	if (version >= m->version) { /* another process got here first */
		rc = 0;
		goto out;
	}
	if (migrate_exec(db, m->sql, &why) != 0) {
		xasprintf(cause, "migration %03d_%s: %s", m->version, m->name,
		    why);
		goto out;
	}
	time_rfc3339(time_wall_ms(), stamp, sizeof stamp);
	if (sqlite3_prepare_v2(db,
		"INSERT INTO schema_migrations (version, name, applied_at) "
		"VALUES (?, ?, ?)",
		-1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int(st, 1, m->version) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, stamp, -1, SQLITE_TRANSIENT) !=
		SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		xasprintf(cause, "recording migration %03d: %s", m->version,
		    sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	free(why);
	if (rc == 0) {
		if (migrate_exec(db, "COMMIT", cause) != 0) {
			migrate_exec(db, "ROLLBACK", &why);
			free(why);
			return -1;
		}
		log_debug("applied migration %03d_%s", m->version, m->name);
	} else {
		why = NULL;
		migrate_exec(db, "ROLLBACK", &why);
		free(why);
	}
	return rc;
}

int
migrate_apply(sqlite3 *db, char **cause)
{
	int version, i;

	if (migrate_exec(db, migrate_table_sql, cause) != 0)
		return -1;
	if (migrate_version(db, &version, cause) != 0)
		return -1;
	if (version > migrations_count) {
		xasprintf(cause,
		    "database schema version %d is newer than this Oxios "
		    "(which knows up to %d); upgrade Oxios",
		    version, migrations_count);
		return -1;
	}
	for (i = version; i < migrations_count; i++) {
		if (migrate_one(db, &migrations[i], cause) != 0)
			return -1;
	}
	return 0;
}
