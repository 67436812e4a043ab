/*
 * fuzz_embed.c — the offline embedders' reading of text (memory/embed.h,
 * memory/embed_local.h).  The input is a text, split at its first NUL
 * into two (a, b; without one, b is empty).  Invariants: a's local vector
 * has no NaN and is of unit length or all zero; it is the same for the
 * text with its ASCII letters upper-cased (the tokeniser lower-cases);
 * the terms' similarity of a and b is in [0, 1], symmetric, and 1 for a
 * text with terms against itself.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory/embed.h"
#include "memory/embed_local.h"
#include "util/xalloc.h"

#define FUZZ_EMBED_MAX 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	float v[512], w[512];
	char *a, *b, *up, *nul;
	struct embed_term *t;
	size_t i, n;
	double norm = 0, s, r;
	int dim = embed_local_dim(), zero = 1;

	if (size > FUZZ_EMBED_MAX || dim > 512)
		return 0;
	a = xmalloc(size + 1);
	memcpy(a, data, size);
	a[size] = '\0';
	nul = memchr(a, '\0', size);
	b = nul != NULL ? nul + 1 : a + size;

	embed_local(a, strlen(a), v);
	for (i = 0; i < (size_t)dim; i++) {
		if (isnan(v[i]) || isinf(v[i]))
			abort();
		norm += (double)v[i] * v[i];
		zero &= v[i] == 0;
	}
	if (!zero && fabs(norm - 1.0) > 1e-4)
		abort();

	up = xstrdup(a);
	for (i = 0; up[i] != '\0'; i++)
		up[i] = (char)toupper((unsigned char)up[i]);
	embed_local(up, strlen(up), w);
	if (memcmp(v, w, sizeof *v * (size_t)dim) != 0)
		abort();

	s = embed_terms_similarity(a, b);
	r = embed_terms_similarity(b, a);
	if (!(s >= 0 && s <= 1 + 1e-9) || fabs(s - r) > 1e-9)
		abort();
	n = embed_terms(a, strlen(a), &t);
	embed_terms_free(t, n);
	if (n > 0 && fabs(embed_terms_similarity(a, a) - 1.0) > 1e-9)
		abort();
	if (n == 0 && !zero)
		abort(); /* no term, no vector */
	free(up);
	free(a);
	return 0;
}
