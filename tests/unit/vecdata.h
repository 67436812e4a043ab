/*
 * vecdata.h — vectors for the HNSW tests (test_hnsw.c, test_hnsw_tune.c):
 * seeded random and clustered data, an index with the default
 * parameters, adding them all; and writing index files by hand.  Include
 * after cmocka.h.
 */
#ifndef OXIOS_TESTS_VECDATA_H
#define OXIOS_TESTS_VECDATA_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <sodium.h>

#include "memory/hnsw.h"
#include "util/file.h"
#include "util/xalloc.h"

#define SUM_LEN 32 /* the checksum at the end of an index file */

/* Smaller data under valgrind, which runs these in CI at ~50x cost. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

static inline uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline float
uniform(uint64_t *s)
{
	return (float)((double)(rnd(s) >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

static inline float
gauss(uint64_t *s)
{
	double u = ((double)(rnd(s) >> 11) + 1) * 0x1.0p-53;
	double v = (double)(rnd(s) >> 11) * 0x1.0p-53;

	return (float)(sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v));
}

/* n random vectors in [-1, 1]^dim; caller frees. */
static inline float *
random_vectors(size_t n, size_t dim, uint64_t seed)
{
	float *v = xreallocarray(NULL, n, dim * sizeof *v);
	size_t i;

	for (i = 0; i < n * dim; i++)
		v[i] = uniform(&seed);
	return v;
}

/* n vectors around `blobs` random centres (gaussian blobs); caller frees. */
static inline float *
clustered_vectors(size_t n, size_t dim, size_t blobs, uint64_t seed)
{
	float *c = random_vectors(blobs, dim, seed);
	float *v = xreallocarray(NULL, n, dim * sizeof *v);
	size_t i, j, b;

	for (i = 0; i < n; i++) {
		b = rnd(&seed) % blobs;
		for (j = 0; j < dim; j++)
			v[i * dim + j] = c[b * dim + j] + 0.15f * gauss(&seed);
	}
	free(c);
	return v;
}

static inline struct hnsw *
new_index(int dim)
{
	struct hnsw_params p = { dim, HNSW_DEFAULT_M,
		HNSW_DEFAULT_EF_CONSTRUCTION, HNSW_DEFAULT_EF_SEARCH, 0 };
	struct hnsw *h;
	char *cause = NULL;

	h = hnsw_new(&p, &cause);
	assert_non_null(h);
	assert_null(cause);
	return h;
}

static inline void
add_all(struct hnsw *h, const float *v, size_t n, size_t dim)
{
	char *cause = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(hnsw_add(h, (int64_t)i, v + i * dim, &cause),
		    0);
	assert_null(cause);
}

static inline void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Write data[0..len) to path, with a valid checksum appended if asked. */
static inline void
write_file(const char *path, const unsigned char *data, size_t len, int sum)
{
	unsigned char *buf = xmalloc(len + SUM_LEN);
	char *cause = NULL;

	memcpy(buf, data, len);
	if (sum) {
		crypto_generichash(buf + len, SUM_LEN, buf, len, NULL, 0);
		len += SUM_LEN;
	}
	assert_int_equal(file_write_atomic(path, buf, len, 0600, &cause), 0);
	free(buf);
}

/* recall@10 of hnsw_search (at the index's own ef) against
 * hnsw_search_exact, on nq queries. */
static inline double
recall(const struct hnsw *h, const float *queries, size_t nq, size_t dim)
{
	struct hnsw_hit a[10], e[10];
	size_t i, j, k, na, ne, found = 0, total = 0;

	for (i = 0; i < nq; i++) {
		na = hnsw_search(h, queries + i * dim, 10, 0, a);
		ne = hnsw_search_exact(h, queries + i * dim, 10, e);
		assert_int_equal(na, ne);
		for (j = 0; j < ne; j++) {
			for (k = 0; k < na; k++) {
				if (a[k].id == e[j].id) {
					found++;
					break;
				}
			}
		}
		total += ne;
	}
	return (double)found / (double)total;
}

#endif
