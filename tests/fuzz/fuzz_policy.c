/*
 * fuzz_policy.c — grants as PUT /api/permissions/{agent} and `oxios
 * permissions set` hand them to policy_grants_parse().  Invariants: an
 * accepted array holds at most POLICY_MAX_GRANTS objects of exactly a
 * resource that parses again to itself (normalised, capped, a known
 * kind) and rights of distinct r/w/x/d letters; parsing the output again
 * gives the same array; a set built from it allows what its grants name
 * and matching never crashes on any value; a refusal has a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "security/policy.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_accepted(const json_t *out)
{
	struct policy_set *s;
	json_t *again = NULL, *g;
	const char *res;
	char *norm = NULL, *cause = NULL;
	size_t i;
	int rights;

	if (!json_is_array(out) || json_array_size(out) > POLICY_MAX_GRANTS)
		abort();
	json_array_foreach(out, i, g) {
		if (json_object_size(g) != 2)
			abort();
		res = json_string_value(json_object_get(g, "resource"));
		rights = policy_rights_parse(
		    json_string_value(json_object_get(g, "rights")));
		if (res == NULL || rights <= 0 || rights > PERM_ALL)
			abort();
		if (policy_resource_parse(res, &norm, &cause) != 0 ||
		    strcmp(norm, res) != 0 || strlen(res) > POLICY_MAX_PATTERN)
			abort();
		free(norm);
	}
	if (policy_grants_parse(out, &again, &cause) != 0 ||
	    !json_equal(out, again))
		abort();
	json_decref(again);
	if ((s = policy_set_new("fuzz", "minimal", out, &cause)) == NULL)
		abort();
	json_array_foreach(out, i, g) {
		res = json_string_value(json_object_get(g, "resource"));
		rights = policy_rights_parse(
		    json_string_value(json_object_get(g, "rights")));
		/* A literal pattern allows itself. */
		if (strchr(res, '*') == NULL &&
		    !policy_set_allows(s, res, rights))
			abort();
	}
	policy_set_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in, *out = NULL;
	char *cause = NULL, *text, *nl, *res;

	in = json_loadb((const char *)data, size,
	    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (policy_grants_parse(in, &out, &cause) == 0) {
		if (cause != NULL)
			abort();
		check_accepted(out);
		json_decref(out);
	} else if (cause == NULL || out != NULL)
		abort();
	free(cause);
	json_decref(in);
	/* "PATTERN\nRESOURCE": the matcher on any pair. */
	text = xstrndup((const char *)data, size);
	if ((nl = strchr(text, '\n')) != NULL) {
		*nl = '\0';
		(void)policy_resource_match(text, nl + 1);
		cause = NULL;
		if (policy_resource_parse(text, &res, &cause) == 0) {
			if (cause != NULL)
				abort();
			free(res);
		} else if (cause == NULL)
			abort();
		free(cause);
	}
	free(text);
	return 0;
}
