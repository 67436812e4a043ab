/*
 * memdb.h — a scratch OXIOS_HOME with a database and the memory module
 * open on it, for the memory unit tests (header-only test helper).  A
 * test keeps one `struct memdb` in a static, calls memdb_setup() from
 * its cmocka setup and memdb_teardown() from its teardown.
 */
#ifndef OXIOS_TESTS_MEMDB_H
#define OXIOS_TESTS_MEMDB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "config/config.h"
#include "memory/memory.h"
#include "store/db.h"
#include "tmpdir.h"

struct memdb {
	char dir[64];    /* OXIOS_HOME */
	char path[128];  /* dir/oxios.db */
	char index[128]; /* dir/memory.hnsw, the vector index's file */
	sqlite3 *db;
	struct config *cfg;
};

/* Open the database and the memory module on it (again, after
 * memdb_close()).  0 or -1 (the cause on stderr). */
static inline int
memdb_open(struct memdb *m)
{
	char *cause = NULL;

	if (db_open(m->path, &m->db, &cause) != 0 ||
	    memory_open(m->db, m->cfg, &cause) != 0) {
		fprintf(stderr, "open: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* Close the memory module and the database; the files stay. */
static inline void
memdb_close(struct memdb *m)
{
	memory_close();
	db_close(m->db);
	m->db = NULL;
}

/* Make /tmp/oxios-NAME-XXXXXX as OXIOS_HOME, load `config_text` and
 * open.  0 or -1 (the cause on stderr). */
static inline int
memdb_setup(struct memdb *m, const char *name, const char *config_text)
{
	char *cause = NULL;

	if (tmpdir_make(m->dir, sizeof m->dir, name) != 0)
		return -1;
	snprintf(m->path, sizeof m->path, "%s/oxios.db", m->dir);
	snprintf(m->index, sizeof m->index, "%s/memory.hnsw", m->dir);
	setenv("OXIOS_HOME", m->dir, 1);
	if (config_load_text("test", config_text, strlen(config_text), &m->cfg,
		&cause) != 0) {
		fprintf(stderr, "config: %s\n", cause);
		free(cause);
		return -1;
	}
	return memdb_open(m);
}

/* Close everything and remove the directory. */
static inline void
memdb_teardown(struct memdb *m)
{
	memdb_close(m);
	config_free(m->cfg);
	m->cfg = NULL;
	tmpdir_remove(m->dir);
	unsetenv("OXIOS_HOME");
	unsetenv("OXIOS_TEST_MEMORY_CLOCK_MS");
}

/*
 * Store `content` as a memory of `type` (-1: classified), `protect` (-1:
 * none) and `importance` (-1: the type's), tagged with `tags_json` (a
 * JSON list, or NULL).  Its id; a failure fails the test.
 */
static inline int64_t
memdb_add(sqlite3 *db, const char *content, int type, int protect,
    double importance, const char *tags_json)
{
	struct mem_new m;
	json_t *tags = NULL;
	char *cause = NULL;
	int64_t id;

	memset(&m, 0, sizeof m);
	m.content = content;
	m.len = strlen(content);
	m.type = type;
	m.protect = protect;
	m.importance = importance;
	if (tags_json != NULL)
		assert_non_null(tags = json_loads(tags_json, 0, NULL));
	m.tags = tags;
	id = memory_add(db, &m, &cause);
	json_decref(tags);
	if (id < 0) {
		print_error("memory_add(%s): %s\n", content, cause);
		free(cause);
		fail();
	}
	assert_null(cause);
	return id;
}

/*
 * The common case in one line: a static `mdb` with its `db` and `cfg`,
 * and the cmocka setup() and teardown() that make and remove them (the
 * directory named after NAME, the configuration CONFIG_TEXT).
 */
#define MEMDB_FIXTURE(NAME, CONFIG_TEXT) \
	static struct memdb mdb; \
	static sqlite3 *db;        /* mdb.db */ \
	static struct config *cfg; /* mdb.cfg */ \
	static int setup(void **state) \
	{ \
		(void)state; \
		if (memdb_setup(&mdb, NAME, CONFIG_TEXT) != 0) \
			return -1; \
		db = mdb.db; \
		cfg = mdb.cfg; \
		return 0; \
	} \
	static int teardown(void **state) \
	{ \
		(void)state; \
		memdb_teardown(&mdb); \
		db = NULL; \
		cfg = NULL; \
		return 0; \
	}

#endif
