/*
 * gate.h — the one gate every LLM call passes (ARCHITECTURE.md): resolve
 * the provider, [scheduler admission, budget reservation and circuit
 * breaker: later issues], call, settle usage and cost, record, notify.
 * No other code calls a provider.
 */
#ifndef OXIOS_KERNEL_GATE_H
#define OXIOS_KERNEL_GATE_H

#include <sqlite3.h>

#include "config/config.h"
#include "llm/llm.h"

/* What one call cost, handed to the observer after it ends. */
struct gate_record {
	const char *provider;
	const char *model;
	struct llm_usage usage;
	int priced; /* whether cost_usd means anything */
	double cost_usd;
	long duration_ms;
	int attempts;
	const char *status; /* "ok" or the error class name */
	const char *error;  /* NULL when ok */
};

typedef void (*gate_observer)(const struct gate_record *rec, void *arg);

/* Be told of every call (the event bus subscribes here).  NULL clears. */
void gate_set_observer(gate_observer fn, void *arg);

/*
 * Call the model `spec` ("provider/model"; NULL: engine.default_model)
 * with `req` (its model field is filled in here).  The calling thread's
 * database connection (db_get()) records the call when there is one.
 * Returns 0 with *out (caller llm_response_free()s), or -1 with *err.
 */
int gate_call(const struct config *cfg, const char *spec,
    struct llm_request *req, llm_delta_cb cb, void *arg,
    const struct cancel *cancel, struct llm_response *out,
    struct llm_error *err);

/*
 * What the recorded calls (llm_calls) add up to, by provider, model and
 * status: [{provider, model, status, calls, input_tokens, output_tokens,
 * cost_usd}].  New reference, or NULL with *cause.
 */
json_t *gate_usage(sqlite3 *db, char **cause);
#endif
