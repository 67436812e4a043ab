/*
 * daemon.h — the kernel as a service: the HTTP API, the WebSocket hub, the
 * event bus and the agents, until SIGTERM.
 */
#ifndef OXIOS_DAEMON_H
#define OXIOS_DAEMON_H

#include "config/config.h"

/*
 * Serve until SIGTERM or SIGINT (graceful: stop accepting, let running
 * agents finish within kernel.shutdown_grace_secs, cancel the rest, flush)
 * and reload the configuration on SIGHUP.  `cfg` is taken.  When ready
 * (listening), or on failure, one line goes to `ready_fd` (if >= 0):
 * "ok" or the error.  Returns 0 after a clean stop, -1 with *cause if it
 * could not start.
 */
int daemon_serve(struct config *cfg, int ready_fd, char **cause);

#endif
