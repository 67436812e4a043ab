/*
 * embed.h — embedders: TF-IDF with feature hashing (offline), or an
 * OpenAI-compatible /v1/embeddings endpoint.
 */
#ifndef OXIOS_MEMORY_EMBED_H
#define OXIOS_MEMORY_EMBED_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct embed_term {
	char *term;
	long long tf; /* times it occurs */
};

/* The distinct terms of s[0..len) with their counts, sorted.  Returns how
 * many; *out is the caller's (embed_terms_free). */
size_t embed_terms(const char *s, size_t len, struct embed_term **out);
void embed_terms_free(struct embed_term *t, size_t n);
/* Inverse document frequency: ln((docs + 1) / (df + 1)) + 1. */
double embed_idf(long long docs, long long df);
/* The TF-IDF vector of terms t (df[i] their document frequencies) hashed
 * into dim buckets, L2-normalised (all zero without terms). */
void embed_tfidf(const struct embed_term *t, size_t n, const long long *df,
    long long docs, int dim, float *out);
/*
 * POST {base_url}/v1/embeddings {model, input}.  The vector (new array);
 * *dim is its length (if *dim > 0 on entry it must match).  NULL with
 * *cause.
 */
float *embed_api(const char *base_url, const char *model, const char *key,
    const char *text, size_t len, int *dim, char **cause);

#endif
