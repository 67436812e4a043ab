/*
 * ratelimit.c — the rate-limit headers of a provider's answer, read one
 * header line at a time into a struct llm_ratelimit:
 *
 *   OpenAI:    x-ratelimit-{limit,remaining,reset}-{requests,tokens}
 *              (reset: a duration such as "1s", "6m0s", "20ms")
 *   Anthropic: anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}
 *              (reset: an RFC 3339 time)
 *   Both:      retry-after (seconds or an HTTP date), retry-after-ms
 *
 * Outside input: a value longer than LLM_RL_MAX_VALUE bytes, or one that
 * is not exactly what its header holds, is ignored; counts are capped at
 * LLM_RL_MAX_COUNT and waits at LLM_RL_MAX_MS.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "llm/llm.h"

void
llm_ratelimit_init(struct llm_ratelimit *rl)
{
	memset(rl, 0, sizeof *rl);
	rl->req_limit = rl->req_remaining = rl->req_reset_ms = -1;
	rl->tok_limit = rl->tok_remaining = rl->tok_reset_ms = -1;
	rl->retry_after_ms = -1;
}

/* A count: digits only, capped.  -1 if not one. */
static long
llm_rl_count(const char *v)
{
	long n = 0;

	if (!isdigit((unsigned char)*v))
		return -1;
	for (; isdigit((unsigned char)*v); v++) {
		n = n * 10 + (*v - '0');
		if (n > LLM_RL_MAX_COUNT)
			n = LLM_RL_MAX_COUNT;
	}
	return *v == '\0' ? n : -1;
}

/*
 * A non-negative decimal number at *v ("12", "1.5", ".5"), advanced past
 * it; capped at 1e12.  -1 if none.
 */
static double
llm_rl_number(const char **v)
{
	const char *s = *v;
	double n = 0, scale = 0.1;
	int digits = 0;

	for (; isdigit((unsigned char)*s); s++, digits++)
		if (n < 1e12)
			n = n * 10 + (*s - '0');
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits++) {
			n += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (digits == 0)
		return -1;
	*v = s;
	return n;
}

static long
llm_rl_cap_ms(double ms)
{
	if (ms > (double)LLM_RL_MAX_MS)
		return LLM_RL_MAX_MS;
	long l = (long)ms;

	/* Round up (never retry early), past float noise ("0.834s"). */
	return ms - (double)l > 1e-6 ? l + 1 : l;
}

long
llm_ratelimit_duration(const char *v)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 },
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	double total = 0, n;
	size_t i, len;

	if (*v == '\0')
		return -1;
	while (*v != '\0') {
		if ((n = llm_rl_number(&v)) < 0)
			return -1;
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			len = strlen(units[i].unit);
			/* "m" must not take the "m" of "ms". */
			if (strncmp(v, units[i].unit, len) == 0 &&
			    !(len == 1 && *v == 'm' && v[1] == 's'))
				break;
		}
		if (i == sizeof units / sizeof units[0])
			return -1;
		v += len;
		total += n * units[i].ms;
		if (total > (double)LLM_RL_MAX_MS)
			total = (double)LLM_RL_MAX_MS;
	}
	return llm_rl_cap_ms(total);
}

/* `n` digits at *v as a number, advanced past them.  -1 if not. */
static int
llm_rl_digits(const char **v, int n)
{
	int x = 0;

	for (; n > 0; n--, (*v)++) {
		if (!isdigit((unsigned char)**v))
			return -1;
		x = x * 10 + (**v - '0');
	}
	return x;
}

/* From the wall-clock ms `at` to now, as a wait (0 if past), capped. */
static long
llm_rl_until(int64_t at, int64_t now_ms)
{
	if (at <= now_ms)
		return 0;
	return llm_rl_cap_ms((double)(at - now_ms));
}

long
llm_ratelimit_time(const char *v, int64_t now_ms)
{
	struct tm tm;
	int64_t at, frac = 0, scale = 100, off = 0;
	int y, mo, d, h, mi, s, oh, om, sign;

	memset(&tm, 0, sizeof tm);
	if ((y = llm_rl_digits(&v, 4)) < 0 || *v++ != '-' ||
	    (mo = llm_rl_digits(&v, 2)) < 1 || mo > 12 || *v++ != '-' ||
	    (d = llm_rl_digits(&v, 2)) < 1 || d > 31 ||
	    (*v != 'T' && *v != 't' && *v != ' '))
		return -1;
	v++;
	if ((h = llm_rl_digits(&v, 2)) < 0 || h > 23 || *v++ != ':' ||
	    (mi = llm_rl_digits(&v, 2)) < 0 || mi > 59 || *v++ != ':' ||
	    (s = llm_rl_digits(&v, 2)) < 0 || s > 60)
		return -1;
	if (*v == '.') {
		if (!isdigit((unsigned char)*++v))
			return -1;
		for (; isdigit((unsigned char)*v); v++) {
			frac += (*v - '0') * scale;
			scale /= 10;
		}
	}
	if (*v == 'Z' || *v == 'z')
		v++;
	else if (*v == '+' || *v == '-') {
		sign = *v++ == '-' ? -1 : 1;
		if ((oh = llm_rl_digits(&v, 2)) < 0 || oh > 23 || *v++ != ':' ||
		    (om = llm_rl_digits(&v, 2)) < 0 || om > 59)
			return -1;
		off = sign * (oh * 60 + om) * 60000LL;
	} else
		return -1;
	if (*v != '\0')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	at = (int64_t)timegm(&tm) * 1000 + frac - off;
	return llm_rl_until(at, now_ms);
}

long
llm_ratelimit_retry_after(const char *v, int64_t now_ms)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const char *p = v;
	struct tm tm;
	double n;
	int d, y, h, mi, s, mo;

	if (isdigit((unsigned char)*p)) {
		/* delay-seconds (RFC 9110; a fraction is tolerated) */
		if ((n = llm_rl_number(&p)) < 0 || *p != '\0')
			return -1;
		return llm_rl_cap_ms(n * 1000);
	}
	/* An IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
	if (strlen(p) != 29 || p[3] != ',' || p[4] != ' ')
		return -1;
	p += 5;
	if ((d = llm_rl_digits(&p, 2)) < 1 || d > 31 || *p++ != ' ')
		return -1;
	for (mo = 0; mo < 12; mo++)
		if (strncmp(p, months[mo], 3) == 0)
			break;
	if (mo == 12 || p[3] != ' ')
		return -1;
	p += 4;
	if ((y = llm_rl_digits(&p, 4)) < 0 || *p++ != ' ' ||
	    (h = llm_rl_digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
	    (mi = llm_rl_digits(&p, 2)) < 0 || mi > 59 || *p++ != ':' ||
	    (s = llm_rl_digits(&p, 2)) < 0 || s > 60 || strcmp(p, " GMT") != 0)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return llm_rl_until((int64_t)timegm(&tm) * 1000, now_ms);
}

/* The headers read, and where each one goes. */
enum llm_rl_kind { RL_COUNT, RL_DURATION, RL_TIME, RL_RETRY, RL_MS };

static const struct llm_rl_header {
	const char *name;
	enum llm_rl_kind kind;
	size_t field; /* offset in struct llm_ratelimit */
} llm_rl_headers[] = {
	{ "x-ratelimit-limit-requests", RL_COUNT,
	    offsetof(struct llm_ratelimit, req_limit) },
	{ "x-ratelimit-remaining-requests", RL_COUNT,
	    offsetof(struct llm_ratelimit, req_remaining) },
	{ "x-ratelimit-reset-requests", RL_DURATION,
	    offsetof(struct llm_ratelimit, req_reset_ms) },
	{ "x-ratelimit-limit-tokens", RL_COUNT,
	    offsetof(struct llm_ratelimit, tok_limit) },
	{ "x-ratelimit-remaining-tokens", RL_COUNT,
	    offsetof(struct llm_ratelimit, tok_remaining) },
	{ "x-ratelimit-reset-tokens", RL_DURATION,
	    offsetof(struct llm_ratelimit, tok_reset_ms) },
	{ "anthropic-ratelimit-requests-limit", RL_COUNT,
	    offsetof(struct llm_ratelimit, req_limit) },
	{ "anthropic-ratelimit-requests-remaining", RL_COUNT,
	    offsetof(struct llm_ratelimit, req_remaining) },
	{ "anthropic-ratelimit-requests-reset", RL_TIME,
	    offsetof(struct llm_ratelimit, req_reset_ms) },
	{ "anthropic-ratelimit-tokens-limit", RL_COUNT,
	    offsetof(struct llm_ratelimit, tok_limit) },
	{ "anthropic-ratelimit-tokens-remaining", RL_COUNT,
	    offsetof(struct llm_ratelimit, tok_remaining) },
	{ "anthropic-ratelimit-tokens-reset", RL_TIME,
	    offsetof(struct llm_ratelimit, tok_reset_ms) },
	{ "retry-after", RL_RETRY,
	    offsetof(struct llm_ratelimit, retry_after_ms) },
	{ "retry-after-ms", RL_MS,
	    offsetof(struct llm_ratelimit, retry_after_ms) },
};

int
llm_ratelimit_header(struct llm_ratelimit *rl, const char *line, size_t len,
    int64_t now_ms)
{
	const struct llm_rl_header *hd = NULL;
	char value[LLM_RL_MAX_VALUE + 1];
	const char *colon, *v, *end = line + len;
	const char *p;
	long x = -1;
	double ms;
	size_t nl, vl, i;

	if ((colon = memchr(line, ':', len)) == NULL)
		return 0;
	nl = (size_t)(colon - line);
	for (i = 0; i < sizeof llm_rl_headers / sizeof llm_rl_headers[0]; i++)
		if (strlen(llm_rl_headers[i].name) == nl &&
		    strncasecmp(line, llm_rl_headers[i].name, nl) == 0)
			hd = &llm_rl_headers[i];
	if (hd == NULL)
		return 0;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	vl = (size_t)(end - v);
	while (vl > 0 && isspace((unsigned char)v[vl - 1]))
		vl--;
	if (vl == 0 || vl > LLM_RL_MAX_VALUE || memchr(v, '\0', vl) != NULL)
		return 0;
	memcpy(value, v, vl);
	value[vl] = '\0';
	switch (hd->kind) {
	case RL_COUNT:
		x = llm_rl_count(value);
		break;
	case RL_DURATION:
		x = llm_ratelimit_duration(value);
		break;
	case RL_TIME:
		x = llm_ratelimit_time(value, now_ms);
		break;
	case RL_RETRY:
		/* retry-after-ms is the finer one: it wins, whatever comes
		 * first. */
		if (rl->retry_after_ms_exact)
			return 1;
		x = llm_ratelimit_retry_after(value, now_ms);
		break;
	case RL_MS:
		p = value;
		if ((ms = llm_rl_number(&p)) < 0 || *p != '\0')
			return 0;
		x = llm_rl_cap_ms(ms);
		rl->retry_after_ms_exact = 1;
		break;
	}
	if (x < 0)
		return 0;
	*(long *)(void *)((char *)rl + hd->field) = x;
	rl->seen = 1;
	return 1;
}

long
llm_ratelimit_wait(const struct llm_ratelimit *rl, int status)
{
	if (rl->retry_after_ms >= 0)
		return rl->retry_after_ms;
	if (status != 429)
		return -1;
	/* A 429 without Retry-After: until what ran out is back. */
	if (rl->req_reset_ms >= 0 && rl->req_remaining <= 0)
		return rl->req_reset_ms;
	if (rl->tok_reset_ms >= 0 && rl->tok_remaining == 0)
		return rl->tok_reset_ms;
	return -1;
}
