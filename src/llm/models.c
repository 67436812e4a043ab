/*
 * models.c — model catalog, pricing, providers from the configuration,
 * and GET /v1/models.
 */
#include <stdlib.h>
#include <string.h>

#include "llm/curl_dl.h"
#include "llm/llm_int.h"
#include "llm/models.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/toml.h"
#include "util/xalloc.h"

#define LLM_MODELS_MAX (4 * 1024 * 1024)

/*
 * Prices in USD per million tokens (input, output, cache read, cache
 * write) as the providers publish them; see docs/providers.md for the date.
 */
/* clang-format off */
const struct llm_model_info llm_catalog[] = {
	{ "anthropic", "claude-opus-4-1", 200000, 32000, 15.0, 75.0, 1.50, 18.75 },
	{ "anthropic", "claude-opus-4-0", 200000, 32000, 15.0, 75.0, 1.50, 18.75 },
	{ "anthropic", "claude-sonnet-4-5", 200000, 64000, 3.0, 15.0, 0.30, 3.75 },
	{ "anthropic", "claude-sonnet-4-0", 200000, 64000, 3.0, 15.0, 0.30, 3.75 },
	{ "anthropic", "claude-3-7-sonnet-latest", 200000, 64000, 3.0, 15.0, 0.30, 3.75 },
	{ "anthropic", "claude-haiku-4-5", 200000, 64000, 1.0, 5.0, 0.10, 1.25 },
	{ "anthropic", "claude-3-5-haiku-latest", 200000, 8192, 0.80, 4.0, 0.08, 1.0 },
	{ "openai", "gpt-5", 400000, 128000, 1.25, 10.0, 0.125, 1.25 },
	{ "openai", "gpt-5-mini", 400000, 128000, 0.25, 2.0, 0.025, 0.25 },
	{ "openai", "gpt-4.1", 1047576, 32768, 2.0, 8.0, 0.50, 2.0 },
	{ "openai", "gpt-4.1-mini", 1047576, 32768, 0.40, 1.60, 0.10, 0.40 },
	{ "openai", "gpt-4.1-nano", 1047576, 32768, 0.10, 0.40, 0.025, 0.10 },
	{ "openai", "gpt-4o", 128000, 16384, 2.50, 10.0, 1.25, 2.50 },
	{ "openai", "gpt-4o-mini", 128000, 16384, 0.15, 0.60, 0.075, 0.15 },
	{ "openai", "o3", 200000, 100000, 2.0, 8.0, 0.50, 2.0 },
	{ "openai", "o4-mini", 200000, 100000, 1.10, 4.40, 0.275, 1.10 },
};
/* clang-format on */

const size_t llm_catalog_len = sizeof llm_catalog / sizeof llm_catalog[0];

static const struct {
	const char *name;
	enum llm_kind kind;
} llm_builtin[] = {
	{ "anthropic", LLM_ANTHROPIC },
	{ "openai", LLM_OPENAI },
};

const struct llm_model_info *
llm_model_find(const char *provider, const char *id)
{
	size_t i;

	for (i = 0; i < llm_catalog_len; i++) {
		if (strcmp(llm_catalog[i].provider, provider) == 0 &&
		    strcmp(llm_catalog[i].id, id) == 0)
			return &llm_catalog[i];
	}
	return NULL;
}

int
llm_cost_usd(const char *provider, const char *model, const struct llm_usage *u,
    double *usd)
{
	const struct llm_model_info *m = llm_model_find(provider, model);

	*usd = 0;
	if (m == NULL || m->in_usd < 0)
		return -1;
	*usd = ((double)u->input_tokens * m->in_usd +
		   (double)u->output_tokens * m->out_usd +
		   (double)u->cache_read_tokens * m->cache_read_usd +
		   (double)u->cache_write_tokens * m->cache_write_usd) /
	    1e6;
	return 0;
}

static int
llm_builtin_kind(const char *name, enum llm_kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof llm_builtin / sizeof llm_builtin[0]; i++) {
		if (strcmp(llm_builtin[i].name, name) == 0) {
			*kind = llm_builtin[i].kind;
			return 1;
		}
	}
	return 0;
}

/* cfg value of "providers.NAME.leaf" (NAME quoted if it must be). */
static const char *
llm_provider_str(const struct config *cfg, const char *name, const char *leaf)
{
	char path[256] = "providers";

	if (toml_path_append(path, sizeof path, name) != 0 ||
	    toml_path_append(path, sizeof path, leaf) != 0)
		return NULL;
	return config_str(cfg, path);
}

/* Timeouts and retries: the engine's, for every provider. */
static void
llm_provider_limits(const struct config *cfg, struct llm_provider *p)
{
	p->connect_timeout_ms =
	    config_int(cfg, "engine.connect_timeout_secs") * 1000;
	p->idle_timeout_ms = config_int(cfg, "engine.idle_timeout_secs") * 1000;
	p->max_retries = (int)config_int(cfg, "engine.max_retries");
	p->retry_base_ms = config_int(cfg, "engine.retry_base_ms");
	p->retry_max_total_ms = config_int(cfg, "engine.retry_max_secs") * 1000;
}

/* Whether `url` is the built-in default base URL of provider `name`. */
static int
llm_default_url(const char *name, const char *url)
{
	const struct config_key *k;
	char path[256];
	json_t *def;
	int same;

	snprintf(path, sizeof path, "providers.%s.base_url", name);
	if ((k = config_schema_find(path)) == NULL || k->def == NULL)
		return 0;
	def = json_loads(k->def, JSON_DECODE_ANY, NULL);
	same = url != NULL && json_is_string(def) &&
	    strcmp(json_string_value(def), url) == 0;
	json_decref(def);
	return same;
}

/*
 * A provider without a key: the variable its key would come from when it
 * must have one (new, caller frees), or NULL.  A built-in provider at its
 * hosted URL must; one at another URL (a local server, a proxy) need not,
 * unless the configuration names the variable of its key (api_key_env).
 */
static char *
llm_key_missing(const char *name, int builtin, const char *url,
    const char *keyenv)
{
	const struct config_key *k;
	char path[256];

	if (keyenv != NULL && *keyenv != '\0')
		return xstrdup(keyenv);
	if (!builtin || !llm_default_url(name, url))
		return NULL;
	snprintf(path, sizeof path, "providers.%s.api_key", name);
	if ((k = config_schema_find(path)) != NULL && k->env != NULL)
		return xstrdup(k->env);
	return NULL;
}

struct llm_provider *
llm_provider_get(const struct config *cfg, const char *name, char **cause)
{
	struct llm_provider *p;
	const char *kind, *url, *key, *keyenv;
	enum llm_kind k;
	int builtin;

	builtin = llm_builtin_kind(name, &k);
	url = llm_provider_str(cfg, name, "base_url");
	if (!builtin) {
		kind = llm_provider_str(cfg, name, "kind");
		if (kind == NULL && url == NULL) {
			xasprintf(cause,
			    "unknown provider '%s': add [providers.%s] with "
			    "base_url to config.toml (see docs/providers.md)",
			    name, name);
			return NULL;
		}
		k = kind != NULL && strcmp(kind, "anthropic") == 0 ?
		    LLM_ANTHROPIC :
		    LLM_OPENAI;
	}
	if (url == NULL || *url == '\0') {
		xasprintf(cause, "provider '%s' has no base_url", name);
		return NULL;
	}
	key = llm_provider_str(cfg, name, "api_key");
	if ((keyenv = llm_provider_str(cfg, name, "api_key_env")) != NULL &&
	    getenv(keyenv) != NULL && *getenv(keyenv) != '\0')
		key = getenv(keyenv);

	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(name);
	p->kind = k;
	p->base_url = xstrdup(url);
	p->api_key = key != NULL && *key != '\0' ? xstrdup(key) : NULL;
	if (p->api_key == NULL)
		p->key_missing = llm_key_missing(name, builtin, url, keyenv);
	llm_provider_limits(cfg, p);
	return p;
}

struct llm_provider *
llm_embedder_get(const struct config *cfg, char **model, char **cause)
{
	const char *url = config_str(cfg, "memory.embedding_url");
	const char *m = config_str(cfg, "memory.embedding_model");
	const char *key = config_str(cfg, "memory.embedding_api_key");
	struct llm_provider *p;
	size_t n;

	*model = NULL;
	if (url == NULL || *url == '\0' || m == NULL || *m == '\0') {
		xasprintf(cause,
		    "memory.embedder = \"api\" needs memory.embedding_url "
		    "and memory.embedding_model");
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(LLM_EMBEDDER_NAME);
	p->kind = LLM_OPENAI;
	/* The base URL ends with /v1: as written, or added. */
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= 3 && strncmp(url + n - 3, "/v1", 3) == 0)
		p->base_url = xstrndup(url, n);
	else
		xasprintf(&p->base_url, "%.*s/v1", (int)n, url);
	p->api_key = key != NULL && *key != '\0' ? xstrdup(key) : NULL;
	llm_provider_limits(cfg, p);
	*model = xstrdup(m);
	return p;
}

struct llm_provider *
llm_resolve(const struct config *cfg, const char *spec, char **model,
    char **cause)
{
	struct llm_provider *p;
	const char *slash = strchr(spec, '/');
	char *name;

	*model = NULL;
	if (slash == NULL || slash == spec || slash[1] == '\0') {
		xasprintf(cause,
		    "model '%s' is not provider/model (e.g. "
		    "anthropic/claude-sonnet-4-5, openai/gpt-4.1, local/qwen3)",
		    spec);
		return NULL;
	}
	name = xstrndup(spec, (size_t)(slash - spec));
	p = llm_provider_get(cfg, name, cause);
	free(name);
	if (p != NULL)
		*model = xstrdup(slash + 1);
	return p;
}

int
llm_provider_configured(const struct config *cfg, const char *name)
{
	const char *url, *key;
	enum llm_kind kind;

	if (!llm_builtin_kind(name, &kind))
		return llm_provider_str(cfg, name, "base_url") != NULL;
	key = llm_provider_str(cfg, name, "api_key");
	if (key != NULL && *key != '\0')
		return 1;
	url = llm_provider_str(cfg, name, "base_url");
	return url != NULL && !llm_default_url(name, url);
}

int
llm_model_configured(const struct config *cfg, const char *spec)
{
	char provider[64];
	size_t n;

	if (cfg == NULL || spec == NULL)
		return 0;
	n = strcspn(spec, "/");
	if (n == 0 || n >= sizeof provider || spec[n] != '/')
		return 0;
	memcpy(provider, spec, n);
	provider[n] = '\0';
	return llm_provider_configured(cfg, provider);
}

json_t *
llm_provider_names(const struct config *cfg)
{
	json_t *names = json_array(), *v, *seen = json_object();
	const char *key;
	size_t i, n;
	char *name;

	for (i = 0; i < sizeof llm_builtin / sizeof llm_builtin[0]; i++) {
		json_array_append_new(names, json_string(llm_builtin[i].name));
		json_object_set_new(seen, llm_builtin[i].name, json_true());
	}
	json_object_foreach(cfg->values, key, v) {
		if (strncmp(key, "providers.", 10) != 0)
			continue;
		n = config_segment_len(key + 10);
		name = xstrndup(key + 10, n);
		if (name[0] == '"') { /* a quoted table name */
			json_t *s = json_loads(name, JSON_DECODE_ANY, NULL);

			free(name);
			name = xstrdup(
			    json_is_string(s) ? json_string_value(s) : "");
			json_decref(s);
		}
		if (*name != '\0' && json_object_get(seen, name) == NULL) {
			json_array_append_new(names, json_string(name));
			json_object_set_new(seen, name, json_true());
		}
		free(name);
	}
	json_decref(seen);
	return names;
}

static size_t
llm_models_write(char *data, size_t size, size_t n, void *arg)
{
	return buf_add(arg, data, size * n) == 0 ? size * n : 0;
}

json_t *
llm_list_models(const struct llm_provider *p, long timeout_ms,
    struct llm_error *err)
{
	struct curl_slist *h = NULL;
	char *url = NULL, *hdr = NULL, cerr[CURL_ERROR_SIZE] = "";
	json_t *body = NULL, *ids = NULL, *m;
	struct buf b;
	size_t i;
	const char *why;
	CURL *curl;
	CURLcode res;
	long status = 0;

	memset(err, 0, sizeof *err);
	if (llm_key_check(p, err) != 0)
		return NULL;
	if (timeout_ms <= 0)
		timeout_ms = 30000;
	if (curl_dl_load(&why) != 0) {
		err->cls = LLM_ERR_CONFIG;
		snprintf(err->message, sizeof err->message, "%s: %s", p->name,
		    why);
		return NULL;
	}
	url = llm_url(p->base_url,
	    p->kind == LLM_ANTHROPIC ? "/v1/models" : "/models");
	if (p->kind == LLM_ANTHROPIC) {
		h = curl_slist_append(h, "anthropic-version: 2023-06-01");
		if (p->api_key != NULL)
			xasprintf(&hdr, "x-api-key: %s", p->api_key);
	} else if (p->api_key != NULL)
		xasprintf(&hdr, "authorization: Bearer %s", p->api_key);
	if (hdr != NULL)
		h = curl_slist_append(h, hdr);
	buf_init(&b, LLM_MODELS_MAX);
	curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    p->connect_timeout_ms > 0 && p->connect_timeout_ms < timeout_ms ?
		p->connect_timeout_ms :
		timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, llm_models_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	res = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	err->status = (int)status;
	err->attempts = 1;
	if (res != CURLE_OK) {
		char shown[256];

		llm_url_shown(url, shown, sizeof shown);
		err->cls = LLM_ERR_TRANSIENT;
		snprintf(err->message, sizeof err->message,
		    "%s: cannot reach %s: %s", p->name, shown,
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(res));
	} else if (status != 200) {
		err->cls = status == 401 || status == 403 ? LLM_ERR_AUTH :
							    LLM_ERR_BAD_REQUEST;
		snprintf(err->message, sizeof err->message,
		    "%s: GET %s answered HTTP %ld", p->name,
		    p->kind == LLM_ANTHROPIC ? "/v1/models" : "/models",
		    status);
	} else if ((body = json_loadb(buf_str(&b), b.len, 0, NULL)) == NULL ||
	    !json_is_array(json_object_get(body, "data"))) {
		err->cls = LLM_ERR_PROTOCOL;
		snprintf(err->message, sizeof err->message,
		    "%s: the model list is not {\"data\": [...]}", p->name);
	} else {
		ids = json_array();
		json_array_foreach(json_object_get(body, "data"), i, m) {
			if (oxjson_str(m, "id", NULL) != NULL)
				json_array_append_new(ids,
				    json_string(oxjson_str(m, "id", "")));
		}
	}
	json_decref(body);
	curl_easy_cleanup(curl);
	curl_slist_free_all(h);
	xfree_secret(hdr);
	free(url);
	buf_free(&b);
	return ids;
}
