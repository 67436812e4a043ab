/* test_path.c — lexical path helpers and careful file I/O. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_within),
		cmocka_unit_test(test_expand_home),
		cmocka_unit_test(test_file_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
