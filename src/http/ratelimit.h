/*
 * ratelimit.h — a token bucket per client address.
 *
 * Each address gets `per_min` tokens a minute, refilled continuously, and a
 * burst of at most `per_min` (so a fresh client can spend a minute's worth
 * at once).  The table is bounded: when full, the buckets idle longest are
 * evicted (a full bucket carries no information).  Thread-safe.
 */
#ifndef OXIOS_HTTP_RATELIMIT_H
#define OXIOS_HTTP_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* A limiter for `per_min` requests a minute (0: no limit, every take
 * allowed; below 0: 1), at most `max_clients` addresses tracked.  */
struct ratelimit *ratelimit_new(long per_min, int max_clients);
void ratelimit_free(struct ratelimit *rl);
/* Change the rate (config reload; 0 turns the limit off); existing
 * buckets are clamped. */
void ratelimit_set(struct ratelimit *rl, long per_min);
/*
 * Take one token for `addr` (a printable address, e.g. "127.0.0.1") at
 * monotonic time `now_ms`.  Returns 0 if allowed; else -1 and *retry_after
 * (seconds, >= 1) says when the next token comes.
 */
int ratelimit_take(struct ratelimit *rl, const char *addr, uint64_t now_ms,
    int *retry_after);

#endif
