/* test_config.c — schema, loading, validation, environment, editing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#include "config/config.h"
#include "util/file.h"
#include "util/xalloc.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
	(void)state;
	if (tmpdir_make(dir, sizeof dir, "config") != 0)
		return -1;
	snprintf(path, sizeof path, "%s/config.toml", dir);
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("OPENAI_BASE_URL");
	unsetenv("OXIOS_LOG_LEVEL");
	unsetenv("TELEGRAM_BOT_TOKEN");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	return 0;
}

static void
write_file(const char *text)
{
	char *cause = NULL;

	assert_int_equal(file_write_atomic(path, text, strlen(text), 0600,
			     &cause),
	    0);
}

static char *
read_back(void)
{
	char *data, *cause = NULL;
	size_t len;

	assert_int_equal(file_read(path, 1 << 20, &data, &len, &cause), 0);
	return data;
}

/* Load text; on failure the cause, else NULL (cfg in *out). */
static char *
load(const char *text, struct config **out)
{
	char *cause = NULL;

	if (config_load_text("c.toml", text, strlen(text), out, &cause) != 0)
		return cause;
	return NULL;
}

static void
test_schema_sane(void **state)
{
	const struct config_key *k;
	struct config *cfg;
	char *cause = NULL;
	size_t i, j;

	(void)state;
	for (i = 0; i < config_schema_len; i++) {
		k = &config_schema[i];
		assert_non_null(k->doc);
		assert_non_null(strchr(k->key, '.'));
		for (j = i + 1; j < config_schema_len; j++) {
			if (strcmp(k->key, config_schema[j].key) == 0)
				fail_msg("duplicate key %s", k->key);
		}
		assert_ptr_equal(config_schema_find(k->key), k);
	}
	/* Every default parses, has its type and is in range. */
	assert_int_equal(config_load_text("none", NULL, 0, &cfg, &cause), 0);
	for (i = 0; i < config_schema_len; i++) {
		k = &config_schema[i];
		if (k->def == NULL || strchr(k->key, '*') != NULL)
			continue;
		assert_non_null(config_get(cfg, k->key));
	}
	assert_int_equal(config_int(cfg, "gateway.port"), 4200);
	assert_string_equal(config_str(cfg, "gateway.host"), "127.0.0.1");
	assert_string_equal(config_str(cfg, "engine.default_model"),
	    "anthropic/claude-sonnet-4-5");
	assert_null(config_get(cfg, "providers.anthropic.api_key"));
	assert_false(cfg->exists);
	config_free(cfg);

	/* The template is every default, commented: it loads as defaults. */
	{
		char *t = config_template();

		assert_null(load(t, &cfg));
		assert_int_equal(json_array_size(cfg->warnings), 0);
		assert_int_equal(config_int(cfg, "kernel.max_agents"), 8);
		assert_non_null(strstr(t, "# port = 4200"));
		/* Keys not yet enforced say so; the others do not. */
		assert_non_null(strstr(t,
		    "# Not yet enforced (planned): "
		    "Time zone of cron"));
		assert_null(strstr(t, "# Not yet enforced (planned): Port"));
		config_free(cfg);
		free(t);
	}
}

static void
test_load_values_and_sources(void **state)
{
	struct config *cfg;

	(void)state;
	assert_null(load("[gateway]\nport = 4300\n"
			 "[engine]\ntemperature = 1\n"
			 "[exec]\nallowlist = [\"ls\"]\n",
	    &cfg));
	assert_true(cfg->exists);
	assert_int_equal(config_int(cfg, "gateway.port"), 4300);
	assert_string_equal(json_string_value(
				json_object_get(cfg->sources, "gateway.port")),
	    "file");
	assert_string_equal(json_string_value(
				json_object_get(cfg->sources, "gateway.host")),
	    "default");
	/* An integer for a float key is kept as a float. */
	assert_true(json_is_real(config_get(cfg, "engine.temperature")));
	assert_true(config_float(cfg, "engine.temperature") == 1.0);
	assert_int_equal(json_array_size(config_get(cfg, "exec.allowlist")), 1);
	config_free(cfg);
}

static void
test_errors_have_location(void **state)
{
	struct config *cfg = NULL;
	char *cause;

	(void)state;
	cause = load("[gateway]\nport = \"http\"\n", &cfg);
	assert_non_null(cause);
	assert_null(cfg);
	assert_string_equal(cause,
	    "c.toml:2:1: gateway.port: expected integer, got string");
	free(cause);

	cause = load("\n\n[gateway]\n  port = 70000\n", &cfg);
	assert_non_null(cause);
	assert_non_null(strstr(cause,
	    "c.toml:4:3: gateway.port: 70000 is out "
	    "of range 1..65535"));
	free(cause);

	cause = load("[logging]\nlevel = \"loud\"\n", &cfg);
	assert_non_null(strstr(cause,
	    "c.toml:2:1: logging.level: \"loud\" is "
	    "not one of"));
	free(cause);

	cause = load("gateway = 5\n", &cfg);
	assert_non_null(strstr(cause,
	    "c.toml:1:1: gateway: expected a table, "
	    "got integer"));
	free(cause);

	cause = load("[exec]\nallowlist = [\"ls\", 3]\n", &cfg);
	assert_non_null(strstr(cause, "expected array of strings"));
	free(cause);

	/* Bad TOML: the parser's position. */
	cause = load("[gateway]\nport = = 1\n", &cfg);
	assert_non_null(cause);
	assert_true(strncmp(cause, "c.toml:2:", 9) == 0);
	free(cause);
}

static void
test_unknown_keys_warn(void **state)
{
	struct config *cfg;
	const char *w;

	(void)state;
	assert_null(load("[gateway]\nprot = 1\n[nonsense]\nx = 1\n", &cfg));
	assert_int_equal(json_array_size(cfg->warnings), 2);
	w = json_string_value(json_array_get(cfg->warnings, 0));
	assert_string_equal(w,
	    "c.toml:2:1: unknown key 'gateway.prot' "
	    "(ignored)");
	assert_int_equal(config_int(cfg, "gateway.port"), 4200);
	config_free(cfg);
}

static void
test_wildcards(void **state)
{
	struct config *cfg;
	json_t *tree;

	(void)state;
	assert_null(
	    load("[mcp.servers.fs]\ncommand = \"mcp-fs\"\n"
		 "[mcp.servers.\"my.srv\"]\nurl = \"http://x\"\n"
		 "[providers.local]\nbase_url = \"http://127.0.0.1:1/v1\"\n",
		&cfg));
	/* mcp.servers.* is planned: one warning per key set, none for
	 * providers.local or for the defaults filled in. */
	assert_int_equal(json_array_size(cfg->warnings), 2);
	assert_string_equal(json_string_value(json_array_get(cfg->warnings, 0)),
	    "c.toml:2:1: mcp.servers.fs.command " CONFIG_PLANNED_NOTE);
	assert_string_equal(json_string_value(json_array_get(cfg->warnings, 1)),
	    "c.toml:4:1: mcp.servers.\"my.srv\".url " CONFIG_PLANNED_NOTE);
	assert_string_equal(config_str(cfg, "mcp.servers.fs.command"),
	    "mcp-fs");
	/* Defaults of wildcard keys fill each instance. */
	assert_true(config_bool(cfg, "mcp.servers.fs.enabled"));
	assert_true(config_bool(cfg, "mcp.servers.\"my.srv\".enabled"));
	assert_string_equal(config_str(cfg, "providers.local.kind"), "openai");
	/* ...but not instances the schema names itself. */
	assert_null(config_get(cfg, "providers.anthropic.kind"));
	/* The tree splits quoted segments correctly. */
	tree = config_tree(cfg);
	assert_non_null(
	    json_object_get(json_object_get(json_object_get(tree, "mcp"),
				"servers"),
		"my.srv"));
	json_decref(tree);
	config_free(cfg);
}

static void
test_planned_keys_warn(void **state)
{
	const char *w;
	struct config *cfg;
	char *cause;
	size_t i, n = 0;

	(void)state;
	/* The flag sits where docs/config.md says: never on a key in use. */
	for (i = 0; i < config_schema_len; i++) {
		if (config_schema[i].flags & CK_PLANNED)
			n++;
	}
	assert_true(n > 0);
	assert_true(config_schema_find("cron.timezone")->flags & CK_PLANNED);
	assert_false(
	    config_schema_find("security.approval")->flags & CK_PLANNED);
	assert_false(
	    config_schema_find("ouroboros.ambiguity_threshold")->flags &
	    CK_PLANNED);
	assert_false(
	    config_schema_find("budget.daily_usd")->flags & CK_PLANNED);
	assert_false(config_schema_find("gateway.port")->flags & CK_PLANNED);
	assert_false(
	    config_schema_find("kernel.max_agent_depth")->flags & CK_PLANNED);

	/* Set in the file: file:line:col, the key, "not yet enforced". */
	assert_null(load("[gateway]\nport = 4300\n\n[cron]\n"
			 "timezone = \"UTC\"\n",
	    &cfg));
	assert_int_equal(json_array_size(cfg->warnings), 1);
	w = json_string_value(json_array_get(cfg->warnings, 0));
	assert_string_equal(w,
	    "c.toml:5:1: cron.timezone is not yet "
	    "enforced by this "
	    "version of Oxios (planned); it has no effect");
	/* Accepted all the same, and checked like any key. */
	assert_string_equal(config_str(cfg, "cron.timezone"), "UTC");
	config_free(cfg);
	cause = load("[security]\napproval = \"sometimes\"\n", &cfg);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "c.toml:2:1: security.approval"));
	free(cause);

	/* A deprecated alias: read as its new key, with one warning. */
	assert_null(load("[orchestrator]\nambiguity_threshold = 0.5\n", &cfg));
	assert_int_equal(json_array_size(cfg->warnings), 1);
	assert_string_equal(json_string_value(json_array_get(cfg->warnings, 0)),
	    "orchestrator.ambiguity_threshold is deprecated: use "
	    "ouroboros.ambiguity_threshold");
	assert_true(config_float(cfg, "ouroboros.ambiguity_threshold") == 0.5);
	config_free(cfg);
	/* ... unless the new key is set: it wins. */
	assert_null(load("[orchestrator]\nambiguity_threshold = 0.5\n"
			 "[ouroboros]\nambiguity_threshold = 0.3\n",
	    &cfg));
	assert_true(config_float(cfg, "ouroboros.ambiguity_threshold") == 0.3);
	assert_int_equal(json_array_size(cfg->warnings), 1);
	config_free(cfg);
	cause = load("[orchestrator]\nambiguity_threshold = -1\n", &cfg);
	assert_non_null(cause);
	assert_non_null(
	    strstr(cause, "c.toml:2:1: orchestrator.ambiguity_threshold: -1"));
	free(cause);

	/* Ordinary keys, and planned keys left at their defaults: silent. */
	assert_null(
	    load("[gateway]\nport = 4300\n[exec]\nallow_shell = true\n", &cfg));
	assert_int_equal(json_array_size(cfg->warnings), 0);
	assert_true(config_bool(cfg, "cron.enabled"));
	config_free(cfg);

	/* Inline tables and dotted keys have their line too. */
	assert_null(load("channels.telegram.enabled = true\n"
			 "cron = { timezone = \"UTC\" }\n",
	    &cfg));
	assert_int_equal(json_array_size(cfg->warnings), 2);
	assert_non_null(
	    strstr(json_string_value(json_array_get(cfg->warnings, 0)),
		"c.toml:1:"));
	assert_non_null(
	    strstr(json_string_value(json_array_get(cfg->warnings, 0)),
		"channels.telegram.enabled " CONFIG_PLANNED_NOTE));
	assert_non_null(
	    strstr(json_string_value(json_array_get(cfg->warnings, 1)),
		"cron.timezone " CONFIG_PLANNED_NOTE));
	config_free(cfg);

	/* Through the environment: named by its variable, never its value. */
	setenv("TELEGRAM_BOT_TOKEN", "123:tg-secret", 1);
	assert_null(load("", &cfg));
	assert_int_equal(json_array_size(cfg->warnings), 1);
	w = json_string_value(json_array_get(cfg->warnings, 0));
	assert_string_equal(w,
	    "environment variable TELEGRAM_BOT_TOKEN: "
	    "channels.telegram.bot_token is not yet enforced by this version "
	    "of Oxios (planned); it has no effect");
	config_free(cfg);

	/* In the file and the environment: still one warning. */
	assert_null(
	    load("[channels.telegram]\nbot_token = \"456:file\"\n", &cfg));
	assert_int_equal(json_array_size(cfg->warnings), 1);
	assert_non_null(
	    strstr(json_string_value(json_array_get(cfg->warnings, 0)),
		"c.toml:2:1: channels.telegram.bot_token is not yet enforced"));
	assert_null(
	    strstr(json_string_value(json_array_get(cfg->warnings, 0)), "456"));
	config_free(cfg);
	unsetenv("TELEGRAM_BOT_TOKEN");
}

static void
test_env_and_secrets(void **state)
{
	struct config *cfg;
	json_t *tree;
	char *cause, *shown;

	(void)state;
	setenv("ANTHROPIC_API_KEY", "sk-ant-secret-123", 1);
	setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", 1);
	assert_null(
	    load("[providers.openai]\nbase_url = \"http://file\"\n", &cfg));
	assert_string_equal(config_str(cfg, "providers.anthropic.api_key"),
	    "sk-ant-secret-123");
	assert_string_equal(json_string_value(json_object_get(cfg->sources,
				"providers.anthropic.api_key")),
	    "env:ANTHROPIC_API_KEY");
	/* The environment wins over the file. */
	assert_string_equal(config_str(cfg, "providers.openai.base_url"),
	    "http://127.0.0.1:9/v1");
	shown =
	    config_show_value(config_schema_find("providers.anthropic.api_key"),
		config_get(cfg, "providers.anthropic.api_key"));
	assert_string_equal(shown, CONFIG_REDACTED);
	free(shown);
	tree = config_tree(cfg);
	shown = json_dumps(tree, 0);
	assert_null(strstr(shown, "sk-ant"));
	assert_non_null(strstr(shown, CONFIG_REDACTED));
	free(shown);
	json_decref(tree);
	config_free(cfg);

	setenv("OXIOS_LOG_LEVEL", "loud", 1);
	cause = load("", &cfg);
	assert_non_null(strstr(cause, "environment variable OXIOS_LOG_LEVEL"));
	free(cause);
	unsetenv("OXIOS_LOG_LEVEL");
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("OPENAI_BASE_URL");
}

static void
test_parse_input(void **state)
{
	const struct config_key *k;
	char *cause = NULL;
	json_t *v;

	(void)state;
	k = config_schema_find("gateway.port");
	v = config_parse_input(k, "gateway.port", "4300", &cause);
	assert_int_equal(json_integer_value(v), 4300);
	json_decref(v);
	assert_null(config_parse_input(k, "gateway.port", "http", &cause));
	assert_string_equal(cause,
	    "gateway.port: expected integer, got 'http'");
	free(cause);
	assert_null(config_parse_input(k, "gateway.port", "0", &cause));
	free(cause);
	/* No injection of further keys through a value. */
	assert_null(config_parse_input(k, "gateway.port", "1\nx = 2", &cause));
	free(cause);

	k = config_schema_find("exec.allowlist");
	v = config_parse_input(k, "exec.allowlist", "ls, cat ,git", &cause);
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(json_string_value(json_array_get(v, 1)), "cat");
	json_decref(v);
	v = config_parse_input(k, "exec.allowlist", "['a', \"b\"]", &cause);
	assert_int_equal(json_array_size(v), 2);
	json_decref(v);

	k = config_schema_find("engine.default_model");
	v = config_parse_input(k, "engine.default_model", "openai/gpt-4.1",
	    &cause);
	assert_string_equal(json_string_value(v), "openai/gpt-4.1");
	json_decref(v);

	k = config_schema_find("exec.allow_shell");
	assert_null(config_parse_input(k, "exec.allow_shell", "yes", &cause));
	free(cause);
}

static void
test_set_keeps_comments(void **state)
{
	char *cause = NULL, *text;
	struct config *cfg;

	(void)state;
	write_file("# my config\n"
		   "[gateway]\n"
		   "# the port\n"
		   "port = 4200 # trailing\n"
		   "\n"
		   "[engine]\n"
		   "default_model = \"anthropic/x\"\n");
	/* Replace an existing value in place. */
	assert_int_equal(config_set(path, "gateway.port", "4300", &cause), 0);
	text = read_back();
	assert_non_null(strstr(text,
	    "# my config\n[gateway]\n# the port\n"
	    "port = 4300 # trailing\n"));
	free(text);
	/* Add a key to an existing section. */
	assert_int_equal(config_set(path, "gateway.host", "0.0.0.0", &cause),
	    0);
	text = read_back();
	assert_non_null(strstr(text,
	    "port = 4300 # trailing\nhost = "
	    "\"0.0.0.0\"\n"));
	assert_non_null(
	    strstr(text, "[engine]\ndefault_model = \"anthropic/x\""));
	free(text);
	/* A new section at the end. */
	assert_int_equal(config_set(path, "mcp.servers.fs.command", "mcp-fs",
			     &cause),
	    0);
	assert_int_equal(config_set(path, "exec.allowlist", "ls,git", &cause),
	    0);
	text = read_back();
	assert_non_null(
	    strstr(text, "[mcp.servers.fs]\ncommand = \"mcp-fs\"\n"));
	assert_non_null(
	    strstr(text, "[exec]\nallowlist = [\"ls\", \"git\"]\n"));
	free(text);
	assert_int_equal(config_load(path, &cfg, &cause), 0);
	assert_int_equal(config_int(cfg, "gateway.port"), 4300);
	assert_string_equal(config_str(cfg, "gateway.host"), "0.0.0.0");
	config_free(cfg);
}

static void
test_set_refuses_bad_values(void **state)
{
	char *cause = NULL, *before, *after;

	(void)state;
	write_file("[gateway]\nport = 4200\n");
	before = read_back();
	assert_int_equal(config_set(path, "gateway.port", "http", &cause), -1);
	assert_non_null(strstr(cause, "expected integer"));
	free(cause);
	assert_int_equal(config_set(path, "gateway.nope", "1", &cause), -1);
	assert_non_null(strstr(cause, "unknown key 'gateway.nope'"));
	free(cause);
	assert_int_equal(config_set(path, "logging.level", "loud", &cause), -1);
	free(cause);
	after = read_back();
	assert_string_equal(before, after);
	free(after);
	free(before);

	/* A file that does not parse is not edited blindly. */
	write_file("[gateway\nport = 1\n");
	assert_int_equal(config_set(path, "gateway.port", "2", &cause), -1);
	assert_non_null(strstr(cause, "config.toml:1:"));
	free(cause);
}

static void
test_set_creates_file(void **state)
{
	char *cause = NULL, *text;
	struct stat st;

	(void)state;
	unlink(path);
	assert_int_equal(config_set(path, "kernel.max_agents", "4", &cause), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = read_back();
	assert_non_null(strstr(text, "# Oxios configuration"));
	assert_non_null(strstr(text, "[kernel]\nmax_agents = 4\n"));
	free(text);
}

static void
test_unset_and_reset(void **state)
{
	char *cause = NULL, *text, *backup = NULL;
	struct config *cfg;

	(void)state;
	write_file("[gateway]\nport = 4300 # mine\nhost = \"::1\"\n");
	assert_int_equal(config_unset(path, "gateway.port", &cause), 0);
	text = read_back();
	assert_string_equal(text, "[gateway]\nhost = \"::1\"\n");
	free(text);
	/* Unsetting what is not there is fine. */
	assert_int_equal(config_unset(path, "gateway.port", &cause), 0);
	assert_int_equal(config_unset(path, "gateway.zzz", &cause), -1);
	free(cause);

	/* A byte-order mark before the first key. */
	write_file("\xef\xbb\xbfgateway.port = 4300\ngateway.host = \"::1\"\n");
	assert_int_equal(config_unset(path, "gateway.port", &cause), 0);
	text = read_back();
	assert_string_equal(text, "\xef\xbb\xbfgateway.host = \"::1\"\n");
	free(text);

	write_file("gateway = { port = 1, host = \"x\" }\n");
	assert_int_equal(config_unset(path, "gateway.port", &cause), -1);
	assert_non_null(strstr(cause, "by hand"));
	free(cause);

	assert_int_equal(config_reset(path, &backup, &cause), 0);
	assert_non_null(backup);
	assert_int_equal(access(backup, F_OK), 0);
	free(backup);
	assert_int_equal(config_load(path, &cfg, &cause), 0);
	assert_int_equal(config_int(cfg, "gateway.port"), 4200);
	config_free(cfg);
}

/* Values that would make a later run fail are refused at load, with the
 * key's place; their neighbours that work are accepted. */
static void
test_formats_checked_at_load(void **state)
{
	static const struct {
		const char *text, *want; /* want NULL: accepted */
	} cases[] = {
		{ "[exec]\nallowlist = [\"ls\", \"/bin/sh\"]\n",
		    "c.toml:2:1: exec.allowlist: '/bin/sh' is not a program" },
		{ "[exec]\nallowlist = [\"\"]\n", "'' is not a program" },
		{ "[exec]\nallowlist = [\"..\"]\n", "'..' is not a program" },
		{ "[exec]\nallowlist = [\"sh\", \"git\"]\n", NULL },
		{ "[exec]\nallowlist = []\n", NULL },
		{ "[kernel]\nworkspace = \"ws\"\n",
		    "c.toml:2:1: kernel.workspace: 'ws' is not an absolute" },
		{ "[kernel]\nworkspace = \"/a/..\"\n", "cannot be /" },
		{ "[kernel]\nworkspace = \"a\\u0000b\"\n", "NUL" },
		{ "[kernel]\nworkspace = \"/srv/ws\"\n", NULL },
		{ "[kernel]\nworkspace = \"\"\n", NULL },
		{ "[engine]\ndefault_model = \"gpt\"\n",
		    "c.toml:2:1: engine.default_model: 'gpt' is not "
		    "provider/model" },
		{ "[engine]\ndefault_model = \"openai/\"\n",
		    "not provider/model" },
		{ "[engine]\ndefault_model = \"local/q\"\n",
		    "c.toml:2:1: engine.default_model: 'local/q' names no "
		    "provider 'local'" },
		{ "[engine]\ndefault_model = \"local/q\"\n[providers.local]\n"
		  "base_url = \"http://127.0.0.1:1/v1\"\n",
		    NULL },
		{ "[providers.local]\nkind = \"openai\"\n",
		    "c.toml:1:1: providers.local: a provider needs a base_url" },
		{ "[providers.local]\nbase_url = \"127.0.0.1:1\"\n",
		    "is not an http:// or https:// URL" },
		{ "[providers.local]\nbase_url = \"http://\"\n",
		    "not an http" },
		{ "[providers.local]\nbase_url = \"http://h:99999\"\n",
		    "not an http" },
		{ "[providers.local]\nbase_url = \"http://h x/\"\n",
		    "not an http" },
		{ "[providers.local]\nbase_url = \"HTTPS://[::1]:8/v1\"\n",
		    NULL },
		{ "[providers.local]\nbase_url = \"http://h\"\n"
		  "api_key_env = \"MY-KEY\"\n",
		    "c.toml:3:1: providers.local.api_key_env: 'MY-KEY' is not" },
		{ "[providers.local]\nbase_url = \"http://h\"\n"
		  "api_key = \"a\\nb\"\n",
		    "c.toml:3:1: providers.local.api_key: holds a space" },
		{ "[providers.openai]\napi_key = \"sk key\"\n",
		    "holds a space" },
		{ "[gateway]\nhost = \"\"\n", "'' is not a host name" },
		{ "[gateway]\nhost = \"a..b\"\n", "'a..b' is not a host name" },
		{ "[gateway]\nhost = \"::1\"\n", NULL },
		{ "[gateway]\nhost = \"localhost\"\n", NULL },
		{ "[gateway]\nhost = \"0.0.0.0\"\n", NULL },
		{ "[gateway]\ncors_origins = [\"http://x:3000/\"]\n",
		    "c.toml:2:1: gateway.cors_origins: 'http://x:3000/' is not "
		    "an origin" },
		{ "[gateway]\ncors_origins = [\"*\", \"http://x:3000\"]\n",
		    NULL },
		{ "[memory]\nembedder = \"api\"\n",
		    "c.toml:2:1: memory.embedder = \"api\" needs" },
		{ "[memory]\nembedder = \"api\"\nembedding_url = \"http://h\"\n"
		  "embedding_model = \"\"\n",
		    "c.toml:4:1: memory.embedding_model: '' is not a name" },
		{ "[memory]\nembedder = \"api\"\nembedding_url = \"http://h\"\n"
		  "embedding_model = \"m\"\n",
		    NULL },
	};
	struct config *cfg;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cfg = NULL;
		cause = load(cases[i].text, &cfg);
		if (cases[i].want == NULL) {
			if (cause != NULL)
				fail_msg("case %zu refused: %s", i, cause);
			config_free(cfg);
			continue;
		}
		if (cause == NULL || strstr(cause, cases[i].want) == NULL)
			fail_msg("case %zu: want '%s', got '%s'", i,
			    cases[i].want, cause != NULL ? cause : "(loaded)");
		assert_null(cfg);
		free(cause);
	}

	/* The environment is held to the same rules. */
	setenv("OPENAI_BASE_URL", "api.openai.com", 1);
	cause = load("", &cfg);
	assert_non_null(cause);
	assert_non_null(strstr(cause,
	    "environment variable OPENAI_BASE_URL: providers.openai.base_url"));
	free(cause);
	unsetenv("OPENAI_BASE_URL");
}

/* config set refuses what the load would, and leaves the file alone. */
static void
test_set_refuses_what_load_refuses(void **state)
{
	char *cause = NULL, *before, *after;

	(void)state;
	write_file("[exec]\nallow_shell = false\n");
	before = read_back();
	assert_int_equal(config_set(path, "exec.allowlist", "ls,/bin/sh",
			     &cause),
	    -1);
	assert_non_null(strstr(cause, "'/bin/sh' is not a program name"));
	free(cause);
	assert_int_equal(config_set(path, "kernel.workspace", "ws", &cause),
	    -1);
	free(cause);
	assert_int_equal(config_set(path, "memory.embedder", "api", &cause),
	    -1);
	assert_non_null(strstr(cause, "config.toml:5:1: memory.embedder"));
	assert_non_null(strstr(cause, "is left as it was"));
	free(cause);
	after = read_back();
	assert_string_equal(before, after);
	free(after);
	free(before);
}

/* config.toml must be a regular file: nothing else is opened or read. */
static void
test_file_must_be_regular(void **state)
{
	char *cause = NULL, *text = NULL, target[192];
	struct config *cfg = NULL;
	size_t len;

	(void)state;
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(config_load(path, &cfg, &cause), -1);
	assert_non_null(strstr(cause, "is a FIFO; the configuration must be"));
	free(cause);
	assert_int_equal(config_set(path, "gateway.port", "1", &cause), -1);
	assert_non_null(strstr(cause, "is a FIFO"));
	free(cause);
	unlink(path);

	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(config_load(path, &cfg, &cause), -1);
	assert_non_null(strstr(cause, "is a directory"));
	free(cause);
	rmdir(path);

	assert_int_equal(symlink("/dev/null", path), 0);
	assert_int_equal(config_load(path, &cfg, &cause), -1);
	assert_non_null(strstr(cause, "is a character device"));
	free(cause);
	unlink(path);

	/* A symbolic link to a regular file is followed. */
	snprintf(target, sizeof target, "%s/real.toml", dir);
	assert_int_equal(file_write_atomic(target, "[gateway]\nport = 4301\n",
			     22, 0600, &cause),
	    0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(config_load(path, &cfg, &cause), 0);
	assert_int_equal(config_int(cfg, "gateway.port"), 4301);
	config_free(cfg);
	unlink(path);
	unlink(target);

	/* Larger than the cap: refused before it is read. */
	text = xcalloc(1, CONFIG_MAX_FILE + 2);
	memset(text, '\n', CONFIG_MAX_FILE + 1);
	write_file(text);
	free(text);
	assert_int_equal(config_file_read(path, &text, &len, &cause), -1);
	assert_non_null(strstr(cause, "larger than"));
	assert_null(text);
	free(cause);
	unlink(path);

	/* Missing: ENOENT, which config_load() takes for all defaults. */
	assert_int_equal(config_file_read(path, &text, &len, &cause), -1);
	assert_int_equal(errno, ENOENT);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_formats_checked_at_load,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_refuses_what_load_refuses,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_must_be_regular,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_sane, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_values_and_sources,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_have_location,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_keys_warn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wildcards, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_planned_keys_warn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_env_and_secrets, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_parse_input, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_set_keeps_comments, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_set_refuses_bad_values,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_creates_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unset_and_reset, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
