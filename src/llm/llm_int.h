/*
 * llm_int.h — what the driver (llm.c) and the wire formats (anthropic.c,
 * openai.c) share.  Not for use outside src/llm.
 */
#ifndef OXIOS_LLM_LLM_INT_H
#define OXIOS_LLM_LLM_INT_H

#include "llm/curl_dl.h"

#include "llm/llm.h"
#include "llm/sse.h"
#include "util/buf.h"

#define LLM_MAX_BLOCKS 256 /* content blocks / tool calls in one answer */

/* One content block being assembled from a stream. */
struct llm_block {
	char *type;      /* "text", "thinking", "tool_use" */
	struct buf text; /* text, or the tool's JSON arguments */
	char *tool_id;
	char *tool_name;
};

/* A response being assembled, streamed or not. */
struct llm_stream {
	const struct llm_provider *p;
	llm_delta_cb cb;
	void *arg;
	/* Told of each retry (LLM_DELTA_RETRY), streaming or not; with
	 * arg.  May be NULL. */
	llm_delta_cb retry_cb;
	struct llm_block blocks[LLM_MAX_BLOCKS];
	int nblocks;
	int delivered; /* deltas handed to cb: no retry after this */
	int done;      /* the format's end marker was seen */
	int cancelled; /* cb asked to stop */
	char *stop_reason;
	char *id;
	char *model;
	struct llm_usage usage;
	struct llm_error *err; /* set when the stream reports an error */
	int failed;
};

struct llm_ops {
	/* URL of a generation request.  New string. */
	char *(*url)(const struct llm_provider *p);
	/* Headers: content type, auth, version.  Caller frees the list. */
	struct curl_slist *(*headers)(const struct llm_provider *p);
	/* The request body.  New reference, or NULL with err filled. */
	json_t *(*body)(const struct llm_request *req, struct llm_error *err);
	/* One SSE event of a stream.  0, or -1 with s->err filled. */
	int (*event)(struct llm_stream *s, const struct sse_event *ev);
	/* A whole (non-stream) answer.  0, or -1 with s->err filled. */
	int (*parse)(struct llm_stream *s, const json_t *body);
	/* The provider's error message from an error body, or NULL. */
	const char *(*error_message)(const json_t *body);
	/* Whether an error body says the context is too long. */
	int (*is_context_error)(const json_t *body);
};

extern const struct llm_ops llm_anthropic_ops;
extern const struct llm_ops llm_openai_ops;

/* One kind of request: what it sends, and how a whole answer is read. */
struct llm_xfer {
	const struct llm_ops *ops; /* headers, stream events, error bodies */
	const char *url;
	const char *body;    /* JSON text */
	const char *model;   /* for the log */
	const char *phase;   /* X-Oxios-Phase; valid (llm_phase_valid()) */
	int stream;          /* a 2xx event stream is parsed as it comes */
	size_t max_response; /* bytes of a whole answer (or an error body) */
	/* A whole 2xx answer.  0, or -1 with the stream failed. */
	int (*parse)(const struct llm_xfer *x, struct llm_stream *s,
	    const json_t *answer);
	/* After an exchange that went well (NULL: nothing to do).  0, or -1
	 * with the stream failed; retried like a failed exchange. */
	int (*finish)(const struct llm_xfer *x, struct llm_stream *s);
	void *arg; /* parse's and finish's */
};

/*
 * Make the request of `x` for s->p, retrying transient, rate-limit and
 * protocol errors with jittered exponential backoff that honours
 * Retry-After, within the provider's limits; `cancel` (may be NULL) ends
 * it at once.  `s` (p, err, and cb/arg for streams, set by the caller)
 * is reset before each attempt; the caller resets it after.  A failure's
 * message says how many attempts were made and holds no key.  0, or -1
 * with *s->err filled.
 */
int llm_exchange(const struct llm_xfer *x, struct llm_stream *s,
    const struct cancel *cancel);
void llm_error_set(struct llm_error *err, enum llm_error_class cls,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Stream helpers for the wire formats. */
struct llm_block *llm_stream_block(struct llm_stream *s, int index,
    const char *type);
int llm_stream_delta(struct llm_stream *s, enum llm_delta_kind kind, int index,
    const char *text, size_t len);
void llm_stream_fail(struct llm_stream *s, enum llm_error_class cls,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The URL as people may see it (no user:password@, no ?query) in out. */
void llm_url_shown(const char *url, char *out, size_t size);
/*
 * A provider that must have a key and has none (p->key_missing): err says
 * what to do ("no ANTHROPIC_API_KEY: run 'oxios onboard' or export it"),
 * LLM_ERR_CONFIG, and -1; nothing is sent.  0 otherwise.
 */
int llm_key_check(const struct llm_provider *p, struct llm_error *err);
/* base_url (trailing '/' dropped) + path.  New string. */
char *llm_url(const char *base_url, const char *path);
/* Free what a stream holds and make it empty (for the next attempt). */
void llm_stream_reset(struct llm_stream *s);
/* Blocks -> a response.  0, or -1 with the stream failed. */
int llm_stream_finish(struct llm_stream *s, struct llm_response *out);
/* Canonical message content as an array of blocks (string -> text). */
json_t *llm_content_blocks(const json_t *content);
/* The stop reason in Oxios's words. */
const char *llm_stop_reason(const char *provider_reason);

#endif
