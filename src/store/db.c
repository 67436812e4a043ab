/*
 * db.c — SQLite connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/migrate.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static char *db_path; /* set by db_init(), guarded by db_lock */
static pthread_key_t db_key;
static pthread_once_t db_key_once = PTHREAD_ONCE_INIT;

static const char db_pragmas[] = "PRAGMA journal_mode = WAL;"
				 "PRAGMA synchronous = NORMAL;"
				 "PRAGMA foreign_keys = ON;"
				 "PRAGMA mmap_size = 268435456;";

int
db_open(const char *path, sqlite3 **out, char **cause)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	int fd;

	*out = NULL;
	/*
	 * Create the file ourselves so that it is 0600 from the start — only
	 * when it does not exist: closing any descriptor of a file drops
	 * every POSIX lock this process holds on it, SQLite's included (and
	 * another process would then think it alone uses the WAL).
	 */
	if (access(path, F_OK) != 0) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (fd != -1)
			close(fd);
	}
	if (sqlite3_open_v2(path, &db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
	if (sqlite3_exec(db, db_pragmas, NULL, NULL, &err) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", path,
		    err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		goto fail;
	}
	if (migrate_apply(db, &err) != 0) {
		xasprintf(cause, "%s: %s", path, err);
		free(err);
		goto fail;
	}
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

void
db_close(sqlite3 *db)
{
	/* Statements some module keeps prepared (the audit log's) may
	 * outlive the connection's owner: it is freed with the last of
	 * them. */
	if (db != NULL)
		sqlite3_close_v2(db);
}

static void
db_thread_exit(void *p)
{
	db_close(p);
}

static void
db_make_key(void)
{
	pthread_key_create(&db_key, db_thread_exit);
}

int
db_init(const char *path, char **cause)
{
	pthread_once(&db_key_once, db_make_key);
	pthread_mutex_lock(&db_lock);
	free(db_path);
	db_path = xstrdup(path);
	pthread_mutex_unlock(&db_lock);
	if (db_get() == NULL) {
		sqlite3 *db;

		/* Open once more to report why. */
		if (db_open(path, &db, cause) == 0) {
			db_close(db);
			xasprintf(cause, "%s: cannot open", path);
		}
		return -1;
	}
	return 0;
}

sqlite3 *
db_get(void)
{
	sqlite3 *db;
	char *path, *cause = NULL;

	pthread_once(&db_key_once, db_make_key);
	if ((db = pthread_getspecific(db_key)) != NULL)
		return db;
	pthread_mutex_lock(&db_lock);
	path = db_path != NULL ? xstrdup(db_path) : NULL;
	pthread_mutex_unlock(&db_lock);
	if (path == NULL) {
		log_error("database used before db_init()");
		return NULL;
	}
	if (db_open(path, &db, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		free(path);
		return NULL;
	}
	free(path);
	pthread_setspecific(db_key, db);
	return db;
}

void
db_shutdown(void)
{
	sqlite3 *db;

	pthread_once(&db_key_once, db_make_key);
	if ((db = pthread_getspecific(db_key)) != NULL) {
		pthread_setspecific(db_key, NULL);
		db_close(db);
	}
	pthread_mutex_lock(&db_lock);
	free(db_path);
	db_path = NULL;
	pthread_mutex_unlock(&db_lock);
}

int
db_integrity(sqlite3 *db, char **result)
{
	sqlite3_stmt *st = NULL;
	struct buf b;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) !=
	    SQLITE_OK) {
		xasprintf(result, "%s", sqlite3_errmsg(db));
		return -1;
	}
	buf_init(&b, 64 * 1024);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);

		if (b.len > 0)
			buf_addc(&b, '\n');
		buf_adds(&b, line != NULL ? line : "");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		buf_free(&b);
		xasprintf(result, "%s", sqlite3_errmsg(db));
		return -1;
	}
	*result = buf_detach(&b);
	return 0;
}

json_t *
db_rows(sqlite3 *db, const char *sql, int n, const char *const *params,
    size_t max_rows, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *rows = NULL, *row, *v;
	int i, rc = SQLITE_DONE, cols;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		if (params[i] == NULL)
			sqlite3_bind_null(st, i + 1);
		else
			sqlite3_bind_text(st, i + 1, params[i], -1,
			    SQLITE_TRANSIENT);
	}
	rows = json_array();
	cols = sqlite3_column_count(st);
	while (json_array_size(rows) < max_rows &&
	    (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_object();
		for (i = 0; i < cols; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				v = json_integer(sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				v = json_real(sqlite3_column_double(st, i));
				break;
			case SQLITE_NULL:
				v = json_null();
				break;
			default:
				v = json_stringn((const char *)
						     sqlite3_column_text(st, i),
				    (size_t)sqlite3_column_bytes(st, i));
				if (v == NULL) /* not UTF-8 */
					v = json_string("");
				break;
			}
			json_object_set_new(row, sqlite3_column_name(st, i), v);
		}
		json_array_append_new(rows, row);
	}
	if (json_array_size(rows) < max_rows && rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return rows;
fail:
	xasprintf(cause, "database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	json_decref(rows);
	return NULL;
}

int
db_collect(sqlite3_stmt *st, json_t *(*row)(sqlite3_stmt *), json_t *out)
{
	json_t *r;
	int rc;

	if (st == NULL) /* db_prepare() failed: its error is kept */
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = row(st)) != NULL)
			json_array_append_new(out, r);
	}
	/* The error stays readable from the connection after finalize. */
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

json_t *
db_row(sqlite3 *db, const char *sql, int n, const char *const *params,
    char **cause)
{
	json_t *rows, *row;

	*cause = NULL;
	if ((rows = db_rows(db, sql, n, params, 1, cause)) == NULL)
		return NULL;
	row = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return row;
}

/* Bind ?1..?n of `st` from `ap` as `types` says (see db.h). */
static int
db_bindv(sqlite3_stmt *st, const char *types, va_list ap)
{
	const char *t;
	const void *p;
	int64_t v;
	int i, rc = SQLITE_OK, len;

	for (i = 1; types[i - 1] != '\0' && rc == SQLITE_OK; i++) {
		switch (types[i - 1]) {
		case 't':
			t = va_arg(ap, const char *);
			rc = t == NULL ?
			    sqlite3_bind_null(st, i) :
			    sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT);
			break;
		case 'T':
			t = va_arg(ap, const char *);
			len = va_arg(ap, int);
			rc = t == NULL ?
			    sqlite3_bind_null(st, i) :
			    sqlite3_bind_text(st, i, t, len, SQLITE_TRANSIENT);
			break;
		case 'i':
			rc = sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 'I':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'N':
			v = va_arg(ap, int64_t);
			rc = v == 0 ? sqlite3_bind_null(st, i) :
				      sqlite3_bind_int64(st, i, v);
			break;
		case 'd':
			rc = sqlite3_bind_double(st, i, va_arg(ap, double));
			break;
		case 'b':
			p = va_arg(ap, const void *);
			len = va_arg(ap, int);
			rc = p == NULL ?
			    sqlite3_bind_null(st, i) :
			    sqlite3_bind_blob(st, i, p, len, SQLITE_TRANSIENT);
			break;
		default:
			fatal("db: unknown parameter type '%c'", types[i - 1]);
		}
	}
	return rc;
}

static sqlite3_stmt *
db_preparev(sqlite3 *db, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    db_bindv(st, types, ap) != SQLITE_OK) {
		sqlite3_finalize(st); /* the error stays readable */
		return NULL;
	}
	return st;
}

sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;

	va_start(ap, types);
	st = db_preparev(db, sql, types, ap);
	va_end(ap);
	return st;
}

int64_t
db_exec(sqlite3 *db, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, types);
	st = db_preparev(db, sql, types, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes64(db) : -1;
}

/* Step `st` once for db_int() and db_real(): 1 (a row), 0 or -1. */
static int
db_first(sqlite3_stmt *st, int64_t *i, double *d)
{
	int rc;

	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (i != NULL)
			*i = sqlite3_column_int64(st, 0);
		else
			*d = sqlite3_column_double(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
db_int(sqlite3 *db, const char *sql, int64_t *out, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;

	va_start(ap, types);
	st = db_preparev(db, sql, types, ap);
	va_end(ap);
	return db_first(st, out, NULL);
}

int
db_real(sqlite3 *db, const char *sql, double *out, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;

	va_start(ap, types);
	st = db_preparev(db, sql, types, ap);
	va_end(ap);
	return db_first(st, NULL, out);
}

int
db_ping(sqlite3 *db)
{
	return db != NULL &&
	    sqlite3_exec(db, "SELECT 1", NULL, NULL, NULL) == SQLITE_OK;
}
