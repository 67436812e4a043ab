/*
 * firstrun.c — the first `oxios start`: the setup wizard on a terminal,
 * a note of what is missing without one.  The start goes on either way:
 * a daemon without a key serves everything but chats, and a chat then
 * says at once which key is missing (llm_key_check()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/firstrun.h"
#include "config/home.h"
#include "llm/models.h"
#include "util/xalloc.h"

/* The default model's provider without the key it needs: say so. */
static void
firstrun_key(const char *path)
{
	struct config *cfg = NULL;
	struct llm_provider *p = NULL;
	char *cause = NULL, *model = NULL;

	/* A configuration that does not load: the start says why. */
	if (config_load(path, &cfg, &cause) != 0)
		goto out;
	p = llm_resolve(cfg, config_str(cfg, "engine.default_model"), &model,
	    &cause);
	if (p != NULL && p->key_missing != NULL)
		cli_warn("no %s: run 'oxios onboard' or export it (the daemon "
			 "starts; chats with %s/%s fail until then)",
		    p->key_missing, p->name, model);
out:
	llm_provider_free(p);
	config_free(cfg);
	free(model);
	free(cause);
}

int
firstrun_check(void)
{
	static char *onboard[] = { (char *)"onboard", (char *)"--then-start",
		NULL };
	char *path = home_path("config.toml");
	int rc = EXIT_OK;

	if (access(path, F_OK) == 0)
		; /* set up already */
	else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		printf("No configuration yet (%s): first, the setup.\n", path);
		rc = cmd_onboard_entry.exec(2, onboard);
		if (rc == EXIT_OK)
			printf("\n");
	} else
		cli_warn("no %s yet: starting with the defaults (set up with: "
			 "oxios onboard)",
		    path);
	if (rc == EXIT_OK)
		firstrun_key(path);
	fflush(stdout);
	free(path);
	return rc;
}
