/*
 * context.c — the system prompt as a list of sections (context.h).  A
 * new part of what an agent is told is one function and one row of
 * context_sections[]; kernel_agent() calls context_system_prompt() once
 * per agent.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/context.h"
#include "agent/loop.h"
#include "kernel/personas.h"
#include "kernel/spaces.h"
#include "kernel/spaces_buffer.h"
#include "kernel/events.h"
#include "memory/memory.h"
#include "memory/recall.h"
#include "memory/root.h"
#include "skills/skill_tool.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Who the agent is and where it works; a run with a persona has the
 * persona's words instead (context_persona). */
static void
context_base(const struct context_in *in, struct buf *out)
{
	char *s;

	if (in->persona != NULL)
		return;
	s = agent_system_prompt(in->workspace);

	buf_adds(out, s);
	free(s);
}

/* The index of the ready, enabled skills, when the agent may load them. */
static void
context_skills(const struct context_in *in, struct buf *out)
{
	if (in->skills)
		skill_index(in->db, in->cfg, in->workspace, in->principal,
		    SKILL_INDEX_MAX, out);
}

/* The run's persona (kernel/personas.h): its system prompt and role,
 * then the workspace's facts.  A persona gone since the run chose it:
 * the base's words. */
static void
context_persona(const struct context_in *in, struct buf *out)
{
	const char *role;
	json_t *p = NULL;
	char *s, *cause = NULL;

	if (in->persona == NULL)
		return;
	if (personas_get(in->db, in->persona, &p, &cause) != 1) {
		free(cause);
		s = agent_system_prompt(in->workspace);
		buf_adds(out, s);
		free(s);
		return;
	}
	buf_adds(out, json_string_value(json_object_get(p, "prompt")));
	role = json_string_value(json_object_get(p, "role"));
	if (role != NULL && role[0] != '\0') {
		buf_adds(out, "\nYour role: ");
		buf_adds(out, role);
		buf_adds(out, ".");
	}
	s = agent_workspace_facts(in->workspace);
	buf_adds(out, "\n");
	buf_adds(out, s);
	free(s);
	json_decref(p);
}

/* The run's space (its name, emoji and description) and the summary of
 * the session's older turns, when there is one (the root agent only;
 * kernel/spaces_buffer.h). */
static void
context_space(const struct context_in *in, struct buf *out)
{
	json_t *sp = NULL;
	char *summary = NULL, *cause = NULL;
	const char *desc;
	long upto = 0;

	if (in->depth != 0)
		return;
	if (in->space_id != NULL &&
	    (sp = spaces_get(in->db, in->space_id, &cause)) != NULL) {
		buf_printf(out, "You are in the space \"%s\"%s%s.",
		    json_string_value(json_object_get(sp, "name")),
		    *json_string_value(json_object_get(sp, "emoji")) ? " " : "",
		    json_string_value(json_object_get(sp, "emoji")));
		desc = json_string_value(json_object_get(sp, "description"));
		if (desc != NULL && *desc != '\0')
			buf_printf(out, " It is about: %s", desc);
		buf_adds(out, " Keep to its topic.");
		json_decref(sp);
	}
	free(cause);
	cause = NULL;
	if (in->session_id != NULL &&
	    spaces_buffer_read(in->db, in->session_id, &summary, &upto,
		&cause) == 0 &&
	    summary != NULL && upto > 0)
		buf_printf(out, "%sSummary of the earlier conversation:\n%s",
		    out->len > 0 ? "\n\n" : "", summary);
	free(summary);
	free(cause);
}

/* The Ouroboros execution's addition (the root agent only). */
static void
context_exec(const struct context_in *in, struct buf *out)
{
	if (in->depth == 0 && in->exec_system != NULL)
		buf_adds(out, in->exec_system);
}

/* What the memory holds, by topic (the ROOT index), within
 * memory.toc_tokens (4 bytes a token); when the agent may read memory. */
static void
context_topics(const struct context_in *in, struct buf *out)
{
	long long tokens;
	char *toc;
	size_t n;

	if (!in->recall || in->cfg == NULL ||
	    (tokens = config_int(in->cfg, "memory.toc_tokens")) <= 0)
		return;
	toc = memory_toc(in->db, (size_t)tokens * 4);
	n = strlen(toc);
	buf_add(out, toc, n > 0 && toc[n - 1] == '\n' ? n - 1 : n);
	free(toc);
}

/* What the agent remembers of the user's message (the root agent only):
 * in a session, what the session recalled, at its start and at each
 * shift of topic (memory/recall.h), said by an event when it recalls. */
static void
context_recall(const struct context_in *in, struct buf *out)
{
	struct recall_turn t;
	struct recall_result res;
	char *recall, *cause = NULL;

	if (in->depth != 0 || !in->recall || in->prompt == NULL)
		return;
	if (in->session_id == NULL || in->cfg == NULL) {
		recall = memory_recall(in->db, in->prompt, RECALL_MAX_ITEMS);
		buf_adds(out, recall);
		free(recall);
		return;
	}
	memset(&t, 0, sizeof t);
	t.session_id = in->session_id;
	t.message = in->prompt;
	t.threshold = config_float(in->cfg, "memory.recall_shift");
	t.tokens = (long)config_int(in->cfg, "memory.recall_tokens");
	if (recall_turn(in->db, &t, &res, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
	}
	if (res.event != NULL)
		events_emit(EVENT_MEMORY_RECALLED, res.event);
	json_decref(res.event);
	buf_adds(out, res.text);
	free(res.text);
}

const struct context_section context_sections[] = {
	{ "base", context_base },
	{ "persona", context_persona },
	{ "skills", context_skills },
	{ "space", context_space },
	{ "topics", context_topics },
	{ "exec", context_exec },
	{ "recall", context_recall },
	{ NULL, NULL },
};

char *
context_system_prompt(const struct context_in *in)
{
	const struct context_section *s;
	struct buf out, part;

	buf_init(&out, BUF_NOCAP);
	buf_init(&part, BUF_NOCAP);
	for (s = context_sections; s->name != NULL; s++) {
		buf_reset(&part);
		s->add(in, &part);
		if (part.len == 0)
			continue;
		if (out.len > 0)
			buf_adds(&out, "\n\n");
		buf_add(&out, part.data, part.len);
	}
	buf_free(&part);
	if (out.data == NULL)
		return xstrdup("");
	return buf_detach(&out);
}
