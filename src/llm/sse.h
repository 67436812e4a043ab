/*
 * sse.h — a Server-Sent Events parser following the WHATWG HTML rules
 * ("9.2.6 Interpreting an event stream"), fed bytes in pieces of any size.
 *
 * Lines end with CRLF, LF or CR (a CR at the end of one piece followed by
 * an LF at the start of the next is one line end).  A leading UTF-8 BOM is
 * skipped.  "data" lines are joined with '\n'; "event" sets the type
 * (default "message"); "id" sets the last event id (ignored if it contains
 * NUL); "retry" with only ASCII digits sets the reconnection time; lines
 * starting with ':' are comments; other fields are ignored.  An empty line
 * dispatches the event, unless its data is empty.  At the end of the
 * stream an unterminated event is discarded, as the standard says.
 */
#ifndef OXIOS_LLM_SSE_H
#define OXIOS_LLM_SSE_H

#include <stddef.h>

#define SSE_MAX_EVENT (16 * 1024 * 1024) /* default cap of one event */

struct sse_event {
	const char *type; /* "message" when the stream gave none */
	const char *data; /* NUL-terminated; may contain '\n' */
	size_t data_len;
	const char *id; /* last event id so far, "" if none */
};

/*
 * Called for each dispatched event; the pointers live until it returns.
 * Return 0 to go on; anything else stops sse_feed(), which returns it.
 */
typedef int (*sse_event_cb)(const struct sse_event *ev, void *arg);
/* Called for each comment line (text after ':'), may be NULL. */
typedef void (*sse_comment_cb)(const char *text, size_t len, void *arg);

struct sse_parser;

/*
 * A new parser.  `max_event` caps the bytes of one event (its lines and
 * data together); 0 means SSE_MAX_EVENT.  Caller sse_free()s it.
 */
struct sse_parser *sse_new(size_t max_event, sse_event_cb on_event,
    sse_comment_cb on_comment, void *arg);
/*
 * Feed `len` bytes.  Returns 0; -1 when an event passes the cap (the
 * parser is then unusable); or the callback's nonzero value.
 */
int sse_feed(struct sse_parser *p, const char *buf, size_t len);
/* The end of the stream: whether a partial event was discarded (1/0). */
int sse_finish(struct sse_parser *p);
/* Reconnection time from the last valid "retry" field, or -1. */
long sse_retry_ms(const struct sse_parser *p);
void sse_free(struct sse_parser *p);

#endif
