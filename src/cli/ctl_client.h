/*
 * ctl_client.h — `oxios run` and `oxios chat` as clients of the daemon:
 * their runs go through its control socket (gateway/ctl.h) when it
 * listens, so one kernel admits every call of the home.
 */
#ifndef OXIOS_CLI_CTL_CLIENT_H
#define OXIOS_CLI_CTL_CLIENT_H

#include "kernel/kernel.h"

/*
 * Connect to $OXIOS_HOME/run/ctl.sock.  Returns the socket; -1 when no
 * daemon listens there (no socket, a stale one): run here, embedded; -2
 * with *cause (caller frees) when one may listen but cannot be reached.
 */
int ctl_client_connect(char **cause);
/*
 * kernel_run() through the daemon on `fd` (closed here): the inputs of
 * `r` go in the request, its hooks get the events, its outputs are
 * filled from the final record.  r->cancel, when fired, cancels the run
 * in the daemon.  Returns 0 when the agent answered, else -1 (r->error
 * or r->reason says why), as kernel_run() does.
 */
int ctl_client_run(int fd, struct kernel_run *r);

#endif
