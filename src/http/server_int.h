/*
 * server_int.h — what server.c (requests) and server_sse.c (event
 * streams) share.
 */
#ifndef OXIOS_HTTP_SERVER_INT_H
#define OXIOS_HTTP_SERVER_INT_H

#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <microhttpd.h>

#include "http/denials.h"
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

/* Connections (server_guard.c): in all, per client address (below the
 * total, so one address cannot take every one), and how many more than
 * GUARD_MAX_CONNS may still be closing; the listen backlog. */
#define GUARD_MAX_CONNS 1024
#define GUARD_PER_ADDR 256
#define GUARD_SLACK 64
#define GUARD_BACKLOG 511
/* 401s from one address: one audit window (denials.h). */
#define HTTP_DENIAL_WINDOW_MS 60000

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
	struct denials *denials;  /* 401s per address and window */
	struct denials *forbids;  /* 403s per identity and window */
	int inflight;             /* requests begun and not yet completed */
	int stopping;             /* http_stop() has begun */
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
/* Audit the 401s counted after the first of their windows: a row each. */
void http_audit_denials(const struct denial *d, size_t n);
/* The same for the 403s of a role too low (access_denied). */
void http_audit_forbids(const struct denial *d, size_t n);
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

/*
 * server_guard.c: the listening socket, admission (caps per address and
 * in all, the oldest idle connection closed to make room), the first
 * bytes (400 for what is not HTTP), the head deadline.
 */
/* Bind and listen on ai's address.  0, or -1 with *cause. */
int http_guard_listen(const struct addrinfo *ai, char **cause);
/* Start accepting (http.mhd is running).  0, or -1 with *cause. */
int http_guard_start(char **cause);
/* Stop accepting: the listening socket and silent connections closed. */
void http_guard_quiesce(void);
/* After MHD_stop_daemon(): everything released. */
void http_guard_stop(void);
/* The head deadline (gateway.header_timeout_secs). */
void http_guard_set_timeout(int secs);
/* Connections refused, closed for room, past the head deadline, not HTTP. */
void http_guard_counts(long long *refused, long long *evicted,
    long long *expired, long long *garbage);
/* MHD_OPTION_NOTIFY_CONNECTION. */
void http_guard_notify(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe);
/* conn's head is in: a request (authenticated or not) is under way. */
void http_guard_head(struct MHD_Connection *conn, int trusted);
/* conn's request ended: its next head is due within the deadline. */
void http_guard_idle(struct MHD_Connection *conn);
/* conn is a WebSocket now: never closed by the guard. */
void http_guard_upgraded(struct MHD_Connection *conn);

#endif
