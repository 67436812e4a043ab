/*
 * ssrf.c — address classes, the allow list, and the one-resolution host
 * check (see ssrf.h).  Pure: util only.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "security/ssrf.h"
#include "util/xalloc.h"

#define SSRF_MAX_ADDRS 32
#define SSRF_MAX_HOST 253

static const char *const ssrf_class_names[] = {
	[SSRF_PUBLIC] = "public",
	[SSRF_LOOPBACK] = "loopback",
	[SSRF_UNSPECIFIED] = "unspecified",
	[SSRF_PRIVATE] = "private",
	[SSRF_LINK_LOCAL] = "link-local",
	[SSRF_CGNAT] = "cgnat",
	[SSRF_MULTICAST] = "multicast",
	[SSRF_RESERVED] = "reserved",
	[SSRF_BENCHMARKING] = "benchmarking",
	[SSRF_DOCUMENTATION] = "documentation",
	[SSRF_BROADCAST] = "broadcast",
	[SSRF_METADATA] = "metadata",
	[SSRF_UNIQUE_LOCAL] = "unique-local",
};

const char *
ssrf_class_name(enum ssrf_class c)
{
	if ((size_t)c >= sizeof ssrf_class_names / sizeof ssrf_class_names[0])
		return "reserved";
	return ssrf_class_names[c];
}

/* IPv4 ranges, most specific first: the first match decides. */
static const struct {
	uint32_t net; /* host order */
	int prefix;
	enum ssrf_class cls;
} ssrf_v4[] = {
	{ 0xa9fea9feu, 32, SSRF_METADATA },      /* 169.254.169.254 */
	{ 0x646464c8u, 32, SSRF_METADATA },      /* 100.100.100.200 */
	{ 0xffffffffu, 32, SSRF_BROADCAST },     /* 255.255.255.255 */
	{ 0x00000000u, 8, SSRF_UNSPECIFIED },    /* 0.0.0.0/8 */
	{ 0x7f000000u, 8, SSRF_LOOPBACK },       /* 127/8 */
	{ 0x0a000000u, 8, SSRF_PRIVATE },        /* 10/8 */
	{ 0xac100000u, 12, SSRF_PRIVATE },       /* 172.16/12 */
	{ 0xc0a80000u, 16, SSRF_PRIVATE },       /* 192.168/16 */
	{ 0xa9fe0000u, 16, SSRF_LINK_LOCAL },    /* 169.254/16 */
	{ 0x64400000u, 10, SSRF_CGNAT },         /* 100.64/10 */
	{ 0xc0000200u, 24, SSRF_DOCUMENTATION }, /* 192.0.2/24 */
	{ 0xc6336400u, 24, SSRF_DOCUMENTATION }, /* 198.51.100/24 */
	{ 0xcb007100u, 24, SSRF_DOCUMENTATION }, /* 203.0.113/24 */
	{ 0xc6120000u, 15, SSRF_BENCHMARKING },  /* 198.18/15 */
	{ 0xc0000000u, 24, SSRF_RESERVED },      /* 192.0.0/24 IETF */
	{ 0xc0586300u, 24, SSRF_RESERVED },      /* 192.88.99/24 relay */
	{ 0xe0000000u, 4, SSRF_MULTICAST },      /* 224/4 */
	{ 0xf0000000u, 4, SSRF_RESERVED },       /* 240/4 */
};

/* IPv6 ranges (the embedded-IPv4 forms are handled before these). */
static const struct {
	unsigned char net[16];
	int prefix;
	enum ssrf_class cls;
} ssrf_v6[] = {
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 128,
	    SSRF_UNSPECIFIED },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128,
	    SSRF_LOOPBACK },
	/* fd00:ec2::254, the EC2 metadata service over IPv6 */
	{ { 0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54 },
	    128, SSRF_METADATA },
	{ { 0x20, 0x01, 0x00, 0x02, 0, 0 }, 48, SSRF_BENCHMARKING },
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, SSRF_DOCUMENTATION },
	{ { 0x3f, 0xff }, 20, SSRF_DOCUMENTATION },
	{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48, SSRF_PRIVATE },
	{ { 0xfc }, 7, SSRF_UNIQUE_LOCAL },
	{ { 0xfe, 0x80 }, 10, SSRF_LINK_LOCAL },
	{ { 0xfe, 0xc0 }, 10, SSRF_RESERVED }, /* site-local, deprecated */
	{ { 0xff }, 8, SSRF_MULTICAST },
	{ { 0x20, 0x01 }, 23, SSRF_RESERVED }, /* IETF, Teredo */
	{ { 0x20 }, 3, SSRF_PUBLIC },          /* global unicast */
};

static int
ssrf_prefix_eq(const unsigned char *a, const unsigned char *b, int prefix)
{
	int full = prefix / 8, rest = prefix % 8;
	unsigned char mask;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

static enum ssrf_class
ssrf_classify_v4(uint32_t a) /* host order */
{
	size_t i;
	uint32_t mask;

	for (i = 0; i < sizeof ssrf_v4 / sizeof ssrf_v4[0]; i++) {
		mask = ssrf_v4[i].prefix == 0 ?
		    0 :
		    0xffffffffu << (32 - ssrf_v4[i].prefix);
		if ((a & mask) == ssrf_v4[i].net)
			return ssrf_v4[i].cls;
	}
	return SSRF_PUBLIC;
}

static uint32_t
ssrf_v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The IPv4 address an IPv6 one carries: 1 and *v4, or 0. */
static int
ssrf_embedded_v4(const unsigned char *b, uint32_t *v4)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };
	static const unsigned char zero[12];
	static const unsigned char nat64[12] = { 0x00, 0x64, 0xff, 0x9b };

	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0) {
		*v4 = ssrf_v4_at(b + 12);
		return 1;
	}
	/* IPv4-compatible ::a.b.c.d, but not :: and ::1 themselves. */
	if (memcmp(b, zero, 12) == 0 && ssrf_v4_at(b + 12) > 1) {
		*v4 = ssrf_v4_at(b + 12);
		return 1;
	}
	if (b[0] == 0x20 && b[1] == 0x02) { /* 6to4 2002:aabb:ccdd::/48 */
		*v4 = ssrf_v4_at(b + 2);
		return 1;
	}
	return 0;
}

static enum ssrf_class
ssrf_classify_v6(const unsigned char *b)
{
	uint32_t v4;
	size_t i;

	if (ssrf_embedded_v4(b, &v4))
		return ssrf_classify_v4(v4);
	for (i = 0; i < sizeof ssrf_v6 / sizeof ssrf_v6[0]; i++)
		if (ssrf_prefix_eq(b, ssrf_v6[i].net, ssrf_v6[i].prefix))
			return ssrf_v6[i].cls;
	return SSRF_RESERVED; /* outside 2000::/3: not global unicast */
}

enum ssrf_class
ssrf_classify(const struct sockaddr *sa)
{
	const struct sockaddr_in *in4;
	const struct sockaddr_in6 *in6;

	if (sa->sa_family == AF_INET) {
		in4 = (const struct sockaddr_in *)(const void *)sa;
		return ssrf_classify_v4(ntohl(in4->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return ssrf_classify_v6(in6->sin6_addr.s6_addr);
	}
	return SSRF_RESERVED;
}

/* One inet_aton() part: decimal, 0octal or 0xhex; 1 or 0. */
static int
ssrf_v4_part(const char **sp, unsigned long long *v)
{
	const char *s = *sp;
	unsigned base = 10, d;
	int digits = 0;

	*v = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1] >= '0' && s[1] <= '9') {
		base = 8;
		s++;
	}
	for (;; s++, digits++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (d >= base)
			return 0;
		*v = *v * base + d;
		if (*v > 0xffffffffull)
			return 0;
	}
	if (digits == 0) /* "", and "0x" alone, as inet_aton() */
		return 0;
	*sp = s;
	return 1;
}

int
ssrf_parse_ipv4(const char *s, unsigned int *addr)
{
	unsigned long long part[4], v;
	int n = 0, i;

	for (;;) {
		if (n == 4 || !ssrf_v4_part(&s, &part[n]))
			return 0;
		n++;
		if (*s == '\0')
			break;
		if (*s != '.')
			return 0;
		s++;
	}
	/* The last part fills the bytes the others left. */
	for (i = 0; i < n - 1; i++)
		if (part[i] > 0xff)
			return 0;
	if (part[n - 1] > (0xffffffffull >> (8 * (n - 1))))
		return 0;
	v = part[n - 1];
	for (i = 0; i < n - 1; i++)
		v |= part[i] << (24 - 8 * i);
	*addr = htonl((uint32_t)v);
	return 1;
}

int
ssrf_parse_literal(const char *host, struct sockaddr_storage *out)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)(void *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)out;
	char buf[INET6_ADDRSTRLEN + 2];
	unsigned int a;
	size_t len = strlen(host);

	memset(out, 0, sizeof *out);
	if (ssrf_parse_ipv4(host, &a)) {
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = a;
		return 1;
	}
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len >= sizeof buf)
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return 1;
	}
	return 0;
}

const char *
ssrf_addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *p;

	if (sa->sa_family == AF_INET)
		p = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return "?";
	if (inet_ntop(sa->sa_family, p, buf, (socklen_t)len) == NULL)
		return "?";
	return buf;
}

/* The allow list. */

struct ssrf_allow_entry {
	char *host; /* a name entry (lower case), or NULL */
	int family; /* an address entry: AF_INET or AF_INET6 */
	unsigned char net[16];
	int prefix;
	unsigned int port; /* 0: any */
};

struct ssrf_allow {
	struct ssrf_allow_entry *e;
	size_t n;
};

static const unsigned char *
ssrf_addr_bytes(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (const unsigned char *)&(
		    (const struct sockaddr_in *)(const void *)sa)
		    ->sin_addr;
	return ((const struct sockaddr_in6 *)(const void *)sa)
	    ->sin6_addr.s6_addr;
}

/* A port "1".."65535": 1 and *port, or 0. */
static int
ssrf_parse_port(const char *s, unsigned int *port)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return 0;
	*port = (unsigned int)v;
	return 1;
}

/* A host name's characters: letters, digits, '-', '_' and '.'. */
static int
ssrf_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > SSRF_MAX_HOST)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
			*s == '.'))
			return 0;
	return 1;
}

/* An address (or a CIDR network) into e; 1 or 0. */
static int
ssrf_entry_addr(struct ssrf_allow_entry *e, const char *text, int prefix)
{
	struct sockaddr_storage ss;
	int max;

	if (!ssrf_parse_literal(text, &ss))
		return 0;
	e->family = ss.ss_family;
	max = e->family == AF_INET ? 32 : 128;
	if (prefix > max)
		return 0;
	e->prefix = prefix < 0 ? max : prefix;
	memcpy(e->net, ssrf_addr_bytes((struct sockaddr *)&ss),
	    e->family == AF_INET ? 4 : 16);
	return 1;
}

/* One entry; 1 or 0. */
static int
ssrf_entry_parse(struct ssrf_allow_entry *e, const char *s)
{
	char *dup = xstrdup(s), *host = dup, *port = NULL, *slash, *end;
	unsigned int prefix = 0;
	int ok = 0;

	memset(e, 0, sizeof *e);
	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL)
			goto out;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto out;
		end[1] = '\0';
		if (strchr(host, '.') != NULL && strchr(host, ':') == NULL)
			goto out; /* "[1.2.3.4]" is not an IPv6 literal */
		ok = ssrf_entry_addr(e, host, -1) &&
		    (port == NULL || ssrf_parse_port(port, &e->port));
		goto out;
	}
	if ((slash = strchr(host, '/')) != NULL) {
		*slash = '\0';
		/* the prefix: 1 to 3 digits */
		if (slash[1] == '\0' || strlen(slash + 1) > 3)
			goto out;
		for (end = slash + 1; *end != '\0'; end++) {
			if (*end < '0' || *end > '9')
				goto out;
			prefix = prefix * 10 + (unsigned int)(*end - '0');
		}
		ok = strchr(host, '[') == NULL &&
		    ssrf_entry_addr(e, host, (int)prefix);
		goto out;
	}
	/* One colon: host:port; more: a bare IPv6 literal. */
	if ((end = strchr(host, ':')) != NULL && strchr(end + 1, ':') == NULL) {
		*end = '\0';
		port = end + 1;
		if (!ssrf_parse_port(port, &e->port))
			goto out;
	}
	if (ssrf_entry_addr(e, host, -1)) {
		ok = 1;
		goto out;
	}
	if (strchr(host, ':') != NULL || !ssrf_name_ok(host))
		goto out;
	for (end = host; *end != '\0'; end++)
		if (*end >= 'A' && *end <= 'Z')
			*end = (char)(*end - 'A' + 'a');
	if ((end = host + strlen(host) - 1) > host && *end == '.')
		*end = '\0'; /* "example.com." is example.com */
	e->host = xstrdup(host);
	ok = 1;
out:
	free(dup);
	return ok;
}

int
ssrf_allow_parse(const char *const *entries, size_t n, struct ssrf_allow **out,
    char **cause)
{
	struct ssrf_allow *a = xcalloc(1, sizeof *a);
	size_t i;

	a->e = xcalloc(n + 1, sizeof *a->e);
	for (i = 0; i < n; i++) {
		if (!ssrf_entry_parse(&a->e[a->n], entries[i])) {
			xasprintf(cause,
			    "security.ssrf_allow: '%s' is not a host, "
			    "host:port, [IPv6]:port, address or CIDR",
			    entries[i]);
			ssrf_allow_free(a);
			return -1;
		}
		a->n++;
	}
	*out = a;
	return 0;
}

void
ssrf_allow_free(struct ssrf_allow *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		free(a->e[i].host);
	free(a->e);
	free(a);
}

size_t
ssrf_allow_len(const struct ssrf_allow *a)
{
	return a == NULL ? 0 : a->n;
}

/* host equals name, ignoring case and one trailing dot on host. */
static int
ssrf_name_eq(const char *host, const char *name)
{
	size_t len = strlen(host), nlen = strlen(name);

	if (len > 0 && host[len - 1] == '.')
		len--;
	return len == nlen && strncasecmp(host, name, len) == 0;
}

int
ssrf_allow_match(const struct ssrf_allow *a, const char *host,
    unsigned int port, const struct sockaddr *sa)
{
	const struct ssrf_allow_entry *e;
	size_t i;

	if (a == NULL)
		return 0;
	for (i = 0; i < a->n; i++) {
		e = &a->e[i];
		if (e->port != 0 && e->port != port)
			continue;
		if (e->host != NULL) {
			if (host != NULL && ssrf_name_eq(host, e->host))
				return 1;
			continue;
		}
		if (sa != NULL && sa->sa_family == e->family &&
		    ssrf_prefix_eq(ssrf_addr_bytes(sa), e->net, e->prefix))
			return 1;
	}
	return 0;
}

/* Resolution. */

static int
ssrf_getaddrinfo(const char *host, struct sockaddr_storage *out, size_t max,
    size_t *n, const char **why)
{
	struct addrinfo hints, *res, *ai;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		*why = "the name does not resolve";
		return -1;
	}
	*n = 0;
	for (ai = res; ai != NULL && *n < max; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof *out)
			continue;
		memset(&out[*n], 0, sizeof out[*n]);
		memcpy(&out[*n], ai->ai_addr, ai->ai_addrlen);
		(*n)++;
	}
	freeaddrinfo(res);
	if (*n == 0) {
		*why = "the name has no IPv4 or IPv6 address";
		return -1;
	}
	return 0;
}

static ssrf_resolver_fn ssrf_resolver = ssrf_getaddrinfo;

void
ssrf_set_resolver(ssrf_resolver_fn fn)
{
	ssrf_resolver = fn != NULL ? fn : ssrf_getaddrinfo;
}

static void
ssrf_set_port(struct sockaddr_storage *ss, unsigned int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port =
		    htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)(void *)ss)->sin6_port =
		    htons((uint16_t)port);
}

int
ssrf_check_host(const char *host, unsigned int port,
    const struct ssrf_allow *allow, struct sockaddr_storage *out_addr,
    char **why)
{
	struct sockaddr_storage addrs[SSRF_MAX_ADDRS];
	const char *rwhy = NULL;
	char text[INET6_ADDRSTRLEN];
	enum ssrf_class cls;
	size_t n = 0, i;
	int literal;

	if (host == NULL || *host == '\0') {
		*why = xstrdup("the URL has no host");
		return -1;
	}
	if ((literal = ssrf_parse_literal(host, &addrs[0])) != 0)
		n = 1;
	else if (!ssrf_name_ok(host)) {
		xasprintf(why, "'%s' is not a host name or an IP address",
		    host);
		return -1;
	} else if (ssrf_resolver(host, addrs, SSRF_MAX_ADDRS, &n, &rwhy) != 0 ||
	    n == 0) {
		xasprintf(why, "%s: %s", host,
		    rwhy != NULL ? rwhy : "the name does not resolve");
		return -1;
	}
	for (i = 0; i < n; i++) {
		cls = ssrf_classify((struct sockaddr *)&addrs[i]);
		if (cls == SSRF_PUBLIC)
			continue;
		if (ssrf_allow_match(allow, host, port,
			(struct sockaddr *)&addrs[i]))
			continue;
		ssrf_addr_text((struct sockaddr *)&addrs[i], text, sizeof text);
		if (literal)
			xasprintf(why,
			    "%s (%s) is %s %s address; refused (see "
			    "security.ssrf_allow)",
			    host, text, cls == SSRF_UNSPECIFIED ? "an" : "a",
			    ssrf_class_name(cls));
		else
			xasprintf(why,
			    "%s resolves to %s, %s %s address; refused (see "
			    "security.ssrf_allow)",
			    host, text, cls == SSRF_UNSPECIFIED ? "an" : "a",
			    ssrf_class_name(cls));
		return -1;
	}
	*out_addr = addrs[0];
	ssrf_set_port(out_addr, port);
	return 0;
}
