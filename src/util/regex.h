/*
 * regex.h — POSIX extended regular expressions matched in linear time.
 *
 * A pattern is parsed, its counted repetitions expanded, and compiled to
 * a Thompson NFA; a match walks the subject once, carrying the set of NFA
 * states (never more than the program's size), so the time is at most
 * the subject's length times the program's size, whatever the pattern.
 * The price: no backreferences (\1..\9 are refused when compiling), and
 * the answer is only whether the pattern matches, not where.
 *
 * Syntax (ERE as in egrep): literals; `.`; bracket expressions with
 * ranges, `^` negation and the classes [:alpha:] [:digit:] [:alnum:]
 * [:upper:] [:lower:] [:space:] [:blank:] [:punct:] [:print:] [:graph:]
 * [:cntrl:] [:xdigit:] (ASCII), [.c.] and [=c=] of one character; a
 * backslash is literal inside brackets; anchors ^ $; groups ( );
 * alternation |; * + ? {m} {m,} {m,n} {,n} (counts up to
 * REGEX_MAX_REPEAT); GNU escapes \w \W \s \S \b \B \< \> and \d \D
 * ([0-9], which glibc reads as a plain `d`), \t (a tab); a backslash
 * before any other punctuation is that character.  A backslash before
 * another letter or a digit is refused.  A `)` with no `(` is literal,
 * as in glibc.
 *
 * Text is UTF-8 matched by code point: `.` and a bracket expression match
 * one whole character, ranges are code point ranges.  A byte that is not
 * part of well-formed UTF-8 is a character of its own, matched only by
 * `.` and negated sets (\W \S \D [^...]).  Newline semantics are glibc's
 * REG_NEWLINE: `.` and [^...] do not match '\n' (\W \S \D do), ^ and $
 * also match after and before one.  Word characters (\w \b \< \>) are ASCII letters,
 * digits and '_'.  REGEX_ICASE folds ASCII, Latin-1, Latin Extended-A,
 * Greek and Cyrillic capitals to their small letters.
 *
 * Sizes: the pattern is at most REGEX_MAX_PATTERN bytes, groups nest at
 * most REGEX_MAX_NEST deep, the program holds at most REGEX_MAX_PROG
 * instructions; each is a clean error.  A compiled regex keeps its scratch
 * space: use it from one thread at a time.
 */
#ifndef OXIOS_UTIL_REGEX_H
#define OXIOS_UTIL_REGEX_H

#include <stddef.h>
#include <stdint.h>

#define REGEX_ICASE 0x1 /* flag: case-insensitive */

#define REGEX_MAX_PATTERN 4096 /* bytes */
#define REGEX_MAX_REPEAT 1000  /* largest m or n of {m,n} */
#define REGEX_MAX_NEST 64      /* nested groups */
#define REGEX_MAX_PROG 20000   /* NFA instructions after expansion */

struct regex;

/*
 * Compile pattern (a C string) with flags (REGEX_ICASE); *out is new
 * (free with regex_free()).  -1 with *cause (caller frees) saying what is
 * wrong and at which byte offset.
 */
int regex_compile(const char *pattern, int flags, struct regex **out,
    char **cause);
/*
 * Whether re matches somewhere in s[0..len) (which may hold NULs): 1 or 0.
 * With a budget, each NFA state visited costs one unit taken from *budget;
 * -1 when it runs out before the answer (*budget is then 0).  The cost is
 * at most 2 * (len + 1) times the program's size.
 */
int regex_match(struct regex *re, const char *s, size_t len, uint64_t *budget);
/* Instructions of the compiled program (for tests and benchmarks). */
size_t regex_size(const struct regex *re);
void regex_free(struct regex *re); /* NULL is fine */

#endif
