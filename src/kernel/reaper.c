/*
 * reaper.c — the zombie reaper (reaper.h).
 *
 * One thread per process while some run holds it.  It never holds
 * rp_lock while it scans: the scan takes the supervisor's lock (briefly,
 * to list the running agents and to look at a worker) and writes to the
 * database with its own connection.
 */
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/reaper.h"
#include "kernel/scheduler.h"
#include "kernel/supervisor.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define REAPER_BATCH 256 /* agents looked at per pass */

static pthread_mutex_t rp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rp_cond;
static pthread_once_t rp_once = PTHREAD_ONCE_INIT;
/* Guarded by rp_lock: */
static int rp_users;
static unsigned rp_gen; /* a thread runs while its generation is this */
static int rp_started;
static pthread_t rp_thread;
static char *rp_path;
static struct reaper_limits rp_lim;

enum reaper_verdict
reaper_judge(struct reaper_view *v, const struct reaper_limits *lim,
    uint64_t now_ms, char *why, size_t size)
{
	uint64_t limit, idle;

	if (lim->idle_ms == 0)
		return REAPER_ALIVE;
	/* Held back by the kernel's own admission: waiting, not stalled;
	 * its idle time counts from when it is admitted. */
	if (v->queued) {
		v->progress_ms = now_ms;
		return REAPER_ALIVE;
	}
	if (!v->worker_stuck)
		v->stuck_since_ms = 0;
	else if (v->stuck_since_ms == 0 || v->stuck_since_ms > now_ms)
		v->stuck_since_ms = now_ms;
	else if (now_ms - v->stuck_since_ms >= lim->grace_ms) {
		snprintf(why, size,
		    "its worker died while the agent waited on it, and no "
		    "fresh one took its place (%llu ms)",
		    (unsigned long long)(now_ms - v->stuck_since_ms));
		return REAPER_WORKER;
	}
	limit = lim->idle_ms + (v->in_tool ? lim->tool_ms : 0);
	idle = now_ms > v->progress_ms ? now_ms - v->progress_ms : 0;
	if (idle < limit)
		return REAPER_ALIVE;
	snprintf(why, size,
	    "no progress for %llu s (kernel.zombie_secs is %llu%s)",
	    (unsigned long long)(idle / 1000),
	    (unsigned long long)(lim->idle_ms / 1000),
	    v->in_tool ? ", plus exec.timeout_secs inside a tool call" : "");
	return REAPER_STALLED;
}

/* One look at every running agent; reap the zombies. */
static void
reaper_scan(sqlite3 **db, const char *path, const struct reaper_limits *lim)
{
	struct agent *agents[REAPER_BATCH];
	struct reaper_view v;
	char why[200], *cause = NULL;
	size_t n, i;

	n = supervisor_running(agents, REAPER_BATCH);
	for (i = 0; i < n; i++) {
		struct agent *a = agents[i];

		v.progress_ms =
		    __atomic_load_n(&a->progress_ms, __ATOMIC_RELAXED);
		v.in_tool = __atomic_load_n(&a->in_tool, __ATOMIC_RELAXED);
		v.queued = sched_waiting(a->id) > 0;
		v.worker_stuck = supervisor_worker_stuck(a);
		v.stuck_since_ms = a->stuck_since_ms;
		if (reaper_judge(&v, lim, time_mono_ms(), why, sizeof why) !=
		    REAPER_ALIVE) {
			if (*db == NULL && db_open(path, db, &cause) != 0) {
				log_error("reaper: %s", cause);
				free(cause);
				cause = NULL;
				*db = NULL;
			}
			supervisor_zombie(*db, a, why);
		}
		a->stuck_since_ms = v.stuck_since_ms;
		if (v.queued) /* the wait is not the agent's */
			__atomic_store_n(&a->progress_ms, v.progress_ms,
			    __ATOMIC_RELAXED);
		agent_unref(a, "reaper");
	}
}

static void *
reaper_main(void *arg)
{
	struct reaper_limits lim;
	struct timespec ts;
	sqlite3 *db = NULL;
	char *path = NULL;
	uint64_t tick;
	unsigned gen = (unsigned)(uintptr_t)arg;

	pthread_mutex_lock(&rp_lock);
	while (gen == rp_gen) {
		tick = rp_lim.idle_ms / 4;
		tick = tick < 100 ? 100 : tick > 1000 ? 1000 : tick;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(tick / 1000);
		ts.tv_nsec += (long)(tick % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&rp_cond, &rp_lock, &ts) == EINVAL ||
		    gen != rp_gen)
			break;
		lim = rp_lim;
		if (path == NULL || strcmp(path, rp_path) != 0) {
			free(path);
			path = xstrdup(rp_path);
			db_close(db);
			db = NULL;
		}
		pthread_mutex_unlock(&rp_lock);
		reaper_scan(&db, path, &lim);
		pthread_mutex_lock(&rp_lock);
	}
	pthread_mutex_unlock(&rp_lock);
	db_close(db);
	free(path);
	return NULL;
}

static void
reaper_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rp_cond, &ca);
	pthread_condattr_destroy(&ca);
}

int
reaper_hold(const char *db_path, long zombie_secs, long tool_secs)
{
	int rc;

	if (zombie_secs <= 0 || db_path == NULL || *db_path == '\0')
		return 0;
	pthread_once(&rp_once, reaper_init);
	pthread_mutex_lock(&rp_lock);
	rp_lim.idle_ms = (uint64_t)zombie_secs * 1000;
	rp_lim.tool_ms = tool_secs > 0 ? (uint64_t)tool_secs * 1000 : 0;
	rp_lim.grace_ms = REAPER_WORKER_GRACE_MS;
	free(rp_path);
	rp_path = xstrdup(db_path);
	if (!rp_started) {
		if ((rc = pthread_create(&rp_thread, NULL, reaper_main,
			 (void *)(uintptr_t)rp_gen)) != 0) {
			pthread_mutex_unlock(&rp_lock);
			log_error("reaper: %s", strerror(rc));
			return 0;
		}
		rp_started = 1;
	}
	rp_users++;
	pthread_mutex_unlock(&rp_lock);
	return 1;
}

void
reaper_release(void)
{
	pthread_t t;
	int join = 0;

	pthread_mutex_lock(&rp_lock);
	if (rp_users > 0 && --rp_users == 0 && rp_started) {
		rp_gen++; /* its thread ends */
		rp_started = 0;
		t = rp_thread;
		join = 1;
		free(rp_path);
		rp_path = NULL;
		pthread_cond_broadcast(&rp_cond);
	}
	pthread_mutex_unlock(&rp_lock);
	if (join)
		pthread_join(t, NULL);
}
