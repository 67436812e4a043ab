/*
 * test_context.c — the system prompt's sections (agent/context.h): the
 * base first, the Ouroboros addition for the root agent only, sections
 * with nothing to say left out without blank lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/context.h"

static void
test_sections(void **state)
{
	struct context_in in;
	char *s;

	(void)state;
	memset(&in, 0, sizeof in);
	in.workspace = "/ws";
	s = context_system_prompt(&in);
	assert_non_null(strstr(s, "Your workspace is /ws"));
	assert_null(strstr(s, "\n\n\n"));
	assert_int_not_equal(s[strlen(s) - 1], '\n');
	free(s);
	in.exec_system = "Build to the seed.";
	s = context_system_prompt(&in);
	assert_non_null(strstr(s,
	    "reply without calling a tool.\n\nBuild "
	    "to the seed."));
	free(s);
	in.depth = 1; /* a sub-agent gets no Ouroboros addition */
	s = context_system_prompt(&in);
	assert_null(strstr(s, "Build to the seed."));
	free(s);
	assert_string_equal(context_sections[0].name, "base");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
