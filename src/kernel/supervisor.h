/*
 * supervisor.h — the agent table: every agent has a row (queued, running,
 * exited, killed, failed) with its worker's pid, times, usage and why it
 * stopped.  At most kernel.max_agents run at once in a process; the others
 * wait in a queue, in order, their row saying "queued" — never dropped.
 * Killing an agent fires its cancel token (the brain stops) and SIGKILLs
 * its worker's process group (the hands stop), at once.
 *
 * Zombies (kernel/reaper.h): the loop marks progress on the agent (and
 * its ancestors); an agent the reaper finds without progress, or waiting
 * on a dead worker, is marked "zombie" (row, event, audit entry), then
 * stopped like a kill, and ends "killed" with a reason "zombie: ...".
 *
 * Ownership: an agent is reference counted (agent_ref/agent_unref, with
 * who holds it in the debug log).  The supervisor's table holds one
 * reference while the agent is live, its runner another.  The supervisor
 * owns the agent's hands: supervisor_hands() attaches them, and
 * supervisor_finish() detaches them under the supervisor's lock before it
 * closes them, so a kill either reaches a live worker or finds none.
 */
#ifndef OXIOS_KERNEL_SUPERVISOR_H
#define OXIOS_KERNEL_SUPERVISOR_H

#include <sqlite3.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/hands.h"
#include "llm/llm.h"
#include "util/uuid.h"

#include "util/cancel.h"

struct monitor_worker; /* kernel/monitor.h */

#define SUPERVISOR_MAX_DEPTH 8 /* the highest kernel.max_agent_depth */

/* The states of an agent's row, and their names in the table. */
enum agent_state {
	AGENT_QUEUED,
	AGENT_RUNNING,
	AGENT_EXITED,
	AGENT_KILLED,
	AGENT_FAILED,
	AGENT_ZOMBIE, /* reaped, not yet wound down; then AGENT_KILLED */
};

struct agent {
	/* Set at creation, then read-only: */
	char id[UUID_STRLEN];
	char parent[UUID_STRLEN];  /* "" for a root agent */
	char group[UUID_STRLEN];   /* the root agent's id */
	char session[UUID_STRLEN]; /* "" if none */
	char starter[80];          /* who started a root agent (its spawn's
				      audit actor) */
	int depth;                 /* 0 for a root agent */
	struct cancel cancel;      /* fired by supervisor_kill(); chained
				      below the creator's token */
	struct agent *up;          /* the parent (a reference), or NULL */
	/* Atomic: */
	uint64_t progress_ms; /* monotonic time of its last sign of life */
	int in_tool;          /* inside a tool call now */
	int running;          /* admitted (or started nested), not finished */
	/* The reaper's own (only its thread touches it): */
	uint64_t stuck_since_ms;
	/* Guarded by the supervisor's lock: */
	struct hands *hands; /* while it runs, or NULL */
	int admitted;
	int refs;
	int wake_fd; /* eventfd while it waits for a slot, else -1 */
	int zombie;  /* reaped by supervisor_zombie() */
	char zombie_reason[256];
};

/* "queued", "running", "exited", "killed", "failed", "zombie". */
const char *agent_state_name(enum agent_state s);
/* Take a reference; `from` names the holder (debug log). */
void agent_ref(struct agent *a, const char *from);
/* Drop a reference; the last one frees a. */
void agent_unref(struct agent *a, const char *from);

/* Set the number of agents that may run at once (>= 1). */
void supervisor_set_max(int max_agents);
/* Set how deep sub-agents may nest (kernel.max_agent_depth, 1..8). */
void supervisor_set_max_depth(int depth);
/* How deep sub-agents may nest now. */
int supervisor_max_depth(void);
/*
 * A new agent with its row (state "queued").  `parent` may be NULL, or an
 * agent of this process: the new one joins its group, one level deeper
 * (refused past kernel.max_agent_depth).  Its cancel token is chained
 * below `outer` (may be NULL; must outlive the agent's run): firing
 * `outer` stops it too.  `starter` names who started a root agent (the
 * actor of its agent_spawn entry; NULL: "user"); a sub-agent's is its
 * parent.  Returns a new agent holding the caller's reference, or NULL
 * with *cause.  Caller supervisor_finish()es it.
 */
struct agent *supervisor_create(sqlite3 *db, const char *session,
    const char *model, struct agent *parent, struct cancel *outer,
    const char *starter, char **cause);
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
/*
 * Give the agent its hands: a worker under `pol` (a warm one from the
 * pool when there is one), owned by the supervisor from now on; its pid
 * goes into the row so that a kill can reach it.  Returns the hands
 * (borrowed: valid until supervisor_finish()), or NULL with *cause.  A
 * kill that came first is honoured: the worker is not started.
 */
struct hands *supervisor_hands(sqlite3 *db, struct agent *a,
    const struct hands_policy *pol, char **cause);
/*
 * The agent has ended in `state` (AGENT_EXITED, AGENT_KILLED or
 * AGENT_FAILED).  Detaches and closes its hands, frees the slot (the next
 * queued agent starts), writes the row, and drops the table's and the
 * caller's references.
 */
void supervisor_finish(sqlite3 *db, struct agent *a, enum agent_state state,
    const char *reason, int iterations, const struct llm_usage *usage,
    double cost_usd, int priced);
/*
 * A sign of life of a: now is its (and its ancestors') last progress;
 * `in_tool` says whether it is inside a tool call from now on.
 */
void supervisor_progress(struct agent *a, int in_tool);
/*
 * The running agents of this process, each with a reference the caller
 * drops (agent_unref(.., "reaper")), at most `max`.  Returns how many.
 */
size_t supervisor_running(struct agent **out, size_t max);
/* Whether a's brain waits on a worker that has exited (hands_stuck()). */
int supervisor_worker_stuck(struct agent *a);
/*
 * Reap a: mark it a zombie (row state "zombie" with `reason`, event
 * "agent.zombie", audit entry "agent_zombie", all written with `db`),
 * then stop it as supervisor_kill() does.  Its runner then finishes it
 * "killed".  0, or -1 if it is already reaped or no longer running.
 */
int supervisor_zombie(sqlite3 *db, struct agent *a, const char *reason);
/*
 * Whether a was reaped; if so its reason goes to buf.  1 or 0.
 */
int supervisor_is_zombie(struct agent *a, char *buf, size_t size);
/* Kill a running or queued agent of this process.  0, or -1 if unknown. */
int supervisor_kill(const char *id);
/* How many agents of this process run, and wait. */
void supervisor_counts(int *running, int *queued);
/*
 * Rows left "running", "queued" or "zombie" by a process that is gone
 * (kill -9, a crash) become "failed" with the reason "interrupted".
 * Returns how many.
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
/*
 * The workers of this process's running agents (id and pid), at most
 * `max`; returns how many.  A monitor_workers_fn: the daemon registers it
 * with monitor_set_workers().
 */
size_t supervisor_workers(struct monitor_worker *out, size_t max);
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
