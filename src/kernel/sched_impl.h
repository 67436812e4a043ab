/*
 * sched_impl.h — the scheduler's state, shared by its two files:
 * scheduler.c (admission) and sched_stats.c (what /api/scheduler shows).
 * Not for other modules: they use kernel/scheduler.h.
 *
 * Everything here is guarded by sched_lock.
 */
#ifndef OXIOS_KERNEL_SCHED_IMPL_H
#define OXIOS_KERNEL_SCHED_IMPL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/scheduler.h"

#define SCHED_RING 64   /* admissions remembered, for the observed rate */
#define SCHED_WAITS 128 /* waits remembered per class, for p50/p95 */
#define SCHED_SECS 60   /* one-second slots of a minute's counters */

/* A sum over the last minute, in one-second slots. */
struct sched_minute {
	uint64_t sec[SCHED_SECS]; /* the second a slot holds (+1; 0: none) */
	double val[SCHED_SECS];
};

/* A token bucket: `level` (may be below 0: a debt) refilled over time. */
struct sched_bucket {
	double level;
	uint64_t refill_ms;
	int primed; /* filled at the first look */
};

struct sched_class {
	unsigned long admitted;
	struct sched_minute per_sec; /* admissions */
	long waits[SCHED_WAITS];
	size_t nwaits, wnext;
};

struct sched_model {
	struct sched_model *next;
	char name[128];
	int in_flight;
	struct sched_bucket rpm, tpm;
	struct sched_limits lim; /* the last ones a call brought */
};

struct sched_provider {
	char name[64];
	int in_flight;
	double rate;             /* rpm allowed by AIMD; 0: not reduced */
	double base;             /* rpm before the last decrease */
	struct sched_bucket req; /* requests, filled at the paced rate */
	uint64_t blocked_until;  /* Retry-After: nothing goes before */
	unsigned long epoch;     /* decreases so far */
	uint64_t ring[SCHED_RING];
	size_t nring, ring_next;
	unsigned long admitted, rate_limited;
	struct sched_bucket tpm;         /* tokens per minute */
	struct sched_minute requests;    /* admitted, last minute */
	struct sched_minute tokens_used; /* charged, last minute */
	struct sched_limits lim;         /* the last ones a call brought */
	struct sched_model *models;
	struct sched_class cls[CALL_NCLASSES];
};

/* An agent's fair-share account (id "": the calls of no agent). */
struct sched_agent {
	struct sched_agent *next;
	char id[64];
	double tokens; /* used, halved every minute, as of `stamp` */
	uint64_t stamp;
	int refs; /* calls queued or running */
};

/* A call queued or running. */
struct sched_call {
	struct sched_call *next;
	unsigned long long id; /* arrival order */
	struct sched_provider *sp;
	struct sched_model *sm;
	struct sched_agent *agent;
	char model[128], principal[64];
	enum call_class cls;
	int running;
	int slot;          /* needs a concurrency slot to go */
	int fd;            /* eventfd: written when it may look again */
	uint64_t since;    /* queued or running since */
	long waited_ms;    /* queued before, in total */
	long long est;     /* tokens each admission charges */
	long long charged; /* tokens charged so far */
	struct sched_limits lim;
};

extern pthread_mutex_t sched_lock;
extern struct sched_provider **sched_provs;
extern size_t sched_nprovs;
extern struct sched_call *sched_calls;
extern struct sched_agent *sched_agents;
extern uint64_t (*sched_now)(void);

/* The class `c` waits in now, aged (CALL_INTERACTIVE at best). */
int sched_effective_class(const struct sched_call *c, uint64_t now);
/* An agent's tokens decayed to `now` (updates it). */
double sched_agent_tokens(struct sched_agent *a, uint64_t now);
/* The requests/minute that hold for `sp` now (0: none). */
double sched_effective(const struct sched_provider *sp,
    const struct sched_limits *lim);
/* The sum of `m` over the minute before `now`. */
double sched_minute_sum(const struct sched_minute *m, uint64_t now);
#endif
