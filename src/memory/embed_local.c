/*
 * embed_local.c — the local embedder.
 *
 * The table (built by scripts/gen-wordvec.py from GloVe 6B 100-d, public
 * domain under the PDDL; see NOTICE) is linked into the binary by the
 * generated embed_local_table.c (an .incbin of share/wordvec/glove100.bin)
 * and read in place: words sorted, so a lookup is a binary search, with
 * no set-up, no allocation and nothing to lock.  Layout, little-endian:
 *
 *	char magic[8] "OXWVEC01"; u32 n, dim, words_bytes, reserved;
 *	u32 word[n] (offsets into the blob); u16 rank[n]; f32 scale[n];
 *	i8 vec[n][dim]; char blob[words_bytes] (NUL-terminated words).
 *
 * A sentence is the SIF-weighted average of its words' vectors (smooth
 * inverse frequency, "A simple but tough-to-beat baseline for sentence
 * embeddings", 2017): weight a/(a + p(w)), p from a Zipf law on the
 * frequency rank.  The vectors were centred when the table was made,
 * which is what removing the common component does for the average.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory/embed.h"
#include "memory/embed_local.h"
#include "util/log.h"

#define EL_HEADER 24
#define EL_MAX_DIM 512
/* SIF's a; p(rank) = 1 / ((rank + 1) * H), H the harmonic number of the
 * source's 400 000 words (ln n + 0.5772). */
#define EL_SIF_A 1e-4
#define EL_ZIPF_H 13.4789

extern const unsigned char embed_local_table[];
extern const unsigned char embed_local_table_end[];

struct el_table {
	const unsigned char *base;
	uint32_t n, dim, words_bytes;
	const unsigned char *word, *rank, *scale, *vec, *blob;
};

static uint32_t
el_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static struct el_table el_tab;
static pthread_once_t el_once = PTHREAD_ONCE_INIT;

/* Check the table and find its parts (it is ours, linked in: a bad one
 * is fatal). */
static void
el_init(void)
{
	struct el_table *t = &el_tab;
	size_t size, need;

	size = (size_t)(embed_local_table_end - embed_local_table);
	if (size < EL_HEADER || memcmp(embed_local_table, "OXWVEC01", 8) != 0)
		fatal("embed_local: the word table is not one");
	t->base = embed_local_table;
	t->n = el_u32(t->base + 8);
	t->dim = el_u32(t->base + 12);
	t->words_bytes = el_u32(t->base + 16);
	need = EL_HEADER + (size_t)t->n * (4 + 2 + 4 + t->dim) + t->words_bytes;
	if (t->dim == 0 || t->dim > EL_MAX_DIM || need != size)
		fatal("embed_local: the word table's size is wrong");
	t->word = t->base + EL_HEADER;
	t->rank = t->word + (size_t)t->n * 4;
	t->scale = t->rank + (size_t)t->n * 2;
	t->vec = t->scale + (size_t)t->n * 4;
	t->blob = t->vec + (size_t)t->n * t->dim;
}

static const struct el_table *
el_table(void)
{
	pthread_once(&el_once, el_init);
	return &el_tab;
}

int
embed_local_dim(void)
{
	return (int)el_table()->dim;
}

size_t
embed_local_words(void)
{
	return el_table()->n;
}

/* Index of `word` in the table, or -1. */
static long
el_find(const struct el_table *t, const char *word)
{
	size_t lo = 0, hi = t->n, mid;
	uint32_t off;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		off = el_u32(t->word + mid * 4);
		if (off >= t->words_bytes)
			return -1;
		c = strcmp(word, (const char *)t->blob + off);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static void
el_vector(const struct el_table *t, size_t i, float *out, unsigned *rank)
{
	const signed char *q = (const signed char *)(t->vec + i * t->dim);
	float scale;
	uint32_t d;

	memcpy(&scale, t->scale + i * 4, sizeof scale);
	for (d = 0; d < t->dim; d++)
		out[d] = (float)q[d] * scale;
	if (rank != NULL)
		*rank = (unsigned)t->rank[i * 2] |
		    (unsigned)t->rank[i * 2 + 1] << 8;
}

const char *
embed_local_word_at(size_t i, unsigned *rank)
{
	const struct el_table *t = el_table();
	uint32_t off;

	if (i >= t->n || (off = el_u32(t->word + i * 4)) >= t->words_bytes)
		return NULL;
	if (rank != NULL)
		*rank = (unsigned)t->rank[i * 2] |
		    (unsigned)t->rank[i * 2 + 1] << 8;
	return (const char *)t->blob + off;
}

int
embed_local_word(const char *word, float *out, unsigned *rank)
{
	const struct el_table *t = el_table();
	long i;

	if ((i = el_find(t, word)) < 0)
		return 0;
	el_vector(t, (size_t)i, out, rank);
	return 1;
}

/* The table's entry for a term, or one with its ending folded:
 * "batteries" -> "battery", "boxes" -> "box", "tabs" -> "tab",
 * "indenting" -> "indent", "painted" -> "paint". */
static long
el_lookup(const struct el_table *t, const char *term)
{
	static const struct {
		const char *suffix, *with;
	} folds[] = { { "ies", "y" }, { "es", "" }, { "s", "" }, { "ing", "" },
		{ "ing", "e" }, { "ed", "" }, { "ed", "e" } };
	char stem[64];
	size_t len = strlen(term), k, sl;
	long i;

	if ((i = el_find(t, term)) >= 0)
		return i;
	for (k = 0; k < sizeof folds / sizeof folds[0]; k++) {
		sl = strlen(folds[k].suffix);
		if (len <= sl + 2 ||
		    len - sl + strlen(folds[k].with) >= sizeof stem ||
		    strcmp(term + len - sl, folds[k].suffix) != 0)
			continue;
		memcpy(stem, term, len - sl);
		strcpy(stem + len - sl, folds[k].with);
		if ((i = el_find(t, stem)) >= 0)
			return i;
	}
	return -1;
}

void
embed_local(const char *s, size_t len, float *out)
{
	const struct el_table *t = el_table();
	float w_vec[EL_MAX_DIM];
	struct embed_term *terms;
	double norm = 0, p, w;
	unsigned rank;
	size_t n, i;
	uint32_t d;
	long k;

	memset(out, 0, sizeof *out * t->dim);
	n = embed_terms(s, len, &terms);
	for (i = 0; i < n; i++) {
		/* A word the table lacks adds nothing: keywords (BM25)
		 * find it. */
		if ((k = el_lookup(t, terms[i].term)) < 0)
			continue;
		el_vector(t, (size_t)k, w_vec, &rank);
		p = 1.0 / (((double)rank + 1.0) * EL_ZIPF_H);
		w = EL_SIF_A / (EL_SIF_A + p) *
		    (1.0 + log((double)terms[i].tf));
		for (d = 0; d < t->dim; d++)
			out[d] += (float)(w * w_vec[d]);
	}
	embed_terms_free(terms, n);
	for (d = 0; d < t->dim; d++)
		norm += (double)out[d] * out[d];
	if (norm <= 0)
		return;
	norm = sqrt(norm);
	for (d = 0; d < t->dim; d++)
		out[d] = (float)(out[d] / norm);
}
