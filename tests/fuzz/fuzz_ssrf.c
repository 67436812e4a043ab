/*
 * fuzz_ssrf.c — the SSRF guard's parsers (security/ssrf.h).  The input is
 * lines.  Invariants: the lines as `security.ssrf_allow` either parse
 * into one entry each or are refused with a cause naming the key and no
 * list; each line read as an IPv4 literal agrees with inet_aton() (what
 * we take, it takes as the same address; what it takes, without white
 * space, we take); a literal host is allowed by ssrf_check_host() exactly
 * when its class is public or the list allows it, and never reaches the
 * resolver.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "security/ssrf.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int resolved;

static int
no_dns(const char *host, struct sockaddr_storage *out, size_t max, size_t *n,
    const char **why)
{
	(void)host;
	(void)out;
	(void)max;
	*n = 0;
	resolved = 1;
	*why = "no DNS in the fuzzer";
	return -1;
}

static void
check_ipv4(const char *line)
{
	struct in_addr a;
	unsigned int ours;
	int got = ssrf_parse_ipv4(line, &ours), theirs;
	const char *p;

	theirs = inet_aton(line, &a);
	if (got && (!theirs || a.s_addr != ours))
		abort();
	/* inet_aton() takes "1.2.3.4 junk"; without white space we agree. */
	for (p = line; *p != '\0'; p++)
		if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
			return;
	if (theirs && !got)
		abort();
}

static void
check_host(const char *line, const struct ssrf_allow *allow)
{
	struct sockaddr_storage lit, out;
	enum ssrf_class cls;
	char *why = NULL;
	int rc, is_lit;

	resolved = 0;
	is_lit = ssrf_parse_literal(line, &lit);
	rc = ssrf_check_host(line, 80, allow, &out, &why);
	if ((rc == 0) == (why != NULL))
		abort();
	free(why);
	if (!is_lit)
		return;
	if (resolved)
		abort();
	cls = ssrf_classify((struct sockaddr *)&lit);
	if (strcmp(ssrf_class_name(cls), "") == 0)
		abort();
	if ((rc == 0) !=
	    (cls == SSRF_PUBLIC ||
		ssrf_allow_match(allow, line, 80, (struct sockaddr *)&lit)))
		abort();
	if (rc == 0 && out.ss_family != lit.ss_family)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *p, *nl;
	const char *lines[64];
	struct ssrf_allow *allow = NULL;
	char *cause = NULL;
	size_t n = 0, i;

	ssrf_set_resolver(no_dns);
	for (p = text; n < 64; p = nl + 1) {
		lines[n++] = p;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
	}
	if (ssrf_allow_parse(lines, n, &allow, &cause) == 0) {
		if (cause != NULL || ssrf_allow_len(allow) != n)
			abort();
	} else {
		if (allow != NULL || cause == NULL ||
		    strstr(cause, "security.ssrf_allow") == NULL)
			abort();
		free(cause);
	}
	for (i = 0; i < n; i++) {
		check_ipv4(lines[i]);
		check_host(lines[i], allow);
	}
	ssrf_allow_free(allow);
	free(text);
	return 0;
}
