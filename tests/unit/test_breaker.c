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

static const struct breaker_limits lim = { 3, 30000, 0, 60000, 1 };

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

/* The error-rate rule: at least half of 10 calls within 60 s; the
 * consecutive rule out of the way. */
static const struct breaker_limits rlim = { 100, 30000, 0.5, 60000, 10 };

/* call() under `l`. */
static int
call_with(const struct breaker_limits *l, const char *p,
    enum llm_error_class outcome, int *probe)
{
	struct breaker_ticket t;
	struct llm_error err;

	if (breaker_admit(p, l, &t, &err) != 0) {
		assert_int_equal(err.cls, LLM_ERR_UNAVAILABLE);
		return -1;
	}
	if (probe != NULL)
		*probe = t.probe;
	breaker_report(p, l, &t, outcome);
	return 0;
}

/* A field of the status of the only provider. */
static json_t *
status_field(const char *key)
{
	json_t *st = breaker_status(), *v;

	assert_int_equal(json_array_size(st), 1);
	v = json_deep_copy(json_object_get(json_array_get(st, 0), key));
	json_decref(st);
	return v;
}

static void
test_error_rate_opens(void **state)
{
	uint64_t mark = events_publish("test.mark", NULL);
	struct breaker_ticket t;
	struct llm_error err;
	json_t *v;
	int i;

	(void)state;
	/* 4 of 8: half, but too few calls. */
	for (i = 0; i < 4; i++) {
		assert_int_equal(call_with(&rlim, "r", LLM_OK, NULL), 0);
		assert_int_equal(call_with(&rlim, "r", LLM_ERR_TRANSIENT, NULL),
		    0);
	}
	assert_int_equal(breaker_state_of("r"), BREAKER_CLOSED);
	v = status_field("window_calls");
	assert_int_equal(json_integer_value(v), 8);
	json_decref(v);
	v = status_field("reason");
	assert_true(json_is_null(v));
	json_decref(v);
	/* A success never opens it, even at the rate. */
	assert_int_equal(call_with(&rlim, "r", LLM_OK, NULL), 0);
	assert_int_equal(breaker_state_of("r"), BREAKER_CLOSED);
	/* 10 calls, 5 failed (the 10th): open. */
	assert_int_equal(call_with(&rlim, "r", LLM_ERR_RATE_LIMIT, NULL), 0);
	assert_int_equal(breaker_state_of("r"), BREAKER_OPEN);
	assert_int_equal(changes(mark, "open"), 1);
	assert_int_equal(breaker_admit("r", &rlim, &t, &err), -1);
	assert_string_equal(err.message,
	    "provider r is unavailable: the circuit breaker is open after 5 "
	    "of 10 calls failed within 60 s; next probe in 30 s");
	v = status_field("reason");
	assert_string_equal(json_string_value(v), "error_rate");
	json_decref(v);
}

static void
test_error_rate_below_limit_stays_closed(void **state)
{
	int i;

	(void)state;
	/* 4 of 10 failed: 40% < 50%; neutral outcomes are not calls. */
	for (i = 0; i < 6; i++)
		assert_int_equal(call_with(&rlim, "r", LLM_OK, NULL), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(call_with(&rlim, "r",
				     i % 2 ? LLM_ERR_AUTH : LLM_ERR_CANCELLED,
				     NULL),
		    0);
	for (i = 0; i < 4; i++)
		assert_int_equal(call_with(&rlim, "r", LLM_ERR_PROTOCOL, NULL),
		    0);
	assert_int_equal(breaker_state_of("r"), BREAKER_CLOSED);
	/* The rule off: nothing but the consecutive failures opens it. */
	{
		const struct breaker_limits off = { 100, 30000, 0, 60000, 1 };

		for (i = 0; i < 50; i++)
			assert_int_equal(call_with(&off, "q",
					     i % 10 ? LLM_ERR_TRANSIENT :
						      LLM_OK,
					     NULL),
			    0);
		assert_int_equal(breaker_state_of("q"), BREAKER_CLOSED);
	}
	/* 5 of 11: still below; 6 of 12 opens it. */
	assert_int_equal(call_with(&rlim, "r", LLM_ERR_TRANSIENT, NULL), 0);
	assert_int_equal(breaker_state_of("r"), BREAKER_CLOSED);
	assert_int_equal(call_with(&rlim, "r", LLM_ERR_TRANSIENT, NULL), 0);
	assert_int_equal(breaker_state_of("r"), BREAKER_OPEN);
}

static void
test_error_rate_window_slides(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		call_with(&rlim, "r", LLM_ERR_TRANSIENT, NULL);
		call_with(&rlim, "r", LLM_OK, NULL);
	}
	/* Those 8 leave the window. */
	atomic_fetch_add(&fake_now, 61000);
	call_with(&rlim, "r", LLM_OK, NULL);
	call_with(&rlim, "r", LLM_ERR_TRANSIENT, NULL);
	assert_int_equal(breaker_state_of("r"), BREAKER_CLOSED);
	for (i = 0; i < 3; i++) {
		call_with(&rlim, "r", LLM_OK, NULL);
		call_with(&rlim, "r", LLM_ERR_TRANSIENT, NULL);
	}
	assert_int_equal(breaker_state_of("r"), BREAKER_CLOSED);
	atomic_fetch_add(&fake_now, 30000); /* still within 60 s */
	call_with(&rlim, "r", LLM_OK, NULL);
	assert_int_equal(breaker_state_of("r"), BREAKER_CLOSED);
	call_with(&rlim, "r", LLM_ERR_TRANSIENT, NULL);
	assert_int_equal(breaker_state_of("r"), BREAKER_OPEN);
}

static void
test_error_rate_probe(void **state)
{
	struct breaker_ticket t;
	struct llm_error err;
	int probe = 0, i;

	(void)state;
	for (i = 0; i < 5; i++) {
		call_with(&rlim, "r", LLM_OK, NULL);
		call_with(&rlim, "r", LLM_ERR_TRANSIENT, NULL);
	}
	assert_int_equal(breaker_state_of("r"), BREAKER_OPEN);
	/* open -> half-open -> open: the probe failed. */
	atomic_fetch_add(&fake_now, 30000);
	assert_int_equal(call_with(&rlim, "r", LLM_ERR_TRANSIENT, &probe), 0);
	assert_true(probe);
	assert_int_equal(breaker_state_of("r"), BREAKER_OPEN);
	assert_int_equal(breaker_admit("r", &rlim, &t, &err), -1);
	assert_non_null(strstr(err.message,
	    "open after 5 of 10 calls failed within 60 s; next probe in 30 s"));
	/* half-open -> closed: the probe succeeded; the window starts
	 * afresh, so one failure is not a rate. */
	atomic_fetch_add(&fake_now, 30000);
	assert_int_equal(call_with(&rlim, "r", LLM_OK, &probe), 0);
	assert_true(probe);
	assert_int_equal(breaker_state_of("r"), BREAKER_CLOSED);
	assert_int_equal(call_with(&rlim, "r", LLM_ERR_TRANSIENT, &probe), 0);
	assert_false(probe);
	assert_int_equal(breaker_state_of("r"), BREAKER_CLOSED);
}

static int observed;

static void
observer(void)
{
	observed++;
}

static void
test_observer(void **state)
{
	int i;

	(void)state;
	observed = 0;
	breaker_set_observer(observer);
	call("o", LLM_OK, NULL); /* first seen */
	assert_int_equal(observed, 1);
	call("o", LLM_OK, NULL);
	assert_int_equal(observed, 1);
	for (i = 0; i < 3; i++)
		call("o", LLM_ERR_TRANSIENT, NULL); /* open */
	assert_int_equal(observed, 2);
	atomic_fetch_add(&fake_now, 30000);
	call("o", LLM_OK, NULL); /* half-open, closed */
	assert_int_equal(observed, 4);
	breaker_set_observer(NULL);
	call("p", LLM_OK, NULL);
	assert_int_equal(observed, 4);
}

static void
test_transitions_counted(void **state)
{
	json_t *st, *moves;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		call("m", LLM_ERR_TRANSIENT, NULL); /* open */
	atomic_fetch_add(&fake_now, 30000);
	call("m", LLM_ERR_TRANSIENT, NULL); /* half-open, open */
	atomic_fetch_add(&fake_now, 30000);
	call("m", LLM_OK, NULL); /* half-open, closed */
	st = breaker_status();
	moves = json_object_get(json_array_get(st, 0), "transitions");
	assert_int_equal(json_integer_value(json_object_get(moves, "open")), 2);
	assert_int_equal(json_integer_value(
			     json_object_get(moves, "half_open")),
	    2);
	assert_int_equal(json_integer_value(json_object_get(moves, "closed")),
	    1);
	json_decref(st);
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
		cmocka_unit_test_setup_teardown(test_error_rate_opens, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_error_rate_below_limit_stays_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_rate_window_slides,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_rate_probe, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_observer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transitions_counted, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
