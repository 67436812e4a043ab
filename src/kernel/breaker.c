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

struct breaker {
	char provider[64];
	enum breaker_state state;
	int failures; /* consecutive, while closed; at opening, when open */
	uint64_t probe_ms; /* open: when the probe may go */
	int probing;       /* half-open: the probe is in flight */
};

static pthread_mutex_t breaker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct breaker *breakers;
static size_t nbreakers;
static uint64_t (*breaker_now)(void) = time_mono_ms;

/* A state change, told once the lock is dropped. */
struct breaker_change {
	int changed;
	char provider[64];
	enum breaker_state from, to;
	int failures;
	uint64_t cooldown_ms;
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

/* The entry of `provider`, made closed if new.  Under the lock. */
static struct breaker *
breaker_get_locked(const char *provider)
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
	return b;
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
	b->state = to;
	b->probing = 0;
	if (to == BREAKER_OPEN)
		b->probe_ms = breaker_now() + lim->cooldown_ms;
	if (to == BREAKER_CLOSED)
		b->failures = 0;
}

static void
breaker_tell(const struct breaker_change *c)
{
	json_t *data;

	if (!c->changed)
		return;
	switch (c->to) {
	case BREAKER_OPEN:
		log_warn("provider %s: circuit breaker open after %d "
			 "consecutive failure%s; probe in %llu s",
		    c->provider, c->failures, c->failures == 1 ? "" : "s",
		    (unsigned long long)((c->cooldown_ms + 999) / 1000));
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
	events_emit(EVENT_BREAKER_CHANGED, data);
	json_decref(data);
}

int
breaker_admit(const char *provider, const struct breaker_limits *lim,
    struct breaker_ticket *t, struct llm_error *err)
{
	struct breaker_change c = { 0 };
	struct breaker *b;
	uint64_t now, left = 0;
	int rc = 0, failures = 0;

	t->probe = 0;
	pthread_mutex_lock(&breaker_lock);
	b = breaker_get_locked(provider);
	now = breaker_now();
	if (b->state == BREAKER_OPEN) {
		if (now >= b->probe_ms)
			breaker_move_locked(b, BREAKER_HALF_OPEN, lim, &c);
		else {
			left = b->probe_ms - now;
			failures = b->failures;
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
		    "after %d consecutive failure%s; next probe in %llu s",
		    provider, failures, failures == 1 ? "" : "s",
		    (unsigned long long)((left + 999) / 1000));
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
	b = breaker_get_locked(provider);
	if (t->probe && b->state == BREAKER_HALF_OPEN) {
		/* The probe: its answer decides; a neutral one frees the
		 * slot for the next call to probe. */
		if (outcome == LLM_OK)
			breaker_move_locked(b, BREAKER_CLOSED, lim, &c);
		else if (fail) {
			b->failures++;
			breaker_move_locked(b, BREAKER_OPEN, lim, &c);
		} else
			b->probing = 0;
	} else if (b->state == BREAKER_CLOSED) {
		/* Calls admitted before it opened do not change an open
		 * breaker; while closed they count. */
		if (outcome == LLM_OK)
			b->failures = 0;
		else if (fail && ++b->failures >= lim->failures)
			breaker_move_locked(b, BREAKER_OPEN, lim, &c);
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

	pthread_mutex_lock(&breaker_lock);
	now = breaker_now();
	for (i = 0; i < nbreakers; i++) {
		o = json_pack("{s:s, s:s, s:i}", "provider",
		    breakers[i].provider, "state",
		    breaker_state_name(breakers[i].state), "failures",
		    breakers[i].failures);
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
