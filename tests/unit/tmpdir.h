/*
 * tmpdir.h — a scratch directory per unit test (header-only test helper).
 */
#ifndef OXIOS_TESTS_TMPDIR_H
#define OXIOS_TESTS_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Make /tmp/oxios-NAME-XXXXXX into dir (>= 64 bytes).  0 or -1. */
static inline int
tmpdir_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/oxios-%s-XXXXXX", name);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

/* Remove it and everything in it. */
static inline void
tmpdir_remove(const char *dir)
{
	char cmd[256];

	if (strncmp(dir, "/tmp/oxios-", 11) != 0 || strchr(dir, '\'') != NULL)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "tmpdir: could not remove %s\n", dir);
}

/* Write `text` to root/rel (test side, plain I/O).  0 or -1. */
static inline int
tmpdir_put(const char *root, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

#endif
