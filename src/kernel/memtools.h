/*
 * memtools.h — the memory tools the brain offers (memory_write,
 * memory_search, memory_read): they run in the kernel, next to the
 * database, never in the sandboxed worker.
 */
#ifndef OXIOS_KERNEL_MEMTOOLS_H
#define OXIOS_KERNEL_MEMTOOLS_H

#include <sqlite3.h>
#include <jansson.h>

#include "config/config.h"
#include "util/cancel.h"

struct memtools {
	sqlite3 *db;
	const char *session_id, *agent_id;
	const struct cancel *cancel; /* the agent's: stops an embedder's call */
};

/* Open the memory service for this process if memory.enabled and it is
 * not open yet (thread-safe).  1 if it is usable, 0 if not (logged). */
int memtools_ready(sqlite3 *db, const struct config *cfg);
/* The tools' definitions, appended to `tools`. */
void memtools_defs(json_t *tools);
/* A kernel_tool for the agent loop (arg: struct memtools). */
json_t *memtools_call(void *arg, const char *name, const json_t *input);

#endif
