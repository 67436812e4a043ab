/*
 * server.c — the HTTP server on libmicrohttpd: one epoll thread per core,
 * and the rules every request passes through in this order: path sanity,
 * CORS preflight, rate limit, bearer token, route, body (size, type, JSON),
 * handler, answer.  See server.h.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/hub.h"
#include "http/metrics.h"
#include "http/denials.h"
#include "http/ratelimit.h"
#include "http/server.h"
#include "http/server_int.h"
#include "kernel/events.h"
#include "security/audit.h"
#include "security/auth.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define HTTP_TIMEOUT_SECS 30 /* idle; the head deadline is the guard's */
#define HTTP_MEMORY_LIMIT (64 * 1024) /* per connection: headers */
#define HTTP_NOFILE (GUARD_MAX_CONNS + 2 * GUARD_SLACK + 1024)
#define HTTP_RATE_CLIENTS 4096

struct http_state http = { .lock = PTHREAD_MUTEX_INITIALIZER, .ticker_fd = -1 };

int
http_json(struct http_req *r, int status, json_t *json)
{
	r->status = status;
	json_decref(r->json);
	r->json = json;
	return 0;
}

int
http_error(struct http_req *r, int status, const char *code, const char *fmt,
    ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	http_json(r, status,
	    json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
	free(msg);
	return 0;
}

const char *
http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

const char *
http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void
http_hold(struct http_req *r)
{
	pthread_mutex_lock(&r->lock);
	r->refs++;
	pthread_mutex_unlock(&r->lock);
}

void
http_answer(struct http_req *r, int status, json_t *json)
{
	pthread_mutex_lock(&r->lock);
	if (r->done) {
		/* Answered already: the server stopped (503) meanwhile. */
		pthread_mutex_unlock(&r->lock);
		json_decref(json);
		return;
	}
	r->status = status;
	json_decref(r->json);
	r->json = json;
	pthread_mutex_unlock(&r->lock);
}

/* Take r off the list of async requests (under http.lock). */
static void
http_unwait(struct http_req *r)
{
	struct http_req **pp;

	for (pp = &http.waiting; *pp != NULL; pp = &(*pp)->next_waiting) {
		if (*pp == r) {
			*pp = r->next_waiting;
			break;
		}
	}
}

void
http_complete(struct http_req *r)
{
	pthread_mutex_lock(&http.lock);
	http_unwait(r);
	pthread_mutex_unlock(&http.lock);
	pthread_mutex_lock(&r->lock);
	r->done = 1;
	if (r->suspended) {
		r->suspended = 0;
		MHD_resume_connection(r->conn);
	}
	pthread_mutex_unlock(&r->lock);
	http_req_unref(r);
}

void
http_req_unref(struct http_req *r)
{
	int refs;

	pthread_mutex_lock(&r->lock);
	refs = --r->refs;
	pthread_mutex_unlock(&r->lock);
	if (refs > 0)
		return;
	json_decref(r->body);
	json_decref(r->json);
	free(r->text);
	free(r->path);
	for (int i = 0; i < r->nheaders; i++)
		free(r->headers[i].value);
	if (r->upload != NULL) {
		buf_free(r->upload);
		free(r->upload);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- answers ---- */

/* Count the answer now that it is queued (the client may ask for the
 * metrics before libmicrohttpd reports the request complete). */
void
http_count(struct http_req *r)
{
	const struct route *route = r->match.route;

	metrics_http(route != NULL ? route->pattern : "unmatched", r->method,
	    r->status, (double)(time_mono_ns() - r->start_ns) / 1e9);
}

void
http_add_header(struct http_req *r, const char *name, const char *value)
{
	if (r->nheaders == HTTP_MAX_HEADERS) {
		log_error("%s: %s %s: no room for header %s", __func__,
		    r->method, r->path, name);
		return;
	}
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = xstrdup(value);
	r->nheaders++;
}

void
http_add_common(struct http_req *r, struct MHD_Response *resp)
{
	int i, cache = 0;

	for (i = 0; i < r->nheaders; i++) {
		MHD_add_response_header(resp, r->headers[i].name,
		    r->headers[i].value);
		if (strcasecmp(r->headers[i].name, "Cache-Control") == 0)
			cache = 1;
	}
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (!cache)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->origin_ok) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin",
		    r->origin);
		MHD_add_response_header(resp, "Vary", "Origin");
	}
}

/* Queue r's answer (json or text). */
static enum MHD_Result
http_send(struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *body;
	size_t len;
	const char *type = "application/json";

	if (r->text != NULL) {
		body = r->text;
		len = r->text_len;
		r->text = NULL;
		if (r->content_type != NULL)
			type = r->content_type;
	} else {
		if (r->json == NULL)
			r->json = json_object();
		body = json_dumps(r->json,
		    JSON_COMPACT | JSON_ENSURE_ASCII | OXJSON_REAL);
		if (body == NULL) {
			body =
			    xstrdup("{\"error\":{\"code\":\"internal\","
				    "\"message\":\"unserialisable answer\"}}");
			r->status = 500;
		}
		len = strlen(body);
		body = xrealloc(body, len + 2);
		body[len++] = '\n';
		body[len] = '\0';
	}
	if (r->status == 0)
		r->status = 200;
	resp =
	    MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	http_add_common(r, resp);
	if (r->retry_after[0] != '\0')
		MHD_add_response_header(resp, "Retry-After", r->retry_after);
	if (r->status == 204 && strcmp(r->method, "OPTIONS") == 0) {
		MHD_add_response_header(resp, "Access-Control-Allow-Methods",
		    "GET, POST, PUT, DELETE, OPTIONS");
		MHD_add_response_header(resp, "Access-Control-Allow-Headers",
		    "Authorization, Content-Type, Last-Event-ID");
		MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
	}
	if (r->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
		    "Bearer realm=\"oxios\"");
	if (r->status == 405 && r->text == NULL) {
		json_t *allow = json_object_get(r->json, "allow");

		if (json_is_string(allow))
			MHD_add_response_header(resp, "Allow",
			    json_string_value(allow));
	}
	http_count(r);
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- WebSocket upgrade ---- */

static void
http_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls,
    const char *extra, size_t extra_len, MHD_socket sock,
    struct MHD_UpgradeResponseHandle *urh)
{
	struct http_req *r = con_cls;

	(void)cls;
	r->upgraded = 1;
	http_guard_upgraded(conn);
	hub_add(sock, urh, extra, extra_len, &r->ws);
}

static enum MHD_Result
http_ws_start(struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_for_upgrade(http_upgraded, NULL);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
	MHD_add_response_header(resp, "Sec-WebSocket-Accept", r->ws_accept);
	r->status = 101;
	http_count(r);
	ret = MHD_queue_response(r->conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- the request path ---- */

static enum MHD_Result
http_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http_req *r = *con_cls;
	const union MHD_ConnectionInfo *ci;
	int rc;

	(void)cls;
	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		pthread_mutex_init(&r->lock, NULL);
		r->refs = 1;
		r->conn = conn;
		r->method = method;
		r->path = xstrdup(url);
		r->start_ns = time_mono_ns();
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci != NULL && ci->client_addr != NULL) {
			const struct sockaddr *sa = ci->client_addr;

			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET,
				    &((const struct sockaddr_in *)(const void *)
					    sa)
					 ->sin_addr,
				    r->client, sizeof r->client);
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6,
				    &((const struct sockaddr_in6 *)(const void
					      *)sa)
					 ->sin6_addr,
				    r->client, sizeof r->client);
		}
		*con_cls = r;
		pthread_mutex_lock(&http.lock);
		http.inflight++;
		pthread_mutex_unlock(&http.lock);
		rc = http_admit(r);
		http_guard_head(conn, r->trusted);
		if (rc) {
			/* With a body still coming, answer at once (the body
			 * is dropped, the connection closed); without, when
			 * the request is complete (the connection lives). */
			if (!http_has_body(r))
				r->phase = 1;
			else {
				r->phase = 3;
				return http_send(r);
			}
			return MHD_YES;
		}
		r->phase = 2; /* read the body */
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (r->phase == 2) {
			if (r->upload == NULL) {
				r->upload = xmalloc(sizeof *r->upload);
				buf_init(r->upload, r->max_body);
			}
			if (!r->body_too_big &&
			    buf_add(r->upload, upload, *upload_size) != 0) {
				r->body_too_big = 1;
				buf_free(r->upload);
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	switch (r->phase) {
	case 1:
		r->phase = 3;
		return http_send(r);
	case 2:
		r->phase = 3;
		if (http_parse_body(r))
			return http_send(r);
		rc = r->match.route->handler(r);
		if (r->sse)
			return http_sse_start(r);
		if (r->ws_accept[0] != '\0' && r->status == 0)
			return http_ws_start(r);
		if (rc != HTTP_ASYNC)
			return http_send(r);
		r->phase = 4;
		/* Listed first, so that a stopping server can answer it;
		 * no MHD call under http.lock. */
		pthread_mutex_lock(&http.lock);
		r->next_waiting = http.waiting;
		http.waiting = r;
		pthread_mutex_unlock(&http.lock);
		pthread_mutex_lock(&r->lock);
		if (!r->done) {
			r->suspended = 1;
			MHD_suspend_connection(conn);
			pthread_mutex_unlock(&r->lock);
			return MHD_YES;
		}
		pthread_mutex_unlock(&r->lock);
		/* Completed before it was listed (a producer that failed
		 * at once): its http_complete() found nothing to unlist, so
		 * the list must not keep it past its last reference. */
		pthread_mutex_lock(&http.lock);
		http_unwait(r);
		pthread_mutex_unlock(&http.lock);
		r->phase = 3;
		return http_send(r);
	case 4: /* resumed: the async answer is ready */
		pthread_mutex_lock(&r->lock);
		rc = r->done;
		pthread_mutex_unlock(&r->lock);
		if (!rc)
			return MHD_YES;
		r->phase = 3;
		return http_send(r);
	default:
		return MHD_YES;
	}
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;
	(void)cls;
	(void)toe;
	http_guard_idle(conn);
	if (r == NULL)
		return;
	*con_cls = NULL;
	pthread_mutex_lock(&http.lock);
	http.inflight--;
	pthread_mutex_unlock(&http.lock);
	/* A WebSocket that never reached the hub: its handlers' state goes
	 * (the hub would have closed it). */
	if (r->ws.close != NULL && !r->upgraded)
		r->ws.close(NULL, r->ws.arg);
	http_req_unref(r);
}

static int
http_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decoding of the path and the query, in place.  A "%00" would
 * end the C string early (and name another file than the one asked
 * for): it becomes DEL, which the router refuses as a control character.
 */
static size_t
http_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *r = s, *w = s;
	int hi, lo;

	(void)cls;
	(void)conn;
	while (*r != '\0') {
		if (r[0] == '%' && (hi = http_hexval(r[1])) >= 0 &&
		    (lo = http_hexval(r[2])) >= 0) {
			*w = (char)(hi << 4 | lo);
			if (*w == '\0')
				*w = 0x7f;
			w++;
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void
http_log(void *cls, const char *fmt, va_list ap)
{
	char *msg;
	size_t n;

	(void)cls;
	xvasprintf(&msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("http: %s", msg);
	free(msg);
}

void
http_reconfigure(const struct http_config *hc)
{
	pthread_mutex_lock(&http.lock);
	json_decref(http.cors);
	http.cors = hc->cors != NULL ? json_deep_copy(hc->cors) : json_array();
	free(http.api_key);
	http.api_key = hc->api_key != NULL && hc->api_key[0] != '\0' ?
	    xstrdup(hc->api_key) :
	    NULL;
	http.max_body = hc->max_body;
	pthread_mutex_unlock(&http.lock);
	http_guard_set_timeout(hc->header_timeout_secs);
	if (http.rl != NULL)
		ratelimit_set(http.rl, hc->rate_per_min);
}

int
http_start(const struct http_config *hc, char **cause)
{
	struct addrinfo hints, *ai = NULL;
	char port[16];
	unsigned int flags, threads;
	struct rlimit nofile;
	long ncpu;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof port, "%d", hc->port);
	if ((rc = getaddrinfo(hc->host, port, &hints, &ai)) != 0) {
		xasprintf(cause, "gateway.host '%s': %s", hc->host,
		    gai_strerror(rc));
		return -1;
	}
	/* Every connection is a descriptor: room for all of them. */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	    nofile.rlim_cur < HTTP_NOFILE &&
	    nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max < HTTP_NOFILE ?
		    nofile.rlim_max :
		    HTTP_NOFILE;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	rc = http_guard_listen(ai, cause);
	freeaddrinfo(ai);
	if (rc != 0) {
		free(*cause);
		xasprintf(cause,
		    "cannot listen on %s:%d (in use, or not an address of "
		    "this machine; see gateway.host and gateway.port)",
		    hc->host, hc->port);
		return -1;
	}
	http.routes = hc->routes;
	http.rl = ratelimit_new(hc->rate_per_min, HTTP_RATE_CLIENTS);
	http.denials = denials_new(HTTP_RATE_CLIENTS, HTTP_DENIAL_WINDOW_MS);
	http.forbids = denials_new(HTTP_RATE_CLIENTS, HTTP_DENIAL_WINDOW_MS);
	http_reconfigure(hc);
	if (hub_start(hc->ws_max_message, cause) != 0)
		goto fail;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	threads = ncpu < 2 ? 2 : ncpu > 16 ? 16 : (unsigned)ncpu;
	/* The guard accepts (server_guard.c); libmicrohttpd's own caps sit
	 * above the guard's, which close connections to make room before
	 * libmicrohttpd would refuse. */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG |
	    MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
	/* clang-format off */
	http.mhd = MHD_start_daemon(flags, 0, NULL, NULL,
	    http_handle, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(GUARD_MAX_CONNS + 2 * GUARD_SLACK),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_SECS,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, http_guard_notify, NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, http_unescape, NULL,
	    MHD_OPTION_END);
	/* clang-format on */
	if (http.mhd == NULL) {
		xasprintf(cause, "cannot start the HTTP server");
		hub_stop();
		goto fail;
	}
	http.ticker_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	http.ticker_run = 1;
	if ((rc = pthread_create(&http.ticker, NULL, http_ticker, NULL)) != 0) {
		xasprintf(cause, "cannot start the SSE ticker: %s",
		    strerror(rc));
		http.ticker_run = 0;
		goto fail_mhd;
	}
	if (http_guard_start(cause) != 0) {
		http.ticker_run = 0;
		if (write(http.ticker_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) <
		    0)
			(void)errno;
		pthread_join(http.ticker, NULL);
		goto fail_mhd;
	}
	return 0;
fail_mhd:
	MHD_stop_daemon(http.mhd);
	http.mhd = NULL;
	close(http.ticker_fd);
	http.ticker_fd = -1;
	hub_stop();
fail:
	http_guard_stop();
	ratelimit_free(http.rl);
	http.rl = NULL;
	denials_free(http.denials);
	http.denials = NULL;
	denials_free(http.forbids);
	http.forbids = NULL;
	return -1;
}

void
http_quiesce(void)
{
	if (http.mhd != NULL)
		http_guard_quiesce();
}

/* The audit rows of the 401 windows that ended (all, with `all`). */
static void
http_denials_flush(int all)
{
	struct denial *d, *f;
	size_t n, nf;

	pthread_mutex_lock(&http.lock);
	n = http.denials != NULL ?
	    denials_take(http.denials, time_mono_ms(), all, &d) :
	    0;
	nf = http.forbids != NULL ?
	    denials_take(http.forbids, time_mono_ms(), all, &f) :
	    0;
	pthread_mutex_unlock(&http.lock);
	if (n > 0) {
		http_audit_denials(d, n);
		free(d);
	}
	if (nf > 0) {
		http_audit_forbids(f, nf);
		free(f);
	}
}

void
http_tick(void)
{
	http_denials_flush(0);
}

void
http_stop(void)
{
	struct http_sse *s;
	struct http_req *w, *list;
	long long refused, evicted, expired, garbage;
	int fd;

	if (http.mhd == NULL)
		return;
	http_quiesce();
	pthread_mutex_lock(&http.lock);
	http.stopping = 1;
	http.ticker_run = 0;
	for (s = http.streams; s != NULL; s = s->next) {
		pthread_mutex_lock(&s->lock);
		s->ended = 1;
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&http.lock);
	/* The ticker's last pass resumes them all: they end. */
	if (http.ticker_fd != -1 &&
	    write(http.ticker_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) == -1)
		(void)errno;
	pthread_join(http.ticker, NULL);
	hub_stop();
	/* Give the streams a moment to end, and the answers of finished
	 * chats (their connections were just resumed) time to go out. */
	for (fd = 0; fd < 300; fd++) {
		int busy;

		pthread_mutex_lock(&http.lock);
		busy = http.streams != NULL || http.inflight > 0;
		pthread_mutex_unlock(&http.lock);
		if (!busy)
			break;
		usleep(10000);
	}
	/* What still waits for an answer (a chat that would not stop, a
	 * dream) gets 503 now: MHD must not stop with suspended
	 * connections. */
	pthread_mutex_lock(&http.lock);
	list = http.waiting;
	http.waiting = NULL;
	for (w = list; w != NULL; w = w->next_waiting) {
		pthread_mutex_lock(&w->lock);
		w->refs++; /* ours, while we answer it */
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_unlock(&http.lock);
	while ((w = list) != NULL) {
		list = w->next_waiting;
		pthread_mutex_lock(&w->lock);
		if (!w->done) {
			w->done = 1;
			w->status = 503;
			json_decref(w->json);
			w->json = json_pack("{s:{s:s, s:s}}", "error", "code",
			    "stopping", "message",
			    "the daemon stopped before the answer was ready");
			if (w->suspended) {
				w->suspended = 0;
				MHD_resume_connection(w->conn);
			}
		}
		pthread_mutex_unlock(&w->lock);
		http_req_unref(w);
	}
	for (fd = 0; fd < 100; fd++) {
		int busy;

		pthread_mutex_lock(&http.lock);
		busy = http.streams != NULL || http.inflight > 0;
		pthread_mutex_unlock(&http.lock);
		if (!busy)
			break;
		usleep(10000);
	}
	MHD_stop_daemon(http.mhd);
	http.mhd = NULL;
	http_guard_stop();
	http_guard_counts(&refused, &evicted, &expired, &garbage);
	log_info("http: connections refused %lld, closed for room %lld, "
		 "past the head deadline %lld, not HTTP %lld",
	    refused, evicted, expired, garbage);
	if (http.ticker_fd != -1) {
		close(http.ticker_fd);
		http.ticker_fd = -1;
	}
	http_denials_flush(1);
	ratelimit_free(http.rl);
	http.rl = NULL;
	pthread_mutex_lock(&http.lock);
	denials_free(http.denials);
	http.denials = NULL;
	denials_free(http.forbids);
	http.forbids = NULL;
	pthread_mutex_unlock(&http.lock);
	pthread_mutex_lock(&http.lock);
	json_decref(http.cors);
	http.cors = NULL;
	free(http.api_key);
	http.api_key = NULL;
	pthread_mutex_unlock(&http.lock);
}

void
http_stream_counts(int *sse, int *ws)
{
	pthread_mutex_lock(&http.lock);
	*sse = http.nstreams;
	pthread_mutex_unlock(&http.lock);
	*ws = hub_count();
}

void
http_refusals(long long *rate_limited, long long *auth_failures)
{
	pthread_mutex_lock(&http.lock);
	*rate_limited = http.rate_limited;
	*auth_failures = http.auth_failures;
	pthread_mutex_unlock(&http.lock);
}
