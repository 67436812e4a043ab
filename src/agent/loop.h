/*
 * loop.h — an agent's brain: the tool-calling loop.  It sends the context
 * to the LLM gate, runs the tool calls the model asks for through the
 * agent's hands (the worker), feeds the results back, and repeats until
 * the model answers without tool calls — or a limit, a cancel or an error
 * stops it, and then it says why.
 */
#ifndef OXIOS_AGENT_LOOP_H
#define OXIOS_AGENT_LOOP_H

#include <stdint.h>
#include <jansson.h>

#include "agent/registry.h"
#include "config/config.h"
#include "llm/llm.h"

struct call_scope;

enum agent_stop {
	AGENT_DONE,           /* the model answered without tool calls */
	AGENT_MAX_ITERATIONS, /* engine.max_iterations LLM turns */
	AGENT_REPEAT,         /* the same call engine.repeat_guard times */
	AGENT_TIMEOUT,        /* the wall-clock limit of the run */
	AGENT_CANCELLED,      /* killed or interrupted */
	AGENT_LLM_ERROR,      /* the provider failed (after its retries) */
	AGENT_WORKER_ERROR,   /* the hands died or broke the protocol */
	AGENT_BUDGET,         /* a budget refused the next call */
	AGENT_REAPED,         /* "zombie": reaped (kernel/reaper.h) */
};

/* What the loop tells whoever watches it; every hook may be NULL. */
struct agent_hooks {
	void (*text)(const char *s, size_t n, void *arg); /* answer text */
	void (*reset)(void *arg); /* streamed text is being redone */
	/* A call to the model failed (why) and is retried after wait_ms
	 * (-1: once the scheduler admits it); attempt: the one that
	 * failed. */
	void (*retry)(const char *why, int attempt, long wait_ms, void *arg);
	void (*tool_start)(const char *name, const json_t *input, void *arg);
	void (*tool_end)(const char *name, const json_t *result, void *arg);
	/* Each message added to the conversation (to persist it). */
	void (*message)(const json_t *msg, void *arg);
	void *arg;
};

struct agent_loop {
	/* In */
	const struct config *cfg;
	const char *model;      /* provider/model; NULL: engine.default_model */
	const char *system;     /* the system prompt */
	const char *phase;      /* X-Oxios-Phase of its calls; NULL: "chat" */
	json_t *messages;       /* the conversation so far; appended to */
	struct registry *tools; /* what the model may call, and the one
				   dispatch point for its calls */
	int max_iterations;
	int repeat_guard;
	long tool_output_max;  /* characters of one tool result */
	long timeout_ms;       /* wall clock of the run; 0: none */
	struct cancel *cancel; /* fired elsewhere to stop it; or NULL.  The
				  run's own token (with the deadline) is
				  chained below it. */
	struct agent_hooks hooks;
	/* Who its calls are for (kernel/scope.h; borrowed): class,
	   principal, budgets.  NULL: background, global limits only. */
	const struct call_scope *scope;
	/* Called on every sign of life: each model delta and answer
	   (in_tool 0), a tool call's start (1) and end (0).  May be NULL.
	   Kernel: the zombie reaper's clock (kernel/reaper.h). */
	void (*progress)(int in_tool, void *arg);
	void *progress_arg;

	/* Out */
	enum agent_stop stop;
	char reason[512]; /* why it stopped, for people */
	char *answer;     /* the final text (owned; may be "") */
	int iterations;   /* LLM turns made */
	int tool_calls;
	struct llm_usage usage; /* summed over the turns */
	double cost_usd;        /* summed; unpriced models add nothing */
	int unpriced;           /* answers of a model with no known price */
};

/* Run the loop.  Returns 0 when it stopped with AGENT_DONE, else -1. */
int agent_loop_run(struct agent_loop *l);
/* Free what the loop allocated (answer). */
void agent_loop_free(struct agent_loop *l);
/* "done", "max_iterations", "repeat", ... */
const char *agent_stop_name(enum agent_stop s);
/* Where the agent works and what its tools can reach (part of the
 * system prompt; a persona's prompt is followed by it).  Caller frees. */
char *agent_workspace_facts(const char *workspace);
/* The default system prompt for a workspace.  New string. */
char *agent_system_prompt(const char *workspace);

#endif
