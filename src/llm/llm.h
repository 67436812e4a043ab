/*
 * llm.h — one interface over LLM providers (Anthropic Messages, OpenAI
 * Chat Completions and everything OpenAI-compatible, whose /embeddings
 * too).  Providers know no kernel: the kernel reaches them only through
 * gate_call() and gate_embed() (kernel/gate.h).
 *
 * Messages use one canonical JSON form, whatever the provider:
 *   [{"role": "user" | "assistant" | "tool",
 *     "content": [ {"type": "text", "text": "..."},
 *                  {"type": "tool_use", "id": "...", "name": "...",
 *                   "input": {...}},                        (assistant)
 *                  {"type": "tool_result", "tool_use_id": "...",
 *                   "content": "...", "is_error": false}    (tool) ]}]
 * A "content" given as a plain string is taken as one text block.
 * Tools: [{"name", "description", "input_schema": {JSON Schema}}].
 * In an answer, a tool call whose arguments are not a JSON object has
 * "input": {} and "input_error": what is wrong with them (for the model;
 * the loop answers it and never sends the member back).
 */
#ifndef OXIOS_LLM_LLM_H
#define OXIOS_LLM_LLM_H

#include <stddef.h>
#include <jansson.h>

#include "util/cancel.h"

#define LLM_MAX_RESPONSE (64 * 1024 * 1024) /* bytes of one response */
#define LLM_EMBED_MAX_INPUTS 2048 /* texts of one embeddings request */
#define LLM_EMBED_MAX_DIM 65536   /* numbers of one vector */
/* Bytes of one embeddings answer: 64 KiB and 1 MiB a text, at most
 * 16 MiB (one number takes at least two bytes of JSON). */
#define LLM_EMBED_PER_TEXT (1024 * 1024)
#define LLM_EMBED_MAX_RESPONSE (16 * 1024 * 1024)

enum llm_kind { LLM_ANTHROPIC, LLM_OPENAI };

struct llm_error;

/* A configured provider (see llm_provider_from_config()). */
struct llm_provider {
	char *name;         /* "anthropic", "openai", "local" ... */
	enum llm_kind kind; /* its wire format */
	char *base_url;     /* Anthropic: without /v1; OpenAI: with /v1 */
	char *api_key;      /* secret: never logged; may be NULL */
	long connect_timeout_ms;
	long idle_timeout_ms; /* a stream silent this long fails */
	int max_retries;      /* retries of transient and rate-limit errors */
	long retry_base_ms;   /* first backoff; doubles, with jitter */
	long retry_max_total_ms; /* no retry starts after this much time */
	/*
	 * Told of each attempt answered 429 or 529 that will be retried (the
	 * gate's scheduler): it waits for the provider's admission itself and
	 * returns 0 to retry at once, or -1 if `cancel` fired.  NULL: back off
	 * as usual.
	 */
	int (*throttled)(void *arg, const struct llm_error *err,
	    const struct cancel *cancel);
	void *throttled_arg;
};

struct llm_request {
	const char *model;      /* the provider's model id (no "provider/") */
	const char *system;     /* or NULL */
	const json_t *messages; /* canonical, see above (borrowed) */
	const json_t *tools;    /* or NULL (borrowed) */
	int max_tokens;
	double temperature; /* < 0: the provider's default */
	const json_t *stop; /* array of strings, or NULL (borrowed) */
	int stream;         /* stream deltas to the callback */
};

struct llm_usage {
	long long input_tokens;
	long long output_tokens;
	long long cache_read_tokens;
	long long cache_write_tokens;
};

struct llm_response {
	json_t *content;   /* canonical blocks (owned) */
	char *stop_reason; /* end_turn, tool_use, max_tokens, stop_sequence */
	char *id;          /* the provider's message id */
	char *model;       /* the model that answered */
	struct llm_usage usage;
};

enum llm_delta_kind {
	LLM_DELTA_TEXT,       /* text: a piece of an answer */
	LLM_DELTA_THINKING,   /* text: a piece of reasoning */
	LLM_DELTA_TOOL_START, /* tool_id, tool_name: a tool call begins */
	LLM_DELTA_TOOL_ARGS,  /* text: a fragment of its JSON arguments */
	LLM_DELTA_USAGE,      /* usage: counts so far */
	LLM_DELTA_RESET,      /* the call is retried: drop what came so far */
};

struct llm_delta {
	enum llm_delta_kind kind;
	int index;        /* content block / tool call index */
	const char *text; /* NUL-terminated piece; "" for other kinds */
	size_t len;
	const char *tool_id;
	const char *tool_name;
	const struct llm_usage *usage;
};

/* A streamed piece; return nonzero to cancel the call. */
typedef int (*llm_delta_cb)(const struct llm_delta *d, void *arg);

enum llm_error_class {
	LLM_OK,
	LLM_ERR_TRANSIENT,   /* network, 5xx, 529, cut stream: retried */
	LLM_ERR_RATE_LIMIT,  /* 429: retried after Retry-After */
	LLM_ERR_AUTH,        /* 401, 403 */
	LLM_ERR_CONTEXT,     /* prompt too long for the model */
	LLM_ERR_BAD_REQUEST, /* 400 and other 4xx */
	LLM_ERR_PROTOCOL,    /* the answer broke the wire format */
	LLM_ERR_CANCELLED,   /* the caller cancelled */
	LLM_ERR_CONFIG,      /* no key, bad base URL ... */
	LLM_ERR_UNAVAILABLE, /* refused: the provider's breaker is open */
	LLM_ERR_BUDGET,      /* refused by a budget (kernel/budget.h) */
};

struct llm_error {
	enum llm_error_class cls;
	int status;          /* last HTTP status, 0 if none */
	int attempts;        /* requests made, retries included */
	long retry_after_ms; /* what the provider asked for, or -1 */
	char message[512];   /* for people: names provider and cause */
};

/* "transient", "rate_limited", "auth" ... */
const char *llm_error_class_name(enum llm_error_class c);

/*
 * Make one call, retrying what is worth retrying (transient, rate-limit
 * and protocol errors) with jittered exponential backoff, honouring
 * Retry-After.  When deltas were already delivered, a LLM_DELTA_RESET
 * precedes the retry.  `cancel` (may be NULL) is polled beside the
 * connection: when it fires the call ends at once (LLM_ERR_CANCELLED).
 * Returns 0 with *out filled (caller llm_response_free()s it), or -1 with
 * *err filled.
 */
int llm_call(const struct llm_provider *p, const struct llm_request *req,
    llm_delta_cb cb, void *arg, const struct cancel *cancel,
    struct llm_response *out, struct llm_error *err);
void llm_response_free(struct llm_response *r);

/*
 * The embeddings of texts[0..n) from an OpenAI-compatible provider:
 * POST {base_url}/embeddings {"model", "input"} ("input" one string when
 * n is 1, else a list), answered {"data": [{"index", "embedding": [...]}],
 * "usage": {"prompt_tokens", ...}}.  Every text must be UTF-8; the answer
 * is capped (LLM_EMBED_*) and must hold n vectors of one dimension, one per
 * index.  Errors, retries, Retry-After, cancellation and the scrubbing of
 * keys from messages are llm_call()'s.  Returns 0 with *vectors (n * *dim
 * floats, vector i at i * *dim; caller frees), *dim and *usage (input
 * tokens), or -1 with *err filled (*vectors NULL).
 */
int llm_embed(const struct llm_provider *p, const char *model,
    const char *const *texts, size_t n, const struct cancel *cancel,
    float **vectors, int *dim, struct llm_usage *usage, struct llm_error *err);
void llm_provider_free(struct llm_provider *p);

/* The text blocks of a response joined.  New string (caller frees). */
char *llm_response_text(const struct llm_response *r);

/*
 * The arguments of a tool call as the model sent them (`len` bytes of
 * JSON; empty is {}): an object (new reference; strings may hold NUL),
 * or NULL with *why (allocated; caller frees): not JSON, a duplicate
 * key, not an object.
 */
json_t *llm_tool_input(const char *text, size_t len, char **why);

#endif
