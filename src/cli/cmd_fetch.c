/*
 * cmd_fetch.c — oxios __fetch URL: one guarded outbound request
 * (security/ssrf_fetch.h), for tests.
 *
 * Prints "status: N", "url: FINAL", "redirects: N", an empty line and
 * the body on stdout, and exits 0 (any HTTP status); a refusal or a
 * failure is one line on stderr and exit 1.  Hidden: the guard is for
 * the tools that fetch (the browser, MCP, A2A, webhooks).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "security/ssrf_fetch.h"

static int cmd_fetch(int, char **);

const struct cmd_entry cmd_fetch_entry = {
	.name = "__fetch",
	.usage = "URL",
	.summary = "GET a URL through the SSRF guard (for tests).",
	.words = "",
	.flags = CMD_HIDDEN,
	.exec = cmd_fetch,
};

static int
cmd_fetch(int argc, char **argv)
{
	struct ssrf_fetch_opts opts;
	struct ssrf_fetch_result res;
	struct ssrf_allow *allow = NULL;
	struct config *cfg;
	char *why = NULL;
	int rc = EXIT_FAIL;

	if (argc != 2)
		return cli_usage(&cmd_fetch_entry);
	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	if (ssrf_fetch_config(cfg, &opts, &allow, &why) != 0) {
		cli_error("%s", why);
		goto out;
	}
	if (ssrf_fetch(argv[1], &opts, &res, &why) != 0) {
		cli_error("%s", why);
		ssrf_fetch_result_free(&res);
		goto out;
	}
	printf("status: %ld\nurl: %s\nredirects: %d\n\n", res.status,
	    res.final_url, res.redirects);
	fwrite(res.body, 1, res.len, stdout);
	ssrf_fetch_result_free(&res);
	rc = EXIT_OK;
out:
	free(why);
	ssrf_allow_free(allow);
	config_free(cfg);
	return rc;
}
