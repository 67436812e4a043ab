/*
 * db.h — the one SQLite database ($OXIOS_HOME/oxios.db): WAL, busy
 * timeout, foreign keys, migrations applied at open; one connection per
 * thread, opened lazily.
 */
#ifndef OXIOS_STORE_DB_H
#define OXIOS_STORE_DB_H

#include <stdint.h>

#include <sqlite3.h>
#include <jansson.h>

#define DB_BUSY_TIMEOUT_MS 5000

/*
 * Open (creating it 0600 if needed) the database at `path`, set the
 * pragmas and apply pending migrations.  *out is the new connection
 * (caller db_close()s it).  Returns 0, or -1 with *cause (caller frees).
 */
int db_open(const char *path, sqlite3 **out, char **cause);
void db_close(sqlite3 *db);

/*
 * Remember the database path for this process and open the calling
 * thread's connection now, so that errors show up early.
 * Returns 0, or -1 with *cause (caller frees).
 */
int db_init(const char *path, char **cause);
/*
 * The calling thread's connection, opened on first use and closed when
 * the thread exits.  NULL (with a log line) if it cannot be opened.
 */
sqlite3 *db_get(void);
/* Close the calling thread's connection and forget the path. */
void db_shutdown(void);

/*
 * Run PRAGMA integrity_check.  *result is "ok" or the problems found, one
 * per line (caller frees).  Returns 0 when the check could run, else -1
 * with *result describing why.
 */
int db_integrity(sqlite3 *db, char **result);

/*
 * Run a query with `n` text parameters (?1..?n; a NULL one binds NULL) and
 * return its rows as an array of objects keyed by column name (integers,
 * reals, text and NULL as JSON).  At most `max_rows` rows.  New
 * reference, or NULL with *cause (caller frees).
 */
json_t *db_rows(sqlite3 *db, const char *sql, int n, const char *const *params,
    size_t max_rows, char **cause);
/*
 * Step `st` to its end, appending row(st) of each row to `out` (a NULL
 * from row() skips the row), then finalize it.  0; or -1 on an SQLite
 * error, which is left in sqlite3_errmsg() (the statement is finalized
 * either way).  A NULL `st` (a db_prepare() that failed) is -1 too, so
 * db_collect(db_prepare(...), row, out) is one call.
 */
int db_collect(sqlite3_stmt *st, json_t *(*row)(sqlite3_stmt *), json_t *out);
/* The first row of db_rows(), or NULL (no row: *cause stays NULL). */
json_t *db_row(sqlite3 *db, const char *sql, int n, const char *const *params,
    char **cause);

/*
 * One statement with parameters of mixed types, without the hand-written
 * prepare/bind/step/finalize.  `types` has one letter per parameter
 * (?1..?n), each taking the next argument:
 *   t  const char *            text (NULL binds NULL)
 *   T  const char *, int       text of that many bytes (NULL binds NULL)
 *   i  int                     integer
 *   I  int64_t                 integer
 *   N  int64_t                 integer, 0 binds NULL ("not set")
 *   d  double                  real (NaN binds NULL, as SQLite stores it)
 *   b  const void *, int       blob of that many bytes (NULL binds NULL)
 * Values are copied when bound.  An unknown letter is a programming
 * error (abort).  Errors are left in sqlite3_errmsg(db).
 */
/* The prepared and bound statement (caller finalizes), or NULL. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql, const char *types, ...);
/* Run it to its end: the rows an INSERT, UPDATE or DELETE changed (>= 0;
 * for another statement a number to ignore), or -1. */
int64_t db_exec(sqlite3 *db, const char *sql, const char *types, ...);
/*
 * The first column of its first row in *out: 1, or 0 when there is no
 * row (*out untouched; a NULL value reads as 0), or -1.
 */
int db_int(sqlite3 *db, const char *sql, int64_t *out, const char *types, ...);
/* The same for a real column. */
int db_real(sqlite3 *db, const char *sql, double *out, const char *types, ...);

/* Whether the connection answers a trivial query: 1 or 0 (readiness). */
int db_ping(sqlite3 *db);
#endif
