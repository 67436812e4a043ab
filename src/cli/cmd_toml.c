/*
 * cmd_toml.c — oxios __toml [--tagged]: parse TOML on stdin, print JSON.
 *
 * Hidden: it exists so that tests can check the parser against other
 * implementations (Python's tomllib) through the real binary.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/toml.h"

static int cmd_toml(int, char **);

const struct cmd_entry cmd_toml_entry = {
	.name = "__toml",
	.usage = "[--tagged]",
	.summary = "Parse TOML on stdin and print it as JSON (for tests).",
	.words = "",
	.flags = CMD_HIDDEN | CMD_NOHOME,
	.exec = cmd_toml,
};

static int
cmd_toml(int argc, char **argv)
{
	struct toml_error err;
	struct buf in;
	char chunk[65536];
	json_t *root = NULL;
	size_t n;
	int flags = 0, rc = EXIT_FAIL;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--tagged") != 0))
		return cli_usage(&cmd_toml_entry);
	if (argc == 2)
		flags = TOML_TAGGED;
	buf_init(&in, TOML_MAX_INPUT);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		if (buf_add(&in, chunk, n) != 0) {
			cli_error("stdin: larger than %d bytes",
			    TOML_MAX_INPUT);
			goto out;
		}
	}
	if (toml_parse(buf_str(&in), in.len, flags, &root, NULL, &err) != 0) {
		cli_error("stdin:%d:%d: %s", err.line, err.col, err.msg);
		goto out;
	}
	oxjson_print(stdout, root, 0);
	rc = EXIT_OK;
out:
	json_decref(root);
	buf_free(&in);
	return rc;
}
