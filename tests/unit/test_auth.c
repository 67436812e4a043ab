/* test_auth.c — the bearer token's hash file, checks, and tickets. */
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

#include "security/auth.h"
#include "util/file.h"
#include "tmpdir.h"

static char home[64];
static const struct auth_identity test_id = {
	.name = "ops",
	.role = AUTH_ROLE_OPERATOR,
	.actor = "token:ops",
};

static int
setup(void **state)
{
	(void)state;
	if (tmpdir_make(home, sizeof home, "auth") != 0)
		return -1;
	setenv("OXIOS_HOME", home, 1);
	auth_reset();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	auth_reset();
	tmpdir_remove(home);
	unsetenv("OXIOS_HOME");
	return 0;
}

static char *
read_hash_file(void)
{
	char *path = auth_token_path(), *data = NULL, *cause = NULL;
	size_t len;

	if (file_read(path, 4096, &data, &len, &cause) != 0)
		fail_msg("%s", cause);
	free(path);
	return data;
}

static void
test_create_and_check(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], other[AUTH_TOKEN_LEN + 1];
	char bad[AUTH_TOKEN_LEN + 2], *cause = NULL;
	unsigned char raw[32];

	(void)state;
	assert_int_equal(auth_token_exists(&cause), 0);
	assert_int_equal(auth_check(NULL, "oxt_anything", NULL, NULL), 0);
	assert_int_equal(auth_token_create(tok, &cause), 0);
	assert_int_equal(auth_token_exists(&cause), 1);
	assert_int_equal(strlen(tok), AUTH_TOKEN_LEN);
	assert_int_equal(strncmp(tok, "oxt_", 4), 0);
	assert_int_equal(strspn(tok + 4,
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789-_"),
	    AUTH_TOKEN_LEN - 4);

	assert_int_equal(auth_check(NULL, tok, NULL, NULL), 1);
	assert_int_equal(auth_check(NULL, tok, "", NULL), 1);
	/* One character changed. */
	memcpy(bad, tok, sizeof tok);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_check(NULL, bad, NULL, NULL), 0);
	/* A prefix, and the token with something after it. */
	memcpy(bad, tok, sizeof tok);
	bad[AUTH_TOKEN_LEN - 1] = '\0';
	assert_int_equal(auth_check(NULL, bad, NULL, NULL), 0);
	memcpy(bad, tok, sizeof tok);
	strcat(bad, "x");
	assert_int_equal(auth_check(NULL, bad, NULL, NULL), 0);
	assert_int_equal(auth_check(NULL, "", NULL, NULL), 0);
	assert_int_equal(auth_check(NULL, NULL, NULL, NULL), 0);
	assert_int_equal(auth_check(NULL, "oxt_", NULL, NULL), 0);

	/* Another, well-formed token that was never stored. */
	randombytes_buf(raw, sizeof raw);
	memcpy(other, "oxt_", 4);
	sodium_bin2base64(other + 4, sizeof other - 4, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_int_equal(strlen(other), AUTH_TOKEN_LEN);
	assert_int_equal(auth_check(NULL, other, NULL, NULL), 0);
}

static void
test_file_holds_only_the_hash(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], created[64], hex[65], dir[128];
	unsigned char h[32];
	char *data, *path, *cause = NULL, *line;
	struct stat st;

	(void)state;
	assert_int_equal(auth_token_create(tok, &cause), 0);
	path = auth_token_path();
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	free(path);
	snprintf(dir, sizeof dir, "%s/auth", home);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	data = read_hash_file();
	assert_null(strstr(data, tok));
	assert_null(strstr(data, tok + 4)); /* not even the random part */
	assert_int_equal(strncmp(data, "blake2b-256:", 12), 0);
	/* The stored hex is BLAKE2b-256 of the token text. */
	crypto_generichash(h, sizeof h, (const unsigned char *)tok, strlen(tok),
	    NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	assert_int_equal(strncmp(data + 12, hex, 64), 0);
	assert_int_equal(data[12 + 64], ':');
	line = data + 12 + 64 + 1;
	auth_token_created(created, sizeof created);
	assert_true(strlen(created) > 19);
	assert_int_equal(strncmp(line, created, strlen(created)), 0);
	assert_string_equal(line + strlen(created), "\n");
	free(data);
}

static void
test_rotate_refuses_old(void **state)
{
	char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
	char line[256], *path, *cause = NULL;
	unsigned char h[32];
	char hex[65];
	int len;

	(void)state;
	assert_int_equal(auth_token_create(t1, &cause), 0);
	assert_int_equal(auth_check(NULL, t1, NULL, NULL), 1); /* cached now */
	assert_int_equal(auth_token_create(t2, &cause), 0);
	assert_string_not_equal(t1, t2);
	assert_int_equal(auth_check(NULL, t1, NULL, NULL), 0);
	assert_int_equal(auth_check(NULL, t2, NULL, NULL), 1);

	/*
	 * Another process rotates (simulated by writing the file behind
	 * the module's back): the stat check alone must notice.
	 */
	crypto_generichash(h, sizeof h, (const unsigned char *)"oxt_other", 9,
	    NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	len = snprintf(line, sizeof line,
	    "blake2b-256:%s:2026-01-01T00:00:00.000Z\n", hex);
	path = auth_token_path();
	assert_int_equal(file_write_atomic(path, line, (size_t)len, 0600,
			     &cause),
	    0);
	assert_int_equal(auth_check(NULL, t2, NULL, NULL), 0);
	assert_int_equal(auth_check(NULL, "oxt_other", NULL, NULL), 1);

	/* The whole hash counts: one differing in its last byte refuses. */
	h[31] ^= 1;
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	len = snprintf(line, sizeof line,
	    "blake2b-256:%s:2026-01-01T00:00:00.000Z\n", hex);
	assert_int_equal(file_write_atomic(path, line, (size_t)len, 0600,
			     &cause),
	    0);
	assert_int_equal(auth_check(NULL, "oxt_other", NULL, NULL), 0);

	/* A damaged file: nothing but `extra` matches. */
	assert_int_equal(file_write_atomic(path, "garbage\n", 8, 0600, &cause),
	    0);
	assert_int_equal(auth_check(NULL, "oxt_other", NULL, NULL), 0);
	assert_int_equal(auth_check(NULL, "oxt_other", "oxt_other", NULL), 1);
	assert_int_equal(auth_token_exists(&cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	/* Removed: the same. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(auth_check(NULL, "oxt_other", NULL, NULL), 0);
	assert_int_equal(auth_token_exists(&cause), 0);
	assert_null(cause);

	/* Unreadable (a directory in its place) is not "no token". */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(auth_token_exists(&cause), -1);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(auth_check(NULL, "oxt_other", "x", NULL), 0);
	assert_int_equal(rmdir(path), 0);
	free(path);
}

static void
test_extra_key(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], *cause = NULL;
	struct auth_identity id;

	(void)state;
	assert_int_equal(auth_check(NULL, "ci-key-123", "ci-key-123", NULL), 1);
	assert_int_equal(auth_check(NULL, "ci-key-12", "ci-key-123", NULL), 0);
	assert_int_equal(auth_check(NULL, "ci-key-1234", "ci-key-123", NULL),
	    0);
	assert_int_equal(auth_check(NULL, "", "", NULL), 0);
	assert_int_equal(auth_token_create(tok, &cause), 0);
	/* Both are accepted side by side, each an admin of its own name. */
	assert_int_equal(auth_check(NULL, tok, "ci-key-123", &id), AUTH_OK);
	assert_string_equal(id.name, "admin");
	assert_string_equal(id.actor, "token:admin");
	assert_int_equal(id.role, AUTH_ROLE_ADMIN);
	assert_int_equal(auth_check(NULL, "ci-key-123", "ci-key-123", &id),
	    AUTH_OK);
	assert_string_equal(id.name, "api_key");
	assert_int_equal(id.role, AUTH_ROLE_ADMIN);
	assert_int_equal(auth_check(NULL, "nope", "ci-key-123", &id), 0);
	assert_int_equal(id.role, AUTH_ROLE_NONE);
	assert_int_equal(auth_check(NULL, "nope", "ci-key-123", NULL), 0);
}

static void
test_bearer(void **state)
{
	(void)state;
	assert_string_equal(auth_bearer("Bearer abc"), "abc");
	assert_string_equal(auth_bearer("bearer abc"), "abc");
	assert_string_equal(auth_bearer("BEARER   oxt_x-y_z"), "oxt_x-y_z");
	assert_null(auth_bearer(NULL));
	assert_null(auth_bearer(""));
	assert_null(auth_bearer("Bearer"));
	assert_null(auth_bearer("Bearer "));
	assert_null(auth_bearer("Bearer    "));
	assert_null(auth_bearer("Bearerabc"));
	assert_null(auth_bearer("Basic abc"));
	assert_null(auth_bearer("Bearer abc def"));
	assert_null(auth_bearer("Bearer abc "));
	assert_null(auth_bearer("Bearer abc\tdef"));
	assert_null(auth_bearer("Bearer abc\r\n"));
	assert_null(auth_bearer("Bearer \x7f"));
}

static void
test_tickets(void **state)
{
	char t[AUTH_TICKET_LEN + 1], u[AUTH_TICKET_LEN + 1];

	(void)state;
	auth_ticket_new(t, 1000, &test_id);
	assert_int_equal(strlen(t), AUTH_TICKET_LEN);
	auth_ticket_new(u, 1000, &test_id);
	assert_string_not_equal(t, u);
	/* One-time. */
	assert_int_equal(auth_ticket_use(t, 2000, NULL), 1);
	assert_int_equal(auth_ticket_use(t, 2000, NULL), 0);
	/* Others are refused: wrong, short, long, empty. */
	assert_int_equal(auth_ticket_use("", 2000, NULL), 0);
	assert_int_equal(auth_ticket_use(NULL, 2000, NULL), 0);
	memcpy(t, u, sizeof t);
	t[0] = t[0] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_ticket_use(t, 2000, NULL), 0);
	t[AUTH_TICKET_LEN - 1] = '\0';
	assert_int_equal(auth_ticket_use(t, 2000, NULL), 0);
	/* Expiry: live just before the TTL, dead at it. */
	assert_int_equal(auth_ticket_use(u, 1000 + AUTH_TICKET_TTL_MS - 1,
			     NULL),
	    1);
	auth_ticket_new(u, 5000, &test_id);
	assert_int_equal(auth_ticket_use(u, 5000 + AUTH_TICKET_TTL_MS, NULL),
	    0);
	assert_int_equal(auth_ticket_use(u, 5000, NULL),
	    0); /* purged for good */
}

/* A ticket hands back the identity that asked for it, and only once. */
static void
test_ticket_identity(void **state)
{
	char t[AUTH_TICKET_LEN + 1];
	struct auth_identity viewer, got;

	(void)state;
	auth_identity_set(&viewer, "watcher", AUTH_ROLE_VIEWER, 0);
	assert_string_equal(viewer.actor, "token:watcher");
	auth_ticket_new(t, 100, &viewer);
	assert_int_equal(auth_ticket_use(t, 200, &got), 1);
	assert_string_equal(got.name, "watcher");
	assert_int_equal(got.role, AUTH_ROLE_VIEWER);
	assert_string_equal(got.actor, "token:watcher");
	assert_int_equal(auth_ticket_use(t, 200, &got), 0);
	assert_int_equal(got.role, AUTH_ROLE_NONE);
	assert_string_equal(got.name, "");
}

static void
test_ticket_table_bound(void **state)
{
	char first[AUTH_TICKET_LEN + 1], second[AUTH_TICKET_LEN + 1];
	char t[AUTH_TICKET_LEN + 1], last[AUTH_TICKET_LEN + 1];
	int i;

	(void)state;
	auth_ticket_new(first, 0, &test_id);
	auth_ticket_new(second, 1, &test_id);
	for (i = 0; i < 1022; i++)
		auth_ticket_new(t, 2, &test_id);
	/* 1024 live: the table is full but nothing was dropped yet. */
	auth_ticket_new(last, 3, &test_id);
	/* The 1025th pushed out the oldest, and only it. */
	assert_int_equal(auth_ticket_use(first, 4, NULL), 0);
	assert_int_equal(auth_ticket_use(second, 4, NULL), 1);
	assert_int_equal(auth_ticket_use(last, 4, NULL), 1);
	assert_int_equal(auth_ticket_use(t, 4, NULL), 1);
	auth_reset();
	auth_ticket_new(t, 0, &test_id);
	auth_reset();
	assert_int_equal(auth_ticket_use(t, 0, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_check, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ticket_identity, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_holds_only_the_hash,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_refuses_old, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_extra_key, setup,
		    teardown),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test_setup_teardown(test_tickets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ticket_table_bound, setup,
		    teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
