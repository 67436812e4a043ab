/* test_signin.c — the one-time sign-in link: redeemed once, refused when
 * wrong, expired, spent or outlived by its token. */
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
#include "security/signin.h"
#include "util/file.h"
#include "tmpdir.h"

static char home[64];

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() == -1 ||
	    tmpdir_make(home, sizeof home, "signin") != 0)
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

static int
link_exists(void)
{
	char *path = signin_path();
	int ok = access(path, F_OK) == 0;

	free(path);
	return ok;
}

/* A token and a link for it, made at t. */
static void
make(char tok[AUTH_TOKEN_LEN + 1], char code[SIGNIN_CODE_LEN + 1], int64_t t)
{
	char *cause = NULL;

	assert_int_equal(auth_token_create(tok, &cause), 0);
	assert_int_equal(signin_create(tok, t, code, &cause), 0);
	assert_null(cause);
}

static void
test_once(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], code[SIGNIN_CODE_LEN + 1];
	char got[AUTH_TOKEN_LEN + 1], *path, *data = NULL, *cause = NULL;
	const char *why;
	struct stat st;
	size_t len;

	(void)state;
	make(tok, code, 1000);
	assert_int_equal(strlen(code), SIGNIN_CODE_LEN);
	/* The file is private and holds neither the token nor the code. */
	path = signin_path();
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read(path, 4096, &data, &len, &cause), 0);
	assert_null(strstr(data, tok));
	assert_null(strstr(data, tok + 4));
	assert_null(strstr(data, code));
	assert_int_equal(strncmp(data, "oxios-signin-1:1600:", 20), 0);
	free(data);
	free(path);

	assert_int_equal(signin_redeem(code, 1001, got, &why), 1);
	assert_null(why);
	assert_string_equal(got, tok);
	assert_false(link_exists());
	/* Twice: refused. */
	assert_int_equal(signin_redeem(code, 1002, got, &why), 0);
	assert_string_equal(why, "no link");
	assert_string_equal(got, "");
}

static void
test_wrong_code_kept(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], code[SIGNIN_CODE_LEN + 1];
	char bad[SIGNIN_CODE_LEN + 1], got[AUTH_TOKEN_LEN + 1];
	const char *why;

	(void)state;
	make(tok, code, 1000);
	memcpy(bad, code, sizeof bad);
	bad[5] = bad[5] == 'A' ? 'B' : 'A';
	assert_int_equal(signin_redeem(bad, 1001, got, &why), 0);
	assert_string_equal(why, "wrong code");
	assert_int_equal(signin_redeem("short", 1001, got, &why), 0);
	assert_string_equal(why, "wrong code");
	assert_int_equal(signin_redeem("", 1001, got, &why), 0);
	assert_true(link_exists());
	/* The right one still works. */
	assert_int_equal(signin_redeem(code, 1001, got, &why), 1);
	assert_string_equal(got, tok);
}

static void
test_expired(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], code[SIGNIN_CODE_LEN + 1];
	char got[AUTH_TOKEN_LEN + 1];
	const char *why;

	(void)state;
	make(tok, code, 1000);
	assert_int_equal(signin_redeem(code, 1000 + SIGNIN_TTL_SECS, got, &why),
	    0);
	assert_string_equal(why, "expired");
	assert_false(link_exists());
	assert_int_equal(signin_redeem(code, 1001, got, &why), 0);
	assert_string_equal(why, "no link");
}

static void
test_rotated_and_replaced(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], code[SIGNIN_CODE_LEN + 1];
	char tok2[AUTH_TOKEN_LEN + 1], code2[SIGNIN_CODE_LEN + 1];
	char got[AUTH_TOKEN_LEN + 1], *cause = NULL;
	const char *why;

	(void)state;
	make(tok, code, 1000);
	/* A newer link replaces the older one. */
	assert_int_equal(signin_create(tok, 1000, code2, &cause), 0);
	assert_int_equal(signin_redeem(code, 1001, got, &why), 0);
	assert_string_equal(why, "wrong code");
	/* The token rotated since the link was made: refused, spent. */
	assert_int_equal(auth_token_create(tok2, &cause), 0);
	assert_int_equal(signin_redeem(code2, 1001, got, &why), 0);
	assert_string_equal(why, "token rotated");
	assert_false(link_exists());
	/* Not a token: refused at creation. */
	assert_int_equal(signin_create("oxt_short", 1000, code, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

static void
test_damaged_file(void **state)
{
	char got[AUTH_TOKEN_LEN + 1], code[SIGNIN_CODE_LEN + 1];
	const char *why;

	(void)state;
	memset(code, 'A', SIGNIN_CODE_LEN);
	code[SIGNIN_CODE_LEN] = '\0';
	assert_int_equal(signin_redeem(code, 1, got, &why), 0);
	assert_string_equal(why, "no link");
	{
		char dir[128];

		snprintf(dir, sizeof dir, "%s/auth", home);
		assert_int_equal(mkdir(dir, 0700), 0);
	}
	assert_int_equal(tmpdir_put(home, "auth/signin",
			     "oxios-signin-1:99999999999:zz:zz\n"),
	    0);
	assert_int_equal(signin_redeem(code, 1, got, &why), 0);
	assert_string_equal(why, "no link");
	assert_false(link_exists());
}

static void
test_link(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], got[AUTH_TOKEN_LEN + 1], *cause = NULL;
	char *url;
	const char *why, *code;

	(void)state;
	assert_int_equal(auth_token_create(tok, &cause), 0);
	url = signin_link(tok, "0.0.0.0", 4200, 1000, &cause);
	assert_non_null(url);
	assert_int_equal(strncmp(url, "http://127.0.0.1:4200/#code=", 28), 0);
	assert_null(strstr(url, tok + 4));
	code = url + 28;
	assert_int_equal(strlen(code), SIGNIN_CODE_LEN);
	assert_int_equal(signin_redeem(code, 1001, got, &why), 1);
	assert_string_equal(got, tok);
	free(url);
	url = signin_link(tok, "::", 8080, 1000, &cause);
	assert_int_equal(strncmp(url, "http://[::1]:8080/#code=", 24), 0);
	free(url);
	url = signin_link(tok, "localhost", 1, 1000, &cause);
	assert_int_equal(strncmp(url, "http://localhost:1/#code=", 25), 0);
	free(url);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_code_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotated_and_replaced,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_link, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
