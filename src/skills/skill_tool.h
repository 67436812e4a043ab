/*
 * skill_tool.h — the brain tool `skill`: a ready, enabled skill's body
 * ({name}) or a file beside its SKILL.md ({name, file}), and the skills
 * index of the system prompt.  Both run in the kernel.
 */
#ifndef OXIOS_SKILLS_SKILL_TOOL_H
#define OXIOS_SKILLS_SKILL_TOOL_H

#include <sqlite3.h>

#include "agent/registry.h"
#include "config/config.h"
#include "util/buf.h"

#define SKILL_INDEX_MAX 4000 /* bytes of the index in the system prompt */

struct skill_tool {
	sqlite3 *db;
	const struct config *cfg;
	const char *workspace; /* may be NULL */
	const char *principal; /* may be NULL */
};

/* The tool's row. */
extern const struct tool_def skill_tool_def;
/* Offer it to one run, its handler reading `st` (kept by the caller). */
void skill_tool_add(struct registry *reg, struct skill_tool *st);

/*
 * The index of the ready, enabled skills (name and one-line description),
 * capped at `max` bytes with a note when cut; nothing when there is none.
 */
void skill_index(sqlite3 *db, const struct config *cfg, const char *workspace,
    const char *principal, size_t max, struct buf *out);

#endif
