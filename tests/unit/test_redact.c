/*
 * test_redact.c — the secrets policy (util/redact.h), as tables: which
 * member names hold secrets, and what strings become, with and without a
 * known secret.  Then the same policy over JSON in place and over a fixed
 * buffer that the marker makes overflow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/redact.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define R REDACT_MARK

static const struct {
	const char *name;
	int secret;
} key_cases[] = {
	{ "api_key", 1 },
	{ "token", 1 },
	{ "ACCESS_TOKEN", 1 },
	{ "password", 1 },
	{ "Passwd", 1 },
	{ "Authorization", 1 },
	{ "client_secret", 1 },
	{ "Cookie", 1 },
	{ "Set-Cookie", 1 },
	{ "credentials", 1 },
	{ "apikey", 1 },
	{ "x-api-key", 1 },
	{ "private_key", 1 },
	{ "private-key", 1 },
	{ "signing_key", 1 },
	{ "signing-key", 1 },
	{ "openai_key", 1 },
	{ "deploy-key", 1 },
	{ "a_key", 1 },
	/* A bare "key" names something; so do words that contain "key". */
	{ "key", 0 },
	{ "KEY", 0 },
	{ "_key", 0 },
	{ "keys", 0 },
	{ "monkey", 0 },
	{ "keyboard", 0 },
	{ "hotkey", 0 },
	{ "name", 0 },
	{ "path", 0 },
	{ "", 0 },
};

static const struct {
	const char *in;
	const char *known;
	const char *want;
} string_cases[] = {
	{ "", NULL, "" },
	{ "nothing to hide", NULL, "nothing to hide" },
	/* Provider keys: "sk-" and 4 token characters or more. */
	{ "sk-ant-api03-AAAAAAAAAAAAAAAAAAAA", NULL, R },
	{ "sk-proj-ABCDEFGHIJKLMNOP", NULL, R },
	{ "key sk-abcd end", NULL, "key " R " end" },
	{ "sk-abc", NULL, "sk-abc" },
	{ "Incorrect API key provided: sk-abc1**********wxyz", NULL,
	    "Incorrect API key provided: " R },
	{ "a=sk-abcd&b=sk-efgh", NULL, "a=" R "&b=" R },
	/* The others: 8 token characters or more. */
	{ "oxt_0123456789abcdef0123", NULL, R },
	{ "oxt_short", NULL, "oxt_short" },
	{ "xoxb-123456789012-abcdef", NULL, R },
	{ "xoxp-123456789012-abcdef", NULL, R },
	{ "ghp_0123456789abcdefghij", NULL, R },
	{ "gho_0123456789abcdefghij", NULL, R },
	{ "github_pat_11ABCDEFG0123456789", NULL, R },
	{ "AKIAIOSFODNN7EXAMPLE", NULL, R },
	{ "AKIA1234", NULL, "AKIA1234" },
	{ "Authorization: Bearer abc/def+ghi=", NULL, "Authorization: " R },
	{ "bearer abcdefgh", NULL, R },
	{ "Bearer token", NULL, "Bearer token" },
	/* A short run after one prefix does not hide a longer one. */
	{ "Bearer sk-abcd", NULL, "Bearer " R },
	{ "oxt_sk-abcd", NULL, "oxt_" R },
	/* Look-alikes stay. */
	{ "notes/sk.txt", NULL, "notes/sk.txt" },
	{ "skating", NULL, "skating" },
	{ "ask-me", NULL, "ask-me" },
	{ "cl\xc3\xa9 sk-abcd \xc3\xa9t\xc3\xa9", NULL,
	    "cl\xc3\xa9 " R " \xc3\xa9t\xc3\xa9" },
	/* A known secret, wherever it is, if it has 8 bytes or more. */
	{ "the key hunter2hunter2 leaked", "hunter2hunter2",
	    "the key " R " leaked" },
	{ "x:hunter2hunter2,hunter2hunter2", "hunter2hunter2", "x:" R "," R },
	{ "short abc here", "abc", "short abc here" },
	{ "my key is 12345678.", "12345678", "my key is " R "." },
	{ "both 12345678 and sk-abcd", "12345678", "both " R " and " R },
};

static void
test_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		if (redact_key(key_cases[i].name) != key_cases[i].secret)
			fail_msg("\"%s\": not %d", key_cases[i].name,
			    key_cases[i].secret);
	}
}

static void
test_strings(void **state)
{
	char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(string_cases) / sizeof(string_cases[0]); i++) {
		got = redact_string(string_cases[i].in, string_cases[i].known);
		if (strcmp(got, string_cases[i].want) != 0)
			fail_msg("case %zu: \"%s\", not \"%s\"", i, got,
			    string_cases[i].want);
		free(got);
	}
}

/* Each case again in a buffer of every size from 1 to past its length. */
static void
test_buf(void **state)
{
	char buf[128];
	size_t i, size, want, n;

	(void)state;
	for (i = 0; i < sizeof(string_cases) / sizeof(string_cases[0]); i++) {
		n = strlen(string_cases[i].in);
		for (size = n + 1; size <= sizeof buf; size++) {
			memcpy(buf, string_cases[i].in, n + 1);
			redact_buf(buf, size, string_cases[i].known);
			want = utf8_cut(string_cases[i].want, size - 1);
			if (strlen(buf) != want ||
			    strncmp(buf, string_cases[i].want, want) != 0)
				fail_msg("case %zu, size %zu: \"%s\"", i, size,
				    buf);
		}
	}
	/* The marker is longer than the key: the end is cut, whole. */
	snprintf(buf, sizeof buf, "sk-abcd \xe2\x82\xac");
	redact_buf(buf, 14, NULL);
	assert_string_equal(buf, R " ");
	snprintf(buf, sizeof buf, "sk-abcd \xe2\x82\xac");
	redact_buf(buf, 15, NULL);
	assert_string_equal(buf, R " \xe2\x82\xac");
	/* Nothing to redact: untouched. */
	snprintf(buf, sizeof buf, "plain");
	redact_buf(buf, 6, "12345678");
	assert_string_equal(buf, "plain");
}

static json_t *
load(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	assert_non_null(v);
	return v;
}

static void
test_json(void **state)
{
	json_t *v, *want, *deep, *cur;
	int i;

	(void)state;
	v = load("{\"api_key\": \"abc\", \"Authorization\": \"Basic eDp5\", "
		 "\"credentials\": {\"u\": \"v\"}, \"ACCESS_TOKEN\": 12345, "
		 "\"signing_key\": [1, 2], \"name\": \"visible\", "
		 "\"n\": 3, \"b\": false, \"z\": null, "
		 "\"note\": \"use sk-abcdefgh please\", "
		 "\"list\": [\"plain\", \"Bearer abcdefghij\", "
		 "{\"password\": \"hunter2\", \"ok\": \"fine\"}]}");
	want = load("{\"api_key\": \"" R "\", \"Authorization\": \"" R "\", "
		    "\"credentials\": \"" R "\", \"ACCESS_TOKEN\": \"" R "\", "
		    "\"signing_key\": \"" R "\", \"name\": \"visible\", "
		    "\"n\": 3, \"b\": false, \"z\": null, "
		    "\"note\": \"use " R " please\", "
		    "\"list\": [\"plain\", \"" R "\", "
		    "{\"password\": \"" R "\", \"ok\": \"fine\"}]}");
	redact_json(v);
	assert_true(json_equal(v, want));
	json_decref(v);
	json_decref(want);

	/* A string alone. */
	v = json_string("token sk-abcdefgh");
	redact_json(v);
	assert_string_equal(json_string_value(v), "token " R);
	json_decref(v);
	redact_json(NULL);

	/* Past 64 levels the rest goes whole. */
	deep = json_string("harmless");
	for (i = 0; i < 70; i++) {
		cur = json_array();
		json_array_append_new(cur, deep);
		deep = cur;
	}
	redact_json(deep);
	for (cur = deep, i = 0; json_is_array(cur); i++)
		cur = json_array_get(cur, 0);
	assert_int_equal(i, 65);
	assert_string_equal(json_string_value(cur), R);
	json_decref(deep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
