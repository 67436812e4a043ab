/*
 * cmd_token.c — oxios token [status|rotate]: the API's bearer token.
 *
 * The token itself is never stored, only its hash, so `rotate` is the one
 * moment it can be shown; `status` can only say whether one exists.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "security/auth.h"
#include "util/json.h"
#include "util/xalloc.h"

static int cmd_token(int, char **);

const struct cmd_entry cmd_token_entry = {
	.name = "token",
	.usage = "[status [--json] | rotate [--quiet]]",
	.summary = "Show whether the API token exists, or make a new one.",
	.help =
	    "Subcommands:\n"
	    "  status [--json]   whether a token exists and when it was made\n"
	    "                    (the default)\n"
	    "  rotate [--quiet]  make a new token and print it; the old one\n"
	    "                    stops working at once, in a running daemon\n"
	    "                    too.  --quiet prints only the token, for\n"
	    "                    scripts: TOKEN=$(oxios token rotate --quiet)\n"
	    "\n"
	    "Clients send the token as 'Authorization: Bearer TOKEN'.  Oxios\n"
	    "keeps only its hash ($OXIOS_HOME/auth/token.hash, mode 0600), so\n"
	    "a lost token cannot be shown again: rotate to get a new one.\n"
	    "gateway.api_key (or OXIOS_API_KEY) is accepted as well.\n",
	.words = "status rotate --json --quiet",
	.exec = cmd_token,
};

static int
cmd_token_status(int json)
{
	char created[64], *path, *cause = NULL;
	json_t *out;
	int exists, rc = EXIT_FAIL;

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

static int
cmd_token_rotate(int quiet)
{
	char token[AUTH_TOKEN_LEN + 1], *cause = NULL;
	int had;

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
	}
	fflush(stdout);
	sodium_memzero(token, sizeof token);
	return EXIT_OK;
}

static int
cmd_token(int argc, char **argv)
{
	const char *sub = NULL;
	int i, json = 0, quiet = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--quiet") == 0 ||
		    strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (argv[i][0] == '-') {
			cli_error("token: unknown option '%s'", argv[i]);
			return cli_usage(&cmd_token_entry);
		} else if (sub == NULL)
			sub = argv[i];
		else {
			cli_error("token: too many arguments");
			return cli_usage(&cmd_token_entry);
		}
	}
	if (sub == NULL || strcmp(sub, "status") == 0) {
		if (quiet) {
			cli_error("token status: --quiet is for rotate");
			return cli_usage(&cmd_token_entry);
		}
		return cmd_token_status(json);
	}
	if (strcmp(sub, "rotate") == 0) {
		if (json) {
			cli_error("token rotate: --json is for status");
			return cli_usage(&cmd_token_entry);
		}
		return cmd_token_rotate(quiet);
	}
	cli_error("token: unknown subcommand '%s'", sub);
	return cli_usage(&cmd_token_entry);
}
