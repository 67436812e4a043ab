/*
 * verify_check.c — the pure parts of the mechanical check (verify.h):
 * assertions, artifact paths, a verify_command split into words, and a
 * criterion checked for form before anything runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ouroboros/verify.h"
#include "security/confine.h"
#include "util/buf.h"
#include "util/regex.h"
#include "util/xalloc.h"

/*
 * An assertion "/ERE/" or "/ERE/i": 1 with the pattern (new) and its
 * flags, 0 when it is a plain substring.
 */
static int
verify_assert_regex(const char *a, char **pattern, int *flags)
{
	size_t len = strlen(a);

	*pattern = NULL;
	*flags = 0;
	if (len >= 2 && a[0] == '/' && a[len - 1] == '/') {
		*pattern = xstrndup(a + 1, len - 2);
		return 1;
	}
	if (len >= 3 && a[0] == '/' && a[len - 2] == '/' && a[len - 1] == 'i') {
		*pattern = xstrndup(a + 1, len - 3);
		*flags = REGEX_ICASE;
		return 1;
	}
	return 0;
}

int
ouro_verify_assert(const char *assertion, const char *output, size_t len,
    char **why)
{
	struct regex *re = NULL;
	uint64_t budget = OURO_VERIFY_REGEX_BUDGET;
	char *pattern = NULL, *cause = NULL;
	int flags, m, rc = -1;

	*why = NULL;
	if (*assertion == '\0') {
		xasprintf(why, "the assertion is empty");
		return -1;
	}
	if (strcmp(assertion, "/") == 0) {
		xasprintf(why,
		    "assertion '/' is neither a substring nor a /regex/ "
		    "(write '/' with a regex: /\\//)");
		return -1;
	}
	if (!verify_assert_regex(assertion, &pattern, &flags)) {
		if (memmem(output, len, assertion, strlen(assertion)) != NULL)
			return 1;
		xasprintf(why, "assertion \"%s\" was not found in the output",
		    assertion);
		return 0;
	}
	if (*pattern == '\0') {
		xasprintf(why, "assertion %s: the regex is empty", assertion);
		goto out;
	}
	if (regex_compile(pattern, flags, &re, &cause) == -1) {
		xasprintf(why,
		    "assertion %s is not a valid regular expression: %s",
		    assertion, cause);
		goto out;
	}
	if ((m = regex_match(re, output, len, &budget)) == -1) {
		xasprintf(why,
		    "assertion %s: the match ran out of its work budget "
		    "(%llu steps) on %zu bytes of output",
		    assertion, (unsigned long long)OURO_VERIFY_REGEX_BUDGET,
		    len);
		goto out;
	}
	if (m == 0)
		xasprintf(why, "assertion %s did not match the output",
		    assertion);
	rc = m;
out:
	regex_free(re);
	free(pattern);
	free(cause);
	return rc;
}

int
ouro_verify_artifact(int dirfd, const char *path, char **why)
{
	struct stat st;
	char *norm = NULL, *cause = NULL;
	size_t len = strlen(path);
	int dir = len > 0 && path[len - 1] == '/', fd = -1, rc = -1;

	*why = NULL;
	if (confine_check(path, len, &norm, &cause) == -1) {
		xasprintf(why, "artifact %s refused: %s", path, cause);
		goto out;
	}
	if ((fd = confine_open(dirfd, norm, O_PATH, 0, &cause)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			xasprintf(why, "artifact %s missing", path);
			rc = 0;
		} else if (errno == EXDEV || errno == ELOOP)
			xasprintf(why, "artifact %s refused: %s", path, cause);
		else
			xasprintf(why, "artifact %s could not be checked: %s",
			    path, cause);
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		xasprintf(why, "artifact %s could not be checked: %s", path,
		    strerror(errno));
		goto out;
	}
	if (dir && !S_ISDIR(st.st_mode)) {
		xasprintf(why, "artifact %s is not a directory", path);
		rc = 0;
		goto out;
	}
	rc = 1;
out:
	if (fd != -1)
		close(fd);
	free(norm);
	free(cause);
	return rc;
}

void
ouro_verify_words_free(char **words)
{
	size_t i;

	if (words == NULL)
		return;
	for (i = 0; words[i] != NULL; i++)
		free(words[i]);
	free(words);
}

char **
ouro_verify_words(const char *command, size_t *n, char **cause)
{
	const char *p = command;
	char **words = NULL;
	size_t nw = 0, cap = 0;
	struct buf w;
	int inword;

	*n = 0;
	buf_init(&w, BUF_NOCAP);
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		buf_reset(&w);
		inword = 1;
		while (inword && *p != '\0') {
			switch (*p) {
			case ' ':
			case '\t':
			case '\n':
				inword = 0;
				break;
			case '\'':
				while (*++p != '\'' && *p != '\0')
					buf_add(&w, p, 1);
				if (*p == '\0')
					goto unclosed;
				p++;
				break;
			case '"':
				while (*++p != '"' && *p != '\0') {
					if (*p == '\\' &&
					    strchr("\"\\$`", p[1]) != NULL &&
					    p[1] != '\0')
						p++;
					buf_add(&w, p, 1);
				}
				if (*p == '\0')
					goto unclosed;
				p++;
				break;
			case '\\':
				if (p[1] == '\0') {
					xasprintf(cause,
					    "the command ends with a "
					    "backslash");
					goto fail;
				}
				buf_add(&w, p + 1, 1);
				p += 2;
				break;
			default:
				buf_add(&w, p++, 1);
				break;
			}
		}
		if (nw + 2 > cap) {
			cap = cap == 0 ? 8 : cap * 2;
			words = xreallocarray(words, cap, sizeof *words);
		}
		words[nw++] = xstrndup(buf_str(&w), w.len);
		words[nw] = NULL;
	}
	buf_free(&w);
	if (nw == 0) {
		xasprintf(cause, "the command holds no word");
		return NULL;
	}
	*n = nw;
	return words;
unclosed:
	xasprintf(cause, "the command has an unclosed quote");
fail:
	buf_free(&w);
	ouro_verify_words_free(words);
	return NULL;
}

int
ouro_verify_check(const char *verify_command, char *const *artifacts,
    size_t nartifacts, const char *assertion, char **cause)
{
	char *norm = NULL, *why = NULL;
	size_t i;
	int rc;

	if (verify_command == NULL && nartifacts == 0 && assertion == NULL)
		return 0;
	if (verify_command != NULL) {
		if (verify_command[strspn(verify_command, " \t\n")] == '\0') {
			xasprintf(cause, "verify_command is empty");
			return -1;
		}
		if (strlen(verify_command) > OURO_VERIFY_MAX_COMMAND) {
			xasprintf(cause,
			    "verify_command is too long (over %d bytes)",
			    OURO_VERIFY_MAX_COMMAND);
			return -1;
		}
	}
	if (nartifacts > OURO_VERIFY_MAX_ARTIFACTS) {
		xasprintf(cause, "too many artifacts (%zu; at most %d)",
		    nartifacts, OURO_VERIFY_MAX_ARTIFACTS);
		return -1;
	}
	for (i = 0; i < nartifacts; i++) {
		if (artifacts[i] == NULL ||
		    confine_check(artifacts[i], strlen(artifacts[i]), &norm,
			&why) == -1) {
			xasprintf(cause, "artifact %s refused: %s",
			    artifacts[i] != NULL ? artifacts[i] : "(null)",
			    why != NULL ? why : "no path");
			free(why);
			return -1;
		}
		free(norm);
	}
	if (assertion != NULL) {
		if (verify_command == NULL) {
			xasprintf(cause,
			    "an assertion without a verify_command: the "
			    "assertion is checked against the command's "
			    "output");
			return -1;
		}
		/* Parse (and compile) it against no output. */
		if ((rc = ouro_verify_assert(assertion, "", 0, &why)) == -1) {
			*cause = why;
			return -1;
		}
		free(why);
	}
	return 1;
}
