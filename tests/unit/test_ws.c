/*
 * test_ws.c — WebSocket framing (http/ws.h).
 *
 * Client streams are built here, frame by frame, with a masking encoder of
 * the test's own.  Each stream is parsed in one piece, cut in two at every
 * byte (or at a sample of cuts when it is long), and a byte at a time; all
 * runs must deliver the same messages and end the same way.  A stream that
 * must be refused is also checked to fail on the very byte that decides it
 * and not one byte earlier.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/ws.h"
#include "utf8_cases.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define FIN 0x80
#define MAX 1024 /* the cap, unless a test says otherwise */

/* The mask key of RFC 6455 5.7, and one whose bytes all differ from it. */
static const unsigned char key_a[4] = { 0x37, 0xfa, 0x21, 0x3d };
static const unsigned char key_b[4] = { 0xa1, 0x02, 0xc3, 0x44 };

/* One message the parser must deliver; op 0 ends a list. */
struct want {
	int op;
	const void *data;
	size_t len;
};

#define W(op, s) \
	{ \
		(op), (s), sizeof(s) - 1 \
	}
#define WEND \
	{ \
		0, NULL, 0 \
	}

/* Length forms for put_hdr(). */
#define LEN_SHORT 0 /* the shortest, as a client must send */
#define LEN_16 16
#define LEN_64 64

/*
 * Append a client frame header: first byte b0, the declared length in
 * `form`, the mask key (NULL: no mask bit, no key).
 */
static void
put_hdr(struct buf *b, int b0, const unsigned char *key, uint64_t len, int form)
{
	unsigned char h[14];
	size_t n = 0;
	int i, m = key != NULL ? 0x80 : 0;

	if (form == LEN_SHORT)
		form = len < 126 ? 7 : len <= 0xffff ? LEN_16 : LEN_64;
	h[n++] = (unsigned char)b0;
	if (form == 7) {
		h[n++] = (unsigned char)(m | len);
	} else if (form == LEN_16) {
		h[n++] = (unsigned char)(m | 126);
		h[n++] = (unsigned char)(len >> 8);
		h[n++] = (unsigned char)len;
	} else {
		h[n++] = (unsigned char)(m | 127);
		for (i = 7; i >= 0; i--)
			h[n++] = (unsigned char)(len >> (8 * i));
	}
	if (key != NULL) {
		memcpy(h + n, key, 4);
		n += 4;
	}
	assert_int_equal(buf_add(b, h, n), 0);
}

/* Append data[0..len) masked with `key` (NULL: as it is). */
static void
put_payload(struct buf *b, const unsigned char *key, const void *data,
    size_t len)
{
	const unsigned char *d = data;
	size_t i;

	for (i = 0; i < len; i++)
		assert_int_equal(buf_addc(b,
				     (char)(key != NULL ? d[i] ^ key[i & 3] :
							  d[i])),
		    0);
}

static void
put_form(struct buf *b, int b0, const unsigned char *key, const void *data,
    size_t len, int form)
{
	put_hdr(b, b0, key, len, form);
	put_payload(b, key, data, len);
}

/* Append a whole client frame, length in its shortest form. */
static void
put(struct buf *b, int b0, const unsigned char *key, const void *data,
    size_t len)
{
	put_form(b, b0, key, data, len, LEN_SHORT);
}

#define PUTS(b, b0, key, s) put((b), (b0), (key), (s), sizeof(s) - 1)

/*
 * What a server frame would look like from a client: the same frame with
 * the mask bit set, `key` after the length and the payload masked.
 */
static void
mask_frame(const struct buf *server, const unsigned char *key,
    struct buf *client)
{
	const unsigned char *s = (const unsigned char *)server->data;
	size_t hl;

	assert_true(server->len >= 2);
	assert_int_equal(s[1] & 0x80, 0);
	hl = (s[1] & 0x7f) == 126 ? 4 : (s[1] & 0x7f) == 127 ? 10 : 2;
	assert_true(server->len >= hl);
	assert_int_equal(buf_addc(client, (char)s[0]), 0);
	assert_int_equal(buf_addc(client, (char)(s[1] | 0x80)), 0);
	assert_int_equal(buf_add(client, s + 2, hl - 2), 0);
	assert_int_equal(buf_add(client, key, 4), 0);
	put_payload(client, key, s + hl, server->len - hl);
}

/* What a run saw, written down as text so that runs can be compared. */
struct rec {
	struct buf *log;
	int stop_at; /* the callback returns -1 on this message */
	int n;
	size_t max;
};

static void
log_msg(struct buf *log, int op, const unsigned char *d, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ d[i]) * 1099511628211ULL;
	assert_int_equal(buf_printf(log, "op=%x len=%zu fnv=%016llx ", op, len,
			     (unsigned long long)h),
	    0);
	for (i = 0; i < len && i < 40; i++)
		assert_int_equal(buf_printf(log, "%02x", d[i]), 0);
	assert_int_equal(buf_addc(log, '\n'), 0);
}

static int
rec_msg(void *arg, int op, const unsigned char *d, size_t len)
{
	struct rec *r = arg;

	assert_non_null(d);
	if (op == WS_OP_TEXT)
		assert_true(utf8_valid((const char *)d, len));
	if (op == WS_OP_CLOSE)
		assert_int_equal(ws_close_parse(d, len, NULL), 0);
	switch (op) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		assert_true(len <= r->max);
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		assert_true(len <= 125);
		break;
	default:
		fail_msg("opcode %x delivered", op);
	}
	log_msg(r->log, op, d, len);
	if (++r->n == r->stop_at)
		return -1;
	return 0;
}

/*
 * Feed `in` cut in two at `split`, or a byte at a time, and log what came
 * and how it ended.
 */
static void
run(const unsigned char *in, size_t len, size_t max, int stop_at, size_t split,
    int bytewise, struct buf *log)
{
	struct rec r = { log, stop_at, 0, max };
	struct ws_parser p;
	size_t i;
	int rc = 0, n;

	ws_parser_init(&p, max);
	if (bytewise) {
		for (i = 0; i < len && rc == 0; i++)
			rc = ws_parser_feed(&p, in + i, 1, rec_msg, &r);
	} else {
		rc = ws_parser_feed(&p, in, split, rec_msg, &r);
		if (rc == 0)
			rc = ws_parser_feed(&p, in + split, len - split,
			    rec_msg, &r);
	}
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_true(p.error[0] != '\0');
		/* Once failed, always failed, and nothing more comes. */
		n = r.n;
		assert_int_equal(ws_parser_feed(&p, in, len, rec_msg, &r), -1);
		assert_int_equal(r.n, n);
	}
	assert_int_equal(buf_printf(log, "= rc=%d close=%d\n", rc,
			     rc != 0 ? p.close_code : 0),
	    0);
	ws_parser_free(&p);
}

static void
expect_same(const char *name, const char *how, size_t at, const struct buf *a,
    const struct buf *b)
{
	if (a->len != b->len || memcmp(buf_str(a), buf_str(b), a->len) != 0)
		fail_msg("%s (%s %zu):\n--- want\n%s--- got\n%s", name, how, at,
		    buf_str(a), buf_str(b));
}

/* Whether to try a cut at `i` of `len` bytes: all of them if short. */
static int
split_wanted(size_t i, size_t len)
{
	return len <= 2048 || i < 40 || len - i < 40 || i % 4093 == 0;
}

/* Parse `in` every way; all must deliver `want` and end with rc, close. */
static void
check(const char *name, const struct buf *in, size_t max, int stop_at,
    const struct want *want, int rc, int close)
{
	const unsigned char *d = (const unsigned char *)buf_str(in);
	const struct want *w;
	struct buf wl, got;
	size_t i;

	buf_init(&wl, BUF_NOCAP);
	buf_init(&got, BUF_NOCAP);
	for (w = want; w->op != 0; w++)
		log_msg(&wl, w->op, w->data, w->len);
	buf_printf(&wl, "= rc=%d close=%d\n", rc, close);

	for (i = 0; i <= in->len; i++) {
		if (!split_wanted(i, in->len))
			continue;
		buf_reset(&got);
		run(d, in->len, max, stop_at, i, 0, &got);
		expect_same(name, "split at", i, &wl, &got);
	}
	buf_reset(&got);
	run(d, in->len, max, stop_at, 0, 1, &got);
	expect_same(name, "bytewise", 0, &wl, &got);
	buf_free(&wl);
	buf_free(&got);
}

static void
check_ok(const char *name, const struct buf *in, const struct want *want)
{
	check(name, in, MAX, 0, want, 0, 0);
}

static int
count_msg(void *arg, int op, const unsigned char *d, size_t len)
{
	(void)op;
	(void)d;
	(void)len;
	++*(int *)arg;
	return 0;
}

/*
 * A valid "Hello" and then `tail`, which must deliver `more` (NULL: none)
 * and then fail with `code` on its byte at offset at - 1: not before, and
 * every way it is cut.
 */
static void
bad_more(const char *name, const struct buf *tail, size_t at, int code,
    size_t max, const struct want *more)
{
	struct want want[8] = { W(WS_OP_TEXT, "Hello") };
	struct ws_parser p;
	struct buf in;
	size_t pre;
	int n = 0, nwant = 1;

	assert_true(at >= 1 && at <= tail->len);
	for (; more != NULL && more->op != 0; more++) {
		assert_true(nwant < 7);
		want[nwant++] = *more;
	}
	want[nwant] = (struct want)WEND;
	buf_init(&in, BUF_NOCAP);
	PUTS(&in, FIN | WS_OP_TEXT, key_a, "Hello");
	pre = in.len;
	assert_int_equal(buf_add(&in, tail->data, tail->len), 0);
	check(name, &in, max, 0, want, -1, code);

	ws_parser_init(&p, max);
	if (ws_parser_feed(&p, (unsigned char *)in.data, pre + at - 1,
		count_msg, &n) != 0)
		fail_msg("%s: failed before byte %zu: %s", name, at - 1,
		    p.error);
	assert_int_equal(n, nwant);
	if (ws_parser_feed(&p, (unsigned char *)in.data + pre + at - 1, 1,
		count_msg, &n) != -1)
		fail_msg("%s: not failed on byte %zu", name, at - 1);
	assert_int_equal(p.close_code, code);
	assert_int_equal(n, nwant);
	ws_parser_free(&p);
	buf_free(&in);
}

static void
bad_max(const char *name, const struct buf *tail, size_t at, int code,
    size_t max)
{
	bad_more(name, tail, at, code, max, NULL);
}

static void
bad(const char *name, const struct buf *tail, size_t at, int code)
{
	bad_more(name, tail, at, code, MAX, NULL);
}

/* RFC 6455 4.2.2 and a few more keys, checked against Python's hashlib. */
static void
test_accept_key(void **state)
{
	static const struct {
		const char *key, *accept;
	} good[] = {
		{ "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" },
		{ " \tdGhlIHNhbXBsZSBub25jZQ==\t ",
		    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" },
		{ "AAECAwQFBgcICQoLDA0ODw==", "Bz3qJYTGdOe8gUSpLosEdiLKDrk=" },
		{ "/////////////////////w==", "XXpj4jYzLM2yUE0C7TIgMwTQh2g=" },
	};
	static const char *const bad_keys[] = {
		"", "   ", "dGhlIHNhbXBsZSBub25jZQ=", /* 23 characters */
		"dGhlIHNhbXBsZSBub25jZQ===",          /* 25 */
		"dGhlIHNhbXBsZSBub25jZQ",             /* no padding */
		"dGhlIHNhbXBsZSBub25jZR==", /* stray bits: not 16 bytes */
		"dGhlIHNhbXBsZSBub25j*Q==", /* not base64 */
		"dGhlIHNhbXBsZSBub25jZ-_",  /* base64url */
		"dGhlIHNhbXBsZSBub25jZQ=A",
		"dGhl IHNhbXBsZSBub25jZQ==", /* space inside */
		"AAECAwQFBgcICQoLDA0ODxA=",  /* 17 bytes */
		"=GhlIHNhbXBsZSBub25jZQ==",
		"\ndGhlIHNhbXBsZSBub25jZQ==", /* only spaces and tabs trim */
	};
	char out[WS_ACCEPT_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(out, 'x', sizeof out);
		assert_int_equal(ws_accept_key(good[i].key, out), 0);
		assert_int_equal(strlen(out), WS_ACCEPT_LEN);
		assert_string_equal(out, good[i].accept);
	}
	for (i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		if (ws_accept_key(bad_keys[i], out) != -1)
			fail_msg("key \"%s\" accepted", bad_keys[i]);
	}
	assert_int_equal(ws_accept_key(NULL, out), -1);
}

/* RFC 6455 5.7, as a server must take them: client frames are masked. */
static void
test_rfc_examples(void **state)
{
	static const unsigned char hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21,
		0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const unsigned char pong[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21,
		0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const struct want w_hello[] = { W(WS_OP_TEXT, "Hello"), WEND };
	static const struct want w_ping[] = { W(WS_OP_PING, "Hello"), WEND };
	static const struct want w_pong[] = { W(WS_OP_PONG, "Hello"), WEND };
	static const struct want w_none[] = { WEND };
	struct want w_big[2] = { WEND, WEND };
	unsigned char *big;
	struct buf in;
	size_t i;

	(void)state;
	buf_init(&in, BUF_NOCAP);
	buf_add(&in, hello, sizeof hello);
	check_ok("single-frame masked text", &in, w_hello);
	buf_reset(&in);
	PUTS(&in, FIN | WS_OP_TEXT, key_a, "Hello");
	assert_memory_equal(in.data, hello, sizeof hello);

	/* The unmasked examples come from a server: refused from a client. */
	buf_reset(&in);
	buf_add(&in, "\x81\x05Hello", 7);
	check("single-frame unmasked text", &in, MAX, 0, w_none, -1,
	    WS_CLOSE_PROTOCOL);
	buf_reset(&in);
	buf_add(&in, "\x01\x03Hel\x80\x02lo", 9);
	check("fragmented unmasked text", &in, MAX, 0, w_none, -1,
	    WS_CLOSE_PROTOCOL);
	buf_reset(&in);
	buf_add(&in, "\x89\x05Hello", 7);
	check("unmasked ping", &in, MAX, 0, w_none, -1, WS_CLOSE_PROTOCOL);

	buf_reset(&in);
	PUTS(&in, WS_OP_TEXT, key_a, "Hel");
	PUTS(&in, FIN | WS_OP_CONT, key_b, "lo");
	check_ok("fragmented masked text", &in, w_hello);
	buf_reset(&in);
	PUTS(&in, FIN | WS_OP_PING, key_a, "Hello");
	check_ok("masked ping", &in, w_ping);
	buf_reset(&in);
	buf_add(&in, pong, sizeof pong);
	check_ok("masked pong", &in, w_pong);

	/* 256 bytes with a 16-bit length, 64 KiB with a 64-bit one. */
	big = xmalloc(65536);
	for (i = 0; i < 65536; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 8));
	w_big[0] = (struct want){ WS_OP_BINARY, big, 256 };
	buf_reset(&in);
	put(&in, FIN | WS_OP_BINARY, key_a, big, 256);
	assert_memory_equal(in.data, "\x82\xfe\x01\x00", 4);
	check_ok("256 bytes", &in, w_big);
	w_big[0].len = 65536;
	buf_reset(&in);
	put(&in, FIN | WS_OP_BINARY, key_b, big, 65536);
	assert_memory_equal(in.data, "\x82\xff\0\0\0\0\0\x01\0\0", 10);
	check("64 KiB", &in, 65536, 0, w_big, 0, 0);
	check("64 KiB, one byte over", &in, 65535, 0, w_none, -1,
	    WS_CLOSE_TOO_BIG);
	free(big);
	buf_free(&in);
}

/* Many frames of every kind in one stream, cut everywhere. */
static void
test_stream(void **state)
{
	unsigned char bin[300];
	struct want want[] = {
		W(WS_OP_TEXT, "Hello"),
		W(WS_OP_PING, "ping"),
		W(WS_OP_TEXT, "Hello"),
		W(WS_OP_BINARY, ""),
		W(WS_OP_TEXT, ""),
		W(WS_OP_PONG, ""),
		W(WS_OP_TEXT, "\xe2\x82\xac!"),
		{ WS_OP_BINARY, bin, sizeof bin },
		W(WS_OP_TEXT, ""),
		W(WS_OP_CLOSE,
		    "\x03\xe8"
		    "bye"),
		WEND,
	};
	struct buf in;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bin; i++)
		bin[i] = (unsigned char)i;
	buf_init(&in, BUF_NOCAP);
	PUTS(&in, FIN | WS_OP_TEXT, key_a, "Hello");
	PUTS(&in, WS_OP_TEXT, key_b, "Hel");
	PUTS(&in, FIN | WS_OP_PING, key_a, "ping");
	PUTS(&in, WS_OP_CONT, key_a, "");
	PUTS(&in, FIN | WS_OP_CONT, key_b, "lo");
	PUTS(&in, FIN | WS_OP_BINARY, key_b, "");
	PUTS(&in, FIN | WS_OP_TEXT, key_a, "");
	PUTS(&in, WS_OP_TEXT, key_a, "\xe2\x82");
	PUTS(&in, FIN | WS_OP_PONG, key_b, "");
	PUTS(&in, FIN | WS_OP_CONT, key_b, "\xac!");
	put(&in, FIN | WS_OP_BINARY, key_b, bin, sizeof bin);
	/* An empty message in three empty fragments. */
	PUTS(&in, WS_OP_TEXT, key_a, "");
	PUTS(&in, WS_OP_CONT, key_a, "");
	PUTS(&in, FIN | WS_OP_CONT, key_a, "");
	PUTS(&in, FIN | WS_OP_CLOSE, key_a,
	    "\x03\xe8"
	    "bye");
	check_ok("stream", &in, want);
	buf_free(&in);
}

/* Control frames between fragments leave the message alone. */
static void
test_control_between_fragments(void **state)
{
	static const struct want want[] = {
		W(WS_OP_PING, "1"),
		W(WS_OP_PONG, "22"),
		W(WS_OP_PING, ""),
		W(WS_OP_BINARY, "abcdef"),
		W(WS_OP_CLOSE, ""),
		WEND,
	};
	char ping[125];
	struct want w2[] = { W(WS_OP_PING, ""), W(WS_OP_TEXT, "0123456789"),
		WEND };
	struct buf in;

	(void)state;
	buf_init(&in, BUF_NOCAP);
	PUTS(&in, WS_OP_BINARY, key_a, "ab");
	PUTS(&in, FIN | WS_OP_PING, key_b, "1");
	PUTS(&in, WS_OP_CONT, key_a, "cd");
	PUTS(&in, FIN | WS_OP_PONG, key_a, "22");
	PUTS(&in, FIN | WS_OP_PING, key_b, "");
	PUTS(&in, FIN | WS_OP_CONT, key_b, "ef");
	PUTS(&in, FIN | WS_OP_CLOSE, key_b, "");
	check_ok("control between fragments", &in, want);

	/* Control frames count against 125 bytes, not the message's cap. */
	memset(ping, 'p', sizeof ping);
	w2[0] = (struct want){ WS_OP_PING, ping, sizeof ping };
	buf_reset(&in);
	PUTS(&in, WS_OP_TEXT, key_a, "01234");
	put(&in, FIN | WS_OP_PING, key_b, ping, sizeof ping);
	PUTS(&in, FIN | WS_OP_CONT, key_b, "56789");
	check("ping in a full message", &in, 10, 0, w2, 0, 0);
	buf_free(&in);
}

static void
test_reject_frames(void **state)
{
	static const int ops[] = { 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf };
	static const struct want w_ab[] = { W(WS_OP_TEXT, "ab"), WEND };
	static const struct want w_ping[] = { W(WS_OP_PING, ""), WEND };
	unsigned char big[126];
	struct buf t;
	size_t i;
	int rsv;

	(void)state;
	memset(big, 'x', sizeof big);
	buf_init(&t, BUF_NOCAP);
	for (rsv = 0x10; rsv <= 0x40; rsv <<= 1) {
		buf_reset(&t);
		PUTS(&t, FIN | rsv | WS_OP_TEXT, key_a, "x");
		bad("reserved bit", &t, 1, WS_CLOSE_PROTOCOL);
		buf_reset(&t);
		PUTS(&t, FIN | rsv | WS_OP_PING, key_a, "");
		bad("reserved bit on a ping", &t, 1, WS_CLOSE_PROTOCOL);
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		buf_reset(&t);
		PUTS(&t, FIN | ops[i], key_a, "x");
		bad("reserved opcode", &t, 1, WS_CLOSE_PROTOCOL);
	}

	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_BINARY, NULL, "x");
	bad("unmasked", &t, 2, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_CLOSE, NULL, "");
	bad("unmasked close", &t, 2, WS_CLOSE_PROTOCOL);

	buf_reset(&t);
	put(&t, FIN | WS_OP_PING, key_a, big, 126);
	bad("ping of 126", &t, 2, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	put_form(&t, FIN | WS_OP_PONG, key_a, big, 5, LEN_64);
	bad("pong with a 64-bit length", &t, 2, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	put(&t, FIN | WS_OP_CLOSE, key_a, big, 126);
	bad("close of 126", &t, 2, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	PUTS(&t, WS_OP_PING, key_a, "x");
	bad("fragmented ping", &t, 1, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	PUTS(&t, WS_OP_CLOSE, key_a, "");
	bad("fragmented close", &t, 1, WS_CLOSE_PROTOCOL);

	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_CONT, key_a, "x");
	bad("continuation of nothing", &t, 1, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	PUTS(&t, WS_OP_CONT, key_a, "x");
	bad("unfinished continuation of nothing", &t, 1, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	PUTS(&t, WS_OP_TEXT, key_a, "a");
	PUTS(&t, FIN | WS_OP_CONT, key_a, "b");
	PUTS(&t, FIN | WS_OP_CONT, key_a, "c");
	bad_more("continuation after the end", &t, 15, WS_CLOSE_PROTOCOL, MAX,
	    w_ab);
	buf_reset(&t);
	PUTS(&t, WS_OP_TEXT, key_a, "a");
	PUTS(&t, FIN | WS_OP_TEXT, key_a, "b");
	bad("text inside a message", &t, 8, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	PUTS(&t, WS_OP_BINARY, key_a, "a");
	PUTS(&t, FIN | WS_OP_PING, key_a, "");
	PUTS(&t, WS_OP_BINARY, key_a, "b");
	bad_more("binary inside a message", &t, 14, WS_CLOSE_PROTOCOL, MAX,
	    w_ping);

	buf_reset(&t);
	put_hdr(&t, FIN | WS_OP_BINARY, key_a, 1ULL << 63, LEN_64);
	bad("64-bit length, top bit", &t, 10, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	put_form(&t, FIN | WS_OP_TEXT, key_a, "Hello", 5, LEN_16);
	bad("5 in 16 bits", &t, 4, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	put_form(&t, FIN | WS_OP_BINARY, key_a, big, 125, LEN_16);
	bad("125 in 16 bits", &t, 4, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	put_form(&t, FIN | WS_OP_BINARY, key_a, big, 126, LEN_64);
	bad("126 in 64 bits", &t, 10, WS_CLOSE_PROTOCOL);
	buf_reset(&t);
	put_hdr(&t, FIN | WS_OP_BINARY, key_a, 0xffff, LEN_64);
	bad("65535 in 64 bits", &t, 10, WS_CLOSE_PROTOCOL);
	buf_free(&t);
}

static void
test_reject_close(void **state)
{
	static const struct {
		const char *name;
		const char *payload;
		size_t len;
	} cases[] = {
		{ "one byte", "\x03", 1 },
		{ "code 0", "\x00\x00", 2 },
		{ "code 999", "\x03\xe7", 2 },
		{ "code 1004", "\x03\xec", 2 },
		{ "code 1005", "\x03\xed", 2 },
		{ "code 1006", "\x03\xee", 2 },
		{ "code 1015", "\x03\xf7", 2 },
		{ "code 2999", "\x0b\xb7", 2 },
		{ "code 5000", "\x13\x88", 2 },
		{ "bad UTF-8 reason",
		    "\x03\xe8"
		    "ok\xc0\x80",
		    6 },
		{ "reason ends mid-character", "\x03\xe8\xe2\x82", 4 },
	};
	struct buf t;
	size_t i;

	(void)state;
	buf_init(&t, BUF_NOCAP);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&t);
		put(&t, FIN | WS_OP_CLOSE, key_b, cases[i].payload,
		    cases[i].len);
		bad(cases[i].name, &t, t.len, WS_CLOSE_PROTOCOL);
	}
	buf_free(&t);
}

/*
 * Where the parser must give up on text s[0..n): the 1-based position of
 * the first byte after which no continuation bytes could make the text
 * good, or 0 if there is none (the text is good, or merely cut short).
 * Repeating one continuation byte 0..3 times is enough to complete any
 * good prefix: 90 fits F0, 80 fits ED and F4, A0 fits E0.
 */
static size_t
utf8_bad_at(const unsigned char *s, size_t n)
{
	static const unsigned char conts[] = { 0x80, 0x90, 0xa0 };
	unsigned char t[64];
	size_t i, k, c;
	int ok;

	assert_true(n + 3 <= sizeof t);
	memcpy(t, s, n);
	for (i = 1; i <= n; i++) {
		ok = 0;
		for (k = 0; k <= 3 && !ok; k++) {
			for (c = 0; c < sizeof conts && !ok; c++) {
				memset(t + i, conts[c], k);
				ok = utf8_valid((const char *)t, i + k);
			}
		}
		memcpy(t, s, n);
		if (!ok)
			return i;
	}
	return 0;
}

static void
test_utf8_messages(void **state)
{
	static const struct want w_euro[] = {
		W(WS_OP_TEXT, "x\xe2\x82\xac\xf0\x9f\x98\x80y"), WEND
	};
	static const struct want w_bin[] = { W(WS_OP_BINARY, "\xff\xc0\x80"),
		WEND };
	struct buf t;

	(void)state;
	buf_init(&t, BUF_NOCAP);
	/* Characters cut across fragments, with a ping in the middle. */
	PUTS(&t, WS_OP_TEXT, key_a, "x\xe2");
	PUTS(&t, WS_OP_CONT, key_b, "\x82");
	PUTS(&t, FIN | WS_OP_PING, key_b, "");
	PUTS(&t, WS_OP_CONT, key_b, "\xac\xf0\x9f");
	PUTS(&t, WS_OP_CONT, key_a, "");
	PUTS(&t, FIN | WS_OP_CONT, key_a, "\x98\x80y");
	{
		static const struct want w[] = { W(WS_OP_PING, ""),
			W(WS_OP_TEXT, "x\xe2\x82\xac\xf0\x9f\x98\x80y"), WEND };
		check_ok("UTF-8 across fragments", &t, w);
	}
	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_TEXT, key_a, "x\xe2\x82\xac\xf0\x9f\x98\x80y");
	check_ok("UTF-8 in one frame", &t, w_euro);
	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_BINARY, key_a, "\xff\xc0\x80");
	check_ok("binary is not UTF-8", &t, w_bin);

	/* Fail fast: on the bad byte, in the first fragment. */
	buf_reset(&t);
	PUTS(&t, WS_OP_TEXT, key_a,
	    "ab\xff"
	    "cd");
	PUTS(&t, FIN | WS_OP_CONT, key_a, "e");
	bad("bad byte", &t, 9, WS_CLOSE_BAD_DATA);
	buf_reset(&t);
	PUTS(&t, WS_OP_TEXT, key_a, "a\xe0");
	PUTS(&t, FIN | WS_OP_CONT, key_b, "\x80\x80");
	bad("overlong across fragments", &t, 15, WS_CLOSE_BAD_DATA);
	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_TEXT, key_a, "\xed\xa0\x80");
	bad("surrogate", &t, 8, WS_CLOSE_BAD_DATA);
	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_TEXT, key_a, "\xf4\x90\x80\x80");
	bad("past U+10FFFF", &t, 8, WS_CLOSE_BAD_DATA);
	/* A message may not end inside a character. */
	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_TEXT, key_a, "ok\xe2\x82");
	bad("ends mid-character", &t, t.len, WS_CLOSE_BAD_DATA);
	buf_reset(&t);
	PUTS(&t, WS_OP_TEXT, key_a, "ok\xf0\x9f");
	PUTS(&t, FIN | WS_OP_CONT, key_b, "\x98");
	bad("fragments end mid-character", &t, t.len, WS_CLOSE_BAD_DATA);
	buf_reset(&t);
	PUTS(&t, WS_OP_TEXT, key_a, "ok\xf0\x9f");
	PUTS(&t, FIN | WS_OP_CONT, key_b, "");
	bad("empty last fragment mid-character", &t, t.len, WS_CLOSE_BAD_DATA);
	buf_free(&t);
}

static void
test_too_big(void **state)
{
	static const struct want w10[] = { W(WS_OP_TEXT, "0123456789"),
		W(WS_OP_BINARY, "0123456789"), WEND };
	static const struct want w_ping[] = { W(WS_OP_PING, ""), WEND };
	struct ws_parser p;
	struct buf t;
	int n = 0;

	(void)state;
	buf_init(&t, BUF_NOCAP);
	/* Exactly the cap, whole or in pieces. */
	PUTS(&t, FIN | WS_OP_TEXT, key_a, "0123456789");
	PUTS(&t, WS_OP_BINARY, key_a, "0123");
	PUTS(&t, WS_OP_CONT, key_a, "");
	PUTS(&t, FIN | WS_OP_CONT, key_b, "456789");
	check("exactly the cap", &t, 10, 0, w10, 0, 0);

	/* Declared too big: refused on the length, before any payload. */
	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_TEXT, key_a, "01234567890");
	bad_max("declared 11", &t, 2, WS_CLOSE_TOO_BIG, 10);
	buf_reset(&t);
	put_hdr(&t, FIN | WS_OP_BINARY, key_a, 1ULL << 62, LEN_64);
	bad_max("declared 2^62", &t, 10, WS_CLOSE_TOO_BIG, 10);
	buf_reset(&t);
	put_hdr(&t, FIN | WS_OP_BINARY, key_a, 0xffffffffffffffffULL >> 1,
	    LEN_64);
	bad_max("declared 2^63-1", &t, 10, WS_CLOSE_TOO_BIG, 5000);
	buf_reset(&t);
	put_hdr(&t, WS_OP_BINARY, key_a, 300, LEN_16);
	bad_max("declared 300", &t, 4, WS_CLOSE_TOO_BIG, 299);

	/* Nothing was allocated for it. */
	ws_parser_init(&p, 10);
	assert_int_equal(ws_parser_feed(&p, (unsigned char *)t.data, t.len,
			     count_msg, &n),
	    -1);
	assert_int_equal(p.close_code, WS_CLOSE_TOO_BIG);
	assert_null(p.message.data);
	assert_null(p.frame.data);
	ws_parser_free(&p);

	/* Too big by its fragments, refused on the frame that passes. */
	buf_reset(&t);
	PUTS(&t, WS_OP_TEXT, key_a, "012345");
	PUTS(&t, FIN | WS_OP_PING, key_a, "");
	PUTS(&t, FIN | WS_OP_CONT, key_a, "6789X");
	bad_more("fragments over", &t, 20, WS_CLOSE_TOO_BIG, 10, w_ping);
	buf_reset(&t);
	PUTS(&t, WS_OP_BINARY, key_a, "0123456789");
	PUTS(&t, WS_OP_CONT, key_a, "");
	PUTS(&t, FIN | WS_OP_CONT, key_a, "X");
	bad_max("one byte over", &t, 24, WS_CLOSE_TOO_BIG, 10);

	/* A zero cap: only empty messages. */
	buf_reset(&t);
	PUTS(&t, FIN | WS_OP_TEXT, key_a, "");
	{
		static const struct want w[] = { W(WS_OP_TEXT, ""), WEND };
		check("zero cap", &t, 0, 0, w, 0, 0);
	}
	buf_free(&t);
}

static void
test_callback_stop(void **state)
{
	static const struct want w1[] = { W(WS_OP_TEXT, "one"), WEND };
	static const struct want w2[] = { W(WS_OP_TEXT, "one"),
		W(WS_OP_PING, "two"), WEND };
	static const struct want w3[] = { W(WS_OP_TEXT, "one"),
		W(WS_OP_PING, "two"), W(WS_OP_BINARY, "three"), WEND };
	struct buf t;

	(void)state;
	buf_init(&t, BUF_NOCAP);
	PUTS(&t, FIN | WS_OP_TEXT, key_a, "one");
	PUTS(&t, WS_OP_BINARY, key_a, "th");
	PUTS(&t, FIN | WS_OP_PING, key_b, "two");
	PUTS(&t, FIN | WS_OP_CONT, key_b, "ree");
	PUTS(&t, FIN | WS_OP_TEXT, key_b, "four");
	check("stop at 1", &t, MAX, 1, w1, -1, 0);
	check("stop at 2", &t, MAX, 2, w2, -1, 0);
	check("stop at 3", &t, MAX, 3, w3, -1, 0);
	buf_free(&t);
}

/* ws_frame() in every length form, and back through the parser. */
static void
test_frame(void **state)
{
	static const size_t lens[] = { 0, 1, 125, 126, 65535, 65536 };
	static const int ops[] = { WS_OP_TEXT, WS_OP_BINARY, WS_OP_PING,
		WS_OP_PONG, WS_OP_CLOSE };
	unsigned char *data, want_hdr[10];
	struct want w[2] = { WEND, WEND };
	struct buf out, in;
	size_t i, j, hl;

	(void)state;
	data = xmalloc(65536);
	for (i = 0; i < 65536; i++)
		data[i] = (unsigned char)('a' + i % 26);
	buf_init(&out, BUF_NOCAP);
	buf_init(&in, BUF_NOCAP);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		buf_reset(&out);
		assert_int_equal(ws_frame(&out, WS_OP_BINARY, data, lens[i]),
		    0);
		want_hdr[0] = 0x82;
		if (lens[i] < 126) {
			want_hdr[1] = (unsigned char)lens[i];
			hl = 2;
		} else if (lens[i] < 65536) {
			memcpy(want_hdr + 1, "\x7e\xff\xff", 3);
			want_hdr[2] = (unsigned char)(lens[i] >> 8);
			want_hdr[3] = (unsigned char)lens[i];
			hl = 4;
		} else {
			memcpy(want_hdr + 1, "\x7f\0\0\0\0\0\x01\0\0", 9);
			hl = 10;
		}
		assert_int_equal(out.len, hl + lens[i]);
		assert_memory_equal(out.data, want_hdr, hl);
		if (lens[i] > 0)
			assert_memory_equal(out.data + hl, data, lens[i]);

		buf_reset(&in);
		mask_frame(&out, key_b, &in);
		w[0] = (struct want){ WS_OP_BINARY, data, lens[i] };
		check("ws_frame round trip", &in, 65536, 0, w, 0, 0);
	}

	/* Every opcode a whole frame may have. */
	for (j = 0; j < sizeof(ops) / sizeof(ops[0]); j++) {
		buf_reset(&out);
		/* Code 3137, and ASCII so that it is also good text. */
		assert_int_equal(ws_frame(&out, ops[j],
				     "\x0c"
				     "Aab",
				     4),
		    0);
		assert_int_equal((unsigned char)out.data[0], 0x80 | ops[j]);
		buf_reset(&in);
		mask_frame(&out, key_a, &in);
		w[0] = (struct want){ ops[j],
			"\x0c"
			"Aab",
			4 };
		check_ok("opcodes round trip", &in, w);
	}

	/* What a client would have to refuse is not sent. */
	buf_reset(&out);
	assert_int_equal(ws_frame(&out, WS_OP_PING, data, 126), -1);
	assert_int_equal(ws_frame(&out, WS_OP_CONT, data, 1), -1);
	assert_int_equal(ws_frame(&out, 3, data, 1), -1);
	assert_int_equal(out.len, 0);

	/* The cap: all of the frame or none of it. */
	buf_free(&out);
	buf_init(&out, 3 + 4 + 200);
	assert_int_equal(buf_adds(&out, "abc"), 0);
	assert_int_equal(ws_frame(&out, WS_OP_TEXT, data, 201), -1);
	assert_int_equal(out.len, 3);
	assert_string_equal(out.data, "abc");
	assert_int_equal(ws_frame(&out, WS_OP_TEXT, data, 200), 0);
	assert_int_equal(out.len, 3 + 4 + 200);
	assert_int_equal(ws_frame(&out, WS_OP_TEXT, "", 0), -1);
	assert_int_equal(out.len, 3 + 4 + 200);
	buf_free(&out);
	buf_free(&in);
	free(data);
}

static void
test_frame_close(void **state)
{
	static const struct {
		int code;
		size_t pad; /* this many 'a' before `reason` */
		const char *reason;
		size_t want_len; /* of the reason sent */
	} cases[] = {
		{ 1000, 0, "bye", 3 },
		{ 1001, 0, NULL, 0 },
		{ 1011, 0, "", 0 },
		{ 4999, 200, "", 123 },
		{ 3000, 120, "\xe2\x82\xac", 123 }, /* fits exactly */
		{ 1000, 121, "\xe2\x82\xac", 121 }, /* one byte over */
		{ 1000, 122, "\xe2\x82\xac", 122 },
		{ 1000, 119, "\xf0\x9f\x98\x80", 123 },
		{ 1000, 120, "\xf0\x9f\x98\x80", 120 },
		{ 1000, 1,
		    "b\xff"
		    "cd",
		    2 }, /* cut at bad UTF-8 */
		{ 1000, 1, "b\xe2\x82", 2 },
	};
	char reason[300];
	unsigned char want[128];
	struct want w[2] = { WEND, WEND };
	struct buf out, in;
	size_t i, n;
	int code;

	(void)state;
	buf_init(&out, BUF_NOCAP);
	buf_init(&in, BUF_NOCAP);
	assert_int_equal(ws_frame_close(&out, 1000, "bye"), 0);
	assert_int_equal(out.len, 7);
	assert_memory_equal(out.data,
	    "\x88\x05\x03\xe8"
	    "bye",
	    7);
	buf_reset(&out);
	assert_int_equal(ws_frame_close(&out, WS_CLOSE_NO_STATUS, "x"), 0);
	assert_int_equal(out.len, 2);
	assert_memory_equal(out.data, "\x88\x00", 2);
	buf_reset(&out);
	assert_int_equal(ws_frame_close(&out, 1006, "x"), -1);
	assert_int_equal(ws_frame_close(&out, 999, "x"), -1);
	assert_int_equal(ws_frame_close(&out, 5000, "x"), -1);
	assert_int_equal(ws_frame_close(&out, 1004, "x"), -1);
	assert_int_equal(out.len, 0);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(reason, 'a', cases[i].pad);
		reason[cases[i].pad] = '\0';
		if (cases[i].reason != NULL)
			strcat(reason, cases[i].reason);
		buf_reset(&out);
		assert_int_equal(ws_frame_close(&out, cases[i].code,
				     cases[i].reason != NULL ? reason : NULL),
		    0);
		n = 2 + cases[i].want_len;
		if (out.len != 2 + n)
			fail_msg("case %zu: %zu bytes", i, out.len);
		assert_int_equal((unsigned char)out.data[0], 0x88);
		assert_int_equal((unsigned char)out.data[1], n);
		want[0] = (unsigned char)(cases[i].code >> 8);
		want[1] = (unsigned char)cases[i].code;
		memcpy(want + 2, reason, cases[i].want_len);
		assert_memory_equal(out.data + 2, want, n);
		code = 0;
		assert_int_equal(ws_close_parse((unsigned char *)out.data + 2,
				     n, &code),
		    0);
		assert_int_equal(code, cases[i].code);

		buf_reset(&in);
		mask_frame(&out, key_a, &in);
		w[0] = (struct want){ WS_OP_CLOSE, want, n };
		check_ok("close round trip", &in, w);
	}
	buf_free(&out);
	buf_free(&in);
}

static void
test_close_parse(void **state)
{
	static const int good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009,
		1010, 1011, 3000, 3999, 4000, 4999 };
	static const int bad_codes[] = { 0, 1, 999, 1004, 1005, 1006, 1012,
		1015, 1016, 2000, 2999, 5000, 65535 };
	unsigned char d[16];
	size_t i;
	int code;

	(void)state;
	code = 0;
	assert_int_equal(ws_close_parse((unsigned char *)"", 0, &code), 0);
	assert_int_equal(code, WS_CLOSE_NO_STATUS);
	/* One byte is not a code, whatever follows it in memory. */
	assert_int_equal(ws_close_parse((unsigned char *)"\x03\xe8", 1, &code),
	    -1);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		d[0] = (unsigned char)(good[i] >> 8);
		d[1] = (unsigned char)good[i];
		code = 0;
		assert_int_equal(ws_close_parse(d, 2, &code), 0);
		assert_int_equal(code, good[i]);
		memcpy(d + 2, "\xe2\x82\xac ok", 6);
		code = 0;
		assert_int_equal(ws_close_parse(d, 8, &code), 0);
		assert_int_equal(code, good[i]);
		memcpy(d + 2, "\xe2\x82 ok", 5);
		assert_int_equal(ws_close_parse(d, 7, &code), -1);
		assert_int_equal(ws_close_parse(d, 4, &code), -1);
	}
	for (i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++) {
		d[0] = (unsigned char)(bad_codes[i] >> 8);
		d[1] = (unsigned char)bad_codes[i];
		if (ws_close_parse(d, 2, &code) != -1)
			fail_msg("code %d accepted", bad_codes[i]);
	}
}

/* The parser agrees with utf8_valid() on every text of utf8_cases.h. */
static void
test_utf8_text(void **state)
{
	static const struct want none[] = { WEND };
	struct want w[2] = { WEND, WEND };
	const unsigned char *s;
	struct buf t;
	size_t i, j, at;

	(void)state;
	buf_init(&t, BUF_NOCAP);
	for (i = 0; i < UTF8_NCASES; i++) {
		/* Each byte in a fragment of its own. */
		s = (const unsigned char *)utf8_cases[i].s;
		buf_reset(&t);
		for (j = 0; j < utf8_cases[i].n; j++)
			put(&t, WS_OP_CONT | (j == 0 ? WS_OP_TEXT : 0),
			    j % 2 ? key_a : key_b, s + j, 1);
		put(&t, FIN | (utf8_cases[i].n == 0 ? WS_OP_TEXT : WS_OP_CONT),
		    key_a, "", 0);
		if (utf8_cases[i].ok) {
			w[0] = (struct want){ WS_OP_TEXT, s, utf8_cases[i].n };
			check_ok("utf8 fragments", &t, w);
			continue;
		}
		check("utf8 fragments", &t, MAX, 0, none, -1,
		    WS_CLOSE_BAD_DATA);
		/* On the byte that cannot be saved, or at the end. */
		at = utf8_bad_at(s, utf8_cases[i].n);
		bad("utf8 fragments", &t, at != 0 ? 7 * at : t.len,
		    WS_CLOSE_BAD_DATA);
	}
	buf_free(&t);
}

static int
keep_len(void *arg, int op, const unsigned char *d, size_t len)
{
	(void)op;
	(void)d;
	*(size_t *)arg = len;
	return 0;
}

/* A parser between messages does not hold on to its largest one. */
static void
test_idle_memory(void **state)
{
	struct ws_parser p;
	struct buf in;
	unsigned char *big;
	size_t got = 0;

	(void)state;
	big = xcalloc(1, 65536);
	buf_init(&in, BUF_NOCAP);
	put(&in, FIN | WS_OP_BINARY, key_a, big, 65536);
	ws_parser_init(&p, 65536);
	assert_int_equal(ws_parser_feed(&p, (unsigned char *)in.data, in.len,
			     keep_len, &got),
	    0);
	assert_int_equal(got, 65536);
	assert_true(p.message.size <= 4096);
	assert_int_equal(p.message.len, 0);
	/* And it still works. */
	buf_reset(&in);
	PUTS(&in, FIN | WS_OP_TEXT, key_b, "after");
	assert_int_equal(ws_parser_feed(&p, (unsigned char *)in.data, in.len,
			     keep_len, &got),
	    0);
	assert_int_equal(got, 5);
	ws_parser_free(&p);
	buf_free(&in);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_key),
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_control_between_fragments),
		cmocka_unit_test(test_reject_frames),
		cmocka_unit_test(test_reject_close),
		cmocka_unit_test(test_utf8_messages),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_frame_close),
		cmocka_unit_test(test_close_parse),
		cmocka_unit_test(test_utf8_text),
		cmocka_unit_test(test_idle_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
