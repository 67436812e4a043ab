/*
 * test_shparse.c — the sh line parser (security/shparse.h).
 *
 * A declarative table: each line with its list rendered as text, one
 * command per "; "-separated part: flags first ("o" opaque, "b"
 * background, "pI.S" pipeline I stage S, "fN" in function N's body, "sN"
 * inside N substitutions, then ':'), then {assignments}, [words] and
 * (redirections).  Then the errors with their causes, and the caps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "security/shparse.h"
#include "util/buf.h"
#include "util/xalloc.h"

static const struct {
	const char *line;
	const char *want;
} cases[] = {
	{ "", "" },
	{ "   # only a comment", "" },
	{ "ls -la", "[ls][-la]" },
	{ "ls # c\n# d\n", "[ls]" },
	{ "echo a#b", "[echo][a#b]" },
	/* quoting */
	{ "echo 'a b' \"c d\" e\\ f", "[echo][a b][c d][e f]" },
	{ "echo \"a\\\"b\" 'a\\b' \"\\$x\" \"\\q\"",
	    "[echo][a\"b][a\\b][$x][\\q]" },
	{ "r\"m\" -rf '/'", "[rm][-rf][/]" },
	{ "echo a\\\nb", "[echo][ab]" },
	{ "echo \"$HOME\" ~ $HOME ${HOME}/x",
	    "[echo][$HOME][~][$HOME][${HOME}/x]" },
	{ "echo \"rm -rf /\"", "[echo][rm -rf /]" },
	{ "echo ''", "[echo][]" },
	/* assignments and redirections */
	{ "A=b C='d e' cmd x=y", "{A=b}{C=d e}[cmd][x=y]" },
	{ "'A'=b cmd", "[A=b][cmd]" },
	{ "A=1", "{A=1}" },
	{ "cmd >out 2>&1 <in >>log", "[cmd](>out)(2>&1)(<in)(>>log)" },
	{ "cmd &>all 2>/dev/null", "[cmd](&>all)(2>/dev/null)" },
	{ "> /dev/sda", "(>/dev/sda)" },
	{ ":> f", "[:](>f)" },
	{ "cat <<<word", "[cat](<<<word)" },
	/* operators */
	{ "a | b | c", "p0.0:[a]; p0.1:[b]; p0.2:[c]" },
	{ "a && b || c; d", "[a]; [b]; [c]; [d]" },
	{ "a & b", "b:[a]; [b]" },
	{ "a | b & c | d", "b:p0.0:[a]; b:p0.1:[b]; p1.0:[c]; p1.1:[d]" },
	{ "a\nb\n\nc", "[a]; [b]; [c]" },
	{ "a |\n b", "p0.0:[a]; p0.1:[b]" },
	{ "a |& b", "p0.0:[a]; p0.1:[b]" },
	/* nesting */
	{ "(a; b) | c", "p0.0:[a]; p0.0:[b]; p0.1:[c]" },
	{ "{ a; b; } > f", "[a]; [b]; (>f)" },
	{ "a | { b | c; }", "p0.0:[a]; p1.0:[b]; p1.1:[c]" },
	{ "a | { b; }", "p0.0:[a]; p0.1:[b]" },
	{ "echo $(a | b) `c`",
	    "p0.0:s1:[a]; p0.1:s1:[b]; s1:[c]; [echo][$(a | b)][`c`]" },
	{ "echo \"$(x \"$(y)\")\"",
	    "s2:[y]; s1:[x][$(y)]; [echo][$(x \"$(y)\")]" },
	{ "echo `echo \\`inner\\``",
	    "s2:[inner]; s1:[echo][`inner`]; "
	    "[echo][`echo \\`inner\\``]" },
	{ "diff <(a) >(b)", "s1:[a]; s1:[b]; [diff][<(a)][>(b)]" },
	{ "echo $((1 + (2)))", "[echo][$((1 + (2)))]" },
	/* functions */
	{ ":(){ :|:& };:", "b:p0.0:f0:[:]; b:p0.1:f0:[:]; [:]" },
	{ "f() ( a )\nf", "f0:[a]; [f]" },
	{ "f () {\n a; }", "f0:[a]" },
	/* opaque */
	{ "$X y", "o:[$X][y]" },
	{ "${X} y", "o:[${X}][y]" },
	{ "$(echo rm) -rf /", "s1:[echo][rm]; o:[$(echo rm)][-rf][/]" },
	{ "`x`", "s1:[x]; o:[`x`]" },
	{ "$'\\x41' y", "o:[$'\\x41'][y]" },
	{ "eval \"$C\"", "o:[eval][$C]" },
	{ "x$Y", "o:[x$Y]" },
	{ "A=$X ls", "{A=$X}[ls]" },
	{ "echo $X", "[echo][$X]" },
	/* compound keywords are stepped over */
	{ "if a; then b; elif c; then d; else e; fi",
	    "[a]; [b]; [c]; [d]; [e]" },
	{ "while a; do b; done < f", "[a]; [b]; (<f)" },
	{ "for i in $(ls) x; do echo $i; done", "s1:[ls]; [echo][$i]" },
	{ "case $x in a|b) c;; (d) e;; *) ;; esac", "[c]; [e]" },
	{ "! a | b", "p0.0:[a]; p0.1:[b]" },
	{ "echo if then fi", "[echo][if][then][fi]" },
	{ "echo }", "[echo][}]" },
	/* here-documents */
	{ "cat <<EOF\nrm -rf /\nEOF\nls", "[cat](<<EOF); [ls]" },
	{ "cat <<-'E' | a\n\tx\n\tE\nb", "p0.0:[cat](<<-E); p0.1:[a]; [b]" },
};

static void
render(const struct sh_list *l, struct buf *b)
{
	size_t i, j;

	for (i = 0; i < l->ncmds; i++) {
		const struct sh_cmd *c = &l->cmds[i];

		if (i > 0)
			buf_adds(b, "; ");
		if (c->opaque)
			buf_adds(b, "o:");
		if (c->background)
			buf_adds(b, "b:");
		if (c->pipeline >= 0)
			buf_printf(b, "p%d.%d:", c->pipeline, c->stage);
		if (c->func >= 0)
			buf_printf(b, "f%d:", c->func);
		if (c->subst > 0)
			buf_printf(b, "s%d:", c->subst);
		for (j = 0; j < c->nassign; j++)
			buf_printf(b, "{%s}", c->assign[j]);
		for (j = 0; j < c->argc; j++)
			buf_printf(b, "[%s]", c->argv[j]);
		assert_null(c->argv[c->argc]);
		for (j = 0; j < c->nredir; j++) {
			if (c->redir[j].fd >= 0)
				buf_printf(b, "(%d", c->redir[j].fd);
			else
				buf_adds(b, "(");
			buf_printf(b, "%s%s)", c->redir[j].op,
			    c->redir[j].target);
		}
	}
}

static void
test_cases(void **state)
{
	struct sh_list *l;
	struct buf b;
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (shparse(cases[i].line, &l, &cause) != 0)
			fail_msg("%s: %s", cases[i].line, cause);
		buf_init(&b, BUF_NOCAP);
		render(l, &b);
		if (strcmp(buf_str(&b), cases[i].want) != 0)
			fail_msg("%s:\n got  %s\n want %s", cases[i].line,
			    buf_str(&b), cases[i].want);
		buf_free(&b);
		sh_list_free(l);
	}
}

static void
test_heredocs(void **state)
{
	struct sh_list *l;
	char *cause = NULL;

	(void)state;
	assert_int_equal(shparse("a <<A; b <<-B\nx\nA\n\ty\n\tB\nc <<C", &l,
			     &cause),
	    0);
	assert_int_equal(l->nheredocs, 3);
	assert_string_equal(l->heredocs[0], "x\n");
	assert_string_equal(l->heredocs[1], "\ty\n");
	assert_null(l->heredocs[2]); /* the line ended first */
	assert_int_equal(l->ncmds, 3);
	assert_int_equal(l->cmds[0].redir[0].heredoc, 0);
	assert_int_equal(l->cmds[1].redir[0].heredoc, 1);
	assert_int_equal(l->cmds[2].redir[0].heredoc, 2);
	sh_list_free(l);
	/* A body without its delimiter runs to the end. */
	assert_int_equal(shparse("a <<E\nx\ny", &l, &cause), 0);
	assert_string_equal(l->heredocs[0], "x\ny");
	sh_list_free(l);
	assert_int_equal(shparse("a <<<w >f", &l, &cause), 0);
	assert_int_equal(l->nheredocs, 0);
	assert_int_equal(l->cmds[0].redir[0].heredoc, -1);
	assert_int_equal(l->cmds[0].redir[1].heredoc, -1);
	sh_list_free(l);
}

static void
test_funcs(void **state)
{
	struct sh_list *l;
	char *cause = NULL;

	(void)state;
	assert_int_equal(shparse("bomb(){ bomb|bomb& }; g() { x; }; bomb", &l,
			     &cause),
	    0);
	assert_int_equal(l->nfuncs, 2);
	assert_string_equal(l->funcs[0].name, "bomb");
	assert_string_equal(l->funcs[1].name, "g");
	assert_int_equal(l->ncmds, 4);
	assert_int_equal(l->cmds[2].func, 1);
	assert_int_equal(l->cmds[3].func, -1);
	assert_int_equal(l->npipelines, 1);
	sh_list_free(l);
}

static const struct {
	const char *line;
	const char *cause; /* a substring of it */
} errors[] = {
	{ "echo 'abc", "unterminated single quote" },
	{ "echo \"abc", "unterminated double quote" },
	{ "echo `abc", "unterminated backtick" },
	{ "echo $'abc", "unterminated $'" },
	{ "echo $(abc", "unbalanced '('" },
	{ "echo ${abc", "unbalanced ${" },
	{ "echo $((1+2)", "unbalanced $((" },
	{ "(a", "unbalanced '('" },
	{ "a)", "unbalanced ')'" },
	{ "{ a;", "unbalanced '{'" },
	{ "a; }", "unbalanced '}'" },
	{ "a |", "without a command after" },
	{ "| a", "without a command before" },
	{ "a &&", "'&&' without a command after" },
	{ "|| a", "'||' without a command before" },
	{ "&", "'&' without a command" },
	{ "a >", "redirection '>' has no target" },
	{ "a 2>&", "redirection '>&' has no target" },
	{ "a b (", "unexpected '('" },
	{ "f(x)", "expected ')' after 'f('" },
	{ "f()", "function 'f' has no body" },
	{ "case x in a) b;;", "'case' without 'esac'" },
	{ "case x a) b;; esac", "'case' without 'in'" },
	{ "a;; b", "';;' outside 'case'" },
	{ "echo `echo 'x`", "unterminated single quote" },
	{ "echo <(a", "unbalanced '('" },
};

static void
test_errors(void **state)
{
	struct sh_list *l = (struct sh_list *)1;
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		if (shparse(errors[i].line, &l, &cause) != -1)
			fail_msg("%s: parsed", errors[i].line);
		assert_null(l);
		assert_non_null(cause);
		if (strstr(cause, errors[i].cause) == NULL)
			fail_msg("%s: cause '%s', want '%s'", errors[i].line,
			    cause, errors[i].cause);
		free(cause);
		cause = NULL;
	}
}

/* Build a line of `n` copies of `unit` between `pre` and `post`. */
static char *
repeat(const char *pre, const char *unit, size_t n, const char *post)
{
	struct buf b;
	size_t i;

	buf_init(&b, BUF_NOCAP);
	buf_adds(&b, pre);
	for (i = 0; i < n; i++)
		buf_adds(&b, unit);
	buf_adds(&b, post);
	return buf_detach(&b);
}

static void
expect(const char *line, int ok, const char *cause_part)
{
	struct sh_list *l = NULL;
	char *cause = NULL;
	int rc = shparse(line, &l, &cause);

	if (ok) {
		if (rc != 0)
			fail_msg("%.40s...: %s", line, cause);
		sh_list_free(l);
		return;
	}
	assert_int_equal(rc, -1);
	if (strstr(cause, cause_part) == NULL)
		fail_msg("%.40s...: cause '%s', want '%s'", line, cause,
		    cause_part);
	free(cause);
}

static void
test_caps(void **state)
{
	char *s, *t;

	(void)state;
	/* bytes: 64 KiB is fine, one more is not */
	s = xmalloc(SHPARSE_MAX_BYTES + 2);
	memset(s, 'a', SHPARSE_MAX_BYTES);
	s[0] = 'x';
	s[1] = ' ';
	s[SHPARSE_MAX_BYTES] = '\0';
	expect(s, 1, NULL);
	s[SHPARSE_MAX_BYTES] = 'a';
	s[SHPARSE_MAX_BYTES + 1] = '\0';
	expect(s, 0, "longer than 65536 bytes");
	free(s);
	/* depth: 16 groups, subshells or substitutions, not 17 */
	s = repeat("", "(", SHPARSE_MAX_DEPTH, "a");
	t = repeat(s, ")", SHPARSE_MAX_DEPTH, "");
	expect(t, 1, NULL);
	free(s);
	free(t);
	s = repeat("", "(", SHPARSE_MAX_DEPTH + 1, "a");
	t = repeat(s, ")", SHPARSE_MAX_DEPTH + 1, "");
	expect(t, 0, "nested deeper than 16");
	free(s);
	free(t);
	s = repeat("echo ", "$(echo ", SHPARSE_MAX_DEPTH + 1, "x");
	t = repeat(s, ")", SHPARSE_MAX_DEPTH + 1, "");
	expect(t, 0, "nested deeper than 16");
	free(s);
	free(t);
	s = repeat("", "{ ", SHPARSE_MAX_DEPTH + 1, "a;");
	t = repeat(s, " }", SHPARSE_MAX_DEPTH + 1, "");
	expect(t, 0, "nested deeper than 16");
	free(s);
	free(t);
	/* commands: 256, not 257 */
	s = repeat("", "a;", SHPARSE_MAX_CMDS, "");
	expect(s, 1, NULL);
	free(s);
	s = repeat("", "a;", SHPARSE_MAX_CMDS + 1, "");
	expect(s, 0, "more than 256 commands");
	free(s);
	/* words: 1024 per command (assignments and redirections count) */
	s = repeat("a", " b", SHPARSE_MAX_WORDS - 1, "");
	expect(s, 1, NULL);
	free(s);
	s = repeat("a", " b", SHPARSE_MAX_WORDS, "");
	expect(s, 0, "more than 1024 words");
	free(s);
	s = repeat("A=1", " >f", SHPARSE_MAX_WORDS, "");
	expect(s, 0, "more than 1024 words");
	free(s);
	/* here-documents: 16 open on one line, 64 in all */
	s = repeat("a", " <<E", 16, "\nE\n");
	expect(s, 1, NULL);
	free(s);
	s = repeat("a", " <<E", 17, "\nE\n");
	expect(s, 0, "more than 16 here-documents");
	free(s);
	s = repeat("", "a <<E\nE\n", SHPARSE_MAX_HEREDOCS, "");
	expect(s, 1, NULL);
	free(s);
	s = repeat("", "a <<E\nE\n", SHPARSE_MAX_HEREDOCS + 1, "");
	expect(s, 0, "more than 64 here-documents");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_funcs),
		cmocka_unit_test(test_heredocs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
