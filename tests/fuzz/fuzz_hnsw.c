/*
 * fuzz_hnsw.c — index files from outside.  The first input byte picks the
 * mode: odd, the rest gets a valid checksum appended (so the fuzzer
 * reaches the parser behind it); even, the rest is the file as is.
 * Invariants: a refused file has a reason; a loaded index answers
 * searches with live, distinct ids, scores in -1..1 best first, the
 * exact search finds min(k, count); a tuning stays in range; it saves
 * and loads back to the same answers, stamp and tuning; and it takes a
 * new vector.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "memory/hnsw.h"
#include "util/file.h"
#include "util/xalloc.h"

#define FUZZ_K 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_hits(const struct hnsw *h, const struct hnsw_hit *hits, size_t n)
{
	size_t i, j;

	if (n > FUZZ_K || n > hnsw_count(h))
		abort();
	for (i = 0; i < n; i++) {
		if (!hnsw_contains(h, hits[i].id))
			abort();
		if (!(hits[i].score >= -1.0f && hits[i].score <= 1.0f))
			abort();
		if (i > 0 && hits[i].score > hits[i - 1].score)
			abort();
		for (j = 0; j < i; j++) {
			if (hits[j].id == hits[i].id)
				abort();
		}
	}
}

static void
fuzz_check_tuning(const struct hnsw_tuning *t)
{
	if (t == NULL)
		return;
	if (t->ef < 1 || t->ef > 4096 || t->k < 1 || !(t->recall >= 0) ||
	    !(t->recall <= 1) || !(t->target >= 0) || !(t->target <= 1) ||
	    (t->reached != 0 && t->reached != 1))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64], path2[64];
	struct hnsw_hit hits[FUZZ_K], hits2[FUZZ_K];
	struct hnsw_tuning tn;
	struct hnsw *h, *g;
	unsigned char *file;
	char *cause = NULL;
	uint64_t stamp = 0, stamp2 = 0;
	float *q;
	size_t n, n2, len, dim, i;

	if (size == 0)
		return 0;
	if (path[0] == '\0') {
		snprintf(path, sizeof path, "/tmp/fuzz_hnsw.%ld",
		    (long)getpid());
		snprintf(path2, sizeof path2, "/tmp/fuzz_hnsw.%ld.out",
		    (long)getpid());
	}
	len = size - 1;
	file = xmalloc(len + crypto_generichash_BYTES);
	memcpy(file, data + 1, len);
	if (data[0] & 1) {
		crypto_generichash(file + len, crypto_generichash_BYTES, file,
		    len, NULL, 0);
		len += crypto_generichash_BYTES;
	}
	if (file_write_atomic(path, file, len, 0600, &cause) == -1)
		abort();
	free(file);

	h = hnsw_load(path, &stamp, &cause);
	unlink(path);
	if (h == NULL) {
		if (cause == NULL || *cause == '\0')
			abort();
		free(cause);
		return 0;
	}
	dim = (size_t)hnsw_params(h)->dim;
	if (dim < 1 || dim > 65536)
		abort();
	q = xcalloc(dim, sizeof *q);
	for (i = 0; i < dim; i++)
		q[i] = (float)(data[i % size] % 17) - 8.0f;
	q[0] = 1.0f; /* never the zero vector */

	/* The tuning read (if any) is in range; a new one on a few
	 * held-out vectors too, and it is what searches use. */
	fuzz_check_tuning(hnsw_tuning(h));
	hnsw_set_ef(h, 0);
	hnsw_tune(h, FUZZ_K, 0.9, 4, &tn);
	fuzz_check_tuning(hnsw_tuning(h));
	if (hnsw_ef(h) != tn.ef || tn.count != hnsw_count(h))
		abort();

	n = hnsw_search(h, q, FUZZ_K, 0, hits);
	fuzz_check_hits(h, hits, n);
	n2 = hnsw_search_exact(h, q, FUZZ_K, hits2);
	fuzz_check_hits(h, hits2, n2);
	if (n2 != (hnsw_count(h) < FUZZ_K ? hnsw_count(h) : FUZZ_K))
		abort();

	/* Round trip: the same answers and stamp. */
	if (hnsw_save(h, path2, stamp, &cause) == -1)
		abort();
	g = hnsw_load(path2, &stamp2, &cause);
	unlink(path2);
	if (g == NULL)
		abort();
	if (stamp2 != stamp || hnsw_count(g) != hnsw_count(h) ||
	    hnsw_deleted(g) != hnsw_deleted(h) ||
	    memcmp(hnsw_params(g), hnsw_params(h), sizeof *hnsw_params(h)) != 0)
		abort();
	if (hnsw_tuning(g) == NULL || hnsw_tuning(g)->ef != tn.ef ||
	    hnsw_tuning(g)->samples != tn.samples ||
	    hnsw_tuning(g)->reached != tn.reached ||
	    !(fabs(hnsw_tuning(g)->recall - tn.recall) < 1e-6))
		abort();
	if (hnsw_search(g, q, FUZZ_K, 0, hits2) != n)
		abort();
	for (i = 0; i < n; i++) {
		if (hits2[i].id != hits[i].id ||
		    hits2[i].score != hits[i].score)
			abort();
	}

	/* A loaded graph must take insertions and deletes. */
	if (hnsw_add(g, INT64_MIN, q, &cause) == -1)
		abort();
	if (!hnsw_contains(g, INT64_MIN))
		abort();
	n = hnsw_search(g, q, FUZZ_K, 0, hits);
	fuzz_check_hits(g, hits, n);
	if (hnsw_delete(g, INT64_MIN) != 1 || hnsw_contains(g, INT64_MIN))
		abort();
	n = hnsw_search(g, q, FUZZ_K, 0, hits);
	fuzz_check_hits(g, hits, n);

	hnsw_free(g);
	hnsw_free(h);
	free(q);
	return 0;
}
