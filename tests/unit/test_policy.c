/*
 * test_policy.c — capabilities: every template × resource × right as a
 * table, glob matching, grants parsing (and its errors), the chain (a
 * child never exceeds its parent) and the per-call check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "security/policy.h"
#include "util/xalloc.h"

/* Columns: minimal, worker, standard, trusted, supervisor (rights). */
static const struct {
	const char *resource;
	const char *rights[5];
} tpl_cases[] = {
	{ "tool:read", { "r", "r", "r", "r", "r" } },
	{ "tool:write", { "", "r", "r", "r", "r" } },
	{ "tool:edit", { "", "r", "r", "r", "r" } },
	{ "tool:ls", { "r", "r", "r", "r", "r" } },
	{ "tool:find", { "r", "r", "r", "r", "r" } },
	{ "tool:grep", { "r", "r", "r", "r", "r" } },
	{ "tool:exec", { "r", "r", "r", "r", "r" } },
	{ "tool:skill", { "r", "r", "r", "r", "r" } },
	{ "tool:memory_read", { "", "", "r", "r", "r" } },
	{ "tool:memory_search", { "", "", "r", "r", "r" } },
	{ "tool:memory_topics", { "", "", "r", "r", "r" } },
	{ "tool:memory_topic", { "", "", "r", "r", "r" } },
	{ "tool:memory_write", { "", "", "", "r", "r" } },
	{ "tool:agent", { "", "", "", "d", "d" } },
	{ "tool:cron", { "", "", "", "", "r" } },
	{ "tool:budget", { "", "", "", "", "r" } },
	{ "tool:permissions", { "", "", "", "", "r" } },
	{ "tool:nonesuch", { "", "", "", "", "" } },
	{ "path:.", { "r", "rw", "rw", "rw", "rw" } },
	{ "path:src/main.c", { "r", "rw", "rw", "rw", "rw" } },
	{ "exec:git", { "", "x", "x", "x", "x" } },
	{ "exec:@shell", { "", "x", "x", "x", "x" } },
	{ "mcp:github/create_issue", { "", "", "", "x", "x" } },
	{ "browser:example.com", { "", "", "rw", "rw", "rw" } },
	{ "a2a:peer1", { "", "", "", "d", "d" } },
};

static const char *tpl_names[5] = { "minimal", "worker", "standard", "trusted",
	"supervisor" };

static void
test_templates_table(void **state)
{
	static const int rights[4] = { PERM_READ, PERM_WRITE, PERM_EXECUTE,
		PERM_DELEGATE };
	struct policy_set *s;
	char *cause = NULL, buf[8];
	size_t i, t, k;
	int want, got;

	(void)state;
	for (t = 0; t < 5; t++) {
		s = policy_set_new("p", tpl_names[t], NULL, &cause);
		assert_non_null(s);
		assert_string_equal(policy_set_template(s), tpl_names[t]);
		for (i = 0; i < sizeof tpl_cases / sizeof tpl_cases[0]; i++) {
			want = *tpl_cases[i].rights[t] == '\0' ?
			    0 :
			    policy_rights_parse(tpl_cases[i].rights[t]);
			got = 0;
			for (k = 0; k < 4; k++)
				if (policy_set_allows(s, tpl_cases[i].resource,
					rights[k]))
					got |= rights[k];
			if (got != want)
				fail_msg("%s %s: got '%s', want '%s'",
				    tpl_names[t], tpl_cases[i].resource,
				    policy_rights_str(got, buf),
				    tpl_cases[i].rights[t]);
		}
		policy_set_free(s);
	}
	assert_null(policy_set_new("p", "root", NULL, &cause));
	assert_non_null(strstr(cause, "unknown template 'root'"));
	free(cause);
}

static void
test_glob(void **state)
{
	static const struct {
		const char *pat, *res;
		int want;
	} cases[] = {
		{ "path:**", "path:a/b/c", 1 },
		{ "path:**", "path:.", 1 },
		{ "path:src/*", "path:src/a.c", 1 },
		{ "path:src/*", "path:src/a/b.c", 0 },
		{ "path:src/**", "path:src/a/b.c", 1 },
		{ "path:src/**", "path:src", 1 },
		{ "path:src/**", "path:srcx", 0 },
		{ "path:**/*.c", "path:a.c", 1 },
		{ "path:**/*.c", "path:x/y/a.c", 1 },
		{ "path:**/*.c", "path:x/y/a.h", 0 },
		{ "path:docs/*.md", "path:docs/a.md", 1 },
		{ "path:docs/*.md", "path:docs/x/a.md", 0 },
		{ "path:secrets/key.txt", "path:secrets/key.txt", 1 },
		{ "path:secrets/key.txt", "path:secrets/key.txt2", 0 },
		{ "exec:*", "exec:git", 1 },
		{ "exec:*", "exec:@shell", 0 },
		{ "exec:@shell", "exec:@shell", 1 },
		{ "exec:g*", "exec:git", 1 },
		{ "exec:git", "exec:gitk", 0 },
		{ "mcp:*/*", "mcp:github/x", 1 },
		{ "mcp:github/*", "mcp:gitlab/x", 0 },
		{ "browser:*.example.com", "browser:a.example.com", 1 },
		{ "browser:*.example.com", "browser:a.b.example.com", 1 },
		{ "browser:*.example.com", "browser:example.com", 0 },
		{ "browser:*.example.com", "browser:evil.com", 0 },
		{ "tool:*", "tool:read", 1 },
		{ "tool:read", "path:read", 0 },
		{ "a2a:*", "a2a:p", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (policy_resource_match(cases[i].pat, cases[i].res) !=
		    cases[i].want)
			fail_msg("%s vs %s: want %d", cases[i].pat,
			    cases[i].res, cases[i].want);
}

/* A set from a JSON text of grants; must parse. */
static struct policy_set *
set_of(const char *principal, const char *tpl, const char *grants)
{
	struct policy_set *s;
	json_t *g = grants != NULL ? json_loads(grants, 0, NULL) : NULL;
	char *cause = NULL;

	s = policy_set_new(principal, tpl, g, &cause);
	if (s == NULL)
		fail_msg("%s", cause);
	json_decref(g);
	return s;
}

static void
test_grants_parse(void **state)
{
	static const struct {
		const char *json, *error; /* error NULL: accepted */
	} cases[] = {
		{ "[]", NULL },
		{ "[{\"resource\":\"exec:git\",\"rights\":\"x\"}]", NULL },
		{ "[{\"resource\":\"path:./a//b/\",\"rights\":\"rw\"}]", NULL },
		{ "{}", "an array" },
		{ "[1]", "grants[0]: an object" },
		{ "[{\"resource\":\"exec:git\"}]", "rights must be" },
		{ "[{\"resource\":\"exec:git\",\"rights\":\"xx\"}]",
		    "rights must be" },
		{ "[{\"resource\":\"exec:git\",\"rights\":\"q\"}]",
		    "rights must be" },
		{ "[{\"resource\":\"exec:git\",\"rights\":\"\"}]",
		    "rights must be" },
		{ "[{\"resource\":7,\"rights\":\"x\"}]",
		    "resource must be a string" },
		{ "[{\"resource\":\"exec:git\",\"rights\":\"x\",\"z\":1}]",
		    "unknown key 'z'" },
		{ "[{\"resource\":\"disk:x\",\"rights\":\"r\"}]",
		    "not KIND:PATTERN" },
		{ "[{\"resource\":\"path:\",\"rights\":\"r\"}]",
		    "empty pattern" },
		{ "[{\"resource\":\"path:/etc\",\"rights\":\"r\"}]",
		    "relative to the workspace" },
		{ "[{\"resource\":\"path:a/../../x\",\"rights\":\"r\"}]",
		    "relative to the workspace" },
		{ "[{\"resource\":\"exec:/bin/rm\",\"rights\":\"x\"}]",
		    "names a program" },
		{ "[{\"resource\":\"exec:@root\",\"rights\":\"x\"}]",
		    "@shell" },
		{ "[{\"resource\":\"mcp:srv\",\"rights\":\"x\"}]",
		    "SERVER/TOOL" },
		{ "[{\"resource\":\"tool:a\\u0001\",\"rights\":\"r\"}]",
		    "control character" },
		{ "[{\"resource\":\"tool:a\\u0000b\",\"rights\":\"r\"}]",
		    "NUL" },
		{ "[{\"resource\":\"tool:a\",\"rights\":\"r\\u0000w\"}]",
		    "rights must be" },
	};
	json_t *in, *out;
	char *cause, *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		in = json_loads(cases[i].json, JSON_ALLOW_NUL, NULL);
		assert_non_null(in);
		if (cases[i].error == NULL) {
			if (policy_grants_parse(in, &out, &cause) != 0)
				fail_msg("%s: %s", cases[i].json, cause);
			json_decref(out);
		} else {
			assert_int_equal(policy_grants_parse(in, &out, &cause),
			    -1);
			assert_null(out);
			if (strstr(cause, cases[i].error) == NULL)
				fail_msg("%s: '%s' lacks '%s'", cases[i].json,
				    cause, cases[i].error);
			free(cause);
		}
		json_decref(in);
	}
	/* Normalised. */
	in = json_loads("[{\"resource\":\"path:./a//b/\",\"rights\":\"wr\"}]",
	    0, NULL);
	assert_int_equal(policy_grants_parse(in, &out, &cause), 0);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(out, 0),
				    "resource")),
	    "path:a/b");
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(out, 0),
				    "rights")),
	    "rw");
	json_decref(in);
	json_decref(out);
	/* Caps: grants and pattern bytes. */
	in = json_array();
	for (i = 0; i <= POLICY_MAX_GRANTS; i++)
		json_array_append_new(in,
		    json_pack("{s:s, s:s}", "resource", "exec:ls", "rights",
			"x"));
	assert_int_equal(policy_grants_parse(in, &out, &cause), -1);
	assert_non_null(strstr(cause, "at most 256"));
	free(cause);
	json_array_remove(in, 0);
	assert_int_equal(policy_grants_parse(in, &out, &cause), 0);
	json_decref(out);
	json_decref(in);
	big = xmalloc(POLICY_MAX_PATTERN + 2);
	memset(big, 'a', POLICY_MAX_PATTERN + 1);
	memcpy(big, "tool:", 5);
	big[POLICY_MAX_PATTERN + 1] = '\0';
	in = json_pack("[{s:s, s:s}]", "resource", big, "rights", "r");
	assert_int_equal(policy_grants_parse(in, &out, &cause), -1);
	assert_non_null(strstr(cause, "at most 512"));
	free(cause);
	json_decref(in);
	big[POLICY_MAX_PATTERN] = '\0';
	in = json_pack("[{s:s, s:s}]", "resource", big, "rights", "r");
	assert_int_equal(policy_grants_parse(in, &out, &cause), 0);
	json_decref(out);
	json_decref(in);
	free(big);
}

static void
test_grants_add(void **state)
{
	struct policy_set *s;
	json_t *eff;

	(void)state;
	s = set_of("bob", "worker",
	    "[{\"resource\":\"tool:memory_read\",\"rights\":\"r\"},"
	    "{\"resource\":\"browser:*.example.com\",\"rights\":\"r\"}]");
	assert_true(policy_set_allows(s, "tool:memory_read", PERM_READ));
	assert_false(policy_set_allows(s, "tool:memory_write", PERM_READ));
	assert_true(policy_set_allows(s, "browser:a.example.com", PERM_READ));
	assert_false(policy_set_allows(s, "browser:a.example.com", PERM_WRITE));
	assert_true(policy_set_allows(s, "path:x", PERM_WRITE));
	eff = policy_set_effective(s);
	/* The 12 rows of minimal and worker, then the 2 grants. */
	assert_int_equal(json_array_size(eff), 14);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(eff, 12),
				    "from")),
	    "grant");
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(eff, 0),
				    "from")),
	    "minimal");
	json_decref(eff);
	policy_set_free(s);
}

static void
test_chain(void **state)
{
	struct policy_chain *root, *child;
	char *why = NULL;
	json_t *args;

	(void)state;
	root = policy_chain_new(NULL, set_of("bob", "worker", NULL));
	child = policy_chain_new(root, set_of("bob", "trusted", NULL));
	/* A child under a worker parent cannot write memory. */
	assert_false(policy_tool_offered(child, "memory_write"));
	assert_false(policy_tool_offered(child, "agent"));
	assert_true(policy_tool_offered(child, "read"));
	args = json_object();
	assert_int_equal(policy_check_call(child, "memory_write", args, &why),
	    -1);
	assert_string_equal(why,
	    "permission denied: agent profile 'bob' (template worker, a "
	    "parent agent's) has no read right on tool:memory_write");
	free(why);
	json_decref(args);
	policy_chain_free(child);
	/* The other way round: the child's own set narrows. */
	child = policy_chain_new(root,
	    set_of("bob", "worker",
		"[{\"resource\":\"path:src/**\",\"rights\":\"r\"}]"));
	assert_true(policy_chain_allows(child, "path:src/a", PERM_WRITE));
	policy_chain_free(child);
	policy_chain_free(root);
	root = policy_chain_new(NULL, set_of("ann", "trusted", NULL));
	child = policy_chain_new(root, set_of("ann", "worker", NULL));
	assert_true(policy_tool_offered(root, "memory_write"));
	assert_false(policy_tool_offered(child, "memory_write"));
	assert_false(policy_chain_allows(NULL, "tool:read", PERM_READ));
	policy_chain_free(child);
	policy_chain_free(root);
}

static void
test_check_call(void **state)
{
	static const struct {
		const char *tpl, *grants, *tool, *args, *why;
	} cases[] = {
		{ "worker", NULL, "read", "{\"path\":\"a/b\"}", NULL },
		{ "worker", NULL, "ls", "{}", NULL },
		{ "worker", NULL, "exec", "{\"binary\":\"git\"}", NULL },
		{ "worker", NULL, "exec",
		    "{\"mode\":\"shell\",\"command\":\"ls\"}", NULL },
		{ "worker", NULL, "memory_write", "{}",
		    "permission denied: agent profile 'bob' (template worker) "
		    "has no read right on tool:memory_write" },
		{ "worker", NULL, "agent", "{\"task\":\"x\"}",
		    "has no delegate right on tool:agent" },
		{ "trusted", NULL, "agent", "{\"task\":\"x\"}", NULL },
		{ "trusted", NULL, "cron", "{}",
		    "has no read right on tool:cron" },
		{ "supervisor", NULL, "cron", "{}", NULL },
		/* Outside the workspace: the tool's confinement refuses. */
		{ "worker", NULL, "read", "{\"path\":\"/etc/passwd\"}", NULL },
	};
	struct policy_chain *c;
	json_t *args;
	char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = policy_chain_new(NULL,
		    set_of("bob", cases[i].tpl, cases[i].grants));
		args = json_loads(cases[i].args, 0, NULL);
		why = NULL;
		if (cases[i].why == NULL) {
			if (policy_check_call(c, cases[i].tool, args, &why) !=
			    0)
				fail_msg("case %zu: %s", i, why);
		} else {
			assert_int_equal(policy_check_call(c, cases[i].tool,
					     args, &why),
			    -1);
			if (strstr(why, cases[i].why) == NULL)
				fail_msg("case %zu: '%s' lacks '%s'", i, why,
				    cases[i].why);
		}
		free(why);
		json_decref(args);
		policy_chain_free(c);
	}
}

/* A narrowed set: minimal plus exec:ls and writes under out/. */
static void
test_check_call_narrow(void **state)
{
	static const struct {
		const char *tool, *args, *why;
	} cases[] = {
		{ "exec", "{\"binary\":\"ls\"}", NULL },
		{ "exec", "{\"binary\":\"git\",\"args\":[\"status\"]}",
		    "permission denied: agent profile 'bob' (template minimal) "
		    "has no execute right on exec:git" },
		{ "exec", "{\"mode\":\"shell\",\"command\":\"ls\"}",
		    "has no execute right on exec:@shell" },
		{ "read", "{\"path\":\"secrets/key.txt\"}", NULL },
		{ "write", "{\"path\":\"out/a.txt\"}", NULL },
		{ "write", "{\"path\":\"./out//b/c.txt\"}", NULL },
		{ "write", "{\"path\":\"secrets/key.txt\"}",
		    "has no write right on path:secrets/key.txt" },
		{ "write", "{\"path\":\"out/../secrets/key.txt\"}",
		    "has no write right on path:secrets/key.txt" },
		{ "edit", "{\"path\":\"outx\"}",
		    "has no write right on path:outx" },
	};
	struct policy_chain *c;
	json_t *args;
	char *why;
	size_t i;

	(void)state;
	c = policy_chain_new(NULL,
	    set_of("bob", "minimal",
		"[{\"resource\":\"exec:ls\",\"rights\":\"x\"},"
		"{\"resource\":\"tool:write\",\"rights\":\"r\"},"
		"{\"resource\":\"tool:edit\",\"rights\":\"r\"},"
		"{\"resource\":\"path:out/**\",\"rights\":\"w\"}]"));
	assert_false(policy_tool_offered(c, "memory_read"));
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		args = json_loads(cases[i].args, 0, NULL);
		assert_non_null(args);
		why = NULL;
		if (cases[i].why == NULL) {
			if (policy_check_call(c, cases[i].tool, args, &why) !=
			    0)
				fail_msg("case %zu: %s", i, why);
		} else {
			assert_int_equal(policy_check_call(c, cases[i].tool,
					     args, &why),
			    -1);
			if (strstr(why, cases[i].why) == NULL)
				fail_msg("case %zu: '%s' lacks '%s'", i, why,
				    cases[i].why);
		}
		free(why);
		json_decref(args);
	}
	policy_chain_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates_table),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_grants_parse),
		cmocka_unit_test(test_grants_add),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_check_call),
		cmocka_unit_test(test_check_call_narrow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
