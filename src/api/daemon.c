/*
 * daemon.c — start the services, wait for signals, stop in order.
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

#include "api/api.h"
#include "agent/hands.h"
#include "api/daemon.h"
#include "config/home.h"
#include "gateway/gateway.h"
#include "http/server.h"
#include "kernel/events.h"
#include "kernel/memtools.h"
#include "security/audit.h"
#include "memory/memory.h"
#include "kernel/supervisor.h"
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

/* Background dream consolidation, every memory.dream_interval_mins. */
static struct {
	pthread_mutex_t lock;
	int running;
	int now; /* at the next tick, whatever the interval */
	uint64_t last_ms;
} dream = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };

static void *
daemon_dream(void *arg)
{
	const struct config *cfg = api_config_get();
	json_t *report;
	char *cause = NULL;
	sqlite3 *db = db_get();

	(void)arg;
	if (db != NULL &&
	    (report = memory_dream(db, cfg, "schedule", &cause)) != NULL)
		json_decref(report);
	else if (cause != NULL) {
		log_warn("memory: scheduled dream: %s", cause);
		free(cause);
	}
	api_config_put(cfg);
	pthread_mutex_lock(&dream.lock);
	dream.running = 0;
	dream.last_ms = time_mono_ms();
	pthread_mutex_unlock(&dream.lock);
	return NULL;
}

/* The vector index's auto ef_search, tuned again when it is due. */
static void *
daemon_tune(void *arg)
{
	json_t *r;
	char *cause = NULL;
	sqlite3 *db = db_get();

	(void)arg;
	if (db != NULL && (r = memory_tune(db, api_stopping, &cause)) != NULL)
		json_decref(r);
	else if (cause != NULL) {
		log_warn("%s", cause);
		free(cause);
	}
	pthread_mutex_lock(&dream.lock);
	dream.running = 0;
	pthread_mutex_unlock(&dream.lock);
	return NULL;
}

/* Keep kernel.worker_pool warm workers (the pool's thread is ours). */
static void
daemon_pool(void)
{
	const struct config *cfg = api_config_get();
	char *cause = NULL;

	if (hands_pool_start((int)config_int(cfg, "kernel.worker_pool"),
		&cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
	api_config_put(cfg);
}

static void
daemon_tick(void)
{
	void *(*job)(void *) = NULL;
	const struct config *cfg = api_config_get();
	long long mins = config_int(cfg, "memory.dream_interval_mins");
	int on = config_bool(cfg, "memory.enabled");
	pthread_attr_t attr;
	pthread_t t;

	api_config_put(cfg);
	audit_tick(db_get());
	daemon_pool(); /* kernel.worker_pool as it is now */
	if (!on || api_stopping())
		return;
	pthread_mutex_lock(&dream.lock);
	if (!dream.running &&
	    (dream.now ||
		(mins > 0 &&
		    time_mono_ms() - dream.last_ms >=
			(uint64_t)mins * 60000))) {
		dream.now = 0;
		job = daemon_dream;
	} else if (!dream.running && memory_tune_due())
		job = daemon_tune;
	if (job != NULL) {
		dream.running = 1;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, job, NULL) != 0)
			dream.running = 0;
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&dream.lock);
}

static void
daemon_reload(void)
{
	const struct config *cur = api_config_get();
	struct config *next = NULL;
	char *cause = NULL, *list, cur_path[1024];
	json_t *changed, *restart, *ev;

	snprintf(cur_path, sizeof cur_path, "%s", cur->path);
	if (config_load(cur->path, &next, &cause) != 0) {
		log_error("SIGHUP: the configuration was not reloaded: %s",
		    cause);
		free(cause);
		api_config_put(cur);
		return;
	}
	api_config_put(cur);
	api_config_replace(next, &changed, &restart);
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
	http_stop();
	gateway_shutdown();
}

int
daemon_serve(struct config *cfg, int ready_fd, char **cause)
{
	struct http_config hc;
	struct timespec tick = { 1, 0 };
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
	/* The first dream comes one interval after the start. */
	dream.last_ms = time_mono_ms();
	if (!memtools_ready(db_get(), cfg))
		log_info("memory: off");
	else if ((n = (int)memory_stale(db_get())) > 0) {
		/* The embedder changed: re-embed in the background now. */
		log_info("memory: %d memories to re-embed", n);
		dream.now = 1;
	}
	api_init(cfg);
	cfg = NULL;
	api_apply_config();
	cur = api_config_get();
	api_http_config(cur, &hc);
	if (http_start(&hc, cause) != 0) {
		api_config_put(cur);
		goto fail;
	}
	daemon_write_state(cur);
	daemon_pool();
	log_info("oxios %s listening on http://%s:%d (pid %d)", OXIOS_VERSION,
	    hc.host, hc.port, (int)getpid());
	api_config_put(cur);
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
	cur = api_config_get();
	grace_ms = config_int(cur, "kernel.shutdown_grace_secs") * 1000;
	api_config_put(cur);
	daemon_stop(grace_ms);
	memory_stop(); /* a dream in progress finishes, without the network */
	for (n = 0; n < 300; n++) {
		pthread_mutex_lock(&dream.lock);
		sig = dream.running || api_memory_running() > 0;
		pthread_mutex_unlock(&dream.lock);
		if (!sig)
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
	state = home_path("run/oxios.json");
	unlink(state);
	free(state);
	api_shutdown();
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
	free(dbpath);
	return -1;
}
