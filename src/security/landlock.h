/*
 * landlock.h — confine this process and everything it runs to a list of
 * paths with Landlock (Linux 5.13+), using the highest ABI the kernel
 * offers: file access (ABI 1), rename across directories (2), truncate
 * (3), TCP bind and connect (4), device ioctl (5), signals and abstract
 * UNIX sockets (6).
 */
#ifndef OXIOS_SECURITY_LANDLOCK_H
#define OXIOS_SECURITY_LANDLOCK_H

#include <stddef.h>
#include <jansson.h>

enum landlock_access {
	LANDLOCK_RO,      /* read files, list directories */
	LANDLOCK_RX,      /* and execute */
	LANDLOCK_RW,      /* all but making device nodes */
	LANDLOCK_FILE_RW, /* read and write one file (/dev/null) */
};

struct landlock_path {
	const char *path; /* absolute; skipped when it does not exist */
	enum landlock_access access;
};

/* The Landlock ABI of this kernel, or 0 with *why (static string). */
int landlock_abi(const char **why);
/*
 * Allow `paths` and nothing else on the file system; refuse TCP bind and
 * connect unless `allow_network` (ABI 4+); keep signals and abstract UNIX
 * sockets inside the sandbox (ABI 6+).  PR_SET_NO_NEW_PRIVS must be set.
 * What the ABI cannot do is appended to `warnings` (an array).
 * Returns the ABI applied (>= 1), 0 with *cause when the kernel has no
 * Landlock, or -1 with *cause (caller frees).
 */
int landlock_apply(const struct landlock_path *paths, size_t n,
    int allow_network, json_t *warnings, char **cause);

#endif
