/*
 * test_kernel_perm.c — an agent's capabilities in the kernel: the chain
 * loaded for a principal (its row, else the default template) under a
 * parent, the worker's allowlist and shell mode narrowed to it, the tools
 * it does not offer left out of a registry, and the guard's refusal with
 * its access_denied audit entry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tmpdb.h"

#include "kernel/kernel_perm.h"
#include "kernel/toolguard.h"
#include "kernel/memtools.h"
#include "security/audit.h"
#include "security/permstore.h"
#include "util/xalloc.h"

static struct tmpdb tdb;
static sqlite3 *db; /* tdb.db */
static struct config *cfg;

static int
setup(void **state)
{
	const char *toml = "[security]\ndefault_template = \"standard\"\n";
	char *cause = NULL;

	(void)state;
	if (tmpdb_setup(&tdb, "kperm") != 0)
		return -1;
	db = tdb.db;
	if (config_load_text("t", toml, strlen(toml), &cfg, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	config_free(cfg);
	cfg = NULL;
	tmpdb_teardown(&tdb);
	db = NULL;
	return 0;
}

/* Set `who` to template `tpl` with grants in JSON text (or NULL). */
static void
put(const char *who, const char *tpl, const char *grants)
{
	json_t *g = grants != NULL ? json_loads(grants, 0, NULL) : NULL;
	char *cause = NULL;

	if (permstore_put(db, who, tpl, g, "user", 1, &cause) != 0)
		fail_msg("%s", cause);
	json_decref(g);
}

/* The names a registry offers, as one string "a b c". */
static char *
names(struct registry *reg)
{
	json_t *defs = registry_defs(reg), *d;
	char *out = xstrdup(""), *t;
	size_t i;

	json_array_foreach(defs, i, d) {
		xasprintf(&t, "%s%s%s", out, i > 0 ? " " : "",
		    json_string_value(json_object_get(d, "name")));
		free(out);
		out = t;
	}
	json_decref(defs);
	return out;
}

static void
test_chain_narrow_tools(void **state)
{
	struct policy_chain *c, *child;
	struct hands_policy pol;
	struct registry *reg;
	json_t *allow, *narrowed;
	char *cause = NULL, *n;

	(void)state;
	/* No row: security.default_template (standard). */
	c = kernel_perm_chain(db, cfg, "ann", NULL, NULL, &cause);
	assert_non_null(c);
	assert_true(policy_tool_offered(c, "memory_read"));
	assert_false(policy_tool_offered(c, "memory_write"));
	policy_chain_free(c);

	put("bob", "minimal",
	    "[{\"resource\":\"exec:ls\",\"rights\":\"x\"},"
	    "{\"resource\":\"exec:make\",\"rights\":\"x\"}]");
	c = kernel_perm_chain(db, cfg, "bob", NULL, NULL, &cause);
	assert_non_null(c);
	memset(&pol, 0, sizeof pol);
	allow = json_pack("[s,s,s]", "ls", "git", "cat");
	pol.allowlist = allow;
	pol.allow_shell = 1;
	narrowed = kernel_perm_narrow(c, &pol);
	/* exec.allowlist and the exec: grants: make is not on the list. */
	assert_ptr_equal(pol.allowlist, narrowed);
	assert_int_equal(json_array_size(narrowed), 1);
	assert_string_equal(json_string_value(json_array_get(narrowed, 0)),
	    "ls");
	assert_false(pol.allow_shell);
	reg = registry_new();
	registry_add_hands(reg, NULL, &pol);
	memtools_add(reg, NULL);
	kernel_perm_tools(reg, c);
	n = names(reg);
	assert_string_equal(n, "read ls find grep exec");
	free(n);
	registry_free(reg);
	json_decref(narrowed);

	/* A worker child under bob keeps bob's narrower exec and gains no
	 * write tools; the shell mode stays off. */
	put("carl", "worker", NULL);
	child = kernel_perm_chain(db, cfg, "carl", NULL, c, &cause);
	assert_non_null(child);
	pol.allowlist = allow;
	pol.allow_shell = 1;
	narrowed = kernel_perm_narrow(child, &pol);
	assert_int_equal(json_array_size(narrowed), 1);
	assert_false(pol.allow_shell);
	assert_false(policy_tool_offered(child, "write"));
	json_decref(narrowed);
	policy_chain_free(child);
	policy_chain_free(c);

	/* A worker alone keeps the whole allowlist and the shell mode. */
	c = kernel_perm_chain(db, cfg, "carl", NULL, NULL, &cause);
	pol.allowlist = allow;
	pol.allow_shell = 1;
	narrowed = kernel_perm_narrow(c, &pol);
	assert_int_equal(json_array_size(narrowed), 3);
	assert_true(pol.allow_shell);
	json_decref(narrowed);
	policy_chain_free(c);
	json_decref(allow);

	/* A row that no longer parses stops the agent, naming it. */
	assert_int_equal(sqlite3_exec(db,
			     "UPDATE agent_permissions SET grants = '[1]' "
			     "WHERE principal = 'carl'",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_null(kernel_perm_chain(db, cfg, "carl", NULL, NULL, &cause));
	assert_non_null(strstr(cause, "agent profile 'carl'"));
	free(cause);
}

static void
test_guard_audits(void **state)
{
	static const struct tool_def exec_def = { .name = "exec",
		.flags = TOOL_EXEC | TOOL_EFFECT };
	struct policy_chain *chain;
	struct toolguard tg;
	json_t *args, *l, *e;
	char *why = NULL, *cause = NULL;

	(void)state;
	put("dave", "minimal", "[{\"resource\":\"exec:ls\",\"rights\":\"x\"}]");
	chain = kernel_perm_chain(db, cfg, "dave", NULL, NULL, &cause);
	memset(&tg, 0, sizeof tg);
	tg.db = db;
	tg.cfg = cfg;
	tg.principal = "dave";
	tg.agent_id = "a1";
	tg.chain = chain;
	args = json_pack("{s:s}", "binary", "ls");
	assert_int_equal(toolguard_check(&tg, &exec_def, args, NULL, &why), 0);
	assert_null(why);
	json_decref(args);
	args = json_pack("{s:s, s:[s]}", "binary", "git", "args", "status");
	assert_int_equal(toolguard_check(&tg, &exec_def, args, NULL, &why), -1);
	assert_string_equal(why,
	    "permission denied: agent profile 'dave' (template minimal) has "
	    "no execute right on exec:git");
	json_decref(args);
	l = audit_list(db, 0, 10, "access_denied", NULL, NULL, &cause);
	assert_int_equal(json_array_size(l), 1);
	e = json_array_get(l, 0);
	assert_string_equal(json_string_value(json_object_get(e, "actor")),
	    "agent:a1");
	assert_string_equal(json_string_value(json_object_get(e, "resource")),
	    "exec");
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(e, "detail"),
				    "why")),
	    why);
	json_decref(l);
	free(why);
	why = NULL;
	/* Permitted, but deny-listed: nobody can answer here, so it fails. */
	policy_chain_free(chain);
	put("erin", "minimal",
	    "[{\"resource\":\"exec:sudo\",\"rights\":\"x\"}]");
	chain = kernel_perm_chain(db, cfg, "erin", NULL, NULL, &cause);
	tg.principal = "erin";
	tg.chain = chain;
	args = json_pack("{s:s, s:[s]}", "binary", "sudo", "args", "true");
	assert_int_equal(toolguard_check(&tg, &exec_def, args, NULL, &why), -1);
	assert_non_null(strstr(why, "needs a human approval (deny-listed: "));
	assert_non_null(strstr(why, "nobody can answer"));
	json_decref(args);
	free(why);
	l = audit_list(db, 0, 10, "approval", NULL, NULL, &cause);
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
	policy_chain_free(chain);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_narrow_tools, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_guard_audits, setup,
		    teardown),
	};
	int rc;

	if (audit_open(1, 300, NULL) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	audit_close();
	return rc;
}
