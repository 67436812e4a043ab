/* test_monitor.c — the resource monitor: /proc parsers over fixed texts,
 * CPU deltas, the overload decision, samples, the history ring, admission
 * and the agents' worker trees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/monitor.h"

#define S(x) (x), strlen(x)

static void
test_monitor_stat(void **state)
{
	struct monitor_cpu a, b;
	const char *t1 = "cpu  100 0 50 800 50 0 0 0 0 0\n"
			 "cpu0 50 0 25 400 25 0 0 0 0 0\n"
			 "intr 1234\n";
	const char *t2 = "cpu  250 0 100 900 50 0 0 0 0 0\n";

	(void)state;
	assert_int_equal(monitor_parse_stat(S(t1), &a), 0);
	assert_true(a.total == 1000);
	assert_true(a.idle == 850);
	assert_int_equal(monitor_parse_stat(S(t2), &b), 0);
	assert_true(b.total == 1300);
	/* 300 ticks, 100 of them idle: 66.7% busy. */
	assert_true(monitor_cpu_percent(&a, &b) > 66.6 &&
	    monitor_cpu_percent(&a, &b) < 66.7);
	/* No progress, or going back: unknown. */
	assert_true(monitor_cpu_percent(&b, &b) < 0);
	assert_true(monitor_cpu_percent(&b, &a) < 0);
	/* Near 2^64 ticks, all busy: 100, not a rounding past it. */
	a.total = a.idle = b.idle = 0;
	b.total = 18440000001808348492ULL;
	assert_true(monitor_cpu_percent(&a, &b) <= 100.0 &&
	    monitor_cpu_percent(&a, &b) > 99.9);
	/* The cpu line found after others; old kernels' four fields. */
	assert_int_equal(monitor_parse_stat(S("intr 1\ncpu 1 2 3 4\n"), &a), 0);
	assert_true(a.total == 10 && a.idle == 4);
	/* Missing, short, negative, overflowing, per-cpu only. */
	assert_int_equal(monitor_parse_stat(S("intr 1\n"), &a), -1);
	assert_int_equal(monitor_parse_stat(S("cpu 1 2 3\n"), &a), -1);
	assert_int_equal(monitor_parse_stat(S("cpu -1 2 3 4\n"), &a), -1);
	assert_int_equal(monitor_parse_stat(S("cpu0 1 2 3 4\n"), &a), -1);
	assert_int_equal(monitor_parse_stat(S("cpu 18446744073709551615 1 0 0\n"),
			     &a),
	    -1);
	assert_int_equal(
	    monitor_parse_stat(S("cpu 99999999999999999999999 1 0 0\n"), &a),
	    -1);
	/* The buffer's length bounds the parse (no NUL needed). */
	assert_int_equal(monitor_parse_stat("cpu 1 2 3 4 5", 11, &a), 0);
	assert_true(a.total == 10);
	assert_int_equal(monitor_parse_stat("cpu 1 2 3 4 5", 9, &a), -1);
}

static void
test_monitor_meminfo(void **state)
{
	struct monitor_mem m;
	const char *t = "MemTotal:       16000000 kB\n"
			"MemFree:         1000000 kB\n"
			"MemAvailable:    4000000 kB\n"
			"Buffers:          100000 kB\n";

	(void)state;
	assert_int_equal(monitor_parse_meminfo(S(t), &m), 0);
	assert_true(m.total_kb == 16000000ULL);
	assert_true(m.available_kb == 4000000ULL);
	/* MemAvailable missing (kernels before 3.14), or more than total. */
	assert_int_equal(
	    monitor_parse_meminfo(S("MemTotal: 10 kB\nMemFree: 5 kB\n"), &m),
	    -1);
	assert_int_equal(monitor_parse_meminfo(
			     S("MemTotal: 10 kB\nMemAvailable: 11 kB\n"), &m),
	    -1);
	assert_int_equal(monitor_parse_meminfo(
			     S("MemTotal: 0 kB\nMemAvailable: 0 kB\n"), &m),
	    -1);
	assert_int_equal(monitor_parse_meminfo(
			     S("MemTotal: x kB\nMemAvailable: 1 kB\n"), &m),
	    -1);
	assert_int_equal(monitor_parse_meminfo(
			     S("MemTotal: 10 MB\nMemAvailable: 1 kB\n"), &m),
	    -1);
	assert_int_equal(monitor_parse_meminfo(S(""), &m), -1);
}

static void
test_monitor_loadavg(void **state)
{
	struct monitor_load l;

	(void)state;
	assert_int_equal(monitor_parse_loadavg(S("0.52 1.25 2.00 3/456 7890\n"),
			     &l),
	    0);
	assert_true(l.load1 > 0.51 && l.load1 < 0.53);
	assert_true(l.load5 > 1.24 && l.load5 < 1.26);
	assert_true(l.load15 > 1.99 && l.load15 < 2.01);
	assert_int_equal(l.running, 3);
	assert_int_equal(l.total, 456);
	assert_int_equal(monitor_parse_loadavg(S("0.5 1 2 1/2 3"), &l), 0);
	/* Not numbers strtod would take, nor a short or odd line. */
	assert_int_equal(monitor_parse_loadavg(S("nan 1 2 1/2 3\n"), &l), -1);
	assert_int_equal(monitor_parse_loadavg(S("1e9 1 2 1/2 3\n"), &l), -1);
	assert_int_equal(monitor_parse_loadavg(S("0x1 1 2 1/2 3\n"), &l), -1);
	assert_int_equal(monitor_parse_loadavg(S("-1 1 2 1/2 3\n"), &l), -1);
	assert_int_equal(monitor_parse_loadavg(S("1 1 2\n"), &l), -1);
	assert_int_equal(monitor_parse_loadavg(S("1 1 2 5/2 3\n"), &l), -1);
	assert_int_equal(monitor_parse_loadavg(S(""), &l), -1);
}

static void
test_monitor_pidstat(void **state)
{
	struct monitor_proc p;
	/* A command named "a) b": the name ends at the LAST ')'. */
	const char *t = "4242 (a) b) S 17 4242 4242 0 -1 4194304 100 0 0 0 "
			"250 50 7 3 20 0 1 0 12345 1000000 321 "
			"18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1\n";

	(void)state;
	assert_int_equal(monitor_parse_pidstat(S(t), &p), 0);
	assert_int_equal(p.pid, 4242);
	assert_string_equal(p.comm, "a) b");
	assert_int_equal(p.state, 'S');
	assert_int_equal(p.ppid, 17);
	assert_true(p.utime == 250 && p.stime == 50);
	assert_true(p.cutime == 7 && p.cstime == 3);
	assert_true(p.rss_pages == 321);
	/* Spaces and parentheses inside the name. */
	assert_int_equal(monitor_parse_pidstat(
			     S("1 ((x) (y)) R 0 1 1 0 -1 0 0 0 0 0 1 2 3 4 20 "
			       "0 1 0 5 6 7\n"),
			     &p),
	    0);
	assert_string_equal(p.comm, "(x) (y)");
	assert_int_equal(p.ppid, 0);
	/* A name too long for comm is cut, not overrun. */
	{
		char buf[512];

		snprintf(buf, sizeof buf,
		    "9 (%0100d) S 1 1 1 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 5 6 "
		    "7\n",
		    0);
		assert_int_equal(monitor_parse_pidstat(S(buf), &p), 0);
		assert_int_equal(strlen(p.comm), sizeof p.comm - 1);
		assert_int_equal(p.rss_pages, 7);
	}
	/* Truncated, no ')', negative times, pid 0, no field after ')'. */
	assert_int_equal(monitor_parse_pidstat(S("1 (x) S 0 1 1\n"), &p), -1);
	assert_int_equal(monitor_parse_pidstat(S("1 (x S 0 1 1 0 -1 0 0 0 0 "
						 "0 1 2 3 4 20 0 1 0 5 6 7\n"),
			     &p),
	    -1);
	assert_int_equal(monitor_parse_pidstat(S("1 (x) S 0 1 1 0 -1 0 0 0 0 "
						 "0 -1 2 3 4 20 0 1 0 5 6 7\n"),
			     &p),
	    -1);
	assert_int_equal(monitor_parse_pidstat(S("0 (x) S 0 1 1 0 -1 0 0 0 0 "
						 "0 1 2 3 4 20 0 1 0 5 6 7\n"),
			     &p),
	    -1);
	assert_int_equal(monitor_parse_pidstat(S("1 (x)"), &p), -1);
	assert_int_equal(monitor_parse_pidstat(S(""), &p), -1);
}

static void
test_monitor_overload(void **state)
{
	struct monitor_snap s;
	struct monitor_limits l = { 0, 0, 0 };
	char why[MONITOR_REASON_MAX];

	(void)state;
	memset(&s, 0, sizeof s);
	s.cpu_percent = 99;
	s.memory_percent = 97;
	s.disk_free_mb = 10;
	/* Every limit off: never. */
	assert_int_equal(monitor_overloaded(&s, &l, why, sizeof why), 0);
	assert_string_equal(why, "");
	l.max_cpu_percent = 90;
	assert_int_equal(monitor_overloaded(&s, &l, why, sizeof why), 1);
	assert_string_equal(why,
	    "cpu: 99.0% busy, over monitor.max_cpu_percent 90");
	l.max_memory_percent = 95;
	assert_int_equal(monitor_overloaded(&s, &l, why, sizeof why), 1);
	assert_string_equal(why,
	    "memory: 97.0% used, over monitor.max_memory_percent 95");
	l.min_disk_mb = 100;
	assert_int_equal(monitor_overloaded(&s, &l, why, sizeof why), 1);
	assert_string_equal(why,
	    "disk: 10 MB free, under monitor.min_disk_mb 100");
	/* Under every limit. */
	s.cpu_percent = 90;
	s.memory_percent = 95;
	s.disk_free_mb = 100;
	assert_int_equal(monitor_overloaded(&s, &l, why, sizeof why), 0);
	/* Unknown readings cross nothing. */
	s.cpu_percent = -1;
	s.disk_free_mb = -1;
	l.max_cpu_percent = 1;
	l.min_disk_mb = 1LL << 40;
	assert_int_equal(monitor_overloaded(&s, &l, why, sizeof why), 0);
}

static pid_t test_worker_pid;

static size_t
test_workers(struct monitor_worker *out, size_t max)
{
	if (max < 1)
		return 0;
	snprintf(out[0].id, sizeof out[0].id, "agent-1");
	out[0].pid = test_worker_pid;
	return 1;
}

static void
test_monitor_sample(void **state)
{
	struct monitor_limits l = { 0, 0, 0 };
	struct monitor_snap s;
	json_t *j, *h;
	char *cause = NULL;
	int i;

	(void)state;
	monitor_reset();
	assert_int_equal(monitor_current(&s), -1);
	assert_int_equal(monitor_admit(&cause), 0);
	j = monitor_json_current();
	assert_true(json_is_false(json_object_get(j, "sampled")));
	json_decref(j);

	for (i = 0; i < 5; i++)
		assert_int_equal(monitor_sample(&l, 3, "/", &cause), 0);
	assert_int_equal(monitor_current(&s), 0);
	assert_true(s.memory_percent > 0 && s.memory_percent <= 100);
	assert_true(s.mem_total_kb > 0);
	assert_true(s.disk_total_mb > 0 && s.disk_free_mb >= 0);
	assert_true(s.ncpu >= 1);
	assert_int_equal(s.overloaded, 0);
	assert_int_equal(monitor_admit(&cause), 0);
	/* The ring keeps the newest three, oldest first. */
	h = monitor_json_history(0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 3);
	assert_int_equal(json_integer_value(json_object_get(h, "capacity")), 3);
	json_decref(h);
	h = monitor_json_history(2);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 2);
	json_decref(h);

	/* An impossible disk limit: overloaded, and a new run is refused. */
	l.min_disk_mb = 1000000000LL;
	assert_int_equal(monitor_sample(&l, 3, "/", &cause), 0);
	assert_int_equal(monitor_admit(&cause), -1);
	assert_non_null(strstr(cause, "overloaded (disk: "));
	assert_non_null(strstr(cause, "monitor.min_disk_mb 1000000000"));
	free(cause);
	cause = NULL;
	j = monitor_json_overload();
	assert_true(json_is_true(json_object_get(j, "overloaded")));
	assert_non_null(
	    strstr(json_string_value(json_object_get(j, "reason")), "disk: "));
	json_decref(j);
	/* A changed history size starts a new ring. */
	l.min_disk_mb = 0;
	assert_int_equal(monitor_sample(&l, 10, "/", &cause), 0);
	assert_int_equal(monitor_admit(&cause), 0);
	h = monitor_json_history(0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 1);
	json_decref(h);
	monitor_reset();
}

static void
test_monitor_agents(void **state)
{
	struct monitor_limits l = { 0, 0, 0 };
	char *cause = NULL;
	json_t *j, *a;
	pid_t child;
	int st;

	(void)state;
	/* This process stands for a worker, with one child of its own. */
	test_worker_pid = getpid();
	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	monitor_set_workers(test_workers);
	assert_int_equal(monitor_sample(&l, 4, "/", &cause), 0);
	j = monitor_json_current();
	a = json_array_get(json_object_get(j, "agents"), 0);
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "id")),
	    "agent-1");
	assert_int_equal(json_integer_value(json_object_get(a, "pid")),
	    getpid());
	assert_true(json_integer_value(json_object_get(a, "processes")) >= 2);
	assert_true(json_integer_value(json_object_get(a, "rss_kb")) > 0);
	assert_true(json_integer_value(json_object_get(a, "cpu_ms")) >= 0);
	json_decref(j);
	kill(child, SIGKILL);
	waitpid(child, &st, 0);

	/* A worker that is gone: measured as nothing. */
	test_worker_pid = child;
	assert_int_equal(monitor_sample(&l, 4, "/", &cause), 0);
	j = monitor_json_current();
	a = json_array_get(json_object_get(j, "agents"), 0);
	assert_int_equal(json_integer_value(json_object_get(a, "processes")),
	    0);
	json_decref(j);
	monitor_set_workers(NULL);
	monitor_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monitor_stat),
		cmocka_unit_test(test_monitor_meminfo),
		cmocka_unit_test(test_monitor_loadavg),
		cmocka_unit_test(test_monitor_pidstat),
		cmocka_unit_test(test_monitor_overload),
		cmocka_unit_test(test_monitor_sample),
		cmocka_unit_test(test_monitor_agents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
