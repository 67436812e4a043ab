/*
 * fuzz_tool_run.c — libFuzzer harness for tools_run_parse() (agent/
 * tools.h): how a command ended, read from a worker's result line by the
 * client (hands_call()) and by Ouroboros's verifier.  The input is one
 * byte (its low bit: the answer's "ok") and a JSON object.  Invariants
 * checked (abort() when one breaks):
 *   - 0 with no cause, or -1 with one; the same answer twice;
 *   - what it accepts agrees with itself: no run's member outside a run,
 *     a run ends in exactly one way, ok exactly after exit code 0 with
 *     no "ended", a failed run has "ended", an exit code in 0..255, a
 *     known signal, a timeout of at least a second;
 *   - written back by tools_run_json() and read again, the fields are
 *     the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_tool_run: invariant broken: %s\n", what);
	abort();
}

static int
fuzz_same(const struct tool_run *a, const struct tool_run *b)
{
	return a->state == b->state && a->exit_code == b->exit_code &&
	    a->signal == b->signal && a->timed_out == b->timed_out &&
	    (!a->timed_out || a->timeout_secs == b->timeout_secs) &&
	    a->stopped == b->stopped &&
	    (a->ended == NULL) == (b->ended == NULL) &&
	    (a->ended == NULL || strcmp(a->ended, b->ended) == 0);
}

static void
fuzz_check(const struct tool_run *r, int ok)
{
	int ways;

	if (r->state != TOOL_RUN_RAN) {
		if (r->exit_code != -1 || r->signal != 0 || r->timed_out ||
		    r->stopped || r->ended != NULL)
			fuzz_die("a run's fields without a run");
		if (ok && r->state != TOOL_RUN_NONE)
			fuzz_die("ok, but it did not run");
		return;
	}
	ways =
	    (r->exit_code >= 0) + (r->signal > 0) + r->timed_out + r->stopped;
	if (ways != 1)
		fuzz_die("a run that ended in more or fewer than one way");
	if (r->exit_code < -1 || r->exit_code > 255)
		fuzz_die("exit code out of range");
	if (r->timed_out && r->timeout_secs < 1)
		fuzz_die("a timeout under a second");
	if (ok != (r->exit_code == 0 && r->ended == NULL))
		fuzz_die("ok disagrees with the exit code");
	if (!ok && r->ended == NULL)
		fuzz_die("a failed run without its words");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tool_run r1, r2, r3;
	char *c1 = NULL, *c2 = NULL, *c3 = NULL;
	json_t *obj, *back;
	int ok, rc1, rc2;

	if (size < 1)
		return 0;
	ok = data[0] & 1;
	obj = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return 0;
	}
	rc1 = tools_run_parse(obj, ok, &r1, &c1);
	rc2 = tools_run_parse(obj, ok, &r2, &c2);
	if ((rc1 != 0 && rc1 != -1) || (rc1 == 0) != (c1 == NULL))
		fuzz_die("answer or cause");
	if (rc1 != rc2 || (rc1 == 0 && !fuzz_same(&r1, &r2)))
		fuzz_die("another answer the second time");
	if (rc1 == 0) {
		fuzz_check(&r1, ok);
		back = json_object();
		tools_run_json(&r1, back);
		if (tools_run_parse(back, ok, &r3, &c3) != 0)
			fuzz_die("written back, it does not parse");
		if (!fuzz_same(&r1, &r3))
			fuzz_die("written back, it reads otherwise");
		free(r3.ended);
		json_decref(back);
	}
	free(r1.ended);
	free(r2.ended);
	free(c1);
	free(c2);
	free(c3);
	json_decref(obj);
	return 0;
}
