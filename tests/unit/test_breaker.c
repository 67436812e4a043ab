/* test_breaker.c — the providers' circuit breakers on a fake clock: every
 * transition, what counts, the probe's exclusivity under threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/breaker.h"
#include "kernel/events.h"

static _Atomic uint64_t fake_now = 1000000;

static uint64_t
fake_clock(void)
{
	return atomic_load(&fake_now);
}

static const struct breaker_limits lim = { 3, 30000 };

static int
setup(void **state)
{
	(void)state;
	events_init(64);
	breaker_reset();
	breaker_set_clock(fake_clock);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	breaker_set_clock(NULL);
	breaker_reset();
	events_shutdown();
	return 0;
}

/* Admit and report one call with `outcome`; the admission's result. */
static int
call(const char *p, enum llm_error_class outcome, int *probe)
{
	struct breaker_ticket t;
	struct llm_error err;

	if (breaker_admit(p, &lim, &t, &err) != 0) {
		assert_int_equal(err.cls, LLM_ERR_UNAVAILABLE);
		return -1;
	}
	if (probe != NULL)
		*probe = t.probe;
	breaker_report(p, &lim, &t, outcome);
	return 0;
}

/* The number of "breaker.changed" events with state `to` since `after`. */
static int
changes(uint64_t after, const char *to)
{
	struct events_sub *s = events_subscribe(after, NULL, NULL);
	struct event e;
	uint64_t lost;
	int n = 0;
	char want[64];

	snprintf(want, sizeof want, "\"state\":\"%s\"", to);
	while (events_next(s, &e, &lost) == 1) {
		if (strcmp(e.type, "breaker.changed") == 0 &&
		    strstr(e.data, want) != NULL)
			n++;
		free(e.data);
	}
	events_unsubscribe(s);
	return n;
}

static void
test_opens_after_n_consecutive(void **state)
{
	(void)state;
	assert_int_equal(breaker_state_of("a"), BREAKER_CLOSED);
	assert_int_equal(call("a", LLM_ERR_TRANSIENT, NULL), 0);
	assert_int_equal(call("a", LLM_ERR_TRANSIENT, NULL), 0);
	/* A success in between starts the count again. */
	assert_int_equal(call("a", LLM_OK, NULL), 0);
	assert_int_equal(call("a", LLM_ERR_TRANSIENT, NULL), 0);
	assert_int_equal(call("a", LLM_ERR_RATE_LIMIT, NULL), 0);
	assert_int_equal(breaker_state_of("a"), BREAKER_CLOSED);
	assert_int_equal(call("a", LLM_ERR_TRANSIENT, NULL), 0);
	assert_int_equal(breaker_state_of("a"), BREAKER_OPEN);
	/* Another provider is not affected. */
	assert_int_equal(breaker_state_of("b"), BREAKER_CLOSED);
	assert_int_equal(call("b", LLM_OK, NULL), 0);
}

static void
test_open_refuses_with_a_clear_error(void **state)
{
	struct breaker_ticket t;
	struct llm_error err;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		call("anthropic", LLM_ERR_TRANSIENT, NULL);
	atomic_fetch_add(&fake_now, 7000);
	assert_int_equal(breaker_admit("anthropic", &lim, &t, &err), -1);
	assert_int_equal(err.cls, LLM_ERR_UNAVAILABLE);
	assert_string_equal(llm_error_class_name(err.cls), "unavailable");
	assert_string_equal(err.message,
	    "provider anthropic is unavailable: the circuit breaker is open "
	    "after 3 consecutive failures; next probe in 23 s");
	assert_int_equal(err.retry_after_ms, 23000);
	/* Still open one millisecond before the cooldown ends. */
	atomic_fetch_add(&fake_now, 22999);
	assert_int_equal(breaker_admit("anthropic", &lim, &t, &err), -1);
	assert_int_equal(breaker_state_of("anthropic"), BREAKER_OPEN);
}

static void
test_half_open_probe_success_closes(void **state)
{
	uint64_t mark = events_publish("test.mark", NULL);
	int probe = 0, i;

	(void)state;
	for (i = 0; i < 3; i++)
		call("p", LLM_ERR_TRANSIENT, NULL);
	assert_int_equal(changes(mark, "open"), 1);
	atomic_fetch_add(&fake_now, 30000);
	/* The first call after the cooldown is the probe ... */
	struct breaker_ticket t, t2;
	struct llm_error err;
	assert_int_equal(breaker_admit("p", &lim, &t, &err), 0);
	assert_true(t.probe);
	assert_int_equal(breaker_state_of("p"), BREAKER_HALF_OPEN);
	assert_int_equal(changes(mark, "half_open"), 1);
	/* ... and the only one while it is in flight. */
	assert_int_equal(breaker_admit("p", &lim, &t2, &err), -1);
	assert_non_null(strstr(err.message, "probe is in flight"));
	breaker_report("p", &lim, &t, LLM_OK);
	assert_int_equal(breaker_state_of("p"), BREAKER_CLOSED);
	assert_int_equal(changes(mark, "closed"), 1);
	assert_int_equal(call("p", LLM_OK, &probe), 0);
	assert_false(probe);
	/* Closed again, it counts from zero. */
	call("p", LLM_ERR_TRANSIENT, NULL);
	call("p", LLM_ERR_TRANSIENT, NULL);
	assert_int_equal(breaker_state_of("p"), BREAKER_CLOSED);
}

static void
test_half_open_probe_failure_reopens(void **state)
{
	struct breaker_ticket t;
	struct llm_error err;
	json_t *st;
	int probe = 0, i;

	(void)state;
	for (i = 0; i < 3; i++)
		call("p", LLM_ERR_TRANSIENT, NULL);
	atomic_fetch_add(&fake_now, 31000);
	assert_int_equal(call("p", LLM_ERR_TRANSIENT, &probe), 0);
	assert_true(probe);
	assert_int_equal(breaker_state_of("p"), BREAKER_OPEN);
	/* A fresh cooldown from the probe's failure. */
	atomic_fetch_add(&fake_now, 10000);
	assert_int_equal(breaker_admit("p", &lim, &t, &err), -1);
	assert_non_null(strstr(err.message,
	    "after 4 consecutive failures; "
	    "next probe in 20 s"));
	st = breaker_status();
	assert_int_equal(json_array_size(st), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(st, 0),
				    "state")),
	    "open");
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(st, 0),
				 "next_probe_ms")),
	    20000);
	json_decref(st);
	atomic_fetch_add(&fake_now, 20000);
	assert_int_equal(call("p", LLM_OK, &probe), 0);
	assert_true(probe);
	assert_int_equal(breaker_state_of("p"), BREAKER_CLOSED);
}

static void
test_auth_and_bad_request_do_not_count(void **state)
{
	static const enum llm_error_class neutral[] = { LLM_ERR_AUTH,
		LLM_ERR_BAD_REQUEST, LLM_ERR_CONTEXT, LLM_ERR_CONFIG,
		LLM_ERR_CANCELLED };
	size_t i;
	int k, probe = 0;

	(void)state;
	for (i = 0; i < sizeof neutral / sizeof neutral[0]; i++) {
		assert_false(breaker_counts(neutral[i]));
		for (k = 0; k < 10; k++)
			assert_int_equal(call("p", neutral[i], NULL), 0);
	}
	assert_int_equal(breaker_state_of("p"), BREAKER_CLOSED);
	assert_true(breaker_counts(LLM_ERR_TRANSIENT));
	assert_true(breaker_counts(LLM_ERR_RATE_LIMIT));
	/* Nor do they break a run of failures, or end a probe: a neutral
	 * probe frees the slot and the next call probes. */
	call("p", LLM_ERR_TRANSIENT, NULL);
	call("p", LLM_ERR_AUTH, NULL);
	call("p", LLM_ERR_TRANSIENT, NULL);
	call("p", LLM_ERR_TRANSIENT, NULL);
	assert_int_equal(breaker_state_of("p"), BREAKER_OPEN);
	atomic_fetch_add(&fake_now, 30000);
	assert_int_equal(call("p", LLM_ERR_AUTH, &probe), 0);
	assert_true(probe);
	assert_int_equal(breaker_state_of("p"), BREAKER_HALF_OPEN);
	assert_int_equal(call("p", LLM_OK, &probe), 0);
	assert_true(probe);
	assert_int_equal(breaker_state_of("p"), BREAKER_CLOSED);
}

static void
test_late_outcomes_do_not_move_an_open_breaker(void **state)
{
	struct breaker_ticket early;
	struct llm_error err;
	int i;

	(void)state;
	/* A call admitted while closed ends after the breaker opened. */
	assert_int_equal(breaker_admit("p", &lim, &early, &err), 0);
	for (i = 0; i < 3; i++)
		call("p", LLM_ERR_TRANSIENT, NULL);
	breaker_report("p", &lim, &early, LLM_OK);
	assert_int_equal(breaker_state_of("p"), BREAKER_OPEN);
}

#define RACERS 8
#define ROUNDS 200

static pthread_barrier_t race_start;
static atomic_int race_probes, race_refused;

static void *
racer(void *arg)
{
	struct breaker_ticket t;
	struct llm_error err;

	(void)arg;
	pthread_barrier_wait(&race_start);
	if (breaker_admit("race", &lim, &t, &err) == 0) {
		if (t.probe)
			atomic_fetch_add(&race_probes, 1);
	} else
		atomic_fetch_add(&race_refused, 1);
	pthread_barrier_wait(&race_start);
	/* Only the probe reports, once everybody has asked: it fails. */
	if (t.probe)
		breaker_report("race", &lim, &t, LLM_ERR_TRANSIENT);
	return NULL;
}

static void
test_one_probe_under_threads(void **state)
{
	pthread_t th[RACERS];
	int i, r;

	(void)state;
	for (i = 0; i < 3; i++)
		call("race", LLM_ERR_TRANSIENT, NULL);
	for (r = 0; r < ROUNDS; r++) {
		atomic_fetch_add(&fake_now, 30000);
		atomic_store(&race_probes, 0);
		atomic_store(&race_refused, 0);
		pthread_barrier_init(&race_start, NULL, RACERS);
		for (i = 0; i < RACERS; i++)
			assert_int_equal(pthread_create(&th[i], NULL, racer,
					     NULL),
			    0);
		for (i = 0; i < RACERS; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&race_start);
		assert_int_equal(atomic_load(&race_probes), 1);
		assert_int_equal(atomic_load(&race_refused), RACERS - 1);
		assert_int_equal(breaker_state_of("race"), BREAKER_OPEN);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_opens_after_n_consecutive,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_with_a_clear_error,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_open_probe_success_closes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_open_probe_failure_reopens,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_auth_and_bad_request_do_not_count, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_late_outcomes_do_not_move_an_open_breaker, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_probe_under_threads,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
