/*
 * toolguard.c — the registry guard (toolguard.h): the pure decision, and
 * the check that gathers its input (permissions, configuration, the deny
 * list, the allow rules), audits refusals and waits for a human.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/approvals.h"
#include "kernel/toolguard.h"
#include "security/audit.h"
#include "security/cmdpolicy.h"
#include "security/policy.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

static int
toolguard_is(const char *s, const char *want)
{
	return s != NULL && strcmp(s, want) == 0;
}

enum toolguard_verdict
toolguard_decide(const struct toolguard_in *in, const char **why)
{
	int need = 0;

	*why = "";
	if (!in->capable) {
		*why = "not permitted to this agent profile";
		return TOOLGUARD_REFUSE;
	}
	if (toolguard_is(in->policy, "deny")) {
		*why = "refused by the tool's policy (approval = \"deny\")";
		return TOOLGUARD_REFUSE;
	}
	if (in->danger && toolguard_is(in->mode, "never")) {
		*why = "deny-listed, and security.approval is \"never\"";
		return TOOLGUARD_REFUSE;
	}
	if (in->danger) {
		need = 1;
		*why = "deny-listed";
	} else if (toolguard_is(in->policy, "ask")) {
		need = 1;
		*why = "the tool's policy is approval = \"ask\"";
	} else if (toolguard_is(in->policy, "auto")) {
		need = 0;
	} else if (toolguard_is(in->mode, "always") && in->effect) {
		need = 1;
		*why = "security.approval is \"always\"";
	}
	if (!need)
		return TOOLGUARD_RUN;
	if (in->rule) {
		*why = "an allow rule matches";
		return TOOLGUARD_RUN;
	}
	return in->can_ask ? TOOLGUARD_ASK : TOOLGUARD_FAIL;
}

/* A refusal, audited by the agent: `action` with `detail` (taken). */
static void
toolguard_audit(struct toolguard *tg, enum audit_action action,
    const char *tool, json_t *detail)
{
	char *actor = NULL;

	xasprintf(&actor, "agent:%s", tg->agent_id != NULL ? tg->agent_id : "");
	audit_note(tg->db, actor, action, tool, detail);
	free(actor);
	json_decref(detail);
}

/* A human's rejection as the tool's error, with their words if they
 * gave any: the model should act on them. */
static void
toolguard_rejected(const struct toolguard *tg, const char *reason,
    const char *id, char **why)
{
	json_t *row = approvals_get(tg->db, id, NULL);
	const char *note = json_string_value(json_object_get(row, "note"));

	if (note != NULL)
		xasprintf(why,
		    "a human rejected this call (%s; approval %s), saying: %s",
		    reason, id, note);
	else
		xasprintf(why, "a human rejected this call (%s; approval %s)",
		    reason, id);
	json_decref(row);
}

/* The refusal of a capability check, audited as access_denied. */
static void
toolguard_denied(struct toolguard *tg, const char *tool, const char *why)
{
	toolguard_audit(tg, AUDIT_ACCESS_DENIED, tool,
	    json_pack("{s:s}", "why", why));
}

/* A refusal by policy, audited as approval {op: refused}. */
static void
toolguard_refused(struct toolguard *tg, const char *tool, const char *why)
{
	toolguard_audit(tg, AUDIT_APPROVAL, tool,
	    json_pack("{s:s, s:s}", "op", "refused", "why", why));
}

static void
toolguard_progress(void *arg)
{
	struct toolguard *tg = arg;

	if (tg->progress != NULL)
		tg->progress(tg->progress_arg);
}

/* Ask a human and wait.  0 when approved, else -1 with *why. */
static int
toolguard_ask(struct toolguard *tg, const char *tool, json_t *args,
    const char *reason, const char *danger, struct cancel *stop, char **why)
{
	struct approval_req q;
	char id[UUID_STRLEN], *cause = NULL;
	json_t *ev = NULL;
	enum approval_state st;
	long secs = (long)config_int(tg->cfg, "security.approval_timeout_secs");

	if (secs <= 0)
		secs = 120;
	memset(&q, 0, sizeof q);
	q.principal = tg->principal;
	q.agent_id = tg->agent_id;
	q.session_id = tg->session_id;
	q.tool = tool;
	q.args = args;
	q.reason = reason;
	q.danger = danger;
	q.timeout_secs = secs;
	if (approvals_request(tg->db, &q, id, &ev, &cause) != 0) {
		xasprintf(why,
		    "needs a human approval (%s), which could not "
		    "be asked: %s",
		    reason, cause);
		free(cause);
		return -1;
	}
	if (tg->approval != NULL)
		tg->approval(tg->progress_arg, ev);
	st = approvals_wait(tg->db, id, stop,
	    json_integer_value(json_object_get(ev, "expires_at_ms")),
	    toolguard_progress, tg);
	json_decref(ev);
	switch (st) {
	case APPROVAL_APPROVED:
		return 0;
	case APPROVAL_REJECTED:
		toolguard_rejected(tg, reason, id, why);
		break;
	case APPROVAL_CANCELLED:
		xasprintf(why,
		    "the run was stopped while this call waited "
		    "for a human approval (approval %s)",
		    id);
		break;
	default:
		xasprintf(why,
		    "nobody answered the approval in %ld s, so the "
		    "call was denied (%s; approval %s)",
		    secs, reason, id);
		break;
	}
	return -1;
}

int
toolguard_check(void *arg, const struct tool_def *def, json_t *args,
    struct cancel *stop, char **why)
{
	struct toolguard *tg = arg;
	struct toolguard_in in;
	enum toolguard_verdict v;
	const char *what = "";
	char key[160], *cap = NULL, *reason = NULL;
	struct cmd_danger d;
	int rc = -1;

	memset(&in, 0, sizeof in);
	in.capable = 1;
	memset(&d, 0, sizeof d);
	if (tg->chain != NULL &&
	    policy_check_call(tg->chain, def->name, args, &cap) != 0) {
		in.capable = 0;
		if (cap == NULL)
			xasprintf(&cap, "%s is not permitted to this agent",
			    def->name);
		toolguard_denied(tg, def->name, cap);
		*why = cap;
		return -1;
	}
	in.mode = config_str(tg->cfg, "security.approval");
	snprintf(key, sizeof key, "security.tools.%s.approval", def->name);
	in.policy = config_str(tg->cfg, key);
	in.effect = (def->flags & TOOL_EFFECT) != 0;
	if (def->flags & TOOL_EXEC)
		in.danger = cmdpolicy_check(args, &d);
	in.can_ask = tg->can_ask;
	v = toolguard_decide(&in, &what);
	if (v == TOOLGUARD_ASK || v == TOOLGUARD_FAIL) {
		int64_t r = approvals_rule_match(tg->db, tg->principal,
		    def->name, args);

		if (r < 0)
			log_warn("%s: the allow rules cannot be read",
			    __func__);
		in.rule = r > 0;
		v = toolguard_decide(&in, &what);
	}
	if (in.danger)
		xasprintf(&reason, "deny-listed: %s",
		    d.why[0] ? d.why : d.rule);
	else
		reason = xstrdup(what);
	switch (v) {
	case TOOLGUARD_RUN:
		rc = 0;
		break;
	case TOOLGUARD_REFUSE:
		toolguard_refused(tg, def->name, in.danger ? reason : what);
		xasprintf(why, "%s is refused: %s", def->name,
		    in.danger ? reason : what);
		break;
	case TOOLGUARD_FAIL:
		toolguard_refused(tg, def->name, reason);
		xasprintf(why,
		    "needs a human approval (%s): nobody can answer in this "
		    "run; an allow rule would let it run (answer the same "
		    "call \"allow always\" once where a human can: `oxios "
		    "chat`, the dashboard, `oxios approvals approve ID "
		    "--always`)",
		    reason);
		break;
	case TOOLGUARD_ASK:
		rc = toolguard_ask(tg, def->name, args, reason,
		    in.danger ? d.rule : NULL, stop, why);
		break;
	}
	free(reason);
	return rc;
}
