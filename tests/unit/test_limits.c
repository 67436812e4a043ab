/*
 * test_limits.c — the pure parts of the worker's limits: the cgroup v2
 * delegation decision and set-up against fake trees (security/cgroup.h:
 * a hybrid system, cgroup v1 only, a shared cgroup, a delegated one, a
 * cgroup namespace), the bytes a run added to its workspace and how they
 * are said (security/limits.h), and the init's exit codes
 * (agent/worker_init.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/worker_init.h"
#include "security/cgroup.h"
#include "security/limits.h"
#include "tmpdir.h"
#include "util/file.h"

#define SELF 4242

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	return tmpdir_make(dir, sizeof dir, "limits");
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	return 0;
}

/* mkdir -p dir/rel. */
static void
mk(const char *rel)
{
	char path[512], *cause = NULL;

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	assert_int_equal(file_mkdirs(path, 0755, &cause), 0);
}

/* A fake /proc/SELF with its cgroup and mountinfo. */
static void
fake_proc(const char *cgroup, const char *mountinfo)
{
	char rel[64];

	mk("proc/4242");
	snprintf(rel, sizeof rel, "proc/%d/cgroup", SELF);
	assert_int_equal(tmpdir_put(dir, rel, cgroup), 0);
	snprintf(rel, sizeof rel, "proc/%d/mountinfo", SELF);
	assert_int_equal(tmpdir_put(dir, rel, mountinfo), 0);
}

/* A fake cgroup v2 directory rel with its files. */
static void
fake_cgroup(const char *rel, const char *controllers, const char *subtree,
    const char *procs)
{
	char f[200];

	mk(rel);
	snprintf(f, sizeof f, "%s/cgroup.controllers", rel);
	assert_int_equal(tmpdir_put(dir, f, controllers), 0);
	if (subtree != NULL) {
		snprintf(f, sizeof f, "%s/cgroup.subtree_control", rel);
		assert_int_equal(tmpdir_put(dir, f, subtree), 0);
	}
	snprintf(f, sizeof f, "%s/cgroup.procs", rel);
	assert_int_equal(tmpdir_put(dir, f, procs), 0);
}

/* The contents of dir/rel (static buffer), "" if none. */
static const char *
slurp(const char *rel)
{
	static char buf[256];
	char path[512];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if ((fd = open(path, O_RDONLY)) == -1)
		return buf;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

#define MOUNT_V2 "30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
#define MOUNT_HYBRID \
	"25 1 0:22 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n" \
	"26 25 0:23 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n" \
	"27 25 0:24 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"

static void
test_hybrid_has_no_controllers(void **state)
{
	struct cgroup_plan p;

	(void)state;
	fake_proc("8:pids:/\n4:memory:/x\n0::/\n", MOUNT_HYBRID);
	fake_cgroup("sys/fs/cgroup/unified", "", "", "1\n");
	assert_int_equal(cgroup_plan(dir, SELF, &p), CGROUP_NONE);
	assert_non_null(strstr(p.why, "no pids and memory controllers"));
}

static void
test_v1_only(void **state)
{
	struct cgroup_plan p;

	(void)state;
	fake_proc("8:pids:/\n4:memory:/x\n", MOUNT_HYBRID);
	assert_int_equal(cgroup_plan(dir, SELF, &p), CGROUP_NONE);
	assert_non_null(strstr(p.why, "cgroup v1 only"));
}

static void
test_not_mounted(void **state)
{
	struct cgroup_plan p;

	(void)state;
	fake_proc("0::/a\n", "25 1 0:22 / / rw - ext4 /dev/vda rw\n");
	assert_int_equal(cgroup_plan(dir, SELF, &p), CGROUP_NONE);
	assert_non_null(strstr(p.why, "not mounted"));
}

static void
test_shared_cgroup_is_not_ours(void **state)
{
	struct cgroup_plan p;

	(void)state;
	/* A login session: our shell is in our cgroup too. */
	fake_proc("0::/user.slice/session-2.scope\n", MOUNT_V2);
	fake_cgroup("sys/fs/cgroup/user.slice/session-2.scope",
	    "cpu memory pids\n", "\n", "4242\n77\n");
	assert_int_equal(cgroup_plan(dir, SELF, &p), CGROUP_NONE);
	assert_non_null(strstr(p.why, "other processes share"));
}

static void
test_not_a_cgroup_dir(void **state)
{
	struct cgroup_plan p;

	(void)state;
	fake_proc("0::/gone\n", MOUNT_V2);
	assert_int_equal(cgroup_plan(dir, SELF, &p), CGROUP_NONE);
	assert_non_null(strstr(p.why, "not a cgroup v2 directory"));
	/* No subtree_control: not a delegated v2 directory either. */
	fake_cgroup("sys/fs/cgroup/half", "memory pids\n", NULL, "4242\n");
	fake_proc("0::/half\n", MOUNT_V2);
	assert_int_equal(cgroup_plan(dir, SELF, &p), CGROUP_NONE);
	assert_non_null(strstr(p.why, "not delegated"));
}

static void
test_delegated_alone_moves_self(void **state)
{
	struct cgroup_plan p;
	char *cause = NULL, *path = NULL;
	int fd;

	(void)state;
	fake_proc("0::/system.slice/oxios.service\n", MOUNT_V2);
	fake_cgroup("sys/fs/cgroup/system.slice/oxios.service",
	    "cpuset cpu io memory pids\n", "\n", "4242\n");
	/* A worker cgroup a killed daemon left behind. */
	mk("sys/fs/cgroup/system.slice/oxios.service/oxios-worker-1-1");
	assert_int_equal(cgroup_plan(dir, SELF, &p), CGROUP_MOVE_SELF);
	assert_int_equal(cgroup_prepare(&p, SELF, &cause), 0);
	assert_null(cause);
	assert_int_equal(p.mode, CGROUP_DIRECT);
	assert_string_equal(slurp("sys/fs/cgroup/system.slice/oxios.service/"
				  "oxios-daemon/cgroup.procs"),
	    "4242\n");
	assert_string_equal(slurp("sys/fs/cgroup/system.slice/oxios.service/"
				  "cgroup.subtree_control"),
	    "+pids +memory");
	assert_int_equal(access(p.dir, F_OK), 0);
	{
		char left[512];

		snprintf(left, sizeof left,
		    "%s/sys/fs/cgroup/system.slice/oxios.service/"
		    "oxios-worker-1-1",
		    dir);
		assert_int_equal(access(left, F_OK), -1); /* swept */
	}

	/* A worker's cgroup: made, bounded, removed. */
	fd = cgroup_worker_new(&p, SELF, &path, &cause);
	assert_true(fd >= 0);
	assert_non_null(strstr(path, "/oxios.service/oxios-worker-4242-"));
	assert_int_equal(cgroup_worker_limits(path, 64, 512, &cause), 0);
	{
		char rel[600];

		snprintf(rel, sizeof rel, "%s/pids.max",
		    path + strlen(dir) + 1);
		assert_string_equal(slurp(rel), "64\n");
		snprintf(rel, sizeof rel, "%s/memory.max",
		    path + strlen(dir) + 1);
		assert_string_equal(slurp(rel), "536870912\n");
		snprintf(rel, sizeof rel, "%s/pids.max", path);
		unlink(rel);
		snprintf(rel, sizeof rel, "%s/memory.max", path);
		unlink(rel);
	}
	close(fd);
	assert_int_equal(cgroup_worker_remove(path), 0);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
}

static void
test_delegated_subtree_is_direct(void **state)
{
	struct cgroup_plan p;
	char *cause = NULL;

	(void)state;
	/* A cgroup namespace: the mount shows /c as its root. */
	fake_proc("0::/c/app\n",
	    "30 1 0:26 /c /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	fake_cgroup("sys/fs/cgroup/app", "memory pids\n", "memory pids\n",
	    "1\n2\n");
	assert_int_equal(cgroup_plan(dir, SELF, &p), CGROUP_DIRECT);
	assert_non_null(strstr(p.dir, "/sys/fs/cgroup/app"));
	assert_int_equal(cgroup_prepare(&p, SELF, &cause), 0);
	/* Outside the namespace's root: refused. */
	fake_proc("0::/d/app\n",
	    "30 1 0:26 /c /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	assert_int_equal(cgroup_plan(dir, SELF, &p), CGROUP_NONE);
	assert_non_null(strstr(p.why, "outside"));
	assert_int_equal(cgroup_prepare(&p, SELF, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

static void
test_bytes_said(void **state)
{
	static const struct {
		unsigned long long n;
		const char *want;
	} cases[] = {
		{ 0, "0 bytes" },
		{ 1023, "1023 bytes" },
		{ 1024, "1 kB" },
		{ 1536, "1.5 kB" },
		{ 1024ULL * 1024 * 1024, "1 GB" },
		{ 1181116006ULL, "1.1 GB" },
		{ 640ULL * 1024 * 1024, "640 MB" },
		{ 3ULL << 40, "3 TB" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++)
		assert_string_equal(limits_bytes(cases[i].n, buf, sizeof buf),
		    cases[i].want);
}

static void
test_ws_over(void **state)
{
	const unsigned long long gb = 1ULL << 30;
	char *s;

	(void)state;
	assert_null(limits_ws_over(5 * gb, 0, 0));      /* no cap */
	assert_null(limits_ws_over(gb + 100, 100, gb)); /* at it */
	assert_null(limits_ws_over(10, 100, gb));       /* shrank */
	s = limits_ws_over(gb + gb / 10 + 100, 100, gb);
	assert_string_equal(s,
	    "the workspace grew by 1.1 GB, over the cap "
	    "of 1 GB for this run");
	free(s);
}

static void
test_ws_usage(void **state)
{
	char buf[65536], path[128];
	unsigned long long before, after;
	int fd, d;

	(void)state;
	mk("ws/a/b");
	snprintf(path, sizeof path, "%s/ws", dir);
	d = open(path, O_PATH | O_DIRECTORY);
	assert_true(d >= 0);
	before = limits_ws_usage(d);
	snprintf(path, sizeof path, "%s/ws/a/b/f", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	memset(buf, 'x', sizeof buf);
	assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
	fsync(fd);
	close(fd);
	/* A link out is not followed. */
	snprintf(path, sizeof path, "%s/ws/out", dir);
	assert_int_equal(symlink("/usr", path), 0);
	after = limits_ws_usage(d);
	assert_true(after >= before + sizeof buf);
	assert_true(after < before + 4 * sizeof buf);
	close(d);
}

static void
test_init_codes(void **state)
{
	(void)state;
	assert_int_equal(worker_init_code(0), 0);
	assert_int_equal(worker_init_code(1 << 8), 1);
	assert_int_equal(worker_init_code(SIGXCPU), 128 + SIGXCPU);
	assert_int_equal(worker_init_code(SIGKILL | 0x80), 128 + SIGKILL);
	assert_int_equal(worker_init_signal(128 + SIGXCPU), SIGXCPU);
	assert_int_equal(worker_init_signal(1), 0);
	assert_int_equal(worker_init_signal(128), 0);
	assert_int_equal(worker_init_signal(127), 0);
	assert_int_equal(worker_init_signal(255), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hybrid_has_no_controllers,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_mounted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shared_cgroup_is_not_ours,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_cgroup_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delegated_alone_moves_self,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_delegated_subtree_is_direct,
		    setup, teardown),
		cmocka_unit_test(test_bytes_said),
		cmocka_unit_test(test_ws_over),
		cmocka_unit_test_setup_teardown(test_ws_usage, setup, teardown),
		cmocka_unit_test(test_init_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
