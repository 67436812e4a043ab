/*
 * kernel_persona.c — a run's persona (kernel/personas.h): which one it
 * takes, its model when the run names none, its tools allow-list
 * narrowing what each agent of the run is offered.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/registry.h"
#include "kernel/kernel.h"
#include "kernel/personas.h"
#include "util/xalloc.h"

int
kernel_persona_begin(struct kernel_run *r, char **cause)
{
	const char *model;
	char *why = NULL;

	r->persona_taken = NULL;
	r->model_asked = r->model;
	r->persona_name[0] = '\0';
	if (personas_resolve(r->db, r->persona, r->session, &r->persona_taken,
		cause) != 1)
		return -1;
	snprintf(r->persona_name, sizeof r->persona_name, "%s",
	    json_string_value(json_object_get(r->persona_taken, "name")));
	/* The session keeps it: its next run takes it again. */
	if (personas_use(r->db, r->session, r->persona_name, NULL, &why) != 0) {
		*cause = why;
		return -1;
	}
	model = json_string_value(json_object_get(r->persona_taken, "model"));
	if (r->model == NULL && model != NULL)
		r->model = model;
	return 0;
}

void
kernel_persona_end(struct kernel_run *r)
{
	r->model = r->model_asked;
	json_decref(r->persona_taken);
	r->persona_taken = NULL;
}

const char *
kernel_persona_name(const struct kernel_run *r)
{
	return r->persona_taken != NULL ? r->persona_name : NULL;
}

void
kernel_persona_tools(const struct kernel_run *r, struct registry *tools)
{
	const json_t *allow, *e;
	json_t *defs, *d;
	const char *name;
	size_t i, j;

	allow = json_object_get(r->persona_taken, "tools");
	if (!json_is_array(allow))
		return;
	defs = registry_defs(tools);
	json_array_foreach(defs, i, d) {
		name = json_string_value(json_object_get(d, "name"));
		json_array_foreach(allow, j, e) {
			if (strcmp(json_string_value(e), name) == 0)
				break;
		}
		if (j == json_array_size(allow))
			registry_remove(tools, name);
	}
	json_decref(defs);
}
