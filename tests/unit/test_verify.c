/*
 * test_verify.c — Ouroboros's mechanical check of a criterion: the pure
 * parts (assertions, artifact paths, words, the criterion's form, the
 * exec tool's answers read back, the JSON), then real commands in real
 * workers (this binary exec'd as `__worker`; skipped under valgrind,
 * where /proc/self/exe is valgrind): pass, exit 1, timeout, refused by
 * the allowlist, shell mode, artifacts present, missing and outside,
 * assertions holding and not, a worker that cannot start, a cancel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/hands.h"
#include "openat2.h"
#include "ouroboros/verify.h"
#include "tmpdir.h"

static char dir[64];
static char ws[128];
static json_t *allow;
static struct hands_policy pol;
static struct ouro_verify_env env;

static int
setup(void **state)
{
	(void)state;
	if (tmpdir_make(dir, sizeof dir, "verify") != 0)
		return -1;
	snprintf(ws, sizeof ws, "%s/workspace", dir);
	if (mkdir(ws, 0700) != 0)
		return -1;
	allow = json_pack("[s,s,s,s,s,s]", "echo", "sleep", "false", "true",
	    "mkdir", "printf");
	memset(&pol, 0, sizeof pol);
	pol.workspace = ws;
	pol.allowlist = allow;
	pol.exec_timeout_secs = 30;
	pol.max_output_bytes = 65536;
	pol.cpu_secs = 60;
	pol.memory_mb = 4096;
	memset(&env, 0, sizeof env);
	env.policy = &pol;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	json_decref(allow);
	tmpdir_remove(dir);
	return 0;
}

static int
under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

/* Whether some reason of res contains `s`. */
static int
has_reason(const struct ouro_verify_result *res, const char *s)
{
	size_t i;

	for (i = 0; i < res->nreasons; i++) {
		if (strstr(res->reasons[i], s) != NULL)
			return 1;
	}
	return 0;
}

/* On stderr: print_message() cuts a long line, and its newline with it,
 * which would hide the next test's result line from the TAP reader. */
static void
dump(const struct ouro_verify_result *res)
{
	json_t *j = ouro_verify_result_json(res);
	char *s = json_dumps(j, JSON_INDENT(1));

	fprintf(stderr, "%s\n", s);
	free(s);
	json_decref(j);
}

/* --- pure parts --------------------------------------------------- */

static void
test_assert(void **state)
{
	static const struct {
		const char *assertion, *output;
		int want;
		const char *why; /* part of the reason, or NULL */
	} cases[] = {
		{ "ok", "all ok\n", 1, NULL },
		{ "lo wo", "hello world", 1, NULL },
		{ "nope", "hello world", 0,
		    "assertion \"nope\" was not found in the output" },
		{ "/^ok$/", "ok\n", 1, NULL },
		{ "/^ok$/", "line\nok\nmore\n", 1, NULL },
		{ "/^ok$/", "not ok\n", 0,
		    "assertion /^ok$/ did not match the output" },
		{ "/[0-9]+ passed/", "12 passed, 0 failed", 1, NULL },
		{ "/OK/i", "ok", 1, NULL },
		{ "/OK/", "ok", 0, "did not match" },
		{ "/usr/bin", "ran /usr/bin/x", 1, NULL }, /* a substring */
		{ "/(/", "x", -1, "is not a valid regular expression" },
		{ "/a\\1/", "x", -1, "is not a valid regular expression" },
		{ "//", "x", -1, "the regex is empty" },
		{ "/", "/", -1, "neither a substring nor a /regex/" },
		{ "", "x", -1, "the assertion is empty" },
	};
	char *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		rc = ouro_verify_assert(cases[i].assertion, cases[i].output,
		    strlen(cases[i].output), &why);
		if (rc != cases[i].want)
			fail_msg("case %zu (%s): want %d, got %d (%s)", i,
			    cases[i].assertion, cases[i].want, rc,
			    why != NULL ? why : "");
		if (cases[i].why == NULL)
			assert_null(why);
		else if (why == NULL || strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu: reason '%s', want '%s'", i,
			    why != NULL ? why : "(none)", cases[i].why);
		free(why);
	}
	/* Output with a NUL inside is searched whole. */
	assert_int_equal(ouro_verify_assert("tail", "head\0tail", 9, &why), 1);
	assert_int_equal(ouro_verify_assert("/tail$/", "head\0tail", 9, &why),
	    1);
}

static void
test_words(void **state)
{
	static const struct {
		const char *cmd;
		const char *words[5]; /* NULL-terminated; [0] NULL: error */
		const char *err;
	} cases[] = {
		{ "echo hi", { "echo", "hi", NULL }, NULL },
		{ "  make\t test \n", { "make", "test", NULL }, NULL },
		{ "printf '%s\\n' \"a b\"", { "printf", "%s\\n", "a b", NULL },
		    NULL },
		{ "a\\ b c", { "a b", "c", NULL }, NULL },
		{ "x \"q\\\"t\\n\"", { "x", "q\"t\\n", NULL }, NULL },
		{ "''", { "", NULL }, NULL },
		{ "a'b'\"c\"d", { "abcd", NULL }, NULL },
		{ "", { NULL }, "holds no word" },
		{ " \t", { NULL }, "holds no word" },
		{ "echo 'open", { NULL }, "unclosed quote" },
		{ "echo \"open", { NULL }, "unclosed quote" },
		{ "echo x\\", { NULL }, "ends with a backslash" },
	};
	char **w, *cause;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		cause = NULL;
		w = ouro_verify_words(cases[i].cmd, &n, &cause);
		if (cases[i].words[0] == NULL) {
			if (w != NULL)
				fail_msg("case %zu: want an error", i);
			assert_non_null(strstr(cause, cases[i].err));
			free(cause);
			continue;
		}
		if (w == NULL)
			fail_msg("case %zu: %s", i, cause);
		for (j = 0; cases[i].words[j] != NULL; j++) {
			if (w[j] == NULL || strcmp(w[j], cases[i].words[j]))
				fail_msg("case %zu word %zu: '%s', want '%s'",
				    i, j, w[j] != NULL ? w[j] : "(end)",
				    cases[i].words[j]);
		}
		assert_int_equal(n, j);
		assert_null(w[j]);
		ouro_verify_words_free(w);
	}
}

static void
test_check(void **state)
{
	char *ok[] = { "dist/app", "build/" };
	char *up[] = { "../x" };
	char *absp[] = { "/etc/passwd" };
	char *cause = NULL;
	char *many[OURO_VERIFY_MAX_ARTIFACTS + 1];
	size_t i;

	(void)state;
	assert_int_equal(ouro_verify_check(NULL, NULL, 0, NULL, &cause), 0);
	assert_int_equal(ouro_verify_check("make", ok, 2, "/ok/", &cause), 1);
	assert_int_equal(ouro_verify_check(NULL, ok, 2, NULL, &cause), 1);
	assert_int_equal(ouro_verify_check("make", NULL, 0, NULL, &cause), 1);
	assert_null(cause);
#define REFUSED(cmd, arts, n, as, text) \
	do { \
		assert_int_equal(ouro_verify_check(cmd, arts, n, as, &cause), \
		    -1); \
		if (strstr(cause, text) == NULL) \
			fail_msg("'%s' lacks '%s'", cause, text); \
		free(cause); \
		cause = NULL; \
	} while (0)
	REFUSED(NULL, NULL, 0, "ok", "an assertion without a verify_command");
	REFUSED(" \t", NULL, 0, NULL, "verify_command is empty");
	REFUSED("make", up, 1, NULL, "artifact ../x refused");
	REFUSED("make", absp, 1, NULL, "artifact /etc/passwd refused");
	REFUSED("make", NULL, 0, "/(/", "not a valid regular expression");
	for (i = 0; i <= OURO_VERIFY_MAX_ARTIFACTS; i++)
		many[i] = "a";
	REFUSED("make", many, OURO_VERIFY_MAX_ARTIFACTS + 1, NULL,
	    "too many artifacts");
	{
		char *big = malloc(OURO_VERIFY_MAX_COMMAND + 2);

		memset(big, 'x', OURO_VERIFY_MAX_COMMAND + 1);
		big[OURO_VERIFY_MAX_COMMAND + 1] = '\0';
		REFUSED(big, NULL, 0, NULL, "too long");
		free(big);
	}
#undef REFUSED
}

static void
test_artifact(void **state)
{
	static const struct {
		const char *path;
		int want;
		const char *why;
		int walk_want; /* without openat2, when walk_why is set */
		const char *walk_why;
	} cases[] = {
		{ "a.txt", 1, NULL, 0, NULL },
		{ "./a.txt", 1, NULL, 0, NULL },
		{ "d", 1, NULL, 0, NULL },
		{ "d/", 1, NULL, 0, NULL },
		{ "d/inner.txt", 1, NULL, 0, NULL },
		{ "a.txt/", 0, "artifact a.txt/ is not a directory", 0, NULL },
		{ "dist/app", 0, "artifact dist/app missing", 0, NULL },
		{ "a.txt/x", 0, "missing", 0, NULL },
		/* Links: followed inside with openat2; the walk that stands
		 * in without it (old kernels, valgrind) refuses them all. */
		{ "in", 1, NULL, -1, "symbolic links are not followed" },
		{ "dangling", 0, "missing", -1, "are not followed" },
		{ "../x", -1, "artifact ../x refused", 0, NULL },
		{ "d/../../x", -1, "refused", 0, NULL },
		{ "/etc/passwd", -1, "absolute paths are not allowed", 0,
		    NULL },
		{ "out/passwd", -1, "leads outside the workspace", -1,
		    "refused" },
		{ "", -1, "refused", 0, NULL },
	};
	char path[256], *why;
	const char *want_why;
	size_t i;
	int dirfd, rc, want, walk = !have_openat2();

	(void)state;
	assert_int_equal(tmpdir_put(ws, "a.txt", "x"), 0);
	snprintf(path, sizeof path, "%s/d", ws);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(tmpdir_put(ws, "d/inner.txt", "y"), 0);
	snprintf(path, sizeof path, "%s/in", ws);
	assert_int_equal(symlink("d/inner.txt", path), 0);
	snprintf(path, sizeof path, "%s/out", ws);
	assert_int_equal(symlink("/etc", path), 0);
	snprintf(path, sizeof path, "%s/dangling", ws);
	assert_int_equal(symlink("nowhere", path), 0);
	dirfd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		rc = ouro_verify_artifact(dirfd, cases[i].path, &why);
		want = cases[i].want;
		want_why = cases[i].why;
		if (walk && cases[i].walk_why != NULL) {
			want = cases[i].walk_want;
			want_why = cases[i].walk_why;
		}
		if (rc != want)
			fail_msg("case %zu (%s): want %d, got %d (%s)", i,
			    cases[i].path, want, rc, why != NULL ? why : "");
		if (want_why == NULL)
			assert_null(why);
		else if (why == NULL || strstr(why, want_why) == NULL)
			fail_msg("case %zu: reason '%s', want '%s'", i,
			    why != NULL ? why : "(none)", want_why);
		free(why);
	}
	close(dirfd);
}

/*
 * The exec tool's answers as the worker sends them (src/agent/worker.c):
 * how the command ended is read from the fields, never from the words.
 */
static void
test_outcome(void **state)
{
	static const struct {
		const char *answer;
		int rc, ran, exit_status, timed_out, cut;
		const char *output, *ended, *why;
	} cases[] = {
		{ "{\"ok\":true,\"output\":\"ok\\n\",\"truncated\":false,"
		  "\"ran\":true,\"exit_code\":0}",
		    0, 1, 0, 0, 0, "ok\n", "exit code 0", NULL },
		{ "{\"ok\":true,\"output\":\"(no output)\",\"ran\":true,"
		  "\"exit_code\":0}",
		    0, 1, 0, 0, 0, "", "exit code 0", NULL },
		{ "{\"ok\":true,\"output\":\"x\",\"truncated\":true,\"ran\":"
		  "true,\"exit_code\":0}",
		    0, 1, 0, 0, 1, "x", "exit code 0", NULL },
		{ "{\"ok\":false,\"error\":\"exit code 1; output:\\nboom\\n\","
		  "\"output\":\"boom\\n\",\"ran\":true,\"exit_code\":1,"
		  "\"ended\":\"exit code 1\"}",
		    -1, 1, 1, 0, 0, "boom\n", "exit code 1",
		    "verify_command exited 1" },
		{ "{\"ok\":false,\"error\":\"exit code 137 (the shell's way of "
		  "saying a command was killed by SIGKILL) (no output)\","
		  "\"output\":\"\",\"ran\":true,\"exit_code\":137,\"ended\":"
		  "\"exit code 137 (the shell's way of saying a command was "
		  "killed by SIGKILL)\"}",
		    -1, 1, 137, 0, 0, "", NULL, "verify_command exited 137" },
		{ "{\"ok\":false,\"error\":\"killed by SIGSEGV (Segmentation "
		  "fault); output:\\nx\",\"output\":\"x\",\"ran\":true,"
		  "\"signal\":\"SIGSEGV\",\"ended\":\"killed by SIGSEGV "
		  "(Segmentation fault)\"}",
		    -1, 1, -1, 0, 0, "x",
		    "killed by SIGSEGV (Segmentation fault)",
		    "verify_command was killed by SIGSEGV (Segmentation "
		    "fault)" },
		{ "{\"ok\":false,\"error\":\"timed out after 2 s: the command "
		  "and its process group were killed\\npartial\",\"output\":"
		  "\"partial\",\"truncated\":true,\"ran\":true,\"timed_out\":"
		  "true,\"timeout_secs\":2,\"ended\":\"timed out after 2 s\"}",
		    -1, 1, -1, 1, 1, "partial", "timed out after 2 s",
		    "verify_command timed out after 2 s" },
		{ "{\"ok\":false,\"error\":\"cancelled: gone\",\"output\":\"\","
		  "\"ran\":true,\"stopped\":true,\"ended\":\"cancelled: "
		  "gone\"}",
		    -1, 1, -1, 0, 0, "", "cancelled: gone",
		    "verify_command was stopped: cancelled: gone" },
		{ "{\"ok\":false,\"error\":\"exit code 0; over\",\"output\":"
		  "\"\",\"ran\":true,\"exit_code\":0,\"ended\":\"exit code 0; "
		  "over\"}",
		    -1, 1, 0, 0, 0, "", "exit code 0; over",
		    "verify_command exited 0 but failed: exit code 0; over" },
		/* The words say one thing, the fields another: the fields
		 * win, whatever the tool's wording. */
		{ "{\"ok\":false,\"error\":\"exit code 5; output:\\nno\","
		  "\"output\":\"yes\",\"ran\":true,\"signal\":\"SIGKILL\","
		  "\"ended\":\"the end\"}",
		    -1, 1, -1, 0, 0, "yes", "the end",
		    "verify_command was killed by SIGKILL (Killed)" },
		{ "{\"ok\":false,\"error\":\"timed out after 9 s\",\"output\":"
		  "\"\",\"ran\":true,\"exit_code\":3,\"ended\":\"e\"}",
		    -1, 1, 3, 0, 0, "", "e", "verify_command exited 3" },
		{ "{\"ok\":false,\"error\":\"cannot run 'x': reworded\","
		  "\"ran\":false,\"refused\":true}",
		    -1, 0, -1, 0, 0, NULL, NULL,
		    "verify_command refused by the command policy: cannot run "
		    "'x'" },
		{ "{\"ok\":false,\"error\":\"not an allowed program, said "
		  "otherwise\",\"ran\":false}",
		    -1, 0, -1, 0, 0, NULL, NULL,
		    "verify_command could not run: not an allowed program" },
		{ "{\"ok\":false,\"error\":\"'rm' is not an allowed program "
		  "(allowed: echo)\",\"ran\":false,\"refused\":true}",
		    -1, 0, -1, 0, 0, NULL, NULL,
		    "verify_command refused by the command policy: 'rm' is not "
		    "an allowed program" },
		{ "{\"ok\":false,\"error\":\"'cc' is allowed but not installed "
		  "(not in /usr/bin)\",\"ran\":false}",
		    -1, 0, -1, 0, 0, NULL, NULL,
		    "verify_command could not run: 'cc'" },
		/* No fields: refused before the tool (arguments). */
		{ "{\"ok\":false,\"error\":\"exit code 1; output:\\nboom\"}",
		    -1, 0, -1, 0, 0, NULL, NULL,
		    "verify_command refused by the command policy: exit code 1" },
		{ "{\"ok\":false}", -1, 0, -1, 0, 0, NULL, NULL,
		    "verify_command failed: the worker's answer gave no reason" },
		{ "{\"ok\":true,\"output\":\"ok\"}", -1, 0, -1, 0, 0, NULL,
		    NULL,
		    "verify_command failed: the worker's answer gave no way" },
		/* Fields that do not agree are refused, not guessed at. */
		{ "{\"ok\":false,\"error\":\"e\",\"output\":\"\",\"ran\":true,"
		  "\"exit_code\":1,\"signal\":\"SIGKILL\",\"ended\":\"e\"}",
		    -1, 0, -1, 0, 0, NULL, NULL,
		    "verify_command failed: the worker's answer is malformed" },
		{ "{\"ok\":true,\"output\":\"\",\"ran\":true,\"exit_code\":1}",
		    -1, 0, -1, 0, 0, NULL, NULL,
		    "verify_command failed: the worker's answer is malformed" },
	};
	struct ouro_verify_result res;
	json_t *a;
	char *out, *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		memset(&res, 0, sizeof res);
		a = json_loads(cases[i].answer, 0, NULL);
		assert_non_null(a);
		rc = ouro_verify_outcome(a, &res, &out, &why);
		json_decref(a);
		if (rc != cases[i].rc || res.ran != cases[i].ran ||
		    res.exit_status != cases[i].exit_status ||
		    res.timed_out != cases[i].timed_out ||
		    res.output_cut != cases[i].cut)
			fail_msg("case %zu: rc %d ran %d exit %d timeout %d "
				 "cut %d",
			    i, rc, res.ran, res.exit_status, res.timed_out,
			    res.output_cut);
		if (cases[i].output == NULL)
			assert_null(out);
		else
			assert_string_equal(out, cases[i].output);
		if (cases[i].ended != NULL)
			assert_string_equal(res.ended, cases[i].ended);
		if (cases[i].why == NULL)
			assert_null(why);
		else if (why == NULL || strstr(why, cases[i].why) != why)
			fail_msg("case %zu: reason '%s', want '%s...'", i,
			    why != NULL ? why : "(none)", cases[i].why);
		free(out);
		free(why);
		ouro_verify_result_free(&res);
	}
}

static void
test_json(void **state)
{
	struct ouro_verify_result res;
	char *r[] = { "verify_command exited 1", "artifact dist/app missing" };
	json_t *j;

	(void)state;
	memset(&res, 0, sizeof res);
	res.state = OURO_VERIFY_FAILED;
	res.has_command = res.ran = 1;
	res.exit_status = 1;
	res.ended = strdup("exit code 1");
	res.output = strdup("boom\n");
	res.duration_ms = 42;
	res.reasons = calloc(2, sizeof *res.reasons);
	res.reasons[0] = strdup(r[0]);
	res.reasons[1] = strdup(r[1]);
	res.nreasons = 2;
	j = ouro_verify_result_json(&res);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	    "failed");
	assert_true(json_is_false(json_object_get(j, "passed")));
	assert_true(json_is_true(json_object_get(j, "ran")));
	assert_int_equal(json_integer_value(json_object_get(j, "exit_status")),
	    1);
	assert_string_equal(json_string_value(json_object_get(j, "ended")),
	    "exit code 1");
	assert_string_equal(json_string_value(json_object_get(j, "output")),
	    "boom\n");
	assert_true(json_is_false(json_object_get(j, "timed_out")));
	assert_true(json_is_false(json_object_get(j, "output_truncated")));
	assert_int_equal(json_integer_value(json_object_get(j, "duration_ms")),
	    42);
	assert_int_equal(json_array_size(json_object_get(j, "reasons")), 2);
	assert_string_equal(json_string_value(
				json_array_get(json_object_get(j, "reasons"),
				    1)),
	    r[1]);
	json_decref(j);
	ouro_verify_result_free(&res);
	assert_int_equal(res.nreasons, 0);

	/* Unchecked: passed is null, as are a command's fields. */
	assert_int_equal(ouro_verify_criterion(&env, NULL, NULL, 0, NULL, &res),
	    OURO_VERIFY_UNCHECKED);
	assert_true(has_reason(&res, "not mechanically checkable"));
	j = ouro_verify_result_json(&res);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	    "unchecked");
	assert_true(json_is_null(json_object_get(j, "passed")));
	assert_true(json_is_null(json_object_get(j, "exit_status")));
	assert_true(json_is_null(json_object_get(j, "ended")));
	assert_true(json_is_null(json_object_get(j, "output")));
	json_decref(j);
	ouro_verify_result_free(&res);
	assert_string_equal(ouro_verify_state_name(OURO_VERIFY_PASSED),
	    "passed");
	assert_string_equal(ouro_verify_state_name(OURO_VERIFY_ERROR), "error");
}

/* Artifacts alone need no worker (so this runs under valgrind too). */
static void
test_artifacts_only(void **state)
{
	struct ouro_verify_result res;
	char *arts[] = { "a.txt", "dist/app", "../x" };

	(void)state;
	assert_int_equal(tmpdir_put(ws, "a.txt", "x"), 0);
	assert_int_equal(ouro_verify_criterion(&env, NULL, arts, 2, NULL, &res),
	    OURO_VERIFY_FAILED);
	assert_int_equal(res.nreasons, 1);
	assert_string_equal(res.reasons[0], "artifact dist/app missing");
	assert_false(res.ran);
	ouro_verify_result_free(&res);
	assert_int_equal(ouro_verify_criterion(&env, NULL, arts, 1, NULL, &res),
	    OURO_VERIFY_PASSED);
	assert_int_equal(res.nreasons, 0);
	ouro_verify_result_free(&res);
	/* A path outside: refused before anything runs. */
	assert_int_equal(ouro_verify_criterion(&env, "echo x", arts + 2, 1,
			     NULL, &res),
	    OURO_VERIFY_FAILED);
	assert_true(has_reason(&res, "artifact ../x refused"));
	assert_false(res.ran);
	ouro_verify_result_free(&res);
	/* An assertion needs a command. */
	assert_int_equal(ouro_verify_criterion(&env, NULL, NULL, 0, "ok", &res),
	    OURO_VERIFY_FAILED);
	assert_true(has_reason(&res, "an assertion without a verify_command"));
	ouro_verify_result_free(&res);
}

/* --- real commands in real workers -------------------------------- */

#define NEED_WORKER() \
	do { \
		if (under_valgrind()) \
			skip(); \
	} while (0)

static enum ouro_verify_state
run(const char *cmd, char **arts, size_t n, const char *assertion,
    struct ouro_verify_result *res)
{
	enum ouro_verify_state st;

	st = ouro_verify_criterion(&env, cmd, arts, n, assertion, res);
	dump(res);
	return st;
}

static void
test_run_pass(void **state)
{
	struct ouro_verify_result res;
	char *arts[] = { "made/", "." };

	(void)state;
	NEED_WORKER();
	assert_int_equal(run("mkdir made", arts, 2, NULL, &res),
	    OURO_VERIFY_PASSED);
	assert_true(res.ran);
	assert_int_equal(res.exit_status, 0);
	assert_string_equal(res.output, "");
	assert_int_equal(res.nreasons, 0);
	ouro_verify_result_free(&res);

	/* Substring and regex assertions against the output. */
	assert_int_equal(run("echo all 12 passed", NULL, 0, "12 passed", &res),
	    OURO_VERIFY_PASSED);
	assert_string_equal(res.output, "all 12 passed\n");
	ouro_verify_result_free(&res);
	assert_int_equal(run("printf 'x\\nok\\n'", NULL, 0, "/^ok$/", &res),
	    OURO_VERIFY_PASSED);
	ouro_verify_result_free(&res);
}

static void
test_run_fail(void **state)
{
	struct ouro_verify_result res;
	char *arts[] = { "dist/app", "made/" };

	(void)state;
	NEED_WORKER();
	/* Exit 1, and every other failure listed beside it. */
	assert_int_equal(run("false", arts, 1, "ok", &res), OURO_VERIFY_FAILED);
	assert_true(res.ran);
	assert_int_equal(res.exit_status, 1);
	assert_string_equal(res.reasons[0], "verify_command exited 1");
	assert_true(has_reason(&res, "artifact dist/app missing"));
	assert_true(has_reason(&res, "assertion \"ok\" was not found"));
	assert_int_equal(res.nreasons, 3);
	ouro_verify_result_free(&res);

	/* Exits 0, but the assertion does not hold. */
	assert_int_equal(run("echo not ok", NULL, 0, "/^ok$/", &res),
	    OURO_VERIFY_FAILED);
	assert_int_equal(res.exit_status, 0);
	assert_int_equal(res.nreasons, 1);
	assert_string_equal(res.reasons[0],
	    "assertion /^ok$/ did not match the output");
	ouro_verify_result_free(&res);

	/* A file where a directory is expected. */
	assert_int_equal(tmpdir_put(ws, "made", "file"), 0);
	assert_int_equal(run("true", arts + 1, 1, NULL, &res),
	    OURO_VERIFY_FAILED);
	assert_string_equal(res.reasons[0],
	    "artifact made/ is not a directory");
	ouro_verify_result_free(&res);
}

static void
test_run_timeout(void **state)
{
	struct ouro_verify_result res;

	(void)state;
	NEED_WORKER();
	env.timeout_secs = 1;
	assert_int_equal(run("sleep 10", NULL, 0, NULL, &res),
	    OURO_VERIFY_FAILED);
	assert_true(res.timed_out);
	assert_int_equal(res.exit_status, -1);
	assert_string_equal(res.reasons[0],
	    "verify_command timed out after 1 s");
	assert_string_equal(res.ended,
	    "timed out after 1 s: the command and its process group were "
	    "killed");
	assert_true(res.duration_ms >= 1000 && res.duration_ms < 10000);
	ouro_verify_result_free(&res);
	/* The policy's limit holds whatever the caller asks. */
	env.timeout_secs = 0;
	pol.exec_timeout_secs = 1;
	assert_int_equal(run("sleep 10", NULL, 0, NULL, &res),
	    OURO_VERIFY_FAILED);
	assert_true(res.timed_out);
	ouro_verify_result_free(&res);
}

static void
test_run_refused(void **state)
{
	struct ouro_verify_result res;

	(void)state;
	NEED_WORKER();
	assert_int_equal(run("rm -rf x", NULL, 0, "ok", &res),
	    OURO_VERIFY_FAILED);
	assert_false(res.ran);
	assert_null(res.output);
	assert_int_equal(res.nreasons, 1); /* no assertion without output */
	assert_true(strstr(res.reasons[0],
			"verify_command refused by the command policy: 'rm' "
			"is not an allowed program") == res.reasons[0]);
	ouro_verify_result_free(&res);
	/* No shell: an operator is refused, not interpreted. */
	assert_int_equal(run("echo a && echo b", NULL, 0, NULL, &res),
	    OURO_VERIFY_FAILED);
	assert_false(res.ran);
	assert_true(has_reason(&res, "refused by the command policy"));
	assert_true(has_reason(&res, "metacharacter"));
	ouro_verify_result_free(&res);
	assert_int_equal(run("echo 'open", NULL, 0, NULL, &res),
	    OURO_VERIFY_FAILED);
	assert_true(has_reason(&res, "could not be split into words"));
	ouro_verify_result_free(&res);
	/* Deny-listed: refused before a worker, whatever the allowlist. */
	assert_int_equal(run("sudo true", NULL, 0, NULL, &res),
	    OURO_VERIFY_FAILED);
	assert_false(res.ran);
	assert_true(has_reason(&res, "verify_command is deny-listed (sudo)"));
	assert_true(has_reason(&res, "never waits for a human"));
	ouro_verify_result_free(&res);
}

static void
test_run_shell(void **state)
{
	struct ouro_verify_result res;
	char *arts[] = { "out.txt", "dist/" };

	(void)state;
	NEED_WORKER();
	pol.allow_shell = 1;
	assert_int_equal(run("echo hi > out.txt && mkdir -p dist && cat "
			     "out.txt",
			     arts, 2, "/^hi$/", &res),
	    OURO_VERIFY_PASSED);
	ouro_verify_result_free(&res);
	assert_int_equal(run("echo bad >&2; exit 3", NULL, 0, "bad", &res),
	    OURO_VERIFY_FAILED);
	assert_int_equal(res.exit_status, 3);
	assert_string_equal(res.output, "bad\n"); /* stderr is output too */
	assert_int_equal(res.nreasons, 1);
	assert_string_equal(res.reasons[0], "verify_command exited 3");
	assert_string_equal(res.ended, "exit code 3");
	ouro_verify_result_free(&res);
	/* Killed by a signal: no exit status, the signal named. */
	assert_int_equal(run("echo dying; kill -KILL $$", NULL, 0, "dying",
			     &res),
	    OURO_VERIFY_FAILED);
	assert_true(res.ran);
	assert_int_equal(res.exit_status, -1);
	assert_false(res.timed_out);
	assert_string_equal(res.output, "dying\n");
	assert_string_equal(res.ended, "killed by SIGKILL (Killed)");
	assert_int_equal(res.nreasons, 1);
	assert_string_equal(res.reasons[0],
	    "verify_command was killed by SIGKILL (Killed)");
	ouro_verify_result_free(&res);
	/* A shell's 128+N is the exit status it gave. */
	assert_int_equal(run("sh -c 'kill -KILL $$'; exit $?", NULL, 0, NULL,
			     &res),
	    OURO_VERIFY_FAILED);
	assert_int_equal(res.exit_status, 137);
	assert_string_equal(res.reasons[0], "verify_command exited 137");
	assert_true(
	    strstr(res.ended, "exit code 137 (the shell's way") == res.ended);
	ouro_verify_result_free(&res);
	/* In a worker, not here: its environment is scrubbed. */
	setenv("OXIOS_VERIFY_SECRET", "s3cret", 1);
	assert_int_equal(run("env", NULL, 0, "s3cret", &res),
	    OURO_VERIFY_FAILED);
	unsetenv("OXIOS_VERIFY_SECRET");
	assert_int_equal(res.exit_status, 0);
	assert_int_equal(res.nreasons, 1);
	assert_string_equal(res.reasons[0],
	    "assertion \"s3cret\" was not found in the output");
	ouro_verify_result_free(&res);
	assert_int_equal(run("env", NULL, 0, "/^PATH=/", &res),
	    OURO_VERIFY_PASSED);
	ouro_verify_result_free(&res);
	pol.allow_shell = 0;
}

static void
test_run_excerpt(void **state)
{
	struct ouro_verify_result res;
	char cmd[64];

	(void)state;
	NEED_WORKER();
	pol.allow_shell = 1;
	/* 20000 bytes ending in "END": the excerpt keeps head and tail;
	 * the assertion saw the whole output. */
	snprintf(cmd, sizeof cmd, "printf '%%020000d' 0; echo END");
	assert_int_equal(run(cmd, NULL, 0, "/0{500}END/", &res),
	    OURO_VERIFY_PASSED);
	assert_true(res.output_cut);
	assert_true(strlen(res.output) < OURO_VERIFY_EXCERPT + 64);
	assert_non_null(strstr(res.output, "bytes omitted"));
	assert_non_null(strstr(res.output, "END\n"));
	ouro_verify_result_free(&res);
	pol.allow_shell = 0;
}

static void
test_run_error(void **state)
{
	struct ouro_verify_result res;
	struct cancel c;

	(void)state;
	NEED_WORKER();
	/* The worker refuses to start: an error, not a failure. */
	pol.workspace = "/dev/null/ws";
	assert_int_equal(run("true", NULL, 0, NULL, &res), OURO_VERIFY_ERROR);
	assert_true(has_reason(&res, "the verify worker did not start"));
	ouro_verify_result_free(&res);
	pol.workspace = ws;
	/* Cancelled before and during. */
	cancel_init(&c, NULL, 0);
	cancel_fire(&c);
	env.cancel = &c;
	assert_int_equal(run("true", NULL, 0, NULL, &res), OURO_VERIFY_ERROR);
	assert_true(has_reason(&res, "cancelled"));
	ouro_verify_result_free(&res);
	cancel_destroy(&c);
	cancel_init(&c, NULL, 500);
	assert_int_equal(run("sleep 10", NULL, 0, NULL, &res),
	    OURO_VERIFY_ERROR);
	assert_true(has_reason(&res, "cancelled"));
	assert_true(res.duration_ms < 10000);
	ouro_verify_result_free(&res);
	cancel_destroy(&c);
	env.cancel = NULL;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_assert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_artifact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcome, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_artifacts_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_run_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_run_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_run_shell, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_run_excerpt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_run_error, setup,
		    teardown),
	};

	/* hands_acquire() execs /proc/self/exe: this binary is the worker. */
	if (argc == 2 && strcmp(argv[1], "__worker") == 0)
		return worker_main();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
