/*
 * skill_tool.c — the `skill` tool and the skills index (skill_tool.h).
 * Only ready, enabled skills are listed or read: a disabled or
 * ineligible one is "not available", the same as an unknown one.
 */
#include <stdlib.h>
#include <string.h>

#include "skills/skill.h"
#include "agent/tools.h"
#include "skills/skill_tool.h"
#include "util/xalloc.h"

static int
skill_tool_call(struct tool_call *call, json_t *input, struct tool_result *res)
{
	struct skill_tool *st = call->ctx;
	const char *name = json_string_value(json_object_get(input, "name"));
	const char *file = json_string_value(json_object_get(input, "file"));
	const struct skill *s;
	struct skill_where w;
	struct skill_set set;
	char *data = NULL, *cause = NULL;
	size_t len;
	int rc = 0;

	skill_where_init(&w, st->workspace, st->principal);
	skill_scan(st->db, st->cfg, &w, &set);
	s = skill_find(&set, name);
	if (s == NULL || s->status != SKILL_READY || s->model_off) {
		xasprintf(&cause,
		    "no skill '%s' is available (see the skills index)",
		    name != NULL ? name : "");
		rc = tools_fail_take(res, cause);
	} else if (file == NULL)
		res->output = xstrdup(s->body);
	else if (skill_read_file(s, file, &data, &len, &cause) < 0)
		rc = tools_fail_take(res, cause);
	else
		res->output = data;
	skill_set_free(&set);
	skill_where_free(&w);
	return rc;
}

const struct tool_def skill_tool_def = {
	.name = "skill",
	.where = TOOL_BRAIN,
	.description =
	    "Load a skill from the skills index: {name} gives its "
	    "instructions (follow them for the task); {name, file} reads a "
	    "file the instructions mention, beside the skill's SKILL.md.",
	.schema = "skill",
	.fn = skill_tool_call,
};

void
skill_tool_add(struct registry *reg, struct skill_tool *st)
{
	registry_add(reg, &skill_tool_def, st);
}

void
skill_index(sqlite3 *db, const struct config *cfg, const char *workspace,
    const char *principal, size_t max, struct buf *out)
{
	struct skill_where w;
	struct skill_set set;
	size_t i, start = out->len, shown = 0, ready = 0;
	static const char head[] =
	    "# Skills\n"
	    "Skills are instructions for kinds of tasks.  When one below "
	    "fits the task, load it with the tool `skill` ({\"name\": ...}) "
	    "and follow it.\n";
	struct buf line;

	skill_where_init(&w, workspace, principal);
	skill_scan(db, cfg, &w, &set);
	buf_init(&line, BUF_NOCAP);
	for (i = 0; i < set.n; i++)
		ready += set.v[i].status == SKILL_READY && !set.v[i].model_off;
	if (ready > 0)
		buf_adds(out, head);
	for (i = 0; i < set.n; i++) {
		if (set.v[i].status != SKILL_READY || set.v[i].model_off)
			continue;
		buf_reset(&line);
		buf_printf(&line, "- %s: %s\n", set.v[i].name,
		    set.v[i].description);
		if (out->len - start + line.len + 80 > max)
			break;
		buf_add(out, line.data, line.len);
		shown++;
	}
	if (shown < ready)
		buf_printf(out,
		    "(%zu more skills not listed: the index is capped)\n",
		    ready - shown);
	buf_free(&line);
	skill_set_free(&set);
	skill_where_free(&w);
}
