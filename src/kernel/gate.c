/*
 * gate.c — the LLM gate.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/gate.h"
#include "llm/models.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
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
	sqlite3_stmt *st = NULL;
	char stamp[40];

	if ((db = db_get()) == NULL)
		return;
	time_rfc3339(started, stamp, sizeof stamp);
	if (sqlite3_prepare_v2(db,
		"INSERT INTO llm_calls (started_at, provider, model, "
		"input_tokens, output_tokens, cache_read_tokens, "
		"cache_write_tokens, cost_usd, duration_ms, attempts, status, "
		"error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		-1, &st, NULL) != SQLITE_OK) {
		log_error("recording an LLM call: %s", sqlite3_errmsg(db));
		return;
	}
	sqlite3_bind_text(st, 1, stamp, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->model, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->usage.input_tokens);
	sqlite3_bind_int64(st, 5, r->usage.output_tokens);
	sqlite3_bind_int64(st, 6, r->usage.cache_read_tokens);
	sqlite3_bind_int64(st, 7, r->usage.cache_write_tokens);
	if (r->priced)
		sqlite3_bind_double(st, 8, r->cost_usd);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int64(st, 9, r->duration_ms);
	sqlite3_bind_int(st, 10, r->attempts);
	sqlite3_bind_text(st, 11, r->status, -1, SQLITE_STATIC);
	if (r->error != NULL)
		sqlite3_bind_text(st, 12, r->error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 12);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_error("recording an LLM call: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

int
gate_call(const struct config *cfg, const char *spec, struct llm_request *req,
    llm_delta_cb cb, void *arg, const struct cancel *cancel,
    struct llm_response *out, struct llm_error *err)
{
	struct llm_provider *p;
	struct gate_record r;
	gate_observer fn;
	void *fnarg;
	char *model = NULL, *cause = NULL;
	int64_t started = time_wall_ms();
	uint64_t t0 = time_mono_ms();
	int rc;

	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	if (spec == NULL)
		spec = config_str(cfg, "engine.default_model");
	if ((p = llm_resolve(cfg, spec, &model, &cause)) == NULL) {
		err->cls = LLM_ERR_CONFIG;
		snprintf(err->message, sizeof err->message, "%s", cause);
		free(cause);
		return -1;
	}
	req->model = model;
	rc = llm_call(p, req, cb, arg, cancel, out, err);

	memset(&r, 0, sizeof r);
	r.provider = p->name;
	r.model = model;
	if (rc == 0)
		r.usage = out->usage;
	r.priced = llm_cost_usd(p->name, model, &r.usage, &r.cost_usd) == 0;
	r.duration_ms = (long)(time_mono_ms() - t0);
	r.attempts = err->attempts;
	r.status = rc == 0 ? "ok" : llm_error_class_name(err->cls);
	r.error = rc == 0 ? NULL : err->message;
	log_info("%s/%s: %s in %ld ms, %d attempt%s, %lld in / %lld out "
		 "tokens",
	    p->name, model, r.status, r.duration_ms, r.attempts,
	    r.attempts == 1 ? "" : "s", r.usage.input_tokens,
	    r.usage.output_tokens);
	gate_record_db(&r, started);
	pthread_mutex_lock(&gate_lock);
	fn = gate_fn;
	fnarg = gate_arg;
	pthread_mutex_unlock(&gate_lock);
	if (fn != NULL)
		fn(&r, fnarg);

	req->model = NULL;
	free(model);
	llm_provider_free(p);
	return rc;
}

json_t *
gate_usage(sqlite3 *db, char **cause)
{
	return db_rows(db,
	    "SELECT provider, model, status, COUNT(*) AS calls, "
	    "SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS "
	    "output_tokens, COALESCE(SUM(cost_usd), 0.0) AS cost_usd "
	    "FROM llm_calls GROUP BY provider, model, status",
	    0, NULL, 1000, cause);
}
