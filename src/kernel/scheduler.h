/*
 * scheduler.h — rate-limit-aware admission of LLM calls, per provider and
 * per model, asked by the gate (gate_call_scoped(), gate_embed()) before
 * every call and told its outcome after it.
 *
 * Which waiting call goes first: the one of the most urgent priority
 * class (interactive > run > subagent > background), a call rising one
 * class for every `aging_ms` it has waited, so that nothing starves;
 * within a class the one whose agent has used the fewest tokens lately
 * (fair share: each agent's tokens, halved every minute; calls without
 * an agent share one account); then arrival order.
 *
 * What lets it go, per provider: a concurrency limit (calls in flight), a
 * requests-per-minute token bucket (the configured rate, or none when the
 * limit is unknown) and a tokens-per-minute bucket (a call takes its
 * estimate at admission; its real usage corrects the bucket at release).
 * The same three per model where configured.  A call held back by its
 * provider holds back every call to it ranked after it; a call held back
 * only by its model's limits lets the calls to other models pass.  A
 * waiting call goes at once when its cancel token fires.  A requests
 * bucket holds one call and fills at 95% of the allowed rate, so that a
 * provider's fixed window never sees more than its limit.
 *
 * The providers' rate-limit headers (sched_observe()): requests or tokens
 * remaining 0 hold the provider until their reset; a limit per minute
 * becomes its allowed rate (never above the configured one).
 *
 * AIMD on the admission rate: an attempt answered 429 or 529 halves the
 * provider's allowed rate (starting from the configured rate, or from the
 * rate observed over the last minute when it is unknown), once per
 * decrease: the other calls admitted before it do not halve it again.  A
 * Retry-After stops every admission to that provider until it has passed.
 * Each successful call adds back a fiftieth of the rate before the
 * decrease (at least 1 request/minute); once the rate is back to the configured one (or,
 * unknown, to twice the rate before the decrease) the reduction ends.
 * Nothing else holds a provider back: a cooldown cannot stick.
 *
 * The state lives in this process.  Thread-safe.
 */
#ifndef OXIOS_KERNEL_SCHEDULER_H
#define OXIOS_KERNEL_SCHEDULER_H

#include <stdint.h>
#include <jansson.h>

#include "kernel/scope.h"
#include "llm/llm.h"
#include "util/cancel.h"

#define SCHED_AGING_MS 30000 /* aging_ms when not given */

/* The limits of one call's provider and model, read from the
 * configuration by the caller (0: none, unless said otherwise). */
struct sched_limits {
	int max_concurrent; /* provider: calls in flight (>= 1) */
	long rpm;           /* provider: requests per minute; 0: unknown */
	long tpm;           /* provider: tokens per minute; 0: unknown */
	int model_max_concurrent; /* the call's model */
	long model_rpm;
	long model_tpm;
	long aging_ms; /* waited this long, a call rises a class; 0: default */
};

struct sched_call;

/* What sched_admit() gave a call, handed back to sched_release(). */
struct sched_ticket {
	char provider[64];
	unsigned long epoch; /* the provider's decrease count at admission */
	long queue_ms;       /* waited for admission, retries included */
	int held;            /* holds a concurrency slot */
	struct sched_call *call; /* its entry in the table of calls */
};

/* What one provider looks like now (sched_stats()). */
struct sched_stats {
	int in_flight;
	int queued;
	double rate_rpm; /* the allowed rate now; 0: no limit */
	long blocked_ms; /* how long Retry-After still holds it; 0: not */
	unsigned long admitted;
	unsigned long rate_limited; /* 429/529 attempts reported */
};

/*
 * The clock (monotonic milliseconds) every decision reads; NULL restores
 * time_mono_ms().  For tests, which wake the waiters with sched_kick()
 * after moving it.
 */
void sched_set_clock(uint64_t (*now_ms)(void));

/*
 * Wait until a call to `provider`/`model` for `scope` (NULL: background,
 * principal "default", no agent) may go, charging `tokens` (its
 * estimate) to the token buckets and to its agent: 0 with *t filled (give
 * it back with sched_release()), or -1 with *err (LLM_ERR_CANCELLED) as
 * soon as `cancel` (may be NULL) fires.
 */
int sched_admit(const char *provider, const char *model,
    const struct call_scope *scope, long long tokens,
    const struct sched_limits *lim, const struct cancel *cancel,
    struct sched_ticket *t, struct llm_error *err);

/*
 * An attempt of the admitted call `t` was answered 429 or 529 (`err`:
 * its status and Retry-After) and will be retried: slow the provider
 * down, then wait for its admission again (the call keeps its slot).  0
 * once it may retry, -1 if `cancel` fired first.
 */
int sched_throttled(struct sched_ticket *t, const struct sched_limits *lim,
    const struct llm_error *err, const struct cancel *cancel);

/*
 * The call `t` is over: rc 0 (a success, which speeds the provider up
 * again) or -1 with `err` (a final 429/529 slows it down like
 * sched_throttled(); other errors are neutral).  `used` is the tokens it
 * really used (0 if unknown): the difference from what its admissions
 * charged goes back to (or is taken from) the token buckets and its
 * agent.  Frees its slot and its entry.
 */
void sched_release(struct sched_ticket *t, const struct sched_limits *lim,
    int rc, const struct llm_error *err, long long used);

/*
 * An answer of `provider` carried rate-limit headers `rl`: requests or
 * tokens remaining 0 hold its admissions until their reset; a known
 * limit (per minute) becomes its allowed rate, never above lim->rpm
 * when that is set.  Never blocks.
 */
void sched_observe(const char *provider, const struct sched_limits *lim,
    const struct llm_ratelimit *rl);

/* Whether an error is the provider limiting its rate (429, 529). */
int sched_rate_limited(const struct llm_error *err);

/*
 * How many calls of agent `agent_id` wait for admission now (the
 * reaper: an agent the kernel holds back is not stalled).
 */
int sched_waiting(const char *agent_id);

/* The state of `provider` now (all zero if never seen). */
void sched_stats(const char *provider, struct sched_stats *out);

/*
 * The calls queued and running: [{id, provider, model, agent_id,
 * principal, class, effective_class, state, waited_ms, since}], queued
 * first, best ranked first.  New reference.
 */
json_t *sched_tasks_json(void);

/*
 * Per provider: {provider, in_flight, queued, admitted, rate_limited,
 * blocked_ms, max_concurrent, rpm: {now, limit, allowed}, tpm: {now,
 * limit}, classes: {NAME: {queued, in_flight, admitted, admitted_per_sec,
 * wait_p50_ms, wait_p95_ms}}, models: [...]}, and the agents' fair-share
 * accounts: {providers: [...], agents: [{agent_id, tokens, queued,
 * running}]}.  New reference.
 */
json_t *sched_stats_json(void);

/* Wake every waiting call to look again (after the clock moved). */
void sched_kick(void);

/* Forget every provider and agent (tests; no call may be waiting or
 * running). */
void sched_reset(void);
#endif
