/*
 * test_cli.c — the command and subcommand tables are well-formed data;
 * dispatch to subcommands.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
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
		assert_non_null((*a)->summary);
		assert_non_null((*a)->words);
		/* Either it runs, or its subcommands do (whose names make the
		 * usage when it has none). */
		assert_int_equal((*a)->exec != NULL, (*a)->subs == NULL);
		assert_true((*a)->usage != NULL || (*a)->subs != NULL);
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

/* Whether `word` is one of the space-separated words of `list`. */
static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return 1;
	}
	return 0;
}

static void
test_sub_tables(void **state)
{
	const struct cmd_entry *const *e;
	const struct cmd_sub *s, *t;
	int tables = 0, defaults;

	(void)state;
	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->subs == NULL)
			continue;
		tables++;
		defaults = 0;
		assert_non_null((*e)->subs[0].name);
		for (s = (*e)->subs; s->name != NULL; s++) {
			assert_non_null(s->usage);
			assert_non_null(s->summary);
			assert_true(strlen(s->summary) > 10);
			assert_non_null(s->exec);
			assert_int_equal(strspn(s->name,
					     "abcdefghijklmnopqrstuvwxyz-"),
			    strlen(s->name));
			/* Completion takes the names from the table. */
			if (has_word((*e)->words, s->name))
				fail_msg("'%s %s' is in words too", (*e)->name,
				    s->name);
			defaults += (s->flags & CMD_DEFAULT) != 0;
			assert_false((s->flags & CMD_DEFAULT) &&
			    (s->flags & CMD_HIDDEN));
			for (t = s + 1; t->name != NULL; t++) {
				if (strcmp(s->name, t->name) == 0)
					fail_msg("duplicate subcommand '%s %s'",
					    (*e)->name, s->name);
			}
			assert_ptr_equal(cli_sub_find(*e, s->name), s);
		}
		assert_true(defaults <= 1);
		assert_null(cli_sub_find(*e, "nonesuch"));
	}
	/* memory, audit, config, token at least. */
	assert_true(tables >= 4);
	assert_non_null(cli_sub_find(cli_find("config"), "unset"));
	assert_null(cli_find("version")->subs);
}

/* A command of two subcommands, to watch dispatch. */
static int calls_a, calls_b, last_argc;
static char last_argv0[16], last_argv1[16];

static int
sub_record(int argc, char **argv)
{
	last_argc = argc;
	snprintf(last_argv0, sizeof last_argv0, "%s", argv[0]);
	snprintf(last_argv1, sizeof last_argv1, "%s", argc > 1 ? argv[1] : "");
	return 7;
}

static int
sub_a(int argc, char **argv)
{
	calls_a++;
	return sub_record(argc, argv);
}

static int
sub_b(int argc, char **argv)
{
	calls_b++;
	return sub_record(argc, argv);
}

static const struct cmd_sub two_subs[] = {
	{ .name = "alpha", .usage = "", .summary = "a", .exec = sub_a },
	{ .name = "beta",
	    .usage = "X",
	    .summary = "b",
	    .flags = CMD_HIDDEN,
	    .exec = sub_b },
	{ .name = NULL },
};

static const struct cmd_sub default_subs[] = {
	{ .name = "alpha", .usage = "", .summary = "a", .exec = sub_a },
	{ .name = "beta",
	    .usage = "",
	    .summary = "b",
	    .flags = CMD_DEFAULT,
	    .exec = sub_b },
	{ .name = NULL },
};

static void
test_sub_dispatch(void **state)
{
	const struct cmd_entry plain = { .name = "two",
		.summary = "two subcommands",
		.words = "",
		.subs = two_subs };
	const struct cmd_entry with_default = { .name = "deft",
		.summary = "one is the default",
		.words = "",
		.subs = default_subs };
	char *named[] = { "two", "alpha", "x" };
	char *hidden[] = { "two", "beta" };
	char *unknown[] = { "two", "gamma" };
	char *none[] = { "two" };
	char *option[] = { "two", "--json" };
	char *dnone[] = { "deft" };
	char *doption[] = { "deft", "--json" };

	(void)state;
	calls_a = calls_b = 0;
	/* The named one runs with its own argv. */
	assert_int_equal(cli_sub_dispatch(&plain, 3, named), 7);
	assert_int_equal(calls_a, 1);
	assert_int_equal(last_argc, 2);
	assert_string_equal(last_argv0, "alpha");
	assert_string_equal(last_argv1, "x");
	/* Hidden ones run too. */
	assert_int_equal(cli_sub_dispatch(&plain, 2, hidden), 7);
	assert_int_equal(calls_b, 1);
	/* Unknown, none, an option first: usage errors, nothing runs. */
	assert_int_equal(cli_sub_dispatch(&plain, 2, unknown), EXIT_USAGE);
	assert_int_equal(cli_sub_dispatch(&plain, 1, none), EXIT_USAGE);
	assert_int_equal(cli_sub_dispatch(&plain, 2, option), EXIT_USAGE);
	assert_int_equal(calls_a + calls_b, 2);
	assert_int_equal(cli_sub_usage(&plain, "alpha"), EXIT_USAGE);
	/* With a default: it runs when none is named, options and all. */
	assert_int_equal(cli_sub_dispatch(&with_default, 1, dnone), 7);
	assert_int_equal(calls_b, 2);
	assert_int_equal(last_argc, 1);
	assert_string_equal(last_argv0, "beta");
	assert_int_equal(cli_sub_dispatch(&with_default, 2, doption), 7);
	assert_int_equal(calls_b, 3);
	assert_int_equal(last_argc, 2);
	assert_string_equal(last_argv0, "beta");
	assert_string_equal(last_argv1, "--json");
	assert_int_equal(calls_a, 1);
	/* Through cli_exec() as well: the real table. */
	assert_int_equal(cli_exec(2, (char *[]){ "memory", "nonesuch" }),
	    EXIT_USAGE);
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
		cmocka_unit_test(test_sub_tables),
		cmocka_unit_test(test_sub_dispatch),
		cmocka_unit_test(test_wants_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
