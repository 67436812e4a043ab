/*
 * embed.h — the offline embedder: TF-IDF with feature hashing.  (The
 * other, an OpenAI-compatible /v1/embeddings endpoint, is a provider:
 * llm_embed(), called through gate_embed().)
 */
#ifndef OXIOS_MEMORY_EMBED_H
#define OXIOS_MEMORY_EMBED_H

#include <stddef.h>
#include <stdint.h>

struct embed_term {
	char *term;
	long long tf; /* times it occurs */
};

/* The distinct terms of s[0..len) with their counts, sorted.  Returns how
 * many; *out is the caller's (embed_terms_free). */
size_t embed_terms(const char *s, size_t len, struct embed_term **out);
void embed_terms_free(struct embed_term *t, size_t n);
/* The cosine of the term counts of a and b (NUL-terminated): 1 for the
 * same words, 0 for none in common or no terms. */
double embed_terms_similarity(const char *a, const char *b);
/* Inverse document frequency: ln((docs + 1) / (df + 1)) + 1. */
double embed_idf(long long docs, long long df);
/* The TF-IDF vector of terms t (df[i] their document frequencies) hashed
 * into dim buckets, L2-normalised (all zero without terms). */
void embed_tfidf(const struct embed_term *t, size_t n, const long long *df,
    long long docs, int dim, float *out);

#endif
