/*
 * check.c — what a value must be beyond its type and range, checked once
 * when the configuration is loaded, so that a value accepted there never
 * makes a run, the daemon or a provider call fail later.
 *
 * Two parts.  The format of a string (CK_FORMAT() in the schema, one row
 * of config_formats[] each): an absolute path, a URL, a program name, ...
 * Every string, whatever its format, is refused if it holds a NUL (C code
 * would read a shorter one).  Then the rules that tie keys together
 * (config_check_whole()): the default model's provider exists, an extra
 * provider has a base_url, the api embedder has its URL and model.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "util/path.h"
#include "util/toml.h"
#include "util/xalloc.h"

#define CONFIG_HOST_MAX 253

/* Whether s holds a space or a control character. */
static int
config_has_blank(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

static int
config_fmt_dir(const char *s, char **why)
{
	char *n;
	int root;

	if (*s == '\0')
		return 0;
	if (s[0] != '/') {
		xasprintf(why,
		    "'%s' is not an absolute path (empty means "
		    "$OXIOS_HOME/workspace)",
		    s);
		return -1;
	}
	if (strlen(s) >= PATH_MAX_LEN) {
		xasprintf(why, "the path is too long (over %d bytes)",
		    PATH_MAX_LEN);
		return -1;
	}
	n = path_normalize(s);
	root = strcmp(n, "/") == 0;
	free(n);
	if (root) {
		xasprintf(why, "'%s': the workspace cannot be /", s);
		return -1;
	}
	return 0;
}

/*
 * "scheme://host[:port][rest]": *host and *hostlen the host (with its
 * brackets for IPv6), *rest what follows the authority.  0 or -1.
 */
static int
config_url_split(const char *s, const char **host, size_t *hostlen,
    const char **rest)
{
	const char *p = s, *h, *e;

	if (!isalpha((unsigned char)*p))
		return -1;
	while (
	    isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return -1;
	h = p + 3;
	if (*h == '[') {
		if ((e = strchr(h, ']')) == NULL)
			return -1;
		e++;
	} else
		e = h + strcspn(h, ":/?#");
	if (e == h)
		return -1;
	*host = h;
	*hostlen = (size_t)(e - h);
	if (*e == ':') {
		for (p = ++e; isdigit((unsigned char)*p); p++)
			;
		if (p == e || p - e > 5 || atoi(e) < 1 || atoi(e) > 65535)
			return -1;
		e = p;
	}
	*rest = e;
	return 0;
}

static int
config_fmt_url(const char *s, char **why)
{
	const char *host, *rest;
	size_t hostlen;

	if (config_has_blank(s) ||
	    (strncasecmp(s, "http://", 7) != 0 &&
		strncasecmp(s, "https://", 8) != 0) ||
	    config_url_split(s, &host, &hostlen, &rest) != 0 ||
	    (*rest != '\0' && *rest != '/')) {
		xasprintf(why,
		    "'%s' is not an http:// or https:// URL with a host "
		    "(e.g. http://127.0.0.1:11434/v1)",
		    s);
		return -1;
	}
	return 0;
}

static int
config_fmt_origin(const char *s, char **why)
{
	const char *host, *rest;
	size_t hostlen;

	if (strcmp(s, "*") == 0)
		return 0;
	if (config_has_blank(s) ||
	    config_url_split(s, &host, &hostlen, &rest) != 0 || *rest != '\0') {
		xasprintf(why,
		    "'%s' is not an origin: \"*\" or scheme://host[:port], "
		    "without a path or a trailing '/' (e.g. "
		    "http://localhost:3000)",
		    s);
		return -1;
	}
	return 0;
}

static int
config_fmt_program(const char *s, char **why)
{
	if (!path_is_name(s) || config_has_blank(s)) {
		xasprintf(why,
		    "'%s' is not a program name: name a program of the "
		    "worker's PATH, without '/' (e.g. \"sh\", not \"/bin/sh\")",
		    s);
		return -1;
	}
	return 0;
}

static int
config_fmt_model(const char *s, char **why)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL || slash == s || slash[1] == '\0' ||
	    config_has_blank(s)) {
		xasprintf(why,
		    "'%s' is not provider/model (e.g. "
		    "anthropic/claude-sonnet-4-5, openai/gpt-4.1, local/qwen3)",
		    s);
		return -1;
	}
	return 0;
}

static int
config_fmt_host(const char *s, char **why)
{
	unsigned char addr[16];
	const char *label = s, *p;
	int ok = *s != '\0' && strlen(s) <= CONFIG_HOST_MAX;

	if (ok && strchr(s, ':') != NULL)
		ok = inet_pton(AF_INET6, s, addr) == 1;
	else {
		for (p = s; ok; p++) {
			if (*p == '.' || *p == '\0') {
				/* Labels are not empty (a final '.' is). */
				ok = p > label || (*p == '\0' && p > s);
				if (*p == '\0')
					break;
				label = p + 1;
			} else
				ok = isalnum((unsigned char)*p) || *p == '-' ||
				    *p == '_';
		}
	}
	if (!ok) {
		xasprintf(why,
		    "'%s' is not a host name or an IP address (e.g. "
		    "127.0.0.1, ::1, localhost)",
		    s);
		return -1;
	}
	return 0;
}

static int
config_fmt_envname(const char *s, char **why)
{
	const char *p = s;

	if (isalpha((unsigned char)*p) || *p == '_') {
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
	}
	if (p == s || *p != '\0') {
		xasprintf(why,
		    "'%s' is not the name of an environment variable "
		    "(letters, digits, '_')",
		    s);
		return -1;
	}
	return 0;
}

static int
config_fmt_token(const char *s, char **why)
{
	if (config_has_blank(s)) {
		xasprintf(why, "holds a space or a control character");
		return -1;
	}
	return 0;
}

static int
config_fmt_name(const char *s, char **why)
{
	if (*s == '\0' || config_has_blank(s)) {
		xasprintf(why,
		    "'%s' is not a name: not empty, no spaces or control "
		    "characters",
		    s);
		return -1;
	}
	return 0;
}

/* clang-format off */
static const struct {
	enum config_format format;
	const char *doc; /* what it is, for the key's documentation */
	int (*ok)(const char *s, char **why);
} config_formats[] = {
	{ CF_DIR, "an absolute path, or empty", config_fmt_dir },
	{ CF_URL, "an http:// or https:// URL", config_fmt_url },
	{ CF_ORIGIN, "\"*\" or scheme://host[:port]", config_fmt_origin },
	{ CF_PROGRAM, "program names, without '/'", config_fmt_program },
	{ CF_MODEL, "provider/model, of a configured provider", config_fmt_model },
	{ CF_HOST, "a host name or an IP address", config_fmt_host },
	{ CF_ENVNAME, "an environment variable's name", config_fmt_envname },
	{ CF_TOKEN, "no spaces or control characters", config_fmt_token },
	{ CF_NAME, "not empty, no spaces or control characters", config_fmt_name },
};
/* clang-format on */

#define CONFIG_NFORMATS (sizeof config_formats / sizeof config_formats[0])

const char *
config_format_doc(enum config_format f)
{
	size_t i;

	for (i = 0; i < CONFIG_NFORMATS; i++) {
		if (config_formats[i].format == f)
			return config_formats[i].doc;
	}
	return NULL;
}

/* One string against the format: 0, or -1 with *why (caller frees). */
static int
config_format_one(enum config_format f, const json_t *v, char **why)
{
	const char *s = json_string_value(v);
	size_t i;

	if (strlen(s) != json_string_length(v)) {
		xasprintf(why, "a string holds a NUL character (\\u0000)");
		return -1;
	}
	for (i = 0; i < CONFIG_NFORMATS; i++) {
		if (config_formats[i].format == f)
			return config_formats[i].ok(s, why);
	}
	return 0;
}

int
config_format_check(const struct config_key *k, const json_t *v, char **why)
{
	enum config_format f = CK_FORMAT_OF(k->flags);
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_string(v))
		return config_format_one(f, v, why);
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (json_is_string(e) &&
			    config_format_one(f, e, why) != 0)
				return -1;
		}
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e) {
			if (json_is_string(e) &&
			    config_format_one(f, e, why) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * Where `key` was set, for a message: "file:line:col" when the file set
 * it, "environment variable NAME", or the file's name.  Caller frees.
 */
static char *
config_whence(const struct config *cfg, const char *name, json_t *pos,
    const char *key)
{
	json_t *loc = json_object_get(pos, key);
	const char *src;
	char *s;

	src = json_string_value(json_object_get(cfg->sources, key));
	if (json_is_array(loc))
		xasprintf(&s, "%s:%d:%d", name,
		    (int)json_integer_value(json_array_get(loc, 0)),
		    (int)json_integer_value(json_array_get(loc, 1)));
	else if (src != NULL && strncmp(src, "env:", 4) == 0)
		xasprintf(&s, "environment variable %s", src + 4);
	else
		s = xstrdup(name);
	return s;
}

/* "providers.NAME.leaf", NAME quoted if it must be; NULL if too long. */
static const char *
config_provider_str(const struct config *cfg, const char *prov, size_t provlen,
    const char *leaf)
{
	char path[256] = "providers", *name = xstrndup(prov, provlen);
	int bad;

	bad = toml_path_append(path, sizeof path, name) != 0 ||
	    toml_path_append(path, sizeof path, leaf) != 0;
	free(name);
	return bad ? NULL : config_str(cfg, path);
}

/* Every [providers.NAME] the file defines has a base_url. */
static int
config_check_providers(const struct config *cfg, const char *name, json_t *pos,
    char **cause)
{
	const char *key, *url, *dot;
	json_t *v;
	size_t n;
	char *table, *where;

	json_object_foreach(cfg->values, key, v) {
		if (strncmp(key, "providers.", 10) != 0)
			continue;
		n = config_segment_len(key + 10);
		dot = key + 10 + n;
		if (strcmp(dot, ".kind") != 0)
			continue;
		url = config_provider_str(cfg, key + 10, n, "base_url");
		if (url != NULL && *url != '\0')
			continue;
		table = xstrndup(key, (size_t)(dot - key));
		where = config_whence(cfg, name, pos,
		    json_object_get(pos, table) != NULL ? table : key);
		xasprintf(cause,
		    "%s: %s: a provider needs a base_url (e.g. base_url = "
		    "\"http://127.0.0.1:11434/v1\")",
		    where, table);
		free(where);
		free(table);
		return -1;
	}
	return 0;
}

/* `spec`, the value of `key`, names a provider that exists. */
static int
config_check_model_spec(const struct config *cfg, const char *name, json_t *pos,
    const char *key, const char *spec, char **cause)
{
	const char *slash, *url;
	char *where;

	if (spec == NULL || (slash = strchr(spec, '/')) == NULL)
		return 0;
	url =
	    config_provider_str(cfg, spec, (size_t)(slash - spec), "base_url");
	if (url != NULL && *url != '\0')
		return 0;
	where = config_whence(cfg, name, pos, key);
	xasprintf(cause,
	    "%s: %s: '%s' names no provider '%.*s': use "
	    "anthropic/..., openai/..., or add [providers.%.*s] with a "
	    "base_url",
	    where, key, spec, (int)(slash - spec), spec, (int)(slash - spec),
	    spec);
	free(where);
	return -1;
}

/* The default model and the fallback models name providers that exist. */
static int
config_check_model(const struct config *cfg, const char *name, json_t *pos,
    char **cause)
{
	json_t *v;
	size_t i;

	if (config_check_model_spec(cfg, name, pos, "engine.default_model",
		config_str(cfg, "engine.default_model"), cause) != 0)
		return -1;
	json_array_foreach(config_get(cfg, "engine.fallback_models"), i, v) {
		if (config_check_model_spec(cfg, name, pos,
			"engine.fallback_models", json_string_value(v),
			cause) != 0)
			return -1;
	}
	json_array_foreach(config_get(cfg, "ouroboros.judge_models"), i, v) {
		if (config_check_model_spec(cfg, name, pos,
			"ouroboros.judge_models", json_string_value(v),
			cause) != 0)
			return -1;
	}
	return 0;
}

/* The api embedder has its URL and its model. */
static int
config_check_embedder(const struct config *cfg, const char *name, json_t *pos,
    char **cause)
{
	const char *url, *model;
	char *where;

	if (strcmp(config_str(cfg, "memory.embedder"), "api") != 0)
		return 0;
	url = config_str(cfg, "memory.embedding_url");
	model = config_str(cfg, "memory.embedding_model");
	if (url != NULL && *url != '\0' && model != NULL && *model != '\0')
		return 0;
	where = config_whence(cfg, name, pos, "memory.embedder");
	xasprintf(cause,
	    "%s: memory.embedder = \"api\" needs memory.embedding_url and "
	    "memory.embedding_model",
	    where);
	free(where);
	return -1;
}

int
config_check_whole(const struct config *cfg, const char *name, json_t *pos,
    char **cause)
{
	if (config_check_providers(cfg, name, pos, cause) != 0 ||
	    config_check_model(cfg, name, pos, cause) != 0 ||
	    config_check_embedder(cfg, name, pos, cause) != 0)
		return -1;
	return 0;
}
