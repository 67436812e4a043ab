/*
 * verify.c — one criterion checked mechanically (verify.h): its command
 * in a fresh sandboxed worker, then its artifacts and its assertion.
 *
 * How the command ended is read from the fields of the worker's answer
 * to the exec call (agent/tools.h, struct tool_run; tools_run_parse()
 * checks them): "ran" (false with "refused" when the command policy
 * refused it, false alone when it could not be started), "exit_code",
 * "signal", "timed_out" with "timeout_secs", "stopped", and for a failed
 * run "ended" (how it ended in the tool's words, kept as they are) and
 * "output" (the command's output, apart from the error).  The words of
 * the error are never parsed: rewording them changes nothing here.
 * test_verify checks this against the real tool.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/tools.h"
#include "ouroboros/verify.h"
#include "security/cmdpolicy.h"
#include "util/buf.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static const char *const verify_state_names[] = {
	[OURO_VERIFY_PASSED] = "passed",
	[OURO_VERIFY_FAILED] = "failed",
	[OURO_VERIFY_UNCHECKED] = "unchecked",
	[OURO_VERIFY_ERROR] = "error",
};

const char *
ouro_verify_state_name(enum ouro_verify_state st)
{
	if ((size_t)st >=
	    sizeof verify_state_names / sizeof *verify_state_names)
		return "unknown";
	return verify_state_names[st];
}

/* Add a reason, taking ownership of `s`. */
static void
verify_reason_take(struct ouro_verify_result *res, char *s)
{
	res->reasons = xreallocarray(res->reasons, res->nreasons + 1,
	    sizeof *res->reasons);
	res->reasons[res->nreasons++] = s;
}

static void __attribute__((format(printf, 2, 3)))
verify_reason(struct ouro_verify_result *res, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	verify_reason_take(res, s);
}

void
ouro_verify_result_free(struct ouro_verify_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nreasons; i++)
		free(res->reasons[i]);
	free(res->reasons);
	free(res->ended);
	free(res->output);
	memset(res, 0, sizeof *res);
	res->exit_status = -1;
}

int
ouro_verify_outcome(const json_t *answer, struct ouro_verify_result *res,
    char **output, char **why)
{
	int ok = json_is_true(json_object_get(answer, "ok"));
	const char *msg, *s, *descr;
	struct tool_run run;
	char *cause = NULL, name[32];

	*output = NULL;
	*why = NULL;
	res->ran = 0;
	res->exit_status = -1;
	res->timed_out = 0;
	free(res->ended);
	res->ended = NULL;
	if (tools_run_parse(answer, ok, &run, &cause) == -1) {
		xasprintf(why,
		    "verify_command failed: the worker's answer is "
		    "malformed: %s",
		    cause);
		free(cause);
		return -1;
	}
	msg = json_string_value(json_object_get(answer, "error"));
	if ((ok && run.state != TOOL_RUN_RAN) || (!ok && msg == NULL)) {
		xasprintf(why,
		    "verify_command failed: the worker's answer gave no %s",
		    ok ? "way the command ended" : "reason");
		return -1;
	}
	if (run.state != TOOL_RUN_RAN) {
		if (run.state == TOOL_RUN_NOSTART)
			xasprintf(why, "verify_command could not run: %s", msg);
		else
			xasprintf(why,
			    "verify_command refused by the command policy: %s",
			    msg);
		return -1;
	}
	s = json_string_value(json_object_get(answer, "output"));
	/* The tool's word for nothing: no output at all (ok only). */
	*output = xstrdup(
	    s == NULL || (ok && strcmp(s, "(no output)") == 0) ? "" : s);
	res->output_cut = json_is_true(json_object_get(answer, "truncated"));
	res->ran = 1;
	res->exit_status = run.exit_code;
	res->timed_out = run.timed_out;
	if (ok) {
		res->ended = xstrdup("exit code 0");
		return 0;
	}
	res->ended = run.ended; /* taken */
	if (run.timed_out)
		xasprintf(why, "verify_command timed out after %d s",
		    run.timeout_secs);
	else if (run.stopped)
		xasprintf(why, "verify_command was stopped: %s", res->ended);
	else if (run.signal > 0) {
		descr = sigdescr_np(run.signal);
		xasprintf(why, "verify_command was killed by %s%s%s%s",
		    tools_signame(run.signal, name, sizeof name),
		    descr != NULL ? " (" : "", descr != NULL ? descr : "",
		    descr != NULL ? ")" : "");
	} else if (run.exit_code == 0)
		xasprintf(why, "verify_command exited 0 but failed: %s",
		    res->ended);
	else
		xasprintf(why, "verify_command exited %d", run.exit_code);
	return -1;
}

/* At most OURO_VERIFY_EXCERPT bytes of `s`: its head and its tail. */
static char *
verify_excerpt(const char *s, int *cut)
{
	size_t len = strlen(s), half = OURO_VERIFY_EXCERPT / 2, h, t;
	char *e;

	if (len <= OURO_VERIFY_EXCERPT)
		return xstrdup(s);
	*cut = 1;
	h = utf8_cutn(s, len, half);
	t = len - half;
	while (t < len && ((unsigned char)s[t] & 0xC0) == 0x80)
		t++;
	xasprintf(&e, "%.*s\n[... %zu bytes omitted ...]\n%s", (int)h, s, t - h,
	    s + t);
	return e;
}

/* The exec tool's arguments for `command`, or NULL with *cause. */
static json_t *
verify_exec_args(const struct ouro_verify_env *env, const char *command,
    char **cause)
{
	json_t *args, *jw;
	char **words;
	size_t i, n;

	if (env->policy->allow_shell)
		args = json_pack("{s:s, s:s}", "mode", "shell", "command",
		    command);
	else {
		if ((words = ouro_verify_words(command, &n, cause)) == NULL)
			return NULL;
		jw = json_array();
		for (i = 1; i < n; i++)
			json_array_append_new(jw, json_string(words[i]));
		args = json_pack("{s:s, s:o}", "binary", words[0], "args", jw);
		ouro_verify_words_free(words);
	}
	if (env->timeout_secs > 0)
		json_object_set_new(args, "timeout",
		    json_integer(env->timeout_secs));
	return args;
}

/*
 * Run `command` in a fresh worker.  0 with *output (new: the command
 * ran, whatever its end), or -1 (reasons and state set, *output NULL
 * when it did not run).  An error of the check itself sets *error.
 */
static int
verify_run(const struct ouro_verify_env *env, const char *command,
    struct ouro_verify_result *res, char **output, int *error)
{
	struct cmd_danger danger;
	struct hands *h = NULL;
	json_t *args, *answer = NULL;
	char *cause = NULL, *why = NULL;
	int rc = -1;

	*output = NULL;
	if ((args = verify_exec_args(env, command, &cause)) == NULL) {
		verify_reason(res,
		    "verify_command could not be split into words: %s", cause);
		free(cause);
		return -1;
	}
	/* A check runs unattended: nobody approves a deny-listed one. */
	if (cmdpolicy_check(args, &danger)) {
		verify_reason(res,
		    "verify_command is deny-listed (%s): %s; a check never "
		    "waits for a human approval",
		    danger.rule, danger.why);
		json_decref(args);
		return -1;
	}
	if (hands_acquire(env->policy, &h, &cause) == -1) {
		verify_reason(res, "the verify worker did not start: %s",
		    cause);
		*error = 1;
		goto out;
	}
	if (hands_call(h, "exec", args, env->cancel, &answer, &cause) == -1) {
		if (cancel_fired(env->cancel)) {
			verify_reason(res, "the check was cancelled");
			*error = 1;
		} else {
			res->ran = 1;
			verify_reason(res,
			    "verify_command: the verify worker died while it "
			    "ran: %s",
			    cause);
		}
		goto out;
	}
	if (ouro_verify_outcome(answer, res, output, &why) == -1)
		verify_reason_take(res, why);
	rc = 0;
out:
	if (h != NULL)
		hands_retire(h);
	json_decref(args);
	json_decref(answer);
	free(cause);
	return rc;
}

/* Check the artifacts beneath the workspace; -1: it cannot be opened. */
static int
verify_artifacts(const struct ouro_verify_env *env, char *const *artifacts,
    size_t nartifacts, struct ouro_verify_result *res)
{
	char *why;
	size_t i;
	int dirfd;

	if ((dirfd = open(env->policy->workspace,
		 O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		verify_reason(res, "the workspace %s cannot be opened: %s",
		    env->policy->workspace, strerror(errno));
		return -1;
	}
	for (i = 0; i < nartifacts; i++) {
		if (ouro_verify_artifact(dirfd, artifacts[i], &why) != 1)
			verify_reason_take(res, why);
	}
	close(dirfd);
	return 0;
}

enum ouro_verify_state
ouro_verify_criterion(const struct ouro_verify_env *env,
    const char *verify_command, char *const *artifacts, size_t nartifacts,
    const char *assertion, struct ouro_verify_result *res)
{
	uint64_t t0 = time_mono_ms();
	char *cause = NULL, *output = NULL, *why = NULL;
	int error = 0, rc;

	memset(res, 0, sizeof *res);
	res->exit_status = -1;
	res->has_command = verify_command != NULL;
	rc = ouro_verify_check(verify_command, artifacts, nartifacts, assertion,
	    &cause);
	if (rc == 0) {
		verify_reason(res,
		    "not mechanically checkable: the criterion has no "
		    "verify_command, artifacts or assertion");
		res->state = OURO_VERIFY_UNCHECKED;
		goto out;
	}
	if (rc == -1) {
		verify_reason_take(res, cause);
		res->state = OURO_VERIFY_FAILED;
		goto out;
	}
	if (cancel_fired(env->cancel)) {
		verify_reason(res, "the check was cancelled");
		res->state = OURO_VERIFY_ERROR;
		goto out;
	}
	if (verify_command != NULL &&
	    verify_run(env, verify_command, res, &output, &error) == -1 &&
	    error) {
		res->state = OURO_VERIFY_ERROR;
		goto out;
	}
	if (verify_artifacts(env, artifacts, nartifacts, res) == -1) {
		res->state = OURO_VERIFY_ERROR;
		goto out;
	}
	/* Against what it printed; a command that never ran failed above. */
	if (assertion != NULL && output != NULL &&
	    ouro_verify_assert(assertion, output, strlen(output), &why) != 1)
		verify_reason_take(res, why);
	if (output != NULL)
		res->output = verify_excerpt(output, &res->output_cut);
	res->state =
	    res->nreasons == 0 ? OURO_VERIFY_PASSED : OURO_VERIFY_FAILED;
out:
	free(output);
	res->duration_ms = (long long)(time_mono_ms() - t0);
	return res->state;
}

json_t *
ouro_verify_result_json(const struct ouro_verify_result *res)
{
	json_t *o, *reasons = json_array();
	size_t i;

	for (i = 0; i < res->nreasons; i++)
		json_array_append_new(reasons, json_string(res->reasons[i]));
	o = json_pack("{s:s, s:o, s:b, s:o, s:s?, s:b, s:s?, s:b, s:I, s:o}",
	    "state", ouro_verify_state_name(res->state), "passed",
	    res->state == OURO_VERIFY_PASSED     ? json_true() :
		res->state == OURO_VERIFY_FAILED ? json_false() :
						   json_null(),
	    "ran", res->ran, "exit_status",
	    res->ran && res->exit_status >= 0 ? json_integer(res->exit_status) :
						json_null(),
	    "ended", res->ended, "timed_out", res->timed_out, "output",
	    res->output, "output_truncated", res->output_cut, "duration_ms",
	    (json_int_t)res->duration_ms, "reasons", reasons);
	return o;
}
