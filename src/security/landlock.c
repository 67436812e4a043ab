/*
 * landlock.c — Landlock through raw system calls.
 *
 * Debian 12's headers stop at ABI 2, so the structures and flags are
 * defined here under our own names (<linux/landlock.h> is not included)
 * and the ABI is asked at run time.  A ruleset handles every right the
 * ABI knows; whatever no rule grants is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "security/landlock.h"
#include "security/probe.h"
#include "util/xalloc.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

#define LL_RULE_PATH_BENEATH 1

/* File system rights, by the ABI that brought them. */
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)     /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */

#define LL_FS_ABI1 ((1ULL << 13) - 1)
#define LL_FS_FILE \
	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | \
	    LL_FS_IOCTL_DEV)

#define LL_NET_BIND_TCP (1ULL << 0)    /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */

#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)        /* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6. */
struct landlock_ruleset {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/* struct landlock_path_beneath_attr. */
struct landlock_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

int
landlock_abi(const char **why)
{
	return probe_landlock_abi(why);
}

/* Every file system right the ABI knows. */
static uint64_t
landlock_fs_rights(int abi)
{
	uint64_t r = LL_FS_ABI1;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

static uint64_t
landlock_rights(enum landlock_access a, uint64_t handled)
{
	uint64_t r;

	switch (a) {
	case LANDLOCK_RO:
		r = LL_FS_READ_FILE | LL_FS_READ_DIR;
		break;
	case LANDLOCK_RX:
		r = LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_EXECUTE;
		break;
	case LANDLOCK_RW:
		/* No device nodes: root could mknod a disk and read it. */
		r = handled &
		    ~(LL_FS_MAKE_CHAR | LL_FS_MAKE_BLOCK | LL_FS_IOCTL_DEV);
		break;
	default:
		r = LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE;
		break;
	}
	return r & handled;
}

int
landlock_apply(const struct landlock_path *paths, size_t n, int allow_network,
    json_t *warnings, char **cause)
{
	struct landlock_ruleset attr;
	struct landlock_beneath rule;
	struct stat st;
	const char *why;
	size_t i;
	int abi, rfd = -1, fd, rc = -1;

	if ((abi = landlock_abi(&why)) == 0) {
		xasprintf(cause, "Landlock: %s", why);
		return 0;
	}
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = landlock_fs_rights(abi);
	if (abi >= 4 && !allow_network)
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	if (abi < 4 && !allow_network)
		json_array_append_new(warnings,
		    json_sprintf("Landlock ABI %d has no network rules: only "
				 "seccomp keeps network sockets closed",
			abi));
	if (abi < 6)
		json_array_append_new(warnings,
		    json_sprintf("Landlock ABI %d cannot keep signals and "
				 "abstract UNIX sockets inside the sandbox",
			abi));
	rfd = (int)syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rfd == -1) {
		xasprintf(cause, "landlock_create_ruleset: %s",
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		fd = open(paths[i].path, O_PATH | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT)
			continue;
		if (fd == -1 || fstat(fd, &st) == -1) {
			xasprintf(cause, "%s: %s", paths[i].path,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			goto out;
		}
		memset(&rule, 0, sizeof rule);
		rule.allowed_access =
		    landlock_rights(paths[i].access, attr.handled_access_fs);
		if (!S_ISDIR(st.st_mode))
			rule.allowed_access &= LL_FS_FILE;
		rule.parent_fd = fd;
		if (syscall(__NR_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH,
			&rule, 0) == -1) {
			xasprintf(cause, "landlock_add_rule %s: %s",
			    paths[i].path, strerror(errno));
			close(fd);
			goto out;
		}
		close(fd);
	}
	if (syscall(__NR_landlock_restrict_self, rfd, 0) == -1) {
		xasprintf(cause, "landlock_restrict_self: %s", strerror(errno));
		goto out;
	}
	rc = abi;
out:
	if (rfd != -1)
		close(rfd);
	return rc;
}
