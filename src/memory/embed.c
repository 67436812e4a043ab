/*
 * embed.c — text to vectors.
 *
 * The offline default is TF-IDF with feature hashing: terms (lower-cased
 * runs of letters, digits and non-ASCII bytes, stop words dropped) are
 * hashed into `dim` buckets with a sign bit, weighted by term frequency
 * times inverse document frequency over the corpus of memories (kept in
 * memory_terms, so IDF changes as memories come and go), and the vector is
 * L2-normalised.  The alternative is an OpenAI-compatible /v1/embeddings
 * endpoint (e.g. Ollama), through libcurl.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "llm/curl_dl.h"
#include "memory/embed.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define EMBED_MAX_TERMS 4096
#define EMBED_MAX_TERM 48
#define EMBED_API_MAX_RESPONSE (16 * 1024 * 1024)

static const char *const embed_stop[] = { "a", "an", "and", "are", "as", "at",
	"be", "but", "by", "for", "from", "has", "have", "in", "is", "it",
	"its", "of", "on", "or", "that", "the", "this", "to", "was", "were",
	"will", "with", NULL };

static int
embed_is_stop(const char *t)
{
	int i;

	for (i = 0; embed_stop[i] != NULL; i++) {
		if (strcmp(embed_stop[i], t) == 0)
			return 1;
	}
	return 0;
}

static int
embed_term_cmp(const void *a, const void *b)
{
	return strcmp(((const struct embed_term *)a)->term,
	    ((const struct embed_term *)b)->term);
}

size_t
embed_terms(const char *s, size_t len, struct embed_term **out)
{
	struct embed_term *t = NULL;
	char term[EMBED_MAX_TERM + 1];
	size_t n = 0, i = 0, start, k, j, w;
	unsigned char c;

	while (i < len && n < EMBED_MAX_TERMS) {
		start = i;
		while (i < len) {
			c = (unsigned char)s[i];
			if (!(isalnum(c) || c >= 0x80))
				break;
			i++;
		}
		if (i == start) {
			i++;
			continue;
		}
		/* At most EMBED_MAX_TERM bytes, never half a character. */
		k = utf8_cutn(s + start, i - start, EMBED_MAX_TERM);
		for (j = 0; j < k; j++)
			term[j] = (char)tolower((unsigned char)s[start + j]);
		term[k] = '\0';
		if (k < 2 || embed_is_stop(term))
			continue;
		t = xreallocarray(t, n + 1, sizeof *t);
		t[n].term = xstrdup(term);
		t[n].tf = 1;
		n++;
	}
	if (n == 0) {
		free(t);
		*out = NULL;
		return 0;
	}
	/* Count repeats: sort, fold equal neighbours. */
	qsort(t, n, sizeof *t, embed_term_cmp);
	for (j = 0, w = 0; j < n; j++) {
		if (w > 0 && strcmp(t[w - 1].term, t[j].term) == 0) {
			t[w - 1].tf++;
			free(t[j].term);
			continue;
		}
		t[w++] = t[j];
	}
	*out = t;
	return w;
}

void
embed_terms_free(struct embed_term *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(t[i].term);
	free(t);
}

/* FNV-1a 64: bucket from the low bits, sign from a high one. */
static uint64_t
embed_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

double
embed_idf(long long docs, long long df)
{
	return log((double)(docs + 1) / (double)(df + 1)) + 1.0;
}

void
embed_tfidf(const struct embed_term *t, size_t n, const long long *df,
    long long docs, int dim, float *out)
{
	double norm = 0, w;
	uint64_t h;
	size_t i;
	int d;

	memset(out, 0, sizeof *out * (size_t)dim);
	for (i = 0; i < n; i++) {
		h = embed_hash(t[i].term);
		/* Sublinear tf: a word said ten times is not ten times as
		 * telling. */
		w = (1.0 + log((double)t[i].tf)) * embed_idf(docs, df[i]);
		d = (int)(h % (uint64_t)dim);
		out[d] += (float)((h >> 63) ? -w : w);
	}
	for (d = 0; d < dim; d++)
		norm += (double)out[d] * out[d];
	if (norm <= 0)
		return;
	norm = sqrt(norm);
	for (d = 0; d < dim; d++)
		out[d] = (float)(out[d] / norm);
}

/* ---- the API embedder ---- */

static size_t
embed_api_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, size * n) != 0)
		return 0;
	return size * n;
}

float *
embed_api(const char *base_url, const char *model, const char *key,
    const char *text, size_t len, int *dim, char **cause)
{
	const char *why;
	CURL *h = NULL;
	struct curl_slist *hdr = NULL;
	struct buf resp;
	json_t *req = NULL, *j = NULL, *v;
	char *body = NULL, *url = NULL, *auth = NULL;
	float *out = NULL;
	long status = 0;
	size_t i, n;

	buf_init(&resp, EMBED_API_MAX_RESPONSE);
	if (curl_dl_load(&why) != 0) {
		xasprintf(cause, "embeddings: %s", why);
		goto out;
	}
	xasprintf(&url, "%s%s/embeddings", base_url,
	    strlen(base_url) > 3 &&
		    strcmp(base_url + strlen(base_url) - 3, "/v1") == 0 ?
		"" :
		"/v1");
	req = json_pack("{s:s, s:s%}", "model", model, "input", text, len);
	if (req == NULL) {
		xasprintf(cause, "the text is not UTF-8");
		goto out;
	}
	body = json_dumps(req, JSON_COMPACT);
	h = curl_easy_init();
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (key != NULL && *key != '\0') {
		xasprintf(&auth, "Authorization: Bearer %s", key);
		hdr = curl_slist_append(hdr, auth);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, embed_api_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(h) != CURLE_OK) {
		xasprintf(cause, "embeddings: cannot reach %s", url);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		xasprintf(cause, "embeddings: %s answered HTTP %ld", url,
		    status);
		goto out;
	}
	j = json_loadb(resp.data, resp.len, 0, NULL);
	v = json_object_get(json_array_get(json_object_get(j, "data"), 0),
	    "embedding");
	n = json_array_size(v);
	if (n == 0 || n > 65536) {
		xasprintf(cause, "embeddings: no vector in the answer of %s",
		    url);
		goto out;
	}
	if (*dim > 0 && (size_t)*dim != n) {
		xasprintf(cause,
		    "embeddings: %s gave %zu dimensions, the index has %d", url,
		    n, *dim);
		goto out;
	}
	out = xmalloc(n * sizeof *out);
	for (i = 0; i < n; i++)
		out[i] = (float)json_number_value(json_array_get(v, i));
	*dim = (int)n;
out:
	if (h != NULL)
		curl_easy_cleanup(h);
	if (hdr != NULL)
		curl_slist_free_all(hdr);
	if (auth != NULL) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	json_decref(req);
	json_decref(j);
	free(body);
	free(url);
	buf_free(&resp);
	return out;
}
