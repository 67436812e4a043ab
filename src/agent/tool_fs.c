/*
 * tool_fs.c — the file tools: read, write, edit, ls.  (find and grep walk
 * directories: tool_search.c.)
 *
 * Every path goes through confine_check() (tools_arg_path), and files are
 * opened and replaced by confine_open_file() and confine_replace()
 * (security/confine.h), the workspace API's too: one rule for symbolic
 * links, nothing opened outside the workspace, whatever ".." or links
 * say.  Files are opened with O_NONBLOCK and must be regular files, so a
 * FIFO cannot hang the worker.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/tools.h"
#include "security/confine.h"
#include "security/limits.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define FS_LINE_MAX 2000     /* read: longest line shown */
#define FS_LS_MAX 2000       /* ls: most entries shown */
#define FS_BINARY_PROBE 8192 /* bytes looked at for a NUL */

/* Open norm for reading; it must be a regular file.  fd or -1. */
static int
fs_open_file(struct tool_ctx *ctx, const char *norm, struct stat *st,
    char **cause)
{
	char *why = NULL;
	int fd;

	fd = confine_open_file(ctx->dirfd, ctx->no_openat2, norm, st, &why);
	if (fd == -1 && errno == EISDIR) {
		xasprintf(cause, "%s (use ls)", why);
		free(why);
	} else if (fd == -1)
		*cause = why;
	return fd;
}

/* Whether the first bytes of fd hold a NUL (binary). */
static int
fs_is_binary(int fd)
{
	char probe[FS_BINARY_PROBE];
	ssize_t n;

	n = pread(fd, probe, sizeof probe, 0);
	return n > 0 && memchr(probe, '\0', (size_t)n) != NULL;
}

/*
 * One line of f into buf (size > 1), without its '\n'; what passes
 * size - 1 bytes is read and dropped (*cut).  Returns its length, or -1
 * at end of file.
 */
static long
fs_getline(FILE *f, char *buf, size_t size, int *cut)
{
	size_t n = 0;
	int c, any = 0;

	*cut = 0;
	while ((c = getc_unlocked(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (n < size - 1)
			buf[n++] = (char)c;
		else
			*cut = 1;
	}
	buf[n] = '\0';
	return any ? (long)n : -1;
}

int
tool_read(struct tool_ctx *ctx, json_t *args, struct tool_result *res)
{
	char line[FS_LINE_MAX + 8], *norm = NULL, *cause = NULL;
	struct stat st;
	struct buf out;
	FILE *f = NULL;
	long offset, limit, lineno = 0, shown = 0, n;
	size_t len;
	int fd = -1, cut, more = 0, rc = -1;

	buf_init(&out, BUF_NOCAP);
	if (tools_arg_path(args, "path", NULL, &norm, &cause) == -1 ||
	    tools_arg_int(args, "offset", 1, LONG_MAX, 1, &offset, &cause) ==
		-1 ||
	    tools_arg_int(args, "limit", 1, 10000, 2000, &limit, &cause) == -1)
		goto out;
	if ((fd = fs_open_file(ctx, norm, &st, &cause)) == -1)
		goto out;
	if (fs_is_binary(fd)) {
		xasprintf(&cause,
		    "'%s' looks like a binary file (it holds NUL bytes); "
		    "not shown",
		    norm);
		goto out;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		xasprintf(&cause, "'%s': %s", norm, strerror(errno));
		goto out;
	}
	fd = -1;
	while ((n = fs_getline(f, line, sizeof line, &cut)) != -1) {
		if (++lineno < offset)
			continue;
		if (shown == limit) {
			more = 1;
			break;
		}
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len > FS_LINE_MAX) {
			len = utf8_cutn(line, len, FS_LINE_MAX);
			cut = 1;
		}
		if (out.len + len + 32 > TOOLS_MAX_OUTPUT) {
			more = 1;
			break;
		}
		buf_printf(&out, "%6ld\t%.*s%s\n", lineno, (int)len, line,
		    cut ? " [line cut]" : "");
		shown++;
	}
	if (ferror(f)) {
		xasprintf(&cause, "'%s': read error", norm);
		goto out;
	}
	if (lineno == 0)
		buf_printf(&out, "('%s' is empty)\n", norm);
	else if (shown == 0 && !more) {
		xasprintf(&cause,
		    "offset %ld is past the end of '%s' (%ld lines)", offset,
		    norm, lineno);
		goto out;
	}
	if (more)
		buf_printf(&out,
		    "(more lines follow: continue with offset=%ld)\n",
		    offset + shown);
	res->truncated = more;
	res->output = buf_detach(&out);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (fd != -1)
		close(fd);
	buf_free(&out);
	free(norm);
	if (rc == -1)
		tools_fail_take(res, cause);
	return rc;
}

/*
 * Whether `len` bytes written as `norm` keep the workspace within what
 * this run may add to it (security/limits.h).  0, or -1 with *cause.
 */
static int
fs_room(struct tool_ctx *ctx, const char *norm, size_t len, char **cause)
{
	unsigned long long used, old = 0;
	struct stat st;
	char *over;

	if (ctx->ws_cap == 0)
		return 0;
	used = limits_ws_usage(ctx->dirfd);
	if (fstatat(ctx->dirfd, norm, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode))
		old = (unsigned long long)st.st_blocks * 512;
	used = used > old ? used - old : 0;
	if ((over = limits_ws_over(used + len, ctx->ws_base, ctx->ws_cap)) ==
	    NULL)
		return 0;
	xasprintf(cause, "writing %zu bytes to '%s' is refused: %s", len, norm,
	    over);
	free(over);
	return -1;
}

int
tool_write(struct tool_ctx *ctx, json_t *args, struct tool_result *res)
{
	char *norm = NULL, *cause = NULL;
	const char *content;
	size_t len;
	int created;

	if (tools_arg_path(args, "path", NULL, &norm, &cause) == -1 ||
	    tools_arg_bytes(args, "content", &content, &len, &cause) == -1)
		goto fail;
	if (strcmp(norm, ".") == 0) {
		xasprintf(&cause, "'.' is the workspace, not a file");
		goto fail;
	}
	if (fs_room(ctx, norm, len, &cause) == -1 ||
	    confine_replace(ctx->dirfd, ctx->no_openat2, norm, content, len, 1,
		&created, &cause) == -1)
		goto fail;
	xasprintf(&res->output, "%s %s (%zu bytes)",
	    created ? "created" : "replaced", norm, len);
	free(norm);
	return 0;
fail:
	free(norm);
	return tools_fail_take(res, cause);
}

/* All of a regular file (at most TOOLS_MAX_FILE); caller frees *data. */
static int
fs_slurp(struct tool_ctx *ctx, const char *norm, char **data, size_t *len,
    char **cause)
{
	struct stat st;
	char *why = NULL;
	int fd, rc = -1;

	if ((fd = fs_open_file(ctx, norm, &st, cause)) == -1)
		return -1;
	if (st.st_size > TOOLS_MAX_FILE ||
	    file_read_fd(fd, TOOLS_MAX_FILE, data, len, &why) == -1) {
		if (why == NULL || errno == EFBIG)
			xasprintf(cause, "'%s' is larger than %d bytes", norm,
			    TOOLS_MAX_FILE);
		else
			xasprintf(cause, "'%s': %s", norm, why);
		goto out;
	}
	rc = 0;
out:
	free(why);
	close(fd);
	return rc;
}

int
tool_edit(struct tool_ctx *ctx, json_t *args, struct tool_result *res)
{
	char *norm = NULL, *cause = NULL, *data = NULL, *at;
	const char *old, *new, *p;
	size_t len, olen, nlen, count = 0;
	struct buf out;
	int all, created, rc = -1;

	buf_init(&out, TOOLS_MAX_FILE);
	if (tools_arg_path(args, "path", NULL, &norm, &cause) == -1 ||
	    tools_arg_bytes(args, "old_text", &old, &olen, &cause) == -1 ||
	    tools_arg_bytes(args, "new_text", &new, &nlen, &cause) == -1 ||
	    tools_arg_bool(args, "replace_all", 0, &all, &cause) == -1)
		goto out;
	if (olen == 0) {
		xasprintf(&cause,
		    "'old_text' is empty (use write to create "
		    "a file)");
		goto out;
	}
	if (olen == nlen && memcmp(old, new, olen) == 0) {
		xasprintf(&cause, "'old_text' and 'new_text' are the same");
		goto out;
	}
	if (fs_slurp(ctx, norm, &data, &len, &cause) == -1)
		goto out;
	for (p = data;
	     (at = memmem(p, len - (size_t)(p - data), old, olen)) != NULL;
	     p = at + olen)
		count++;
	if (count == 0) {
		xasprintf(&cause,
		    "'old_text' was not found in '%s' (it must match "
		    "exactly, whitespace and indentation included)",
		    norm);
		goto out;
	}
	if (count > 1 && !all) {
		xasprintf(&cause,
		    "'old_text' occurs %zu times in '%s'; include more "
		    "surrounding text to make it unique, or set replace_all "
		    "to replace every occurrence",
		    count, norm);
		goto out;
	}
	for (p = data;
	     (at = memmem(p, len - (size_t)(p - data), old, olen)) != NULL;
	     p = at + olen) {
		if (buf_add(&out, p, (size_t)(at - p)) == -1 ||
		    buf_add(&out, new, nlen) == -1)
			goto toobig;
	}
	if (buf_add(&out, p, len - (size_t)(p - data)) == -1)
		goto toobig;
	if (fs_room(ctx, norm, out.len, &cause) == -1 ||
	    confine_replace(ctx->dirfd, ctx->no_openat2, norm, out.data,
		out.len, 0, &created, &cause) == -1)
		goto out;
	xasprintf(&res->output, "replaced %zu occurrence%s in %s", count,
	    count == 1 ? "" : "s", norm);
	rc = 0;
	goto out;
toobig:
	xasprintf(&cause, "'%s' would grow past %d bytes", norm,
	    TOOLS_MAX_FILE);
out:
	buf_free(&out);
	free(data);
	free(norm);
	if (rc == -1)
		tools_fail_take(res, cause);
	return rc;
}

int
tool_ls(struct tool_ctx *ctx, json_t *args, struct tool_result *res)
{
	char *norm = NULL, *cause = NULL, **names = NULL, target[PATH_MAX];
	struct stat st;
	struct buf out;
	size_t n = 0, i;
	ssize_t tl;
	DIR *d = NULL;
	int fd, rc = -1;

	buf_init(&out, BUF_NOCAP);
	if (tools_arg_path(args, "path", ".", &norm, &cause) == -1)
		goto out;
	if ((fd = tools_open(ctx, norm, O_RDONLY | O_DIRECTORY, 0, &cause)) ==
	    -1)
		goto out;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		xasprintf(&cause, "'%s': %s", norm, strerror(errno));
		goto out;
	}
	names = tools_dir_names(d, &n);
	for (i = 0; i < n && i < FS_LS_MAX; i++) {
		if (out.len > TOOLS_MAX_OUTPUT)
			break;
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			buf_printf(&out, "%s (%s)\n", names[i],
			    strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode))
			buf_printf(&out, "%s/\n", names[i]);
		else if (S_ISLNK(st.st_mode)) {
			tl = readlinkat(dirfd(d), names[i], target,
			    sizeof target - 1);
			target[tl > 0 ? tl : 0] = '\0';
			buf_printf(&out, "%s -> %s\n", names[i], target);
		} else if (S_ISREG(st.st_mode))
			buf_printf(&out, "%s (%lld bytes)\n", names[i],
			    (long long)st.st_size);
		else
			buf_printf(&out, "%s (%s)\n", names[i],
			    S_ISFIFO(st.st_mode)     ? "fifo" :
				S_ISSOCK(st.st_mode) ? "socket" :
						       "device");
	}
	if (n == 0)
		buf_printf(&out, "('%s' is empty)\n", norm);
	if (i < n) {
		buf_printf(&out, "(%zu more entries not shown)\n", n - i);
		res->truncated = 1;
	}
	res->output = buf_detach(&out);
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_free(&out);
	free(norm);
	if (rc == -1)
		tools_fail_take(res, cause);
	return rc;
}
