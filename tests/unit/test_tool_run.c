/*
 * test_tool_run.c — how a command ended, as fields (agent/tools.h,
 * struct tool_run): the exec tool fills them on every path (exit 0, exit
 * N, a signal, a shell's 128+N, a timeout, a cancel, the workspace's
 * cap, a refusal, a program that is not installed), other tools leave
 * them unset; tools_run_json() writes them as an answer's members and
 * tools_run_parse() reads them back, refusing what does not agree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/tools.h"
#include "security/limits.h"
#include "tmpdir.h"
#include "util/xalloc.h"

static char dir[64];
static struct tool_ctx ctx;
static json_t *allow;

static int
setup(void **state)
{
	(void)state;
	if (tmpdir_make(dir, sizeof dir, "toolrun") != 0)
		return -1;
	allow = json_pack("[s,s,s,s,s]", "echo", "true", "false", "sleep",
	    "oxios-no-such-program");
	memset(&ctx, 0, sizeof ctx);
	ctx.workspace = dir;
	ctx.allowlist = allow;
	ctx.exec_timeout_secs = 10;
	ctx.max_output_bytes = 65536;
	ctx.cancel_fd = -1;
	if ((ctx.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	close(ctx.dirfd);
	json_decref(allow);
	tmpdir_remove(dir);
	return 0;
}

/* Written as members and read back, the fields are the same. */
static void
roundtrip(const struct tool_result *res)
{
	struct tool_run back;
	json_t *o = json_object();
	char *cause = NULL;

	tools_run_json(&res->run, o);
	if (tools_run_parse(o, res->ok, &back, &cause) != 0)
		fail_msg("%s: %s", json_dumps(o, 0), cause);
	assert_int_equal(back.state, res->run.state);
	if (back.state == TOOL_RUN_RAN) {
		assert_int_equal(back.exit_code, res->run.exit_code);
		assert_int_equal(back.signal, res->run.signal);
		assert_int_equal(back.timed_out, res->run.timed_out);
		assert_int_equal(back.stopped, res->run.stopped);
		if (res->run.timed_out)
			assert_int_equal(back.timeout_secs,
			    res->run.timeout_secs);
		if (res->ok)
			assert_null(back.ended);
		else
			assert_string_equal(back.ended, res->run.ended);
	} else
		assert_int_equal(json_object_size(o),
		    back.state == TOOL_RUN_NONE        ? 0 :
			back.state == TOOL_RUN_REFUSED ? 2 :
							 1);
	free(back.ended);
	json_decref(o);
}

static void
test_exec_fields(void **state)
{
	static const struct {
		int shell; /* the policy allows it */
		const char *args;
		int ok;
		enum tool_run_state st;
		int exit_code, sig, timed_out, stopped;
		const char *output, *ended; /* output "*": any */
	} cases[] = {
		{ 0, "{\"binary\":\"true\"}", 1, TOOL_RUN_RAN, 0, 0, 0, 0,
		    "(no output)", NULL },
		{ 0, "{\"binary\":\"echo\",\"args\":[\"hi\"]}", 1, TOOL_RUN_RAN,
		    0, 0, 0, 0, "hi\n", NULL },
		{ 0, "{\"binary\":\"false\"}", 0, TOOL_RUN_RAN, 1, 0, 0, 0, "",
		    "exit code 1" },
		{ 1, "{\"mode\":\"shell\",\"command\":\"echo out; exit 4\"}", 0,
		    TOOL_RUN_RAN, 4, 0, 0, 0, "out\n", "exit code 4" },
		{ 1,
		    "{\"mode\":\"shell\",\"command\":\"echo x; kill -TERM $$\"}",
		    0, TOOL_RUN_RAN, -1, SIGTERM, 0, 0, "x\n",
		    "killed by SIGTERM (Terminated)" },
		/* The shell's 128+N is its exit code, not a signal. */
		{ 1,
		    "{\"mode\":\"shell\",\"command\":\"sh -c 'kill -KILL $$'; "
		    "exit $?\"}",
		    0, TOOL_RUN_RAN, 137, 0, 0, 0, "*", /* the shell's say */
		    "exit code 137 (the shell's way of saying a command was "
		    "killed by SIGKILL)" },
		{ 1,
		    "{\"mode\":\"shell\",\"command\":\"echo t; sleep 5\","
		    "\"timeout\":1}",
		    0, TOOL_RUN_RAN, -1, 0, 1, 0, "t\n",
		    "timed out after 1 s: the command and its process group "
		    "were killed" },
		/* Refused: nothing ran. */
		{ 0, "{\"binary\":\"rm\"}", 0, TOOL_RUN_REFUSED, -1, 0, 0, 0,
		    NULL, NULL },
		{ 0, "{\"binary\":\"echo\",\"args\":[\"a;b\"]}", 0,
		    TOOL_RUN_REFUSED, -1, 0, 0, 0, NULL, NULL },
		{ 0, "{\"mode\":\"shell\",\"command\":\"true\"}", 0,
		    TOOL_RUN_REFUSED, -1, 0, 0, 0, NULL, NULL },
		{ 0, "{\"binary\":\"true\",\"cwd\":\"../x\"}", 0,
		    TOOL_RUN_REFUSED, -1, 0, 0, 0, NULL, NULL },
		/* Allowed, but not there to start. */
		{ 0, "{\"binary\":\"oxios-no-such-program\"}", 0,
		    TOOL_RUN_NOSTART, -1, 0, 0, 0, NULL, NULL },
	};
	struct tool_result res;
	json_t *args;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		ctx.allow_shell = cases[i].shell;
		args = json_loads(cases[i].args, 0, NULL);
		assert_non_null(args);
		rc = tools_run(&ctx, "exec", args, &res);
		json_decref(args);
		if ((rc == 0) != cases[i].ok || res.run.state != cases[i].st)
			fail_msg("case %zu: rc %d state %d: %s", i, rc,
			    res.run.state, rc == 0 ? res.output : res.error);
		if (cases[i].st == TOOL_RUN_RAN &&
		    (res.run.exit_code != cases[i].exit_code ||
			res.run.signal != cases[i].sig ||
			res.run.timed_out != cases[i].timed_out ||
			res.run.stopped != cases[i].stopped))
			fail_msg("case %zu: exit %d signal %d timed out %d "
				 "stopped %d",
			    i, res.run.exit_code, res.run.signal,
			    res.run.timed_out, res.run.stopped);
		if (cases[i].output == NULL)
			assert_null(res.output);
		else if (strcmp(cases[i].output, "*") == 0)
			assert_non_null(res.output);
		else
			assert_string_equal(res.output, cases[i].output);
		if (cases[i].ended == NULL)
			assert_null(res.run.ended);
		else {
			assert_string_equal(res.run.ended, cases[i].ended);
			/* The words are still the error's first part. */
			assert_true(
			    strstr(res.error, res.run.ended) == res.error);
		}
		if (res.run.timed_out)
			assert_int_equal(res.run.timeout_secs, 1);
		roundtrip(&res);
		tools_result_free(&res);
	}
	ctx.allow_shell = 0;
}

/* A client that hangs up, a workspace that grows past its cap: stopped. */
static void
test_exec_stopped(void **state)
{
	struct tool_result res;
	json_t *args;
	int sv[2];

	(void)state;
	ctx.allow_shell = 1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	ctx.cancel_fd = sv[0];
	args = json_pack("{s:s, s:s}", "mode", "shell", "command", "sleep 5");
	assert_int_equal(tools_run(&ctx, "exec", args, &res), -1);
	assert_int_equal(res.run.state, TOOL_RUN_RAN);
	assert_true(res.run.stopped);
	assert_false(res.run.timed_out);
	assert_int_equal(res.run.exit_code, -1);
	assert_int_equal(res.run.signal, 0);
	assert_string_equal(res.run.ended, "cancelled: the client went away");
	roundtrip(&res);
	tools_result_free(&res);
	json_decref(args);
	close(sv[0]);
	ctx.cancel_fd = -1;

	ctx.ws_base = limits_ws_usage(ctx.dirfd);
	ctx.ws_cap = 4096;
	args = json_pack("{s:s, s:s}", "mode", "shell", "command",
	    "head -c 1000000 /dev/zero > big; sleep 5");
	assert_int_equal(tools_run(&ctx, "exec", args, &res), -1);
	assert_int_equal(res.run.state, TOOL_RUN_RAN);
	assert_true(res.run.stopped);
	assert_int_equal(res.run.exit_code, -1);
	assert_true(strncmp(res.run.ended, "killed: ", 8) == 0);
	roundtrip(&res);
	tools_result_free(&res);
	json_decref(args);
	ctx.ws_cap = 0;
	ctx.allow_shell = 0;
}

/* Tools that run no program leave the fields unset. */
static void
test_other_tools(void **state)
{
	struct tool_result res;
	json_t *args = json_object();

	(void)state;
	assert_int_equal(tools_run(&ctx, "ls", args, &res), 0);
	assert_int_equal(res.run.state, TOOL_RUN_NONE);
	roundtrip(&res);
	tools_result_free(&res);
	assert_int_equal(tools_run(&ctx, "nope", args, &res), -1);
	assert_int_equal(res.run.state, TOOL_RUN_NONE);
	assert_null(res.output);
	tools_result_free(&res);
	json_decref(args);
}

/* What the parser takes, and what it refuses. */
static void
test_parse(void **state)
{
	static const struct {
		const char *json;
		int ok, rc;
		enum tool_run_state st;
	} cases[] = {
		{ "{}", 1, 0, TOOL_RUN_NONE },
		{ "{}", 0, 0, TOOL_RUN_NONE },
		{ "{\"ran\":false}", 0, 0, TOOL_RUN_NOSTART },
		{ "{\"ran\":false,\"refused\":true}", 0, 0, TOOL_RUN_REFUSED },
		{ "{\"ran\":true,\"exit_code\":0}", 1, 0, TOOL_RUN_RAN },
		{ "{\"ran\":true,\"exit_code\":2,\"ended\":\"e\"}", 0, 0,
		    TOOL_RUN_RAN },
		{ "{\"ran\":true,\"signal\":\"SIGXCPU\",\"ended\":\"e\"}", 0, 0,
		    TOOL_RUN_RAN },
		{ "{\"ran\":true,\"timed_out\":true,\"timeout_secs\":3,"
		  "\"ended\":\"e\"}",
		    0, 0, TOOL_RUN_RAN },
		{ "{\"ran\":true,\"stopped\":true,\"ended\":\"e\"}", 0, 0,
		    TOOL_RUN_RAN },
		/* Refused. */
		{ "{\"exit_code\":0}", 1, -1, 0 },
		{ "{\"ran\":1}", 0, -1, 0 },
		{ "{\"ran\":false}", 1, -1, 0 },
		{ "{\"ran\":false,\"refused\":false}", 0, -1, 0 },
		{ "{\"ran\":false,\"exit_code\":1}", 0, -1, 0 },
		{ "{\"ran\":true}", 0, -1, 0 },
		{ "{\"ran\":true,\"refused\":true,\"exit_code\":0}", 1, -1, 0 },
		{ "{\"ran\":true,\"exit_code\":0,\"signal\":\"SIGKILL\"}", 1,
		    -1, 0 },
		{ "{\"ran\":true,\"exit_code\":1}", 1, -1, 0 },
		{ "{\"ran\":true,\"exit_code\":0,\"ended\":\"e\"}", 1, -1, 0 },
		{ "{\"ran\":true,\"exit_code\":1}", 0, -1, 0 },
		{ "{\"ran\":true,\"exit_code\":256,\"ended\":\"e\"}", 0, -1,
		    0 },
		{ "{\"ran\":true,\"exit_code\":-1,\"ended\":\"e\"}", 0, -1, 0 },
		{ "{\"ran\":true,\"exit_code\":\"1\",\"ended\":\"e\"}", 0, -1,
		    0 },
		{ "{\"ran\":true,\"signal\":\"KILL\",\"ended\":\"e\"}", 0, -1,
		    0 },
		{ "{\"ran\":true,\"signal\":9,\"ended\":\"e\"}", 0, -1, 0 },
		{ "{\"ran\":true,\"timed_out\":true,\"ended\":\"e\"}", 0, -1,
		    0 },
		{ "{\"ran\":true,\"timed_out\":false,\"timeout_secs\":1,"
		  "\"ended\":\"e\"}",
		    0, -1, 0 },
		{ "{\"ran\":true,\"timed_out\":true,\"timeout_secs\":0,"
		  "\"ended\":\"e\"}",
		    0, -1, 0 },
		{ "{\"ran\":true,\"stopped\":false,\"ended\":\"e\"}", 0, -1,
		    0 },
		{ "{\"ran\":true,\"stopped\":true,\"ended\":1}", 0, -1, 0 },
	};
	struct tool_run run;
	json_t *o;
	char *cause;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		o = json_loads(cases[i].json, 0, NULL);
		assert_non_null(o);
		cause = NULL;
		rc = tools_run_parse(o, cases[i].ok, &run, &cause);
		json_decref(o);
		if (rc != cases[i].rc)
			fail_msg("case %zu (%s): want %d, got %d", i,
			    cases[i].json, cases[i].rc, rc);
		if (rc == 0) {
			assert_null(cause);
			assert_int_equal(run.state, cases[i].st);
		} else
			assert_non_null(cause);
		free(cause);
		free(run.ended);
	}
	/* Signals by name, unnamed ones by number. */
	{
		char buf[32];

		assert_string_equal(tools_signame(SIGKILL, buf, sizeof buf),
		    "SIGKILL");
		assert_int_equal(tools_signo("SIGXCPU"), SIGXCPU);
		assert_int_equal(tools_signo(tools_signame(SIGRTMIN + 1, buf,
				     sizeof buf)),
		    SIGRTMIN + 1);
		assert_int_equal(tools_signo("SIGNOPE"), 0);
		assert_int_equal(tools_signo("SIG0"), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec_fields, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_stopped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_tools, setup,
		    teardown),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
