/* test_scheduler.c — admission per provider on a fake clock: the token
 * bucket, the concurrency limit under threads, AIMD on 429 and recovery,
 * Retry-After holding the whole provider, cancellation of a waiting call;
 * priority classes, aging, fair share between agents, the tokens bucket,
 * per-model limits, and the table of calls.
 * "Would wait" is told by a call whose cancel token has a short real
 * deadline and comes back cancelled; nothing asserts how fast it went. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "kernel/scheduler.h"

static _Atomic uint64_t fake_now = 1000000;

static uint64_t
fake_clock(void)
{
	return atomic_load(&fake_now);
}

static void
advance(uint64_t ms)
{
	atomic_fetch_add(&fake_now, ms);
	sched_kick();
}

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
setup(void **state)
{
	(void)state;
	sched_reset();
	sched_set_clock(fake_clock);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sched_set_clock(NULL);
	sched_reset();
	return 0;
}

/* Admit a call that must go at once (a generous real deadline). */
static void
admit(const char *p, const struct sched_limits *lim, struct sched_ticket *t)
{
	struct cancel c;
	struct llm_error err;

	cancel_init(&c, NULL, 20000);
	assert_int_equal(sched_admit(p, "m", NULL, 0, lim, &c, t, &err), 0);
	cancel_destroy(&c);
}

/* Whether a call to `p` would wait now (it is given 150 real ms). */
static int
waits(const char *p, const struct sched_limits *lim)
{
	struct cancel c;
	struct sched_ticket t;
	struct llm_error err;
	int rc;

	cancel_init(&c, NULL, 150);
	rc = sched_admit(p, "m", NULL, 0, lim, &c, &t, &err);
	cancel_destroy(&c);
	if (rc == 0) {
		sched_release(&t, lim, 0, NULL, 0);
		return 0;
	}
	assert_int_equal(err.cls, LLM_ERR_CANCELLED);
	return 1;
}

/* Admit a call to `p`/`model` of `scope` charging `tokens`, that must go
 * at once. */
static void
admit_as(const char *p, const char *model, const struct call_scope *scope,
    long long tokens, const struct sched_limits *lim, struct sched_ticket *t)
{
	struct cancel c;
	struct llm_error err;

	cancel_init(&c, NULL, 20000);
	assert_int_equal(sched_admit(p, model, scope, tokens, lim, &c, t, &err),
	    0);
	cancel_destroy(&c);
}

/* Whether a call of `tokens` to `p`/`model` would wait now (150 real
 * ms); if it went, it is released having used them. */
static int
waits_for(const char *p, const char *model, long long tokens,
    const struct sched_limits *lim)
{
	struct cancel c;
	struct sched_ticket t;
	struct llm_error err;
	int rc;

	cancel_init(&c, NULL, 150);
	rc = sched_admit(p, model, NULL, tokens, lim, &c, &t, &err);
	cancel_destroy(&c);
	if (rc == 0) {
		sched_release(&t, lim, 0, NULL, tokens);
		return 0;
	}
	assert_int_equal(err.cls, LLM_ERR_CANCELLED);
	return 1;
}

static void
ok(struct sched_ticket *t, const struct sched_limits *lim)
{
	sched_release(t, lim, 0, NULL, 0);
}

static void
limited(struct sched_ticket *t, const struct sched_limits *lim,
    long retry_after_ms)
{
	struct llm_error err = { .cls = LLM_ERR_RATE_LIMIT,
		.status = 429,
		.retry_after_ms = retry_after_ms };

	sched_release(t, lim, -1, &err, 0);
}

static struct sched_stats
stats(const char *p)
{
	struct sched_stats s;

	sched_stats(p, &s);
	return s;
}

/* Wait (really, up to 20 s) until `n` calls to `p` are queued. */
static void
until_queued(const char *p, int n)
{
	int i;

	for (i = 0; i < 2000 && stats(p).queued != n; i++)
		nap(10);
	assert_int_equal(stats(p).queued, n);
}

static void
test_token_bucket(void **state)
{
	/* 120/minute, paced at 95%: one each 526.3 ms, a burst of one. */
	const struct sched_limits lim = { .max_concurrent = 100, .rpm = 120 };
	struct sched_ticket t;

	(void)state;
	admit("p", &lim, &t);
	ok(&t, &lim);
	assert_true(waits("p", &lim));
	advance(526);
	assert_true(waits("p", &lim));
	advance(1);
	assert_false(waits("p", &lim));
	assert_true(waits("p", &lim));
	/* A long idle time refills no more than the burst. */
	advance(60000);
	assert_false(waits("p", &lim));
	assert_true(waits("p", &lim));
	/* Another provider has a bucket of its own. */
	assert_false(waits("q", &lim));
	assert_int_equal(stats("p").admitted, 3);
}

struct waiter {
	const char *provider;
	const char *model; /* NULL: "m" */
	struct call_scope scope;
	long long tokens;
	const struct sched_limits *lim;
	struct cancel *cancel;
	struct sched_ticket t;
	struct llm_error err;
	int rc;
	atomic_int done;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->rc = sched_admit(w->provider, w->model != NULL ? w->model : "m",
	    &w->scope, w->tokens, w->lim, w->cancel, &w->t, &w->err);
	atomic_store(&w->done, 1);
	return NULL;
}

/* A number of class `cls` of provider `p` in sched_stats_json(). */
static long long
class_stat(const char *p, const char *cls, const char *key)
{
	json_t *st = sched_stats_json(), *o;
	size_t i;
	long long n = -1;

	json_array_foreach(json_object_get(st, "providers"), i, o) {
		if (strcmp(json_string_value(json_object_get(o, "provider")),
			p) == 0)
			n = json_integer_value(
			    json_object_get(json_object_get(json_object_get(o,
								"classes"),
						cls),
				key));
	}
	json_decref(st);
	return n;
}

static void
test_concurrency_limit(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 2, .rpm = 0 };
	struct sched_ticket a, b;
	struct waiter w = { .provider = "p", .lim = &lim };
	pthread_t th;

	(void)state;
	admit("p", &lim, &a);
	admit("p", &lim, &b);
	assert_int_equal(stats("p").in_flight, 2);
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	until_queued("p", 1);
	advance(250);
	nap(50);
	assert_false(atomic_load(&w.done));
	ok(&a, &lim);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rc, 0);
	assert_int_equal(w.t.queue_ms, 250);
	assert_int_equal(stats("p").in_flight, 2);
	assert_int_equal(stats("p").queued, 0);
	/* Its wait is in its class's p50/p95; the others waited none. */
	assert_int_equal(class_stat("p", "interactive", "wait_p95_ms"), 250);
	assert_int_equal(class_stat("p", "background", "wait_p50_ms"), 0);
	assert_int_equal(class_stat("p", "background", "wait_p95_ms"), 0);
	assert_int_equal(class_stat("p", "background", "admitted"), 2);
	assert_int_equal(class_stat("p", "interactive", "in_flight"), 1);
	ok(&b, &lim);
	ok(&w.t, &lim);
	assert_int_equal(stats("p").in_flight, 0);
}

static atomic_int busy, busy_max, finished;

static void *
worker_main(void *arg)
{
	const struct sched_limits *lim = arg;
	struct sched_ticket t;
	int i, n, m;

	for (i = 0; i < 5; i++) {
		admit("p", lim, &t);
		n = atomic_fetch_add(&busy, 1) + 1;
		while ((m = atomic_load(&busy_max)) < n &&
		    !atomic_compare_exchange_weak(&busy_max, &m, n))
			;
		nap(2);
		atomic_fetch_sub(&busy, 1);
		ok(&t, lim);
		atomic_fetch_add(&finished, 1);
	}
	return NULL;
}

static void
test_concurrency_threads(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 2, .rpm = 0 };
	pthread_t th[6];
	int i;

	(void)state;
	for (i = 0; i < 6; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_main,
				     (void *)&lim),
		    0);
	for (i = 0; i < 6; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(atomic_load(&finished), 30);
	assert_true(atomic_load(&busy_max) >= 1);
	assert_true(atomic_load(&busy_max) <= 2);
	assert_int_equal(stats("p").in_flight, 0);
	assert_int_equal(stats("p").admitted, 30);
}

static void
test_aimd_unknown_limit(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 100, .rpm = 0 };
	struct sched_ticket t[10];
	struct llm_error cancelled = { .cls = LLM_ERR_CANCELLED };
	int i, n;

	(void)state;
	/* Ten admitted within a second: 600/minute observed. */
	for (i = 0; i < 10; i++)
		admit("p", &lim, &t[i]);
	assert_true(stats("p").rate_rpm == 0);
	limited(&t[0], &lim, -1);
	assert_true(stats("p").rate_rpm == 300);
	/* Admitted before that decrease: no second halving. */
	limited(&t[1], &lim, -1);
	assert_true(stats("p").rate_rpm == 300);
	assert_int_equal(stats("p").rate_limited, 2);
	for (i = 2; i < 10; i++)
		sched_release(&t[i], &lim, -1, &cancelled, 0); /* neutral */
	assert_true(stats("p").rate_rpm == 300);
	/* 300/minute, paced at 285: one each 210.5 ms, nothing left after
	 * the decrease. */
	assert_true(waits("p", &lim));
	advance(211);
	admit("p", &lim, &t[0]);
	ok(&t[0], &lim);
	assert_true(stats("p").rate_rpm == 312); /* + 600/50 */
	/* Successes bring it back to unlimited: 75 of them in all. */
	for (n = 1; n < 200 && stats("p").rate_rpm != 0; n++) {
		advance(1000);
		admit("p", &lim, &t[0]);
		ok(&t[0], &lim);
	}
	assert_int_equal(n, 75);
	for (i = 0; i < 10; i++)
		admit("p", &lim, &t[i]);
	for (i = 0; i < 10; i++)
		ok(&t[i], &lim);
	/* A new decrease halves what is observed now. */
	admit("p", &lim, &t[0]);
	limited(&t[0], &lim, -1);
	assert_true(stats("p").rate_rpm > 0);
	assert_true(stats("p").rate_rpm < 300);
}

static void
test_aimd_configured_limit(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 100, .rpm = 100 };
	struct sched_ticket t;
	int n;

	(void)state;
	admit("p", &lim, &t);
	limited(&t, &lim, -1);
	assert_true(stats("p").rate_rpm == 50);
	/* 50/minute, paced at 47.5: the next token 1263.2 ms after the
	 * decrease. */
	advance(1263);
	assert_true(waits("p", &lim));
	advance(1);
	admit("p", &lim, &t);
	ok(&t, &lim);
	assert_true(stats("p").rate_rpm == 52); /* + 100/50 */
	for (n = 1; n < 100 && stats("p").rate_rpm != 0; n++) {
		advance(1300);
		admit("p", &lim, &t);
		ok(&t, &lim);
	}
	assert_int_equal(n, 25); /* 50 back to 100 by 2 */
	/* The configured rate holds again (a burst of one, then one each
	 * 631.6 ms). */
	advance(60000);
	assert_false(waits("p", &lim));
	assert_true(waits("p", &lim));
	advance(632);
	assert_false(waits("p", &lim));
}

static void
test_retry_after_blocks_provider(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 100, .rpm = 0 };
	struct sched_ticket t;
	struct waiter w = { .provider = "p", .lim = &lim };
	pthread_t th;

	(void)state;
	admit("p", &lim, &t);
	limited(&t, &lim, 5000);
	assert_int_equal(stats("p").blocked_ms, 5000);
	assert_true(waits("p", &lim));
	/* Only that provider. */
	assert_false(waits("q", &lim));
	/* A waiting call goes once it has passed (and a token is there:
	 * 60/minute observed, 30 after the decrease, paced at 28.5: one
	 * each 2105.3 ms). */
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	until_queued("p", 1);
	advance(5000);
	assert_int_equal(stats("p").blocked_ms, 0);
	nap(50);
	assert_false(atomic_load(&w.done));
	advance(2106);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rc, 0);
	assert_int_equal(w.t.queue_ms, 7106);
	ok(&w.t, &lim);
}

static void
test_throttled_retry(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 1, .rpm = 0 };
	struct sched_ticket t;
	struct llm_error err = { .cls = LLM_ERR_TRANSIENT,
		.status = 529,
		.retry_after_ms = 3000 };
	struct cancel c;

	(void)state;
	assert_true(sched_rate_limited(&err));
	admit("p", &lim, &t);
	/* The retry waits for Retry-After, keeping its slot. */
	cancel_init(&c, NULL, 150);
	assert_int_equal(sched_throttled(&t, &lim, &err, &c), -1);
	cancel_destroy(&c);
	assert_int_equal(stats("p").in_flight, 1);
	assert_int_equal(stats("p").rate_limited, 1);
	advance(3000 + 2106);
	err.retry_after_ms = -1;
	cancel_init(&c, NULL, 20000);
	/* Admitted before the decrease: no second one; the token waited
	 * for is there. */
	assert_int_equal(sched_throttled(&t, &lim, &err, &c), 0);
	cancel_destroy(&c);
	assert_true(stats("p").rate_rpm == 30);
	assert_int_equal(stats("p").in_flight, 1);
	ok(&t, &lim);
	assert_int_equal(stats("p").in_flight, 0);
}

static void
test_cancel_waiting_call(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 1, .rpm = 0 };
	struct sched_ticket t;
	struct cancel c;
	struct waiter w = { .provider = "p", .lim = &lim, .cancel = &c };
	pthread_t th;

	(void)state;
	admit("p", &lim, &t);
	cancel_init(&c, NULL, 0);
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	until_queued("p", 1);
	cancel_fire(&c);
	assert_int_equal(pthread_join(th, NULL), 0);
	cancel_destroy(&c);
	assert_int_equal(w.rc, -1);
	assert_int_equal(w.err.cls, LLM_ERR_CANCELLED);
	assert_non_null(strstr(w.err.message, "p: cancelled while queued"));
	assert_int_equal(stats("p").queued, 0);
	assert_int_equal(stats("p").in_flight, 1);
	/* An already fired token gives up at once. */
	cancel_init(&c, NULL, 0);
	cancel_fire(&c);
	w.done = 0;
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	cancel_destroy(&c);
	assert_int_equal(w.rc, -1);
	ok(&t, &lim);
	assert_false(waits("p", &lim));
}

/* Start waiter `w` on a thread; wait until `queued` calls to its
 * provider are queued. */
static void
start(struct waiter *w, const struct sched_limits *lim, enum call_class cls,
    const char *agent, pthread_t *th, int queued)
{
	w->provider = "p";
	w->lim = lim;
	w->scope.cls = cls;
	w->scope.agent_id = agent;
	assert_int_equal(pthread_create(th, NULL, waiter_main, w), 0);
	until_queued("p", queued);
}

/* Which of `w[n]` not `seen` yet was admitted (really waiting up to 20
 * s for one), then whether any other was too (100 ms later). */
static int
admitted_one(struct waiter *w, int n, int *seen)
{
	int i, k, got = -1;

	for (k = 0; k < 4000 && got < 0; k++) {
		for (i = 0; i < n && got < 0; i++)
			if (!seen[i] && atomic_load(&w[i].done))
				got = i;
		if (got < 0)
			nap(5);
	}
	assert_true(got >= 0);
	seen[got] = 1;
	assert_int_equal(w[got].rc, 0);
	nap(100);
	for (i = 0; i < n; i++)
		assert_true(seen[i] || !atomic_load(&w[i].done));
	return got;
}

/* The object of `arr` whose `key` is the string `val`. */
static json_t *
find(json_t *arr, const char *key, const char *val)
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		const char *v = json_string_value(json_object_get(o, key));

		if (v != NULL && strcmp(v, val) == 0)
			return o;
	}
	return NULL;
}

static void
test_priorities(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 1 };
	/* They arrive least urgent first. */
	const enum call_class order[4] = { CALL_BACKGROUND, CALL_SUBAGENT,
		CALL_RUN, CALL_INTERACTIVE };
	struct sched_ticket hold;
	struct waiter w[4];
	pthread_t th[4];
	json_t *tasks, *st, *k;
	int seen[4] = { 0 }, i;

	(void)state;
	memset(w, 0, sizeof w);
	admit("p", &lim, &hold);
	for (i = 0; i < 4; i++)
		start(&w[i], &lim, order[i], NULL, &th[i], i + 1);
	/* The table shows them queued, best first, and the one running. */
	tasks = sched_tasks_json();
	assert_int_equal(json_array_size(tasks), 5);
	for (i = 0; i < 4; i++) {
		k = json_array_get(tasks, (size_t)i);
		assert_string_equal(json_string_value(
					json_object_get(k, "state")),
		    "queued");
		assert_string_equal(json_string_value(
					json_object_get(k, "class")),
		    call_class_name(order[3 - i]));
		assert_string_equal(json_string_value(
					json_object_get(k, "principal")),
		    "default");
	}
	k = json_array_get(tasks, 4);
	assert_string_equal(json_string_value(json_object_get(k, "state")),
	    "running");
	assert_string_equal(json_string_value(json_object_get(k, "class")),
	    "background");
	json_decref(tasks);
	st = sched_stats_json();
	k = find(json_object_get(st, "providers"), "provider", "p");
	assert_non_null(k);
	assert_int_equal(json_integer_value(json_object_get(k, "queued")), 4);
	k = json_object_get(json_object_get(k, "classes"), "subagent");
	assert_int_equal(json_integer_value(json_object_get(k, "queued")), 1);
	json_decref(st);
	/* Interactive, run, subagent, background. */
	ok(&hold, &lim);
	for (i = 3; i >= 0; i--) {
		assert_int_equal(admitted_one(w, 4, seen), i);
		ok(&w[i].t, &lim);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(stats("p").in_flight, 0);
}

static void
test_aging(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 1,
		.aging_ms = 1000 };
	struct sched_ticket hold;
	struct waiter w[4];
	pthread_t th[4];
	json_t *tasks;
	int seen[4] = { 0 }, i;

	(void)state;
	memset(w, 0, sizeof w);
	admit("p", &lim, &hold);
	/* Waited two aging periods: background has risen to run, still
	 * behind a fresh interactive call. */
	start(&w[0], &lim, CALL_BACKGROUND, NULL, &th[0], 1);
	advance(2000);
	start(&w[1], &lim, CALL_INTERACTIVE, NULL, &th[1], 2);
	tasks = sched_tasks_json();
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(tasks, 1),
				    "effective_class")),
	    "run");
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(tasks, 1),
				 "waited_ms")),
	    2000);
	json_decref(tasks);
	ok(&hold, &lim);
	assert_int_equal(admitted_one(w, 4, seen), 1);
	ok(&w[1].t, &lim);
	assert_int_equal(admitted_one(w, 4, seen), 0);
	/* Three: it has risen to interactive and arrived first. */
	start(&w[2], &lim, CALL_BACKGROUND, NULL, &th[2], 1);
	advance(3000);
	start(&w[3], &lim, CALL_INTERACTIVE, NULL, &th[3], 2);
	ok(&w[0].t, &lim);
	assert_int_equal(admitted_one(w, 4, seen), 2);
	ok(&w[2].t, &lim);
	assert_int_equal(admitted_one(w, 4, seen), 3);
	ok(&w[3].t, &lim);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
}

/* Agent `id`'s fair-share tokens now. */
static long long
agent_tokens(const char *id)
{
	json_t *st = sched_stats_json(), *a;
	long long n;

	a = find(json_object_get(st, "agents"), "agent_id", id);
	assert_non_null(a);
	n = json_integer_value(json_object_get(a, "tokens"));
	json_decref(st);
	return n;
}

static void
test_fair_share(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 1 };
	const struct call_scope a = { .cls = CALL_RUN, .agent_id = "a" };
	const struct call_scope c = { .cls = CALL_RUN, .agent_id = "c" };
	struct sched_ticket t, hold;
	struct waiter w[2];
	pthread_t th[2];
	int seen[2] = { 0 };

	(void)state;
	memset(w, 0, sizeof w);
	/* Agent a has used 1000 tokens (estimated 400, corrected). */
	admit_as("p", "m", &a, 400, &lim, &t);
	assert_int_equal(agent_tokens("a"), 400);
	sched_release(&t, &lim, 0, NULL, 1000);
	assert_int_equal(agent_tokens("a"), 1000);
	admit_as("p", "m", &c, 0, &lim, &hold);
	/* a arrives first, b has used less: b goes first. */
	start(&w[0], &lim, CALL_RUN, "a", &th[0], 1);
	start(&w[1], &lim, CALL_RUN, "b", &th[1], 2);
	ok(&hold, &lim);
	assert_int_equal(admitted_one(w, 2, seen), 1);
	ok(&w[1].t, &lim);
	assert_int_equal(admitted_one(w, 2, seen), 0);
	ok(&w[0].t, &lim);
	assert_int_equal(pthread_join(th[0], NULL), 0);
	assert_int_equal(pthread_join(th[1], NULL), 0);
	/* Halved every minute. */
	advance(60000);
	assert_int_equal(agent_tokens("a"), 500);
	advance(120000);
	assert_int_equal(agent_tokens("a"), 125);
}

static void
test_tpm_bucket(void **state)
{
	/* 6000 tokens a minute: 100 a second, a minute's worth at most. */
	const struct sched_limits lim = { .max_concurrent = 100, .tpm = 6000 };
	struct sched_ticket t;

	(void)state;
	admit_as("p", "m", NULL, 4000, &lim, &t);
	assert_true(waits_for("p", "m", 3000, &lim));
	/* It used 1000 only: 3000 back. */
	sched_release(&t, &lim, 0, NULL, 1000);
	assert_false(waits_for("p", "m", 3000, &lim));
	/* 2000 left; 3000 are there 10 s later. */
	assert_true(waits_for("p", "m", 3000, &lim));
	advance(9999);
	assert_true(waits_for("p", "m", 3000, &lim));
	advance(1);
	assert_false(waits_for("p", "m", 3000, &lim));
	/* A call over the cap goes when the bucket is full, in debt. */
	assert_true(waits_for("p", "m", 10000, &lim));
	advance(60000);
	admit_as("p", "m", NULL, 10000, &lim, &t);
	sched_release(&t, &lim, 0, NULL, 10000);
	assert_true(waits_for("p", "m", 1, &lim));
	advance(40000);
	assert_true(waits_for("p", "m", 1, &lim));
	advance(10);
	assert_false(waits_for("p", "m", 1, &lim));
	/* Another provider has a bucket of its own. */
	assert_false(waits_for("q", "m", 6000, &lim));
}

static void
test_model_limits(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 100,
		.model_max_concurrent = 1 };
	const struct sched_limits rpm = { .max_concurrent = 100,
		.model_rpm = 60 };
	struct sched_ticket a, b;
	struct waiter w = { .model = "m1" };
	pthread_t th;

	(void)state;
	admit_as("p", "m1", NULL, 0, &lim, &a);
	start(&w, &lim, CALL_INTERACTIVE, NULL, &th, 1);
	/* Held back by its model only: a call to another model passes. */
	admit_as("p", "m2", NULL, 0, &lim, &b);
	assert_true(waits_for("p", "m2", 0, &lim));
	assert_int_equal(stats("p").in_flight, 2);
	nap(50);
	assert_false(atomic_load(&w.done));
	ok(&a, &lim);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rc, 0);
	ok(&b, &lim);
	ok(&w.t, &lim);
	/* 60 a minute per model: one a second, each model on its own. */
	assert_false(waits_for("p", "m3", 0, &rpm));
	assert_true(waits_for("p", "m3", 0, &rpm));
	assert_false(waits_for("p", "m4", 0, &rpm));
	advance(1000);
	assert_false(waits_for("p", "m3", 0, &rpm));
}

struct retry {
	struct sched_ticket *t;
	const struct sched_limits *lim;
	int rc;
};

static void *
retry_main(void *arg)
{
	struct retry *x = arg;
	struct llm_error err = { .cls = LLM_ERR_RATE_LIMIT,
		.status = 429,
		.retry_after_ms = -1 };
	struct cancel c;

	cancel_init(&c, NULL, 20000);
	x->rc = sched_throttled(x->t, x->lim, &err, &c);
	cancel_destroy(&c);
	return NULL;
}

static void
test_retry_passes_waiting_calls(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 1 };
	struct sched_ticket t;
	struct waiter w;
	struct retry x = { &t, &lim, -1 };
	pthread_t th, rt;

	(void)state;
	memset(&w, 0, sizeof w);
	/* A background call holds the only slot; an interactive one waits
	 * for it, ranked first. */
	admit("p", &lim, &t);
	start(&w, &lim, CALL_INTERACTIVE, NULL, &th, 1);
	/* The background call's retry keeps its slot: the interactive call
	 * (waiting for a slot) does not hold it back.  After the decrease
	 * (60/minute observed, 30 now, paced at 28.5) its token comes in
	 * 2105.3 ms. */
	assert_int_equal(pthread_create(&rt, NULL, retry_main, &x), 0);
	until_queued("p", 2);
	advance(2106);
	assert_int_equal(pthread_join(rt, NULL), 0);
	assert_int_equal(x.rc, 0);
	assert_int_equal(stats("p").in_flight, 1);
	nap(50);
	assert_false(atomic_load(&w.done));
	advance(2106); /* the next token */
	ok(&t, &lim);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rc, 0);
	ok(&w.t, &lim);
}

/* The headers of an answer (llm_ratelimit, as llm_call() hands them). */
static void
observe(const char *p, const struct sched_limits *lim, long limit,
    long remaining, long reset_ms)
{
	struct llm_ratelimit rl;

	llm_ratelimit_init(&rl);
	rl.seen = 1;
	rl.req_limit = limit;
	rl.req_remaining = remaining;
	rl.req_reset_ms = reset_ms;
	sched_observe(p, lim, &rl);
}

static void
test_observe_remaining_zero(void **state)
{
	const struct sched_limits lim = { .max_concurrent = 100 };
	struct llm_ratelimit rl;
	struct sched_ticket t;

	(void)state;
	/* Requests left: nothing held, no rate without a limit. */
	observe("p", &lim, -1, 3, 4000);
	assert_int_equal(stats("p").blocked_ms, 0);
	assert_false(waits("p", &lim));
	/* None left: every call to it waits for the reset. */
	admit("p", &lim, &t);
	observe("p", &lim, -1, 0, 4000);
	ok(&t, &lim);
	assert_int_equal(stats("p").blocked_ms, 4000);
	assert_true(waits("p", &lim));
	assert_false(waits("q", &lim));
	/* A shorter reset later does not shorten the hold. */
	observe("p", &lim, -1, 0, 1000);
	assert_int_equal(stats("p").blocked_ms, 4000);
	advance(3999);
	assert_true(waits("p", &lim));
	advance(1);
	assert_false(waits("p", &lim));
	/* Tokens gone hold it too, until theirs. */
	llm_ratelimit_init(&rl);
	rl.tok_remaining = 0;
	rl.tok_reset_ms = 2500;
	sched_observe("p", &lim, &rl);
	assert_int_equal(stats("p").blocked_ms, 2500);
	/* A reset of 0 holds nothing. */
	advance(2500);
	observe("p", &lim, -1, 0, 0);
	assert_int_equal(stats("p").blocked_ms, 0);
	assert_false(waits("p", &lim));
	/* Not a 429: nothing counted as rate limited. */
	assert_int_equal(stats("p").rate_limited, 0);
}

static void
test_observe_limit(void **state)
{
	const struct sched_limits unknown = { .max_concurrent = 100 },
				  conf = { .max_concurrent = 100, .rpm = 60 };
	struct sched_ticket t;

	(void)state;
	/* A limit of 120/minute: paced at 114, one each 526.3 ms. */
	observe("p", &unknown, 120, 119, 500);
	assert_true(stats("p").rate_rpm == 120);
	assert_false(waits("p", &unknown));
	assert_true(waits("p", &unknown));
	advance(527);
	assert_false(waits("p", &unknown));
	assert_true(waits("p", &unknown));
	/* A 429 (its own headers first) still halves it; the next
	 * answer's headers set it back. */
	advance(527);
	admit("p", &unknown, &t);
	observe("p", &unknown, 120, 0, 500);
	limited(&t, &unknown, -1);
	assert_true(stats("p").rate_rpm == 60);
	observe("p", &unknown, 120, 10, 500);
	assert_true(stats("p").rate_rpm == 120);
	/* Never above a configured rate. */
	observe("q", &conf, 600, 599, 100);
	assert_true(stats("q").rate_rpm == 60);
	observe("q", &conf, 30, 29, 100);
	assert_true(stats("q").rate_rpm == 30);
	/* No limit in the headers: the rate is left alone. */
	observe("q", &conf, -1, 5, 100);
	assert_true(stats("q").rate_rpm == 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_bucket, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_concurrency_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_concurrency_threads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_aimd_unknown_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_aimd_configured_limit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_blocks_provider,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttled_retry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_observe_remaining_zero,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_observe_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel_waiting_call, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_priorities, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_aging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fair_share, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tpm_bucket, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_model_limits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_passes_waiting_calls,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
