/*
 * test_hands.c — the client side of an agent's hands: spawn a real worker
 * (this test binary, exec'd as `__worker` through /proc/self/exe), read
 * its sandbox report, call tools, cancel a call (the worker's group dies),
 * survive a dead worker, close without leaving a zombie.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/hands.h"
#include "agent/registry.h"
#include "tmpdir.h"

static char dir[64];
static char ws[128];
static json_t *allow;
static struct hands_policy pol;

static int
setup(void **state)
{
	(void)state;
	if (tmpdir_make(dir, sizeof dir, "hands") != 0)
		return -1;
	snprintf(ws, sizeof ws, "%s/workspace", dir);
	allow = json_pack("[s,s]", "echo", "sleep");
	memset(&pol, 0, sizeof pol);
	pol.workspace = ws;
	pol.allowlist = allow;
	pol.exec_timeout_secs = 30;
	pol.max_output_bytes = 65536;
	pol.cpu_secs = 60;
	pol.memory_mb = 4096;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	json_decref(allow);
	tmpdir_remove(dir);
	return 0;
}

/*
 * Under valgrind, /proc/self/exe is valgrind itself: no worker can be
 * spawned (test_tools runs the tools under valgrind instead).
 */
static int
under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

static struct hands *
spawn(void)
{
	struct hands *h = NULL;
	char *cause = NULL;

	if (hands_spawn(&pol, &h, &cause) != 0)
		fail_msg("hands_spawn: %s", cause);
	return h;
}

/* Call and expect ok (1) or a tool error (0); returns output/error. */
static char *
call(struct hands *h, const char *tool, const char *args, int want_ok)
{
	json_t *a, *res = NULL;
	char *cause = NULL, *s;

	a = json_loads(args, 0, NULL);
	if (hands_call(h, tool, a, NULL, &res, &cause) != 0)
		fail_msg("hands_call %s: %s", tool, cause);
	json_decref(a);
	if (json_is_true(json_object_get(res, "ok")) != want_ok)
		fail_msg("%s %s: want ok=%d, got %s", tool, args, want_ok,
		    json_dumps(res, 0));
	s = strdup(json_string_value(
	    json_object_get(res, want_ok ? "output" : "error")));
	json_decref(res);
	return s;
}

static int
alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/* Wait up to 2 s for process group `pgid` to be empty. */
static int
group_gone(pid_t pgid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 200; i++) {
		if (kill(-pgid, 0) == -1 && errno == ESRCH)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Wait up to 2 s for no live "sleep ARG" process. */
static int
cmd_gone(const char *arg)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char path[300], buf[256], want[64];
	struct dirent *de;
	int i, fd, n, found;
	DIR *d;

	n = snprintf(want, sizeof want, "sleep%c%s", '\0', arg) + 1;
	for (i = 0; i < 200; i++) {
		found = 0;
		d = opendir("/proc");
		while (d != NULL && (de = readdir(d)) != NULL) {
			snprintf(path, sizeof path, "/proc/%s/cmdline",
			    de->d_name);
			if ((fd = open(path, O_RDONLY)) == -1)
				continue;
			if (read(fd, buf, sizeof buf) >= n &&
			    memcmp(buf, want, (size_t)n) == 0)
				found = 1;
			close(fd);
		}
		if (d != NULL)
			closedir(d);
		if (!found)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void
test_spawn_call_close(void **state)
{
	const json_t *sb;
	struct hands *h;
	char *s;
	pid_t pid;
	int st;

	(void)state;
	if (under_valgrind())
		skip();
	h = spawn();
	assert_true(hands_pid(h) > 0);
	sb = hands_sandbox(h);
	assert_true(json_is_integer(json_object_get(sb, "landlock")));
	assert_true(json_is_boolean(json_object_get(sb, "seccomp")));
	assert_true(json_is_true(json_object_get(sb, "no_new_privs")));
	assert_true(json_is_boolean(json_object_get(sb, "rlimits")));
	assert_true(json_is_array(json_object_get(sb, "warnings")));
	s = call(h, "write", "{\"path\":\"a/b.txt\",\"content\":\"one\\n\"}",
	    1);
	assert_string_equal(s, "created a/b.txt (4 bytes)");
	free(s);
	s = call(h, "read", "{\"path\":\"a/b.txt\"}", 1);
	assert_string_equal(s, "     1\tone\n");
	free(s);
	s = call(h, "exec", "{\"binary\":\"echo\",\"args\":[\"hi\"]}", 1);
	assert_string_equal(s, "hi\n");
	free(s);
	s = call(h, "nope", "{}", 0);
	assert_string_equal(s, "unknown tool 'nope'");
	free(s);
	s = call(h, "read", "{\"path\":\"../../etc/passwd\"}", 0);
	assert_non_null(strstr(s, "leaves the workspace"));
	free(s);
	/* How a command ended comes back as fields, not only words. */
	{
		json_t *res = NULL, *a;
		char *cause = NULL;

		a = json_pack("{s:s, s:[s]}", "binary", "sleep", "args", "x");
		assert_int_equal(hands_call(h, "exec", a, NULL, &res, &cause),
		    0);
		json_decref(a);
		assert_true(json_is_false(json_object_get(res, "ok")));
		assert_true(json_is_true(json_object_get(res, "ran")));
		assert_int_equal(json_integer_value(
				     json_object_get(res, "exit_code")),
		    1);
		assert_null(json_object_get(res, "signal"));
		assert_string_equal(json_string_value(
					json_object_get(res, "ended")),
		    "exit code 1");
		assert_non_null(
		    strstr(json_string_value(json_object_get(res, "output")),
			"invalid time interval"));
		json_decref(res);
		a = json_pack("{s:s, s:[s]}", "binary", "echo", "args", "x");
		assert_int_equal(hands_call(h, "exec", a, NULL, &res, &cause),
		    0);
		json_decref(a);
		assert_true(json_is_true(json_object_get(res, "ran")));
		assert_int_equal(json_integer_value(
				     json_object_get(res, "exit_code")),
		    0);
		assert_null(json_object_get(res, "ended"));
		json_decref(res);
		a = json_pack("{s:s}", "binary", "rm");
		assert_int_equal(hands_call(h, "exec", a, NULL, &res, &cause),
		    0);
		json_decref(a);
		assert_true(json_is_false(json_object_get(res, "ran")));
		assert_true(json_is_true(json_object_get(res, "refused")));
		assert_null(json_object_get(res, "output"));
		assert_null(json_object_get(res, "exit_code"));
		json_decref(res);
		a = json_pack("{s:s}", "path", ".");
		assert_int_equal(hands_call(h, "ls", a, NULL, &res, &cause), 0);
		json_decref(a);
		assert_null(json_object_get(res, "ran"));
		json_decref(res);
	}
	/* NULL args are an empty object */
	{
		json_t *res = NULL;
		char *cause = NULL;

		assert_int_equal(hands_call(h, "ls", NULL, NULL, &res, &cause),
		    0);
		assert_true(json_is_true(json_object_get(res, "ok")));
		json_decref(res);
	}
	pid = hands_pid(h);
	st = hands_close(h);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* reaped: no zombie left */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* The worker hands_spawn() started is init of its own PID namespace. */
static void
test_worker_is_pidns_init(void **state)
{
	struct hands *h;
	char path[64], line[256];
	FILE *f;
	int found = 0;

	(void)state;
	if (under_valgrind())
		skip();
	h = spawn();
	if (!json_is_true(json_object_get(hands_sandbox(h), "pid_namespace"))) {
		hands_close(h);
		skip(); /* neither root nor user namespaces here */
	}
	snprintf(path, sizeof path, "/proc/%d/status", (int)hands_pid(h));
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "NSpid:", 6) == 0) {
			found = 1;
			/* "NSpid: <pid here> 1": the very process, not a parent */
			if (strstr(line, "\t1\n") == NULL)
				fail_msg("%s", line);
		}
	}
	fclose(f);
	assert_true(found);
	hands_close(h);
}

struct canceller {
	struct cancel flag;
	int after_ms;
};

static void *
cancel_later(void *arg)
{
	struct canceller *c = arg;
	struct timespec ts = { 0, (long)c->after_ms * 1000 * 1000 };

	nanosleep(&ts, NULL);
	cancel_fire(&c->flag);
	return NULL;
}

static void
test_cancel_kills_group(void **state)
{
	struct canceller c = { .after_ms = 300 };
	struct timespec t0, t1;
	struct hands *h;
	pthread_t th;
	json_t *a, *res = NULL;
	char *cause = NULL;
	pid_t pid;
	int st;

	(void)state;
	if (under_valgrind())
		skip();
	cancel_init(&c.flag, NULL, 0);
	h = spawn();
	pid = hands_pid(h);
	a = json_pack("{s:s, s:[s]}", "binary", "sleep", "args", "29.75");
	assert_int_equal(pthread_create(&th, NULL, cancel_later, &c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (hands_call(h, "exec", a, &c.flag, &res, &cause) != -1)
		fail_msg("not cancelled: %s", json_dumps(res, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	assert_string_equal(cause, "cancelled");
	free(cause);
	cause = NULL;
	cancel_destroy(&c.flag);
	assert_null(res);
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	/* Gone for good: further calls fail at once. */
	assert_int_equal(hands_call(h, "ls", NULL, NULL, &res, &cause), -1);
	assert_string_equal(cause, "the worker is gone");
	free(cause);
	json_decref(a);
	st = hands_close(h);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_false(alive(pid));
	/* Nothing is left in its group (init reaps its child at once). */
	assert_true(group_gone(pid));
	/* The command (in a group of its own) died with the worker. */
	assert_true(cmd_gone("29.75"));
}

static void
test_dead_worker(void **state)
{
	struct hands *h;
	json_t *res = NULL;
	char *cause = NULL;
	pid_t pid;

	(void)state;
	if (under_valgrind())
		skip();
	h = spawn();
	pid = hands_pid(h);
	kill(-pid, SIGKILL);
	assert_int_equal(hands_call(h, "ls", NULL, NULL, &res, &cause), -1);
	if (strstr(cause, "worker") == NULL)
		fail_msg("cause: %s", cause);
	free(cause);
	assert_null(res);
	hands_close(h);
	assert_false(alive(pid));
	assert_true(group_gone(pid));
}

struct slow_call {
	struct hands *h;
	int rc;
	int done;
};

static void *
slow_call_main(void *arg)
{
	struct slow_call *c = arg;
	json_t *a = json_pack("{s:s, s:[s]}", "binary", "sleep", "args", "1");
	json_t *res = NULL;
	char *cause = NULL;

	c->rc = hands_call(c->h, "exec", a, NULL, &res, &cause);
	json_decref(a);
	json_decref(res);
	free(cause);
	__atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * hands_stuck() (the zombie reaper's question) is never true of hands
 * the brain can go on with: idle and alive, busy and alive, or dead
 * with no call out (the next call respawns it).  A call out on a dead
 * worker ends by itself: the connection hangs up, and it is not stuck.
 */
static void
test_stuck_only_when_waiting_on_the_dead(void **state)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	struct slow_call c;
	pthread_t t;
	int i, seen = 0;

	(void)state;
	if (under_valgrind())
		skip();
	c.h = spawn();
	c.done = 0;
	assert_false(hands_stuck(c.h));
	assert_int_equal(pthread_create(&t, NULL, slow_call_main, &c), 0);
	for (i = 0; i < 10; i++) { /* busy (sleep 1) and alive */
		seen |= hands_stuck(c.h);
		nanosleep(&ts, NULL);
	}
	pthread_join(t, NULL);
	assert_int_equal(c.rc, 0);
	assert_false(seen);
	/* Dead, no call out. */
	kill(-hands_pid(c.h), SIGKILL);
	kill(hands_pid(c.h), SIGKILL);
	for (i = 0; i < 40 && hands_alive(c.h); i++)
		nanosleep(&ts, NULL);
	assert_false(hands_alive(c.h));
	assert_false(hands_stuck(c.h));
	hands_close(c.h);
}

static void
test_spawn_refused(void **state)
{
	struct hands *h = NULL;
	char *cause = NULL;

	(void)state;
	if (under_valgrind())
		skip();
	pol.workspace = "relative/dir";
	assert_int_equal(hands_spawn(&pol, &h, &cause), -1);
	assert_non_null(strstr(cause, "absolute"));
	free(cause);
	cause = NULL;
	/* The worker itself refuses: it cannot make this workspace. */
	pol.workspace = "/dev/null/ws";
	assert_int_equal(hands_spawn(&pol, &h, &cause), -1);
	assert_null(h);
	assert_non_null(strstr(cause, "the worker refused to start"));
	free(cause);
	pol.workspace = ws;
	/*
	 * Inside a worker (its environment says so) no hands are spawned: a
	 * program that does not dispatch __worker must not exec itself on
	 * and on.
	 */
	setenv("OXIOS_WORKER", "1", 1);
	assert_int_equal(hands_spawn(&pol, &h, &cause), -1);
	unsetenv("OXIOS_WORKER");
	assert_non_null(strstr(cause, "does not dispatch `__worker`"));
	free(cause);
}

static void
test_tool_defs(void **state)
{
	json_t *defs, *v;
	size_t i;
	const char *names[] = { "read", "write", "edit", "ls", "find", "grep",
		"exec" };

	struct registry *reg = registry_new();

	(void)state;
	registry_add_hands(reg, NULL, &pol);
	defs = registry_defs(reg);
	registry_free(reg);
	assert_int_equal(json_array_size(defs), 7);
	json_array_foreach(defs, i, v) {
		assert_string_equal(json_string_value(
					json_object_get(v, "name")),
		    names[i]);
		assert_true(json_is_string(json_object_get(v, "description")));
		assert_string_equal(json_string_value(
					json_object_get(json_object_get(v,
							    "input_schema"),
					    "type")),
		    "object");
	}
	json_decref(defs);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spawn_call_close, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_worker_is_pidns_init,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_kills_group, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dead_worker, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_stuck_only_when_waiting_on_the_dead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spawn_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tool_defs, setup,
		    teardown),
	};

	/* hands_spawn() execs /proc/self/exe: this binary is the worker. */
	if (argc == 2 && strcmp(argv[1], "__worker") == 0)
		return worker_main();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
