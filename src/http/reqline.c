/*
 * reqline.c — the first bytes of a request: empty lines, a method, a
 * space.  See reqline.h.
 */
#include <string.h>

#include "http/reqline.h"

int
reqline_tchar(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

enum reqline_verdict
reqline_check(const unsigned char *p, size_t n)
{
	size_t i = 0, empty = 0, method;

	/* Empty lines first: "\r\n" or "\n". */
	while (i < n && (p[i] == '\r' || p[i] == '\n')) {
		if (p[i] == '\r') {
			if (i + 1 == n)
				return REQLINE_MORE;
			if (p[i + 1] != '\n')
				return REQLINE_BAD;
			i++;
		}
		i++;
		if (++empty > REQLINE_MAX_EMPTY)
			return REQLINE_BAD;
	}
	for (method = 0; i < n; i++, method++) {
		if (p[i] == ' ')
			return method > 0 ? REQLINE_OK : REQLINE_BAD;
		if (!reqline_tchar(p[i]) || method == REQLINE_MAX_METHOD)
			return REQLINE_BAD;
	}
	return REQLINE_MORE;
}
