/*
 * gateway.h — the message hub: an inbound message becomes an agent run on
 * a host thread of its own, and what the run does goes back out through
 * the sink of whoever sent it (REST, the WebSocket; later the dashboard,
 * cron, A2A and chat channels).  Every face starts runs here, so that
 * cancelling, counting and waiting for them at shutdown is one thing.
 *
 * Host threads are kept when idle (a few, for a while), each with its own
 * database connection: a run does not pay for a thread and a connection.
 */
#ifndef OXIOS_GATEWAY_GATEWAY_H
#define OXIOS_GATEWAY_GATEWAY_H

#include "config/config.h"
#include "kernel/kernel.h"

/* An inbound message.  Strings are copied. */
struct gateway_msg {
	const char *content;    /* the user's message */
	const char *session_id; /* continue this session; NULL: a new one */
	const char *model;      /* provider/model; NULL: the default */
	/* The rest may be left zero (the REST and WebSocket chats do). */
	long timeout_ms;         /* 0: kernel.agent_timeout_secs */
	long long budget_tokens; /* the run's own budgets; 0: none */
	double budget_usd;
	enum call_class cls;   /* CALL_INTERACTIVE (0) or CALL_RUN */
	const char *principal; /* the agent profile; NULL: "default" */
	enum kernel_spec spec; /* Ouroboros: config (0), always, never */
	const char *identity;  /* who asked, for the audit log ("token:ci",
				  "uid:1000"); NULL: "user" */
	int approvals;         /* 1: a human of this face answers tool calls'
			  approvals (the run waits); 0: such calls fail */
	const char *persona;   /* the persona chosen; NULL: the session's */
	const char *space;     /* the space chosen; NULL: detected */
};

/*
 * Where a run's activity goes.  Every function is called on the run's
 * host thread, with `arg`; any may be NULL.  `done` is called once, at
 * the end, with the finished run; `release` last, to drop what `arg`
 * holds.
 */
struct gateway_sink {
	void (*started)(const struct kernel_run *r, void *arg);
	void (*text)(const char *s, size_t n, void *arg);
	void (*reset)(void *arg);
	void (*tool_start)(const char *name, const json_t *input, void *arg);
	void (*tool_end)(const char *name, const json_t *result, void *arg);
	void (*done)(const struct kernel_run *r, void *arg);
	void (*release)(void *arg);
	/*
	 * The run's Ouroboros interview asks the user a round of questions
	 * (score_clarity's [{question, default}], checked; round from 1):
	 * show them; the answers come back through gateway_answer().  NULL:
	 * nobody answers here, the defaults are accepted (as in `oxios
	 * run`).  A round nobody answers within the run's timeout
	 * (kernel.agent_timeout_secs) takes the defaults.
	 */
	void (*questions)(const json_t *questions, int round, void *arg);
	/* The Ouroboros protocol entered a phase (kernel_run's
	 * phase_hook). */
	void (*phase)(const struct kernel_run *r, const char *seed_id,
	    int generation, const char *phase, void *arg);
	/* A call to the model is retried (agent_hooks' retry); may be
	 * NULL. */
	void (*retry)(const char *why, int attempt, long wait_ms, void *arg);
	/* A tool call waits for a human approval (approval.needed's data:
	 * id, tool, summary, reason, expires_at ...); the answer comes
	 * through approvals_answer().  May be NULL. */
	void (*approval)(const json_t *a, void *arg);
};

/*
 * Start a run of `m` under `cfg` (held by the caller for the run: it is
 * given back through sink->release), reporting to `sink` with `arg`.
 * `owner` (may be NULL) groups runs for gateway_cancel_owner().  Returns
 * 0, or -1 with *cause (caller frees) when no host thread could be had:
 * then nothing of the sink was called.
 */
int gateway_submit(const struct config *cfg, const struct gateway_msg *m,
    const struct gateway_sink *sink, void *arg, const void *owner,
    char **cause);
/*
 * Answer the round of questions a run of `owner` waits on: `answers`
 * NULL (every default) or one item a question, each a string or null
 * (the default); `go` ends the interview (the remaining defaults
 * accepted).  0; -1 with *cause (caller frees) when the answers do not
 * fit the questions; -2 with *cause when no run of owner waits on
 * questions (none asked, or the round already took its defaults).
 */
int gateway_answer(const void *owner, const json_t *answers, int go,
    char **cause);
/* Cancel the runs of `owner`.  Returns how many. */
int gateway_cancel_owner(const void *owner);
/* Whether a run of `owner` is in progress. */
int gateway_owner_busy(const void *owner);
/* Cancel every run (shutdown). */
void gateway_cancel_all(void);
/* Wait up to `ms` for the runs to end.  Returns how many are left. */
int gateway_wait(long ms);
/* Runs in progress. */
int gateway_count(void);
/* End the idle host threads (at shutdown, after gateway_wait()). */
void gateway_shutdown(void);

#endif
