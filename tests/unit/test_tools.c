/*
 * test_tools.c — the worker's tools, called directly (no sandbox) in a
 * scratch workspace: read, write, edit, ls, find, grep, exec; paths that
 * try to leave the workspace are refused before any I/O; exec's
 * allowlist, metacharacters, shell mode, timeouts that kill the whole
 * process group, output caps; the registry as the LLM sees it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/openat2.h>

#include "agent/hands.h"
#include "agent/tools.h"
#include "openat2.h"
#include "tmpdir.h"
#include "util/xalloc.h"

static char dir[64];  /* the scratch directory */
static char ws[128];  /* the workspace, inside it */
static char out[128]; /* outside the workspace, inside dir */
static struct tool_ctx ctx;
static json_t *allow;

static int
setup(void **state)
{
	(void)state;
	if (tmpdir_make(dir, sizeof dir, "tools") != 0)
		return -1;
	snprintf(ws, sizeof ws, "%s/ws", dir);
	snprintf(out, sizeof out, "%s/outside", dir);
	if (mkdir(ws, 0700) == -1 || mkdir(out, 0700) == -1)
		return -1;
	allow = json_pack("[s,s,s,s,s,s]", "echo", "cat", "true", "false",
	    "pwd", "sleep");
	memset(&ctx, 0, sizeof ctx);
	ctx.workspace = ws;
	ctx.allowlist = allow;
	ctx.exec_timeout_secs = 10;
	ctx.max_output_bytes = 65536;
	ctx.cancel_fd = -1;
	if ((ctx.dirfd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	close(ctx.dirfd);
	json_decref(allow);
	tmpdir_remove(dir);
	return 0;
}

/* Write a file below root (test side, plain I/O). */
static void
put(const char *root, const char *rel, const char *text)
{
	assert_int_equal(tmpdir_put(root, rel, text), 0);
}

static char *
get(const char *root, const char *rel)
{
	char path[512], *s = xmalloc(65536);
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	if ((f = fopen(path, "r")) == NULL) {
		free(s);
		return NULL;
	}
	n = fread(s, 1, 65535, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

static void
mkd(const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", ws, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * Run a tool with args given as JSON text; expect ok (1) or not (0).
 * Returns the output or error (caller frees); *trunc if not NULL.
 */
static char *
run(const char *tool, const char *json, int want_ok, int *trunc)
{
	struct tool_result res;
	json_error_t err;
	json_t *args;
	char *s;
	int rc;

	args = json_loads(json, JSON_ALLOW_NUL, &err);
	if (args == NULL)
		fail_msg("bad test JSON %s: %s", json, err.text);
	rc = tools_run(&ctx, tool, args, &res);
	json_decref(args);
	if ((rc == 0) != (want_ok != 0))
		fail_msg("%s %s: want ok=%d, got %s", tool, json, want_ok,
		    rc == 0 ? res.output : res.error);
	assert_int_equal(res.ok, rc == 0);
	if (trunc != NULL)
		*trunc = res.truncated;
	s = xstrdup(rc == 0 ? res.output : res.error);
	tools_result_free(&res);
	return s;
}

static void
expect(const char *tool, const char *json, int want_ok, const char *needle)
{
	char *s = run(tool, json, want_ok, NULL);

	if (strstr(s, needle) == NULL)
		fail_msg("%s %s: '%s' not in:\n%s", tool, json, needle, s);
	free(s);
}

static void
test_read(void **state)
{
	char *s;
	int trunc;

	(void)state;
	put(ws, "ten.txt", "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\n");
	s = run("read", "{\"path\":\"ten.txt\"}", 1, &trunc);
	assert_true(strncmp(s, "     1\tl1\n     2\tl2\n", 20) == 0);
	assert_non_null(strstr(s, "    10\tl10\n"));
	assert_false(trunc);
	free(s);
	s = run("read", "{\"path\":\"ten.txt\",\"offset\":3,\"limit\":2}", 1,
	    &trunc);
	assert_string_equal(s,
	    "     3\tl3\n     4\tl4\n"
	    "(more lines follow: continue with offset=5)\n");
	assert_true(trunc);
	free(s);
	expect("read", "{\"path\":\"ten.txt\",\"offset\":11}", 0,
	    "offset 11 is past the end of 'ten.txt' (10 lines)");
	expect("read", "{\"path\":\"ten.txt\",\"limit\":0}", 0,
	    "'limit' must be between 1 and 10000");
	expect("read", "{\"path\":\"ten.txt\",\"offset\":\"x\"}", 0,
	    "'offset' must be an integer, not a string");
	expect("read", "{}", 0, "'path' is required");
	expect("read", "{\"path\":\"nope.txt\"}", 0,
	    "'nope.txt': No such file or directory");
	expect("read", "{\"path\":\".\"}", 0, "is a directory");
	put(ws, "empty", "");
	expect("read", "{\"path\":\"empty\"}", 1, "is empty");
	put(ws, "bin", "ab\001");
	/* a NUL byte: written by hand */
	{
		int fd = open(ws, O_RDONLY);
		int f = openat(fd, "bin", O_WRONLY | O_APPEND);

		assert_int_equal(write(f, "\0x", 2), 2);
		close(f);
		close(fd);
	}
	expect("read", "{\"path\":\"bin\"}", 0, "binary file");
	/* no trailing newline, CRLF, invalid UTF-8 */
	put(ws, "odd", "a\r\nb\xff");
	expect("read", "{\"path\":\"odd\"}", 1,
	    "     1\ta\n     2\tb\xef\xbf\xbd\n");
}

static void
test_write(void **state)
{
	char *s, path[256];
	struct stat st;

	(void)state;
	expect("write", "{\"path\":\"d1/d2/f.txt\",\"content\":\"hi\\n\"}", 1,
	    "created d1/d2/f.txt (3 bytes)");
	s = get(ws, "d1/d2/f.txt");
	assert_string_equal(s, "hi\n");
	free(s);
	snprintf(path, sizeof path, "%s/d1/d2/f.txt", ws);
	assert_int_equal(chmod(path, 0751), 0);
	expect("write", "{\"path\":\"d1/d2/f.txt\",\"content\":\"bye\"}", 1,
	    "replaced d1/d2/f.txt (3 bytes)");
	s = get(ws, "d1/d2/f.txt");
	assert_string_equal(s, "bye");
	free(s);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0751); /* mode kept */
	expect("write", "{\"path\":\".\",\"content\":\"\"}", 0,
	    "the workspace, not a file");
	expect("write", "{\"path\":\"d1\",\"content\":\"\"}", 0,
	    "'d1' is a directory");
	expect("write", "{\"path\":\"d1/d2/f.txt/x\",\"content\":\"\"}", 0,
	    "Not a directory");
	expect("write", "{\"path\":\"x\"}", 0, "'content' is required");
	/* no temporary file is left behind */
	s = run("ls", "{\"path\":\"d1/d2\"}", 1, NULL);
	assert_string_equal(s, "f.txt (3 bytes)\n");
	free(s);
}

static void
test_edit(void **state)
{
	char *s;

	(void)state;
	put(ws, "e.txt", "alpha beta\nalpha gamma\n");
	expect("edit",
	    "{\"path\":\"e.txt\",\"old_text\":\"delta\","
	    "\"new_text\":\"x\"}",
	    0, "'old_text' was not found in 'e.txt'");
	expect("edit",
	    "{\"path\":\"e.txt\",\"old_text\":\"alpha\","
	    "\"new_text\":\"x\"}",
	    0, "'old_text' occurs 2 times in 'e.txt'");
	s = get(ws, "e.txt");
	assert_string_equal(s, "alpha beta\nalpha gamma\n"); /* untouched */
	free(s);
	expect("edit",
	    "{\"path\":\"e.txt\",\"old_text\":\"alpha g\","
	    "\"new_text\":\"ALPHA G\"}",
	    1, "replaced 1 occurrence in e.txt");
	s = get(ws, "e.txt");
	assert_string_equal(s, "alpha beta\nALPHA Gamma\n");
	free(s);
	expect("edit",
	    "{\"path\":\"e.txt\",\"old_text\":\"a\",\"new_text\":\"4\","
	    "\"replace_all\":true}",
	    1, "replaced 5 occurrences in e.txt");
	s = get(ws, "e.txt");
	assert_string_equal(s, "4lph4 bet4\nALPHA G4mm4\n");
	free(s);
	expect("edit",
	    "{\"path\":\"e.txt\",\"old_text\":\"\",\"new_text\":\"x\"}", 0,
	    "'old_text' is empty");
	expect("edit",
	    "{\"path\":\"e.txt\",\"old_text\":\"4\",\"new_text\":\"4\"}", 0,
	    "are the same");
	expect("edit",
	    "{\"path\":\"none\",\"old_text\":\"a\",\"new_text\":\"b\"}", 0,
	    "No such file");
}

static void
test_ls(void **state)
{
	char *s, path[256];

	(void)state;
	mkd("sub");
	put(ws, "f", "12345");
	snprintf(path, sizeof path, "%s/link", ws);
	assert_int_equal(symlink("f", path), 0);
	s = run("ls", "{}", 1, NULL);
	assert_string_equal(s, "f (5 bytes)\nlink -> f\nsub/\n");
	free(s);
	expect("ls", "{\"path\":\"sub\"}", 1, "'sub' is empty");
	expect("ls", "{\"path\":\"f\"}", 0, "Not a directory");
}

static void
test_find(void **state)
{
	char *s;
	int trunc;

	(void)state;
	mkd("src");
	mkd("src/deep");
	mkd(".git");
	put(ws, "top.c", "");
	put(ws, "src/a.c", "");
	put(ws, "src/a.h", "");
	put(ws, "src/deep/b.c", "");
	put(ws, "src/deep/b.h", "");
	put(ws, ".git/c.c", "");
	s = run("find", "{\"pattern\":\"*.c\"}", 1, NULL);
	assert_string_equal(s, "src/a.c\nsrc/deep/b.c\ntop.c\n");
	free(s);
	s = run("find", "{\"pattern\":\"src/**/*.h\"}", 1, NULL);
	assert_string_equal(s, "src/a.h\nsrc/deep/b.h\n");
	free(s);
	s = run("find", "{\"pattern\":\"deep/*\",\"path\":\"src\"}", 1, NULL);
	assert_string_equal(s, "src/deep/b.c\nsrc/deep/b.h\n");
	free(s);
	s = run("find", "{\"pattern\":\"deep\"}", 1, NULL);
	assert_string_equal(s, "src/deep/\n");
	free(s);
	s = run("find", "{\"pattern\":\"*\",\"max_results\":2}", 1, &trunc);
	assert_true(trunc);
	assert_non_null(strstr(s, "(stopped after 2 results)"));
	free(s);
	expect("find", "{\"pattern\":\"*.zip\"}", 1, "no matches");
	expect("find", "{\"pattern\":\"*\",\"path\":\"top.c\"}", 0,
	    "not a directory");
	assert_true(tools_glob("**/b.c", "src/deep/b.c"));
	assert_true(tools_glob("**/b.c", "b.c"));
	assert_true(tools_glob("src/**", "src/deep/b.c"));
	assert_false(tools_glob("src/*.c", "src/deep/b.c"));
	assert_true(tools_glob("s?c/[ab].[ch]", "src/a.c"));
	assert_false(tools_glob("src/**/x", "src/deep/b.c"));
}

static void
test_grep(void **state)
{
	char *s, *s2;
	int trunc;

	(void)state;
	mkd("g");
	put(ws, "g/one.txt", "apple\nbanana\ncherry\ndate\nelder\nfig\n");
	put(ws, "g/two.md", "Apple pie\nno fruit\n");
	s = run("grep", "{\"pattern\":\"an+a\"}", 1, NULL);
	assert_string_equal(s, "g/one.txt:2:banana\n");
	free(s);
	s = run("grep", "{\"pattern\":\"^apple\",\"ignore_case\":true}", 1,
	    NULL);
	assert_string_equal(s, "g/one.txt:1:apple\ng/two.md:1:Apple pie\n");
	free(s);
	s = run("grep",
	    "{\"pattern\":\"apple\",\"ignore_case\":true,"
	    "\"include\":\"*.md\"}",
	    1, NULL);
	assert_string_equal(s, "g/two.md:1:Apple pie\n");
	free(s);
	s = run("grep",
	    "{\"pattern\":\"banana|fig\",\"context\":1,"
	    "\"path\":\"g/one.txt\"}",
	    1, NULL);
	assert_string_equal(s,
	    "g/one.txt-1-apple\n"
	    "g/one.txt:2:banana\n"
	    "g/one.txt-3-cherry\n"
	    "--\n"
	    "g/one.txt-5-elder\n"
	    "g/one.txt:6:fig\n");
	/* adjacent groups merge; files are apart */
	s2 = run("grep", "{\"pattern\":\"cherry|fig|pie\",\"context\":1}", 1,
	    NULL);
	assert_string_equal(s2,
	    "g/one.txt-2-banana\n"
	    "g/one.txt:3:cherry\n"
	    "g/one.txt-4-date\n"
	    "g/one.txt-5-elder\n"
	    "g/one.txt:6:fig\n"
	    "--\n"
	    "g/two.md:1:Apple pie\n"
	    "g/two.md-2-no fruit\n");
	free(s2);
	free(s);
	s = run("grep", "{\"pattern\":\"e\",\"max_results\":2}", 1, &trunc);
	assert_true(trunc);
	assert_true(
	    strncmp(s, "g/one.txt:1:apple\ng/one.txt:3:cherry\n", 37) == 0);
	assert_non_null(strstr(s, "(stopped after 2 matches)"));
	free(s);
	expect("grep", "{\"pattern\":\"zzz\"}", 1, "no matches");
	expect("grep", "{\"pattern\":\"(\"}", 0, "bad regular expression");
	expect("grep", "{\"pattern\":\"(a)\\\\1\"}", 0,
	    "bad regular expression '(a)\\1': backreferences are not "
	    "supported: the pattern is matched in linear time");
	/* \d (glibc read it as 'd'), \b, and a character, not a byte. */
	put(ws, "g/three.txt", "caf\xc3\xa9 au lait\nlot 42\nodd\n");
	s = run("grep", "{\"pattern\":\"\\\\d+|\\\\bcaf.\\\\s\"}", 1, NULL);
	assert_string_equal(s,
	    "g/three.txt:1:caf\xc3\xa9 au lait\ng/three.txt:2:lot 42\n");
	free(s);
	/* Past the work budget the search stops, with a note. */
	tool_grep_budget = 200;
	s = run("grep", "{\"pattern\":\"(a|b|c|d|e|f|g|h|i)*z\"}", 1, &trunc);
	tool_grep_budget = 2000000000ull;
	assert_true(trunc);
	assert_non_null(strstr(s,
	    "(stopped: the pattern needed more work "
	    "than a grep call may do"));
	free(s);
	expect("grep", "{\"pattern\":\"a\",\"context\":99}", 0,
	    "'context' must be between 0 and 20");
}

static void
test_path_escapes(void **state)
{
	char path[256], target[256], *s;
	const char *esc = have_openat2() ? "leads outside the workspace" :
					   "symbolic links are not followed";

	(void)state;
	put(out, "secret", "top secret\n");
	snprintf(path, sizeof path, "%s/out", ws);
	assert_int_equal(symlink(out, path), 0);
	snprintf(path, sizeof path, "%s/sec", ws);
	snprintf(target, sizeof target, "%s/secret", out);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof path, "%s/up", ws);
	assert_int_equal(symlink("../outside", path), 0);
	put(ws, "in.txt", "inside\n");
	snprintf(path, sizeof path, "%s/good", ws);
	assert_int_equal(symlink("in.txt", path), 0);

	/* Every tool goes through security/confine.h (test_confine.c has
	 * the cases); a few, to show that they do. */
	expect("read", "{\"path\":\"../outside/secret\"}", 0,
	    "the path leaves the workspace");
	expect("read", "{\"path\":\"in.txt\\u0000x\"}", 0, "NUL byte");
	expect("read", "{\"path\":\"out/secret\"}", 0, esc);
	expect("read", "{\"path\":\"sec\"}", 0, esc);
	expect("read", "{\"path\":\"up/secret\"}", 0, esc);
	expect("ls", "{\"path\":\"out\"}", 0, esc);
	expect("grep", "{\"pattern\":\"secret\",\"path\":\"sec\"}", 0, esc);
	expect("find", "{\"pattern\":\"*\",\"path\":\"up\"}", 0, esc);
	expect("exec", "{\"binary\":\"pwd\",\"cwd\":\"out\"}", 0, esc);
	/* Writes are refused before anything is made outside. */
	expect("write", "{\"path\":\"../outside/new\",\"content\":\"x\"}", 0,
	    "leaves the workspace");
	expect("write", "{\"path\":\"out/new\",\"content\":\"x\"}", 0, esc);
	expect("write", "{\"path\":\"out/made/new\",\"content\":\"x\"}", 0,
	    esc);
	expect("write", "{\"path\":\"sec\",\"content\":\"x\"}", 0, esc);
	expect("edit",
	    "{\"path\":\"sec\",\"old_text\":\"top\",\"new_text\":\"x\"}", 0,
	    esc);
	snprintf(path, sizeof path, "%s/new", out);
	assert_false(exists(path));
	snprintf(path, sizeof path, "%s/made", out);
	assert_false(exists(path));
	s = get(out, "secret");
	assert_string_equal(s, "top secret\n");
	free(s);
	/* grep and find do not follow links out of a walk. */
	expect("grep", "{\"pattern\":\"secret\"}", 1, "no matches");
	s = run("find", "{\"pattern\":\"secret\"}", 1, NULL);
	assert_string_equal(s, "no matches\n");
	free(s);
	/* A link that stays inside is fine; ".." that stays inside too. */
	if (have_openat2())
		expect("read", "{\"path\":\"good\"}", 1, "inside");
	expect("read", "{\"path\":\"out/../in.txt\"}", 1, "inside");

	/* Without openat2, every symbolic link is refused. */
	ctx.no_openat2 = 1;
	expect("read", "{\"path\":\"sec\"}", 0,
	    "symbolic links are not followed");
	expect("read", "{\"path\":\"out/secret\"}", 0,
	    "symbolic links are not followed");
	expect("read", "{\"path\":\"good\"}", 0,
	    "symbolic links are not followed");
	expect("write", "{\"path\":\"out/new\",\"content\":\"x\"}", 0,
	    "symbolic links are not followed");
	expect("read", "{\"path\":\"in.txt\"}", 1, "inside");
	expect("write", "{\"path\":\"n1/n2\",\"content\":\"x\"}", 1, "created");
	snprintf(path, sizeof path, "%s/new", out);
	assert_false(exists(path));
	ctx.no_openat2 = 0;
}

static void
test_exec_structured(void **state)
{
	char src[256], dst[256], json[512];

	(void)state;
	expect("exec", "{\"binary\":\"echo\",\"args\":[\"hello\",\"world\"]}",
	    1, "hello world\n");
	expect("exec", "{\"binary\":\"true\"}", 1, "(no output)");
	expect("exec", "{\"binary\":\"false\"}", 0, "exit code 1 (no output)");
	expect("exec", "{\"binary\":\"cat\",\"args\":[\"nope\"]}", 0,
	    "exit code 1; output:\ncat: nope: No such file or directory");
	expect("exec", "{\"binary\":\"rm\",\"args\":[\"-rf\",\"x\"]}", 0,
	    "'rm' is not an allowed program");
	expect("exec", "{\"binary\":\"echo\",\"args\":[\"a; rm -rf x\"]}", 0,
	    "holds the shell metacharacter ';'");
	expect("exec", "{\"binary\":\"echo\",\"args\":[\"$(id)\"]}", 0,
	    "metacharacter '$'");
	expect("exec", "{\"binary\":\"echo\",\"args\":[\"a|b\"]}", 0,
	    "metacharacter '|'");
	expect("exec", "{\"binary\":\"echo\",\"args\":[\"a\\nb\"]}", 0,
	    "metacharacter '\\n'");
	expect("exec", "{\"binary\":\"echo\",\"args\":[1]}", 0,
	    "argument 1 is not a string");
	expect("exec", "{}", 0, "give 'binary'");
	/* A path is the program only if it is an allowed one. */
	expect("exec", "{\"binary\":\"/bin/echo\",\"args\":[\"via path\"]}", 1,
	    "via path");
	expect("exec", "{\"binary\":\"/usr/bin/rm\"}", 0,
	    "is not an allowed program");
	expect("exec", "{\"binary\":\"./echo\"}", 0,
	    "is not an allowed program");
	/* a copy of an allowed program is not that program */
	snprintf(src, sizeof src, "/usr/bin/echo");
	snprintf(dst, sizeof dst, "%s/echo", ws);
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "cp %s %s", src, dst);
		assert_int_equal(system(cmd), 0);
	}
	snprintf(json, sizeof json, "{\"binary\":\"%s\"}", dst);
	expect("exec", json, 0, "is not an allowed program");
	/* cwd */
	mkd("sub");
	snprintf(json, sizeof json, "%s/sub\n", ws);
	expect("exec", "{\"binary\":\"pwd\",\"cwd\":\"sub\"}", 1, json);
	expect("exec", "{\"binary\":\"pwd\",\"cwd\":\"../\"}", 0,
	    "leaves the workspace");
	/* no allowlist: nothing runs */
	ctx.allowlist = NULL;
	expect("exec", "{\"binary\":\"echo\"}", 0,
	    "is not an allowed program (allowed, by name or by the path the "
	    "name has in /usr/local/bin:/usr/bin:/bin: none)");
	ctx.allowlist = allow;
}

static void
test_exec_shell(void **state)
{
	(void)state;
	expect("exec", "{\"mode\":\"shell\",\"command\":\"echo a | tr a b\"}",
	    0, "shell mode is not allowed by this agent's policy");
	ctx.allow_shell = 1;
	expect("exec", "{\"mode\":\"shell\",\"command\":\"echo a | tr a b\"}",
	    1, "b\n");
	expect("exec",
	    "{\"mode\":\"shell\",\"command\":\"echo oops >&2; exit 3\"}", 0,
	    "exit code 3; output:\noops\n");
	expect("exec",
	    "{\"mode\":\"shell\",\"command\":\"x\",\"binary\":\"echo\"}", 0,
	    "give either 'binary' (with 'args') or 'command' (with mode shell)");
	expect("exec", "{\"mode\":\"shell\",\"command\":\"kill -9 $$\"}", 0,
	    "killed by SIGKILL (Killed)");
	ctx.allow_shell = 0;
}

/* How many live (not zombie) processes have `word` in their cmdline. */
static int
count_procs(const char *word)
{
	char path[300], buf[4096], stat[512], *p;
	struct dirent *de;
	size_t n, i;
	int fd, count = 0;
	DIR *d;

	assert_non_null(d = opendir("/proc"));
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		n = (size_t)read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n == (size_t)-1)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		if (strstr(buf, word) == NULL)
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		n = (size_t)read(fd, stat, sizeof stat - 1);
		close(fd);
		if (n == (size_t)-1)
			continue;
		stat[n] = '\0';
		if ((p = strrchr(stat, ')')) != NULL && p[2] != 'Z')
			count++;
	}
	closedir(d);
	return count;
}

/* Wait up to 2 s for no live process with `word`. */
static int
gone(const char *word)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	for (i = 0; i < 100; i++) {
		if (count_procs(word) == 0)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void
test_exec_timeout_kills_group(void **state)
{
	struct timespec t0, t1;
	char *s;

	(void)state;
	ctx.allow_shell = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = run("exec",
	    "{\"mode\":\"shell\",\"command\":\"sleep 317.5 & sleep 318.5 & echo started; "
	    "sleep 319.5\",\"timeout\":1}",
	    0, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(strncmp(s,
			"timed out after 1 s: the command and its "
			"process group were killed\n",
			67) == 0);
	assert_non_null(strstr(s, "\nstarted\n"));
	free(s);
	assert_true(t1.tv_sec - t0.tv_sec < 4);
	assert_true(gone("sleep 317.5"));
	assert_true(gone("sleep 318.5"));
	assert_true(gone("sleep 319.5"));
	/* What a command leaves running when it exits is killed too. */
	expect("exec",
	    "{\"mode\":\"shell\",\"command\":\"sleep 321.5 >/dev/null 2>&1 & echo done\"}",
	    1, "done\n");
	assert_true(gone("sleep 321.5"));
	/* ... even when it holds the output pipe open. */
	expect("exec",
	    "{\"mode\":\"shell\",\"command\":\"sleep 322.5 & echo held\"}", 1,
	    "held\n");
	assert_true(gone("sleep 322.5"));
	/* The policy's timeout is the most a call can ask for. */
	ctx.exec_timeout_secs = 1;
	expect("exec",
	    "{\"binary\":\"sleep\",\"args\":[\"30\"],"
	    "\"timeout\":100}",
	    0, "timed out after 1 s");
	ctx.exec_timeout_secs = 10;
	ctx.allow_shell = 0;
}

static void
test_exec_output_cap(void **state)
{
	char *s;
	int trunc;

	(void)state;
	ctx.allow_shell = 1;
	ctx.max_output_bytes = 1024;
	s = run("exec",
	    "{\"mode\":\"shell\",\"command\":\"echo FIRST; head -c 100000 /dev/zero | tr '\\\\0' a;"
	    " echo; echo LAST\"}",
	    1, &trunc);
	assert_true(trunc);
	assert_true(strncmp(s, "FIRST\naaa", 9) == 0);
	assert_non_null(strstr(s,
	    "[... output cut: 98988 of 100012 bytes "
	    "omitted ...]"));
	assert_non_null(strstr(s, "a\nLAST\n"));
	assert_true(strlen(s) < 1200);
	free(s);
	/* Binary output is made valid UTF-8. */
	expect("exec",
	    "{\"mode\":\"shell\",\"command\":\"printf 'a\\\\377\\\\000b'\"}", 1,
	    "a\xef\xbf\xbd\xef\xbf\xbd"
	    "b");
	ctx.max_output_bytes = 65536;
	ctx.allow_shell = 0;
}

static void
test_exec_cpu_limit(void **state)
{
	(void)state;
	ctx.allow_shell = 1;
	ctx.cpu_secs = 1;
	expect("exec",
	    "{\"mode\":\"shell\",\"command\":\"while :; do :; done\"}", 0,
	    "killed by SIGXCPU: CPU limit 1 s");
	ctx.cpu_secs = 0;
	ctx.allow_shell = 0;
}

static void
test_table(void **state)
{
	const struct tool *t, *u;

	(void)state;
	for (t = tool_table; t->name != NULL; t++) {
		assert_non_null(t->fn);
		for (u = t + 1; u->name != NULL; u++)
			assert_string_not_equal(t->name, u->name);
		assert_ptr_equal(tools_find(t->name), t);
	}
	assert_null(tools_find("nope"));
	expect("nope", "{}", 0, "unknown tool 'nope'");
}

static void
test_utf8(void **state)
{
	char *s;

	(void)state;
	s = tools_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15);
	assert_string_equal(s, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
	free(s);
	/* overlong, surrogate, truncated, NUL, stray continuation */
	s = tools_utf8("\xc0\xaf|\xed\xa0\x80|\xe2\x82|\0|\x80", 13);
	assert_string_equal(s,
	    "\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd|"
	    "\xef\xbf\xbd");
	free(s);
}

/*
 * A file whose read(2) fails is said to be unreadable, not searched as
 * if it were empty, nor edited: /proc/self/mem is a regular file, and
 * reading it at offset 0 (never mapped) fails with EIO.
 */
static void
test_read_errors(void **state)
{
	int saved = ctx.dirfd;

	(void)state;
	assert_true((ctx.dirfd = open("/proc/self",
			 O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0);
	expect("grep", "{\"pattern\":\"x\",\"path\":\"mem\"}", 1,
	    "(1 files could not be read)");
	expect("edit",
	    "{\"path\":\"mem\",\"old_text\":\"a\",\"new_text\":\"b\"}", 0,
	    "'mem': Input/output error");
	close(ctx.dirfd);
	ctx.dirfd = saved;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_path_escapes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_structured, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_shell, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_timeout_kills_group,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_output_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_cpu_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
