/*
 * fuzz_path.c — user-supplied paths.  Invariants: normalising is
 * idempotent and leaves no "//", "/./" or trailing '/'; a path accepted by
 * path_within() lies under its root, and one refused has a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/path.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *n1, *n2, *out = NULL, *cause = NULL;
	size_t len;

	in = xstrndup((const char *)data, size);
	n1 = path_normalize(in);
	n2 = path_normalize(n1);
	if (strcmp(n1, n2) != 0)
		abort();
	len = strlen(n1);
	if (len == 0 || strstr(n1, "//") != NULL || strstr(n1, "/./") != NULL)
		abort();
	if (len > 1 && n1[len - 1] == '/')
		abort();
	if (n1[0] == '/' &&
	    (strcmp(n1, "/..") == 0 || strncmp(n1, "/../", 4) == 0))
		abort();

	if (path_within("/ws/root", in, &out, &cause) == 0) {
		if (cause != NULL || !path_is_under("/ws/root", out))
			abort();
		if (strstr(out, "/../") != NULL)
			abort();
		free(out);
	} else {
		if (out != NULL || cause == NULL || *cause == '\0')
			abort();
		free(cause);
	}
	free(n2);
	free(n1);
	free(in);
	return 0;
}
