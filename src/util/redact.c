/*
 * redact.c — which keys and which strings are secrets, as tables.
 *
 * The policy lives at the util level (not in security/, where it would
 * sit beside the audit log that uses it most) because the LLM providers
 * need it for their error messages, and llm/ may include only util/.
 *
 * The rules are the union of those the audit log and the LLM driver kept
 * before, each at the stricter of the two: "sk-" needs 4 token characters
 * after it (the others 8), and token characters are those of both sets.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/redact.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* Deeper JSON is redacted whole rather than walked. */
#define REDACT_MAX_DEPTH 64
/* A known secret shorter than this is not looked for (too many hits). */
#define REDACT_KNOWN_MIN 8

/* A member whose name contains one of these (any case) holds a secret. */
static const char *const redact_key_words[] = {
	"token",
	"secret",
	"password",
	"passwd",
	"authorization",
	"cookie",
	"credential",
	"api_key",
	"api-key",
	"apikey",
	"private_key",
	"private-key",
	"signing_key",
	"signing-key",
};

/*
 * So does one that ends in one of these after at least one character:
 * "openai_key" is a key of something, a bare "key" is a name.
 */
static const char *const redact_key_suffixes[] = { "_key", "-key" };

/* Credential prefixes, wherever they appear, and the run they need. */
static const struct redact_prefix {
	const char *prefix;
	size_t min; /* token characters after it, at least */
} redact_prefixes[] = {
	{ "sk-", 4 },         /* OpenAI, Anthropic (sk-ant-, sk-proj-) */
	{ "oxt_", 8 },        /* Oxios API tokens */
	{ "xoxb-", 8 },       /* Slack bot tokens */
	{ "xoxp-", 8 },       /* Slack user tokens */
	{ "ghp_", 8 },        /* GitHub personal tokens */
	{ "gho_", 8 },        /* GitHub OAuth tokens */
	{ "github_pat_", 8 }, /* GitHub fine-grained tokens */
	{ "AKIA", 8 },        /* AWS access key ids */
	{ "Bearer ", 8 },     /* HTTP authorization */
	{ "bearer ", 8 },
};

#define REDACT_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Characters of a token: base64, base64url, and '*' of masked keys. */
static int
redact_token_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.' ||
	    c == '/' || c == '+' || c == '=' || c == '*';
}

int
redact_key(const char *name)
{
	size_t i, n = strlen(name), k;

	for (i = 0; i < REDACT_NELEM(redact_key_words); i++) {
		if (strcasestr(name, redact_key_words[i]) != NULL)
			return 1;
	}
	for (i = 0; i < REDACT_NELEM(redact_key_suffixes); i++) {
		k = strlen(redact_key_suffixes[i]);
		if (n > k &&
		    strcasecmp(name + n - k, redact_key_suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

/* s with every occurrence of `known` replaced, or NULL if none. */
static char *
redact_known(const char *s, const char *known)
{
	const char *p = s, *q;
	size_t klen;
	struct buf b;

	if (known == NULL || (klen = strlen(known)) < REDACT_KNOWN_MIN ||
	    strstr(s, known) == NULL)
		return NULL;
	buf_init(&b, BUF_NOCAP);
	while ((q = strstr(p, known)) != NULL) {
		buf_add(&b, p, (size_t)(q - p));
		buf_adds(&b, REDACT_MARK);
		p = q + klen;
	}
	buf_adds(&b, p);
	return buf_detach(&b);
}

/*
 * s with every credential-looking run replaced, or NULL if none.  A
 * prefix whose run is too short is kept and the search goes on right
 * after it, so that "Bearer sk-abcd" still loses its "sk-abcd".
 */
static char *
redact_runs(const char *s)
{
	const char *p = s, *best, *q, *t;
	size_t i, plen = 0, min = 0, run;
	struct buf b;
	int found = 0;

	buf_init(&b, BUF_NOCAP);
	for (;;) {
		best = NULL;
		for (i = 0; i < REDACT_NELEM(redact_prefixes); i++) {
			q = strstr(p, redact_prefixes[i].prefix);
			if (q != NULL && (best == NULL || q < best)) {
				best = q;
				plen = strlen(redact_prefixes[i].prefix);
				min = redact_prefixes[i].min;
			}
		}
		if (best == NULL)
			break;
		for (t = best + plen, run = 0; redact_token_char(*t); t++)
			run++;
		if (run >= min) {
			buf_add(&b, p, (size_t)(best - p));
			buf_adds(&b, REDACT_MARK);
			found = 1;
			p = t;
		} else {
			buf_add(&b, p, (size_t)(best + plen - p));
			p = best + plen;
		}
	}
	if (!found) {
		buf_free(&b);
		return NULL;
	}
	buf_adds(&b, p);
	return buf_detach(&b);
}

/* s redacted, or NULL if it holds nothing to redact.  Caller frees. */
static char *
redact_find(const char *s, const char *known)
{
	char *k = redact_known(s, known), *r;

	r = redact_runs(k != NULL ? k : s);
	if (r == NULL)
		return k;
	free(k);
	return r;
}

char *
redact_string(const char *s, const char *known)
{
	char *r = redact_find(s, known);

	return r != NULL ? r : xstrdup(s);
}

void
redact_buf(char *buf, size_t size, const char *known)
{
	char *r;
	size_t n;

	if (size == 0 || (r = redact_find(buf, known)) == NULL)
		return;
	n = utf8_cut(r, size - 1);
	memcpy(buf, r, n);
	buf[n] = '\0';
	free(r);
}

static void
redact_walk(json_t *v, int depth)
{
	const char *k;
	json_t *x;
	char *r;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, k, x) {
			if (redact_key(k) || depth >= REDACT_MAX_DEPTH)
				json_object_set_new(v, k,
				    json_string(REDACT_MARK));
			else
				redact_walk(x, depth + 1);
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, x) {
			if (depth >= REDACT_MAX_DEPTH)
				json_array_set_new(v, i,
				    json_string(REDACT_MARK));
			else
				redact_walk(x, depth + 1);
		}
		break;
	case JSON_STRING:
		if ((r = redact_find(json_string_value(v), NULL)) == NULL)
			break;
		if (json_string_set(v, r) != 0)
			json_string_set(v, REDACT_MARK);
		free(r);
		break;
	default:
		break;
	}
}

void
redact_json(json_t *v)
{
	if (v != NULL)
		redact_walk(v, 0);
}
