/*
 * hnsw_bench.c — build an HNSW index over N random vectors (uniform in
 * [-1, 1]^D, fixed seed), then measure recall@10 against brute force and
 * queries/s for several ef_search.  Usage:
 *
 *	hnsw_bench N D M efC [datafile]
 *
 * Q (environment, default 1000) is the number of queries; DIST=clustered
 * (CLUSTERS, default 100) draws gaussian blobs instead of uniform data.  With a
 * datafile, the vectors, queries and exact top-10 are written there for
 * hnswlib_bench.cpp, so both sides see the same data and the same truth.
 * EFS="16,32,64,128,256" (environment; those by default) lists the ef.
 * Then the index tunes itself (hnsw_tune(): recall@10 >= TARGET, default
 * 0.95, on 200 of its own vectors held out) and the ef it picks, the
 * default ef_search (auto), is measured last, on the same fresh queries
 * as the others; TUNE=0 leaves that out.
 * Output lines: "build ...", "exact ...", "tune ..." and
 * "ef <ef> recall@10 <r> qps <q>" (the tuned one ends in " auto").
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memory/hnsw.h"
#include "util/xalloc.h"

#define BENCH_K 10
#define BENCH_MAX_EF 16
#define BENCH_SEED 0x5eed5eed12345678ULL
/* Each ef runs the query set until at least this long, for stable q/s. */
#define BENCH_MIN_SECONDS 1.0

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64, so hnswlib_bench.cpp could regenerate the same data. */
static uint64_t
bench_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
bench_uniform(uint64_t *s)
{
	return (double)(bench_rand(s) >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

/* Standard normal (Box-Muller). */
static double
bench_gauss(uint64_t *s)
{
	double u = (bench_uniform(s) + 1.0) / 2.0, v = bench_uniform(s);

	return sqrt(-2.0 * log(1.0 - u)) * cos(M_PI * v);
}

static void
bench_fill(float *v, size_t n, uint64_t *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = (float)bench_uniform(s);
}

/*
 * DIST=clustered: gaussian blobs (sigma 0.3 per coordinate) around
 * CLUSTERS uniform centres, for data with structure, as embeddings have;
 * uniform data in high dimension has almost none, and every graph index
 * does poorly on it.  The data and the queries are drawn from the same
 * centres c[].
 */
static void
bench_fill_clustered(float *v, size_t n, size_t d, const float *c, size_t nc,
    uint64_t *s)
{
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		k = bench_rand(s) % nc;
		for (j = 0; j < d; j++)
			v[i * d + j] =
			    c[k * d + j] + (float)(0.3 * bench_gauss(s));
	}
}

/* EFS="16,32,..." (environment) replaces the ef list; returns its length. */
static unsigned
bench_efs(int *efs, unsigned n)
{
	const char *s = getenv("EFS");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return n;
	for (n = 0; n < BENCH_MAX_EF && *s != '\0'; s = end) {
		v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > 1000000)
			break;
		efs[n++] = (int)v;
		while (*end == ',' || *end == ' ')
			end++;
	}
	return n;
}

static int
bench_write(const char *path, uint32_t n, uint32_t d, uint32_t q,
    const float *base, const float *queries, const int64_t *truth)
{
	uint32_t hdr[4] = { n, d, q, BENCH_K };
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		return -1;
	}
	if (fwrite(hdr, sizeof hdr, 1, f) != 1 ||
	    fwrite(base, sizeof *base * d, n, f) != n ||
	    fwrite(queries, sizeof *queries * d, q, f) != q ||
	    fwrite(truth, sizeof *truth * BENCH_K, q, f) != q)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == -1)
		perror(path);
	return rc;
}

int
main(int argc, char **argv)
{
	int efs[BENCH_MAX_EF] = { 16, 32, 64, 128, 256 };
	struct hnsw_params p;
	struct hnsw_hit hits[BENCH_K];
	struct hnsw_tuning tn;
	struct hnsw *h;
	float *base, *queries, *centres;
	int64_t *truth;
	char *cause = NULL;
	const char *qenv, *dist, *cenv, *tenv;
	uint64_t rng = BENCH_SEED;
	size_t n, d, q, i, j, t, found, done, nc;
	double t0, el, target;
	unsigned e, nef = 5;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: hnsw_bench N D M efC [datafile]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	d = strtoul(argv[2], NULL, 10);
	qenv = getenv("Q");
	q = qenv != NULL ? strtoul(qenv, NULL, 10) : 1000;
	p.dim = (int)d;
	p.m = atoi(argv[3]);
	p.ef_construction = atoi(argv[4]);
	p.ef_search = 0; /* auto: measured last, once tuned */
	p.seed = 0;
	if (n == 0 || q == 0 || (h = hnsw_new(&p, &cause)) == NULL) {
		fprintf(stderr, "hnsw_bench: %s\n",
		    cause != NULL ? cause : "N and Q must be > 0");
		return 1;
	}
	base = xreallocarray(NULL, n, d * sizeof *base);
	queries = xreallocarray(NULL, q, d * sizeof *queries);
	truth = xreallocarray(NULL, q, BENCH_K * sizeof *truth);
	dist = getenv("DIST");
	if (dist != NULL && strcmp(dist, "clustered") == 0) {
		cenv = getenv("CLUSTERS");
		nc = cenv != NULL ? strtoul(cenv, NULL, 10) : 100;
		if (nc == 0)
			nc = 1;
		centres = xreallocarray(NULL, nc, d * sizeof *centres);
		bench_fill(centres, nc * d, &rng);
		bench_fill_clustered(base, n, d, centres, nc, &rng);
		bench_fill_clustered(queries, q, d, centres, nc, &rng);
		free(centres);
	} else {
		bench_fill(base, n * d, &rng);
		bench_fill(queries, q * d, &rng);
	}

	t0 = bench_now();
	for (i = 0; i < n; i++) {
		if (hnsw_add(h, (int64_t)i, base + i * d, &cause) == -1) {
			fprintf(stderr, "hnsw_bench: %s\n", cause);
			return 1;
		}
	}
	el = bench_now() - t0;
	printf("build %zu x %zu M=%d efC=%d: %.2f s, %.0f vectors/s\n", n, d,
	    p.m, p.ef_construction, el, (double)n / el);

	t0 = bench_now();
	for (i = 0; i < q; i++) {
		memset(truth + i * BENCH_K, 0xff, BENCH_K * sizeof *truth);
		t = hnsw_search_exact(h, queries + i * d, BENCH_K, hits);
		for (j = 0; j < t; j++)
			truth[i * BENCH_K + j] = hits[j].id;
	}
	el = bench_now() - t0;
	printf("exact top-%d of %zu queries: %.2f s, qps %.0f\n", BENCH_K, q,
	    el, (double)q / el);
	if (argc == 6 &&
	    bench_write(argv[5], (uint32_t)n, (uint32_t)d, (uint32_t)q, base,
		queries, truth) == -1)
		return 1;

	nef = bench_efs(efs, nef);
	tenv = getenv("TUNE");
	if (tenv == NULL || strcmp(tenv, "0") != 0) {
		tenv = getenv("TARGET");
		target = tenv != NULL ? strtod(tenv, NULL) : 0.95;
		t0 = bench_now();
		hnsw_tune(h, BENCH_K, target, HNSW_TUNE_SAMPLES, &tn);
		printf("tune ef %d recall@10 %.4f target %.3f samples %zu "
		       "%s: %.2f s\n",
		    tn.ef, tn.recall, tn.target, tn.samples,
		    tn.reached ? "reached" : "NOT reached", bench_now() - t0);
		if (nef < BENCH_MAX_EF)
			efs[nef++] = 0; /* 0: the index's own, the tuned one */
	}
	for (e = 0; e < nef; e++) {
		found = 0;
		for (i = 0; i < q; i++) {
			t = hnsw_search(h, queries + i * d, BENCH_K, efs[e],
			    hits);
			for (j = 0; j < t; j++) {
				size_t k;

				for (k = 0; k < BENCH_K; k++) {
					if (truth[i * BENCH_K + k] ==
					    hits[j].id) {
						found++;
						break;
					}
				}
			}
		}
		/* Timed separately: passes over the same queries. */
		done = 0;
		t0 = bench_now();
		do {
			for (i = 0; i < q; i++)
				hnsw_search(h, queries + i * d, BENCH_K, efs[e],
				    hits);
			done += q;
			el = bench_now() - t0;
		} while (el < BENCH_MIN_SECONDS);
		printf("ef %d recall@10 %.4f qps %.0f%s\n",
		    efs[e] > 0 ? efs[e] : hnsw_ef(h),
		    (double)found / (double)(q * BENCH_K), (double)done / el,
		    efs[e] > 0 ? "" : " auto");
	}
	hnsw_free(h);
	free(base);
	free(queries);
	free(truth);
	return 0;
}
