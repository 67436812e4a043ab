/* test_assets.c — the embedded dashboard table: sorted, every ETag the
 * BLAKE2b-128 of its bytes, types by extension, lookups, If-None-Match. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "http/assets.h"

static void
test_table_sorted_and_found(void **state)
{
	size_t i;

	(void)state;
	assert_true(assets_count >= 3);
	for (i = 0; i + 1 < assets_count; i++)
		assert_true(
		    strcmp(assets_table[i].path, assets_table[i + 1].path) < 0);
	for (i = 0; i < assets_count; i++)
		assert_ptr_equal(assets_find(assets_table[i].path),
		    &assets_table[i]);
	assert_non_null(assets_find("index.html"));
	assert_non_null(assets_find("js/app.js"));
	assert_non_null(assets_find("views/chat.js"));
	assert_null(assets_find(""));
	assert_null(assets_find("nope.html"));
	assert_null(assets_find("/index.html"));
	assert_null(assets_find("../index.html"));
	assert_null(assets_find("js/app.js/"));
	assert_null(assets_find(NULL));
}

static void
test_etags_and_types(void **state)
{
	unsigned char h[16];
	char hex[33], want[40];
	size_t i;

	(void)state;
	assert_int_not_equal(sodium_init(), -1);
	for (i = 0; i < assets_count; i++) {
		const struct asset *a = &assets_table[i];
		const char *ext = strrchr(a->path, '.');

		crypto_generichash(h, sizeof h, a->data, a->len, NULL, 0);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		snprintf(want, sizeof want, "\"%s\"", hex);
		assert_string_equal(a->etag, want);
		assert_non_null(ext);
		if (strcmp(ext, ".js") == 0)
			assert_string_equal(a->type,
			    "text/javascript; charset=utf-8");
		else if (strcmp(ext, ".html") == 0)
			assert_string_equal(a->type,
			    "text/html; charset=utf-8");
		else if (strcmp(ext, ".css") == 0)
			assert_string_equal(a->type, "text/css; charset=utf-8");
		else if (strcmp(ext, ".svg") == 0)
			assert_string_equal(a->type, "image/svg+xml");
		assert_true(a->len > 0);
		/* The bytes survived the C string literal: no early NUL. */
		if (strncmp(a->type, "text/", 5) == 0)
			assert_int_equal(strlen((const char *)a->data), a->len);
	}
	/* Different files, different tags. */
	assert_string_not_equal(assets_find("index.html")->etag,
	    assets_find("js/app.js")->etag);
}

static void
test_etag_match(void **state)
{
	const char *e = "\"0123abcd\"";

	(void)state;
	assert_false(assets_etag_match(NULL, e));
	assert_false(assets_etag_match("", e));
	assert_true(assets_etag_match("\"0123abcd\"", e));
	assert_true(assets_etag_match("W/\"0123abcd\"", e));
	assert_true(assets_etag_match("*", e));
	assert_true(assets_etag_match("\"x\", \"0123abcd\"", e));
	assert_true(assets_etag_match("\"x\",W/\"0123abcd\"", e));
	assert_false(assets_etag_match("\"0123abc\"", e));
	assert_false(assets_etag_match("\"0123abcd", e));
	assert_false(assets_etag_match("0123abcd", e));
	assert_false(assets_etag_match("\"x\", \"y\"", e));
	assert_false(assets_etag_match("\"0123abcdX\"", e));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_sorted_and_found),
		cmocka_unit_test(test_etags_and_types),
		cmocka_unit_test(test_etag_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
