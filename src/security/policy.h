/*
 * policy.h — capabilities of agents: rights on resources, templates,
 * grants and the parent→child chain (docs/security.md, "Agent
 * permissions").  Pure: it reads no configuration and no database.
 *
 * A resource is "KIND:PATTERN":
 *   tool:NAME        a tool offered to the model (READ; DELEGATE for agent)
 *   path:GLOB        workspace-relative, normalised; '*' within one
 *                    segment, '**' across segments (a final slash-star-star also holds the folder)
 *   exec:BINARY      a program exec may run (EXECUTE); "exec:*" any program
 *                    of exec.allowlist, "exec:@shell" the shell mode
 *   mcp:SERVER/TOOL  a tool of an MCP server
 *   browser:HOST     a host ("*.example.com")
 *   a2a:PEER         an A2A peer
 *
 * A set is a template plus grants; grants add to the template.  A chain
 * is [root set, ..., own set]: a right holds only if every set of the
 * chain grants it, so a sub-agent never exceeds its parent.
 */
#ifndef OXIOS_SECURITY_POLICY_H
#define OXIOS_SECURITY_POLICY_H

#include <stddef.h>

#include <jansson.h>

#define PERM_READ 0x1
#define PERM_WRITE 0x2
#define PERM_EXECUTE 0x4
#define PERM_DELEGATE 0x8
#define PERM_ALL 0xf

#define POLICY_MAX_GRANTS 256  /* grants of one set */
#define POLICY_MAX_PATTERN 512 /* bytes of one resource */
#define POLICY_MAX_CHAIN 64    /* sets of one chain (depth) */

/* One right on the resources a pattern names. */
struct policy_grant {
	char *resource; /* "KIND:PATTERN", normalised */
	int rights;     /* PERM_* */
};

/* A template: its rows, and the template it extends (or NULL). */
struct policy_template {
	const char *name;
	const char *base;
	const struct policy_grant *rows; /* ends with a NULL resource */
};

/* The templates, ending with a zeroed row. */
extern const struct policy_template policy_templates[];

struct policy_set;
struct policy_chain;

/* The template named `name`, or NULL. */
const struct policy_template *policy_template_find(const char *name);
/* "rwxd" letters of `rights` into buf (at least 5 bytes); returns buf. */
const char *policy_rights_str(int rights, char *buf);
/* The templates as [{name, extends, rights: [{resource, rights}]}].  New
 * reference. */
json_t *policy_templates_json(void);
/* PERM_* of a non-empty string of distinct "rwxd" letters, or -1. */
int policy_rights_parse(const char *s);
/*
 * Check and normalise one resource: a known kind, a pattern of 1 to
 * POLICY_MAX_PATTERN bytes without control characters; a path pattern
 * workspace-relative and free of "..".  0 with *out (caller frees), or
 * -1 with *cause.
 */
int policy_resource_parse(const char *s, char **out, char **cause);
/*
 * Whether grant pattern `pattern` ("KIND:GLOB") covers the concrete
 * resource `resource` ("KIND:VALUE").
 */
int policy_resource_match(const char *pattern, const char *resource);
/*
 * Parse grants, JSON [{"resource": "exec:git", "rights": "x"}, ...]:
 * strictly (no other keys, at most POLICY_MAX_GRANTS).  0 with *out (an
 * array in the same form, normalised; new reference), or -1 with *cause
 * naming the first fault.
 */
int policy_grants_parse(const json_t *grants, json_t **out, char **cause);

/*
 * A set: `principal`'s template `tpl` plus `grants` (as from
 * policy_grants_parse(), or NULL).  NULL with *cause for an unknown
 * template or bad grants.  Caller policy_set_free()s it.
 */
struct policy_set *policy_set_new(const char *principal, const char *tpl,
    const json_t *grants, char **cause);
void policy_set_free(struct policy_set *s);
const char *policy_set_principal(const struct policy_set *s);
const char *policy_set_template(const struct policy_set *s);
/* Its grants, [{resource, rights}] (borrowed). */
const json_t *policy_set_grants(const struct policy_set *s);
/* Whether the set grants `right` on concrete `resource`. */
int policy_set_allows(const struct policy_set *s, const char *resource,
    int right);
/* The rights of the set, template rows then grants, as
 * [{resource, rights, from}] (new reference). */
json_t *policy_set_effective(const struct policy_set *s);

/*
 * A chain: a copy of `parent`'s sets (or none) followed by `own` (taken).
 * Caller policy_chain_free()s it.
 */
struct policy_chain *policy_chain_new(const struct policy_chain *parent,
    struct policy_set *own);
void policy_chain_free(struct policy_chain *c);
/* Whether every set of the chain grants `right` on `resource`. */
int policy_chain_allows(const struct policy_chain *c, const char *resource,
    int right);

/*
 * 0 if the call may run; -1 with *why (malloc'd) naming the missing
 * right, e.g. "permission denied: agent profile 'bob' (template worker)
 * has no write right on path:secrets/key.txt".  Which argument is
 * checked per tool is a table: read/ls/find/grep `path` (default ".")
 * READ; write/edit `path` WRITE; exec `binary` (structured) or
 * exec:@shell (shell mode) EXECUTE; agent DELEGATE on tool:agent;
 * memory_* tool:NAME; any other tool: tool:NAME (READ).
 */
int policy_check_call(const struct policy_chain *c, const char *tool,
    json_t *args, char **why);
/* Whether the model is offered the tool at all. */
int policy_tool_offered(const struct policy_chain *c, const char *tool);

#endif
