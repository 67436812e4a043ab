/*
 * anthropic.c — the Anthropic Messages API: POST {base}/v1/messages with
 * x-api-key and anthropic-version, answered whole or as a stream of
 * message_start, content_block_start/delta/stop, message_delta,
 * message_stop, ping and error events.
 */
#include <stdlib.h>
#include <string.h>

#include "llm/llm_int.h"
#include "util/json.h"
#include "util/xalloc.h"

#define ANTHROPIC_VERSION "2023-06-01"

static char *
anthropic_url(const struct llm_provider *p)
{
	return llm_url(p->base_url, "/v1/messages");
}

static struct curl_slist *
anthropic_headers(const struct llm_provider *p)
{
	struct curl_slist *h = NULL;
	char *key;

	h = curl_slist_append(h, "content-type: application/json");
	h = curl_slist_append(h, "anthropic-version: " ANTHROPIC_VERSION);
	h = curl_slist_append(h, "expect:");
	if (p->api_key != NULL) {
		xasprintf(&key, "x-api-key: %s", p->api_key);
		h = curl_slist_append(h, key);
		xfree_secret(key);
	}
	return h;
}

/* Canonical messages -> Anthropic's: "tool" turns are user turns with
 * tool_result blocks, and turns of the same role are merged. */
static json_t *
anthropic_messages(const json_t *messages, struct llm_error *err)
{
	json_t *out = json_array(), *m, *blocks, *last = NULL, *b;
	const char *role;
	size_t i, j;

	json_array_foreach(messages, i, m) {
		role = oxjson_str(m, "role", "");
		if (strcmp(role, "tool") == 0)
			role = "user";
		else if (strcmp(role, "user") != 0 &&
		    strcmp(role, "assistant") != 0) {
			snprintf(err->message, sizeof err->message,
			    "anthropic: message %zu has role '%s'", i, role);
			err->cls = LLM_ERR_BAD_REQUEST;
			json_decref(out);
			return NULL;
		}
		blocks = llm_content_blocks(json_object_get(m, "content"));
		if (last != NULL &&
		    strcmp(oxjson_str(last, "role", ""), role) == 0) {
			json_array_foreach(blocks, j, b)
				json_array_append(json_object_get(last,
						      "content"),
				    b);
			json_decref(blocks);
			continue;
		}
		last = json_pack("{s:s, s:o}", "role", role, "content",
		    json_deep_copy(blocks));
		json_decref(blocks);
		json_array_append_new(out, last);
	}
	return out;
}

static json_t *
anthropic_body(const struct llm_request *req, struct llm_error *err)
{
	json_t *body, *msgs, *tools, *t;
	size_t i;

	if ((msgs = anthropic_messages(req->messages, err)) == NULL)
		return NULL;
	body =
	    json_pack("{s:s, s:i, s:o, s:b}", "model", req->model, "max_tokens",
		req->max_tokens, "messages", msgs, "stream", req->stream);
	if (req->system != NULL && *req->system != '\0')
		json_object_set_new(body, "system", json_string(req->system));
	if (req->temperature >= 0)
		json_object_set_new(body, "temperature",
		    json_real(req->temperature));
	if (req->stop != NULL && json_array_size(req->stop) > 0)
		json_object_set(body, "stop_sequences", (json_t *)req->stop);
	if (req->tools != NULL && json_array_size(req->tools) > 0) {
		tools = json_array();
		json_array_foreach(req->tools, i, t) {
			json_array_append_new(tools,
			    json_pack("{s:s, s:s, s:O}", "name",
				oxjson_str(t, "name", ""), "description",
				oxjson_str(t, "description", ""),
				"input_schema",
				json_object_get(t, "input_schema") != NULL ?
				    json_object_get(t, "input_schema") :
				    json_object()));
		}
		json_object_set_new(body, "tools", tools);
	}
	if (req->tool_choice != NULL)
		json_object_set_new(body, "tool_choice",
		    json_pack("{s:s, s:s}", "type", "tool", "name",
			req->tool_choice));
	return body;
}

static void
anthropic_usage(struct llm_stream *s, const json_t *u)
{
	if (!json_is_object(u))
		return;
	if (json_object_get(u, "input_tokens") != NULL)
		s->usage.input_tokens = oxjson_int(u, "input_tokens", 0);
	if (json_object_get(u, "output_tokens") != NULL)
		s->usage.output_tokens = oxjson_int(u, "output_tokens", 0);
	if (json_object_get(u, "cache_read_input_tokens") != NULL)
		s->usage.cache_read_tokens =
		    oxjson_int(u, "cache_read_input_tokens", 0);
	if (json_object_get(u, "cache_creation_input_tokens") != NULL)
		s->usage.cache_write_tokens =
		    oxjson_int(u, "cache_creation_input_tokens", 0);
}

static void
anthropic_fail_type(struct llm_stream *s, const json_t *error)
{
	const char *type = oxjson_str(error, "type", "error");
	const char *msg = oxjson_str(error, "message", "");
	enum llm_error_class cls = LLM_ERR_BAD_REQUEST;

	if (strcmp(type, "overloaded_error") == 0 ||
	    strcmp(type, "api_error") == 0)
		cls = LLM_ERR_TRANSIENT;
	else if (strcmp(type, "rate_limit_error") == 0)
		cls = LLM_ERR_RATE_LIMIT;
	else if (strcmp(type, "authentication_error") == 0 ||
	    strcmp(type, "permission_error") == 0)
		cls = LLM_ERR_AUTH;
	llm_stream_fail(s, cls, "anthropic: %s in the stream: %.300s", type,
	    msg);
}

static int
anthropic_event(struct llm_stream *s, const struct sse_event *ev)
{
	struct llm_block *b;
	json_t *data, *cb, *delta;
	const char *t, *dt;
	int index, rc = 0;

	if (strcmp(ev->type, "ping") == 0)
		return 0;
	if ((data = json_loadb(ev->data, ev->data_len, 0, NULL)) == NULL) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "anthropic: event '%s' carries invalid JSON", ev->type);
		return -1;
	}
	t = ev->type;
	index = (int)oxjson_int(data, "index", 0);
	if (strcmp(t, "message_start") == 0) {
		json_t *m = json_object_get(data, "message");

		free(s->id);
		free(s->model);
		s->id = xstrdup(oxjson_str(m, "id", ""));
		s->model = xstrdup(oxjson_str(m, "model", ""));
		anthropic_usage(s, json_object_get(m, "usage"));
	} else if (strcmp(t, "content_block_start") == 0) {
		cb = json_object_get(data, "content_block");
		if ((b = llm_stream_block(s, index,
			 oxjson_str(cb, "type", "text"))) == NULL)
			goto fail;
		if (strcmp(b->type, "tool_use") == 0) {
			free(b->tool_id);
			free(b->tool_name);
			b->tool_id = xstrdup(oxjson_str(cb, "id", ""));
			b->tool_name = xstrdup(oxjson_str(cb, "name", ""));
			if (llm_stream_delta(s, LLM_DELTA_TOOL_START, index,
				NULL, 0) != 0)
				goto fail;
		} else if (strcmp(b->type, "text") == 0 &&
		    *oxjson_str(cb, "text", "") != '\0') {
			dt = oxjson_str(cb, "text", "");
			if (llm_stream_delta(s, LLM_DELTA_TEXT, index, dt,
				strlen(dt)) != 0)
				goto fail;
		}
	} else if (strcmp(t, "content_block_delta") == 0) {
		delta = json_object_get(data, "delta");
		dt = oxjson_str(delta, "type", "");
		if (strcmp(dt, "text_delta") == 0)
			rc = llm_stream_delta(s, LLM_DELTA_TEXT, index,
			    oxjson_str(delta, "text", ""),
			    json_string_length(json_object_get(delta, "text")));
		else if (strcmp(dt, "input_json_delta") == 0)
			rc = llm_stream_delta(s, LLM_DELTA_TOOL_ARGS, index,
			    oxjson_str(delta, "partial_json", ""),
			    json_string_length(
				json_object_get(delta, "partial_json")));
		else if (strcmp(dt, "thinking_delta") == 0)
			rc = llm_stream_delta(s, LLM_DELTA_THINKING, index,
			    oxjson_str(delta, "thinking", ""),
			    json_string_length(
				json_object_get(delta, "thinking")));
		if (rc != 0)
			goto fail;
	} else if (strcmp(t, "message_delta") == 0) {
		delta = json_object_get(data, "delta");
		if (oxjson_str(delta, "stop_reason", NULL) != NULL) {
			free(s->stop_reason);
			s->stop_reason =
			    xstrdup(oxjson_str(delta, "stop_reason", ""));
		}
		anthropic_usage(s, json_object_get(data, "usage"));
		if (s->cb != NULL) {
			struct llm_delta d = { .kind = LLM_DELTA_USAGE,
				.text = "",
				.usage = &s->usage };

			if (s->cb(&d, s->arg) != 0) {
				s->cancelled = 1;
				goto fail;
			}
		}
	} else if (strcmp(t, "message_stop") == 0)
		s->done = 1;
	else if (strcmp(t, "error") == 0) {
		anthropic_fail_type(s, json_object_get(data, "error"));
		goto fail;
	}
	/* Other events (content_block_stop, future ones) need nothing. */
	json_decref(data);
	return 0;
fail:
	json_decref(data);
	return -1;
}

static int
anthropic_parse(struct llm_stream *s, const json_t *body)
{
	json_t *content = json_object_get(body, "content"), *c;
	struct llm_block *b;
	const char *type;
	char *args;
	size_t i;

	if (!json_is_array(content)) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "anthropic: answer without content");
		return -1;
	}
	s->id = xstrdup(oxjson_str(body, "id", ""));
	s->model = xstrdup(oxjson_str(body, "model", ""));
	s->stop_reason = xstrdup(oxjson_str(body, "stop_reason", "end_turn"));
	anthropic_usage(s, json_object_get(body, "usage"));
	json_array_foreach(content, i, c) {
		type = oxjson_str(c, "type", "text");
		if ((b = llm_stream_block(s, (int)i, type)) == NULL)
			return -1;
		if (strcmp(type, "tool_use") == 0) {
			b->tool_id = xstrdup(oxjson_str(c, "id", ""));
			b->tool_name = xstrdup(oxjson_str(c, "name", ""));
			args = json_dumps(json_object_get(c, "input"),
			    JSON_COMPACT | JSON_ENCODE_ANY);
			buf_adds(&b->text, args != NULL ? args : "{}");
			free(args);
		} else if (strcmp(type, "thinking") == 0)
			buf_adds(&b->text, oxjson_str(c, "thinking", ""));
		else
			buf_adds(&b->text, oxjson_str(c, "text", ""));
	}
	s->done = 1;
	return 0;
}

static const char *
anthropic_error_message(const json_t *body)
{
	return oxjson_str(json_object_get(body, "error"), "message", NULL);
}

static int
anthropic_is_context_error(const json_t *body)
{
	const char *msg = anthropic_error_message(body);

	return msg != NULL &&
	    (strstr(msg, "prompt is too long") != NULL ||
		strstr(msg, "context limit") != NULL ||
		strstr(msg, "context window") != NULL);
}

const struct llm_ops llm_anthropic_ops = {
	.url = anthropic_url,
	.headers = anthropic_headers,
	.body = anthropic_body,
	.event = anthropic_event,
	.parse = anthropic_parse,
	.error_message = anthropic_error_message,
	.is_context_error = anthropic_is_context_error,
};
