/*
 * openat2.h — for the unit tests: whether this kernel (or valgrind) has
 * openat2(2), so that a test can skip what needs it.
 */
#ifndef OXIOS_TESTS_OPENAT2_H
#define OXIOS_TESTS_OPENAT2_H

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static inline int
have_openat2(void)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof how);
	how.flags = O_PATH | O_CLOEXEC;
	if ((fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how)) >= 0)
		close((int)fd);
	return fd >= 0;
}

#endif
