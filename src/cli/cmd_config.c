/*
 * cmd_config.c — oxios config show|get|set|list|reset|path|schema (the
 * table at the end).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/home.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/toml.h"
#include "util/xalloc.h"

#define CONFIG_MAX_STDIN 65536

static int
cmd_config_has(int argc, char **argv, const char *flag)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], flag) == 0)
			return 1;
	}
	return 0;
}

/* The arguments of subcommand argv[0], flags (of `flags`) removed: how
 * many, or -1 (a usage error was told). */
static int
cmd_config_args(int argc, char **argv, char **out, int max, const char *flags)
{
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] == '-') {
			if (strstr(flags, argv[i]) == NULL) {
				cli_error("config %s: unknown option '%s'",
				    argv[0], argv[i]);
				return -1;
			}
			continue;
		}
		if (n == max) {
			cli_error("config %s: too many arguments", argv[0]);
			return -1;
		}
		out[n++] = argv[i];
	}
	return n;
}

static int
cmd_config_show(struct config *cfg, int json)
{
	json_t *tree = config_tree(cfg);
	char *text;

	if (json)
		oxjson_print(stdout, tree, 1);
	else {
		text = toml_dump(tree);
		fputs(text, stdout);
		free(text);
	}
	json_decref(tree);
	return EXIT_OK;
}

static int
cmd_config_get(struct config *cfg, const char *key)
{
	const struct config_key *k;
	json_t *v;
	char *text;

	if ((k = config_schema_find(key)) == NULL) {
		if (config_schema_is_table(key))
			cli_error("'%s' is a table; try: oxios config list %s",
			    key, key);
		else
			cli_error("unknown key '%s' (see: oxios config schema)",
			    key);
		return EXIT_FAIL;
	}
	if ((v = config_get(cfg, key)) == NULL) {
		cli_error("%s is not set", key);
		return EXIT_FAIL;
	}
	text = config_show_value(k, v);
	printf("%s\n", text);
	free(text);
	return EXIT_OK;
}

static int
cmd_config_prefix_ok(const char *key, const char *prefix)
{
	size_t n;

	if (prefix == NULL)
		return 1;
	n = strlen(prefix);
	return strncmp(key, prefix, n) == 0 &&
	    (key[n] == '\0' || key[n] == '.');
}

static int
cmd_config_list(struct config *cfg, const char *prefix, int json)
{
	const struct config_key *k;
	const char *key;
	json_t *v, *arr = json_array();
	char *text;
	int found = 0;

	json_object_foreach(cfg->values, key, v) {
		if (!cmd_config_prefix_ok(key, prefix))
			continue;
		found = 1;
		k = config_schema_find(key);
		text = config_show_value(k, v);
		if (json)
			json_array_append_new(arr,
			    json_pack("{s:s, s:o, s:s, s:O}", "key", key,
				"value",
				k != NULL && (k->flags & CK_SECRET) ?
				    json_string(CONFIG_REDACTED) :
				    json_incref(v),
				"type",
				config_type_name(
				    k != NULL ? k->type : CT_STRING),
				"source", json_object_get(cfg->sources, key)));
		else
			printf("%s = %s  (%s)\n", key, text,
			    json_string_value(
				json_object_get(cfg->sources, key)));
		free(text);
	}
	if (json)
		oxjson_print(stdout, arr, 1);
	json_decref(arr);
	if (!found && !json && prefix != NULL) {
		cli_error("no keys under '%s'", prefix);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static char *
cmd_config_stdin(void)
{
	struct buf b;
	char chunk[4096];
	size_t n;

	buf_init(&b, CONFIG_MAX_STDIN);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		if (buf_add(&b, chunk, n) != 0) {
			buf_free(&b);
			return NULL;
		}
	}
	while (b.len > 0 &&
	    (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	return buf_detach(&b);
}

/*
 * A change recorded (cli_audit()) and then not made: tell `cause`, and
 * record that it failed, so that the log does not claim it.
 */
static void
cmd_config_failed(const char *key, const char *cause)
{
	cli_error("%s", cause);
	(void)cli_audit(AUDIT_CONFIG_CHANGE, key,
	    json_pack("{s:s, s:s, s:s}", "key", key, "failed", cause, "via",
		"cli"));
}

static int
cmd_config_set(const char *path, const char *key, const char *value)
{
	const struct config_key *k;
	char *input, *cause = NULL;
	int rc = EXIT_OK;

	if (strcmp(value, "-") == 0) {
		if ((input = cmd_config_stdin()) == NULL) {
			cli_error("value on stdin is larger than %d bytes",
			    CONFIG_MAX_STDIN);
			return EXIT_FAIL;
		}
	} else
		input = xstrdup(value);
	/* Recorded first: a file cannot share the log's transaction. */
	k = config_schema_find(key);
	if (cli_audit(AUDIT_CONFIG_CHANGE, key,
		json_pack("{s:s, s:s, s:s}", "key", key, "value",
		    k != NULL && (k->flags & CK_SECRET) ? "<redacted>" : input,
		    "via", "cli")) != 0) {
		xfree_secret(input);
		return EXIT_FAIL;
	}
	if (config_set(path, key, input, &cause) != 0) {
		cmd_config_failed(key, cause);
		xfree_secret(input);
		free(cause);
		return EXIT_FAIL;
	}
	if (k != NULL && (k->flags & CK_SECRET)) {
		printf("%s set in %s (mode 0600)\n", key, path);
		if (k->env != NULL)
			printf("note: %s in the environment overrides it\n",
			    k->env);
	} else
		printf("%s = %s\n", key, input);
	if (k != NULL && (k->flags & CK_PLANNED))
		cli_warn("%s " CONFIG_PLANNED_NOTE, key);
	xfree_secret(input);
	free(cause);
	return rc;
}

static int
cmd_config_reset(const char *path, const char *key)
{
	char *cause = NULL, *backup = NULL;

	if (key != NULL) {
		if (cli_audit(AUDIT_CONFIG_CHANGE, key,
			json_pack("{s:s, s:n, s:s}", "key", key, "value", "via",
			    "cli")) != 0)
			return EXIT_FAIL;
		if (config_unset(path, key, &cause) != 0) {
			cmd_config_failed(key, cause);
			free(cause);
			return EXIT_FAIL;
		}
		printf("%s reset to its default\n", key);
		return EXIT_OK;
	}
	if (cli_audit(AUDIT_CONFIG_CHANGE, "*",
		json_pack("{s:s, s:s}", "reset", "all keys", "via", "cli")) !=
	    0)
		return EXIT_FAIL;
	if (config_reset(path, &backup, &cause) != 0) {
		cmd_config_failed("*", cause);
		free(cause);
		return EXIT_FAIL;
	}
	printf("%s reset to defaults", path);
	if (backup != NULL)
		printf(" (previous file kept as %s)", backup);
	printf("\n");
	free(backup);
	return EXIT_OK;
}

static int
cmd_config_schema(int markdown, int keys, int json)
{
	const struct config_key *k;
	json_t *arr = NULL;
	const char *fmt;
	size_t i;

	if (json)
		arr = json_array();
	else if (markdown)
		printf("| Key | Type | Default | Environment | Meaning |\n"
		       "|---|---|---|---|---|\n");
	for (i = 0; i < config_schema_len; i++) {
		k = &config_schema[i];
		if (json)
			json_array_append_new(arr, config_key_json(k));
		else if (keys) {
			if (strchr(k->key, '*') == NULL)
				printf("%s\n", k->key);
		} else if (markdown) {
			printf("| `%s` | %s%s%s | %s%s%s | %s%s%s | %s%s",
			    k->key, config_type_name(k->type),
			    k->flags & CK_SECRET ? ", secret" : "", "",
			    k->def != NULL ? "`" : "",
			    k->def != NULL ? k->def : "(unset)",
			    k->def != NULL ? "`" : "",
			    k->env != NULL ? "`" : "",
			    k->env != NULL ? k->env : "",
			    k->env != NULL ? "`" : "",
			    k->flags & CK_PLANNED ?
				"**Not yet enforced** (planned): " :
				"",
			    k->doc);
			if (k->choices != NULL)
				printf(" (one of: %s)", k->choices);
			if (k->min <= k->max)
				printf(" (%.15g to %.15g)", k->min, k->max);
			if ((fmt = config_format_doc(CK_FORMAT_OF(k->flags))) !=
			    NULL)
				printf(" (%s)", fmt);
			printf(" |\n");
		} else {
			printf("%s (%s%s) = %s\n    %s\n", k->key,
			    config_type_name(k->type),
			    k->flags & CK_SECRET ? ", secret" : "",
			    k->def != NULL ? k->def : "(unset)", k->doc);
			if ((fmt = config_format_doc(CK_FORMAT_OF(k->flags))) !=
			    NULL)
				printf("    format: %s\n", fmt);
			if (k->env != NULL)
				printf("    environment: %s\n", k->env);
			if (k->flags & CK_PLANNED)
				printf(
				    "    not yet enforced (planned): setting "
				    "it has no effect\n");
		}
	}
	if (json) {
		oxjson_print(stdout, arr, 1);
		json_decref(arr);
	}
	return EXIT_OK;
}

/* show, get, list: they read the configuration as loaded. */
static int
cmd_config_read(int argc, char **argv)
{
	struct config *cfg;
	char *args[1];
	int n, rc = EXIT_USAGE, json = cmd_config_has(argc, argv, "--json");

	if (strcmp(argv[0], "get") == 0) {
		if ((n = cmd_config_args(argc, argv, args, 1, "")) < 0)
			return EXIT_USAGE;
		if (n == 0)
			return cli_sub_usage(&cmd_config_entry, argv[0]);
	} else if ((n = cmd_config_args(argc, argv, args,
			strcmp(argv[0], "list") == 0 ? 1 : 0, "--json")) < 0)
		return EXIT_USAGE;
	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	if (strcmp(argv[0], "show") == 0)
		rc = cmd_config_show(cfg, json);
	else if (strcmp(argv[0], "get") == 0)
		rc = cmd_config_get(cfg, args[0]);
	else
		rc = cmd_config_list(cfg, n == 1 ? args[0] : NULL, json);
	config_free(cfg);
	return rc;
}

/* set, reset, unset: they edit the file, even a broken one (to mend
 * it). */
static int
cmd_config_edit(int argc, char **argv)
{
	char *path, *cause = NULL, *args[2];
	const char *sub = argv[0];
	int n, rc;

	if ((n = cmd_config_args(argc, argv, args, 2, "")) < 0)
		return EXIT_USAGE;
	if ((strcmp(sub, "set") == 0 && n != 2) ||
	    (strcmp(sub, "unset") == 0 && n != 1) ||
	    (strcmp(sub, "reset") == 0 && n > 1))
		return cli_sub_usage(&cmd_config_entry, sub);
	if (home_ensure(&cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	path = home_path("config.toml");
	if (strcmp(sub, "set") == 0)
		rc = cmd_config_set(path, args[0], args[1]);
	else
		rc = cmd_config_reset(path, n == 1 ? args[0] : NULL);
	free(path);
	return rc;
}

static int
cmd_config_path(int argc, char **argv)
{
	char *path;

	if (argc != 1)
		return cli_sub_usage(&cmd_config_entry, argv[0]);
	path = home_path("config.toml");
	printf("%s\n", path);
	free(path);
	return EXIT_OK;
}

static int
cmd_config_schema_cmd(int argc, char **argv)
{
	if (cmd_config_args(argc, argv, NULL, 0, "--markdown --keys --json") <
	    0)
		return EXIT_USAGE;
	return cmd_config_schema(cmd_config_has(argc, argv, "--markdown"),
	    cmd_config_has(argc, argv, "--keys"),
	    cmd_config_has(argc, argv, "--json"));
}

static const struct cmd_sub cmd_config_subs[] = {
	{
	    .name = "show",
	    .usage = "[--json]",
	    .summary = "the effective configuration, as TOML",
	    .exec = cmd_config_read,
	},
	{
	    .name = "get",
	    .usage = "KEY",
	    .summary = "one value (strings without quotes)",
	    .complete = "config schema --keys",
	    .exec = cmd_config_read,
	},
	{
	    .name = "set",
	    .usage = "KEY VALUE",
	    .summary = "change a value in config.toml, keeping its comments; "
		       "VALUE - reads stdin",
	    .complete = "config schema --keys",
	    .exec = cmd_config_edit,
	},
	{
	    .name = "list",
	    .usage = "[PREFIX] [--json]",
	    .summary = "every key with its value and source",
	    .exec = cmd_config_read,
	},
	{
	    .name = "reset",
	    .usage = "[KEY]",
	    .summary = "one key back to its default, or the whole file (the "
		       "old one is kept as config.toml.bak)",
	    .complete = "config schema --keys",
	    .exec = cmd_config_edit,
	},
	{
	    .name = "path",
	    .usage = "",
	    .summary = "where config.toml is",
	    .exec = cmd_config_path,
	},
	{
	    .name = "schema",
	    .usage = "[--markdown|--keys|--json]",
	    .summary = "every key: type, default, meaning",
	    .exec = cmd_config_schema_cmd,
	},
	{
	    .name = "unset",
	    .usage = "KEY",
	    .summary = "the same as reset KEY",
	    .flags = CMD_HIDDEN,
	    .exec = cmd_config_edit,
	},
	{ .name = NULL },
};

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.summary =
	    "Show or change the configuration ($OXIOS_HOME/config.toml).",
	.help =
	    "Values are checked before anything is written: `set gateway.port\n"
	    "http` fails and leaves the file as it was.  Lists take TOML\n"
	    "(['a', 'b']) or a comma-separated string (a,b).  Secrets (API\n"
	    "keys, tokens) are never shown; prefer the environment for them.\n"
	    "Keys the schema marks \"not yet enforced\" are accepted but have\n"
	    "no effect in this version; setting one is a warning.\n",
	.words = "--json --markdown --keys",
	.subs = cmd_config_subs,
};
