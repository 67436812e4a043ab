/* test_ratelimit.c — token buckets per address, on a simulated clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <sodium.h>

#include "http/ratelimit.h"

#define T0 1000000 /* a monotonic clock rarely starts at 0 */

static void
test_burst_then_refused(void **state)
{
	struct ratelimit *rl = ratelimit_new(60, 16);
	int i, retry = 0;

	(void)state;
	for (i = 0; i < 60; i++)
		assert_int_equal(ratelimit_take(rl, "10.0.0.1", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "10.0.0.1", T0, &retry), -1);
	/* 60 a minute: one a second, so the next one is a second away. */
	assert_int_equal(retry, 1);
	ratelimit_free(rl);

	/* A slow rate: 2 a minute means 30 s to the next token. */
	rl = ratelimit_new(2, 16);
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	retry = 0;
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), -1);
	assert_int_equal(retry, 30);
	/* 10.5 s later: 19.5 s to go, rounded up. */
	assert_int_equal(ratelimit_take(rl, "a", T0 + 10500, &retry), -1);
	assert_int_equal(retry, 20);
	ratelimit_free(rl);
}

static void
test_refill(void **state)
{
	struct ratelimit *rl = ratelimit_new(60, 16);
	int i, retry;

	(void)state;
	for (i = 0; i < 60; i++)
		assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "a", T0 + 999, &retry), -1);
	assert_true(retry >= 1);
	/* Continuous refill: one token a second. */
	assert_int_equal(ratelimit_take(rl, "a", T0 + 1000, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "a", T0 + 1000, &retry), -1);
	/* Ten seconds: ten tokens, and no more. */
	for (i = 0; i < 10; i++)
		assert_int_equal(ratelimit_take(rl, "a", T0 + 11000, &retry),
		    0);
	assert_int_equal(ratelimit_take(rl, "a", T0 + 11000, &retry), -1);
	/* Half a minute after one take refills to the burst, not beyond. */
	assert_int_equal(ratelimit_take(rl, "b", T0, &retry), 0);
	for (i = 0; i < 60; i++)
		assert_int_equal(ratelimit_take(rl, "b", T0 + 30000, &retry),
		    0);
	assert_int_equal(ratelimit_take(rl, "b", T0 + 30000, &retry), -1);
	/* An hour idle refills to the burst, not beyond. */
	for (i = 0; i < 60; i++)
		assert_int_equal(ratelimit_take(rl, "a", T0 + 3600000, &retry),
		    0);
	assert_int_equal(ratelimit_take(rl, "a", T0 + 3600000, &retry), -1);
	/* A clock going back gives nothing. */
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), -1);
	ratelimit_free(rl);

	/* The largest rate after a year idle: full, not overflowed. */
	rl = ratelimit_new(1000000000L, 4);
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "a", T0 + 31536000000ULL, &retry),
	    0);
	ratelimit_free(rl);
}

static void
test_independent(void **state)
{
	struct ratelimit *rl = ratelimit_new(3, 16);
	int i, retry;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(ratelimit_take(rl, "192.0.2.1", T0, &retry),
		    0);
	assert_int_equal(ratelimit_take(rl, "192.0.2.1", T0, &retry), -1);
	for (i = 0; i < 3; i++)
		assert_int_equal(ratelimit_take(rl, "192.0.2.2", T0, &retry),
		    0);
	assert_int_equal(ratelimit_take(rl, "192.0.2.2", T0, &retry), -1);
	assert_int_equal(ratelimit_take(rl, "2001:db8::1", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "192.0.2.1", T0, &retry), -1);
	ratelimit_free(rl);
}

static void
test_eviction(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 4);
	char addr[32];
	int i, retry;

	(void)state;
	/* Four clients fill the table; each spends its only token. */
	for (i = 0; i < 4; i++) {
		snprintf(addr, sizeof addr, "10.0.0.%d", i);
		assert_int_equal(ratelimit_take(rl, addr, T0 + i, &retry), 0);
	}
	/* 10.0.0.0 is seen again: now 10.0.0.1 is the one idle longest. */
	assert_int_equal(ratelimit_take(rl, "10.0.0.0", T0 + 10, &retry), -1);
	/* A fifth client evicts it... */
	assert_int_equal(ratelimit_take(rl, "10.0.0.9", T0 + 11, &retry), 0);
	/* ...so it starts again with a full bucket, */
	assert_int_equal(ratelimit_take(rl, "10.0.0.1", T0 + 12, &retry), 0);
	/* (which evicted 10.0.0.2) while the others kept theirs. */
	assert_int_equal(ratelimit_take(rl, "10.0.0.0", T0 + 13, &retry), -1);
	assert_int_equal(ratelimit_take(rl, "10.0.0.3", T0 + 14, &retry), -1);
	assert_int_equal(ratelimit_take(rl, "10.0.0.9", T0 + 15, &retry), -1);
	assert_int_equal(ratelimit_take(rl, "10.0.0.2", T0 + 16, &retry), 0);

	/* Many more addresses than slots: bounded, and still correct. */
	for (i = 0; i < 10000; i++) {
		snprintf(addr, sizeof addr, "198.51.%d.%d", i / 256, i % 256);
		assert_int_equal(ratelimit_take(rl, addr, T0 + 100 + i, &retry),
		    0);
		assert_int_equal(ratelimit_take(rl, addr, T0 + 100 + i, &retry),
		    -1);
	}
	ratelimit_free(rl);
}

/* 0 is no limit: every take is allowed, and the limit can come back
 * (a negative rate is not 0: test_set). */
static void
test_off(void **state)
{
	struct ratelimit *rl = ratelimit_new(0, 16);
	int i, retry = -7;

	(void)state;
	for (i = 0; i < 100000; i++)
		assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	assert_int_equal(retry, -7);
	ratelimit_set(rl, 2);
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), -1);
	assert_int_equal(retry, 30);
	ratelimit_set(rl, 0);
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	ratelimit_free(rl);
}

static void
test_set(void **state)
{
	struct ratelimit *rl = ratelimit_new(100, 16);
	int i, retry;

	(void)state;
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	/* 99 left; lowering the rate to 5 clamps the bucket to 5. */
	ratelimit_set(rl, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, "a", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "a", T0, &retry), -1);
	/* 5 a minute: 12 s a token. */
	assert_int_equal(retry, 12);
	/* New clients get the new burst. */
	for (i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, "b", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "b", T0, &retry), -1);
	/* Raising it refills faster but does not hand out tokens at once. */
	ratelimit_set(rl, 600);
	assert_int_equal(ratelimit_take(rl, "b", T0, &retry), -1);
	assert_int_equal(retry, 1);
	assert_int_equal(ratelimit_take(rl, "b", T0 + 100, &retry), 0);
	/* Nonsense rates are taken as 1 a minute. */
	ratelimit_set(rl, -3);
	assert_int_equal(ratelimit_take(rl, "c", T0, &retry), 0);
	assert_int_equal(ratelimit_take(rl, "c", T0, &retry), -1);
	assert_int_equal(retry, 60);
	ratelimit_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refused),
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_independent),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_off),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
