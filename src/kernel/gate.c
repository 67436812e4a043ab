/*
 * gate.c — the LLM gate: every chat call and every embedding request
 * through the same steps (gate_begin(), the call, gate_end()).
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/breaker.h"
#include "kernel/scope.h"
#include "kernel/budget.h"
#include "kernel/gate.h"
#include "kernel/scheduler.h"
#include "llm/models.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/toml.h"
#include "util/xalloc.h"

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static gate_observer gate_fn;
static void *gate_arg;

void
gate_set_observer(gate_observer fn, void *arg)
{
	pthread_mutex_lock(&gate_lock);
	gate_fn = fn;
	gate_arg = arg;
	pthread_mutex_unlock(&gate_lock);
}

static void
gate_record_db(const struct gate_record *r, int64_t started)
{
	sqlite3 *db;
	char stamp[40];

	if ((db = db_get()) == NULL)
		return;
	time_rfc3339(started, stamp, sizeof stamp);
	/* The cost is NULL (NaN) when the calls were not priced. */
	if (db_exec(db,
		"INSERT INTO llm_calls (started_at, provider, model, kind, "
		"input_tokens, output_tokens, cache_read_tokens, "
		"cache_write_tokens, cost_usd, duration_ms, attempts, status, "
		"error, queue_ms, agent_id, principal, class, phase) VALUES (?, "
		"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		"ttttIIIIdIittItttt", stamp, r->provider, r->model, r->kind,
		(int64_t)r->usage.input_tokens, (int64_t)r->usage.output_tokens,
		(int64_t)r->usage.cache_read_tokens,
		(int64_t)r->usage.cache_write_tokens,
		r->priced ? r->cost_usd : NAN, (int64_t)r->duration_ms,
		r->attempts, r->status, r->error, (int64_t)r->queue_ms,
		r->agent_id[0] != '\0' ? r->agent_id : NULL, r->principal,
		r->cls, r->phase) < 0)
		log_error("recording an LLM call: %s", sqlite3_errmsg(db));
}

/* A call about to be made: what its record knows before it. */
static void
gate_begin(struct gate_record *r, const char *kind, const char *phase,
    const char *provider, const char *model, const struct call_scope *scope)
{
	memset(r, 0, sizeof *r);
	r->kind = kind;
	snprintf(r->phase, sizeof r->phase, "%s", phase);
	r->cls = call_class_name(scope != NULL ? scope->cls : CALL_BACKGROUND);
	snprintf(r->principal, sizeof r->principal, "%s",
	    scope != NULL && scope->principal != NULL ? scope->principal :
							"default");
	if (scope != NULL && scope->agent_id != NULL)
		snprintf(r->agent_id, sizeof r->agent_id, "%s",
		    scope->agent_id);
	snprintf(r->provider, sizeof r->provider, "%s", provider);
	snprintf(r->model, sizeof r->model, "%s", model);
}

/*
 * A call made (rc its result, `usage` what it used, if it went well):
 * settle the cost, log, record, notify, and hand the record to the
 * caller's `out` (may be NULL).
 */
static void
gate_end(struct gate_record *r, int rc, const struct llm_usage *usage,
    const struct llm_error *err, int64_t started, uint64_t t0,
    struct gate_record *out)
{
	gate_observer fn;
	void *fnarg;

	if (rc == 0)
		r->usage = *usage;
	r->priced =
	    llm_cost_usd(r->provider, r->model, &r->usage, &r->cost_usd) == 0;
	r->duration_ms = (long)(time_mono_ms() - t0);
	r->attempts = err->attempts;
	r->status = rc == 0 ? "ok" : llm_error_class_name(err->cls);
	r->error = rc == 0 ? NULL : err->message;
	log_info("%s/%s: %s %s in %ld ms, %d attempt%s, %lld in / %lld out "
		 "tokens",
	    r->provider, r->model, r->kind, r->status, r->duration_ms,
	    r->attempts, r->attempts == 1 ? "" : "s", r->usage.input_tokens,
	    r->usage.output_tokens);
	gate_record_db(r, started);
	pthread_mutex_lock(&gate_lock);
	fn = gate_fn;
	fnarg = gate_arg;
	pthread_mutex_unlock(&gate_lock);
	if (fn != NULL)
		fn(r, fnarg);
	if (out != NULL)
		*out = *r;
}

/* An integer key of the table `providers.PROVIDER[.models.MODEL]`
 * (MODEL NULL: the provider's own): 0 if unset or too long to name. */
static long
gate_provider_int(const struct config *cfg, const char *provider,
    const char *model, const char *leaf)
{
	char key[512] = "providers";

	if (toml_path_append(key, sizeof key, provider) != 0 ||
	    (model != NULL &&
		(toml_path_append(key, sizeof key, "models") != 0 ||
		    toml_path_append(key, sizeof key, model) != 0)) ||
	    toml_path_append(key, sizeof key, leaf) != 0)
		return 0;
	return (long)config_int(cfg, key);
}

/* The scheduler's limits of `provider` and `model`, from the
 * configuration. */
static void
gate_sched_limits(const struct config *cfg, const char *provider,
    const char *model, struct sched_limits *lim)
{
	memset(lim, 0, sizeof *lim);
	lim->max_concurrent =
	    (int)gate_provider_int(cfg, provider, NULL, "max_concurrent");
	if (lim->max_concurrent < 1)
		lim->max_concurrent =
		    (int)config_int(cfg, "scheduler.max_concurrent");
	if (lim->max_concurrent < 1)
		lim->max_concurrent = 1;
	lim->rpm = gate_provider_int(cfg, provider, NULL, "rpm");
	if (lim->rpm <= 0)
		lim->rpm = (long)config_int(cfg, "scheduler.rpm");
	lim->tpm = gate_provider_int(cfg, provider, NULL, "tpm");
	if (lim->tpm <= 0)
		lim->tpm = (long)config_int(cfg, "scheduler.tpm");
	lim->model_max_concurrent =
	    (int)gate_provider_int(cfg, provider, model, "max_concurrent");
	lim->model_rpm = gate_provider_int(cfg, provider, model, "rpm");
	lim->model_tpm = gate_provider_int(cfg, provider, model, "tpm");
	lim->aging_ms = (long)config_int(cfg, "scheduler.aging_secs") * 1000;
}

/* What llm_call() tells of a 429/529 it will retry. */
struct gate_throttle {
	struct sched_ticket *ticket;
	const struct sched_limits *lim;
};

static int
gate_throttled(void *arg, const struct llm_error *err,
    const struct cancel *cancel)
{
	struct gate_throttle *g = arg;

	return sched_throttled(g->ticket, g->lim, err, cancel);
}

/* What llm_call() tells of an answer's rate-limit headers. */
static void
gate_observe(void *arg, const struct llm_ratelimit *rl)
{
	struct gate_throttle *g = arg;

	sched_observe(g->ticket->provider, g->lim, rl);
}

/* The circuit breaker's limits, from the configuration. */
static void
gate_limits(const struct config *cfg, struct breaker_limits *lim)
{
	lim->failures = (int)config_int(cfg, "scheduler.breaker_failures");
	lim->cooldown_ms =
	    (uint64_t)config_int(cfg, "scheduler.breaker_cooldown_secs") * 1000;
	lim->error_rate = config_float(cfg, "scheduler.breaker_error_rate");
	lim->window_ms =
	    (uint64_t)config_int(cfg, "scheduler.breaker_window_secs") * 1000;
	lim->min_calls = (int)config_int(cfg, "scheduler.breaker_min_calls");
}

const char *
call_class_name(enum call_class c)
{
	static const char *const names[CALL_NCLASSES] = { "interactive", "run",
		"subagent", "background" };

	return (unsigned)c < CALL_NCLASSES ? names[c] : "unknown";
}

int
gate_call(const struct config *cfg, const char *spec, struct llm_request *req,
    llm_delta_cb cb, void *arg, const struct cancel *cancel,
    struct llm_response *out, struct gate_record *rec, struct llm_error *err)
{
	return gate_call_scoped(cfg, NULL, spec, req, cb, arg, cancel, out, rec,
	    err);
}

/*
 * One model's steps: reserve its budget, wait for the scheduler's
 * admission of its provider, ask its breaker, call, settle.  The call's
 * result; *probe_failed when it was its breaker's probe and failed
 * (counted).  The wait is added to r->queue_ms.
 */
static int
gate_steps(const struct config *cfg, const struct call_scope *scope,
    struct llm_provider *p, const char *model, struct llm_request *req,
    llm_delta_cb cb, void *arg, const struct cancel *cancel,
    struct llm_response *out, struct gate_record *r, int *probe_failed,
    struct llm_error *err)
{
	struct breaker_limits lim;
	struct breaker_ticket ticket = { 0 };
	struct sched_limits slim;
	struct sched_ticket sticket = { 0 };
	struct budget_estimate est;
	struct gate_throttle throttle = { &sticket, &slim };
	int64_t budget = 0;
	int rc, admission = config_bool(cfg, "scheduler.admission");

	*probe_failed = 0;
	req->model = model;
	gate_limits(cfg, &lim);
	gate_sched_limits(cfg, p->name, model, &slim);
	budget_estimate(p->name, model, req, &est);
	rc = budget_gate_reserve(cfg, scope, p->name, model, req, &budget, err);
	if (rc == 0) {
		/* scheduler.admission = false: the call goes at once and
		 * retries alone (the breaker and the budgets still apply). */
		if (admission)
			rc = sched_admit(p->name, model, scope, est.tokens,
			    &slim, cancel, &sticket, err);
		if (rc == 0 &&
		    (rc = breaker_admit(p->name, &lim, &ticket, err)) == 0) {
			if (admission) {
				p->throttled = gate_throttled;
				p->throttled_arg = &throttle;
				p->observe = gate_observe;
				p->observe_arg = &throttle;
			}
			rc = llm_call(p, req, cb, arg, cancel, out, err);
			breaker_report(p->name, &lim, &ticket,
			    rc == 0 ? LLM_OK : err->cls);
			*probe_failed =
			    rc != 0 && ticket.probe && breaker_counts(err->cls);
		}
		if (admission)
			sched_release(&sticket, &slim, rc, err,
			    rc == 0 ? out->usage.input_tokens +
				    out->usage.output_tokens :
				      0);
		r->queue_ms += sticket.queue_ms;
		budget_gate_settle(budget, rc, p->name, model, &out->usage);
	}
	return rc;
}

/* Append to buf (of `size`) what printf makes of fmt, cut to fit. */
static void
gate_append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/*
 * The call's provider refused it (its breaker is open, or half-open with
 * the probe taken; or its probe just failed): try engine.fallback_models
 * in order, each through the same steps; the first one admitted serves
 * the call, and r names it.  Returns that call's result, or -1 with *err
 * naming every provider tried and when each one's next probe may go
 * (retry_after_ms: the soonest).  Without fallbacks, *err stays as it is.
 */
static int
gate_fallback(const struct config *cfg, const struct call_scope *scope,
    struct llm_request *req, llm_delta_cb cb, void *arg,
    const struct cancel *cancel, struct llm_response *out,
    struct gate_record *r, int dirty, struct llm_error *err)
{
	json_t *list = config_get(cfg, "engine.fallback_models"), *v;
	struct llm_delta reset = { .kind = LLM_DELTA_RESET, .text = "" };
	struct llm_provider *p;
	struct llm_error first = *err;
	char *model, *cause = NULL, tried[sizeof err->message] = "";
	long soonest =
	    err->cls == LLM_ERR_UNAVAILABLE && err->retry_after_ms > 0 ?
	    err->retry_after_ms :
	    -1;
	int rc = -1, probe_failed;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return -1;
	json_array_foreach(list, i, v) {
		const char *spec = json_string_value(v);

		if (spec == NULL)
			continue;
		if ((p = llm_resolve(cfg, spec, &model, &cause)) == NULL) {
			gate_append(tried, sizeof tried, "%s%s (%s)",
			    tried[0] != '\0' ? ", " : "", spec, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		/* What a failed probe streamed is not the answer. */
		if (dirty && cb != NULL && cb(&reset, arg) != 0) {
			memset(err, 0, sizeof *err);
			err->cls = LLM_ERR_CANCELLED;
			snprintf(err->message, sizeof err->message,
			    "%s: cancelled by the receiver", p->name);
			llm_provider_free(p);
			free(model);
			return -1;
		}
		memset(err, 0, sizeof *err);
		llm_response_free(out);
		memset(out, 0, sizeof *out);
		rc = gate_steps(cfg, scope, p, model, req, cb, arg, cancel, out,
		    r, &probe_failed, err);
		dirty = probe_failed;
		if (rc == 0 ||
		    (err->cls != LLM_ERR_UNAVAILABLE && !probe_failed)) {
			log_warn("%s/%s: unavailable (circuit breaker); "
				 "fallback %s/%s %s the call",
			    r->provider, r->model, p->name, model,
			    rc == 0 ? "served" : "failed");
			snprintf(r->provider, sizeof r->provider, "%s",
			    p->name);
			snprintf(r->model, sizeof r->model, "%s", model);
			llm_provider_free(p);
			free(model);
			return rc;
		}
		if (err->retry_after_ms > 0 &&
		    (soonest < 0 || err->retry_after_ms < soonest))
			soonest = err->retry_after_ms;
		if (probe_failed)
			gate_append(tried, sizeof tried,
			    "%s%s (its probe failed)",
			    tried[0] != '\0' ? ", " : "", spec);
		else if (err->retry_after_ms > 0)
			gate_append(tried, sizeof tried,
			    "%s%s (open, next probe in %ld s)",
			    tried[0] != '\0' ? ", " : "", spec,
			    (err->retry_after_ms + 999) / 1000);
		else
			gate_append(tried, sizeof tried,
			    "%s%s (half-open, its probe in flight)",
			    tried[0] != '\0' ? ", " : "", spec);
		llm_provider_free(p);
		free(model);
	}
	*err = first; /* its class: a refusal's, or the failed probe's */
	err->retry_after_ms = soonest;
	gate_append(err->message, sizeof err->message,
	    "; the fallbacks refused it too: %s", tried);
	return -1;
}

int
gate_call_scoped(const struct config *cfg, const struct call_scope *scope,
    const char *spec, struct llm_request *req, llm_delta_cb cb, void *arg,
    const struct cancel *cancel, struct llm_response *out,
    struct gate_record *rec, struct llm_error *err)
{
	struct llm_provider *p;
	struct gate_record r;
	char *model = NULL, *cause = NULL;
	int64_t started = time_wall_ms();
	uint64_t t0 = time_mono_ms();
	int rc, probe_failed;

	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	if (rec != NULL)
		memset(rec, 0, sizeof *rec);
	if (req->phase != NULL && !llm_phase_valid(req->phase)) {
		err->cls = LLM_ERR_BAD_REQUEST;
		snprintf(err->message, sizeof err->message,
		    "unknown phase '%.32s'", req->phase);
		return -1;
	}
	if (spec == NULL)
		spec = config_str(cfg, "engine.default_model");
	if ((p = llm_resolve(cfg, spec, &model, &cause)) == NULL) {
		err->cls = LLM_ERR_CONFIG;
		snprintf(err->message, sizeof err->message, "%s", cause);
		free(cause);
		return -1;
	}
	gate_begin(&r, "chat", req->phase != NULL ? req->phase : "chat",
	    p->name, model, scope);
	rc = gate_steps(cfg, scope, p, model, req, cb, arg, cancel, out, &r,
	    &probe_failed, err);
	if (rc != 0 && (err->cls == LLM_ERR_UNAVAILABLE || probe_failed))
		rc = gate_fallback(cfg, scope, req, cb, arg, cancel, out, &r,
		    probe_failed, err);
	gate_end(&r, rc, &out->usage, err, started, t0, rec);

	req->model = NULL;
	free(model);
	llm_provider_free(p);
	return rc;
}

struct gate_embedder {
	int refs; /* atomic */
	struct llm_provider *p;
	char *model;
	struct breaker_limits lim; /* of the configuration it was made from */
	struct sched_limits slim;  /* likewise */
	int admission;             /* scheduler.admission, likewise */
};

struct gate_embedder *
gate_embedder_new(const struct config *cfg, char **cause)
{
	struct gate_embedder *e;
	struct llm_provider *p;
	char *model;

	if ((p = llm_embedder_get(cfg, &model, cause)) == NULL)
		return NULL;
	e = xcalloc(1, sizeof *e);
	e->refs = 1;
	e->p = p;
	e->model = model;
	gate_limits(cfg, &e->lim);
	gate_sched_limits(cfg, p->name, model, &e->slim);
	e->admission = config_bool(cfg, "scheduler.admission");
	return e;
}

struct gate_embedder *
gate_embedder_ref(struct gate_embedder *e)
{
	if (e != NULL)
		__atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
	return e;
}

void
gate_embedder_unref(struct gate_embedder *e)
{
	if (e == NULL || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	llm_provider_free(e->p);
	free(e->model);
	free(e);
}

const char *
gate_embedder_model(const struct gate_embedder *e)
{
	return e->model;
}

int
gate_embed(const struct gate_embedder *e, const char *const *texts, size_t n,
    const struct cancel *cancel, float **vectors, int *dim,
    struct gate_record *rec, struct llm_error *err)
{
	struct gate_record r;
	struct llm_usage usage;
	struct breaker_ticket ticket;
	struct sched_ticket sticket = { 0 };
	int64_t started = time_wall_ms();
	uint64_t t0 = time_mono_ms();
	size_t i, chars = 0;
	int rc;

	memset(&usage, 0, sizeof usage);
	memset(err, 0, sizeof *err);
	gate_begin(&r, "embedding", "embedding", e->p->name, e->model, NULL);
	for (i = 0; i < n; i++)
		chars += strlen(texts[i]);
	/* Background work: admitted after every call a person waits on. */
	rc = !e->admission ?
	    0 :
	    sched_admit(e->p->name, e->model, NULL, (long long)(chars + 3) / 4,
		&e->slim, cancel, &sticket, err);
	r.queue_ms = sticket.queue_ms;
	if (rc == 0 &&
	    (rc = breaker_admit(e->p->name, &e->lim, &ticket, err)) == 0) {
		rc = llm_embed(e->p, e->model, "embedding", texts, n, cancel,
		    vectors, dim, &usage, err);
		breaker_report(e->p->name, &e->lim, &ticket,
		    rc == 0 ? LLM_OK : err->cls);
	}
	if (e->admission)
		sched_release(&sticket, &e->slim, rc, err,
		    rc == 0 ? usage.input_tokens + usage.output_tokens : 0);
	gate_end(&r, rc, &usage, err, started, t0, rec);
	return rc;
}

json_t *
gate_usage(sqlite3 *db, char **cause)
{
	return db_rows(db,
	    "SELECT provider, model, kind, status, COUNT(*) AS calls, "
	    "SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS "
	    "output_tokens, COALESCE(SUM(cost_usd), 0.0) AS cost_usd "
	    "FROM llm_calls GROUP BY provider, model, kind, status",
	    0, NULL, 1000, cause);
}
