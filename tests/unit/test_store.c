/* test_store.c — SQLite open, pragmas, migrations, per-thread handles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#include "store/db.h"
#include "store/migrate.h"
#include "util/xalloc.h"

static char dir[64];
static char dbpath[128];

static int
setup(void **state)
{
	(void)state;
	if (tmpdir_make(dir, sizeof dir, "store") != 0)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/oxios.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	return 0;
}

static const char *
pragma_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static void
test_open_migrates(void **state)
{
	sqlite3 *db;
	char *cause = NULL, *result = NULL, b[64], want[16];
	struct stat st;
	int version;

	(void)state;
	assert_int_equal(db_open(dbpath, &db, &cause), 0);
	assert_int_equal(stat(dbpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_string_equal(pragma_text(db, "PRAGMA journal_mode", b, sizeof b),
	    "wal");
	assert_string_equal(pragma_text(db, "PRAGMA foreign_keys", b, sizeof b),
	    "1");
	assert_int_equal(migrate_version(db, &version, &cause), 0);
	assert_int_equal(version, migrate_latest());
	assert_true(migrate_latest() >= 1);
	/* The first migration made its table. */
	assert_int_equal(sqlite3_exec(db,
			     "INSERT INTO meta (key, value) VALUES ('k', 'v')",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(db_integrity(db, &result), 0);
	assert_string_equal(result, "ok");
	free(result);
	db_close(db);

	/* Reopening applies nothing twice and keeps the data. */
	assert_int_equal(db_open(dbpath, &db, &cause), 0);
	snprintf(want, sizeof want, "%d", migrate_latest());
	assert_string_equal(pragma_text(db,
				"SELECT COUNT(*) FROM schema_migrations", b,
				sizeof b),
	    want);
	assert_string_equal(pragma_text(db,
				"SELECT value FROM meta WHERE key = 'k'", b,
				sizeof b),
	    "v");
	db_close(db);
}

static void
test_newer_schema_refused(void **state)
{
	sqlite3 *db;
	char *cause = NULL;

	(void)state;
	assert_int_equal(db_open(dbpath, &db, &cause), 0);
	assert_int_equal(sqlite3_exec(db,
			     "INSERT INTO schema_migrations VALUES "
			     "(999, 'future', '2099-01-01')",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	db_close(db);
	assert_int_equal(db_open(dbpath, &db, &cause), -1);
	assert_null(db);
	assert_non_null(strstr(cause, "newer than this Oxios"));
	free(cause);
}

static void
test_not_a_database(void **state)
{
	sqlite3 *db;
	char *cause = NULL;
	FILE *f;

	(void)state;
	unlink(dbpath);
	f = fopen(dbpath, "w");
	fputs("this is not an SQLite database, but it is long enough to "
	      "have a header of one hundred bytes or so ................",
	    f);
	fclose(f);
	assert_int_equal(db_open(dbpath, &db, &cause), -1);
	assert_non_null(strstr(cause, dbpath));
	free(cause);
	unlink(dbpath);
	assert_int_equal(db_open("/nonexistent/dir/x.db", &db, &cause), -1);
	free(cause);
}

static void *
thread_main(void *arg)
{
	sqlite3 *db = db_get();

	*(sqlite3 **)arg = db;
	if (db != NULL)
		sqlite3_exec(db, "INSERT INTO meta VALUES ('thread', 't')",
		    NULL, NULL, NULL);
	return NULL;
}

static void
test_per_thread(void **state)
{
	sqlite3 *mine, *theirs = NULL;
	pthread_t t;
	char *cause = NULL, b[16];

	(void)state;
	assert_int_equal(db_init(dbpath, &cause), 0);
	mine = db_get();
	assert_non_null(mine);
	assert_ptr_equal(db_get(), mine); /* same thread: same handle */
	assert_int_equal(pthread_create(&t, NULL, thread_main, &theirs), 0);
	pthread_join(t, NULL);
	assert_non_null(theirs);
	assert_ptr_not_equal(theirs, mine);
	assert_string_equal(pragma_text(mine,
				"SELECT value FROM meta WHERE key = 'thread'",
				b, sizeof b),
	    "t");
	db_shutdown();
	assert_int_equal(db_init("/nonexistent/dir/x.db", &cause), -1);
	free(cause);
	db_shutdown();
}

/* db_prepare/db_exec/db_int/db_real bind every type and report errors. */
static void
test_bound(void **state)
{
	static const unsigned char blob[3] = { 1, 0, 2 };
	sqlite3 *db;
	sqlite3_stmt *st;
	char *cause = NULL, text[8];
	json_t *rows;
	int64_t n = -7;
	double d = -1;

	(void)state;
	assert_int_equal(db_open(dbpath, &db, &cause), 0);
	assert_int_equal(sqlite3_exec(db,
			     "CREATE TABLE t (a TEXT, b INTEGER, c INTEGER, "
			     "d REAL, e BLOB, f INTEGER)",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	/* The text is copied when bound: changing it after does nothing. */
	snprintf(text, sizeof text, "one");
	st = db_prepare(db, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", "tiIdbN",
	    text, 7, (int64_t)1 << 40, 2.5, blob, (int)sizeof blob, (int64_t)0);
	assert_non_null(st);
	text[0] = 'X';
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(db_exec(db, "INSERT INTO t VALUES (?, ?, 0, 0, ?, ?)",
			     "tibN", NULL, 8, NULL, 0, (int64_t)5),
	    1);
	/* A NaN real is stored as NULL (gate.c's unpriced cost). */
	assert_int_equal(db_int(db, "SELECT ? IS NULL", &n, "d", NAN), 1);
	assert_int_equal(n, 1);
	/* Text with a length: the bytes up to it, not to a NUL. */
	assert_int_equal(db_exec(db, "INSERT INTO t (a, b) VALUES (?, ?)", "Ti",
			     "twofold", 3, 9),
	    1);
	assert_int_equal(db_int(db, "SELECT b FROM t WHERE a = 'two'", &n, ""),
	    1);
	assert_int_equal(n, 9);
	assert_int_equal(db_exec(db, "DELETE FROM t WHERE b = ?", "i", 9), 1);

	assert_int_equal(db_int(db, "SELECT c FROM t WHERE a = ?", &n, "t",
			     "one"),
	    1);
	assert_true(n == (int64_t)1 << 40);
	assert_int_equal(db_int(db,
			     "SELECT count(*) FROM t WHERE a IS NULL "
			     "AND e IS NULL AND f = 5",
			     &n, ""),
	    1);
	assert_int_equal(n, 1);
	assert_int_equal(db_int(db,
			     "SELECT count(*) FROM t WHERE f IS NULL "
			     "AND e = ?",
			     &n, "b", blob, (int)sizeof blob),
	    1);
	assert_int_equal(n, 1);
	assert_int_equal(db_real(db, "SELECT d FROM t WHERE b = ?", &d, "i", 7),
	    1);
	assert_true(d == 2.5);
	/* No row: 0 and the value untouched. */
	n = 42;
	assert_int_equal(db_int(db, "SELECT b FROM t WHERE b = ?", &n, "I",
			     (int64_t)99),
	    0);
	assert_int_equal(n, 42);
	/* Changes are counted; errors are -1 with the message kept. */
	assert_int_equal(db_exec(db, "UPDATE t SET b = b + 1", ""), 2);
	assert_int_equal(db_exec(db, "UPDATE nosuch SET b = 1", ""), -1);
	assert_non_null(strstr(sqlite3_errmsg(db), "nosuch"));
	assert_int_equal(db_int(db, "SELECT x FROM t", &n, ""), -1);
	assert_null(db_prepare(db, "SELECT ?1", "tt", "a", "b"));
	/* A failed db_prepare() given to db_collect() is its error. */
	rows = json_array();
	assert_int_equal(db_collect(db_prepare(db, "SELECT x FROM t", ""), NULL,
			     rows),
	    -1);
	assert_non_null(strstr(sqlite3_errmsg(db), "no such column"));
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	assert_int_equal(db_exec(db, "INSERT INTO t (b) VALUES (?)", "t",
			     "x' ; DROP TABLE t; --"),
	    1);
	assert_int_equal(db_int(db, "SELECT count(*) FROM t", &n, ""), 1);
	assert_int_equal(n, 3);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_migrates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_per_thread, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
