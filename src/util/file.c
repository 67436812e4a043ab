/*
 * file.c — careful file I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/xalloc.h"

int
file_read_fd(int fd, size_t cap, char **data, size_t *len, char **cause)
{
	struct stat st = { 0 };
	char *p = NULL;
	size_t n = 0, size;
	ssize_t r;
	int saved;

	*data = NULL;
	*len = 0;
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		saved = errno;
		if (S_ISDIR(st.st_mode))
			saved = EISDIR;
		xasprintf(cause, "%s", strerror(saved));
		goto fail;
	}
	size = (S_ISREG(st.st_mode) && (size_t)st.st_size < cap) ?
	    (size_t)st.st_size + 1 :
	    4096;
	p = xmalloc(size + 1);
	for (;;) {
		if (n == size) {
			if (size > cap) {
				saved = EFBIG;
				xasprintf(cause, "larger than %zu bytes", cap);
				goto fail;
			}
			size *= 2;
			p = xrealloc(p, size + 1);
		}
		r = read(fd, p + n, size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			saved = errno;
			xasprintf(cause, "%s", strerror(saved));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > cap) {
			saved = EFBIG;
			xasprintf(cause, "larger than %zu bytes", cap);
			goto fail;
		}
	}
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
fail:
	free(p);
	errno = saved;
	return -1;
}

int
file_read(const char *path, size_t cap, char **data, size_t *len, char **cause)
{
	char *why = NULL;
	int fd, saved = 0, rc;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		errno = saved;
		return -1;
	}
	if ((rc = file_read_fd(fd, cap, data, len, &why)) == -1) {
		saved = errno;
		xasprintf(cause, "%s: %s", path, why);
		free(why);
	}
	close(fd);
	if (rc == -1)
		errno = saved;
	return rc;
}

static int
file_fsync_dir(const char *path)
{
	char *copy, *dir;
	int fd, rc = -1;

	copy = xstrdup(path);
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    char **cause)
{
	char *tmp = NULL;
	const char *p = data;
	size_t off = 0;
	ssize_t w;
	int fd = -1, rc = -1;

	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		w = write(fd, p + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			xasprintf(cause, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	file_fsync_dir(path);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
file_mkdirs(const char *path, mode_t mode, char **cause)
{
	char *copy, *s;
	struct stat st;
	int rc = -1;

	copy = xstrdup(path);
	for (s = copy + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST) {
			xasprintf(cause, "%s: %s", copy, strerror(errno));
			goto out;
		}
		*s = '/';
	}
	if (mkdir(copy, mode) == -1) {
		if (errno != EEXIST) {
			xasprintf(cause, "%s: %s", copy, strerror(errno));
			goto out;
		}
		if (stat(copy, &st) == -1 || !S_ISDIR(st.st_mode)) {
			xasprintf(cause, "%s: exists and is not a directory",
			    copy);
			goto out;
		}
	}
	rc = 0;
out:
	free(copy);
	return rc;
}
