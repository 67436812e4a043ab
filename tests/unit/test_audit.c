/*
 * test_audit.c — the audit trail: append and verify, tampering with the
 * database behind its back (through a second connection, triggers
 * dropped), sanitising, inclusion and consistency proofs, export and
 * offline verification, the switch, and a batch of 10 000 appends.
 *
 * The leaf and head encodings are recomputed here from the description
 * at the top of audit.c with crypto_generichash and crypto_sign directly
 * (as an attacker with the file in hand would), sharing no code with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "security/audit.h"
#include "security/merkle.h"
#include "store/db.h"
#include "util/xalloc.h"
#include "tmpdb.h"

static struct tmpdb tdb;
static sqlite3 *db; /* tdb.db */

static int
setup(void **state)
{
	char *cause = NULL;

	(void)state;
	/* The signing key goes into $OXIOS_HOME/audit. */
	if (tmpdb_setup_home(&tdb, "audit") != 0)
		return -1;
	db = tdb.db;
	return audit_open(1, 300, &cause);
}

static int
teardown(void **state)
{
	(void)state;
	audit_close();
	tmpdb_teardown(&tdb);
	db = NULL;
	unsetenv("OXIOS_HOME");
	return 0;
}

/* ---- helpers ---- */

static int64_t
append(const char *actor, enum audit_action action, const char *resource,
    const char *detail_json)
{
	json_t *d = NULL;
	char *cause = NULL;
	int64_t seq;

	if (detail_json != NULL)
		assert_non_null(d = json_loads(detail_json, 0, NULL));
	seq = audit_append(db, actor, action, resource, d, &cause);
	if (seq < 0)
		fail_msg("audit_append: %s", cause);
	json_decref(d);
	return seq;
}

/* n entries with every action, several actors and details. */
static void
fill(int n)
{
	static const char *const actors[] = { "user", "system",
		"agent:0b6f3a9e-7f3c-4d2a-9a51-3c1d2e4f5a6b",
		"client:127.0.0.1" };
	char res[64], detail[160];
	int i, start = 0;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT COUNT(*) FROM audit_log", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	start = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	for (i = start; i < start + n; i++) {
		if (i % 5 == 0)
			res[0] = '\0';
		else
			snprintf(res, sizeof res, "res-%d", i + 1);
		snprintf(detail, sizeof detail,
		    "{\"n\": %d, \"note\": \"note-%d\", \"nested\": {\"a\": "
		    "[1, 2, {\"b\": \"caf\\u00e9\"}]}, \"ok\": true}",
		    i + 1, i + 1);
		assert_int_equal(append(actors[i % 4],
				     (enum audit_action)(i % AUDIT_NACTIONS),
				     res, i % 7 == 2 ? NULL : detail),
		    i + 1);
	}
}

static json_t *
flush(void)
{
	char *cause = NULL;
	json_t *h = audit_flush(db, &cause);

	if (h == NULL)
		fail_msg("audit_flush: %s", cause ? cause : "(no cause)");
	return h;
}

static int64_t
flush_size(void)
{
	json_t *h = flush();
	int64_t n = json_integer_value(json_object_get(h, "size"));

	json_decref(h);
	return n;
}

static json_t *
verify(void)
{
	char *cause = NULL;
	json_t *r = audit_verify(db, &cause);

	if (r == NULL)
		fail_msg("audit_verify: %s", cause ? cause : "(no cause)");
	return r;
}

static const char *
problem_of(const json_t *r)
{
	const char *p = json_string_value(json_object_get(r, "problem"));

	return p != NULL ? p : "";
}

/* The log verifies, with these counts. */
static void
expect_ok(int64_t entries, int64_t heads)
{
	json_t *r = verify();

	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("verify: not ok: %s", problem_of(r));
	assert_int_equal(json_integer_value(json_object_get(r, "entries")),
	    entries);
	assert_int_equal(json_integer_value(json_object_get(r, "heads")),
	    heads);
	assert_null(json_object_get(r, "first_bad_seq"));
	assert_null(json_object_get(r, "first_bad_head"));
	assert_null(json_object_get(r, "problem"));
	json_decref(r);
}

/*
 * The report r is not ok, names entry `seq` (0: no entry named) and head
 * `head` (-1: no head named), and its problem says `word`.
 */
static void
expect_bad_report(json_t *r, int64_t seq, int64_t head, const char *word)
{
	json_t *v;

	if (!json_is_false(json_object_get(r, "ok")))
		fail_msg("verify: ok, but expected a problem with '%s'", word);
	v = json_object_get(r, "first_bad_seq");
	if (seq > 0) {
		if (!json_is_integer(v) || json_integer_value(v) != seq)
			fail_msg("first_bad_seq %lld, expected %lld (%s)",
			    v != NULL ? (long long)json_integer_value(v) : -1LL,
			    (long long)seq, problem_of(r));
	} else if (v != NULL)
		fail_msg("first_bad_seq %lld, expected none (%s)",
		    (long long)json_integer_value(v), problem_of(r));
	v = json_object_get(r, "first_bad_head");
	if (head >= 0) {
		if (!json_is_integer(v) || json_integer_value(v) != head)
			fail_msg("first_bad_head %lld, expected %lld (%s)",
			    v != NULL ? (long long)json_integer_value(v) : -1LL,
			    (long long)head, problem_of(r));
	} else if (v != NULL)
		fail_msg("first_bad_head %lld, expected none (%s)",
		    (long long)json_integer_value(v), problem_of(r));
	if (strstr(problem_of(r), word) == NULL)
		fail_msg("problem '%s' does not say '%s'", problem_of(r), word);
}

static void
expect_bad(int64_t seq, int64_t head, const char *word)
{
	json_t *r = verify();

	expect_bad_report(r, seq, head, word);
	json_decref(r);
}

/* SQL through a second connection, as someone with the file would; the
 * triggers go first. */
static void
tamper(const char *fmt, ...)
{
	sqlite3 *t;
	char *sql, *err = NULL;
	va_list ap;

	va_start(ap, fmt);
	assert_true(xvasprintf(&sql, fmt, ap) >= 0);
	va_end(ap);
	assert_int_equal(sqlite3_open(tdb.path, &t), SQLITE_OK);
	sqlite3_busy_timeout(t, 5000);
	if (sqlite3_exec(t,
		"DROP TRIGGER IF EXISTS audit_log_no_update;"
		"DROP TRIGGER IF EXISTS audit_log_no_delete;"
		"DROP TRIGGER IF EXISTS audit_heads_no_update;"
		"DROP TRIGGER IF EXISTS audit_heads_no_delete;",
		NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(t, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("tamper: %s: %s", sql, err);
	sqlite3_close(t);
	free(sql);
}

static void
hex_of(const void *bin, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, bin, n);
}

struct row {
	int64_t seq, ts;
	char actor[AUDIT_MAX_FIELD], action[64], resource[AUDIT_MAX_FIELD];
	char *detail;
	unsigned char leaf[MERKLE_HASH];
	int leaf_len;
};

static int
get_row(int64_t seq, struct row *r)
{
	sqlite3_stmt *st;
	int found = 0;

	memset(r, 0, sizeof *r);
	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT seq, ts_ms, actor, action, resource, "
			     "detail, leaf FROM audit_log WHERE seq = ?",
			     -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		r->seq = sqlite3_column_int64(st, 0);
		r->ts = sqlite3_column_int64(st, 1);
		snprintf(r->actor, sizeof r->actor, "%s",
		    (const char *)sqlite3_column_text(st, 2));
		snprintf(r->action, sizeof r->action, "%s",
		    (const char *)sqlite3_column_text(st, 3));
		snprintf(r->resource, sizeof r->resource, "%s",
		    (const char *)sqlite3_column_text(st, 4));
		r->detail = xstrdup((const char *)sqlite3_column_text(st, 5));
		r->leaf_len = sqlite3_column_bytes(st, 6);
		if (r->leaf_len == MERKLE_HASH)
			memcpy(r->leaf, sqlite3_column_blob(st, 6),
			    MERKLE_HASH);
	}
	sqlite3_finalize(st);
	return found;
}

static int64_t
count_rows(const char *table)
{
	sqlite3_stmt *st;
	char sql[64];
	int64_t n;

	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
ref_field(crypto_generichash_state *st, const char *s, size_t n)
{
	unsigned char len[4] = { (unsigned char)(n >> 24),
		(unsigned char)(n >> 16), (unsigned char)(n >> 8),
		(unsigned char)n };

	crypto_generichash_update(st, len, 4);
	crypto_generichash_update(st, (const unsigned char *)s, n);
}

/* H(0x00 || "OXA1" || len-prefixed seq, ts, actor, action, resource,
 * detail), as audit.c documents it. */
static void
ref_leaf(int64_t seq, int64_t ts, const char *actor, const char *action,
    const char *resource, const char *detail, merkle_hash out)
{
	crypto_generichash_state st;
	unsigned char zero = 0;
	char num[32];

	crypto_generichash_init(&st, NULL, 0, MERKLE_HASH);
	crypto_generichash_update(&st, &zero, 1);
	crypto_generichash_update(&st, (const unsigned char *)"OXA1", 4);
	snprintf(num, sizeof num, "%lld", (long long)seq);
	ref_field(&st, num, strlen(num));
	snprintf(num, sizeof num, "%lld", (long long)ts);
	ref_field(&st, num, strlen(num));
	ref_field(&st, actor, strlen(actor));
	ref_field(&st, action, strlen(action));
	ref_field(&st, resource, strlen(resource));
	ref_field(&st, detail, strlen(detail));
	crypto_generichash_final(&st, out, MERKLE_HASH);
}

static void
ref_row_leaf(const struct row *r, merkle_hash out)
{
	ref_leaf(r->seq, r->ts, r->actor, r->action, r->resource, r->detail,
	    out);
}

/* "OXH1" || size (8 BE) || root || ts_ms (8 BE). */
static void
ref_head_msg(uint64_t size, const unsigned char *root, int64_t ts,
    unsigned char msg[52])
{
	int i;

	memcpy(msg, "OXH1", 4);
	for (i = 0; i < 8; i++)
		msg[4 + i] = (unsigned char)(size >> (56 - 8 * i));
	memcpy(msg + 12, root, MERKLE_HASH);
	for (i = 0; i < 8; i++)
		msg[44 + i] = (unsigned char)((uint64_t)ts >> (56 - 8 * i));
}

/* The Merkle root over the recomputed leaves of entries 1..n. */
static void
ref_root(int64_t n, merkle_hash out)
{
	merkle_hash *l = xcalloc((size_t)(n > 0 ? n : 1), sizeof *l);
	struct row r;
	int64_t i;

	for (i = 0; i < n; i++) {
		assert_true(get_row(i + 1, &r));
		ref_row_leaf(&r, l[i]);
		free(r.detail);
	}
	merkle_root(l, (uint64_t)n, out);
	free(l);
}

/* A stored head. */
struct head {
	int64_t size, ts;
	unsigned char root[MERKLE_HASH], sig[crypto_sign_BYTES],
	    pk[crypto_sign_PUBLICKEYBYTES];
};

static int
get_head(int64_t size, struct head *h)
{
	sqlite3_stmt *st;
	int found = 0;

	memset(h, 0, sizeof *h);
	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT size, ts_ms, root, signature, public_key "
			     "FROM audit_heads WHERE size = ?",
			     -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, size);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		h->size = sqlite3_column_int64(st, 0);
		h->ts = sqlite3_column_int64(st, 1);
		assert_int_equal(sqlite3_column_bytes(st, 2), MERKLE_HASH);
		memcpy(h->root, sqlite3_column_blob(st, 2), MERKLE_HASH);
		assert_int_equal(sqlite3_column_bytes(st, 3),
		    crypto_sign_BYTES);
		memcpy(h->sig, sqlite3_column_blob(st, 3), crypto_sign_BYTES);
		assert_int_equal(sqlite3_column_bytes(st, 4),
		    crypto_sign_PUBLICKEYBYTES);
		memcpy(h->pk, sqlite3_column_blob(st, 4),
		    crypto_sign_PUBLICKEYBYTES);
	}
	sqlite3_finalize(st);
	return found;
}

/* Write a head's columns back (X'..' literals). */
static void
put_head(const struct head *h)
{
	char root[2 * MERKLE_HASH + 1], sig[2 * crypto_sign_BYTES + 1],
	    pk[2 * crypto_sign_PUBLICKEYBYTES + 1];

	hex_of(h->root, sizeof h->root, root);
	hex_of(h->sig, sizeof h->sig, sig);
	hex_of(h->pk, sizeof h->pk, pk);
	tamper("INSERT OR REPLACE INTO audit_heads (size, root, ts_ms, "
	       "signature, public_key) VALUES (%lld, X'%s', %lld, X'%s', "
	       "X'%s')",
	    (long long)h->size, root, (long long)h->ts, sig, pk);
}

/* Overwrite an entry row's every column. */
static void
put_row(const struct row *r)
{
	char leaf[2 * MERKLE_HASH + 1];
	char *q = sqlite3_mprintf("UPDATE audit_log SET ts_ms = %lld, actor = "
				  "%Q, action = %Q, resource = %Q, detail = "
				  "%Q, leaf = X'%s' WHERE seq = %lld",
	    (long long)r->ts, r->actor, r->action, r->resource, r->detail,
	    (hex_of(r->leaf, MERKLE_HASH, leaf), leaf), (long long)r->seq);

	tamper("%s", q);
	sqlite3_free(q);
}

/* ---- append, flush, verify ---- */

static void
test_append_flush_verify(void **state)
{
	struct row r;
	struct head h;
	merkle_hash leaf, root;
	unsigned char msg[52], pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	char keypath[128], *text = NULL, *cause = NULL, hex[65];
	json_t *head, *l, *e;
	struct stat sb;
	FILE *f;
	size_t got;
	int64_t i;

	(void)state;
	expect_ok(0, 0);
	fill(23);
	/* A NULL actor is the system; an absent detail is {}. */
	assert_int_equal(append(NULL, AUDIT_OTHER, NULL, NULL), 24);
	assert_true(get_row(24, &r));
	assert_string_equal(r.actor, "system");
	assert_string_equal(r.resource, "");
	assert_string_equal(r.detail, "{}");
	free(r.detail);
	/* Details are stored compact with sorted keys. */
	assert_true(get_row(2, &r));
	assert_string_equal(r.detail,
	    "{\"n\":2,\"nested\":{\"a\":[1,2,{\"b\":\"caf\xc3\xa9\"}]},"
	    "\"note\":\"note-2\",\"ok\":true}");
	assert_string_equal(r.action, "agent_exit");
	assert_string_equal(r.actor, "system");
	assert_string_equal(r.resource, "res-2");
	free(r.detail);
	expect_ok(24, 0);

	head = flush();
	assert_int_equal(json_integer_value(json_object_get(head, "size")), 24);
	expect_ok(24, 1);

	/* seq 1..24 without gaps; every stored leaf is the documented
	 * encoding of its fields. */
	assert_int_equal(count_rows("audit_log"), 24);
	for (i = 1; i <= 24; i++) {
		assert_true(get_row(i, &r));
		assert_int_equal(r.seq, i);
		assert_int_equal(r.leaf_len, MERKLE_HASH);
		ref_row_leaf(&r, leaf);
		if (memcmp(leaf, r.leaf, MERKLE_HASH) != 0)
			fail_msg("entry %lld: the stored leaf is not the "
				 "canonical encoding",
			    (long long)i);
		/* fill() cycles through the actions; 24 is AUDIT_OTHER. */
		assert_string_equal(r.action,
		    audit_action_name(i == 24 ?
			    AUDIT_OTHER :
			    (enum audit_action)((i - 1) % AUDIT_NACTIONS)));
		free(r.detail);
	}

	/* The head: the root over those leaves, signed over the documented
	 * message by the key in $OXIOS_HOME/audit/signing.key (0600). */
	assert_true(get_head(24, &h));
	ref_root(24, root);
	assert_memory_equal(root, h.root, MERKLE_HASH);
	hex_of(root, MERKLE_HASH, hex);
	assert_string_equal(json_string_value(json_object_get(head, "root")),
	    hex);
	assert_int_equal(json_integer_value(json_object_get(head, "ts_ms")),
	    h.ts);
	ref_head_msg(24, h.root, h.ts, msg);
	assert_int_equal(crypto_sign_verify_detached(h.sig, msg, sizeof msg,
			     h.pk),
	    0);
	snprintf(keypath, sizeof keypath, "%s/audit/signing.key", tdb.dir);
	assert_int_equal(stat(keypath, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_non_null(f = fopen(keypath, "r"));
	text = xcalloc(1, 4096);
	assert_true(fread(text, 1, 4095, f) >= 2 * sizeof sk);
	fclose(f);
	assert_int_equal(sodium_hex2bin(sk, sizeof sk, text, 2 * sizeof sk,
			     NULL, &got, NULL),
	    0);
	assert_int_equal(got, sizeof sk);
	free(text);
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	assert_memory_equal(pk, h.pk, sizeof pk);
	hex_of(pk, sizeof pk, hex);
	assert_string_equal(json_string_value(
				json_object_get(head, "public_key")),
	    hex);
	json_decref(head);

	/* audit_head is that head; a flush with nothing new adds none. */
	head = audit_head(db, &cause);
	assert_non_null(head);
	assert_int_equal(json_integer_value(json_object_get(head, "size")), 24);
	json_decref(head);
	assert_int_equal(flush_size(), 24);
	assert_int_equal(count_rows("audit_heads"), 1);

	/* More entries, another head: both verify. */
	fill(5);
	expect_ok(29, 1);
	assert_int_equal(flush_size(), 29);
	expect_ok(29, 2);

	/* Listing: paging, filters, one entry. */
	assert_non_null(l = audit_list(db, 0, 1000, NULL, NULL, NULL, &cause));
	assert_int_equal(json_array_size(l), 29);
	json_decref(l);
	assert_non_null(l = audit_list(db, 10, 5, NULL, NULL, NULL, &cause));
	assert_int_equal(json_array_size(l), 5);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(l, 0), "seq")),
	    11);
	json_decref(l);
	assert_non_null(
	    l = audit_list(db, 0, 1000, "tool_call", NULL, NULL, &cause));
	assert_true(json_array_size(l) >= 2);
	for (got = 0; got < json_array_size(l); got++)
		assert_string_equal(json_string_value(
					json_object_get(json_array_get(l, got),
					    "action")),
		    "tool_call");
	json_decref(l);
	assert_non_null(
	    l = audit_list(db, 0, 1000, NULL, "user", NULL, &cause));
	assert_true(json_array_size(l) >= 7);
	json_decref(l);
	assert_non_null(e = audit_get(db, 7, &cause));
	assert_int_equal(json_integer_value(json_object_get(e, "seq")), 7);
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(e, "detail"),
				 "n")),
	    7);
	assert_true(get_row(7, &r));
	hex_of(r.leaf, MERKLE_HASH, hex);
	assert_string_equal(json_string_value(json_object_get(e, "leaf")), hex);
	free(r.detail);
	json_decref(e);
	assert_null(audit_get(db, 30, &cause));
	assert_null(cause);
}

/* Within the caller's transaction: rolled back with it, and the seq is
 * used again. */
static void
test_append_in_caller_transaction(void **state)
{
	(void)state;
	fill(2);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(append("user", AUDIT_OTHER, "x", "{\"gone\":1}"), 3);
	assert_int_equal(append("user", AUDIT_OTHER, "x", "{\"gone\":2}"), 4);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(count_rows("audit_log"), 2);
	assert_int_equal(append("user", AUDIT_OTHER, "x", "{\"kept\":1}"), 3);
	assert_int_equal(flush_size(), 3);
	expect_ok(3, 1);
}

/* An audited write's table, written by audit_write()'s callback. */
static int
write_thing(sqlite3 *d, void *arg, char **cause)
{
	const char *what = arg;

	if (strcmp(what, "fail") == 0) {
		xasprintf(cause, "the write failed");
		return -1;
	}
	if (sqlite3_exec(d, "INSERT INTO things VALUES ('x')", NULL, NULL,
		NULL) != SQLITE_OK) {
		xasprintf(cause, "%s", sqlite3_errmsg(d));
		return -1;
	}
	return 0;
}

/*
 * audit_append_tx() refuses to commit on its own; audit_write() stores a
 * write and its entry together or neither (the write failing, the
 * entry failing).
 */
static void
test_audited_write_is_one_transaction(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE things (v TEXT)", NULL,
			     NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(audit_append_tx(db, "user", AUDIT_OTHER, "x", NULL,
			     &cause),
	    -1);
	assert_non_null(strstr(cause, "transaction"));
	free(cause);
	cause = NULL;
	assert_int_equal(count_rows("audit_log"), 0);

	assert_int_equal(audit_write(db, write_thing, "ok", "user", AUDIT_OTHER,
			     "thing", NULL, &cause),
	    0);
	assert_int_equal(count_rows("things"), 1);
	assert_int_equal(count_rows("audit_log"), 1);

	/* The write fails: no entry. */
	assert_int_equal(audit_write(db, write_thing, "fail", "user",
			     AUDIT_OTHER, "thing", NULL, &cause),
	    -1);
	assert_string_equal(cause, "the write failed");
	free(cause);
	cause = NULL;
	assert_true(sqlite3_get_autocommit(db));
	assert_int_equal(count_rows("audit_log"), 1);

	/* The entry fails: no write. */
	assert_int_equal(sqlite3_exec(db,
			     "CREATE TEMP TRIGGER no_audit BEFORE INSERT ON "
			     "audit_log BEGIN SELECT RAISE(ABORT, 'refused'); "
			     "END",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(audit_write(db, write_thing, "ok", "user", AUDIT_OTHER,
			     "thing", NULL, &cause),
	    -1);
	assert_non_null(strstr(cause, "refused"));
	free(cause);
	cause = NULL;
	assert_true(sqlite3_get_autocommit(db));
	assert_int_equal(count_rows("things"), 1);
	assert_int_equal(count_rows("audit_log"), 1);

	/* Inside a transaction of the caller's it would not be its own. */
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(audit_write(db, write_thing, "ok", "user", AUDIT_OTHER,
			     "thing", NULL, &cause),
	    -1);
	free(cause);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER temp.no_audit", NULL,
			     NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(flush_size(), 1);
	expect_ok(1, 1);
}

/* Long actor and resource are cut below AUDIT_MAX_FIELD on a UTF-8
 * boundary, and still verify. */
static void
test_long_fields_cut(void **state)
{
	char *actor = xmalloc(3 * AUDIT_MAX_FIELD), *res;
	struct row r;
	size_t i;

	(void)state;
	for (i = 0; i + 2 < 3 * AUDIT_MAX_FIELD; i += 2)
		memcpy(actor + i, "\xc3\xa9", 2); /* é */
	actor[i] = '\0';
	res = xstrdup(actor);
	assert_int_equal(append(actor, AUDIT_OTHER, res, NULL), 1);
	assert_true(get_row(1, &r));
	assert_true(strlen(r.actor) < AUDIT_MAX_FIELD);
	assert_true(strlen(r.actor) > AUDIT_MAX_FIELD / 2);
	assert_int_equal(strlen(r.actor) % 2, 0);
	assert_int_equal(strncmp(r.actor, actor, strlen(r.actor)), 0);
	assert_true(strlen(r.resource) < AUDIT_MAX_FIELD);
	assert_int_equal(strlen(r.resource) % 2, 0);
	free(r.detail);
	assert_int_equal(flush_size(), 1);
	expect_ok(1, 1);
	free(actor);
	free(res);
}

/* ---- the triggers ---- */

static void
test_triggers_refuse_changes(void **state)
{
	static const char *const sql[] = {
		"UPDATE audit_log SET actor = 'mallory' WHERE seq = 2",
		"UPDATE audit_log SET leaf = X'00' WHERE seq = 1",
		"DELETE FROM audit_log WHERE seq = 3",
		"DELETE FROM audit_log",
		"UPDATE audit_heads SET root = X'00'",
		"DELETE FROM audit_heads",
		NULL,
	};
	struct row r;
	int i;

	(void)state;
	fill(3);
	assert_int_equal(flush_size(), 3);
	for (i = 0; sql[i] != NULL; i++) {
		int rc = sqlite3_exec(db, sql[i], NULL, NULL, NULL);

		if (rc == SQLITE_OK)
			fail_msg("'%s' was allowed", sql[i]);
		assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
		assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
	}
	assert_int_equal(count_rows("audit_log"), 3);
	assert_int_equal(count_rows("audit_heads"), 1);
	assert_true(get_row(2, &r));
	assert_string_equal(r.actor, "system");
	free(r.detail);
	expect_ok(3, 1);
}

/* ---- tampering with entries ---- */

/* Each field of entry 4 changed in turn (and put back). */
static void
test_tamper_each_field(void **state)
{
	static const char *const edits[] = {
		"UPDATE audit_log SET ts_ms = ts_ms + 1 WHERE seq = 4",
		"UPDATE audit_log SET actor = 'user' WHERE seq = 4",
		"UPDATE audit_log SET action = 'approval' WHERE seq = 4",
		"UPDATE audit_log SET resource = 'res-40' WHERE seq = 4",
		"UPDATE audit_log SET detail = replace(detail, 'note-4', "
		"'note-5') WHERE seq = 4",
		"UPDATE audit_log SET detail = detail || ' ' WHERE seq = 4",
		"UPDATE audit_log SET leaf = zeroblob(32) WHERE seq = 4",
		"UPDATE audit_log SET leaf = X'0102' WHERE seq = 4",
		NULL,
	};
	struct row orig, now;
	int i;

	(void)state;
	fill(7);
	assert_int_equal(flush_size(), 7);
	expect_ok(7, 1);
	assert_true(get_row(4, &orig));
	for (i = 0; edits[i] != NULL; i++) {
		tamper("%s", edits[i]);
		assert_true(get_row(4, &now));
		/* The edit took. */
		assert_true(now.ts != orig.ts ||
		    strcmp(now.actor, orig.actor) != 0 ||
		    strcmp(now.action, orig.action) != 0 ||
		    strcmp(now.resource, orig.resource) != 0 ||
		    strcmp(now.detail, orig.detail) != 0 ||
		    now.leaf_len != orig.leaf_len ||
		    memcmp(now.leaf, orig.leaf, MERKLE_HASH) != 0);
		free(now.detail);
		expect_bad(4, -1, "entry 4");
		put_row(&orig);
		expect_ok(7, 1);
	}
	free(orig.detail);
}

/* A field edited and the stored leaf recomputed to match: the entry
 * checks by itself, the signed head does not. */
static void
test_tamper_recomputed_leaf(void **state)
{
	struct row orig, r;
	merkle_hash leaf;
	int field;

	(void)state;
	fill(3);
	assert_int_equal(flush_size(), 3);
	fill(4);
	assert_int_equal(flush_size(), 7);
	expect_ok(7, 2);
	/* Entry 5 is covered by the head of size 7 only; entry 2 by both. */
	assert_true(get_row(5, &orig));
	ref_row_leaf(&orig, leaf);
	assert_memory_equal(leaf, orig.leaf, MERKLE_HASH);
	for (field = 0; field < 5; field++) {
		r = orig;
		switch (field) {
		case 0:
			r.ts += 1000;
			break;
		case 1:
			snprintf(r.actor, sizeof r.actor, "agent:mallory");
			break;
		case 2:
			snprintf(r.action, sizeof r.action, "approval");
			break;
		case 3:
			snprintf(r.resource, sizeof r.resource, "innocent");
			break;
		case 4:
			r.detail = (char *)"{\"n\":5,\"note\":\"nothing\"}";
			break;
		}
		ref_row_leaf(&r, r.leaf);
		/* The edit took, and the leaf matches it. */
		assert_memory_not_equal(r.leaf, orig.leaf, MERKLE_HASH);
		put_row(&r);
		expect_bad(0, 7, "signed head of size 7");
		put_row(&orig);
		expect_ok(7, 2);
	}
	free(orig.detail);

	assert_true(get_row(2, &orig));
	r = orig;
	r.detail = (char *)"{}";
	ref_row_leaf(&r, r.leaf);
	put_row(&r);
	expect_bad(0, 3, "signed head of size 3");
	put_row(&orig);
	expect_ok(7, 2);
	free(orig.detail);
}

static void
test_tamper_delete_row(void **state)
{
	(void)state;
	fill(7);
	assert_int_equal(flush_size(), 7);
	tamper("DELETE FROM audit_log WHERE seq = 4");
	expect_bad(4, -1, "missing");
	tamper("DELETE FROM audit_log WHERE seq = 1");
	expect_bad(1, -1, "missing");
}

static void
test_tamper_delete_row_unsigned(void **state)
{
	/* A gap is found by the numbering alone, even with no head. */
	(void)state;
	fill(6);
	tamper("DELETE FROM audit_log WHERE seq = 3");
	expect_bad(3, -1, "missing");
}

/* Rows 3 and 5 exchange everything but seq. */
static void
test_tamper_swap_rows(void **state)
{
	struct row a, b;
	int64_t t;

	(void)state;
	fill(7);
	assert_int_equal(flush_size(), 7);
	assert_true(get_row(3, &a));
	assert_true(get_row(5, &b));
	t = a.seq;
	a.seq = b.seq;
	b.seq = t;
	put_row(&a);
	put_row(&b);
	expect_bad(3, -1, "entry 3");
	/* The same with both leaves recomputed: the head catches it. */
	ref_row_leaf(&a, a.leaf);
	ref_row_leaf(&b, b.leaf);
	put_row(&a);
	put_row(&b);
	expect_bad(0, 7, "signed head of size 7");
	free(a.detail);
	free(b.detail);
}

static void
test_tamper_truncate(void **state)
{
	(void)state;
	fill(7);
	assert_int_equal(flush_size(), 7);
	tamper("DELETE FROM audit_log WHERE seq >= 6");
	expect_bad(6, 7, "truncated");
	tamper("DELETE FROM audit_log");
	expect_bad(1, 7, "truncated");
}

/* ---- tampering with heads ---- */

static void
test_tamper_heads(void **state)
{
	struct head orig, h;
	unsigned char pk[crypto_sign_PUBLICKEYBYTES],
	    sk[crypto_sign_SECRETKEYBYTES], msg[52];
	merkle_hash root;

	(void)state;
	fill(4);
	assert_int_equal(flush_size(), 4);
	fill(3);
	assert_int_equal(flush_size(), 7);
	expect_ok(7, 2);
	assert_true(get_head(4, &orig));
	crypto_sign_keypair(pk, sk);

	/* Another root (the old one's signature kept). */
	h = orig;
	h.root[0] ^= 1;
	put_head(&h);
	expect_bad(0, 4, "forged");
	put_head(&orig);
	expect_ok(7, 2);

	/* A random root. */
	h = orig;
	randombytes_buf(h.root, sizeof h.root);
	put_head(&h);
	expect_bad(0, 4, "forged");
	put_head(&orig);

	/* A signature bit flipped. */
	h = orig;
	h.sig[17] ^= 0x40;
	put_head(&h);
	expect_bad(0, 4, "forged");
	put_head(&orig);

	/* Another time under the old signature. */
	h = orig;
	h.ts += 1;
	put_head(&h);
	expect_bad(0, 4, "forged");
	put_head(&orig);
	expect_ok(7, 2);

	/* Another key with its own valid signature over the same head. */
	h = orig;
	memcpy(h.pk, pk, sizeof pk);
	ref_head_msg(4, h.root, h.ts, msg);
	crypto_sign_detached(h.sig, NULL, msg, sizeof msg, sk);
	assert_int_equal(crypto_sign_verify_detached(h.sig, msg, sizeof msg,
			     pk),
	    0);
	put_head(&h);
	expect_bad(0, 4, "forged");
	put_head(&orig);
	expect_ok(7, 2);

	/* The old signature under someone else's public key. */
	h = orig;
	memcpy(h.pk, pk, sizeof pk);
	put_head(&h);
	expect_bad(0, 4, "forged");
	put_head(&orig);

	/* A malformed head (a short root). */
	tamper("UPDATE audit_heads SET root = X'0102' WHERE size = 4");
	expect_bad(0, 4, "malformed");
	put_head(&orig);
	expect_ok(7, 2);

	/* A head added by an attacker, with their own key, over entries
	 * they appended (the triggers allow INSERT). */
	fill(2);
	ref_root(9, root);
	memset(&h, 0, sizeof h);
	h.size = 9;
	h.ts = orig.ts + 1000;
	memcpy(h.root, root, MERKLE_HASH);
	memcpy(h.pk, pk, sizeof pk);
	ref_head_msg(9, root, h.ts, msg);
	crypto_sign_detached(h.sig, NULL, msg, sizeof msg, sk);
	put_head(&h);
	expect_bad(0, 9, "forged");
	/* With this key's public key but the attacker's signature. */
	memcpy(h.pk, orig.pk, sizeof h.pk);
	put_head(&h);
	expect_bad(0, 9, "forged");
	tamper("DELETE FROM audit_heads WHERE size = 9");
	expect_ok(9, 2);
	sodium_memzero(sk, sizeof sk);
}

/* An edit with every leaf and every head remade under the attacker's key:
 * this home's key does not sign them. */
static void
test_tamper_resign_everything(void **state)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES],
	    sk[crypto_sign_SECRETKEYBYTES], msg[52];
	struct row r;
	struct head h;
	int64_t sizes[2] = { 3, 6 };
	int i;

	(void)state;
	fill(3);
	assert_int_equal(flush_size(), 3);
	fill(3);
	assert_int_equal(flush_size(), 6);
	crypto_sign_keypair(pk, sk);
	assert_true(get_row(2, &r));
	free(r.detail);
	r.detail = xstrdup("{\"rewritten\":true}");
	ref_row_leaf(&r, r.leaf);
	put_row(&r);
	free(r.detail);
	for (i = 0; i < 2; i++) {
		assert_true(get_head(sizes[i], &h));
		ref_root(sizes[i], h.root);
		memcpy(h.pk, pk, sizeof pk);
		ref_head_msg((uint64_t)sizes[i], h.root, h.ts, msg);
		crypto_sign_detached(h.sig, NULL, msg, sizeof msg, sk);
		put_head(&h);
	}
	expect_bad(0, 3, "forged");
	sodium_memzero(sk, sizeof sk);
}

/* ---- sanitising ---- */

static json_t *
clean(const char *text)
{
	json_t *in = json_loads(text, 0, NULL), *out;
	char *before, *after;

	assert_non_null(in);
	before = json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS);
	out = audit_sanitize(in);
	assert_non_null(out);
	/* The caller keeps its detail as it was. */
	after = json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(in);
	return out;
}

static const char *
str_at(const json_t *o, const char *path)
{
	char buf[128], *p, *save = NULL;
	const json_t *v = o;

	snprintf(buf, sizeof buf, "%s", path);
	for (p = strtok_r(buf, ".", &save); p != NULL && v != NULL;
	     p = strtok_r(NULL, ".", &save)) {
		if (json_is_array(v))
			v = json_array_get(v, (size_t)atoi(p));
		else
			v = json_object_get(v, p);
	}
	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

static void
test_sanitize_keys(void **state)
{
	json_t *c;
	char *text;

	(void)state;
	c = clean("{\"api_key\": \"abc123\", \"token\": \"t0k3n\", "
		  "\"password\": \"hunter2\", \"Authorization\": \"Basic "
		  "dXNlcjpwYXNz\", \"key\": \"config.name\", "
		  "\"Passwd\": \"x\", \"client_secret\": \"s\", "
		  "\"Cookie\": \"c=1\", \"credentials\": {\"u\": \"v\"}, "
		  "\"apikey\": \"k\", \"private_key\": \"pk\", "
		  "\"openai_key\": \"o\", \"signing_key\": [1, 2], "
		  "\"ACCESS_TOKEN\": 12345, \"keys\": [\"a\"], "
		  "\"monkey\": \"banana\", \"keyboard\": \"qwerty\", "
		  "\"name\": \"visible\", \"n\": 3, \"f\": 1.5, "
		  "\"b\": false, \"z\": null}");
	assert_string_equal(str_at(c, "api_key"), "<redacted>");
	assert_string_equal(str_at(c, "token"), "<redacted>");
	assert_string_equal(str_at(c, "password"), "<redacted>");
	assert_string_equal(str_at(c, "Authorization"), "<redacted>");
	assert_string_equal(str_at(c, "Passwd"), "<redacted>");
	assert_string_equal(str_at(c, "client_secret"), "<redacted>");
	assert_string_equal(str_at(c, "Cookie"), "<redacted>");
	assert_string_equal(str_at(c, "credentials"), "<redacted>");
	assert_string_equal(str_at(c, "apikey"), "<redacted>");
	assert_string_equal(str_at(c, "private_key"), "<redacted>");
	assert_string_equal(str_at(c, "openai_key"), "<redacted>");
	assert_string_equal(str_at(c, "signing_key"), "<redacted>");
	assert_string_equal(str_at(c, "ACCESS_TOKEN"), "<redacted>");
	/* A bare "key" names something; so do words that contain "key". */
	assert_string_equal(str_at(c, "key"), "config.name");
	assert_string_equal(str_at(c, "keys.0"), "a");
	assert_string_equal(str_at(c, "monkey"), "banana");
	assert_string_equal(str_at(c, "keyboard"), "qwerty");
	assert_string_equal(str_at(c, "name"), "visible");
	assert_int_equal(json_integer_value(json_object_get(c, "n")), 3);
	assert_true(json_real_value(json_object_get(c, "f")) == 1.5);
	assert_true(json_is_false(json_object_get(c, "b")));
	assert_true(json_is_null(json_object_get(c, "z")));
	assert_int_equal(json_object_size(c), 22);
	text = json_dumps(c, JSON_COMPACT);
	assert_null(strstr(text, "abc123"));
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "dXNlcjpwYXNz"));
	assert_null(strstr(text, "12345"));
	free(text);
	json_decref(c);
}

static void
test_sanitize_values(void **state)
{
	json_t *c;

	(void)state;
	c = clean("{\"a\": \"sk-ant-api03-AAAAAAAAAAAAAAAAAAAA\", "
		  "\"b\": \"oxt_0123456789abcdef0123\", "
		  "\"c\": \"sk-proj-ABCDEFGHIJKLMNOP\", "
		  "\"d\": \"ghp_0123456789abcdefghij\", "
		  "\"e\": \"Bearer oxt_0123456789abcdef\", "
		  "\"f\": \"AKIAIOSFODNN7EXAMPLE\", "
		  "\"g\": \"xoxb-123456789012-abcdef\", "
		  "\"h\": \"github_pat_11ABCDEFG0123456789\", "
		  "\"path\": \"notes/sk.txt\", \"word\": \"skating\", "
		  "\"list\": [\"plain\", \"sk-ant-0123456789abcdef\"]}");
	assert_string_equal(str_at(c, "a"), "<redacted>");
	assert_string_equal(str_at(c, "b"), "<redacted>");
	assert_string_equal(str_at(c, "c"), "<redacted>");
	assert_string_equal(str_at(c, "d"), "<redacted>");
	assert_string_equal(str_at(c, "e"), "<redacted>");
	assert_string_equal(str_at(c, "f"), "<redacted>");
	assert_string_equal(str_at(c, "g"), "<redacted>");
	assert_string_equal(str_at(c, "h"), "<redacted>");
	assert_string_equal(str_at(c, "path"), "notes/sk.txt");
	assert_string_equal(str_at(c, "word"), "skating");
	assert_string_equal(str_at(c, "list.0"), "plain");
	assert_string_equal(str_at(c, "list.1"), "<redacted>");
	json_decref(c);
}

static void
test_sanitize_long_and_nested(void **state)
{
	char *big = xmalloc(5001), *edge = xmalloc(AUDIT_MAX_STRING + 2);
	unsigned char h[16];
	char hex[33], *text;
	json_t *in, *c, *s, *deep, *cur;
	int i;

	(void)state;
	memset(big, 'x', 5000);
	big[5000] = '\0';
	memcpy(big + 100, "password=hunter2", 16);
	memset(edge, 'y', AUDIT_MAX_STRING + 1);
	edge[AUDIT_MAX_STRING + 1] = '\0';
	in = json_pack("{s:s, s:s%, s:s%, s:{s:[s, {s:s, s:s}]}}", "big", big,
	    "at_limit", edge, (size_t)AUDIT_MAX_STRING, "over_limit", edge,
	    (size_t)AUDIT_MAX_STRING + 1, "outer", "inner", big, "password",
	    "p", "ok", "fine");
	c = audit_sanitize(in);

	/* Over the limit: {bytes, blake2b_128} instead. */
	s = json_object_get(c, "big");
	assert_true(json_is_object(s));
	assert_int_equal(json_integer_value(json_object_get(s, "bytes")), 5000);
	crypto_generichash(h, sizeof h, (const unsigned char *)big, 5000, NULL,
	    0);
	hex_of(h, sizeof h, hex);
	assert_string_equal(json_string_value(
				json_object_get(s, "blake2b_128")),
	    hex);
	assert_int_equal(json_object_size(s), 2);
	assert_int_equal(strlen(str_at(c, "at_limit")), AUDIT_MAX_STRING);
	s = json_object_get(c, "over_limit");
	assert_int_equal(json_integer_value(json_object_get(s, "bytes")),
	    AUDIT_MAX_STRING + 1);
	crypto_generichash(h, sizeof h, (const unsigned char *)edge,
	    AUDIT_MAX_STRING + 1, NULL, 0);
	hex_of(h, sizeof h, hex);
	assert_string_equal(json_string_value(
				json_object_get(s, "blake2b_128")),
	    hex);

	/* Nested objects and arrays are cleaned all the way down. */
	s = json_array_get(json_object_get(json_object_get(c, "outer"),
			       "inner"),
	    0);
	assert_int_equal(json_integer_value(json_object_get(s, "bytes")), 5000);
	assert_string_equal(str_at(c, "outer.inner.1.password"), "<redacted>");
	assert_string_equal(str_at(c, "outer.inner.1.ok"), "fine");
	text = json_dumps(c, JSON_COMPACT);
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "xxxxxxxx"));
	free(text);
	json_decref(c);
	json_decref(in);

	/* Very deep nesting ends (no recursion without bound); a secret down
	 * there does not come through. */
	deep = json_object();
	cur = deep;
	for (i = 0; i < 200; i++) {
		json_t *next = json_object();

		json_object_set_new(cur, i % 2 ? "o" : "a", next);
		cur = next;
	}
	json_object_set_new(cur, "password", json_string("deep-secret"));
	json_object_set_new(cur, "v", json_string("sk-ant-deepdeepdeep"));
	c = audit_sanitize(deep);
	text = json_dumps(c, JSON_COMPACT);
	assert_non_null(text);
	assert_null(strstr(text, "deep-secret"));
	assert_null(strstr(text, "deepdeepdeep"));
	free(text);
	json_decref(c);
	json_decref(deep);

	/* Not an object: an empty one. */
	in = json_pack("[s]", "sk-ant-0123456789abcdef");
	c = audit_sanitize(in);
	assert_true(json_is_object(c));
	assert_int_equal(json_object_size(c), 0);
	json_decref(c);
	json_decref(in);
	c = audit_sanitize(NULL);
	assert_true(json_is_object(c) && json_object_size(c) == 0);
	json_decref(c);
	free(big);
	free(edge);
}

/* What is stored is the sanitised detail: the secrets are not in the
 * database file at all. */
static void
test_sanitize_on_append(void **state)
{
	struct row r;
	char *big = xmalloc(3001);
	json_t *d;
	char *cause = NULL;
	FILE *f;
	char *file;
	long n;

	(void)state;
	memset(big, 'q', 3000);
	big[3000] = '\0';
	d = json_pack("{s:s, s:{s:s, s:[s]}, s:s, s:s}", "api_key",
	    "SEKRIT-api-value-1", "http", "Authorization",
	    "SEKRIT-auth-value-2", "args", "sk-ant-SEKRIT-value-3", "content",
	    big, "key", "providers.openai.api_key");
	assert_int_equal(audit_append(db, "user", AUDIT_CONFIG_CHANGE,
			     "providers.openai.api_key", d, &cause),
	    1);
	json_decref(d);
	assert_true(get_row(1, &r));
	assert_null(strstr(r.detail, "SEKRIT"));
	assert_null(strstr(r.detail, "qqqqqqqq"));
	assert_non_null(strstr(r.detail, "\"api_key\":\"<redacted>\""));
	assert_non_null(strstr(r.detail, "\"bytes\":3000"));
	assert_non_null(
	    strstr(r.detail, "\"key\":\"providers.openai.api_key\""));
	free(r.detail);
	assert_int_equal(flush_size(), 1);
	expect_ok(1, 1);
	/* Checkpointed into the main file, which holds no secret either. */
	assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL,
			     SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
	    SQLITE_OK);
	assert_non_null(f = fopen(tdb.path, "rb"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	file = xmalloc((size_t)n + 1);
	assert_int_equal(fread(file, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_null(memmem(file, (size_t)n, "SEKRIT", 6));
	free(file);
	free(big);
}

/* ---- proofs ---- */

static void
unhex_list(const json_t *a, merkle_hash *out, int *n)
{
	size_t i;

	assert_true(json_is_array(a));
	assert_true(json_array_size(a) <= MERKLE_MAX_PROOF);
	for (i = 0; i < json_array_size(a); i++)
		assert_int_equal(merkle_unhex(json_string_value(
						  json_array_get(a, i)),
				     out[i]),
		    0);
	*n = (int)json_array_size(a);
}

static void
test_proofs(void **state)
{
	static const int sizes[] = { 1, 2, 3, 4, 5, 7, 8, 9, 16, 17 };
	merkle_hash roots[18], root, leaf, proof[MERKLE_MAX_PROOF], from;
	struct row r;
	json_t *h, *p, *c;
	char *cause = NULL;
	int size, si = 0, len, m;
	int64_t seq;

	(void)state;
	for (size = 1; size <= 17; size++) {
		fill(1);
		/* A head at every size: the roots signed along the way. */
		h = flush();
		assert_int_equal(json_integer_value(json_object_get(h, "size")),
		    size);
		assert_int_equal(merkle_unhex(json_string_value(
						  json_object_get(h, "root")),
				     roots[size]),
		    0);
		json_decref(h);
		if (size != sizes[si])
			continue;
		si++;
		for (seq = 1; seq <= size; seq++) {
			p = audit_prove(db, seq, 0, &cause);
			if (p == NULL)
				fail_msg("prove %lld of %d: %s", (long long)seq,
				    size, cause);
			assert_int_equal(json_integer_value(
					     json_object_get(p, "seq")),
			    seq);
			assert_int_equal(json_integer_value(
					     json_object_get(p, "size")),
			    size);
			assert_int_equal(merkle_unhex(json_string_value(
							  json_object_get(p,
							      "root")),
					     root),
			    0);
			assert_memory_equal(root, roots[size], MERKLE_HASH);
			assert_int_equal(json_integer_value(
					     json_object_get(json_object_get(p,
								 "head"),
						 "size")),
			    size);
			assert_int_equal(merkle_unhex(json_string_value(
							  json_object_get(p,
							      "leaf")),
					     leaf),
			    0);
			/* The leaf is the entry's, recomputed. */
			assert_true(get_row(seq, &r));
			ref_row_leaf(&r, r.leaf);
			assert_memory_equal(leaf, r.leaf, MERKLE_HASH);
			free(r.detail);
			unhex_list(json_object_get(p, "inclusion"), proof,
			    &len);
			if (!merkle_inclusion_verify(leaf, (uint64_t)seq - 1,
				(uint64_t)size, proof, len, roots[size]))
				fail_msg("inclusion of %lld in %d does not "
					 "verify",
				    (long long)seq, size);
			/* ... and it is a proof of this leaf only. */
			leaf[0] ^= 1;
			assert_false(
			    merkle_inclusion_verify(leaf, (uint64_t)seq - 1,
				(uint64_t)size, proof, len, roots[size]));
			assert_null(json_object_get(p, "consistency"));
			json_decref(p);
		}
		/* Consistency with every older signed head. */
		for (m = 1; m <= size; m++) {
			p = audit_prove(db, 1, m, &cause);
			if (p == NULL)
				fail_msg("prove from %d to %d: %s", m, size,
				    cause);
			c = json_object_get(p, "consistency");
			assert_non_null(c);
			assert_int_equal(json_integer_value(
					     json_object_get(c, "from_size")),
			    m);
			assert_int_equal(merkle_unhex(json_string_value(
							  json_object_get(c,
							      "from_root")),
					     from),
			    0);
			assert_memory_equal(from, roots[m], MERKLE_HASH);
			unhex_list(json_object_get(c, "proof"), proof, &len);
			if (!merkle_consistency_verify((uint64_t)m,
				(uint64_t)size, roots[m], roots[size], proof,
				len))
				fail_msg("consistency %d -> %d does not "
					 "verify",
				    m, size);
			if (m < size) {
				from[5] ^= 0x10;
				assert_false(
				    merkle_consistency_verify((uint64_t)m,
					(uint64_t)size, from, roots[size],
					proof, len));
			}
			json_decref(p);
		}
	}
	expect_ok(17, 17);

	/* An entry newer than every head: a head is signed for it. */
	fill(1);
	p = audit_prove(db, 18, 17, &cause);
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "size")), 18);
	json_decref(p);
	assert_int_equal(count_rows("audit_heads"), 18);
	/* No such entry. */
	assert_null(audit_prove(db, 19, 0, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "no entry"));
	free(cause);
	cause = NULL;
	assert_null(audit_prove(db, 0, 0, &cause));
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	/* A log that no longer matches its head gives no proof. */
	tamper("UPDATE audit_log SET leaf = zeroblob(32) WHERE seq = 3");
	assert_null(audit_prove(db, 1, 0, &cause));
	assert_non_null(cause);
	free(cause);
}

/* ---- export ---- */

struct lines {
	char **l;
	size_t n;
};

static void
lines_free(struct lines *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->l[i]);
	free(x->l);
	x->l = NULL;
	x->n = 0;
}

static void
export_lines(struct lines *x)
{
	char path[128], *cause = NULL, *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	snprintf(path, sizeof path, "%s/export.ndjson", tdb.dir);
	assert_non_null(f = fopen(path, "w"));
	if (audit_export(db, f, &cause) != 0)
		fail_msg("audit_export: %s", cause);
	fclose(f);
	assert_non_null(f = fopen(path, "r"));
	x->l = NULL;
	x->n = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		assert_int_equal(line[len - 1], '\n');
		x->l = xreallocarray(x->l, x->n + 1, sizeof *x->l);
		x->l[x->n++] = xstrdup(line);
	}
	free(line);
	fclose(f);
}

/* Verify lines (in this order) as a file; NULL with *cause on error. */
static json_t *
verify_lines(const struct lines *x, const char *key, char **cause)
{
	char path[128];
	json_t *r;
	size_t i;
	FILE *f;

	snprintf(path, sizeof path, "%s/check.ndjson", tdb.dir);
	assert_non_null(f = fopen(path, "w"));
	for (i = 0; i < x->n; i++)
		fputs(x->l[i], f);
	fclose(f);
	assert_non_null(f = fopen(path, "r"));
	*cause = NULL;
	r = audit_verify_file(f, key, cause);
	fclose(f);
	return r;
}

static void
expect_file_ok(const struct lines *x, const char *key, int64_t entries,
    int64_t heads)
{
	char *cause = NULL;
	json_t *r = verify_lines(x, key, &cause);

	if (r == NULL)
		fail_msg("audit_verify_file: %s", cause);
	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("export: not ok: %s", problem_of(r));
	assert_int_equal(json_integer_value(json_object_get(r, "entries")),
	    entries);
	assert_int_equal(json_integer_value(json_object_get(r, "heads")),
	    heads);
	json_decref(r);
}

static void
expect_file_bad(const struct lines *x, const char *key, int64_t seq,
    int64_t head, const char *word)
{
	char *cause = NULL;
	json_t *r = verify_lines(x, key, &cause);

	if (r == NULL)
		fail_msg("audit_verify_file: %s", cause);
	expect_bad_report(r, seq, head, word);
	json_decref(r);
}

static void
expect_file_error(const struct lines *x, const char *key, const char *word)
{
	char *cause = NULL;
	json_t *r = verify_lines(x, key, &cause);

	if (r != NULL)
		fail_msg("verified (%s), expected an error with '%s'",
		    json_is_true(json_object_get(r, "ok")) ? "ok" :
							     problem_of(r),
		    word);
	assert_non_null(cause);
	if (strstr(cause, word) == NULL)
		fail_msg("error '%s' does not say '%s'", cause, word);
	free(cause);
}

static size_t
line_of(const struct lines *x, const char *type, int64_t n)
{
	char want[64];
	size_t i;

	snprintf(want, sizeof want, "\"%s\":%lld,",
	    strcmp(type, "entry") == 0 ? "seq" : "size", (long long)n);
	for (i = 0; i < x->n; i++) {
		char t[32];

		snprintf(t, sizeof t, "\"type\":\"%s\"", type);
		if (strstr(x->l[i], t) != NULL && strstr(x->l[i], want) != NULL)
			return i;
	}
	fail_msg("no %s %lld in the export", type, (long long)n);
	return 0;
}

static void
replace_in(char **line, const char *from, const char *to)
{
	char *p = strstr(*line, from), *n;

	if (p == NULL)
		fail_msg("'%s' not in %s", from, *line);
	n = xmalloc(strlen(*line) - strlen(from) + strlen(to) + 1);
	memcpy(n, *line, (size_t)(p - *line));
	strcpy(n + (p - *line), to);
	strcat(n, p + strlen(from));
	free(*line);
	*line = n;
}

/* A copy of x. */
static void
lines_copy(const struct lines *x, struct lines *y)
{
	size_t i;

	y->n = x->n;
	y->l = xcalloc(x->n, sizeof *y->l);
	for (i = 0; i < x->n; i++)
		y->l[i] = xstrdup(x->l[i]);
}

static void
lines_drop(struct lines *x, size_t i)
{
	free(x->l[i]);
	memmove(&x->l[i], &x->l[i + 1], (x->n - i - 1) * sizeof *x->l);
	x->n--;
}

static void
test_export_verify_file(void **state)
{
	struct lines x, y;
	json_t *head, *j;
	char pk[2 * crypto_sign_PUBLICKEYBYTES + 1], other[sizeof pk];
	char *cause = NULL, *s, leafhex[2 * MERKLE_HASH + 1];
	unsigned char opk[crypto_sign_PUBLICKEYBYTES],
	    osk[crypto_sign_SECRETKEYBYTES];
	merkle_hash leaf;
	size_t i;

	(void)state;
	fill(9);
	assert_int_equal(flush_size(), 9);
	fill(3);
	head = flush();
	snprintf(pk, sizeof pk, "%s",
	    json_string_value(json_object_get(head, "public_key")));
	json_decref(head);
	export_lines(&x);
	assert_int_equal(x.n, 14);
	/* Entries in order, then heads; every line an object with a type. */
	for (i = 0; i < x.n; i++) {
		assert_non_null(j = json_loads(x.l[i], 0, NULL));
		assert_string_equal(json_string_value(
					json_object_get(j, "type")),
		    i < 12 ? "entry" : "head");
		if (i < 12)
			assert_int_equal(json_integer_value(
					     json_object_get(j, "seq")),
			    (json_int_t)i + 1);
		json_decref(j);
	}
	expect_file_ok(&x, pk, 12, 2);
	expect_file_ok(&x, NULL, 12, 2);
	/* The order of lines within the heads does not matter, nor heads
	 * before entries. */
	lines_copy(&x, &y);
	s = y.l[13];
	memmove(&y.l[1], &y.l[0], 13 * sizeof *y.l);
	y.l[0] = s;
	expect_file_ok(&y, pk, 12, 2);
	lines_free(&y);

	/* A detail edited in the text. */
	lines_copy(&x, &y);
	replace_in(&y.l[line_of(&y, "entry", 5)], "note-5", "note-6");
	expect_file_bad(&y, pk, 5, -1, "entry 5");
	expect_file_bad(&y, NULL, 5, -1, "entry 5");
	lines_free(&y);

	/* The actor edited and the leaf recomputed: the head of size 9. */
	lines_copy(&x, &y);
	i = line_of(&y, "entry", 6);
	assert_non_null(j = json_loads(y.l[i], 0, NULL));
	json_object_set_new(j, "actor", json_string("user"));
	ref_leaf(json_integer_value(json_object_get(j, "seq")),
	    json_integer_value(json_object_get(j, "ts_ms")),
	    json_string_value(json_object_get(j, "actor")),
	    json_string_value(json_object_get(j, "action")),
	    json_string_value(json_object_get(j, "resource")),
	    json_string_value(json_object_get(j, "detail")), leaf);
	hex_of(leaf, MERKLE_HASH, leafhex);
	json_object_set_new(j, "leaf", json_string(leafhex));
	free(y.l[i]);
	s = json_dumps(j, JSON_COMPACT);
	xasprintf(&y.l[i], "%s\n", s);
	free(s);
	json_decref(j);
	expect_file_bad(&y, pk, 0, 9, "signed head of size 9");
	lines_free(&y);

	/* An entry line dropped. */
	lines_copy(&x, &y);
	lines_drop(&y, line_of(&y, "entry", 4));
	expect_file_bad(&y, pk, 4, -1, "missing");
	lines_free(&y);
	/* The last entry line dropped: truncated. */
	lines_copy(&x, &y);
	lines_drop(&y, line_of(&y, "entry", 12));
	expect_file_bad(&y, pk, 12, 12, "truncated");
	lines_free(&y);

	/* Two entry lines exchanged. */
	lines_copy(&x, &y);
	s = y.l[6];
	y.l[6] = y.l[7];
	y.l[7] = s;
	expect_file_bad(&y, pk, 7, -1, "entry 7");
	lines_free(&y);

	/* A head's root changed. */
	lines_copy(&x, &y);
	i = line_of(&y, "head", 9);
	s = strstr(y.l[i], "\"root\":\"") + 8;
	*s = *s == '0' ? '1' : '0';
	expect_file_bad(&y, pk, 0, 9, "forged");
	expect_file_bad(&y, NULL, 0, 9, "forged");
	lines_free(&y);

	/* A head's signature changed. */
	lines_copy(&x, &y);
	i = line_of(&y, "head", 12);
	s = strstr(y.l[i], "\"signature\":\"") + 13;
	*s = *s == 'a' ? 'b' : 'a';
	expect_file_bad(&y, pk, 0, 12, "forged");
	lines_free(&y);

	/* Another key: its public key and a valid signature by it. */
	crypto_sign_keypair(opk, osk);
	hex_of(opk, sizeof opk, other);
	expect_file_bad(&x, other, 0, 9, "forged");
	lines_copy(&x, &y);
	for (i = 12; i < 14; i++) {
		unsigned char msg[52], sig[crypto_sign_BYTES];
		char sighex[2 * crypto_sign_BYTES + 1];
		merkle_hash root;

		assert_non_null(j = json_loads(y.l[i], 0, NULL));
		assert_int_equal(merkle_unhex(json_string_value(
						  json_object_get(j, "root")),
				     root),
		    0);
		ref_head_msg((uint64_t)json_integer_value(
				 json_object_get(j, "size")),
		    root, json_integer_value(json_object_get(j, "ts_ms")), msg);
		crypto_sign_detached(sig, NULL, msg, sizeof msg, osk);
		hex_of(sig, sizeof sig, sighex);
		json_object_set_new(j, "signature", json_string(sighex));
		json_object_set_new(j, "public_key", json_string(other));
		free(y.l[i]);
		s = json_dumps(j, JSON_COMPACT);
		xasprintf(&y.l[i], "%s\n", s);
		free(s);
		json_decref(j);
	}
	/* Against this home's key: forged; against the other: fine. */
	expect_file_bad(&y, pk, 0, 9, "forged");
	expect_file_ok(&y, other, 12, 2);
	/* One head of each key, and no key given: they disagree. */
	free(y.l[13]);
	y.l[13] = xstrdup(x.l[13]);
	expect_file_bad(&y, NULL, 0, 12, "forged");
	lines_free(&y);
	sodium_memzero(osk, sizeof osk);

	/* Malformed files: clear errors naming the line. */
	lines_copy(&x, &y);
	free(y.l[2]);
	y.l[2] = xstrdup("this is not json\n");
	expect_file_error(&y, pk, "line 3");
	expect_file_error(&y, pk, "not JSON");
	free(y.l[2]);
	y.l[2] = xstrdup("{\"type\":\"mystery\",\"seq\":3}\n");
	expect_file_error(&y, pk, "line 3: neither an entry nor a head");
	free(y.l[2]);
	y.l[2] = xstrdup("[1,2,3]\n");
	expect_file_error(&y, pk, "line 3");
	lines_free(&y);
	lines_copy(&x, &y);
	replace_in(&y.l[13], "\"root\":\"", "\"root\":\"zz");
	expect_file_error(&y, pk, "line 14: a malformed head");
	lines_free(&y);
	lines_copy(&x, &y);
	replace_in(&y.l[12], "\"public_key\":\"", "\"public_key\":\"00");
	expect_file_error(&y, NULL, "line 13: a malformed head");
	lines_free(&y);
	expect_file_error(&x, "not-hex", "public key");
	pk[10] = '\0';
	expect_file_error(&x, pk, "public key");
	/* An empty file: nothing to check, nothing wrong. */
	y.l = NULL;
	y.n = 0;
	expect_file_ok(&y, NULL, 0, 0);
	lines_free(&x);
	(void)cause;
}

/* The export of a log with an entry edited in the database does not
 * verify either. */
static void
test_export_of_tampered_db(void **state)
{
	struct lines x;
	char *cause = NULL;
	json_t *r;

	(void)state;
	fill(5);
	assert_int_equal(flush_size(), 5);
	tamper("UPDATE audit_log SET resource = 'elsewhere' WHERE seq = 2");
	export_lines(&x);
	r = verify_lines(&x, NULL, &cause);
	assert_non_null(r);
	expect_bad_report(r, 2, -1, "entry 2");
	json_decref(r);
	lines_free(&x);
}

/* ---- the switch ---- */

static void
test_disabled(void **state)
{
	char *cause = NULL;
	json_t *d = json_pack("{s:s}", "what", "nothing");
	struct stat sb;
	char keypath[128];

	(void)state;
	audit_close();
	assert_int_equal(audit_open(0, 300, &cause), 0);
	assert_int_equal(audit_append(db, "user", AUDIT_TOOL_CALL, "write", d,
			     &cause),
	    0);
	assert_null(cause);
	audit_note(db, "user", AUDIT_AUTH, "/api/x", d);
	assert_int_equal(count_rows("audit_log"), 0);
	assert_null(audit_flush(db, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "off"));
	free(cause);
	cause = NULL;
	assert_int_equal(count_rows("audit_heads"), 0);
	/* No key was made for it. */
	snprintf(keypath, sizeof keypath, "%s/audit/signing.key", tdb.dir);
	assert_int_not_equal(stat(keypath, &sb), 0);
	/* Back on: appends again, from 1. */
	assert_int_equal(audit_open(1, 300, &cause), 0);
	assert_int_equal(audit_append(db, "user", AUDIT_TOOL_CALL, "write", d,
			     &cause),
	    1);
	json_decref(d);
	assert_int_equal(flush_size(), 1);
	expect_ok(1, 1);
}

/* ---- a batch ---- */

static void
test_batch_of_10000(void **state)
{
	json_t *d, *p;
	char *cause = NULL;
	int i;

	(void)state;
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	for (i = 1; i <= 10000; i++) {
		d = json_pack("{s:i, s:s}", "i", i, "path", "notes.txt");
		if (audit_append(db, "agent:batch", AUDIT_TOOL_CALL, "write", d,
			&cause) != i)
			fail_msg("append %d: %s", i, cause);
		json_decref(d);
	}
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(count_rows("audit_log"), 10000);
	assert_int_equal(flush_size(), 10000);
	expect_ok(10000, 1);
	p = audit_prove(db, 7777, 0, &cause);
	assert_non_null(p);
	assert_int_equal(json_array_size(json_object_get(p, "inclusion")), 14);
	json_decref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_flush_verify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_append_in_caller_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_audited_write_is_one_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_fields_cut, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_triggers_refuse_changes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_each_field, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_recomputed_leaf,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_row, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_row_unsigned,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_swap_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_truncate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_heads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_resign_everything,
		    setup, teardown),
		cmocka_unit_test(test_sanitize_keys),
		cmocka_unit_test(test_sanitize_values),
		cmocka_unit_test(test_sanitize_long_and_nested),
		cmocka_unit_test_setup_teardown(test_sanitize_on_append, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proofs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_verify_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_export_of_tampered_db,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_of_10000, setup,
		    teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
