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
	char **av = NULL;
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
	else if (strcmp(argv[1], "--foreground") == 0 ||
	    strcmp(argv[1], "-f") == 0) {
		/* `oxios -f ARGS` is `oxios start --foreground ARGS`. */
		av = calloc((size_t)argc + 2, sizeof *av);
		if (av == NULL)
			return EXIT_FAIL;
		av[0] = argv[0];
		av[1] = (char *)"start";
		av[2] = (char *)"--foreground";
		memcpy(av + 3, argv + 2, (size_t)(argc - 2) * sizeof *av);
		argv = av;
		argc++;
	} else if (argv[1][0] == '-') {
		cli_unknown_option(argv[1]);
		return EXIT_USAGE;
	}
	rc = cli_exec(argc - 1, argv + 1);
	free(av);
	log_close();
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (rc == EXIT_OK)
			rc = EXIT_FAIL;
	}
	return rc;
}
