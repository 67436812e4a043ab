/* placeholder */
#include "cli/cli.h"
static int cmd_token(int argc, char **argv) { (void)argc; (void)argv; return EXIT_FAIL; }
const struct cmd_entry cmd_token_entry = { "token", "rotate", "Manage the API token", NULL, "rotate", CMD_HIDDEN, cmd_token };
