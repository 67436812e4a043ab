/* test_cli.c — the command table is well-formed data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cli.h"

static void
test_table_unique_and_complete(void **state)
{
	const struct cmd_entry *const *a, *const *b;
	int n = 0;

	(void)state;
	for (a = cmd_table; *a != NULL; a++) {
		n++;
		assert_non_null((*a)->name);
		assert_non_null((*a)->usage);
		assert_non_null((*a)->summary);
		assert_non_null((*a)->words);
		assert_non_null((*a)->exec);
		assert_true(strlen((*a)->summary) > 10);
		/* Names are lower-case words, as typed in a shell. */
		assert_int_equal(strspn((*a)->name,
				     "abcdefghijklmnopqrstuvwxyz-_"),
		    strlen((*a)->name));
		/* Hidden commands, and only they, start with "__". */
		assert_int_equal(strncmp((*a)->name, "__", 2) == 0,
		    ((*a)->flags & CMD_HIDDEN) != 0);
		for (b = a + 1; *b != NULL; b++) {
			if (strcmp((*a)->name, (*b)->name) == 0)
				fail_msg("duplicate command '%s'", (*a)->name);
		}
		assert_ptr_equal(cli_find((*a)->name), *a);
	}
	assert_true(n >= 6);
	assert_null(cli_find("nonesuch"));
}

static void
test_wants_help(void **state)
{
	char *a1[] = { "config", "get", "--help" };
	char *a2[] = { "config", "set", "--", "-h" };
	char *a3[] = { "doctor", "--json" };

	(void)state;
	assert_true(cli_wants_help(3, a1));
	assert_false(cli_wants_help(4, a2));
	assert_false(cli_wants_help(2, a3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_unique_and_complete),
		cmocka_unit_test(test_wants_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
