/*
 * scheduler.c — admission of LLM calls per provider: a table of providers
 * under one lock, each with its calls in flight, its token bucket, its
 * AIMD rate and a FIFO of waiting calls.  A waiting call sleeps on its own
 * eventfd beside its cancel token; whoever may have let it go (a release,
 * an admission, sched_kick()) writes to the eventfd of the queue's head.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kernel/scheduler.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define SCHED_RING 64         /* admissions remembered, for the rate */
#define SCHED_WINDOW_MS 60000 /* over which the rate is observed */
#define SCHED_MIN_RPM 1.0     /* a decrease never goes below */
#define SCHED_STEPS 50        /* successes from half back to the base */
/*
 * The bucket holds one call and fills at 95% of the allowed rate: a
 * provider's fixed window of unknown phase then never sees more than
 * 1 + 0.95 x its share (its limit from 20 requests a window up), and a
 * paced call is never a moment of jitter away from the next window.
 * bench/scheduler: a burst of rate/60 or pacing at the full rate brought
 * 429s at window edges and a makespan of 1.16-1.27x the ideal.
 */
#define SCHED_BURST 1.0
#define SCHED_PACE 0.95

struct sched_waiter {
	struct sched_waiter *next;
	int fd;   /* eventfd: written when it may look again */
	int slot; /* needs a concurrency slot */
};

struct sched_provider {
	char name[64];
	int in_flight;
	double rate;   /* rpm allowed by AIMD; 0: not reduced */
	double base;   /* rpm before the last decrease */
	double tokens; /* of the bucket */
	uint64_t refill_ms;
	uint64_t blocked_until; /* Retry-After: nothing goes before */
	unsigned long epoch;    /* decreases so far */
	uint64_t ring[SCHED_RING];
	size_t nring, ring_next;
	struct sched_waiter *head, *tail;
	unsigned long admitted, rate_limited;
};

static pthread_mutex_t sched_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sched_provider **provs;
static size_t nprovs;
static uint64_t (*sched_now)(void) = time_mono_ms;

void
sched_set_clock(uint64_t (*now_ms)(void))
{
	pthread_mutex_lock(&sched_lock);
	sched_now = now_ms != NULL ? now_ms : time_mono_ms;
	pthread_mutex_unlock(&sched_lock);
}

int
sched_rate_limited(const struct llm_error *err)
{
	return err != NULL &&
	    (err->cls == LLM_ERR_RATE_LIMIT || err->status == 429 ||
		err->status == 529);
}

/* The entry of `name`, made if new.  Under the lock. */
static struct sched_provider *
sched_get_locked(const char *name)
{
	struct sched_provider *sp;
	size_t i;

	for (i = 0; i < nprovs; i++)
		if (strcmp(provs[i]->name, name) == 0)
			return provs[i];
	provs = xreallocarray(provs, nprovs + 1, sizeof *provs);
	sp = xcalloc(1, sizeof *sp);
	snprintf(sp->name, sizeof sp->name, "%s", name);
	sp->tokens = -1; /* full at the first look */
	provs[nprovs++] = sp;
	return sp;
}

/* The rate that holds now, in rpm (0: none).  Under the lock. */
static double
sched_effective(const struct sched_provider *sp, const struct sched_limits *lim)
{
	if (sp->rate > 0 && (lim->rpm <= 0 || sp->rate < (double)lim->rpm))
		return sp->rate;
	return lim->rpm > 0 ? (double)lim->rpm : 0;
}

/* Requests per minute admitted over the last minute.  Under the lock. */
static double
sched_observed(const struct sched_provider *sp, uint64_t now)
{
	uint64_t oldest = now, span;
	size_t i, n = 0;

	for (i = 0; i < sp->nring; i++) {
		if (now - sp->ring[i] > SCHED_WINDOW_MS)
			continue;
		n++;
		if (sp->ring[i] < oldest)
			oldest = sp->ring[i];
	}
	span = now - oldest < 1000 ? 1000 : now - oldest;
	return n == 0 ? SCHED_MIN_RPM : (double)n * 60000.0 / (double)span;
}

/* Fill the bucket up to now at `rate` rpm (paced).  Under the lock. */
static void
sched_refill(struct sched_provider *sp, double rate, uint64_t now)
{
	double cap = SCHED_BURST;

	if (sp->tokens < 0)
		sp->tokens = cap;
	if (now > sp->refill_ms) {
		sp->tokens += (double)(now - sp->refill_ms) * rate / 60000.0;
		sp->refill_ms = now;
	}
	if (sp->tokens > cap)
		sp->tokens = cap;
}

static void
sched_wake(const struct sched_waiter *w)
{
	uint64_t one = 1;

	if (w != NULL && write(w->fd, &one, sizeof one) < 0)
		log_debug("scheduler: waking a call: %s", strerror(errno));
}

/*
 * May the head `w` go now?  0: it went (dequeued, counted), else how
 * long to wait in ms (-1: until woken).  Under the lock.
 */
static long
sched_try_locked(struct sched_provider *sp, struct sched_waiter *w,
    const struct sched_limits *lim, uint64_t now)
{
	double rate = sched_effective(sp, lim) * SCHED_PACE;

	if (sp->head != w)
		return -1;
	if (now < sp->blocked_until)
		return (long)(sp->blocked_until - now);
	if (w->slot && sp->in_flight >= lim->max_concurrent)
		return -1;
	if (rate > 0) {
		sched_refill(sp, rate, now);
		if (sp->tokens < 1)
			return (long)((1 - sp->tokens) * 60000.0 / rate) + 1;
		sp->tokens -= 1;
	}
	sp->in_flight += w->slot;
	sp->admitted++;
	sp->ring[sp->ring_next] = now;
	sp->ring_next = (sp->ring_next + 1) % SCHED_RING;
	if (sp->nring < SCHED_RING)
		sp->nring++;
	sp->head = w->next;
	if (sp->head == NULL)
		sp->tail = NULL;
	sched_wake(sp->head);
	return 0;
}

/* Take `w` out of the queue (it gave up).  Under the lock. */
static void
sched_unqueue_locked(struct sched_provider *sp, struct sched_waiter *w)
{
	struct sched_waiter **pp, *prev = NULL;

	for (pp = &sp->head; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		if (*pp != w)
			continue;
		*pp = w->next;
		if (sp->tail == w)
			sp->tail = prev;
		break;
	}
	sched_wake(sp->head);
}

/*
 * Queue for `sp` and wait for admission (with a slot if `slot`).  0, or
 * -1 if `cancel` fired.  *waited gets the time spent.
 */
static int
sched_wait(const char *provider, const struct sched_limits *lim, int slot,
    const struct cancel *cancel, unsigned long *epoch, long *waited)
{
	struct sched_provider *sp;
	struct sched_waiter w = { .slot = slot };
	struct pollfd pfd;
	uint64_t t0, junk;
	long wait;
	int rc = 0;

	if ((w.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		log_warn("scheduler: eventfd: %s", strerror(errno));
	pthread_mutex_lock(&sched_lock);
	sp = sched_get_locked(provider);
	t0 = sched_now();
	if (sp->tail != NULL)
		sp->tail->next = &w;
	else
		sp->head = &w;
	sp->tail = &w;
	while ((wait = sched_try_locked(sp, &w, lim, sched_now())) != 0) {
		pthread_mutex_unlock(&sched_lock);
		pfd.fd = w.fd;
		pfd.events = POLLIN;
		/* Without an eventfd, look again every 50 ms. */
		if (w.fd < 0 && (wait < 0 || wait > 50))
			wait = 50;
		if (cancel_poll(cancel, &pfd, w.fd >= 0 ? 1 : 0,
			(int)(wait > 60000 ? 60000 : wait)) < 0 &&
		    errno == ECANCELED) {
			pthread_mutex_lock(&sched_lock);
			sched_unqueue_locked(sp, &w);
			rc = -1;
			break;
		}
		if (w.fd >= 0 && read(w.fd, &junk, sizeof junk) < 0 &&
		    errno != EAGAIN)
			log_debug("scheduler: %s", strerror(errno));
		pthread_mutex_lock(&sched_lock);
	}
	if (rc == 0)
		*epoch = sp->epoch;
	*waited = (long)(sched_now() - t0);
	pthread_mutex_unlock(&sched_lock);
	if (w.fd >= 0)
		close(w.fd);
	return rc;
}

int
sched_admit(const char *provider, const struct sched_limits *lim,
    const struct cancel *cancel, struct sched_ticket *t, struct llm_error *err)
{
	memset(t, 0, sizeof *t);
	snprintf(t->provider, sizeof t->provider, "%s", provider);
	if (sched_wait(provider, lim, 1, cancel, &t->epoch, &t->queue_ms) ==
	    0) {
		t->held = 1;
		return 0;
	}
	memset(err, 0, sizeof *err);
	err->cls = LLM_ERR_CANCELLED;
	err->retry_after_ms = -1;
	snprintf(err->message, sizeof err->message,
	    "%s: cancelled while queued for admission (%ld ms)", provider,
	    t->queue_ms);
	return -1;
}

/* A 429/529 of the call `t`: decrease, block.  Under the lock. */
static void
sched_slow_locked(struct sched_provider *sp, const struct sched_ticket *t,
    const struct sched_limits *lim, const struct llm_error *err)
{
	uint64_t now = sched_now();
	double rate = sched_effective(sp, lim);
	double base = rate > 0 ? rate : sched_observed(sp, now);

	sp->rate_limited++;
	if (err->retry_after_ms > 0 &&
	    now + (uint64_t)err->retry_after_ms > sp->blocked_until)
		sp->blocked_until = now + (uint64_t)err->retry_after_ms;
	if (t->epoch != sp->epoch)
		return; /* admitted before the last decrease */
	sp->epoch++;
	sp->base = base;
	sp->rate = base / 2 < SCHED_MIN_RPM ? SCHED_MIN_RPM : base / 2;
	sp->tokens = 0;
	sp->refill_ms = sp->blocked_until > now ? sp->blocked_until : now;
	log_info("provider %s: rate limited (HTTP %d); admitting %.1f "
		 "requests/minute%s",
	    sp->name, err->status, sp->rate,
	    sp->blocked_until > now ? ", none before Retry-After" : "");
}

int
sched_throttled(struct sched_ticket *t, const struct sched_limits *lim,
    const struct llm_error *err, const struct cancel *cancel)
{
	long waited;

	pthread_mutex_lock(&sched_lock);
	sched_slow_locked(sched_get_locked(t->provider), t, lim, err);
	pthread_mutex_unlock(&sched_lock);
	if (sched_wait(t->provider, lim, 0, cancel, &t->epoch, &waited) != 0)
		return -1;
	t->queue_ms += waited;
	return 0;
}

void
sched_release(struct sched_ticket *t, const struct sched_limits *lim, int rc,
    const struct llm_error *err)
{
	struct sched_provider *sp;
	double step;

	if (!t->held)
		return;
	t->held = 0;
	pthread_mutex_lock(&sched_lock);
	sp = sched_get_locked(t->provider);
	sp->in_flight--;
	if (rc != 0 && sched_rate_limited(err))
		sched_slow_locked(sp, t, lim, err);
	else if (rc == 0 && sp->rate > 0) {
		step = sp->base / SCHED_STEPS < 1 ? 1 : sp->base / SCHED_STEPS;
		sp->rate += step;
		if ((lim->rpm > 0 && sp->rate >= (double)lim->rpm) ||
		    (lim->rpm <= 0 && sp->rate >= 2 * sp->base)) {
			sp->rate = 0;
			log_info("provider %s: rate recovered", sp->name);
		}
	}
	sched_wake(sp->head);
	pthread_mutex_unlock(&sched_lock);
}

void
sched_stats(const char *provider, struct sched_stats *out)
{
	const struct sched_waiter *w;
	const struct sched_provider *sp = NULL;
	uint64_t now;
	size_t i;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&sched_lock);
	now = sched_now();
	for (i = 0; i < nprovs; i++)
		if (strcmp(provs[i]->name, provider) == 0)
			sp = provs[i];
	if (sp != NULL) {
		out->in_flight = sp->in_flight;
		for (w = sp->head; w != NULL; w = w->next)
			out->queued++;
		out->rate_rpm = sp->rate;
		out->blocked_ms = sp->blocked_until > now ?
		    (long)(sp->blocked_until - now) :
		    0;
		out->admitted = sp->admitted;
		out->rate_limited = sp->rate_limited;
	}
	pthread_mutex_unlock(&sched_lock);
}

void
sched_kick(void)
{
	const struct sched_waiter *w;
	size_t i;

	pthread_mutex_lock(&sched_lock);
	for (i = 0; i < nprovs; i++)
		for (w = provs[i]->head; w != NULL; w = w->next)
			sched_wake(w);
	pthread_mutex_unlock(&sched_lock);
}

void
sched_reset(void)
{
	size_t i;

	pthread_mutex_lock(&sched_lock);
	for (i = 0; i < nprovs; i++)
		free(provs[i]);
	free(provs);
	provs = NULL;
	nprovs = 0;
	pthread_mutex_unlock(&sched_lock);
}

/*
 * What a provider's rate-limit headers said (llm_call(), after each
 * attempt): requests or tokens remaining 0 hold every admission to it
 * until their reset; a known limit (requests per minute, as both
 * providers count) becomes its allowed rate, never above a configured
 * one.  Only the provider's rate and its blocked-until time change.
 */
void
sched_observe(const char *provider, const struct sched_limits *lim,
    const struct llm_ratelimit *rl)
{
	struct sched_provider *sp;
	uint64_t now, until = 0;
	double rate;

	pthread_mutex_lock(&sched_lock);
	sp = sched_get_locked(provider);
	now = sched_now();
	if (rl->req_remaining == 0 && rl->req_reset_ms > 0)
		until = now + (uint64_t)rl->req_reset_ms;
	if (rl->tok_remaining == 0 && rl->tok_reset_ms > 0 &&
	    now + (uint64_t)rl->tok_reset_ms > until)
		until = now + (uint64_t)rl->tok_reset_ms;
	if (until > sp->blocked_until) {
		sp->blocked_until = until;
		log_debug("provider %s: none left, no admission for %llu ms",
		    sp->name, (unsigned long long)(until - now));
	}
	if (rl->req_limit > 0) {
		rate = (double)rl->req_limit;
		if (lim->rpm > 0 && rate > (double)lim->rpm)
			rate = (double)lim->rpm;
		if (sp->rate != rate)
			log_debug("provider %s: its headers allow %.0f "
				  "requests/minute",
			    sp->name, rate);
		sp->rate = rate;
		sp->base = rate;
	}
	sched_wake(sp->head);
	pthread_mutex_unlock(&sched_lock);
}
