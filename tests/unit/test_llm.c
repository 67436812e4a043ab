/*
 * test_llm.c — the wire formats without a network: request bodies, and
 * answers assembled from stream events split into fragments, for both
 * Anthropic and OpenAI; unicode split across chunks; a 1 MB answer;
 * pricing and provider resolution from config.  Embeddings (llm_embed())
 * against a canned HTTP server on 127.0.0.1: the request, the answer's
 * checks, error classes, retries, caps, scrubbing and cancellation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "llm/llm_int.h"
#include "llm/models.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/time.h"
#include "util/xalloc.h"

struct recorder {
	struct buf text; /* TEXT deltas joined */
	struct buf args; /* TOOL_ARGS deltas joined */
	int starts;
	int usage;
	int stop_after; /* cancel after this many deltas (0: never) */
	int n;
};

static int
record(const struct llm_delta *d, void *arg)
{
	struct recorder *r = arg;

	r->n++;
	if (d->kind == LLM_DELTA_TEXT)
		buf_add(&r->text, d->text, d->len);
	else if (d->kind == LLM_DELTA_TOOL_ARGS)
		buf_add(&r->args, d->text, d->len);
	else if (d->kind == LLM_DELTA_TOOL_START)
		r->starts++;
	else if (d->kind == LLM_DELTA_USAGE)
		r->usage++;
	assert_int_equal(d->len, strlen(d->text != NULL ? d->text : ""));
	return r->stop_after > 0 && r->n >= r->stop_after;
}

static struct llm_provider prov = { .name = "test" };

static void
stream_init(struct llm_stream *s, struct llm_error *err, struct recorder *r)
{
	memset(s, 0, sizeof *s);
	memset(err, 0, sizeof *err);
	memset(r, 0, sizeof *r);
	buf_init(&r->text, BUF_NOCAP);
	buf_init(&r->args, BUF_NOCAP);
	s->p = &prov;
	s->cb = record;
	s->arg = r;
	s->err = err;
}

static void
stream_done(struct llm_stream *s, struct recorder *r)
{
	llm_stream_reset(s);
	buf_free(&r->text);
	buf_free(&r->args);
}

static int
feed(const struct llm_ops *ops, struct llm_stream *s, const char *type,
    const char *data)
{
	struct sse_event ev = { .type = type,
		.data = data,
		.data_len = strlen(data),
		.id = "" };

	return ops->event(s, &ev);
}

static void
test_anthropic_stream_assembly(void **state)
{
	struct llm_stream s;
	struct llm_error err;
	struct recorder r;
	struct llm_response out;
	json_t *block;
	const struct llm_ops *a = &llm_anthropic_ops;

	(void)state;
	stream_init(&s, &err, &r);
	assert_int_equal(feed(a, &s, "message_start",
			     "{\"type\":\"message_start\",\"message\":{\"id\":"
			     "\"msg_1\",\"model\":\"claude-x\",\"usage\":{"
			     "\"input_tokens\":12,\"output_tokens\":1}}}"),
	    0);
	assert_int_equal(feed(a, &s, "ping", "{\"type\":\"ping\"}"), 0);
	feed(a, &s, "content_block_start",
	    "{\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
	/* "héllo 日本" with multi-byte characters split across deltas is
	 * impossible in JSON text deltas (they carry whole strings), but
	 * the pieces must join byte-exactly. */
	feed(a, &s, "content_block_delta",
	    "{\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"h\\u00e9l\"}}");
	feed(a, &s, "content_block_delta",
	    "{\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo \xe6\x97\xa5\"}}");
	feed(a, &s, "content_block_delta",
	    "{\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\xe6\x9c\xac\"}}");
	feed(a, &s, "content_block_stop", "{\"index\":0}");
	feed(a, &s, "content_block_start",
	    "{\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":"
	    "\"toolu_1\",\"name\":\"read\",\"input\":{}}}");
	feed(a, &s, "content_block_delta",
	    "{\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
	    "\"partial_json\":\"{\\\"pa\"}}");
	feed(a, &s, "content_block_delta",
	    "{\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
	    "\"partial_json\":\"th\\\": \\\"a\\\\u00e9.txt\\\"\"}}");
	feed(a, &s, "content_block_delta",
	    "{\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
	    "\"partial_json\":\"}\"}}");
	feed(a, &s, "message_delta",
	    "{\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{"
	    "\"output_tokens\":42}}");
	assert_false(s.done);
	feed(a, &s, "message_stop", "{}");
	assert_true(s.done);
	assert_false(s.failed);

	assert_string_equal(buf_str(&r.text),
	    "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac");
	assert_string_equal(buf_str(&r.args), "{\"path\": \"a\\u00e9.txt\"}");
	assert_int_equal(r.starts, 1);
	assert_int_equal(r.usage, 1);
	assert_true(s.delivered);

	assert_int_equal(llm_stream_finish(&s, &out), 0);
	assert_string_equal(out.stop_reason, "tool_use");
	assert_string_equal(out.id, "msg_1");
	assert_int_equal(out.usage.input_tokens, 12);
	assert_int_equal(out.usage.output_tokens, 42);
	assert_int_equal(json_array_size(out.content), 2);
	block = json_array_get(out.content, 1);
	assert_string_equal(oxjson_str(block, "name", ""), "read");
	assert_string_equal(oxjson_str(json_object_get(block, "input"), "path",
				""),
	    "a\xc3\xa9.txt");
	llm_response_free(&out);
	stream_done(&s, &r);
}

static void
test_anthropic_stream_errors(void **state)
{
	struct llm_stream s;
	struct llm_error err;
	struct recorder r;
	const struct llm_ops *a = &llm_anthropic_ops;

	(void)state;
	stream_init(&s, &err, &r);
	assert_int_equal(feed(a, &s, "error",
			     "{\"type\":\"error\",\"error\":{\"type\":"
			     "\"overloaded_error\",\"message\":\"Overloaded\"}}"),
	    -1);
	assert_true(s.failed);
	assert_int_equal(err.cls, LLM_ERR_TRANSIENT);
	assert_non_null(strstr(err.message, "overloaded_error"));
	stream_done(&s, &r);

	stream_init(&s, &err, &r);
	assert_int_equal(feed(a, &s, "content_block_delta", "{\"index\":0,"),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_PROTOCOL);
	stream_done(&s, &r);

	/* Tool arguments that are not a JSON object do not fail the
	 * answer: the call carries input {} and what is wrong, for the
	 * model (the loop answers it with a tool error). */
	stream_init(&s, &err, &r);
	feed(a, &s, "content_block_start",
	    "{\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":"
	    "\"t\",\"name\":\"x\"}}");
	feed(a, &s, "content_block_delta",
	    "{\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
	    "\"partial_json\":\"{\\\"a\\\":\"}}");
	{
		struct llm_response out;
		json_t *b;

		assert_int_equal(llm_stream_finish(&s, &out), 0);
		assert_int_equal(err.cls, LLM_OK);
		assert_int_equal(json_array_size(out.content), 1);
		b = json_array_get(out.content, 0);
		assert_string_equal(oxjson_str(b, "type", ""), "tool_use");
		assert_string_equal(oxjson_str(b, "id", ""), "t");
		assert_int_equal(json_object_size(json_object_get(b, "input")),
		    0);
		assert_non_null(strstr(oxjson_str(b, "input_error", ""),
		    "the arguments are not valid JSON"));
		llm_response_free(&out);
	}
	stream_done(&s, &r);

	/* A receiver that cancels stops the stream. */
	stream_init(&s, &err, &r);
	r.stop_after = 1;
	feed(a, &s, "content_block_start",
	    "{\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
	assert_int_equal(feed(a, &s, "content_block_delta",
			     "{\"index\":0,\"delta\":{\"type\":\"text_delta\","
			     "\"text\":\"a\"}}"),
	    -1);
	assert_true(s.cancelled);
	stream_done(&s, &r);
}

/* The arguments of a tool call: an object, or what is wrong with them. */
static void
test_tool_input(void **state)
{
	static const struct {
		const char *text, *why; /* why NULL: an object */
	} cases[] = {
		{ "", NULL },
		{ "{}", NULL },
		{ "{\"path\": \"a\"}", NULL },
		/* Valid JSON: the tool says whether a NUL may stand there. */
		{ "{\"path\": \"a\\u0000b\"}", NULL },
		{ "{\"path\": \"a", "not valid JSON" },
		{ "{\"path\": ", "not valid JSON" },
		{ "{\"a\": 1, \"a\": 2}", "duplicate object key" },
		{ "[\"a\"]", "an array, not a JSON object" },
		{ "\"a\"", "a string, not a JSON object" },
		{ "3", "a number, not a JSON object" },
		{ "true", "a boolean, not a JSON object" },
		{ "null", "null, not a JSON object" },
		{ "{\"a\": 1} {", "not valid JSON" },
		{ "\xff", "not valid JSON" },
	};
	json_t *v;
	char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = llm_tool_input(cases[i].text, strlen(cases[i].text), &why);
		if (cases[i].why == NULL) {
			if (v == NULL || !json_is_object(v) || why != NULL)
				fail_msg("%s: %s", cases[i].text,
				    why != NULL ? why : "not an object");
		} else if (v != NULL || why == NULL ||
		    strstr(why, cases[i].why) == NULL)
			fail_msg("%s: want '%s', got '%s'", cases[i].text,
			    cases[i].why, why != NULL ? why : "an object");
		json_decref(v);
		free(why);
	}
	/* The NUL is kept, with the string's length. */
	v = llm_tool_input("{\"p\": \"a\\u0000b\"}", 17, &why);
	assert_non_null(v);
	assert_int_equal(json_string_length(json_object_get(v, "p")), 3);
	assert_memory_equal(json_string_value(json_object_get(v, "p")), "a\0b",
	    3);
	json_decref(v);
}

static void
test_openai_stream_assembly(void **state)
{
	struct llm_stream s;
	struct llm_error err;
	struct recorder r;
	struct llm_response out;
	json_t *b1, *b2;
	const struct llm_ops *o = &llm_openai_ops;

	(void)state;
	stream_init(&s, &err, &r);
	feed(o, &s, "message",
	    "{\"id\":\"c1\",\"model\":\"gpt-x\",\"choices\":[{\"index\":0,"
	    "\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}");
	feed(o, &s, "message",
	    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Let me \"}}]}");
	/* Two calls whose fragments interleave by index. */
	feed(o, &s, "message",
	    "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	    "\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":"
	    "\"read\",\"arguments\":\"\"}}]}}]}");
	feed(o, &s, "message",
	    "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
	    "\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":"
	    "\"ls\",\"arguments\":\"{\\\"pa\"}}]}}]}");
	feed(o, &s, "message",
	    "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	    "\"function\":{\"arguments\":\"{\\\"path\\\":\\\"\xe6\x97\xa5\"}}]}}]}");
	feed(o, &s, "message",
	    "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
	    "\"function\":{\"arguments\":\"th\\\":\\\".\\\"}\"}}]}}]}");
	feed(o, &s, "message",
	    "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
	    "\"function\":{\"arguments\":\"\\\"}\"}}]}}]}");
	feed(o, &s, "message",
	    "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
	    "\"tool_calls\"}]}");
	feed(o, &s, "message",
	    "{\"choices\":[],\"usage\":{\"prompt_tokens\":30,"
	    "\"completion_tokens\":9,\"prompt_tokens_details\":{"
	    "\"cached_tokens\":4}}}");
	assert_false(s.done);
	assert_int_equal(feed(o, &s, "message", "[DONE]"), 0);
	assert_true(s.done);
	assert_int_equal(r.starts, 2);

	assert_int_equal(llm_stream_finish(&s, &out), 0);
	assert_string_equal(out.stop_reason, "tool_use");
	assert_int_equal(out.usage.input_tokens, 30);
	assert_int_equal(out.usage.output_tokens, 9);
	assert_int_equal(out.usage.cache_read_tokens, 4);
	assert_int_equal(json_array_size(out.content), 3);
	assert_string_equal(oxjson_str(json_array_get(out.content, 0), "text",
				""),
	    "Let me ");
	b1 = json_array_get(out.content, 1);
	b2 = json_array_get(out.content, 2);
	assert_string_equal(oxjson_str(b1, "id", ""), "call_a");
	assert_string_equal(oxjson_str(json_object_get(b1, "input"), "path",
				""),
	    "\xe6\x97\xa5");
	assert_string_equal(oxjson_str(b2, "name", ""), "ls");
	assert_string_equal(oxjson_str(json_object_get(b2, "input"), "path",
				""),
	    ".");
	llm_response_free(&out);
	stream_done(&s, &r);

	/* An error chunk mid-stream. */
	stream_init(&s, &err, &r);
	assert_int_equal(feed(o, &s, "message",
			     "{\"error\":{\"message\":\"boom\",\"type\":"
			     "\"server_error\"}}"),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_TRANSIENT);
	stream_done(&s, &r);
}

/* A whole stream as bytes through the SSE parser and a wire format. */
struct wire {
	const struct llm_ops *ops;
	struct llm_stream *s;
};

static int
wire_event(const struct sse_event *ev, void *arg)
{
	struct wire *w = arg;

	return w->ops->event(w->s, ev) != 0;
}

/* Parse `bytes` fed as two pieces split at `at`; the answer as JSON. */
static char *
wire_parse(const struct llm_ops *ops, const char *bytes, size_t len, size_t at)
{
	struct llm_stream s;
	struct llm_error err;
	struct recorder r;
	struct llm_response out;
	struct sse_parser *sp;
	struct wire w;
	char *text;

	stream_init(&s, &err, &r);
	w.ops = ops;
	w.s = &s;
	sp = sse_new(0, wire_event, NULL, &w);
	assert_int_equal(sse_feed(sp, bytes, at), 0);
	assert_int_equal(sse_feed(sp, bytes + at, len - at), 0);
	sse_finish(sp);
	sse_free(sp);
	assert_true(s.done);
	assert_int_equal(llm_stream_finish(&s, &out), 0);
	/* What the receiver saw equals what was assembled. */
	text = llm_response_text(&out);
	assert_string_equal(text, buf_str(&r.text));
	free(text);
	text = json_dumps(out.content, JSON_COMPACT);
	llm_response_free(&out);
	stream_done(&s, &r);
	return text;
}

static void
check_every_split(const struct llm_ops *ops, const char *bytes,
    const char *want)
{
	size_t len = strlen(bytes), at;
	char *got;

	for (at = 0; at <= len; at++) {
		got = wire_parse(ops, bytes, len, at);
		if (strcmp(got, want) != 0)
			fail_msg("split at %zu: %s != %s", at, got, want);
		free(got);
	}
}

static void
test_unicode_split_across_chunks(void **state)
{
	(void)state;
	/* Every byte boundary, including inside the 3- and 4-byte
	 * characters and inside the CRLF line ends. */
	check_every_split(&llm_anthropic_ops,
	    "event: message_start\r\ndata: {\"message\":{\"id\":\"m\"}}\r\n\r\n"
	    "event: content_block_start\r\ndata: {\"index\":0,"
	    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\r\n\r\n"
	    "event: content_block_delta\r\ndata: {\"index\":0,\"delta\":{"
	    "\"type\":\"text_delta\",\"text\":\"\xe6\x97\xa5\xf0\x9f\x98\x80 ok\"}}"
	    "\r\n\r\n"
	    "event: message_stop\r\ndata: {}\r\n\r\n",
	    "[{\"type\":\"text\",\"text\":\"\xe6\x97\xa5\xf0\x9f\x98\x80 ok\"}]");
	check_every_split(&llm_openai_ops,
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":"
	    "\"caf\xc3\xa9 \"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{"
	    "\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"w\",\"arguments\":"
	    "\"{\\\"t\\\":\\\"\xf0\x9f\x98\x80\\\"}\"}}]}}]}\n\n"
	    "data: [DONE]\n\n",
	    "[{\"type\":\"text\",\"text\":\"caf\xc3\xa9 \"},{\"type\":\"tool_use\","
	    "\"id\":\"c\",\"name\":\"w\",\"input\":{\"t\":\"\xf0\x9f\x98\x80\"}}]");
}

static void
test_one_megabyte_answer(void **state)
{
	struct llm_stream s;
	struct llm_error err;
	struct recorder r;
	struct llm_response out;
	char *piece, *event;
	int i;

	(void)state;
	stream_init(&s, &err, &r);
	piece = xmalloc(4097);
	memset(piece, 'x', 4096);
	piece[4096] = '\0';
	xasprintf(&event,
	    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}",
	    piece);
	for (i = 0; i < 256; i++)
		assert_int_equal(feed(&llm_openai_ops, &s, "message", event),
		    0);
	feed(&llm_openai_ops, &s, "message", "[DONE]");
	assert_int_equal(r.text.len, 1024 * 1024);
	assert_int_equal(llm_stream_finish(&s, &out), 0);
	assert_int_equal(strlen(oxjson_str(json_array_get(out.content, 0),
			     "text", "")),
	    1024 * 1024);
	llm_response_free(&out);
	free(event);
	free(piece);
	stream_done(&s, &r);
}

static void
test_request_bodies(void **state)
{
	struct llm_request req;
	struct llm_error err;
	json_t *msgs, *tools, *body, *m;

	(void)state;
	msgs = json_loads(
	    "[{\"role\":\"user\",\"content\":\"read a.txt\"},"
	    "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":"
	    "\"ok\"},{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"read\","
	    "\"input\":{\"path\":\"a.txt\"}}]},"
	    "{\"role\":\"tool\",\"content\":[{\"type\":\"tool_result\","
	    "\"tool_use_id\":\"t1\",\"content\":\"hello\"}]},"
	    "{\"role\":\"user\",\"content\":\"thanks\"}]",
	    0, NULL);
	tools = json_loads("[{\"name\":\"read\",\"description\":\"Read a "
			   "file\",\"input_schema\":{\"type\":\"object\"}}]",
	    0, NULL);
	memset(&req, 0, sizeof req);
	req.model = "m";
	req.system = "be brief";
	req.messages = msgs;
	req.tools = tools;
	req.max_tokens = 100;
	req.temperature = -1;
	req.stream = 1;

	/* Anthropic: tool turns become user turns, merged with the next. */
	body = llm_anthropic_ops.body(&req, &err);
	assert_string_equal(oxjson_str(body, "system", ""), "be brief");
	assert_null(json_object_get(body, "temperature"));
	m = json_object_get(body, "messages");
	assert_int_equal(json_array_size(m), 3);
	assert_string_equal(oxjson_str(json_array_get(m, 2), "role", ""),
	    "user");
	assert_int_equal(json_array_size(
			     json_object_get(json_array_get(m, 2), "content")),
	    2);
	assert_string_equal(oxjson_str(json_array_get(json_object_get(body,
							  "tools"),
					   0),
				"name", ""),
	    "read");
	json_decref(body);

	/* OpenAI: system first, tool_calls, one "tool" message per result. */
	body = llm_openai_ops.body(&req, &err);
	m = json_object_get(body, "messages");
	assert_int_equal(json_array_size(m), 5);
	assert_string_equal(oxjson_str(json_array_get(m, 0), "role", ""),
	    "system");
	assert_string_equal(
	    oxjson_str(json_object_get(
			   json_array_get(json_object_get(json_array_get(m, 2),
					      "tool_calls"),
			       0),
			   "function"),
		"arguments", ""),
	    "{\"path\":\"a.txt\"}");
	assert_string_equal(oxjson_str(json_array_get(m, 3), "role", ""),
	    "tool");
	assert_string_equal(oxjson_str(json_array_get(m, 3), "tool_call_id",
				""),
	    "t1");
	assert_true(oxjson_bool(json_object_get(body, "stream_options"),
	    "include_usage", 0));
	assert_string_equal(
	    oxjson_str(json_object_get(json_array_get(json_object_get(body,
							  "tools"),
					   0),
			   "function"),
		"name", ""),
	    "read");
	json_decref(body);

	/* A forced tool, in each provider's words. */
	req.tool_choice = "read";
	body = llm_anthropic_ops.body(&req, &err);
	m = json_object_get(body, "tool_choice");
	assert_int_equal(json_object_size(m), 2);
	assert_string_equal(oxjson_str(m, "type", ""), "tool");
	assert_string_equal(oxjson_str(m, "name", ""), "read");
	json_decref(body);
	body = llm_openai_ops.body(&req, &err);
	m = json_object_get(body, "tool_choice");
	assert_int_equal(json_object_size(m), 2);
	assert_string_equal(oxjson_str(m, "type", ""), "function");
	assert_string_equal(oxjson_str(json_object_get(m, "function"), "name",
				""),
	    "read");
	assert_int_equal(json_object_size(json_object_get(m, "function")), 1);
	json_decref(body);
	req.tool_choice = NULL;
	body = llm_anthropic_ops.body(&req, &err);
	assert_null(json_object_get(body, "tool_choice"));
	json_decref(body);
	body = llm_openai_ops.body(&req, &err);
	assert_null(json_object_get(body, "tool_choice"));
	json_decref(body);

	/* A bad role is refused before anything is sent. */
	json_array_append_new(msgs,
	    json_pack("{s:s, s:s}", "role", "robot", "content", "x"));
	assert_null(llm_anthropic_ops.body(&req, &err));
	assert_int_equal(err.cls, LLM_ERR_BAD_REQUEST);
	assert_null(llm_openai_ops.body(&req, &err));
	json_decref(msgs);
	json_decref(tools);
}

static void
test_pricing(void **state)
{
	struct llm_usage u = { 1000000, 1000000, 0, 0 };
	double usd;

	(void)state;
	assert_int_equal(llm_cost_usd("anthropic", "claude-sonnet-4-5", &u,
			     &usd),
	    0);
	assert_true(usd > 17.99 && usd < 18.01);
	assert_int_equal(llm_cost_usd("local", "qwen3", &u, &usd), -1);
	assert_true(usd == 0);
	assert_non_null(llm_model_find("openai", "gpt-4.1"));
	assert_null(llm_model_find("openai", "nonesuch"));
}

static void
test_resolve_from_config(void **state)
{
	struct config *cfg;
	struct llm_provider *p;
	char *model = NULL, *cause = NULL;
	const char *text = "[providers.local]\n"
			   "base_url = \"http://127.0.0.1:9/v1\"\n"
			   "[engine]\nmax_retries = 2\n";

	(void)state;
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("OPENAI_API_KEY");
	unsetenv("OPENAI_BASE_URL");
	assert_int_equal(config_load_text("c", text, strlen(text), &cfg,
			     &cause),
	    0);
	p = llm_resolve(cfg, "local/qwen3", &model, &cause);
	assert_non_null(p);
	assert_string_equal(model, "qwen3");
	assert_int_equal(p->kind, LLM_OPENAI);
	assert_int_equal(p->max_retries, 2);
	assert_null(p->api_key);
	free(model);
	llm_provider_free(p);

	assert_null(llm_resolve(cfg, "nope/x", &model, &cause));
	assert_non_null(strstr(cause, "unknown provider 'nope'"));
	free(cause);
	assert_null(llm_resolve(cfg, "no-slash", &model, &cause));
	assert_non_null(strstr(cause, "provider/model"));
	free(cause);

	assert_true(llm_provider_configured(cfg, "local"));
	assert_false(llm_provider_configured(cfg, "anthropic"));
	assert_false(llm_provider_configured(cfg, "openai"));
	config_free(cfg);

	setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1", 1);
	assert_int_equal(config_load_text("c", "", 0, &cfg, &cause), 0);
	assert_true(llm_provider_configured(cfg, "openai"));
	config_free(cfg);
	unsetenv("OPENAI_BASE_URL");
}

/* One short request through llm_call(); the error into *err. */
static int
call_once(const struct llm_provider *p, struct llm_error *err)
{
	struct llm_request req;
	struct llm_response out;
	json_t *msgs =
	    json_pack("[{s:s, s:s}]", "role", "user", "content", "hi");
	int rc;

	memset(&req, 0, sizeof req);
	req.model = "m";
	req.messages = msgs;
	req.max_tokens = 16;
	req.temperature = -1;
	rc = llm_call(p, &req, NULL, NULL, NULL, &out, err);
	llm_response_free(&out);
	json_decref(msgs);
	return rc;
}

/*
 * A hosted provider with no key fails at once, saying what to do, before
 * anything is sent; a keyless server that cannot be reached is not
 * retried; a key, or another URL, needs no key.
 */
static void
test_missing_key_fails_at_once(void **state)
{
	struct config *cfg;
	struct llm_provider *p;
	struct llm_error err;
	char *model = NULL, *cause = NULL;
	const char *text = "[providers.local]\n"
			   "base_url = \"http://127.0.0.1:9/v1\"\n"
			   "[providers.corp]\n"
			   "base_url = \"http://127.0.0.1:9/v1\"\n"
			   "api_key_env = \"OXIOS_TEST_CORP_KEY\"\n"
			   "[engine]\nmax_retries = 3\nretry_base_ms = 5000\n";
	uint64_t t0;

	(void)state;
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("ANTHROPIC_BASE_URL");
	unsetenv("OPENAI_API_KEY");
	unsetenv("OPENAI_BASE_URL");
	unsetenv("OXIOS_TEST_CORP_KEY");
	assert_int_equal(config_load_text("c", text, strlen(text), &cfg,
			     &cause),
	    0);
	p = llm_resolve(cfg, "anthropic/claude-sonnet-4-5", &model, &cause);
	assert_non_null(p);
	assert_string_equal(p->key_missing, "ANTHROPIC_API_KEY");
	t0 = time_mono_ms();
	/* Retrying three times would sleep well over 4 s (each backoff is
	 * half to all of 5 s, doubling); failing at once does not (the
	 * margin holds under valgrind on a busy machine). */
	assert_int_equal(call_once(p, &err), -1);
	assert_true(time_mono_ms() - t0 < 4000);
	assert_int_equal(err.cls, LLM_ERR_CONFIG);
	assert_int_equal(err.attempts, 0);
	assert_string_equal(err.message,
	    "anthropic: no ANTHROPIC_API_KEY: run 'oxios onboard' or export "
	    "it");
	assert_null(llm_list_models(p, 1000, &err));
	assert_int_equal(err.cls, LLM_ERR_CONFIG);
	assert_int_equal(err.attempts, 0);
	free(model);
	llm_provider_free(p);

	p = llm_provider_get(cfg, "openai", &cause);
	assert_string_equal(p->key_missing, "OPENAI_API_KEY");
	llm_provider_free(p);
	/* The configuration names the variable: it is the one to set. */
	p = llm_provider_get(cfg, "corp", &cause);
	assert_string_equal(p->key_missing, "OXIOS_TEST_CORP_KEY");
	assert_int_equal(call_once(p, &err), -1);
	assert_int_equal(err.cls, LLM_ERR_CONFIG);
	assert_non_null(strstr(err.message, "no OXIOS_TEST_CORP_KEY"));
	llm_provider_free(p);

	/* A local server needs no key; down, it is said after one try. */
	p = llm_provider_get(cfg, "local", &cause);
	assert_null(p->key_missing);
	t0 = time_mono_ms();
	assert_int_equal(call_once(p, &err), -1);
	assert_true(time_mono_ms() - t0 < 4000); /* no retry sleeps */
	assert_int_equal(err.cls, LLM_ERR_TRANSIENT);
	assert_int_equal(err.attempts, 1);
	assert_true(err.unreachable);
	assert_non_null(strstr(err.message,
	    "local: connection failed: cannot reach "
	    "http://127.0.0.1:9/v1/chat/completions"));
	assert_non_null(strstr(err.message,
	    "; not retried: start that server, or set "
	    "providers.local.base_url"));
	llm_provider_free(p);
	/* With a key (a hosted API behind it), it is retried. */
	p = llm_provider_get(cfg, "local", &cause);
	p->api_key = xstrdup("sk-local");
	p->retry_base_ms = 10;
	assert_int_equal(call_once(p, &err), -1);
	assert_int_equal(err.cls, LLM_ERR_TRANSIENT);
	assert_int_equal(err.attempts, 4);
	assert_null(strstr(err.message, "not retried"));
	assert_non_null(strstr(err.message, "(after 4 attempts)"));
	llm_provider_free(p);
	config_free(cfg);

	/* With a key (or at another URL) nothing is missing. */
	setenv("ANTHROPIC_API_KEY", "sk-x", 1);
	assert_int_equal(config_load_text("c", "", 0, &cfg, &cause), 0);
	p = llm_provider_get(cfg, "anthropic", &cause);
	assert_null(p->key_missing);
	llm_provider_free(p);
	config_free(cfg);
	unsetenv("ANTHROPIC_API_KEY");
	setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", 1);
	assert_int_equal(config_load_text("c", "", 0, &cfg, &cause), 0);
	p = llm_provider_get(cfg, "openai", &cause);
	assert_null(p->key_missing);
	llm_provider_free(p);
	config_free(cfg);
	unsetenv("OPENAI_BASE_URL");
}

/* ---- embeddings, against canned answers ---- */

#define CANNED_MAX 8
#define CANNED_HANG NULL /* an answer that never comes */

/* A server on 127.0.0.1 that answers each connection with the next
 * canned answer ("HTTP/1.1 200 OK\r\n" and headers; the body apart) and
 * keeps every request it read. */
struct canned {
	int fd, port;
	int stop[2]; /* a pipe: readable when the test is done */
	pthread_t thread;
	const char *heads[CANNED_MAX];
	const char *bodies[CANNED_MAX];
	size_t n;
	struct buf requests[CANNED_MAX];
	size_t served;
};

/* Wait for fd (POLLIN) or the stop pipe; 1 if fd is readable. */
static int
canned_wait(struct canned *c, int fd)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { c->stop[0], POLLIN, 0 } };

	if (poll(p, 2, 10000) <= 0 || (p[1].revents & POLLIN))
		return 0;
	return 1;
}

/* One request: headers, then Content-Length bytes of body. */
static void
canned_read(struct canned *c, int fd, struct buf *req)
{
	char chunk[4096], *end, *cl;
	size_t want = 0;
	ssize_t n;

	for (;;) {
		if ((end = strstr(buf_str(req), "\r\n\r\n")) != NULL) {
			cl = strcasestr(buf_str(req), "content-length:");
			want = (size_t)(end + 4 - req->data) +
			    (cl != NULL && cl < end ?
				    strtoul(cl + 15, NULL, 10) :
				    0);
			if (req->len >= want)
				return;
		}
		if (!canned_wait(c, fd) ||
		    (n = read(fd, chunk, sizeof chunk)) <= 0)
			return;
		buf_add(req, chunk, (size_t)n);
	}
}

static void *
canned_serve(void *arg)
{
	struct canned *c = arg;
	char *answer;
	int fd;

	for (; c->served < c->n; c->served++) {
		if (!canned_wait(c, c->fd) ||
		    (fd = accept(c->fd, NULL, NULL)) < 0)
			break;
		canned_read(c, fd, &c->requests[c->served]);
		if (c->heads[c->served] == CANNED_HANG) {
			/* Until the client leaves or the test ends. */
			while (canned_wait(c, fd) && read(fd, &answer, 1) > 0)
				;
		} else {
			xasprintf(&answer,
			    "%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
			    c->heads[c->served], strlen(c->bodies[c->served]),
			    c->bodies[c->served]);
			if (write(fd, answer, strlen(answer)) < 0)
				fail_msg("write: %s", strerror(errno));
			free(answer);
		}
		close(fd);
	}
	return NULL;
}

/* Start serving the answers given as (head, body) pairs, ending with
 * NULL; CANNED_HANG as a head never answers. */
static void
canned_start(struct canned *c, int n, ...)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	va_list ap;
	int i;

	memset(c, 0, sizeof *c);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		c->heads[i] = va_arg(ap, const char *);
		c->bodies[i] = va_arg(ap, const char *);
	}
	va_end(ap);
	c->n = (size_t)n;
	for (i = 0; i < CANNED_MAX; i++)
		buf_init(&c->requests[i], BUF_NOCAP);
	assert_int_equal(pipe(c->stop), 0);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(c->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(c->fd, 8), 0);
	getsockname(c->fd, (struct sockaddr *)&a, &len);
	c->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&c->thread, NULL, canned_serve, c), 0);
}

/* Stop serving; the requests stay readable until canned_free(). */
static void
canned_stop(struct canned *c)
{
	if (write(c->stop[1], "x", 1) < 0)
		fail_msg("write: %s", strerror(errno));
	pthread_join(c->thread, NULL);
	close(c->fd);
	close(c->stop[0]);
	close(c->stop[1]);
}

static void
canned_free(struct canned *c)
{
	int i;

	for (i = 0; i < CANNED_MAX; i++)
		buf_free(&c->requests[i]);
}

/* The body of request i, as JSON (caller decrefs). */
static json_t *
canned_body(struct canned *c, size_t i)
{
	const char *end = strstr(buf_str(&c->requests[i]), "\r\n\r\n");

	assert_non_null(end);
	return json_loads(end + 4, 0, NULL);
}

#define EMBED_KEY "sk-embedtest-0123456789abcdef"
#define OK_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

static void
embedder_init(struct llm_provider *p, char *url, size_t size, int port)
{
	snprintf(url, size, "http://127.0.0.1:%d/v1", port);
	memset(p, 0, sizeof *p);
	p->name = "embeddings";
	p->kind = LLM_OPENAI;
	p->base_url = url;
	p->api_key = EMBED_KEY;
	p->connect_timeout_ms = 2000;
	p->idle_timeout_ms = 3000;
	p->max_retries = 2;
	p->retry_base_ms = 1;
	p->retry_max_total_ms = 20000;
}

static void
test_embed_wire(void **state)
{
	const char *two[] = { "h\xc3\xa9llo", "world" }, *one[] = { "solo" };
	struct llm_provider p;
	struct llm_usage u;
	struct llm_error err;
	struct canned c;
	char url[64];
	float *v;
	json_t *body;
	int dim;

	(void)state;
	/* Answered out of order: each vector goes to its index. */
	canned_start(&c, 2, OK_HEAD,
	    "{\"object\":\"list\",\"data\":["
	    "{\"index\":1,\"embedding\":[4,5,6.5]},"
	    "{\"index\":0,\"embedding\":[1,-2,0.25]}],"
	    "\"usage\":{\"prompt_tokens\":7,\"total_tokens\":7}}",
	    OK_HEAD, "{\"data\":[{\"embedding\":[0.5,0.5]}]}");
	embedder_init(&p, url, sizeof url, c.port);
	assert_int_equal(llm_embed(&p, "m", NULL, two, 2, NULL, &v, &dim, &u,
			     &err),
	    0);
	assert_int_equal(dim, 3);
	assert_true(v[0] == 1 && v[1] == -2 && v[2] == 0.25f);
	assert_true(v[3] == 4 && v[4] == 5 && v[5] == 6.5f);
	assert_int_equal(u.input_tokens, 7);
	assert_int_equal(u.output_tokens, 0);
	assert_int_equal(err.attempts, 1);
	assert_int_equal(err.cls, LLM_OK);
	free(v);
	/* One text: "input" is a string; no index: in order; no usage. */
	assert_int_equal(llm_embed(&p, "m", NULL, one, 1, NULL, &v, &dim, &u,
			     &err),
	    0);
	assert_int_equal(dim, 2);
	assert_true(v[0] == 0.5f && v[1] == 0.5f);
	assert_int_equal(u.input_tokens, 0);
	free(v);

	canned_stop(&c);
	assert_non_null(strstr(buf_str(&c.requests[0]),
	    "POST /v1/embeddings HTTP/1.1\r\n"));
	assert_non_null(strcasestr(buf_str(&c.requests[0]),
	    "\r\nauthorization: Bearer " EMBED_KEY "\r\n"));
	assert_non_null(strcasestr(buf_str(&c.requests[0]),
	    "\r\ncontent-type: application/json\r\n"));
	body = canned_body(&c, 0);
	assert_string_equal(oxjson_str(body, "model", ""), "m");
	assert_int_equal(json_array_size(json_object_get(body, "input")), 2);
	assert_string_equal(json_string_value(
				json_array_get(json_object_get(body, "input"),
				    0)),
	    "h\xc3\xa9llo");
	assert_int_equal(json_object_size(body), 2);
	json_decref(body);
	body = canned_body(&c, 1);
	assert_string_equal(oxjson_str(body, "input", ""), "solo");
	json_decref(body);
	canned_free(&c);
}

#define ANTHROPIC_ANSWER \
	"{\"id\":\"m1\",\"type\":\"message\",\"role\":\"assistant\"," \
	"\"model\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]," \
	"\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":1," \
	"\"output_tokens\":1}}"
#define OPENAI_ANSWER \
	"{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\"," \
	"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\"," \
	"\"content\":\"hi\"},\"finish_reason\":\"stop\"}]," \
	"\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}"

/* Whether request i of c carries the header line `line` (any case). */
static int
has_header(struct canned *c, size_t i, const char *line)
{
	char want[128];

	snprintf(want, sizeof want, "\r\n%s\r\n", line);
	return strcasestr(buf_str(&c->requests[i]), want) != NULL;
}

/* Every request carries X-Oxios-Phase: the caller's, or "chat" for a
 * generation and "embedding" for embeddings; a phase outside the set, or
 * a forced tool the request does not offer, is refused unsent. */
static void
test_phase_header(void **state)
{
	const char *one[] = { "solo" };
	struct llm_provider a, o;
	struct llm_request req;
	struct llm_response resp;
	struct llm_error err;
	struct llm_usage u;
	struct canned c;
	char aurl[64], ourl[64];
	json_t *msgs, *tools, *body;
	float *v;
	int dim;

	(void)state;
	canned_start(&c, 5, OK_HEAD, ANTHROPIC_ANSWER, OK_HEAD,
	    ANTHROPIC_ANSWER, OK_HEAD, OPENAI_ANSWER, OK_HEAD,
	    "{\"data\":[{\"embedding\":[1]}]}", OK_HEAD,
	    "{\"data\":[{\"embedding\":[1]}]}");
	embedder_init(&o, ourl, sizeof ourl, c.port);
	a = o;
	snprintf(aurl, sizeof aurl, "http://127.0.0.1:%d", c.port);
	a.base_url = aurl;
	a.kind = LLM_ANTHROPIC;
	msgs = json_loads("[{\"role\":\"user\",\"content\":\"hi\"}]", 0, NULL);
	tools = json_loads("[{\"name\":\"judge\",\"input_schema\":"
			   "{\"type\":\"object\"}}]",
	    0, NULL);
	memset(&req, 0, sizeof req);
	req.model = "m";
	req.messages = msgs;
	req.max_tokens = 10;
	req.temperature = -1;

	assert_int_equal(llm_call(&a, &req, NULL, NULL, NULL, &resp, &err), 0);
	llm_response_free(&resp);
	req.phase = "seed";
	assert_int_equal(llm_call(&a, &req, NULL, NULL, NULL, &resp, &err), 0);
	llm_response_free(&resp);
	req.phase = "evaluate";
	req.tools = tools;
	req.tool_choice = "judge";
	assert_int_equal(llm_call(&o, &req, NULL, NULL, NULL, &resp, &err), 0);
	llm_response_free(&resp);
	assert_int_equal(llm_embed(&o, "m", NULL, one, 1, NULL, &v, &dim, &u,
			     &err),
	    0);
	free(v);
	assert_int_equal(llm_embed(&o, "m", "dream", one, 1, NULL, &v, &dim, &u,
			     &err),
	    0);
	free(v);

	/* Refused before anything is sent (the server has no answer left
	 * and would hang the call otherwise). */
	req.phase = "Chat";
	assert_int_equal(llm_call(&o, &req, NULL, NULL, NULL, &resp, &err), -1);
	assert_int_equal(err.cls, LLM_ERR_BAD_REQUEST);
	assert_non_null(strstr(err.message, "unknown phase 'Chat'"));
	assert_int_equal(err.attempts, 0);
	req.phase = "chat";
	req.tool_choice = "write_seed";
	assert_int_equal(llm_call(&a, &req, NULL, NULL, NULL, &resp, &err), -1);
	assert_int_equal(err.cls, LLM_ERR_BAD_REQUEST);
	assert_non_null(strstr(err.message, "'write_seed'"));
	assert_int_equal(llm_embed(&o, "m", "", one, 1, NULL, &v, &dim, &u,
			     &err),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_BAD_REQUEST);
	assert_true(llm_phase_valid("triage") && llm_phase_valid("interview") &&
	    llm_phase_valid("execute") && llm_phase_valid("evolve"));
	assert_false(llm_phase_valid(NULL) || llm_phase_valid("chat ") ||
	    llm_phase_valid(""));

	canned_stop(&c);
	assert_int_equal(c.served, 5);
	assert_true(has_header(&c, 0, "X-Oxios-Phase: chat"));
	assert_true(has_header(&c, 1, "X-Oxios-Phase: seed"));
	assert_true(has_header(&c, 2, "X-Oxios-Phase: evaluate"));
	assert_true(has_header(&c, 3, "X-Oxios-Phase: embedding"));
	assert_true(has_header(&c, 4, "X-Oxios-Phase: dream"));
	assert_false(has_header(&c, 0, "X-Oxios-Phase: seed"));
	assert_non_null(
	    strstr(buf_str(&c.requests[2]), "POST /v1/chat/completions "));
	body = canned_body(&c, 2);
	assert_string_equal(oxjson_str(json_object_get(json_object_get(body,
							   "tool_choice"),
					   "function"),
				"name", ""),
	    "judge");
	json_decref(body);
	canned_free(&c);
	json_decref(msgs);
	json_decref(tools);
}

/* One error case: the answers, the texts, and what must come out. */
struct embed_case {
	const char *what;
	int max_retries;
	size_t ntexts;
	int nanswers;
	const char *heads[3], *bodies[3];
	int ok;                   /* succeeds in the end */
	enum llm_error_class cls; /* else: the class */
	int attempts;
	const char *says; /* in the message */
};

#define E500 "HTTP/1.1 500 Internal Server Error\r\n"
#define BODY2 \
	"{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":1,\"embedding\":[2]}]}"

static const struct embed_case embed_cases[] = {
	{ "401 is not retried; the key is scrubbed", 2, 1, 1,
	    { "HTTP/1.1 401 Unauthorized\r\n" },
	    { "{\"error\":{\"message\":\"Incorrect API key provided: "
	      "" EMBED_KEY "\"}}" },
	    0, LLM_ERR_AUTH, 1, "authentication failed (HTTP 401)" },
	{ "5xx retried up to max_retries", 2, 2, 3, { E500, E500, E500 },
	    { "{}", "{}", "{}" }, 0, LLM_ERR_TRANSIENT, 3,
	    "(after 3 attempts)" },
	{ "a 5xx, then an answer", 2, 2, 2, { E500, OK_HEAD }, { "{}", BODY2 },
	    1, LLM_OK, 2, NULL },
	{ "429 waits Retry-After, then an answer", 2, 2, 2,
	    { "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\n", OK_HEAD },
	    { "{}", BODY2 }, 1, LLM_OK, 2, NULL },
	{ "400 is the request's fault", 2, 2, 1,
	    { "HTTP/1.1 400 Bad Request\r\n" },
	    { "{\"error\":{\"message\":\"no such model\"}}" }, 0,
	    LLM_ERR_BAD_REQUEST, 1, "no such model" },
	{ "fewer vectors than texts", 0, 2, 1, { OK_HEAD },
	    { "{\"data\":[{\"index\":0,\"embedding\":[1]}]}" }, 0,
	    LLM_ERR_PROTOCOL, 1, "1 embeddings for 2 texts" },
	{ "vectors of two sizes", 0, 2, 1, { OK_HEAD },
	    { "{\"data\":[{\"index\":0,\"embedding\":[1,2]},"
	      "{\"index\":1,\"embedding\":[1]}]}" },
	    0, LLM_ERR_PROTOCOL, 1, "has 1 dimensions, the first has 2" },
	{ "an index twice", 0, 2, 1, { OK_HEAD },
	    { "{\"data\":[{\"index\":0,\"embedding\":[1]},"
	      "{\"index\":0,\"embedding\":[1]}]}" },
	    0, LLM_ERR_PROTOCOL, 1, "index" },
	{ "an index out of range", 0, 1, 1, { OK_HEAD },
	    { "{\"data\":[{\"index\":1,\"embedding\":[1]}]}" }, 0,
	    LLM_ERR_PROTOCOL, 1, "index" },
	{ "a string among the numbers", 0, 1, 1, { OK_HEAD },
	    { "{\"data\":[{\"index\":0,\"embedding\":[1,\"2\"]}]}" }, 0,
	    LLM_ERR_PROTOCOL, 1, "other than a float at 1" },
	{ "a number no float holds", 0, 1, 1, { OK_HEAD },
	    { "{\"data\":[{\"index\":0,\"embedding\":[1e39]}]}" }, 0,
	    LLM_ERR_PROTOCOL, 1, "other than a float at 0" },
	{ "an empty vector", 0, 1, 1, { OK_HEAD },
	    { "{\"data\":[{\"index\":0,\"embedding\":[]}]}" }, 0,
	    LLM_ERR_PROTOCOL, 1, "not a list of 1 to" },
	{ "no data", 0, 1, 1, { OK_HEAD }, { "{\"object\":\"list\"}" }, 0,
	    LLM_ERR_PROTOCOL, 1, "no \"data\" list" },
	{ "not JSON", 0, 1, 1, { OK_HEAD }, { "{\"data\":[" }, 0,
	    LLM_ERR_PROTOCOL, 1, "not valid JSON" },
	{ "a protocol error is retried", 1, 1, 2, { OK_HEAD, OK_HEAD },
	    { "{\"data\":[]}", "{\"data\":[{\"embedding\":[3]}]}" }, 1, LLM_OK,
	    2, NULL },
};

/* What a retry tells the receiver of the deltas. */
struct retries {
	int n, attempt, cancel;
	long wait_ms;
	char why[512];
};

static int
record_retry(const struct llm_delta *d, void *arg)
{
	struct retries *r = arg;

	if (d->kind != LLM_DELTA_RETRY)
		return 0;
	r->n++;
	r->attempt = d->index;
	r->wait_ms = d->wait_ms;
	assert_int_equal(d->len, strlen(d->text));
	snprintf(r->why, sizeof r->why, "%s", d->text);
	return r->cancel;
}

/* Before the wait of each retry, a RETRY delta: why (the key scrubbed),
 * which attempt failed, how long the wait; the receiver may cancel. */
static void
test_retry_told(void **state)
{
	struct llm_provider o;
	struct llm_request req;
	struct llm_response resp;
	struct llm_error err;
	struct retries r;
	struct canned c;
	char url[64];
	json_t *msgs;

	(void)state;
	canned_start(&c, 3, E500,
	    "{\"error\":{\"message\":\"busy, key " EMBED_KEY "\"}}", OK_HEAD,
	    OPENAI_ANSWER, E500, "{}");
	embedder_init(&o, url, sizeof url, c.port);
	o.retry_base_ms = 40;
	msgs = json_loads("[{\"role\":\"user\",\"content\":\"hi\"}]", 0, NULL);
	memset(&req, 0, sizeof req);
	req.model = "m";
	req.messages = msgs;
	req.max_tokens = 10;
	req.temperature = -1;
	memset(&r, 0, sizeof r);
	assert_int_equal(llm_call(&o, &req, record_retry, &r, NULL, &resp,
			     &err),
	    0);
	llm_response_free(&resp);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.attempt, 1);
	/* Jitter: between half and all of the first backoff. */
	assert_true(r.wait_ms >= 20 && r.wait_ms <= 40);
	assert_non_null(strstr(r.why, "HTTP 500"));
	assert_non_null(strstr(r.why, "busy"));
	assert_null(strstr(r.why, EMBED_KEY));
	assert_int_equal(err.attempts, 2);

	/* The receiver cancels: no second attempt. */
	memset(&r, 0, sizeof r);
	r.cancel = 1;
	assert_int_equal(llm_call(&o, &req, record_retry, &r, NULL, &resp,
			     &err),
	    -1);
	assert_int_equal(r.n, 1);
	assert_int_equal(err.cls, LLM_ERR_CANCELLED);
	assert_int_equal(err.attempts, 1);
	canned_stop(&c);
	canned_free(&c);
	json_decref(msgs);
}

static void
test_embed_errors(void **state)
{
	const char *texts[] = { "a", "b" };
	const struct embed_case *k;
	struct llm_provider p;
	struct llm_usage u;
	struct llm_error err;
	struct canned c;
	char url[64];
	float *v;
	size_t i;
	int dim, rc;

	(void)state;
	for (i = 0; i < sizeof embed_cases / sizeof embed_cases[0]; i++) {
		k = &embed_cases[i];
		canned_start(&c, k->nanswers, k->heads[0], k->bodies[0],
		    k->heads[1], k->bodies[1], k->heads[2], k->bodies[2]);
		embedder_init(&p, url, sizeof url, c.port);
		p.max_retries = k->max_retries;
		rc = llm_embed(&p, "m", NULL, texts, k->ntexts, NULL, &v, &dim,
		    &u, &err);
		if (rc != (k->ok ? 0 : -1) || err.cls != k->cls ||
		    err.attempts != k->attempts ||
		    (k->says != NULL && strstr(err.message, k->says) == NULL))
			fail_msg("%s: rc %d, %s, %d attempts: %s", k->what, rc,
			    llm_error_class_name(err.cls), err.attempts,
			    err.message);
		if (k->ok) {
			assert_int_equal(dim, 1);
			free(v);
		} else
			assert_null(v);
		assert_null(strstr(err.message, EMBED_KEY));
		if (k->cls == LLM_ERR_AUTH)
			assert_non_null(strstr(err.message, "<redacted>"));
		canned_stop(&c);
		canned_free(&c);
	}
}

/* What the observe hook was told. */
struct observed {
	int n;
	struct llm_ratelimit rl[4];
};

static void
observe_cb(void *arg, const struct llm_ratelimit *rl)
{
	struct observed *o = arg;

	if (o->n < 4)
		o->rl[o->n] = *rl;
	o->n++;
}

/* Each attempt's rate-limit headers reach the provider's observe hook,
 * on an error as on a success; an answer without them does not. */
static void
test_ratelimit_observed(void **state)
{
	const char *texts[] = { "a" };
	struct observed o = { 0 };
	struct llm_provider p;
	struct llm_usage u;
	struct llm_error err;
	struct canned c;
	char url[64];
	float *v;
	int dim;

	(void)state;
	canned_start(&c, 3,
	    "HTTP/1.1 429 Too Many Requests\r\n"
	    "x-ratelimit-limit-requests: 60\r\n"
	    "x-ratelimit-remaining-requests: 0\r\n"
	    "x-ratelimit-reset-requests: 5ms\r\n",
	    "{}",
	    OK_HEAD "x-ratelimit-limit-requests: 60\r\n"
		    "x-ratelimit-remaining-requests: 59\r\n"
		    "x-ratelimit-reset-requests: 1s\r\n"
		    "x-ratelimit-remaining-tokens: 1000\r\n",
	    "{\"data\":[{\"index\":0,\"embedding\":[1]}]}", OK_HEAD,
	    "{\"data\":[{\"index\":0,\"embedding\":[2]}]}");
	embedder_init(&p, url, sizeof url, c.port);
	p.observe = observe_cb;
	p.observe_arg = &o;
	assert_int_equal(llm_embed(&p, "m", NULL, texts, 1, NULL, &v, &dim, &u,
			     &err),
	    0);
	free(v);
	assert_int_equal(err.attempts, 2);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.rl[0].req_limit, 60);
	assert_int_equal(o.rl[0].req_remaining, 0);
	assert_int_equal(o.rl[0].req_reset_ms, 5);
	assert_int_equal(o.rl[0].retry_after_ms, -1);
	assert_int_equal(o.rl[1].req_remaining, 59);
	assert_int_equal(o.rl[1].req_reset_ms, 1000);
	assert_int_equal(o.rl[1].tok_remaining, 1000);
	assert_int_equal(o.rl[1].tok_limit, -1);
	/* No such headers: the hook hears nothing. */
	assert_int_equal(llm_embed(&p, "m", NULL, texts, 1, NULL, &v, &dim, &u,
			     &err),
	    0);
	free(v);
	assert_int_equal(o.n, 2);
	canned_stop(&c);
	canned_free(&c);
}

static void
test_embed_answer_cap(void **state)
{
	const char *texts[] = { "a" };
	struct llm_provider p;
	struct llm_usage u;
	struct llm_error err;
	struct canned c;
	struct buf big;
	char url[64];
	float *v;
	int dim, i;

	(void)state;
	/* One text: the answer may be 64 KiB and 1 MiB. */
	buf_init(&big, BUF_NOCAP);
	buf_adds(&big, "{\"data\":[{\"index\":0,\"embedding\":[0");
	for (i = 0; i < 400000; i++)
		buf_adds(&big, ",0.125");
	buf_adds(&big, "]}]}");
	canned_start(&c, 1, OK_HEAD, buf_str(&big));
	embedder_init(&p, url, sizeof url, c.port);
	p.max_retries = 0;
	assert_int_equal(llm_embed(&p, "m", NULL, texts, 1, NULL, &v, &dim, &u,
			     &err),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_PROTOCOL);
	assert_non_null(strstr(err.message, "answer larger than"));
	assert_null(v);
	canned_stop(&c);
	canned_free(&c);
	buf_free(&big);
}

/* Fire a token after a while (a thread of the test). */
struct firer {
	struct cancel *c;
	long ms;
};

static void *
firer_run(void *arg)
{
	struct firer *f = arg;

	usleep((useconds_t)f->ms * 1000);
	cancel_fire(f->c);
	return NULL;
}

static void
test_embed_cancel(void **state)
{
	const char *texts[] = { "a" };
	struct llm_provider p;
	struct llm_usage u;
	struct llm_error err;
	struct canned c;
	struct cancel stop;
	struct firer f;
	pthread_t t;
	char url[64];
	uint64_t t0;
	float *v;
	int dim;

	(void)state;
	/* The provider takes the request and never answers. */
	canned_start(&c, 1, CANNED_HANG, "");
	embedder_init(&p, url, sizeof url, c.port);
	p.idle_timeout_ms = 60000;
	cancel_init(&stop, NULL, 0);
	f.c = &stop;
	f.ms = 200;
	assert_int_equal(pthread_create(&t, NULL, firer_run, &f), 0);
	t0 = time_mono_ms();
	assert_int_equal(llm_embed(&p, "m", NULL, texts, 1, &stop, &v, &dim, &u,
			     &err),
	    -1);
	assert_true(time_mono_ms() - t0 < 5000);
	assert_int_equal(err.cls, LLM_ERR_CANCELLED);
	assert_int_equal(err.attempts, 1);
	assert_null(v);
	pthread_join(t, NULL);
	/* Fired before: no wait at all. */
	assert_int_equal(llm_embed(&p, "m", NULL, texts, 1, &stop, &v, &dim, &u,
			     &err),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_CANCELLED);
	cancel_destroy(&stop);
	canned_stop(&c);
	canned_free(&c);
}

static void
test_embed_refused_before_sending(void **state)
{
	const char *bad[] = { "ok", "\xff\xfe" }, *one[] = { "a" };
	struct llm_provider p;
	struct llm_usage u;
	struct llm_error err;
	char url[64];
	float *v;
	int dim, fd, port;
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	(void)state;
	/* A port nobody listens on. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd);
	embedder_init(&p, url, sizeof url, port);
	p.max_retries = 0;

	assert_int_equal(llm_embed(&p, "m", NULL, bad, 0, NULL, &v, &dim, &u,
			     &err),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_BAD_REQUEST);
	assert_int_equal(err.attempts, 0);
	assert_int_equal(llm_embed(&p, "m", NULL, bad, 2, NULL, &v, &dim, &u,
			     &err),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_BAD_REQUEST);
	assert_non_null(strstr(err.message, "text 1 to embed is not UTF-8"));
	assert_int_equal(llm_embed(&p, "", NULL, one, 1, NULL, &v, &dim, &u,
			     &err),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_CONFIG);
	p.kind = LLM_ANTHROPIC;
	assert_int_equal(llm_embed(&p, "m", NULL, one, 1, NULL, &v, &dim, &u,
			     &err),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_CONFIG);
	p.kind = LLM_OPENAI;
	/* Nobody there: the URL is named. */
	assert_int_equal(llm_embed(&p, "m", NULL, one, 1, NULL, &v, &dim, &u,
			     &err),
	    -1);
	assert_int_equal(err.cls, LLM_ERR_TRANSIENT);
	assert_int_equal(err.attempts, 1);
	snprintf(url + strlen(url), sizeof url - strlen(url), "/embeddings");
	assert_non_null(strstr(err.message, "connection failed: cannot reach"));
	assert_non_null(strstr(err.message, url));
	assert_null(v);
}

static void
test_embedder_from_config(void **state)
{
	static const struct {
		const char *url, *want;
	} urls[] = {
		{ "http://127.0.0.1:11434", "http://127.0.0.1:11434/v1" },
		{ "http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1" },
		{ "http://h/v1//", "http://h/v1" },
		{ "https://h/api/", "https://h/api/v1" },
	};
	struct config *cfg;
	struct llm_provider *p;
	char *model = NULL, *cause = NULL, text[512];
	size_t i;

	(void)state;
	unsetenv("OXIOS_EMBEDDING_API_KEY");
	for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		snprintf(text, sizeof text,
		    "[memory]\nembedder = \"api\"\nembedding_url = \"%s\"\n"
		    "embedding_model = \"nomic\"\n"
		    "embedding_api_key = \"" EMBED_KEY "\"\n"
		    "[engine]\nmax_retries = 3\n",
		    urls[i].url);
		assert_int_equal(config_load_text("c", text, strlen(text), &cfg,
				     &cause),
		    0);
		p = llm_embedder_get(cfg, &model, &cause);
		assert_non_null(p);
		assert_string_equal(p->base_url, urls[i].want);
		assert_string_equal(p->name, LLM_EMBEDDER_NAME);
		assert_int_equal(p->kind, LLM_OPENAI);
		assert_string_equal(p->api_key, EMBED_KEY);
		assert_int_equal(p->max_retries, 3);
		assert_string_equal(model, "nomic");
		free(model);
		llm_provider_free(p);
		config_free(cfg);
	}
	/* Without its URL and model the api embedder is refused at load
	 * (config/check.c), naming the key's place. */
	snprintf(text, sizeof text, "[memory]\nembedder = \"api\"\n");
	assert_int_equal(config_load_text("c", text, strlen(text), &cfg,
			     &cause),
	    -1);
	assert_null(cfg);
	assert_non_null(strstr(cause, "c:2:1: "));
	assert_non_null(strstr(cause, "memory.embedding_url"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anthropic_stream_assembly),
		cmocka_unit_test(test_anthropic_stream_errors),
		cmocka_unit_test(test_tool_input),
		cmocka_unit_test(test_openai_stream_assembly),
		cmocka_unit_test(test_unicode_split_across_chunks),
		cmocka_unit_test(test_one_megabyte_answer),
		cmocka_unit_test(test_request_bodies),
		cmocka_unit_test(test_pricing),
		cmocka_unit_test(test_resolve_from_config),
		cmocka_unit_test(test_missing_key_fails_at_once),
		cmocka_unit_test(test_embed_wire),
		cmocka_unit_test(test_phase_header),
		cmocka_unit_test(test_embed_errors),
		cmocka_unit_test(test_retry_told),
		cmocka_unit_test(test_embed_answer_cap),
		cmocka_unit_test(test_ratelimit_observed),
		cmocka_unit_test(test_embed_cancel),
		cmocka_unit_test(test_embed_refused_before_sending),
		cmocka_unit_test(test_embedder_from_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
