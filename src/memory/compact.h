/*
 * compact.h — the compaction tree: raw memories rolled up into daily,
 * weekly and monthly summaries, and a root summary per topic.
 *
 * Raw memories are those of the types episode, session, conversation,
 * fact and knowledge (what happened, and notes); preferences, decisions,
 * the user's profile and skills are standing knowledge and stay as they
 * are.  Periods are UTC: a day; an ISO 8601 week (Monday to Sunday); a
 * month, which holds the weeks whose Thursday falls in it (as ISO 8601
 * gives a week to the year of its Thursday), so every level nests in the
 * next.  A root summary per topic (root.h's topics of the raw memories
 * below) covers the monthly summaries that cover that topic.
 *
 * Only closed periods are compacted (their end is at or before the
 * memory clock, mem_clock_ms()).  Each summary is written by the model of
 * engine.default_model through the gate (gate_call(): background class,
 * the global budgets, the breaker); a refused or failed call leaves the
 * period (and every level above it) for the next run: no summary is ever
 * made up.  A summary is a memory of type "summary" (migration 018:
 * memory_summaries says its level and period, memory_summary_sources its
 * sources).  Re-running changes nothing unless a period gained sources:
 * then its summary is rewritten (the old text and every source still
 * there go to the model) and keeps its id.
 */
#ifndef OXIOS_MEMORY_COMPACT_H
#define OXIOS_MEMORY_COMPACT_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <jansson.h>

#include "config/config.h"

enum compact_level {
	COMPACT_DAILY,
	COMPACT_WEEKLY,
	COMPACT_MONTHLY,
	COMPACT_ROOT,
	COMPACT_NLEVELS
};

#define COMPACT_SOURCE_BYTES 2000  /* of one source in a prompt */
#define COMPACT_PROMPT_BYTES 32768 /* of the sources in one prompt */
#define COMPACT_TREE_NODES 2000    /* nodes of one tree answer */

/* "daily", "weekly", "monthly", "root"; parse: -1 if unknown. */
const char *compact_level_name(enum compact_level l);
int compact_level_parse(const char *s);
/* Whether a memory of this type is raw material of compaction. */
int compact_raw_type(const char *type);

/* A period of a level: its key ("2026-10-03", "2026-W40", "2026-10") and
 * its span [start_ms, end_ms). */
struct compact_period {
	char key[16];
	int64_t start_ms, end_ms;
};

/*
 * The period of `level` (daily, weekly or monthly) that holds the instant
 * `ms` (UTC).  A monthly period is the month of the Thursday of the ISO
 * week holding `ms`, spanning the whole weeks it holds.  0, or -1 for the
 * root level.
 */
int compact_period_of(enum compact_level level, int64_t ms,
    struct compact_period *p);

/*
 * Compact: every closed period's summary written or, when it gained
 * sources, rewritten; then (memory.prune_covered_days > 0) covered,
 * unprotected raw memories older than that pruned.  `actor` is the audit
 * actor of the summaries written ("dream", "user", a token's name).
 * Emits "memory.compacted".  Returns the report (new reference):
 * {levels: {daily: {written, rewritten, unchanged, pending}, ...},
 * calls, model, pruned, pruned_ids, clock, refused?, capped?,
 * max_calls?, pending_why?}, or NULL with *cause.  A call the gate
 * refuses (a budget, the breaker, no key, the service stopping) ends the
 * run's calls; `refused` says why.  `pending_why` says why periods were
 * left pending, when some were (the text the CLI and the dashboard
 * show).  One runs
 * at a time on a home: another gets NULL, errno EBUSY, "a compaction is
 * already running".
 */
json_t *memory_compact(sqlite3 *db, const struct config *cfg, const char *actor,
    char **cause);

/*
 * Prune covered raw memories: unprotected, created more than `days`
 * days before the memory clock, and a source of a summary.  A memory no
 * summary covers, or a protected one, is never pruned here.  Ids pruned
 * go to `ids` (may be NULL).  How many, or -1 with *cause.
 */
int compact_prune(sqlite3 *db, long days, json_t *ids, char **cause);

/*
 * Memory `id` as a node of the tree: {id, type, content, created_at,
 * level?, period?, children: [nodes of its sources, recursively; a source
 * since pruned is {id, gone: true}], parents: [{id, level, period}]}.
 * No access is counted.  New reference; NULL with *cause NULL if there
 * is no such memory.
 */
json_t *memory_tree(sqlite3 *db, int64_t id, char **cause);
/*
 * Memory `id`'s place in the tree, one level each way, for an agent that
 * walks it with memory_read: {level, period, covers: [ids of its sources
 * still there]} for a summary, and {covered_by: [{id, level, period}]}
 * when summaries cover it (both for a summary above another).  NULL when
 * it has neither (or on an error: the tree is extra).  New reference.
 */
json_t *memory_tree_links(sqlite3 *db, int64_t id);

#endif
