/*
 * fuzz_ws.c — WebSocket framing.  The input is a client stream, parsed
 * with a cap of 64 KiB in one piece, in two pieces cut at a point taken
 * from its first byte, and a byte at a time; every run must deliver the
 * same messages (compared byte for byte) and end the same way, and the
 * one-piece run must agree with a plain reference parser below, which
 * walks the whole input frame by frame the way RFC 6455 words it.  Every
 * TEXT message must be UTF-8, no data message may pass the cap nor a
 * control frame 125 bytes, every close payload must parse, and a failure
 * must carry 1002, 1007 or 1009.  A run stopped by its callback at the
 * k-th message must have delivered just the first k.
 *
 * The input is also used as a payload: ws_frame() of it (or
 * ws_frame_close() with it as the reason), masked here, must parse back
 * to the same message; ws_frame() into a small buffer must fail exactly
 * when the frame does not fit and leave the buffer as it was.  And the
 * input, as a Sec-WebSocket-Key, must give what OpenSSL's own base64 and
 * SHA-1 give.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "../unit/utf8_ref.h"
#include "http/ws.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define FUZZ_WS_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference's UTF-8 (tests/unit/utf8_ref.h). */
static int
fuzz_ws_utf8_whole(const uint8_t *s, size_t n)
{
	return utf8_ref_valid(s, n);
}

/*
 * Whether s[0..n) is the start of some UTF-8 text: good as it is, or
 * good once its last character is finished.  Only the second byte of a
 * sequence is ever restricted beyond 80..BF, and 80, 90 or A0 there with
 * 80s after it finishes every sequence that can be finished.
 */
static int
fuzz_ws_utf8_prefix(const uint8_t *s, size_t n)
{
	static const uint8_t second[] = { 0x80, 0x90, 0xa0 };
	uint8_t *t;
	size_t k, j;
	int ok = fuzz_ws_utf8_whole(s, n);

	if (ok)
		return 1;
	t = xmalloc(n + 3);
	memcpy(t, s, n);
	for (k = 1; k <= 3 && !ok; k++) {
		for (j = 0; j < sizeof second && !ok; j++) {
			memset(t + n, 0x80, k);
			t[n] = second[j];
			ok = fuzz_ws_utf8_whole(t, n + k);
		}
	}
	free(t);
	return ok;
}

static int
fuzz_ws_code_ok(int c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) ||
	    (c >= 3000 && c <= 4999);
}

static int
fuzz_ws_close_ok(const uint8_t *d, size_t n)
{
	if (n == 0)
		return 1;
	if (n == 1 || !fuzz_ws_code_ok(d[0] << 8 | d[1]))
		return 0;
	return fuzz_ws_utf8_whole(d + 2, n - 2);
}

/* One message, length first so that no two different logs look alike. */
static void
fuzz_ws_log(struct buf *log, int op, const uint8_t *d, size_t n)
{
	if (buf_printf(log, "%x,%zu:", op, n) != 0 || buf_add(log, d, n) != 0)
		abort();
}

struct fuzz_ws_rec {
	struct buf *log;
	int n, stop_at;
};

static int
fuzz_ws_msg(void *arg, int op, const unsigned char *d, size_t n)
{
	struct fuzz_ws_rec *r = arg;
	int code;

	if (d == NULL)
		abort();
	if (op == WS_OP_TEXT &&
	    (!utf8_valid((const char *)d, n) || !fuzz_ws_utf8_whole(d, n)))
		abort();
	if (op == WS_OP_CLOSE) {
		if (ws_close_parse(d, n, &code) != 0)
			abort();
		if (n >= 2 ? code != (d[0] << 8 | d[1]) :
			     code != WS_CLOSE_NO_STATUS)
			abort();
	}
	switch (op) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (n > FUZZ_WS_MAX)
			abort();
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (n > 125)
			abort();
		break;
	default:
		abort();
	}
	fuzz_ws_log(r->log, op, d, n);
	return ++r->n == r->stop_at ? -1 : 0;
}

/*
 * Feed `in` whole (mode 0), cut at `split` (1) or a byte at a time (2);
 * the log of what came.  The callback stops at message `stop_at` (0:
 * never).
 */
static char *
fuzz_ws_run(const uint8_t *in, size_t len, int mode, size_t split, int stop_at,
    size_t *loglen)
{
	struct ws_parser p;
	struct fuzz_ws_rec r;
	struct buf log;
	size_t off = 0, n;
	int rc = 0;

	buf_init(&log, BUF_NOCAP);
	r.log = &log;
	r.n = 0;
	r.stop_at = stop_at;
	ws_parser_init(&p, FUZZ_WS_MAX);
	while (off < len && rc == 0) {
		switch (mode) {
		case 0:
			n = len - off;
			break;
		case 1:
			n = off < split ? split - off : len - off;
			break;
		default:
			n = 1;
			break;
		}
		rc = ws_parser_feed(&p, in + off, n, fuzz_ws_msg, &r);
		off += n;
	}
	if (rc != 0) {
		if (rc != -1 || p.error[0] == '\0')
			abort();
		if (p.close_code == 0) {
			if (stop_at == 0 || r.n != stop_at)
				abort();
		} else if (p.close_code != WS_CLOSE_PROTOCOL &&
		    p.close_code != WS_CLOSE_BAD_DATA &&
		    p.close_code != WS_CLOSE_TOO_BIG) {
			abort();
		}
		/* Failed for good: nothing more comes. */
		n = (size_t)r.n;
		if (ws_parser_feed(&p, in, len, fuzz_ws_msg, &r) != -1 ||
		    (size_t)r.n != n)
			abort();
	}
	if (buf_printf(&log, "=%d,%d", rc, rc != 0 ? p.close_code : 0) != 0)
		abort();
	ws_parser_free(&p);
	*loglen = log.len;
	return buf_detach(&log);
}

/*
 * Where the k-th message (from 1) of a log ends, or 0 if it has fewer.
 * Each entry is "op,len:" and len bytes; the log ends with "=rc,code".
 */
static size_t
fuzz_ws_log_end(const char *log, size_t k)
{
	const char *q = log, *colon;

	while (k-- > 0) {
		if (*q == '=')
			return 0;
		colon = strchr(q, ':');
		q = colon + 1 + strtoul(strchr(q, ',') + 1, NULL, 10);
	}
	return (size_t)(q - log);
}

/* The reference: the whole stream at once, a frame at a time. */
static char *
fuzz_ws_ref(const uint8_t *in, size_t len, size_t *loglen)
{
	struct buf log, msg, ctl, *b;
	const uint8_t *mask;
	size_t pos = 0, ext, hl, avail, i;
	uint64_t plen;
	int fin, op, ctlop, msg_op = 0, close = 0;

	buf_init(&log, BUF_NOCAP);
	buf_init(&msg, BUF_NOCAP);
	buf_init(&ctl, BUF_NOCAP);
	while (pos < len) {
		fin = (in[pos] & 0x80) != 0;
		op = in[pos] & 0x0f;
		ctlop = (op & 0x08) != 0;
		if ((in[pos] & 0x70) != 0 || (op > 2 && op < 8) || op > 10 ||
		    (ctlop && !fin) || (op == 0 && msg_op == 0) ||
		    ((op == 1 || op == 2) && msg_op != 0)) {
			close = WS_CLOSE_PROTOCOL;
			break;
		}
		if (len - pos < 2)
			break;
		if ((in[pos + 1] & 0x80) == 0 ||
		    (ctlop && (in[pos + 1] & 0x7f) > 125)) {
			close = WS_CLOSE_PROTOCOL;
			break;
		}
		plen = in[pos + 1] & 0x7f;
		ext = plen == 126 ? 2 : plen == 127 ? 8 : 0;
		if (len - pos < 2 + ext)
			break;
		if (ext != 0) {
			plen = 0;
			for (i = 0; i < ext; i++)
				plen = plen << 8 | in[pos + 2 + i];
			if ((ext == 8 && plen >= (1ULL << 63)) ||
			    (ext == 2 && plen < 126) ||
			    (ext == 8 && plen < 65536)) {
				close = WS_CLOSE_PROTOCOL;
				break;
			}
		}
		if (!ctlop && msg.len + plen > FUZZ_WS_MAX) {
			close = WS_CLOSE_TOO_BIG;
			break;
		}
		hl = 2 + ext + 4;
		if (len - pos < hl)
			break;
		mask = in + pos + hl - 4;
		if (!ctlop && op != 0)
			msg_op = op;
		avail = len - pos - hl < plen ? len - pos - hl : (size_t)plen;
		b = ctlop ? &ctl : &msg;
		for (i = 0; i < avail; i++) {
			if (buf_addc(b, (char)(in[pos + hl + i] ^ mask[i % 4])))
				abort();
		}
		if (!ctlop && msg_op == 1 &&
		    !fuzz_ws_utf8_prefix((uint8_t *)msg.data, msg.len)) {
			close = WS_CLOSE_BAD_DATA;
			break;
		}
		if (avail < plen)
			break;
		pos += hl + avail;
		if (ctlop) {
			if (op == 8 &&
			    !fuzz_ws_close_ok((uint8_t *)ctl.data, ctl.len)) {
				close = WS_CLOSE_PROTOCOL;
				break;
			}
			fuzz_ws_log(&log, op, (uint8_t *)buf_str(&ctl),
			    ctl.len);
			buf_reset(&ctl);
		} else if (fin) {
			if (msg_op == 1 &&
			    !fuzz_ws_utf8_whole((uint8_t *)msg.data, msg.len)) {
				close = WS_CLOSE_BAD_DATA;
				break;
			}
			fuzz_ws_log(&log, msg_op, (uint8_t *)buf_str(&msg),
			    msg.len);
			buf_reset(&msg);
			msg_op = 0;
		}
	}
	if (buf_printf(&log, "=%d,%d", close != 0 ? -1 : 0, close) != 0)
		abort();
	buf_free(&msg);
	buf_free(&ctl);
	*loglen = log.len;
	return buf_detach(&log);
}

/* What a client would send for a server frame: masked with `key`. */
static void
fuzz_ws_mask(const struct buf *server, const uint8_t key[4], struct buf *client)
{
	const uint8_t *s = (const uint8_t *)server->data;
	size_t hl, i;

	hl = (s[1] & 0x7f) == 126 ? 4 : (s[1] & 0x7f) == 127 ? 10 : 2;
	if (server->len < hl || (s[1] & 0x80) != 0 || (s[0] & 0x80) == 0)
		abort();
	if (buf_addc(client, (char)s[0]) != 0 ||
	    buf_addc(client, (char)(s[1] | 0x80)) != 0 ||
	    buf_add(client, s + 2, hl - 2) != 0 || buf_add(client, key, 4) != 0)
		abort();
	for (i = hl; i < server->len; i++) {
		if (buf_addc(client, (char)(s[i] ^ key[(i - hl) % 4])) != 0)
			abort();
	}
}

/* ws_frame() and ws_frame_close() of the input, parsed back. */
static void
fuzz_ws_round_trip(const uint8_t *data, size_t size)
{
	static const uint8_t key0[4] = { 0x12, 0x34, 0x56, 0x78 };
	const uint8_t *key = size >= 5 ? data + 1 : key0;
	struct buf out, in, log, want;
	struct ws_parser p;
	struct fuzz_ws_rec r = { &log, 0, 0 };
	char *reason = NULL;
	size_t n, hl, cap, short_by;
	int op, code, rc, ok;

	buf_init(&out, BUF_NOCAP);
	buf_init(&in, BUF_NOCAP);
	buf_init(&log, BUF_NOCAP);
	buf_init(&want, BUF_NOCAP);
	switch (data[0] & 3) {
	case 0:
		op = WS_OP_BINARY;
		break;
	case 1:
		op = utf8_valid((const char *)data, size) ? WS_OP_TEXT :
							    WS_OP_BINARY;
		break;
	case 2:
		op = size <= 125 ? WS_OP_PING : WS_OP_BINARY;
		break;
	default:
		op = WS_OP_CLOSE;
		break;
	}
	if (op != WS_OP_CLOSE) {
		if (ws_frame(&out, op, data, size) != 0)
			abort();
		fuzz_ws_log(&want, op, data, size);
	} else {
		/* The code from bytes 1-2, the reason from byte 3 on. */
		code = size >= 3 ? data[1] << 8 | data[2] : WS_CLOSE_NORMAL;
		reason = xstrndup(size >= 3 ? (const char *)data + 3 : "",
		    size >= 3 ? size - 3 : 0);
		rc = ws_frame_close(&out, code, reason);
		ok = code == WS_CLOSE_NO_STATUS || fuzz_ws_code_ok(code);
		if (rc != (ok ? 0 : -1))
			abort();
		if (rc != 0)
			goto out;
		/* The longest good prefix of the reason in 123 bytes. */
		n = strlen(reason) < 123 ? strlen(reason) : 123;
		while (!fuzz_ws_utf8_whole((uint8_t *)reason, n))
			n--;
		if (code == WS_CLOSE_NO_STATUS) {
			fuzz_ws_log(&want, op, (const uint8_t *)"", 0);
		} else if (buf_printf(&want, "%x,%zu:", op, n + 2) != 0 ||
		    buf_addc(&want, (char)(code >> 8)) != 0 ||
		    buf_addc(&want, (char)code) != 0 ||
		    buf_add(&want, reason, n) != 0) {
			abort();
		}
	}
	buf_printf(&want, "=0,0");
	fuzz_ws_mask(&out, key, &in);
	ws_parser_init(&p, FUZZ_WS_MAX);
	rc = ws_parser_feed(&p, (uint8_t *)in.data, in.len, fuzz_ws_msg, &r);
	buf_printf(&log, "=%d,%d", rc, p.close_code);
	ws_parser_free(&p);
	if (log.len != want.len || memcmp(log.data, want.data, log.len) != 0)
		abort();

	/*
	 * Into a buffer with room for the frame, or for all but 1-7 bytes of
	 * it (so perhaps for the header alone): all or nothing.
	 */
	if (op != WS_OP_CLOSE) {
		hl = size < 126 ? 2 : size <= 0xffff ? 4 : 10;
		short_by = data[size - 1] % 8;
		cap = 2 + hl + size - (short_by < hl + size ? short_by : 0);
		buf_free(&out);
		buf_init(&out, cap);
		if (buf_add(&out, "ab", 2) != 0)
			abort();
		rc = ws_frame(&out, op, data, size);
		if (rc != (2 + hl + size > cap ? -1 : 0))
			abort();
		if (rc != 0 && (out.len != 2 || memcmp(out.data, "ab", 3) != 0))
			abort();
		if (rc == 0 && out.len != cap)
			abort();
	}
out:
	free(reason);
	buf_free(&out);
	buf_free(&in);
	buf_free(&log);
	buf_free(&want);
}

/* ws_accept_key() against OpenSSL's base64 and SHA-1. */
static void
fuzz_ws_accept(const uint8_t *data, size_t size)
{
	unsigned char raw[32], md[SHA_DIGEST_LENGTH], cat[64];
	char out[WS_ACCEPT_LEN + 1], want[64];
	char *key, *s, *e;
	int ok, rc;

	key = xstrndup((const char *)data, size);
	rc = ws_accept_key(key, out);
	for (s = key; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	/* 16 bytes, and the 24 characters an encoder writes for them. */
	ok = e - s == 24 &&
	    EVP_DecodeBlock(raw, (unsigned char *)s, 24) == 18 &&
	    s[22] == '=' && s[23] == '=';
	if (ok) {
		EVP_EncodeBlock((unsigned char *)want, raw, 16);
		ok = memcmp(want, s, 24) == 0;
	}
	if (rc != (ok ? 0 : -1))
		abort();
	if (ok) {
		memcpy(cat, s, 24);
		memcpy(cat + 24, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
		SHA1(cat, 60, md);
		EVP_EncodeBlock((unsigned char *)want, md, SHA_DIGEST_LENGTH);
		if (strcmp(want, out) != 0)
			abort();
	}
	free(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *want, *got;
	size_t split, wantlen, gotlen, nmsg, k, end;
	int mode;

	if (fuzz_ws_utf8_whole(data, size) !=
	    utf8_valid((const char *)data, size))
		abort();
	want = fuzz_ws_run(data, size, 0, 0, 0, &wantlen);
	got = fuzz_ws_ref(data, size, &gotlen);
	if (gotlen != wantlen || memcmp(got, want, wantlen) != 0)
		abort();
	free(got);
	if (size == 0) {
		free(want);
		return 0;
	}
	split = data[0] % (size + 1);
	for (mode = 1; mode <= 2; mode++) {
		got = fuzz_ws_run(data, size, mode, split, 0, &gotlen);
		if (gotlen != wantlen || memcmp(got, want, wantlen) != 0)
			abort();
		free(got);
	}

	/* Stopped at the k-th message: the same first k messages. */
	for (nmsg = 0; fuzz_ws_log_end(want, nmsg + 1) != 0; nmsg++)
		;
	if (nmsg > 0) {
		k = 1 + data[size - 1] % nmsg;
		end = fuzz_ws_log_end(want, k);
		got = fuzz_ws_run(data, size, 0, 0, (int)k, &gotlen);
		if (gotlen != end + 5 || memcmp(got, want, end) != 0 ||
		    memcmp(got + end, "=-1,0", 5) != 0)
			abort();
		free(got);
	}
	free(want);

	fuzz_ws_round_trip(data, size);
	fuzz_ws_accept(data, size);
	return 0;
}
