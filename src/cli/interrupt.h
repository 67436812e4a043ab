/*
 * interrupt.h — Ctrl-C (and SIGTERM) for commands that run an agent in
 * this process: the signal handler only sets a sig_atomic_t and writes a
 * byte to a pipe; a relay thread reads the pipe and fires the cancel
 * token that is armed, outside any signal context.
 */
#ifndef OXIOS_CLI_INTERRUPT_H
#define OXIOS_CLI_INTERRUPT_H

#include "util/cancel.h"

/*
 * Catch SIGINT, and SIGTERM when `term`, without SA_RESTART (a blocking
 * read returns EINTR), and start the relay.  0, or -1 with *cause.
 */
int cli_interrupt_start(int term, char **cause);
/* Fire `c` on the next signal (NULL: fire nothing).  `c` must stay
 * valid until it is disarmed. */
void cli_interrupt_arm(struct cancel *c);
/* Whether a signal came since the last cli_interrupt_clear(). */
int cli_interrupted(void);
void cli_interrupt_clear(void);
/* Restore the default handlers and end the relay. */
void cli_interrupt_stop(void);

#endif
