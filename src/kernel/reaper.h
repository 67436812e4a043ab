/*
 * reaper.h — the zombie reaper.  An agent's loop marks progress on every
 * model delta and answer and at each tool call's start and end
 * (supervisor_progress()).  A thread of the process looks at the running
 * agents every second or so and reaps one that
 *   - made no progress for kernel.zombie_secs, or for kernel.zombie_secs
 *     plus exec.timeout_secs while inside a tool call (a command cannot
 *     run longer than exec.timeout_secs: the worker kills it then), or
 *   - waits on a worker process that has exited and was not replaced
 *     (registry_hands_call() respawns a worker that dies under a call:
 *     that one is not a zombie) for REAPER_WORKER_GRACE_MS.
 * Reaping is supervisor_zombie(): state "zombie", event, audit entry,
 * then the agent's token fires and its worker is killed; its runner
 * finishes it "killed", the reason "zombie: ...".
 */
#ifndef OXIOS_KERNEL_REAPER_H
#define OXIOS_KERNEL_REAPER_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define REAPER_WORKER_GRACE_MS 3000 /* a dead worker, not replaced */

/* What the reaper sees of one running agent. */
struct reaper_view {
	uint64_t progress_ms;    /* its last progress (monotonic) */
	int in_tool;             /* inside a tool call */
	int queued;              /* a call of it waits for the scheduler */
	int worker_stuck;        /* it waits on a worker that has exited */
	uint64_t stuck_since_ms; /* when that was first seen; 0: not stuck.
				    reaper_judge() keeps it up to date */
};

struct reaper_limits {
	uint64_t idle_ms;  /* kernel.zombie_secs; 0: no reaping */
	uint64_t tool_ms;  /* added inside a tool call: exec.timeout_secs */
	uint64_t grace_ms; /* REAPER_WORKER_GRACE_MS */
};

enum reaper_verdict {
	REAPER_ALIVE,
	REAPER_STALLED, /* no progress within the limit */
	REAPER_WORKER,  /* waits on a dead worker */
};

/*
 * The verdict on one agent at time `now_ms` (the caller's clock; tests
 * pass a fake one).  For a zombie, why it is one goes to `why`.
 */
enum reaper_verdict reaper_judge(struct reaper_view *v,
    const struct reaper_limits *lim, uint64_t now_ms, char *why, size_t size);

/*
 * A run needs the reaper (kernel_run() holds it for its whole run):
 * the first holder starts its thread, which writes to the database at
 * `db_path` with a connection of its own.  The limits are the last
 * holder's (kernel.zombie_secs, exec.timeout_secs); zombie_secs 0 holds
 * nothing.  reaper_release() by the last holder stops and joins the
 * thread.  reaper_hold() returns 1 if it holds (then release), else 0.
 */
int reaper_hold(const char *db_path, long zombie_secs, long tool_secs);
void reaper_release(void);

#endif
