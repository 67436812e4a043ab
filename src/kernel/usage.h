/*
 * usage.h — the usage report: the LLM calls of `llm_calls` (what the gate
 * recorded, kernel/gate.h) grouped by one dimension, over an optional
 * window and for an optional agent (a run), with their tokens and cost.
 * `/api/usage` and `oxios usage` are its faces.
 *
 * The dimensions are a fixed table (usage.c): the SQL expression a group
 * is keyed by comes from it, never from the caller's text.  A group's
 * cost is the sum of its priced calls: unknown (no cost) when every call
 * of the group is unpriced, partial when some are (`unpriced_calls`).
 * Rows come sorted by cost, then tokens (input and output), descending,
 * then by key.
 */
#ifndef OXIOS_KERNEL_USAGE_H
#define OXIOS_KERNEL_USAGE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <sqlite3.h>

#define USAGE_SINCE_MAX 40 /* an RFC 3339 time and its NUL */
#define USAGE_DEFAULT_BY "phase"

struct usage_row {
	char *key; /* the group's value ("execute", "anthropic/m", ...) */
	long long calls;
	long long errors; /* status other than "ok" */
	long long input_tokens;
	long long output_tokens;
	long long cache_read_tokens;
	long long cache_write_tokens;
	long long unpriced_calls; /* cost_usd NULL */
	double cost_usd;          /* of the priced calls; see priced */
	int priced;               /* 0: every call unpriced, the cost unknown */
};

struct usage_report {
	struct usage_row *rows; /* sorted, see above */
	size_t n;
	struct usage_row total; /* key "total" */
};

/* The dimensions, space separated ("phase model ..."), for help text. */
const char *usage_dims(void);
/* Whether `by` names a dimension. */
int usage_dim_ok(const char *by);

/*
 * When a window starts, from `s`: a relative time back from `now_ms`
 * ("90s", "30m", "24h", "7d", "2w": a whole number and a unit) or an
 * RFC 3339 time ("2026-12-01", "2026-12-01T10:00Z",
 * "2026-12-01T10:00:00.5+02:00"), written as the gate writes started_at
 * (UTC, milliseconds: "2026-12-01T08:00:00.500Z") into out (at least
 * USAGE_SINCE_MAX bytes).  0, or -1 with *cause (caller frees).
 */
int usage_since_parse(const char *s, int64_t now_ms, char *out, size_t size,
    char **cause);
/*
 * The same two forms as Unix ms into *at, a relative time counted
 * forward from now_ms ("30d": in 30 days; an expiry).  0, or -1 with
 * *cause (caller frees).
 */
int usage_until_parse(const char *s, int64_t now_ms, int64_t *at, char **cause);

/* Which calls a report counts; each NULL: no condition. */
struct usage_filter {
	const char *since;      /* started at or after (as written by
				   usage_since_parse()) */
	const char *agent_id;   /* made by this agent */
	const char *session_id; /* made by an agent of this session: a
				   chat, or a protocol run with every
				   generation and sub-agent */
};

/*
 * The calls grouped by `by` that pass `f` into *out (free it with
 * usage_report_free()).  0, or -1 with *cause (caller frees): an unknown
 * dimension names the known ones.
 */
int usage_report(sqlite3 *db, const char *by, const struct usage_filter *f,
    struct usage_report *out, char **cause);
/* Free what *r holds (not r). */
void usage_report_free(struct usage_report *r);

/*
 * {by, since (null: all), agent (null: any), session (null: any),
 * rows: [{key, calls, errors,
 * input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
 * cost_usd (null: unknown), unpriced_calls, partial}], total: {...}}.
 * New reference.
 */
json_t *usage_report_json(const struct usage_report *r, const char *by,
    const struct usage_filter *f);
#endif
