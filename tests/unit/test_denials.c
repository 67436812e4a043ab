/* test_denials.c — 401s counted per address and window (denials.h), on a
 * simulated clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/denials.h"

#define T0 1000000
#define WIN 60000

static void
test_first_at_once_then_one_count(void **state)
{
	struct denials *d = denials_new(16, WIN);
	struct denial ev, *out;
	int nev, i;

	(void)state;
	assert_int_equal(denials_note(d, "10.0.0.1", "/a", T0, &ev, &nev), 1);
	assert_int_equal(nev, 0);
	for (i = 1; i < 2000; i++)
		assert_int_equal(denials_note(d, "10.0.0.1", "/b", T0 + i, &ev,
				     &nev),
		    0);
	/* Another address has its own window. */
	assert_int_equal(denials_note(d, "10.0.0.2", "/c", T0 + 5, &ev, &nev),
	    1);
	/* Not yet: the windows are open. */
	assert_int_equal(denials_take(d, T0 + WIN - 1, 0, &out), 0);
	assert_null(out);
	assert_int_equal(denials_take(d, T0 + WIN, 0, &out), 1);
	assert_string_equal(out[0].addr, "10.0.0.1");
	assert_string_equal(out[0].path, "/b");
	assert_int_equal(out[0].count, 1999); /* 1 + 1999 = 2000 */
	assert_int_equal(out[0].first_ms, T0);
	assert_int_equal(out[0].last_ms, T0 + 1999);
	free(out);
	/* 10.0.0.2 had one refusal only: its window closes with no row. */
	assert_int_equal(denials_take(d, T0 + WIN + 5, 0, &out), 0);
	assert_null(out);
	/* A new window opens with a row at once again. */
	assert_int_equal(denials_note(d, "10.0.0.1", "/a", T0 + WIN + 6, &ev,
			     &nev),
	    1);
	denials_free(d);
}

static void
test_passed_window_reported_on_the_next_refusal(void **state)
{
	struct denials *d = denials_new(16, WIN);
	struct denial ev, *out;
	int nev;

	(void)state;
	denials_note(d, "a", "/x", T0, &ev, &nev);
	denials_note(d, "a", "/y", T0 + 10, &ev, &nev);
	denials_note(d, "a", "/z", T0 + 20, &ev, &nev);
	/* No take() in between: the next refusal closes the old window. */
	assert_int_equal(denials_note(d, "a", "/w", T0 + WIN + 1, &ev, &nev),
	    1);
	assert_int_equal(nev, 1);
	assert_int_equal(ev.count, 2);
	assert_string_equal(ev.path, "/z");
	/* At the end (all): the open window with its count. */
	denials_note(d, "a", "/v", T0 + WIN + 2, &ev, &nev);
	assert_int_equal(nev, 0);
	assert_int_equal(denials_take(d, T0 + WIN + 3, 1, &out), 1);
	assert_int_equal(out[0].count, 1);
	free(out);
	assert_int_equal(denials_take(d, T0 + WIN + 3, 1, &out), 0);
	denials_free(d);
}

static void
test_full_table_closes_the_oldest_window(void **state)
{
	struct denials *d = denials_new(2, WIN);
	struct denial ev, *out;
	int nev;
	size_t n;

	(void)state;
	denials_note(d, "a", "/", T0, &ev, &nev);
	denials_note(d, "a", "/", T0 + 1, &ev, &nev);
	denials_note(d, "b", "/", T0 + 2, &ev, &nev);
	assert_int_equal(denials_note(d, "c", "/", T0 + 3, &ev, &nev), 1);
	assert_int_equal(nev, 1);
	assert_string_equal(ev.addr, "a");
	assert_int_equal(ev.count, 1);
	/* "b" goes with no record (nothing after its first). */
	assert_int_equal(denials_note(d, "d", "/", T0 + 4, &ev, &nev), 1);
	assert_int_equal(nev, 0);
	n = denials_take(d, T0 + 5, 1, &out);
	assert_int_equal(n, 0);
	denials_free(d);
}

static void
test_long_address_and_path_are_cut(void **state)
{
	char addr[200], path[400];
	struct denials *d = denials_new(4, WIN);
	struct denial ev, *out;
	int nev;

	(void)state;
	memset(addr, 'x', sizeof addr - 1);
	addr[sizeof addr - 1] = '\0';
	memset(path, 'p', sizeof path - 1);
	path[sizeof path - 1] = '\0';
	assert_int_equal(denials_note(d, addr, path, T0, &ev, &nev), 1);
	/* The same (cut) address: counted in the same window. */
	assert_int_equal(denials_note(d, addr, path, T0 + 1, &ev, &nev), 0);
	assert_int_equal(denials_take(d, T0 + 2, 1, &out), 1);
	assert_int_equal(strlen(out[0].addr), DENIALS_ADDR - 1);
	assert_int_equal(strlen(out[0].path), DENIALS_PATH - 1);
	free(out);
	denials_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_at_once_then_one_count),
		cmocka_unit_test(
		    test_passed_window_reported_on_the_next_refusal),
		cmocka_unit_test(test_full_table_closes_the_oldest_window),
		cmocka_unit_test(test_long_address_and_path_are_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
