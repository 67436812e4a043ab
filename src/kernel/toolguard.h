/*
 * toolguard.h — the registry guard of a run (docs/security.md, "Policy
 * layer"): every tool call, after its arguments are valid and before it
 * runs, is checked in this order:
 *
 *   1. the capability check (the agent profile's permissions): refused;
 *   2. [security.tools.NAME] approval = "deny": refused;
 *   3. the deny list (exec only): a dangerous call;
 *   4. whether it needs a human: a dangerous call always does (whatever
 *      the tool's own policy: the deny list asks a human or refuses),
 *      except under security.approval = "never", where it is refused; a
 *      tool whose policy is "ask" does; one whose policy is "auto" does
 *      not; otherwise under "always", a tool with TOOL_EFFECT does;
 *   5. a call that needs a human and matches an allow rule exactly runs;
 *   6. else it waits for a human if one can answer in this run, or fails
 *      at once with a reason the model can act on.
 *
 * Steps 1-6 as a pure function are toolguard_decide() (test_toolguard).
 */
#ifndef OXIOS_KERNEL_TOOLGUARD_H
#define OXIOS_KERNEL_TOOLGUARD_H

#include <jansson.h>
#include <sqlite3.h>

#include "agent/registry.h"
#include "config/config.h"

struct kernel_run;
struct policy_chain;

struct toolguard {
	sqlite3 *db;
	const struct config *cfg;
	const char *principal; /* agent profile; NULL: "default" */
	const char *agent_id, *session_id;
	int can_ask;            /* a human can answer in this run */
	struct kernel_run *run; /* the run (opaque here; the hooks' owner) */
	/* The agent's capabilities (policy_check_call()); NULL: everything
	 * allowed.  Exec calls always pass the deny list (cmdpolicy). */
	const struct policy_chain *chain;
	/* A sign of life while a call waits for a human (the zombie reaper
	 * must not take the agent for stuck); may be NULL. */
	void (*progress)(void *arg);
	void *progress_arg;
	/* A call starts waiting for a human (approval.needed's data), so
	 * the face can show it; may be NULL.  With progress_arg. */
	void (*approval)(void *arg, const json_t *a);
};

enum toolguard_verdict {
	TOOLGUARD_RUN,    /* let the call run */
	TOOLGUARD_REFUSE, /* never runs */
	TOOLGUARD_ASK,    /* wait for a human */
	TOOLGUARD_FAIL,   /* needs a human, and nobody can answer */
};

/* What toolguard_decide() looks at. */
struct toolguard_in {
	const char *mode;   /* security.approval: never|dangerous|always */
	const char *policy; /* security.tools.NAME.approval; NULL: none */
	int effect;         /* the tool has TOOL_EFFECT */
	int capable;        /* the capability check passed */
	int danger;         /* the deny list matched */
	int rule;           /* an allow rule matches the call */
	int can_ask;
};

/* The decision (the order above); *why (static) says what decided it. */
enum toolguard_verdict toolguard_decide(const struct toolguard_in *in,
    const char **why);
/* The registry guard's check (struct registry_guard.check), arg a
 * struct toolguard. */
int toolguard_check(void *arg, const struct tool_def *def, json_t *args,
    struct cancel *stop, char **why);

#endif
