/*
 * embeddings.c — texts to vectors through an OpenAI-compatible
 * POST /embeddings, a request of the driver like a chat call: same error
 * classes, retries, caps, cancellation and scrubbing (llm_exchange()).
 * The answer is checked whole before anything is handed back: n vectors,
 * one per index, all of one dimension, every number finite as a float.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_int.h"
#include "util/xalloc.h"

/* What one answer gave (llm_xfer's arg). */
struct llm_embed_out {
	size_t n;       /* texts asked for */
	float *vectors; /* n * dim, by index */
	size_t dim;
	struct llm_usage usage;
};

/* The vector `vec` (answer item `i`) into row `row`.  0, or -1 failed. */
static int
llm_embed_row(struct llm_stream *s, struct llm_embed_out *o, size_t i,
    size_t row, const json_t *vec)
{
	const char *name = s->p->name;
	json_t *v;
	size_t k, size = json_array_size(vec);
	double d;

	if (!json_is_array(vec) || size == 0 || size > LLM_EMBED_MAX_DIM) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "%s: embedding %zu is not a list of 1 to %d numbers", name,
		    i, LLM_EMBED_MAX_DIM);
		return -1;
	}
	if (o->vectors == NULL) {
		/* Every number takes two bytes or more of the capped
		 * answer: a bigger claim is a lie, allocated for nothing. */
		if (o->n * size > LLM_EMBED_MAX_RESPONSE / 2) {
			llm_stream_fail(s, LLM_ERR_PROTOCOL,
			    "%s: %zu embeddings of %zu dimensions cannot fit "
			    "in an answer",
			    name, o->n, size);
			return -1;
		}
		o->dim = size;
		o->vectors = xcalloc(o->n * size, sizeof *o->vectors);
	} else if (size != o->dim) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "%s: embedding %zu has %zu dimensions, the first has %zu",
		    name, i, size, o->dim);
		return -1;
	}
	for (k = 0; k < size; k++) {
		v = json_array_get(vec, k);
		d = json_number_value(v);
		if (!json_is_number(v) || !(d >= -FLT_MAX && d <= FLT_MAX)) {
			llm_stream_fail(s, LLM_ERR_PROTOCOL,
			    "%s: embedding %zu holds something other than a "
			    "float at %zu",
			    name, i, k);
			return -1;
		}
		o->vectors[row * o->dim + k] = (float)d;
	}
	return 0;
}

/* {"data": [{"index", "embedding"}], "usage"} into x->arg. */
static int
llm_embed_parse(const struct llm_xfer *x, struct llm_stream *s,
    const json_t *answer)
{
	struct llm_embed_out *o = x->arg;
	const char *name = s->p->name;
	json_t *data, *item, *v;
	unsigned char *seen;
	json_int_t index;
	size_t i;
	int rc = -1;

	free(o->vectors); /* an earlier attempt's */
	o->vectors = NULL;
	o->dim = 0;
	memset(&o->usage, 0, sizeof o->usage);
	data = json_object_get(answer, "data");
	if (!json_is_array(data)) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "%s: the answer has no \"data\" list", name);
		return -1;
	}
	if (json_array_size(data) != o->n) {
		llm_stream_fail(s, LLM_ERR_PROTOCOL,
		    "%s: the answer has %zu embeddings for %zu texts", name,
		    json_array_size(data), o->n);
		return -1;
	}
	seen = xcalloc(o->n, 1);
	json_array_foreach(data, i, item) {
		/* Servers that leave "index" out answer in order. */
		v = json_object_get(item, "index");
		index = v == NULL ? (json_int_t)i : json_integer_value(v);
		if ((v != NULL && !json_is_integer(v)) || index < 0 ||
		    (size_t)index >= o->n || seen[index]) {
			llm_stream_fail(s, LLM_ERR_PROTOCOL,
			    "%s: embedding %zu has a missing, repeated or "
			    "out-of-range index",
			    name, i);
			goto out;
		}
		seen[index] = 1;
		if (llm_embed_row(s, o, i, (size_t)index,
			json_object_get(item, "embedding")) != 0)
			goto out;
	}
	v = json_object_get(answer, "usage");
	if (json_is_integer(json_object_get(v, "prompt_tokens")))
		o->usage.input_tokens =
		    json_integer_value(json_object_get(v, "prompt_tokens"));
	else if (json_is_integer(json_object_get(v, "total_tokens")))
		o->usage.input_tokens =
		    json_integer_value(json_object_get(v, "total_tokens"));
	if (o->usage.input_tokens < 0)
		o->usage.input_tokens = 0;
	rc = 0;
out:
	if (rc != 0) {
		free(o->vectors);
		o->vectors = NULL;
		o->dim = 0;
	}
	free(seen);
	return rc;
}

int
llm_embed(const struct llm_provider *p, const char *model, const char *phase,
    const char *const *texts, size_t n, const struct cancel *cancel,
    float **vectors, int *dim, struct llm_usage *usage, struct llm_error *err)
{
	struct llm_embed_out o;
	struct llm_stream s;
	struct llm_xfer x;
	json_t *input = NULL, *t, *body;
	char *text = NULL, *url = NULL;
	const char *why;
	size_t i;
	int rc = -1;

	*vectors = NULL;
	*dim = 0;
	memset(usage, 0, sizeof *usage);
	memset(err, 0, sizeof *err);
	err->retry_after_ms = -1;
	if (curl_dl_load(&why) != 0) {
		llm_error_set(err, LLM_ERR_CONFIG, "%s: %s", p->name, why);
		return -1;
	}
	if (p->kind != LLM_OPENAI) {
		llm_error_set(err, LLM_ERR_CONFIG,
		    "%s: embeddings need an OpenAI-compatible provider",
		    p->name);
		return -1;
	}
	if (p->base_url == NULL || *p->base_url == '\0' || model == NULL ||
	    *model == '\0') {
		llm_error_set(err, LLM_ERR_CONFIG,
		    "%s: embeddings need a base URL and a model", p->name);
		return -1;
	}
	if (phase == NULL)
		phase = "embedding";
	if (!llm_phase_valid(phase)) {
		llm_error_set(err, LLM_ERR_BAD_REQUEST,
		    "%s: unknown phase '%.32s'", p->name, phase);
		return -1;
	}
	if (n == 0 || n > LLM_EMBED_MAX_INPUTS) {
		llm_error_set(err, LLM_ERR_BAD_REQUEST,
		    "%s: %zu texts to embed; one request takes 1 to %d",
		    p->name, n, LLM_EMBED_MAX_INPUTS);
		return -1;
	}
	if (n > 1)
		input = json_array();
	for (i = 0; i < n; i++) {
		if (texts[i] == NULL || (t = json_string(texts[i])) == NULL) {
			llm_error_set(err, LLM_ERR_BAD_REQUEST,
			    "%s: text %zu to embed is not UTF-8", p->name, i);
			json_decref(input);
			return -1;
		}
		if (n == 1)
			input = t;
		else
			json_array_append_new(input, t);
	}
	body = json_pack("{s:s, s:o}", "model", model, "input", input);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	url = llm_url(p->base_url, "/embeddings");

	memset(&o, 0, sizeof o);
	o.n = n;
	memset(&x, 0, sizeof x);
	x.ops = &llm_openai_ops;
	x.url = url;
	x.body = text;
	x.model = model;
	x.phase = phase;
	x.max_response = 64 * 1024 + n * (size_t)LLM_EMBED_PER_TEXT;
	if (x.max_response > LLM_EMBED_MAX_RESPONSE)
		x.max_response = LLM_EMBED_MAX_RESPONSE;
	x.parse = llm_embed_parse;
	x.arg = &o;
	memset(&s, 0, sizeof s);
	s.p = p;
	s.err = err;
	if (llm_exchange(&x, &s, cancel) == 0) {
		*vectors = o.vectors;
		*dim = (int)o.dim;
		*usage = o.usage;
		o.vectors = NULL;
		rc = 0;
	}
	llm_stream_reset(&s);
	free(o.vectors);
	free(url);
	free(text);
	return rc;
}
