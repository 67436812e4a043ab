/*
 * cli_out.h — how `oxios run` and `oxios chat` show an agent at work:
 * answer text streamed to stdout, tool activity compactly to stderr.
 */
#ifndef OXIOS_CLI_CLI_OUT_H
#define OXIOS_CLI_CLI_OUT_H

#include "agent/loop.h"

struct cli_out {
	int quiet; /* show nothing (--json) */
	int wrote; /* text written since the last newline */
};

/* Hooks writing to the terminal through `o`. */
void cli_out_hooks(struct cli_out *o, struct agent_hooks *h);
/* End the streamed text with a newline if it needs one. */
void cli_out_finish(struct cli_out *o);

#endif
