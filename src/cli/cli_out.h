/*
 * cli_out.h — how `oxios run` and `oxios chat` show an agent at work:
 * answer text streamed to stdout, tool activity compactly to stderr, and
 * on a terminal a spinner on stderr with the phase and the time taken
 * (cli/spinner.h), and a line for each retried call.
 */
#ifndef OXIOS_CLI_CLI_OUT_H
#define OXIOS_CLI_CLI_OUT_H

#include "agent/loop.h"
#include "kernel/kernel.h"

struct spinner;

struct cli_out {
	int quiet;            /* show nothing (--json) */
	int wrote;            /* text written since the last newline */
	struct spinner *spin; /* cli_out_spin(); NULL: none */
	int out_tty;          /* stdout is a terminal (cli_out_spin()) */
	char phase[32];       /* the Ouroboros phase, or "" */
	char tool[64];        /* the tool running, or "" */
};

/* Hooks writing to the terminal through `o`. */
void cli_out_hooks(struct cli_out *o, struct agent_hooks *h);
/* kernel_run's phase_hook, with hooks.arg `o` (cli_out_hooks()). */
void cli_out_phase(const struct kernel_run *r, const char *seed_id,
    int generation, const char *phase, void *arg);
/* Start the spinner, unless quiet or stderr is no terminal. */
void cli_out_spin(struct cli_out *o);
/* Pause the spinner while the user is asked (1), or resume it (0). */
void cli_out_pause(struct cli_out *o, int paused);
/* Stop the spinner; end the streamed text with a newline if it needs
 * one. */
void cli_out_finish(struct cli_out *o);

#endif
