/*
 * cmd_onboard.c — oxios onboard: first-run setup.
 *
 * Interactive when stdin is a terminal: asks for the provider, the model,
 * where the API key comes from and the workspace.  Otherwise (or with
 * --yes) it takes the flags and the defaults without asking.  A key typed
 * in is read with echo off, stored in config.toml (0600) and never shown.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "security/auth.h"
#include "config/home.h"
#include "store/db.h"
#include "util/file.h"
#include "util/path.h"
#include "util/xalloc.h"

#define ONBOARD_LINE_MAX 4096

static int cmd_onboard(int, char **);

const struct cmd_entry cmd_onboard_entry = {
	.name = "onboard",
	.usage = "[--provider anthropic|openai|local] [--model M] "
		 "[--base-url URL] [--key-stdin] [--workspace DIR] [--yes]",
	.summary = "First-run setup: provider, model, API key, workspace.",
	.help =
	    "Without a terminal on stdin, or with --yes, nothing is asked:\n"
	    "flags and defaults are used.  Keys are best kept in the\n"
	    "environment (ANTHROPIC_API_KEY, OPENAI_API_KEY); --key-stdin reads\n"
	    "one line from stdin and stores it in config.toml (mode 0600).\n"
	    "A local provider is any OpenAI-compatible server (Ollama,\n"
	    "llama.cpp, vLLM) at --base-url.\n",
	.words = "--provider --model --base-url --key-stdin --workspace --yes",
	.exec = cmd_onboard,
};

struct onboard_provider {
	const char *name;
	const char *model;    /* default model */
	const char *env;      /* key variable, or NULL */
	const char *base_url; /* default base URL for local */
};

static const struct onboard_provider onboard_providers[] = {
	{ "anthropic", "claude-sonnet-4-5", "ANTHROPIC_API_KEY", NULL },
	{ "openai", "gpt-4.1", "OPENAI_API_KEY", NULL },
	{ "local", "qwen3", NULL, "http://127.0.0.1:11434/v1" },
};

static const struct onboard_provider *
onboard_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof onboard_providers / sizeof onboard_providers[0];
	     i++) {
		if (strcmp(onboard_providers[i].name, name) == 0)
			return &onboard_providers[i];
	}
	return NULL;
}

/* One line from stdin without its newline; NULL at EOF. Caller frees. */
static char *
onboard_line(void)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	if ((n = getline(&line, &size, stdin)) == -1) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n > ONBOARD_LINE_MAX) {
		xfree_secret(line);
		return xstrdup("");
	}
	return line;
}

/* Ask with a default; returns the answer or a copy of def. */
static char *
onboard_ask(const char *question, const char *def)
{
	char *line;

	printf("%s [%s]: ", question, def);
	fflush(stdout);
	if ((line = onboard_line()) == NULL || *line == '\0') {
		free(line);
		return xstrdup(def);
	}
	return line;
}

/*
 * Read a secret from the terminal with echo off.  Echo goes off before the
 * prompt is shown, so nothing typed after it is echoed, and the input
 * queue is kept (TCSANOW, not TCSAFLUSH): a fast paste is not lost.
 */
static char *
onboard_secret(const char *question)
{
	struct termios old, quiet;
	char *line;
	int tty;

	tty = tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	printf("%s: ", question);
	fflush(stdout);
	line = onboard_line();
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	else
		printf("\n");
	return line;
}

static int
onboard_set(const char *path, const char *key, const char *value)
{
	char *cause = NULL;

	if (config_set(path, key, value, &cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* The API token, made now if there is none, and shown this once. */
static void
onboard_token(void)
{
	char token[AUTH_TOKEN_LEN + 1], *cause = NULL;
	int has = auth_token_exists(&cause);

	if (has != 0) {
		if (has < 0)
			cli_warn("%s", cause);
		else
			printf("  API token: exists (new one: oxios token "
			       "rotate)\n");
		free(cause);
		return;
	}
	if (auth_token_create(token, &cause) != 0) {
		cli_warn("could not make an API token: %s", cause);
		free(cause);
		return;
	}
	printf("  API token: %s\n"
	       "             (shown only this once: keep it; a new one: oxios "
	       "token rotate)\n",
	    token);
	sodium_memzero(token, sizeof token);
}

static int
cmd_onboard(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "provider", required_argument, NULL, 'p' },
		{ "model", required_argument, NULL, 'm' },
		{ "base-url", required_argument, NULL, 'b' },
		{ "key-stdin", no_argument, NULL, 'k' },
		{ "workspace", required_argument, NULL, 'w' },
		{ "yes", no_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	const struct onboard_provider *prov;
	char *provider = NULL, *model = NULL, *base = NULL, *ws = NULL;
	char *key = NULL, *path = NULL, *dbpath = NULL, *cause = NULL;
	char *full = NULL, *ans = NULL, *wsabs = NULL, *tmp;
	int c, key_stdin = 0, yes = 0, ask, chose, rc = EXIT_FAIL;
	const char *envkey;
	sqlite3 *db;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			free(provider);
			provider = xstrdup(optarg);
			break;
		case 'm':
			free(model);
			model = xstrdup(optarg);
			break;
		case 'b':
			free(base);
			base = xstrdup(optarg);
			break;
		case 'k':
			key_stdin = 1;
			break;
		case 'w':
			free(ws);
			ws = xstrdup(optarg);
			break;
		case 'y':
			yes = 1;
			break;
		default:
			cli_error("onboard: unknown or incomplete option '%s'",
			    argv[optind - 1]);
			rc = cli_usage(&cmd_onboard_entry);
			goto out;
		}
	}
	if (optind != argc) {
		rc = cli_usage(&cmd_onboard_entry);
		goto out;
	}
	ask = !yes && !key_stdin && isatty(STDIN_FILENO);
	chose = ask || provider != NULL || model != NULL;

	if (home_ensure(&cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	path = home_path("config.toml");
	if (ask) {
		printf(
		    "Welcome to Oxios.  Press Enter to take the [default].\n");
		tmp = onboard_ask("Provider (anthropic, openai, local)",
		    provider != NULL ? provider : "anthropic");
		free(provider);
		provider = tmp;
	}
	if (provider == NULL)
		provider = xstrdup("anthropic");
	if ((prov = onboard_find(provider)) == NULL) {
		cli_error("unknown provider '%s' (anthropic, openai or local)",
		    provider);
		rc = EXIT_USAGE;
		goto out;
	}
	if (ask) {
		tmp = onboard_ask("Model", model != NULL ? model : prov->model);
		free(model);
		model = tmp;
		if (prov->base_url != NULL) {
			tmp = onboard_ask("Base URL of the OpenAI-compatible "
					  "server",
			    base != NULL ? base : prov->base_url);
			free(base);
			base = tmp;
		}
	}

	/* The key: from the environment (preferred), stdin, or typed. */
	envkey = prov->env != NULL ? getenv(prov->env) : NULL;
	if (key_stdin) {
		if ((key = onboard_line()) == NULL || *key == '\0') {
			cli_error("--key-stdin: no key on stdin");
			goto out;
		}
	} else if (ask && prov->env != NULL) {
		if (envkey != NULL && *envkey != '\0')
			printf("Using %s from the environment.\n", prov->env);
		else {
			ans =
			    onboard_ask("API key: [e]xport it yourself later, "
					"or [p]aste it now to store in "
					"config.toml (0600)",
				"e");
			if (ans[0] == 'p' || ans[0] == 'P')
				key = onboard_secret("API key (not shown)");
		}
	}
	if (ask) {
		tmp = onboard_ask("Workspace directory",
		    ws != NULL ? ws : "$OXIOS_HOME/workspace");
		free(ws);
		ws = strcmp(tmp, "$OXIOS_HOME/workspace") == 0 ? NULL : tmp;
		if (ws == NULL)
			free(tmp);
	}

	/*
	 * Write what was chosen; an existing file keeps everything else.
	 * Each step must load on its own: the provider before the model
	 * that names it, its base_url before its kind.
	 */
	if (prov->base_url != NULL) {
		if (onboard_set(path, "providers.local.base_url",
			base != NULL ? base : prov->base_url) != 0 ||
		    onboard_set(path, "providers.local.kind", "openai") != 0)
			goto out;
	} else if (base != NULL) {
		xasprintf(&tmp, "providers.%s.base_url", prov->name);
		c = onboard_set(path, tmp, base);
		free(tmp);
		if (c != 0)
			goto out;
	}
	if (chose) {
		xasprintf(&full, "%s/%s", prov->name,
		    model != NULL ? model : prov->model);
		if (onboard_set(path, "engine.default_model", full) != 0)
			goto out;
	}
	if (key != NULL && *key != '\0') {
		xasprintf(&tmp, "providers.%s.api_key", prov->name);
		c = onboard_set(path, tmp, key);
		free(tmp);
		if (c != 0)
			goto out;
	}
	if (ws != NULL) {
		tmp = path_expand_home(ws);
		if (tmp[0] != '/') {
			cli_error("workspace must be an absolute path: %s", ws);
			free(tmp);
			goto out;
		}
		wsabs = path_normalize(tmp);
		free(tmp);
		if (file_mkdirs(wsabs, 0700, &cause) != 0 ||
		    onboard_set(path, "kernel.workspace", wsabs) != 0) {
			if (cause != NULL)
				cli_error("%s", cause);
			goto out;
		}
	}
	if (access(path, F_OK) == -1) { /* nothing set: write the template */
		tmp = config_template();
		c = file_write_atomic(path, tmp, strlen(tmp), 0600, &cause);
		free(tmp);
		if (c != 0) {
			cli_error("%s", cause);
			goto out;
		}
	}
	dbpath = home_path("oxios.db");
	if (db_open(dbpath, &db, &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	db_close(db);

	printf("Oxios is set up in %s\n", path);
	if (full != NULL)
		printf("  model:     %s\n", full);
	if (key != NULL && *key != '\0')
		printf("  key:       stored in config.toml (not shown)\n");
	else if (prov->env != NULL)
		printf("  key:       from %s (%s)\n", prov->env,
		    envkey != NULL && *envkey != '\0' ?
			"set now" :
			"not set yet: export it");
	printf("  workspace: %s\n",
	    wsabs != NULL ? wsabs : "$OXIOS_HOME/workspace");
	onboard_token();
	printf("Next: oxios doctor, then oxios start\n");
	rc = EXIT_OK;
out:
	xfree_secret(key);
	free(provider);
	free(model);
	free(base);
	free(ws);
	free(wsabs);
	free(ans);
	free(full);
	free(path);
	free(dbpath);
	free(cause);
	return rc;
}
