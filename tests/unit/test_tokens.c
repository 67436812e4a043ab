/*
 * test_tokens.c — API tokens with roles: create (shown once, only the
 * hash stored), check, roles and names, expiry, revoke, last_used_at,
 * the audit entries (never the token), auth_check() over the table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "tmpdb.h"

#include "kernel/usage.h"
#include "security/audit.h"
#include "security/auth.h"
#include "security/tokens.h"
#include "store/db.h"
#include "util/time.h"

static struct tmpdb tdb;
static sqlite3 *db; /* tdb.db */

static int
setup(void **state)
{
	char *cause = NULL;

	(void)state;
	if (tmpdb_setup_home(&tdb, "tokens") != 0)
		return -1;
	db = tdb.db;
	auth_reset();
	tokens_reset();
	return audit_open(1, 300, &cause);
}

static int
teardown(void **state)
{
	(void)state;
	audit_close();
	tmpdb_teardown(&tdb);
	db = NULL;
	auth_reset();
	tokens_reset();
	unsetenv("OXIOS_HOME");
	return 0;
}

/* Make a token; fails the test if it cannot. */
static void
make(const char *name, int role, int64_t expires,
    char token[AUTH_TOKEN_LEN + 1])
{
	char *cause = NULL;

	if (tokens_create(db, name, role, expires, "token:admin", token, NULL,
		&cause) != 0)
		fail_msg("create %s: %s", name, cause);
}

/* How many rows of `sql` (one count column). */
static long long
count(const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_create_and_check(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], bad[AUTH_TOKEN_LEN + 1];
	unsigned char hash[AUTH_HASH_LEN];
	struct auth_identity id;
	char *cause = NULL;
	json_t *row = NULL;
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(tokens_create(db, "ci-bot", AUTH_ROLE_OPERATOR, 0,
			     "token:admin", tok, &row, &cause),
	    0);
	assert_int_equal(strlen(tok), AUTH_TOKEN_LEN);
	assert_int_equal(strncmp(tok, "oxt_", 4), 0);
	assert_string_equal(json_string_value(json_object_get(row, "name")),
	    "ci-bot");
	assert_string_equal(json_string_value(json_object_get(row, "role")),
	    "operator");
	assert_string_equal(json_string_value(json_object_get(row, "state")),
	    "active");
	assert_true(json_is_null(json_object_get(row, "expires_at")));
	assert_null(json_object_get(row, "token"));
	assert_int_equal(strncmp(json_string_value(json_object_get(row, "id")),
			     "tok_", 4),
	    0);
	json_decref(row);

	/* Only the hash is stored: no column holds the token. */
	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT hash, id || name || role || created_by "
			     "FROM api_tokens",
			     -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	auth_hash(tok, hash);
	assert_int_equal(sqlite3_column_bytes(st, 0), AUTH_HASH_LEN);
	assert_memory_equal(sqlite3_column_blob(st, 0), hash, AUTH_HASH_LEN);
	assert_null(strstr((const char *)sqlite3_column_text(st, 1), tok + 4));
	sqlite3_finalize(st);

	assert_int_equal(tokens_check(db, tok, time_wall_ms(), &id), TOKENS_OK);
	assert_string_equal(id.name, "ci-bot");
	assert_string_equal(id.actor, "token:ci-bot");
	assert_int_equal(id.role, AUTH_ROLE_OPERATOR);
	assert_int_equal(id.expires_at, 0);
	/* One character off, a prefix, nothing. */
	memcpy(bad, tok, sizeof tok);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_int_equal(tokens_check(db, bad, time_wall_ms(), &id),
	    TOKENS_UNKNOWN);
	assert_int_equal(id.role, AUTH_ROLE_NONE);
	bad[AUTH_TOKEN_LEN - 1] = '\0';
	assert_int_equal(tokens_check(db, bad, time_wall_ms(), &id),
	    TOKENS_UNKNOWN);
	assert_int_equal(tokens_check(db, "", time_wall_ms(), &id),
	    TOKENS_UNKNOWN);
	assert_int_equal(tokens_check(db, NULL, time_wall_ms(), &id),
	    TOKENS_UNKNOWN);

	/* Through auth_check: no admin token file, no extra key. */
	assert_int_equal(auth_check(db, tok, NULL, &id), AUTH_OK);
	assert_string_equal(id.name, "ci-bot");
	assert_int_equal(auth_check(NULL, tok, NULL, &id), 0);
	assert_int_equal(auth_check(db, bad, NULL, &id), 0);
	sodium_memzero(tok, sizeof tok);
}

static void
test_names_and_roles(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], *cause = NULL;
	char longname[TOKENS_NAME_MAX + 2];

	(void)state;
	assert_string_equal(tokens_role_name(AUTH_ROLE_VIEWER), "viewer");
	assert_string_equal(tokens_role_name(AUTH_ROLE_ADMIN), "admin");
	assert_null(tokens_role_name(AUTH_ROLE_NONE));
	assert_null(tokens_role_name(99));
	assert_int_equal(tokens_role_parse("operator"), AUTH_ROLE_OPERATOR);
	assert_int_equal(tokens_role_parse("root"), AUTH_ROLE_NONE);
	assert_int_equal(tokens_role_parse(NULL), AUTH_ROLE_NONE);

	assert_true(tokens_name_ok("grafana.read-1_x"));
	assert_false(tokens_name_ok(""));
	assert_false(tokens_name_ok(NULL));
	assert_false(tokens_name_ok("a b"));
	assert_false(tokens_name_ok("a/b"));
	assert_false(tokens_name_ok("admin"));
	assert_false(tokens_name_ok("api_key"));
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_false(tokens_name_ok(longname));
	longname[TOKENS_NAME_MAX] = '\0';
	assert_true(tokens_name_ok(longname));

	assert_int_equal(tokens_create(db, "bad name", AUTH_ROLE_VIEWER, 0,
			     "token:admin", tok, NULL, &cause),
	    -1);
	assert_string_equal(tok, "");
	free(cause);
	cause = NULL;
	assert_int_equal(tokens_create(db, "x", AUTH_ROLE_NONE, 0,
			     "token:admin", tok, NULL, &cause),
	    -1);
	free(cause);
	cause = NULL;
	/* An expiry in the past is refused. */
	assert_int_equal(tokens_create(db, "x", AUTH_ROLE_VIEWER,
			     time_wall_ms() - 1000, "token:admin", tok, NULL,
			     &cause),
	    -1);
	assert_non_null(strstr(cause, "passed"));
	free(cause);
	cause = NULL;
	/* Names are unique. */
	make("dup", AUTH_ROLE_VIEWER, 0, tok);
	assert_int_equal(tokens_create(db, "dup", AUTH_ROLE_ADMIN, 0,
			     "token:admin", tok, NULL, &cause),
	    -1);
	assert_non_null(strstr(cause, "exists"));
	free(cause);
	assert_int_equal(count("SELECT count(*) FROM api_tokens"), 1);
}

static void
test_expiry(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1];
	struct auth_identity id;
	int64_t now = time_wall_ms(), at, gone;
	char *cause = NULL;
	const char *name;
	json_t *list, *row;
	size_t i;

	(void)state;
	make("short", AUTH_ROLE_VIEWER, now + 60000, tok);
	assert_int_equal(tokens_check(db, tok, now, &id), TOKENS_OK);
	assert_int_equal(id.expires_at, now + 60000);
	assert_int_equal(tokens_check(db, tok, now + 59999, &id), TOKENS_OK);
	/* At the expiry it stops; the identity still says which it was. */
	assert_int_equal(tokens_check(db, tok, now + 60000, &id),
	    TOKENS_EXPIRED);
	assert_string_equal(id.name, "short");

	/* The expiry parser: forward from now, or a time. */
	assert_int_equal(usage_until_parse("30d", now, &at, &cause), 0);
	assert_int_equal(at, now + 30 * 86400000LL);
	assert_int_equal(usage_until_parse("24h", now, &at, &cause), 0);
	assert_int_equal(at, now + 86400000LL);
	assert_int_equal(usage_until_parse("2030-01-01T00:00:00Z", now, &at,
			     &cause),
	    0);
	assert_int_equal(at, 1893456000000LL);
	assert_int_equal(usage_until_parse("soon", now, &at, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(usage_until_parse("-3d", now, &at, &cause), -1);
	free(cause);
	cause = NULL;

	/*
	 * The list shows the state once it has passed (wall clock). The
	 * margin is wide enough for making the token under valgrind, where
	 * 1 ms had already passed by the time it was checked.
	 */
	gone = time_wall_ms() + 500;
	make("gone", AUTH_ROLE_VIEWER, gone, tok);
	while (time_wall_ms() <= gone)
		usleep(10 * 1000);
	list = tokens_list(db, &cause);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 2);
	json_array_foreach(list, i, row) {
		name = json_string_value(json_object_get(row, "name"));
		assert_string_equal(json_string_value(
					json_object_get(row, "state")),
		    strcmp(name, "gone") == 0 ? "expired" : "active");
		assert_false(json_is_null(json_object_get(row, "expires_at")));
	}
	json_decref(list);
}

static void
test_revoke(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], keep[AUTH_TOKEN_LEN + 1];
	char id[64], *cause = NULL;
	struct auth_identity who;
	json_t *list, *row;

	(void)state;
	make("by-name", AUTH_ROLE_ADMIN, 0, tok);
	make("by-id", AUTH_ROLE_VIEWER, 0, keep);
	assert_int_equal(tokens_revoke(db, "by-name", "token:admin", &cause),
	    1);
	assert_int_equal(tokens_check(db, tok, time_wall_ms(), &who),
	    TOKENS_EXPIRED);
	assert_int_equal(auth_check(db, tok, NULL, &who), AUTH_EXPIRED);
	assert_string_equal(who.name, "by-name");
	/* Twice: nothing live to revoke. */
	assert_int_equal(tokens_revoke(db, "by-name", "token:admin", &cause),
	    0);
	assert_null(cause);
	assert_int_equal(tokens_revoke(db, "nobody", "token:admin", &cause), 0);

	list = tokens_list(db, &cause);
	row = json_array_get(list, 0);
	if (strcmp(json_string_value(json_object_get(row, "name")), "by-id") !=
	    0)
		row = json_array_get(list, 1);
	snprintf(id, sizeof id, "%s",
	    json_string_value(json_object_get(row, "id")));
	json_decref(list);
	assert_int_equal(tokens_check(db, keep, time_wall_ms(), &who),
	    TOKENS_OK);
	assert_int_equal(tokens_revoke(db, id, "token:admin", &cause), 1);
	assert_int_equal(tokens_check(db, keep, time_wall_ms(), &who),
	    TOKENS_EXPIRED);

	list = tokens_list(db, &cause);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(list, 0),
				    "state")),
	    "revoked");
	assert_false(json_is_null(
	    json_object_get(json_array_get(list, 0), "revoked_at")));
	json_decref(list);
}

/* Each create and revoke is an auth entry naming the token, never it. */
static void
test_audited(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], *cause = NULL;
	json_t *entries, *e, *d;
	size_t i;
	int creates = 0, revokes = 0;
	char *dump;

	(void)state;
	make("audited", AUTH_ROLE_OPERATOR, 0, tok);
	assert_int_equal(tokens_revoke(db, "audited", "token:root-ish", &cause),
	    1);
	entries = audit_list(db, 0, 100, "auth", NULL, NULL, &cause);
	assert_non_null(entries);
	dump = json_dumps(entries, 0);
	assert_null(strstr(dump, tok + 4));
	free(dump);
	json_array_foreach(entries, i, e) {
		d = json_object_get(e, "detail");
		assert_string_equal(json_string_value(
					json_object_get(e, "resource")),
		    "token:audited");
		assert_string_equal(json_string_value(
					json_object_get(d, "role")),
		    "operator");
		assert_string_equal(json_string_value(
					json_object_get(d, "name")),
		    "audited");
		assert_int_equal(strncmp(json_string_value(
					     json_object_get(d, "id")),
				     "tok_", 4),
		    0);
		if (strcmp(json_string_value(json_object_get(d, "op")),
			"create") == 0) {
			creates++;
			assert_string_equal(json_string_value(
						json_object_get(e, "actor")),
			    "token:admin");
		} else {
			revokes++;
			assert_string_equal(json_string_value(
						json_object_get(e, "actor")),
			    "token:root-ish");
		}
	}
	assert_int_equal(creates, 1);
	assert_int_equal(revokes, 1);
	json_decref(entries);
}

/* Live tokens are cached; a revoke anywhere (tokens.gen) empties it. */
static void
test_cache(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], other[AUTH_TOKEN_LEN + 1];
	struct auth_identity id;
	char *path = NULL, *cause = NULL;

	(void)state;
	make("cached", AUTH_ROLE_OPERATOR, 0, tok);
	make("other", AUTH_ROLE_VIEWER, 0, other);
	assert_int_equal(tokens_check(db, tok, time_wall_ms(), &id), TOKENS_OK);
	/* Behind the module's back: the cache still answers... */
	assert_int_equal(sqlite3_exec(db,
			     "UPDATE api_tokens SET role = 'admin' WHERE "
			     "name = 'cached'",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(tokens_check(db, tok, time_wall_ms(), &id), TOKENS_OK);
	assert_int_equal(id.role, AUTH_ROLE_OPERATOR);
	/* ...until a revoke, here of another token, replaces tokens.gen. */
	assert_int_equal(tokens_revoke(db, "other", "user", &cause), 1);
	assert_int_equal(tokens_check(db, tok, time_wall_ms(), &id), TOKENS_OK);
	assert_int_equal(id.role, AUTH_ROLE_ADMIN);
	/* Another process's revoke: only the file changes under us. */
	assert_int_equal(sqlite3_exec(db,
			     "UPDATE api_tokens SET revoked_at = 1 WHERE "
			     "name = 'cached'",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(tokens_check(db, tok, time_wall_ms(), &id), TOKENS_OK);
	assert_int_equal(asprintf(&path, "%s/auth/tokens.gen", tdb.dir) > 0, 1);
	assert_int_equal(unlink(path), 0);
	free(path);
	assert_int_equal(tokens_check(db, tok, time_wall_ms(), &id),
	    TOKENS_EXPIRED);
	/* A cached token's expiry still counts on each use. */
	make("soon", AUTH_ROLE_VIEWER, time_wall_ms() + 60000, other);
	assert_int_equal(tokens_check(db, other, time_wall_ms(), &id),
	    TOKENS_OK);
	assert_int_equal(tokens_check(db, other, time_wall_ms() + 60000, &id),
	    TOKENS_EXPIRED);
}

/* last_used_at is written on use, then at most once a minute. */
static void
test_last_used(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1];
	struct auth_identity id;
	int64_t now = time_wall_ms();

	(void)state;
	make("used", AUTH_ROLE_VIEWER, 0, tok);
	assert_int_equal(count("SELECT count(*) FROM api_tokens WHERE "
			       "last_used_at IS NULL"),
	    1);
	assert_int_equal(tokens_check(db, tok, now, &id), TOKENS_OK);
	assert_int_equal(count("SELECT last_used_at FROM api_tokens"), now);
	assert_int_equal(tokens_check(db, tok, now + 30000, &id), TOKENS_OK);
	assert_int_equal(count("SELECT last_used_at FROM api_tokens"), now);
	assert_int_equal(tokens_check(db, tok, now + 61000, &id), TOKENS_OK);
	assert_int_equal(count("SELECT last_used_at FROM api_tokens"),
	    now + 61000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_check, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_names_and_roles, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_used, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
