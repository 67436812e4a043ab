/*
 * bench_toml.c — parse one TOML file many times with Oxios's parser and
 * print the time per parse and the throughput.  Asserts nothing about time.
 * usage: bench_toml FILE [ITERATIONS]
 */
#include <stdio.h>
#include <stdlib.h>

#include "util/file.h"
#include "util/time.h"
#include "util/toml.h"

int
main(int argc, char **argv)
{
	struct toml_error err;
	json_t *root;
	char *text, *cause = NULL;
	size_t len;
	uint64_t t0, best = UINT64_MAX, t;
	int i, n;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_toml FILE [ITERATIONS]\n");
		return 2;
	}
	n = argc > 2 ? atoi(argv[2]) : 20;
	if (file_read(argv[1], TOML_MAX_INPUT, &text, &len, &cause) != 0) {
		fprintf(stderr, "bench_toml: %s\n", cause);
		return 1;
	}
	for (i = 0; i < n; i++) {
		t0 = time_mono_ns();
		if (toml_parse(text, len, 0, &root, NULL, &err) != 0) {
			fprintf(stderr, "bench_toml: %d:%d: %s\n", err.line,
			    err.col, err.msg);
			return 1;
		}
		t = time_mono_ns() - t0; /* parsing only, as bench_cpptoml */
		json_decref(root);
		if (t < best)
			best = t;
	}
	printf("oxios toml_parse: %zu bytes, best of %d: %.3f ms, %.1f MB/s\n",
	    len, n, (double)best / 1e6,
	    (double)len / ((double)best / 1e9) / 1e6);
	free(text);
	return 0;
}
