/*
 * llm.c — the provider-independent driver: one HTTP exchange over libcurl
 * (streamed through the SSE parser, or whole), error classes, and retries
 * with jittered exponential backoff that honour Retry-After.  Chat calls
 * (llm_call()) and embeddings (embeddings.c) are two kinds of request
 * (struct llm_xfer) through the same llm_exchange().
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "llm/llm_int.h"
#include "llm/models.h"
#include "util/json.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/time.h"
#include "util/xalloc.h"

#define LLM_BACKOFF_CAP_MS 30000

struct llm_http {
	struct llm_stream *s;
	const struct llm_ops *ops;
	const struct llm_xfer *x;
	struct sse_parser *sse; /* set once a 2xx event stream starts */
	struct buf body;        /* a whole answer, or an error body */
	long status;
	struct llm_ratelimit rl; /* the answer's rate-limit headers */
	int started;             /* the first body byte arrived */
	uint64_t last_rx_ms;     /* when bytes last arrived (monotonic) */
	long idle_ms;            /* silence allowed once connected */
	int idle;                /* the idle timeout fired */
	int too_large;
	const struct cancel *cancel;
	CURL *curl;
};

const char *
llm_error_class_name(enum llm_error_class c)
{
	static const char *const names[] = { "ok", "transient", "rate_limited",
		"auth", "context_overflow", "bad_request", "protocol",
		"cancelled", "config", "unavailable", "budget" };

	if ((size_t)c < sizeof names / sizeof names[0])
		return names[c];
	return "unknown";
}

void
llm_error_set(struct llm_error *err, enum llm_error_class cls, const char *fmt,
    ...)
{
	va_list ap;

	err->cls = cls;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
}

char *
llm_url(const char *base_url, const char *path)
{
	size_t n = strlen(base_url);
	char *url;

	while (n > 0 && base_url[n - 1] == '/')
		n--;
	xasprintf(&url, "%.*s%s", (int)n, base_url, path);
	return url;
}

static int
llm_sse_event(const struct sse_event *ev, void *arg)
{
	struct llm_http *h = arg;

	if (h->s->done)
		return 0;
	if (h->ops->event(h->s, ev) != 0 || h->s->failed || h->s->cancelled)
		return 1;
	return 0;
}

static size_t
llm_header(char *line, size_t size, size_t n, void *arg)
{
	struct llm_http *h = arg;
	size_t len = size * n;

	h->last_rx_ms = time_mono_ms();
	/* A new header block (after a 100 Continue or a redirect) starts
	 * over. */
	if (len > 5 && strncmp(line, "HTTP/", 5) == 0)
		llm_ratelimit_init(&h->rl);
	llm_ratelimit_header(&h->rl, line, len, time_wall_ms());
	return len;
}

static size_t
llm_write(char *data, size_t size, size_t n, void *arg)
{
	struct llm_http *h = arg;
	size_t len = size * n;
	char *ctype = NULL;

	h->last_rx_ms = time_mono_ms();
	if (!h->started) {
		h->started = 1;
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
		curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ctype);
		/* A 2xx event stream is parsed as it comes; anything else
		 * (an error, or a server that answered with plain JSON) is
		 * collected whole. */
		if (h->x->stream && h->status >= 200 && h->status < 300 &&
		    ctype != NULL &&
		    strncasecmp(ctype, "text/event-stream", 17) == 0)
			h->sse = sse_new(0, llm_sse_event, NULL, h);
	}
	if (h->sse != NULL) {
		if (sse_feed(h->sse, data, len) != 0)
			return 0; /* abort: failed, cancelled, or too large */
		return len;
	}
	if (buf_add(&h->body, data, len) != 0) {
		h->too_large = 1;
		return 0;
	}
	return len;
}

static int
llm_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct llm_http *h = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	if (cancel_fired(h->cancel))
		return 1;
	/* Silence since the last byte (libcurl's low-speed check averages
	 * over seconds, too coarse for this). */
	if (h->last_rx_ms != 0 && h->idle_ms > 0 &&
	    time_mono_ms() - h->last_rx_ms > (uint64_t)h->idle_ms) {
		h->idle = 1;
		return 1;
	}
	return 0;
}

/* Classify an HTTP error answer. */
static void
llm_http_error(struct llm_http *h, struct llm_error *err)
{
	const struct llm_provider *p = h->s->p;
	json_t *body;
	const char *msg = NULL, *what;
	enum llm_error_class cls;

	body = json_loadb(buf_str(&h->body), h->body.len, 0, NULL);
	if (body != NULL)
		msg = h->ops->error_message(body);
	if (h->status == 429) {
		cls = LLM_ERR_RATE_LIMIT;
		what = "rate limited";
	} else if (h->status == 401 || h->status == 403) {
		cls = LLM_ERR_AUTH;
		what = "authentication failed";
	} else if (h->status >= 500 || h->status == 408 || h->status == 409) {
		cls = LLM_ERR_TRANSIENT;
		what = h->status == 529 ? "overloaded" : "server error";
	} else if (body != NULL && h->ops->is_context_error(body)) {
		cls = LLM_ERR_CONTEXT;
		what = "prompt too long for the model";
	} else {
		cls = LLM_ERR_BAD_REQUEST;
		what = "request refused";
	}
	llm_error_set(err, cls, "%s: %s (HTTP %ld)%s%.300s", p->name, what,
	    h->status, msg != NULL ? ": " : "", msg != NULL ? msg : "");
	json_decref(body);
}

/* The URL as people may see it: no user:password@, no ?query. */
void
llm_url_shown(const char *url, char *out, size_t size)
{
	const char *host = strstr(url, "://"), *at;
	size_t scheme, hostlen;

	host = host != NULL ? host + 3 : url;
	scheme = (size_t)(host - url);
	hostlen = strcspn(host, "/?#");
	if ((at = memchr(host, '@', hostlen)) != NULL)
		host = at + 1;
	snprintf(out, size, "%.*s%.*s", (int)scheme, url,
	    (int)strcspn(host, "?#"), host);
}

/*
 * Run the transfer on a multi handle, so that the wait for the network
 * also wakes when `cancel` fires (its fd is polled beside the socket).
 * The progress callback still runs at least once a second (idle check).
 */
static CURLcode
llm_perform(CURL *curl, const struct cancel *cancel)
{
	struct curl_waitfd wfd;
	CURLMsg *msg;
	CURLM *m;
	CURLcode res = CURLE_FAILED_INIT;
	int running = 1, left;

	if ((m = curl_multi_init()) == NULL)
		return CURLE_OUT_OF_MEMORY;
	if (curl_multi_add_handle(m, curl) != CURLM_OK) {
		curl_multi_cleanup(m);
		return CURLE_FAILED_INIT;
	}
	for (;;) {
		if (curl_multi_perform(m, &running) != CURLM_OK || !running)
			break;
		if (cancel_fired(cancel)) {
			res = CURLE_ABORTED_BY_CALLBACK;
			goto out;
		}
		memset(&wfd, 0, sizeof wfd);
		wfd.fd = cancel_fd(cancel);
		wfd.events = CURL_WAIT_POLLIN;
		if (curl_multi_poll(m, wfd.fd != -1 ? &wfd : NULL,
			wfd.fd != -1 ? 1 : 0, cancel_wait_ms(cancel, 1000),
			NULL) != CURLM_OK)
			break;
	}
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		if (msg->msg == CURLMSG_DONE)
			res = msg->data.result;
	}
out:
	curl_multi_remove_handle(m, curl);
	curl_multi_cleanup(m);
	return res;
}

/* One exchange.  0 with the stream complete, or -1 with err. */
static int
llm_attempt(const struct llm_provider *p, const struct llm_xfer *x,
    struct llm_stream *s, const struct cancel *cancel, struct llm_error *err)
{
	const struct llm_ops *ops = x->ops;
	struct llm_http h;
	struct curl_slist *headers;
	char cerr[CURL_ERROR_SIZE] = "";
	json_t *answer;
	CURL *curl;
	CURLcode res;
	long idle;
	int rc = -1;

	memset(&h, 0, sizeof h);
	h.s = s;
	h.ops = ops;
	h.x = x;
	llm_ratelimit_init(&h.rl);
	h.cancel = cancel;
	buf_init(&h.body, x->max_response);
	err->retry_after_ms = -1;
	err->status = 0;

	if ((curl = curl_easy_init()) == NULL) {
		llm_error_set(err, LLM_ERR_TRANSIENT,
		    "%s: cannot start libcurl", p->name);
		buf_free(&h.body);
		return -1;
	}
	h.curl = curl;
	headers = ops->headers(p);
	if (x->phase != NULL) {
		char line[64];

		snprintf(line, sizeof line, LLM_PHASE_HEADER ": %s", x->phase);
		headers = curl_slist_append(headers, line);
	}
	h.idle_ms = p->idle_timeout_ms > 0 ? p->idle_timeout_ms : 120000;
	idle = h.idle_ms / 1000 * 2 + 1; /* a backstop; see llm_progress() */
	curl_easy_setopt(curl, CURLOPT_URL, x->url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    p->connect_timeout_ms > 0 ? p->connect_timeout_ms : 10000L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, idle);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, llm_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, llm_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &h);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, llm_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &h);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "oxios/" OXIOS_VERSION);
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");

	h.last_rx_ms = time_mono_ms();
	res = llm_perform(curl, cancel);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &h.status);
	err->status = (int)h.status;
	err->retry_after_ms = llm_ratelimit_wait(&h.rl, err->status);
	if (h.rl.seen && p->observe != NULL)
		p->observe(p->observe_arg, &h.rl);

	if (cancel_fired(cancel)) {
		llm_error_set(err, LLM_ERR_CANCELLED, "%s: cancelled", p->name);
		goto out;
	}
	if (s->cancelled) {
		llm_error_set(err, LLM_ERR_CANCELLED,
		    "%s: cancelled by the receiver", p->name);
		goto out;
	}
	if (s->failed)
		goto out; /* the stream said why (err is s->err) */
	if (h.idle) {
		llm_error_set(err, LLM_ERR_TRANSIENT,
		    "%s: %s: no data for %ld ms", p->name,
		    h.started ? "stream stalled" : "no answer", h.idle_ms);
		goto out;
	}
	if (h.too_large) {
		llm_error_set(err, LLM_ERR_PROTOCOL,
		    "%s: answer larger than %zu bytes", p->name,
		    x->max_response);
		goto out;
	}
	if (res != CURLE_OK &&
	    (h.status < 200 || h.status >= 300 || h.sse == NULL || !s->done)) {
		if (h.status >= 300 && h.body.len > 0) {
			llm_http_error(&h, err);
			goto out;
		}
		if (res == CURLE_COULDNT_CONNECT ||
		    res == CURLE_COULDNT_RESOLVE_HOST ||
		    res == CURLE_COULDNT_RESOLVE_PROXY) {
			char shown[256];

			llm_url_shown(x->url, shown, sizeof shown);
			llm_error_set(err, LLM_ERR_TRANSIENT,
			    "%s: connection failed: cannot reach %s: %s",
			    p->name, shown,
			    cerr[0] != '\0' ? cerr : curl_easy_strerror(res));
			err->unreachable = 1;
			goto out;
		}
		llm_error_set(err, LLM_ERR_TRANSIENT, "%s: %s: %s", p->name,
		    res == CURLE_OPERATION_TIMEDOUT ?
			(h.started ? "stream stalled" : "timed out") :
			h.started ? "the answer was cut" :
				    "connection failed",
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(res));
		goto out;
	}
	if (h.status < 200 || h.status >= 300) {
		llm_http_error(&h, err);
		goto out;
	}
	if (h.sse != NULL) {
		sse_finish(h.sse);
		if (s->failed)
			goto out;
		if (!s->done) {
			llm_error_set(err, LLM_ERR_TRANSIENT,
			    "%s: the stream ended before the answer was "
			    "complete",
			    p->name);
			goto out;
		}
	} else {
		/* \u0000 is valid JSON: a tool call's input may hold it
		 * (llm_tool_input() and the tool judge it). */
		if ((answer = json_loadb(buf_str(&h.body), h.body.len,
			 JSON_ALLOW_NUL, NULL)) == NULL) {
			llm_error_set(err, LLM_ERR_PROTOCOL,
			    "%s: the answer is not valid JSON (%zu bytes)",
			    p->name, h.body.len);
			goto out;
		}
		rc = x->parse(x, s, answer);
		json_decref(answer);
		if (rc != 0 || s->failed) {
			rc = -1;
			goto out;
		}
	}
	rc = 0;
out:
	if (h.sse != NULL)
		sse_free(h.sse);
	buf_free(&h.body);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc;
}

static int
llm_retryable(enum llm_error_class c)
{
	return c == LLM_ERR_TRANSIENT || c == LLM_ERR_RATE_LIMIT ||
	    c == LLM_ERR_PROTOCOL;
}

/* Tell the receiver that attempt `attempt` failed and another follows
 * after `wait` ms (-1: once admitted).  0, or -1 if it cancels. */
static int
llm_announce(struct llm_stream *s, int attempt, long wait,
    struct llm_error *err)
{
	char why[sizeof err->message];
	struct llm_delta d = { .kind = LLM_DELTA_RETRY,
		.index = attempt,
		.text = why,
		.wait_ms = wait };

	if (s->retry_cb == NULL)
		return 0;
	snprintf(why, sizeof why, "%s", err->message);
	redact_buf(why, sizeof why, s->p->api_key);
	d.len = strlen(why);
	if (s->retry_cb(&d, s->arg) == 0)
		return 0;
	llm_error_set(err, LLM_ERR_CANCELLED, "%s: cancelled by the receiver",
	    s->p->name);
	return -1;
}

/*
 * After a failed attempt: wait before the next one (told to the
 * receiver of s first), or say why there is none.  0: try again; -1:
 * stop (err says why).
 */
static int
llm_again(struct llm_stream *s, int attempt, uint64_t start,
    const struct cancel *cancel, struct llm_error *err)
{
	const struct llm_provider *p = s->p;
	long wait, base = p->retry_base_ms > 0 ? p->retry_base_ms : 500;

	if (!llm_retryable(err->cls) || attempt > p->max_retries)
		return -1;
	/*
	 * A provider with a key is a hosted API: a lost connection there is
	 * worth a retry.  One without is a server at a URL someone wrote (a
	 * local one, not running; a name that does not resolve): retrying
	 * only delays saying so.
	 */
	if (err->unreachable && p->api_key == NULL) {
		size_t n = strlen(err->message);
		char key[160];

		/* Where its URL is set: the embedder's is memory's. */
		if (strcmp(p->name, LLM_EMBEDDER_NAME) == 0)
			snprintf(key, sizeof key, "memory.embedding_url");
		else
			snprintf(key, sizeof key, "providers.%.64s.base_url",
			    p->name);
		snprintf(err->message + n, sizeof err->message - n,
		    "; not retried: start that server, or set %s", key);
		return -1;
	}
	if (err->retry_after_ms >= 0)
		wait = err->retry_after_ms;
	else {
		wait = base << (attempt - 1 < 16 ? attempt - 1 : 16);
		if (wait > LLM_BACKOFF_CAP_MS)
			wait = LLM_BACKOFF_CAP_MS;
		/* Jitter: between half and all of the backoff. */
		wait = wait / 2 +
		    (long)randombytes_uniform((uint32_t)(wait / 2 + 1));
	}
	if (p->retry_max_total_ms > 0 &&
	    (long)(time_mono_ms() - start) + wait > p->retry_max_total_ms) {
		size_t n = strlen(err->message);

		snprintf(err->message + n, sizeof err->message - n,
		    "; not retried: waiting %ld ms would pass the %ld ms limit",
		    wait, p->retry_max_total_ms);
		return -1;
	}
	if (p->throttled != NULL &&
	    (err->cls == LLM_ERR_RATE_LIMIT || err->status == 429 ||
		err->status == 529)) {
		log_info("%s: %s (%s), retry %d once admitted", p->name,
		    err->message, llm_error_class_name(err->cls), attempt);
		if (llm_announce(s, attempt, -1, err) != 0)
			return -1;
		if (p->throttled(p->throttled_arg, err, cancel) != 0) {
			llm_error_set(err, LLM_ERR_CANCELLED, "%s: cancelled",
			    p->name);
			return -1;
		}
		return 0;
	}
	log_info("%s: %s (%s), retry %d in %ld ms", p->name, err->message,
	    llm_error_class_name(err->cls), attempt, wait);
	if (llm_announce(s, attempt, wait, err) != 0)
		return -1;
	if (cancel_sleep(cancel, wait) != 0) {
		llm_error_set(err, LLM_ERR_CANCELLED, "%s: cancelled", p->name);
		return -1;
	}
	return 0;
}

int
llm_key_check(const struct llm_provider *p, struct llm_error *err)
{
	if (p->api_key != NULL || p->key_missing == NULL)
		return 0;
	llm_error_set(err, LLM_ERR_CONFIG,
	    "%s: no %s: run 'oxios onboard' or export it", p->name,
	    p->key_missing);
	return -1;
}

int
llm_exchange(const struct llm_xfer *x, struct llm_stream *s,
    const struct cancel *cancel)
{
	const struct llm_provider *p = s->p;
	struct llm_error *err = s->err;
	uint64_t start = time_mono_ms();
	int attempt, rc = -1;

	/* No key where one is needed: said at once, nothing sent. */
	if (llm_key_check(p, err) != 0)
		return -1;
	for (attempt = 1;; attempt++) {
		llm_stream_reset(s);
		err->attempts = attempt;
		err->unreachable = 0;
		log_debug("%s: attempt %d, model %s", p->name, attempt,
		    x->model);
		if (llm_attempt(p, x, s, cancel, err) == 0 &&
		    (x->finish == NULL || x->finish(x, s) == 0)) {
			/* What failed before does not stick to the answer. */
			err->cls = LLM_OK;
			err->message[0] = '\0';
			rc = 0;
			break;
		}
		if (llm_again(s, attempt, start, cancel, err) != 0)
			break;
		if (s->delivered) {
			struct llm_delta d = { .kind = LLM_DELTA_RESET,
				.text = "" };

			s->delivered = 0;
			if (s->cb(&d, s->arg) != 0) {
				llm_error_set(err, LLM_ERR_CANCELLED,
				    "%s: cancelled by the receiver", p->name);
				break;
			}
		}
	}
	if (rc != 0) {
		size_t n = strlen(err->message);

		if (err->attempts > 1 && err->cls != LLM_ERR_CANCELLED)
			snprintf(err->message + n, sizeof err->message - n,
			    " (after %d attempts)", err->attempts);
		redact_buf(err->message, sizeof err->message, p->api_key);
	}
	return rc;
}

/* A whole chat answer, in the provider's format. */
static int
llm_call_parse(const struct llm_xfer *x, struct llm_stream *s,
    const json_t *answer)
{
	return x->ops->parse(s, answer);
}

/* The blocks of a complete chat answer into the response (x->arg). */
static int
llm_call_finish(const struct llm_xfer *x, struct llm_stream *s)
{
	return llm_stream_finish(s, x->arg);
}

int
llm_phase_valid(const char *phase)
{
	static const char *const phases[] = { "triage", "interview", "seed",
		"execute", "evaluate", "evolve", "chat", "dream", "embedding",
		"space", "summary", "expand", NULL };
	size_t i;

	for (i = 0; phase != NULL && phases[i] != NULL; i++) {
		if (strcmp(phases[i], phase) == 0)
			return 1;
	}
	return 0;
}

/* What a request names beyond its messages: its phase and the tool it
 * forces.  0, or -1 with err (nothing sent). */
static int
llm_request_check(const struct llm_provider *p, const struct llm_request *req,
    struct llm_error *err)
{
	const json_t *t;
	size_t i;

	if (req->phase != NULL && !llm_phase_valid(req->phase)) {
		llm_error_set(err, LLM_ERR_BAD_REQUEST,
		    "%s: unknown phase '%.32s'", p->name, req->phase);
		return -1;
	}
	if (req->tool_choice == NULL)
		return 0;
	json_array_foreach(req->tools, i, t) {
		if (strcmp(oxjson_str(t, "name", ""), req->tool_choice) == 0)
			return 0;
	}
	llm_error_set(err, LLM_ERR_BAD_REQUEST,
	    "%s: the forced tool '%.64s' is not among the request's tools",
	    p->name, req->tool_choice);
	return -1;
}

int
llm_call(const struct llm_provider *p, const struct llm_request *req,
    llm_delta_cb cb, void *arg, const struct cancel *cancel,
    struct llm_response *out, struct llm_error *err)
{
	const struct llm_ops *ops;
	struct llm_stream s;
	struct llm_xfer x;
	json_t *body;
	char *text = NULL, *url = NULL;
	const char *why;
	int rc;

	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	err->retry_after_ms = -1;
	if (curl_dl_load(&why) != 0) {
		llm_error_set(err, LLM_ERR_CONFIG, "%s: %s", p->name, why);
		return -1;
	}
	ops = p->kind == LLM_ANTHROPIC ? &llm_anthropic_ops : &llm_openai_ops;
	if (p->base_url == NULL || *p->base_url == '\0') {
		llm_error_set(err, LLM_ERR_CONFIG, "%s: no base URL", p->name);
		return -1;
	}
	if (llm_request_check(p, req, err) != 0 ||
	    (body = ops->body(req, err)) == NULL)
		return -1;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	url = ops->url(p);

	memset(&x, 0, sizeof x);
	x.ops = ops;
	x.url = url;
	x.body = text;
	x.model = req->model;
	x.phase = req->phase != NULL ? req->phase : "chat";
	x.stream = req->stream;
	x.max_response = LLM_MAX_RESPONSE;
	x.parse = llm_call_parse;
	x.finish = llm_call_finish;
	x.arg = out;
	memset(&s, 0, sizeof s);
	s.p = p;
	s.cb = req->stream ? cb : NULL;
	s.retry_cb = cb;
	s.arg = arg;
	s.err = err;
	rc = llm_exchange(&x, &s, cancel);
	llm_stream_reset(&s);
	free(url);
	free(text);
	return rc;
}

void
llm_provider_free(struct llm_provider *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->base_url);
	xfree_secret(p->api_key);
	free(p->key_missing);
	free(p);
}
