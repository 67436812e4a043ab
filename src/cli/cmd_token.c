/*
 * cmd_token.c — oxios token [status|rotate]: the API's bearer token (the
 * table at the end).
 *
 * The token itself is never stored, only its hash, so `rotate` is the one
 * moment it can be shown; `status` can only say whether one exists.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "security/auth.h"
#include "security/signin.h"
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
	{ .name = NULL },
};

const struct cmd_entry cmd_token_entry = {
	.name = "token",
	.summary = "Show whether the API token exists, or make a new one.",
	.help =
	    "In a script: TOKEN=$(oxios token rotate --quiet)\n"
	    "\n"
	    "Clients send the token as 'Authorization: Bearer TOKEN'.  Oxios\n"
	    "keeps only its hash ($OXIOS_HOME/auth/token.hash, mode 0600), so\n"
	    "a lost token cannot be shown again: rotate to get a new one.\n"
	    "gateway.api_key (or OXIOS_API_KEY) is accepted as well.\n",
	.words = "--json --quiet",
	.subs = cmd_token_subs,
};
