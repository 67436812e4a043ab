/*
 * breaker.c — the providers' circuit breakers: a small table of provider
 * names and their states under one lock.  State changes are logged and
 * published after the lock is dropped.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/breaker.h"
#include "kernel/events.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

/*
 * The error-rate window: BREAKER_SLOTS slots of window_ms / BREAKER_SLOTS
 * each, a slot counting the outcomes that ended in it; the window is the
 * last BREAKER_SLOTS slots.
 */
#define BREAKER_SLOTS 60

struct breaker_slot {
	uint64_t epoch; /* now / slot width when it was last used */
	int ok, failed;
};

struct breaker {
	char provider[64];
	enum breaker_state state;
	int failures; /* consecutive, while closed; at opening, when open */
	uint64_t probe_ms;         /* open: when the probe may go */
	int probing;               /* half-open: the probe is in flight */
	int by_rate;               /* not closed: the error rate opened it */
	int win_calls, win_failed; /* at opening by the error rate */
	uint64_t slot_ms;          /* the slots' width; 0: none yet */
	struct breaker_slot slots[BREAKER_SLOTS];
	long long moves[3]; /* transitions into each state, ever */
};

static pthread_mutex_t breaker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct breaker *breakers;
static size_t nbreakers;
static uint64_t (*breaker_now)(void) = time_mono_ms;
static void (*breaker_observer)(void);

/* A state change, told once the lock is dropped. */
struct breaker_change {
	int changed;
	int seen; /* a provider seen for the first time */
	char provider[64];
	enum breaker_state from, to;
	int failures;
	uint64_t cooldown_ms;
	int by_rate, win_calls, win_failed;
	uint64_t window_ms;
	double error_rate;
};

const char *
breaker_state_name(enum breaker_state s)
{
	static const char *const names[] = {
		[BREAKER_CLOSED] = "closed",
		[BREAKER_OPEN] = "open",
		[BREAKER_HALF_OPEN] = "half_open",
	};

	return (size_t)s < sizeof names / sizeof names[0] ? names[s] :
							    "unknown";
}

void
breaker_set_clock(uint64_t (*now_ms)(void))
{
	pthread_mutex_lock(&breaker_lock);
	breaker_now = now_ms != NULL ? now_ms : time_mono_ms;
	pthread_mutex_unlock(&breaker_lock);
}

int
breaker_counts(enum llm_error_class outcome)
{
	return outcome == LLM_ERR_TRANSIENT || outcome == LLM_ERR_RATE_LIMIT ||
	    outcome == LLM_ERR_PROTOCOL;
}

void
breaker_set_observer(void (*fn)(void))
{
	pthread_mutex_lock(&breaker_lock);
	breaker_observer = fn;
	pthread_mutex_unlock(&breaker_lock);
}

/*
 * The entry of `provider`, made closed if new (noted in *c).  Under the
 * lock.
 */
static struct breaker *
breaker_get_locked(const char *provider, struct breaker_change *c)
{
	struct breaker *b;
	size_t i;

	for (i = 0; i < nbreakers; i++)
		if (strcmp(breakers[i].provider, provider) == 0)
			return &breakers[i];
	breakers = xreallocarray(breakers, nbreakers + 1, sizeof *breakers);
	b = &breakers[nbreakers++];
	memset(b, 0, sizeof *b);
	snprintf(b->provider, sizeof b->provider, "%s", provider);
	b->state = BREAKER_CLOSED;
	c->seen = 1;
	return b;
}

/* Count an outcome in the error-rate window.  Under the lock. */
static void
breaker_window_add_locked(struct breaker *b, const struct breaker_limits *lim,
    int failed)
{
	uint64_t width = lim->window_ms / BREAKER_SLOTS, idx;
	struct breaker_slot *s;

	if (width == 0)
		width = 1;
	if (b->slot_ms != width) { /* a new window: start afresh */
		memset(b->slots, 0, sizeof b->slots);
		b->slot_ms = width;
	}
	idx = breaker_now() / width;
	s = &b->slots[idx % BREAKER_SLOTS];
	if (s->epoch != idx) {
		s->epoch = idx;
		s->ok = s->failed = 0;
	}
	if (failed)
		s->failed++;
	else
		s->ok++;
}

/* The outcomes in the window now.  Under the lock. */
static void
breaker_window_sum_locked(const struct breaker *b, int *calls, int *failed)
{
	uint64_t idx;
	size_t i;

	*calls = *failed = 0;
	if (b->slot_ms == 0)
		return;
	idx = breaker_now() / b->slot_ms;
	for (i = 0; i < BREAKER_SLOTS; i++) {
		if (b->slots[i].epoch + BREAKER_SLOTS <= idx)
			continue;
		*calls += b->slots[i].ok + b->slots[i].failed;
		*failed += b->slots[i].failed;
	}
}

/*
 * Whether the window's error rate opens the breaker now (filling in its
 * numbers).  Under the lock.
 */
static int
breaker_rate_trips_locked(struct breaker *b, const struct breaker_limits *lim)
{
	int calls, failed;

	if (lim->error_rate <= 0)
		return 0;
	breaker_window_sum_locked(b, &calls, &failed);
	if (calls < lim->min_calls || calls == 0 ||
	    (double)failed < lim->error_rate * calls)
		return 0;
	b->win_calls = calls;
	b->win_failed = failed;
	return 1;
}

/* Move `b` to `to`, noting the change in *c.  Under the lock. */
static void
breaker_move_locked(struct breaker *b, enum breaker_state to,
    const struct breaker_limits *lim, struct breaker_change *c)
{
	c->changed = 1;
	snprintf(c->provider, sizeof c->provider, "%s", b->provider);
	c->from = b->state;
	c->to = to;
	c->failures = b->failures;
	c->cooldown_ms = lim->cooldown_ms;
	c->by_rate = b->by_rate;
	c->win_calls = b->win_calls;
	c->win_failed = b->win_failed;
	c->window_ms = lim->window_ms;
	c->error_rate = lim->error_rate;
	b->state = to;
	b->moves[to]++;
	b->probing = 0;
	if (to == BREAKER_OPEN)
		b->probe_ms = breaker_now() + lim->cooldown_ms;
	if (to == BREAKER_CLOSED) { /* a clean slate */
		b->failures = 0;
		b->by_rate = b->win_calls = b->win_failed = 0;
		memset(b->slots, 0, sizeof b->slots);
	}
}

/* Why it opened, for a message: "N consecutive failures" or the rate. */
static void
breaker_why(char *buf, size_t size, int by_rate, int failures, int calls,
    int failed, uint64_t window_ms)
{
	if (by_rate)
		snprintf(buf, size, "%d of %d calls failed within %llu s",
		    failed, calls,
		    (unsigned long long)((window_ms + 999) / 1000));
	else
		snprintf(buf, size, "%d consecutive failure%s", failures,
		    failures == 1 ? "" : "s");
}

static void
breaker_tell(const struct breaker_change *c)
{
	void (*fn)(void);
	json_t *data;
	char why[128];

	pthread_mutex_lock(&breaker_lock);
	fn = breaker_observer;
	pthread_mutex_unlock(&breaker_lock);
	if (!c->changed) {
		if (c->seen && fn != NULL)
			fn();
		return;
	}
	switch (c->to) {
	case BREAKER_OPEN:
		breaker_why(why, sizeof why, c->by_rate, c->failures,
		    c->win_calls, c->win_failed, c->window_ms);
		if (c->by_rate)
			log_warn("provider %s: circuit breaker open after %s "
				 "(error rate %.0f%%, limit %.0f%%); probe in "
				 "%llu s",
			    c->provider, why,
			    100.0 * c->win_failed / c->win_calls,
			    100.0 * c->error_rate,
			    (unsigned long long)((c->cooldown_ms + 999) /
				1000));
		else
			log_warn("provider %s: circuit breaker open after %s; "
				 "probe in %llu s",
			    c->provider, why,
			    (unsigned long long)((c->cooldown_ms + 999) /
				1000));
		break;
	case BREAKER_HALF_OPEN:
		log_info("provider %s: circuit breaker half-open, probing",
		    c->provider);
		break;
	case BREAKER_CLOSED:
		log_info("provider %s: circuit breaker closed, the probe "
			 "succeeded",
		    c->provider);
		break;
	}
	data = json_pack("{s:s, s:s, s:s, s:i}", "provider", c->provider,
	    "from", breaker_state_name(c->from), "state",
	    breaker_state_name(c->to), "failures", c->failures);
	if (c->to == BREAKER_OPEN) {
		json_object_set_new(data, "reason",
		    json_string(c->by_rate ? "error_rate" : "failures"));
		if (c->by_rate) {
			json_object_set_new(data, "window_calls",
			    json_integer(c->win_calls));
			json_object_set_new(data, "window_failures",
			    json_integer(c->win_failed));
		}
	}
	events_emit(EVENT_BREAKER_CHANGED, data);
	json_decref(data);
	if (fn != NULL)
		fn();
}

int
breaker_admit(const char *provider, const struct breaker_limits *lim,
    struct breaker_ticket *t, struct llm_error *err)
{
	struct breaker_change c = { 0 };
	struct breaker *b;
	uint64_t now, left = 0;
	int rc = 0;
	char why[128] = "";

	t->probe = 0;
	pthread_mutex_lock(&breaker_lock);
	b = breaker_get_locked(provider, &c);
	now = breaker_now();
	if (b->state == BREAKER_OPEN) {
		if (now >= b->probe_ms)
			breaker_move_locked(b, BREAKER_HALF_OPEN, lim, &c);
		else {
			left = b->probe_ms - now;
			breaker_why(why, sizeof why, b->by_rate, b->failures,
			    b->win_calls, b->win_failed, lim->window_ms);
			rc = -1;
		}
	}
	if (b->state == BREAKER_HALF_OPEN && rc == 0) {
		if (b->probing)
			rc = -1;
		else
			b->probing = t->probe = 1;
	}
	pthread_mutex_unlock(&breaker_lock);
	breaker_tell(&c);
	if (rc == 0)
		return 0;
	memset(err, 0, sizeof *err);
	err->cls = LLM_ERR_UNAVAILABLE;
	err->retry_after_ms = (long)left;
	if (left > 0)
		snprintf(err->message, sizeof err->message,
		    "provider %s is unavailable: the circuit breaker is open "
		    "after %s; next probe in %llu s",
		    provider, why, (unsigned long long)((left + 999) / 1000));
	else
		snprintf(err->message, sizeof err->message,
		    "provider %s is unavailable: the circuit breaker is "
		    "half-open and its probe is in flight",
		    provider);
	return -1;
}

void
breaker_report(const char *provider, const struct breaker_limits *lim,
    const struct breaker_ticket *t, enum llm_error_class outcome)
{
	struct breaker_change c = { 0 };
	struct breaker *b;
	int fail = breaker_counts(outcome);

	pthread_mutex_lock(&breaker_lock);
	b = breaker_get_locked(provider, &c);
	if (t->probe && b->state == BREAKER_HALF_OPEN) {
		/* The probe: its answer decides; a neutral one frees the
		 * slot for the next call to probe.  A failure opens it again
		 * for the reason it first opened. */
		if (outcome == LLM_OK)
			breaker_move_locked(b, BREAKER_CLOSED, lim, &c);
		else if (fail) {
			b->failures++;
			breaker_move_locked(b, BREAKER_OPEN, lim, &c);
		} else
			b->probing = 0;
	} else if (b->state == BREAKER_CLOSED && (outcome == LLM_OK || fail)) {
		/* Calls admitted before it opened do not change an open
		 * breaker; while closed they count (neutral ones do not). */
		breaker_window_add_locked(b, lim, fail);
		if (outcome == LLM_OK)
			b->failures = 0;
		else if (++b->failures >= lim->failures)
			breaker_move_locked(b, BREAKER_OPEN, lim, &c);
		else if (breaker_rate_trips_locked(b, lim)) {
			b->by_rate = 1;
			breaker_move_locked(b, BREAKER_OPEN, lim, &c);
		}
	}
	pthread_mutex_unlock(&breaker_lock);
	breaker_tell(&c);
}

enum breaker_state
breaker_state_of(const char *provider)
{
	enum breaker_state s = BREAKER_CLOSED;
	size_t i;

	pthread_mutex_lock(&breaker_lock);
	for (i = 0; i < nbreakers; i++)
		if (strcmp(breakers[i].provider, provider) == 0)
			s = breakers[i].state;
	pthread_mutex_unlock(&breaker_lock);
	return s;
}

json_t *
breaker_status(void)
{
	json_t *a = json_array(), *o;
	uint64_t now;
	size_t i;
	int calls, failed;

	pthread_mutex_lock(&breaker_lock);
	now = breaker_now();
	for (i = 0; i < nbreakers; i++) {
		breaker_window_sum_locked(&breakers[i], &calls, &failed);
		o = json_pack("{s:s, s:s, s:i, s:i, s:i}", "provider",
		    breakers[i].provider, "state",
		    breaker_state_name(breakers[i].state), "failures",
		    breakers[i].failures, "window_calls", calls,
		    "window_failures", failed);
		json_object_set_new(o, "transitions",
		    json_pack("{s:I, s:I, s:I}", "closed",
			(json_int_t)breakers[i].moves[BREAKER_CLOSED], "open",
			(json_int_t)breakers[i].moves[BREAKER_OPEN],
			"half_open",
			(json_int_t)breakers[i].moves[BREAKER_HALF_OPEN]));
		json_object_set_new(o, "reason",
		    breakers[i].state == BREAKER_CLOSED ?
			json_null() :
			json_string(
			    breakers[i].by_rate ? "error_rate" : "failures"));
		json_object_set_new(o, "next_probe_ms",
		    breakers[i].state != BREAKER_OPEN ?
			json_null() :
			now >= breakers[i].probe_ms ?
			json_integer(0) :
			json_integer((json_int_t)(breakers[i].probe_ms - now)));
		json_array_append_new(a, o);
	}
	pthread_mutex_unlock(&breaker_lock);
	return a;
}

void
breaker_reset(void)
{
	pthread_mutex_lock(&breaker_lock);
	free(breakers);
	breakers = NULL;
	nbreakers = 0;
	pthread_mutex_unlock(&breaker_lock);
}
