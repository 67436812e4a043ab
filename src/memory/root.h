/*
 * root.h — the ROOT index: what the memory knows, by topic.
 *
 * A memory's topics are its tags (lower-cased, trimmed), or, when it has
 * none, its type ("preference", "decision", ...); an untagged summary of
 * the compaction tree has none (its root summary, tagged with the topic,
 * leads down to it).  Each topic keeps a
 * one-line summary (the content of its most important memory, cut at
 * ROOT_SUMMARY_BYTES; no model is asked) and that memory's id, how many
 * memories it has and when it last changed.  Two tables (migrations 017,
 * 021): memory_topics, keyed by topic, and memory_topic_links (topic,
 * memory id).  Every memory write keeps them in its own transaction
 * (root_note(): a count moved by one, the summary taken over or found
 * anew, never a walk of a topic's memories unless the one that gave its
 * summary left or changed); dream rebuilds them (root_rebuild()), so
 * they heal.  Looking a topic up is a keyed read: no keyword or vector
 * search runs (memory_stats()'s "searches" counts those).
 */
#ifndef OXIOS_MEMORY_ROOT_H
#define OXIOS_MEMORY_ROOT_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <jansson.h>

#define ROOT_SUMMARY_BYTES 100  /* of a topic's one-line summary */
#define ROOT_MAX_TOPIC 64       /* bytes of a topic (MEMORY_MAX_TAG) */
#define ROOT_TOPIC_MEMORIES 100 /* memories memory_topic() shows */

/*
 * After memory `id` was inserted, changed or deleted (inside the
 * caller's transaction): its links follow its tags and type, and each
 * topic it left, joined or stayed in follows.  0, or -1 with *cause.
 */
int root_note(sqlite3 *db, int64_t id, char **cause);
/* The topics memory `id` is under, sorted by name: a new array (empty
 * if it has none, or on an error). */
json_t *root_memory_topics(sqlite3 *db, int64_t id);
/* Rebuild both tables from the memories (inside the caller's
 * transaction).  0, or -1 with *cause. */
int root_rebuild(sqlite3 *db, char **cause);
/* Rebuild when memories exist but no topic does (a database from before
 * migration 017), in a transaction of its own.  0, or -1 with *cause. */
int root_heal(sqlite3 *db, char **cause);

/*
 * The topics whose name starts with `prefix` (NULL or "": all), most
 * memories first, at most `limit` (<= 0: all): a list of {topic,
 * summary, count, touched_at}.  New reference, or NULL with *cause.
 */
json_t *memory_topics(sqlite3 *db, const char *prefix, long limit,
    char **cause);
/*
 * One topic by name (lower-cased, trimmed; a keyed read): {topic,
 * summary, count, ids, touched_at, memories: [the memories, as
 * memory_get() shows them, without counting an access]}; ids and
 * memories are the ROOT_TOPIC_MEMORIES most important.  New
 * reference; NULL with *cause NULL if there is no such topic.
 */
json_t *memory_topic(sqlite3 *db, const char *name, char **cause);
/*
 * The table of contents of the memory for an agent's context: a heading
 * and one line per topic ("- name (count): summary"), most memories
 * first, as many as fit in `max_bytes` ("" if none fits or there are no
 * topics).  New string.
 */
char *memory_toc(sqlite3 *db, size_t max_bytes);
/* How many keyword or vector searches memory_search() has run. */
long long memory_searches(void);

#endif
