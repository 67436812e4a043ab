/*
 * server_sse.c — server-sent events: each stream is a subscriber of the
 * kernel's event bus feeding a connection that suspends itself while
 * there is nothing to send, is woken by the bus, and gets a keep-alive
 * comment from the ticker after SSE_KEEPALIVE_MS of quiet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/hub.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/server.h"
#include "http/server_int.h"
#include "kernel/events.h"
#include "security/audit.h"
#include "security/auth.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define SSE_KEEPALIVE_MS 15000
#define SSE_RETRY_MS 3000

static void
http_sse_free(struct http_sse *s)
{
	if (s->sub != NULL)
		events_unsubscribe(s->sub);
	buf_free(&s->out);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ---- SSE ---- */

/* Ask the ticker for a pass now (no lock: an eventfd). */
static void
http_ticker_kick(void)
{
	uint64_t one = 1;

	if (http.ticker_fd != -1 &&
	    write(http.ticker_fd, &one, sizeof one) == -1)
		(void)errno; /* the counter is far from full */
}

/* Wake a stream: something to send.  Any thread (the bus calls it with
 * its lock held: take only the stream's, and no MHD call: the ticker
 * resumes the connection). */
void
http_sse_wake(void *arg)
{
	struct http_sse *s = arg;
	int kick = 0;

	pthread_mutex_lock(&s->lock);
	s->pending = 1;
	if (s->suspended && !s->resume)
		kick = s->resume = 1;
	pthread_mutex_unlock(&s->lock);
	if (kick)
		http_ticker_kick();
}

/* Format waiting events into s->out; 1 if there is something to send. */
static int
http_sse_fill(struct http_sse *s)
{
	struct event e;
	uint64_t lost;
	int n = 0;

	while (s->out.len < 64 * 1024 && events_next(s->sub, &e, &lost) == 1) {
		if (lost > 0)
			buf_printf(&s->out,
			    "event: lost\ndata: {\"lost\":%llu}\n\n",
			    (unsigned long long)lost);
		buf_printf(&s->out, "id: %llu\nevent: %s\ndata: %s\n\n",
		    (unsigned long long)e.id, e.type, e.data);
		free(e.data);
		n++;
	}
	return n > 0;
}

static ssize_t
http_sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct http_sse *s = cls;
	uint64_t now = time_mono_ms();
	size_t n;

	(void)pos;
	for (;;) {
		if (s->out_off < s->out.len) {
			n = s->out.len - s->out_off;
			if (n > max)
				n = max;
			memcpy(out, s->out.data + s->out_off, n);
			s->out_off += n;
			if (s->out_off == s->out.len) {
				buf_reset(&s->out);
				s->out_off = 0;
			}
			__atomic_store_n(&s->last_write_ms, now,
			    __ATOMIC_RELAXED);
			return (ssize_t)n;
		}
		pthread_mutex_lock(&s->lock);
		if (s->ended) {
			pthread_mutex_unlock(&s->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		s->pending = 0;
		pthread_mutex_unlock(&s->lock);
		if (http_sse_fill(s))
			continue;
		if (now -
			__atomic_load_n(&s->last_write_ms, __ATOMIC_RELAXED) >=
		    SSE_KEEPALIVE_MS) {
			buf_adds(&s->out, ": keep-alive\n\n");
			continue;
		}
		pthread_mutex_lock(&s->lock);
		if (s->pending || s->ended) {
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		s->suspended = 1;
		MHD_suspend_connection(s->r->conn);
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
}

/*
 * libmicrohttpd is done with the stream (possibly under its own lock:
 * take none of the stream's).  A ticker pass may still hold it: the last
 * reference frees it.  The ticker never touches s->r of a stream that is
 * not suspended, and a suspended one is never done.
 */
static void
http_sse_done(void *cls)
{
	struct http_sse *s = cls;
	int last;

	pthread_mutex_lock(&http.lock);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		http.streams = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
	http.nstreams--;
	pthread_mutex_unlock(&http.lock);
	/* No more wake-ups before r may go. */
	events_unsubscribe(s->sub);
	s->sub = NULL;
	http_req_unref(s->r);
	pthread_mutex_lock(&http.lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&http.lock);
	if (last)
		http_sse_free(s);
}

enum MHD_Result
http_sse_start(struct http_req *r)
{
	struct MHD_Response *resp;
	struct http_sse *s;
	enum MHD_Result ret;

	s = xcalloc(1, sizeof *s);
	s->r = r;
	buf_init(&s->out, BUF_NOCAP);
	pthread_mutex_init(&s->lock, NULL);
	s->last_write_ms = time_mono_ms();
	s->refs = 1;
	buf_printf(&s->out, "retry: %d\n\n", SSE_RETRY_MS);
	s->sub = events_subscribe(r->sse_after, http_sse_wake, s);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
	    http_sse_read, s, http_sse_done);
	if (resp == NULL) {
		http_sse_free(s);
		return MHD_NO;
	}
	r->refs++; /* the stream's */
	pthread_mutex_lock(&http.lock);
	s->ended = http.stopping; /* a stream begun too late ends at once */
	s->next = http.streams;
	if (s->next != NULL)
		s->next->prev = s;
	http.streams = s;
	http.nstreams++;
	pthread_mutex_unlock(&http.lock);
	r->stream = s;
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	http_add_common(r, resp);
	r->status = 200;
	http_count(r);
	ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* One pass: resume the streams that asked, that are quiet too long, or
 * that must end.  The list is copied with a reference on each stream, so
 * that no lock of the server is held while libmicrohttpd is called. */
static void
http_ticker_pass(void)
{
	struct http_sse *s, **list = NULL;
	uint64_t now = time_mono_ms();
	size_t n = 0, i;
	int due;

	pthread_mutex_lock(&http.lock);
	if (http.nstreams > 0)
		list = xreallocarray(NULL, (size_t)http.nstreams, sizeof *list);
	for (s = http.streams; s != NULL && n < (size_t)http.nstreams;
	     s = s->next) {
		s->refs++;
		list[n++] = s;
	}
	pthread_mutex_unlock(&http.lock);
	for (i = 0; i < n; i++) {
		s = list[i];
		pthread_mutex_lock(&s->lock);
		due = s->resume || s->ended ||
		    now -
			    __atomic_load_n(&s->last_write_ms,
				__ATOMIC_RELAXED) >=
			SSE_KEEPALIVE_MS;
		if (due && s->suspended) {
			s->suspended = 0;
			s->pending = 1;
			MHD_resume_connection(s->r->conn);
		}
		s->resume = 0;
		pthread_mutex_unlock(&s->lock);
	}
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&http.lock);
		due = --list[i]->refs == 0; /* the stream ended meanwhile */
		pthread_mutex_unlock(&http.lock);
		if (due)
			http_sse_free(list[i]);
	}
	free(list);
}

void *
http_ticker(void *arg)
{
	struct pollfd pfd;
	uint64_t drain;
	int run = 1;

	(void)arg;
	while (run) {
		pfd.fd = http.ticker_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, pfd.fd != -1 ? 1 : 0, 1000) > 0 &&
		    read(http.ticker_fd, &drain, sizeof drain) == -1)
			(void)errno;
		pthread_mutex_lock(&http.lock);
		run = http.ticker_run;
		pthread_mutex_unlock(&http.lock);
		http_ticker_pass(); /* a last one after the stop */
	}
	return NULL;
}
