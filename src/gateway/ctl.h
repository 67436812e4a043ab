/*
 * ctl.h — the daemon's control socket, $OXIOS_HOME/run/ctl.sock: one
 * kernel per home.  `oxios run` and `oxios chat` hand their runs to the
 * daemon through it (protocol: ctl_proto.h), so that the daemon's
 * scheduler, breakers and budgets admit their calls like every other
 * agent's.  Runs start through the gateway like the REST chats.
 *
 * The directory is 0700, the socket 0600, and each peer's uid (from
 * SO_PEERCRED) must be the daemon's effective uid: anyone else gets one
 * error line, and the refusal is audited.
 */
#ifndef OXIOS_GATEWAY_CTL_H
#define OXIOS_GATEWAY_CTL_H

/* The socket's path, "run/ctl.sock" under $OXIOS_HOME. */
#define CTL_SOCKET "run/ctl.sock"

/*
 * Listen (a stale socket left by a daemon that died is replaced) and
 * start the accepting thread.  0, or -1 with *cause (caller frees).
 */
int ctl_start(char **cause);
/* Accept no more: close and remove the socket.  Runs go on. */
void ctl_quiesce(void);
/* After the runs ended: drop the connections left, wait for their
 * threads (up to `ms`). */
void ctl_stop(long ms);

#endif
