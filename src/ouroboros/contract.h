/*
 * contract.h — the contract of Ouroboros with the model: every structured
 * answer comes through a forced tool call whose arguments are validated
 * against the tool's JSON Schema (util/jsonschema.h, the validator of the
 * tool registry), never through parsing prose (docs/ouroboros.md).
 *
 * The five tools and their schemas (src/ouroboros/schemas/NAME.json,
 * embedded at build by scripts/embed_json.py): triage (triage),
 * score_clarity (interview),
 * write_seed (seed), judge (evaluate), evolve_seed (evolve: write_seed's
 * arguments and a rationale).  Every schema is strict: no member beyond
 * those named, the required ones present, strings and arrays capped.
 *
 * The retry rule: an answer that calls no tool, calls another one, or
 * calls it with arguments that are not valid is answered once with what
 * was wrong (as the tool's result, or as a user turn after prose) and
 * asked again; a second such answer fails with "TOOL: ..." naming the
 * first problem found.  A failed LLM call is not retried here (the driver
 * and the gate retry what is worth retrying).
 */
#ifndef OXIOS_OUROBOROS_CONTRACT_H
#define OXIOS_OUROBOROS_CONTRACT_H

#include <jansson.h>

#include "agent/registry.h"
#include "config/config.h"
#include "llm/llm.h"

struct call_scope;

/* The embedded schemas (ouro_schemas_gen.c), ending with a NULL row. */
extern const struct tool_schema_src ouro_schema_srcs[];

#define OURO_ASK_TRIES 2          /* the first answer and one retry */
#define OURO_ASK_MAX_TOKENS 4096  /* when the caller names none */
#define OURO_ASK_MAX_PROBLEM 2000 /* bytes of a problem told the model */

/*
 * Check `args` against the schema of `tool`.  0 if valid; else -1 with
 * *cause (caller frees): "TOOL: " and the validator's errors (a JSON
 * pointer each, at most JSONSCHEMA_MAX_ERRORS joined with "; "), or
 * "unknown tool".  `cause` may be NULL.
 */
int ouro_contract_validate(const char *tool, const json_t *args, char **cause);

/*
 * The tool `tool` as offered to a model: {"name", "description",
 * "input_schema"} (llm.h).  New reference, or NULL for an unknown name.
 */
json_t *ouro_contract_tool(const char *tool);

/* One question to the model. */
struct ouro_ask {
	const char *tool;   /* score_clarity, write_seed, judge, evolve_seed */
	const char *phase;  /* X-Oxios-Phase (llm_phase_valid()) */
	const char *model;  /* "provider/model"; NULL: engine.default_model */
	const char *system; /* or NULL */
	const json_t *messages; /* the conversation so far (borrowed; kept) */
	int max_tokens;         /* 0: OURO_ASK_MAX_TOKENS */
};

/*
 * One LLM call with `req` (as gate_call_scoped() makes it, without
 * deltas): 0 with *out filled (the caller llm_response_free()s it), or -1
 * with *err.
 */
typedef int (*ouro_call_fn)(void *arg, struct llm_request *req,
    struct llm_response *out, struct llm_error *err);

/*
 * Ask with `call` (the seam the unit tests script): offer the one tool,
 * force it, validate, retry once as above.  The validated arguments (new
 * reference, caller decrefs), or NULL with *cause (caller frees) naming
 * the tool.
 */
json_t *ouro_contract_ask(const struct ouro_ask *ask, ouro_call_fn call,
    void *arg, char **cause);

/*
 * ouro_contract_ask() through the gate: each try is one
 * gate_call_scoped() with `scope` (may be NULL) and `cancel` (may be
 * NULL), recorded in llm_calls with the ask's phase.
 */
json_t *ouro_ask(const struct config *cfg, const struct call_scope *scope,
    const struct ouro_ask *ask, const struct cancel *cancel, char **cause);

#endif
