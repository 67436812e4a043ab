/*
 * memtools.h — the memory tools the brain offers (memory_write,
 * memory_search, memory_read): they run in the kernel, next to the
 * database, never in the sandboxed worker.
 */
#ifndef OXIOS_KERNEL_MEMTOOLS_H
#define OXIOS_KERNEL_MEMTOOLS_H

#include <sqlite3.h>
#include <jansson.h>

#include "agent/registry.h"
#include "config/config.h"

struct memtools {
	sqlite3 *db;
	const char *session_id, *agent_id;
};

/* Open the memory service for this process if memory.enabled and it is
 * not open yet (thread-safe).  1 if it is usable, 0 if not (logged). */
int memtools_ready(sqlite3 *db, const struct config *cfg);
/* The memory tools' rows (ending with a zeroed one). */
extern const struct tool_def memtools_rows[];
/* Offer them to one run, their handlers reading `mt` (kept by the
 * caller for the run). */
void memtools_add(struct registry *reg, struct memtools *mt);

#endif
