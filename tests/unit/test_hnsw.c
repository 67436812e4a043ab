/* test_hnsw.c — HNSW index: recall, deletes, save/load, hostile files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "memory/hnsw.h"
#include "util/file.h"
#include "util/xalloc.h"
#include "memory/hnsw_int.h"
#include "tmpdir.h"
#include "vecdata.h"

/* Offsets in the file format (see hnsw.c). */
#define OFF_VERSION 8
#define OFF_DIM 12
#define OFF_COUNT 44
#define OFF_ENTRY 52
#define OFF_TUNING 68 /* version 2 on */
#define OFF_NODES 108

static void
test_hnsw_params(void **state)
{
	static const struct hnsw_params bad[] = {
		{ 0, 16, 200, 64, 0 },
		{ 65537, 16, 200, 64, 0 },
		{ 8, 1, 200, 64, 0 },
		{ 8, 129, 200, 64, 0 },
		{ 8, 16, 7, 64, 0 },
		{ 8, 64, 32, 64, 0 }, /* ef_construction < m */
		{ 8, 16, 4097, 64, 0 },
		{ 8, 16, 200, -1, 0 },
		{ 8, 16, 200, 4097, 0 },
	};
	struct hnsw_params ok = { 65536, 128, 4096, 4096, 7 };
	struct hnsw *h;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		assert_null(hnsw_new(&bad[i], &cause));
		assert_non_null(cause);
		free(cause);
	}
	cause = NULL;
	h = hnsw_new(&ok, &cause);
	assert_non_null(h);
	assert_int_equal(hnsw_params(h)->dim, 65536);
	assert_int_equal(hnsw_params(h)->m, 128);
	assert_int_equal(hnsw_params(h)->ef_search, 4096);
	hnsw_set_ef(h, 32);
	assert_int_equal(hnsw_params(h)->ef_search, 32);
	hnsw_set_ef(h, 5000);
	assert_int_equal(hnsw_params(h)->ef_search, 4096);
	hnsw_set_ef(h, -3); /* 0: auto */
	assert_int_equal(hnsw_params(h)->ef_search, 0);
	assert_int_equal(hnsw_ef(h), HNSW_DEFAULT_EF_SEARCH);
	hnsw_free(h);
	hnsw_free(NULL);
}

static void
test_hnsw_bad_vectors(void **state)
{
	float v[4] = { 1, 0, 0, 0 }, zero[4] = { 0 },
	      nan_[4] = { 1, NAN, 0, 0 };
	float inf[4] = { 0, 0, INFINITY, 1 };
	struct hnsw_hit hits[4];
	struct hnsw *h = new_index(4);
	char *cause = NULL;

	(void)state;
	assert_int_equal(hnsw_add(h, 1, zero, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(hnsw_add(h, 1, nan_, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(hnsw_add(h, 1, inf, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(hnsw_count(h), 0);
	assert_int_equal(hnsw_search(h, v, 4, 0, hits), 0); /* empty */

	assert_int_equal(hnsw_add(h, 1, v, &cause), 0);
	/* A refused replacement leaves the old vector alone. */
	assert_int_equal(hnsw_add(h, 1, zero, &cause), -1);
	free(cause);
	assert_true(hnsw_contains(h, 1));
	assert_int_equal(hnsw_count(h), 1);
	assert_int_equal(hnsw_deleted(h), 0);
	assert_int_equal(hnsw_search(h, zero, 4, 0, hits), 0);
	assert_int_equal(hnsw_search(h, nan_, 4, 0, hits), 0);
	assert_int_equal(hnsw_search_exact(h, inf, 4, hits), 0);
	assert_int_equal(hnsw_search(h, v, 0, 0, hits), 0);
	assert_int_equal(hnsw_search(h, v, 4, 0, hits), 1);
	assert_int_equal(hits[0].id, 1);
	hnsw_free(h);
}

static void
test_hnsw_self_hit(void **state)
{
	const size_t n = 500, dim = 16;
	float *v = random_vectors(n, dim, 1), scaled[16];
	struct hnsw_hit hits[5];
	struct hnsw *h = new_index((int)dim);
	size_t i, j;

	(void)state;
	add_all(h, v, n, dim);
	assert_int_equal(hnsw_count(h), n);
	for (i = 0; i < n; i++) {
		/* Cosine: a scaled copy is the same point. */
		for (j = 0; j < dim; j++)
			scaled[j] = v[i * dim + j] * 3.5f;
		assert_int_equal(hnsw_search(h, scaled, 5, 0, hits), 5);
		assert_int_equal(hits[0].id, (int64_t)i);
		assert_true(hits[0].score > 0.9999f && hits[0].score <= 1.0f);
		for (j = 1; j < 5; j++)
			assert_true(hits[j].score <= hits[j - 1].score);
	}
	hnsw_free(h);
	free(v);
}

static void
test_hnsw_recall_random(void **state)
{
	const size_t n = UNDER_VALGRIND() ? 2000 : 5000, nq = 200, dim = 64;
	float *v = random_vectors(n, dim, 2), *q = random_vectors(nq, dim, 3);
	struct hnsw *h = new_index((int)dim);
	double r;

	(void)state;
	add_all(h, v, n, dim);
	r = recall(h, q, nq, dim);
	print_message("# recall@10 random %zu x %zu: %.4f\n", n, dim, r);
	assert_true(r >= 0.95);
	hnsw_free(h);
	free(v);
	free(q);
}

static void
test_hnsw_recall_clustered(void **state)
{
	const size_t n = UNDER_VALGRIND() ? 2000 : 5000, nq = 200, dim = 64;
	float *v = clustered_vectors(n + nq, dim, 20, 4);
	struct hnsw *h = new_index((int)dim);
	double r;

	(void)state;
	add_all(h, v, n, dim);
	r = recall(h, v + n * dim, nq, dim);
	print_message("# recall@10 clustered %zu x %zu: %.4f\n", n, dim, r);
	assert_true(r >= 0.95);
	hnsw_free(h);
	free(v);
}

static void
test_hnsw_delete(void **state)
{
	const size_t n = 1000, dim = 16;
	float *v = random_vectors(n, dim, 5), other[16];
	struct hnsw_hit hits[10];
	struct hnsw *h = new_index((int)dim);
	char *cause = NULL;
	size_t i, j, got;

	(void)state;
	add_all(h, v, n, dim);
	for (i = 0; i < n; i += 3)
		assert_int_equal(hnsw_delete(h, (int64_t)i), 1);
	assert_int_equal(hnsw_delete(h, 0), 0);
	assert_int_equal(hnsw_delete(h, 123456), 0);
	assert_false(hnsw_contains(h, 0));
	assert_true(hnsw_contains(h, 1));
	assert_int_equal(hnsw_count(h), n - 334);
	assert_int_equal(hnsw_deleted(h), 334);
	for (i = 0; i < n; i++) {
		/* Even the deleted vectors' own neighbourhoods yield k. */
		got = hnsw_search(h, v + i * dim, 10, 0, hits);
		assert_int_equal(got, 10);
		for (j = 0; j < got; j++)
			assert_true(hits[j].id % 3 != 0);
		if (i % 3 != 0)
			assert_int_equal(hits[0].id, (int64_t)i);
	}

	/* Re-adding a deleted id. */
	assert_int_equal(hnsw_add(h, 3, v + 3 * dim, &cause), 0);
	assert_true(hnsw_contains(h, 3));
	assert_int_equal(hnsw_count(h), n - 333);
	assert_int_equal(hnsw_search(h, v + 3 * dim, 1, 0, hits), 1);
	assert_int_equal(hits[0].id, 3);

	/* Replacing: the old vector goes, the new one answers to the id. */
	for (j = 0; j < dim; j++)
		other[j] = -v[4 * dim + j];
	assert_int_equal(hnsw_add(h, 4, other, &cause), 0);
	assert_null(cause);
	assert_int_equal(hnsw_count(h), n - 333);
	assert_int_equal(hnsw_deleted(h), 335);
	assert_int_equal(hnsw_search(h, other, 1, 0, hits), 1);
	assert_int_equal(hits[0].id, 4);
	assert_true(hits[0].score > 0.9999f);
	got = hnsw_search_exact(h, v + 4 * dim, 10, hits);
	for (j = 0; j < got; j++)
		assert_true(hits[j].id != 4);

	/* Delete everything but a few: the tombstones (entry point among
	 * them) still route to the survivors. */
	for (i = 0; i < n; i++) {
		if (i != 500 && i != 700 && i != 901)
			hnsw_delete(h, (int64_t)i);
	}
	assert_int_equal(hnsw_count(h), 3);
	got = hnsw_search(h, v + 700 * dim, 10, 0, hits);
	assert_int_equal(got, 3);
	assert_int_equal(hits[0].id, 700);
	hnsw_delete(h, 500);
	hnsw_delete(h, 700);
	hnsw_delete(h, 901);
	assert_int_equal(hnsw_count(h), 0);
	assert_int_equal(hnsw_search(h, v, 10, 0, hits), 0);
	assert_int_equal(hnsw_search_exact(h, v, 10, hits), 0);
	hnsw_free(h);
	free(v);
}

static void
test_hnsw_k_larger(void **state)
{
	const size_t dim = 8;
	float *v = random_vectors(5, dim, 6);
	struct hnsw_hit hits[50];
	struct hnsw *h = new_index((int)dim);

	(void)state;
	add_all(h, v, 5, dim);
	assert_int_equal(hnsw_search(h, v, 50, 0, hits), 5);
	assert_int_equal(hnsw_search(h, v, 50, 1, hits), 5);
	assert_int_equal(hnsw_search(h, v, 50, 100000, hits), 5);
	assert_int_equal(hnsw_search_exact(h, v, 50, hits), 5);
	hnsw_delete(h, 2);
	assert_int_equal(hnsw_search(h, v, 50, 0, hits), 4);
	assert_int_equal(hnsw_search_exact(h, v, 50, hits), 4);
	hnsw_free(h);
	free(v);
}

static void
assert_same_results(const struct hnsw *a, const struct hnsw *b, const float *q,
    size_t nq, size_t dim)
{
	struct hnsw_hit x[10], y[10];
	size_t i, j, nx;

	for (i = 0; i < nq; i++) {
		nx = hnsw_search(a, q + i * dim, 10, 0, x);
		assert_int_equal(hnsw_search(b, q + i * dim, 10, 0, y), nx);
		for (j = 0; j < nx; j++) {
			assert_int_equal(x[j].id, y[j].id);
			assert_true(x[j].score == y[j].score);
		}
	}
}

static void
test_hnsw_save_load(void **state)
{
	const size_t n = 1000, dim = 24;
	float *v = random_vectors(n + 50, dim, 7);
	struct hnsw *h = new_index((int)dim), *g, *e;
	char dir[64], path[128], *cause = NULL;
	uint64_t stamp = 0;
	size_t i;

	(void)state;
	assert_int_equal(tmpdir_make(dir, sizeof dir, "hnsw"), 0);
	snprintf(path, sizeof path, "%s/index.hnsw", dir);

	/* Empty index. */
	assert_int_equal(hnsw_save(h, path, 7, &cause), 0);
	assert_null(cause);
	e = hnsw_load(path, &stamp, &cause);
	assert_non_null(e);
	assert_int_equal(stamp, 7);
	assert_int_equal(hnsw_count(e), 0);
	assert_int_equal(hnsw_params(e)->dim, (int)dim);
	hnsw_free(e);

	add_all(h, v, n, dim);
	for (i = 0; i < n; i += 7)
		hnsw_delete(h, (int64_t)i);
	hnsw_set_ef(h, 80);
	assert_int_equal(hnsw_save(h, path, 0x0123456789abcdefULL, &cause), 0);
	g = hnsw_load(path, &stamp, &cause);
	assert_non_null(g);
	assert_null(cause);
	assert_int_equal(stamp, 0x0123456789abcdefULL);
	assert_int_equal(hnsw_count(g), hnsw_count(h));
	assert_int_equal(hnsw_deleted(g), hnsw_deleted(h));
	assert_memory_equal(hnsw_params(g), hnsw_params(h),
	    sizeof(struct hnsw_params));
	assert_false(hnsw_contains(g, 0));
	assert_true(hnsw_contains(g, 1));
	assert_same_results(h, g, v, n + 50, dim);

	/* The level generator's state travels too: the same additions
	 * build the same graph on both sides. */
	for (i = n; i < n + 50; i++) {
		assert_int_equal(hnsw_add(h, (int64_t)i, v + i * dim, &cause),
		    0);
		assert_int_equal(hnsw_add(g, (int64_t)i, v + i * dim, &cause),
		    0);
	}
	assert_same_results(h, g, v, n + 50, dim);
	assert_null(hnsw_load("/nonexistent/index.hnsw", NULL, &cause));
	assert_non_null(cause);
	free(cause);
	hnsw_free(g);
	hnsw_free(h);
	free(v);
	tmpdir_remove(dir);
}

/* Loading `path` must fail with a reason. */
static void
assert_load_fails(const char *path)
{
	struct hnsw *h;
	char *cause = NULL;

	h = hnsw_load(path, NULL, &cause);
	assert_null(h);
	assert_non_null(cause);
	assert_true(cause[0] != '\0');
	free(cause);
}

static void
test_hnsw_load_corrupt(void **state)
{
	const size_t n = 200, dim = 8;
	static const size_t cuts[] = { 0, 7, 8, 40, OFF_NODES - 1, OFF_NODES,
		OFF_NODES + 9, 500 };
	float *v = random_vectors(n, dim, 8);
	struct hnsw *h = new_index((int)dim), *h2;
	char dir[64], path[128], bad[128], *cause = NULL, *data;
	unsigned char *body;
	size_t len, blen, i;

	(void)state;
	assert_int_equal(tmpdir_make(dir, sizeof dir, "hnsw"), 0);
	snprintf(path, sizeof path, "%s/index.hnsw", dir);
	snprintf(bad, sizeof bad, "%s/bad.hnsw", dir);
	add_all(h, v, n, dim);
	assert_int_equal(hnsw_save(h, path, 1, &cause), 0);
	assert_int_equal(file_read(path, 1 << 24, &data, &len, &cause), 0);
	blen = len - SUM_LEN;
	body = xmalloc(blen);

	/* Truncated, as is and with a checksum that matches the rest. */
	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		write_file(bad, (unsigned char *)data, cuts[i], 0);
		assert_load_fails(bad);
		write_file(bad, (unsigned char *)data, cuts[i], 1);
		assert_load_fails(bad);
	}
	write_file(bad, (unsigned char *)data, len - 1, 0);
	assert_load_fails(bad);
	data[len - 1] ^= 1;
	write_file(bad, (unsigned char *)data, len, 0);
	data[len - 1] ^= 1;
	assert_load_fails(bad);
	write_file(bad, (unsigned char *)data, blen - 1, 1);
	assert_load_fails(bad);

	/* A flipped byte anywhere: the checksum. */
	for (i = 0; i < len; i += len / 13) {
		data[i] ^= 0x20;
		write_file(bad, (unsigned char *)data, len, 0);
		data[i] ^= 0x20;
		assert_load_fails(bad);
	}

	/* Control: the body with a checksum made here loads, so what
	 * fails below fails in the parser, not on the checksum. */
	write_file(bad, (unsigned char *)data, blen, 1);
	h2 = hnsw_load(bad, NULL, &cause);
	assert_non_null(h2);
	hnsw_free(h2);

	/* Damage behind a valid checksum: the parser must catch it. */
#define CORRUPT(stmt) \
	do { \
		memcpy(body, data, blen); \
		stmt; \
		write_file(bad, body, blen, 1); \
		assert_load_fails(bad); \
	} while (0)
	CORRUPT(memcpy(body, "OXHNSW2", 8));
	CORRUPT(put32(body + OFF_VERSION, 3));
	CORRUPT(put32(body + OFF_TUNING, 4097)); /* ef */
	CORRUPT((put32(body + OFF_TUNING, 64),
	    put32(body + OFF_TUNING + 4, 0)));          /* an ef with no k */
	CORRUPT(put32(body + OFF_TUNING + 8, 1000001)); /* target */
	CORRUPT(put32(body + OFF_TUNING + 20, 2));      /* reached */
	CORRUPT(put32(body + OFF_DIM, 0));
	CORRUPT(put32(body + OFF_DIM, 9));
	CORRUPT(put32(body + OFF_DIM, 0xffffffffu));
	CORRUPT(put32(body + OFF_COUNT, 0xffffffffu));
	CORRUPT(put32(body + OFF_COUNT + 4, 1)); /* count >= 2^32 */
	CORRUPT(put32(body + OFF_COUNT, (uint32_t)n + 1));
	CORRUPT(put32(body + OFF_COUNT, (uint32_t)n - 1));
	CORRUPT(put32(body + OFF_ENTRY, (uint32_t)n));
	CORRUPT(put32(body + OFF_ENTRY + 4, 17));           /* max level */
	CORRUPT(body[OFF_NODES + 8] = 2);                   /* deleted flag */
	CORRUPT(body[OFF_NODES + 9] = 200);                 /* level */
	CORRUPT(put32(body + OFF_NODES + 10, 0x7fc00000u)); /* NaN */
	CORRUPT(put32(body + OFF_NODES + 10, 0x40000000u)); /* not unit */
	/* Layer-0 count of node 0, then its first link. */
	CORRUPT(put32(body + OFF_NODES + 10 + 4 * dim, 1000));
	CORRUPT(put32(body + OFF_NODES + 10 + 4 * dim + 4, (uint32_t)n));
	CORRUPT(put32(body + OFF_NODES + 10 + 4 * dim + 4, 0)); /* self */
#undef CORRUPT
	/* Trailing bytes. */
	body = xreallocarray(body, blen + 4, 1);
	memcpy(body, data, blen);
	memset(body + blen, 0, 4);
	write_file(bad, body, blen + 4, 1);
	assert_load_fails(bad);

	/* And the original still loads. */
	hnsw_free(h);
	h = hnsw_load(path, NULL, &cause);
	assert_non_null(h);
	assert_int_equal(hnsw_count(h), n);
	hnsw_free(h);
	free(body);
	free(data);
	free(v);
	tmpdir_remove(dir);
}

static void
test_hnsw_reproducible(void **state)
{
	const size_t n = 300, dim = 12;
	float *v = random_vectors(n, dim, 9);
	struct hnsw *a = new_index((int)dim), *b = new_index((int)dim);

	(void)state;
	add_all(a, v, n, dim);
	add_all(b, v, n, dim);
	assert_same_results(a, b, v, n, dim);
	hnsw_free(a);
	hnsw_free(b);
	free(v);
}

/* Half precision: known values, every half round-trips, rounding to
 * nearest even; and the two kinds of dot product, portable and SIMD,
 * agree with a plain sum. */
static void
test_hnsw_half_and_dots(void **state)
{
	static const struct {
		float f;
		uint16_t h;
	} known[] = {
		{ 0.0f, 0x0000 },
		{ -0.0f, 0x8000 },
		{ 1.0f, 0x3c00 },
		{ -2.0f, 0xc000 },
		{ 0.5f, 0x3800 },
		{ 65504.0f, 0x7bff },
		{ 1e6f, 0x7c00 },
		{ 6.103515625e-05f, 0x0400 },
		{ 5.960464477539063e-08f, 0x0001 },
		{ 1e-9f, 0x0000 },
		{ 1.0009765625f, 0x3c01 },
		{ 1.00048828125f, 0x3c00 }, /* a tie: to even */
		{ 1.00146484375f, 0x3c02 }, /* a tie: to even, up */
		{ 0.333333333f, 0x3555 },
	};
	hnsw_dot_fn dot[2];
	hnsw_doth_fn doth[2];
	uint64_t seed = 31;
	float a[77], b[77];
	uint16_t bh[77];
	double exact;
	size_t i, v;
	uint32_t x;

	(void)state;
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		assert_int_equal(hnsw_half(known[i].f), known[i].h);
	}
	for (x = 0; x < 0x10000; x++) {
		if ((x & 0x7c00) == 0x7c00)
			continue; /* inf and nan */
		assert_int_equal(hnsw_half(hnsw_unhalf((uint16_t)x)), x);
	}
	setenv("OXIOS_HNSW_GENERIC", "1", 1);
	hnsw_dot_pick(&dot[0], &doth[0]);
	unsetenv("OXIOS_HNSW_GENERIC");
	hnsw_dot_pick(&dot[1], &doth[1]);
	for (i = 0; i < 77; i++) {
		a[i] = uniform(&seed);
		b[i] = uniform(&seed);
		bh[i] = hnsw_half(b[i]);
	}
	for (v = 0; v < 2; v++) {
		for (i = 1; i <= 77; i += 19) { /* lengths with tails */
			size_t j;

			exact = 0;
			for (j = 0; j < i; j++)
				exact += (double)a[j] * b[j];
			assert_true(fabs(dot[v](a, b, i) - exact) < 1e-4);
			exact = 0;
			for (j = 0; j < i; j++)
				exact += (double)a[j] * hnsw_unhalf(bh[j]);
			assert_true(fabs(doth[v](a, bh, i) - exact) < 1e-4);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hnsw_params),
		cmocka_unit_test(test_hnsw_bad_vectors),
		cmocka_unit_test(test_hnsw_self_hit),
		cmocka_unit_test(test_hnsw_recall_random),
		cmocka_unit_test(test_hnsw_recall_clustered),
		cmocka_unit_test(test_hnsw_delete),
		cmocka_unit_test(test_hnsw_k_larger),
		cmocka_unit_test(test_hnsw_save_load),
		cmocka_unit_test(test_hnsw_load_corrupt),
		cmocka_unit_test(test_hnsw_reproducible),
		cmocka_unit_test(test_hnsw_half_and_dots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
