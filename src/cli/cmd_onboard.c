/*
 * cmd_onboard.c — oxios onboard: first-run setup.
 *
 * Interactive when stdin is a terminal: asks for the provider, the model,
 * where the API key comes from and the workspace, each with a default:
 * what the configuration holds now (Enter keeps it), else the provider
 * whose key is in the environment.  Then it checks the key with one
 * GET /models (a few seconds at most; --offline skips it) and says what
 * it found.  Otherwise (or with --yes) it takes the flags and the
 * defaults without asking.  A key typed in is read with echo off, stored
 * in config.toml (0600) and never shown.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "config/home.h"
#include "llm/models.h"
#include "security/auth.h"
#include "store/db.h"
#include "util/file.h"
#include "util/path.h"
#include "util/xalloc.h"

#define ONBOARD_LINE_MAX 4096
#define ONBOARD_CHECK_MS 5000 /* the key's check: GET /models */

static int cmd_onboard(int, char **);

const struct cmd_entry cmd_onboard_entry = {
	.name = "onboard",
	.usage = "[--provider anthropic|openai|local] [--model M] "
		 "[--base-url URL] [--key-stdin] [--workspace DIR] [--yes] "
		 "[--offline]",
	.summary = "First-run setup: provider, model, API key, workspace.",
	.help =
	    "On a terminal each question has a default: the current value\n"
	    "(Enter keeps it), or on a first run the provider whose key is in\n"
	    "the environment.  The key is then checked with one GET /models\n"
	    "(--offline: not checked).  Without a terminal on stdin, or with\n"
	    "--yes, nothing is asked: flags, current values and defaults are\n"
	    "used.  Keys are best kept in the environment (ANTHROPIC_API_KEY,\n"
	    "OPENAI_API_KEY); --key-stdin reads one line from stdin and stores\n"
	    "it in config.toml (mode 0600).  A local provider is any\n"
	    "OpenAI-compatible server (Ollama, llama.cpp, vLLM) at --base-url.\n"
	    "A first `oxios start` on a terminal, with no config.toml, runs\n"
	    "this first.\n",
	.words = "--provider --model --base-url --key-stdin --workspace --yes "
		 "--offline",
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

/*
 * What the configuration holds now, the defaults of a second run: the
 * default model's provider and model (NULL when not set anywhere), the
 * local server's URL, the workspace, whether a key is stored.
 */
struct onboard_current {
	struct config *cfg;     /* as loaded, or NULL */
	char *provider, *model; /* of engine.default_model, if set */
	char *local_url;        /* providers.local.base_url, if set */
	char *workspace;        /* kernel.workspace, if set */
	int exists;             /* config.toml exists */
};

/* The source of `key` in cfg: "default", "file", "env:NAME". */
static const char *
onboard_source(const struct config *cfg, const char *key)
{
	const char *src = json_string_value(json_object_get(cfg->sources, key));

	return src != NULL ? src : "default";
}

static void
onboard_current_load(const char *path, struct onboard_current *cur)
{
	struct config *cfg = NULL;
	const char *spec, *slash, *v;
	char *cause = NULL;

	memset(cur, 0, sizeof *cur);
	cur->exists = access(path, F_OK) == 0;
	if (config_load(path, &cfg, &cause) != 0) {
		cli_warn("%s (its values are not offered as defaults)", cause);
		free(cause);
		return;
	}
	spec = config_str(cfg, "engine.default_model");
	slash = spec != NULL ? strchr(spec, '/') : NULL;
	if (slash != NULL &&
	    strcmp(onboard_source(cfg, "engine.default_model"), "default") !=
		0) {
		cur->provider = xstrndup(spec, (size_t)(slash - spec));
		cur->model = xstrdup(slash + 1);
	}
	if ((v = config_str(cfg, "providers.local.base_url")) != NULL &&
	    *v != '\0')
		cur->local_url = xstrdup(v);
	if ((v = config_str(cfg, "kernel.workspace")) != NULL && *v != '\0')
		cur->workspace = xstrdup(v);
	cur->cfg = cfg;
}

/* Whether config.toml holds a key for provider `name`. */
static int
onboard_key_stored(const struct onboard_current *cur, const char *name)
{
	char key[128];

	if (cur->cfg == NULL)
		return 0;
	snprintf(key, sizeof key, "providers.%s.api_key", name);
	return strcmp(onboard_source(cur->cfg, key), "file") == 0;
}

static void
onboard_current_free(struct onboard_current *cur)
{
	config_free(cur->cfg);
	free(cur->provider);
	free(cur->model);
	free(cur->local_url);
	free(cur->workspace);
}

/* The first provider of the table whose key is in the environment. */
static const struct onboard_provider *
onboard_from_env(void)
{
	const char *v;
	size_t i;

	for (i = 0; i < sizeof onboard_providers / sizeof onboard_providers[0];
	     i++) {
		if (onboard_providers[i].env != NULL &&
		    (v = getenv(onboard_providers[i].env)) != NULL &&
		    *v != '\0')
			return &onboard_providers[i];
	}
	return NULL;
}

/* Say which keys the environment holds (names only, never values). */
static void
onboard_found(void)
{
	const char *v;
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof onboard_providers / sizeof onboard_providers[0];
	     i++) {
		if (onboard_providers[i].env == NULL ||
		    (v = getenv(onboard_providers[i].env)) == NULL ||
		    *v == '\0')
			continue;
		printf("%s %s", n++ == 0 ? "Found in the environment:" : ",",
		    onboard_providers[i].env);
	}
	if (n > 0)
		printf(".\n");
	else
		printf("No API key in the environment (ANTHROPIC_API_KEY, "
		       "OPENAI_API_KEY).\n");
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

/*
 * Check the provider as now configured (the file just written and the
 * environment) with one GET /models, and say what was found.  Never
 * fatal: the setup stands either way.
 */
static void
onboard_check(const char *path, const char *name, const char *model)
{
	struct config *cfg = NULL;
	struct llm_provider *p = NULL;
	struct llm_error err;
	char *cause = NULL;
	json_t *ids = NULL, *v;
	size_t i;
	int listed = 0;

	if (config_load(path, &cfg, &cause) != 0 ||
	    (p = llm_provider_get(cfg, name, &cause)) == NULL) {
		printf("  check:     not made: %s\n", cause);
		goto out;
	}
	if (p->key_missing != NULL) {
		printf("  check:     not made: no %s yet; export it, then run "
		       "oxios doctor\n",
		    p->key_missing);
		goto out;
	}
	printf("Checking %s at %s ... ", name, p->base_url);
	fflush(stdout);
	if ((ids = llm_list_models(p, ONBOARD_CHECK_MS, &err)) != NULL) {
		json_array_foreach(ids, i, v) {
			if (model != NULL &&
			    strcmp(json_string_value(v), model) == 0)
				listed = 1;
		}
		printf("ok: it answers%s (%zu models%s)\n",
		    p->api_key != NULL ? " and takes the key" : "",
		    json_array_size(ids),
		    model == NULL ? "" :
			listed    ? ", the chosen one among them" :
				    ", not the chosen one: see oxios models");
	} else if (err.cls == LLM_ERR_AUTH)
		printf("the key was refused (HTTP %d): set a valid one and run "
		       "oxios onboard again\n",
		    err.status);
	else
		printf("no answer: %s (check later with oxios doctor)\n",
		    err.message);
out:
	json_decref(ids);
	llm_provider_free(p);
	config_free(cfg);
	free(cause);
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
	cli_signin_link(NULL, token);
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
		{ "offline", no_argument, NULL, 'o' },
		/* Hidden: run by a first `oxios start` (firstrun.c), which
		 * starts the daemon next itself. */
		{ "then-start", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const struct onboard_provider *prov, *fromenv;
	struct onboard_provider custom = { NULL, NULL, NULL, NULL };
	struct onboard_current cur;
	const char *defprov, *defmodel;
	char *provider = NULL, *model = NULL, *base = NULL, *ws = NULL;
	char *key = NULL, *path = NULL, *dbpath = NULL, *cause = NULL;
	char *full = NULL, *ans = NULL, *wsabs = NULL, *tmp;
	int c, key_stdin = 0, yes = 0, offline = 0, ask, chose, stored;
	int then_start = 0;
	int rc = EXIT_FAIL;
	const char *envkey;
	sqlite3 *db;

	memset(&cur, 0, sizeof cur);
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
		case 'o':
			offline = 1;
			break;
		case 'T':
			then_start = 1;
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
	onboard_current_load(path, &cur);
	/* The provider's default: the current one, else the one whose key
	 * is in the environment, else the first. */
	fromenv = onboard_from_env();
	defprov = cur.provider != NULL ? cur.provider :
	    fromenv != NULL            ? fromenv->name :
					 onboard_providers[0].name;
	if (ask) {
		printf("Welcome to Oxios.  Press Enter to take the [default]%s."
		       "\n",
		    cur.exists ? ": the current value" : "");
		onboard_found();
		tmp = onboard_ask("Provider (anthropic, openai, local)",
		    provider != NULL ? provider : defprov);
		free(provider);
		provider = tmp;
	}
	if (provider == NULL) {
		provider = xstrdup(defprov);
		/* A first run without questions: the environment's key
		 * chooses the provider. */
		if (cur.provider == NULL && fromenv != NULL)
			chose = 1;
	}
	if ((prov = onboard_find(provider)) == NULL && cur.provider != NULL &&
	    strcmp(provider, cur.provider) == 0) {
		/* The current one, a [providers.NAME] of config.toml: kept
		 * as it is set up there (no URL or key asked). */
		custom.name = cur.provider;
		custom.model = cur.model;
		prov = &custom;
	}
	if (prov == NULL) {
		cli_error("unknown provider '%s' (anthropic, openai or local)",
		    provider);
		rc = EXIT_USAGE;
		goto out;
	}
	/* The model's default: the current one if the provider stays. */
	defmodel = cur.provider != NULL && cur.model != NULL &&
		strcmp(cur.provider, prov->name) == 0 ?
	    cur.model :
	    prov->model;
	if (prov->base_url != NULL && base == NULL)
		base = xstrdup(
		    cur.local_url != NULL ? cur.local_url : prov->base_url);
	if (ask) {
		tmp = onboard_ask("Model", model != NULL ? model : defmodel);
		free(model);
		model = tmp;
		if (prov->base_url != NULL) {
			tmp = onboard_ask("Base URL of the OpenAI-compatible "
					  "server",
			    base);
			free(base);
			base = tmp;
		}
	}

	/* The key: from the environment (preferred), stdin, or typed. */
	envkey = prov->env != NULL ? getenv(prov->env) : NULL;
	stored = onboard_key_stored(&cur, prov->name);
	if (key_stdin) {
		if ((key = onboard_line()) == NULL || *key == '\0') {
			cli_error("--key-stdin: no key on stdin");
			goto out;
		}
	} else if (ask && prov->env != NULL) {
		if (envkey != NULL && *envkey != '\0')
			printf("Using %s from the environment.\n", prov->env);
		else if (stored) {
			ans = onboard_ask("API key: [k]eep the one in "
					  "config.toml, or [p]aste a new one",
			    "k");
			if (ans[0] == 'p' || ans[0] == 'P')
				key = onboard_secret("API key (not shown)");
		} else {
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
		const char *defws = ws != NULL ? ws :
		    cur.workspace != NULL      ? cur.workspace :
						 "$OXIOS_HOME/workspace";

		tmp = onboard_ask("Workspace directory", defws);
		free(ws);
		ws = NULL;
		/* The default kept: nothing to write. */
		if (strcmp(tmp, "$OXIOS_HOME/workspace") == 0 ||
		    (cur.workspace != NULL && strcmp(tmp, cur.workspace) == 0))
			free(tmp);
		else
			ws = tmp;
	}

	/*
	 * Write what was chosen; an existing file keeps everything else.
	 * Each step must load on its own: the provider before the model
	 * that names it, its base_url before its kind.
	 */
	if (prov->base_url != NULL) {
		if (onboard_set(path, "providers.local.base_url", base) != 0 ||
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
		    model != NULL ? model : defmodel);
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
	else if (prov->env != NULL && envkey != NULL && *envkey != '\0')
		printf("  key:       from %s (set now)\n", prov->env);
	else if (stored)
		printf("  key:       the one in config.toml (kept)\n");
	else if (prov->env != NULL)
		printf("  key:       from %s (not set yet: export it)\n",
		    prov->env);
	printf("  workspace: %s\n",
	    wsabs != NULL             ? wsabs :
		cur.workspace != NULL ? cur.workspace :
					"$OXIOS_HOME/workspace");
	if (ask && !offline)
		onboard_check(path, prov->name,
		    full != NULL ? strchr(full, '/') + 1 : NULL);
	onboard_token();
	if (!then_start)
		printf("Next: oxios doctor, then oxios start\n");
	rc = EXIT_OK;
out:
	onboard_current_free(&cur);
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
