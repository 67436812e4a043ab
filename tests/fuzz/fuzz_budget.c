/*
 * fuzz_budget.c — the bodies of POST /api/budget/{agent} and its
 * /reserve, and agent names.  Invariants: an accepted body has at least
 * one limit above 0, every value in its range and a known window; a
 * refused one has a reason; an accepted name is 1 to 64 of
 * [A-Za-z0-9_.-].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kernel/budget_agent.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *name)
{
	char *cause = NULL;
	size_t n = strlen(name), i;

	if (budget_agent_name_ok(name, &cause) == 0) {
		if (cause != NULL || n == 0 || n > BUDGET_AGENT_MAX)
			abort();
		for (i = 0; i < n; i++) {
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
				   "pqrstuvwxyz0123456789_.-",
				name[i]) == NULL)
				abort();
		}
	} else if (cause == NULL)
		abort();
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct budget_agent a;
	char *cause = NULL, *text;
	long long tokens;
	double usd;
	int64_t ttl;
	json_t *body;

	text = xstrndup((const char *)data, size);
	check_name(text);
	free(text);
	body = json_loadb((const char *)data, size,
	    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	memset(&a, 0, sizeof a);
	if (budget_limits_parse(body, &a, &cause) == 0) {
		if (cause != NULL || a.tokens < 0 || a.calls < 0 ||
		    !(a.usd >= 0 && a.usd <= 1e9) ||
		    (a.tokens == 0 && a.calls == 0 && a.usd == 0) ||
		    budget_window_parse(budget_window_name(a.window)) !=
			(int)a.window)
			abort();
	} else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;
	if (budget_hold_parse(body, &tokens, &usd, &ttl, &cause) == 0) {
		if (cause != NULL || tokens < 0 || !(usd >= 0 && usd <= 1e9) ||
		    (tokens == 0 && usd == 0) || ttl < 1000 ||
		    ttl > BUDGET_HOLD_MAX_MS)
			abort();
	} else if (cause == NULL)
		abort();
	free(cause);
	json_decref(body);
	return 0;
}
