/*
 * registry.h — the one tool registry: every tool an agent can call is a
 * row (name, where it runs, flags, description, argument schema, handler)
 * and every call goes through one dispatch point, registry_call(), which
 * validates the arguments against the tool's JSON Schema before anything
 * runs, then asks the run's guard (permissions, command policy, human
 * approvals: kernel/toolguard.c) whether the call may run.  Skills, MCP,
 * the browser, git and the spec protocol add rows.
 *
 * Rows belong to their owners: the hands' tools are here (they run in the
 * worker, over the protocol), memory's in kernel/memtools.c, the "agent"
 * tool in kernel/kernel.c.  An owner adds its rows to the registry of one
 * run with the context its handlers need.  Schemas are the files
 * src/agent/schemas/NAME.json, embedded at build, compiled once per
 * process.
 */
#ifndef OXIOS_AGENT_REGISTRY_H
#define OXIOS_AGENT_REGISTRY_H

#include <jansson.h>

#include "agent/hands.h"
#include "agent/tools.h"
#include "util/cancel.h"

/* Where a tool runs. */
enum tool_where {
	TOOL_BRAIN, /* in the kernel, on the agent's host thread */
	TOOL_HANDS, /* in the sandboxed worker */
	TOOL_MCP,   /* on an MCP server (a later issue) */
};

/*
 * A tool whose call changes something outside the model's context (files,
 * processes, memory): under security.approval = "always" these wait.
 */
#define TOOL_EFFECT 0x100

/* What a brain tool is handed. */
struct tool_call {
	void *ctx;             /* what the owner gave registry_add() */
	struct cancel *cancel; /* the run's token */
	const char *name;
};

struct tool_def {
	const char *name;
	enum tool_where where;
	int flags;                /* TOOL_EXEC (tools.h), TOOL_EFFECT */
	const char *description;  /* for the model */
	const char *schema;       /* src/agent/schemas/SCHEMA.json */
	const char *schema_shell; /* TOOL_EXEC: the schema in shell mode */
	/*
	 * A brain tool: 0 with res->output, or -1 with res->error (the
	 * tool's own failure).  NULL for the others.
	 */
	int (
	    *fn)(struct tool_call *call, json_t *args, struct tool_result *res);
};

/* One embedded schema file (tool_schemas_gen.c). */
struct tool_schema_src {
	const char *name;
	const char *text;
};
extern const struct tool_schema_src tool_schema_srcs[];

/* The hands' tools, ending with a zeroed row. */
extern const struct tool_def registry_hands[];

struct registry;

/* An empty registry for one run.  Caller registry_free()s it. */
struct registry *registry_new(void);
void registry_free(struct registry *reg);
/*
 * Offer `def` (static) to the model, its handler called with `ctx`.  A
 * later row of the same name replaces the earlier one.
 */
void registry_add(struct registry *reg, const struct tool_def *def, void *ctx);
/*
 * Offer the hands' tools that `pol` permits (exec only with an allowlist
 * or shell mode; its description lists the programs), run by `h`.
 */
void registry_add_hands(struct registry *reg, struct hands *h,
    const struct hands_policy *pol);
/*
 * The guard every call passes after its arguments are valid and before
 * anything runs.  check() returns 0 to let the call run, or -1 with *why
 * (malloc'd, caller frees; the model sees it as the tool's error).  It may
 * block (a human approval) and must then give up when `stop` fires.
 */
struct registry_guard {
	int (*check)(void *arg, const struct tool_def *def, json_t *args,
	    struct cancel *stop, char **why);
	void *arg;
};
/* Set (or with NULL, clear) the guard of `reg`; copied. */
void registry_set_guard(struct registry *reg, const struct registry_guard *g);
/* Stop offering tool `name` (a capability the run lacks); no-op if absent. */
void registry_remove(struct registry *reg, const char *name);
/* The row of tool `name` offered by `reg`, or NULL. */
const struct tool_def *registry_def(const struct registry *reg,
    const char *name);

/* The tools as the model sees them: [{name, description, input_schema}].
 * New reference. */
json_t *registry_defs(const struct registry *reg);
/*
 * Run one call: unknown tools and arguments that fail the schema are
 * refused before anything runs.  Returns the result object {"ok": true,
 * "output", "truncated"?} or {"ok": false, "error"} (new reference).
 * *fatal is set when the worker died or broke the protocol (the run
 * cannot go on); a cancel is not fatal.
 */
json_t *registry_call(struct registry *reg, const char *name, json_t *args,
    struct cancel *stop, int *fatal);
/*
 * Compile every embedded schema (once per process).  0, or -1 with
 * *cause naming the file.  registry_call() and registry_defs() do it
 * first; a schema that does not compile is a build defect (test_registry).
 */
int registry_schemas_check(char **cause);
/* Whether `args` are valid arguments of tool `tool` (its embedded
 * schema), as registry_call() checks them.  0, or -1 with *cause naming
 * an unknown tool or the first fault. */
int registry_args_check(const char *tool, const json_t *args, char **cause);
/* The embedded text of schema `name`, or NULL. */
const char *registry_schema_text(const char *name);

#endif
