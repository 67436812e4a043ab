/*
 * probe.c — sandbox capabilities of this kernel.
 *
 * Debian 12's headers stop at Landlock ABI 2, so the syscall number and
 * flag are defined here when missing and the ABI is asked at run time.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "security/probe.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

int
probe_landlock_abi(const char **why)
{
	long abi;

	abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi >= 1) {
		*why = "available";
		return (int)abi;
	}
	switch (errno) {
	case ENOSYS:
		*why = "kernel built without Landlock (or older than 5.13)";
		break;
	case EOPNOTSUPP:
		*why = "Landlock is disabled (boot with lsm=...,landlock)";
		break;
	default:
		*why = strerror(errno);
		break;
	}
	return 0;
}

int
probe_seccomp(const char **why)
{
	/*
	 * PR_GET_SECCOMP answers 0 (not in seccomp), 2 (in filter mode) or
	 * fails with EINVAL when the kernel lacks CONFIG_SECCOMP.  Filter
	 * support is confirmed by asking for the return actions it knows.
	 */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == -1 && errno == EINVAL) {
		*why = "kernel built without seccomp";
		return 0;
	}
#ifdef __NR_seccomp
	{
		unsigned int action = SECCOMP_RET_KILL_PROCESS;

		if (syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0,
			&action) == 0) {
			*why = "filter mode available";
			return 1;
		}
		if (errno == ENOSYS) {
			*why = "kernel has no seccomp() system call";
			return 0;
		}
	}
#endif
	*why = "filter mode available (legacy prctl)";
	return 1;
}

int
probe_userns(const char **why)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == -1) {
		*why = strerror(errno);
		return 0;
	}
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			*why = strerror(errno);
			return 0;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		*why = "available";
		return 1;
	}
	*why = "not permitted (kernel.unprivileged_userns_clone or "
	       "user.max_user_namespaces)";
	return 0;
}
