/*
 * scheduler.c — admission of LLM calls per provider and model: a table of
 * providers (each with its calls in flight, its token buckets, its AIMD
 * rate and its models), a table of agents' fair-share accounts and a
 * table of the calls queued and running, under one lock.  A waiting call
 * sleeps on its own eventfd beside its cancel token; whoever may have let
 * it go (a release, an admission, sched_kick()) writes to the eventfds of
 * the provider's waiting calls, and each looks whether it ranks first.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kernel/sched_impl.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define SCHED_WINDOW_MS 60000      /* over which the rate is observed */
#define SCHED_MIN_RPM 1.0          /* a decrease never goes below */
#define SCHED_STEPS 50             /* successes from half back to the base */
#define SCHED_HALF_LIFE_MS 60000.0 /* of an agent's fair-share tokens */
/*
 * A requests bucket holds one call and fills at 95% of the allowed rate:
 * a provider's fixed window of unknown phase then never sees more than
 * 1 + 0.95 x its share (its limit from 20 requests a window up), and a
 * paced call is never a moment of jitter away from the next window.
 * bench/scheduler: a burst of rate/60 or pacing at the full rate brought
 * 429s at window edges and a makespan of 1.16-1.27x the ideal.
 */
#define SCHED_BURST 1.0
#define SCHED_PACE 0.95

pthread_mutex_t sched_lock = PTHREAD_MUTEX_INITIALIZER;
struct sched_provider **sched_provs;
size_t sched_nprovs;
struct sched_call *sched_calls;
struct sched_agent *sched_agents;
uint64_t (*sched_now)(void) = time_mono_ms;
static unsigned long long sched_seq;

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

	for (i = 0; i < sched_nprovs; i++)
		if (strcmp(sched_provs[i]->name, name) == 0)
			return sched_provs[i];
	sched_provs =
	    xreallocarray(sched_provs, sched_nprovs + 1, sizeof *sched_provs);
	sp = xcalloc(1, sizeof *sp);
	snprintf(sp->name, sizeof sp->name, "%s", name);
	sched_provs[sched_nprovs++] = sp;
	return sp;
}

/* The model `name` of `sp`, made if new.  Under the lock. */
static struct sched_model *
sched_model_get_locked(struct sched_provider *sp, const char *name)
{
	struct sched_model *sm;

	for (sm = sp->models; sm != NULL; sm = sm->next)
		if (strcmp(sm->name, name) == 0)
			return sm;
	sm = xcalloc(1, sizeof *sm);
	snprintf(sm->name, sizeof sm->name, "%s", name);
	sm->next = sp->models;
	sp->models = sm;
	return sm;
}

double
sched_agent_tokens(struct sched_agent *a, uint64_t now)
{
	if (now > a->stamp) {
		a->tokens *=
		    exp2(-(double)(now - a->stamp) / SCHED_HALF_LIFE_MS);
		a->stamp = now;
	}
	return a->tokens;
}

/* The account of agent `id` ("" for none), made if new, with one more
 * reference; accounts nobody holds and nearly empty go.  Under the lock. */
static struct sched_agent *
sched_agent_get_locked(const char *id, uint64_t now)
{
	struct sched_agent **pp, *a, *found = NULL;

	for (pp = &sched_agents; (a = *pp) != NULL;) {
		if (strcmp(a->id, id) == 0)
			found = a;
		else if (a->refs == 0 && sched_agent_tokens(a, now) < 1) {
			*pp = a->next;
			free(a);
			continue;
		}
		pp = &a->next;
	}
	if (found == NULL) {
		found = xcalloc(1, sizeof *found);
		snprintf(found->id, sizeof found->id, "%s", id);
		found->stamp = now;
		found->next = sched_agents;
		sched_agents = found;
	}
	found->refs++;
	return found;
}

/* Charge `tokens` (may be negative: a refund) to agent `a`. */
static void
sched_agent_charge(struct sched_agent *a, double tokens, uint64_t now)
{
	sched_agent_tokens(a, now);
	a->tokens += tokens;
	if (a->tokens < 0)
		a->tokens = 0;
}

int
sched_effective_class(const struct sched_call *c, uint64_t now)
{
	long aging = c->lim.aging_ms > 0 ? c->lim.aging_ms : SCHED_AGING_MS;
	long up = c->running || now <= c->since ?
	    0 :
	    (long)((now - c->since) / (uint64_t)aging);

	return up >= (long)c->cls ? 0 : (int)c->cls - (int)up;
}

static void
sched_minute_add(struct sched_minute *m, uint64_t now, double v)
{
	uint64_t sec = now / 1000 + 1;
	size_t i = (size_t)(sec % SCHED_SECS);

	if (m->sec[i] != sec) {
		m->sec[i] = sec;
		m->val[i] = 0;
	}
	m->val[i] += v;
}

double
sched_minute_sum(const struct sched_minute *m, uint64_t now)
{
	uint64_t sec = now / 1000 + 1;
	double sum = 0;
	size_t i;

	for (i = 0; i < SCHED_SECS; i++)
		if (m->sec[i] != 0 && m->sec[i] + SCHED_SECS > sec)
			sum += m->val[i];
	return sum;
}

double
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

/* The cap of a bucket of `per_min`: one request (SCHED_BURST), or a
 * whole minute of tokens. */
static double
sched_cap(double per_min, int requests)
{
	return requests ? SCHED_BURST : per_min;
}

static void
sched_bucket_fill(struct sched_bucket *b, double per_min, double cap,
    uint64_t now)
{
	if (!b->primed) {
		b->primed = 1;
		b->level = cap;
		b->refill_ms = now;
	}
	if (now > b->refill_ms) {
		b->level += (double)(now - b->refill_ms) * per_min / 60000.0;
		b->refill_ms = now;
	}
	if (b->level > cap)
		b->level = cap;
}

/*
 * 0 if bucket `b` of `per_min` (a requests bucket if `requests`) lets
 * `need` go now (a need over the cap goes when the bucket is full), else
 * the ms until it will.
 */
static long
sched_bucket_wait(struct sched_bucket *b, double per_min, int requests,
    double need, uint64_t now)
{
	double cap = sched_cap(per_min, requests);
	double target = need < cap ? need : cap;

	sched_bucket_fill(b, per_min, cap, now);
	if (b->level >= target)
		return 0;
	return (long)((target - b->level) * 60000.0 / per_min) + 1;
}

/* Give back `tokens` (negative: take more) to a tokens bucket. */
static void
sched_bucket_correct(struct sched_bucket *b, long per_min, double tokens)
{
	if (per_min <= 0 || !b->primed)
		return;
	b->level += tokens;
	if (b->level > (double)per_min)
		b->level = (double)per_min;
}

static void
sched_wake(const struct sched_call *c)
{
	uint64_t one = 1;

	if (c != NULL && c->fd >= 0 && write(c->fd, &one, sizeof one) < 0)
		log_debug("scheduler: waking a call: %s", strerror(errno));
}

/* Wake every call waiting for `sp` (NULL: every provider).  Under the
 * lock. */
static void
sched_wake_all(const struct sched_provider *sp)
{
	const struct sched_call *c;

	for (c = sched_calls; c != NULL; c = c->next)
		if (!c->running && (sp == NULL || c->sp == sp))
			sched_wake(c);
}

/* What held a call back (sched_check_locked()). */
enum sched_hold {
	SCHED_HOLD_PROVIDER,      /* a bucket or Retry-After of the provider */
	SCHED_HOLD_PROVIDER_SLOT, /* the provider's concurrency */
	SCHED_HOLD_MODEL,         /* a bucket of its model */
	SCHED_HOLD_MODEL_SLOT,    /* its model's concurrency */
};

/*
 * Whether `c` may go now as far as its limits go: 0, or how long to wait
 * in ms (-1: until woken) with *hold saying what held it back.  Takes
 * nothing.  Under the lock.
 */
static long
sched_check_locked(struct sched_provider *sp, const struct sched_call *c,
    uint64_t now, enum sched_hold *hold)
{
	const struct sched_limits *lim = &c->lim;
	struct sched_model *sm = c->sm;
	double rate = sched_effective(sp, lim) * SCHED_PACE;
	long wait;

	*hold = SCHED_HOLD_PROVIDER_SLOT;
	if (c->slot && sp->in_flight >= lim->max_concurrent)
		return -1;
	*hold = SCHED_HOLD_PROVIDER;
	if (rate > 0 &&
	    (wait = sched_bucket_wait(&sp->req, rate, 1, 1, now)) != 0)
		return wait;
	if (lim->tpm > 0 &&
	    (wait = sched_bucket_wait(&sp->tpm, lim->tpm, 0, (double)c->est,
		 now)) != 0)
		return wait;
	if (sm == NULL)
		return 0;
	*hold = SCHED_HOLD_MODEL_SLOT;
	if (c->slot && lim->model_max_concurrent > 0 &&
	    sm->in_flight >= lim->model_max_concurrent)
		return -1;
	*hold = SCHED_HOLD_MODEL;
	if (lim->model_rpm > 0 &&
	    (wait = sched_bucket_wait(&sm->rpm, lim->model_rpm, 1, 1, now)) !=
		0)
		return wait;
	if (lim->model_tpm > 0 &&
	    (wait = sched_bucket_wait(&sm->tpm, lim->model_tpm, 0,
		 (double)c->est, now)) != 0)
		return wait;
	return 0;
}

/* Admit `c` (sched_check_locked() said it may go): take from every
 * bucket, count, wake the others to look again.  Under the lock. */
static void
sched_take_locked(struct sched_provider *sp, struct sched_call *c, uint64_t now)
{
	const struct sched_limits *lim = &c->lim;
	struct sched_model *sm = c->sm;
	struct sched_class *k = &sp->cls[c->cls];
	long waited = (long)(now - c->since);

	if (sched_effective(sp, lim) > 0)
		sp->req.level -= 1;
	if (lim->tpm > 0)
		sp->tpm.level -= (double)c->est;
	if (sm != NULL) {
		sm->in_flight += c->slot;
		if (lim->model_rpm > 0)
			sm->rpm.level -= 1;
		if (lim->model_tpm > 0)
			sm->tpm.level -= (double)c->est;
	}
	sp->in_flight += c->slot;
	sp->admitted++;
	sp->ring[sp->ring_next] = now;
	sp->ring_next = (sp->ring_next + 1) % SCHED_RING;
	if (sp->nring < SCHED_RING)
		sp->nring++;
	sched_minute_add(&sp->requests, now, 1);
	sched_minute_add(&sp->tokens_used, now, (double)c->est);
	k->admitted++;
	sched_minute_add(&k->per_sec, now, 1);
	k->waits[k->wnext] = waited;
	k->wnext = (k->wnext + 1) % SCHED_WAITS;
	if (k->nwaits < SCHED_WAITS)
		k->nwaits++;
	sched_agent_charge(c->agent, (double)c->est, now);
	c->charged += c->est;
	c->waited_ms += waited;
	c->running = 1;
	c->since = now;
	sched_wake_all(sp);
}

/* A waiting call as ranked: its aged class, its agent's tokens. */
struct sched_rank {
	struct sched_call *c;
	int cls;
	double used;
};

static int
sched_rank_cmp(const void *a, const void *b)
{
	const struct sched_rank *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->used != y->used)
		return x->used < y->used ? -1 : 1;
	return x->c->id < y->c->id ? -1 : x->c->id > y->c->id;
}

/*
 * The calls waiting for `sp` (NULL: all), best ranked first, in *out
 * (caller frees).  Their number.  Under the lock.
 */
static size_t
sched_ranked_locked(const struct sched_provider *sp, uint64_t now,
    struct sched_rank **out)
{
	struct sched_call *c;
	struct sched_rank *r = NULL;
	size_t n = 0, cap = 0;

	for (c = sched_calls; c != NULL; c = c->next) {
		if (c->running || (sp != NULL && c->sp != sp))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			r = xreallocarray(r, cap, sizeof *r);
		}
		r[n].c = c;
		r[n].cls = sched_effective_class(c, now);
		r[n].used = sched_agent_tokens(c->agent, now);
		n++;
	}
	if (n > 1)
		qsort(r, n, sizeof *r, sched_rank_cmp);
	*out = r;
	return n;
}

/* A model that holds back the calls to it ranked after the one it
 * held back (sched_try_locked()). */
struct sched_held {
	const struct sched_model *sm;
	enum sched_hold hold;
	long wait;
};

/*
 * May the waiting call `w` go now?  0: it went (admitted, counted), else
 * how long to wait in ms (-1: until woken).  The calls ranked before it
 * go first: one its provider holds back holds `w` back too; one held
 * back only by its model holds back only the calls to that model.  A
 * concurrency limit holds back only calls that need a slot: a retry
 * keeps its own (sched_throttled()) and passes, or it could wait for
 * itself.  Under the lock.
 */
static long
sched_try_locked(struct sched_provider *sp, struct sched_call *w, uint64_t now)
{
	struct sched_rank *r;
	struct sched_held *held;
	struct sched_call *v;
	enum sched_hold hold;
	long wait = -1;
	size_t n, i, j, nheld = 0;
	int slots_full = 0;

	if (now < sp->blocked_until)
		return (long)(sp->blocked_until - now);
	n = sched_ranked_locked(sp, now, &r);
	held = xcalloc(n + 1, sizeof *held);
	for (i = 0; i < n; i++) {
		v = r[i].c;
		for (j = 0; j < nheld; j++)
			if (v->sm != NULL && held[j].sm == v->sm &&
			    (v->slot || held[j].hold != SCHED_HOLD_MODEL_SLOT))
				break;
		if ((v->slot && slots_full) || j < nheld) {
			if (v != w)
				continue;
			wait = j < nheld ? held[j].wait : -1;
			break;
		}
		wait = sched_check_locked(sp, v, now, &hold);
		if (wait == 0) {
			if (v == w)
				sched_take_locked(sp, w, now);
			else {
				sched_wake(v); /* its turn first */
				wait = -1;
			}
			break;
		}
		if (v == w || hold == SCHED_HOLD_PROVIDER)
			break;
		if (hold == SCHED_HOLD_PROVIDER_SLOT)
			slots_full = 1;
		else {
			held[nheld].sm = v->sm;
			held[nheld].hold = hold;
			held[nheld++].wait = wait;
		}
	}
	free(held);
	free(r);
	return wait;
}

/* Forget call `c` (it is over or gave up).  Under the lock. */
static void
sched_call_free_locked(struct sched_call *c)
{
	struct sched_call **pp;

	for (pp = &sched_calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->agent->refs--;
	sched_wake_all(c->sp);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/*
 * Wait for the admission of `c`, queued now.  0, or -1 if `cancel` fired
 * (it stays in the table, queued).  *waited gets the time spent.
 */
static int
sched_wait(struct sched_call *c, const struct cancel *cancel,
    unsigned long *epoch, long *waited)
{
	struct sched_provider *sp = c->sp;
	struct pollfd pfd;
	uint64_t t0, junk;
	long wait;
	int rc = 0;

	pthread_mutex_lock(&sched_lock);
	c->running = 0;
	c->since = t0 = sched_now();
	while ((wait = sched_try_locked(sp, c, sched_now())) != 0) {
		pthread_mutex_unlock(&sched_lock);
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		/* Without an eventfd, look again every 50 ms. */
		if (c->fd < 0 && (wait < 0 || wait > 50))
			wait = 50;
		if (cancel_poll(cancel, &pfd, c->fd >= 0 ? 1 : 0,
			(int)(wait > 60000 ? 60000 : wait)) < 0 &&
		    errno == ECANCELED) {
			pthread_mutex_lock(&sched_lock);
			sched_wake_all(sp);
			rc = -1;
			break;
		}
		if (c->fd >= 0 && read(c->fd, &junk, sizeof junk) < 0 &&
		    errno != EAGAIN)
			log_debug("scheduler: %s", strerror(errno));
		pthread_mutex_lock(&sched_lock);
	}
	if (rc == 0)
		*epoch = sp->epoch;
	*waited = (long)(sched_now() - t0);
	pthread_mutex_unlock(&sched_lock);
	return rc;
}

int
sched_admit(const char *provider, const char *model,
    const struct call_scope *scope, long long tokens,
    const struct sched_limits *lim, const struct cancel *cancel,
    struct sched_ticket *t, struct llm_error *err)
{
	struct sched_call *c = xcalloc(1, sizeof *c);

	memset(t, 0, sizeof *t);
	snprintf(t->provider, sizeof t->provider, "%s", provider);
	if ((c->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		log_warn("scheduler: eventfd: %s", strerror(errno));
	snprintf(c->model, sizeof c->model, "%s", model != NULL ? model : "");
	snprintf(c->principal, sizeof c->principal, "%s",
	    scope != NULL && scope->principal != NULL ? scope->principal :
							"default");
	c->cls = scope != NULL && (unsigned)scope->cls < CALL_NCLASSES ?
	    scope->cls :
	    CALL_BACKGROUND;
	c->slot = 1;
	c->est = tokens > 0 ? tokens : 0;
	c->lim = *lim;
	pthread_mutex_lock(&sched_lock);
	c->id = ++sched_seq;
	c->sp = sched_get_locked(provider);
	c->sp->lim = *lim;
	if (model != NULL) {
		c->sm = sched_model_get_locked(c->sp, model);
		c->sm->lim = *lim;
	}
	c->agent =
	    sched_agent_get_locked(scope != NULL && scope->agent_id != NULL ?
		    scope->agent_id :
		    "",
		sched_now());
	c->since = sched_now();
	c->next = sched_calls;
	sched_calls = c;
	pthread_mutex_unlock(&sched_lock);
	if (sched_wait(c, cancel, &t->epoch, &t->queue_ms) == 0) {
		t->held = 1;
		t->call = c;
		return 0;
	}
	pthread_mutex_lock(&sched_lock);
	sched_call_free_locked(c);
	pthread_mutex_unlock(&sched_lock);
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
	sp->req.primed = 1; /* empty, filling from Retry-After on */
	sp->req.level = 0;
	sp->req.refill_ms = sp->blocked_until > now ? sp->blocked_until : now;
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

	if (t->call == NULL)
		return 0;
	pthread_mutex_lock(&sched_lock);
	sched_slow_locked(t->call->sp, t, lim, err);
	t->call->slot = 0; /* it keeps the one it holds */
	t->call->lim = *lim;
	pthread_mutex_unlock(&sched_lock);
	if (sched_wait(t->call, cancel, &t->epoch, &waited) != 0)
		return -1;
	t->queue_ms += waited;
	return 0;
}

void
sched_release(struct sched_ticket *t, const struct sched_limits *lim, int rc,
    const struct llm_error *err, long long used)
{
	struct sched_provider *sp;
	struct sched_call *c = t->call;
	double step, diff;
	uint64_t now;

	if (!t->held || c == NULL)
		return;
	t->held = 0;
	t->call = NULL;
	pthread_mutex_lock(&sched_lock);
	now = sched_now();
	sp = c->sp;
	sp->in_flight--;
	if (c->sm != NULL)
		c->sm->in_flight--;
	/* What it used against what it was charged. */
	diff = (double)(c->charged - (used > 0 ? used : 0));
	sched_bucket_correct(&sp->tpm, lim->tpm, diff);
	if (c->sm != NULL)
		sched_bucket_correct(&c->sm->tpm, lim->model_tpm, diff);
	sched_agent_charge(c->agent, -diff, now);
	sched_minute_add(&sp->tokens_used, now, -diff);
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
	sched_call_free_locked(c);
	pthread_mutex_unlock(&sched_lock);
}

void
sched_kick(void)
{
	pthread_mutex_lock(&sched_lock);
	sched_wake_all(NULL);
	pthread_mutex_unlock(&sched_lock);
}

void
sched_reset(void)
{
	struct sched_model *sm;
	struct sched_agent *a;
	size_t i;

	pthread_mutex_lock(&sched_lock);
	for (i = 0; i < sched_nprovs; i++) {
		while ((sm = sched_provs[i]->models) != NULL) {
			sched_provs[i]->models = sm->next;
			free(sm);
		}
		free(sched_provs[i]);
	}
	free(sched_provs);
	sched_provs = NULL;
	sched_nprovs = 0;
	while ((a = sched_agents) != NULL) {
		sched_agents = a->next;
		free(a);
	}
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
	sched_wake_all(sp);
	pthread_mutex_unlock(&sched_lock);
}
