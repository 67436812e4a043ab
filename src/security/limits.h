/*
 * limits.h — the worker's bounds that rlimits alone do not give: how many
 * processes its PID namespace may hold, and how many bytes an agent's
 * run may add to its workspace (docs/security.md, "Limits").
 *
 * Processes are bounded three ways, each where it binds:
 *   - cgroup v2 `pids.max`, set by the client where a cgroup is delegated
 *     (security/cgroup.h);
 *   - the PID namespace's own pid_max (Linux 6.14 and later): pids of the
 *     namespace are allocated below it, root's included.  After the first
 *     wrap the kernel allocates from LIMITS_PID_RESERVED (300) up, so
 *     pid_max is the cap plus 301: at least the cap, at most the cap plus
 *     300 processes can exist there;
 *   - RLIMIT_NPROC, which counts the tasks of a uid in a user namespace
 *     and binds all but root (the kernel exempts real uid 0, even inside
 *     a user namespace).
 */
#ifndef OXIOS_SECURITY_LIMITS_H
#define OXIOS_SECURITY_LIMITS_H

#include <sys/resource.h>
#include <jansson.h>

#define LIMITS_PID_RESERVED 300 /* the kernel's RESERVED_PIDS */
#define LIMITS_WS_MAX_DEPTH 128 /* directories deeper are not measured */
#define LIMITS_WS_EVERY_MS 250  /* exec: measure the workspace this often */

/*
 * Bound the processes of this PID namespace to about `max_procs` (call
 * in the namespace, before capabilities are dropped).  Returns a new
 * object for the sandbox report: {"cap": N, "bound": the most processes
 * the namespace can hold (0: none), "by": [what binds]}, and adds a
 * warning to `warnings` when nothing binds.  `pidns`: whether we are in
 * a PID namespace of our own.
 */
json_t *limits_procs(int max_procs, int pidns, json_t *warnings);
/*
 * The RLIMIT_NPROC to set for `max_procs`: the cap itself in a user
 * namespace of our own (the count is the namespace's), else the tasks the
 * real uid runs now plus the cap.  RLIM_INFINITY for root.
 */
rlim_t limits_nproc(int max_procs);
/* Whether this process is in a user namespace other than the initial. */
int limits_userns(void);
/*
 * Whether a fork fails now for want of a pid or of RLIMIT_NPROC (a probe:
 * the child exits at once and is reaped).
 */
int limits_fork_fails(void);
/* Processes now in our PID namespace (as /proc shows them), or -1. */
long limits_ns_procs(void);
/*
 * Bytes allocated under the directory `dirfd` (st_blocks * 512 of every
 * entry, links not followed, each hard link counted), at most
 * LIMITS_WS_MAX_DEPTH deep.
 */
unsigned long long limits_ws_usage(int dirfd);
/* "1.1 GB", "640 MB", "12 kB", "3 bytes" into buf. */
const char *limits_bytes(unsigned long long n, char *buf, size_t size);
/*
 * The message when `used` (now) minus `base` (at the run's start) is
 * over `cap`: "the workspace grew by 1.1 GB, over the cap of 1 GB for
 * this run".  NULL when within the cap or cap is 0 (caller frees).
 */
char *limits_ws_over(unsigned long long used, unsigned long long base,
    unsigned long long cap);

#endif
