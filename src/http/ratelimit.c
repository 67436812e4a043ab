/*
 * ratelimit.c — token buckets per client address.
 *
 * Tokens are kept in fixed point: one token is RL_UNIT units and a bucket
 * gains `per_min` units per millisecond (60000 ms a minute), so the refill
 * is exact integer arithmetic and a full bucket holds per_min * RL_UNIT.
 *
 * The buckets live in a pool of max_clients entries, found through a
 * chained hash table keyed with SipHash under a random key (addresses are
 * chosen by clients, who must not be able to aim at one chain).  When the
 * pool is full the least recently seen bucket is reused: an O(n) scan, but
 * only when a new address arrives at a full table.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "http/ratelimit.h"
#include "util/xalloc.h"

#define RL_UNIT 60000LL            /* units per token: ms in a minute */
#define RL_MAX_PER_MIN 1000000000L /* keeps per_min * RL_UNIT in range */
#define RL_NONE (-1)

struct rl_bucket {
	char *addr;       /* owned; NULL while the entry is free */
	long long units;  /* tokens * RL_UNIT */
	uint64_t seen_ms; /* last take, for refill and eviction */
	int next;         /* next entry in the chain, or RL_NONE */
};

struct ratelimit {
	pthread_mutex_t lock;
	long per_min;
	int max_clients;
	int used;               /* entries taken from the pool */
	struct rl_bucket *pool; /* max_clients entries */
	int *heads;             /* nheads chain heads */
	size_t nheads;          /* a power of two >= max_clients */
	unsigned char key[crypto_shorthash_KEYBYTES];
};

/* 0 (no limit) stays 0; else 1 .. RL_MAX_PER_MIN (a negative rate is
 * nonsense, taken as the strictest). */
static long
ratelimit_clamp(long per_min)
{
	if (per_min == 0)
		return 0;
	if (per_min < 0)
		return 1;
	if (per_min > RL_MAX_PER_MIN)
		return RL_MAX_PER_MIN;
	return per_min;
}

struct ratelimit *
ratelimit_new(long per_min, int max_clients)
{
	struct ratelimit *rl;
	size_t i;

	rl = xcalloc(1, sizeof *rl);
	pthread_mutex_init(&rl->lock, NULL);
	rl->per_min = ratelimit_clamp(per_min);
	rl->max_clients = max_clients < 1 ? 1 : max_clients;
	rl->pool = xcalloc((size_t)rl->max_clients, sizeof *rl->pool);
	rl->nheads = 16;
	while (rl->nheads < (size_t)rl->max_clients)
		rl->nheads *= 2;
	rl->heads = xcalloc(rl->nheads, sizeof *rl->heads);
	for (i = 0; i < rl->nheads; i++)
		rl->heads[i] = RL_NONE;
	crypto_shorthash_keygen(rl->key);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	int i;

	if (rl == NULL)
		return;
	for (i = 0; i < rl->used; i++)
		free(rl->pool[i].addr);
	free(rl->pool);
	free(rl->heads);
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

void
ratelimit_set(struct ratelimit *rl, long per_min)
{
	/*
	 * A bucket over the new burst is clamped by its next take, before
	 * any token is spent, so there is nothing to walk here.
	 */
	pthread_mutex_lock(&rl->lock);
	rl->per_min = ratelimit_clamp(per_min);
	pthread_mutex_unlock(&rl->lock);
}

static size_t
ratelimit_slot(struct ratelimit *rl, const char *addr)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const unsigned char *)addr, strlen(addr), rl->key);
	memcpy(&v, h, sizeof v);
	return (size_t)(v & (rl->nheads - 1));
}

/* Remove entry `e` from its chain.  Called with the lock held. */
static void
ratelimit_unlink(struct ratelimit *rl, int e)
{
	int *link = &rl->heads[ratelimit_slot(rl, rl->pool[e].addr)];

	while (*link != RL_NONE && *link != e)
		link = &rl->pool[*link].next;
	if (*link == e)
		*link = rl->pool[e].next;
}

/* The bucket for `addr`, made (or recycled) if new.  Lock held. */
static struct rl_bucket *
ratelimit_find(struct ratelimit *rl, const char *addr, uint64_t now_ms)
{
	struct rl_bucket *b;
	size_t slot = ratelimit_slot(rl, addr);
	int e, i;

	for (e = rl->heads[slot]; e != RL_NONE; e = rl->pool[e].next) {
		if (strcmp(rl->pool[e].addr, addr) == 0)
			return &rl->pool[e];
	}
	if (rl->used < rl->max_clients)
		e = rl->used++;
	else {
		/* Full: the bucket idle longest is the least informative. */
		e = 0;
		for (i = 1; i < rl->used; i++) {
			if (rl->pool[i].seen_ms < rl->pool[e].seen_ms)
				e = i;
		}
		ratelimit_unlink(rl, e);
		free(rl->pool[e].addr);
	}
	b = &rl->pool[e];
	b->addr = xstrdup(addr);
	b->units = rl->per_min * RL_UNIT;
	b->seen_ms = now_ms;
	b->next = rl->heads[slot];
	rl->heads[slot] = e;
	return b;
}

int
ratelimit_take(struct ratelimit *rl, const char *addr, uint64_t now_ms,
    int *retry_after)
{
	struct rl_bucket *b;
	long long full, ms, need;
	uint64_t elapsed;
	int rc = -1;

	pthread_mutex_lock(&rl->lock);
	if (rl->per_min == 0) { /* no limit: nothing to count */
		pthread_mutex_unlock(&rl->lock);
		return 0;
	}
	b = ratelimit_find(rl, addr, now_ms);
	full = rl->per_min * RL_UNIT;
	/* A clock that went back refills nothing; a minute refills all. */
	elapsed = now_ms > b->seen_ms ? now_ms - b->seen_ms : 0;
	if (elapsed >= (uint64_t)RL_UNIT)
		b->units = full;
	else {
		b->units += (long long)elapsed * rl->per_min;
		if (b->units > full)
			b->units = full;
	}
	if (now_ms > b->seen_ms)
		b->seen_ms = now_ms;
	if (b->units >= RL_UNIT) {
		b->units -= RL_UNIT;
		rc = 0;
	} else if (retry_after != NULL) {
		/* need > 0, so both ceilings give at least 1 (second). */
		need = RL_UNIT - b->units;
		ms = (need + rl->per_min - 1) / rl->per_min;
		*retry_after = (int)((ms + 999) / 1000);
	}
	pthread_mutex_unlock(&rl->lock);
	return rc;
}
