/*
 * cmd_token.c — oxios token [status|rotate|create|list|revoke]: the API's
 * admin token, and the tokens with roles (security/tokens.h) on the
 * database directly (the table at the end).
 *
 * A token itself is never stored, only its hash, so `rotate` and `create`
 * are the one moment it can be shown; `status` can only say whether the
 * admin token exists.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "config/home.h"
#include "kernel/usage.h"
#include "security/audit.h"
#include "security/auth.h"
#include "security/signin.h"
#include "security/tokens.h"
#include "store/db.h"
#include "util/json.h"
#include "util/time.h"
#include "util/xalloc.h"

/*
 * The flags of subcommand argv[0]: `mine` ("--json") sets *on; `other`
 * ("--quiet") belongs to the other subcommand.  0, or -1 (a usage error
 * was told).
 */
static int
cmd_token_flags(int argc, char **argv, const char *mine, const char *other,
    const char *owner, int *on)
{
	int i;

	*on = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], mine) == 0 ||
		    (strcmp(mine, "--quiet") == 0 &&
			strcmp(argv[i], "-q") == 0))
			*on = 1;
		else if (strcmp(argv[i], other) == 0 ||
		    (strcmp(other, "--quiet") == 0 &&
			strcmp(argv[i], "-q") == 0)) {
			cli_error("token %s: %s is for %s", argv[0], other,
			    owner);
			return -1;
		} else if (argv[i][0] == '-') {
			cli_error("token: unknown option '%s'", argv[i]);
			return -1;
		} else {
			cli_error("token: too many arguments");
			return -1;
		}
	}
	return 0;
}

static int
cmd_token_status(int argc, char **argv)
{
	char created[64], *path, *cause = NULL;
	json_t *out;
	int exists, json, rc = EXIT_FAIL;

	if (cmd_token_flags(argc, argv, "--json", "--quiet", "rotate", &json) !=
	    0)
		return cli_sub_usage(&cmd_token_entry, argv[0]);
	path = auth_token_path();
	if ((exists = auth_token_exists(&cause)) < 0) {
		cli_error("%s", cause);
		goto out;
	}
	auth_token_created(created, sizeof created);
	if (json) {
		out = json_pack("{s:b, s:s}", "exists", exists, "path", path);
		if (exists)
			json_object_set_new(out, "created",
			    json_string(created));
		oxjson_print(stdout, out, 1);
		json_decref(out);
	} else if (exists)
		printf("token: set, created %s\nhash:  %s\n", created, path);
	else
		printf("token: none (make one: oxios token rotate)\n");
	rc = EXIT_OK;
out:
	free(cause);
	free(path);
	return rc;
}

void
cli_signin_link(const struct config *cfg, const char *token)
{
	struct config *own = NULL;
	char *url, *cause = NULL;

	if (cfg == NULL && (cfg = own = cli_setup()) == NULL)
		return;
	url = signin_link(token, config_str(cfg, "gateway.host"),
	    config_int(cfg, "gateway.port"), time_wall_ms() / 1000, &cause);
	if (url == NULL) {
		cli_warn("no dashboard sign-in link: %s", cause);
		free(cause);
	} else
		printf("Dashboard (a one-time sign-in link, valid %d minutes):\n"
		       "  %s\n",
		    SIGNIN_TTL_SECS / 60, url);
	free(url);
	config_free(own);
}

static int
cmd_token_rotate(int argc, char **argv)
{
	char token[AUTH_TOKEN_LEN + 1], *cause = NULL;
	int had, quiet;

	if (cmd_token_flags(argc, argv, "--quiet", "--json", "status",
		&quiet) != 0)
		return cli_sub_usage(&cmd_token_entry, argv[0]);
	/* Only for the message: a damaged file counts as a token. */
	had = auth_token_exists(&cause) != 0;
	free(cause);
	cause = NULL;
	if (auth_token_create(token, &cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (quiet)
		printf("%s\n", token);
	else {
		printf("%s\n\n", token);
		printf("This is the only time the token is shown: store it now.\n"
		       "%s"
		       "Clients send it as 'Authorization: Bearer TOKEN'.\n",
		    had ? "The previous token has stopped working.\n" : "");
		cli_signin_link(NULL, token);
	}
	fflush(stdout);
	sodium_memzero(token, sizeof token);
	return EXIT_OK;
}

/* Load the configuration and open the database: the config, or NULL
 * (told). */
static struct config *
cmd_token_open(void)
{
	struct config *cfg;

	return cli_db_open(&cfg, NULL) == 0 ? cfg : NULL;
}

/* Close what cmd_token_open() opened; tell `cause` (freed).  rc. */
static int
cmd_token_close(struct config *cfg, int rc, char *cause)
{
	if (cause != NULL)
		cli_error("%s", cause);
	free(cause);
	cli_db_close(cfg);
	return rc;
}

/* The value of option argv[*i] ("--name N" or "--name=N"), or NULL. */
static const char *
cmd_token_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int
cmd_token_new(int argc, char **argv)
{
	const char *role = NULL, *name = NULL, *expires = NULL, *v;
	char token[AUTH_TOKEN_LEN + 1], gen[40], *cause = NULL;
	struct config *cfg;
	int64_t at = 0;
	json_t *row = NULL;
	int i, json = 0, r, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if ((v = cmd_token_value(argc, argv, &i, "--role")) !=
		    NULL)
			role = v;
		else if ((v = cmd_token_value(argc, argv, &i, "--name")) !=
		    NULL)
			name = v;
		else if ((v = cmd_token_value(argc, argv, &i, "--expires")) !=
		    NULL)
			expires = v;
		else {
			cli_error("token create: unknown option or missing "
				  "value '%s'",
			    argv[i]);
			return cli_sub_usage(&cmd_token_entry, argv[0]);
		}
	}
	if (role == NULL || (r = tokens_role_parse(role)) == AUTH_ROLE_NONE) {
		cli_error("token create: --role viewer, operator or admin");
		return cli_sub_usage(&cmd_token_entry, argv[0]);
	}
	if (expires != NULL &&
	    usage_until_parse(expires, time_wall_ms(), &at, &cause) != 0) {
		cli_error("token create: --expires %s", cause);
		free(cause);
		return EXIT_USAGE;
	}
	if (name == NULL) {
		/* A name nobody chose: the role and the time. */
		unsigned char raw[3];
		char hex[7];

		randombytes_buf(raw, sizeof raw);
		sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
		snprintf(gen, sizeof gen, "%s-%s", role, hex);
		name = gen;
	}
	if ((cfg = cmd_token_open()) == NULL)
		return EXIT_FAIL;
	rc = tokens_create(db_get(), name, r, at, "user", token, &row, &cause);
	if (rc != 0)
		return cmd_token_close(cfg, EXIT_FAIL, cause);
	if (json) {
		json_object_set_new(row, "token", json_string(token));
		oxjson_print(stdout, row, 1);
	} else {
		printf("%s\n\n", token);
		printf("Token '%s' (%s, %s%s).  This is the only time it is "
		       "shown: store it now.\n"
		       "Clients send it as 'Authorization: Bearer TOKEN'; "
		       "revoke it with: oxios token revoke %s\n",
		    name, role, at != 0 ? "expires " : "never expires",
		    at != 0 ?
			json_string_value(json_object_get(row, "expires_at")) :
			"",
		    name);
	}
	fflush(stdout);
	json_decref(row);
	sodium_memzero(token, sizeof token);
	return cmd_token_close(cfg, EXIT_OK, NULL);
}

/* A time of a listed row: the RFC 3339 text, or "-". */
static const char *
cmd_token_when(const json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));

	return s != NULL ? s : "-";
}

static int
cmd_token_list(int argc, char **argv)
{
	struct config *cfg;
	char *cause = NULL;
	json_t *list, *row;
	int json;
	size_t i;

	if (cmd_token_flags(argc, argv, "--json", "--quiet", "rotate", &json) !=
	    0)
		return cli_sub_usage(&cmd_token_entry, argv[0]);
	if ((cfg = cmd_token_open()) == NULL)
		return EXIT_FAIL;
	if ((list = tokens_list(db_get(), &cause)) == NULL)
		return cmd_token_close(cfg, EXIT_FAIL, cause);
	if (json)
		oxjson_print(stdout, list, 1);
	else if (json_array_size(list) == 0)
		printf("no tokens with roles (make one: oxios token create "
		       "--role viewer)\n");
	else {
		printf("%-16s %-20s %-8s %-8s %-24s %s\n", "ID", "NAME", "ROLE",
		    "STATE", "EXPIRES", "LAST USED");
		json_array_foreach(list, i, row) {
			printf("%-16s %-20s %-8s %-8s %-24s %s\n",
			    json_string_value(json_object_get(row, "id")),
			    json_string_value(json_object_get(row, "name")),
			    json_string_value(json_object_get(row, "role")),
			    json_string_value(json_object_get(row, "state")),
			    cmd_token_when(row, "expires_at"),
			    cmd_token_when(row, "last_used_at"));
		}
	}
	json_decref(list);
	return cmd_token_close(cfg, EXIT_OK, NULL);
}

static int
cmd_token_revoke(int argc, char **argv)
{
	struct config *cfg;
	char *cause = NULL;
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		cli_error("token revoke: one token, by its id or name");
		return cli_sub_usage(&cmd_token_entry, argv[0]);
	}
	if ((cfg = cmd_token_open()) == NULL)
		return EXIT_FAIL;
	if ((rc = tokens_revoke(db_get(), argv[1], "user", &cause)) < 0)
		return cmd_token_close(cfg, EXIT_FAIL, cause);
	if (rc == 0) {
		xasprintf(&cause, "no live token '%s' (see: oxios token list)",
		    argv[1]);
		return cmd_token_close(cfg, EXIT_FAIL, cause);
	}
	printf("revoked: %s (it stops working at once)\n", argv[1]);
	return cmd_token_close(cfg, EXIT_OK, NULL);
}

static const struct cmd_sub cmd_token_subs[] = {
	{
	    .name = "status",
	    .usage = "[--json]",
	    .summary = "whether a token exists and when it was made (the "
		       "default)",
	    .flags = CMD_DEFAULT,
	    .exec = cmd_token_status,
	},
	{
	    .name = "rotate",
	    .usage = "[--quiet]",
	    .summary = "make a new token and print it, with a one-time "
		       "sign-in link to the dashboard; the old one stops "
		       "working at once, in a running daemon too.  --quiet "
		       "prints only the token, for scripts",
	    .exec = cmd_token_rotate,
	},
	{
	    .name = "create",
	    .usage = "--role viewer|operator|admin [--name N] [--expires D] "
		     "[--json]",
	    .summary = "make a token with a role and print it (the only "
		       "time it is shown).  --expires: a time ahead (24h, "
		       "30d) or an RFC 3339 time; none: never",
	    .exec = cmd_token_new,
	},
	{
	    .name = "list",
	    .usage = "[--json]",
	    .summary = "the tokens with roles: id, name, role, state, "
		       "expiry, last use (never the tokens)",
	    .exec = cmd_token_list,
	},
	{
	    .name = "revoke",
	    .usage = "ID|NAME",
	    .summary = "revoke a token with a role: it stops working at "
		       "once, in a running daemon too",
	    .exec = cmd_token_revoke,
	},
	{ .name = NULL },
};

const struct cmd_entry cmd_token_entry = {
	.name = "token",
	.summary = "The API's admin token, and tokens with roles.",
	.help =
	    "In a script: TOKEN=$(oxios token rotate --quiet)\n"
	    "\n"
	    "Clients send the token as 'Authorization: Bearer TOKEN'.  Oxios\n"
	    "keeps only its hash ($OXIOS_HOME/auth/token.hash, mode 0600), so\n"
	    "a lost token cannot be shown again: rotate to get a new one.\n"
	    "gateway.api_key (or OXIOS_API_KEY) is accepted as well.\n"
	    "Both are admins.  For others, make tokens with a role:\n"
	    "  oxios token create --role viewer --name grafana --expires 30d\n"
	    "viewer: reads; operator: also chats and runs agents; admin:\n"
	    "also config, budgets, permissions and tokens.\n",
	.words = "--json --quiet --role --name --expires",
	.subs = cmd_token_subs,
};
