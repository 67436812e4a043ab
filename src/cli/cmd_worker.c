/*
 * cmd_worker.c — oxios __worker: an agent's sandboxed hands.
 *
 * Hidden: the kernel starts it (hands_spawn()) with its connection on
 * fd 3; see docs/worker-protocol.md.
 */
#include "agent/hands.h"
#include "cli/cli.h"

static int cmd_worker(int, char **);

const struct cmd_entry cmd_worker_entry = {
	.name = "__worker",
	.usage = "",
	.summary = "The sandboxed tool worker of an agent (internal).",
	.words = "",
	.flags = CMD_HIDDEN | CMD_NOHOME,
	.exec = cmd_worker,
};

static int
cmd_worker(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage(&cmd_worker_entry);
	return worker_main();
}
