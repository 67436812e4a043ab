/*
 * scope.h — who an LLM call is made for: handed to the gate
 * (gate_call_scoped()) by the agent loop, and read there by the budgets
 * (kernel/budget.h) and the scheduler (kernel/scheduler.h).
 *
 * Every field may be left zero: a call without a scope (gate_call()) is
 * background work (dream, later cron) of the principal "default", with
 * only the global limits.  The strings are borrowed for the call.
 */
#ifndef OXIOS_KERNEL_SCOPE_H
#define OXIOS_KERNEL_SCOPE_H

/*
 * Priority classes, most urgent first: a person waiting at a chat, an
 * `oxios run`, a sub-agent of either, background work.
 */
enum call_class {
	CALL_INTERACTIVE,
	CALL_RUN,
	CALL_SUBAGENT,
	CALL_BACKGROUND,
};
#define CALL_NCLASSES 4

struct call_scope {
	enum call_class cls;
	const char
	    *principal;       /* the agent profile (--agent); NULL: "default" */
	const char *agent_id; /* the running agent; NULL: none */
	const char *session_id; /* its session; NULL: none */
	const char *run_id;     /* the run (its top agent's id); NULL: none */
	long long run_tokens;   /* `oxios run --budget-tokens`; 0: none */
	double run_usd;         /* `oxios run --budget-usd`; 0: none */
};

/* "interactive", "run", "subagent", "background". */
const char *call_class_name(enum call_class c);
#endif
