/*
 * cgroup.h — a cgroup v2 of its own for each worker, where the kernel
 * delegates one to us: `pids.max` and `memory.max` bound the worker and
 * everything it starts, whatever the uid (docs/security.md, "Limits").
 *
 * Delegated means: a cgroup2 hierarchy is mounted, our cgroup (the
 * "0::" line of /proc/self/cgroup) offers the pids and memory
 * controllers, we may write it, and either its subtree_control already
 * hands them to children, or we are alone in it, so that we can move
 * ourselves into a leaf ("oxios-daemon") and enable them (the kernel
 * forbids processes in a cgroup whose controllers go to its children).
 * Anywhere else (cgroup v1, a hybrid system whose v2 hierarchy has no
 * controllers, a cgroup shared with a login shell) nothing is done and
 * the worker's rlimits and PID namespace bound it (security/limits.h).
 *
 * Every function takes `root`, prefixed to every path it reads or writes
 * ("" on a real system): the unit test runs it against a fake tree.
 */
#ifndef OXIOS_SECURITY_CGROUP_H
#define OXIOS_SECURITY_CGROUP_H

#include <limits.h>
#include <sys/types.h>

#define CGROUP_LEAF "oxios-daemon"    /* where we move ourselves */
#define CGROUP_WORKER "oxios-worker-" /* + our pid + "-" + a number */

enum cgroup_mode {
	CGROUP_NONE,      /* not delegated: why says why */
	CGROUP_DIRECT,    /* children of dir get the controllers already */
	CGROUP_MOVE_SELF, /* we are alone in dir: move into a leaf first */
};

struct cgroup_plan {
	enum cgroup_mode mode;
	char root[PATH_MAX];      /* the prefix ("" for the real system) */
	char dir[PATH_MAX];       /* our cgroup's directory, root included */
	char why[PATH_MAX + 256]; /* CGROUP_NONE: why not, in words */
};

/*
 * Decide what can be done for process `self` (a tgid).  Always fills
 * *p; returns its mode.
 */
enum cgroup_mode cgroup_plan(const char *root, pid_t self,
    struct cgroup_plan *p);
/*
 * Carry the plan out: for CGROUP_MOVE_SELF move `self` into
 * dir/CGROUP_LEAF and enable the controllers for dir's children; remove
 * empty worker cgroups that a killed daemon left.  Afterwards the mode
 * is CGROUP_DIRECT.  0, or -1 with *cause (caller frees; the plan is
 * then CGROUP_NONE).
 */
int cgroup_prepare(struct cgroup_plan *p, pid_t self, char **cause);
/*
 * Make a worker's cgroup, dir/CGROUP_WORKER<self>-<n>.  Returns an
 * O_DIRECTORY fd of it (for clone3()'s CLONE_INTO_CGROUP) with *path
 * (caller frees), or -1 with *cause.
 */
int cgroup_worker_new(const struct cgroup_plan *p, pid_t self, char **path,
    char **cause);
/*
 * Bound it: pids.max = max_procs, memory.max = memory_mb MiB (0: leave
 * it "max").  0, or -1 with *cause.
 */
int cgroup_worker_limits(const char *path, int max_procs, long memory_mb,
    char **cause);
/* Remove it (empty once the worker's namespace is gone).  0 or -1. */
int cgroup_worker_remove(const char *path);

#endif
