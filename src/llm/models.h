/*
 * models.h — the model catalog (context, output limit, USD prices),
 * providers built from the configuration, and listing a provider's models.
 */
#ifndef OXIOS_LLM_MODELS_H
#define OXIOS_LLM_MODELS_H

#include "config/config.h"
#include "llm/llm.h"

struct llm_model_info {
	const char *provider; /* "anthropic", "openai" */
	const char *id;       /* the provider's model id */
	long context;         /* tokens */
	long max_output;      /* tokens */
	/* USD per million tokens; all < 0 when unpriced. */
	double in_usd, out_usd, cache_read_usd, cache_write_usd;
};

extern const struct llm_model_info llm_catalog[];
extern const size_t llm_catalog_len;

/* The catalog entry of provider/id, or NULL. */
const struct llm_model_info *llm_model_find(const char *provider,
    const char *id);
/*
 * Cost of `u` on provider/model in USD into *usd.  Returns 0, or -1 when
 * the model is not priced (*usd is then 0).
 */
int llm_cost_usd(const char *provider, const char *model,
    const struct llm_usage *u, double *usd);

/*
 * The provider named `name` as configured: anthropic and openai are built
 * in; others come from [providers.NAME] (kind, base_url, api_key,
 * api_key_env).  Returns NULL with *cause (caller frees) if unknown.
 * Caller llm_provider_free()s the result.
 */
struct llm_provider *llm_provider_get(const struct config *cfg,
    const char *name, char **cause);
/*
 * The embedder of memory.embedder = "api": an OpenAI-compatible provider
 * named LLM_EMBEDDER_NAME at memory.embedding_url (with /v1 added unless
 * it ends so), keyed by memory.embedding_api_key, with the engine's
 * timeouts and retries; *model is memory.embedding_model (new, caller
 * frees).  Returns NULL with *cause when the URL or the model is unset.
 * Caller llm_provider_free()s the result.
 */
#define LLM_EMBEDDER_NAME "embeddings"
struct llm_provider *llm_embedder_get(const struct config *cfg, char **model,
    char **cause);
/*
 * Split "provider/model" and get the provider.  *model is new (caller
 * frees).  Returns NULL with *cause if the spec or provider is bad.
 */
struct llm_provider *llm_resolve(const struct config *cfg, const char *spec,
    char **model, char **cause);
/*
 * Whether a provider is configured: a key is set, or its base URL is not
 * the built-in default (a local server needs no key), or it is an extra
 * [providers.NAME].
 */
int llm_provider_configured(const struct config *cfg, const char *name);
/* Whether model `spec` ("provider/model"; NULL: no) names a provider
 * that llm_provider_configured() says is set up. */
int llm_model_configured(const struct config *cfg, const char *spec);
/* Names of every provider the configuration mentions.  New array. */
json_t *llm_provider_names(const struct config *cfg);

/*
 * The models a provider serves, from its /v1/models, within timeout_ms
 * (connecting included; 0: 30 s).  One request, no retry: a cheap check
 * that the provider answers and takes its key.  Returns a new array of id
 * strings, or NULL with *err filled (LLM_ERR_CONFIG without a key it
 * needs, nothing sent; LLM_ERR_AUTH for a refused key).
 */
json_t *llm_list_models(const struct llm_provider *p, long timeout_ms,
    struct llm_error *err);

#endif
