/*
 * tokens.c — API tokens with roles in table api_tokens.
 *
 * Rows are found by the hash of the presented token (a UNIQUE index), and
 * the stored hash is compared again with sodium_memcmp, so what decides is
 * a constant-time comparison.  last_used_at is written at most once a
 * minute per token.
 *
 * A token found live is cached in memory (hash, identity, expiry), so a
 * busy client costs a stat() per request rather than a query (a query
 * halved the requests a second: docs/benchmarks.md).  Every revoke, in
 * any process, replaces $OXIOS_HOME/auth/tokens.gen (a new inode), and a
 * check that sees the file changed empties the cache first, as auth.c
 * does for token.hash: a revocation takes effect on the next request.
 * An expiry is checked against the cached time on every use.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "config/home.h"

#include "security/audit.h"
#include "security/auth.h"
#include "security/tokens.h"
#include "store/db.h"
#include "util/file.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define TOKENS_ID_BYTES 6             /* "tok_" + 12 hex characters */
#define TOKENS_TOUCH_MS (60 * 1000LL) /* last_used_at's resolution */
#define TOKENS_CACHE_MAX 64

/* A live token seen lately. */
struct tokens_cached {
	unsigned char hash[AUTH_HASH_LEN];
	struct auth_identity id;
	char tid[32];       /* its row's id */
	int64_t touched_ms; /* last_used_at as last written */
};

static pthread_mutex_t tokens_lock = PTHREAD_MUTEX_INITIALIZER;
/* What tokens.gen was when the cache was filled (tokens_lock). */
static struct {
	int stat_ok;
	dev_t dev;
	ino_t ino;
	struct timespec mtim;
	off_t size;
} tokens_gen;
static struct tokens_cached tokens_cache[TOKENS_CACHE_MAX];
static size_t tokens_ncached, tokens_next;

static const char *const tokens_roles[] = {
	[AUTH_ROLE_VIEWER] = "viewer",
	[AUTH_ROLE_OPERATOR] = "operator",
	[AUTH_ROLE_ADMIN] = "admin",
};

void
tokens_reset(void)
{
	pthread_mutex_lock(&tokens_lock);
	sodium_memzero(tokens_cache, sizeof tokens_cache);
	tokens_ncached = tokens_next = 0;
	memset(&tokens_gen, 0, sizeof tokens_gen);
	pthread_mutex_unlock(&tokens_lock);
}

/* Empty the cache if tokens.gen changed since it was filled.  Called
 * with tokens_lock held. */
static void
tokens_gen_check(void)
{
	struct stat st;
	char *path = home_path("auth/tokens.gen");
	int ok = stat(path, &st) == 0;

	free(path);
	if (ok == tokens_gen.stat_ok &&
	    (!ok ||
		(tokens_gen.dev == st.st_dev && tokens_gen.ino == st.st_ino &&
		    tokens_gen.mtim.tv_sec == st.st_mtim.tv_sec &&
		    tokens_gen.mtim.tv_nsec == st.st_mtim.tv_nsec &&
		    tokens_gen.size == st.st_size)))
		return;
	sodium_memzero(tokens_cache, sizeof tokens_cache);
	tokens_ncached = tokens_next = 0;
	memset(&tokens_gen, 0, sizeof tokens_gen);
	tokens_gen.stat_ok = ok;
	if (ok) {
		tokens_gen.dev = st.st_dev;
		tokens_gen.ino = st.st_ino;
		tokens_gen.mtim = st.st_mtim;
		tokens_gen.size = st.st_size;
	}
}

/* Tell every process's cache that a token changed: a new tokens.gen. */
static void
tokens_gen_bump(int64_t now_ms)
{
	char *dir = home_path("auth"), *path = home_path("auth/tokens.gen");
	char line[64], *cause = NULL;
	int n;

	n = snprintf(line, sizeof line, "%lld\n", (long long)now_ms);
	if (file_mkdirs(dir, HOME_DIR_MODE, &cause) != 0 ||
	    file_write_atomic(path, line, (size_t)n, HOME_FILE_MODE, &cause) !=
		0) {
		log_warn("tokens: %s (a running daemon may accept a revoked "
			 "token until it restarts)",
		    cause);
		free(cause);
	}
	/* Our own cache need not wait for the stat. */
	pthread_mutex_lock(&tokens_lock);
	sodium_memzero(tokens_cache, sizeof tokens_cache);
	tokens_ncached = tokens_next = 0;
	memset(&tokens_gen, 0, sizeof tokens_gen);
	pthread_mutex_unlock(&tokens_lock);
	free(dir);
	free(path);
}

const char *
tokens_role_name(int role)
{
	if (role <= AUTH_ROLE_NONE || role > AUTH_ROLE_ADMIN)
		return NULL;
	return tokens_roles[role];
}

int
tokens_role_parse(const char *s)
{
	int r;

	for (r = AUTH_ROLE_VIEWER; s != NULL && r <= AUTH_ROLE_ADMIN; r++)
		if (strcmp(s, tokens_roles[r]) == 0)
			return r;
	return AUTH_ROLE_NONE;
}

int
tokens_name_ok(const char *name)
{
	size_t n;

	if (name == NULL || (n = strlen(name)) == 0 || n > TOKENS_NAME_MAX)
		return 0;
	/* "admin" and "api_key" name the fixed credentials. */
	if (strcmp(name, "admin") == 0 || strcmp(name, "api_key") == 0)
		return 0;
	for (; *name != '\0'; name++)
		if (!isalnum((unsigned char)*name) &&
		    strchr("._-", *name) == NULL)
			return 0;
	return 1;
}

/* A time column as RFC 3339, or null. */
static json_t *
tokens_time(sqlite3_stmt *st, int col)
{
	char buf[40];

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	time_rfc3339(sqlite3_column_int64(st, col), buf, sizeof buf);
	return json_string(buf);
}

#define TOKENS_COLS \
	"id, name, role, created_at, created_by, expires_at, revoked_at, " \
	"last_used_at"

static json_t *
tokens_row(sqlite3_stmt *st)
{
	int64_t now = time_wall_ms();
	const char *state = "active";

	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		state = "revoked";
	else if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
	    sqlite3_column_int64(st, 5) <= now)
		state = "expired";
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:s}", "id",
	    (const char *)sqlite3_column_text(st, 0), "name",
	    (const char *)sqlite3_column_text(st, 1), "role",
	    (const char *)sqlite3_column_text(st, 2), "created_at",
	    tokens_time(st, 3), "created_by",
	    (const char *)sqlite3_column_text(st, 4), "expires_at",
	    tokens_time(st, 5), "revoked_at", tokens_time(st, 6),
	    "last_used_at", tokens_time(st, 7), "state", state);
}

struct tokens_new {
	char id[4 + 2 * TOKENS_ID_BYTES + 1];
	const char *name, *role, *actor;
	unsigned char hash[AUTH_HASH_LEN];
	int64_t now, expires_at;
	json_t *row;
};

static int
tokens_insert(sqlite3 *db, void *arg, char **cause)
{
	struct tokens_new *t = arg;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if ((st = db_prepare(db,
		 "INSERT INTO api_tokens (id, name, role, hash, created_at, "
		 "created_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		 "RETURNING " TOKENS_COLS,
		 "tttbItN", t->id, t->name, t->role, t->hash,
		 (int)AUTH_HASH_LEN, t->now, t->actor,
		 t->expires_at > 0 ? t->expires_at : (int64_t)0)) == NULL)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE) {
			xasprintf(cause, "a token named '%s' exists", t->name);
			goto out;
		}
		goto fail;
	}
	t->row = tokens_row(st);
	rc = 0;
	goto out;
fail:
	xasprintf(cause, "tokens: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	return rc;
}

int
tokens_create(sqlite3 *db, const char *name, int role, int64_t expires_at,
    const char *actor, char token[AUTH_TOKEN_LEN + 1], json_t **row,
    char **cause)
{
	unsigned char raw[TOKENS_ID_BYTES];
	struct tokens_new t = { 0 };
	char resource[80];
	json_t *d;
	int rc;

	token[0] = '\0';
	if (row != NULL)
		*row = NULL;
	if (!tokens_name_ok(name)) {
		xasprintf(cause,
		    "token name '%.64s': 1 to %d of A-Z a-z 0-9 . _ - (and "
		    "not admin or api_key)",
		    name != NULL ? name : "", TOKENS_NAME_MAX);
		return -1;
	}
	if ((t.role = tokens_role_name(role)) == NULL) {
		xasprintf(cause, "role: viewer, operator or admin");
		return -1;
	}
	t.now = time_wall_ms();
	if (expires_at != 0 && expires_at <= t.now) {
		xasprintf(cause, "expires: the time has passed");
		return -1;
	}
	randombytes_buf(raw, sizeof raw);
	memcpy(t.id, "tok_", 4);
	sodium_bin2hex(t.id + 4, sizeof t.id - 4, raw, sizeof raw);
	t.name = name;
	t.actor = actor;
	t.expires_at = expires_at;
	auth_token_random(token);
	auth_hash(token, t.hash);

	d = json_pack("{s:s, s:s, s:s, s:s}", "op", "create", "name", name,
	    "role", t.role, "id", t.id);
	snprintf(resource, sizeof resource, "token:%s", name);
	rc = audit_write(db, tokens_insert, &t, actor, AUDIT_AUTH, resource, d,
	    cause);
	json_decref(d);
	sodium_memzero(t.hash, sizeof t.hash);
	if (rc != 0) {
		sodium_memzero(token, AUTH_TOKEN_LEN + 1);
		json_decref(t.row);
		return -1;
	}
	if (row != NULL)
		*row = t.row;
	else
		json_decref(t.row);
	return 0;
}

json_t *
tokens_list(sqlite3 *db, char **cause)
{
	json_t *out = json_array();

	if (db_collect(db_prepare(db,
			   "SELECT " TOKENS_COLS
			   " FROM api_tokens ORDER BY created_at DESC, id",
			   ""),
		tokens_row, out) != 0) {
		xasprintf(cause, "tokens: %s", sqlite3_errmsg(db));
		json_decref(out);
		return NULL;
	}
	return out;
}

struct tokens_gone {
	const char *which;
	int64_t now;
	char id[64], name[TOKENS_NAME_MAX + 1], role[16];
	int found;
};

static int
tokens_mark(sqlite3 *db, void *arg, char **cause)
{
	struct tokens_gone *g = arg;
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	if ((st = db_prepare(db,
		 "UPDATE api_tokens SET revoked_at = ?2 WHERE (id = ?1 OR "
		 "name = ?1) AND revoked_at IS NULL RETURNING id, name, role",
		 "tI", g->which, g->now)) == NULL)
		goto fail;
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		g->found = 1;
		snprintf(g->id, sizeof g->id, "%s", sqlite3_column_text(st, 0));
		snprintf(g->name, sizeof g->name, "%s",
		    sqlite3_column_text(st, 1));
		snprintf(g->role, sizeof g->role, "%s",
		    sqlite3_column_text(st, 2));
		step = sqlite3_step(st);
	}
	if (step != SQLITE_DONE)
		goto fail;
	/* Nothing revoked: the entry must not be written either. */
	if (!g->found) {
		xasprintf(cause, "no live token '%.64s'", g->which);
		goto out;
	}
	rc = 0;
	goto out;
fail:
	xasprintf(cause, "tokens: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	return rc;
}

int
tokens_revoke(sqlite3 *db, const char *which, const char *actor, char **cause)
{
	struct tokens_gone g = { .which = which, .now = time_wall_ms() };
	char resource[80];
	json_t *d = NULL;
	int rc = -1;

	/* The row and its entry in one transaction: both or neither. */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		xasprintf(cause, "tokens: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (tokens_mark(db, &g, cause) != 0) {
		if (!g.found) {
			free(*cause);
			*cause = NULL;
			rc = 0;
		}
		goto out;
	}
	d = json_pack("{s:s, s:s, s:s, s:s}", "op", "revoke", "name", g.name,
	    "role", g.role, "id", g.id);
	snprintf(resource, sizeof resource, "token:%s", g.name);
	if (audit_append_tx(db, actor, AUDIT_AUTH, resource, d, cause) < 0)
		goto out;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		xasprintf(cause, "tokens: %s", sqlite3_errmsg(db));
		goto out;
	}
	json_decref(d);
	tokens_gen_bump(g.now);
	return 1;
out:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	json_decref(d);
	return rc;
}

/* Write last_used_at of row `tid`; a busy database: the next use tries. */
static void
tokens_touch(sqlite3 *db, const char *tid, int64_t now_ms)
{
	(void)db_exec(db,
	    "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1", "tI", tid,
	    now_ms);
}

/*
 * The cache's answer for `hash`: TOKENS_OK or TOKENS_EXPIRED with *id
 * (and *tid set when last_used_at is due), or TOKENS_UNKNOWN when it is
 * not cached.  Every slot is compared, so the time says nothing.
 */
static int
tokens_cached_check(const unsigned char hash[AUTH_HASH_LEN], int64_t now_ms,
    struct auth_identity *id, char *tid, size_t size)
{
	size_t i, found = SIZE_MAX;
	int rc = TOKENS_UNKNOWN;

	pthread_mutex_lock(&tokens_lock);
	tokens_gen_check();
	for (i = 0; i < tokens_ncached; i++)
		if (sodium_memcmp(tokens_cache[i].hash, hash, AUTH_HASH_LEN) ==
		    0)
			found = i;
	if (found != SIZE_MAX) {
		struct tokens_cached *c = &tokens_cache[found];

		*id = c->id;
		if (c->id.expires_at != 0 && c->id.expires_at <= now_ms)
			rc = TOKENS_EXPIRED;
		else {
			rc = TOKENS_OK;
			if (c->touched_ms <= now_ms - TOKENS_TOUCH_MS) {
				c->touched_ms = now_ms;
				snprintf(tid, size, "%s", c->tid);
			}
		}
	}
	pthread_mutex_unlock(&tokens_lock);
	return rc;
}

/* Remember a live token.  Its row was read after the cache's look at
 * tokens.gen, so a revoke that raced the read empties it again on the
 * next check. */
static void
tokens_remember(const unsigned char hash[AUTH_HASH_LEN],
    const struct auth_identity *id, const char *tid, int64_t touched_ms)
{
	struct tokens_cached *c;

	pthread_mutex_lock(&tokens_lock);
	if (tokens_ncached < TOKENS_CACHE_MAX)
		c = &tokens_cache[tokens_ncached++];
	else
		c = &tokens_cache[tokens_next++ % TOKENS_CACHE_MAX];
	memcpy(c->hash, hash, AUTH_HASH_LEN);
	c->id = *id;
	snprintf(c->tid, sizeof c->tid, "%s", tid);
	c->touched_ms = touched_ms;
	pthread_mutex_unlock(&tokens_lock);
}

int
tokens_check(sqlite3 *db, const char *presented, int64_t now_ms,
    struct auth_identity *id)
{
	unsigned char mine[AUTH_HASH_LEN];
	sqlite3_stmt *st = NULL;
	const void *stored;
	char tid[32] = "";
	int rc = TOKENS_UNKNOWN, role;
	int64_t expires = 0, touched = 0;

	memset(id, 0, sizeof *id);
	if (presented == NULL || strlen(presented) != AUTH_TOKEN_LEN)
		return TOKENS_UNKNOWN;
	auth_hash(presented, mine);
	/* The cache's check of tokens.gen comes before the read below, so
	 * a revoke after it empties the cache again on the next check. */
	if ((rc = tokens_cached_check(mine, now_ms, id, tid, sizeof tid)) !=
	    TOKENS_UNKNOWN) {
		if (tid[0] != '\0')
			tokens_touch(db, tid, now_ms);
		goto out;
	}
	if ((st = db_prepare(db,
		 "SELECT id, name, role, hash, expires_at, revoked_at, "
		 "last_used_at FROM api_tokens WHERE hash = ?1",
		 "b", mine, (int)AUTH_HASH_LEN)) == NULL)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	stored = sqlite3_column_blob(st, 3);
	if (stored == NULL || sqlite3_column_bytes(st, 3) != AUTH_HASH_LEN ||
	    sodium_memcmp(stored, mine, AUTH_HASH_LEN) != 0)
		goto out;
	if ((role = tokens_role_parse(
		 (const char *)sqlite3_column_text(st, 2))) == AUTH_ROLE_NONE)
		goto out;
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		expires = sqlite3_column_int64(st, 4);
	auth_identity_set(id, (const char *)sqlite3_column_text(st, 1), role,
	    expires);
	if (sqlite3_column_type(st, 5) != SQLITE_NULL ||
	    (expires != 0 && expires <= now_ms)) {
		rc = TOKENS_EXPIRED;
		goto out;
	}
	rc = TOKENS_OK;
	snprintf(tid, sizeof tid, "%s", sqlite3_column_text(st, 0));
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		touched = sqlite3_column_int64(st, 6);
	sqlite3_finalize(st);
	st = NULL;
	if (touched <= now_ms - TOKENS_TOUCH_MS) {
		tokens_touch(db, tid, now_ms);
		touched = now_ms;
	}
	tokens_remember(mine, id, tid, touched);
out:
	sqlite3_finalize(st);
	sodium_memzero(mine, sizeof mine);
	return rc;
}
