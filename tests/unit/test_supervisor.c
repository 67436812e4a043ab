/*
 * test_supervisor.c — the agent table and the run queue: max_agents holds,
 * queued agents start in order and are never dropped, a kill reaches a
 * queued agent, sub-agents nest at most SUPERVISOR_MAX_DEPTH deep, and
 * rows left by a dead process are recovered as failed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/supervisor.h"
#include "store/db.h"
#include "tmpdir.h"

static char dir[64];
static char dbpath[128];

static int
setup(void **state)
{
	char *cause = NULL;

	(void)state;
	if (tmpdir_make(dir, sizeof dir, "sup") != 0)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/oxios.db", dir);
	return db_init(dbpath, &cause);
}

static int
teardown(void **state)
{
	(void)state;
	db_shutdown();
	tmpdir_remove(dir);
	return 0;
}

static const char *
state_of(const char *id, char *buf, size_t size)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_get(),
			     "SELECT state FROM agents WHERE id = ?", -1, &st,
			     NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

struct runner {
	struct agent *a;
	int admitted; /* 1 admitted, -1 refused */
	int order;
};

static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static int order_next;

static void *
run_agent(void *arg)
{
	struct runner *r = arg;

	/* Each thread has its own connection (db_get is per thread). */
	r->admitted = supervisor_admit(db_get(), r->a) == 0 ? 1 : -1;
	pthread_mutex_lock(&order_lock);
	r->order = order_next++;
	pthread_mutex_unlock(&order_lock);
	return NULL;
}

static void
wait_for(int *flag)
{
	int i;

	for (i = 0; i < 500 && *(volatile int *)flag == 0; i++)
		usleep(10000);
}

static void
test_max_agents_queue(void **state)
{
	struct runner r[4];
	pthread_t t[4];
	char *cause = NULL, buf[32];
	int running, queued, i;

	(void)state;
	supervisor_set_max(1);
	order_next = 0;
	for (i = 0; i < 4; i++) {
		memset(&r[i], 0, sizeof r[i]);
		r[i].a = supervisor_create(db_get(), NULL, "m/x", NULL, &cause);
		assert_non_null(r[i].a);
		assert_string_equal(state_of(r[i].a->id, buf, sizeof buf),
		    "queued");
	}
	/* The first runs; the others wait, in order. */
	pthread_create(&t[0], NULL, run_agent, &r[0]);
	wait_for(&r[0].admitted);
	assert_int_equal(r[0].admitted, 1);
	for (i = 1; i < 4; i++) {
		pthread_create(&t[i], NULL, run_agent, &r[i]);
		usleep(30000); /* take tickets in this order */
	}
	usleep(100000);
	supervisor_counts(&running, &queued);
	assert_int_equal(running, 1);
	assert_int_equal(queued, 3);
	assert_string_equal(state_of(r[0].a->id, buf, sizeof buf), "running");
	assert_string_equal(state_of(r[1].a->id, buf, sizeof buf), "queued");

	/* A kill reaches a queued agent: it leaves the queue. */
	assert_int_equal(supervisor_kill(r[2].a->id), 0);
	pthread_join(t[2], NULL);
	assert_int_equal(r[2].admitted, -1);
	supervisor_finish(db_get(), r[2].a, "killed", "killed while queued", 0,
	    NULL, 0, 0);

	/* Ending the running one starts the next, in order. */
	supervisor_finish(db_get(), r[0].a, "exited", "done", 1, NULL, 0, 0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	assert_int_equal(r[1].admitted, 1);
	usleep(100000);
	assert_int_equal(r[3].admitted, 0); /* still waiting */
	supervisor_finish(db_get(), r[1].a, "exited", "done", 1, NULL, 0, 0);
	pthread_join(t[3], NULL);
	assert_int_equal(r[3].admitted, 1);
	assert_true(r[1].order < r[3].order);
	supervisor_finish(db_get(), r[3].a, "exited", "done", 1, NULL, 0, 0);
	supervisor_counts(&running, &queued);
	assert_int_equal(running, 0);
	assert_int_equal(queued, 0);
	assert_int_equal(supervisor_kill("no-such-agent"), -1);
}

static void
test_depth_cap(void **state)
{
	struct agent *chain[SUPERVISOR_MAX_DEPTH + 1], *deeper;
	char *cause = NULL;
	int i;

	(void)state;
	chain[0] = supervisor_create(db_get(), NULL, NULL, NULL, &cause);
	for (i = 1; i <= SUPERVISOR_MAX_DEPTH; i++) {
		chain[i] = supervisor_create(db_get(), NULL, NULL, chain[i - 1],
		    &cause);
		assert_non_null(chain[i]);
		assert_int_equal(chain[i]->depth, i);
		assert_string_equal(chain[i]->group, chain[0]->id);
		assert_string_equal(chain[i]->parent, chain[i - 1]->id);
	}
	deeper = supervisor_create(db_get(), NULL, NULL,
	    chain[SUPERVISOR_MAX_DEPTH], &cause);
	assert_null(deeper);
	assert_non_null(strstr(cause, "nest at most"));
	free(cause);
	for (i = SUPERVISOR_MAX_DEPTH; i >= 0; i--)
		supervisor_finish(db_get(), chain[i], "exited", "", 0, NULL, 0,
		    0);
}

static void
test_recover_dead_process(void **state)
{
	char buf[32], *cause = NULL;
	struct agent *a;
	pid_t pid;
	char sql[256];

	(void)state;
	a = supervisor_create(db_get(), NULL, NULL, NULL, &cause);
	/* A row whose host process is gone, as after a kill -9. */
	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	snprintf(sql, sizeof sql,
	    "INSERT INTO agents (id, state, host_pid, created_at) VALUES "
	    "('dead-one', 'running', %d, 'x')",
	    (int)pid);
	assert_int_equal(sqlite3_exec(db_get(), sql, NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(supervisor_recover(db_get()), 1);
	assert_string_equal(state_of("dead-one", buf, sizeof buf), "failed");
	/* Our own queued agent is alive: left alone. */
	assert_string_equal(state_of(a->id, buf, sizeof buf), "queued");
	assert_int_equal(supervisor_recover(db_get()), 0);
	supervisor_finish(db_get(), a, "exited", "", 0, NULL, 0, 0);
}

/* The agent table's counts: by state, and by the process hosting them. */
static void
test_counts(void **state)
{
	long long running, queued;
	char *cause = NULL;
	json_t *by;

	(void)state;
	assert_int_equal(sqlite3_exec(db_get(),
			     "INSERT INTO agents (id, state, host_pid, "
			     "created_at) VALUES ('a', 'running', 41, 'x'), "
			     "('b', 'queued', 41, 'x'), ('c', 'queued', 41, "
			     "'x'), ('d', 'running', 42, 'x'), ('e', 'exited', "
			     "41, 'x')",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(supervisor_pid_counts(db_get(), 41, &running, &queued,
			     &cause),
	    0);
	assert_int_equal(running, 1);
	assert_int_equal(queued, 2);
	assert_int_equal(supervisor_pid_counts(db_get(), 7, &running, &queued,
			     &cause),
	    0);
	assert_int_equal(running + queued, 0);
	by = supervisor_state_counts(db_get(), &cause);
	assert_non_null(by);
	assert_int_equal(json_object_size(by), 3);
	assert_int_equal(json_integer_value(json_object_get(by, "running")), 2);
	assert_int_equal(json_integer_value(json_object_get(by, "queued")), 2);
	assert_int_equal(json_integer_value(json_object_get(by, "exited")), 1);
	json_decref(by);
	assert_null(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_max_agents_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_depth_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recover_dead_process,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
