/*
 * openai.c — OpenAI Chat Completions, and every server that speaks it
 * (Ollama, llama.cpp, vLLM, OpenRouter): POST {base}/chat/completions with
 * a Bearer key, answered whole or as "data: {chat.completion.chunk}" lines
 * ending with "data: [DONE]".  Tool calls stream as fragments keyed by
 * index; usage comes in a last chunk when stream_options.include_usage.
 *
 * Block layout while assembling: block 0 is the text, block 1 + i is tool
 * call i.
 */
#include <stdlib.h>
#include <string.h>

#include "llm/llm_int.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/xalloc.h"

static char *
openai_url(const struct llm_provider *p)
{
	return llm_url(p->base_url, "/chat/completions");
}

static struct curl_slist *
openai_headers(const struct llm_provider *p)
{
	struct curl_slist *h = NULL;
	char *key;

	h = curl_slist_append(h, "content-type: application/json");
	h = curl_slist_append(h, "expect:");
	if (p->api_key != NULL && *p->api_key != '\0') {
		xasprintf(&key, "authorization: Bearer %s", p->api_key);
		h = curl_slist_append(h, key);
		xfree_secret(key);
	}
	return h;
}

/* The text blocks of canonical content, joined. */
static char *
openai_text(const json_t *blocks)
{
	struct buf b;
	json_t *c;
	size_t i;

	buf_init(&b, BUF_NOCAP);
	json_array_foreach(blocks, i, c) {
		if (strcmp(oxjson_str(c, "type", ""), "text") == 0)
			buf_adds(&b, oxjson_str(c, "text", ""));
	}
	return buf_detach(&b);
}

static json_t *
openai_messages(const struct llm_request *req, struct llm_error *err)
{
	json_t *out = json_array(), *m, *blocks, *c, *calls, *msg;
	const char *role;
	char *text, *args;
	size_t i, j;

	if (req->system != NULL && *req->system != '\0')
		json_array_append_new(out,
		    json_pack("{s:s, s:s}", "role", "system", "content",
			req->system));
	json_array_foreach(req->messages, i, m) {
		role = oxjson_str(m, "role", "");
		blocks = llm_content_blocks(json_object_get(m, "content"));
		if (strcmp(role, "tool") == 0) {
			json_array_foreach(blocks, j, c) {
				if (strcmp(oxjson_str(c, "type", ""),
					"tool_result") != 0)
					continue;
				json_array_append_new(out,
				    json_pack("{s:s, s:s, s:s}", "role", "tool",
					"tool_call_id",
					oxjson_str(c, "tool_use_id", ""),
					"content",
					oxjson_str(c, "content", "")));
			}
		} else if (strcmp(role, "user") == 0) {
			text = openai_text(blocks);
			json_array_append_new(out,
			    json_pack("{s:s, s:s}", "role", "user", "content",
				text));
			free(text);
		} else if (strcmp(role, "assistant") == 0) {
			text = openai_text(blocks);
			msg = json_pack("{s:s}", "role", "assistant");
			json_object_set_new(msg, "content",
			    *text != '\0' ? json_string(text) : json_null());
			free(text);
			calls = json_array();
			json_array_foreach(blocks, j, c) {
				if (strcmp(oxjson_str(c, "type", ""),
					"tool_use") != 0)
					continue;
				args = json_dumps(json_object_get(c, "input"),
				    JSON_COMPACT | JSON_ENCODE_ANY);
				json_array_append_new(calls,
				    json_pack("{s:s, s:s, s:{s:s, s:s}}", "id",
					oxjson_str(c, "id", ""), "type",
					"function", "function", "name",
					oxjson_str(c, "name", ""), "arguments",
					args != NULL ? args : "{}"));
				free(args);
			}
			if (json_array_size(calls) > 0)
				json_object_set_new(msg, "tool_calls", calls);
			else
				json_decref(calls);
			json_array_append_new(out, msg);
		} else {
			snprintf(err->message, sizeof err->message,
			    "openai: message %zu has role '%s'", i, role);
			err->cls = LLM_ERR_BAD_REQUEST;
			json_decref(blocks);
			json_decref(out);
			return NULL;
		}
		json_decref(blocks);
	}
	return out;
}

static json_t *
openai_body(const struct llm_request *req, struct llm_error *err)
{
	json_t *body, *msgs, *tools, *t;
	size_t i;

	if ((msgs = openai_messages(req, err)) == NULL)
		return NULL;
	body =
	    json_pack("{s:s, s:o, s:i, s:b}", "model", req->model, "messages",
		msgs, "max_tokens", req->max_tokens, "stream", req->stream);
	if (req->stream)
		json_object_set_new(body, "stream_options",
		    json_pack("{s:b}", "include_usage", 1));
	if (req->temperature >= 0)
		json_object_set_new(body, "temperature",
		    json_real(req->temperature));
	if (req->stop != NULL && json_array_size(req->stop) > 0)
		json_object_set(body, "stop", (json_t *)req->stop);
	if (req->tools != NULL && json_array_size(req->tools) > 0) {
		tools = json_array();
		json_array_foreach(req->tools, i, t) {
			json_array_append_new(tools,
			    json_pack("{s:s, s:{s:s, s:s, s:O}}", "type",
				"function", "function", "name",
				oxjson_str(t, "name", ""), "description",
				oxjson_str(t, "description", ""), "parameters",
				json_object_get(t, "input_schema") != NULL ?
				    json_object_get(t, "input_schema") :
				    json_object()));
		}
		json_object_set_new(body, "tools", tools);
	}
	if (req->tool_choice != NULL)
		json_object_set_new(body, "tool_choice",
		    json_pack("{s:s, s:{s:s}}", "type", "function", "function",
			"name", req->tool_choice));
	return body;
}

static void
openai_usage(struct llm_stream *s, const json_t *u)
{
	if (!json_is_object(u))
		return;
	s->usage.input_tokens = oxjson_int(u, "prompt_tokens", 0);
	s->usage.output_tokens = oxjson_int(u, "completion_tokens", 0);
	s->usage.cache_read_tokens =
	    oxjson_int(json_object_get(u, "prompt_tokens_details"),
		"cached_tokens", 0);
}

static void
openai_set_finish(struct llm_stream *s, const char *reason)
{
	if (reason == NULL)
		return;
	free(s->stop_reason);
	s->stop_reason = xstrdup(llm_stop_reason(reason));
}

/* One tool_calls[] entry of a delta. */
static int
openai_tool_delta(struct llm_stream *s, const json_t *tc)
{
	struct llm_block *b;
	const json_t *fn = json_object_get(tc, "function");
	const char *args;
	int index = 1 + (int)oxjson_int(tc, "index", 0);

	if ((b = llm_stream_block(s, index, "tool_use")) == NULL)
		return -1;
	if (b->tool_name == NULL && oxjson_str(fn, "name", NULL) != NULL) {
		free(b->tool_id);
		b->tool_id = xstrdup(oxjson_str(tc, "id", ""));
		b->tool_name = xstrdup(oxjson_str(fn, "name", ""));
		if (llm_stream_delta(s, LLM_DELTA_TOOL_START, index, NULL, 0) !=
		    0)
			return -1;
	}
	args = oxjson_str(fn, "arguments", "");
	if (*args != '\0' &&
	    llm_stream_delta(s, LLM_DELTA_TOOL_ARGS, index, args,
		strlen(args)) != 0)
		return -1;
	return 0;
}

static int
openai_event(struct llm_stream *s, const struct sse_event *ev)
{
	json_t *data, *choice, *delta, *tc, *e;
	const char *text;
	size_t i;

	if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0) {
		s->done = 1;
		return 0;
	}
	if ((data = json_loadb(ev->data, ev->data_len, 0, NULL)) == NULL) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "openai: a stream chunk carries invalid JSON");
		return -1;
	}
	if ((e = json_object_get(data, "error")) != NULL) {
		const char *type = oxjson_str(e, "type", "");

		llm_stream_fail(s,
		    strstr(type, "rate") != NULL ? LLM_ERR_RATE_LIMIT :
			strcmp(type, "invalid_request_error") == 0 ?
						   LLM_ERR_BAD_REQUEST :
						   LLM_ERR_TRANSIENT,
		    "openai: error in the stream: %.300s",
		    oxjson_str(e, "message", type));
		goto fail;
	}
	if (s->id == NULL)
		s->id = xstrdup(oxjson_str(data, "id", ""));
	if (s->model == NULL)
		s->model = xstrdup(oxjson_str(data, "model", ""));
	if (json_is_object(json_object_get(data, "usage"))) {
		openai_usage(s, json_object_get(data, "usage"));
		if (s->cb != NULL) {
			struct llm_delta d = { .kind = LLM_DELTA_USAGE,
				.text = "",
				.usage = &s->usage };

			if (s->cb(&d, s->arg) != 0) {
				s->cancelled = 1;
				goto fail;
			}
		}
	}
	choice = json_array_get(json_object_get(data, "choices"), 0);
	delta = json_object_get(choice, "delta");
	text = oxjson_str(delta, "content", NULL);
	if (text != NULL && *text != '\0') {
		if (llm_stream_block(s, 0, "text") == NULL ||
		    llm_stream_delta(s, LLM_DELTA_TEXT, 0, text,
			json_string_length(
			    json_object_get(delta, "content"))) != 0)
			goto fail;
	}
	text = oxjson_str(delta, "reasoning_content", NULL);
	if (text != NULL && *text != '\0') {
		/* Reasoning servers (vLLM, DeepSeek) send it here; it has no
		 * slot of its own in the layout, so it is only streamed. */
		if (s->cb != NULL) {
			struct llm_delta d = { .kind = LLM_DELTA_THINKING,
				.text = text,
				.len = strlen(text) };

			s->delivered = 1;
			if (s->cb(&d, s->arg) != 0) {
				s->cancelled = 1;
				goto fail;
			}
		}
	}
	json_array_foreach(json_object_get(delta, "tool_calls"), i, tc) {
		if (openai_tool_delta(s, tc) != 0)
			goto fail;
	}
	openai_set_finish(s, oxjson_str(choice, "finish_reason", NULL));
	json_decref(data);
	return 0;
fail:
	json_decref(data);
	return -1;
}

static int
openai_parse(struct llm_stream *s, const json_t *body)
{
	json_t *choice, *msg, *tc;
	struct llm_block *b;
	const char *text;
	size_t i;

	choice = json_array_get(json_object_get(body, "choices"), 0);
	if ((msg = json_object_get(choice, "message")) == NULL) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "openai: answer without choices[0].message");
		return -1;
	}
	s->id = xstrdup(oxjson_str(body, "id", ""));
	s->model = xstrdup(oxjson_str(body, "model", ""));
	openai_set_finish(s, oxjson_str(choice, "finish_reason", "stop"));
	openai_usage(s, json_object_get(body, "usage"));
	if ((text = oxjson_str(msg, "content", NULL)) != NULL) {
		if ((b = llm_stream_block(s, 0, "text")) == NULL)
			return -1;
		buf_adds(&b->text, text);
	}
	json_array_foreach(json_object_get(msg, "tool_calls"), i, tc) {
		if ((b = llm_stream_block(s, 1 + (int)i, "tool_use")) == NULL)
			return -1;
		b->tool_id = xstrdup(oxjson_str(tc, "id", ""));
		b->tool_name = xstrdup(
		    oxjson_str(json_object_get(tc, "function"), "name", ""));
		buf_adds(&b->text,
		    oxjson_str(json_object_get(tc, "function"), "arguments",
			""));
	}
	s->done = 1;
	return 0;
}

static const char *
openai_error_message(const json_t *body)
{
	return oxjson_str(json_object_get(body, "error"), "message", NULL);
}

static int
openai_is_context_error(const json_t *body)
{
	const json_t *e = json_object_get(body, "error");
	const char *msg = oxjson_str(e, "message", "");

	return strcmp(oxjson_str(e, "code", ""), "context_length_exceeded") ==
	    0 ||
	    strstr(msg, "maximum context length") != NULL ||
	    strstr(msg, "context length") != NULL;
}

const struct llm_ops llm_openai_ops = {
	.url = openai_url,
	.headers = openai_headers,
	.body = openai_body,
	.event = openai_event,
	.parse = openai_parse,
	.error_message = openai_error_message,
	.is_context_error = openai_is_context_error,
};
