/*
 * fuzz_http.c — the HTTP router and the bearer credential.
 *
 * The first byte of the input picks a method (GET, POST, PUT, DELETE,
 * HEAD, PATCH, or one no route has); the rest, as a C string, is the path,
 * matched against the daemon's own route tables (api_route_tables).
 * Invariants:
 * the answer is one of 200, 400, 404, 405, 414 and the same on a second
 * call; 400 exactly for a path that is not absolute or holds a control
 * character, 414 exactly for one too long; on 200 the route is a row of
 * one of the tables, of this method, and its pattern with the parameter values put
 * back gives the path again; every value is non-empty and holds no '/'
 * unless it is the pattern's tail ("{name*}"), and lies in the match's own
 * buffer; on 405 Allow is non-empty, does not name the method, and every
 * method it names matches the path (200); on 404 no method does.
 *
 * The whole input is also an Authorization header for auth_bearer(): the
 * credential it finds, if any, lies inside the header after "Bearer" and
 * one or more spaces, runs to its end, is non-empty and holds no space or
 * control character; and it finds one whenever such a credential is there.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "http/router.h"
#include "security/auth.h"
#include "util/xalloc.h"

#define FUZZ_ALLOW_SIZE 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_methods[] = { "GET", "POST", "PUT", "DELETE",
	"HEAD", "PATCH", "G\xc3\x89T" };
#define FUZZ_NMETHODS (sizeof fuzz_methods / sizeof fuzz_methods[0])

/* Whether r is a row of one of the route tables. */
static int
fuzz_is_route(const struct route *r)
{
	const struct route *const *t;
	size_t n;

	for (t = api_route_tables; *t != NULL; t++) {
		for (n = 0; (*t)[n].method != NULL; n++) {
			if (r == &(*t)[n])
				return 1;
		}
	}
	return 0;
}

/* Whether the path is one the router must refuse with 400. */
static int
fuzz_bad_path(const char *path)
{
	const unsigned char *c;

	if (path[0] != '/')
		return 1;
	for (c = (const unsigned char *)path; *c != '\0'; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return 1;
	}
	return 0;
}

/* Allow must be a NUL-terminated string inside its buffer. */
static void
fuzz_check_allow(const char *allow)
{
	if (memchr(allow, '\0', FUZZ_ALLOW_SIZE) == NULL)
		abort();
}

/*
 * A 200: check the route, the parameters, and that the pattern with the
 * values put back is the path.
 */
static void
fuzz_check_match(const char *method, const char *path,
    const struct route_match *m)
{
	const struct route *r = m->route;
	const char *p, *end, *v;
	size_t nlen, vlen, plen = strlen(path);
	size_t at = 0;
	int i = 0, tail;

	if (r == NULL || !fuzz_is_route(r))
		abort();
	if (strcmp(r->method, method) != 0)
		abort();
	if (m->nparams < 0 || m->nparams > ROUTER_MAX_PARAMS)
		abort();
	for (p = r->pattern; *p != '\0';) {
		if (*p != '{') {
			if (at >= plen || path[at] != *p)
				abort();
			at++;
			p++;
			continue;
		}
		end = strchr(p, '}');
		if (end == NULL || i >= m->nparams)
			abort();
		nlen = (size_t)(end - p - 1);
		tail = nlen > 0 && p[nlen] == '*';
		if (tail) {
			nlen--;
			if (end[1] != '\0') /* a tail ends the pattern */
				abort();
		}
		if (strlen(m->params[i].name) != nlen ||
		    strncmp(m->params[i].name, p + 1, nlen) != 0)
			abort();
		v = m->params[i].value;
		if (v == NULL || v < m->path || v >= m->path + sizeof m->path)
			abort();
		vlen = strnlen(v, (size_t)(m->path + sizeof m->path - v));
		if (v + vlen >= m->path + sizeof m->path)
			abort(); /* not terminated inside the buffer */
		if (vlen == 0 && !tail)
			abort();
		if (!tail && memchr(v, '/', vlen) != NULL)
			abort();
		if (route_param(m, m->params[i].name) == NULL)
			abort();
		if (at + vlen > plen || memcmp(path + at, v, vlen) != 0)
			abort();
		at += vlen;
		i++;
		p = end + 1;
	}
	if (i != m->nparams || at != plen)
		abort();
}

static void
fuzz_router(const char *method, const char *path)
{
	struct route_match m, again;
	char allow[FUZZ_ALLOW_SIZE], allow2[FUZZ_ALLOW_SIZE];
	char list[FUZZ_ALLOW_SIZE], *tok, *save = NULL;
	size_t len = strlen(path), k;
	int rc, rc2;

	memset(&m, 0xa5, sizeof m);
	memset(allow, 'Z', sizeof allow);
	rc = router_match(api_route_tables, method, path, &m, allow,
	    sizeof allow);
	fuzz_check_allow(allow);
	rc2 = router_match(api_route_tables, method, path, &again, allow2,
	    sizeof allow2);
	if (rc != rc2 || strcmp(allow, allow2) != 0)
		abort();

	switch (rc) {
	case 400:
		if (!fuzz_bad_path(path))
			abort();
		return;
	case 414:
		if (path[0] != '/' || len < ROUTER_MAX_PATH)
			abort();
		return;
	case 200:
	case 404:
	case 405:
		break;
	default:
		abort();
	}
	/* Past the sanity checks: an absolute, printable, short path. */
	if (fuzz_bad_path(path) || len >= ROUTER_MAX_PATH)
		abort();

	if (rc == 200) {
		fuzz_check_match(method, path, &m);
		return;
	}
	if (rc == 404) {
		if (allow[0] != '\0')
			abort();
		/* No method at all has this path. */
		for (k = 0; k < FUZZ_NMETHODS; k++) {
			if (router_match(api_route_tables, fuzz_methods[k],
				path, &again, allow2, sizeof allow2) != 404)
				abort();
		}
		return;
	}
	/* 405: the methods listed are exactly ones that would do. */
	if (allow[0] == '\0')
		abort();
	memcpy(list, allow, sizeof list);
	for (tok = strtok_r(list, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, method) == 0)
			abort();
		if (router_match(api_route_tables, tok, path, &again, allow2,
			sizeof allow2) != 200)
			abort();
		fuzz_check_match(tok, path, &again);
	}
}

/* The reference: what auth_bearer() must find in `h`. */
static const char *
fuzz_bearer_ref(const char *h)
{
	const char *p;

	if (strlen(h) < 7 || strncasecmp(h, "bearer ", 7) != 0)
		return NULL;
	p = h + 6 + strspn(h + 6, " ");
	if (*p == '\0')
		return NULL;
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
			return NULL;
	}
	return h + 6 + strspn(h + 6, " ");
}

static void
fuzz_bearer(const char *h)
{
	const char *t = auth_bearer(h), *c;
	size_t len = strlen(h);

	if (t != fuzz_bearer_ref(h))
		abort();
	if (t == NULL)
		return;
	if (t < h + 7 || t >= h + len)
		abort();
	if (strncasecmp(h, "bearer", 6) != 0)
		abort();
	for (c = h + 6; c < t; c++) {
		if (*c != ' ')
			abort();
	}
	if (*t == '\0' || strlen(t) != len - (size_t)(t - h))
		abort();
	for (c = t; *c != '\0'; c++) {
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c == 0x7f)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path, *header;

	if (size == 0)
		return 0;
	path = xmalloc(size);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	fuzz_router(fuzz_methods[data[0] % FUZZ_NMETHODS], path);
	free(path);

	header = xmalloc(size + 1);
	memcpy(header, data, size);
	header[size] = '\0';
	fuzz_bearer(header);
	free(header);
	return 0;
}
