/*
 * test_supervisor.c — the agent table and the run queue: max_agents holds,
 * queued agents start in order and are never dropped, a kill reaches a
 * queued agent, sub-agents nest at most kernel.max_agent_depth deep, rows
 * left by a dead process are recovered as failed, and a kill racing an
 * agent's end never touches freed hands (run thousands of times: ASan and
 * ThreadSanitizer watch).
 *
 * This binary is also its own worker (`__worker`, through /proc/self/exe).
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

#include "agent/hands.h"
#include "kernel/supervisor.h"
#include "store/db.h"
#include "tmpdb.h"
#include "util/time.h"

TMPDB_SHARED_FIXTURE("sup")

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
	__atomic_store_n(&r->admitted,
	    supervisor_admit(db_get(), r->a) == 0 ? 1 : -1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&order_lock);
	r->order = order_next++;
	pthread_mutex_unlock(&order_lock);
	return NULL;
}

static void
wait_for(int *flag)
{
	int i;

	for (i = 0; i < 500 && __atomic_load_n(flag, __ATOMIC_SEQ_CST) == 0;
	     i++)
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
		r[i].a = supervisor_create(db_get(), NULL, "m/x", NULL, NULL,
		    NULL, &cause);
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
	supervisor_finish(db_get(), r[2].a, AGENT_KILLED, "killed while queued",
	    0, NULL, 0, 0);

	/* Ending the running one starts the next, in order. */
	supervisor_finish(db_get(), r[0].a, AGENT_EXITED, "done", 1, NULL, 0,
	    0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	assert_int_equal(r[1].admitted, 1);
	usleep(100000);
	assert_int_equal(__atomic_load_n(&r[3].admitted, __ATOMIC_SEQ_CST),
	    0); /* still waiting */
	supervisor_finish(db_get(), r[1].a, AGENT_EXITED, "done", 1, NULL, 0,
	    0);
	pthread_join(t[3], NULL);
	assert_int_equal(r[3].admitted, 1);
	assert_true(r[1].order < r[3].order);
	supervisor_finish(db_get(), r[3].a, AGENT_EXITED, "done", 1, NULL, 0,
	    0);
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
	int i, max;

	(void)state;
	for (max = 1; max <= SUPERVISOR_MAX_DEPTH; max += 2) {
		supervisor_set_max_depth(max);
		assert_int_equal(supervisor_max_depth(), max);
		chain[0] = supervisor_create(db_get(), NULL, NULL, NULL, NULL,
		    NULL, &cause);
		for (i = 1; i <= max; i++) {
			chain[i] = supervisor_create(db_get(), NULL, NULL,
			    chain[i - 1], NULL, NULL, &cause);
			assert_non_null(chain[i]);
			assert_int_equal(chain[i]->depth, i);
			assert_string_equal(chain[i]->group, chain[0]->id);
			assert_string_equal(chain[i]->parent, chain[i - 1]->id);
		}
		deeper = supervisor_create(db_get(), NULL, NULL, chain[max],
		    NULL, NULL, &cause);
		assert_null(deeper);
		assert_non_null(strstr(cause, "nest at most"));
		assert_non_null(strstr(cause, "kernel.max_agent_depth"));
		free(cause);
		cause = NULL;
		for (i = max; i >= 0; i--)
			supervisor_finish(db_get(), chain[i], AGENT_EXITED, "",
			    0, NULL, 0, 0);
	}
	/* Out of range: clamped. */
	supervisor_set_max_depth(0);
	assert_int_equal(supervisor_max_depth(), 1);
	supervisor_set_max_depth(99);
	assert_int_equal(supervisor_max_depth(), SUPERVISOR_MAX_DEPTH);
	supervisor_set_max_depth(3);
}

/* A kill fired on a parent's token reaches the agent below it. */
static void
test_cancel_chain(void **state)
{
	struct cancel outer;
	struct agent *a, *child;
	char *cause = NULL;

	(void)state;
	cancel_init(&outer, NULL, 0);
	a = supervisor_create(db_get(), NULL, NULL, NULL, &outer, NULL, &cause);
	child = supervisor_create(db_get(), NULL, NULL, a, &a->cancel, NULL,
	    &cause);
	assert_non_null(child);
	assert_false(cancel_fired(&child->cancel));
	cancel_fire(&outer);
	assert_true(cancel_fired(&a->cancel));
	assert_true(cancel_fired(&child->cancel));
	/* A killed agent is not admitted and gets no hands. */
	assert_int_equal(supervisor_admit(db_get(), a), -1);
	supervisor_finish(db_get(), child, AGENT_KILLED, "", 0, NULL, 0, 0);
	supervisor_finish(db_get(), a, AGENT_KILLED, "", 0, NULL, 0, 0);
	cancel_destroy(&outer);
}

/*
 * Under valgrind, /proc/self/exe is valgrind itself: no worker can be
 * spawned.  The race is watched by ASan and TSan instead.
 */
static int
under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

struct racer {
	char id[UUID_STRLEN];
	int go;
	int rc;
};

static void *
race_kill(void *arg)
{
	struct racer *r = arg;

	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		;
	r->rc = supervisor_kill(r->id);
	return NULL;
}

/*
 * supervisor_kill() against supervisor_finish(), each iteration with a
 * real worker: the kill either reaches a live worker or finds none, and
 * never frees memory twice or touches it after (ASan, TSan).
 */
static void
test_kill_races_finish(void **state)
{
	struct hands_policy pol;
	struct racer r;
	struct agent *a;
	pthread_t t;
	char *cause = NULL, ws[128];
	uint64_t t0 = time_mono_ms();
	int i, killed = 0, missed = 0;

	(void)state;
	if (under_valgrind())
		skip();
	snprintf(ws, sizeof ws, "%s/ws", dir);
	memset(&pol, 0, sizeof pol);
	pol.workspace = ws;
	pol.exec_timeout_secs = 5;
	pol.max_output_bytes = 4096;
	for (i = 0; i < 3000 && (i < 200 || time_mono_ms() - t0 < 30000); i++) {
		a = supervisor_create(db_get(), NULL, NULL, NULL, NULL, NULL,
		    &cause);
		assert_non_null(a);
		supervisor_start_nested(db_get(), a);
		if (supervisor_hands(db_get(), a, &pol, &cause) == NULL)
			fail_msg("hands: %s", cause);
		memcpy(r.id, a->id, UUID_STRLEN);
		r.go = 0;
		r.rc = 99;
		assert_int_equal(pthread_create(&t, NULL, race_kill, &r), 0);
		if (i % 2 == 0)
			__atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
		supervisor_finish(db_get(), a, AGENT_EXITED, "", 0, NULL, 0, 0);
		__atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		assert_true(r.rc == 0 || r.rc == -1);
		if (r.rc == 0)
			killed++;
		else
			missed++;
		/* After the end, nothing is left to kill. */
		assert_int_equal(supervisor_kill(r.id), -1);
	}
	print_message("kill vs finish: %d iterations in %llu ms (%d killed "
		      "a live agent, %d found it gone)\n",
	    i, (unsigned long long)(time_mono_ms() - t0), killed, missed);
	assert_true(i >= 200);
	assert_true(missed > 0);
}

static void
test_recover_dead_process(void **state)
{
	char buf[32], *cause = NULL;
	struct agent *a;
	pid_t pid;
	char sql[256];

	(void)state;
	a = supervisor_create(db_get(), NULL, NULL, NULL, NULL, NULL, &cause);
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
	/* And one reaped as a zombie that never wound down before. */
	snprintf(sql, sizeof sql,
	    "INSERT INTO agents (id, state, host_pid, created_at) VALUES "
	    "('dead-zombie', 'zombie', %d, 'x')",
	    (int)pid);
	assert_int_equal(sqlite3_exec(db_get(), sql, NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(supervisor_recover(db_get()), 2);
	assert_string_equal(state_of("dead-one", buf, sizeof buf), "failed");
	assert_string_equal(state_of("dead-zombie", buf, sizeof buf), "failed");
	/* Our own queued agent is alive: left alone. */
	assert_string_equal(state_of(a->id, buf, sizeof buf), "queued");
	assert_int_equal(supervisor_recover(db_get()), 0);
	supervisor_finish(db_get(), a, AGENT_EXITED, "", 0, NULL, 0, 0);
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
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_max_agents_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_depth_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recover_dead_process,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_chain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kill_races_finish, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
	};

	if (argc == 2 && strcmp(argv[1], "__worker") == 0)
		return worker_main();

	return cmocka_run_group_tests(tests, NULL, NULL);
}
