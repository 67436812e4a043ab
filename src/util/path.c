/*
 * path.c — lexical path helpers.
 */
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/path.h"
#include "util/xalloc.h"

char *
path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	char *out;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 0)
		return xstrdup(b);
	if (*b == '\0')
		return xstrndup(a, la);
	xasprintf(&out, "%.*s%s%s", (int)la, a, a[la - 1] == '/' ? "" : "/", b);
	return out;
}

char *
path_normalize(const char *p)
{
	const char **parts;
	size_t n = 0, max, len, i;
	int absolute = (*p == '/');
	const char *s = p;
	struct buf out;

	max = strlen(p) / 2 + 2;
	parts = xcalloc(max, sizeof *parts);
	while (*s != '\0') {
		while (*s == '/')
			s++;
		if (*s == '\0')
			break;
		len = strcspn(s, "/");
		if (len == 1 && s[0] == '.') {
			/* skip */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (n > 0 && strncmp(parts[n - 1], "../", 3) != 0 &&
			    strcmp(parts[n - 1], "..") != 0)
				n--;
			else if (!absolute)
				parts[n++] = s;
		} else
			parts[n++] = s;
		s += len;
	}

	buf_init(&out, BUF_NOCAP);
	if (absolute)
		buf_addc(&out, '/');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&out, '/');
		buf_add(&out, parts[i], strcspn(parts[i], "/"));
	}
	if (out.len == 0)
		buf_addc(&out, '.');
	free(parts);
	return buf_detach(&out);
}

int
path_is_under(const char *root, const char *p)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (strncmp(root, p, n) != 0)
		return 0;
	if (n == 1 && root[0] == '/')
		return p[0] == '/';
	return p[n] == '\0' || p[n] == '/';
}

int
path_within(const char *root, const char *rel, char **out, char **cause)
{
	char *joined = NULL, *norm = NULL, *nroot = NULL;
	int rc = -1;

	*out = NULL;
	if (strlen(rel) >= PATH_MAX_LEN) {
		xasprintf(cause, "path too long (over %d bytes)", PATH_MAX_LEN);
		goto out;
	}
	if (rel[0] == '/') {
		xasprintf(cause, "%s: absolute paths are not allowed", rel);
		goto out;
	}
	nroot = path_normalize(root);
	joined = path_join(nroot, rel);
	norm = path_normalize(joined);
	if (!path_is_under(nroot, norm)) {
		xasprintf(cause, "%s: path leaves its root", rel);
		goto out;
	}
	*out = norm;
	norm = NULL;
	rc = 0;
out:
	free(nroot);
	free(joined);
	free(norm);
	return rc;
}

char *
path_expand_home(const char *p)
{
	const char *home;

	if (p[0] != '~' || (p[1] != '\0' && p[1] != '/'))
		return xstrdup(p);
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		home = "/";
	return path_join(home, p + 1);
}

int
path_is_name(const char *s)
{
	return *s != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}
