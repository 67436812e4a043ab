/*
 * kernel.h — the kernel's facade for the faces (CLI, later the HTTP API):
 * run one agent on a message, from session to answer.
 */
#ifndef OXIOS_KERNEL_KERNEL_H
#define OXIOS_KERNEL_KERNEL_H

#include <sqlite3.h>
#include <jansson.h>

#include "agent/loop.h"
#include "kernel/scope.h"
#include "config/config.h"
#include "util/uuid.h"

enum kernel_spec { KERNEL_SPEC_CONFIG, KERNEL_SPEC_ALWAYS, KERNEL_SPEC_NEVER };

struct kernel_run {
	/* In */
	const struct config *cfg;
	sqlite3 *db;
	const char *session_id; /* resume this session; NULL: a new one */
	const char *prompt;     /* the user's message */
	const char *model;      /* provider/model; NULL: engine.default_model */
	long timeout_ms;        /* 0: kernel.agent_timeout_secs */
	long long budget_tokens;  /* the run's token budget; 0: none */
	double budget_usd;        /* the run's USD budget; 0: none */
	enum call_class cls;      /* CALL_INTERACTIVE (chat) or CALL_RUN;
				     its sub-agents are CALL_SUBAGENT */
	const char *principal;    /* the agent profile (--agent); NULL:
				     "default" */
	const char *identity;     /* who started it, the audit actor of its
				     agent_spawn ("token:ci", "uid:1000");
				     NULL: "user" */
	const char *persona;      /* the persona chosen (--persona, /persona);
				     NULL: the session's, else the default */
	const char *space;        /* the space chosen (id or name); NULL:
				     detected from the message */
	struct cancel *cancel;    /* fired to stop the run (SIGINT, a client
				   that left); may be NULL */
	struct agent_hooks hooks; /* text and tool activity (message is
				     taken: messages are saved) */
	/* Called once the agent has its ids (session, agent), with
	 * hooks.arg; may be NULL. */
	void (*started_hook)(const struct kernel_run *r, void *arg);
	/* Called as the Ouroboros protocol enters a phase ("triage" ...
	 * "evolve"; seed_id NULL before the seed exists), with hooks.arg;
	 * may be NULL.  The bus has the same as ouroboros.phase. */
	void (*phase_hook)(const struct kernel_run *r, const char *seed_id,
	    int generation, const char *phase, void *arg);
	/* Ouroboros (docs/ouroboros.md, "The cycle"): KERNEL_SPEC_CONFIG
	 * follows ouroboros.mode for CALL_RUN, and never for others. */
	enum kernel_spec spec;
	/* The user of an interactive interview (ouroboros.h's ouro_ask_fn,
	 * with ask_arg); NULL: the defaults are accepted. */
	int (*ask_user)(void *arg, const json_t *questions, int round,
	    json_t **answers);
	void *ask_arg;
	/* 1: a human can answer a tool call's approval in this run (it
	 * waits); 0: a call that needs one fails at once (oxios run, cron,
	 * A2A, MCP).  docs/security.md, "Human approvals". */
	int approvals;
	/* Called (with hooks.arg) when a tool call starts waiting for a
	 * human: `approval` is approval.needed's data.  May be NULL. */
	void (*approval_hook)(const struct kernel_run *r,
	    const json_t *approval, void *arg);
	/* The human of this face, asked inline (oxios chat on a TTY): the
	 * decision "once", "always" or "deny", or NULL to leave the call
	 * waiting for an answer from elsewhere.  May be NULL. */
	const char *(*approve_user)(void *arg, const json_t *approval);
	void *approve_arg;
	/* Internal (kernel_ouro.c): the execution's system addition and
	 * X-Oxios-Phase (NULL: none, "chat"). */
	const char *exec_system;
	const char *exec_phase;
	/* Internal (kernel_persona.c): the persona the run took (owned) and
	 * the caller's model while the persona's stands in for none. */
	json_t *persona_taken;
	const char *model_asked;

	/* Out */
	char session[UUID_STRLEN];
	char agent[UUID_STRLEN];
	int started; /* an agent ran (else: error says why) */
	enum agent_stop stop;
	char reason[512];
	char *answer; /* owned */
	int iterations;
	int tool_calls;
	struct llm_usage usage;
	double cost_usd;
	int cost_unknown; /* a model of the run has no known price: cost_usd
			     is not the whole (shown as null) */
	long duration_ms;
	json_t *sandbox; /* the worker's sandbox report (owned) */
	char error[512]; /* when no agent could run */
	/* Ouroboros out: the last phase entered ("Execute" for a quick
	 * answer; NULL if none), the last seed ("" if none), whether its
	 * evaluation passed (-1: nothing evaluated), generations run, and
	 * the protocol's stop ("" when it did not run) with its detail. */
	const char *phase_reached;
	char seed_id[UUID_STRLEN];
	/* The space the run's session belongs to ("" when none). */
	char space_id[UUID_STRLEN];
	char space_tag[64];    /* its emoji, else its name */
	const char *space_why; /* how it was chosen (spaces_why_name()) */
	/* The persona the run took (its name; "" when none could be). */
	char persona_name[65];
	int evaluation_passed;
	int generations;
	char ouro_stop[32];
	char ouro_detail[512];
};

/*
 * Run one agent: open or create the session, save the message, wait for a
 * slot (kernel.max_agents), start its worker, run the loop (saving every
 * message as it comes), record how it ended.  Returns 0 when the agent
 * answered (AGENT_DONE), else -1 (r->error or r->reason says why).
 */
int kernel_run(struct kernel_run *r);
void kernel_run_free(struct kernel_run *r);

/* kernel_persona.c: the run's persona (r->persona, else the session's,
 * else the default) taken, recorded on the session and its model put
 * in for none: 0, or -1 with *cause.  _end() gives the caller's model
 * back and lets it go. */
int kernel_persona_begin(struct kernel_run *r, char **cause);
void kernel_persona_end(struct kernel_run *r);
/* The run's persona's name (NULL: none) and its tools allow-list
 * applied to `tools`. */
struct registry;
const char *kernel_persona_name(const struct kernel_run *r);
void kernel_persona_tools(const struct kernel_run *r, struct registry *tools);

/* kernel.c's inside, for kernel_ouro.c. */
struct agent;
int kernel_agent(struct kernel_run *r, struct agent *a, json_t *messages,
    const char *workspace, int save, struct agent_loop *l);
/* The agent's run through Ouroboros (or plainly, as r->spec and the
 * configuration say); what kernel_agent() returns for the last
 * execution, its results in *l. */
int kernel_ouro_run(struct kernel_run *r, struct agent *a, json_t *messages,
    const char *workspace, struct agent_loop *l);
/* kernel_space.c: the run's space before its session (a space's
 * conversation goes into r->session), the session bound to it, the
 * conversation buffer over the history.  0, or -1 with *cause. */
int kernel_space_begin(struct kernel_run *r, json_t **space, int *bind,
    char **cause);
int kernel_space_bind(struct kernel_run *r, const json_t *space, int bind,
    char **cause);
int kernel_space_buffer(struct kernel_run *r, json_t *messages, char **cause);
/* After the run: the knowledge bridge (spaces.bridge) of its space. */
void kernel_space_end(struct kernel_run *r);
/* The agent's workspace directory from the configuration.  New string. */
char *kernel_workspace(const struct config *cfg);
/* The worker's policy under `cfg` (strings borrowed from cfg, workspace). */
struct hands_policy;
void kernel_policy(const struct config *cfg, const char *workspace,
    struct hands_policy *pol);

#endif
