/*
 * test_regex.c — the linear-time ERE engine (util/regex.h).
 *
 * A table of (pattern, flags, subject, answer) run whole; a table of
 * patterns refused with the words of their cause; the cost of the
 * patterns that make a backtracking matcher explode, checked against the
 * bound regex.h promises (so linear time is a tested property, not a
 * hope); the budget; and a differential test against glibc's
 * regcomp()/regexec() (REG_EXTENDED | REG_NEWLINE | REG_NOSUB, in the
 * C.UTF-8 locale) on random patterns over random subjects, from a fixed
 * seed.  The generator leaves out what the two read differently on
 * purpose (regex.h): \d, counts over 1000, unknown escapes; and where
 * glibc's classes and case folding are Unicode-wide and ours ASCII (named
 * classes, \w, \s, \b, \<, \>; REG_ICASE) the subjects stay ASCII;
 * glibc refuses ranges between non-ASCII characters ("Invalid collation
 * character"), which we read as code point ranges, so sets of such
 * characters are only listed; and glibc checks an anchor in a repeated
 * group once for all the copies (it finds (^x){2} in "xx", and
 * (\b ){2} in "c  A"), so anchors are not repeated here (the table
 * holds the right answers).  With REG_ICASE glibc reads a range oddly
 * ([:-u] misses '[', [Z-a] is refused); ours holds a character when it
 * or its other case is in the range.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/regex.h"
#include "util/xalloc.h"

#define ERR (-2) /* the pattern is refused */

struct mcase {
	const char *pat;
	int flags;
	const char *s;
	int want; /* 1, 0, or ERR */
};

static const struct mcase mcases[] = {
	/* Literals and concatenation. */
	{ "abc", 0, "xxabcxx", 1 },
	{ "abc", 0, "abxc", 0 },
	{ "", 0, "", 1 },
	{ "", 0, "anything", 1 },
	{ "a", 0, "", 0 },
	{ "é", 0, "café", 1 },
	{ "中文", 0, "這是中文字", 1 },
	{ "b\\*", 0, "ab*", 1 },
	{ "b\\*", 0, "abb", 0 },
	{ "a\\.b", 0, "a.b", 1 },
	{ "a\\.b", 0, "axb", 0 },
	{ "\\\\", 0, "a\\b", 1 },
	{ "\\(x\\)", 0, "(x)", 1 },
	{ "\\{", 0, "{", 1 },
	{ "a)", 0, "a)", 1 }, /* an unopened ')' is literal */
	{ "\\t", 0, "a\tb", 1 },
	{ "\\t", 0, "atb", 0 },
	/* Dot: one character, never '\n'. */
	{ "a.c", 0, "abc", 1 },
	{ "a.c", 0, "ac", 0 },
	{ "a.c", 0, "a\nc", 0 },
	{ "^.$", 0, "é", 1 },
	{ "^.$", 0, "中", 1 },
	{ "^..$", 0, "é", 0 },
	{ "^.$", 0, "\xff", 1 },      /* a stray byte is a character */
	{ "^..$", 0, "\xe2\x82", 1 }, /* a cut sequence: two */
	{ "^[^a]$", 0, "\xc3", 1 },   /* negated sets match stray bytes */
	{ "^[[:alpha:]]$", 0, "\xc3", 0 },
	/* Brackets. */
	{ "[abc]", 0, "xxc", 1 },
	{ "[abc]", 0, "xyz", 0 },
	{ "^[a-c]+$", 0, "abcba", 1 },
	{ "^[a-c]+$", 0, "abcd", 0 },
	{ "[^abc]", 0, "abc", 0 },
	{ "[^abc]", 0, "abcd", 1 },
	{ "[^a]", 0, "\n", 0 },
	{ "\\W", 0, "\n", 1 }, /* as glibc */
	{ "[]a]", 0, "]", 1 },
	{ "[^]a]", 0, "]", 0 },
	{ "[^]a]", 0, "b", 1 },
	{ "[a-]", 0, "-", 1 },
	{ "[-a]", 0, "-", 1 },
	{ "[!--]", 0, ",", 1 },
	{ "[\\]", 0, "\\", 1 }, /* a backslash is literal in brackets */
	{ "[\\d]", 0, "d", 1 },
	{ "[\\d]", 0, "5", 0 },
	{ "[à-ï]", 0, "é", 1 },
	{ "[à-ï]", 0, "ò", 0 },
	{ "[[:digit:]]+", 0, "abc123", 1 },
	{ "[[:digit:]]", 0, "abc", 0 },
	{ "^[[:alpha:][:digit:]_]+$", 0, "a_1", 1 },
	{ "[[:upper:]]", 0, "abc", 0 },
	{ "[[:upper:]]", REGEX_ICASE, "abc", 1 },
	{ "[[:space:]]", 0, "a\tb", 1 },
	{ "[[:blank:]]", 0, "a\rb", 0 },
	{ "[[:punct:]]", 0, "a,b", 1 },
	{ "[[:xdigit:]]+$", 0, "0xBeEf", 1 },
	{ "[[:cntrl:]]", 0, "a\x01", 1 },
	{ "[[:print:]]", 0, "\x01", 0 },
	{ "[[:graph:]]", 0, " ", 0 },
	{ "[[.a.]]", 0, "a", 1 },
	{ "[[=é=]]", 0, "é", 1 },
	{ "[[.-.]a]", 0, "-", 1 },
	/* Anchors. */
	{ "^abc", 0, "abcd", 1 },
	{ "^abc", 0, "xabc", 0 },
	{ "abc$", 0, "xabc", 1 },
	{ "abc$", 0, "abcx", 0 },
	{ "^$", 0, "", 1 },
	{ "^$", 0, "x", 0 },
	{ "a^b", 0, "a^b", 0 },
	{ "a$b", 0, "a$b", 0 },
	{ "^b", 0, "a\nb", 1 }, /* REG_NEWLINE */
	{ "a$", 0, "a\nb", 1 },
	{ "(^|x)a", 0, "ba", 0 },
	{ "(^|x)a", 0, "xa", 1 },
	{ "(^|x)a", 0, "ab", 1 },
	{ "(^x){2}", 0, "xx", 0 }, /* glibc: 1 */
	{ "(x$){2}", 0, "xx", 0 },
	{ "(\\bx){2}", 0, "xx", 0 },
	{ "(\\b ){2}", 0, "c  A", 0 },
	{ "(x\\b){2}", 0, "x x", 0 },
	{ "(x\\b ?){2}", 0, "x x", 1 },
	/* Alternation and groups. */
	{ "cat|dog", 0, "hotdog", 1 },
	{ "cat|dog", 0, "cow", 0 },
	{ "^(cat|dog)$", 0, "dog", 1 },
	{ "^(cat|dog)$", 0, "dogs", 0 },
	{ "a||b", 0, "x", 1 },
	{ "(|a)x", 0, "x", 1 },
	{ "()", 0, "", 1 },
	{ "^(a(b(c)))$", 0, "abc", 1 },
	/* Repetition. */
	{ "an+a", 0, "banana", 1 },
	{ "an+a", 0, "baa", 0 },
	{ "^a*$", 0, "", 1 },
	{ "^a*$", 0, "aaaa", 1 },
	{ "^a*$", 0, "aab", 0 },
	{ "^a+$", 0, "", 0 },
	{ "^ab?c$", 0, "ac", 1 },
	{ "^ab?c$", 0, "abbc", 0 },
	{ "^a{3}$", 0, "aaa", 1 },
	{ "^a{3}$", 0, "aa", 0 },
	{ "^a{3}$", 0, "aaaa", 0 },
	{ "^a{2,}$", 0, "a", 0 },
	{ "^a{2,}$", 0, "aaaaa", 1 },
	{ "^a{2,3}$", 0, "aaa", 1 },
	{ "^a{2,3}$", 0, "aaaa", 0 },
	{ "^a{,2}$", 0, "", 1 },
	{ "^a{,2}$", 0, "aaa", 0 },
	{ "^a{0}$", 0, "", 1 },
	{ "^a{0}b$", 0, "ab", 0 },
	{ "^(ab){2}$", 0, "abab", 1 },
	{ "^(ab){2}$", 0, "aba", 0 },
	{ "^a**$", 0, "aa", 1 },
	{ "^(a|b)*c$", 0, "ababc", 1 },
	{ "^(a*)*$", 0, "aaa", 1 },
	{ "^(a*)*$", 0, "aab", 0 },
	{ "^(a*)+b$", 0, "b", 1 },
	{ "^x{1000}$", 0, "x", 0 },
	{ "^(a|ab)(c|bcd)(d*)$", 0, "abcd", 1 },
	/* Escapes. */
	{ "\\w+", 0, "  foo_1 ", 1 },
	{ "^\\w+$", 0, "foo-bar", 0 },
	{ "\\W", 0, "foo_bar", 0 },
	{ "\\W", 0, "foo bar", 1 },
	{ "\\s", 0, "foo bar", 1 },
	{ "\\s", 0, "foobar", 0 },
	{ "^\\S+$", 0, "foobar", 1 },
	{ "\\d{3}", 0, "a123", 1 },
	{ "\\d", 0, "abd", 0 },
	{ "^\\D+$", 0, "abc", 1 },
	{ "^\\D+$", 0, "ab1", 0 },
	{ "\\bfoo\\b", 0, "a foo b", 1 },
	{ "\\bfoo\\b", 0, "afoo", 0 },
	{ "\\bfoo\\b", 0, "foo_", 0 },
	{ "\\Boo", 0, "foo", 1 },
	{ "\\Bfoo", 0, "foo", 0 },
	{ "\\<foo", 0, "x foo", 1 },
	{ "\\<foo", 0, "xfoo", 0 },
	{ "foo\\>", 0, "foo.", 1 },
	{ "foo\\>", 0, "food", 0 },
	{ "\\bé", 0, "é", 0 }, /* é is not a word character */
	{ "\\bé", 0, "aé", 1 },
	/* Case. */
	{ "hello", REGEX_ICASE, "HeLLo", 1 },
	{ "HELLO", REGEX_ICASE, "hello", 1 },
	{ "hello", 0, "HELLO", 0 },
	{ "[a-c]+x", REGEX_ICASE, "ABCX", 1 },
	{ "[^a]", REGEX_ICASE, "A", 0 },
	{ "[:-u]", REGEX_ICASE, "[", 1 }, /* glibc: 0 */
	{ "[:-u]", REGEX_ICASE, "w", 1 }, /* W is in it */
	{ "[:-u]", REGEX_ICASE, "~", 0 },
	{ "[Z-a]", REGEX_ICASE, "z", 1 }, /* glibc refuses it */
	{ "[^a]", REGEX_ICASE, "B", 1 },
	{ "é", REGEX_ICASE, "CAFÉ", 1 },
	{ "straße", REGEX_ICASE, "STRAßE", 1 },
	{ "ÿ", REGEX_ICASE, "Ÿ", 1 },
	{ "ā", REGEX_ICASE, "Ā", 1 },
	{ "[ā-ą]", REGEX_ICASE, "Ą", 1 },
	{ "σοφία", REGEX_ICASE, "ΣΟΦΊΑ", 0 }, /* accented Greek: not folded */
	{ "σοφ", REGEX_ICASE, "ΣΟΦ", 1 },
	{ "привет", REGEX_ICASE, "ПРИВЕТ", 1 },
	{ "ё", REGEX_ICASE, "Ё", 1 },
	{ "\\w", REGEX_ICASE, "_", 1 },
	/* Refused. */
	{ "(a)\\1", 0, "aa", ERR },
	{ "*a", 0, "", ERR },
	{ "a|*b", 0, "", ERR },
	{ "(+a)", 0, "", ERR },
	{ "{1}", 0, "", ERR },
	{ "^*", 0, "", ERR },
	{ "a$?", 0, "", ERR },
	{ "\\b+", 0, "", ERR },
	{ "a{", 0, "", ERR },
	{ "a{x}", 0, "", ERR },
	{ "a{1", 0, "", ERR },
	{ "a{2,1}", 0, "", ERR },
	{ "a{1001}", 0, "", ERR },
	{ "a{1,1001}", 0, "", ERR },
	{ "(a", 0, "", ERR },
	{ "((a)", 0, "", ERR },
	{ "[a", 0, "", ERR },
	{ "[]", 0, "", ERR },
	{ "[^]", 0, "", ERR },
	{ "[z-a]", 0, "", ERR },
	{ "[[:foo:]]", 0, "", ERR },
	{ "[[:alpha:]-z]", 0, "", ERR },
	{ "[a-[:alpha:]]", 0, "", ERR },
	{ "[[.ab.]]", 0, "", ERR },
	{ "[[.a", 0, "", ERR },
	{ "a\\", 0, "", ERR },
	{ "\\q", 0, "", ERR },
	{ "\\n", 0, "", ERR },
	{ "\\0", 0, "", ERR },
	{ "\xff", 0, "", ERR },
	{ "a\xc3", 0, "", ERR },
	{ "(a{1000}){21}", 0, "", ERR },
	{ "((a{1000}){1000}){1000}", 0, "", ERR },
};

static void
test_table(void **state)
{
	const struct mcase *c;
	struct regex *re;
	char *cause = NULL;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof mcases / sizeof mcases[0]; i++) {
		c = &mcases[i];
		if (regex_compile(c->pat, c->flags, &re, &cause) == -1) {
			if (c->want != ERR)
				fail_msg("'%s': refused: %s", c->pat, cause);
			if (re != NULL || cause == NULL || *cause == '\0')
				fail_msg("'%s': no cause", c->pat);
			free(cause);
			cause = NULL;
			continue;
		}
		if (c->want == ERR)
			fail_msg("'%s': compiled", c->pat);
		got = regex_match(re, c->s, strlen(c->s), NULL);
		if (got != c->want)
			fail_msg("'%s'%s on '%s': %d, not %d", c->pat,
			    c->flags ? " (icase)" : "", c->s, got, c->want);
		regex_free(re);
	}
}

/* Patterns refused, with words their cause must hold. */
static const struct {
	const char *pat;
	const char *cause;
} ecases[] = {
	{ "(.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1x",
	    "backreferences are not supported: the pattern is matched in "
	    "linear time (\\5 at offset 20)" },
	{ "a{1001}", "a count at offset 1 is over 1000" },
	{ "a{3,2}", "{3,2} at offset 1: the bounds are backwards" },
	{ "(a{1000}){21}", "more than 20000 instructions" },
	{ "ab(c", "unmatched ( at offset 2" },
	{ "x[ab", "unmatched [ at offset 1" },
	{ "x*+?{", "'{' at offset 4 is not followed by a count" },
	{ "x{2", "unmatched { at offset 1" },
	{ "x|?", "'?' at offset 2 has nothing to repeat" },
	{ "a\\q", "unknown escape \\q at offset 1" },
	{ "[[:word:]]", "unknown character class at offset 1" },
	{ "[b-a]", "the range ending at offset 3 is backwards" },
	{ "\\", "trailing backslash at offset 0" },
	{ "ab\xe9", "the pattern is not UTF-8 at offset 2" },
};

static void
test_causes(void **state)
{
	struct regex *re;
	char *cause, *long_pat, *deep;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ecases / sizeof ecases[0]; i++) {
		cause = NULL;
		if (regex_compile(ecases[i].pat, 0, &re, &cause) != -1)
			fail_msg("'%s' compiled", ecases[i].pat);
		if (strstr(cause, ecases[i].cause) == NULL)
			fail_msg("'%s': cause '%s'", ecases[i].pat, cause);
		free(cause);
	}

	/* The length cap, and nesting. */
	long_pat = xmalloc(REGEX_MAX_PATTERN + 2);
	memset(long_pat, 'a', REGEX_MAX_PATTERN + 1);
	long_pat[REGEX_MAX_PATTERN + 1] = '\0';
	assert_int_equal(regex_compile(long_pat, 0, &re, &cause), -1);
	assert_non_null(strstr(cause, "longer than 4096 bytes"));
	free(cause);
	long_pat[REGEX_MAX_PATTERN] = '\0';
	assert_int_equal(regex_compile(long_pat, 0, &re, &cause), 0);
	assert_int_equal(regex_match(re, long_pat, REGEX_MAX_PATTERN, NULL), 1);
	assert_int_equal(regex_match(re, long_pat, REGEX_MAX_PATTERN - 1, NULL),
	    0);
	regex_free(re);
	free(long_pat);

	deep = xmalloc(2 * REGEX_MAX_NEST + 4);
	for (i = 0; i <= REGEX_MAX_NEST; i++) {
		deep[i] = '(';
		deep[REGEX_MAX_NEST + 1 + i] = ')';
	}
	deep[2 * REGEX_MAX_NEST + 2] = '\0';
	assert_int_equal(regex_compile(deep, 0, &re, &cause), -1);
	assert_non_null(strstr(cause, "groups nest more than 64 deep"));
	free(cause);
	/* One ')' too many: a literal. */
	assert_int_equal(regex_compile(deep + 1, 0, &re, &cause), 0);
	assert_int_equal(regex_match(re, "", 0, NULL), 0);
	assert_int_equal(regex_match(re, ")", 1, NULL), 1);
	regex_free(re);
	deep[2 * REGEX_MAX_NEST + 1] = '\0';
	assert_int_equal(regex_compile(deep + 1, 0, &re, &cause), 0);
	assert_int_equal(regex_match(re, "", 0, NULL), 1);
	regex_free(re);
	free(deep);
}

/*
 * The patterns that make backtracking matchers take exponential or
 * high-polynomial time cost no more than 2 * (len + 1) * size here.
 */
static void
test_linear(void **state)
{
	static const char *pats[] = {
		"(.*)(.*)(.*)(.*)(.*)x",
		"^(a+)+$",
		"^(a|a)*b$",
		"^(a|aa)+$b",
		"(a*)*(b*)*(a*)*c",
		"^(a?){30}a{30}$",
		"(x+x+)+y",
		"(.*a){20}",
	};
	struct regex *re;
	char *cause = NULL, s[4001];
	uint64_t budget, bound;
	size_t i;
	int rc;

	(void)state;
	memset(s, 'a', sizeof s - 1);
	s[sizeof s - 1] = '\0';
	for (i = 0; i < sizeof pats / sizeof pats[0]; i++) {
		if (regex_compile(pats[i], 0, &re, &cause) == -1)
			fail_msg("'%s': %s", pats[i], cause);
		bound = 2 * (uint64_t)(sizeof s) * regex_size(re);
		budget = UINT64_MAX;
		rc = regex_match(re, s, sizeof s - 1, &budget);
		if (rc == -1 || UINT64_MAX - budget > bound)
			fail_msg("'%s': rc %d, cost %llu over the bound %llu",
			    pats[i], rc,
			    (unsigned long long)(UINT64_MAX - budget),
			    (unsigned long long)bound);
		regex_free(re);
	}
}

static void
test_budget(void **state)
{
	struct regex *re;
	char *cause = NULL, s[1000];
	uint64_t budget;

	(void)state;
	memset(s, 'a', sizeof s);
	assert_int_equal(regex_compile("(a|b)*c", 0, &re, &cause), 0);
	budget = 100;
	assert_int_equal(regex_match(re, s, sizeof s, &budget), -1);
	assert_true(budget == 0);
	budget = 1000000;
	assert_int_equal(regex_match(re, s, sizeof s, &budget), 0);
	assert_true(budget > 0 && budget < 1000000);
	/* The same regex again after a run cut short. */
	s[sizeof s - 1] = 'c';
	assert_int_equal(regex_match(re, s, sizeof s, NULL), 1);
	regex_free(re);

	/* A skip to the only possible first byte costs nothing. */
	assert_int_equal(regex_compile("zq", 0, &re, &cause), 0);
	budget = 10;
	assert_int_equal(regex_match(re, s, sizeof s, &budget), 0);
	assert_true(budget == 10);
	regex_free(re);
}

/* NULs are characters like any other. */
static void
test_nul(void **state)
{
	struct regex *re;
	char *cause = NULL;

	(void)state;
	assert_int_equal(regex_compile("^a.b$", 0, &re, &cause), 0);
	assert_int_equal(regex_match(re, "a\0b", 3, NULL), 1);
	assert_int_equal(regex_match(re, "a\0bc", 4, NULL), 0);
	regex_free(re);
	assert_int_equal(regex_compile("c", 0, &re, &cause), 0);
	assert_int_equal(regex_match(re, "a\0c", 3, NULL), 1);
	assert_int_equal(regex_match(re, "a\0c", 2, NULL), 0);
	regex_free(re);
}

/* The differential test's generator: a seeded xorshift. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static unsigned
rng(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

/* Whether the pattern uses what is Unicode-wide in glibc; anchors made. */
static int gen_wide, gen_anchors;

static void gen_alt(struct buf *b, int depth);

/* Append an atom; 1 if it is an anchor (never repeated: both refuse). */
static int
gen_atom(struct buf *b, int depth)
{
	static const char *lits[] = { "a", "b", "c", "é", "A", "_", " ", "\\.",
		"\\*", "\\(", "-" };
	static const char *sets[] = { "[ab]", "[^a]", "[a-c]", "[^a-b]", "[]a]",
		"[a-]", "[éë]", "[^é]", "[.]", "[*a]" };
	static const char *wide[] = { "[[:alpha:]]", "[[:digit:]_]",
		"[^[:space:]]", "[[:upper:]]", "[[:punct:]]", "\\w", "\\W",
		"\\s", "\\S" };
	static const char *words[] = { "\\b", "\\B", "\\<", "\\>" };

	switch (rng(depth < 3 ? 9 : 7)) {
	case 0:
	case 1:
	case 2:
		buf_adds(b, lits[rng(sizeof lits / sizeof lits[0])]);
		return 0;
	case 3:
		buf_adds(b, ".");
		return 0;
	case 4:
		buf_adds(b, sets[rng(sizeof sets / sizeof sets[0])]);
		return 0;
	case 5:
		gen_wide = 1;
		buf_adds(b, wide[rng(sizeof wide / sizeof wide[0])]);
		return 0;
	case 6:
		gen_anchors++;
		if (rng(2)) {
			buf_adds(b, rng(2) ? "^" : "$");
			return 1;
		}
		gen_wide = 1;
		buf_adds(b, words[rng(sizeof words / sizeof words[0])]);
		return 1;
	default:
		buf_addc(b, '(');
		gen_alt(b, depth + 1);
		buf_addc(b, ')');
		return 0;
	}
}

static void
gen_piece(struct buf *b, int depth)
{
	static const char *ops[] = { "*", "+", "?", "{2}", "{1,3}", "{0,2}",
		"{2,}", "{,2}" };

	int before = gen_anchors;

	/* No anchor is repeated, even in a group (see the top). */
	if (!gen_atom(b, depth) && gen_anchors == before && rng(3) == 0)
		buf_adds(b, ops[rng(sizeof ops / sizeof ops[0])]);
}

static void
gen_alt(struct buf *b, int depth)
{
	int n = (int)rng(4), k;

	for (k = 0; k < n || k == 0; k++)
		gen_piece(b, depth);
	if (depth < 3 && rng(4) == 0) {
		buf_addc(b, '|');
		gen_alt(b, depth + 1);
	}
}

static void
gen_subject(struct buf *b, int ascii)
{
	static const char *chars[] = { "a", "b", "c", "A", "B", "_", " ", "\n",
		".", "*", "-", "]", "é", "ë", "É", "x" };
	size_t n = rng(14), k, pick;

	for (k = 0; k < n; k++) {
		do
			pick = rng(sizeof chars / sizeof chars[0]);
		while (ascii && (unsigned char)chars[pick][0] >= 0x80);
		buf_adds(b, chars[pick]);
	}
}

static void
test_differential(void **state)
{
	locale_t utf8, old;
	struct buf pat, sub;
	struct regex *re;
	regex_t ref;
	char *cause = NULL;
	int i, k, icase, ascii, want, got, compared = 0;

	(void)state;
	utf8 = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	if (utf8 == (locale_t)0)
		skip(); /* no C.UTF-8 locale */
	old = uselocale(utf8);
	buf_init(&pat, BUF_NOCAP);
	buf_init(&sub, BUF_NOCAP);
	for (i = 0; i < 10000; i++) {
		buf_reset(&pat);
		gen_wide = 0;
		gen_alt(&pat, 0);
		icase = rng(4) == 0;
		ascii = gen_wide || icase;
		if (regcomp(&ref, buf_str(&pat),
			REG_EXTENDED | REG_NEWLINE | REG_NOSUB |
			    (icase ? REG_ICASE : 0)) != 0) {
			if (regex_compile(buf_str(&pat), 0, &re, &cause) == 0)
				fail_msg("'%s': glibc refuses it, we do not",
				    buf_str(&pat));
			free(cause);
			cause = NULL;
			continue;
		}
		if (regex_compile(buf_str(&pat), icase ? REGEX_ICASE : 0, &re,
			&cause) == -1)
			fail_msg("'%s': refused: %s", buf_str(&pat), cause);
		for (k = 0; k < 8; k++) {
			buf_reset(&sub);
			gen_subject(&sub, ascii);
			want = regexec(&ref, buf_str(&sub), 0, NULL, 0) == 0;
			got = regex_match(re, buf_str(&sub), sub.len, NULL);
			if (got != want)
				fail_msg("'%s'%s on '%s': %d, glibc %d",
				    buf_str(&pat), icase ? " (icase)" : "",
				    buf_str(&sub), got, want);
			compared++;
		}
		regex_free(re);
		regfree(&ref);
	}
	print_message("# %d comparisons with glibc\n", compared);
	assert_true(compared > 50000);
	buf_free(&pat);
	buf_free(&sub);
	uselocale(old);
	freelocale(utf8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_causes),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
