// hnswlib_bench.cpp — the same measurement as hnsw_bench.c, with hnswlib
// (header-only, Debian libhnswlib-dev), on the data file hnsw_bench wrote:
// the same vectors, queries and exact top-10.  Vectors are normalised and
// searched with InnerProductSpace, which is cosine; normalising is inside
// the timed loops, as it is inside hnsw_add()/hnsw_search().
//
//	hnswlib_bench datafile M efC
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <hnswlib/hnswlib.h>

static double
now()
{
	return std::chrono::duration<double>(
	    std::chrono::steady_clock::now().time_since_epoch())
	    .count();
}

static void
normalise(const float *in, float *out, size_t d)
{
	double ss = 0;

	for (size_t i = 0; i < d; i++)
		ss += (double)in[i] * in[i];
	double inv = 1.0 / std::sqrt(ss);
	for (size_t i = 0; i < d; i++)
		out[i] = (float)(in[i] * inv);
}

int
main(int argc, char **argv)
{
	std::vector<int> efs = { 16, 32, 64, 128, 256 };
	uint32_t hdr[4];

	if (argc != 4) {
		std::fprintf(stderr, "usage: hnswlib_bench datafile M efC\n");
		return 2;
	}
	FILE *f = std::fopen(argv[1], "rb");
	if (f == nullptr || std::fread(hdr, sizeof hdr, 1, f) != 1) {
		std::perror(argv[1]);
		return 1;
	}
	size_t n = hdr[0], d = hdr[1], q = hdr[2], k = hdr[3];
	size_t m = std::strtoul(argv[2], nullptr, 10);
	size_t efc = std::strtoul(argv[3], nullptr, 10);
	std::vector<float> base(n * d), queries(q * d), tmp(d);
	std::vector<int64_t> truth(q * k);
	if (std::fread(base.data(), sizeof(float) * d, n, f) != n ||
	    std::fread(queries.data(), sizeof(float) * d, q, f) != q ||
	    std::fread(truth.data(), sizeof(int64_t) * k, q, f) != q) {
		std::fprintf(stderr, "%s: short file\n", argv[1]);
		return 1;
	}
	std::fclose(f);

	// EFS="16,32,..." replaces the ef list, as in hnsw_bench.
	if (const char *s = std::getenv("EFS")) {
		std::vector<int> v;
		char *end;
		for (; *s != '\0'; s = end) {
			long e = std::strtol(s, &end, 10);
			if (end == s || e < 1 || e > 1000000)
				break;
			v.push_back((int)e);
			while (*end == ',' || *end == ' ')
				end++;
		}
		if (!v.empty())
			efs = v;
	}

	hnswlib::InnerProductSpace space(d);
	hnswlib::HierarchicalNSW<float> index(&space, n, m, efc);
	double t0 = now();
	for (size_t i = 0; i < n; i++) {
		normalise(&base[i * d], tmp.data(), d);
		index.addPoint(tmp.data(), i);
	}
	double el = now() - t0;
	std::printf("build %zu x %zu M=%zu efC=%zu: %.2f s, %.0f vectors/s\n",
	    n, d, m, efc, el, n / el);

	for (int ef : efs) {
		index.setEf(ef);
		size_t found = 0;
		for (size_t i = 0; i < q; i++) {
			normalise(&queries[i * d], tmp.data(), d);
			auto res = index.searchKnn(tmp.data(), k);
			while (!res.empty()) {
				for (size_t j = 0; j < k; j++) {
					if (truth[i * k + j] ==
					    (int64_t)res.top().second) {
						found++;
						break;
					}
				}
				res.pop();
			}
		}
		size_t done = 0;
		t0 = now();
		do {
			for (size_t i = 0; i < q; i++) {
				normalise(&queries[i * d], tmp.data(), d);
				auto res = index.searchKnn(tmp.data(), k);
			}
			done += q;
			el = now() - t0;
		} while (el < 1.0);
		std::printf("ef %d recall@10 %.4f qps %.0f\n", ef,
		    (double)found / (double)(q * k), done / el);
	}
	return 0;
}
