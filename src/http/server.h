/*
 * server.h — the HTTP server (libmicrohttpd): parse, authenticate, route,
 * answer.  It never blocks: a handler that must wait (a chat) returns
 * HTTP_ASYNC and its connection is suspended until the producer calls
 * http_complete(); an SSE stream suspends between events; a WebSocket is
 * handed to the hub thread (hub.c) after the upgrade.
 *
 * Every answer is JSON unless a handler says otherwise; errors are
 * {"error": {"code": "...", "message": "..."}} with the right status.
 */
#ifndef OXIOS_HTTP_SERVER_H
#define OXIOS_HTTP_SERVER_H

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>

#include "http/hub.h"
#include "http/router.h"
#include "security/auth.h"

#define HTTP_ASYNC 1       /* handler result: the answer comes later */
#define HTTP_MAX_HEADERS 8 /* extra headers a handler may add */

struct MHD_Connection;
struct http_sse;

struct http_req {
	/* The request. */
	struct MHD_Connection *conn;
	const char *method;
	char *path;
	struct route_match match;
	json_t *body;      /* the JSON body, or NULL if there was none */
	char client[64];   /* the peer's address */
	uint64_t start_ns; /* monotonic, when the headers arrived */
	/* Who the credential speaks for (role AUTH_ROLE_NONE: nobody, a
	 * public route). */
	struct auth_identity identity;

	/* The answer, set by the handler (or later, with HTTP_ASYNC). */
	int status;
	json_t *json; /* taken */
	char *text;   /* taken; instead of json */
	size_t text_len;
	const char *content_type; /* for text */
	char retry_after[16];     /* seconds, for a 429/503 */
	/* Extra headers of the answer (http_add_header()); a handler's
	 * Cache-Control replaces the default no-store. */
	struct {
		const char *name; /* static */
		char *value;      /* owned */
	} headers[HTTP_MAX_HEADERS];
	int nheaders;

	/* Streams: an SSE stream replaying events after this id (handler sets
	 * sse = 1), or a WebSocket (handler sets ws_accept). */
	int sse;
	uint64_t sse_after;
	char ws_accept[32];
	struct hub_handlers ws; /* called on the hub thread */
	int upgraded;           /* the hub has the socket (and ws) */

	/* Private. */
	pthread_mutex_t lock;
	int refs;
	int phase;
	int done, suspended;
	int body_too_big;
	int trusted;     /* it carried an accepted credential */
	size_t max_body; /* this request's body cap (its route's) */
	struct buf *upload;
	struct http_sse *stream;
	struct http_req *next_waiting; /* http.waiting */
	int origin_ok;
	char origin[256];
};

struct http_config {
	const char *host; /* address to listen on */
	int port;
	const struct route *const *routes; /* the tables (router.h) */
	size_t
	    max_body; /* bytes; larger bodies get 413 (routes may lower it) */
	long rate_per_min;   /* per client address */
	const json_t *cors;  /* allowed origins (array of strings) */
	const char *api_key; /* an extra accepted bearer token, or NULL */
	size_t ws_max_message;
	int header_timeout_secs; /* a complete request head within this */
};

/*
 * Listen and serve on threads of libmicrohttpd's.  Returns 0, or -1 with
 * *cause (the address is taken, ...).
 */
int http_start(const struct http_config *hc, char **cause);
/* Periodic work, once a second (the daemon's tick): the audit rows of
 * the 401 windows that ended. */
void http_tick(void);
/* Stop accepting new connections (SIGTERM, first step). */
void http_quiesce(void);
/* End the SSE streams, close WebSockets, stop the server. */
void http_stop(void);
/* Change what can change while running: rate, CORS, extra key. */
void http_reconfigure(const struct http_config *hc);
/* How many SSE streams and WebSockets are open. */
void http_stream_counts(int *sse, int *ws);
/* Requests answered 429 and 401 so far. */
void http_refusals(long long *rate_limited, long long *auth_failures);

/* Handler helpers. */
/* Answer `status` with {"error": {"code", "message"}}.  Returns 0. */
int http_error(struct http_req *r, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Answer `status` with `json` (taken).  Returns 0. */
int http_json(struct http_req *r, int status, json_t *json);
/*
 * Add a header to r's answer: `name` must outlive r (a literal), `value`
 * is copied.  Beyond HTTP_MAX_HEADERS the header is dropped (a bug: it
 * is logged).
 */
void http_add_header(struct http_req *r, const char *name, const char *value);
/* A query parameter or request header, or NULL. */
const char *http_query(struct http_req *r, const char *name);
const char *http_header(struct http_req *r, const char *name);
/*
 * An async answer is ready (status and json set by the producer, from any
 * thread): the connection resumes and sends it.  Drops the producer's
 * reference (http_hold()).
 */
void http_complete(struct http_req *r);
/*
 * Set the async answer (any thread; `json` taken).  Ignored when the
 * request was answered meanwhile (the server stopping answers 503).
 */
void http_answer(struct http_req *r, int status, json_t *json);
/* Keep r alive for a producer (before returning HTTP_ASYNC). */
void http_hold(struct http_req *r);

#endif
