/*
 * ws.c — WebSocket framing (RFC 6455), server side, no I/O.
 *
 * The parser is a two-state machine: it gathers a frame header byte by
 * byte into hdr[] (2 to 14 bytes), then copies the payload, unmasking it
 * in place as it lands.  Every check is made on the byte that decides it,
 * so a bad stream fails at the same byte however it was cut: reserved bits,
 * opcodes and fragmentation rules on the first byte, the mask bit and a
 * control frame's length on the second, length encoding and the cap when
 * the length is complete (before a byte of payload is stored), and UTF-8
 * on each byte of text as it is unmasked.
 *
 * Data frames go straight into `message`, whose cap is max_message; control
 * frames go into `frame` (cap 125), so that a ping between two fragments
 * leaves the message being reassembled alone.  The cap applies to data
 * messages: control frames are bounded by the protocol's 125 bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "http/ws.h"
#include "util/buf.h"
#include "util/utf8.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN 24      /* base64 of 16 bytes */
#define WS_CONTROL_MAX 125 /* RFC 6455 5.5 */
#define WS_CLOSE_REASON_MAX 123
/*
 * A message buffer larger than this is freed once its message has been
 * delivered, so that an idle connection does not keep its largest message.
 */
#define WS_KEEP 4096

/* Parser states. */
#define WS_ST_HEADER 0
#define WS_ST_PAYLOAD 1

/* First and second header bytes. */
#define WS_FIN 0x80
#define WS_RSV 0x70
#define WS_OPCODE 0x0f
#define WS_MASK 0x80
#define WS_LEN7 0x7f

static const char ws_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
ws_b64_value(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(ws_b64, c)) == NULL)
		return -1;
	return (int)(p - ws_b64);
}

int
ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char in[WS_KEY_LEN + sizeof(WS_GUID) - 1];
	unsigned char md[SHA_DIGEST_LENGTH];
	const char *end;
	size_t i, o, n;
	uint32_t v;
	int c;

	if (key == NULL)
		return -1;
	while (*key == ' ' || *key == '\t')
		key++;
	end = key + strlen(key);
	while (end > key && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - key != WS_KEY_LEN || key[22] != '=' || key[23] != '=')
		return -1;
	for (i = 0; i < 22; i++) {
		if ((c = ws_b64_value(key[i])) == -1)
			return -1;
		/*
		 * 22 characters carry 132 bits for 128: the last one's low
		 * four bits must be zero, or this is not what an encoder of
		 * 16 bytes writes.
		 */
		if (i == 21 && (c & 0x0f) != 0)
			return -1;
	}

	memcpy(in, key, WS_KEY_LEN);
	memcpy(in + WS_KEY_LEN, WS_GUID, sizeof(WS_GUID) - 1);
	SHA1(in, sizeof in, md);

	/* Base64 of 20 bytes: six groups of three, then two bytes and '='. */
	for (i = 0, o = 0; i < SHA_DIGEST_LENGTH; i += 3) {
		n = SHA_DIGEST_LENGTH - i < 3 ? SHA_DIGEST_LENGTH - i : 3;
		v = (uint32_t)md[i] << 16;
		if (n > 1)
			v |= (uint32_t)md[i + 1] << 8;
		if (n > 2)
			v |= md[i + 2];
		out[o++] = ws_b64[(v >> 18) & 0x3f];
		out[o++] = ws_b64[(v >> 12) & 0x3f];
		out[o++] = n > 1 ? ws_b64[(v >> 6) & 0x3f] : '=';
		out[o++] = n > 2 ? ws_b64[v & 0x3f] : '=';
	}
	out[o] = '\0';
	return 0;
}

void
ws_parser_init(struct ws_parser *p, size_t max_message)
{
	memset(p, 0, sizeof *p);
	p->max_message = max_message;
	p->state = WS_ST_HEADER;
	p->hdr_need = 2;
	buf_init(&p->frame, WS_CONTROL_MAX);
	buf_init(&p->message, max_message);
}

void
ws_parser_free(struct ws_parser *p)
{
	buf_free(&p->frame);
	buf_free(&p->message);
}

static int ws_fail(struct ws_parser *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Mark the parser failed with `code` (0: the callback stopped it). */
static int
ws_fail(struct ws_parser *p, int code, const char *fmt, ...)
{
	va_list ap;

	p->failed = 1;
	p->close_code = code;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof p->error, fmt, ap);
	va_end(ap);
	return -1;
}

static int
ws_is_control(int opcode)
{
	return (opcode & 0x08) != 0;
}

/* The first header byte: flags and opcode, checked against the state. */
static int
ws_header_first(struct ws_parser *p, unsigned char b)
{
	p->fin = (b & WS_FIN) != 0;
	p->opcode = b & WS_OPCODE;
	if ((b & WS_RSV) != 0)
		return ws_fail(p, WS_CLOSE_PROTOCOL,
		    "reserved bits 0x%02x set without an extension",
		    b & WS_RSV);
	switch (p->opcode) {
	case WS_OP_CONT:
		if (p->message_op == 0)
			return ws_fail(p, WS_CLOSE_PROTOCOL,
			    "continuation frame with no message to continue");
		break;
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (p->message_op != 0)
			return ws_fail(p, WS_CLOSE_PROTOCOL,
			    "new data frame inside a fragmented message");
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!p->fin)
			return ws_fail(p, WS_CLOSE_PROTOCOL,
			    "fragmented control frame (opcode 0x%x)",
			    p->opcode);
		break;
	default:
		return ws_fail(p, WS_CLOSE_PROTOCOL, "reserved opcode 0x%x",
		    p->opcode);
	}
	return 0;
}

/* The payload length is known: check it before any of it is stored. */
static int
ws_header_length(struct ws_parser *p)
{
	if (ws_is_control(p->opcode))
		return 0; /* at most 125, checked on the second byte */
	if (p->payload_len > p->max_message - p->message.len)
		return ws_fail(p, WS_CLOSE_TOO_BIG,
		    "message of more than %zu bytes", p->max_message);
	return 0;
}

/* One more header byte, just stored at hdr[hdr_len - 1]. */
static int
ws_header_byte(struct ws_parser *p)
{
	size_t ext, i;
	unsigned char b = p->hdr[p->hdr_len - 1];

	if (p->hdr_len == 1)
		return ws_header_first(p, b);
	if (p->hdr_len == 2) {
		p->masked = (b & WS_MASK) != 0;
		if (!p->masked)
			return ws_fail(p, WS_CLOSE_PROTOCOL,
			    "unmasked frame from the client");
		p->payload_len = b & WS_LEN7;
		if (ws_is_control(p->opcode) && p->payload_len > WS_CONTROL_MAX)
			return ws_fail(p, WS_CLOSE_PROTOCOL,
			    "control frame of more than %d bytes",
			    WS_CONTROL_MAX);
		ext = p->payload_len == 126 ? 2 : p->payload_len == 127 ? 8 : 0;
		p->hdr_need = 2 + ext + 4;
		return ext == 0 ? ws_header_length(p) : 0;
	}
	if (p->hdr_len == p->hdr_need - 4 && p->hdr_need > 6) {
		/* The extended length is complete. */
		ext = p->hdr_need - 6;
		p->payload_len = 0;
		for (i = 0; i < ext; i++)
			p->payload_len = p->payload_len << 8 | p->hdr[2 + i];
		if (ext == 8 && (p->payload_len >> 63) != 0)
			return ws_fail(p, WS_CLOSE_PROTOCOL,
			    "64-bit length with the top bit set");
		/* RFC 6455 5.2: "the minimal number of bytes MUST be used". */
		if ((ext == 2 && p->payload_len < 126) ||
		    (ext == 8 && p->payload_len <= 0xffff))
			return ws_fail(p, WS_CLOSE_PROTOCOL,
			    "length %llu not in its shortest form",
			    (unsigned long long)p->payload_len);
		return ws_header_length(p);
	}
	if (p->hdr_len == p->hdr_need)
		memcpy(p->mask, p->hdr + p->hdr_len - 4, 4);
	return 0;
}

/* Hand a finished message to the callback. */
static int
ws_deliver(struct ws_parser *p, int opcode, const struct buf *b,
    ws_message_cb cb, void *arg)
{
	const unsigned char *d = (const unsigned char *)buf_str(b);

	if (cb(arg, opcode, d, b->len) != 0)
		return ws_fail(p, 0, "stopped by the message callback");
	return 0;
}

/* The current frame's payload is all in. */
static int
ws_frame_end(struct ws_parser *p, ws_message_cb cb, void *arg)
{
	int code, op, rc;

	p->state = WS_ST_HEADER;
	p->hdr_len = 0;
	p->hdr_need = 2;
	if (ws_is_control(p->opcode)) {
		if (p->opcode == WS_OP_CLOSE &&
		    ws_close_parse((const unsigned char *)buf_str(&p->frame),
			p->frame.len, &code) != 0)
			return ws_fail(p, WS_CLOSE_PROTOCOL,
			    "bad close frame payload");
		rc = ws_deliver(p, p->opcode, &p->frame, cb, arg);
		buf_reset(&p->frame);
		return rc;
	}
	if (!p->fin)
		return 0;
	if (p->message_op == WS_OP_TEXT && p->utf8_state != UTF8_ACCEPT)
		return ws_fail(p, WS_CLOSE_BAD_DATA,
		    "text message ends inside a UTF-8 sequence");
	op = p->message_op;
	p->message_op = 0;
	p->utf8_state = UTF8_ACCEPT;
	rc = ws_deliver(p, op, &p->message, cb, arg);
	if (p->message.size > WS_KEEP)
		buf_free(&p->message);
	else
		buf_reset(&p->message);
	return rc;
}

/*
 * Store, unmask and check the next payload bytes of data[0..n); *used says
 * how many were taken (no more than the frame has left).
 */
static int
ws_payload(struct ws_parser *p, const unsigned char *data, size_t n,
    size_t *used)
{
	struct buf *b;
	unsigned char *d;
	uint64_t left = p->payload_len - p->payload_got;
	size_t i, at;

	if (n > left)
		n = (size_t)left;
	*used = n;
	b = ws_is_control(p->opcode) ? &p->frame : &p->message;
	at = b->len;
	/* Not expected: the frame's length was checked against the cap. */
	if (buf_add(b, data, n) != 0)
		return ws_fail(p, WS_CLOSE_INTERNAL, "payload over its buffer");
	d = (unsigned char *)b->data + at;
	for (i = 0; i < n; i++)
		d[i] ^= p->mask[(p->payload_got + i) & 3];
	p->payload_got += n;
	if (b == &p->message && p->message_op == WS_OP_TEXT) {
		p->utf8_state = utf8_run(p->utf8_state, d, n);
		if (p->utf8_state == UTF8_REJECT)
			return ws_fail(p, WS_CLOSE_BAD_DATA,
			    "text message is not UTF-8");
	}
	return 0;
}

int
ws_parser_feed(struct ws_parser *p, const unsigned char *data, size_t len,
    ws_message_cb cb, void *arg)
{
	size_t off = 0, n;

	if (p->failed)
		return -1;
	while (off < len) {
		if (p->state == WS_ST_HEADER) {
			p->hdr[p->hdr_len++] = data[off++];
			if (ws_header_byte(p) != 0)
				return -1;
			if (p->hdr_len < p->hdr_need)
				continue;
			p->state = WS_ST_PAYLOAD;
			p->payload_got = 0;
			if (p->opcode == WS_OP_TEXT ||
			    p->opcode == WS_OP_BINARY)
				p->message_op = p->opcode;
		} else {
			if (ws_payload(p, data + off, len - off, &n) != 0)
				return -1;
			off += n;
		}
		/* A frame may end with its header: an empty payload. */
		if (p->payload_got == p->payload_len &&
		    ws_frame_end(p, cb, arg) != 0)
			return -1;
	}
	return 0;
}

static int
ws_frame_header(unsigned char *h, int opcode, size_t len)
{
	int n = 0, i;

	h[n++] = WS_FIN | (opcode & WS_OPCODE);
	if (len < 126) {
		h[n++] = (unsigned char)len;
	} else if (len <= 0xffff) {
		h[n++] = 126;
		h[n++] = (unsigned char)(len >> 8);
		h[n++] = (unsigned char)len;
	} else {
		h[n++] = 127;
		for (i = 7; i >= 0; i--)
			h[n++] = (unsigned char)((uint64_t)len >> (8 * i));
	}
	return n;
}

/*
 * Beyond the cap, a frame the client would have to reject is refused too:
 * an opcode that is not one of the five a whole frame may carry, or a
 * control frame over 125 bytes.
 */
int
ws_frame(struct buf *out, int opcode, const void *data, size_t len)
{
	unsigned char h[10];
	size_t room;
	int n;

	switch (opcode) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (len > WS_CONTROL_MAX)
			return -1;
		break;
	default:
		return -1;
	}
	n = ws_frame_header(h, opcode, len);
	if (out->len > out->cap)
		return -1;
	room = out->cap - out->len;
	if (len > room || (size_t)n > room - len)
		return -1;
	if (buf_add(out, h, (size_t)n) != 0 || buf_add(out, data, len) != 0)
		return -1; /* not reached: the room was checked */
	return 0;
}

static int
ws_close_code_ok(int code)
{
	return (code >= 1000 && code <= 1003) ||
	    (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

/*
 * WS_CLOSE_NO_STATUS sends a close frame with no payload.  Any other code
 * must be one that may be sent.  The reason is cut to its longest prefix
 * of at most 123 bytes that is whole UTF-8 characters, so that the payload
 * always passes ws_close_parse().
 */
int
ws_frame_close(struct buf *out, int code, const char *reason)
{
	unsigned char p[WS_CONTROL_MAX];
	size_t cut;

	if (code == WS_CLOSE_NO_STATUS)
		return ws_frame(out, WS_OP_CLOSE, "", 0);
	if (!ws_close_code_ok(code))
		return -1;
	if (reason == NULL)
		reason = "";
	cut = utf8_valid_prefix(reason, strnlen(reason, WS_CLOSE_REASON_MAX));
	p[0] = (unsigned char)(code >> 8);
	p[1] = (unsigned char)code;
	memcpy(p + 2, reason, cut);
	return ws_frame(out, WS_OP_CLOSE, p, 2 + cut);
}

/* *code is set only when the payload is good. */
int
ws_close_parse(const unsigned char *data, size_t len, int *code)
{
	int c;

	if (len == 0) {
		if (code != NULL)
			*code = WS_CLOSE_NO_STATUS;
		return 0;
	}
	if (len < 2)
		return -1;
	c = data[0] << 8 | data[1];
	if (!ws_close_code_ok(c) ||
	    !utf8_valid((const char *)data + 2, len - 2))
		return -1;
	if (code != NULL)
		*code = c;
	return 0;
}
