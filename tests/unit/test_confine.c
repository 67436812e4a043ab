/*
 * test_confine.c — paths beneath the workspace (security/confine.h).
 *
 * The lexical check as a table; then, in a scratch tree with a workspace
 * and a directory "outside" beside it, every way out we know of: "..",
 * absolute paths, symbolic links out (absolute, relative, to a file, in
 * the middle of a path), /proc/self/root and other magic links, creating
 * through a link.  Each is tried with openat2 (when the kernel, or
 * valgrind, has it) and with the walk that stands for older kernels.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/openat2.h>

#include "security/confine.h"
#include "openat2.h"
#include "tmpdir.h"
#include "util/path.h"
#include "util/xalloc.h"

static char dir[64];  /* the scratch directory */
static char ws[128];  /* the workspace, inside it */
static char out[128]; /* outside the workspace, inside dir */
static int wsfd = -1;

static const struct {
	const char *path;
	size_t len;       /* 0: strlen(path) */
	const char *norm; /* NULL: refused ... */
	const char *why;  /* ... with this in the cause */
} check_cases[] = {
	{ "a", 0, "a", NULL },
	{ "a/b/c.txt", 0, "a/b/c.txt", NULL },
	{ "./a//b/", 0, "a/b", NULL },
	{ ".", 0, ".", NULL },
	{ "a/..", 0, ".", NULL },
	{ "out/../in.txt", 0, "in.txt", NULL },
	{ "a/b/../../c", 0, "c", NULL },
	{ "..", 0, NULL, "the path leaves the workspace" },
	{ "../outside/secret", 0, NULL, "the path leaves the workspace" },
	{ "a/../../outside/secret", 0, NULL, "the path leaves the workspace" },
	{ "./../x", 0, NULL, "the path leaves the workspace" },
	{ "/etc/passwd", 0, NULL, "absolute paths are not allowed" },
	{ "/", 0, NULL, "absolute paths are not allowed" },
	{ "/proc/self/root/etc/passwd", 0, NULL,
	    "absolute paths are not allowed" },
	{ "", 0, NULL, "the path is empty" },
	{ "in.txt\0x", 8, NULL, "NUL byte" },
};

static void
put(const char *root, const char *rel, const char *text)
{
	assert_int_equal(tmpdir_put(root, rel, text), 0);
}

static void
link_at(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", ws, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int
exists(const char *root, const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

static int
setup(void **state)
{
	char target[256];

	(void)state;
	if (tmpdir_make(dir, sizeof dir, "confine") != 0)
		return -1;
	snprintf(ws, sizeof ws, "%s/ws", dir);
	snprintf(out, sizeof out, "%s/outside", dir);
	if (mkdir(ws, 0700) == -1 || mkdir(out, 0700) == -1)
		return -1;
	put(out, "secret", "top secret\n");
	put(ws, "in.txt", "inside\n");
	snprintf(target, sizeof target, "%s/sub", ws);
	if (mkdir(target, 0700) == -1)
		return -1;
	put(ws, "sub/deep.txt", "deep\n");
	link_at(out, "out"); /* a directory out, absolute */
	snprintf(target, sizeof target, "%s/secret", out);
	link_at(target, "sec");      /* a file out, absolute */
	link_at("../outside", "up"); /* a directory out, relative */
	link_at("../../outside/secret", "sub/esc"); /* deeper, relative */
	link_at("/proc/self/root", "root");  /* the root, through /proc */
	link_at("in.txt", "good");           /* stays inside */
	link_at("sub/deep.txt", "gooddeep"); /* stays inside, deeper */
	if ((wsfd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	close(wsfd);
	tmpdir_remove(dir);
	return 0;
}

static void
test_check(void **state)
{
	char *norm, *cause;
	size_t i, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		norm = cause = NULL;
		len = check_cases[i].len != 0 ? check_cases[i].len :
						strlen(check_cases[i].path);
		rc = confine_check(check_cases[i].path, len, &norm, &cause);
		if (check_cases[i].norm != NULL) {
			if (rc != 0 || strcmp(norm, check_cases[i].norm) != 0)
				fail_msg("'%s': %s", check_cases[i].path,
				    rc == 0 ? norm : cause);
			assert_null(cause);
		} else {
			if (rc != -1 || norm != NULL ||
			    strstr(cause, check_cases[i].why) == NULL)
				fail_msg("'%s': %s", check_cases[i].path,
				    rc == 0 ? norm : cause);
		}
		free(norm);
		free(cause);
	}
	/* One byte under the limit passes, the limit does not. */
	{
		char *p = xmalloc(PATH_MAX_LEN + 1);

		memset(p, 'a', PATH_MAX_LEN);
		p[PATH_MAX_LEN] = '\0';
		norm = cause = NULL;
		assert_int_equal(confine_check(p, PATH_MAX_LEN, &norm, &cause),
		    -1);
		assert_non_null(strstr(cause, "too long"));
		free(cause);
		p[PATH_MAX_LEN - 1] = '\0';
		assert_int_equal(confine_check(p, PATH_MAX_LEN - 1, &norm,
				     &cause),
		    0);
		free(norm);
		free(p);
	}
}

typedef int (*opener)(int, const char *, int, mode_t, char **);

/* Open path with `op`; it must fail with one of errs (0-ended) and a
 * cause holding `why` (if not NULL). */
static void
refused(opener op, const char *path, int flags, const int *errs,
    const char *why)
{
	char *cause = NULL;
	int fd, i, ok = 0;

	errno = 0;
	fd = op(wsfd, path, flags, 0600, &cause);
	if (fd != -1) {
		close(fd);
		fail_msg("'%s' was opened", path);
	}
	for (i = 0; errs[i] != 0; i++)
		ok |= errno == errs[i];
	if (!ok)
		fail_msg("'%s': errno %d (%s)", path, errno, cause);
	if (cause == NULL || (why != NULL && strstr(cause, why) == NULL))
		fail_msg("'%s': cause %s", path, cause ? cause : "(none)");
	free(cause);
}

/* Open path with `op` for reading; it must hold `want`. */
static void
reads(opener op, const char *path, const char *want)
{
	char buf[64], *cause = NULL;
	ssize_t n;
	int fd;

	fd = op(wsfd, path, O_RDONLY, 0, &cause);
	if (fd == -1)
		fail_msg("'%s': %s", path, cause);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
	/* O_CLOEXEC is always added. */
	fd = op(wsfd, path, O_RDONLY, 0, &cause);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void
test_open_openat2(void **state)
{
	static const int out_errs[] = { EXDEV, ELOOP, 0 };
	static const int noent[] = { ENOENT, 0 };
	static const char *const escapes[] = { "..", "../outside/secret",
		"sub/../../outside/secret", "/etc/passwd", "out/secret", "sec",
		"up/secret", "sub/esc", "root/etc/passwd", "out", NULL };
	char *cause = NULL;
	size_t i;
	int fd;

	(void)state;
	if (!have_openat2()) {
		skip();
		return;
	}
	for (i = 0; escapes[i] != NULL; i++)
		refused(confine_open, escapes[i], O_RDONLY, out_errs, NULL);
	refused(confine_open, "sec", O_RDONLY, out_errs,
	    "leads outside the workspace");
	/* Creating through a link out makes nothing out there. */
	refused(confine_open, "out/new", O_WRONLY | O_CREAT, out_errs, NULL);
	refused(confine_open, "up/new", O_WRONLY | O_CREAT, out_errs, NULL);
	assert_false(exists(out, "new"));
	/* Inside: plain, through links that stay, ".." that stays. */
	reads(confine_open, "in.txt", "inside\n");
	reads(confine_open, "good", "inside\n");
	reads(confine_open, "gooddeep", "deep\n");
	reads(confine_open, "sub/../in.txt", "inside\n");
	refused(confine_open, "nothing", O_RDONLY, noent, "No such file");
	fd = confine_open(wsfd, "made", O_WRONLY | O_CREAT | O_EXCL, 0600,
	    &cause);
	assert_true(fd >= 0);
	close(fd);
	assert_true(exists(ws, "made"));
	fd = confine_open(wsfd, ".", O_PATH | O_DIRECTORY, 0, &cause);
	assert_true(fd >= 0);
	close(fd);
	assert_null(cause);
}

/* Magic links: beneath /proc/self, "root", "cwd" and "fd/N" lead
 * anywhere; none may be followed.  RESOLVE_BENEATH alone would refuse
 * them with EXDEV; RESOLVE_NO_MAGICLINKS says ELOOP first. */
static void
test_open_magic_links(void **state)
{
	static const int errs[] = { EXDEV, ELOOP, 0 };
	static const int loop[] = { ELOOP, 0 }; /* not just "beneath" */
	char path[32];
	int proc, saved = wsfd, fd;

	(void)state;
	assert_true((proc = open("/proc/self", O_PATH | O_DIRECTORY)) >= 0);
	assert_true((fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC)) >= 0);
	snprintf(path, sizeof path, "fd/%d", fd);
	wsfd = proc;
	if (have_openat2()) {
		refused(confine_open, "root/etc/passwd", O_RDONLY, loop, NULL);
		refused(confine_open, "cwd", O_RDONLY | O_DIRECTORY, loop,
		    NULL);
		refused(confine_open, path, O_RDONLY, loop, NULL);
		refused(confine_open, "exe", O_RDONLY, loop, NULL);
	}
	refused(confine_open_walk, "root/etc/passwd", O_RDONLY, errs, NULL);
	refused(confine_open_walk, "cwd", O_RDONLY | O_DIRECTORY, errs, NULL);
	refused(confine_open_walk, path, O_RDONLY, errs, NULL);
	refused(confine_open_walk, "exe", O_RDONLY, errs, NULL);
	wsfd = saved;
	close(fd);
	close(proc);
}

/* The walk for kernels without openat2: no link at all, no "..". */
static void
test_open_walk(void **state)
{
	static const int loop[] = { ELOOP, 0 };
	static const int out_errs[] = { EXDEV, 0 };
	static const int noent[] = { ENOENT, 0 };
	static const char *const links[] = { "out/secret", "sec", "up/secret",
		"sub/esc", "root/etc/passwd", "good", "gooddeep", "out", NULL };
	size_t i;

	(void)state;
	for (i = 0; links[i] != NULL; i++)
		refused(confine_open_walk, links[i], O_RDONLY, loop,
		    "symbolic links are not followed");
	refused(confine_open_walk, "out/new", O_WRONLY | O_CREAT, loop, NULL);
	assert_false(exists(out, "new"));
	/* Unchecked paths cannot climb out either. */
	refused(confine_open_walk, "..", O_RDONLY, out_errs,
	    "leads outside the workspace");
	refused(confine_open_walk, "../outside/secret", O_RDONLY, out_errs,
	    NULL);
	refused(confine_open_walk, "sub/../../outside/secret", O_RDONLY,
	    out_errs, NULL);
	refused(confine_open_walk, "/etc/passwd", O_RDONLY, out_errs, NULL);
	refused(confine_open_walk, "nothing", O_RDONLY, noent, NULL);
	refused(confine_open_walk, "in.txt/x", O_RDONLY,
	    (const int[]){ ENOTDIR, 0 }, NULL);
	reads(confine_open_walk, "in.txt", "inside\n");
	reads(confine_open_walk, "sub/deep.txt", "deep\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_open_openat2),
		cmocka_unit_test(test_open_magic_links),
		cmocka_unit_test(test_open_walk),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
