/*
 * kernel_space.c — the glue of a run to its space (kernel/spaces.h): the
 * space chosen before the session (a space's conversation is resumed),
 * the session bound to it, the run's space_id and space_tag, and the
 * conversation buffer over the history (kernel/spaces_buffer.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/events.h"
#include "kernel/kernel.h"
#include "kernel/spaces.h"
#include "kernel/spaces_bridge.h"
#include "kernel/spaces_buffer.h"
#include "util/log.h"

int
kernel_space_begin(struct kernel_run *r, json_t **space, int *bind,
    char **cause)
{
	enum space_why why;
	char conv[UUID_STRLEN];

	r->space_id[0] = r->space_tag[0] = '\0';
	*bind = 0;
	if (spaces_for_run(r->db, r->cfg, r->session_id, r->space, r->prompt,
		space, &why, conv, cause) != 0)
		return -1;
	if (*space == NULL)
		return 0;
	*bind = why != SPACE_WHY_SESSION;
	if (r->session_id == NULL && conv[0] != '\0') /* its conversation */
		memcpy(r->session, conv, UUID_STRLEN);
	log_debug("space %s (%s)",
	    json_string_value(json_object_get(*space, "name")),
	    spaces_why_name(why));
	r->space_why = spaces_why_name(why);
	return 0;
}

int
kernel_space_bind(struct kernel_run *r, const json_t *space, int bind,
    char **cause)
{
	const char *id, *tag;
	json_t *ev;

	if (space == NULL)
		return 0;
	id = json_string_value(json_object_get(space, "id"));
	tag = json_string_value(json_object_get(space, "emoji"));
	if (tag == NULL || *tag == '\0')
		tag = json_string_value(json_object_get(space, "name"));
	if (bind && spaces_bind(r->db, r->session, id, cause) != 0)
		return -1;
	snprintf(r->space_id, sizeof r->space_id, "%s", id);
	snprintf(r->space_tag, sizeof r->space_tag, "%s", tag);
	ev = json_pack("{s:s, s:s, s:s, s:s}", "session_id", r->session,
	    "space_id", id, "space_tag", r->space_tag, "why",
	    r->space_why != NULL ? r->space_why : "session");
	events_emit(EVENT_SPACE_CHOSEN, ev);
	json_decref(ev);
	return 0;
}

int
kernel_space_buffer(struct kernel_run *r, json_t *messages, char **cause)
{
	struct call_scope scope;

	/* Before the run's agent exists: the global budgets and the
	 * profile's apply, not the run's own. */
	memset(&scope, 0, sizeof scope);
	scope.cls = r->cls;
	scope.principal = r->principal;
	scope.session_id = r->session;
	return spaces_buffer(r->db, r->cfg, &scope, r->session, messages,
	    cause);
}

void
kernel_space_end(struct kernel_run *r)
{
	struct call_scope scope;
	char *cause = NULL;

	if (r->space_id[0] == '\0' || !r->started)
		return;
	memset(&scope, 0, sizeof scope);
	scope.cls = CALL_BACKGROUND;
	scope.principal = r->principal;
	scope.session_id = r->session;
	scope.run_id = r->agent;
	scope.run_tokens = r->budget_tokens;
	scope.run_usd = r->budget_usd;
	if (spaces_bridge(r->db, r->cfg, &scope, r->session, r->space_id,
		&cause) < 0) {
		log_info("spaces: %s", cause);
		free(cause);
	}
}
