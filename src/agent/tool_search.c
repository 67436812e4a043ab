/*
 * tool_search.c — the tools that walk directories: find (by glob) and
 * grep (by regular expression).
 *
 * The walk starts from a directory opened beneath the workspace
 * (tools_open) and descends with O_NOFOLLOW, so it never leaves it.  It
 * skips .git, stops at a depth of 64 and after 100000 entries.
 *
 * grep matches with util/regex.h, in time linear in the text (no
 * backtracking, so no backreferences), and within a work budget per call
 * as a second line behind the worker's CPU limit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/tools.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/regex.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define WALK_MAX_DEPTH 64
#define WALK_MAX_ENTRIES 100000
#define GREP_LINE_MAX 500 /* longest line shown */
#define GREP_MAX_CONTEXT 20

struct walk {
	/* Called for each entry; 1 stops the walk. */
	int (*fn)(struct walk *, int dirfd, const char *name, const char *rel,
	    const struct stat *st);
	const char *base; /* the start, relative to the workspace */
	long visited;
	int stopped; /* by fn, or by the entry limit (2) */
	struct buf out;
	int truncated;

	/* find */
	const char *pattern;
	long max, found;

	/* grep */
	struct regex *re;
	uint64_t budget; /* work left (regex_match()) */
	int spent;       /* the budget ran out */
	const char *include;
	long context;
	long skipped;    /* binary or too large */
	long unreadable; /* read(2) failed */
	int groups;      /* groups printed (for "--") */
};

/* Walk the directory fd (owned) whose path below the start is rel. */
static void
walk_dir(struct walk *w, int fd, const char *rel, int depth)
{
	struct stat st;
	char **names = NULL, *sub;
	size_t n = 0, i;
	DIR *d;
	int cfd;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	names = tools_dir_names(d, &n);
	for (i = 0; i < n && !w->stopped; i++) {
		if (++w->visited > WALK_MAX_ENTRIES) {
			w->stopped = 2;
			break;
		}
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (*rel == '\0')
			sub = xstrdup(names[i]);
		else
			xasprintf(&sub, "%s/%s", rel, names[i]);
		if (w->fn(w, dirfd(d), names[i], sub, &st))
			w->stopped = 1;
		if (!w->stopped && S_ISDIR(st.st_mode) &&
		    strcmp(names[i], ".git") != 0 && depth < WALK_MAX_DEPTH) {
			cfd = openat(dirfd(d), names[i],
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd != -1)
				walk_dir(w, cfd, sub, depth + 1);
		}
		free(sub);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

/* rel (below the start) as a path relative to the workspace; new. */
static char *
walk_path(struct walk *w, const char *rel)
{
	char *p;

	if (strcmp(w->base, ".") == 0)
		return xstrdup(rel);
	xasprintf(&p, "%s/%s", w->base, rel);
	return p;
}

/* Append a line to the output; 1 (stop) once it is full. */
static int walk_emit(struct walk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
walk_emit(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&w->out, fmt, ap);
	va_end(ap);
	if (rc == -1 || w->out.len >= TOOLS_MAX_OUTPUT) {
		w->truncated = 1;
		return 1;
	}
	return 0;
}

static int
find_visit(struct walk *w, int dirfd, const char *name, const char *rel,
    const struct stat *st)
{
	char *path;
	int stop;

	(void)dirfd;
	(void)name;
	if (!tools_glob(w->pattern, rel))
		return 0;
	if (w->found == w->max) {
		w->truncated = 1;
		return 1;
	}
	w->found++;
	path = walk_path(w, rel);
	stop = walk_emit(w, "%s%s\n", path, S_ISDIR(st->st_mode) ? "/" : "");
	free(path);
	return stop;
}

/* Open norm as the start of a walk: a directory fd, or -1. */
static int
walk_open(struct tool_ctx *ctx, const char *norm, struct stat *st, char **cause)
{
	int fd;

	if ((fd = tools_open(ctx, norm, O_RDONLY | O_NONBLOCK, 0, cause)) == -1)
		return -1;
	if (fstat(fd, st) == -1) {
		xasprintf(cause, "'%s': %s", norm, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The notes that end a walk's output. */
static char *
walk_finish(struct walk *w, const char *what, const char *none)
{
	if (w->found == 0 && w->out.len == 0)
		buf_printf(&w->out, "%s\n", none);
	if (w->stopped == 2) {
		buf_printf(&w->out,
		    "(stopped after looking at %d entries: narrow the path)\n",
		    WALK_MAX_ENTRIES);
		w->truncated = 1;
	} else if (w->truncated)
		buf_printf(&w->out, "(stopped after %ld %s)\n", w->found, what);
	if (w->spent) {
		buf_printf(&w->out,
		    "(stopped: the pattern needed more work than a grep call "
		    "may do: narrow the path or simplify the pattern)\n");
		w->truncated = 1;
	}
	if (w->skipped > 0)
		buf_printf(&w->out,
		    "(%ld binary or over-large files not searched)\n",
		    w->skipped);
	if (w->unreadable > 0)
		buf_printf(&w->out, "(%ld files could not be read)\n",
		    w->unreadable);
	return buf_detach(&w->out);
}

int
tool_find(struct tool_ctx *ctx, json_t *args, struct tool_result *res)
{
	char *norm = NULL, *cause = NULL;
	struct walk w;
	struct stat st;
	int fd;

	memset(&w, 0, sizeof w);
	buf_init(&w.out, BUF_NOCAP);
	if (tools_arg_str(args, "pattern", 1, NULL, &w.pattern, &cause) == -1 ||
	    tools_arg_path(args, "path", ".", &norm, &cause) == -1 ||
	    tools_arg_int(args, "max_results", 1, 5000, 200, &w.max, &cause) ==
		-1)
		goto fail;
	if (*w.pattern == '\0') {
		xasprintf(&cause, "'pattern' is empty");
		goto fail;
	}
	if ((fd = walk_open(ctx, norm, &st, &cause)) == -1)
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		xasprintf(&cause, "'%s' is not a directory", norm);
		goto fail;
	}
	w.fn = find_visit;
	w.base = norm;
	walk_dir(&w, fd, "", 0);
	res->output = walk_finish(&w, "results", "no matches");
	res->truncated = w.truncated;
	free(norm);
	return 0;
fail:
	buf_free(&w.out);
	free(norm);
	return tools_fail_take(res, cause);
}

/* Print line `no` of path (sep ':' for a match, '-' for context). */
static int
grep_line(struct walk *w, const char *path, long no, const char *line, char sep)
{
	if (strlen(line) > GREP_LINE_MAX)
		return walk_emit(w, "%s%c%ld%c%.*s [line cut]\n", path, sep, no,
		    sep, (int)utf8_cut(line, GREP_LINE_MAX), line);
	return walk_emit(w, "%s%c%ld%c%s\n", path, sep, no, sep, line);
}

/* Search the NUL-terminated data (its '\n's are overwritten). */
static int
grep_data(struct walk *w, const char *path, char *data, size_t len)
{
	struct {
		const char *s;
		long no;
	} ring[GREP_MAX_CONTEXT];
	char *line = data, *end = data + len, *nl;
	long no = 0, last = 0, after = 0, nring = 0, first, i, k;
	int m;

	while (line < end) {
		no++;
		if ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL)
			*nl = '\0';
		m = regex_match(w->re, line,
		    (size_t)((nl != NULL ? nl : end) - line), &w->budget);
		if (m == -1) {
			w->spent = 1;
			return 1;
		}
		if (m == 1) {
			if (w->found == w->max) {
				w->truncated = 1;
				return 1;
			}
			w->found++;
			/* The first line of before-context not yet shown. */
			first = no;
			k = nring < w->context ? nring : w->context;
			for (i = nring - k; i < nring; i++) {
				if (ring[i % GREP_MAX_CONTEXT].no > last) {
					first = ring[i % GREP_MAX_CONTEXT].no;
					break;
				}
			}
			if (last == 0 || first > last + 1) { /* a new group */
				if (w->context > 0 && w->groups > 0 &&
				    walk_emit(w, "--\n"))
					return 1;
				w->groups++;
			}
			for (; i < nring; i++) {
				if (grep_line(w, path,
					ring[i % GREP_MAX_CONTEXT].no,
					ring[i % GREP_MAX_CONTEXT].s, '-'))
					return 1;
			}
			if (grep_line(w, path, no, line, ':'))
				return 1;
			last = no;
			after = w->context;
		} else if (after > 0) {
			if (grep_line(w, path, no, line, '-'))
				return 1;
			last = no;
			after--;
		}
		if (w->context > 0) {
			ring[nring % GREP_MAX_CONTEXT].s = line;
			ring[nring % GREP_MAX_CONTEXT].no = no;
			nring++;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return 0;
}

/* Search one regular file, opened by name in dirfd. */
static int
grep_file(struct walk *w, int fd, const char *rel)
{
	struct stat st;
	char *data = NULL, *path, *why = NULL;
	size_t n = 0;
	int stop = 0;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		goto out;
	if (st.st_size > TOOLS_MAX_FILE) {
		w->skipped++;
		goto out;
	}
	if (file_read_fd(fd, TOOLS_MAX_FILE, &data, &n, &why) == -1) {
		if (errno == EFBIG)
			w->skipped++;
		else
			w->unreadable++;
		free(why);
		goto out;
	}
	if (memchr(data, '\0', n < 8192 ? n : 8192) != NULL) {
		w->skipped++;
		goto out;
	}
	path = walk_path(w, rel);
	stop = grep_data(w, path, data, n);
	free(path);
out:
	free(data);
	close(fd);
	return stop;
}

static int
grep_visit(struct walk *w, int dirfd, const char *name, const char *rel,
    const struct stat *st)
{
	int fd;

	if (!S_ISREG(st->st_mode))
		return 0;
	if (w->include != NULL && !tools_glob(w->include, rel))
		return 0;
	fd =
	    openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return 0;
	return grep_file(w, fd, rel);
}

/* A few seconds of CPU (regex.h: a visit costs 3 to 4 ns). */
uint64_t tool_grep_budget = 2000000000ull;

int
tool_grep(struct tool_ctx *ctx, json_t *args, struct tool_result *res)
{
	char *norm = NULL, *cause = NULL, *why = NULL;
	const char *pattern;
	struct walk w;
	struct stat st;
	int fd, icase;

	memset(&w, 0, sizeof w);
	buf_init(&w.out, BUF_NOCAP);
	if (tools_arg_str(args, "pattern", 1, NULL, &pattern, &cause) == -1 ||
	    tools_arg_path(args, "path", ".", &norm, &cause) == -1 ||
	    tools_arg_str(args, "include", 0, NULL, &w.include, &cause) == -1 ||
	    tools_arg_bool(args, "ignore_case", 0, &icase, &cause) == -1 ||
	    tools_arg_int(args, "context", 0, GREP_MAX_CONTEXT, 0, &w.context,
		&cause) == -1 ||
	    tools_arg_int(args, "max_results", 1, 2000, 100, &w.max, &cause) ==
		-1)
		goto fail;
	if (regex_compile(pattern, icase ? REGEX_ICASE : 0, &w.re, &why) ==
	    -1) {
		xasprintf(&cause, "bad regular expression '%s': %s", pattern,
		    why);
		free(why);
		goto fail;
	}
	w.budget = tool_grep_budget;
	if ((fd = walk_open(ctx, norm, &st, &cause)) == -1)
		goto fail;
	w.fn = grep_visit;
	w.base = norm;
	if (S_ISDIR(st.st_mode))
		walk_dir(&w, fd, "", 0);
	else if (S_ISREG(st.st_mode)) {
		/* A file: its own name is the whole path. */
		w.base = ".";
		grep_file(&w, fd, norm);
	} else {
		close(fd);
		xasprintf(&cause, "'%s' is not a file or directory", norm);
		goto fail;
	}
	res->output = walk_finish(&w, "matches", "no matches");
	res->truncated = w.truncated;
	regex_free(w.re);
	free(norm);
	return 0;
fail:
	regex_free(w.re);
	buf_free(&w.out);
	free(norm);
	return tools_fail_take(res, cause);
}
