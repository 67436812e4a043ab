/*
 * metrics.h — what the daemon counts, for GET /metrics (Prometheus text
 * exposition format 0.0.4) and GET /api/metrics (JSON).
 *
 * HTTP requests are counted by route pattern (not the raw path: bounded
 * cardinality), method and status, with a latency histogram per route.
 * Thread-safe; recording is a short critical section.
 */
#ifndef OXIOS_HTTP_METRICS_H
#define OXIOS_HTTP_METRICS_H

#include <jansson.h>

#include "kernel/monitor.h"
#include "util/buf.h"

/* Latency histogram buckets, seconds (upper bounds; +Inf is implicit). */
#define METRICS_BUCKETS \
	{ \
		0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, \
		    0.5, 1, 2.5, 5, 10, 30, 60 \
	}

/* Count one answered request.  `route` is the pattern ("/api/agents/{id}")
 * or "unmatched".  */
void metrics_http(const char *route, const char *method, int status,
    double seconds);

/* Gauges and counters that other modules own, sampled at scrape time. */
struct metrics_sample {
	long long uptime_ms;
	int agents_running, agents_queued;
	json_t *agents_by_state; /* {"exited": 3, ...} from the database */
	json_t *llm;             /* [{"provider","model","kind","status",
				     "calls","input_tokens","output_tokens",
				     "cost_usd"}] from llm_calls (gate_usage();
				     the text format sums over kind) */
	json_t *breakers;        /* [{"provider","state",...}]: the
				     providers' circuit breakers
				     (breaker_status()) */
	long long events_published;
	int sse_clients, ws_clients;
	long long rate_limited;        /* requests answered 429 */
	long long auth_failures;       /* requests answered 401 */
	int have_resources;            /* the resource monitor has sampled */
	struct monitor_snap resources; /* its last sample */
};

/* Render everything as Prometheus text into `out`.  0, or -1 over cap. */
int metrics_prometheus(struct buf *out, const struct metrics_sample *s);
/* The same as JSON.  New reference. */
json_t *metrics_json(const struct metrics_sample *s);
/* Forget every HTTP count (tests). */
void metrics_reset(void);

#endif
