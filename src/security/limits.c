/*
 * limits.c — bounds on a worker's processes and on the bytes its run
 * adds to the workspace (see limits.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "security/limits.h"
#include "util/xalloc.h"

int
limits_userns(void)
{
	char buf[128];
	unsigned long a, b, n;
	ssize_t r;
	int fd;

	if ((fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	r = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	/* The initial namespace maps every uid: "0 0 4294967295". */
	return !(sscanf(buf, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 &&
	    b == 0 && n == 4294967295UL &&
	    strchr(buf, '\n') == strrchr(buf, '\n'));
}

/* Tasks (threads) of the real uid, system-wide. */
static rlim_t
limits_uid_tasks(void)
{
	char path[300], line[256];
	struct dirent *de;
	unsigned long ruid, threads;
	rlim_t n = 0;
	FILE *f;
	DIR *d;
	int mine;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/status", de->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		mine = 0;
		while (fgets(line, sizeof line, f) != NULL) {
			if (sscanf(line, "Uid: %lu", &ruid) == 1)
				mine = ruid == (unsigned long)getuid();
			else if (mine &&
			    sscanf(line, "Threads: %lu", &threads) == 1)
				n += threads;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

rlim_t
limits_nproc(int max_procs)
{
	if (getuid() == 0)
		return RLIM_INFINITY; /* exempt: the kernel ignores it */
	if (limits_userns())
		return (rlim_t)max_procs;
	return limits_uid_tasks() + (rlim_t)max_procs;
}

/* Set this PID namespace's pid_max.  0 or -1 (errno). */
static int
limits_pid_max(long v)
{
	char s[32];
	int fd, n, rc;

	if ((fd = open("/proc/sys/kernel/pid_max", O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = snprintf(s, sizeof s, "%ld\n", v);
	rc = write(fd, s, (size_t)n) == n ? 0 : -1;
	close(fd);
	return rc;
}

json_t *
limits_procs(int max_procs, int pidns, json_t *warnings)
{
	json_t *r = json_object(), *by = json_array();
	long pid_max, bound = 0;
	rlim_t nproc;

	json_object_set_new(r, "cap", json_integer(max_procs));
	if (max_procs <= 0) {
		json_object_set_new(r, "bound", json_integer(0));
		json_object_set_new(r, "by", by);
		return r;
	}
	/*
	 * Pids are allocated cyclically, and once the cursor passed
	 * LIMITS_PID_RESERVED the kernel wraps back to it, not to 1: so that
	 * `max_procs` can always run, pid_max is that far above the cap.
	 */
	pid_max = LIMITS_PID_RESERVED + 1L + max_procs;
	if (pidns && limits_pid_max(pid_max) == 0) {
		bound = pid_max - 1;
		json_array_append_new(by, json_string("pid_namespace"));
	} else if (pidns)
		json_array_append_new(warnings,
		    json_sprintf("the PID namespace's pid_max cannot be set "
				 "(Linux 6.14 and later): %s",
			strerror(errno)));
	nproc = limits_nproc(max_procs);
	if (nproc != RLIM_INFINITY && limits_userns()) {
		if (bound == 0 || (long)nproc < bound)
			bound = (long)nproc;
		json_array_append_new(by, json_string("rlimit_nproc"));
	}
	if (bound == 0)
		json_array_append_new(warnings,
		    json_sprintf("processes are not bounded (cap %d): no PID "
				 "namespace pid_max and RLIMIT_NPROC does "
				 "not bind here",
			max_procs));
	json_object_set_new(r, "bound", json_integer(bound));
	json_object_set_new(r, "by", by);
	return r;
}

int
limits_fork_fails(void)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == 0)
		_exit(0);
	if (pid == -1)
		return errno == EAGAIN;
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return 0;
}

long
limits_ns_procs(void)
{
	struct dirent *de;
	struct stat me, st;
	char path[300];
	long n = 0;
	DIR *d;

	if (stat("/proc/self/ns/pid", &me) == -1 ||
	    (d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/ns/pid", de->d_name);
		if (stat(path, &st) == 0 && st.st_ino == me.st_ino &&
		    st.st_dev == me.st_dev)
			n++;
	}
	closedir(d);
	return n;
}

/* Bytes under dirfd (which this closes), depth levels down. */
static unsigned long long
limits_ws_dir(int dirfd, int depth)
{
	unsigned long long sum = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	if ((d = fdopendir(dirfd)) == NULL) {
		close(dirfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		sum += (unsigned long long)st.st_blocks * 512;
		if (!S_ISDIR(st.st_mode) || depth >= LIMITS_WS_MAX_DEPTH)
			continue;
		fd = openat(dirfd, de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1)
			sum += limits_ws_dir(fd, depth + 1);
	}
	closedir(d);
	return sum;
}

unsigned long long
limits_ws_usage(int dirfd)
{
	struct stat st;
	int fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return 0;
	}
	return (unsigned long long)st.st_blocks * 512 + limits_ws_dir(fd, 1);
}

const char *
limits_bytes(unsigned long long n, char *buf, size_t size)
{
	static const char *const unit[] = { "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, size, "%llu bytes", n);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (v >= 100 || (long long)(v * 10 + 0.5) % 10 == 0)
		snprintf(buf, size, "%.0f %s", v, unit[u]);
	else
		snprintf(buf, size, "%.1f %s", v, unit[u]);
	return buf;
}

char *
limits_ws_over(unsigned long long used, unsigned long long base,
    unsigned long long cap)
{
	char a[32], b[32], *s;

	if (cap == 0 || used <= base || used - base <= cap)
		return NULL;
	xasprintf(&s,
	    "the workspace grew by %s, over the cap of %s for this run",
	    limits_bytes(used - base, a, sizeof a),
	    limits_bytes(cap, b, sizeof b));
	return s;
}
