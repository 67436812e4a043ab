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
#include <stdint.h>
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

#define LLM_RL_MAX_VALUE 128         /* bytes of a rate-limit header value */
#define LLM_RL_MAX_COUNT 1000000000L /* requests or tokens */
#define LLM_RL_MAX_MS 86400000L      /* a wait: one day */

/*
 * What the rate-limit headers of one answer said (ratelimit.c); -1 where
 * a header was absent or unreadable.  Waits are in ms from when the
 * answer came.  Limits are per minute, as both providers count them.
 */
struct llm_ratelimit {
	long req_limit, req_remaining, req_reset_ms;
	long tok_limit, tok_remaining, tok_reset_ms;
	long retry_after_ms;      /* retry-after, or retry-after-ms */
	int retry_after_ms_exact; /* it came from retry-after-ms */
	int seen;                 /* at least one header was read */
};

/* All unknown. */
void llm_ratelimit_init(struct llm_ratelimit *rl);
/*
 * Read one header line ("Name: value", `len` bytes, CRLF or not) into
 * `rl` if it is a rate-limit header; `now_ms` (wall clock) turns dates
 * into waits.  1 if read, 0 if not one or unreadable.
 */
int llm_ratelimit_header(struct llm_ratelimit *rl, const char *line, size_t len,
    int64_t now_ms);
/* A Go duration ("1s", "6m0s", "20ms", "1.5h") in ms, or -1. */
long llm_ratelimit_duration(const char *v);
/* An RFC 3339 time as a wait from `now_ms` (0 if past), or -1. */
long llm_ratelimit_time(const char *v, int64_t now_ms);
/* Retry-After (seconds, or an HTTP date) as a wait in ms, or -1. */
long llm_ratelimit_retry_after(const char *v, int64_t now_ms);
/*
 * How long an answer of `status` asks to wait before a retry: its
 * Retry-After, or for a 429 without one the reset of what ran out; -1
 * if it does not say.
 */
long llm_ratelimit_wait(const struct llm_ratelimit *rl, int status);

/* A configured provider (see llm_provider_from_config()). */
struct llm_provider {
	char *name;         /* "anthropic", "openai", "local" ... */
	enum llm_kind kind; /* its wire format */
	char *base_url;     /* Anthropic: without /v1; OpenAI: with /v1 */
	char *api_key;      /* secret: never logged; may be NULL */
	/*
	 * Where its key would come from when it must have one and has none
	 * (a hosted API at its built-in URL: "ANTHROPIC_API_KEY"; a provider
	 * whose api_key_env is unset): every call then fails at once,
	 * LLM_ERR_CONFIG, before anything is sent.  NULL: no key needed.
	 */
	char *key_missing;
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
	/*
	 * Told, after each attempt whose answer (success or error) carried
	 * rate-limit headers, what they said (the gate's scheduler).  It must
	 * not block.  NULL: ignored.
	 */
	void (*observe)(void *arg, const struct llm_ratelimit *rl);
	void *observe_arg;
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
	/*
	 * The name of a tool of `tools` the model must call (Anthropic
	 * {"type": "tool", "name"}, OpenAI {"type": "function", "function":
	 * {"name"}}); NULL: the model chooses.  A name not among the tools is
	 * refused before anything is sent.
	 */
	const char *tool_choice;
	/* What the call is for, sent as X-Oxios-Phase (llm_phase_valid());
	 * NULL: "chat". */
	const char *phase;
};

#define LLM_PHASE_HEADER "X-Oxios-Phase"
/*
 * Whether `phase` is one of the phases a request may name: triage,
 * interview, seed, execute, evaluate, evolve (Ouroboros), chat, dream,
 * embedding, space (a space chosen by the model), summary (the
 * conversation buffer).  An unknown one is refused (LLM_ERR_BAD_REQUEST) before
 * anything is sent.
 */
int llm_phase_valid(const char *phase);

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
	LLM_DELTA_RETRY,      /* text: why the attempt failed; index: the
				 attempt that failed; wait_ms: the wait
				 before the next (-1: until the scheduler
				 admits it) */
};

struct llm_delta {
	enum llm_delta_kind kind;
	int index;        /* content block / tool call index */
	const char *text; /* NUL-terminated piece; "" for other kinds */
	size_t len;
	const char *tool_id;
	const char *tool_name;
	const struct llm_usage *usage;
	long wait_ms; /* RETRY */
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
	int unreachable;     /* no connection: the host did not resolve or
				refused; not retried for a provider with no
				key (a server at a URL someone wrote) */
	char message[512];   /* for people: names provider and cause */
};

/* "transient", "rate_limited", "auth" ... */
const char *llm_error_class_name(enum llm_error_class c);

/*
 * Make one call, retrying what is worth retrying (transient, rate-limit
 * and protocol errors) with jittered exponential backoff, honouring
 * Retry-After.  Before each wait a LLM_DELTA_RETRY says why; when deltas
 * were already delivered, a LLM_DELTA_RESET precedes the retry.  `cancel` (may be NULL) is polled beside the
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
 * "usage": {"prompt_tokens", ...}}, with X-Oxios-Phase `phase` (NULL:
 * "embedding").  Every text must be UTF-8; the answer
 * is capped (LLM_EMBED_*) and must hold n vectors of one dimension, one per
 * index.  Errors, retries, Retry-After, cancellation and the scrubbing of
 * keys from messages are llm_call()'s.  Returns 0 with *vectors (n * *dim
 * floats, vector i at i * *dim; caller frees), *dim and *usage (input
 * tokens), or -1 with *err filled (*vectors NULL).
 */
int llm_embed(const struct llm_provider *p, const char *model,
    const char *phase, const char *const *texts, size_t n,
    const struct cancel *cancel, float **vectors, int *dim,
    struct llm_usage *usage, struct llm_error *err);
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
