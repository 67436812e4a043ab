/*
 * file.h — whole-file reads with a cap, atomic writes, directory creation.
 */
#ifndef OXIOS_UTIL_FILE_H
#define OXIOS_UTIL_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read all of `path`, refusing files larger than `cap` bytes.  *data is
 * NUL-terminated (caller frees), *len excludes the NUL.
 * Returns 0, or -1 with *cause (caller frees) and errno set.
 */
int file_read(const char *path, size_t cap, char **data, size_t *len,
    char **cause);
/*
 * The same for an open descriptor, read from where it stands to its end
 * (read(2) interrupted by a signal is retried; the descriptor stays the
 * caller's).  More than `cap` bytes is an error (EFBIG, "larger than N
 * bytes"); so is any error of read(2), never taken for the end.
 * Returns 0, or -1 with *cause (caller frees) and errno set.
 */
int file_read_fd(int fd, size_t cap, char **data, size_t *len, char **cause);
/*
 * Replace `path` with `data` atomically: write a temporary file beside it
 * with `mode`, fsync it, rename it over `path`, fsync the directory.
 * Returns 0, or -1 with *cause (caller frees).
 */
int file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, char **cause);
/*
 * Create `path` and missing parents with `mode` (umask applies to the
 * parents only).  An existing directory is fine.
 * Returns 0, or -1 with *cause (caller frees).
 */
int file_mkdirs(const char *path, mode_t mode, char **cause);

#endif
