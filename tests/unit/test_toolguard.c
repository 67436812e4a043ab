/* test_toolguard.c — kernel/toolguard.c: the decision as a table (mode x
 * tool policy x effect x danger x rule x can_ask), then the check end to
 * end on a database: capability refusal, the tool's deny, a deny-listed
 * exec with nobody to ask (fails at once, naming the rule), an allow
 * rule, and a call that waits and is answered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdb.h"

#include "kernel/approvals.h"
#include "kernel/toolguard.h"
#include "security/policy.h"
#include "util/xalloc.h"

#define R TOOLGUARD_RUN
#define X TOOLGUARD_REFUSE
#define A TOOLGUARD_ASK
#define F TOOLGUARD_FAIL

struct decide_case {
	const char *mode, *policy;
	int effect, capable, danger, rule, can_ask;
	enum toolguard_verdict want;
};

static const struct decide_case decide_cases[] = {
	/* mode       policy  eff cap dng rul ask  want */
	{ "dangerous", NULL, 1, 1, 0, 0, 1, R },
	{ "dangerous", NULL, 0, 1, 0, 0, 0, R },
	{ "dangerous", NULL, 1, 0, 0, 0, 1, X }, /* capability first */
	{ "dangerous", NULL, 1, 0, 1, 1, 1, X },
	{ "dangerous", "deny", 0, 1, 0, 0, 1, X },
	{ "dangerous", "deny", 0, 1, 0, 1, 1, X }, /* no rule lifts a deny */
	{ "never", "deny", 0, 1, 0, 0, 1, X },
	{ "dangerous", NULL, 1, 1, 1, 0, 1, A },
	{ "dangerous", NULL, 1, 1, 1, 0, 0, F },
	{ "dangerous", NULL, 1, 1, 1, 1, 0, R },   /* a rule: runs */
	{ "dangerous", "auto", 1, 1, 1, 0, 1, A }, /* danger asks anyway */
	{ "dangerous", "ask", 0, 1, 0, 0, 1, A },
	{ "dangerous", "ask", 0, 1, 0, 0, 0, F },
	{ "dangerous", "ask", 0, 1, 0, 1, 0, R },
	{ "always", NULL, 1, 1, 0, 0, 1, A },
	{ "always", NULL, 0, 1, 0, 0, 1, R }, /* read, ls ...: no effect */
	{ "always", NULL, 1, 1, 0, 0, 0, F },
	{ "always", NULL, 1, 1, 0, 1, 0, R },
	{ "always", "auto", 1, 1, 0, 0, 1, R },
	{ "always", "ask", 0, 1, 0, 0, 1, A },
	{ "never", NULL, 1, 1, 0, 0, 1, R },
	{ "never", NULL, 1, 1, 1, 0, 1, X }, /* deny-listed: refused */
	{ "never", NULL, 1, 1, 1, 1, 1, X },
	{ "never", "auto", 1, 1, 1, 0, 1, X },
	{ "never", "ask", 1, 1, 0, 0, 1, A }, /* the tool's own word */
	{ NULL, NULL, 1, 1, 0, 0, 1, R },     /* no mode: "dangerous" */
	{ NULL, NULL, 1, 1, 1, 0, 0, F },
};

static void
test_decide_table(void **state)
{
	struct toolguard_in in;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof decide_cases / sizeof *decide_cases; i++) {
		const struct decide_case *c = &decide_cases[i];

		memset(&in, 0, sizeof in);
		in.mode = c->mode;
		in.policy = c->policy;
		in.effect = c->effect;
		in.capable = c->capable;
		in.danger = c->danger;
		in.rule = c->rule;
		in.can_ask = c->can_ask;
		why = NULL;
		if (toolguard_decide(&in, &why) != c->want) {
			fprintf(stderr, "case %zu: got %d, want %d\n", i,
			    toolguard_decide(&in, &why), c->want);
			fail();
		}
		assert_non_null(why);
		if (c->want != R)
			assert_true(*why != '\0');
	}
}

/* ---- the check, end to end ---- */

static struct tmpdb tdb;
static struct config *cfg;
static struct policy_chain *chain; /* profile "ops", template worker */

static int
setup(void **state)
{
	static const char toml[] =
	    "[security]\napproval = \"dangerous\"\n"
	    "approval_timeout_secs = 30\n"
	    "[security.tools.write]\napproval = \"ask\"\n"
	    "[security.tools.edit]\napproval = \"deny\"\n";
	char *cause = NULL;

	(void)state;
	if (config_load_text("test", toml, sizeof toml - 1, &cfg, &cause) !=
	    0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	chain = policy_chain_new(NULL,
	    policy_set_new("ops", "worker", NULL, &cause));
	return tmpdb_setup(&tdb, "toolguard");
}

static int
teardown(void **state)
{
	(void)state;
	tmpdb_teardown(&tdb);
	policy_chain_free(chain);
	config_free(cfg);
	return 0;
}

static const struct tool_def def_memw = { .name = "memory_write" };
static const struct tool_def def_edit = { .name = "edit",
	.flags = TOOL_EFFECT };
static const struct tool_def def_write = { .name = "write",
	.flags = TOOL_EFFECT };
static const struct tool_def def_exec = { .name = "exec",
	.flags = TOOL_EFFECT | TOOL_EXEC };

static void
guard_init(struct toolguard *tg, int can_ask)
{
	memset(tg, 0, sizeof *tg);
	tg->db = tdb.db;
	tg->cfg = cfg;
	tg->principal = "ops";
	tg->agent_id = "agent-1";
	tg->session_id = "session-1";
	tg->can_ask = can_ask;
	tg->chain = chain;
}

static void
test_check_refusals(void **state)
{
	struct toolguard tg;
	json_t *args = json_pack("{s:s}", "path", "a.txt");
	char *why = NULL;

	(void)state;
	guard_init(&tg, 1);
	assert_int_equal(toolguard_check(&tg, &def_memw, args, NULL, &why), -1);
	assert_string_equal(why,
	    "permission denied: agent profile 'ops' (template worker) has no "
	    "read right on tool:memory_write");
	free(why);
	why = NULL;
	assert_int_equal(toolguard_check(&tg, &def_edit, args, NULL, &why), -1);
	assert_non_null(strstr(why, "edit is refused"));
	free(why);
	why = NULL;
	json_decref(args);
	/* A harmless exec runs; a deny-listed one with nobody to ask
	 * fails at once, naming the danger and the way out. */
	args = json_pack("{s:s, s:[s]}", "binary", "git", "args", "status");
	assert_int_equal(toolguard_check(&tg, &def_exec, args, NULL, &why), 0);
	json_decref(args);
	args = json_pack("{s:s, s:[s, s]}", "binary", "git", "args", "push",
	    "--force");
	guard_init(&tg, 0);
	assert_int_equal(toolguard_check(&tg, &def_exec, args, NULL, &why), -1);
	assert_non_null(strstr(why,
	    "needs a human approval (deny-listed: git push --force (or a "
	    "+refspec) can overwrite others' history"));
	assert_non_null(strstr(why, "nobody can answer"));
	assert_non_null(strstr(why, "allow rule"));
	free(why);
	why = NULL;
	/* No approval row was left behind. */
	json_t *l = approvals_list(tdb.db, 1, 10, NULL);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	json_decref(args);
}

struct answerer {
	int approve;
	const char *scope;
	int rc;
};

/* Answer the first pending approval once one appears. */
static void *
answer_first(void *arg)
{
	struct answerer *an = arg;
	sqlite3 *db = NULL;
	char *cause = NULL;
	json_t *l = NULL;
	int i;

	an->rc = -100;
	if (db_open(tdb.path, &db, &cause) != 0) {
		free(cause);
		return NULL;
	}
	for (i = 0; i < 200; i++) {
		l = approvals_list(db, 0, 1, NULL);
		if (json_array_size(l) == 1)
			break;
		json_decref(l);
		l = NULL;
		usleep(20000);
	}
	if (l != NULL) {
		an->rc = approvals_answer(db,
		    json_string_value(
			json_object_get(json_array_get(l, 0), "id")),
		    an->approve, an->scope, "user", NULL, &cause);
		free(cause);
	}
	json_decref(l);
	db_close(db);
	return NULL;
}

static int progress_ticks;

static void
progress(void *arg)
{
	(void)arg;
	progress_ticks++;
}

static void
test_check_waits(void **state)
{
	struct toolguard tg;
	struct answerer an = { .approve = 1, .scope = "always" };
	struct cancel stop;
	json_t *args =
	    json_pack("{s:s, s:s}", "path", "a.txt", "content", "hi");
	char *why = NULL;
	pthread_t t;

	(void)state;
	cancel_init(&stop, NULL, 0);
	guard_init(&tg, 1);
	tg.progress = progress;
	progress_ticks = 0;
	/* write is "ask": it waits, an "always" answer lets it run... */
	assert_int_equal(pthread_create(&t, NULL, answer_first, &an), 0);
	assert_int_equal(toolguard_check(&tg, &def_write, args, &stop, &why),
	    0);
	pthread_join(t, NULL);
	assert_int_equal(an.rc, 0);
	assert_true(progress_ticks >= 1);
	/* ...and the rule lets the same call run with nobody to ask. */
	guard_init(&tg, 0);
	assert_int_equal(toolguard_check(&tg, &def_write, args, &stop, &why),
	    0);
	json_decref(args);
	/* Another call is not covered; a rejection is a tool error. */
	args = json_pack("{s:s, s:s}", "path", "b.txt", "content", "hi");
	assert_int_equal(toolguard_check(&tg, &def_write, args, &stop, &why),
	    -1);
	free(why);
	why = NULL;
	guard_init(&tg, 1);
	an.approve = 0;
	an.scope = NULL;
	assert_int_equal(pthread_create(&t, NULL, answer_first, &an), 0);
	assert_int_equal(toolguard_check(&tg, &def_write, args, &stop, &why),
	    -1);
	pthread_join(t, NULL);
	assert_int_equal(an.rc, 0);
	assert_non_null(strstr(why, "a human rejected this call"));
	free(why);
	json_decref(args);
	cancel_destroy(&stop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_table),
		cmocka_unit_test_setup_teardown(test_check_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_waits, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
