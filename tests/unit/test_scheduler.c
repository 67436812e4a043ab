/* test_scheduler.c — admission per provider on a fake clock: the token
 * bucket, the concurrency limit under threads, AIMD on 429 and recovery,
 * Retry-After holding the whole provider, cancellation of a waiting call.
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
	assert_int_equal(sched_admit(p, lim, &c, t, &err), 0);
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
	rc = sched_admit(p, lim, &c, &t, &err);
	cancel_destroy(&c);
	if (rc == 0) {
		sched_release(&t, lim, 0, NULL);
		return 0;
	}
	assert_int_equal(err.cls, LLM_ERR_CANCELLED);
	return 1;
}

static void
ok(struct sched_ticket *t, const struct sched_limits *lim)
{
	sched_release(t, lim, 0, NULL);
}

static void
limited(struct sched_ticket *t, const struct sched_limits *lim,
    long retry_after_ms)
{
	struct llm_error err = { .cls = LLM_ERR_RATE_LIMIT,
		.status = 429,
		.retry_after_ms = retry_after_ms };

	sched_release(t, lim, -1, &err);
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
	const struct sched_limits lim = { 100, 120 };
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

	w->rc = sched_admit(w->provider, w->lim, w->cancel, &w->t, &w->err);
	atomic_store(&w->done, 1);
	return NULL;
}

static void
test_concurrency_limit(void **state)
{
	const struct sched_limits lim = { 2, 0 };
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
	const struct sched_limits lim = { 2, 0 };
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
	const struct sched_limits lim = { 100, 0 };
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
		sched_release(&t[i], &lim, -1, &cancelled); /* neutral */
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
	const struct sched_limits lim = { 100, 100 };
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
	const struct sched_limits lim = { 100, 0 };
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
	const struct sched_limits lim = { 1, 0 };
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
	const struct sched_limits lim = { 1, 0 };
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
	const struct sched_limits lim = { 100, 0 };
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
	const struct sched_limits unknown = { 100, 0 }, conf = { 100, 60 };
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
