/*
 * server_guard.c — who gets a connection, and for how long it may take
 * to say what it wants.
 *
 * Oxios accepts connections itself (libmicrohttpd runs with
 * MHD_USE_NO_LISTEN_SOCKET) on one thread, the guard, which:
 *
 *  - admits: at most GUARD_PER_ADDR connections per client address and
 *    GUARD_MAX_CONNS in all.  At a cap the oldest connection that has no
 *    request under way (still waiting for its first bytes or its head, or
 *    idle between two requests) is closed to make room; connections that
 *    are answering an authenticated request, streams and WebSockets never
 *    are.  Only when nothing can go is the newcomer refused.  Every local
 *    client shares 127.0.0.1, so a flood of half-open connections from
 *    one process only ever pushes out its own older ones.
 *  - peeks at the first bytes (reqline.h) before libmicrohttpd reads
 *    anything: what cannot begin a request line (NUL, 0xff, a TLS hello)
 *    is answered 400 and closed at once; a method and a space hand the
 *    socket to libmicrohttpd (MHD_add_connection()).
 *  - holds the head deadline (gateway.header_timeout_secs): a connection
 *    must complete a request head that long after it was accepted, or
 *    after its previous request ended, or it is closed.  libmicrohttpd's
 *    own timeout is an idle timeout, which a byte every few seconds resets.
 *
 * Closing a connection libmicrohttpd owns: shutdown(2) of its socket,
 * after which libmicrohttpd reads the end of the stream and closes it
 * itself.  This is safe because it happens under guard.lock and only for a
 * connection in the table, and libmicrohttpd tells us (NOTIFY_CONNECTION
 * CLOSED, which takes guard.lock) before it closes the descriptor: the
 * number can never name another socket while we hold it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/reqline.h"
#include "http/server.h"
#include "http/server_int.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define GUARD_TICK_MS 200
#define GUARD_BATCH 64

enum guard_state {
	GUARD_PEEK,    /* ours: waiting for its first bytes */
	GUARD_HANDED,  /* given to libmicrohttpd, not yet started there */
	GUARD_HEAD,    /* libmicrohttpd's: waiting for a complete head */
	GUARD_OPEN,    /* a request without a credential under way */
	GUARD_TRUSTED, /* an authenticated request under way */
};

struct guard_conn {
	int fd;
	enum guard_state state;
	int doomed;        /* shut down: libmicrohttpd is closing it */
	int upgraded;      /* a WebSocket: the hub's, never touched */
	uint64_t since_ms; /* accepted, or its last request ended */
	int family;
	unsigned char key[16]; /* the address, for the per-address cap */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct MHD_Connection *conn;
	struct guard_conn *prev, *next; /* by since_ms, oldest first */
};

static struct {
	pthread_mutex_t lock; /* the fields below but the thread's own */
	struct guard_conn *head, *tail;
	int count, doomed;
	uint64_t timeout_ms;
	long long refused, evicted, expired, garbage;
	/* The guard thread's. */
	int listen_fd, epfd, wake_fd;
	pthread_t thread;
	int running;
} guard = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.timeout_ms = 10000,
	.listen_fd = -1,
	.epfd = -1,
	.wake_fd = -1 };

static const char guard_400_body[] = "{\"error\":{\"code\":\"bad_request\","
				     "\"message\":\"not an HTTP request\"}}\n";

/* ---- the table (under guard.lock) ---- */

static void
guard_unlink(struct guard_conn *g)
{
	if (g->prev != NULL)
		g->prev->next = g->next;
	else
		guard.head = g->next;
	if (g->next != NULL)
		g->next->prev = g->prev;
	else
		guard.tail = g->prev;
	g->prev = g->next = NULL;
}

static void
guard_append(struct guard_conn *g)
{
	g->prev = guard.tail;
	g->next = NULL;
	if (guard.tail != NULL)
		guard.tail->next = g;
	else
		guard.head = g;
	guard.tail = g;
}

static void
guard_forget(struct guard_conn *g)
{
	guard_unlink(g);
	guard.count--;
	if (g->doomed)
		guard.doomed--;
	free(g);
}

static int
guard_same_addr(const struct guard_conn *a, const struct guard_conn *b)
{
	return a->family == b->family && memcmp(a->key, b->key, 16) == 0;
}

/* Close a connection: ours at once, libmicrohttpd's by shutdown(2). */
static void
guard_close(struct guard_conn *g)
{
	if (g->state == GUARD_PEEK) {
		/* Closing drops it from the epoll set too. */
		close(g->fd);
		guard_forget(g);
		return;
	}
	if (!g->doomed) {
		shutdown(g->fd, SHUT_RDWR);
		g->doomed = 1;
		guard.doomed++;
	}
}

/* Whether g may be closed to make room, and how willingly (lower first). */
static int
guard_rank(const struct guard_conn *g)
{
	if (g->doomed || g->upgraded)
		return -1;
	switch (g->state) {
	case GUARD_PEEK:
	case GUARD_HEAD:
		return 0;
	case GUARD_OPEN:
		return 1;
	default:
		return -1;
	}
}

/* The connection to close for room (of `like`'s address, or any), or
 * NULL.  The list is oldest first. */
static struct guard_conn *
guard_victim(const struct guard_conn *like)
{
	struct guard_conn *g, *best = NULL;
	int r, best_rank = 2;

	for (g = guard.head; g != NULL; g = g->next) {
		if (like != NULL && !guard_same_addr(g, like))
			continue;
		if ((r = guard_rank(g)) >= 0 && r < best_rank) {
			best = g;
			if ((best_rank = r) == 0)
				break;
		}
	}
	return best;
}

/* Room for `n`, a new connection: 0, or -1 to refuse it. */
static int
guard_room(struct guard_conn *n)
{
	struct guard_conn *g, *v;
	int same = 0;

	for (g = guard.head; g != NULL; g = g->next)
		if (!g->doomed && guard_same_addr(g, n))
			same++;
	if (guard.count >= GUARD_MAX_CONNS + GUARD_SLACK)
		return -1; /* too many still closing */
	if (same >= GUARD_PER_ADDR)
		v = guard_victim(n);
	else if (guard.count - guard.doomed >= GUARD_MAX_CONNS)
		v = guard_victim(NULL);
	else
		return 0;
	if (v == NULL)
		return -1;
	guard.evicted++;
	guard_close(v);
	return 0;
}

/* ---- libmicrohttpd's side ---- */

void
http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	struct guard_conn *g;
	int fd;

	(void)cls;
	pthread_mutex_lock(&guard.lock);
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if ((g = *socket_context) != NULL)
			guard_forget(g);
		*socket_context = NULL;
		pthread_mutex_unlock(&guard.lock);
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	fd = ci != NULL ? (int)ci->connect_fd : -1;
	for (g = guard.head; g != NULL; g = g->next)
		if (g->state == GUARD_HANDED && g->fd == fd)
			break;
	if (g != NULL) {
		g->state = GUARD_HEAD;
		g->conn = conn;
	}
	*socket_context = g;
	pthread_mutex_unlock(&guard.lock);
}

/* The guard's entry of conn (under guard.lock), or NULL. */
static struct guard_conn *
guard_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void
http_guard_head(struct MHD_Connection *conn, int trusted)
{
	struct guard_conn *g;

	pthread_mutex_lock(&guard.lock);
	if ((g = guard_of(conn)) != NULL)
		g->state = trusted ? GUARD_TRUSTED : GUARD_OPEN;
	pthread_mutex_unlock(&guard.lock);
}

void
http_guard_idle(struct MHD_Connection *conn)
{
	struct guard_conn *g;

	pthread_mutex_lock(&guard.lock);
	if ((g = guard_of(conn)) != NULL && g->state != GUARD_HEAD) {
		/* Its next head is due a deadline from now. */
		g->state = GUARD_HEAD;
		g->since_ms = time_mono_ms();
		guard_unlink(g);
		guard_append(g);
	}
	pthread_mutex_unlock(&guard.lock);
}

void
http_guard_upgraded(struct MHD_Connection *conn)
{
	struct guard_conn *g;

	pthread_mutex_lock(&guard.lock);
	if ((g = guard_of(conn)) != NULL)
		g->upgraded = 1;
	pthread_mutex_unlock(&guard.lock);
}

/* ---- the guard thread ---- */

static void
guard_accept(void)
{
	struct guard_conn *g, *old, *next;
	struct epoll_event ev;
	int fd, i;

	for (i = 0; i < GUARD_BATCH; i++) {
		g = xcalloc(1, sizeof *g);
		g->addrlen = sizeof g->addr;
		fd = accept4(guard.listen_fd, (struct sockaddr *)&g->addr,
		    &g->addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			free(g);
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("http: accept: %s", strerror(errno));
			return;
		}
		g->fd = fd;
		g->family = g->addr.ss_family;
		if (g->family == AF_INET)
			memcpy(g->key,
			    &((struct sockaddr_in *)(void *)&g->addr)->sin_addr,
			    4);
		else if (g->family == AF_INET6)
			memcpy(g->key,
			    &((struct sockaddr_in6 *)(void *)&g->addr)
				 ->sin6_addr,
			    16);
		g->since_ms = time_mono_ms();
		g->state = GUARD_PEEK;
		pthread_mutex_lock(&guard.lock);
		/* A number accept() returns names no other open socket: an
		 * entry still holding it is one libmicrohttpd closed before
		 * it ever started it. */
		for (old = guard.head; old != NULL; old = next) {
			next = old->next;
			if (old->fd == fd && old->state == GUARD_HANDED)
				guard_forget(old);
		}
		if (guard_room(g) != 0) {
			guard.refused++;
			pthread_mutex_unlock(&guard.lock);
			close(fd);
			free(g);
			continue;
		}
		guard_append(g);
		guard.count++;
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = g;
		if (epoll_ctl(guard.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			log_warn("http: epoll_ctl: %s", strerror(errno));
			guard_close(g);
		}
		pthread_mutex_unlock(&guard.lock);
	}
}

/* Its first bytes are in (or its end): judge them. */
static void
guard_peek(struct guard_conn *g)
{
	unsigned char buf[REQLINE_DECIDE];
	char msg[256];
	int len;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	ssize_t n;
	int fd = g->fd;

	n = recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	pthread_mutex_lock(&guard.lock);
	if (n <= 0) {
		guard_close(g); /* gone before a word */
		pthread_mutex_unlock(&guard.lock);
		return;
	}
	switch (reqline_check(buf, (size_t)n)) {
	case REQLINE_MORE:
		pthread_mutex_unlock(&guard.lock);
		return;
	case REQLINE_BAD:
		guard.garbage++;
		len = snprintf(msg, sizeof msg,
		    "HTTP/1.1 400 Bad Request\r\n"
		    "Content-Type: application/json\r\n"
		    "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
		    sizeof guard_400_body - 1, guard_400_body);
		if (send(fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void)errno; /* it is closed either way */
		/* Unread bytes would turn close() into a reset that can
		 * overtake the answer: end the stream, drop what came. */
		shutdown(fd, SHUT_WR);
		for (len = 0;
		     len < 16 && recv(fd, msg, sizeof msg, MSG_DONTWAIT) > 0;
		     len++)
			;
		guard_close(g);
		pthread_mutex_unlock(&guard.lock);
		return;
	case REQLINE_OK:
		break;
	}
	epoll_ctl(guard.epfd, EPOLL_CTL_DEL, fd, NULL);
	g->state = GUARD_HANDED;
	addr = g->addr;
	addrlen = g->addrlen;
	pthread_mutex_unlock(&guard.lock);
	/* No lock of ours around it: libmicrohttpd may call back. */
	if (MHD_add_connection(http.mhd, fd, (struct sockaddr *)&addr,
		addrlen) != MHD_YES) {
		log_debug("http: a connection was not taken: %s",
		    strerror(errno));
		pthread_mutex_lock(&guard.lock);
		for (g = guard.head; g != NULL; g = g->next)
			if (g->fd == fd && g->state == GUARD_HANDED)
				break;
		if (g != NULL)
			guard_forget(g); /* libmicrohttpd closed it */
		pthread_mutex_unlock(&guard.lock);
	}
}

/* Close what has not completed a head in time. */
static void
guard_expire(uint64_t now)
{
	struct guard_conn *g, *next;

	pthread_mutex_lock(&guard.lock);
	for (g = guard.head; g != NULL; g = next) {
		next = g->next;
		if (g->doomed || g->upgraded ||
		    (g->state != GUARD_PEEK && g->state != GUARD_HEAD) ||
		    now - g->since_ms < guard.timeout_ms)
			continue;
		guard.expired++;
		guard_close(g);
	}
	pthread_mutex_unlock(&guard.lock);
}

static void *
guard_main(void *arg)
{
	struct epoll_event ev[GUARD_BATCH];
	int i, n, accept_now;
	uint64_t last = 0, now;

	(void)arg;
	for (;;) {
		n = epoll_wait(guard.epfd, ev, GUARD_BATCH, GUARD_TICK_MS);
		accept_now = 0;
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == &guard.wake_fd)
				return NULL;
			if (ev[i].data.ptr == &guard.listen_fd)
				accept_now = 1;
			else
				guard_peek(ev[i].data.ptr);
		}
		/* After the batch: admitting may close a peeked connection
		 * whose event is in it. */
		if (accept_now)
			guard_accept();
		if ((now = time_mono_ms()) - last >= GUARD_TICK_MS) {
			guard_expire(now);
			last = now;
		}
	}
}

int
http_guard_listen(const struct addrinfo *ai, char **cause)
{
	int fd, one = 1;

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, GUARD_BACKLOG) != 0) {
		xasprintf(cause, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	guard.listen_fd = fd;
	return 0;
}

int
http_guard_start(char **cause)
{
	struct epoll_event ev;
	int rc;

	guard.epfd = epoll_create1(EPOLL_CLOEXEC);
	guard.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (guard.epfd < 0 || guard.wake_fd < 0) {
		xasprintf(cause, "epoll: %s", strerror(errno));
		goto fail;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = &guard.listen_fd;
	epoll_ctl(guard.epfd, EPOLL_CTL_ADD, guard.listen_fd, &ev);
	ev.data.ptr = &guard.wake_fd;
	epoll_ctl(guard.epfd, EPOLL_CTL_ADD, guard.wake_fd, &ev);
	if ((rc = pthread_create(&guard.thread, NULL, guard_main, NULL)) != 0) {
		xasprintf(cause, "cannot start the accepting thread: %s",
		    strerror(rc));
		goto fail;
	}
	guard.running = 1;
	return 0;
fail:
	http_guard_stop();
	return -1;
}

void
http_guard_quiesce(void)
{
	struct guard_conn *g, *next;

	if (guard.running) {
		if (write(guard.wake_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) <
		    0)
			(void)errno;
		pthread_join(guard.thread, NULL);
		guard.running = 0;
	}
	if (guard.listen_fd >= 0) {
		close(guard.listen_fd);
		guard.listen_fd = -1;
	}
	/* What never said a word is ours to close. */
	pthread_mutex_lock(&guard.lock);
	for (g = guard.head; g != NULL; g = next) {
		next = g->next;
		if (g->state == GUARD_PEEK)
			guard_close(g);
	}
	pthread_mutex_unlock(&guard.lock);
}

void
http_guard_stop(void)
{
	struct guard_conn *g;

	http_guard_quiesce();
	if (guard.epfd >= 0)
		close(guard.epfd);
	if (guard.wake_fd >= 0)
		close(guard.wake_fd);
	guard.epfd = guard.wake_fd = -1;
	/* libmicrohttpd has stopped: whatever is left never started. */
	pthread_mutex_lock(&guard.lock);
	while ((g = guard.head) != NULL)
		guard_forget(g);
	pthread_mutex_unlock(&guard.lock);
}

void
http_guard_set_timeout(int secs)
{
	pthread_mutex_lock(&guard.lock);
	guard.timeout_ms = (uint64_t)(secs > 0 ? secs : 1) * 1000;
	pthread_mutex_unlock(&guard.lock);
}

void
http_guard_counts(long long *refused, long long *evicted, long long *expired,
    long long *garbage)
{
	pthread_mutex_lock(&guard.lock);
	*refused = guard.refused;
	*evicted = guard.evicted;
	*expired = guard.expired;
	*garbage = guard.garbage;
	pthread_mutex_unlock(&guard.lock);
}
