/*
 * test_hnsw_tune.c — the HNSW index tuning its own ef_search: recall at
 * the default (auto) ef_search on data where a fixed ef falls short,
 * small ef on easy data, the caller's queries, ties, tiny indexes, and
 * the tuning kept in the file (and version 1 files still read).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "memory/hnsw.h"
#include "util/file.h"
#include "util/xalloc.h"
#include "tmpdir.h"
#include "vecdata.h"

#define K 10

static struct hnsw *
auto_index(int dim)
{
	struct hnsw_params p = { dim, HNSW_DEFAULT_M,
		HNSW_DEFAULT_EF_CONSTRUCTION, 0, 0 };
	char *cause = NULL;
	struct hnsw *h = hnsw_new(&p, &cause);

	assert_non_null(h);
	return h;
}

/*
 * The acceptance figure on a smaller set: uniform random 256-d vectors,
 * where the old fixed default (64) finds about 70% of the neighbours.
 * At the default ef_search (auto, tuned) fresh queries reach 95%.
 */
static void
test_tune_random_256(void **state)
{
	const size_t n = UNDER_VALGRIND() ? 1000 : 5000, nq = 300, dim = 256;
	float *v = random_vectors(n, dim, 21), *q = random_vectors(nq, dim, 22);
	struct hnsw *h = auto_index((int)dim);
	struct hnsw_tuning t;
	double fixed, tuned;

	(void)state;
	add_all(h, v, n, dim);
	assert_null(hnsw_tuning(h));
	assert_int_equal(hnsw_ef(h), HNSW_DEFAULT_EF_SEARCH);
	fixed = recall(h, q, nq, dim);
	hnsw_tune(h, K, 0.95, HNSW_TUNE_SAMPLES, &t);
	tuned = recall(h, q, nq, dim);
	print_message("# random %zu x %zu: recall@10 %.4f at ef 64, %.4f at "
		      "the tuned ef %d (estimated %.4f)\n",
	    n, dim, fixed, tuned, t.ef, t.recall);
	assert_true(t.reached);
	assert_true(t.recall >= 0.95);
	assert_int_equal(t.k, K);
	assert_int_equal(t.samples, HNSW_TUNE_SAMPLES);
	assert_int_equal(t.count, n);
	assert_int_equal(hnsw_ef(h), t.ef);
	assert_non_null(hnsw_tuning(h));
	assert_true(tuned >= 0.95);
	if (!UNDER_VALGRIND()) { /* 1 000 vectors are too few to be hard */
		assert_true(fixed < 0.9); /* the test is not trivial */
		assert_true(t.ef > HNSW_DEFAULT_EF_SEARCH);
	}
	/* A fixed ef_search wins over the tuned one; 0 is auto again. */
	hnsw_set_ef(h, 32);
	assert_int_equal(hnsw_ef(h), 32);
	hnsw_set_ef(h, 0);
	assert_int_equal(hnsw_ef(h), t.ef);
	hnsw_free(h);
	free(v);
	free(q);
}

/* Data with structure: a small ef does, and the tuning finds that. */
static void
test_tune_clustered(void **state)
{
	const size_t n = UNDER_VALGRIND() ? 1000 : 4000, nq = 300, dim = 64;
	float *v = clustered_vectors(n + nq, dim, 20, 23);
	struct hnsw *h = auto_index((int)dim);
	struct hnsw_tuning t;
	double r;

	(void)state;
	add_all(h, v, n, dim);
	hnsw_tune(h, K, 0.95, HNSW_TUNE_SAMPLES, &t);
	r = recall(h, v + n * dim, nq, dim);
	print_message("# clustered: tuned ef %d, recall@10 %.4f (estimated "
		      "%.4f)\n",
	    t.ef, r, t.recall);
	assert_true(t.reached);
	assert_true(t.ef <= HNSW_DEFAULT_EF_SEARCH);
	assert_true(r >= 0.95);
	/* A higher target never picks a smaller ef. */
	{
		struct hnsw_tuning t2;

		hnsw_tune(h, K, 0.995, HNSW_TUNE_SAMPLES, &t2);
		assert_true(t2.ef >= t.ef);
		assert_true(t2.recall >= 0.99 || !t2.reached);
	}
	hnsw_free(h);
	free(v);
}

/* The caller's queries come first in the sample, a step at a time. */
static void
test_tune_queries_and_steps(void **state)
{
	const size_t n = 1500, nq = 50, dim = 32;
	float *v = random_vectors(n, dim, 24), *q = random_vectors(nq, dim, 25);
	float zero[32] = { 0 };
	struct hnsw *h = auto_index((int)dim);
	struct hnsw_tuner *t;
	struct hnsw_tuning r, again;
	size_t steps = 0;

	(void)state;
	add_all(h, v, n, dim);
	t = hnsw_tuner_new(h, K, 0.9, 120, q, nq);
	while (hnsw_tuner_step(t, h, &r) == 1)
		steps++;
	hnsw_tuner_free(t);
	assert_int_equal(r.samples, 120);
	/* 120 exact searches, then at least one pass of graph searches. */
	assert_true(steps >= 120 + 1);
	assert_true(r.reached);
	assert_null(hnsw_tuning(h)); /* stepping leaves h alone */
	hnsw_set_tuning(h, &r);
	assert_int_equal(hnsw_ef(h), r.ef);
	/* The same index and queries tune the same. */
	t = hnsw_tuner_new(h, K, 0.9, 120, q, nq);
	while (hnsw_tuner_step(t, h, &again) == 1)
		;
	hnsw_tuner_free(t);
	assert_int_equal(again.ef, r.ef);
	assert_true(again.recall == r.recall);
	/* A zero query is left out, not counted. */
	t = hnsw_tuner_new(h, K, 0.9, 10, zero, 1);
	while (hnsw_tuner_step(t, h, &r) == 1)
		;
	hnsw_tuner_free(t);
	assert_int_equal(r.samples, 10);
	/* Where the graph took longer than a scan, a scan is cheaper, if
	 * the ef is auto. */
	r.exact_us = 10;
	r.graph_us = 5;
	hnsw_set_tuning(h, &r);
	assert_false(hnsw_scan_cheaper(h));
	r.graph_us = 20;
	hnsw_set_tuning(h, &r);
	assert_true(hnsw_scan_cheaper(h));
	hnsw_set_ef(h, 64);
	assert_false(hnsw_scan_cheaper(h));
	hnsw_set_ef(h, 0);
	hnsw_set_tuning(h, NULL);
	assert_false(hnsw_scan_cheaper(h));
	assert_null(hnsw_tuning(h));
	assert_int_equal(hnsw_ef(h), HNSW_DEFAULT_EF_SEARCH);
	hnsw_free(h);
	free(v);
	free(q);
}

/*
 * Ties: vectors that share a component and differ in one coordinate each
 * (notes that differ by a word) are all equally close to one another.
 * Any of them is a true neighbour, and every one stays reachable: a
 * search wide enough finds each by its own vector.
 */
static void
test_tune_ties(void **state)
{
	const size_t n = 60, dim = 128;
	float *v = xcalloc(n * dim, sizeof *v);
	struct hnsw *h = auto_index((int)dim);
	struct hnsw_hit hits[1];
	struct hnsw_tuning t;
	size_t i, j, found = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		for (j = 0; j < 8; j++)
			v[i * dim + j] = 1.0f;
		v[i * dim + 8 + i] = 1.0f;
	}
	add_all(h, v, n, dim);
	hnsw_tune(h, K, 0.95, HNSW_TUNE_SAMPLES, &t);
	print_message("# ties: tuned ef %d, recall %.4f\n", t.ef, t.recall);
	assert_true(t.reached);
	assert_true(t.recall >= 0.95);
	for (i = 0; i < n; i++) {
		if (hnsw_search(h, v + i * dim, 1, (int)n, hits) == 1 &&
		    hits[0].id == (int64_t)i)
			found++;
	}
	print_message("# ties: %zu of %zu found by their own vector\n", found,
	    n);
	assert_int_equal(found, n);
	hnsw_free(h);
	free(v);
}

/* Nothing, one and two vectors: nothing to miss, or almost. */
static void
test_tune_tiny(void **state)
{
	float a[4] = { 1, 0, 0, 0 }, b[4] = { 0, 1, 0, 0 };
	struct hnsw *h = auto_index(4);
	struct hnsw_tuning t;
	char *cause = NULL;

	(void)state;
	hnsw_tune(h, K, 0.95, 50, &t);
	assert_int_equal(t.ef, K);
	assert_int_equal(t.samples, 0);
	assert_true(t.reached);
	assert_int_equal(hnsw_add(h, 1, a, &cause), 0);
	hnsw_tune(h, K, 0.95, 50, &t);
	assert_int_equal(t.samples, 0); /* the one is the entry point */
	assert_int_equal(hnsw_add(h, 2, b, &cause), 0);
	hnsw_tune(h, K, 0.95, 50, &t);
	assert_int_equal(t.samples, 1);
	assert_true(t.recall == 1.0);
	assert_int_equal(t.count, 2);
	/* Deleted ones are not sampled. */
	hnsw_delete(h, 2);
	hnsw_tune(h, K, 0.95, 50, &t);
	assert_int_equal(t.count, 1);
	hnsw_free(h);
}

/* The tuning is saved with the index; a version 1 file (no tuning)
 * still loads, untuned. */
static void
test_tune_saved(void **state)
{
	const size_t n = 300, dim = 16, off = 68, tlen = 40;
	float *v = random_vectors(n, dim, 26);
	struct hnsw *h = auto_index((int)dim), *h2;
	struct hnsw_tuning t;
	const struct hnsw_tuning *l;
	char dir[64], path[128], old[128], *cause = NULL, *data = NULL;
	unsigned char *body;
	size_t len, blen;

	(void)state;
	assert_int_equal(tmpdir_make(dir, sizeof dir, "hnswtune"), 0);
	snprintf(path, sizeof path, "%s/index.hnsw", dir);
	snprintf(old, sizeof old, "%s/v1.hnsw", dir);
	add_all(h, v, n, dim);
	hnsw_tune(h, K, 0.97, 40, &t);
	assert_int_equal(hnsw_save(h, path, 7, &cause), 0);
	h2 = hnsw_load(path, NULL, &cause);
	assert_non_null(h2);
	assert_non_null(l = hnsw_tuning(h2));
	assert_int_equal(l->ef, t.ef);
	assert_int_equal(l->k, K);
	assert_true(l->target > 0.969999 && l->target < 0.970001);
	assert_true(l->recall > t.recall - 1e-6 && l->recall < t.recall + 1e-6);
	assert_int_equal(l->samples, 40);
	assert_int_equal(l->count, n);
	assert_int_equal(l->reached, t.reached);
	assert_true(fabs(l->exact_us - t.exact_us) < 0.001);
	assert_true(fabs(l->graph_us - t.graph_us) < 0.001);
	assert_true(t.exact_us > 0 && t.graph_us > 0);
	assert_int_equal(hnsw_ef(h2), t.ef);
	hnsw_free(h2);

	/* The same file as version 1 wrote it. */
	assert_int_equal(file_read(path, 1 << 24, &data, &len, &cause), 0);
	blen = len - SUM_LEN - tlen;
	body = xmalloc(blen);
	memcpy(body, data, off);
	memcpy(body + off, data + off + tlen, blen - off);
	put32(body + 8, 1);
	write_file(old, body, blen, 1);
	h2 = hnsw_load(old, NULL, &cause);
	assert_non_null(h2);
	assert_null(hnsw_tuning(h2));
	assert_int_equal(hnsw_count(h2), n);
	hnsw_free(h2);

	free(body);
	free(data);
	hnsw_free(h);
	free(v);
	tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tune_random_256),
		cmocka_unit_test(test_tune_clustered),
		cmocka_unit_test(test_tune_queries_and_steps),
		cmocka_unit_test(test_tune_ties),
		cmocka_unit_test(test_tune_tiny),
		cmocka_unit_test(test_tune_saved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
