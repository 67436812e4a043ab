/*
 * ctl_io.c — the control socket's line reader and sender
 * (gateway/ctl_proto.h): whole lines out of a stream, capped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/ctl_proto.h"
#include "util/xalloc.h"

void
ctl_reader_init(struct ctl_reader *rd, size_t cap)
{
	memset(rd, 0, sizeof *rd);
	rd->cap = cap;
}

void
ctl_reader_free(struct ctl_reader *rd)
{
	free(rd->data);
	memset(rd, 0, sizeof *rd);
}

int
ctl_reader_feed(struct ctl_reader *rd, const void *p, size_t n)
{
	const char *nl;
	size_t need;

	if (n == 0)
		return 0;
	need = rd->len + n + 1;
	if (need > rd->size) {
		rd->size = rd->size == 0 ? 65536 : rd->size;
		while (rd->size < need)
			rd->size *= 2;
		rd->data = xrealloc(rd->data, rd->size);
	}
	memcpy(rd->data + rd->len, p, n);
	/* Only the new bytes are looked at for the last newline. */
	nl = memrchr(rd->data + rd->len, '\n', n);
	rd->len += n;
	if (nl != NULL)
		rd->tail = (size_t)(nl - rd->data) + 1;
	/* The pending line may not pass cap. */
	return rd->len - rd->tail > rd->cap ? -1 : 0;
}

long
ctl_reader_fill(struct ctl_reader *rd, int fd)
{
	char chunk[65536];
	ssize_t n;

	do
		n = read(fd, chunk, sizeof chunk);
	while (n == -1 && errno == EINTR);
	if (n > 0 && ctl_reader_feed(rd, chunk, (size_t)n) != 0)
		return -2;
	return (long)n;
}

char *
ctl_reader_next(struct ctl_reader *rd, size_t *len)
{
	char *nl, *line;
	size_t n;

	if (rd->tail == 0) /* no whole line */
		return NULL;
	nl = memchr(rd->data, '\n', rd->tail);
	n = (size_t)(nl - rd->data);
	line = xmalloc(n + 1);
	memcpy(line, rd->data, n);
	line[n] = '\0';
	memmove(rd->data, nl + 1, rd->len - n - 1);
	rd->len -= n + 1;
	rd->tail -= n + 1;
	*len = n;
	return line;
}

int
ctl_send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}
