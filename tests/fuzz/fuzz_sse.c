/*
 * fuzz_sse.c — Server-Sent Events.  The input is parsed in one piece, in
 * two pieces cut at a point taken from its first byte, a byte at a time,
 * and in pieces whose sizes come from the input itself; every run must
 * report the same events (type, data, id) and comments, return the same
 * value and leave the same retry time.  The one-piece run must also agree
 * with a plain reference parser below, which reads the whole input line by
 * line the way the standard words it.  Each event's data is
 * NUL-terminated at data_len, holds no CR, and its type and id no line
 * end.  The second byte's low bit picks a small cap, so the cap is
 * exercised too.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/sse.h"
#include "util/buf.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one run saw, as bytes, so that runs can be compared. */
static void
fuzz_sse_log(struct buf *log, char tag, const char *s, size_t n)
{
	/* Length first, so that no two different logs look alike. */
	if (buf_printf(log, "%c%zu:", tag, n) != 0 || buf_add(log, s, n) != 0)
		abort();
}

static int
fuzz_sse_event(const struct sse_event *ev, void *arg)
{
	struct buf *log = arg;

	if (ev->type == NULL || ev->data == NULL || ev->id == NULL)
		abort();
	if (ev->data[ev->data_len] != '\0')
		abort();
	if (memchr(ev->data, '\0', ev->data_len) == NULL &&
	    strlen(ev->data) != ev->data_len)
		abort();
	if (memchr(ev->data, '\r', ev->data_len) != NULL)
		abort();
	if (strpbrk(ev->type, "\r\n") != NULL ||
	    strpbrk(ev->id, "\r\n") != NULL)
		abort();
	fuzz_sse_log(log, 'T', ev->type, strlen(ev->type));
	fuzz_sse_log(log, 'I', ev->id, strlen(ev->id));
	fuzz_sse_log(log, 'D', ev->data, ev->data_len);
	return 0;
}

static void
fuzz_sse_comment(const char *text, size_t len, void *arg)
{
	struct buf *log = arg;

	if (memchr(text, '\r', len) != NULL || memchr(text, '\n', len) != NULL)
		abort();
	fuzz_sse_log(log, 'C', text, len);
}

/*
 * Feed `in` in pieces: all of it when `mode` is 0; cut at `split` when 1;
 * a byte at a time when 2; sizes 1..16 taken from the input when 3.
 */
static char *
fuzz_sse_run(const char *in, size_t len, size_t max, int mode, size_t split,
    size_t *loglen)
{
	struct sse_parser *p;
	struct buf log;
	size_t off = 0, n, k = 0;
	int rc = 0;

	buf_init(&log, BUF_NOCAP);
	p = sse_new(max, fuzz_sse_event, fuzz_sse_comment, &log);
	while (off < len && rc == 0) {
		switch (mode) {
		case 0:
			n = len;
			break;
		case 1:
			n = off < split ? split - off : len - off;
			break;
		case 2:
			n = 1;
			break;
		default:
			n = 1 + (unsigned char)in[k++ % len] % 16;
			break;
		}
		if (n > len - off)
			n = len - off;
		rc = sse_feed(p, in + off, n);
		off += n;
	}
	if (buf_printf(&log, "=%d,%d,%ld", rc, sse_finish(p),
		sse_retry_ms(p)) != 0)
		abort();
	sse_free(p);
	*loglen = log.len;
	return buf_detach(&log);
}

/* The reference: the whole stream at once, a line at a time. */
static char *
fuzz_sse_ref(const char *in, size_t len, size_t max, size_t *loglen)
{
	struct buf log, data, type, id;
	const char *s, *v, *colon;
	size_t pos = 0, end, n, name, vlen, i;
	long retry = -1;
	int rc = 0, inevent = 0, partial, d;

	buf_init(&log, BUF_NOCAP);
	buf_init(&data, BUF_NOCAP);
	buf_init(&type, BUF_NOCAP);
	buf_init(&id, BUF_NOCAP);
	if (max == 0)
		max = SSE_MAX_EVENT;
	if (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	for (;;) {
		for (end = pos; end < len; end++) {
			if (in[end] == '\r' || in[end] == '\n')
				break;
		}
		s = in + pos;
		n = end - pos;
		if (n + data.len + type.len > max) {
			rc = -1;
			break;
		}
		if (end == len)
			break; /* an unfinished line, perhaps empty */
		pos = end + 1;
		if (in[end] == '\r' && pos < len && in[pos] == '\n')
			pos++;

		if (n == 0) {
			/* Dispatch. */
			inevent = 0;
			if (data.len > 0) {
				data.data[--data.len] = '\0';
				fuzz_sse_log(&log, 'T',
				    type.len > 0 ? type.data : "message",
				    type.len > 0 ? strlen(type.data) : 7);
				fuzz_sse_log(&log, 'I', buf_str(&id),
				    strlen(buf_str(&id)));
				fuzz_sse_log(&log, 'D', data.data, data.len);
			}
			buf_reset(&data);
			buf_reset(&type);
			continue;
		}
		if (s[0] == ':') {
			fuzz_sse_log(&log, 'C', s + 1, n - 1);
			continue;
		}
		inevent = 1;
		colon = memchr(s, ':', n);
		name = colon != NULL ? (size_t)(colon - s) : n;
		v = colon != NULL ? colon + 1 : s + n;
		vlen = n - (size_t)(v - s);
		if (vlen > 0 && *v == ' ') {
			v++;
			vlen--;
		}
		if (name == 4 && memcmp(s, "data", 4) == 0) {
			buf_add(&data, v, vlen);
			buf_addc(&data, '\n');
		} else if (name == 5 && memcmp(s, "event", 5) == 0) {
			buf_reset(&type);
			buf_add(&type, v, vlen);
		} else if (name == 2 && memcmp(s, "id", 2) == 0) {
			if (memchr(v, '\0', vlen) == NULL) {
				buf_reset(&id);
				buf_add(&id, v, vlen);
			}
		} else if (name == 5 && memcmp(s, "retry", 5) == 0) {
			for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9'; i++)
				;
			if (vlen > 0 && i == vlen) {
				retry = 0;
				for (i = 0; i < vlen; i++) {
					d = v[i] - '0';
					retry = retry > (LONG_MAX - d) / 10 ?
					    LONG_MAX :
					    retry * 10 + d;
				}
			}
		}
	}
	partial = rc != 0 || inevent || (pos < len && in[pos] != ':');
	buf_printf(&log, "=%d,%d,%ld", rc, partial, retry);
	buf_free(&data);
	buf_free(&type);
	buf_free(&id);
	*loglen = log.len;
	return buf_detach(&log);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *want, *got;
	size_t max, split, wantlen, gotlen;
	int mode;

	if (size == 0)
		return 0;
	split = data[0] % (size + 1);
	max = size > 1 && (data[1] & 1) ? 1 + data[1] % 64 : 0;
	want = fuzz_sse_run(in, size, max, 0, 0, &wantlen);
	got = fuzz_sse_ref(in, size, max, &gotlen);
	if (gotlen != wantlen || memcmp(got, want, wantlen) != 0)
		abort();
	free(got);
	for (mode = 1; mode <= 3; mode++) {
		got = fuzz_sse_run(in, size, max, mode, split, &gotlen);
		if (gotlen != wantlen || memcmp(got, want, wantlen) != 0)
			abort();
		free(got);
	}
	free(want);
	return 0;
}
