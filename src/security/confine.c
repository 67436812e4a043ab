/*
 * confine.c — paths resolved beneath the workspace (see confine.h).
 *
 * Shared by the agent's tools, in the worker, and by the workspace API,
 * in the daemon: both take paths from outside and must open exactly what
 * lies beneath the workspace, however the path or the tree is made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "security/confine.h"
#include "util/path.h"
#include "util/xalloc.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* A rename racing the lookup makes openat2() answer EAGAIN: try again. */
#define CONFINE_TRIES 16
/* Temporary names tried before a write gives up. */
#define CONFINE_TMP_TRIES 8

int
confine_check(const char *path, size_t len, char **norm, char **cause)
{
	char *n;

	*norm = NULL;
	if (strlen(path) != len) {
		xasprintf(cause, "the path contains a NUL byte");
		return -1;
	}
	if (len == 0) {
		xasprintf(cause, "the path is empty (\".\" is the workspace)");
		return -1;
	}
	if (len >= PATH_MAX_LEN) {
		xasprintf(cause, "the path is too long (over %d bytes)",
		    PATH_MAX_LEN);
		return -1;
	}
	if (path[0] == '/') {
		xasprintf(cause,
		    "'%s': absolute paths are not allowed; paths are relative "
		    "to the workspace",
		    path);
		return -1;
	}
	n = path_normalize(path);
	if (strcmp(n, "..") == 0 || strncmp(n, "../", 3) == 0) {
		xasprintf(cause, "'%s': the path leaves the workspace", path);
		free(n);
		return -1;
	}
	*norm = n;
	return 0;
}

/* -1 with errno = err and *cause saying what it means here. */
static int
confine_error(const char *path, int err, char **cause)
{
	switch (err) {
	case EXDEV:
		xasprintf(cause,
		    "'%s': the path leads outside the workspace (through a "
		    "symbolic link: only relative links that stay inside "
		    "are followed)",
		    path);
		break;
	case ELOOP:
		xasprintf(cause,
		    "'%s': too many symbolic links, or a link that may not be "
		    "followed",
		    path);
		break;
	default:
		xasprintf(cause, "'%s': %s", path, strerror(err));
		break;
	}
	errno = err;
	return -1;
}

int
confine_open_walk(int dirfd, const char *path, int flags, mode_t mode,
    char **cause)
{
	struct stat st;
	char *copy, *p, *slash;
	int cur = dirfd, fd = -1, err;

	if (strcmp(path, ".") == 0) {
		if ((fd = openat(dirfd, ".", flags | O_CLOEXEC, mode)) == -1)
			return confine_error(path, errno, cause);
		return fd;
	}
	if (path[0] == '/')
		return confine_error(path, EXDEV, cause);
	copy = xstrdup(path);
	for (p = copy;; p = slash + 1) {
		if ((slash = strchr(p, '/')) != NULL)
			*slash = '\0';
		if (strcmp(p, "..") == 0) {
			fd = -1;
			err = EXDEV;
		} else if (slash != NULL) {
			fd = openat(cur, p,
			    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			err = errno;
		} else {
			fd = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC,
			    mode);
			err = errno;
		}
		if (fd != -1 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
			close(fd);
			fd = -1;
			err = ELOOP;
		}
		if (fd == -1 && (err == ELOOP || err == ENOTDIR) &&
		    fstatat(cur, p, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			xasprintf(cause,
			    "'%s': symbolic links are not followed on this "
			    "kernel (no openat2)",
			    path);
			errno = ELOOP;
		} else if (fd == -1)
			confine_error(path, err, cause);
		if (cur != dirfd)
			close(cur);
		cur = fd;
		if (fd == -1 || slash == NULL)
			break;
	}
	free(copy);
	return fd;
}

int
confine_open(int dirfd, const char *path, int flags, mode_t mode, char **cause)
{
	struct open_how how;
	int fd, tries;

	memset(&how, 0, sizeof how);
	how.flags = (unsigned)(flags | O_CLOEXEC);
	if (flags & O_CREAT)
		how.mode = mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	for (tries = 0;; tries++) {
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (fd >= 0)
			return fd;
		if (errno == EAGAIN && tries < CONFINE_TRIES)
			continue;
		if (errno == ENOSYS)
			return confine_open_walk(dirfd, path, flags, mode,
			    cause);
		return confine_error(path, errno, cause);
	}
}

int
confine_open_how(int dirfd, int walk, const char *path, int flags, mode_t mode,
    char **cause)
{
	if (walk)
		return confine_open_walk(dirfd, path, flags, mode, cause);
	return confine_open(dirfd, path, flags, mode, cause);
}

/* -1 with errno = err and *cause; closes fd. */
static int
confine_fail_fd(int fd, int err, char **cause, const char *fmt,
    const char *path)
{
	xasprintf(cause, fmt, path);
	if (fd != -1)
		close(fd);
	errno = err;
	return -1;
}

int
confine_open_file(int dirfd, int walk, const char *norm, struct stat *st,
    char **cause)
{
	int fd, err;

	if ((fd = confine_open_how(dirfd, walk, norm, O_RDONLY | O_NONBLOCK, 0,
		 cause)) == -1)
		return -1;
	if (fstat(fd, st) == -1) {
		err = errno;
		xasprintf(cause, "'%s': %s", norm, strerror(err));
		close(fd);
		errno = err;
		return -1;
	}
	if (S_ISDIR(st->st_mode))
		return confine_fail_fd(fd, EISDIR, cause, "'%s' is a directory",
		    norm);
	if (!S_ISREG(st->st_mode))
		return confine_fail_fd(fd, EINVAL, cause,
		    "'%s' is not a regular file", norm);
	return fd;
}

/*
 * Make each directory of `dir` (relative, normalised; modified while
 * running, restored), each looked up again beneath the workspace, so that
 * a link among them is followed only inside.  Returns an O_PATH fd of the
 * last, or -1 with errno and *cause.
 */
static int
confine_mkparents(int dirfd, int walk, char *dir, char **cause)
{
	char *s = dir, *slash;
	int pfd = dirfd, fd, err;

	for (;;) {
		if ((slash = strchr(s, '/')) != NULL)
			*slash = '\0';
		if (mkdirat(pfd, s, 0755) == -1 && errno != EEXIST) {
			err = errno;
			xasprintf(cause, "'%s': %s", dir, strerror(err));
			errno = err;
			fd = -1;
		} else
			fd = confine_open_how(dirfd, walk, dir,
			    O_PATH | O_DIRECTORY, 0, cause);
		err = errno;
		if (pfd != dirfd)
			close(pfd);
		if (slash != NULL)
			*slash = '/';
		errno = err;
		if (fd == -1 || slash == NULL)
			return fd;
		pfd = fd;
		s = slash + 1;
	}
}

static int
confine_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A new temporary file beside `base` in pfd; *tmp its name. */
static int
confine_tmpfile(int pfd, char **tmp)
{
	static unsigned int seq; /* atomic */
	int fd = -1, i;

	for (i = 0; i < CONFINE_TMP_TRIES && fd == -1; i++) {
		free(*tmp);
		xasprintf(tmp, ".oxios-%ld-%u.tmp", (long)getpid(),
		    __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
		fd = openat(pfd, *tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	return fd;
}

int
confine_replace(int dirfd, int walk, const char *norm, const void *data,
    size_t len, int mkparents, int *created, char **cause)
{
	char *copy, *slash, *tmp = NULL;
	const char *base;
	struct stat st;
	mode_t mode = 0644;
	int pfd = dirfd, fd = -1, rc = -1, err = 0;

	*created = 0;
	copy = xstrdup(norm);
	if ((slash = strrchr(copy, '/')) == NULL)
		base = copy;
	else {
		*slash = '\0';
		base = slash + 1;
		pfd = mkparents ? confine_mkparents(dirfd, walk, copy, cause) :
				  confine_open_how(dirfd, walk, copy,
				      O_PATH | O_DIRECTORY, 0, cause);
		if (pfd == -1) {
			err = errno;
			goto out;
		}
	}
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode)) {
			/* Written through, if it resolves inside. */
			if ((fd = confine_open_how(dirfd, walk, norm,
				 O_WRONLY | O_NONBLOCK, 0, cause)) == -1) {
				err = errno;
				goto out;
			}
			if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
				err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
				xasprintf(cause, "'%s' is not a regular file",
				    norm);
				goto out;
			}
			if (ftruncate(fd, 0) == -1) {
				err = errno;
				xasprintf(cause, "'%s': %s", norm,
				    strerror(err));
				goto out;
			}
			goto write;
		}
		if (S_ISDIR(st.st_mode)) {
			err = EISDIR;
			xasprintf(cause, "'%s' is a directory", norm);
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			err = EINVAL;
			xasprintf(cause, "'%s' is not a regular file", norm);
			goto out;
		}
		mode = st.st_mode & 07777;
	} else if (errno != ENOENT) {
		err = errno;
		xasprintf(cause, "'%s': %s", norm, strerror(err));
		goto out;
	} else
		*created = 1;
	if ((fd = confine_tmpfile(pfd, &tmp)) == -1) {
		err = errno;
		xasprintf(cause, "'%s': %s", norm, strerror(err));
		goto out;
	}
write:
	if (confine_write_all(fd, data, len) == -1 ||
	    (tmp != NULL && fchmod(fd, mode) == -1) || fsync(fd) == -1) {
		err = errno;
		xasprintf(cause, "'%s': %s", norm, strerror(err));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		err = errno;
		xasprintf(cause, "'%s': %s", norm, strerror(err));
		goto out;
	}
	fd = -1;
	if (tmp != NULL && renameat(pfd, tmp, pfd, base) == -1) {
		err = errno;
		xasprintf(cause, "'%s': %s", norm, strerror(err));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc == -1 && tmp != NULL)
		unlinkat(pfd, tmp, 0);
	if (pfd != dirfd && pfd != -1)
		close(pfd);
	free(tmp);
	free(copy);
	if (rc == -1)
		errno = err;
	return rc;
}
