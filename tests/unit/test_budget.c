/* test_budget.c — budget reservations, settling, windows, racing threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budget_race.h"
#include "tmpdb.h"

#include "kernel/budget.h"
#include "store/db.h"
#include "util/xalloc.h"

TMPDB_FIXTURE("budget")

/* 2024-03-15T12:00:00Z */
#define T0 1710504000000LL
#define HOUR (3600 * 1000LL)
#define DAY (24 * HOUR)

static struct budget_estimate
est_of(long long tokens, double usd, int priced)
{
	struct budget_estimate e = { tokens, usd, priced, 0, 0 };

	return e;
}

/* Reserve `e` under `lim` at `now`: the reservation, or 0 with *cause. */
static int64_t
reserve(const struct budget_limits *lim, struct budget_estimate e, int64_t now,
    char **cause)
{
	int64_t id = -1;
	int rc;

	rc = budget_reserve(db, lim, "anthropic", "claude-sonnet-4-5", &e, now,
	    &id, cause);
	if (rc == 0) {
		assert_true(id > 0);
		assert_null(*cause);
	} else {
		assert_int_equal(id, 0);
		assert_non_null(*cause);
	}
	return id;
}

static void
test_reserve_settle_arithmetic(void **state)
{
	struct budget_limits lim;
	char *cause = NULL;
	int64_t a, b, c;
	long long tokens;
	double usd;

	(void)state;
	memset(&lim, 0, sizeof lim);
	lim.run_id = "run-1";
	lim.run_tokens = 1000;
	assert_true(budget_limited(&lim));

	a = reserve(&lim, est_of(800, 0, 1), T0, &cause);
	assert_true(a > 0);
	/* 800 reserved: another 800 would pass 1000. */
	assert_int_equal(reserve(&lim, est_of(800, 0, 1), T0, &cause), 0);
	assert_string_equal(cause,
	    "budget: this run's token budget (1000) would be exceeded: 800 "
	    "used, this call may need 800");
	free(cause);
	cause = NULL;
	/* Another run is not this one. */
	lim.run_id = "run-2";
	b = reserve(&lim, est_of(800, 0, 1), T0, &cause);
	assert_int_equal(budget_release(db, b, &cause), 0);
	lim.run_id = "run-1";

	/* Settled at what it really used: 150; the rest is free again. */
	assert_int_equal(budget_settle(db, a, 150, 0.01, &cause), 0);
	assert_int_equal(budget_run_spent(db, "run-1", &tokens, &usd, &cause),
	    0);
	assert_int_equal(tokens, 150);
	assert_true(usd > 0.0099 && usd < 0.0101);
	c = reserve(&lim, est_of(850, 0, 1), T0, &cause); /* exactly 1000 */
	assert_int_equal(reserve(&lim, est_of(1, 0, 1), T0, &cause), 0);
	assert_non_null(strstr(cause, "1000 used, this call may need 1"));
	free(cause);
	cause = NULL;
	/* Released (the call failed): counts for nothing. */
	assert_int_equal(budget_release(db, c, &cause), 0);
	assert_int_equal(budget_run_spent(db, "run-1", &tokens, &usd, &cause),
	    0);
	assert_int_equal(tokens, 150);
	/* Settling may go over the estimate: it is what was spent, and the
	 * next call sees it. */
	c = reserve(&lim, est_of(100, 0, 1), T0, &cause);
	assert_int_equal(budget_settle(db, c, 900, 0, &cause), 0);
	assert_int_equal(reserve(&lim, est_of(1, 0, 1), T0, &cause), 0);
	assert_non_null(strstr(cause, "1050 used"));
	free(cause);
	cause = NULL;

	/* budget.max_tokens_per_run names itself. */
	memset(&lim, 0, sizeof lim);
	lim.run_id = "run-3";
	lim.per_run_tokens = 500;
	assert_int_equal(reserve(&lim, est_of(501, 0, 1), T0, &cause), 0);
	assert_string_equal(cause,
	    "budget: the token budget of a run (budget.max_tokens_per_run = "
	    "500) would be exceeded: 0 used, this call may need 501");
	free(cause);
	cause = NULL;
	/* Without a run, run limits do not apply (and nothing limits). */
	lim.run_id = NULL;
	assert_false(budget_limited(&lim));
	a = reserve(&lim, est_of(501, 0, 1), T0, &cause);
	assert_int_equal(budget_release(db, a, &cause), 0);

	/* A run's USD budget. */
	memset(&lim, 0, sizeof lim);
	lim.run_id = "run-4";
	lim.run_usd = 0.5;
	a = reserve(&lim, est_of(10, 0.3, 1), T0, &cause);
	assert_int_equal(reserve(&lim, est_of(10, 0.3, 1), T0, &cause), 0);
	assert_string_equal(cause,
	    "budget: this run's USD budget ($0.5000) would be exceeded: "
	    "$0.3000 used, this call may cost $0.3000");
	free(cause);
}

static void
test_windows(void **state)
{
	struct budget_limits lim;
	char *cause = NULL;
	int64_t a;

	(void)state;
	/* The windows themselves. */
	assert_int_equal(budget_day_start(T0), T0 - 12 * HOUR);
	assert_int_equal(budget_day_start(T0 - 12 * HOUR), T0 - 12 * HOUR);
	assert_int_equal(budget_month_start(T0), 1709251200000LL); /* 03-01 */
	assert_int_equal(budget_month_start(1709251200000LL - 1),
	    1706745600000LL); /* 2024-02-01 */
	assert_int_equal(budget_month_start(1735689599000LL),
	    1733011200000LL); /* 2024-12-31T23:59:59 -> 2024-12-01 */

	memset(&lim, 0, sizeof lim);
	lim.daily_usd = 1.0;
	lim.monthly_usd = 1.2;
	/* $0.90 spent late on 03-15. */
	a = reserve(&lim, est_of(100, 0.9, 1), T0 + 11 * HOUR, &cause);
	assert_int_equal(budget_settle(db, a, 100, 0.9, &cause), 0);
	/* Same day: $0.20 more would pass the daily $1. */
	assert_int_equal(reserve(&lim, est_of(1, 0.2, 1), T0 + 11 * HOUR + 1,
			     &cause),
	    0);
	assert_string_equal(cause,
	    "budget: the daily USD budget (budget.daily_usd = $1.0000) would "
	    "be exceeded: $0.9000 used today (UTC), this call may cost "
	    "$0.2000");
	free(cause);
	cause = NULL;
	/* The next UTC day: the day is new, the month is not. */
	a = reserve(&lim, est_of(1, 0.2, 1), T0 + 12 * HOUR + 1, &cause);
	assert_true(a > 0);
	assert_int_equal(budget_release(db, a, &cause), 0);
	assert_int_equal(reserve(&lim, est_of(1, 0.4, 1), T0 + 12 * HOUR + 1,
			     &cause),
	    0);
	assert_non_null(strstr(cause, "budget.monthly_usd = $1.2000"));
	assert_non_null(strstr(cause, "$0.9000 used this month (UTC)"));
	free(cause);
	cause = NULL;
	/* 2024-04-01: a new month. */
	a = reserve(&lim, est_of(1, 0.4, 1), 1711929600000LL, &cause);
	assert_true(a > 0);

	/* A reservation its process never settled stops counting once
	 * expired. */
	memset(&lim, 0, sizeof lim);
	lim.daily_usd = 1.0;
	a = reserve(&lim, est_of(1, 0.5, 1), T0 + 2 * DAY, &cause);
	assert_true(a > 0);
	assert_int_equal(reserve(&lim, est_of(1, 0.6, 1), T0 + 2 * DAY + 1,
			     &cause),
	    0);
	free(cause);
	cause = NULL;
	a = reserve(&lim, est_of(1, 0.6, 1),
	    T0 + 2 * DAY + BUDGET_RESERVE_TTL_MS + 1, &cause);
	assert_true(a > 0);
}

static void
test_unpriced_fails_closed(void **state)
{
	struct budget_limits lim;
	struct budget_estimate e;
	struct llm_request req;
	json_t *msgs;
	char *cause = NULL;
	int64_t id = -1;

	(void)state;
	memset(&lim, 0, sizeof lim);
	lim.daily_usd = 100;
	e = est_of(10, 0, 0);
	assert_int_equal(budget_reserve(db, &lim, "local", "llama3", &e, T0,
			     &id, &cause),
	    -1);
	assert_int_equal(id, 0);
	assert_string_equal(cause,
	    "budget: local/llama3 has no price, so budget.daily_usd cannot be "
	    "enforced; the call is refused");
	free(cause);
	cause = NULL;
	lim.daily_usd = 0;
	lim.run_id = "r";
	lim.run_usd = 1;
	assert_int_equal(budget_reserve(db, &lim, "local", "llama3", &e, T0,
			     &id, &cause),
	    -1);
	assert_non_null(strstr(cause, "this run's USD budget"));
	free(cause);
	cause = NULL;
	/* A token budget alone needs no price. */
	lim.run_usd = 0;
	lim.run_tokens = 100;
	assert_int_equal(budget_reserve(db, &lim, "local", "llama3", &e, T0,
			     &id, &cause),
	    0);

	/* The estimate: characters / 4 in, max_tokens out, at the price. */
	memset(&req, 0, sizeof req);
	msgs = json_pack("[{s:s, s:s}]", "role", "user", "content",
	    "0123456789012345678901234567890123456789");
	req.messages = msgs;
	req.system = "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN"; /* 40 */
	req.max_tokens = 1000;
	budget_estimate("anthropic", "claude-sonnet-4-5", &req, &e);
	/* [{"role":"user","content":"<40>"}] is 70 characters: 110 / 4,
	 * rounded up. */
	assert_int_equal(e.tokens, 28 + 1000);
	assert_true(e.priced);
	assert_true(e.usd > (28 * 3.0 + 1000 * 15.0) / 1e6 - 1e-12 &&
	    e.usd < (28 * 3.0 + 1000 * 15.0) / 1e6 + 1e-12);
	budget_estimate("local", "llama3", &req, &e);
	assert_false(e.priced);
	assert_int_equal(e.tokens, 1028);
	json_decref(msgs);
}

static void
test_race_no_overspend(void **state)
{
	struct budget_limits lim;
	long long tokens;
	double usd;
	char *cause = NULL;

	(void)state;
	memset(&lim, 0, sizeof lim);
	lim.run_id = "shared";
	lim.run_tokens = 1000;
	lim.daily_usd = 0.95; /* the tighter of the two: 9 calls */
	/* 100 calls tried, $0.95 allows exactly nine of $0.10. */
	assert_int_equal(budget_race(tdb.path, &lim, "budget: the daily",
			     T0 + 5 * DAY),
	    9);
	assert_int_equal(budget_run_spent(db, "shared", &tokens, &usd, &cause),
	    0);
	assert_int_equal(tokens, 900);
	assert_true(usd <= 0.95);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reserve_settle_arithmetic,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpriced_fails_closed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_race_no_overspend, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
