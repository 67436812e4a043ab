/*
 * confine.h — paths from outside (the model, an API request) resolved
 * beneath one directory, the workspace, and never out of it.
 *
 * Two steps.  confine_check() is lexical: no NUL, not empty, not too
 * long, not absolute, no ".." that climbs out; it gives the normalised
 * relative path.  confine_open() opens it beneath a directory fd with
 * openat2() RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so that neither ".."
 * nor a symbolic link (nor a /proc magic link) leads out; the kernel
 * refuses with EXDEV or ELOOP.  Without openat2 (before Linux 5.6) the
 * path is walked a component at a time with O_NOFOLLOW and every symbolic
 * link is refused.  Messages speak of "the workspace".
 *
 * The one rule, for the agent's tools and the workspace API alike, reading
 * and writing: a symbolic link that resolves inside the workspace is
 * followed; one that leads outside (absolutely, or by "..") is refused
 * with "the path leads outside the workspace"; a loop is refused (ELOOP);
 * a dangling link is "No such file or directory" (never created through).
 * Files are opened and replaced only through confine_open_file() and
 * confine_replace(), so both callers give the same answers and messages.
 * `walk` (tests: an old kernel) uses confine_open_walk() throughout.
 */
#ifndef OXIOS_SECURITY_CONFINE_H
#define OXIOS_SECURITY_CONFINE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Check `path` (`len` bytes, so that a NUL inside is seen) and normalise
 * it: *norm is relative, "." for the directory itself (caller frees).
 * No I/O.  Returns 0, or -1 with *cause (caller frees).
 */
int confine_check(const char *path, size_t len, char **norm, char **cause);
/*
 * Open `path` (checked) beneath `dirfd`: openat2(), or confine_open_walk()
 * on a kernel without it.  `flags` and `mode` are those of open(2);
 * O_CLOEXEC is added.  Returns the fd, or -1 with errno (EXDEV: out
 * through a link; ELOOP: a link that may not be followed) and *cause
 * (caller frees).
 */
int confine_open(int dirfd, const char *path, int flags, mode_t mode,
    char **cause);
/*
 * The same without openat2: each component opened with O_NOFOLLOW, every
 * symbolic link refused (ELOOP), and ".." or an absolute path refused
 * (EXDEV) even if unchecked.  Tests call it to stand for an old kernel.
 */
int confine_open_walk(int dirfd, const char *path, int flags, mode_t mode,
    char **cause);

/* confine_open(), or confine_open_walk() when `walk`. */
int confine_open_how(int dirfd, int walk, const char *path, int flags,
    mode_t mode, char **cause);
/*
 * Open the regular file `norm` (checked) for reading, O_NONBLOCK so that
 * a FIFO cannot hang the reader; *st is its stat.  A directory is EISDIR,
 * anything else not regular EINVAL.  Returns the fd, or -1 with errno and
 * *cause (caller frees).
 */
int confine_open_file(int dirfd, int walk, const char *norm, struct stat *st,
    char **cause);
/*
 * Replace the file `norm` (checked) with `data`: a temporary file beside
 * it, written, fsynced and renamed over it, keeping its mode (new: 0644);
 * its directories made first if `mkparents`.  A symbolic link that
 * resolves inside is written through (truncated and rewritten in place),
 * not replaced.  *created says whether the file is new.  Returns 0, or -1
 * with errno (EXDEV, ELOOP: a link; ENOENT; EISDIR; EINVAL: not a regular
 * file; or the write's) and *cause (caller frees).
 */
int confine_replace(int dirfd, int walk, const char *norm, const void *data,
    size_t len, int mkparents, int *created, char **cause);

#endif
