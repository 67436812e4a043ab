/*
 * audit.c — the audit trail: append, sign heads, verify, prove, export.
 *
 * An entry's leaf hash is merkle_leaf() of its canonical encoding:
 *
 *   "OXA1" ‖ field ‖ field ‖ ...   each field a 4-byte big-endian length
 *                                  and its bytes: seq and ts_ms in
 *                                  decimal, actor, action, resource, and
 *                                  detail exactly as stored (compact JSON,
 *                                  sorted keys)
 *
 * A head signs "OXH1" ‖ size (8 bytes BE) ‖ root (32) ‖ ts_ms (8 bytes BE)
 * with Ed25519.  The key lives in $OXIOS_HOME/audit/signing.key (0600,
 * hex of the 64-byte secret key); the public key is in every head.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config/home.h"
#include "store/db.h"
#include "security/audit.h"
#include "security/audit_int.h"
#include "security/merkle.h"
#include "util/file.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static const char *const audit_names[AUDIT_NACTIONS] = {
	[AUDIT_AGENT_SPAWN] = "agent_spawn",
	[AUDIT_AGENT_EXIT] = "agent_exit",
	[AUDIT_TOOL_CALL] = "tool_call",
	[AUDIT_TOOL_RESULT] = "tool_result",
	[AUDIT_MEMORY_WRITE] = "memory_write",
	[AUDIT_CONFIG_CHANGE] = "config_change",
	[AUDIT_ACCESS_DENIED] = "access_denied",
	[AUDIT_APPROVAL] = "approval",
	[AUDIT_CRON_TRIGGER] = "cron_trigger",
	[AUDIT_GIT_COMMIT] = "git_commit",
	[AUDIT_AUTH] = "auth",
	[AUDIT_FILE_WRITE] = "file_write",
	[AUDIT_OTHER] = "other",
	[AUDIT_AGENT_ZOMBIE] = "agent_zombie",
	[AUDIT_BUDGET] = "budget",
	[AUDIT_PERMISSION] = "permission_change",
	[AUDIT_SPACE] = "space_change",
};

struct audit_state aud = { .lock = PTHREAD_MUTEX_INITIALIZER };

const char *
audit_action_name(enum audit_action a)
{
	return (unsigned)a < AUDIT_NACTIONS ? audit_names[a] : "other";
}

int
audit_action_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < AUDIT_NACTIONS; i++) {
		if (strcmp(audit_names[i], s) == 0)
			return i;
	}
	return -1;
}

/* ---- the key ---- */

int
audit_key_load(char **cause)
{
	char *dir = home_path("audit"), *path = home_path("audit/signing.key");
	char *text = NULL, hex[2 * crypto_sign_SECRETKEYBYTES + 2];
	size_t len, got;
	int rc = -1;

	if (access(path, F_OK) == 0) {
		/* Never replaced: a key that cannot be read is an error. */
		if (file_read(path, 4096, &text, &len, cause) != 0)
			goto out;
		if (len < 2 * crypto_sign_SECRETKEYBYTES ||
		    sodium_hex2bin(aud.sk, sizeof aud.sk, text,
			2 * crypto_sign_SECRETKEYBYTES, NULL, &got,
			NULL) != 0 ||
		    got != sizeof aud.sk) {
			xasprintf(cause,
			    "%s is not an audit signing key (it must hold %d "
			    "hex digits)",
			    path, 2 * crypto_sign_SECRETKEYBYTES);
			goto out;
		}
		crypto_sign_ed25519_sk_to_pk(aud.pk, aud.sk);
		rc = 0;
		goto out;
	}
	/* First use: a new key, readable by this user only. */
	if (file_mkdirs(dir, 0700, cause) != 0)
		goto out;
	crypto_sign_keypair(aud.pk, aud.sk);
	sodium_bin2hex(hex, sizeof hex, aud.sk, sizeof aud.sk);
	strcat(hex, "\n");
	if (file_write_atomic(path, hex, strlen(hex), 0600, cause) != 0)
		goto out;
	log_info("audit: made a signing key in %s", path);
	rc = 0;
out:
	sodium_memzero(hex, sizeof hex);
	if (text != NULL) {
		sodium_memzero(text, len);
		free(text);
	}
	free(dir);
	free(path);
	return rc;
}

static void audit_stmts_drop(void *unused);

int
audit_key_exists(void)
{
	char *path = home_path("audit/signing.key");
	int e = access(path, F_OK) == 0;

	free(path);
	return e;
}

int
audit_open(int enabled, long sign_interval_secs, char **cause)
{
	int rc = 0;

	(void)cause;
	pthread_mutex_lock(&aud.lock);
	aud.enabled = enabled;
	aud.have_key = 0;
	aud.interval_ms = sign_interval_secs * 1000;
	aud.last_head_ms = time_mono_ms();
	pthread_mutex_unlock(&aud.lock);
	return rc;
}

void
audit_close(void)
{
	audit_stmts_drop(NULL);
	pthread_mutex_lock(&aud.lock);
	aud.enabled = 0;
	aud.have_key = 0;
	sodium_memzero(aud.sk, sizeof aud.sk);
	pthread_mutex_unlock(&aud.lock);
}

/* ---- sanitising ---- */

/*
 * A copy of v that shares nothing with it (redact_json() changes it in
 * place), with strings over AUDIT_MAX_STRING as their length and hash and
 * nothing deeper than 16 levels.
 */
static json_t *
audit_shape(const json_t *v, int depth)
{
	json_t *out, *x;
	const char *k;
	size_t i, n;
	unsigned char h[16];
	char hex[33];

	if (depth > 16)
		return json_string("<too deep>");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach((json_t *)v, k, x)
			json_object_set_new(out, k, audit_shape(x, depth + 1));
		return out;
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, x)
			json_array_append_new(out, audit_shape(x, depth + 1));
		return out;
	case JSON_STRING:
		n = json_string_length(v);
		if (n <= AUDIT_MAX_STRING)
			return json_stringn_nocheck(json_string_value(v), n);
		/* File contents and the like: what it was, not what it
		 * said. */
		crypto_generichash(h, sizeof h,
		    (const unsigned char *)json_string_value(v), n, NULL, 0);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		return json_pack("{s:I, s:s}", "bytes", (json_int_t)n,
		    "blake2b_128", hex);
	default:
		return json_incref((json_t *)v);
	}
}

/* Secrets go by the one policy of util/redact.h. */
json_t *
audit_sanitize(const json_t *detail)
{
	json_t *out;

	if (detail == NULL || !json_is_object(detail))
		return json_object();
	out = audit_shape(detail, 0);
	redact_json(out);
	return out;
}

/* ---- hashing ---- */

static void
audit_field(crypto_generichash_state *st, const char *s, size_t n)
{
	unsigned char len[4] = { (unsigned char)(n >> 24),
		(unsigned char)(n >> 16), (unsigned char)(n >> 8),
		(unsigned char)n };

	crypto_generichash_update(st, len, 4);
	crypto_generichash_update(st, (const unsigned char *)s, n);
}

/* The leaf hash of an entry, from its fields as stored. */
void
audit_leaf(int64_t seq, int64_t ts, const char *actor, const char *action,
    const char *resource, const char *detail, size_t detail_len,
    merkle_hash out)
{
	crypto_generichash_state st;
	unsigned char zero = 0x00;
	char num[32];

	crypto_generichash_init(&st, NULL, 0, MERKLE_HASH);
	crypto_generichash_update(&st, &zero, 1);
	crypto_generichash_update(&st, (const unsigned char *)"OXA1", 4);
	snprintf(num, sizeof num, "%lld", (long long)seq);
	audit_field(&st, num, strlen(num));
	snprintf(num, sizeof num, "%lld", (long long)ts);
	audit_field(&st, num, strlen(num));
	audit_field(&st, actor, strlen(actor));
	audit_field(&st, action, strlen(action));
	audit_field(&st, resource, strlen(resource));
	audit_field(&st, detail, detail_len);
	crypto_generichash_final(&st, out, MERKLE_HASH);
}

static void
audit_put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

/* The bytes a head's signature covers. */
void
audit_head_msg(uint64_t size, const merkle_hash root, int64_t ts,
    unsigned char msg[52])
{
	memcpy(msg, "OXH1", 4);
	audit_put64(msg + 4, size);
	memcpy(msg + 12, root, MERKLE_HASH);
	audit_put64(msg + 44, (uint64_t)ts);
}

/* ---- appending ---- */

/*
 * The two statements of an append, prepared once per thread and
 * connection: parsing SQL is most of the cost of a small insert.  A
 * connection closed meanwhile (db_close() is sqlite3_close_v2()) lives on
 * until they are finalized, so the pointer cannot be reused under us.
 */
static __thread struct {
	sqlite3 *db;
	sqlite3_stmt *next, *insert;
} audit_stmts;
static pthread_key_t audit_stmts_key;
static pthread_once_t audit_stmts_once = PTHREAD_ONCE_INIT;

static void
audit_stmts_drop(void *unused)
{
	(void)unused;
	sqlite3_finalize(audit_stmts.next);
	sqlite3_finalize(audit_stmts.insert);
	memset(&audit_stmts, 0, sizeof audit_stmts);
}

static void
audit_stmts_key_make(void)
{
	pthread_key_create(&audit_stmts_key, audit_stmts_drop);
}

static int
audit_stmts_get(sqlite3 *db)
{
	if (audit_stmts.db == db && audit_stmts.next != NULL)
		return 0;
	audit_stmts_drop(NULL);
	pthread_once(&audit_stmts_once, audit_stmts_key_make);
	pthread_setspecific(audit_stmts_key, &audit_stmts);
	if (sqlite3_prepare_v3(db,
		"SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log", -1,
		SQLITE_PREPARE_PERSISTENT, &audit_stmts.next,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db,
		"INSERT INTO audit_log (seq, ts_ms, actor, action, resource, "
		"detail, leaf) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		-1, SQLITE_PREPARE_PERSISTENT, &audit_stmts.insert,
		NULL) != SQLITE_OK) {
		audit_stmts_drop(NULL);
		return -1;
	}
	audit_stmts.db = db;
	return 0;
}

static void
audit_cut(const char *in, char *out, size_t size)
{
	size_t n = utf8_cut(in, size - 1);

	memcpy(out, in, n);
	out[n] = '\0';
}

int64_t
audit_append(sqlite3 *db, const char *actor, enum audit_action action,
    const char *resource, const json_t *detail, char **cause)
{
	sqlite3_stmt *st = NULL;
	char a[AUDIT_MAX_FIELD], r[AUDIT_MAX_FIELD], *text = NULL;
	json_t *clean;
	merkle_hash leaf;
	int64_t seq = -1, ts = time_wall_ms();
	int own, enabled;

	pthread_mutex_lock(&aud.lock);
	enabled = aud.enabled;
	pthread_mutex_unlock(&aud.lock);
	if (!enabled)
		return 0;
	audit_cut(actor != NULL ? actor : "system", a, sizeof a);
	audit_cut(resource != NULL ? resource : "", r, sizeof r);
	clean = audit_sanitize(detail);
	text = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(clean);
	if (text == NULL)
		text = xstrdup("{}");

	own = sqlite3_get_autocommit(db);
	if (own &&
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	if (audit_stmts_get(db) != 0)
		goto dberr;
	st = audit_stmts.next;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto dberr;
	seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	audit_leaf(seq, ts, a, audit_action_name(action), r, text, strlen(text),
	    leaf);
	st = audit_stmts.insert;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_text(st, 3, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, audit_action_name(action), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, leaf, MERKLE_HASH, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	st = NULL;
	if (own && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	free(text);
	return seq;
dberr:
	xasprintf(cause, "audit: %s", sqlite3_errmsg(db));
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (own && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free(text);
	return -1;
}

int64_t
audit_append_tx(sqlite3 *db, const char *actor, enum audit_action action,
    const char *resource, const json_t *detail, char **cause)
{
	/* Outside a transaction audit_append() would commit on its own:
	 * the write it records could then be lost without it, or it
	 * without the write. */
	if (sqlite3_get_autocommit(db)) {
		xasprintf(cause,
		    "audit: an entry for %s must share the write's "
		    "transaction",
		    audit_action_name(action));
		return -1;
	}
	return audit_append(db, actor, action, resource, detail, cause);
}

int
audit_write(sqlite3 *db, int (*write)(sqlite3 *, void *, char **), void *arg,
    const char *actor, enum audit_action action, const char *resource,
    const json_t *detail, char **cause)
{
	if (!sqlite3_get_autocommit(db)) {
		xasprintf(cause, "audit: a transaction is open already");
		return -1;
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		xasprintf(cause, "audit: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (write(db, arg, cause) != 0 ||
	    audit_append_tx(db, actor, action, resource, detail, cause) < 0)
		goto fail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		xasprintf(cause, "audit: %s", sqlite3_errmsg(db));
		goto fail;
	}
	return 0;
fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

void
audit_note(sqlite3 *db, const char *actor, enum audit_action action,
    const char *resource, const json_t *detail)
{
	char *cause = NULL;

	if (db == NULL)
		return;
	if (audit_append(db, actor, action, resource, detail, &cause) < 0) {
		log_error("%s", cause);
		free(cause);
	}
}

/* ---- reading the tree ---- */

/* Every leaf hash, in order; *n how many.  NULL with *cause. */
merkle_hash *
audit_leaves(sqlite3 *db, uint64_t *n, char **cause)
{
	sqlite3_stmt *st = NULL;
	merkle_hash *l = NULL;
	uint64_t cap = 0;

	*n = 0;
	if (sqlite3_prepare_v2(db,
		"SELECT seq, leaf FROM audit_log ORDER BY seq", -1, &st,
		NULL) != SQLITE_OK) {
		xasprintf(cause, "audit: %s", sqlite3_errmsg(db));
		return NULL;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			l = xreallocarray(l, cap, sizeof *l);
		}
		if (sqlite3_column_bytes(st, 1) == MERKLE_HASH)
			memcpy(l[*n], sqlite3_column_blob(st, 1), MERKLE_HASH);
		else
			memset(l[*n], 0, MERKLE_HASH);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (l == NULL)
		l = xmalloc(sizeof *l);
	return l;
}

json_t *
audit_head_json(int64_t size, const void *root, int64_t ts, const void *sig,
    const void *pk)
{
	char rh[2 * MERKLE_HASH + 1], sh[2 * crypto_sign_BYTES + 1];
	char kh[2 * crypto_sign_PUBLICKEYBYTES + 1], at[40];

	merkle_hex(root, rh);
	sodium_bin2hex(sh, sizeof sh, sig, crypto_sign_BYTES);
	sodium_bin2hex(kh, sizeof kh, pk, crypto_sign_PUBLICKEYBYTES);
	time_rfc3339(ts, at, sizeof at);
	return json_pack("{s:I, s:s, s:I, s:s, s:s, s:s}", "size",
	    (json_int_t)size, "root", rh, "ts_ms", (json_int_t)ts, "time", at,
	    "signature", sh, "public_key", kh);
}

json_t *
audit_head(sqlite3 *db, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *h = NULL;

	*cause = NULL;
	if (sqlite3_prepare_v2(db,
		"SELECT size, root, ts_ms, signature, public_key FROM "
		"audit_heads ORDER BY size DESC LIMIT 1",
		-1, &st, NULL) != SQLITE_OK) {
		xasprintf(cause, "audit: %s", sqlite3_errmsg(db));
		return NULL;
	}
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == MERKLE_HASH &&
	    sqlite3_column_bytes(st, 3) == crypto_sign_BYTES &&
	    sqlite3_column_bytes(st, 4) == crypto_sign_PUBLICKEYBYTES)
		h = audit_head_json(sqlite3_column_int64(st, 0),
		    sqlite3_column_blob(st, 1), sqlite3_column_int64(st, 2),
		    sqlite3_column_blob(st, 3), sqlite3_column_blob(st, 4));
	sqlite3_finalize(st);
	return h;
}

json_t *
audit_flush(sqlite3 *db, char **cause)
{
	merkle_hash *leaves = NULL, root;
	unsigned char msg[52], sig[crypto_sign_BYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	uint64_t n;
	int64_t last = -1, ts = time_wall_ms();
	json_t *head = NULL;
	int own = sqlite3_get_autocommit(db);

	/* The key under the lock; the database without it (a writer waiting
	 * for the database must never hold up the appenders). */
	pthread_mutex_lock(&aud.lock);
	if (!aud.enabled) {
		pthread_mutex_unlock(&aud.lock);
		xasprintf(cause, "the audit log is off (audit.enabled)");
		return NULL;
	}
	if (!aud.have_key) {
		if (audit_key_load(cause) != 0) {
			pthread_mutex_unlock(&aud.lock);
			return NULL;
		}
		aud.have_key = 1;
	}
	memcpy(sk, aud.sk, sizeof sk);
	memcpy(pk, aud.pk, sizeof pk);
	pthread_mutex_unlock(&aud.lock);

	/* One writer at a time: the log cannot grow under the head (in the
	 * caller's transaction if one is open). */
	if (own &&
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	db_int(db, "SELECT COALESCE(MAX(size), -1) FROM audit_heads", &last,
	    "");
	if ((leaves = audit_leaves(db, &n, cause)) == NULL)
		goto fail;
	if ((int64_t)n != last) {
		merkle_root(leaves, n, root);
		audit_head_msg(n, root, ts, msg);
		crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
		if (db_exec(db,
			"INSERT INTO audit_heads (size, root, ts_ms, signature, "
			"public_key) VALUES (?1, ?2, ?3, ?4, ?5)",
			"IbIbb", (int64_t)n, root, (int)MERKLE_HASH, ts, sig,
			(int)sizeof sig, pk, (int)sizeof pk) < 0)
			goto dberr;
		head = audit_head_json((int64_t)n, root, ts, sig, pk);
	}
	/* else nothing new: a head is never replaced. */
	if (own && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	pthread_mutex_lock(&aud.lock);
	aud.last_head_ms = time_mono_ms();
	pthread_mutex_unlock(&aud.lock);
	sodium_memzero(sk, sizeof sk);
	free(leaves);
	if (head == NULL && (head = audit_head(db, cause)) == NULL &&
	    *cause == NULL)
		xasprintf(cause,
		    "the newest signed head is malformed (see: "
		    "oxios audit verify)");
	return head;
dberr:
	xasprintf(cause, "audit: %s", sqlite3_errmsg(db));
fail:
	json_decref(head);
	if (own && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sodium_memzero(sk, sizeof sk);
	free(leaves);
	return NULL;
}

void
audit_tick(sqlite3 *db)
{
	char *cause = NULL;
	json_t *h;
	int due;

	pthread_mutex_lock(&aud.lock);
	due = aud.enabled &&
	    time_mono_ms() - aud.last_head_ms >= (uint64_t)aud.interval_ms;
	pthread_mutex_unlock(&aud.lock);
	if (!due)
		return;
	if ((h = audit_flush(db, &cause)) == NULL && cause != NULL) {
		log_error("%s", cause);
		free(cause);
	}
	json_decref(h);
	pthread_mutex_lock(&aud.lock);
	aud.last_head_ms = time_mono_ms();
	pthread_mutex_unlock(&aud.lock);
}

/* ---- listing ---- */

static json_t *
audit_row_json(sqlite3_stmt *st)
{
	char at[40], lh[2 * MERKLE_HASH + 1] = "";
	json_t *detail;

	time_rfc3339(sqlite3_column_int64(st, 1), at, sizeof at);
	if (sqlite3_column_bytes(st, 6) == MERKLE_HASH)
		merkle_hex(sqlite3_column_blob(st, 6), lh);
	detail = json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL);
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:s}", "seq",
	    (json_int_t)sqlite3_column_int64(st, 0), "ts_ms",
	    (json_int_t)sqlite3_column_int64(st, 1), "time", at, "actor",
	    (const char *)sqlite3_column_text(st, 2), "action",
	    (const char *)sqlite3_column_text(st, 3), "resource",
	    (const char *)sqlite3_column_text(st, 4), "detail",
	    detail != NULL ? detail : json_object(), "leaf", lh);
}

json_t *
audit_list(sqlite3 *db, int64_t after, long limit, const char *action,
    const char *actor, const char *resource, char **cause)
{
	json_t *out = json_array();

	if (db_collect(db_prepare(db,
			   "SELECT seq, ts_ms, actor, action, resource, detail, "
			   "leaf FROM audit_log WHERE seq > ?1 AND (?2 IS NULL "
			   "OR action = ?2) AND (?3 IS NULL OR actor = ?3) AND "
			   "(?4 IS NULL OR resource = ?4) ORDER BY seq LIMIT ?5",
			   "ItttI", after, action, actor, resource,
			   (int64_t)limit),
		audit_row_json, out) == 0)
		return out;
	xasprintf(cause, "audit: %s", sqlite3_errmsg(db));
	json_decref(out);
	return NULL;
}

json_t *
audit_get(sqlite3 *db, int64_t seq, char **cause)
{
	json_t *l = audit_list(db, seq - 1, 1, NULL, NULL, NULL, cause), *e;

	if (l == NULL)
		return NULL;
	e = json_incref(json_array_get(l, 0));
	json_decref(l);
	if (e != NULL && json_integer_value(json_object_get(e, "seq")) != seq) {
		json_decref(e);
		e = NULL;
	}
	return e;
}
