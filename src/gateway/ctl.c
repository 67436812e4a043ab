/*
 * ctl.c — the control socket's server (see ctl.h, ctl_proto.h).
 *
 * One accepting thread; one thread per connection.  A connection's thread
 * reads the request (within CTL_REQUEST_MS), hands the run to the gateway
 * with the connection as its sink and owner, then watches the socket: a
 * {"type":"cancel"} line or a hang-up fires the run's cancel token at
 * once.  The run's host thread writes the events; its release wakes the
 * connection's thread through a pipe, which then closes and frees all.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gateway/ctl.h"
#include "gateway/ctl_proto.h"
#include "gateway/gateway.h"
#include "config/home.h"
#include "config/live.h"
#include "kernel/approvals.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define CTL_REQUEST_MS 30000 /* to send the request line */
#define CTL_SEND_MS 30000    /* a client that reads nothing this long */
#define CTL_MAX_CONNS 256    /* connections at once */
#define CTL_LINGER_MS 1000   /* a refused client's rest, read and dropped */

struct ctl_conn {
	int fd;
	int done[2];   /* the run's release writes a byte */
	int broken;    /* a write failed (host thread only) */
	char carry[4]; /* the start of a character cut by a text delta */
	size_t ncarry;
	struct ctl_conn *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t ended;
	int fd;      /* listening; -1 */
	int stop[2]; /* the accepting thread's wake-up */
	pthread_t thread;
	int running;  /* the accepting thread runs */
	int stopping; /* guarded by lock */
	int conns;    /* connection threads alive, guarded by lock */
	char *path;
} ctl = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, -1, { -1, -1 },
	0, 0, 0, 0, NULL };

/* Send a line (consumed) to the run's client; a failed write cancels. */
static void
ctl_emit(struct ctl_conn *c, char *line, size_t len)
{
	if (line == NULL)
		return;
	if (!c->broken && ctl_send_all(c->fd, line, len) != 0) {
		c->broken = 1;
		log_info("ctl: the client is gone; cancelling its run");
		gateway_cancel_owner(c);
	}
	free(line);
}

static void
ctl_sink_started(const struct kernel_run *r, void *arg)
{
	size_t len = 0;
	char *line;

	line = ctl_ev_started(r, &len);
	ctl_emit(arg, line, len);
}

/*
 * Text, as whole characters: a character cut between two deltas waits
 * for its end; bytes that no character could hold become U+FFFD.
 */
static void
ctl_sink_text(const char *s, size_t n, void *arg)
{
	struct ctl_conn *c = arg;
	char *all = xmalloc(c->ncarry + n + 1), *out;
	size_t len = c->ncarry + n, ok, olen = 0, lnlen;

	memcpy(all, c->carry, c->ncarry);
	memcpy(all + c->ncarry, s, n);
	c->ncarry = 0;
	out = xmalloc(len * 3 + 1);
	for (size_t i = 0; i < len;) {
		ok = utf8_valid_prefix(all + i, len - i);
		memcpy(out + olen, all + i, ok);
		olen += ok;
		i += ok;
		if (i == len)
			break;
		if (len - i < 4 &&
		    utf8_run(UTF8_ACCEPT, all + i, len - i) != UTF8_REJECT) {
			memcpy(c->carry, all + i, len - i);
			c->ncarry = len - i;
			break;
		}
		memcpy(out + olen, "\xef\xbf\xbd", 3);
		olen += 3;
		i++;
	}
	if (olen > 0) {
		char *line = ctl_ev_text(out, olen, &lnlen);

		ctl_emit(c, line, lnlen);
	}
	free(out);
	free(all);
}

static void
ctl_sink_reset(void *arg)
{
	struct ctl_conn *c = arg;
	size_t len = 0;
	char *line;

	c->ncarry = 0;
	line = ctl_ev_reset(&len);
	ctl_emit(c, line, len);
}

static void
ctl_sink_tool_start(const char *name, const json_t *input, void *arg)
{
	size_t len = 0;
	char *line;

	line = ctl_ev_tool(0, name, input, &len);
	ctl_emit(arg, line, len);
}

static void
ctl_sink_tool_end(const char *name, const json_t *result, void *arg)
{
	size_t len = 0;
	char *line;

	line = ctl_ev_tool(1, name, result, &len);
	ctl_emit(arg, line, len);
}

static void
ctl_sink_done(const struct kernel_run *r, void *arg)
{
	size_t len = 0;
	char *line;

	line = ctl_ev_done(r, &len);
	ctl_emit(arg, line, len);
}

static void
ctl_sink_release(void *arg)
{
	struct ctl_conn *c = arg;

	if (write(c->done[1], "x", 1) != 1)
		log_warn("ctl: cannot wake a connection: %s", strerror(errno));
}

static void
ctl_sink_questions(const json_t *questions, int round, void *arg)
{
	size_t len = 0;
	char *line;

	line = ctl_ev_questions(questions, round, &len);
	ctl_emit(arg, line, len);
}

static void
ctl_sink_phase(const struct kernel_run *r, const char *seed_id, int generation,
    const char *phase, void *arg)
{
	size_t len = 0;
	char *line;

	(void)r;
	line = ctl_ev_phase(seed_id, generation, phase, &len);
	ctl_emit(arg, line, len);
}

static void
ctl_sink_retry(const char *why, int attempt, long wait_ms, void *arg)
{
	size_t len = 0;
	char *line;

	line = ctl_ev_retry(why, attempt, wait_ms, &len);
	ctl_emit(arg, line, len);
}

/* A tool call waits for a human: a client that said "approvals" may
 * answer with an approve line. */
static void
ctl_sink_approval(const json_t *a, void *arg)
{
	size_t len = 0;
	char *line;

	line = ctl_ev_approval(a, &len);
	ctl_emit(arg, line, len);
}

/* A client that said "ask" answers the interview's questions; for
 * others this sink's questions are dropped (the defaults are taken). */
static const struct gateway_sink ctl_sink = {
	.started = ctl_sink_started,
	.text = ctl_sink_text,
	.reset = ctl_sink_reset,
	.tool_start = ctl_sink_tool_start,
	.tool_end = ctl_sink_tool_end,
	.done = ctl_sink_done,
	.release = ctl_sink_release,
	.questions = ctl_sink_questions,
	.phase = ctl_sink_phase,
	.retry = ctl_sink_retry,
	.approval = ctl_sink_approval,
};

/* Tell the client why, in one error line. */
static void
ctl_tell(int fd, const char *why)
{
	size_t len;
	char *line = ctl_ev_error(why, &len);

	if (line != NULL)
		(void)ctl_send_all(fd, line, len);
	free(line);
}

/*
 * Tell the client why, and read what it sent until it hangs up (up to
 * CTL_LINGER_MS): a Unix socket closed with unread data resets the
 * peer's connection, and the client would lose the error line.
 */
static void
ctl_refuse(int fd, const char *why)
{
	uint64_t end = time_mono_ms() + CTL_LINGER_MS, now;
	struct pollfd p;
	char buf[65536];
	ssize_t n;

	ctl_tell(fd, why);
	shutdown(fd, SHUT_WR);
	while ((now = time_mono_ms()) < end) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)(end - now)) <= 0)
			break;
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			break;
	}
}

/* Read the request line within CTL_REQUEST_MS.  New string, or NULL
 * with *cause. */
static char *
ctl_read_request(struct ctl_conn *c, struct ctl_reader *rd, size_t *len,
    char **cause)
{
	uint64_t end = time_mono_ms() + CTL_REQUEST_MS, now;
	struct pollfd p[2];
	char *line;
	long n;

	for (;;) {
		if ((line = ctl_reader_next(rd, len)) != NULL)
			return line;
		now = time_mono_ms();
		if (now >= end) {
			xasprintf(cause, "no request within %d s",
			    CTL_REQUEST_MS / 1000);
			return NULL;
		}
		p[0].fd = c->fd;
		p[0].events = POLLIN;
		p[1].fd = ctl.stop[0];
		p[1].events = POLLIN;
		if (poll(p, 2, (int)(end - now)) == -1 && errno != EINTR) {
			xasprintf(cause, "poll: %s", strerror(errno));
			return NULL;
		}
		if (p[1].revents != 0) {
			xasprintf(cause, "the daemon is stopping");
			return NULL;
		}
		if (p[0].revents == 0)
			continue;
		if ((n = ctl_reader_fill(rd, c->fd)) == -2) {
			xasprintf(cause, "the request is longer than %d bytes",
			    CTL_LINE_MAX);
			return NULL;
		}
		if (n <= 0) {
			xasprintf(cause, "the client left before its request");
			return NULL;
		}
	}
}

/* The client's answer to an approval (as the daemon's own uid, the only
 * one the socket admits); one that lost (answered elsewhere, expired) is
 * only logged. */
static void
ctl_approve(const struct ctl_control *cl)
{
	int deny = strcmp(cl->decision, "deny") == 0;
	char actor[32], *cause = NULL;
	sqlite3 *db = db_get();

	snprintf(actor, sizeof actor, "uid:%u", (unsigned)geteuid());
	if (db == NULL)
		log_warn("ctl: approval %s: no database", cl->id);
	else if (approvals_answer(db, cl->id, !deny, deny ? NULL : cl->decision,
		     actor, NULL, &cause) != 0)
		log_info("ctl: approval %s: %s", cl->id, cause);
	free(cause);
}

/* A line from the client during its run: a cancel or its answers; a
 * line that is neither, or answers that do not fit the questions, cancel
 * the run (late answers are dropped). */
static void
ctl_control(struct ctl_conn *c, const char *line, size_t len)
{
	struct ctl_control cl;
	char *cause = NULL;
	int rc;

	if (ctl_control_parse(line, len, &cl, &cause) == 0 &&
	    cl.type == CTL_CANCEL)
		log_info("ctl: the client cancels its run");
	else if (cause == NULL && cl.type == CTL_APPROVE) {
		ctl_approve(&cl);
		return;
	} else if (cause == NULL) {
		rc = gateway_answer(c, cl.answers, cl.go, &cause);
		if (rc == -2) /* late: the round took its defaults */
			log_info("ctl: answers dropped: %s", cause);
		ctl_control_free(&cl);
		if (rc != -1) {
			free(cause);
			return;
		}
	}
	if (cause != NULL)
		log_warn("ctl: %s; cancelling the run", cause);
	free(cause);
	ctl_control_free(&cl);
	gateway_cancel_owner(c);
}

/* Until the run is released: a cancel line or a hang-up cancels it. */
static void
ctl_watch(struct ctl_conn *c, struct ctl_reader *rd)
{
	struct pollfd p[2];
	int watching = 1;
	char *line, byte;
	size_t len;
	long n;

	for (;;) {
		p[0].fd = watching ? c->fd : -1;
		p[0].events = POLLIN | POLLRDHUP;
		p[0].revents = 0;
		p[1].fd = c->done[0];
		p[1].events = POLLIN;
		p[1].revents = 0;
		while ((line = ctl_reader_next(rd, &len)) != NULL) {
			ctl_control(c, line, len);
			free(line);
		}
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_error("ctl: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents != 0) {
			/* Read the release's byte: its write happened
			 * before. */
			while (
			    read(c->done[0], &byte, 1) == -1 && errno == EINTR)
				;
			break;
		}
		if (p[0].revents == 0)
			continue;
		if ((n = ctl_reader_fill(rd, c->fd)) <= 0 &&
		    !(n == -1 && errno == EAGAIN)) {
			/* Hung up (or a line too long): cancel now. */
			log_info("ctl: the client hung up; cancelling its run");
			gateway_cancel_owner(c);
			watching = 0;
		}
	}
}

/* Whether the peer is us; else tell it, log and audit. */
static int
ctl_peer_ok(int fd)
{
	struct ucred cred;
	socklen_t n = sizeof cred;
	char why[160], actor[48];
	json_t *d;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) != 0) {
		log_warn("ctl: SO_PEERCRED: %s", strerror(errno));
		return 0;
	}
	if (cred.uid == geteuid())
		return 1;
	snprintf(why, sizeof why,
	    "permission denied: uid %u may not use this daemon's control "
	    "socket (only uid %u may)",
	    (unsigned)cred.uid, (unsigned)geteuid());
	log_warn("ctl: refused pid %d of uid %u", (int)cred.pid,
	    (unsigned)cred.uid);
	snprintf(actor, sizeof actor, "uid:%u", (unsigned)cred.uid);
	d = json_pack("{s:i, s:i, s:s}", "pid", (int)cred.pid, "uid",
	    (int)cred.uid, "why", "peer uid is not the daemon's");
	audit_note(db_get(), actor, AUDIT_ACCESS_DENIED, CTL_SOCKET, d);
	json_decref(d);
	ctl_refuse(fd, why); /* audited first: the client may look */
	return 0;
}

static void *
ctl_conn_thread(void *arg)
{
	struct ctl_conn *c = arg;
	struct ctl_reader rd;
	struct ctl_request req;
	struct gateway_msg m;
	struct gateway_sink sink;
	struct timeval tv = { CTL_SEND_MS / 1000, 0 };
	const struct config *cfg;
	char *line = NULL, *cause = NULL, uid[32];
	size_t len;
	int stopping;

	ctl_reader_init(&rd, CTL_LINE_MAX);
	memset(&req, 0, sizeof req);
	if (!ctl_peer_ok(c->fd))
		goto out;
	if ((line = ctl_read_request(c, &rd, &len, &cause)) == NULL ||
	    ctl_request_parse(line, len, &req, &cause) != 0) {
		log_warn("ctl: %s", cause);
		ctl_refuse(c->fd, cause);
		goto out;
	}
	pthread_mutex_lock(&ctl.lock);
	stopping = ctl.stopping;
	pthread_mutex_unlock(&ctl.lock);
	if (stopping) {
		ctl_refuse(c->fd, "the daemon is stopping");
		goto out;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	memset(&m, 0, sizeof m);
	/* Only the daemon's own uid gets here (ctl_peer_ok()). */
	snprintf(uid, sizeof uid, "uid:%u", (unsigned)geteuid());
	m.identity = uid;
	m.content = req.prompt;
	m.session_id = req.session;
	m.model = req.model;
	m.timeout_ms = req.timeout_secs * 1000;
	m.budget_tokens = req.budget_tokens;
	m.budget_usd = req.budget_usd;
	m.cls = req.cls;
	m.spec = req.spec;
	m.principal = req.agent;
	m.persona = req.persona;
	m.approvals = req.approvals;
	m.space = req.space;
	cfg = config_live_get();
	sink = ctl_sink;
	if (!req.ask)
		sink.questions = NULL;
	if (!req.approvals)
		sink.approval = NULL;
	if (gateway_submit(cfg, &m, &sink, c, c, &cause) != 0) {
		config_live_put(cfg);
		log_error("ctl: %s", cause);
		ctl_refuse(c->fd, cause);
		goto out;
	}
	ctl_watch(c, &rd);
	config_live_put(cfg); /* the run has ended: released */
out:
	free(line);
	free(cause);
	ctl_request_free(&req);
	ctl_reader_free(&rd);
	close(c->fd);
	close(c->done[0]);
	close(c->done[1]);
	free(c);
	pthread_mutex_lock(&ctl.lock);
	ctl.conns--;
	pthread_cond_broadcast(&ctl.ended);
	pthread_mutex_unlock(&ctl.lock);
	return NULL;
}

static void
ctl_accept_one(int fd)
{
	struct ctl_conn *c;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_mutex_lock(&ctl.lock);
	rc = ctl.conns >= CTL_MAX_CONNS;
	pthread_mutex_unlock(&ctl.lock);
	if (rc) {
		log_warn("ctl: %d connections: refusing one more",
		    CTL_MAX_CONNS);
		ctl_tell(fd, "too many connections to the control socket");
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	if (pipe2(c->done, O_CLOEXEC) != 0) {
		log_error("ctl: pipe: %s", strerror(errno));
		close(fd);
		free(c);
		return;
	}
	pthread_mutex_lock(&ctl.lock);
	ctl.conns++;
	pthread_mutex_unlock(&ctl.lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, ctl_conn_thread, c);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return;
	log_error("ctl: cannot start a thread: %s", strerror(rc));
	ctl_tell(fd, "the daemon cannot start a thread");
	close(fd);
	close(c->done[0]);
	close(c->done[1]);
	free(c);
	pthread_mutex_lock(&ctl.lock);
	ctl.conns--;
	pthread_mutex_unlock(&ctl.lock);
}

static void *
ctl_accept_thread(void *arg)
{
	struct pollfd p[2];
	int fd;

	(void)arg;
	for (;;) {
		p[0].fd = ctl.fd;
		p[0].events = POLLIN;
		p[1].fd = ctl.stop[0];
		p[1].events = POLLIN;
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_error("ctl: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents != 0)
			break;
		if ((fd = accept4(ctl.fd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED)
				log_warn("ctl: accept: %s", strerror(errno));
			continue;
		}
		ctl_accept_one(fd);
	}
	return NULL;
}

int
ctl_start(char **cause)
{
	struct sockaddr_un sa;
	char *dir = home_path("run");
	struct stat st;
	int rc;

	ctl.path = home_path(CTL_SOCKET);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(ctl.path) >= sizeof sa.sun_path) {
		xasprintf(cause, "%s: the path is too long for a socket",
		    ctl.path);
		goto fail;
	}
	memcpy(sa.sun_path, ctl.path, strlen(ctl.path) + 1);
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    chmod(dir, 0700) != 0 || lstat(dir, &st) != 0) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		xasprintf(cause, "%s: not a directory of ours", dir);
		goto fail;
	}
	/* A daemon holds the pidfile lock: a socket here is stale. */
	if (unlink(ctl.path) != 0 && errno != ENOENT) {
		xasprintf(cause, "%s: %s", ctl.path, strerror(errno));
		goto fail;
	}
	if ((ctl.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    pipe2(ctl.stop, O_CLOEXEC) != 0) {
		xasprintf(cause, "control socket: %s", strerror(errno));
		goto fail;
	}
	{
		mode_t old = umask(0177); /* the socket is born 0600 */

		rc = bind(ctl.fd, (struct sockaddr *)&sa, sizeof sa);
		umask(old);
	}
	if (rc != 0 || chmod(ctl.path, 0600) != 0 || listen(ctl.fd, 64) != 0) {
		xasprintf(cause, "%s: %s", ctl.path, strerror(errno));
		goto fail;
	}
	if ((rc = pthread_create(&ctl.thread, NULL, ctl_accept_thread, NULL)) !=
	    0) {
		xasprintf(cause, "control socket: a thread: %s", strerror(rc));
		goto fail;
	}
	ctl.running = 1;
	log_info("control socket %s", ctl.path);
	free(dir);
	return 0;
fail:
	free(dir);
	ctl_quiesce();
	return -1;
}

void
ctl_quiesce(void)
{
	pthread_mutex_lock(&ctl.lock);
	ctl.stopping = 1;
	pthread_mutex_unlock(&ctl.lock);
	if (ctl.running) {
		if (write(ctl.stop[1], "x", 1) != 1)
			log_warn("ctl: stop: %s", strerror(errno));
		pthread_join(ctl.thread, NULL);
		ctl.running = 0;
	}
	if (ctl.fd != -1) {
		close(ctl.fd);
		ctl.fd = -1;
		if (ctl.path != NULL)
			unlink(ctl.path);
	}
	free(ctl.path);
	ctl.path = NULL;
}

void
ctl_stop(long ms)
{
	uint64_t end = time_mono_ms() + (uint64_t)ms;
	struct timespec ts;
	int left;

	ctl_quiesce();
	pthread_mutex_lock(&ctl.lock);
	while (ctl.conns > 0 && time_mono_ms() < end) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ctl.ended, &ctl.lock, &ts);
	}
	left = ctl.conns;
	pthread_mutex_unlock(&ctl.lock);
	if (left > 0)
		log_warn("ctl: %d connection(s) did not end", left);
	if (ctl.stop[0] != -1 && left == 0) {
		close(ctl.stop[0]);
		close(ctl.stop[1]);
		ctl.stop[0] = ctl.stop[1] = -1;
	}
}
