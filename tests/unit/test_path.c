/* test_path.c — lexical path helpers and careful file I/O (util/file.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#include "util/file.h"
#include "util/path.h"
#include "util/xalloc.h"

static void
check_norm(const char *in, const char *want)
{
	char *out = path_normalize(in);

	if (strcmp(out, want) != 0)
		fail_msg("path_normalize(\"%s\") = \"%s\", want \"%s\"", in,
		    out, want);
	free(out);
}

static void
test_normalize(void **state)
{
	(void)state;
	check_norm("", ".");
	check_norm("/", "/");
	check_norm("//a//b/", "/a/b");
	check_norm("/a/./b/../c", "/a/c");
	check_norm("/../..", "/");
	check_norm("/a/b/../../..", "/");
	check_norm("a/../..", "..");
	check_norm("../a/./b", "../a/b");
	check_norm("a/..", ".");
	check_norm("./", ".");
	check_norm("/a/..b/c", "/a/..b/c");
	check_norm("/a/b/.", "/a/b");
}

static void
test_join(void **state)
{
	char *s;

	(void)state;
	s = path_join("/a/", "/b");
	assert_string_equal(s, "/a/b");
	free(s);
	s = path_join("/", "b");
	assert_string_equal(s, "/b");
	free(s);
	s = path_join("", "b");
	assert_string_equal(s, "b");
	free(s);
	s = path_join("/a", "");
	assert_string_equal(s, "/a");
	free(s);
}

static void
test_within(void **state)
{
	char *out = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(path_within("/ws", "a/b.txt", &out, &cause), 0);
	assert_string_equal(out, "/ws/a/b.txt");
	free(out);
	assert_int_equal(path_within("/ws/", "a/../b", &out, &cause), 0);
	assert_string_equal(out, "/ws/b");
	free(out);
	assert_int_equal(path_within("/ws", ".", &out, &cause), 0);
	assert_string_equal(out, "/ws");
	free(out);

	assert_int_equal(path_within("/ws", "../etc/passwd", &out, &cause), -1);
	assert_null(out);
	assert_non_null(strstr(cause, "leaves"));
	free(cause);
	assert_int_equal(path_within("/ws", "a/../../x", &out, &cause), -1);
	free(cause);
	assert_int_equal(path_within("/ws", "/etc/passwd", &out, &cause), -1);
	assert_non_null(strstr(cause, "absolute"));
	free(cause);
	/* A sibling with the root as prefix is not inside it. */
	assert_int_equal(path_within("/ws", "../wsx/a", &out, &cause), -1);
	free(cause);
	assert_false(path_is_under("/ws", "/wsx"));
	assert_true(path_is_under("/ws", "/ws"));
	assert_true(path_is_under("/", "/x"));
}

static void
test_expand_home(void **state)
{
	char *s;

	(void)state;
	setenv("HOME", "/home/u", 1);
	s = path_expand_home("~/.oxios");
	assert_string_equal(s, "/home/u/.oxios");
	free(s);
	s = path_expand_home("~");
	assert_string_equal(s, "/home/u");
	free(s);
	s = path_expand_home("~other/x");
	assert_string_equal(s, "~other/x");
	free(s);
}

static void
test_file_io(void **state)
{
	char dir[64], *p, *q, *data, *cause = NULL;
	struct stat st;
	size_t len;

	(void)state;
	assert_int_equal(tmpdir_make(dir, sizeof dir, "path"), 0);
	p = path_join(dir, "a/b/c");
	assert_int_equal(file_mkdirs(p, 0700, &cause), 0);
	assert_int_equal(file_mkdirs(p, 0700, &cause), 0); /* exists: fine */
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	q = path_join(p, "f.txt");
	assert_int_equal(file_write_atomic(q, "hello", 5, 0600, &cause), 0);
	assert_int_equal(stat(q, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read(q, 100, &data, &len, &cause), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	/* Over the cap: refused with EFBIG. */
	assert_int_equal(file_read(q, 4, &data, &len, &cause), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(data);
	free(cause);
	/* Missing: ENOENT, and the cause names the file. */
	unlink(q);
	assert_int_equal(file_read(q, 100, &data, &len, &cause), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(cause, "f.txt"));
	free(cause);
	/* A directory is not a file. */
	assert_int_equal(file_read(p, 100, &data, &len, &cause), -1);
	free(cause);
	/* A file in the way of mkdirs. */
	assert_int_equal(file_write_atomic(q, "x", 1, 0600, &cause), 0);
	assert_int_equal(file_mkdirs(q, 0700, &cause), -1);
	assert_non_null(strstr(cause, "not a directory"));
	free(cause);
	/* /proc files report size 0 but have content. */
	assert_int_equal(file_read("/proc/self/status", 1 << 20, &data, &len,
			     &cause),
	    0);
	assert_true(len > 0);
	free(data);

	free(q);
	free(p);
	tmpdir_remove(dir);
}

/* Read fd with file_read_fd(); it must fail with `err`, saying `why`. */
static void
read_fails(int fd, size_t cap, int err, const char *why)
{
	char *data = (char *)"x", *cause = NULL;
	size_t len = 7;

	errno = 0;
	assert_int_equal(file_read_fd(fd, cap, &data, &len, &cause), -1);
	if (errno != err)
		fail_msg("errno %d (%s), not %d", errno, cause, err);
	assert_null(data);
	assert_int_equal(len, 0);
	if (cause == NULL || strstr(cause, why) == NULL)
		fail_msg("cause: %s", cause != NULL ? cause : "(none)");
	free(cause);
}

struct feeder {
	int fd;         /* the pipe's write end: closed when done */
	pthread_t main; /* the reader, interrupted once */
	size_t n;       /* bytes to write after the signal */
};

static volatile sig_atomic_t interrupted;

static void
on_usr1(int sig)
{
	(void)sig;
	interrupted++;
}

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Interrupt the reader in its read(2), then write n bytes of 'z'. */
static void *
feed(void *arg)
{
	struct feeder *f = arg;
	char chunk[1024];
	size_t left = f->n, k;

	nap(200);
	pthread_kill(f->main, SIGUSR1);
	nap(100);
	memset(chunk, 'z', sizeof chunk);
	while (left > 0) {
		k = left < sizeof chunk ? left : sizeof chunk;
		if (write(f->fd, chunk, k) != (ssize_t)k)
			break;
		left -= k;
	}
	close(f->fd);
	return NULL;
}

static void
test_file_read_fd(void **state)
{
	char dir[64], *p, *data, *cause = NULL;
	struct sigaction sa, old;
	struct feeder f;
	pthread_t t;
	size_t len, i;
	int fd, pfd[2];

	(void)state;
	assert_int_equal(tmpdir_make(dir, sizeof dir, "readfd"), 0);
	p = path_join(dir, "f.txt");
	assert_int_equal(file_write_atomic(p, "0123456789", 10, 0600, &cause),
	    0);

	/* From where the descriptor stands to the end; it stays open. */
	assert_true((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(lseek(fd, 4, SEEK_SET), 4);
	assert_int_equal(file_read_fd(fd, 100, &data, &len, &cause), 0);
	assert_int_equal(len, 6);
	assert_string_equal(data, "456789");
	free(data);
	assert_int_equal(file_read_fd(fd, 100, &data, &len, &cause), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	/* The cap: exactly is fine, a byte over is not. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(file_read_fd(fd, 10, &data, &len, &cause), 0);
	assert_int_equal(len, 10);
	free(data);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	read_fails(fd, 9, EFBIG, "larger than 9 bytes");
	close(fd);

	/* Errors of read(2) are errors, not the end of the file. */
	assert_true((fd = open(p, O_WRONLY | O_CLOEXEC)) >= 0);
	read_fails(fd, 100, EBADF, strerror(EBADF));
	close(fd);
	assert_true((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	read_fails(fd, 100, EISDIR, strerror(EISDIR));
	close(fd);
	read_fails(-1, 100, EBADF, strerror(EBADF));

	/* A pipe: no size known, more than a first guess, then the cap. */
	assert_int_equal(pipe(pfd), 0);
	f = (struct feeder){ pfd[1], pthread_self(), 10000 };
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1; /* no SA_RESTART: read(2) says EINTR */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	interrupted = 0;
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	assert_int_equal(file_read_fd(pfd[0], 1 << 20, &data, &len, &cause), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(interrupted, 1);
	assert_int_equal(len, 10000);
	for (i = 0; i < len; i++)
		assert_int_equal(data[i], 'z');
	assert_int_equal(data[len], '\0');
	free(data);
	close(pfd[0]);

	assert_int_equal(pipe(pfd), 0);
	f = (struct feeder){ pfd[1], pthread_self(), 5000 };
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	read_fails(pfd[0], 4999, EFBIG, "larger than 4999 bytes");
	close(pfd[0]); /* all 5000 bytes were written: no SIGPIPE */
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);

	/* file_read() names the file in front of the same causes. */
	assert_int_equal(file_read(p, 9, &data, &len, &cause), -1);
	assert_int_equal(errno, EFBIG);
	assert_non_null(strstr(cause, "f.txt: larger than 9 bytes"));
	free(cause);

	free(p);
	tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_within),
		cmocka_unit_test(test_expand_home),
		cmocka_unit_test(test_file_io),
		cmocka_unit_test(test_file_read_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
