/*
 * sse.c — Server-Sent Events, following the WHATWG HTML standard,
 * "Interpreting an event stream".
 *
 * Bytes are cut into lines at CRLF, LF or CR.  A line that lies whole
 * inside one piece is parsed where it is; only the unfinished tail of a
 * piece is copied into `line`, to be completed by the next piece.  A CR at
 * the end of a piece sets `cr`, so that an LF opening the next piece is
 * taken as the second half of the same line end.  The stream is not
 * decoded: values are passed on as the bytes they are, and a multi-byte
 * UTF-8 character split across pieces comes out whole.  Only a leading BOM
 * (EF BB BF) is recognised, byte by byte, so that it too may be split.
 *
 * The cap: the pending line (whether copied or not) plus the data and the
 * event type gathered so far may not pass `max`.  Processing a line never
 * adds more to the data or type than the line's length, so the sum stays
 * within the cap and a line that never ends is refused once it passes it.
 *
 * After sse_finish() the parser is ready for a new stream (a reconnection):
 * the last event id and the retry time carry over, nothing else does.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "llm/sse.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define SSE_BOM "\xEF\xBB\xBF"
#define SSE_BOM_LEN 3

struct sse_parser {
	size_t max;                /* cap of line + data + type */
	sse_event_cb on_event;     /* may be NULL */
	sse_comment_cb on_comment; /* may be NULL */
	void *arg;

	struct buf line; /* an unfinished line from an earlier piece */
	struct buf data; /* the data buffer: each value and '\n' */
	struct buf type; /* the event type buffer */
	struct buf id;   /* the last event ID buffer (kept across events) */
	long retry;      /* the reconnection time, or -1 */

	int bom;     /* BOM bytes matched so far; SSE_BOM_LEN: past it */
	int cr;      /* the last line ended with CR: skip one LF */
	int inevent; /* a field line was seen since the last blank line */
	int failed;  /* the cap was passed: the parser is unusable */
};

struct sse_parser *
sse_new(size_t max_event, sse_event_cb on_event, sse_comment_cb on_comment,
    void *arg)
{
	struct sse_parser *p;

	p = xcalloc(1, sizeof *p);
	p->max = max_event != 0 ? max_event : SSE_MAX_EVENT;
	p->on_event = on_event;
	p->on_comment = on_comment;
	p->arg = arg;
	buf_init(&p->line, p->max);
	buf_init(&p->data, p->max);
	buf_init(&p->type, p->max);
	buf_init(&p->id, p->max);
	p->retry = -1;
	return p;
}

void
sse_free(struct sse_parser *p)
{
	if (p == NULL)
		return;
	buf_free(&p->line);
	buf_free(&p->data);
	buf_free(&p->type);
	buf_free(&p->id);
	free(p);
}

long
sse_retry_ms(const struct sse_parser *p)
{
	return p->retry;
}

/* Whether `n` more bytes of the pending line stay within the cap. */
static int
sse_fits(const struct sse_parser *p, size_t n)
{
	size_t used;

	used = p->line.len + p->data.len + p->type.len;
	return used <= p->max && n <= p->max - used;
}

/* A blank line: dispatch the event, if it has data, and start a new one. */
static int
sse_dispatch(struct sse_parser *p)
{
	struct sse_event ev;
	int rc = 0;

	p->inevent = 0;
	if (p->data.len == 0) {
		buf_reset(&p->type);
		return 0;
	}
	/* Remove the '\n' that follows the last value. */
	p->data.data[--p->data.len] = '\0';
	ev.type = p->type.len > 0 ? buf_str(&p->type) : "message";
	ev.data = buf_str(&p->data);
	ev.data_len = p->data.len;
	ev.id = buf_str(&p->id);
	if (p->on_event != NULL)
		rc = p->on_event(&ev, p->arg);
	buf_reset(&p->data);
	buf_reset(&p->type);
	return rc;
}

/* "retry": only ASCII digits set the reconnection time (saturating). */
static void
sse_retry(struct sse_parser *p, const char *v, size_t n)
{
	long ms = 0;
	size_t i;
	int d;

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return;
	}
	for (i = 0; i < n; i++) {
		d = v[i] - '0';
		if (ms > (LONG_MAX - d) / 10)
			ms = LONG_MAX;
		else
			ms = ms * 10 + d;
	}
	p->retry = ms;
}

/*
 * One line, without its line end.  Returns 0 or the event callback's
 * value.  The caller has checked the line against the cap, so the buffers
 * cannot refuse what is added here.
 */
static int
sse_line(struct sse_parser *p, const char *s, size_t n)
{
	const char *colon, *v;
	size_t namelen, vlen;

	if (n == 0)
		return sse_dispatch(p);
	if (s[0] == ':') {
		if (p->on_comment != NULL)
			p->on_comment(s + 1, n - 1, p->arg);
		return 0;
	}
	p->inevent = 1;
	if ((colon = memchr(s, ':', n)) != NULL) {
		namelen = (size_t)(colon - s);
		v = colon + 1;
		vlen = n - namelen - 1;
		if (vlen > 0 && v[0] == ' ') {
			v++;
			vlen--;
		}
	} else {
		namelen = n;
		v = "";
		vlen = 0;
	}

	if (namelen == 4 && memcmp(s, "data", 4) == 0) {
		if (buf_add(&p->data, v, vlen) != 0 ||
		    buf_addc(&p->data, '\n') != 0)
			abort();
	} else if (namelen == 5 && memcmp(s, "event", 5) == 0) {
		buf_reset(&p->type);
		if (buf_add(&p->type, v, vlen) != 0)
			abort();
	} else if (namelen == 2 && memcmp(s, "id", 2) == 0) {
		if (memchr(v, '\0', vlen) == NULL) {
			buf_reset(&p->id);
			if (buf_add(&p->id, v, vlen) != 0)
				abort();
		}
	} else if (namelen == 5 && memcmp(s, "retry", 5) == 0)
		sse_retry(p, v, vlen);
	/* Any other field is ignored. */
	return 0;
}

/* Cut bytes (past the BOM) into lines. */
static int
sse_scan(struct sse_parser *p, const char *s, size_t n)
{
	const char *line;
	size_t i, linelen;
	int rc;

	while (n > 0) {
		if (p->cr) {
			p->cr = 0;
			if (s[0] == '\n') {
				s++;
				n--;
				continue;
			}
		}
		for (i = 0; i < n && s[i] != '\n' && s[i] != '\r'; i++)
			;
		if (!sse_fits(p, i))
			goto toobig;
		if (i == n) {
			/* No line end yet: keep the start of the line. */
			if (buf_add(&p->line, s, n) != 0)
				goto toobig;
			return 0;
		}
		if (p->line.len > 0) {
			if (buf_add(&p->line, s, i) != 0)
				goto toobig;
			line = p->line.data;
			linelen = p->line.len;
		} else {
			line = s;
			linelen = i;
		}
		p->cr = s[i] == '\r';
		s += i + 1;
		n -= i + 1;
		rc = sse_line(p, line, linelen);
		buf_reset(&p->line);
		if (rc != 0)
			return rc;
	}
	return 0;

toobig:
	p->failed = 1;
	return -1;
}

int
sse_feed(struct sse_parser *p, const char *buf, size_t len)
{
	int held, rc;

	if (p->failed)
		return -1;
	/* A leading BOM is skipped, even if it comes a byte at a time. */
	while (p->bom < SSE_BOM_LEN && len > 0) {
		if (*buf == SSE_BOM[p->bom]) {
			p->bom++;
			buf++;
			len--;
			continue;
		}
		/* Not a BOM after all: the bytes held back are text. */
		held = p->bom;
		p->bom = SSE_BOM_LEN;
		if (held > 0 && (rc = sse_scan(p, SSE_BOM, held)) != 0)
			return rc;
	}
	if (len == 0)
		return 0;
	return sse_scan(p, buf, len);
}

int
sse_finish(struct sse_parser *p)
{
	int partial;

	/*
	 * An event is cut short if a field line came after the last blank
	 * line, or a line other than a comment is unfinished (bytes of a BOM
	 * that never completed are such a line), or the cap was passed.
	 */
	partial = p->failed || p->inevent ||
	    (p->bom > 0 && p->bom < SSE_BOM_LEN) ||
	    (p->line.len > 0 && p->line.data[0] != ':');
	buf_reset(&p->line);
	buf_reset(&p->data);
	buf_reset(&p->type);
	p->bom = 0;
	p->cr = 0;
	p->inevent = 0;
	return partial;
}
