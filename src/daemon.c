/*
 * daemon.c — start the services, wait for signals, run the periodic jobs
 * (daemon_jobs[]) once a second, stop in order.
 *
 * Signals are blocked in every thread and taken here with sigtimedwait(),
 * so no handler ever runs in the middle of a library call.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "agent/hands.h"
#include "api/api.h"
#include "config/home.h"
#include "config/live.h"
#include "gateway/ctl.h"
#include "gateway/gateway.h"
#include "http/server.h"
#include "kernel/approvals.h"
#include "kernel/breaker.h"
#include "kernel/events.h"
#include "kernel/memtools.h"
#include "kernel/monitor.h"
#include "kernel/supervisor.h"
#include "memory/memory.h"
#include "security/audit.h"
#include "security/auth.h"
#include "store/db.h"
#include "util/file.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

static void
daemon_ready(int fd, const char *msg)
{
	if (fd < 0)
		return;
	if (write(fd, msg, strlen(msg)) < 0 || write(fd, "\n", 1) < 0)
		log_warn("could not report readiness: %s", strerror(errno));
	close(fd);
}

/* $OXIOS_HOME/run/oxios.json: what `oxios status` shows of us. */
static void
daemon_write_state(const struct config *cfg)
{
	char *path = home_path("run/oxios.json"), *text, *cause = NULL;
	char now[40];
	json_t *st;

	time_rfc3339(time_wall_ms(), now, sizeof now);
	st = json_pack("{s:i, s:s, s:s, s:I, s:s}", "pid", (int)getpid(),
	    "version", OXIOS_VERSION, "host", config_str(cfg, "gateway.host"),
	    "port", (json_int_t)config_int(cfg, "gateway.port"), "started_at",
	    now);
	text = json_dumps(st, JSON_INDENT(2));
	if (file_write_atomic(path, text, strlen(text), 0600, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
	free(text);
	json_decref(st);
	free(path);
}

/*
 * $OXIOS_HOME/run/breakers.json: the providers' circuit breakers
 * (breaker_status()) for `oxios status`, which holds no API token; saved
 * at every change, each open one with the wall-clock time of its next
 * probe (probe_at_ms).
 */
static pthread_mutex_t daemon_breakers_lock = PTHREAD_MUTEX_INITIALIZER;

static void
daemon_breakers_save(void)
{
	char *path = home_path("run/breakers.json"), *text, *cause = NULL;
	json_t *a, *o, *next;
	int64_t now;
	size_t i;

	pthread_mutex_lock(&daemon_breakers_lock);
	a = breaker_status();
	now = time_wall_ms();
	json_array_foreach(a, i, o) {
		if (json_is_integer(next = json_object_get(o, "next_probe_ms")))
			json_object_set_new(o, "probe_at_ms",
			    json_integer(now + json_integer_value(next)));
	}
	text = json_dumps(a, JSON_COMPACT);
	if (file_write_atomic(path, text, strlen(text), 0600, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
	pthread_mutex_unlock(&daemon_breakers_lock);
	free(text);
	json_decref(a);
	free(path);
}

/*
 * The periodic jobs.
 *
 * Once a tick (DAEMON_TICK_MS) daemon_tick() walks daemon_jobs[] in
 * order.  A job is asked at most every `every_ms`; when its `due` (NULL:
 * always) says yes, it runs: inline on the tick, which is for cheap work
 * only, or, with DAEMON_JOB_THREAD, on a detached thread of its own, at
 * most one at a time and never once the daemon stops.  Thread jobs of one
 * nonzero `group` never run at once either; table order decides which of
 * them starts when several are due on the same tick.
 *
 * DAEMON_GROUP_MEMORY: a dream re-indexes the vector graph and ends by
 * tuning its ef_search when that is due, so a tune beside it would measure
 * a graph being rebuilt and do the same work twice.  The dream comes first
 * in the table, as it always has.
 *
 * The tick is the only thread that asks or starts a job; a job's thread
 * only clears its `running` when it ends.  So the tick can look at
 * `running` under the lock, ask `due` without it, and set `running` under
 * it again: nothing else could have started the job meanwhile.
 */
#define DAEMON_TICK_MS 1000
#define DAEMON_JOB_THREAD 0x1 /* on a detached thread, one at a time */
#define DAEMON_GROUP_MEMORY 1 /* dream and tune: one at a time */

struct daemon_job {
	const char *name; /* in the debug log */
	long every_ms; /* ask at most this often (DAEMON_TICK_MS: every tick) */
	/* Whether to run now (NULL: always).  `cfg` is the tick's reference,
	 * good for this call only. */
	int (*due)(const struct config *cfg, uint64_t now_ms);
	/* The work.  A thread job holds its own configuration and database
	 * connection (db_get(): closed when its thread ends). */
	void (*run)(void);
	int flags; /* DAEMON_JOB_* */
	int group; /* DAEMON_GROUP_*, or 0 */
};

static void daemon_audit(void);
static void daemon_pool(void);
static int daemon_dream_due(const struct config *cfg, uint64_t now_ms);
static void daemon_dream(void);
static int daemon_tune_due(const struct config *cfg, uint64_t now_ms);
static void daemon_tune(void);
static int daemon_monitor_due(const struct config *cfg, uint64_t now_ms);
static void daemon_monitor(void);

static const struct daemon_job daemon_jobs[] = {
	{
	    .name = "audit",
	    .every_ms = DAEMON_TICK_MS,
	    .run = daemon_audit,
	},
	{
	    .name = "http",
	    .every_ms = DAEMON_TICK_MS,
	    .run = http_tick,
	},
	{
	    .name = "pool",
	    .every_ms = DAEMON_TICK_MS,
	    .run = daemon_pool,
	},
	{
	    .name = "monitor",
	    .every_ms = DAEMON_TICK_MS,
	    .due = daemon_monitor_due,
	    .run = daemon_monitor,
	    .flags = DAEMON_JOB_THREAD,
	},
	{
	    .name = "dream",
	    .every_ms = DAEMON_TICK_MS,
	    .due = daemon_dream_due,
	    .run = daemon_dream,
	    .flags = DAEMON_JOB_THREAD,
	    .group = DAEMON_GROUP_MEMORY,
	},
	{
	    .name = "tune",
	    .every_ms = DAEMON_TICK_MS,
	    .due = daemon_tune_due,
	    .run = daemon_tune,
	    .flags = DAEMON_JOB_THREAD,
	    .group = DAEMON_GROUP_MEMORY,
	},
};
#define DAEMON_NJOBS (sizeof daemon_jobs / sizeof daemon_jobs[0])

/*
 * The jobs' state, one slot per row.  `lock` guards `running` (set by the
 * tick, cleared by the job's thread); `asked_ms` is the tick's alone.
 */
static struct {
	pthread_mutex_t lock;
	struct {
		int running;       /* guarded by lock */
		uint64_t asked_ms; /* the tick's: when due was last asked */
	} slot[DAEMON_NJOBS];
} jobs = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Whether `j` or another job of its group runs.  Called locked. */
static int
daemon_job_busy_locked(const struct daemon_job *j)
{
	size_t i;

	for (i = 0; i < DAEMON_NJOBS; i++) {
		if (!jobs.slot[i].running)
			continue;
		if (&daemon_jobs[i] == j ||
		    (j->group != 0 && daemon_jobs[i].group == j->group))
			return 1;
	}
	return 0;
}

/* How many thread jobs run now. */
static int
daemon_jobs_running(void)
{
	size_t i;
	int n = 0;

	pthread_mutex_lock(&jobs.lock);
	for (i = 0; i < DAEMON_NJOBS; i++)
		n += jobs.slot[i].running;
	pthread_mutex_unlock(&jobs.lock);
	return n;
}

static void *
daemon_job_thread(void *arg)
{
	const struct daemon_job *j = arg;
	uint64_t t0 = time_mono_ms();

	j->run();
	log_debug("periodic job %s: done in %llu ms", j->name,
	    (unsigned long long)(time_mono_ms() - t0));
	pthread_mutex_lock(&jobs.lock);
	jobs.slot[j - daemon_jobs].running = 0;
	pthread_mutex_unlock(&jobs.lock);
	return NULL;
}

/* Run `j` if it is its time and it is due. */
static void
daemon_job_consider(const struct daemon_job *j, const struct config *cfg,
    uint64_t now)
{
	size_t i = (size_t)(j - daemon_jobs);
	pthread_attr_t attr;
	pthread_t t;
	int busy, rc;

	if (now - jobs.slot[i].asked_ms < (uint64_t)j->every_ms)
		return;
	if (j->flags & DAEMON_JOB_THREAD) {
		if (api_stopping())
			return;
		pthread_mutex_lock(&jobs.lock);
		busy = daemon_job_busy_locked(j);
		pthread_mutex_unlock(&jobs.lock);
		if (busy)
			return; /* asked again at the next tick */
	}
	jobs.slot[i].asked_ms = now;
	if (j->due != NULL && !j->due(cfg, now))
		return;
	if (!(j->flags & DAEMON_JOB_THREAD)) {
		log_debug("periodic job %s", j->name);
		j->run();
		return;
	}
	log_debug("periodic job %s: on a thread", j->name);
	pthread_mutex_lock(&jobs.lock);
	jobs.slot[i].running = 1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, daemon_job_thread, (void *)j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		jobs.slot[i].running = 0;
		log_warn("periodic job %s: cannot start a thread: %s", j->name,
		    strerror(rc));
	}
	pthread_mutex_unlock(&jobs.lock);
}

/* Once a tick: every job of the table, in order. */
static void
daemon_tick(void)
{
	const struct config *cfg = config_live_get();
	uint64_t now = time_mono_ms();
	size_t i;

	for (i = 0; i < DAEMON_NJOBS; i++)
		daemon_job_consider(&daemon_jobs[i], cfg, now);
	config_live_put(cfg);
}

/* ---- the jobs ---- */

/* A signed head every audit.sign_interval_secs (audit_tick() decides). */
static void
daemon_audit(void)
{
	audit_tick(db_get());
}

/* Keep kernel.worker_pool warm workers (the pool's thread is ours). */
static void
daemon_pool(void)
{
	const struct config *cfg = config_live_get();
	char *cause = NULL;

	if (hands_pool_start((int)config_int(cfg, "kernel.worker_pool"),
		&cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
	config_live_put(cfg);
}

/*
 * The resource monitor's sample, every monitor.interval_secs counted from
 * the last one (the first at start, before the daemon says it is ready).
 * It also leaves the summary `oxios status` shows in
 * $OXIOS_HOME/run/resources.json.
 */
static struct {
	pthread_mutex_t lock;
	uint64_t last_ms; /* guarded by lock: when the last one began */
} monitor = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int
daemon_monitor_due(const struct config *cfg, uint64_t now_ms)
{
	uint64_t every =
	    (uint64_t)config_int(cfg, "monitor.interval_secs") * 1000;
	int due;

	pthread_mutex_lock(&monitor.lock);
	due = now_ms - monitor.last_ms >= every;
	pthread_mutex_unlock(&monitor.lock);
	return due;
}

static void
daemon_monitor(void)
{
	const struct config *cfg = config_live_get();
	struct monitor_limits lim;
	struct monitor_snap s;
	char *home = home_dir(), *path = home_path("run/resources.json");
	char *cause = NULL, *text;
	json_t *j;

	pthread_mutex_lock(&monitor.lock);
	monitor.last_ms = time_mono_ms();
	pthread_mutex_unlock(&monitor.lock);
	lim.max_cpu_percent = config_float(cfg, "monitor.max_cpu_percent");
	lim.max_memory_percent =
	    config_float(cfg, "monitor.max_memory_percent");
	lim.min_disk_mb = config_int(cfg, "monitor.min_disk_mb");
	if (monitor_sample(&lim, (long)config_int(cfg, "monitor.history"), home,
		&cause) != 0) {
		log_warn("resource monitor: %s", cause);
		goto out;
	}
	if (monitor_current(&s) != 0)
		goto out;
	j = monitor_snap_json(&s);
	text = json_dumps(j, JSON_COMPACT);
	if (file_write_atomic(path, text, strlen(text), 0600, &cause) != 0)
		log_warn("%s: %s", path, cause);
	free(text);
	json_decref(j);
out:
	free(cause);
	free(path);
	free(home);
	config_live_put(cfg);
}

/*
 * Dream consolidation, every memory.dream_interval_mins counted from the
 * end of the last one (from the start of the daemon at first), or at the
 * next tick when `now` is set (memories to re-embed).
 */
static struct {
	pthread_mutex_t lock;
	int now;          /* guarded by lock: at the next tick */
	uint64_t last_ms; /* guarded by lock: when the last one ended */
} dream = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int
daemon_dream_due(const struct config *cfg, uint64_t now_ms)
{
	long long mins = config_int(cfg, "memory.dream_interval_mins");
	int due;

	if (!config_bool(cfg, "memory.enabled"))
		return 0;
	pthread_mutex_lock(&dream.lock);
	due = dream.now ||
	    (mins > 0 && now_ms - dream.last_ms >= (uint64_t)mins * 60000);
	pthread_mutex_unlock(&dream.lock);
	return due;
}

static void
daemon_dream(void)
{
	const struct config *cfg = config_live_get();
	json_t *report;
	char *cause = NULL;
	sqlite3 *db = db_get();

	pthread_mutex_lock(&dream.lock);
	dream.now = 0;
	pthread_mutex_unlock(&dream.lock);
	if (db != NULL &&
	    (report = memory_dream(db, cfg, "schedule", &cause)) != NULL)
		json_decref(report);
	else if (cause != NULL) {
		log_warn("memory: scheduled dream: %s", cause);
		free(cause);
	}
	config_live_put(cfg);
	pthread_mutex_lock(&dream.lock);
	dream.last_ms = time_mono_ms();
	pthread_mutex_unlock(&dream.lock);
}

/* The vector index's auto ef_search, tuned again when it is due. */
static int
daemon_tune_due(const struct config *cfg, uint64_t now_ms)
{
	(void)now_ms;
	return config_bool(cfg, "memory.enabled") && memory_tune_due();
}

static void
daemon_tune(void)
{
	json_t *r;
	char *cause = NULL;
	sqlite3 *db = db_get();

	if (db != NULL && (r = memory_tune(db, api_stopping, &cause)) != NULL)
		json_decref(r);
	else if (cause != NULL) {
		log_warn("%s", cause);
		free(cause);
	}
}

static void
daemon_reload(void)
{
	const struct config *cur = config_live_get();
	struct config *next = NULL;
	char *cause = NULL, *list, cur_path[1024];
	json_t *changed, *restart, *ev;

	snprintf(cur_path, sizeof cur_path, "%s", cur->path);
	if (config_load(cur->path, &next, &cause) != 0) {
		log_error("SIGHUP: the configuration was not reloaded: %s",
		    cause);
		free(cause);
		config_live_put(cur);
		return;
	}
	config_live_put(cur);
	config_live_replace(next, &changed, &restart);
	api_apply_config();
	if (json_array_size(changed) > 0) {
		ev = json_pack("{s:O, s:s}", "keys", changed, "via", "sighup");
		audit_note(db_get(), "system", AUDIT_CONFIG_CHANGE, cur_path,
		    ev);
		json_decref(ev);
	}
	list = json_dumps(changed, JSON_COMPACT);
	log_info("SIGHUP: configuration reloaded; changed: %s", list);
	free(list);
	if (json_array_size(restart) > 0) {
		list = json_dumps(restart, JSON_COMPACT);
		log_warn("SIGHUP: these take effect only after a restart: %s",
		    list);
		free(list);
	}
	ev = json_pack("{s:O, s:O}", "changed", changed, "restart_required",
	    restart);
	events_emit(EVENT_CONFIG_RELOADED, ev);
	json_decref(ev);
	json_decref(changed);
	json_decref(restart);
}

/* Stop in order: no new work, running agents finish or are cancelled. */
static void
daemon_stop(long grace_ms)
{
	json_t *ev = json_pack("{s:I}", "grace_ms", (json_int_t)grace_ms);
	int left;

	api_set_stopping();
	events_emit(EVENT_DAEMON_STOPPING, ev);
	json_decref(ev);
	http_quiesce();
	ctl_quiesce();
	if (gateway_count() > 0) {
		log_info("stopping: waiting up to %ld ms for %d chat(s)",
		    grace_ms, gateway_count());
		left = gateway_wait(grace_ms);
		if (left > 0) {
			log_warn("stopping: cancelling %d chat(s)", left);
			gateway_cancel_all();
			supervisor_kill_all();
			if ((left = gateway_wait(10000)) > 0)
				log_error("stopping: %d chat(s) did not end",
				    left);
		}
	}
	/* Memory requests waiting for an embedder: cancelled, answered. */
	if ((left = api_memory_stop(10000)) > 0)
		log_error("stopping: %d memory request(s) did not end", left);
	ctl_stop(10000);
	http_stop();
	gateway_shutdown();
}

int
daemon_serve(struct config *cfg, int ready_fd, char **cause)
{
	struct http_config hc;
	struct timespec tick = { DAEMON_TICK_MS / 1000, 0 };
	sigset_t set;
	char *dbpath = NULL, *state = NULL;
	const struct config *cur;
	json_t *ev;
	long grace_ms;
	int sig, n;

	/* Every thread started from here on inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	dbpath = home_path("oxios.db");
	if (db_init(dbpath, cause) != 0)
		goto fail;
	if ((n = supervisor_recover(db_get())) > 0)
		log_warn("%d agent(s) of an earlier run were interrupted; "
			 "marked failed",
		    n);
	events_init(EVENTS_RING_DEFAULT);
	/* Nobody waits on an approval of an earlier run any more. */
	if ((n = approvals_sweep(db_get(), cause)) > 0)
		log_warn("%d approval(s) of an earlier run expired", n);
	else if (n < 0)
		goto fail;
	/* The first dream comes one interval after the start (no job thread
	 * runs yet: no lock needed). */
	dream.last_ms = time_mono_ms();
	if (!memtools_ready(db_get(), cfg))
		log_info("memory: off");
	else if ((n = (int)memory_stale(db_get())) > 0) {
		/* The embedder changed: re-embed in the background now. */
		log_info("memory: %d memories to re-embed", n);
		dream.now = 1;
	}
	config_live_init(cfg);
	cfg = NULL;
	api_init();
	api_apply_config();
	/* The first sample before the first request: /api/resources and
	 * the metrics never answer without one. */
	monitor_set_workers(supervisor_workers);
	daemon_monitor();
	cur = config_live_get();
	api_http_config(cur, &hc);
	if (http_start(&hc, cause) != 0) {
		config_live_put(cur);
		goto fail;
	}
	if (ctl_start(cause) != 0) {
		/* `oxios run` and `chat` then run embedded. */
		log_warn("no control socket: %s", *cause);
		free(*cause);
		*cause = NULL;
	}
	daemon_write_state(cur);
	breaker_set_observer(daemon_breakers_save);
	daemon_breakers_save();
	daemon_pool();
	log_info("oxios %s listening on http://%s:%d (pid %d)", OXIOS_VERSION,
	    hc.host, hc.port, (int)getpid());
	config_live_put(cur);
	ev = json_pack("{s:i, s:s}", "pid", (int)getpid(), "version",
	    OXIOS_VERSION);
	events_emit(EVENT_DAEMON_STARTED, ev);
	json_decref(ev);
	daemon_ready(ready_fd, "ok");

	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGHUP) {
			daemon_reload();
			continue;
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
		daemon_tick();
	}
	log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	cur = config_live_get();
	grace_ms = config_int(cur, "kernel.shutdown_grace_secs") * 1000;
	config_live_put(cur);
	daemon_stop(grace_ms);
	/* A job in progress (a dream, a tune) finishes, without the
	 * network. */
	memory_stop();
	for (n = 0; n < 300; n++) {
		if (daemon_jobs_running() == 0 && api_memory_running() == 0)
			break;
		usleep(100000);
	}
	hands_pool_stop(); /* after the agents: it forked their workers */
	memory_close();
	/* A last signed head over everything logged. */
	{
		char *why = NULL;
		json_t *h = audit_flush(db_get(), &why);

		if (h == NULL && why != NULL)
			log_warn("%s", why);
		free(why);
		json_decref(h);
	}
	monitor_set_workers(NULL);
	monitor_reset();
	breaker_set_observer(NULL);
	state = home_path("run/breakers.json");
	unlink(state);
	free(state);
	state = home_path("run/resources.json");
	unlink(state);
	free(state);
	state = home_path("run/oxios.json");
	unlink(state);
	free(state);
	config_live_shutdown();
	events_shutdown();
	auth_reset();
	db_shutdown();
	free(dbpath);
	log_info("stopped");
	return 0;
fail:
	daemon_ready(ready_fd, *cause);
	if (cfg != NULL)
		config_free(cfg);
	else
		config_live_shutdown();
	free(dbpath);
	return -1;
}
