/*
 * context.h — what an agent is told before it starts: its system prompt,
 * built from sections in a fixed order (a table in context.c).  Each
 * section is a function of the run's facts that appends its text, or
 * nothing: the base prompt, the Ouroboros execution's addition, recalled
 * memories; the persona, the skills index and the space join them
 * (docs/agents.md, "What an agent is told").
 */
#ifndef OXIOS_AGENT_CONTEXT_H
#define OXIOS_AGENT_CONTEXT_H

#include <sqlite3.h>

#include "config/config.h"
#include "util/buf.h"

/* The facts of one agent's start. */
struct context_in {
	sqlite3 *db;
	const struct config *cfg;
	const char *workspace;   /* absolute */
	int depth;               /* 0: the run's root agent */
	const char *prompt;      /* the user's message; may be NULL */
	const char *principal;   /* the agent profile; NULL: "default" */
	const char *session_id;  /* the run's session */
	const char *persona;     /* the run's persona (name); NULL: none
				    chosen (the session's or the default) */
	const char *space_id;    /* the run's space; NULL: none */
	const char *exec_system; /* the Ouroboros execution's addition */
	int recall;              /* memories may be recalled (memory is
				    ready, the agent may read it) */
	int skills;              /* the agent is offered the tool `skill` */
};

/* One section: append its text to `out` (nothing to leave it out). */
struct context_section {
	const char *name;
	void (*add)(const struct context_in *in, struct buf *out);
};

/* The sections, in order, ending with a zeroed row. */
extern const struct context_section context_sections[];

/* The system prompt of the agent (caller frees): the sections' texts,
 * separated by blank lines. */
char *context_system_prompt(const struct context_in *in);

#endif
