/*
 * fuzz_shparse.c — sh command lines (security/shparse.h) and the deny list
 * over them (security/cmdpolicy.h).  Invariants: a parse either fails with
 * a cause and no list, or gives a list within every cap whose argv are
 * NULL-terminated, whose pipeline ids and stages, function indexes and
 * substitution depths are in range; parsing is deterministic; the deny
 * list answers 0 or 1, names a rule when it says 1, says "unparsed"
 * exactly when the line does not parse, and never runs past its buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "security/cmdpolicy.h"
#include "security/shparse.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_list(const struct sh_list *l, size_t len)
{
	size_t i, j;

	if (l->ncmds > SHPARSE_MAX_CMDS || l->nfuncs > SHPARSE_MAX_FUNCS ||
	    l->npipelines < 0 || l->nheredocs > SHPARSE_MAX_HEREDOCS)
		abort();
	for (i = 0; i < l->nheredocs; i++)
		if (l->heredocs[i] != NULL && strlen(l->heredocs[i]) > len)
			abort();
	for (i = 0; i < l->nfuncs; i++)
		if (l->funcs[i].name == NULL || strlen(l->funcs[i].name) > len)
			abort();
	for (i = 0; i < l->ncmds; i++) {
		const struct sh_cmd *c = &l->cmds[i];

		if (c->argv == NULL || c->argv[c->argc] != NULL)
			abort();
		if (c->argc + c->nassign + c->nredir > SHPARSE_MAX_WORDS)
			abort();
		if (c->argc == 0 && c->nassign == 0 && c->nredir == 0)
			abort();
		for (j = 0; j < c->argc; j++)
			if (strlen(c->argv[j]) > len)
				abort();
		for (j = 0; j < c->nassign; j++)
			if (strchr(c->assign[j], '=') == NULL)
				abort();
		for (j = 0; j < c->nredir; j++)
			if (c->redir[j].target == NULL ||
			    c->redir[j].op[0] == 0)
				abort();
		if (c->pipeline < -1 || c->pipeline >= l->npipelines)
			abort();
		if (c->pipeline == -1 ? c->stage != 0 : c->stage < 0)
			abort();
		if (c->func < -1 || c->func >= (int)l->nfuncs)
			abort();
		if (c->subst < 0 || c->subst > SHPARSE_MAX_DEPTH)
			abort();
		if (c->opaque && c->argc == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sh_list *l = NULL, *l2 = NULL;
	struct cmd_danger d;
	char *in, *cause = NULL, *cause2 = NULL;
	int rc, rc2, hit;

	in = xstrndup((const char *)data, size);
	rc = shparse(in, &l, &cause);
	if (rc == 0) {
		if (l == NULL || cause != NULL)
			abort();
		check_list(l, strlen(in));
	} else {
		if (rc != -1 || l != NULL || cause == NULL || *cause == '\0')
			abort();
	}
	rc2 = shparse(in, &l2, &cause2);
	if (rc2 != rc || (rc == 0 && l2->ncmds != l->ncmds) ||
	    (rc == -1 && strcmp(cause, cause2) != 0))
		abort();

	memset(&d, 0x55, sizeof d);
	hit = cmdpolicy_check_line(in, &d);
	if (hit != 0 && hit != 1)
		abort();
	if (hit == 1) {
		if (memchr(d.rule, '\0', sizeof d.rule) == NULL ||
		    memchr(d.why, '\0', sizeof d.why) == NULL ||
		    d.rule[0] == '\0' || d.why[0] == '\0')
			abort();
	}
	if (rc == -1 && (hit != 1 || strcmp(d.rule, "unparsed") != 0))
		abort();

	sh_list_free(l);
	sh_list_free(l2);
	free(cause);
	free(cause2);
	free(in);
	return 0;
}
