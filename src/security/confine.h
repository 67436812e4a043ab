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
 */
#ifndef OXIOS_SECURITY_CONFINE_H
#define OXIOS_SECURITY_CONFINE_H

#include <stddef.h>
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

#endif
