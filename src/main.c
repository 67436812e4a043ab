/*
 * main.c — oxios: argv to the command table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "util/log.h"

int
main(int argc, char **argv)
{
	int rc;

	if (sodium_init() < 0) {
		fprintf(stderr, "oxios: libsodium failed to initialise\n");
		return EXIT_FAIL;
	}
	if (argc < 2) {
		/* A bare `oxios` starts the daemon. */
		static char *start[] = { (char *)"start", NULL };

		rc = cli_exec(1, start);
		log_close();
		return rc;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		argv[1] = (char *)"version";
	else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		argv[1] = (char *)"help";
	else if (argv[1][0] == '-') {
		fprintf(stderr,
		    "oxios: unknown option '%s' (see: oxios help)\n", argv[1]);
		return EXIT_USAGE;
	}
	rc = cli_exec(argc - 1, argv + 1);
	log_close();
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (rc == EXIT_OK)
			rc = EXIT_FAIL;
	}
	return rc;
}
