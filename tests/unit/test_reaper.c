/*
 * test_reaper.c — zombies: the verdict on a fake clock (no progress for
 * kernel.zombie_secs; more inside a tool call; a worker gone while the
 * brain waits on it, after a grace), then the reaper's thread for real:
 * a silent agent is reaped (row "zombie", event, audit entry, token
 * fired, "killed" at its end), one that keeps progressing is not, and a
 * sub-agent's progress keeps its parent alive.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/events.h"
#include "kernel/reaper.h"
#include "kernel/supervisor.h"
#include "security/audit.h"
#include "store/db.h"
#include "tmpdir.h"
#include "util/time.h"

static const struct reaper_limits lim = {
	.idle_ms = 10000,
	.tool_ms = 60000,
	.grace_ms = 3000,
};

static void
test_judge_idle(void **state)
{
	struct reaper_view v = { .progress_ms = 1000 };
	char why[200] = "";

	(void)state;
	assert_int_equal(reaper_judge(&v, &lim, 1000, why, sizeof why),
	    REAPER_ALIVE);
	assert_int_equal(reaper_judge(&v, &lim, 10999, why, sizeof why),
	    REAPER_ALIVE);
	assert_string_equal(why, "");
	assert_int_equal(reaper_judge(&v, &lim, 11000, why, sizeof why),
	    REAPER_STALLED);
	assert_non_null(strstr(why, "no progress for 10 s"));
	assert_non_null(strstr(why, "kernel.zombie_secs is 10"));
	/* Progress moves the limit. */
	v.progress_ms = 11000;
	assert_int_equal(reaper_judge(&v, &lim, 20999, why, sizeof why),
	    REAPER_ALIVE);
	/* A clock before the last progress (it raced the look): alive. */
	assert_int_equal(reaper_judge(&v, &lim, 5000, why, sizeof why),
	    REAPER_ALIVE);
}

static void
test_judge_queued(void **state)
{
	struct reaper_view v = { .progress_ms = 1000, .queued = 1 };
	char why[200] = "";

	(void)state;
	/* Waiting for the scheduler's admission is not a stall: however
	 * long, and the idle time counts from the last look that saw it
	 * queued. */
	assert_int_equal(reaper_judge(&v, &lim, 50000, why, sizeof why),
	    REAPER_ALIVE);
	assert_true(v.progress_ms == 50000);
	v.queued = 0;
	assert_int_equal(reaper_judge(&v, &lim, 59999, why, sizeof why),
	    REAPER_ALIVE);
	assert_int_equal(reaper_judge(&v, &lim, 60000, why, sizeof why),
	    REAPER_STALLED);
}

static void
test_judge_tool(void **state)
{
	struct reaper_view v = { .progress_ms = 0, .in_tool = 1 };
	char why[200];

	(void)state;
	/* Inside a tool call its deadline is added. */
	assert_int_equal(reaper_judge(&v, &lim, 69999, why, sizeof why),
	    REAPER_ALIVE);
	assert_int_equal(reaper_judge(&v, &lim, 70000, why, sizeof why),
	    REAPER_STALLED);
	assert_non_null(strstr(why, "inside a tool call"));
	v.in_tool = 0;
	assert_int_equal(reaper_judge(&v, &lim, 10000, why, sizeof why),
	    REAPER_STALLED);
}

static void
test_judge_worker(void **state)
{
	struct reaper_view v = { .progress_ms = 100000, .in_tool = 1 };
	char why[200];

	(void)state;
	v.worker_stuck = 1;
	/* First seen: the grace starts. */
	assert_int_equal(reaper_judge(&v, &lim, 100500, why, sizeof why),
	    REAPER_ALIVE);
	assert_int_equal(v.stuck_since_ms, 100500);
	assert_int_equal(reaper_judge(&v, &lim, 103499, why, sizeof why),
	    REAPER_ALIVE);
	/* Replaced meanwhile (respawned): the grace starts over. */
	v.worker_stuck = 0;
	assert_int_equal(reaper_judge(&v, &lim, 103000, why, sizeof why),
	    REAPER_ALIVE);
	assert_int_equal(v.stuck_since_ms, 0);
	v.worker_stuck = 1;
	assert_int_equal(reaper_judge(&v, &lim, 104000, why, sizeof why),
	    REAPER_ALIVE);
	assert_int_equal(reaper_judge(&v, &lim, 106999, why, sizeof why),
	    REAPER_ALIVE);
	assert_int_equal(reaper_judge(&v, &lim, 107000, why, sizeof why),
	    REAPER_WORKER);
	assert_non_null(strstr(why, "worker died"));
}

static void
test_judge_off(void **state)
{
	struct reaper_limits off = lim;
	struct reaper_view v = { .progress_ms = 0,
		.worker_stuck = 1,
		.stuck_since_ms = 1 };
	char why[200];

	(void)state;
	off.idle_ms = 0;
	assert_int_equal(reaper_judge(&v, &off, UINT64_MAX / 2, why,
			     sizeof why),
	    REAPER_ALIVE);
	assert_int_equal(reaper_hold("/nonexistent.db", 0, 60), 0);
}

/* The reaper's thread, for real. */
static char dir[64];
static char dbpath[128];

static int
setup(void **state)
{
	char *cause = NULL;

	(void)state;
	if (tmpdir_make(dir, sizeof dir, "reaper") != 0)
		return -1;
	setenv("OXIOS_HOME", dir, 1);
	snprintf(dbpath, sizeof dbpath, "%s/oxios.db", dir);
	if (db_init(dbpath, &cause) != 0)
		return -1;
	return audit_open(1, 300, &cause);
}

static int
teardown(void **state)
{
	(void)state;
	audit_close();
	db_shutdown();
	tmpdir_remove(dir);
	return 0;
}

static void
row_of(const char *id, char *st, size_t sz, char *why, size_t wz)
{
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_prepare_v2(db_get(),
			     "SELECT state, COALESCE(exit_reason, '') FROM "
			     "agents WHERE id = ?",
			     -1, &q, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	snprintf(st, sz, "%s", (const char *)sqlite3_column_text(q, 0));
	snprintf(why, wz, "%s", (const char *)sqlite3_column_text(q, 1));
	sqlite3_finalize(q);
}

static int
audit_count(const char *action, const char *resource)
{
	sqlite3_stmt *q;
	int n;

	assert_int_equal(sqlite3_prepare_v2(db_get(),
			     "SELECT COUNT(*) FROM audit_log WHERE action = ?1 "
			     "AND resource = ?2",
			     -1, &q, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(q, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, resource, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return n;
}

/* Wait up to ms for a's token. */
static int
fired_within(struct agent *a, int ms)
{
	int i;

	for (i = 0; i < ms / 20; i++) {
		if (cancel_fired(&a->cancel))
			return 1;
		usleep(20000);
	}
	return cancel_fired(&a->cancel);
}

struct beat {
	struct agent *a;
	int stop;
};

/* A loop that keeps streaming: progress every 50 ms. */
static void *
beat_main(void *arg)
{
	struct beat *b = arg;

	while (!__atomic_load_n(&b->stop, __ATOMIC_SEQ_CST)) {
		supervisor_progress(b->a, 0);
		usleep(50000);
	}
	return NULL;
}

static void
test_reaped(void **state)
{
	struct agent *silent, *busy, *parent, *child;
	struct events_sub *sub;
	struct event e;
	struct beat b;
	pthread_t t;
	char *cause = NULL, st[32], why[300], res[64], reason[256];
	int seen = 0;

	(void)state;
	events_init(64);
	sub = events_subscribe(0, NULL, NULL);
	silent =
	    supervisor_create(db_get(), NULL, "m/x", NULL, NULL, NULL, &cause);
	busy =
	    supervisor_create(db_get(), NULL, "m/x", NULL, NULL, NULL, &cause);
	parent =
	    supervisor_create(db_get(), NULL, "m/x", NULL, NULL, NULL, &cause);
	assert_non_null(silent);
	assert_non_null(busy);
	assert_non_null(parent);
	assert_int_equal(supervisor_admit(db_get(), silent), 0);
	assert_int_equal(supervisor_admit(db_get(), busy), 0);
	assert_int_equal(supervisor_admit(db_get(), parent), 0);
	child = supervisor_create(db_get(), NULL, "m/x", parent,
	    &parent->cancel, NULL, &cause);
	assert_non_null(child);
	supervisor_start_nested(db_get(), child);
	/* The parent waits in its "agent" tool; only the child streams. */
	supervisor_progress(parent, 1);
	b.a = busy;
	b.stop = 0;
	assert_int_equal(pthread_create(&t, NULL, beat_main, &b), 0);
	/* zombie_secs 1, no tool allowance: the parent lives by its child. */
	assert_int_equal(reaper_hold(dbpath, 1, 0), 1);
	{
		struct beat cb = { .a = child, .stop = 0 };
		pthread_t ct;

		assert_int_equal(pthread_create(&ct, NULL, beat_main, &cb), 0);
		assert_true(fired_within(silent, 4000));
		usleep(1500000); /* well past the limit for the others */
		__atomic_store_n(&cb.stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(ct, NULL);
	}
	assert_false(cancel_fired(&busy->cancel));
	assert_false(cancel_fired(&parent->cancel));
	assert_false(cancel_fired(&child->cancel));

	/* The row says zombie, the reason is kept, the log has it. */
	row_of(silent->id, st, sizeof st, why, sizeof why);
	assert_string_equal(st, "zombie");
	assert_non_null(strstr(why, "no progress for"));
	assert_int_equal(supervisor_is_zombie(silent, reason, sizeof reason),
	    1);
	assert_non_null(strstr(reason, "kernel.zombie_secs"));
	assert_int_equal(supervisor_is_zombie(busy, NULL, 0), 0);
	snprintf(res, sizeof res, "agent:%s", silent->id);
	assert_int_equal(audit_count("agent_zombie", res), 1);
	while (events_next(sub, &e, NULL) == 1) {
		if (strcmp(e.type, "agent.zombie") == 0 &&
		    strstr(e.data, silent->id) != NULL &&
		    strstr(e.data, "no progress") != NULL)
			seen++;
		free(e.data);
	}
	assert_int_equal(seen, 1);
	/* Reaped once only. */
	assert_int_equal(supervisor_zombie(db_get(), silent, "again"), -1);
	/* Its runner ends it: killed, and the zombie row becomes that. */
	supervisor_finish(db_get(), silent, AGENT_KILLED, "zombie: gone", 0,
	    NULL, 0, 0);
	row_of(res + 6, st, sizeof st, why, sizeof why);
	assert_string_equal(st, "killed");
	assert_string_equal(why, "zombie: gone");

	/* The child stops streaming: it goes, then its waiting parent. */
	assert_true(fired_within(child, 4000));
	supervisor_finish(db_get(), child, AGENT_KILLED, "zombie", 0, NULL, 0,
	    0);
	assert_true(fired_within(parent, 4000));
	supervisor_finish(db_get(), parent, AGENT_KILLED, "zombie", 0, NULL, 0,
	    0);
	assert_false(cancel_fired(&busy->cancel));
	__atomic_store_n(&b.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	supervisor_finish(db_get(), busy, AGENT_EXITED, "", 0, NULL, 0, 0);
	reaper_release();
	events_unsubscribe(sub);
	events_shutdown();
}

/* A hold and release, again and again, leave no thread behind. */
static void
test_hold_release(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		assert_int_equal(reaper_hold(dbpath, 5, 1), 1);
		assert_int_equal(reaper_hold(dbpath, 5, 1), 1);
		reaper_release();
		reaper_release();
	}
	reaper_release(); /* one too many: nothing */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_idle),
		cmocka_unit_test(test_judge_queued),
		cmocka_unit_test(test_judge_tool),
		cmocka_unit_test(test_judge_worker),
		cmocka_unit_test(test_judge_off),
		cmocka_unit_test_setup_teardown(test_reaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_release, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
