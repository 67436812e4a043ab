/*
 * server_int.h — what server.c (requests) and server_sse.c (event
 * streams) share.
 */
#ifndef OXIOS_HTTP_SERVER_INT_H
#define OXIOS_HTTP_SERVER_INT_H

#include <pthread.h>
#include <stdint.h>
#include <microhttpd.h>

#include "http/server.h"
#include "kernel/events.h"
#include "util/buf.h"

/* An SSE stream: a subscriber of the event bus feeding a suspended
 * connection. */
struct http_sse {
	struct http_req *r;
	struct events_sub *sub;
	struct buf out; /* formatted, not yet handed to MHD */
	size_t out_off;
	pthread_mutex_t lock;   /* the fields below, to last_write_ms */
	int pending;            /* an event or a keep-alive is waiting */
	int suspended;          /* the connection is suspended */
	int resume;             /* the ticker is asked to resume it */
	int ended;              /* the server is stopping */
	uint64_t last_write_ms; /* atomic: the ticker reads it */
	int refs; /* under http.lock: the stream's, the ticker's pass */
	struct http_sse *next, *prev;
};

struct http_state {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock; /* the fields below */
	const struct route *const *routes;
	size_t max_body;
	json_t *cors;
	char *api_key;
	struct ratelimit *rl;
	struct http_sse *streams;
	int nstreams;
	long long rate_limited, auth_failures;
	int inflight;  /* requests begun and not yet completed */
	int stopping;  /* http_stop() has begun */
	int listen_fd; /* handed back by MHD_quiesce_daemon(), or -1 */
	struct http_req *waiting; /* async requests not yet answered */
	pthread_t ticker;
	int ticker_run;
	int ticker_fd; /* eventfd: a stream asks to be resumed */
};
extern struct http_state http;

/* Drop a reference to r; the last frees it. */
void http_req_unref(struct http_req *r);
/* Headers every answer carries (nosniff, no-store, CORS). */
void http_add_common(struct http_req *r, struct MHD_Response *resp);
/* Count an answer in the metrics. */
void http_count(struct http_req *r);
/*
 * Decide what to do with a request once its headers are in: 1 when an
 * answer is ready (r->status set), 0 to read the body.
 */
int http_admit(struct http_req *r);
/* Whether a body follows the headers. */
int http_has_body(struct http_req *r);
/* The body is in: parse it.  1 if that answered (an error), else 0. */
int http_parse_body(struct http_req *r);
/* Answer r with an event stream. */
enum MHD_Result http_sse_start(struct http_req *r);
/* Something to send (or the end): wake the stream.  Any thread. */
void http_sse_wake(void *arg);
/*
 * The only thread that resumes a suspended stream (libmicrohttpd calls
 * back into us under its own lock, so no lock of ours is ever held
 * around MHD_resume_connection() but the stream's): on a wake, and every
 * second for keep-alives of quiet streams.
 */
void *http_ticker(void *arg);

#endif
