/*
 * kernel_perm.h — an agent's capabilities in the kernel: the chain of
 * its run (root: the principal's set; a sub-agent: its parent's chain
 * plus its own set), the worker's policy narrowed to it and the tools it
 * is not offered left out; the toolguard checks each call against the
 * chain (docs/security.md, "Agent permissions").
 */
#ifndef OXIOS_KERNEL_KERNEL_PERM_H
#define OXIOS_KERNEL_KERNEL_PERM_H

#include <jansson.h>
#include <sqlite3.h>

#include "agent/hands.h"
#include "agent/registry.h"
#include "config/config.h"
#include "security/policy.h"

/*
 * The chain of an agent of `principal` (NULL: the default profile) under
 * `parent` (NULL for a root agent).  A profile without permissions of
 * its own has `persona_template` (the run's persona's; NULL: none), else
 * security.default_template.  NULL with *cause.  Caller
 * policy_chain_free()s it.
 */
struct policy_chain *kernel_perm_chain(sqlite3 *db, const struct config *cfg,
    const char *principal, const char *persona_template,
    const struct policy_chain *parent, char **cause);
/*
 * Narrow `pol` to `c`: the allowlist to the programs the chain may
 * execute (exec.allowlist and the exec: grants), shell mode only with
 * exec:@shell.  Returns the new allowlist pol->allowlist points at (the
 * caller json_decref()s it once pol is no longer used).
 */
json_t *kernel_perm_narrow(const struct policy_chain *c,
    struct hands_policy *pol);
/* Leave out of `reg` every tool the chain does not offer. */
void kernel_perm_tools(struct registry *reg, const struct policy_chain *c);

#endif
