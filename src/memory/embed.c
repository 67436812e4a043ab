/*
 * embed.c — text to vectors.
 *
 * The offline default is TF-IDF with feature hashing: terms (lower-cased
 * runs of letters, digits and non-ASCII bytes, stop words dropped) are
 * hashed into `dim` buckets with a sign bit, weighted by term frequency
 * times inverse document frequency over the corpus of memories (kept in
 * memory_terms, so IDF changes as memories come and go), and the vector is
 * L2-normalised.  The alternative is an OpenAI-compatible /v1/embeddings
 * endpoint (e.g. Ollama): a provider call, made through the LLM gate
 * (gate_embed(), see mem_embed() in memory.c), not here.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory/embed.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define EMBED_MAX_TERMS 4096
#define EMBED_MAX_TERM 48

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

double
embed_terms_similarity(const char *a, const char *b)
{
	struct embed_term *ta, *tb;
	size_t na, nb, i = 0, j = 0;
	double dot = 0, sa = 0, sb = 0;
	int c;

	na = embed_terms(a, strlen(a), &ta);
	nb = embed_terms(b, strlen(b), &tb);
	for (i = 0; i < na; i++)
		sa += (double)ta[i].tf * (double)ta[i].tf;
	for (j = 0; j < nb; j++)
		sb += (double)tb[j].tf * (double)tb[j].tf;
	/* Both sorted: a merge join. */
	for (i = 0, j = 0; i < na && j < nb;) {
		c = strcmp(ta[i].term, tb[j].term);
		if (c == 0)
			dot += (double)ta[i++].tf * (double)tb[j++].tf;
		else if (c < 0)
			i++;
		else
			j++;
	}
	embed_terms_free(ta, na);
	embed_terms_free(tb, nb);
	return sa > 0 && sb > 0 ? dot / sqrt(sa * sb) : 0;
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
