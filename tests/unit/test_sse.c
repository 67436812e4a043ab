/*
 * test_sse.c — the Server-Sent Events parser (llm/sse.h).
 *
 * Each case is an input and what must come of it: the events and comments
 * in order, what sse_feed() returned, what sse_finish() said and the retry
 * time.  Every case is run in one piece, split in two at every byte, and a
 * byte at a time, and all runs must agree.  A case whose input has no CR
 * is run again with each LF turned into CRLF, into CR, and into a mixture.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/sse.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* One thing the parser must report. */
struct want {
	const char *type; /* NULL: a comment */
	const char *id;
	const char *data; /* NULL: the end of the list */
	size_t len;       /* 0: strlen(data) */
};

/* clang-format off */
#define EV(t, i, d) { .type = (t), .id = (i), .data = (d) }
#define EVN(t, i, d) \
	{ .type = (t), .id = (i), .data = (d), .len = sizeof(d) - 1 }
#define MSG(d) EV("message", "", d)
#define CM(d) { .type = NULL, .data = (d) }
/* clang-format on */

struct sse_case {
	const char *name;
	const char *in;
	size_t len;
	size_t max;  /* the cap; 0: the default */
	int stop_at; /* the event callback stops at this event */
	struct want want[12];
	int rc;     /* what feeding returned */
	int finish; /* what sse_finish() returned */
	int has_retry;
	long retry;
};

#define IN(s) .in = (s), .len = sizeof(s) - 1
#define RETRY(n) .has_retry = 1, .retry = (n)

/* What a run saw, written down as text so that runs can be compared. */
struct rec {
	struct buf *log;
	int stop_at;
	int nev;
};

static void
log_event(struct buf *log, const char *type, const char *id, const char *data,
    size_t len)
{
	assert_int_equal(buf_printf(log, "E type=%s id=%s data[%zu]=", type, id,
			     len),
	    0);
	assert_int_equal(buf_add(log, data, len), 0);
	assert_int_equal(buf_addc(log, '\n'), 0);
}

static void
log_comment(struct buf *log, const char *text, size_t len)
{
	assert_int_equal(buf_printf(log, "C[%zu]=", len), 0);
	assert_int_equal(buf_add(log, text, len), 0);
	assert_int_equal(buf_addc(log, '\n'), 0);
}

static int
rec_event(const struct sse_event *ev, void *arg)
{
	struct rec *r = arg;

	assert_non_null(ev->type);
	assert_non_null(ev->data);
	assert_non_null(ev->id);
	assert_int_equal(ev->data[ev->data_len], '\0');
	if (memchr(ev->data, '\0', ev->data_len) == NULL)
		assert_int_equal(strlen(ev->data), ev->data_len);
	/* Line ends never reach a value; data lines are joined by '\n'. */
	assert_null(memchr(ev->data, '\r', ev->data_len));
	assert_null(strpbrk(ev->type, "\r\n"));
	assert_null(strpbrk(ev->id, "\r\n"));
	log_event(r->log, ev->type, ev->id, ev->data, ev->data_len);
	if (++r->nev == r->stop_at)
		return 42;
	return 0;
}

static void
rec_comment(const char *text, size_t len, void *arg)
{
	struct rec *r = arg;

	assert_null(memchr(text, '\r', len));
	assert_null(memchr(text, '\n', len));
	log_comment(r->log, text, len);
}

/*
 * Parse `in` as two pieces cut at `split`, or a byte at a time, and log
 * what happens.
 */
static void
run(const struct sse_case *c, const char *in, size_t len, size_t split,
    int bytewise, struct buf *log)
{
	struct rec r = { log, c->stop_at, 0 };
	struct sse_parser *p;
	size_t i;
	int rc = 0, fin;

	p = sse_new(c->max, rec_event, rec_comment, &r);
	if (bytewise) {
		for (i = 0; i < len && rc == 0; i++)
			rc = sse_feed(p, in + i, 1);
	} else {
		rc = sse_feed(p, in, split);
		if (rc == 0)
			rc = sse_feed(p, in + split, len - split);
	}
	fin = sse_finish(p);
	assert_int_equal(buf_printf(log, "= rc=%d finish=%d retry=%ld\n", rc,
			     fin, sse_retry_ms(p)),
	    0);
	sse_free(p);
}

static void
expect_same(const char *name, const char *how, size_t at, const struct buf *a,
    const struct buf *b)
{
	if (a->len != b->len || memcmp(buf_str(a), buf_str(b), a->len) != 0)
		fail_msg("%s (%s %zu):\n--- want\n%s--- got\n%s", name, how, at,
		    buf_str(a), buf_str(b));
}

/* Run one input every way; all must give what the case wants. */
static void
check_input(const struct sse_case *c, const char *in, size_t len,
    const char *variant)
{
	const struct want *w;
	struct buf want, got;
	size_t i;

	buf_init(&want, BUF_NOCAP);
	buf_init(&got, BUF_NOCAP);
	for (w = c->want; w->data != NULL; w++) {
		if (w->type == NULL)
			log_comment(&want, w->data,
			    w->len ? w->len : strlen(w->data));
		else
			log_event(&want, w->type, w->id, w->data,
			    w->len ? w->len : strlen(w->data));
	}
	buf_printf(&want, "= rc=%d finish=%d retry=%ld\n", c->rc, c->finish,
	    c->has_retry ? c->retry : -1L);

	run(c, in, len, len, 0, &got);
	expect_same(c->name, variant, len, &want, &got);
	for (i = 0; i <= len; i++) {
		buf_reset(&got);
		run(c, in, len, i, 0, &got);
		expect_same(c->name, variant, i, &want, &got);
	}
	buf_reset(&got);
	run(c, in, len, 0, 1, &got);
	expect_same(c->name, variant, 0, &want, &got);
	buf_free(&want);
	buf_free(&got);
}

/*
 * The input with each LF replaced by CRLF (1), CR (2) or in turn (3): LF,
 * CR, CRLF, so that a CR is never followed by an LF of the next line end.
 */
static char *
eol_variant(const char *in, size_t len, int how, size_t *outlen)
{
	static const char *const ends[] = { "\n", "\r", "\r\n" };
	const char *e;
	struct buf b;
	size_t i, nl = 0;

	buf_init(&b, BUF_NOCAP);
	for (i = 0; i < len; i++) {
		if (in[i] != '\n') {
			buf_addc(&b, in[i]);
			continue;
		}
		if (how == 1)
			e = ends[2];
		else if (how == 2)
			e = ends[1];
		else
			e = ends[nl++ % 3];
		buf_adds(&b, e);
	}
	*outlen = b.len;
	return buf_detach(&b);
}

static void
check_cases(const struct sse_case *cases, size_t n)
{
	static const char *const names[] = { "LF", "CRLF", "CR", "mixed" };
	const struct sse_case *c;
	size_t i, len;
	char *in;
	int how;

	for (i = 0; i < n; i++) {
		c = &cases[i];
		check_input(c, c->in, c->len, names[0]);
		if (memchr(c->in, '\r', c->len) != NULL)
			continue;
		for (how = 1; how <= 3; how++) {
			in = eol_variant(c->in, c->len, how, &len);
			check_input(c, in, len, names[how]);
			free(in);
		}
	}
}

#define CHECK_CASES(t) check_cases((t), sizeof(t) / sizeof((t)[0]))

/* The examples of the standard, "Interpreting an event stream". */
static void
test_spec_examples(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "stock ticker",
		    IN("data: YHOO\ndata: +2\ndata: 10\n\n"),
		    .want = { MSG("YHOO\n+2\n10") } },
		{ .name = "four blocks",
		    IN(": test stream\n\n"
		       "data: first event\nid: 1\n\n"
		       "data:second event\nid\n\n"
		       "data:  third event\n\n"),
		    .want = { CM(" test stream"),
			EV("message", "1", "first event"),
			EV("message", "", "second event"),
			EV("message", "", " third event") } },
		{ .name = "last block needs a blank line",
		    IN("data: first event\nid: 1\n\n"
		       "data:  third event\n"),
		    .want = { EV("message", "1", "first event") },
		    .finish = 1 },
		{ .name = "empty data",
		    IN("data\n\ndata\ndata\n\ndata:"),
		    .want = { MSG(""), MSG("\n") },
		    .finish = 1 },
		{ .name = "empty data, blank line after",
		    IN("data\n\ndata\ndata\n\ndata:\n\n"),
		    .want = { MSG(""), MSG("\n"), MSG("") } },
		{ .name = "one space is removed",
		    IN("data:test\n\ndata: test\n\n"),
		    .want = { MSG("test"), MSG("test") } },
		{ .name = "event types",
		    IN("event: add\ndata: 73857293\n\n"
		       "event: remove\ndata: 2153\n\n"
		       "event: add\ndata: 113411\n\n"),
		    .want = { EV("add", "", "73857293"),
			EV("remove", "", "2153"), EV("add", "", "113411") } },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_fields(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "colon in value",
		    IN("data:x:y\n\n"),
		    .want = { MSG("x:y") } },
		{ .name = "two spaces",
		    IN("data:  two\n\n"),
		    .want = { MSG(" two") } },
		{ .name = "tab kept",
		    IN("data:\tx \n\n"),
		    .want = { MSG("\tx ") } },
		{ .name = "space before colon", IN("data : x\n\n") },
		{ .name = "names are case-sensitive",
		    IN("Data: x\nDATA: y\nEvent: e\n\n") },
		{ .name = "unknown fields ignored",
		    IN("foo: bar\nx\ndata: a\nbaz\n\n"),
		    .want = { MSG("a") } },
		{ .name = "last event line wins",
		    IN("data: a\nevent: first\nevent: second\n\n"),
		    .want = { EV("second", "", "a") } },
		{ .name = "empty event is message",
		    IN("event: x\nevent:\ndata: a\n\n"),
		    .want = { MSG("a") } },
		{ .name = "event without colon",
		    IN("event: x\nevent\ndata: a\n\n"),
		    .want = { MSG("a") } },
		{ .name = "data with NUL",
		    IN("data: a\0b\n\n"),
		    .want = { EVN("message", "", "a\0b") } },
		{ .name = "many data lines",
		    IN("data: 1\ndata:\ndata: 3\ndata\n\n"),
		    .want = { MSG("1\n\n3\n") } },
		{ .name = "blank lines alone", IN("\n\n\n") },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_comments(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "comments only",
		    IN(":hello\n: world\n:\n\n"),
		    .want = { CM("hello"), CM(" world"), CM("") } },
		{ .name = "comment inside an event",
		    IN("data: a\n:c\ndata: b\n\n"),
		    .want = { CM("c"), MSG("a\nb") } },
		{ .name = "comment with colons",
		    IN("::data: x\n\n"),
		    .want = { CM(":data: x") } },
		{ .name = "unterminated comment dropped",
		    IN("data: a\n\n:ping"),
		    .want = { MSG("a") } },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_no_data(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "event without data not dispatched",
		    IN("event: foo\n\ndata: x\n\n"),
		    .want = { MSG("x") } },
		{ .name = "type does not outlive an empty event",
		    IN("event: foo\nid: 5\n\ndata: x\n\n"),
		    .want = { EV("message", "5", "x") } },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_ids(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "id persists",
		    IN("id: 7\ndata: a\n\ndata: b\n\n"
		       "id\ndata: c\n\ndata: d\n\n"),
		    .want = { EV("message", "7", "a"), EV("message", "7", "b"),
			EV("message", "", "c"), EV("message", "", "d") } },
		{ .name = "id without data is kept",
		    IN("id: 3\n\ndata: d\n\n"),
		    .want = { EV("message", "3", "d") } },
		{ .name = "id after data in the block",
		    IN("data: a\nid: 9\n\n"),
		    .want = { EV("message", "9", "a") } },
		{ .name = "id value keeps a second space",
		    IN("id:  sp\ndata: a\n\n"),
		    .want = { EV("message", " sp", "a") } },
		{ .name = "empty id resets",
		    IN("id: 1\nid:\ndata: a\n\n"),
		    .want = { MSG("a") } },
		{ .name = "id with NUL ignored",
		    IN("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"
		       "id\0\ndata: c\n\n"),
		    .want = { EV("message", "1", "a"), EV("message", "1", "b"),
			EV("message", "1", "c") } },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_retry(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "retry", IN("retry: 1500\n\n"), RETRY(1500) },
		{ .name = "retry without space", IN("retry:0\n\n"), RETRY(0) },
		{ .name = "retry needs no blank line",
		    IN("retry: 7\n"),
		    .finish = 1,
		    RETRY(7) },
		{ .name = "retry, non-digits ignored",
		    IN("retry: 1500\nretry: 15x\nretry: -1\nretry: +1\n"
		       "retry:\nretry\nretry:  5\nretry: 5 \nretry: 1.5\n\n"),
		    RETRY(1500) },
		{ .name = "retry, unterminated ignored",
		    IN("retry: 9"),
		    .finish = 1 },
		{ .name = "retry saturates",
		    IN("retry: 99999999999999999999999999\n\n"),
		    RETRY(LONG_MAX) },
		{ .name = "retry and data",
		    IN("retry: 10\ndata: a\n\n"),
		    .want = { MSG("a") },
		    RETRY(10) },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_line_endings(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "CRLF",
		    IN("data: a\r\ndata: b\r\n\r\n"),
		    .want = { MSG("a\nb") } },
		{ .name = "CR",
		    IN("data: a\rdata: b\r\r"),
		    .want = { MSG("a\nb") } },
		{ .name = "mixed",
		    IN("data: a\r\ndata: b\rdata: c\n\r\n"),
		    .want = { MSG("a\nb\nc") } },
		{ .name = "CR CR is two line ends",
		    IN("data: a\r\rdata: b\n\n"),
		    .want = { MSG("a"), MSG("b") } },
		{ .name = "LF CRLF",
		    IN("data: a\n\r\ndata: b\r\n\n"),
		    .want = { MSG("a"), MSG("b") } },
		{ .name = "LF CR",
		    IN("data: a\n\rdata: b\n\n"),
		    .want = { MSG("a"), MSG("b") } },
		{ .name = "CR inside a line ends it",
		    IN("data: a\rb\n\n"),
		    .want = { MSG("a") } },
		{ .name = "blank lines only", IN("\r\n\r\n\r\r\n\n") },
		{ .name = "CR at the end is a line end",
		    IN("data: a\n\r"),
		    .want = { MSG("a") } },
		{ .name = "CRLF comment",
		    IN(":x\r\n:y\r\r\n"),
		    .want = { CM("x"), CM("y") } },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_bom(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "BOM",
		    IN("\xEF\xBB\xBF"
		       "data: a\n\n"),
		    .want = { MSG("a") } },
		{ .name = "BOM then comment",
		    IN("\xEF\xBB\xBF:c\n"),
		    .want = { CM("c") } },
		{ .name = "BOM then blank",
		    IN("\xEF\xBB\xBF\ndata: a\n\n"),
		    .want = { MSG("a") } },
		{ .name = "only the first BOM is skipped",
		    IN("\xEF\xBB\xBF\xEF\xBB\xBF"
		       "data: a\n\ndata: b\n\n"),
		    .want = { MSG("b") } },
		{ .name = "half a BOM is text",
		    IN("\xEF\xBB"
		       "data: a\n\ndata: b\n\n"),
		    .want = { MSG("b") } },
		{ .name = "half a BOM then colon is a field",
		    IN("\xEF:x\ndata: b\n\n"),
		    .want = { MSG("b") } },
		{ .name = "half a BOM, then line end",
		    IN("\xEF\ndata: b\n\n"),
		    .want = { MSG("b") } },
		{ .name = "BOM alone", IN("\xEF\xBB\xBF") },
		{ .name = "half a BOM alone", IN("\xEF\xBB"), .finish = 1 },
		{ .name = "BOM later is data",
		    IN("data: \xEF\xBB\xBF\n\n"),
		    .want = { MSG("\xEF\xBB\xBF") } },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_unterminated(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "data line, no blank line",
		    IN("data: a\n\ndata: b\n"),
		    .want = { MSG("a") },
		    .finish = 1 },
		{ .name = "unterminated line",
		    IN("data: a\n\ndata: b"),
		    .want = { MSG("a") },
		    .finish = 1 },
		{ .name = "complete", IN("data: a\n\n"), .want = { MSG("a") } },
		{ .name = "id line, no blank line",
		    IN("id: 5\n"),
		    .finish = 1 },
		{ .name = "unterminated id is not set",
		    IN("id: 1\ndata: a\n\nid: 2"),
		    .want = { EV("message", "1", "a") },
		    .finish = 1 },
		{ .name = "empty input", IN("") },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_stop(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "stop at the second event",
		    IN("data: a\n\ndata: b\n\ndata: c\n\n"),
		    .stop_at = 2,
		    .want = { MSG("a"), MSG("b") },
		    .rc = 42 },
		{ .name = "stop at the first event, CR",
		    IN("data: a\r\rdata: b\r\r"),
		    .stop_at = 1,
		    .want = { MSG("a") },
		    .rc = 42 },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_cap(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "line exactly at the cap",
		    IN("data: 0123456789\n\n"),
		    .max = 16,
		    .want = { MSG("0123456789") } },
		{ .name = "line over the cap",
		    IN("data: 01234567890\n\n"),
		    .max = 16,
		    .rc = -1,
		    .finish = 1 },
		{ .name = "data over the cap",
		    IN("data: 0123456789\ndata: 0123\n\n"),
		    .max = 20,
		    .rc = -1,
		    .finish = 1 },
		{ .name = "data at the cap",
		    IN("data: 012345678\ndata: 012\n\n"),
		    .max = 20,
		    .want = { MSG("012345678\n012") } },
		{ .name = "events before the big one come out",
		    IN("data: a\n\ndata: 0123456789012345678901234\n\n"),
		    .max = 16,
		    .want = { MSG("a") },
		    .rc = -1,
		    .finish = 1 },
		{ .name = "type counts",
		    IN("event: 0123456789\n"
		       "data: 0123456789\n\n"),
		    .max = 20,
		    .rc = -1,
		    .finish = 1 },
		{ .name = "comment over the cap",
		    IN(":012345678\n"),
		    .max = 8,
		    .rc = -1,
		    .finish = 1 },
		{ .name = "unknown field over the cap",
		    IN("x: 0123456789\n"),
		    .max = 8,
		    .rc = -1,
		    .finish = 1 },
		{ .name = "unterminated over the cap",
		    IN("data: 0123456789"),
		    .max = 8,
		    .rc = -1,
		    .finish = 1 },
		{ .name = "cap applies per event",
		    IN("data: 0123456789\n\ndata: 0123456789\n\n"
		       "data: 0123456789\n\n"),
		    .max = 16,
		    .want = { MSG("0123456789"), MSG("0123456789"),
			MSG("0123456789") } },
	};

	(void)state;
	CHECK_CASES(cases);
}

static void
test_unicode(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "multi-byte characters",
		    IN("event: \xC3\xA9v\xC3\xA9nement\nid: \xE2\x82\xAC"
		       "1\n"
		       "data: h\xC3\xA9llo w\xC3\xB6rld\n"
		       "data: \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E "
		       "\xF0\x9F\x8E\x89\n\n"),
		    .want = { EV("\xC3\xA9v\xC3\xA9nement",
			"\xE2\x82\xAC"
			"1",
			"h\xC3\xA9llo w\xC3\xB6rld\n"
			"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E "
			"\xF0\x9F\x8E\x89") } },
		{ .name = "invalid UTF-8 passes as bytes",
		    IN("data: \xFF\xC3(\xED\xA0\x80\n\n"),
		    .want = { MSG("\xFF\xC3(\xED\xA0\x80") } },
	};

	(void)state;
	CHECK_CASES(cases);
}

/* Excerpts of what the Anthropic and OpenAI APIs stream. */
static void
test_llm_streams(void **state)
{
	static const struct sse_case cases[] = {
		{ .name = "anthropic",
		    IN("event: message_start\n"
		       "data: {\"type\":\"message_start\",\"message\":{\"id\":"
		       "\"msg_01X\",\"type\":\"message\",\"role\":"
		       "\"assistant\",\"content\":[],\"model\":"
		       "\"claude-sonnet-4-5\",\"stop_reason\":null,"
		       "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}"
		       "\n\n"
		       "event: content_block_start\n"
		       "data: {\"type\":\"content_block_start\",\"index\":0,"
		       "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"
		       "\n\n"
		       "event: ping\n"
		       "data: {\"type\": \"ping\"}\n\n"
		       "event: content_block_delta\n"
		       "data: {\"type\":\"content_block_delta\",\"index\":0,"
		       "\"delta\":{\"type\":\"text_delta\",\"text\":"
		       "\"H\xC3\xA9llo\"}}\n\n"
		       "event: content_block_delta\n"
		       "data: {\"type\":\"content_block_delta\",\"index\":0,"
		       "\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}"
		       "\n\n"
		       "event: content_block_stop\n"
		       "data: {\"type\":\"content_block_stop\",\"index\":0}"
		       "\n\n"
		       "event: message_delta\n"
		       "data: {\"type\":\"message_delta\",\"delta\":"
		       "{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
		       "\"usage\":{\"output_tokens\":15}}\n\n"
		       "event: message_stop\n"
		       "data: {\"type\":\"message_stop\"}\n\n"),
		    .want = {
			EV("message_start", "",
			    "{\"type\":\"message_start\",\"message\":{\"id\":"
			    "\"msg_01X\",\"type\":\"message\",\"role\":"
			    "\"assistant\",\"content\":[],\"model\":"
			    "\"claude-sonnet-4-5\",\"stop_reason\":null,"
			    "\"usage\":{\"input_tokens\":25,"
			    "\"output_tokens\":1}}}"),
			EV("content_block_start", "",
			    "{\"type\":\"content_block_start\",\"index\":0,"
			    "\"content_block\":{\"type\":\"text\","
			    "\"text\":\"\"}}"),
			EV("ping", "", "{\"type\": \"ping\"}"),
			EV("content_block_delta", "",
			    "{\"type\":\"content_block_delta\",\"index\":0,"
			    "\"delta\":{\"type\":\"text_delta\",\"text\":"
			    "\"H\xC3\xA9llo\"}}"),
			EV("content_block_delta", "",
			    "{\"type\":\"content_block_delta\",\"index\":0,"
			    "\"delta\":{\"type\":\"text_delta\","
			    "\"text\":\"!\"}}"),
			EV("content_block_stop", "",
			    "{\"type\":\"content_block_stop\",\"index\":0}"),
			EV("message_delta", "",
			    "{\"type\":\"message_delta\",\"delta\":"
			    "{\"stop_reason\":\"end_turn\","
			    "\"stop_sequence\":null},"
			    "\"usage\":{\"output_tokens\":15}}"),
			EV("message_stop", "", "{\"type\":\"message_stop\"}"),
		    } },
		{ .name = "anthropic error",
		    IN("event: error\n"
		       "data: {\"type\":\"error\",\"error\":{\"type\":"
		       "\"overloaded_error\",\"message\":\"Overloaded\"}}"
		       "\n\n"),
		    .want = { EV("error", "",
			"{\"type\":\"error\",\"error\":{\"type\":"
			"\"overloaded_error\",\"message\":\"Overloaded\"}}") } },
		{ .name = "openai",
		    IN("data: {\"id\":\"chatcmpl-1\",\"object\":"
		       "\"chat.completion.chunk\",\"created\":1,\"model\":"
		       "\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":"
		       "{\"role\":\"assistant\",\"content\":\"\"},"
		       "\"finish_reason\":null}]}\n\n"
		       ": OPENROUTER PROCESSING\n\n"
		       "data: {\"id\":\"chatcmpl-1\",\"object\":"
		       "\"chat.completion.chunk\",\"created\":1,\"model\":"
		       "\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":"
		       "{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
		       "data: {\"id\":\"chatcmpl-1\",\"object\":"
		       "\"chat.completion.chunk\",\"created\":1,\"model\":"
		       "\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},"
		       "\"finish_reason\":\"stop\"}]}\n\n"
		       "data: [DONE]\n\n"),
		    .want = {
			MSG("{\"id\":\"chatcmpl-1\",\"object\":"
			    "\"chat.completion.chunk\",\"created\":1,"
			    "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
			    "\"delta\":{\"role\":\"assistant\","
			    "\"content\":\"\"},\"finish_reason\":null}]}"),
			CM(" OPENROUTER PROCESSING"),
			MSG("{\"id\":\"chatcmpl-1\",\"object\":"
			    "\"chat.completion.chunk\",\"created\":1,"
			    "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
			    "\"delta\":{\"content\":\"Hi\"},"
			    "\"finish_reason\":null}]}"),
			MSG("{\"id\":\"chatcmpl-1\",\"object\":"
			    "\"chat.completion.chunk\",\"created\":1,"
			    "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
			    "\"delta\":{},\"finish_reason\":\"stop\"}]}"),
			MSG("[DONE]"),
		    } },
	};

	(void)state;
	CHECK_CASES(cases);
}

/* A big event: one line of `n` bytes, or lines of `linelen` bytes. */
static char *
big_input(size_t n, size_t linelen, size_t *len, char **data)
{
	struct buf in, d;
	size_t i;

	buf_init(&in, BUF_NOCAP);
	buf_init(&d, BUF_NOCAP);
	buf_adds(&in, "event: big\ndata: ");
	for (i = 0; i < n; i++) {
		if (linelen != 0 && i > 0 && i % linelen == 0) {
			buf_adds(&in, "\ndata: ");
			buf_addc(&d, '\n');
		}
		/* Two-byte characters among ASCII; none is split by '\n'. */
		if (i % 7 == 3 && i + 1 < n &&
		    (linelen == 0 || (i + 1) % linelen != 0)) {
			buf_add(&in, "\xC3\xA9", 2);
			buf_add(&d, "\xC3\xA9", 2);
			i++;
			continue;
		}
		buf_addc(&in, (char)('a' + i % 26));
		buf_addc(&d, (char)('a' + i % 26));
	}
	buf_adds(&in, "\n\ndata: end\n\n");
	*len = in.len;
	*data = buf_detach(&d);
	return buf_detach(&in);
}

static void
check_big(const char *in, size_t len, const char *data, size_t piece)
{
	struct buf want, got;
	struct rec r;
	struct sse_parser *p;
	size_t i, n;

	buf_init(&want, BUF_NOCAP);
	log_event(&want, "big", "", data, strlen(data));
	log_event(&want, "message", "", "end", 3);
	buf_init(&got, BUF_NOCAP);
	r.log = &got;
	r.stop_at = 0;
	r.nev = 0;
	p = sse_new(0, rec_event, rec_comment, &r);
	for (i = 0; i < len; i += n) {
		n = len - i < piece ? len - i : piece;
		assert_int_equal(sse_feed(p, in + i, n), 0);
	}
	assert_int_equal(sse_finish(p), 0);
	sse_free(p);
	expect_same("big", "piece", piece, &want, &got);
	buf_free(&want);
	buf_free(&got);
}

static void
test_big_event(void **state)
{
	size_t len;
	char *in, *data;

	(void)state;
	/* One 1 MB line: in one piece, a byte at a time, in odd pieces. */
	in = big_input(1024 * 1024, 0, &len, &data);
	assert_true(strlen(data) == 1024 * 1024);
	check_big(in, len, data, len);
	check_big(in, len, data, 1);
	check_big(in, len, data, 4093);
	free(in);
	free(data);
	/* 1 MB made of many data lines. */
	in = big_input(1024 * 1024, 1000, &len, &data);
	check_big(in, len, data, len);
	check_big(in, len, data, 1);
	check_big(in, len, data, 65536);
	free(in);
	free(data);
}

/* The default cap: a line that never ends is refused past it. */
static void
test_default_cap(void **state)
{
	struct sse_parser *p;
	struct rec r;
	struct buf log;
	size_t piece = 1024 * 1024, sent;
	char *chunk;
	int rc = 0;

	(void)state;
	buf_init(&log, BUF_NOCAP);
	r.log = &log;
	r.stop_at = 0;
	r.nev = 0;
	chunk = xmalloc(piece);
	memset(chunk, 'x', piece);
	p = sse_new(0, rec_event, rec_comment, &r);
	assert_int_equal(sse_feed(p, "data: ", 6), 0);
	for (sent = 6; sent + piece <= SSE_MAX_EVENT; sent += piece)
		assert_int_equal(sse_feed(p, chunk, piece), 0);
	/* Fill the line to the cap exactly, then one byte more. */
	assert_int_equal(sse_feed(p, chunk, SSE_MAX_EVENT - sent), 0);
	rc = sse_feed(p, chunk, 1);
	assert_int_equal(rc, -1);
	/* The parser stays unusable. */
	assert_int_equal(sse_feed(p, "\n\ndata: a\n\n", 11), -1);
	assert_int_equal(log.len, 0);
	assert_int_equal(sse_finish(p), 1);
	sse_free(p);
	free(chunk);
	buf_free(&log);
}

/* A small cap, a byte at a time: memory stays bounded, -1 at max + 1. */
static void
test_endless_line(void **state)
{
	struct sse_parser *p;
	size_t i;

	(void)state;
	p = sse_new(100, NULL, NULL, NULL);
	for (i = 0; i < 100; i++)
		assert_int_equal(sse_feed(p, ":", 1), 0);
	assert_int_equal(sse_feed(p, ":", 1), -1);
	assert_int_equal(sse_feed(p, "\n", 1), -1);
	sse_free(p);
}

/* No callbacks at all; an empty piece; sse_free(NULL). */
static void
test_no_callbacks(void **state)
{
	static const char s[] = ":c\ndata: a\nretry: 5\n\n";
	struct sse_parser *p;

	(void)state;
	p = sse_new(0, NULL, NULL, NULL);
	assert_int_equal(sse_retry_ms(p), -1);
	assert_int_equal(sse_feed(p, "", 0), 0);
	assert_int_equal(sse_feed(p, s, strlen(s)), 0);
	assert_int_equal(sse_retry_ms(p), 5);
	assert_int_equal(sse_finish(p), 0);
	sse_free(p);
	sse_free(NULL);
}

/* After sse_finish() a new stream may follow; the id and retry carry over. */
static void
test_new_stream(void **state)
{
	static const char s1[] = "\xEF\xBB\xBFretry: 3\nid: 4\ndata: a\n\n"
				 "event: e\ndata: b\r";
	static const char s2[] = "\xEF\xBB\xBF\ndata: c\n\n";
	struct sse_parser *p;
	struct buf log, want;
	struct rec r;

	(void)state;
	buf_init(&log, BUF_NOCAP);
	buf_init(&want, BUF_NOCAP);
	r.log = &log;
	r.stop_at = 0;
	r.nev = 0;
	p = sse_new(0, rec_event, rec_comment, &r);
	assert_int_equal(sse_feed(p, s1, sizeof s1 - 1), 0);
	assert_int_equal(sse_finish(p), 1);
	/* A new stream may start with a BOM again. */
	assert_int_equal(sse_feed(p, s2, sizeof s2 - 1), 0);
	assert_int_equal(sse_finish(p), 0);
	assert_int_equal(sse_retry_ms(p), 3);
	sse_free(p);
	log_event(&want, "message", "4", "a", 1);
	log_event(&want, "message", "4", "c", 1);
	expect_same("new stream", "", 0, &want, &log);
	buf_free(&log);
	buf_free(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_examples),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_no_data),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_llm_streams),
		cmocka_unit_test(test_big_event),
		cmocka_unit_test(test_default_cap),
		cmocka_unit_test(test_endless_line),
		cmocka_unit_test(test_no_callbacks),
		cmocka_unit_test(test_new_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
