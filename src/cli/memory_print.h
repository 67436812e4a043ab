/*
 * memory_print.h — the human output of `oxios memory` (cmd_memory.c).
 */
#ifndef OXIOS_CLI_MEMORY_PRINT_H
#define OXIOS_CLI_MEMORY_PRINT_H

#include <jansson.h>

/* "#12  [fact, warm, score 0.0312, tags a,b]" and the content below. */
void mprint_memory(const json_t *m, int score);
/* memory tune: the ef_search chosen and what it was measured on. */
void mprint_tuning(const json_t *t);
/* memory show --tree: the summaries above, the node, its sources (and,
 * for a memory in no summary, why). */
void mprint_tree(const json_t *t);
/* memory compact: per level, what was written; the calls and prunes. */
void mprint_compact(const json_t *j);
/* memory topics NAME: the topic's line and its memories. */
void mprint_topic(const json_t *j);
/* memory topics: a line per topic. */
void mprint_topics(const json_t *j);
#endif
