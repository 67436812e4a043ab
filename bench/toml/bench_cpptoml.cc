// bench_cpptoml.cc — the same measurement with cpptoml (Debian's
// libcpptoml-dev), a C++ header-only TOML parser, as a reference.
// usage: bench_cpptoml FILE [ITERATIONS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <cpptoml.h>

int
main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: bench_cpptoml FILE [ITERATIONS]\n");
		return 2;
	}
	int n = argc > 2 ? std::atoi(argv[2]) : 20;
	std::ifstream f(argv[1], std::ios::binary);
	std::stringstream ss;
	ss << f.rdbuf();
	std::string text = ss.str();
	double best = 1e30;
	for (int i = 0; i < n; i++) {
		auto t0 = std::chrono::steady_clock::now();
		std::istringstream in(text);
		cpptoml::parser p(in);
		auto root = p.parse();
		// Timed before the tree is freed, as bench_toml.c does.
		auto t = std::chrono::duration<double>(
		    std::chrono::steady_clock::now() - t0).count();
		if (t < best)
			best = t;
	}
	std::printf("cpptoml parse:    %zu bytes, best of %d: %.3f ms, "
	    "%.1f MB/s\n", text.size(), n, best * 1e3,
	    text.size() / best / 1e6);
	return 0;
}
