/*
 * worker_init.h — a small init for the worker's PID namespace.
 *
 * The worker starts as PID 1 of its namespace; worker_init_start() forks
 * it: the child (PID 2) goes on as the worker, an ordinary process that
 * its RLIMIT_CPU kills; the parent stays PID 1 and only reaps every
 * child, forwards SIGTERM, SIGINT and SIGHUP to the worker, and watches
 * the connection for a hang-up (the client process gone: kill -9 of
 * `oxios run` or of the daemon).  It exits when the worker ends, with
 * worker_init_code() of its status, or WORKER_INIT_GRACE_MS after the
 * hang-up; its exit makes the kernel kill everything left in the
 * namespace.
 */
#ifndef OXIOS_AGENT_WORKER_INIT_H
#define OXIOS_AGENT_WORKER_INIT_H

#include <sys/types.h>

#define WORKER_INIT_GRACE_MS 500  /* hang-up: the worker's time to exit */
#define WORKER_INIT_SIGNALLED 128 /* exit code 128+N: killed by signal N */

/*
 * Fork the worker off (call as PID 1, before the policy is read).
 * Returns 0 in the worker; never returns in the init; -1 with *why
 * (static) when it could not fork: the caller goes on as init itself.
 * `sock` is the connection (fd 3).
 */
pid_t worker_init_start(int sock, const char **why);
/* The init's exit code for the worker's wait status. */
int worker_init_code(int status);
/* The signal an init's exit code says killed the worker, or 0. */
int worker_init_signal(int code);

#endif
