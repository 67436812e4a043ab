/*
 * cgroup.c — a cgroup v2 per worker where one is delegated (cgroup.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "security/cgroup.h"
#include "util/file.h"
#include "util/xalloc.h"

#define CGROUP_MAX_FILE (1024 * 1024) /* mountinfo and friends */
#define CGROUP_NEED "pids memory"     /* controllers we need */

/* Read root+path whole (caller frees), or NULL. */
static char *
cgroup_read(const char *root, const char *path)
{
	char *full, *data = NULL, *cause = NULL;
	size_t len;

	xasprintf(&full, "%s%s", root, path);
	if (file_read(full, CGROUP_MAX_FILE, &data, &len, &cause) == -1) {
		free(cause);
		data = NULL;
	}
	free(full);
	return data;
}

/* Write s to path (a cgroup file: no O_TRUNC).  0 or -1 (errno). */
static int
cgroup_write(const char *path, const char *s)
{
	ssize_t n;
	int fd, err;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return -1;
	n = write(fd, s, strlen(s));
	err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Whether the space-separated `list` holds the word `w`. */
static int
cgroup_has(const char *list, const char *w, size_t wlen)
{
	const char *p = list;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n == wlen && strncmp(p, w, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* Whether `list` holds every controller of CGROUP_NEED. */
static int
cgroup_has_all(const char *list)
{
	const char *p = CGROUP_NEED;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, " ");
		if (!cgroup_has(list, p, n))
			return 0;
		p += n;
		p += strspn(p, " ");
	}
	return 1;
}

/* Our v2 path: the "0::/x" line of /proc/PID/cgroup (caller frees). */
static char *
cgroup_self_path(const char *root, pid_t self)
{
	char file[64], *data, *line, *save = NULL, *out = NULL;

	snprintf(file, sizeof file, "/proc/%ld/cgroup", (long)self);
	if ((data = cgroup_read(root, file)) == NULL)
		return NULL;
	for (line = strtok_r(data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::/", 4) == 0) {
			out = xstrdup(line + 3);
			break;
		}
	}
	free(data);
	return out;
}

/*
 * The cgroup2 mount: its mount point and the path of the hierarchy it
 * shows (field 4 of mountinfo; "/" but in a cgroup namespace).  0 or -1.
 */
static int
cgroup_mount(const char *root, pid_t self, char **mnt, char **mroot)
{
	char file[64], *data, *line, *save = NULL, *dash, *f[6], *fs;
	char *s2;
	int i, rc = -1;

	*mnt = *mroot = NULL;
	snprintf(file, sizeof file, "/proc/%ld/mountinfo", (long)self);
	if ((data = cgroup_read(root, file)) == NULL)
		return -1;
	for (line = strtok_r(data, "\n", &save); line != NULL && rc == -1;
	     line = strtok_r(NULL, "\n", &save)) {
		if ((dash = strstr(line, " - ")) == NULL)
			continue;
		fs = dash + 3;
		if (strncmp(fs, "cgroup2 ", 8) != 0)
			continue;
		*dash = '\0';
		s2 = NULL;
		for (i = 0; i < 6; i++)
			f[i] = strtok_r(i == 0 ? line : NULL, " ", &s2);
		if (f[3] == NULL || f[4] == NULL)
			continue;
		*mroot = xstrdup(f[3]);
		*mnt = xstrdup(f[4]);
		rc = 0;
	}
	free(data);
	return rc;
}

/* Whether every pid in dir/cgroup.procs is `self`. */
static int
cgroup_alone(const char *dir, pid_t self)
{
	char *data, *line, *save = NULL;
	int alone = 1;

	if ((data = cgroup_read("", dir)) == NULL)
		return 0;
	for (line = strtok_r(data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strtol(line, NULL, 10) != (long)self)
			alone = 0;
	}
	free(data);
	return alone;
}

enum cgroup_mode
cgroup_plan(const char *root, pid_t self, struct cgroup_plan *p)
{
	char *path = NULL, *mnt = NULL, *mroot = NULL, *ctl = NULL;
	char *sub = NULL, file[PATH_MAX + 32];
	const char *rel;
	size_t rl;

	memset(p, 0, sizeof *p);
	p->mode = CGROUP_NONE;
	snprintf(p->root, sizeof p->root, "%s", root);
	if ((path = cgroup_self_path(root, self)) == NULL) {
		snprintf(p->why, sizeof p->why,
		    "no cgroup v2 hierarchy (cgroup v1 only)");
		goto out;
	}
	if (cgroup_mount(root, self, &mnt, &mroot) == -1) {
		snprintf(p->why, sizeof p->why, "cgroup2 is not mounted");
		goto out;
	}
	rl = strcmp(mroot, "/") == 0 ? 0 : strlen(mroot);
	if (rl > 0 &&
	    (strncmp(path, mroot, rl) != 0 ||
		(path[rl] != '/' && path[rl] != '\0'))) {
		snprintf(p->why, sizeof p->why,
		    "our cgroup %s is outside the mounted cgroup2 hierarchy",
		    path);
		goto out;
	}
	rel = path + rl;
	snprintf(p->dir, sizeof p->dir, "%s%s%s", root, mnt,
	    strcmp(rel, "/") == 0 ? "" : rel);
	snprintf(file, sizeof file, "%s/cgroup.controllers", p->dir);
	if ((ctl = cgroup_read("", file)) == NULL) {
		snprintf(p->why, sizeof p->why, "%s: not a cgroup v2 directory",
		    p->dir);
		goto out;
	}
	if (!cgroup_has_all(ctl)) {
		snprintf(p->why, sizeof p->why,
		    "cgroup v2 offers no pids and memory controllers in %s "
		    "(a hybrid system keeps them on v1)",
		    p->dir);
		goto out;
	}
	snprintf(file, sizeof file, "%s/cgroup.subtree_control", p->dir);
	if ((sub = cgroup_read("", file)) == NULL || access(file, W_OK) == -1 ||
	    access(p->dir, W_OK) == -1) {
		snprintf(p->why, sizeof p->why,
		    "our cgroup %s is not delegated to us (not writable)",
		    p->dir);
		goto out;
	}
	if (cgroup_has_all(sub)) {
		p->mode = CGROUP_DIRECT;
		goto out;
	}
	snprintf(file, sizeof file, "%s/cgroup.procs", p->dir);
	if (access(file, W_OK) == -1 || !cgroup_alone(file, self)) {
		snprintf(p->why, sizeof p->why,
		    "other processes share our cgroup %s: its controllers "
		    "cannot go to children",
		    p->dir);
		goto out;
	}
	p->mode = CGROUP_MOVE_SELF;
out:
	free(path);
	free(mnt);
	free(mroot);
	free(ctl);
	free(sub);
	return p->mode;
}

/* Remove the empty worker cgroups a killed daemon left in dir. */
static void
cgroup_sweep(const char *dir)
{
	struct dirent *de;
	char *path;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, CGROUP_WORKER, strlen(CGROUP_WORKER)) !=
		    0)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		rmdir(path); /* EBUSY while a worker lives there */
		free(path);
	}
	closedir(d);
}

int
cgroup_prepare(struct cgroup_plan *p, pid_t self, char **cause)
{
	char *leaf = NULL, *file = NULL, pid[32];
	int rc = -1;

	if (p->mode == CGROUP_NONE) {
		xasprintf(cause, "%s", p->why);
		return -1;
	}
	if (p->mode == CGROUP_MOVE_SELF) {
		xasprintf(&leaf, "%s/%s", p->dir, CGROUP_LEAF);
		if (mkdir(leaf, 0755) == -1 && errno != EEXIST) {
			xasprintf(cause, "%s: %s", leaf, strerror(errno));
			goto out;
		}
		xasprintf(&file, "%s/cgroup.procs", leaf);
		snprintf(pid, sizeof pid, "%ld\n", (long)self);
		if (cgroup_write(file, pid) == -1) {
			xasprintf(cause, "%s: %s", file, strerror(errno));
			goto out;
		}
		free(file);
		xasprintf(&file, "%s/cgroup.subtree_control", p->dir);
		if (cgroup_write(file, "+pids +memory") == -1) {
			xasprintf(cause, "%s: %s", file, strerror(errno));
			goto out;
		}
		p->mode = CGROUP_DIRECT;
	}
	cgroup_sweep(p->dir);
	rc = 0;
out:
	if (rc == -1) {
		snprintf(p->why, sizeof p->why, "%s", *cause);
		p->mode = CGROUP_NONE;
	}
	free(leaf);
	free(file);
	return rc;
}

int
cgroup_worker_new(const struct cgroup_plan *p, pid_t self, char **path,
    char **cause)
{
	static unsigned long seq;
	unsigned long n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	int fd;

	*path = NULL;
	if (p->mode != CGROUP_DIRECT) {
		xasprintf(cause, "no delegated cgroup");
		return -1;
	}
	xasprintf(path, "%s/%s%ld-%lu", p->dir, CGROUP_WORKER, (long)self, n);
	if (mkdir(*path, 0755) == -1 ||
	    (fd = open(*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", *path, strerror(errno));
		rmdir(*path);
		free(*path);
		*path = NULL;
		return -1;
	}
	return fd;
}

int
cgroup_worker_limits(const char *path, int max_procs, long memory_mb,
    char **cause)
{
	char file[PATH_MAX + 32], v[64];

	if (max_procs > 0) {
		snprintf(file, sizeof file, "%s/pids.max", path);
		snprintf(v, sizeof v, "%d\n", max_procs);
		if (cgroup_write(file, v) == -1)
			goto fail;
	}
	if (memory_mb > 0) {
		snprintf(file, sizeof file, "%s/memory.max", path);
		snprintf(v, sizeof v, "%lld\n", (long long)memory_mb * 1048576);
		if (cgroup_write(file, v) == -1)
			goto fail;
	}
	return 0;
fail:
	xasprintf(cause, "%s: %s", file, strerror(errno));
	return -1;
}

int
cgroup_worker_remove(const char *path)
{
	return rmdir(path);
}
