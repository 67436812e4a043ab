/*
 * sched_stats.c — what the scheduler shows (GET /api/scheduler/tasks and
 * /api/scheduler/stats): the calls queued and running, and per provider
 * and class the queue, the calls in flight, the admissions, the waits,
 * the rates and the limits; and the plain queries of the same state
 * (sched_stats(), sched_waiting()).  Reads the state of scheduler.c under
 * its lock.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/sched_impl.h"
#include "util/time.h"
#include "util/xalloc.h"

static int
sched_long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* The p50 and p95 of a class's recent waits (null when none). */
static void
sched_waits(const struct sched_class *k, json_t *o)
{
	long v[SCHED_WAITS];
	size_t n = k->nwaits;

	if (n == 0) {
		json_object_set_new(o, "wait_p50_ms", json_null());
		json_object_set_new(o, "wait_p95_ms", json_null());
		return;
	}
	memcpy(v, k->waits, n * sizeof v[0]);
	qsort(v, n, sizeof v[0], sched_long_cmp);
	/* Nearest rank: the smallest wait at least p% of them reach. */
	json_object_set_new(o, "wait_p50_ms",
	    json_integer(v[(n * 50 + 99) / 100 - 1]));
	json_object_set_new(o, "wait_p95_ms",
	    json_integer(v[(n * 95 + 99) / 100 - 1]));
}

/* A limit as JSON: null when there is none. */
static json_t *
sched_limit(long v)
{
	return v > 0 ? json_integer(v) : json_null();
}

static json_t *
sched_call_json(const struct sched_call *c, uint64_t now, int64_t wall)
{
	char since[40];
	long waited = c->waited_ms;

	if (!c->running && now > c->since)
		waited += (long)(now - c->since);
	time_rfc3339(wall - (int64_t)(now > c->since ? now - c->since : 0),
	    since, sizeof since);
	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:I, s:s}",
	    "id", (json_int_t)c->id, "provider", c->sp->name, "model", c->model,
	    "agent_id",
	    c->agent->id[0] != '\0' ? json_string(c->agent->id) : json_null(),
	    "principal", c->principal, "class", call_class_name(c->cls),
	    "effective_class",
	    call_class_name((enum call_class)sched_effective_class(c, now)),
	    "state", c->running ? "running" : "queued", "waited_ms",
	    (json_int_t)waited, "since", since);
}

json_t *
sched_tasks_json(void)
{
	const struct sched_call *c;
	json_t *queued = json_array(), *running = json_array();
	uint64_t now;
	int64_t wall = time_wall_ms();
	size_t n, i;
	struct sched_call **v = NULL;
	size_t cap = 0;

	pthread_mutex_lock(&sched_lock);
	now = sched_now();
	/* Queued best ranked first: the ranking scheduler.c admits by. */
	n = 0;
	for (c = sched_calls; c != NULL; c = c->next) {
		if (c->running) {
			json_array_append_new(running,
			    sched_call_json(c, now, wall));
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[n++] = (struct sched_call *)c;
	}
	/* Insertion sort by (aged class, agent tokens, arrival). */
	for (i = 1; i < n; i++) {
		struct sched_call *x = v[i];
		size_t j = i;

		while (j > 0) {
			const struct sched_call *y = v[j - 1];
			int cx = sched_effective_class(x, now);
			int cy = sched_effective_class(y, now);
			double ux = sched_agent_tokens(x->agent, now);
			double uy = sched_agent_tokens(y->agent, now);

			if (cy < cx || (cy == cx && uy < ux) ||
			    (cy == cx && uy == ux && y->id < x->id))
				break;
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	for (i = 0; i < n; i++)
		json_array_append_new(queued, sched_call_json(v[i], now, wall));
	pthread_mutex_unlock(&sched_lock);
	free(v);
	json_array_extend(queued, running);
	json_decref(running);
	return queued;
}

static json_t *
sched_provider_json(struct sched_provider *sp, uint64_t now)
{
	const struct sched_call *c;
	const struct sched_model *sm;
	json_t *o, *classes = json_object(), *models = json_array(), *k;
	int queued[CALL_NCLASSES] = { 0 }, running[CALL_NCLASSES] = { 0 };
	/* Charged at admission, corrected at release: a long call's
	 * correction may outlive its charge. */
	double tokens = sched_minute_sum(&sp->tokens_used, now);
	int q, r;
	size_t i;

	for (c = sched_calls; c != NULL; c = c->next) {
		if (c->sp != sp)
			continue;
		if (c->running)
			running[c->cls]++;
		else
			queued[c->cls]++;
	}
	for (i = 0; i < CALL_NCLASSES; i++) {
		k = json_pack("{s:i, s:i, s:I, s:f}", "queued", queued[i],
		    "in_flight", running[i], "admitted",
		    (json_int_t)sp->cls[i].admitted, "admitted_per_sec",
		    sched_minute_sum(&sp->cls[i].per_sec, now) / SCHED_SECS);
		sched_waits(&sp->cls[i], k);
		json_object_set_new(classes,
		    call_class_name((enum call_class)i), k);
	}
	for (sm = sp->models; sm != NULL; sm = sm->next) {
		q = r = 0;
		for (c = sched_calls; c != NULL; c = c->next)
			if (c->sm == sm)
				*(c->running ? &r : &q) += 1;
		json_array_append_new(models,
		    json_pack("{s:s, s:i, s:i, s:o, s:o, s:o}", "model",
			sm->name, "queued", q, "in_flight", sm->in_flight,
			"max_concurrent",
			sched_limit(sm->lim.model_max_concurrent), "rpm_limit",
			sched_limit(sm->lim.model_rpm), "tpm_limit",
			sched_limit(sm->lim.model_tpm)));
	}
	o = json_pack("{s:s, s:i, s:i, s:I, s:I, s:I, s:i, s:{s:f, s:o, s:o}, "
		      "s:{s:f, s:o}, s:o, s:o}",
	    "provider", sp->name, "in_flight", sp->in_flight, "queued",
	    queued[0] + queued[1] + queued[2] + queued[3], "admitted",
	    (json_int_t)sp->admitted, "rate_limited",
	    (json_int_t)sp->rate_limited, "blocked_ms",
	    (json_int_t)(sp->blocked_until > now ? sp->blocked_until - now : 0),
	    "max_concurrent", sp->lim.max_concurrent, "rpm", "now",
	    sched_minute_sum(&sp->requests, now), "limit",
	    sched_limit(sp->lim.rpm), "allowed",
	    sched_effective(sp, &sp->lim) > 0 ?
		json_real(sched_effective(sp, &sp->lim)) :
		json_null(),
	    "tpm", "now", tokens > 0 ? tokens : 0.0, "limit",
	    sched_limit(sp->lim.tpm), "classes", classes, "models", models);
	return o;
}

json_t *
sched_stats_json(void)
{
	struct sched_agent *a;
	const struct sched_call *c;
	json_t *provs = json_array(), *agents = json_array();
	uint64_t now;
	size_t i;
	int q, r;

	pthread_mutex_lock(&sched_lock);
	now = sched_now();
	for (i = 0; i < sched_nprovs; i++)
		json_array_append_new(provs,
		    sched_provider_json(sched_provs[i], now));
	for (a = sched_agents; a != NULL; a = a->next) {
		q = r = 0;
		for (c = sched_calls; c != NULL; c = c->next)
			if (c->agent == a)
				*(c->running ? &r : &q) += 1;
		json_array_append_new(agents,
		    json_pack("{s:o, s:I, s:i, s:i}", "agent_id",
			a->id[0] != '\0' ? json_string(a->id) : json_null(),
			"tokens", (json_int_t)sched_agent_tokens(a, now),
			"queued", q, "running", r));
	}
	pthread_mutex_unlock(&sched_lock);
	return json_pack("{s:o, s:o}", "providers", provs, "agents", agents);
}

int
sched_waiting(const char *agent_id)
{
	const struct sched_call *c;
	int n = 0;

	if (agent_id == NULL || *agent_id == '\0')
		return 0;
	pthread_mutex_lock(&sched_lock);
	for (c = sched_calls; c != NULL; c = c->next)
		if (!c->running && c->agent != NULL &&
		    strcmp(c->agent->id, agent_id) == 0)
			n++;
	pthread_mutex_unlock(&sched_lock);
	return n;
}

void
sched_stats(const char *provider, struct sched_stats *out)
{
	const struct sched_call *c;
	const struct sched_provider *sp = NULL;
	uint64_t now;
	size_t i;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&sched_lock);
	now = sched_now();
	for (i = 0; i < sched_nprovs; i++)
		if (strcmp(sched_provs[i]->name, provider) == 0)
			sp = sched_provs[i];
	if (sp != NULL) {
		out->in_flight = sp->in_flight;
		for (c = sched_calls; c != NULL; c = c->next)
			if (c->sp == sp && !c->running)
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
