/*
 * test_llm.c — the wire formats without a network: request bodies, and
 * answers assembled from stream events split into fragments, for both
 * Anthropic and OpenAI; unicode split across chunks; a 1 MB answer;
 * pricing and provider resolution from config.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "llm/llm_int.h"
#include "llm/models.h"
#include "util/buf.h"
#include "util/json.h"
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

	/* Tool arguments that are not a JSON object fail at the end. */
	stream_init(&s, &err, &r);
	feed(a, &s, "content_block_start",
	    "{\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":"
	    "\"t\",\"name\":\"x\"}}");
	feed(a, &s, "content_block_delta",
	    "{\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
	    "\"partial_json\":\"{\\\"a\\\":\"}}");
	{
		struct llm_response out;

		assert_int_equal(llm_stream_finish(&s, &out), -1);
		assert_int_equal(err.cls, LLM_ERR_PROTOCOL);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anthropic_stream_assembly),
		cmocka_unit_test(test_anthropic_stream_errors),
		cmocka_unit_test(test_openai_stream_assembly),
		cmocka_unit_test(test_unicode_split_across_chunks),
		cmocka_unit_test(test_one_megabyte_answer),
		cmocka_unit_test(test_request_bodies),
		cmocka_unit_test(test_pricing),
		cmocka_unit_test(test_resolve_from_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
