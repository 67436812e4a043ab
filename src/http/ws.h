/*
 * ws.h — WebSocket framing (RFC 6455), server side, no I/O.
 *
 * The hub (src/http/hub.c) owns the sockets; this module only turns bytes
 * into messages and messages into bytes.  The parser is incremental: feed
 * it whatever read() returned, split anywhere, and it calls back once per
 * complete message.  Data frames are reassembled from fragments (a control
 * frame may arrive between fragments), text is checked to be UTF-8 (across
 * fragment boundaries), and a message over the cap fails the connection.
 * Frames from a client must be masked (RFC 6455 5.1).
 */
#ifndef OXIOS_HTTP_WS_H
#define OXIOS_HTTP_WS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xa

/* Close codes (RFC 6455 7.4.1). */
#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_PROTOCOL 1002
#define WS_CLOSE_UNSUPPORTED 1003
#define WS_CLOSE_NO_STATUS 1005 /* never sent: "the close had no code" */
#define WS_CLOSE_BAD_DATA 1007  /* text that is not UTF-8 */
#define WS_CLOSE_POLICY 1008
#define WS_CLOSE_TOO_BIG 1009
#define WS_CLOSE_INTERNAL 1011

#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

/*
 * The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key: base64
 * of SHA-1(key ‖ "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").  The key must be
 * the base64 of 16 bytes (24 characters, RFC 6455 4.2.1); surrounding
 * spaces are ignored.  Writes WS_ACCEPT_LEN characters and a NUL into
 * `out`; returns 0, or -1 if the key is not valid.
 */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

/*
 * Called once per complete message: a data message (WS_OP_TEXT or
 * WS_OP_BINARY, reassembled) or a control frame (WS_OP_PING, WS_OP_PONG,
 * WS_OP_CLOSE with its raw payload).  `data` is valid during the call only.
 * Return 0 to go on, or -1 to stop parsing (ws_parser_feed() then returns
 * -1 with close_code 0).
 */
typedef int (*ws_message_cb)(void *arg, int opcode, const unsigned char *data,
    size_t len);

struct ws_parser {
	size_t max_message; /* most bytes of one (reassembled) message */
	/* After a failure: the close code to send and why, for the log. */
	int close_code;
	char error[128];
	/* Private. */
	int failed;
	int state;
	unsigned char hdr[14];
	size_t hdr_len, hdr_need;
	int fin, opcode, masked;
	unsigned char mask[4];
	uint64_t payload_len, payload_got;
	struct buf frame;   /* the payload of the current control frame */
	struct buf message; /* the data message being reassembled */
	int message_op;     /* WS_OP_TEXT, WS_OP_BINARY, or 0 when none */
	uint32_t utf8_state;
};

void ws_parser_init(struct ws_parser *p, size_t max_message);
void ws_parser_free(struct ws_parser *p);
/*
 * Feed bytes from the client.  Returns 0, or -1 when the stream is broken
 * (close_code says how: WS_CLOSE_PROTOCOL for a bad frame — unmasked,
 * reserved bits or opcodes, a control frame over 125 bytes or fragmented,
 * a continuation with nothing to continue, a new data frame inside a
 * fragmented message, a 64-bit length with the top bit set, a bad close
 * payload; WS_CLOSE_BAD_DATA for text that is not UTF-8; WS_CLOSE_TOO_BIG
 * for a message over max_message) or the callback stopped it
 * (close_code 0).  Once it has failed, every later call returns -1.
 */
int ws_parser_feed(struct ws_parser *p, const unsigned char *data, size_t len,
    ws_message_cb cb, void *arg);

/*
 * Append one unmasked, unfragmented server frame to `out`.  Returns 0, or
 * -1 if `out` is over its cap (out is then as it was).
 */
int ws_frame(struct buf *out, int opcode, const void *data, size_t len);
/* Append a close frame with `code` and `reason` (cut to fit 125 bytes). */
int ws_frame_close(struct buf *out, int code, const char *reason);
/*
 * Check a close frame's payload (RFC 6455 5.5.1, 7.4): empty (then *code is
 * WS_CLOSE_NO_STATUS), or a 2-byte code that may be sent (1000-1003,
 * 1007-1011, 3000-4999) followed by UTF-8.  Returns 0, or -1.
 */
int ws_close_parse(const unsigned char *data, size_t len, int *code);

#endif
