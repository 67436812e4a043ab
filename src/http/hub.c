/*
 * hub.c — the WebSocket hub: one thread, epoll over every upgraded socket
 * and an eventfd that other threads use to say "there is output".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/hub.h"
#include "http/ws.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

struct hub_conn {
	int fd;
	struct MHD_UpgradeResponseHandle *urh;
	struct hub_handlers h;
	struct ws_parser parser;
	pthread_mutex_t lock; /* out, closing, refs, gone */
	struct buf out;
	size_t out_off;
	int closing; /* a close frame is queued: no more output */
	int close_sent, close_seen;
	int gone;   /* the socket is closed */
	int doomed; /* drop it without a close frame */
	int refs;
	int in_epoll;
	char *
	    extra; /* bytes read past the handshake, until the hub feeds them */
	size_t extra_len;
	uint64_t last_rx_ms, last_tx_ms;
	struct hub_conn *next, *prev; /* the hub's list */
};

static struct {
	pthread_mutex_t lock; /* list, count, run */
	pthread_t thread;
	int epfd, evfd;
	int run;
	size_t max_message;
	struct hub_conn *conns;
	struct hub_conn *pending; /* handed over, not yet taken by the hub */
	int count;
} hub = { .lock = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .evfd = -1 };

void
hub_ref(struct hub_conn *c)
{
	pthread_mutex_lock(&c->lock);
	c->refs++;
	pthread_mutex_unlock(&c->lock);
}

void
hub_unref(struct hub_conn *c)
{
	int refs;

	pthread_mutex_lock(&c->lock);
	refs = --c->refs;
	pthread_mutex_unlock(&c->lock);
	if (refs > 0)
		return;
	ws_parser_free(&c->parser);
	buf_free(&c->out);
	free(c->extra);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void
hub_kick(void)
{
	uint64_t one = 1;

	/* Under the lock: hub_stop() closes the descriptor, and a number
	 * read before could name another file by then. */
	pthread_mutex_lock(&hub.lock);
	if (hub.evfd >= 0 && write(hub.evfd, &one, sizeof one) < 0 &&
	    errno != EAGAIN)
		log_warn("hub: eventfd: %s", strerror(errno));
	pthread_mutex_unlock(&hub.lock);
}

/* Queue a frame; c->lock held.  -1 if the client is too far behind. */
static int
hub_queue(struct hub_conn *c, int op, const void *data, size_t len)
{
	if (c->gone || c->closing)
		return -1;
	if (ws_frame(&c->out, op, data, len) != 0)
		return -1;
	return 0;
}

int
hub_send(struct hub_conn *c, const char *text, size_t len)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = hub_queue(c, WS_OP_TEXT, text, len);
	if (rc != 0 && !c->gone && !c->closing) {
		/* Over HUB_MAX_PENDING: the client does not read.  A close
		 * frame may follow only whole frames: with one half sent,
		 * the connection is simply dropped. */
		if (c->out_off > 0)
			c->doomed = 1;
		else {
			buf_reset(&c->out);
			ws_frame_close(&c->out, WS_CLOSE_POLICY, "too slow");
		}
		c->closing = 1;
	}
	pthread_mutex_unlock(&c->lock);
	hub_kick();
	return rc;
}

void
hub_close(struct hub_conn *c, int code, const char *reason)
{
	pthread_mutex_lock(&c->lock);
	if (!c->gone && !c->closing) {
		ws_frame_close(&c->out, code, reason);
		c->closing = 1;
	}
	pthread_mutex_unlock(&c->lock);
	hub_kick();
}

int
hub_count(void)
{
	int n;

	pthread_mutex_lock(&hub.lock);
	n = hub.count;
	pthread_mutex_unlock(&hub.lock);
	return n;
}

/* Close the socket and forget the connection (hub thread). */
static void
hub_drop(struct hub_conn *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->gone) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->gone = 1;
	pthread_mutex_unlock(&c->lock);
	if (c->in_epoll)
		epoll_ctl(hub.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
	pthread_mutex_lock(&hub.lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		hub.conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	hub.count--;
	pthread_mutex_unlock(&hub.lock);
	if (c->h.close != NULL)
		c->h.close(c, c->h.arg);
	hub_unref(c); /* the hub's */
}

/* Write what is queued; returns -1 if the socket failed. */
static int
hub_flush(struct hub_conn *c)
{
	ssize_t n;
	int want_out, rc = 0, done_closing;
	struct epoll_event ev;

	pthread_mutex_lock(&c->lock);
	while (c->out_off < c->out.len) {
		n = send(c->fd, c->out.data + c->out_off,
		    c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				rc = -1;
			break;
		}
		c->out_off += (size_t)n;
		c->last_tx_ms = time_mono_ms();
	}
	if (c->out_off == c->out.len) {
		buf_reset(&c->out);
		c->out_off = 0;
	}
	want_out = c->out.len > 0;
	done_closing = c->closing && !want_out;
	if (done_closing)
		c->close_sent = 1;
	pthread_mutex_unlock(&c->lock);
	if (rc != 0)
		return -1;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0);
	ev.data.ptr = c;
	epoll_ctl(hub.epfd, EPOLL_CTL_MOD, c->fd, &ev);
	/* Our close is out and theirs came (or they will never answer):
	 * the handshake is over. */
	if (done_closing && c->close_seen)
		return -1;
	return 0;
}

static int
hub_on_message(void *arg, int op, const unsigned char *data, size_t len)
{
	struct hub_conn *c = arg;
	int code;

	switch (op) {
	case WS_OP_TEXT:
		if (c->h.text != NULL)
			c->h.text(c, (const char *)data, len, c->h.arg);
		return 0;
	case WS_OP_BINARY:
		hub_close(c, WS_CLOSE_UNSUPPORTED, "text frames only");
		return 0;
	case WS_OP_PING:
		pthread_mutex_lock(&c->lock);
		hub_queue(c, WS_OP_PONG, data, len);
		pthread_mutex_unlock(&c->lock);
		return 0;
	case WS_OP_PONG:
		return 0;
	case WS_OP_CLOSE:
		c->close_seen = 1;
		if (ws_close_parse(data, len, &code) != 0)
			code = WS_CLOSE_PROTOCOL;
		else if (code == WS_CLOSE_NO_STATUS)
			code = WS_CLOSE_NORMAL;
		hub_close(c, code, "");
		return 0;
	}
	return 0;
}

/* Read what the socket has; -1 when the connection is over. */
static int
hub_read(struct hub_conn *c)
{
	unsigned char in[16384];
	ssize_t n;

	for (;;) {
		n = recv(c->fd, in, sizeof in, MSG_DONTWAIT);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->last_rx_ms = time_mono_ms();
		if (c->close_seen)
			continue; /* nothing after a close counts */
		if (ws_parser_feed(&c->parser, in, (size_t)n, hub_on_message,
			c) != 0) {
			log_info("websocket: %s", c->parser.error);
			hub_close(c,
			    c->parser.close_code != 0 ? c->parser.close_code :
							WS_CLOSE_PROTOCOL,
			    c->parser.error);
			c->close_seen = 1; /* do not wait for an answer */
			return 0;
		}
	}
}

/* Pings for quiet connections, and the end of dead ones. */
static void
hub_tick(void)
{
	struct hub_conn *c, *next, *dead[64];
	uint64_t now = time_mono_ms();
	int i, ndead = 0;

	pthread_mutex_lock(&hub.lock);
	for (c = hub.conns; c != NULL; c = next) {
		next = c->next;
		if (now - c->last_rx_ms > HUB_IDLE_SECS * 1000ULL ||
		    (c->close_sent && now - c->last_tx_ms > 5000)) {
			if (ndead < 64)
				dead[ndead++] = c;
			continue;
		}
		if (now - c->last_tx_ms > HUB_PING_SECS * 1000ULL &&
		    now - c->last_rx_ms > HUB_PING_SECS * 1000ULL) {
			pthread_mutex_lock(&c->lock);
			hub_queue(c, WS_OP_PING, "", 0);
			c->last_tx_ms = now;
			pthread_mutex_unlock(&c->lock);
		}
	}
	pthread_mutex_unlock(&hub.lock);
	for (i = 0; i < ndead; i++)
		hub_drop(dead[i]);
}

static void hub_take_pending(void);

static void *
hub_main(void *arg)
{
	struct epoll_event evs[64];
	struct hub_conn *c, *next;
	uint64_t v, last_tick = time_mono_ms();
	int i, n;

	(void)arg;
	for (;;) {
		n = epoll_wait(hub.epfd, evs, 64, 1000);
		pthread_mutex_lock(&hub.lock);
		i = hub.run;
		pthread_mutex_unlock(&hub.lock);
		if (!i)
			break;
		hub_take_pending();
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				if (read(hub.evfd, &v, sizeof v) < 0 &&
				    errno != EAGAIN)
					log_warn("hub: eventfd: %s",
					    strerror(errno));
				continue;
			}
			c = evs[i].data.ptr;
			if (c->gone)
				continue;
			if ((evs[i].events &
				(EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
			    hub_read(c) != 0) {
				hub_drop(c);
				continue;
			}
			if (hub_flush(c) != 0)
				hub_drop(c);
		}
		/* Output queued by other threads. */
		pthread_mutex_lock(&hub.lock);
		for (c = hub.conns; c != NULL; c = c->next)
			hub_ref(c);
		c = hub.conns;
		pthread_mutex_unlock(&hub.lock);
		for (; c != NULL; c = next) {
			pthread_mutex_lock(&hub.lock);
			next = c->next;
			pthread_mutex_unlock(&hub.lock);
			if (!c->gone && (c->doomed || hub_flush(c) != 0))
				hub_drop(c);
			hub_unref(c);
		}
		if (time_mono_ms() - last_tick >= 1000) {
			last_tick = time_mono_ms();
			hub_tick();
		}
	}
	return NULL;
}

int
hub_add(int sock, struct MHD_UpgradeResponseHandle *urh, const char *extra,
    size_t extra_len, const struct hub_handlers *h)
{
	struct hub_conn *c;
	int fl;

	c = xcalloc(1, sizeof *c);
	c->fd = sock;
	c->urh = urh;
	c->h = *h;
	c->refs = 1;
	pthread_mutex_init(&c->lock, NULL);
	buf_init(&c->out, HUB_MAX_PENDING);
	ws_parser_init(&c->parser, hub.max_message);
	c->last_rx_ms = c->last_tx_ms = time_mono_ms();
	if (extra_len > 0) {
		c->extra = xmalloc(extra_len);
		memcpy(c->extra, extra, extra_len);
		c->extra_len = extra_len;
	}
	if ((fl = fcntl(sock, F_GETFL)) >= 0)
		fcntl(sock, F_SETFL, fl | O_NONBLOCK);

	/* The hub thread takes it from here: every change of a connection
	 * but its output happens on that one thread. */
	pthread_mutex_lock(&hub.lock);
	if (!hub.run) {
		pthread_mutex_unlock(&hub.lock);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		if (c->h.close != NULL)
			c->h.close(c, c->h.arg);
		hub_unref(c);
		return -1;
	}
	c->next = hub.pending;
	hub.pending = c;
	hub.count++;
	pthread_mutex_unlock(&hub.lock);
	hub_kick();
	return 0;
}

/* Take the connections handed over by hub_add() (hub thread). */
static void
hub_take_pending(void)
{
	struct hub_conn *c, *next;
	struct epoll_event ev;

	pthread_mutex_lock(&hub.lock);
	c = hub.pending;
	hub.pending = NULL;
	pthread_mutex_unlock(&hub.lock);
	for (; c != NULL; c = next) {
		pthread_mutex_lock(&hub.lock);
		next = c->next;
		c->prev = NULL;
		c->next = hub.conns;
		if (c->next != NULL)
			c->next->prev = c;
		hub.conns = c;
		pthread_mutex_unlock(&hub.lock);
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
		ev.data.ptr = c;
		if (epoll_ctl(hub.epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
			log_warn("hub: epoll: %s", strerror(errno));
			hub_drop(c);
			continue;
		}
		c->in_epoll = 1;
		if (c->h.open != NULL)
			c->h.open(c, c->h.arg);
		if (c->extra_len > 0 &&
		    ws_parser_feed(&c->parser, (const unsigned char *)c->extra,
			c->extra_len, hub_on_message, c) != 0) {
			hub_close(c,
			    c->parser.close_code != 0 ? c->parser.close_code :
							WS_CLOSE_PROTOCOL,
			    c->parser.error);
			c->close_seen = 1;
		}
		free(c->extra);
		c->extra = NULL;
		c->extra_len = 0;
	}
}

int
hub_start(size_t max_message, char **cause)
{
	struct epoll_event ev;

	hub.max_message = max_message;
	if ((hub.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (hub.evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		xasprintf(cause, "websocket hub: %s", strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(hub.epfd, EPOLL_CTL_ADD, hub.evfd, &ev);
	hub.run = 1;
	if (pthread_create(&hub.thread, NULL, hub_main, NULL) != 0) {
		xasprintf(cause, "websocket hub: cannot start its thread");
		hub.run = 0;
		return -1;
	}
	return 0;
}

void
hub_stop(void)
{
	struct hub_conn *c;
	int i;

	pthread_mutex_lock(&hub.lock);
	if (!hub.run) {
		pthread_mutex_unlock(&hub.lock);
		return;
	}
	for (c = hub.conns; c != NULL; c = c->next) {
		pthread_mutex_lock(&c->lock);
		if (!c->closing && !c->gone) {
			ws_frame_close(&c->out, WS_CLOSE_GOING_AWAY,
			    "server stopping");
			c->closing = 1;
		}
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&hub.lock);
	hub_kick();
	/* A moment for the close frames to go out. */
	for (i = 0; i < 20 && hub_count() > 0; i++)
		usleep(10000);
	pthread_mutex_lock(&hub.lock);
	hub.run = 0;
	pthread_mutex_unlock(&hub.lock);
	hub_kick();
	pthread_join(hub.thread, NULL);
	hub_take_pending();
	while ((c = hub.conns) != NULL)
		hub_drop(c);
	pthread_mutex_lock(&hub.lock);
	close(hub.epfd);
	close(hub.evfd);
	hub.epfd = hub.evfd = -1;
	pthread_mutex_unlock(&hub.lock);
}
