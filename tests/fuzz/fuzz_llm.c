/*
 * fuzz_llm.c — a provider's streamed answer is outside input.  The bytes
 * go through the SSE parser into the Anthropic or the OpenAI wire format
 * (first byte chooses), then the answer is assembled.  Invariants: the
 * text a receiver was streamed equals the text assembled; an assembled
 * answer is an array of known blocks whose tool inputs are objects; a
 * failure has a class and a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_int.h"
#include "util/buf.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ctx {
	const struct llm_ops *ops;
	struct llm_stream *s;
	struct buf text;
};

static int
fuzz_delta(const struct llm_delta *d, void *arg)
{
	struct fuzz_ctx *c = arg;

	if (d->text == NULL || strlen(d->text) > d->len)
		abort();
	if (d->kind == LLM_DELTA_TEXT)
		buf_add(&c->text, d->text, d->len);
	return 0;
}

static int
fuzz_event(const struct sse_event *ev, void *arg)
{
	struct fuzz_ctx *c = arg;

	if (c->s->done)
		return 0;
	return c->ops->event(c->s, ev) != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct llm_provider prov = { .name = "fuzz" };
	struct llm_stream s;
	struct llm_error err;
	struct llm_response out;
	struct sse_parser *sp;
	struct fuzz_ctx c;
	json_t *b;
	size_t i;
	char *text;
	int rc;

	if (size < 1)
		return 0;
	memset(&s, 0, sizeof s);
	memset(&err, 0, sizeof err);
	c.ops = data[0] & 1 ? &llm_openai_ops : &llm_anthropic_ops;
	c.s = &s;
	buf_init(&c.text, BUF_NOCAP);
	s.p = &prov;
	s.cb = fuzz_delta;
	s.arg = &c;
	s.err = &err;
	sp = sse_new(1 << 20, fuzz_event, NULL, &c);
	rc = sse_feed(sp, (const char *)data + 1, size - 1);
	sse_finish(sp);
	sse_free(sp);
	if (s.failed) {
		if (err.cls == LLM_OK || err.message[0] == '\0')
			abort();
	} else if (rc == 0 && s.done) {
		if (llm_stream_finish(&s, &out) == 0) {
			if (!json_is_array(out.content))
				abort();
			json_array_foreach(out.content, i, b) {
				const char *t = oxjson_str(b, "type", "");

				if (strcmp(t, "tool_use") == 0 &&
				    !json_is_object(
					json_object_get(b, "input")))
					abort();
				/* Bad arguments: an empty input and why. */
				if (json_object_get(b, "input_error") != NULL &&
				    (!json_is_string(
					 json_object_get(b, "input_error")) ||
					json_object_size(
					    json_object_get(b, "input")) != 0))
					abort();
				if (strcmp(t, "text") != 0 &&
				    strcmp(t, "tool_use") != 0 &&
				    strcmp(t, "thinking") != 0)
					abort();
			}
			text = llm_response_text(&out);
			/* Streamed text and assembled text agree when the
			 * text went into one block at a time. */
			if (c.ops == &llm_openai_ops &&
			    strcmp(text, buf_str(&c.text)) != 0)
				abort();
			free(text);
			llm_response_free(&out);
		} else if (err.cls == LLM_OK)
			abort();
	}
	llm_stream_reset(&s);
	buf_free(&c.text);
	return 0;
}
