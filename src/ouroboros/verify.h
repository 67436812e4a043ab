/*
 * verify.h — the mechanical stage of an Ouroboros evaluation: one
 * acceptance criterion checked by what it says can be checked without a
 * judge.  Free (no LLM call) and authoritative: a criterion that fails
 * here fails, whatever a judge says later (docs/ouroboros.md,
 * "Mechanical evaluation").
 *
 * A criterion may carry three checks, each optional:
 *   - verify_command: run in a FRESH sandboxed worker (hands_acquire(),
 *     never the executing agent's), through the worker's exec tool with
 *     its limits: the allowlist, shell mode only where the policy allows
 *     it, exec.timeout_secs, the output cap.  It passes when it exits 0.
 *     With shell allowed it runs as `sh -c COMMAND`; without, it is split
 *     into words (ouro_verify_words()) and run as a program and its
 *     arguments.
 *   - artifacts: workspace-relative paths that must exist after the
 *     command ran; one ending in '/' must be a directory.  Checked beneath
 *     the workspace with the tools' rule (security/confine.h): an absolute
 *     path, a ".." that climbs out, a link that leads out are refused.
 *   - assertion: checked against the command's output (stdout and stderr
 *     together, as the exec tool gives them): a plain substring the
 *     output must contain, or "/ERE/" (also "/ERE/i", case-insensitive),
 *     a POSIX extended regular expression matched in linear time
 *     (util/regex.h) somewhere in the output.  An assertion needs a
 *     verify_command.
 * A criterion with none of the three is not mechanically checkable: its
 * state is OURO_VERIFY_UNCHECKED, neither a pass nor a failure.
 *
 * Level 4 (agent): the caller (the kernel facade) builds the worker's
 * `struct hands_policy`; this module includes no kernel header.
 */
#ifndef OXIOS_OUROBOROS_VERIFY_H
#define OXIOS_OUROBOROS_VERIFY_H

#include <stddef.h>
#include <jansson.h>

#include "agent/hands.h"
#include "util/cancel.h"

#define OURO_VERIFY_EXCERPT 4096     /* bytes of output kept in a result */
#define OURO_VERIFY_MAX_COMMAND 8192 /* bytes of one verify_command */
#define OURO_VERIFY_MAX_ARTIFACTS 64 /* artifacts of one criterion */
#define OURO_VERIFY_REGEX_BUDGET (64ULL * 1024 * 1024) /* NFA steps */

enum ouro_verify_state {
	OURO_VERIFY_PASSED,    /* every check it has passed */
	OURO_VERIFY_FAILED,    /* at least one check failed: see reasons */
	OURO_VERIFY_UNCHECKED, /* nothing to check mechanically */
	OURO_VERIFY_ERROR,     /* the check could not be made (no worker,
				  cancelled): neither pass nor failure */
};

/* Where and how a criterion is checked; everything borrowed. */
struct ouro_verify_env {
	/* The verify worker's policy; its workspace is the one checked. */
	const struct hands_policy *policy;
	const struct cancel *cancel; /* may be NULL */
	int timeout_secs; /* the command's; 0 or above: the policy's limit */
};

/* What one criterion's mechanical check found (owned; see _free). */
struct ouro_verify_result {
	enum ouro_verify_state state;
	int has_command;       /* the criterion has a verify_command */
	int ran;               /* the command ran (was not refused) */
	int exit_status;       /* its exit code; -1 when it did not exit */
	int timed_out;         /* it was killed at its timeout */
	char *ended;           /* how it ended ("exit code 1", "timed out
				after 2 s", ...), NULL when it did not run */
	char *output;          /* an excerpt of its output (at most
				OURO_VERIFY_EXCERPT bytes), NULL if none */
	int output_cut;        /* output was dropped (exec's cap or ours) */
	long long duration_ms; /* the whole check, worker start included */
	char **reasons;        /* one sentence per failure (or why unchecked) */
	size_t nreasons;
};

/*
 * Check one criterion: `verify_command` (NULL: none), `artifacts`
 * (`nartifacts` workspace-relative paths, may be 0) and `assertion`
 * (NULL: none) in env->policy->workspace.  Fills *res (zeroed first;
 * free with ouro_verify_result_free()) and returns its state.  A
 * refused or failing command, a missing artifact, an assertion that does
 * not hold or is malformed are OURO_VERIFY_FAILED with their reasons;
 * a worker that cannot start or a cancel are OURO_VERIFY_ERROR.  Starts
 * its worker on the calling thread when no pool runs (see hands.h).
 */
enum ouro_verify_state ouro_verify_criterion(const struct ouro_verify_env *env,
    const char *verify_command, char *const *artifacts, size_t nartifacts,
    const char *assertion, struct ouro_verify_result *res);
/* Free what res holds; it is zeroed.  NULL is fine. */
void ouro_verify_result_free(struct ouro_verify_result *res);
/*
 * The result as a new JSON object (caller decrefs): {"state", "passed"
 * (true/false, null when unchecked or error), "ran", "exit_status" (null
 * when it did not exit), "ended", "timed_out", "output",
 * "output_truncated", "duration_ms", "reasons": [...]}.
 */
json_t *ouro_verify_result_json(const struct ouro_verify_result *res);
/* "passed", "failed", "unchecked", "error" (static). */
const char *ouro_verify_state_name(enum ouro_verify_state st);

/*
 * The pure parts, for ouro_verify_criterion(), seed validation and tests.
 */

/*
 * Whether the criterion is well formed, without running anything: a
 * command that is not empty nor too long, at most OURO_VERIFY_MAX_ARTIFACTS
 * artifacts each passing the workspace's path rule, an assertion that
 * parses and has a command.  Returns 1 (checkable), 0 (nothing to check)
 * or -1 with *cause (caller frees) saying what is wrong.
 */
int ouro_verify_check(const char *verify_command, char *const *artifacts,
    size_t nartifacts, const char *assertion, char **cause);
/*
 * Check `assertion` against output[0..len): 1 it holds, 0 it does not,
 * -1 malformed (an empty one, "/" alone, "//", a bad regex, a match past
 * its budget).  *why (caller frees) is set on 0 and -1: the reason.
 */
int ouro_verify_assert(const char *assertion, const char *output, size_t len,
    char **why);
/*
 * Check artifact `path` beneath the directory `dirfd`: 1 it is there (and
 * a directory when `path` ends in '/'), 0 it is not, -1 refused (outside
 * the workspace, malformed).  *why (caller frees) is set on 0 and -1.
 */
int ouro_verify_artifact(int dirfd, const char *path, char **why);
/*
 * Split `command` into words the way a shell would for a simple command,
 * without running one: blanks separate words; '...' keeps everything
 * literally; "..." keeps everything but lets \" \\ \$ \` stand for the
 * character; a backslash outside quotes escapes the next character.
 * Expansions and operators are not interpreted (the exec tool refuses
 * metacharacters in structured mode).  Returns a new NULL-terminated
 * array of new strings (free with ouro_verify_words_free()) with its
 * count in *n, or NULL with *cause (no word, an unclosed quote, a
 * trailing backslash).
 */
char **ouro_verify_words(const char *command, size_t *n, char **cause);
void ouro_verify_words_free(char **words);
/*
 * Read the worker's answer to an exec call (see hands_call()) into res
 * from its fields (agent/tools.h, tools_run_parse()), never from the
 * words of its error: ran, exit_status, timed_out, ended (the tool's
 * words, as they are), output_cut, and the full output in *output
 * (caller frees, NULL when the command did not run).  Returns 0 when it
 * exited 0, else -1 with *why (caller frees): "verify_command exited 1",
 * "... timed out after N s", "... refused by the command policy: ...".
 */
int ouro_verify_outcome(const json_t *answer, struct ouro_verify_result *res,
    char **output, char **why);

#endif
