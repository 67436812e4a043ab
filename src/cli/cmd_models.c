/*
 * cmd_models.c — oxios models [--json] [--offline]: the models of every
 * configured provider (its /v1/models, or the built-in catalog), with the
 * default marked.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "llm/models.h"
#include "util/json.h"
#include "util/xalloc.h"

static int cmd_models(int, char **);

const struct cmd_entry cmd_models_entry = {
	.name = "models",
	.usage = "[--json] [--offline]",
	.summary = "List the models of the configured LLM providers.",
	.help =
	    "Asks each configured provider for its models (GET /v1/models) and\n"
	    "falls back to the built-in catalog when it cannot answer;\n"
	    "--offline uses only the catalog.  '*' marks engine.default_model.\n"
	    "Prices are USD per million input/output tokens.\n"
	    "A provider is configured when its key is set (ANTHROPIC_API_KEY,\n"
	    "OPENAI_API_KEY), its base URL is set (OPENAI_BASE_URL for a local\n"
	    "server), or it has a [providers.NAME] table.  See docs/providers.md.\n",
	.words = "--json --offline",
	.exec = cmd_models,
};

static void
cmd_models_add(json_t *out, const char *provider, const char *id,
    const char *def, const char *source)
{
	const struct llm_model_info *m = llm_model_find(provider, id);
	json_t *e;
	char *full;

	xasprintf(&full, "%s/%s", provider, id);
	e = json_pack("{s:s, s:s, s:s, s:b, s:s}", "id", full, "provider",
	    provider, "model", id, "default", strcmp(full, def) == 0, "source",
	    source);
	if (m != NULL) {
		json_object_set_new(e, "context", json_integer(m->context));
		json_object_set_new(e, "max_output",
		    json_integer(m->max_output));
		json_object_set_new(e, "usd_per_mtok_in", json_real(m->in_usd));
		json_object_set_new(e, "usd_per_mtok_out",
		    json_real(m->out_usd));
	}
	json_array_append_new(out, e);
	free(full);
}

static int
cmd_models(int argc, char **argv)
{
	struct config *cfg;
	struct llm_provider *p;
	struct llm_error err;
	json_t *names, *out, *ids, *e, *n;
	const char *def, *name;
	char *cause = NULL;
	size_t i, j;
	int json = 0, offline = 0, any = 0, k;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			json = 1;
		else if (strcmp(argv[k], "--offline") == 0)
			offline = 1;
		else
			return cli_usage(&cmd_models_entry);
	}
	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	def = config_str(cfg, "engine.default_model");
	names = llm_provider_names(cfg);
	out = json_array();
	json_array_foreach(names, i, n) {
		name = json_string_value(n);
		if (!llm_provider_configured(cfg, name))
			continue;
		any = 1;
		if ((p = llm_provider_get(cfg, name, &cause)) == NULL) {
			cli_warn("%s", cause);
			free(cause);
			cause = NULL;
			continue;
		}
		ids = offline ? NULL : llm_list_models(p, 0, &err);
		if (ids != NULL) {
			json_array_foreach(ids, j, e)
				cmd_models_add(out, name, json_string_value(e),
				    def, "provider");
			json_decref(ids);
		} else {
			if (!offline)
				cli_warn("%s; showing the built-in catalog",
				    err.message);
			for (j = 0; j < llm_catalog_len; j++) {
				if (strcmp(llm_catalog[j].provider, name) == 0)
					cmd_models_add(out, name,
					    llm_catalog[j].id, def, "catalog");
			}
		}
		llm_provider_free(p);
	}
	json_decref(names);
	if (!any) {
		cli_error("no LLM provider is configured: export "
			  "ANTHROPIC_API_KEY or OPENAI_API_KEY, set "
			  "OPENAI_BASE_URL (with /v1) for a local "
			  "OpenAI-compatible server, or add [providers.NAME] "
			  "with base_url to config.toml (see "
			  "docs/providers.md)");
		json_decref(out);
		config_free(cfg);
		return EXIT_FAIL;
	}
	if (json)
		oxjson_print(stdout, out, 1);
	else {
		json_array_foreach(out, i, e) {
			printf("%s %-40s",
			    oxjson_bool(e, "default", 0) ? "*" : " ",
			    oxjson_str(e, "id", ""));
			if (json_object_get(e, "context") != NULL)
				printf(" %8lldk ctx  $%g/$%g",
				    (long long)oxjson_int(e, "context", 0) /
					1000,
				    json_real_value(
					json_object_get(e, "usd_per_mtok_in")),
				    json_real_value(json_object_get(e,
					"usd_per_mtok_out")));
			printf("\n");
		}
	}
	json_decref(out);
	config_free(cfg);
	return EXIT_OK;
}
