/*
 * gate.h — the one gate every LLM call passes (ARCHITECTURE.md): resolve
 * the provider, reserve the budget (kernel/budget.h), wait for the
 * scheduler's admission (kernel/scheduler.h; chat calls), ask the circuit
 * breaker (kernel/breaker.h), call, settle usage, cost and budget,
 * record, notify.
 * Chat calls (gate_call()) and embeddings (gate_embed()) take the same
 * steps and leave the same record, told apart by its kind.  No other code
 * calls a provider.
 */
#ifndef OXIOS_KERNEL_GATE_H
#define OXIOS_KERNEL_GATE_H

#include <sqlite3.h>

#include "config/config.h"
#include "llm/llm.h"

/*
 * What one call cost: handed to the observer after it ends, and to the
 * caller that asks for it.  The strings are the record's own, but error,
 * which points into the caller's struct llm_error.
 */
struct gate_record {
	const char *kind; /* "chat" or "embedding" (llm_calls.kind) */
	char phase[16];   /* X-Oxios-Phase (llm_calls.phase) */
	char provider[64];
	char model[256]; /* longer names are cut */
	struct llm_usage usage;
	int priced; /* whether cost_usd means anything */
	double cost_usd;
	long duration_ms;
	int attempts;
	const char *status; /* "ok" or the error class name */
	const char *error;  /* NULL when ok */
	long queue_ms;      /* waited for the scheduler's admission */
	char agent_id[40];  /* who it was for (kernel/scope.h); "" none */
	char principal[64];
	const char *cls; /* call_class_name() */
};

typedef void (*gate_observer)(const struct gate_record *rec, void *arg);

/* Be told of every call (the event bus subscribes here).  NULL clears. */
void gate_set_observer(gate_observer fn, void *arg);

/*
 * Call the model `spec` ("provider/model"; NULL: engine.default_model)
 * with `req` (its model field is filled in here; its phase, NULL for
 * "chat", goes out as X-Oxios-Phase and into the record: an unknown one
 * is refused, LLM_ERR_BAD_REQUEST, before anything is sent or recorded).  The calling thread's
 * database connection (db_get()) records the call when there is one.
 * `rec` (may be NULL) gets the record, whatever the outcome (all zero if
 * the provider could not be resolved).  Returns 0 with *out (caller
 * llm_response_free()s), or -1 with *err.  When the provider's circuit
 * breaker refuses the call, or the call was its probe and failed, the
 * models of engine.fallback_models are tried in order, each through the
 * same steps; `rec` then names the one that served the call (or the
 * first model, if none did).
 */
int gate_call(const struct config *cfg, const char *spec,
    struct llm_request *req, llm_delta_cb cb, void *arg,
    const struct cancel *cancel, struct llm_response *out,
    struct gate_record *rec, struct llm_error *err);

/*
 * gate_call() for a run whose budget `scope` (may be NULL: the global
 * limits only) is given: a call that would exceed a budget is refused
 * before it is sent, with err->cls LLM_ERR_BUDGET and a message naming
 * the budget.
 */
struct call_scope;
int gate_call_scoped(const struct config *cfg, const struct call_scope *scope,
    const char *spec, struct llm_request *req, llm_delta_cb cb, void *arg,
    const struct cancel *cancel, struct llm_response *out,
    struct gate_record *rec, struct llm_error *err);

/*
 * The memory embedder (memory.embedder = "api"): its provider and model,
 * resolved once from a configuration (llm_embedder_get()) and kept by the
 * memory service.  Reference counted: a thread holds a reference while it
 * embeds, so the service may close meanwhile.
 */
struct gate_embedder;

/* A new embedder (one reference), or NULL with *cause. */
struct gate_embedder *gate_embedder_new(const struct config *cfg, char **cause);
/* Another reference to `e` (returned); NULL stays NULL. */
struct gate_embedder *gate_embedder_ref(struct gate_embedder *e);
/* Drop one; the last frees it (and wipes its key).  NULL is ignored. */
void gate_embedder_unref(struct gate_embedder *e);
/* Its model, as configured ("nomic-embed-text"). */
const char *gate_embedder_model(const struct gate_embedder *e);

/*
 * Embed texts[0..n) with `e` (llm_embed()): the gate's steps as for a
 * chat call, recorded as kind "embedding".  Returns 0 with *vectors (n *
 * *dim floats, as the provider gave them; caller frees), or -1 with *err
 * (LLM_ERR_CANCELLED when `cancel`, which may be NULL, fired).  `rec` as
 * for gate_call().
 */
int gate_embed(const struct gate_embedder *e, const char *const *texts,
    size_t n, const struct cancel *cancel, float **vectors, int *dim,
    struct gate_record *rec, struct llm_error *err);

/*
 * What the recorded calls (llm_calls) add up to, by provider, model, kind
 * and status: [{provider, model, kind, status, calls, input_tokens,
 * output_tokens, cost_usd}].  New reference, or NULL with *cause.
 */
json_t *gate_usage(sqlite3 *db, char **cause);
#endif
