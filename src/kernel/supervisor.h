/*
 * supervisor.h — the agent table: every agent has a row (queued, running,
 * exited, killed, failed) with its worker's pid, times, usage and why it
 * stopped.  At most kernel.max_agents run at once in a process; the others
 * wait in a queue, in order, their row saying "queued" — never dropped.
 * Killing an agent sets its cancel flag (the brain stops) and SIGKILLs its
 * worker's process group (the hands stop), at once.
 */
#ifndef OXIOS_KERNEL_SUPERVISOR_H
#define OXIOS_KERNEL_SUPERVISOR_H

#include <sqlite3.h>
#include <jansson.h>
#include <sys/types.h>

#include "agent/hands.h"
#include "llm/llm.h"
#include "util/uuid.h"

#define SUPERVISOR_MAX_DEPTH 3 /* sub-agents nest at most this deep */

struct agent {
	char id[UUID_STRLEN];
	char parent[UUID_STRLEN];  /* "" for a root agent */
	char group[UUID_STRLEN];   /* the root agent's id */
	char session[UUID_STRLEN]; /* "" if none */
	int depth;                 /* 0 for a root agent */
	volatile int cancel;       /* set by supervisor_kill() */
	struct hands *hands;       /* while it runs, or NULL */
	int admitted;
};

/* Set the number of agents that may run at once (>= 1). */
void supervisor_set_max(int max_agents);
/*
 * A new agent with its row (state "queued").  `parent` may be NULL, or an
 * agent of this process: the new one joins its group, one level deeper
 * (refused past SUPERVISOR_MAX_DEPTH).  Returns a new agent, or NULL with
 * *cause.  Caller supervisor_finish()es it.
 */
struct agent *supervisor_create(sqlite3 *db, const char *session,
    const char *model, struct agent *parent, char **cause);
/*
 * Wait for a slot; then the row says "running".  Returns 0, or -1 if the
 * agent was killed while it waited.
 */
int supervisor_admit(sqlite3 *db, struct agent *a);
/*
 * Start a sub-agent at once, in its parent's slot (it runs while its
 * parent waits for it, so it needs none of its own): the row says
 * "running".
 */
void supervisor_start_nested(sqlite3 *db, struct agent *a);
/* Record the worker (its pid goes into the row) so kill can reach it. */
void supervisor_attach(sqlite3 *db, struct agent *a, struct hands *h);
/*
 * The agent has ended: `state` is "exited", "killed" or "failed".  Frees
 * the slot (the next queued agent starts), writes the row, frees a.
 */
void supervisor_finish(sqlite3 *db, struct agent *a, const char *state,
    const char *reason, int iterations, const struct llm_usage *usage,
    double cost_usd, int priced);
/* Kill a running or queued agent of this process.  0, or -1 if unknown. */
int supervisor_kill(const char *id);
/* How many agents of this process run, and wait. */
void supervisor_counts(int *running, int *queued);
/*
 * Rows left "running" or "queued" by a process that is gone (kill -9, a
 * crash) become "failed" with the reason "interrupted".  Returns how many.
 */
int supervisor_recover(sqlite3 *db);

/* Queries of the agent table (for the API). */
/*
 * Agents, newest first; `state` and `group` (may be NULL) filter.  New
 * reference, or NULL with *cause.
 */
json_t *supervisor_list(sqlite3 *db, const char *state, const char *group,
    long limit, char **cause);
/* One agent; NULL with *cause NULL if there is none. */
json_t *supervisor_get(sqlite3 *db, const char *id, char **cause);
/* Groups (a root agent and its sub-agents), newest first. */
json_t *supervisor_groups(sqlite3 *db, long limit, char **cause);
/* Kill every agent of this process (shutdown).  Returns how many. */
int supervisor_kill_all(void);

/*
 * How many agents are in each state, as {"running": n, ...} (a state
 * with none is absent).  New reference, or NULL with *cause.
 */
json_t *supervisor_state_counts(sqlite3 *db, char **cause);
/*
 * How many agents the process `pid` runs and holds queued, as the agent
 * table says (any process may ask: `oxios status`).  0, or -1 with
 * *cause.
 */
int supervisor_pid_counts(sqlite3 *db, long pid, long long *running,
    long long *queued, char **cause);
#endif
