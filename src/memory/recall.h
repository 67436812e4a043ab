/*
 * recall.h — recall during a conversation: when a session starts, and
 * again when its topic shifts (docs/memory.md, "Recall at topic
 * changes").
 *
 * A message's nearest topics are ROOT index topics (root.h): those of
 * the memories a hybrid search of the message finds (the hit of rank r,
 * from 1, votes 1/r for each of its topics; vector-only hits below
 * cosine MEM_RECALL_MIN_SIM do not vote) and those the message names as
 * one of its terms (a vote of 1); the topics with at least half the top
 * vote, at most RECALL_MAX_TOPICS, best first.
 *
 * A session keeps (migration 020) the nearest topics of its messages
 * (the recent ones: those of its last message that had any), the topics
 * it recalled and the memories it recalled, in order.  Its first message
 * with something to recall recalls as a run always did (the search's
 * hits, at most RECALL_MAX_ITEMS).  A later message whose topics shift
 * (recall_shift() of the recent ones and its own above
 * memory.recall_shift) recalls again the hits under those of its topics
 * the session has not recalled yet: once per topic per session.  A
 * message that stays on topic recalls nothing.  Every run of the session
 * carries the hot tier and the memories recalled so far, the newest
 * recalls first within memory.recall_tokens.
 */
#ifndef OXIOS_MEMORY_RECALL_H
#define OXIOS_MEMORY_RECALL_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>

#define RECALL_MAX_TOPICS 3 /* nearest topics of a message */
#define RECALL_MAX_ITEMS 5  /* memories one recall adds */
#define RECALL_MAX_TERMS 64 /* terms of a message looked up as topics */
#define RECALL_SEARCH 8     /* hits that vote for the topics */

/*
 * How far topics `next` are from `recent` (pure): the share of `next`
 * not in `recent`, 0..1; 0 when `next` is empty, 1 when only `recent`
 * is.  Names compare exactly (the ROOT index's are lower-cased).
 */
double recall_shift(const char *const *recent, size_t nrecent,
    const char *const *next, size_t nnext);
/* Whether a shift calls for a recall: it is above `threshold` (0: any
 * new topic; 1: never). */
int recall_shifted(double shift, double threshold);

/* The nearest topics of `message` (above): an array of names, best
 * first.  New reference, or NULL with *cause. */
json_t *recall_topics(sqlite3 *db, const char *message, char **cause);

/* One message of a session. */
struct recall_turn {
	const char *session_id;
	const char *message;
	double threshold; /* memory.recall_shift */
	long tokens;      /* memory.recall_tokens: the recalled memories */
};

/* What the message's run is told, and what was recalled for it. */
struct recall_result {
	char *text;    /* the context's section ("" if none); caller frees */
	json_t *event; /* {session_id, why: "session_start" | "topic_change",
			  topics, ids} when it recalled; else NULL.  The
			  caller's reference. */
};

/*
 * Recall for a session's new message (above): decide, remember what was
 * recalled in the session, and say it.  0, or -1 with *cause (out->text
 * is then the hot tier alone, never NULL).
 */
int recall_turn(sqlite3 *db, const struct recall_turn *t,
    struct recall_result *out, char **cause);
/*
 * What session `id` has recalled, for a person: {topics: [{topic, turn,
 * recalled}] in the order of their turns, memories: [{id, type,
 * content}] in the order recalled (a memory forgotten since: without
 * type and content)}.  New reference, or NULL with *cause.
 */
json_t *recall_session(sqlite3 *db, const char *id, char **cause);

#endif
