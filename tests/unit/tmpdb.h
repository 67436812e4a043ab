/*
 * tmpdb.h — a scratch directory holding a fresh Oxios database, for the
 * unit tests that need one (header-only test helper).  A test keeps the
 * one `struct tmpdb` in a static and calls tmpdb_setup()/tmpdb_teardown()
 * from its cmocka setup and teardown.
 */
#ifndef OXIOS_TESTS_TMPDB_H
#define OXIOS_TESTS_TMPDB_H

#include <sqlite3.h>

#include "store/db.h"
#include "tmpdir.h"

struct tmpdb {
	char dir[64];
	char path[128]; /* dir/oxios.db */
	sqlite3 *db;
};

/* Make /tmp/oxios-NAME-XXXXXX and open (migrate) oxios.db in it.  0 or
 * -1 (the cause on stderr). */
static inline int
tmpdb_setup(struct tmpdb *t, const char *name)
{
	char *cause = NULL;

	if (tmpdir_make(t->dir, sizeof t->dir, name) != 0)
		return -1;
	snprintf(t->path, sizeof t->path, "%s/oxios.db", t->dir);
	if (db_open(t->path, &t->db, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* The same, the directory being OXIOS_HOME too (for the files kept
 * beside the database: the audit key, the token generation...). */
static inline int
tmpdb_setup_home(struct tmpdb *t, const char *name)
{
	if (tmpdb_setup(t, name) != 0)
		return -1;
	setenv("OXIOS_HOME", t->dir, 1);
	return 0;
}

/* Close it and remove the directory. */
static inline void
tmpdb_teardown(struct tmpdb *t)
{
	db_close(t->db);
	t->db = NULL;
	tmpdir_remove(t->dir);
}

/*
 * The common case in one line: a static `tdb` and its connection `db`,
 * and the cmocka setup() and teardown() that make and remove them (the
 * directory named after NAME).
 */
#define TMPDB_FIXTURE(NAME) \
	static struct tmpdb tdb; \
	static sqlite3 *db; /* tdb.db */ \
	static int setup(void **state) \
	{ \
		(void)state; \
		if (tmpdb_setup(&tdb, NAME) != 0) \
			return -1; \
		db = tdb.db; \
		return 0; \
	} \
	static int teardown(void **state) \
	{ \
		(void)state; \
		tmpdb_teardown(&tdb); \
		db = NULL; \
		return 0; \
	}

/*
 * The same for the process's shared database (db_init(), db_get() on
 * every thread): statics `dir` and `dbpath`, setup() and teardown().
 */
#define TMPDB_SHARED_FIXTURE(NAME) \
	static char dir[64]; \
	static char dbpath[128]; \
	static int setup(void **state) \
	{ \
		char *cause = NULL; \
		(void)state; \
		if (tmpdir_make(dir, sizeof dir, NAME) != 0) \
			return -1; \
		snprintf(dbpath, sizeof dbpath, "%s/oxios.db", dir); \
		if (db_init(dbpath, &cause) != 0) { \
			fprintf(stderr, "%s\n", cause); \
			free(cause); \
			return -1; \
		} \
		return 0; \
	} \
	static int teardown(void **state) \
	{ \
		(void)state; \
		db_shutdown(); \
		tmpdir_remove(dir); \
		return 0; \
	}
#endif
