/*
 * denials.h — refused credentials (401s) counted per client address and
 * window, so that the audit log gets a bounded number of rows however
 * many refusals come.
 *
 * The first refusal from an address opens a window of `window_ms`: it is
 * audited at once (so an attack shows at once), and denials_note() says
 * so.  The ones after it in the same window are only counted; when the
 * window has passed, denials_take() hands back one record per address
 * with that count, to be audited as one row.  At most two rows per
 * address and window, and the counts of the rows add up to the refusals.
 * The table holds at most `max_addrs` addresses: when a new one comes to
 * a full table, the oldest window is closed early (handed back by
 * denials_note()).  Not thread-safe: the caller locks.
 */
#ifndef OXIOS_HTTP_DENIALS_H
#define OXIOS_HTTP_DENIALS_H

#include <stddef.h>
#include <stdint.h>

#define DENIALS_ADDR 64
#define DENIALS_PATH 128 /* longer paths are cut */

/* A closed window: the refusals after its first. */
struct denial {
	char addr[DENIALS_ADDR];
	char path[DENIALS_PATH];    /* the last refused path */
	long count;                 /* refusals after the first, >= 1 */
	uint64_t first_ms, last_ms; /* monotonic: the window's first, last */
};

struct denials;

struct denials *denials_new(size_t max_addrs, uint64_t window_ms);
void denials_free(struct denials *d);
/*
 * Count a refusal of `path` from `addr` at `now_ms`.  Returns 1 when it
 * opens a window (audit it now), else 0.  When a window had to be closed
 * early to make room, *evicted is filled and *nevicted set to 1 (else 0).
 */
int denials_note(struct denials *d, const char *addr, const char *path,
    uint64_t now_ms, struct denial *evicted, int *nevicted);
/*
 * Close the windows that have passed by `now_ms` (all of them with
 * `all`): their records (those with a count) in *out, their number
 * returned.  Caller frees *out (NULL when none).
 */
size_t denials_take(struct denials *d, uint64_t now_ms, int all,
    struct denial **out);

#endif
