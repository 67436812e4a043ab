/*
 * cmd_version.c — oxios version (also: oxios --version)
 */
#include <sqlite3.h>
#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"
#include "version.h"

static int cmd_version(int, char **);

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.usage = "",
	.summary = "Print the version of Oxios and of its libraries.",
	.words = "",
	.flags = CMD_NOHOME,
	.exec = cmd_version,
};

static int
cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage(&cmd_version_entry);
	printf("oxios %s (%s)\n", OXIOS_VERSION, OXIOS_GIT_REV);
	printf("sqlite %s, jansson %s, libsodium %s\n", sqlite3_libversion(),
	    JANSSON_VERSION, sodium_version_string());
	return EXIT_OK;
}
