/*
 * migrate.h — numbered schema migrations embedded in the binary
 * (src/store/migrations/NNN_name.sql, see scripts/embed_sql.py).
 */
#ifndef OXIOS_STORE_MIGRATE_H
#define OXIOS_STORE_MIGRATE_H

#include <sqlite3.h>

struct migration {
	int version;      /* 1, 2, 3 ... */
	const char *name; /* "init" */
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

/* The newest schema version this binary knows. */
int migrate_latest(void);
/*
 * Apply every pending migration, each in its own IMMEDIATE transaction
 * that re-reads the version first (so concurrent openers are safe).
 * Refuses a database newer than this binary.
 * Returns 0, or -1 with *cause (caller frees).
 */
int migrate_apply(sqlite3 *db, char **cause);
/* Current schema version into *version (0: none).  0 or -1 with *cause. */
int migrate_version(sqlite3 *db, int *version, char **cause);

#endif
