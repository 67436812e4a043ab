/*
 * ssrf.h — the outbound request guard: which addresses Oxios may connect
 * to on behalf of a URL that came from outside (pure: util only, so a
 * worker-side tool may use it too).
 *
 * An address is classified (loopback, private, metadata ...); anything
 * but SSRF_PUBLIC is refused unless `security.ssrf_allow` lists it.  A
 * host is resolved once, and refused if ANY of its addresses is; the
 * caller then connects to the address it was given (out_addr), never
 * resolving again (ssrf_fetch.h pins it in curl).
 */
#ifndef OXIOS_SECURITY_SSRF_H
#define OXIOS_SECURITY_SSRF_H

#include <stddef.h>
#include <sys/socket.h>

enum ssrf_class {
	SSRF_PUBLIC,
	SSRF_LOOPBACK,
	SSRF_UNSPECIFIED,
	SSRF_PRIVATE,
	SSRF_LINK_LOCAL,
	SSRF_CGNAT,
	SSRF_MULTICAST,
	SSRF_RESERVED,
	SSRF_BENCHMARKING,
	SSRF_DOCUMENTATION,
	SSRF_BROADCAST,
	SSRF_METADATA,
	SSRF_UNIQUE_LOCAL, /* IPv6 fc00::/7 */
};

/* The class's name ("loopback", "metadata", ...): a static string. */
const char *ssrf_class_name(enum ssrf_class c);

/*
 * The class of an AF_INET or AF_INET6 address (any other family is
 * SSRF_RESERVED).  IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
 * (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are
 * classified by the IPv4 address they carry.
 */
enum ssrf_class ssrf_classify(const struct sockaddr *sa);

/*
 * An IPv4 literal in any spelling inet_aton() takes — "127.0.0.1",
 * "2130706433", "0177.0.0.1", "0x7f.1", "127.1" — strictly (no trailing
 * text).  Returns 1 and *addr (network order), or 0 if `s` is not one.
 */
int ssrf_parse_ipv4(const char *s, unsigned int *addr);

/*
 * A host as a URL carries it — a name, an IPv4 literal in any spelling,
 * or an IPv6 literal with or without brackets — parsed as an address.
 * Returns 1 and *out (port 0), or 0 for a name.
 */
int ssrf_parse_literal(const char *host, struct sockaddr_storage *out);

/* The allow list, parsed from `security.ssrf_allow`. */
struct ssrf_allow;

/*
 * Parse the entries: "host", "host:port", "[v6]", "[v6]:port", an IP
 * literal, or a CIDR "10.1.0.0/16", "fd00::/8".  A host entry matches the
 * name as the URL gives it (case-insensitive) and every address it
 * resolves to; an address entry or a CIDR matches the addresses.  Returns
 * 0 and *out (free with ssrf_allow_free; an empty list is a valid *out),
 * or -1 with *cause naming the bad entry (caller frees).
 */
int ssrf_allow_parse(const char *const *entries, size_t n,
    struct ssrf_allow **out, char **cause);
void ssrf_allow_free(struct ssrf_allow *a);
/* Entries in the list (for tests). */
size_t ssrf_allow_len(const struct ssrf_allow *a);

/*
 * Whether the list allows `host` (as the URL gave it, NULL: any) on
 * `port` at address `sa` (NULL: the name alone).  1 or 0.
 */
int ssrf_allow_match(const struct ssrf_allow *a, const char *host,
    unsigned int port, const struct sockaddr *sa);

/*
 * The name resolver: fill at most `max` addresses of `host` (port 0)
 * into `out` and set *n.  Returns 0, or -1 with *why (a static string).
 * NULL restores getaddrinfo(); tests install their own.
 */
typedef int (*ssrf_resolver_fn)(const char *host, struct sockaddr_storage *out,
    size_t max, size_t *n, const char **why);
void ssrf_set_resolver(ssrf_resolver_fn fn);

/*
 * May Oxios connect to `host` on `port`?  A literal is taken as it is; a
 * name is resolved once.  Refused if any address is not public and the
 * allow list (may be NULL) does not allow it.  Returns 0 with *out_addr
 * (the first address, with the port set: connect to this one, do not
 * resolve again), or -1 with *why (caller frees): what was refused and
 * why, e.g. "10.0.0.5 (from db.internal) is a private address".
 */
int ssrf_check_host(const char *host, unsigned int port,
    const struct ssrf_allow *allow, struct sockaddr_storage *out_addr,
    char **why);

/* An address as text ("10.0.0.5", "::1"), into buf of at least 64. */
const char *ssrf_addr_text(const struct sockaddr *sa, char *buf, size_t len);

#endif
