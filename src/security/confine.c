/*
 * confine.c — paths resolved beneath the workspace (see confine.h).
 *
 * Shared by the agent's tools, in the worker, and by the workspace API,
 * in the daemon: both take paths from outside and must open exactly what
 * lies beneath the workspace, however the path or the tree is made.
 */
#include <errno.h>
#include <fcntl.h>
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
		    "symbolic link)",
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
