/* test_llm_ratelimit.c — the rate-limit headers of a provider's answer:
 * OpenAI's x-ratelimit-* (durations), Anthropic's anthropic-ratelimit-*
 * (RFC 3339 times), Retry-After (seconds or an HTTP date) and
 * retry-after-ms; caps on lengths and values; what a 429 waits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "llm/llm.h"

/* 2026-12-04T12:00:00Z in ms. */
#define NOW 1796385600000LL

static void
test_duration(void **state)
{
	static const struct {
		const char *v;
		long ms;
	} cases[] = {
		{ "1s", 1000 },
		{ "6m0s", 360000 },
		{ "20ms", 20 },
		{ "1.5s", 1500 },
		{ "0.834s", 834 },
		{ "1h2m3s", 3723000 },
		{ "0s", 0 },
		{ "500us", 1 }, /* rounded up: never retry early */
		{ "2\xc2\xb5s", 1 },
		{ "7ns", 1 },
		{ "1m30.5s", 90500 },
		{ "100000h", LLM_RL_MAX_MS }, /* capped */
		{ "99999999999999999999h", LLM_RL_MAX_MS },
		{ "", -1 },
		{ "s", -1 },
		{ "1", -1 },
		{ "1x", -1 },
		{ "-1s", -1 },
		{ "1s ", -1 },
		{ "inf", -1 },
		{ "nans", -1 },
		{ "0x10s", -1 },
		{ "1e3s", -1 },
		{ ".s", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (llm_ratelimit_duration(cases[i].v) != cases[i].ms)
			fail_msg("\"%s\": %ld, want %ld", cases[i].v,
			    llm_ratelimit_duration(cases[i].v), cases[i].ms);
}

static void
test_time(void **state)
{
	static const struct {
		const char *v;
		long ms;
	} cases[] = {
		{ "2026-12-04T12:00:01Z", 1000 },
		{ "2026-12-04T12:00:00.250Z", 250 },
		{ "2026-12-04T12:00:00.25z", 250 },
		{ "2026-12-04T13:00:00+01:00", 0 }, /* that is now */
		{ "2026-12-04T11:00:30-01:00", 30000 },
		{ "2026-12-04t12:01:00Z", 60000 },
		{ "2026-12-04T11:59:59Z", 0 }, /* past: no wait */
		{ "2030-01-01T00:00:00Z", LLM_RL_MAX_MS },
		{ "2026-12-04T12:00:01", -1 }, /* no zone */
		{ "2026-12-04", -1 },
		{ "2026-13-04T12:00:01Z", -1 },
		{ "2026-12-04T24:00:01Z", -1 },
		{ "2026-12-04T12:00:01Zjunk", -1 },
		{ "2026-12-04T12:00:01.Z", -1 },
		{ "2026-12-04T12:00:01+0100", -1 },
		{ "", -1 },
		{ "1s", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (llm_ratelimit_time(cases[i].v, NOW) != cases[i].ms)
			fail_msg("\"%s\": %ld, want %ld", cases[i].v,
			    llm_ratelimit_time(cases[i].v, NOW), cases[i].ms);
}

static void
test_retry_after(void **state)
{
	static const struct {
		const char *v;
		long ms;
	} cases[] = {
		{ "0", 0 },
		{ "2", 2000 },
		{ "1.5", 1500 },
		{ "120", 120000 },
		{ "99999999999", LLM_RL_MAX_MS },
		{ "Fri, 04 Dec 2026 12:00:07 GMT", 7000 },
		{ "Fri, 04 Dec 2026 11:00:07 GMT", 0 },
		{ "Fri, 04 Dec 2026 12:00:07 UTC", -1 },
		{ "Fri, 04 Dex 2026 12:00:07 GMT", -1 },
		{ "Friday, 04-Dec-26 12:00:07 GMT", -1 },
		{ "-1", -1 },
		{ "2s", -1 },
		{ "", -1 },
		{ "soon", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (llm_ratelimit_retry_after(cases[i].v, NOW) != cases[i].ms)
			fail_msg("\"%s\": %ld, want %ld", cases[i].v,
			    llm_ratelimit_retry_after(cases[i].v, NOW),
			    cases[i].ms);
}

static int
line(struct llm_ratelimit *rl, const char *s)
{
	return llm_ratelimit_header(rl, s, strlen(s), NOW);
}

static void
test_openai_headers(void **state)
{
	struct llm_ratelimit rl;

	(void)state;
	llm_ratelimit_init(&rl);
	assert_int_equal(rl.seen, 0);
	assert_int_equal(line(&rl, "content-type: application/json\r\n"), 0);
	assert_int_equal(line(&rl, "HTTP/1.1 200 OK\r\n"), 0);
	assert_int_equal(rl.seen, 0);
	assert_int_equal(line(&rl, "x-ratelimit-limit-requests: 500\r\n"), 1);
	assert_int_equal(rl.seen, 1);
	assert_int_equal(line(&rl, "X-RateLimit-Remaining-Requests:\t499 \r\n"),
	    1);
	assert_int_equal(line(&rl, "x-ratelimit-reset-requests: 120ms\r\n"), 1);
	assert_int_equal(line(&rl, "x-ratelimit-limit-tokens: 30000\r\n"), 1);
	assert_int_equal(line(&rl, "x-ratelimit-remaining-tokens: 0\r\n"), 1);
	assert_int_equal(line(&rl, "x-ratelimit-reset-tokens: 6m0s\r\n"), 1);
	assert_int_equal(rl.req_limit, 500);
	assert_int_equal(rl.req_remaining, 499);
	assert_int_equal(rl.req_reset_ms, 120);
	assert_int_equal(rl.tok_limit, 30000);
	assert_int_equal(rl.tok_remaining, 0);
	assert_int_equal(rl.tok_reset_ms, 360000);
	assert_int_equal(rl.retry_after_ms, -1);
	/* Unreadable values change nothing. */
	assert_int_equal(line(&rl, "x-ratelimit-limit-requests: -5\r\n"), 0);
	assert_int_equal(line(&rl, "x-ratelimit-limit-requests: 5k\r\n"), 0);
	assert_int_equal(line(&rl, "x-ratelimit-limit-requests:\r\n"), 0);
	assert_int_equal(line(&rl, "x-ratelimit-reset-requests: soon\r\n"), 0);
	assert_int_equal(rl.req_limit, 500);
	assert_int_equal(rl.req_reset_ms, 120);
	/* A name that only starts like one is not one. */
	assert_int_equal(line(&rl, "x-ratelimit-limit-requestsx: 1\r\n"), 0);
	assert_int_equal(line(&rl, "x-ratelimit-limit-request: 1\r\n"), 0);
	/* Counts are capped. */
	assert_int_equal(line(&rl,
			     "x-ratelimit-remaining-requests: "
			     "123456789012345678901234567890\r\n"),
	    1);
	assert_int_equal(rl.req_remaining, LLM_RL_MAX_COUNT);
}

static void
test_anthropic_headers(void **state)
{
	struct llm_ratelimit rl;

	(void)state;
	llm_ratelimit_init(&rl);
	assert_int_equal(line(&rl,
			     "anthropic-ratelimit-requests-limit: 50\r\n"),
	    1);
	assert_int_equal(line(&rl,
			     "anthropic-ratelimit-requests-remaining: 0\r\n"),
	    1);
	assert_int_equal(line(&rl,
			     "anthropic-ratelimit-requests-reset: "
			     "2026-12-04T12:00:03Z\r\n"),
	    1);
	assert_int_equal(line(&rl,
			     "anthropic-ratelimit-tokens-limit: 80000\r\n"),
	    1);
	assert_int_equal(line(&rl,
			     "anthropic-ratelimit-tokens-remaining: 79000\r\n"),
	    1);
	assert_int_equal(line(&rl,
			     "anthropic-ratelimit-tokens-reset: "
			     "2026-12-04T12:00:00.5Z\r\n"),
	    1);
	assert_int_equal(line(&rl, "retry-after: 4\r\n"), 1);
	assert_int_equal(rl.req_limit, 50);
	assert_int_equal(rl.req_remaining, 0);
	assert_int_equal(rl.req_reset_ms, 3000);
	assert_int_equal(rl.tok_limit, 80000);
	assert_int_equal(rl.tok_remaining, 79000);
	assert_int_equal(rl.tok_reset_ms, 500);
	assert_int_equal(rl.retry_after_ms, 4000);
}

static void
test_retry_after_headers(void **state)
{
	struct llm_ratelimit rl;
	char big[LLM_RL_MAX_VALUE + 64];

	(void)state;
	/* retry-after-ms wins over retry-after, in either order. */
	llm_ratelimit_init(&rl);
	assert_int_equal(line(&rl, "retry-after-ms: 1234.5\r\n"), 1);
	assert_int_equal(line(&rl, "Retry-After: 2\r\n"), 1);
	assert_int_equal(rl.retry_after_ms, 1235);
	llm_ratelimit_init(&rl);
	assert_int_equal(line(&rl, "Retry-After: 2\r\n"), 1);
	assert_int_equal(line(&rl, "retry-after-ms: 10\r\n"), 1);
	assert_int_equal(rl.retry_after_ms, 10);
	llm_ratelimit_init(&rl);
	assert_int_equal(line(&rl,
			     "Retry-After: Fri, 04 Dec 2026 12:00:02 GMT\r\n"),
	    1);
	assert_int_equal(rl.retry_after_ms, 2000);
	/* A value longer than the cap is ignored, not cut. */
	llm_ratelimit_init(&rl);
	memset(big, '1', sizeof big);
	memcpy(big, "retry-after: ", 13);
	assert_int_equal(llm_ratelimit_header(&rl, big, sizeof big, NOW), 0);
	assert_int_equal(llm_ratelimit_header(&rl, big, 13 + LLM_RL_MAX_VALUE,
			     NOW),
	    1);
	assert_int_equal(rl.retry_after_ms, LLM_RL_MAX_MS);
	/* A NUL inside a value, or no colon: not a header. */
	llm_ratelimit_init(&rl);
	assert_int_equal(llm_ratelimit_header(&rl, "retry-after: 1\0002", 16,
			     NOW),
	    0);
	assert_int_equal(line(&rl, "retry-after 1\r\n"), 0);
	assert_int_equal(rl.seen, 0);
}

static void
test_wait(void **state)
{
	struct llm_ratelimit rl;

	(void)state;
	llm_ratelimit_init(&rl);
	assert_int_equal(llm_ratelimit_wait(&rl, 429), -1);
	/* A 429 without Retry-After waits for the requests' reset. */
	line(&rl, "x-ratelimit-reset-requests: 2s\r\n");
	assert_int_equal(llm_ratelimit_wait(&rl, 429), 2000);
	/* Not for a 5xx: the reset there says nothing about the error. */
	assert_int_equal(llm_ratelimit_wait(&rl, 503), -1);
	/* Requests left, tokens gone: the tokens' reset. */
	line(&rl, "x-ratelimit-remaining-requests: 3\r\n");
	line(&rl, "x-ratelimit-remaining-tokens: 0\r\n");
	line(&rl, "x-ratelimit-reset-tokens: 7s\r\n");
	assert_int_equal(llm_ratelimit_wait(&rl, 429), 7000);
	/* Retry-After says it for every status. */
	line(&rl, "retry-after: 1\r\n");
	assert_int_equal(llm_ratelimit_wait(&rl, 429), 1000);
	assert_int_equal(llm_ratelimit_wait(&rl, 529), 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_openai_headers),
		cmocka_unit_test(test_anthropic_headers),
		cmocka_unit_test(test_retry_after_headers),
		cmocka_unit_test(test_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
