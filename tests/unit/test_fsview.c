/*
 * test_fsview.c — the worker's filesystem view (security/fsview.h).
 *
 * The mask list over a scratch /etc (known secrets, globbed SSH host
 * keys, entries others may not read, links replaced by their targets,
 * sorted, no duplicates); which paths the view already shows; the
 * parents of a path.  Then the view itself, built in a forked child
 * (in a user namespace of its own when not root) over a scratch
 * workspace: what it shows and what it hides, checked from inside;
 * and the one file bound for a /etc/resolv.conf that links into /run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "security/fsview.h"
#include "tmpdir.h"
#include "util/xalloc.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	return tmpdir_make(dir, sizeof dir, "fsview");
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	return 0;
}

/* Make dir/rel (a file of `mode`, or a directory when rel ends in /). */
static void
make(const char *rel, mode_t mode)
{
	char path[256];
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	n = strlen(path);
	if (path[n - 1] == '/') {
		path[n - 1] = '\0';
		assert_int_equal(mkdir(path, mode), 0);
	} else {
		assert_int_equal(tmpdir_put(dir, rel, "x\n"), 0);
		assert_int_equal(chmod(path, mode), 0);
	}
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_masks(void **state)
{
	char etc[128], link[256], *want[16];
	const char *rel[] = { "etc/gshadow", "etc/hidden-dir",
		"etc/private.key", "etc/shadow", "etc/shadow-",
		"etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_rsa_key",
		"etc/ssl/private", "etc/sudoers.d", "real-sudoers" };
	json_t *m;
	size_t i, n = sizeof rel / sizeof *rel;

	(void)state;
	make("etc/", 0755);
	make("etc/passwd", 0644);  /* readable: shown */
	make("etc/shadow", 0640);  /* listed and unreadable */
	make("etc/shadow-", 0644); /* listed: masked even if readable */
	make("etc/gshadow", 0640);
	make("etc/private.key", 0600); /* not listed, unreadable by others */
	make("etc/hidden-dir/", 0750); /* a directory others may not enter */
	make("etc/open-dir/", 0755);
	make("etc/ssh/", 0755);
	make("etc/ssh/ssh_host_rsa_key", 0600);
	make("etc/ssh/ssh_host_rsa_key.pub", 0644); /* public: shown */
	make("etc/ssh/ssh_host_ed25519_key", 0600);
	make("etc/ssh/ssh_config", 0644);
	make("etc/ssl/", 0755);
	make("etc/ssl/private/", 0700);
	make("etc/sudoers.d/", 0750);
	make("real-sudoers", 0440);
	snprintf(link, sizeof link, "%s/real-sudoers", dir);
	snprintf(etc, sizeof etc, "%s/etc/sudoers", dir);
	assert_int_equal(symlink(link, etc), 0); /* masked at its target */
	snprintf(etc, sizeof etc, "%s/etc/krb5.keytab", dir);
	assert_int_equal(symlink("/nonexistent/x", etc), 0); /* dangling */

	snprintf(etc, sizeof etc, "%s/etc", dir);
	m = fsview_masks(etc);
	for (i = 0; i < n; i++)
		xasprintf(&want[i], "%s/%s", dir, rel[i]);
	for (i = 0; i < json_array_size(m) && i < n; i++)
		assert_string_equal(json_string_value(json_array_get(m, i)),
		    want[i]);
	assert_int_equal(json_array_size(m), n);
	for (i = 0; i < n; i++)
		free(want[i]);
	json_decref(m);

	/* No /etc at all: nothing to mask. */
	m = fsview_masks("/nonexistent-etc");
	assert_int_equal(json_array_size(m), 0);
	json_decref(m);
}

static void
test_covers(void **state)
{
	static const struct {
		const char *path;
		int covered;
	} cases[] = {
		{ "/usr", 1 },
		{ "/usr/bin/python3", 1 },
		{ "/etc/resolv.conf", 1 },
		{ "/opt/tool", 1 },
		{ "/lib64/ld-linux-x86-64.so.2", 1 },
		{ "/run/systemd/resolve/stub-resolv.conf", 0 },
		{ "/usrx", 0 },
		{ "/etcetera/x", 0 },
		{ "/home/u", 0 },
		{ "/", 0 },
		{ "/tmp/etc", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (fsview_covers(cases[i].path) != cases[i].covered)
			fail_msg("%s: want %d", cases[i].path,
			    cases[i].covered);
	}
}

static void
test_parents(void **state)
{
	json_t *p;

	(void)state;
	p = fsview_parents("/a/bb/ccc");
	assert_int_equal(json_array_size(p), 2);
	assert_string_equal(json_string_value(json_array_get(p, 0)), "/a");
	assert_string_equal(json_string_value(json_array_get(p, 1)), "/a/bb");
	json_decref(p);
	p = fsview_parents("/a");
	assert_int_equal(json_array_size(p), 0);
	json_decref(p);
}

/* Check one thing in the child; the bit it sets on failure. */
#define CHECK(bit, cond) \
	do { \
		if (!(cond)) \
			bad |= 1 << (bit); \
	} while (0)

/* In the child: build the view, look around, say what failed (bits). */
static int
view_child(const char *ws, const char *hostfile)
{
	struct fsview_opts o = { ws, 0, 0 };
	struct fsview_info info;
	struct statvfs sv;
	char *cause = NULL, path[256];
	int bad = 0, fd;

	if (fsview_build(&o, &info, &cause) == -1) {
		fprintf(stderr, "fsview_build: %s\n", cause);
		free(cause);
		return 255;
	}
	CHECK(0, info.built && info.masked >= 0);
	CHECK(1, access(hostfile, F_OK) == -1 && errno == ENOENT);
	CHECK(2, access("/home", F_OK) == -1 && access("/root", F_OK) == -1);
	CHECK(3,
	    statvfs(ws, &sv) == 0 && (sv.f_flag & ST_NOSUID) &&
		(sv.f_flag & ST_NODEV) && !(sv.f_flag & ST_RDONLY));
	snprintf(path, sizeof path, "%s/inside", ws);
	CHECK(4, (fd = open(path, O_WRONLY | O_CREAT, 0644)) != -1);
	if (fd != -1)
		close(fd);
	CHECK(5, statvfs("/usr", &sv) == 0 && (sv.f_flag & ST_RDONLY));
	CHECK(6, mkdir("/new", 0755) == -1); /* the root is read-only */
	CHECK(7,
	    (fd = open("/etc/shadow", O_RDONLY)) == -1 ||
		access("/etc/shadow", F_OK) == -1);
	CHECK(8,
	    access("/dev/null", W_OK) == 0 &&
		(fd = open("/dev/null", O_WRONLY)) != -1 &&
		write(fd, "x", 1) == 1);
	CHECK(9, access("/tmp", W_OK) == 0 && access("/proc/self", F_OK) == 0);
	CHECK(10, access("/oldroot", F_OK) == -1);
	return bad;
}

/* Not root: a user namespace that maps only us.  0 or -1. */
static int
userns(void)
{
	char map[64];
	int uid = (int)geteuid(), gid = (int)getegid();

	if (unshare(CLONE_NEWUSER) == -1)
		return -1;
	snprintf(map, sizeof map, "%d %d 1\n", uid, uid);
	if (tmpdir_put("/proc/self", "uid_map", map) == -1 ||
	    tmpdir_put("/proc/self", "setgroups", "deny") == -1)
		return -1;
	snprintf(map, sizeof map, "%d %d 1\n", gid, gid);
	return tmpdir_put("/proc/self", "gid_map", map);
}

static void
test_build(void **state)
{
	char ws[128], hostfile[128];
	int status;
	pid_t pid;

	(void)state;
	snprintf(ws, sizeof ws, "%s/ws", dir);
	assert_int_equal(mkdir(ws, 0700), 0);
	snprintf(hostfile, sizeof hostfile, "%s/hostfile", dir);
	assert_int_equal(tmpdir_put(dir, "hostfile", "host\n"), 0);
	if ((pid = fork()) == 0) {
		if (geteuid() != 0 && userns() == -1)
			_exit(254); /* no user namespace: nothing to test */
		_exit(view_child(ws, hostfile));
	}
	assert_int_not_equal(pid, -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 254)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
	/* What was written in the view is on the host; the host is as it was. */
	snprintf(hostfile, sizeof hostfile, "%s/ws/inside", dir);
	assert_int_equal(access(hostfile, F_OK), 0);
	assert_int_equal(access("/tmp/oldroot", F_OK), -1);
}

/*
 * In the child: an /etc whose resolv.conf links to /run/r/resolv.conf
 * (as systemd-resolved's does), made on tmpfs mounts of our own; with
 * the network allowed the view binds that one file, and nothing else
 * of /run.  Bits of what failed.
 */
static int
resolv_child(const char *ws)
{
	struct fsview_opts o = { ws, 1, 0 };
	struct fsview_info info;
	char *cause = NULL, buf[64];
	int bad = 0, fd;
	ssize_t n;

	if (unshare(CLONE_NEWNS) == -1 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", "/etc", "tmpfs", 0, NULL) == -1 ||
	    mount("tmpfs", "/run", "tmpfs", 0, NULL) == -1 ||
	    mkdir("/run/r", 0755) == -1 ||
	    tmpdir_put("/run/r", "resolv.conf", "nameserver 192.0.2.1\n") ==
		-1 ||
	    tmpdir_put("/run", "other", "x") == -1 ||
	    symlink("../run/r/resolv.conf", "/etc/resolv.conf") == -1)
		return 254;
	if (fsview_build(&o, &info, &cause) == -1) {
		fprintf(stderr, "fsview_build: %s\n", cause);
		free(cause);
		return 255;
	}
	CHECK(0, strcmp(info.resolv, "/run/r/resolv.conf") == 0);
	CHECK(1,
	    (fd = open("/etc/resolv.conf", O_RDONLY)) != -1 &&
		(n = read(fd, buf, sizeof buf - 1)) > 0 &&
		strncmp(buf, "nameserver 192.0.2.1", 20) == 0);
	CHECK(2, access("/run/other", F_OK) == -1);
	CHECK(3, (fd = open("/etc/resolv.conf", O_WRONLY)) == -1);
	return bad;
}

static void
test_resolv_link(void **state)
{
	char ws[128];
	int status;
	pid_t pid;

	(void)state;
	snprintf(ws, sizeof ws, "%s/ws", dir);
	assert_int_equal(mkdir(ws, 0700), 0);
	if ((pid = fork()) == 0) {
		if (geteuid() != 0 && userns() == -1)
			_exit(254);
		_exit(resolv_child(ws));
	}
	assert_int_not_equal(pid, -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 254)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_refused_workspaces(void **state)
{
	static const char *const bad[] = { "/", "/proc", "/proc/1/root", "/dev",
		"/dev/shm/x", "relative" };
	struct fsview_opts o = { NULL, 0, 0 };
	struct fsview_info info;
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		o.workspace = bad[i];
		assert_int_equal(fsview_build(&o, &info, &cause), -1);
		assert_non_null(strstr(cause, "cannot be shown in a view"));
		assert_int_equal(info.built, 0);
		free(cause);
		cause = NULL;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_masks, setup, teardown),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_parents),
		cmocka_unit_test_setup_teardown(test_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolv_link, setup,
		    teardown),
		cmocka_unit_test(test_refused_workspaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
