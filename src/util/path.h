/*
 * path.h — lexical path helpers: join, normalise, confine to a root.
 *
 * These look at the text only; they do not touch the file system.  Code
 * that opens files inside a root must still refuse symlinks that lead out
 * (the sandbox does that); this is the first, cheap line of defence.
 */
#ifndef OXIOS_UTIL_PATH_H
#define OXIOS_UTIL_PATH_H

#include <stddef.h>

#define PATH_MAX_LEN 4096

/* "a" + "b" -> "a/b" with exactly one '/'; new string (caller frees). */
char *path_join(const char *a, const char *b);
/*
 * Lexically normalise: collapse "//" and "/./", resolve ".." against the
 * preceding component, drop a trailing '/'.  An absolute path never rises
 * above "/"; a relative one keeps leading "..".  "" becomes ".".
 * New string (caller frees).
 */
char *path_normalize(const char *p);
/*
 * Resolve `rel` (relative, user-supplied) inside `root`: refuse absolute
 * paths, NUL-free but over-long paths, and any ".." that would leave root.
 * On success *out is the normalised absolute path (caller frees).
 * Returns 0, or -1 with *cause (caller frees).
 */
int path_within(const char *root, const char *rel, char **out, char **cause);
/* Whether normalised absolute `p` is `root` or below it. */
int path_is_under(const char *root, const char *p);
/*
 * Whether `s` is one file name, as a program in the PATH is named: not
 * empty, no '/', not "." or "..".
 */
int path_is_name(const char *s);
/* Expand a leading "~/" or "~" with $HOME; new string (caller frees). */
char *path_expand_home(const char *p);

#endif
