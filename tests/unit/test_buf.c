/* test_buf.c — capped buffer, xalloc, uuid, time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/time.h"
#include "util/uuid.h"
#include "util/xalloc.h"

static void
test_buf_grows(void **state)
{
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, BUF_NOCAP);
	assert_string_equal(buf_str(&b), "");
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%d,", i), 0);
	assert_int_equal(b.len, strlen(b.data));
	assert_true(strncmp(b.data, "0,1,2,", 6) == 0);
	assert_non_null(strstr(b.data, "999,"));
	buf_free(&b);
}

static void
test_buf_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(b.len, 8);
	/* Over the cap: refused, and the buffer is as it was. */
	assert_int_equal(buf_addc(&b, '9'), -1);
	assert_int_equal(buf_printf(&b, "%s", "x"), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(buf_str(&b), "12345678");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_add(&b, "abc\0def", 7), 0);
	assert_int_equal(b.len, 7);
	assert_int_equal(memcmp(b.data, "abc\0def", 8), 0);
	buf_free(&b);
}

static void
test_buf_detach(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 100);
	s = buf_detach(&b);
	assert_string_equal(s, "");
	free(s);
	buf_adds(&b, "hello");
	s = buf_detach(&b);
	assert_string_equal(s, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
}

static void
test_xasprintf(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(xasprintf(&s, "%s-%d", "a", 42), 4);
	assert_string_equal(s, "a-42");
	free(s);
	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	s = xstrndup("ab", 10);
	assert_string_equal(s, "ab");
	xfree_secret(s);
	xfree_secret(NULL);
}

static void
test_uuid(void **state)
{
	char a[UUID_STRLEN], b[UUID_STRLEN];

	(void)state;
	uuid_v4(a);
	uuid_v4(b);
	assert_int_equal(strlen(a), 36);
	assert_true(uuid_valid(a));
	assert_string_not_equal(a, b);
	assert_int_equal(a[14], '4');           /* version */
	assert_non_null(strchr("89ab", a[19])); /* variant */
	assert_false(uuid_valid("not-a-uuid"));
	assert_false(uuid_valid("0123456789abcdef0123456789abcdef0123"));
}

static void
test_time(void **state)
{
	char s[40];
	uint64_t a, b;

	(void)state;
	a = time_mono_ns();
	b = time_mono_ns();
	assert_true(b >= a);
	assert_true(time_wall_ms() > 1600000000000LL);
	time_rfc3339(0, s, sizeof s);
	assert_string_equal(s, "1970-01-01T00:00:00.000Z");
	time_rfc3339(1795741323456LL, s, sizeof s);
	assert_string_equal(s, "2026-11-27T01:02:03.456Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows),
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_detach),
		cmocka_unit_test(test_xasprintf),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
