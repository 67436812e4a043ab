/*
 * fuzz_config.c — config.toml as outside input: parse and check it
 * against the schema.  Invariants: a failure is one line naming the file;
 * a success holds only values of the schema's types, a source for every
 * value, and a tree that dumps to TOML and loads back to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_loaded(struct config *cfg)
{
	const struct config_key *k;
	const char *key;
	json_t *v;

	json_object_foreach(cfg->values, key, v) {
		if ((k = config_schema_find(key)) == NULL)
			abort();
		if (json_object_get(cfg->sources, key) == NULL)
			abort();
		switch (k->type) {
		case CT_STRING:
			if (!json_is_string(v))
				abort();
			break;
		case CT_INT:
			if (!json_is_integer(v))
				abort();
			break;
		case CT_FLOAT:
			if (!json_is_real(v))
				abort();
			break;
		case CT_BOOL:
			if (!json_is_boolean(v))
				abort();
			break;
		case CT_STRINGS:
		case CT_INTS:
			if (!json_is_array(v))
				abort();
			break;
		case CT_STRMAP:
			if (!json_is_object(v))
				abort();
			break;
		}
		if (json_is_number(v) && k->min <= k->max &&
		    (json_number_value(v) < k->min ||
			json_number_value(v) > k->max))
			abort();
	}
}

/* values without the secrets, which config_tree() redacts. */
static json_t *
without_secrets(const json_t *values)
{
	const struct config_key *k;
	json_t *out = json_object(), *v;
	const char *key;

	json_object_foreach((json_t *)values, key, v) {
		k = config_schema_find(key);
		if (!(k->flags & CK_SECRET))
			json_object_set(out, key, v);
	}
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL, *again = NULL;
	char *cause = NULL, *text;
	json_t *tree, *a, *b;

	unsetenv("OXIOS_LOG_LEVEL");
	if (config_load_text("fuzz.toml", (const char *)data, size, &cfg,
		&cause) != 0) {
		if (cfg != NULL || cause == NULL ||
		    strncmp(cause, "fuzz.toml", 9) != 0)
			abort();
		free(cause);
		return 0;
	}
	check_loaded(cfg);
	/* What `config show` prints loads back to the same values. */
	tree = config_tree(cfg);
	text = toml_dump(tree);
	if (config_load_text("dump.toml", text, strlen(text), &again, &cause) !=
	    0)
		abort();
	a = without_secrets(cfg->values);
	b = without_secrets(again->values);
	if (!json_equal(a, b))
		abort();
	json_decref(a);
	json_decref(b);
	free(text);
	json_decref(tree);
	config_free(again);
	config_free(cfg);
	return 0;
}
