/*
 * test_ssrf.c — the outbound request guard (security/ssrf.h).
 *
 * Every host in the table goes through ssrf_check_host() with the
 * resolver hook in place of DNS (no network): literals in every spelling,
 * IPv6 forms that carry an IPv4 address, names resolving to private or
 * mixed addresses; each refused with its reason, public ones allowed.
 * Then the allow list: hits, misses, ports, CIDRs, bad entries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "security/ssrf.h"
#include "security/ssrf_fetch.h"

/* The fake DNS: name -> up to three addresses. */
static const struct {
	const char *name;
	const char *addr[3];
} fake_dns[] = {
	{ "db.internal", { "10.0.0.5" } },
	{ "mixed.example", { "93.184.216.34", "192.168.1.9" } },
	{ "public.example", { "93.184.216.34", "2606:2800:220:1::1" } },
	{ "v6only.example", { "fd12:3456::1" } },
	{ "metadata.example", { "169.254.169.254" } },
	{ "localhost", { "127.0.0.1", "::1" } },
};

static int resolver_calls;

static int
fake_resolver(const char *host, struct sockaddr_storage *out, size_t max,
    size_t *n, const char **why)
{
	size_t i, j;

	resolver_calls++;
	for (i = 0; i < sizeof fake_dns / sizeof fake_dns[0]; i++) {
		if (strcmp(fake_dns[i].name, host) != 0)
			continue;
		*n = 0;
		for (j = 0; j < 3 && fake_dns[i].addr[j] != NULL && *n < max;
		     j++) {
			assert_int_equal(ssrf_parse_literal(fake_dns[i].addr[j],
					     &out[*n]),
			    1);
			(*n)++;
		}
		return 0;
	}
	*why = "no such name (fake)";
	return -1;
}

static const struct {
	const char *host;
	const char *why; /* NULL: allowed; else in the refusal */
	int resolves;    /* whether the resolver is asked */
} host_cases[] = {
	{ "127.0.0.1", "a loopback address", 0 },
	{ "127.8.9.10", "loopback", 0 },
	{ "0.0.0.0", "an unspecified", 0 },
	{ "[::1]", "loopback", 0 },
	{ "::1", "loopback", 0 },
	{ "[::]", "unspecified", 0 },
	{ "10.1.2.3", "private", 0 },
	{ "172.16.0.1", "private", 0 },
	{ "172.31.255.255", "private", 0 },
	{ "192.168.0.1", "private", 0 },
	{ "169.254.169.254", "metadata", 0 },
	{ "100.100.100.200", "metadata", 0 },
	{ "[fd00:ec2::254]", "metadata", 0 },
	{ "169.254.1.1", "link-local", 0 },
	{ "100.64.0.1", "cgnat", 0 },
	{ "100.127.255.255", "cgnat", 0 },
	{ "224.0.0.1", "multicast", 0 },
	{ "239.255.255.250", "multicast", 0 },
	{ "255.255.255.255", "broadcast", 0 },
	{ "240.0.0.1", "reserved", 0 },
	{ "192.0.2.1", "documentation", 0 },
	{ "198.51.100.7", "documentation", 0 },
	{ "203.0.113.9", "documentation", 0 },
	{ "198.18.0.1", "benchmarking", 0 },
	{ "[2001:db8::1]", "documentation", 0 },
	{ "[fc00::1]", "unique-local", 0 },
	{ "[fe80::1]", "link-local", 0 },
	{ "[ff02::1]", "multicast", 0 },
	/* inet_aton spellings of 127.0.0.1 */
	{ "2130706433", "loopback", 0 },
	{ "0177.0.0.1", "loopback", 0 },
	{ "0x7f.1", "loopback", 0 },
	{ "0x7f000001", "loopback", 0 },
	{ "127.1", "loopback", 0 },
	{ "127.0.1", "loopback", 0 },
	{ "012.0.0.1", "private", 0 }, /* octal 10.0.0.1 */
	/* IPv6 forms carrying an IPv4 address */
	{ "[::ffff:127.0.0.1]", "loopback", 0 },
	{ "[::ffff:7f00:1]", "loopback", 0 },
	{ "[::127.0.0.1]", "loopback", 0 },
	{ "[::ffff:169.254.169.254]", "metadata", 0 },
	{ "[64:ff9b::7f00:1]", "loopback", 0 },
	{ "[64:ff9b::a00:5]", "private", 0 },
	{ "[2002:7f00:1::1]", "loopback", 0 },
	{ "[2002:c0a8:101::1]", "private", 0 },
	/* names, through the resolver */
	{ "db.internal", "10.0.0.5, a private address", 1 },
	{ "mixed.example", "192.168.1.9, a private address", 1 },
	{ "v6only.example", "unique-local", 1 },
	{ "metadata.example", "metadata", 1 },
	{ "localhost", "loopback", 1 },
	{ "nosuch.example", "no such name", 1 },
	/* not a host at all */
	{ "", "no host", 0 },
	{ "a b", "not a host name", 0 },
	{ "[fe80::1%eth0]", "not a host name", 0 },
	/* public ones */
	{ "93.184.216.34", NULL, 0 },
	{ "8.8.8.8", NULL, 0 },
	{ "0x5db8d822", NULL, 0 }, /* 93.184.216.34 */
	{ "[2606:2800:220:1::1]", NULL, 0 },
	{ "[::ffff:93.184.216.34]", NULL, 0 },
	{ "[2002:5db8:d822::1]", NULL, 0 },
	{ "public.example", NULL, 1 },
};

static int
setup(void **state)
{
	(void)state;
	ssrf_set_resolver(fake_resolver);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ssrf_set_resolver(NULL);
	return 0;
}

static void
test_host_table(void **state)
{
	struct sockaddr_storage ss;
	char *why;
	size_t i;
	int rc, before;

	(void)state;
	for (i = 0; i < sizeof host_cases / sizeof host_cases[0]; i++) {
		why = NULL;
		before = resolver_calls;
		rc = ssrf_check_host(host_cases[i].host, 80, NULL, &ss, &why);
		if (host_cases[i].why == NULL) {
			if (rc != 0)
				fail_msg("%s refused: %s", host_cases[i].host,
				    why);
			assert_null(why);
			assert_int_equal(ntohs(((struct sockaddr_in *)&ss)
						   ->sin_port),
			    80);
		} else {
			if (rc != -1)
				fail_msg("%s allowed", host_cases[i].host);
			assert_non_null(why);
			if (strstr(why, host_cases[i].why) == NULL)
				fail_msg("%s: '%s' lacks '%s'",
				    host_cases[i].host, why, host_cases[i].why);
			free(why);
		}
		assert_int_equal(resolver_calls - before,
		    host_cases[i].resolves);
	}
}

/* The address handed back is the one that was checked. */
static void
test_out_addr(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	char text[64], *why = NULL;

	(void)state;
	assert_int_equal(ssrf_check_host("public.example", 443, NULL, &ss,
			     &why),
	    0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_string_equal(ssrf_addr_text((struct sockaddr *)&ss, text,
				sizeof text),
	    "93.184.216.34");
	assert_int_equal(ntohs(in4->sin_port), 443);
	assert_int_equal(ssrf_check_host("[2606:2800:220:1::1]", 8443, NULL,
			     &ss, &why),
	    0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 8443);
}

static void
test_parse_ipv4(void **state)
{
	static const struct {
		const char *s;
		const char *addr; /* NULL: not a literal */
	} cases[] = {
		{ "1.2.3.4", "1.2.3.4" },
		{ "2130706433", "127.0.0.1" },
		{ "0177.0.0.1", "127.0.0.1" },
		{ "0x7f.1", "127.0.0.1" },
		{ "0X7F.0.0.1", "127.0.0.1" },
		{ "127.1", "127.0.0.1" },
		{ "10.258", "10.0.1.2" },
		{ "1.2.65535", "1.2.255.255" },
		{ "0", "0.0.0.0" },
		{ "4294967295", "255.255.255.255" },
		{ "4294967296", NULL },
		{ "1.2.65536", NULL },
		{ "256.1.1.1", NULL },
		{ "1.2.3.4.5", NULL },
		{ "1.2.3.", NULL },
		{ ".1.2.3", NULL },
		{ "1..2", NULL },
		{ "08.1.1.1", NULL },
		{ "0x1g", NULL },
		{ "0x", NULL },
		{ "0x.1", NULL },
		{ "1.2.3.4 ", NULL },
		{ "1.2.3.4x", NULL },
		{ "", NULL },
		{ "example.com", NULL },
	};
	struct in_addr a;
	char text[32];
	size_t i;
	int ok;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ok = ssrf_parse_ipv4(cases[i].s, &a.s_addr);
		if (cases[i].addr == NULL) {
			if (ok)
				fail_msg("'%s' taken", cases[i].s);
			continue;
		}
		if (!ok)
			fail_msg("'%s' not taken", cases[i].s);
		inet_ntop(AF_INET, &a, text, sizeof text);
		assert_string_equal(text, cases[i].addr);
	}
}

static struct ssrf_allow *
allow_of(const char *const *entries, size_t n)
{
	struct ssrf_allow *a = NULL;
	char *cause = NULL;

	if (ssrf_allow_parse(entries, n, &a, &cause) != 0)
		fail_msg("allow list refused: %s", cause);
	return a;
}

static int
check(const char *host, unsigned int port, const struct ssrf_allow *a)
{
	struct sockaddr_storage ss;
	char *why = NULL;
	int rc;

	rc = ssrf_check_host(host, port, a, &ss, &why);
	free(why);
	return rc;
}

static void
test_allow_list(void **state)
{
	static const char *const entries[] = {
		"127.0.0.1:8080",
		"db.internal",
		"Localhost:9000",
		"[::1]:7000",
		"192.168.0.0/16",
		"fd12::/16",
		"100.64.0.7",
		"metadata.example.:81",
	};
	struct ssrf_allow *a = allow_of(entries, 8);

	(void)state;
	assert_int_equal(ssrf_allow_len(a), 8);
	/* host:port: that port only */
	assert_int_equal(check("127.0.0.1", 8080, a), 0);
	assert_int_equal(check("127.0.0.1", 8081, a), -1);
	assert_int_equal(check("2130706433", 8080, a), 0); /* same address */
	assert_int_equal(check("127.0.0.2", 8080, a), -1);
	/* a name: any port, all of its addresses */
	assert_int_equal(check("db.internal", 5432, a), 0);
	assert_int_equal(check("10.0.0.5", 5432, a), -1); /* not by name */
	assert_int_equal(check("localhost", 9000, a), 0); /* case */
	assert_int_equal(check("localhost", 9001, a), -1);
	assert_int_equal(check("metadata.example", 81, a), 0);
	assert_int_equal(check("metadata.example", 80, a), -1);
	/* [v6]:port */
	assert_int_equal(check("[::1]", 7000, a), 0);
	assert_int_equal(check("[::1]", 7001, a), -1);
	/* CIDR, any port */
	assert_int_equal(check("192.168.44.1", 1, a), 0);
	assert_int_equal(check("mixed.example", 443, a), 0);
	assert_int_equal(check("172.16.0.1", 443, a), -1);
	assert_int_equal(check("v6only.example", 443, a), 0);
	assert_int_equal(check("[fd13::1]", 443, a), -1);
	/* a bare address entry */
	assert_int_equal(check("100.64.0.7", 3, a), 0);
	assert_int_equal(check("100.64.0.8", 3, a), -1);
	/* still refused: nothing lists them */
	assert_int_equal(check("169.254.169.254", 80, a), -1);
	assert_int_equal(check("[::ffff:127.0.0.1]", 80, a), -1);
	ssrf_allow_free(a);

	/* An empty list allows nothing more. */
	a = allow_of(NULL, 0);
	assert_int_equal(ssrf_allow_len(a), 0);
	assert_int_equal(check("127.0.0.1", 80, a), -1);
	assert_int_equal(check("93.184.216.34", 80, a), 0);
	ssrf_allow_free(a);
}

static void
test_allow_bad(void **state)
{
	static const char *const bad[] = { "", ":80", "host:", "host:0",
		"host:65536", "host:8x", "[::1", "[::1]x",
		"[::1]:", "[1.2.3.4]", "10.0.0.0/33", "fd00::/129", "10.0.0.0/",
		"10.0.0.0/8x", "name/8", "a b", "a:b:c:d:e:f:g:h:i", "http://x",
		"[fe80::1%eth0]:80" };
	static const char *const good[] = { "a", "a.b:1", "[::1]",
		"[::1]:65535", "10.0.0.0/8", "0.0.0.0/0", "::/0", "fd00::/8",
		"::1", "2001:db8::5", "x_y.example." };
	struct ssrf_allow *a;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		a = NULL;
		cause = NULL;
		if (ssrf_allow_parse(&bad[i], 1, &a, &cause) == 0)
			fail_msg("'%s' taken", bad[i]);
		assert_null(a);
		assert_non_null(strstr(cause, "security.ssrf_allow"));
		free(cause);
	}
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		a = allow_of(&good[i], 1);
		assert_int_equal(ssrf_allow_len(a), 1);
		ssrf_allow_free(a);
	}
}

static void
test_classify(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr sa;

	(void)state;
	assert_int_equal(ssrf_parse_literal("::2", &ss), 1);
	assert_int_equal(ssrf_classify((struct sockaddr *)&ss),
	    SSRF_UNSPECIFIED); /* ::0.0.0.2, IPv4-compatible 0/8 */
	assert_int_equal(ssrf_parse_literal("[100::1]", &ss), 1);
	assert_int_equal(ssrf_classify((struct sockaddr *)&ss), SSRF_RESERVED);
	assert_int_equal(ssrf_parse_literal("[2001::1]", &ss), 1);
	assert_int_equal(ssrf_classify((struct sockaddr *)&ss), SSRF_RESERVED);
	assert_int_equal(ssrf_parse_literal("[2001:2::1]", &ss), 1);
	assert_int_equal(ssrf_classify((struct sockaddr *)&ss),
	    SSRF_BENCHMARKING);
	assert_int_equal(ssrf_parse_literal("[64:ff9b:1::1]", &ss), 1);
	assert_int_equal(ssrf_classify((struct sockaddr *)&ss), SSRF_PRIVATE);
	assert_int_equal(ssrf_parse_literal("example.com", &ss), 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_family = AF_UNIX;
	assert_int_equal(ssrf_classify(&sa), SSRF_RESERVED);
	assert_string_equal(ssrf_class_name(SSRF_CGNAT), "cgnat");
	assert_string_equal(ssrf_class_name((enum ssrf_class)99), "reserved");
}

/* URLs split by curl's parser, then checked (ssrf_check_url). */
static void
test_check_url(void **state)
{
	static const struct {
		const char *url;
		const char *why; /* NULL: allowed */
	} cases[] = {
		{ "https://93.184.216.34/v1", NULL },
		{ "http://public.example:8080/x?y#z", NULL },
		{ "HTTP://public.example", NULL },
		{ "http://[2606:2800:220:1::1]:81/", NULL },
		{ "http://127.0.0.1:9/v1", "loopback" },
		{ "http://user:pw@127.0.0.1/", "loopback" },
		{ "http://0x7f.1/", "loopback" },
		{ "http://2130706433/", "loopback" },
		{ "http://[::ffff:127.0.0.1]/", "loopback" },
		{ "http://169.254.169.254/latest/meta-data/", "metadata" },
		{ "http://db.internal:5432/", "private" },
		{ "http://[fe80::1%25eth0]/", "zone id" },
		{ "ftp://93.184.216.34/", "only http and https" },
		{ "file:///etc/passwd", "only http and https" },
		{ "public.example/x", "is not a URL" },
		{ "http://public.example:0/", "no valid port" },
		{ "", "is not a URL" },
	};
	static const char *const entries[] = { "127.0.0.1:9" };
	struct ssrf_allow *a;
	char *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why = NULL;
		rc = ssrf_check_url(cases[i].url, NULL, &why);
		if (cases[i].why == NULL) {
			if (rc != 0)
				fail_msg("%s refused: %s", cases[i].url, why);
			continue;
		}
		if (rc != -1)
			fail_msg("%s allowed", cases[i].url);
		if (strstr(why, cases[i].why) == NULL)
			fail_msg("%s: '%s' lacks '%s'", cases[i].url, why,
			    cases[i].why);
		free(why);
	}
	a = allow_of(entries, 1);
	why = NULL;
	assert_int_equal(ssrf_check_url("http://127.0.0.1:9/v1", a, &why), 0);
	assert_int_equal(ssrf_check_url("http://127.0.0.1/v1", a, &why), -1);
	free(why);
	ssrf_allow_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_table),
		cmocka_unit_test(test_out_addr),
		cmocka_unit_test(test_parse_ipv4),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_allow_bad),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_check_url),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
