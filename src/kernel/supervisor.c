/*
 * supervisor.c — the agent table and the run queue.
 *
 * Lock order: sup_lock, then the cancel tree's lock (cancel_fire() under
 * sup_lock), then a hands' nothing (hands_kill() only signals).  Never
 * hold sup_lock across a database call, hands_close() or a wait.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kernel/events.h"
#include "kernel/monitor.h"
#include "kernel/supervisor.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define SUPERVISOR_MAX_LIVE 4096

static pthread_mutex_t sup_lock = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by sup_lock: */
static int sup_max = 8;
static int sup_max_depth = 3;
static int sup_running;
static struct agent *sup_queue[SUPERVISOR_MAX_LIVE]; /* waiting, in order */
static int sup_queued;
static struct agent *sup_live[SUPERVISOR_MAX_LIVE];

const char *
agent_state_name(enum agent_state s)
{
	static const char *const names[] = {
		[AGENT_QUEUED] = "queued",
		[AGENT_RUNNING] = "running",
		[AGENT_EXITED] = "exited",
		[AGENT_KILLED] = "killed",
		[AGENT_FAILED] = "failed",
		[AGENT_ZOMBIE] = "zombie",
	};

	return (size_t)s < sizeof names / sizeof names[0] ? names[s] :
							    "unknown";
}

void
agent_ref(struct agent *a, const char *from)
{
	int refs = __atomic_add_fetch(&a->refs, 1, __ATOMIC_ACQ_REL);

	log_debug("agent %s: ref by %s (%d)", a->id, from, refs);
}

void
agent_unref(struct agent *a, const char *from)
{
	struct agent *up;
	int refs = __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL);

	log_debug("agent %s: unref by %s (%d)", a->id, from, refs);

	if (refs > 0)
		return;
	up = a->up;
	cancel_destroy(&a->cancel);
	free(a);
	if (up != NULL)
		agent_unref(up, "child");
}

/* Wake every queued agent to look at the queue again (sup_lock held). */
static void
sup_wake_queue(void)
{
	uint64_t one = 1;
	int i;

	for (i = 0; i < sup_queued; i++) {
		if (sup_queue[i]->wake_fd != -1 &&
		    write(sup_queue[i]->wake_fd, &one, sizeof one) == -1)
			(void)errno; /* the counter is not full */
	}
}

void
supervisor_set_max(int max_agents)
{
	pthread_mutex_lock(&sup_lock);
	sup_max = max_agents > 0 ? max_agents : 1;
	sup_wake_queue();
	pthread_mutex_unlock(&sup_lock);
}

void
supervisor_set_max_depth(int depth)
{
	pthread_mutex_lock(&sup_lock);
	sup_max_depth = depth < 1        ? 1 :
	    depth > SUPERVISOR_MAX_DEPTH ? SUPERVISOR_MAX_DEPTH :
					   depth;
	pthread_mutex_unlock(&sup_lock);
}

int
supervisor_max_depth(void)
{
	int d;

	pthread_mutex_lock(&sup_lock);
	d = sup_max_depth;
	pthread_mutex_unlock(&sup_lock);
	return d;
}

/* One statement on the agent table: ?1 agent `id`, ?2 `text`; 0 or -1
 * (logged). */
static int
sup_exec(sqlite3 *db, const char *sql, const char *id, const char *text)
{
	if (db_exec(db, sql, "tt", id, text) >= 0)
		return 0;
	log_error("agent table: %s", sqlite3_errmsg(db));
	return -1;
}

static void
sup_now(char *buf, size_t size)
{
	time_rfc3339(time_wall_ms(), buf, size);
}

static int sup_audited(sqlite3 *db, const struct agent *a,
    enum audit_action action, const char *model, const char *state,
    const char *reason, int (*write)(sqlite3 *, void *, char **), void *arg,
    char **cause);

/* The row of a new agent (audit_write()'s write). */
struct sup_row {
	const struct agent *a;
	const char *session, *model;
};

static int
sup_insert(sqlite3 *db, void *arg, char **cause)
{
	const struct sup_row *row = arg;
	char now[40];

	sup_now(now, sizeof now);
	if (db_exec(db,
		"INSERT INTO agents (id, parent_id, group_id, session_id, "
		"state, model, host_pid, created_at) VALUES (?, ?, ?, ?, "
		"'queued', ?, ?, ?)",
		"tttttIt", row->a->id,
		row->a->parent[0] != '\0' ? row->a->parent : NULL,
		row->a->group, row->session, row->model, (int64_t)getpid(),
		now) >= 0)
		return 0;
	xasprintf(cause, "agent table: %s", sqlite3_errmsg(db));
	return -1;
}

struct agent *
supervisor_create(sqlite3 *db, const char *session, const char *model,
    struct agent *parent, struct cancel *outer, const char *starter,
    char **cause)
{
	struct agent *a;
	struct sup_row row;
	char *why = NULL;
	int max_depth = supervisor_max_depth();
	size_t i;

	/* A new run (not a sub-agent of a running one) waits for no
	 * overload: it is refused, and says why. */
	if (parent == NULL && monitor_admit(cause) != 0)
		return NULL;
	if (parent != NULL && parent->depth + 1 > max_depth) {
		xasprintf(cause,
		    "sub-agents nest at most %d deep (kernel.max_agent_depth)",
		    max_depth);
		return NULL;
	}
	a = xcalloc(1, sizeof *a);
	a->wake_fd = -1;
	a->refs = 1;
	uuid_v4(a->id);
	if (parent != NULL) {
		memcpy(a->parent, parent->id, UUID_STRLEN);
		memcpy(a->group, parent->group, UUID_STRLEN);
		a->depth = parent->depth + 1;
		a->up = parent;
		agent_ref(parent, "child");
	} else
		memcpy(a->group, a->id, UUID_STRLEN);
	if (session != NULL)
		snprintf(a->session, sizeof a->session, "%s", session);
	snprintf(a->starter, sizeof a->starter, "%s",
	    starter != NULL ? starter : "user");
	cancel_init(&a->cancel, outer, 0);
	row.a = a;
	row.session = session;
	row.model = model;

	/* A slot first: the row and its agent_spawn entry then commit
	 * together (a spawn is never without its entry). */
	pthread_mutex_lock(&sup_lock);
	for (i = 0; i < SUPERVISOR_MAX_LIVE && sup_live[i] != NULL; i++)
		;
	if (i < SUPERVISOR_MAX_LIVE) {
		sup_live[i] = a;
		agent_ref(a, "table");
	}
	pthread_mutex_unlock(&sup_lock);
	if (i == SUPERVISOR_MAX_LIVE) {
		/* Never spawned: a row that says why. */
		if (sup_insert(db, &row, &why) == 0)
			sup_exec(db,
			    "UPDATE agents SET state = 'failed', "
			    "exit_reason = ?2 WHERE id = ?1",
			    a->id, "too many agents in this process");
		else
			log_error("%s", why);
		free(why);
		xasprintf(cause, "too many agents in this process (%d)",
		    SUPERVISOR_MAX_LIVE);
		agent_unref(a, "create");
		return NULL;
	}
	if (sup_audited(db, a, AUDIT_AGENT_SPAWN, model, NULL, NULL, sup_insert,
		&row, cause) != 0) {
		pthread_mutex_lock(&sup_lock);
		sup_live[i] = NULL;
		pthread_mutex_unlock(&sup_lock);
		agent_unref(a, "table");
		agent_unref(a, "create");
		return NULL;
	}
	return a;
}

/* Take `a` out of the wait queue (under sup_lock). */
static void
sup_dequeue(struct agent *a)
{
	int i;

	for (i = 0; i < sup_queued; i++) {
		if (sup_queue[i] != a)
			continue;
		memmove(&sup_queue[i], &sup_queue[i + 1],
		    (size_t)(sup_queued - i - 1) * sizeof sup_queue[0]);
		sup_queued--;
		return;
	}
}

/*
 * `write(db, arg, cause)` and its audit entry in one transaction
 * (audit_write()): who started the agent (the user, or its parent agent),
 * and how it ended.  0, or -1 with *cause.
 */
static int
sup_audited(sqlite3 *db, const struct agent *a, enum audit_action action,
    const char *model, const char *state, const char *reason,
    int (*write)(sqlite3 *, void *, char **), void *arg, char **cause)
{
	char actor[96], resource[64];
	json_t *d = json_pack("{s:s?, s:s?, s:i}", "session_id",
	    a->session[0] != '\0' ? a->session : NULL, "group_id",
	    a->group[0] != '\0' ? a->group : NULL, "depth", a->depth);
	int rc;

	if (action == AUDIT_AGENT_SPAWN && a->parent[0] != '\0')
		snprintf(actor, sizeof actor, "agent:%s", a->parent);
	else if (action == AUDIT_AGENT_SPAWN)
		snprintf(actor, sizeof actor, "%s", a->starter);
	else
		snprintf(actor, sizeof actor, "agent:%s", a->id);
	snprintf(resource, sizeof resource, "agent:%s", a->id);
	if (model != NULL)
		json_object_set_new(d, "model", json_string(model));
	if (state != NULL)
		json_object_set_new(d, "state", json_string(state));
	if (reason != NULL)
		json_object_set_new(d, "reason", json_string(reason));
	rc = audit_write(db, write, arg, actor, action, resource, d, cause);
	json_decref(d);
	return rc;
}

/* Tell the event bus. */
static void
sup_event(enum event_type type, const struct agent *a, const char *state,
    const char *reason)
{
	json_t *ev = json_pack("{s:s, s:s?, s:s?, s:s?, s:i}", "agent_id",
	    a->id, "parent_id", a->parent[0] != '\0' ? a->parent : NULL,
	    "group_id", a->group[0] != '\0' ? a->group : NULL, "session_id",
	    a->session[0] != '\0' ? a->session : NULL, "depth", a->depth);

	if (state != NULL)
		json_object_set_new(ev, "state", json_string(state));
	if (reason != NULL)
		json_object_set_new(ev, "reason", json_string(reason));
	events_emit(type, ev);
	json_decref(ev);
}

int
supervisor_admit(sqlite3 *db, struct agent *a)
{
	struct pollfd pfd;
	uint64_t drain;
	char now[40];
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	pthread_mutex_lock(&sup_lock);
	a->wake_fd = fd;
	sup_queue[sup_queued++] = a; /* fewer than SUPERVISOR_MAX_LIVE */
	/* Wait for the head of the queue and a free slot, or a kill: the
	 * token's fd and our wake fd (written whenever the queue moves). */
	while (!cancel_fired(&a->cancel) &&
	    (sup_queue[0] != a || sup_running >= sup_max)) {
		pthread_mutex_unlock(&sup_lock);
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (cancel_poll(&a->cancel, &pfd, fd != -1 ? 1 : 0,
			fd != -1 ? -1 : 50) > 0 &&
		    read(fd, &drain, sizeof drain) == -1)
			(void)errno; /* EAGAIN: another pass */
		pthread_mutex_lock(&sup_lock);
	}
	/* Admitted or killed, it leaves the queue: the next one moves up. */
	sup_dequeue(a);
	a->wake_fd = -1;
	if (cancel_fired(&a->cancel)) {
		sup_wake_queue();
		pthread_mutex_unlock(&sup_lock);
		if (fd != -1)
			close(fd);
		return -1;
	}
	sup_running++;
	a->admitted = 1;
	supervisor_progress(a, 0);
	__atomic_store_n(&a->running, 1, __ATOMIC_SEQ_CST);
	sup_wake_queue();
	pthread_mutex_unlock(&sup_lock);
	if (fd != -1)
		close(fd);
	sup_now(now, sizeof now);
	sup_exec(db,
	    "UPDATE agents SET state = 'running', started_at = ?2 WHERE id = ?1",
	    a->id, now);
	sup_event(EVENT_AGENT_STARTED, a, NULL, NULL);
	return 0;
}

void
supervisor_start_nested(sqlite3 *db, struct agent *a)
{
	char now[40];

	supervisor_progress(a, 0);
	__atomic_store_n(&a->running, 1, __ATOMIC_SEQ_CST);
	sup_now(now, sizeof now);
	sup_exec(db,
	    "UPDATE agents SET state = 'running', started_at = ?2 WHERE id = ?1",
	    a->id, now);
	sup_event(EVENT_AGENT_STARTED, a, NULL, NULL);
}

struct hands *
supervisor_hands(sqlite3 *db, struct agent *a, const struct hands_policy *pol,
    char **cause)
{
	struct hands *h;

	if (cancel_fired(&a->cancel)) {
		xasprintf(cause, "the agent was stopped before it started");
		return NULL;
	}
	if (hands_acquire(pol, &h, cause) != 0)
		return NULL;
	pthread_mutex_lock(&sup_lock);
	a->hands = h;
	/* A kill between the check above and here found no hands: it
	 * fired the token, so do its work now. */
	if (cancel_fired(&a->cancel))
		hands_kill(h);
	pthread_mutex_unlock(&sup_lock);
	if (db_exec(db, "UPDATE agents SET worker_pid = ?2 WHERE id = ?1", "tI",
		a->id, (int64_t)hands_pid(h)) < 0)
		log_error("agent table: %s", sqlite3_errmsg(db));
	return h;
}

/* How an agent ended, for its row (audit_write()'s write). */
struct sup_end {
	const struct agent *a;
	const char *state, *reason;
	int iterations, priced;
	const struct llm_usage *usage;
	double cost_usd;
};

static int
sup_update_end(sqlite3 *db, void *arg, char **cause)
{
	const struct sup_end *e = arg;
	sqlite3_stmt *st = NULL;
	char now[40];
	int rc = -1;

	sup_now(now, sizeof now);
	/* ?8, the cost, stays NULL when the calls were not priced. */
	if ((st = db_prepare(db,
		 "UPDATE agents SET state = ?1, ended_at = ?2, "
		 "exit_reason = ?3, iterations = ?4, input_tokens = ?5, "
		 "output_tokens = ?6, cost_usd = ?8 WHERE id = ?7",
		 "tttiIIt", e->state, now, e->reason, e->iterations,
		 (int64_t)(e->usage != NULL ? e->usage->input_tokens : 0),
		 (int64_t)(e->usage != NULL ? e->usage->output_tokens : 0),
		 e->a->id)) != NULL &&
	    (!e->priced ||
		sqlite3_bind_double(st, 8, e->cost_usd) == SQLITE_OK) &&
	    sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	if (rc != 0)
		xasprintf(cause, "agent table: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

void
supervisor_finish(sqlite3 *db, struct agent *a, enum agent_state state,
    const char *reason, int iterations, const struct llm_usage *usage,
    double cost_usd, int priced)
{
	struct sup_end e = { .a = a,
		.state = agent_state_name(state),
		.reason = reason,
		.iterations = iterations,
		.priced = priced,
		.usage = usage,
		.cost_usd = cost_usd };
	struct hands *h;
	char *cause = NULL;
	size_t i;
	int table = 0;

	/* Detach the hands first: from here a kill finds none. */
	pthread_mutex_lock(&sup_lock);
	h = a->hands;
	a->hands = NULL;
	__atomic_store_n(&a->running, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&sup_lock);
	hands_retire(h); /* reaped by the pool's thread, off this path */

	sup_event(EVENT_AGENT_EXITED, a, e.state, reason);
	/* The row's end and its agent_exit entry, together or not at all
	 * (a row left running is what recovery finds after a crash). */
	if (sup_audited(db, a, AUDIT_AGENT_EXIT, NULL, e.state, reason,
		sup_update_end, &e, &cause) != 0) {
		log_error("agent %s: %s", a->id, cause);
		free(cause);
	}
	pthread_mutex_lock(&sup_lock);
	for (i = 0; i < SUPERVISOR_MAX_LIVE; i++) {
		if (sup_live[i] == a) {
			sup_live[i] = NULL;
			table = 1;
		}
	}
	if (a->admitted)
		sup_running--;
	a->admitted = 0;
	sup_wake_queue();
	pthread_mutex_unlock(&sup_lock);
	if (table)
		agent_unref(a, "table");
	agent_unref(a, "run");
}

/* Stop one live agent: its brain and its hands (sup_lock held). */
static void
sup_stop(struct agent *a)
{
	cancel_fire(&a->cancel);
	if (a->hands != NULL)
		hands_kill(a->hands);
	if (a->wake_fd != -1)
		sup_wake_queue();
}

int
supervisor_kill(const char *id)
{
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&sup_lock);
	for (i = 0; i < SUPERVISOR_MAX_LIVE; i++) {
		if (sup_live[i] == NULL || strcmp(sup_live[i]->id, id) != 0)
			continue;
		sup_stop(sup_live[i]);
		rc = 0;
	}
	pthread_mutex_unlock(&sup_lock);
	return rc;
}

void
supervisor_progress(struct agent *a, int in_tool)
{
	uint64_t now = time_mono_ms();
	struct agent *p;

	__atomic_store_n(&a->in_tool, in_tool, __ATOMIC_RELAXED);
	for (p = a; p != NULL; p = p->up) /* a child's life is its parent's */
		__atomic_store_n(&p->progress_ms, now, __ATOMIC_RELAXED);
}

size_t
supervisor_running(struct agent **out, size_t max)
{
	size_t i, n = 0;

	pthread_mutex_lock(&sup_lock);
	for (i = 0; i < SUPERVISOR_MAX_LIVE && n < max; i++) {
		if (sup_live[i] == NULL || sup_live[i]->zombie ||
		    !__atomic_load_n(&sup_live[i]->running, __ATOMIC_SEQ_CST))
			continue;
		agent_ref(sup_live[i], "reaper");
		out[n++] = sup_live[i];
	}
	pthread_mutex_unlock(&sup_lock);
	return n;
}

int
supervisor_worker_stuck(struct agent *a)
{
	int stuck;

	pthread_mutex_lock(&sup_lock);
	stuck = a->hands != NULL && hands_stuck(a->hands);
	pthread_mutex_unlock(&sup_lock);
	return stuck;
}

/* The row says "zombie" (audit_write()'s write); only a running one. */
static int
sup_set_zombie(sqlite3 *db, void *arg, char **cause)
{
	const struct agent *a = arg;

	if (sup_exec(db,
		"UPDATE agents SET state = 'zombie', exit_reason = ?2 "
		"WHERE id = ?1 AND state = 'running'",
		a->id, a->zombie_reason) != 0) {
		xasprintf(cause, "agent table: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int
supervisor_zombie(sqlite3 *db, struct agent *a, const char *reason)
{
	char *cause = NULL;

	pthread_mutex_lock(&sup_lock);
	if (a->zombie || !__atomic_load_n(&a->running, __ATOMIC_SEQ_CST)) {
		pthread_mutex_unlock(&sup_lock);
		return -1;
	}
	a->zombie = 1; /* from here its runner finishes it "killed" */
	snprintf(a->zombie_reason, sizeof a->zombie_reason, "%s", reason);
	pthread_mutex_unlock(&sup_lock);

	/* The row, its entry and the event first, then the stop: "zombie"
	 * is always seen before "killed". */
	log_warn("agent %s: zombie: %s", a->id, reason);
	if (db != NULL &&
	    sup_audited(db, a, AUDIT_AGENT_ZOMBIE, NULL, "zombie", reason,
		sup_set_zombie, a, &cause) != 0) {
		log_error("agent %s: %s", a->id, cause);
		free(cause);
	}
	sup_event(EVENT_AGENT_ZOMBIE, a, "zombie", reason);
	pthread_mutex_lock(&sup_lock);
	sup_stop(a);
	pthread_mutex_unlock(&sup_lock);
	return 0;
}

int
supervisor_is_zombie(struct agent *a, char *buf, size_t size)
{
	int z;

	pthread_mutex_lock(&sup_lock);
	z = a->zombie;
	if (z && buf != NULL)
		snprintf(buf, size, "%s", a->zombie_reason);
	pthread_mutex_unlock(&sup_lock);
	return z;
}

size_t
supervisor_workers(struct monitor_worker *out, size_t max)
{
	size_t i, n = 0;

	pthread_mutex_lock(&sup_lock);
	for (i = 0; i < SUPERVISOR_MAX_LIVE && n < max; i++) {
		if (sup_live[i] == NULL || sup_live[i]->hands == NULL)
			continue;
		snprintf(out[n].id, sizeof out[n].id, "%s", sup_live[i]->id);
		out[n].pid = hands_pid(sup_live[i]->hands);
		n++;
	}
	pthread_mutex_unlock(&sup_lock);
	return n;
}

int
supervisor_kill_all(void)
{
	size_t i;
	int n = 0;

	pthread_mutex_lock(&sup_lock);
	for (i = 0; i < SUPERVISOR_MAX_LIVE; i++) {
		if (sup_live[i] == NULL)
			continue;
		sup_stop(sup_live[i]);
		n++;
	}
	pthread_mutex_unlock(&sup_lock);
	return n;
}

void
supervisor_counts(int *running, int *queued)
{
	size_t i;
	int live = 0;

	pthread_mutex_lock(&sup_lock);
	for (i = 0; i < SUPERVISOR_MAX_LIVE; i++)
		live += sup_live[i] != NULL;
	*running = sup_running;
	*queued = live - sup_running;
	pthread_mutex_unlock(&sup_lock);
}

int
supervisor_recover(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	char now[40], **ids = NULL;
	size_t n = 0, i;
	long long pid;

	if (sqlite3_prepare_v2(db,
		"SELECT id, host_pid FROM agents WHERE state IN ('running', "
		"'queued', 'zombie')",
		-1, &st, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		pid = sqlite3_column_int64(st, 1);
		/* Its process is alive (this one, or another oxios): leave
		 * it.  A pid reused by an unrelated process is a rare false
		 * "alive", never a false "dead". */
		if (pid > 0 &&
		    (pid == getpid() || kill((pid_t)pid, 0) == 0 ||
			errno == EPERM))
			continue;
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	sup_now(now, sizeof now);
	for (i = 0; i < n; i++) {
		sup_exec(db,
		    "UPDATE agents SET state = 'failed', ended_at = ?2, "
		    "exit_reason = 'interrupted: its process ended without "
		    "finishing it' WHERE id = ?1",
		    ids[i], now);
		free(ids[i]);
	}
	free(ids);
	if (n > 0)
		log_warn("%zu interrupted agent%s marked failed", n,
		    n == 1 ? "" : "s");
	return (int)n;
}
