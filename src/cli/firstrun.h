/*
 * firstrun.h — what `oxios start` does first when Oxios is not set up.
 */
#ifndef OXIOS_CLI_FIRSTRUN_H
#define OXIOS_CLI_FIRSTRUN_H

/*
 * Before a start: with no config.toml and a terminal on stdin and stdout,
 * run the setup wizard (`oxios onboard`); without a terminal, say on
 * stderr that there is none and how to make one.  Either way, when the
 * default model's provider needs a key and has none, say which and how
 * to set it.  Returns EXIT_OK to go on with the start, or the wizard's
 * exit code when it failed.
 */
int firstrun_check(void);

#endif
