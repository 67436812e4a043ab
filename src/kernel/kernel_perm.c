/*
 * kernel_perm.c — an agent's capabilities in the kernel: load its chain,
 * narrow the worker's policy and the registry to it, check each call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_perm.h"
#include "security/permstore.h"
#include "util/log.h"
#include "util/xalloc.h"

struct policy_chain *
kernel_perm_chain(sqlite3 *db, const struct config *cfg, const char *principal,
    const char *persona_template, const struct policy_chain *parent,
    char **cause)
{
	struct policy_set *own;

	if ((own = permstore_load(db, principal,
		 persona_template != NULL ? persona_template :
					    permstore_default_template(cfg),
		 cause)) == NULL)
		return NULL;
	return policy_chain_new(parent, own);
}

json_t *
kernel_perm_narrow(const struct policy_chain *c, struct hands_policy *pol)
{
	json_t *allow = json_array(), *v;
	char *res;
	size_t i;

	json_array_foreach(pol->allowlist, i, v) {
		if (!json_is_string(v))
			continue;
		xasprintf(&res, "exec:%s", json_string_value(v));
		if (policy_chain_allows(c, res, PERM_EXECUTE))
			json_array_append(allow, v);
		free(res);
	}
	pol->allowlist = allow;
	if (pol->allow_shell &&
	    !policy_chain_allows(c, "exec:@shell", PERM_EXECUTE))
		pol->allow_shell = 0;
	return allow;
}

void
kernel_perm_tools(struct registry *reg, const struct policy_chain *c)
{
	json_t *defs = registry_defs(reg), *d;
	const char *name;
	size_t i;

	json_array_foreach(defs, i, d) {
		name = json_string_value(json_object_get(d, "name"));
		if (!policy_tool_offered(c, name))
			registry_remove(reg, name);
	}
	json_decref(defs);
}
