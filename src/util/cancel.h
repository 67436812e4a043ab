/*
 * cancel.h — a cancel token: how one thread tells the work of another to
 * stop, at once and without a race.
 *
 * A token is an atomic flag, an eventfd, an optional deadline and an
 * optional parent.  cancel_fire() sets the flag, makes the eventfd
 * readable and fires every token chained below it (a sub-agent's token
 * fires with its parent's).  A deadline counts as fired once it has
 * passed; a child inherits the earliest deadline of its ancestors.
 *
 * Waiting code never sleeps in slices to look at a flag: it polls
 * cancel_fd() beside its own descriptors, with a timeout no later than
 * the deadline (cancel_poll() does both).  A signal handler never fires a
 * token (fire takes a lock): it sets a sig_atomic_t or writes to a pipe
 * that a thread turns into cancel_fire().
 *
 * Lifetime: a token is initialised by its owner, outlives every token
 * chained to it and every thread that polls it, and is destroyed by its
 * owner.  Every function but cancel_init() and cancel_destroy() may be
 * called from any thread at once.
 */
#ifndef OXIOS_UTIL_CANCEL_H
#define OXIOS_UTIL_CANCEL_H

#include <poll.h>
#include <stdint.h>

struct cancel {
	int fired;         /* atomic: 1 once fired (not set by a deadline) */
	int fd;            /* eventfd, readable once fired; -1 if none could
			    be made (then polls wake every 50 ms) */
	uint64_t deadline; /* monotonic ms; 0: none (own or inherited) */
	struct cancel *parent;
	struct cancel *children; /* tokens chained below (tree lock) */
	struct cancel *next_sibling;
};

/*
 * Make a token below `parent` (may be NULL).  `timeout_ms` > 0 sets a
 * deadline that far from now; the earlier of it and the parent's holds.
 * A token whose parent has already fired starts fired.
 */
void cancel_init(struct cancel *c, struct cancel *parent, long timeout_ms);
/* Unchain `c` from its parent and release its descriptor. */
void cancel_destroy(struct cancel *c);
/* Fire `c` and every token below it.  Idempotent. */
void cancel_fire(struct cancel *c);
/* Whether `c` was fired or its deadline has passed.  NULL: never. */
int cancel_fired(const struct cancel *c);
/* Whether `c` stops because of its deadline (not fired by anyone). */
int cancel_timed_out(const struct cancel *c);
/* The descriptor to poll for POLLIN; -1 for NULL (or none). */
int cancel_fd(const struct cancel *c);
/*
 * How long a wait of `ms` (< 0: forever) may last before the deadline of
 * `c` (may be NULL): the smaller of the two, in ms (< 0: forever).
 */
int cancel_wait_ms(const struct cancel *c, int ms);
/*
 * poll(2) on `fds` (n may be 0) and the token at once.  Returns what
 * poll() returns (EINTR retried), or -1 with errno ECANCELED as soon as
 * `c` is fired or its deadline passes.
 */
int cancel_poll(const struct cancel *c, struct pollfd *fds, nfds_t n,
    int timeout_ms);
/* Sleep `ms`, waking when `c` fires.  0, or -1 if it fired. */
int cancel_sleep(const struct cancel *c, long ms);

#endif
