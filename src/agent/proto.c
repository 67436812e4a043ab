/*
 * proto.c — NDJSON framing for the worker protocol.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/proto.h"
#include "security/sandbox.h"
#include "util/time.h"
#include "util/xalloc.h"

extern char **environ;

/* Passed on to a worker as they are: they change no tool's behaviour. */
static const char *const proto_env_keep[] = {
	"ASAN_OPTIONS",
	"UBSAN_OPTIONS",
	"LSAN_OPTIONS",
	NULL,
};

#define PROTO_CHUNK 65536
#define PROTO_PATH "PATH=" SANDBOX_PATH
#define PROTO_LANG "LANG=C.UTF-8"

void
proto_reader_init(struct proto_reader *r, int fd, size_t cap)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->cap = cap;
}

void
proto_reader_free(struct proto_reader *r)
{
	free(r->data);
	r->data = NULL;
	r->len = r->size = r->scanned = 0;
	r->skipping = 0;
}

/* Drop the first n pending bytes. */
static void
proto_consume(struct proto_reader *r, size_t n)
{
	memmove(r->data, r->data + n, r->len - n);
	r->len -= n;
	r->scanned = 0;
}

/* A complete line pending: 1 with it, -1 (EMSGSIZE) if over the cap. */
static int
proto_take_line(struct proto_reader *r, char **line, size_t *len, char **cause)
{
	char *nl;
	size_t n;

	if (r->len == r->scanned)
		return 0;
	nl = memchr(r->data + r->scanned, '\n', r->len - r->scanned);
	if (nl == NULL) {
		r->scanned = r->len;
		return 0;
	}
	n = (size_t)(nl - r->data);
	if (r->skipping || n > r->cap) {
		proto_consume(r, n + 1);
		r->skipping = 0;
		xasprintf(cause, "line longer than %zu bytes (skipped)",
		    r->cap);
		errno = EMSGSIZE;
		return -1;
	}
	*line = xmalloc(n + 1);
	memcpy(*line, r->data, n);
	(*line)[n] = '\0';
	*len = n;
	proto_consume(r, n + 1);
	return 1;
}

int
proto_read_line(struct proto_reader *r, int timeout_ms,
    const struct cancel *cancel, char **line, size_t *len, char **cause)
{
	struct pollfd pfd;
	uint64_t deadline = 0, now;
	ssize_t nr;
	int rc, ms, saved;

	*line = NULL;
	*len = 0;
	if (timeout_ms >= 0)
		deadline = time_mono_ms() + (uint64_t)timeout_ms;
	for (;;) {
		if ((rc = proto_take_line(r, line, len, cause)) != 0)
			return rc;
		if (r->skipping || r->len > r->cap) {
			/* Too long: forget it, but stay in step. */
			r->len = r->scanned = 0;
			r->skipping = 1;
		}
		ms = -1;
		if (deadline != 0) {
			now = time_mono_ms();
			ms = now >= deadline ? 0 : (int)(deadline - now);
		}
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if ((rc = cancel_poll(cancel, &pfd, 1, ms)) == -1) {
			saved = errno;
			if (saved == ECANCELED)
				xasprintf(cause, "cancelled");
			else
				xasprintf(cause, "poll: %s", strerror(saved));
			errno = saved;
			return -1;
		}
		if (rc == 0) {
			if (deadline != 0 && time_mono_ms() >= deadline) {
				xasprintf(cause, "no answer within %d ms",
				    timeout_ms);
				errno = ETIMEDOUT;
				return -1;
			}
			continue;
		}
		if (r->size - r->len < PROTO_CHUNK + 1) {
			r->size = r->size == 0 ? 2 * PROTO_CHUNK : r->size * 2;
			r->data = xrealloc(r->data, r->size);
		}
		nr = read(r->fd, r->data + r->len, r->size - r->len - 1);
		if (nr == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			saved = errno;
			xasprintf(cause, "read: %s", strerror(errno));
			errno = saved;
			return -1;
		}
		if (nr == 0) {
			if (r->len == 0 && !r->skipping)
				return 0;
			xasprintf(cause, "end of file inside a line");
			r->len = r->scanned = 0;
			r->skipping = 0;
			errno = EPROTO;
			return -1;
		}
		r->len += (size_t)nr;
	}
}

int
proto_write_all(int fd, const void *p, size_t n, const struct cancel *cancel,
    char **cause)
{
	const char *s = p;
	struct pollfd pfd;
	ssize_t w;
	int sock = 1, saved;

	while (n > 0) {
		if (cancel_fired(cancel)) {
			xasprintf(cause, "cancelled");
			errno = ECANCELED;
			return -1;
		}
		if (sock) {
			w = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w == -1 && errno == ENOTSOCK) {
				sock = 0;
				continue;
			}
		} else
			w = write(fd, s, n);
		if (w == -1 && errno == EAGAIN) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			if (cancel_poll(cancel, &pfd, 1, -1) == -1) {
				saved = errno;
				if (saved == ECANCELED)
					xasprintf(cause, "cancelled");
				else
					xasprintf(cause, "poll: %s",
					    strerror(saved));
				errno = saved;
				return -1;
			}
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			saved = errno;
			xasprintf(cause, "write: %s", strerror(errno));
			errno = saved;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
proto_write_json(int fd, const json_t *v, const struct cancel *cancel,
    char **cause)
{
	char *text;
	size_t n;
	int rc;

	if ((text = json_dumps(v, JSON_COMPACT)) == NULL) {
		xasprintf(cause, "cannot encode JSON (invalid UTF-8?)");
		errno = EINVAL;
		return -1;
	}
	n = strlen(text);
	text = xrealloc(text, n + 2);
	text[n++] = '\n';
	text[n] = '\0';
	rc = proto_write_all(fd, text, n, cancel, cause);
	free(text);
	return rc;
}

char **
proto_env(void)
{
	char **env;
	const char *v;
	size_t n = 0, i;

	env = xcalloc(sizeof proto_env_keep / sizeof *proto_env_keep + 4,
	    sizeof *env);
	env[n++] = xstrdup(PROTO_MARK "=1");
	env[n++] = xstrdup(PROTO_PATH);
	env[n++] = xstrdup(PROTO_LANG);
	for (i = 0; proto_env_keep[i] != NULL; i++) {
		if ((v = getenv(proto_env_keep[i])) != NULL)
			xasprintf(&env[n++], "%s=%s", proto_env_keep[i], v);
	}
	return env;
}

void
proto_env_free(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

int
proto_env_is_clean(void)
{
	char **e;
	size_t i, len;
	int ok;

	for (e = environ; e != NULL && *e != NULL; e++) {
		len = strcspn(*e, "=");
		ok = (len == 4 && strncmp(*e, "PATH", 4) == 0) ||
		    (len == 4 && strncmp(*e, "LANG", 4) == 0) ||
		    (len == strlen(PROTO_MARK) &&
			strncmp(*e, PROTO_MARK, len) == 0);
		for (i = 0; !ok && proto_env_keep[i] != NULL; i++)
			ok = strlen(proto_env_keep[i]) == len &&
			    strncmp(*e, proto_env_keep[i], len) == 0;
		if (!ok)
			return 0;
	}
	return 1;
}
