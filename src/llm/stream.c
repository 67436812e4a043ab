/*
 * stream.c — assembling an answer: the content blocks of a model's answer
 * built from the deltas a wire format parses (anthropic.c, openai.c),
 * each delta handed to the caller as it comes, and the finished response.
 * llm.c moves the bytes; this file knows what they mean.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_int.h"
#include "util/json.h"
#include "util/xalloc.h"

void
llm_stream_fail(struct llm_stream *s, enum llm_error_class cls, const char *fmt,
    ...)
{
	va_list ap;

	if (s->failed)
		return;
	s->failed = 1;
	s->err->cls = cls;
	va_start(ap, fmt);
	vsnprintf(s->err->message, sizeof s->err->message, fmt, ap);
	va_end(ap);
}

struct llm_block *
llm_stream_block(struct llm_stream *s, int index, const char *type)
{
	struct llm_block *b;

	if (index < 0 || index >= LLM_MAX_BLOCKS) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "content block index %d out of range", index);
		return NULL;
	}
	while (s->nblocks <= index) {
		b = &s->blocks[s->nblocks++];
		memset(b, 0, sizeof *b);
		buf_init(&b->text, LLM_MAX_RESPONSE);
	}
	b = &s->blocks[index];
	if (b->type == NULL && type != NULL)
		b->type = xstrdup(type);
	return b;
}

int
llm_stream_delta(struct llm_stream *s, enum llm_delta_kind kind, int index,
    const char *text, size_t len)
{
	struct llm_block *b;
	struct llm_delta d;
	char *piece = NULL;
	int rc;

	if ((b = llm_stream_block(s, index, NULL)) == NULL)
		return -1;
	if (kind == LLM_DELTA_TOOL_START)
		len = 0;
	else if (buf_add(&b->text, text, len) != 0) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "answer larger than %d bytes", LLM_MAX_RESPONSE);
		return -1;
	}
	if (s->cb == NULL)
		return 0;
	memset(&d, 0, sizeof d);
	d.kind = kind;
	d.index = index;
	d.text = piece = xstrndup(len > 0 ? text : "", len);
	d.len = len;
	d.tool_id = b->tool_id;
	d.tool_name = b->tool_name;
	s->delivered = 1;
	rc = s->cb(&d, s->arg);
	free(piece);
	if (rc != 0) {
		s->cancelled = 1;
		return -1;
	}
	return 0;
}

json_t *
llm_content_blocks(const json_t *content)
{
	if (json_is_string(content))
		return json_pack("[{s:s, s:O}]", "type", "text", "text",
		    content);
	if (json_is_array(content))
		return json_incref((json_t *)content);
	return json_array();
}

const char *
llm_stop_reason(const char *r)
{
	if (r == NULL)
		return "end_turn";
	if (strcmp(r, "stop") == 0)
		return "end_turn";
	if (strcmp(r, "tool_calls") == 0 || strcmp(r, "function_call") == 0)
		return "tool_use";
	if (strcmp(r, "length") == 0)
		return "max_tokens";
	return r;
}

void
llm_stream_reset(struct llm_stream *s)
{
	int i;

	for (i = 0; i < s->nblocks; i++) {
		free(s->blocks[i].type);
		free(s->blocks[i].tool_id);
		free(s->blocks[i].tool_name);
		buf_free(&s->blocks[i].text);
	}
	s->nblocks = 0;
	free(s->stop_reason);
	free(s->id);
	free(s->model);
	s->stop_reason = s->id = s->model = NULL;
	memset(&s->usage, 0, sizeof s->usage);
	s->done = s->failed = s->cancelled = 0;
}

json_t *
llm_tool_input(const char *text, size_t len, char **why)
{
	json_error_t jerr;
	json_t *v;

	*why = NULL;
	if (len == 0)
		return json_object();
	/* \u0000 is valid JSON: whether a NUL may stand in a string is the
	 * tool's to say (a path may not, a file's content may). */
	if ((v = json_loadb(text, len,
		 JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
		 &jerr)) == NULL) {
		xasprintf(why,
		    "the arguments are not valid JSON: %s (at byte %d of "
		    "%zu)",
		    jerr.text, jerr.position, len);
		return NULL;
	}
	if (!json_is_object(v)) {
		xasprintf(why, "the arguments are %s, not a JSON object",
		    json_is_array(v)       ? "an array" :
			json_is_string(v)  ? "a string" :
			json_is_number(v)  ? "a number" :
			json_is_boolean(v) ? "a boolean" :
					     "null");
		json_decref(v);
		return NULL;
	}
	return v;
}

int
llm_stream_finish(struct llm_stream *s, struct llm_response *out)
{
	struct llm_block *b;
	json_t *content = json_array(), *input, *block;
	char *why = NULL;
	int i;

	for (i = 0; i < s->nblocks; i++) {
		b = &s->blocks[i];
		if (b->type == NULL)
			continue;
		if (strcmp(b->type, "tool_use") == 0) {
			/* Bad arguments are the model's to correct, not the
			 * answer's failure: the loop answers them with a
			 * tool error. */
			input = llm_tool_input(b->text.data, b->text.len, &why);
			block = json_pack("{s:s, s:s, s:s, s:o}", "type",
			    "tool_use", "id",
			    b->tool_id != NULL ? b->tool_id : "", "name",
			    b->tool_name != NULL ? b->tool_name : "", "input",
			    input != NULL ? input : json_object());
			if (why != NULL) {
				json_object_set_new(block, "input_error",
				    json_string(why));
				free(why);
				why = NULL;
			}
			json_array_append_new(content, block);
		} else if (strcmp(b->type, "thinking") == 0)
			json_array_append_new(content,
			    json_pack("{s:s, s:s%}", "type", "thinking",
				"thinking", buf_str(&b->text), b->text.len));
		else if (b->text.len > 0 || strcmp(b->type, "text") == 0)
			json_array_append_new(content,
			    json_pack("{s:s, s:s%}", "type", "text", "text",
				buf_str(&b->text), b->text.len));
	}
	out->content = content;
	out->stop_reason =
	    xstrdup(s->stop_reason != NULL ? s->stop_reason : "end_turn");
	out->id = xstrdup(s->id != NULL ? s->id : "");
	out->model = xstrdup(s->model != NULL ? s->model : "");
	out->usage = s->usage;
	return 0;
}

char *
llm_response_text(const struct llm_response *r)
{
	struct buf b;
	json_t *block;
	size_t i;

	buf_init(&b, BUF_NOCAP);
	json_array_foreach(r->content, i, block) {
		if (strcmp(oxjson_str(block, "type", ""), "text") == 0)
			buf_adds(&b, oxjson_str(block, "text", ""));
	}
	return buf_detach(&b);
}

void
llm_response_free(struct llm_response *r)
{
	json_decref(r->content);
	free(r->stop_reason);
	free(r->id);
	free(r->model);
	memset(r, 0, sizeof *r);
}
