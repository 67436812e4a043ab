/*
 * regex_bench.c — the grep tool's matcher (util/regex.h) against glibc's
 * regexec(), line by line as grep searches, over a generated text of
 * source-like lines; then the patterns that make a backtracking matcher
 * explode.  Prints figures, asserts nothing (docs/benchmarks.md).
 *
 *   ninja -C build regex_bench && build/regex_bench [MiB]
 *
 * glibc runs in the C locale (the worker's, which never calls
 * setlocale()), with REG_EXTENDED | REG_NEWLINE | REG_NOSUB as the tool
 * did.  Each figure is the best of 3 runs; glibc's run in a child
 * process, killed (and reported so) once it passes the cap (10 s).
 */
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/regex.h"

#define CAP_SECS 10

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A text of n bytes of source-like lines ('\n' between them). */
static char *
make_text(size_t n)
{
	static const char *words[] = { "int", "return", "static", "void",
		"foo_bar", "buf_len", "if", "(", ")", "{", "}", ";", "=", "0",
		"42", "x", "error", "count", "printf(\"%d\\n\",", "#include",
		"<stdio.h>", "TODO:", "struct", "char", "*p", "->", "size_t",
		"while", "node_12", "Hello", "caf\xc3\xa9", "//", "ok" };
	char *t = malloc(n + 1);
	uint64_t x = 88172645463325252ull;
	size_t i = 0, w, col = 0;

	if (t == NULL)
		abort();
	while (i < n) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (col > 20 && x % 7 == 0) {
			t[i++] = '\n';
			col = 0;
			continue;
		}
		w = x % (sizeof words / sizeof words[0]);
		if (col == 0 && x % 3 == 0)
			for (; col < 8 && i < n; col++)
				t[i++] = ' ';
		for (const char *p = words[w]; *p != '\0' && i < n; p++) {
			t[i++] = *p;
			col++;
		}
		if (i < n) {
			t[i++] = ' ';
			col++;
		}
	}
	t[n] = '\0';
	return t;
}

/* Matching lines of text (its '\n's become NULs) by ours; seconds. */
static double
run_ours(struct regex *re, char *text, size_t n, long *lines)
{
	char *line = text, *end = text + n, *nl;
	double t0 = now();

	*lines = 0;
	while (line < end) {
		nl = memchr(line, '\0', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		*lines += regex_match(re, line, (size_t)(nl - line), NULL) == 1;
		line = nl + 1;
	}
	return now() - t0;
}

static double
run_glibc(regex_t *re, char *text, size_t n, long *lines)
{
	char *line = text, *end = text + n;
	double t0 = now();

	*lines = 0;
	while (line < end) {
		*lines += regexec(re, line, 0, NULL, 0) == 0;
		line += strlen(line) + 1;
	}
	return now() - t0;
}

/* Time glibc in a child killed at CAP_SECS; seconds, or -1 if killed. */
static double
run_glibc_capped(const char *pat, int icase, char *text, size_t n, long *lines)
{
	int fd[2], st, k;
	double secs = -1, t;
	regex_t re;
	pid_t pid;
	struct {
		double secs;
		long lines;
	} r;

	if (pipe(fd) == -1 || (pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(fd[0]);
		alarm(CAP_SECS);
		if (regcomp(&re, pat,
			REG_EXTENDED | REG_NEWLINE | REG_NOSUB |
			    (icase ? REG_ICASE : 0)) != 0)
			_exit(2);
		r.secs = -1;
		for (k = 0; k < 3; k++) { /* best of 3 */
			t = run_glibc(&re, text, n, &r.lines);
			if (r.secs < 0 || t < r.secs)
				r.secs = t;
		}
		if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &r, sizeof r) == (ssize_t)sizeof r) {
		secs = r.secs;
		*lines = r.lines;
	}
	close(fd[0]);
	waitpid(pid, &st, 0);
	return secs;
}

/* A pattern in a Markdown table cell: `...`, its '|' escaped. */
static void
print_pat(const char *pat, int icase)
{
	printf("| `");
	for (; *pat != '\0'; pat++)
		printf(*pat == '|' ? "\\|" : "%c", *pat);
	printf("`%s |", icase ? " (icase)" : "");
}

static void
bench(const char *pat, int icase, const char *what, char *text, size_t n)
{
	struct regex *re;
	char *cause = NULL, g[64];
	long ours_lines = 0, glibc_lines = 0;
	double ours = -1, glibc, mb = (double)n / 1e6;
	int k;

	if (regex_compile(pat, icase ? REGEX_ICASE : 0, &re, &cause) == -1) {
		print_pat(pat, icase);
		printf(" %s | refused: %s |", what, cause);
		free(cause);
	} else {
		for (k = 0; k < 3; k++) { /* best of 3 */
			double t = run_ours(re, text, n, &ours_lines);
			if (ours < 0 || t < ours)
				ours = t;
		}
		print_pat(pat, icase);
		printf(" %s | %.1f MB/s (%.3f ms, %ld lines) |", what,
		    mb / ours, ours * 1e3, ours_lines);
		regex_free(re);
	}
	glibc = run_glibc_capped(pat, icase, text, n, &glibc_lines);
	if (glibc < 0)
		snprintf(g, sizeof g, "killed at %d s", CAP_SECS);
	else
		snprintf(g, sizeof g, "%.1f MB/s (%.3f ms, %ld lines)",
		    mb / glibc, glibc * 1e3, glibc_lines);
	printf(" %s |\n", g);
	fflush(stdout);
}

/* The text with its '\n's made NULs, as both matchers are fed. */
static void
nul_lines(char *text, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (text[i] == '\n')
			text[i] = '\0';
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *pat;
		int icase;
	} ordinary[] = {
		{ "TODO", 0 },
		{ "foo_bar|node_12", 0 },
		{ "^[[:space:]]*#include", 0 },
		{ "[a-z]+_[0-9]+", 0 },
		{ "error.*count", 0 },
		{ "hello", 1 },
		{ "\\<(while|return)\\>", 0 },
	};
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 16, n, i;
	char *text, *aa;

	n = mib << 20;
	text = make_text(n);
	nul_lines(text, n);
	printf("%zu MiB of source-like lines, matched line by line\n\n", mib);
	printf("| Pattern | Text | Oxios `regex_match()` | glibc `regexec()` "
	       "|\n|---|---|---|---|\n");
	for (i = 0; i < sizeof ordinary / sizeof ordinary[0]; i++)
		bench(ordinary[i].pat, ordinary[i].icase, "source", text, n);

	/* Issue 13: 50 lines of 40 a's. */
	n = 50 * 41;
	aa = malloc(n + 1);
	for (i = 0; i < n; i++)
		aa[i] = i % 41 == 40 ? '\0' : 'a';
	aa[n] = '\0';
	bench("(.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1x", 0, "50 x 40 a", aa, n);
	bench("(.*)(.*)(.*)(.*)(.*)x", 0, "50 x 40 a", aa, n);
	bench("^(a|aa)+$", 0, "50 x 40 a", aa, n);
	bench("(a*)*b", 0, "50 x 40 a", aa, n);
	free(aa);

	/* One line of 20000 a's. */
	n = 20000;
	aa = malloc(n + 1);
	memset(aa, 'a', n);
	aa[n] = '\0';
	bench("(.*)(.*)(.*)(.*)(.*)x", 0, "20000 a", aa, n);
	bench("(a|aa)+$", 0, "20000 a", aa, n);
	bench("(x+x+)+y|a{50}b", 0, "20000 a", aa, n);
	free(aa);
	free(text);
	return 0;
}
