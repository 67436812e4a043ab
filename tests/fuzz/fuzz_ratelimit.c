/*
 * fuzz_ratelimit.c — a provider's rate-limit headers are outside input.
 * The bytes are header lines (split at '\n') read into one struct
 * llm_ratelimit, and each line is also given whole to the value parsers.
 * Invariants: every field is -1 (unknown) or within its cap; a line read
 * marks the struct seen; a wait is -1 or within LLM_RL_MAX_MS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1796385600000LL

static void
fuzz_check(long v, long cap)
{
	if (v < -1 || v > cap)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct llm_ratelimit rl;
	const char *p = (const char *)data, *end = p + size, *nl;
	char value[256];
	size_t len;
	int any = 0;

	llm_ratelimit_init(&rl);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		any |= llm_ratelimit_header(&rl, p, len, NOW);
		if (len < sizeof value) {
			memcpy(value, p, len);
			value[len] = '\0';
			fuzz_check(llm_ratelimit_duration(value),
			    LLM_RL_MAX_MS);
			fuzz_check(llm_ratelimit_time(value, NOW),
			    LLM_RL_MAX_MS);
			fuzz_check(llm_ratelimit_retry_after(value, NOW),
			    LLM_RL_MAX_MS);
		}
		p += len;
	}
	if (any != rl.seen)
		abort();
	fuzz_check(rl.req_limit, LLM_RL_MAX_COUNT);
	fuzz_check(rl.req_remaining, LLM_RL_MAX_COUNT);
	fuzz_check(rl.tok_limit, LLM_RL_MAX_COUNT);
	fuzz_check(rl.tok_remaining, LLM_RL_MAX_COUNT);
	fuzz_check(rl.req_reset_ms, LLM_RL_MAX_MS);
	fuzz_check(rl.tok_reset_ms, LLM_RL_MAX_MS);
	fuzz_check(rl.retry_after_ms, LLM_RL_MAX_MS);
	fuzz_check(llm_ratelimit_wait(&rl, 429), LLM_RL_MAX_MS);
	fuzz_check(llm_ratelimit_wait(&rl, 503), LLM_RL_MAX_MS);
	return 0;
}
