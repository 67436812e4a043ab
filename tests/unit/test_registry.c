/*
 * test_registry.c — the one tool registry: every embedded schema
 * compiles and uses only keywords the validator supports, every row has
 * a schema and every schema a row, the hands' rows match the worker's
 * table, the policy decides what is offered, and every call is checked
 * against its schema before anything runs (brain tools here; hands tools
 * through a real worker, this binary as its own `__worker`).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/registry.h"
#include "kernel/memtools.h"
#include "skills/skill_tool.h"
#include "tmpdir.h"
#include "util/jsonschema.h"

/* Annotations: allowed anywhere, never asserting. */
static const char *const annotations[] = { "description", "title", "default",
	"examples", "$comment", NULL };

static int
in_list(const char *const *list, const char *k)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, k) == 0)
			return 1;
	}
	return 0;
}

/* Every keyword of a schema (below "properties", names are not
 * keywords). */
static void
check_keywords(const char *file, json_t *schema)
{
	const char *k;
	json_t *v, *p;
	size_t i;

	if (!json_is_object(schema))
		return;
	json_object_foreach(schema, k, v) {
		if (!in_list(jsonschema_supported(), k) &&
		    !in_list(annotations, k))
			fail_msg("%s: keyword '%s' is not supported by the "
				 "validator",
			    file, k);
		if (strcmp(k, "properties") == 0 ||
		    strcmp(k, "patternProperties") == 0 ||
		    strcmp(k, "$defs") == 0) {
			json_object_foreach(v, k, p)
				check_keywords(file, p);
		} else if (json_is_array(v) && strcmp(k, "enum") != 0 &&
		    strcmp(k, "required") != 0) {
			json_array_foreach(v, i, p)
				check_keywords(file, p);
		} else if (json_is_object(v) && strcmp(k, "const") != 0 &&
		    strcmp(k, "default") != 0)
			check_keywords(file, v);
	}
}

static int
row_uses(const struct tool_def *rows, const char *schema)
{
	for (; rows->name != NULL; rows++) {
		if (strcmp(rows->schema, schema) == 0 ||
		    (rows->schema_shell != NULL &&
			strcmp(rows->schema_shell, schema) == 0))
			return 1;
	}
	return 0;
}

static void
test_schemas(void **state)
{
	const struct tool_schema_src *s;
	const struct tool_def *t;
	const struct tool *w;
	json_t *doc;
	char *cause = NULL;
	int n = 0;

	(void)state;
	if (registry_schemas_check(&cause) != 0)
		fail_msg("%s", cause);
	for (s = tool_schema_srcs; s->name != NULL; s++, n++) {
		doc = json_loads(s->text, 0, NULL);
		assert_true(json_is_object(doc));
		assert_string_equal(json_string_value(
					json_object_get(doc, "type")),
		    "object");
		check_keywords(s->name, doc);
		json_decref(doc);
		/* Every schema belongs to a row ("agent": kernel.c's). */
		if (!row_uses(registry_hands, s->name) &&
		    !row_uses(memtools_rows, s->name) &&
		    strcmp(s->name, skill_tool_def.schema) != 0 &&
		    strcmp(s->name, "agent") != 0)
			fail_msg("schema %s is used by no tool", s->name);
	}
	assert_true(n >= 12);
	/* Every row names a schema that exists; names are unique. */
	for (t = registry_hands; t->name != NULL; t++) {
		assert_non_null(registry_schema_text(t->schema));
		assert_int_equal(t->where, TOOL_HANDS);
		assert_null(t->fn);
		assert_true(strlen(t->description) > 20);
		/* The worker runs exactly the hands' rows. */
		w = tools_find(t->name);
		assert_non_null(w);
		assert_int_equal(w->flags, t->flags & TOOL_EXEC);
	}
	for (w = tool_table; w->name != NULL; w++) {
		for (t = registry_hands; t->name != NULL; t++)
			if (strcmp(t->name, w->name) == 0)
				break;
		if (t->name == NULL)
			fail_msg("worker tool %s has no registry row", w->name);
	}
	for (t = memtools_rows; t->name != NULL; t++) {
		assert_non_null(registry_schema_text(t->schema));
		assert_int_equal(t->where, TOOL_BRAIN);
		assert_non_null(t->fn);
		assert_null(tools_find(t->name));
	}
	assert_null(registry_schema_text("nope"));
}

static void
test_policy(void **state)
{
	struct hands_policy pol;
	struct registry *reg;
	json_t *defs, *v, *props, *allow = json_pack("[s,s]", "echo", "cat");
	size_t i;
	int saw_exec = 0;

	(void)state;
	memset(&pol, 0, sizeof pol);
	reg = registry_new();
	registry_add_hands(reg, NULL, &pol);
	defs = registry_defs(reg);
	json_array_foreach(defs, i, v) {
		assert_true(json_is_object(json_object_get(v, "input_schema")));
		if (strcmp(json_string_value(json_object_get(v, "name")),
			"exec") == 0)
			saw_exec = 1;
	}
	assert_int_equal(json_array_size(defs), 6);
	assert_false(saw_exec); /* nothing could run */
	json_decref(defs);
	registry_free(reg);

	pol.allowlist = allow;
	reg = registry_new();
	registry_add_hands(reg, NULL, &pol);
	defs = registry_defs(reg);
	assert_int_equal(json_array_size(defs), 7);
	v = json_array_get(defs, 6);
	assert_non_null(
	    strstr(json_string_value(json_object_get(v, "description")),
		"Allowed programs: echo, cat"));
	props =
	    json_object_get(json_object_get(v, "input_schema"), "properties");
	assert_null(json_object_get(props, "command"));
	json_decref(defs);
	registry_free(reg);

	pol.allow_shell = 1;
	reg = registry_new();
	registry_add_hands(reg, NULL, &pol);
	/* A second add replaces rows, it does not double them. */
	registry_add_hands(reg, NULL, &pol);
	defs = registry_defs(reg);
	assert_int_equal(json_array_size(defs), 7);
	v = json_array_get(defs, 6);
	props =
	    json_object_get(json_object_get(v, "input_schema"), "properties");
	assert_non_null(json_object_get(props, "command"));
	json_decref(defs);
	/* A tool left out (a capability the run lacks) is neither offered
	 * nor callable; the others keep their order. */
	registry_remove(reg, "write");
	registry_remove(reg, "write");
	registry_remove(reg, "nonesuch");
	defs = registry_defs(reg);
	assert_int_equal(json_array_size(defs), 6);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(defs, 0),
				    "name")),
	    "read");
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(defs, 1),
				    "name")),
	    "edit");
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(defs, 5),
				    "name")),
	    "exec");
	assert_null(registry_def(reg, "write"));
	json_decref(defs);
	registry_free(reg);
	json_decref(allow);
}

static int brain_calls;

static int
brain_echo(struct tool_call *call, json_t *args, struct tool_result *res)
{
	brain_calls++;
	assert_string_equal(call->ctx, "context");
	assert_string_equal(call->name, "agent");
	if (strcmp(json_string_value(json_object_get(args, "task")), "fail") ==
	    0)
		return tools_fail(res, "it failed");
	res->output = strdup(json_string_value(json_object_get(args, "task")));
	return 0;
}

static const struct tool_def brain_row = {
	.name = "agent",
	.where = TOOL_BRAIN,
	.description = "a test tool with the agent tool's schema",
	.schema = "agent",
	.fn = brain_echo,
};

/* Call and return {ok, output|error} as text (caller frees). */
static char *
call(struct registry *reg, const char *name, const char *args, int *fatal)
{
	json_t *a =
	    args != NULL ? json_loads(args, JSON_ALLOW_NUL, NULL) : NULL;
	json_t *r = registry_call(reg, name, a, NULL, fatal);
	char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(a);
	json_decref(r);
	return s;
}

static void
expect(struct registry *reg, const char *name, const char *args,
    const char *want)
{
	char *got;
	int fatal = -1;

	got = call(reg, name, args, &fatal);
	if (strstr(got, want) == NULL)
		fail_msg("%s %s: want %s, got %s", name, args, want, got);
	assert_int_equal(fatal, 0);
	free(got);
}

static void
test_brain_dispatch(void **state)
{
	struct registry *reg = registry_new();

	(void)state;
	registry_add(reg, &brain_row, "context");
	brain_calls = 0;
	expect(reg, "agent", "{\"task\":\"hello\"}",
	    "{\"ok\":true,\"output\":\"hello\",\"truncated\":false}");
	expect(reg, "agent", "{\"task\":\"fail\"}",
	    "{\"error\":\"it failed\",\"ok\":false}");
	assert_int_equal(brain_calls, 2);
	/* Refused before the handler runs. */
	expect(reg, "agent", "{}",
	    "invalid arguments for agent: (root): missing required property "
	    "\\\"task\\\"");
	expect(reg, "agent", NULL, "invalid arguments for agent");
	expect(reg, "agent", "{\"task\": 3}", "invalid arguments for agent");
	expect(reg, "agent", "{\"task\": \"\"}", "invalid arguments");
	expect(reg, "agent", "{\"task\": \"x\", \"extra\": 1}",
	    "invalid arguments");
	expect(reg, "agent", "[1]", "invalid arguments");
	expect(reg, "memory_write", "{}", "unknown tool 'memory_write'");
	/* A brain tool takes text: a NUL (valid JSON) would cut it. */
	expect(reg, "agent", "{\"task\": \"list\\u0000 rm -rf\"}",
	    "invalid arguments for agent: /task: a NUL character (\\\\u0000) "
	    "in a string");
	expect(reg, "agent", "{\"task\": \"\\u0000\"}", "/task: a NUL");
	assert_int_equal(brain_calls, 2);
	registry_free(reg);
}

static int guard_calls;

static int
guard_check(void *arg, const struct tool_def *def, json_t *args,
    struct cancel *stop, char **why)
{
	const char *task = json_string_value(json_object_get(args, "task"));

	(void)stop;
	assert_string_equal(arg, "guard");
	assert_string_equal(def->name, "agent");
	guard_calls++;
	if (task != NULL && strcmp(task, "forbidden") == 0) {
		*why = strdup("not allowed: forbidden");
		return -1;
	}
	return 0;
}

/* The guard sees valid calls only, before the handler; its no is the
 * tool's error. */
static void
test_guard(void **state)
{
	struct registry_guard g = { guard_check, "guard" };
	struct registry *reg = registry_new();

	(void)state;
	registry_add(reg, &brain_row, "context");
	registry_set_guard(reg, &g);
	brain_calls = guard_calls = 0;
	expect(reg, "agent", "{\"task\":\"hello\"}", "\"ok\":true");
	expect(reg, "agent", "{\"task\":\"forbidden\"}",
	    "{\"error\":\"not allowed: forbidden\",\"ok\":false}");
	assert_int_equal(guard_calls, 2);
	assert_int_equal(brain_calls, 1);
	expect(reg, "agent", "{}", "invalid arguments for agent");
	expect(reg, "nope", "{}", "unknown tool");
	assert_int_equal(guard_calls, 2);
	assert_non_null(registry_def(reg, "agent"));
	assert_null(registry_def(reg, "nope"));
	registry_set_guard(reg, NULL);
	expect(reg, "agent", "{\"task\":\"forbidden\"}", "\"ok\":true");
	assert_int_equal(guard_calls, 2);
	registry_free(reg);
}

static char dir[64];

static void
test_hands_dispatch(void **state)
{
	struct hands_policy pol;
	struct registry *reg;
	struct hands *h = NULL;
	const char *p = getenv("LD_PRELOAD");
	char *cause = NULL, ws[128], *got;
	int fatal;
	pid_t pid;

	(void)state;
	/* Under valgrind /proc/self/exe is valgrind: no worker. */
	if (p != NULL && strstr(p, "vgpreload") != NULL)
		skip();
	reg = registry_new();
	assert_int_equal(tmpdir_make(dir, sizeof dir, "registry"), 0);
	snprintf(ws, sizeof ws, "%s/ws", dir);
	memset(&pol, 0, sizeof pol);
	pol.workspace = ws;
	pol.exec_timeout_secs = 10;
	pol.max_output_bytes = 4096;
	if (hands_spawn(&pol, &h, &cause) != 0)
		fail_msg("%s", cause);
	registry_add_hands(reg, h, &pol);
	expect(reg, "write", "{\"path\":\"a.txt\",\"content\":\"hi\"}",
	    "\"ok\":true");
	expect(reg, "read", "{\"path\":\"a.txt\"}", "hi");
	/* Refused here: the worker never sees them. */
	expect(reg, "read", "{}", "invalid arguments for read");
	expect(reg, "read", "{\"path\":\"a.txt\",\"limit\":0}",
	    "invalid arguments for read: /limit");
	expect(reg, "exec", "{\"binary\":\"ls\"}", "unknown tool 'exec'");
	/* The worker still answers. */
	expect(reg, "ls", NULL, "a.txt");
	/* A dead worker is replaced: the call goes to fresh hands. */
	pid = hands_pid(h);
	hands_kill(h);
	got = call(reg, "ls", "{}", &fatal);
	assert_int_equal(fatal, 0);
	assert_non_null(strstr(got, "a.txt"));
	assert_int_not_equal(hands_pid(h), pid);
	free(got);
	registry_free(reg);
	hands_close(h);
	tmpdir_remove(dir);
}

/* An exec result keeps how the command ended; a failed run's output
 * is only in its error. */
static void
test_hands_exec_fields(void **state)
{
	struct hands_policy pol;
	struct registry *reg;
	struct hands *h = NULL;
	const char *p = getenv("LD_PRELOAD");
	char *cause = NULL, ws[128], *got;
	json_t *allow;
	int fatal;

	(void)state;
	if (p != NULL && strstr(p, "vgpreload") != NULL)
		skip();
	reg = registry_new();
	assert_int_equal(tmpdir_make(dir, sizeof dir, "registry"), 0);
	snprintf(ws, sizeof ws, "%s/ws", dir);
	allow = json_pack("[s,s]", "sleep", "echo");
	memset(&pol, 0, sizeof pol);
	pol.workspace = ws;
	pol.allowlist = allow;
	pol.exec_timeout_secs = 10;
	pol.max_output_bytes = 4096;
	if (hands_spawn(&pol, &h, &cause) != 0)
		fail_msg("%s", cause);
	registry_add_hands(reg, h, &pol);
	got = call(reg, "exec", "{\"binary\":\"sleep\",\"args\":[\"x\"]}",
	    &fatal);
	assert_int_equal(fatal, 0);
	if (strstr(got,
		"\"ended\":\"exit code 1\",\"error\":\"exit code 1; "
		"output:\\nsleep: invalid time interval") == NULL ||
	    strstr(got, "\"exit_code\":1,") == NULL ||
	    strstr(got, "\"ok\":false,\"ran\":true}") == NULL ||
	    strstr(got, "\"output\"") != NULL ||
	    strstr(got, "\"truncated\"") != NULL)
		fail_msg("exec sleep x: %s", got);
	free(got);
	expect(reg, "exec", "{\"binary\":\"echo\",\"args\":[\"hi\"]}",
	    "\"exit_code\":0,\"ok\":true,\"output\":\"hi\\n\",\"ran\":true");
	expect(reg, "exec", "{\"binary\":\"rm\"}",
	    "\"ok\":false,\"ran\":false,\"refused\":true}");
	registry_free(reg);
	hands_close(h);
	json_decref(allow);
	tmpdir_remove(dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemas),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_brain_dispatch),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_hands_dispatch),
		cmocka_unit_test(test_hands_exec_fields),
	};

	if (argc == 2 && strcmp(argv[1], "__worker") == 0)
		return worker_main();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
