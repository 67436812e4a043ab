/*
 * breaker.h — the circuit breaker of each LLM provider, asked by the gate
 * (gate_call()) before every call and told the call's outcome after it.
 *
 * Three states per provider name: closed (calls pass); open after
 * `failures` consecutive transient failures (network, timeout, 5xx,
 * 429/overloaded, a broken answer), or when at least `error_rate` of the
 * calls that ended within the last `window_ms` failed (once there were
 * `min_calls` of them), when every call is refused at once
 * and the provider gets no traffic; half-open once `cooldown_ms` has
 * passed, when exactly one call (the probe) is admitted: its success
 * closes the breaker, its failure opens it again for another cooldown.
 * Auth, bad-request, context, configuration errors and cancellations are
 * not the provider's health and do not count.  One gate call (whatever
 * llm_call() retried inside it) is one outcome.
 *
 * Every state change is logged and published (event "breaker.changed").
 * The state lives in this process.  Thread-safe.
 */
#ifndef OXIOS_KERNEL_BREAKER_H
#define OXIOS_KERNEL_BREAKER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "llm/llm.h"

enum breaker_state {
	BREAKER_CLOSED,
	BREAKER_OPEN,
	BREAKER_HALF_OPEN,
};

/* The thresholds, read from the configuration by the caller. */
struct breaker_limits {
	int failures;         /* consecutive failures that open it (>= 1) */
	uint64_t cooldown_ms; /* open this long before the probe */
	double error_rate;    /* share of failed calls in the window that
				 opens it (0..1); 0: no such rule */
	uint64_t window_ms;   /* the window of the error rate */
	int min_calls;        /* calls in the window before the rate counts */
};

/* What breaker_admit() gave a call, handed back to breaker_report(). */
struct breaker_ticket {
	int probe; /* this call is the half-open probe */
};

/* "closed", "open", "half_open". */
const char *breaker_state_name(enum breaker_state s);

/*
 * The clock (monotonic milliseconds) every decision reads; NULL restores
 * time_mono_ms().  For tests.
 */
void breaker_set_clock(uint64_t (*now_ms)(void));

/*
 * May a call to `provider` go now?  0 with *t filled (report its outcome
 * with breaker_report()), or -1 with *err (class LLM_ERR_UNAVAILABLE, a
 * message saying why and when the next probe may go).
 */
int breaker_admit(const char *provider, const struct breaker_limits *lim,
    struct breaker_ticket *t, struct llm_error *err);

/*
 * The outcome of an admitted call: LLM_OK, or its error class.  Counts
 * it, and changes the state as the header says.
 */
void breaker_report(const char *provider, const struct breaker_limits *lim,
    const struct breaker_ticket *t, enum llm_error_class outcome);

/* Whether an outcome is a failure of the provider (what counts). */
int breaker_counts(enum llm_error_class outcome);

/* The state of `provider` now (closed if never seen). */
enum breaker_state breaker_state_of(const char *provider);

/*
 * Every provider seen: [{provider, state, failures, next_probe_ms,
 * reason, window_calls, window_failures, transitions: {closed, open,
 * half_open}}] (transitions: how often it moved into each state since
 * the process started; next_probe_ms: while open, how
 * long until the probe may go, else null; reason: why it opened,
 * "failures" or "error_rate", while not closed, else null; window_*: the
 * outcomes counted in the error-rate window while closed).  New
 * reference.
 */
json_t *breaker_status(void);

/*
 * Call `fn` (NULL: nobody) after every state change and when a provider
 * is first seen, outside the breakers' lock (the daemon leaves the
 * states for `oxios status`).
 */
void breaker_set_observer(void (*fn)(void));

/* Forget every provider (tests). */
void breaker_reset(void);
#endif
