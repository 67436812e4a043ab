/*
 * kernel.c — the kernel facade: run an agent.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/hands.h"
#include "config/home.h"
#include "kernel/events.h"
#include "kernel/approvals.h"
#include "kernel/budget.h"
#include "kernel/kernel.h"
#include "agent/context.h"
#include "kernel/kernel_perm.h"
#include "kernel/memtools.h"
#include "skills/skill_tool.h"
#include "kernel/reaper.h"
#include "security/audit.h"
#include "memory/memory.h"
#include "kernel/sessions.h"
#include "kernel/toolguard.h"
#include "kernel/supervisor.h"
#include "util/file.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

char *
kernel_workspace(const struct config *cfg)
{
	const char *ws = config_str(cfg, "kernel.workspace");

	if (ws != NULL && *ws != '\0')
		return xstrdup(ws);
	return home_path("workspace");
}

struct kernel_save {
	struct kernel_run *r;
	struct agent *a;
	const char *agent;       /* the id of the agent that speaks */
	struct agent_hooks user; /* the caller's hooks */
};

/* Save each message as it is added, then tell the caller's hook. */
static void
kernel_save_message(const json_t *msg, void *arg)
{
	struct kernel_save *ks = arg;
	char *cause = NULL;

	if (session_append(ks->r->db, ks->r->session, ks->r->agent, msg,
		&cause) != 0) {
		log_error("%s", cause);
		free(cause);
	}
	if (ks->user.message != NULL)
		ks->user.message(msg, ks->user.arg);
}

/* A tool call or result into the audit log, by the agent. */
static void
kernel_audit(struct kernel_save *ks, enum audit_action action, const char *name,
    const json_t *input, const json_t *result)
{
	char actor[64];
	json_t *d;

	snprintf(actor, sizeof actor, "agent:%s", ks->agent);
	if (input != NULL)
		d = json_pack("{s:O}", "input", input);
	else {
		d = json_pack("{s:b}", "ok",
		    json_is_true(json_object_get(result, "ok")));
		if (json_object_get(result, "error") != NULL)
			json_object_set(d, "error",
			    json_object_get(result, "error"));
		if (json_object_get(result, "output") != NULL)
			json_object_set(d, "output",
			    json_object_get(result, "output"));
	}
	audit_note(ks->r->db, actor, action, name, d);
	json_decref(d);
}

static void
kernel_text(const char *s, size_t n, void *arg)
{
	struct kernel_save *ks = arg;
	json_t *ev = json_pack("{s:s, s:s, s:s%}", "agent_id", ks->agent,
	    "session_id", ks->r->session, "text", s, n);

	events_emit(EVENT_AGENT_DELTA, ev);
	json_decref(ev);
	if (ks->user.text != NULL)
		ks->user.text(s, n, ks->user.arg);
}

static void
kernel_reset(void *arg)
{
	struct kernel_save *ks = arg;

	if (ks->user.reset != NULL)
		ks->user.reset(ks->user.arg);
}

/* A retried call, a child's too: the user waits for both. */
static void
kernel_retry(const char *why, int attempt, long wait_ms, void *arg)
{
	struct kernel_save *ks = arg;

	if (ks->user.retry != NULL)
		ks->user.retry(why, attempt, wait_ms, ks->user.arg);
}

static void
kernel_tool_start(const char *name, const json_t *input, void *arg)
{
	struct kernel_save *ks = arg;
	json_t *ev = json_pack("{s:s, s:s, s:s, s:O}", "agent_id", ks->agent,
	    "session_id", ks->r->session, "name", name, "input", input);

	events_emit(EVENT_TOOL_CALL, ev);
	json_decref(ev);
	kernel_audit(ks, AUDIT_TOOL_CALL, name, input, NULL);
	if (ks->user.tool_start != NULL)
		ks->user.tool_start(name, input, ks->user.arg);
}

static void
kernel_tool_end(const char *name, const json_t *result, void *arg)
{
	struct kernel_save *ks = arg;
	json_t *ev = json_pack("{s:s, s:s, s:s, s:b}", "agent_id", ks->agent,
	    "session_id", ks->r->session, "name", name, "ok",
	    json_is_true(json_object_get(result, "ok")));

	events_emit(EVENT_TOOL_RESULT, ev);
	json_decref(ev);
	kernel_audit(ks, AUDIT_TOOL_RESULT, name, NULL, result);
	if (ks->user.tool_end != NULL)
		ks->user.tool_end(name, result, ks->user.arg);
}

/* A sign of life of the agent's loop: the reaper's clock. */
/* A sign of life while a tool call waits for a human. */
static void
kernel_guard_progress(void *arg)
{
	struct kernel_save *ks = arg;

	supervisor_progress(ks->a, 1);
}

/* A call waits for a human: the face may show it. */
static void
kernel_guard_approval(void *arg, const json_t *a)
{
	struct kernel_save *ks = arg;
	const char *d, *id = json_string_value(json_object_get(a, "id"));
	char *cause = NULL;

	if (ks->r->approval_hook != NULL)
		ks->r->approval_hook(ks->r, a, ks->r->hooks.arg);
	if (ks->r->approve_user == NULL || id == NULL ||
	    (d = ks->r->approve_user(ks->r->approve_arg, a)) == NULL)
		return;
	if (approvals_answer(ks->r->db, id, strcmp(d, "deny") != 0,
		strcmp(d, "deny") != 0 ? d : NULL, "user", NULL, &cause) != 0)
		log_info("approval %s: %s", id, cause);
	free(cause);
}

static void
kernel_progress(int in_tool, void *arg)
{
	struct kernel_save *ks = arg;

	supervisor_progress(ks->a, in_tool);
}

/* The worker's policy from the configuration. */
void
kernel_policy(const struct config *cfg, const char *workspace,
    struct hands_policy *pol)
{
	memset(pol, 0, sizeof *pol);
	pol->workspace = workspace;
	pol->allow_network = config_bool(cfg, "security.allow_network");
	pol->allow_shell = config_bool(cfg, "exec.allow_shell");
	pol->allowlist = config_get(cfg, "exec.allowlist");
	pol->exec_timeout_secs = (int)config_int(cfg, "exec.timeout_secs");
	pol->max_output_bytes = (long)config_int(cfg, "exec.max_output_bytes");
	pol->cpu_secs = (int)config_int(cfg, "security.worker_cpu_secs");
	pol->memory_mb = (long)config_int(cfg, "security.worker_memory_mb");
	pol->sandbox_required =
	    strcmp(config_str(cfg, "security.sandbox"), "required") == 0;
	pol->sandbox_off =
	    strcmp(config_str(cfg, "security.sandbox"), "off") == 0;
	pol->max_procs = (int)config_int(cfg, "security.worker_max_procs");
	pol->workspace_growth_mb =
	    (long)config_int(cfg, "security.workspace_growth_mb");
}

/* What a sub-agent needs to know of where it runs. */
struct kernel_child {
	struct kernel_run *r;
	struct agent *parent;
	const char *workspace;
	const struct policy_chain *chain; /* the parent's capabilities */
};

static int kernel_agent_in(struct kernel_run *r, struct agent *a,
    json_t *messages, const char *workspace, int save, struct agent_loop *l,
    const struct policy_chain *parent);

/* The "agent" tool: a child of the caller's agent, run to its end.  The
 * arguments were checked against schemas/agent.json. */
static int
kernel_spawn(struct tool_call *call, json_t *args, struct tool_result *res)
{
	struct kernel_child *k = call->ctx;
	struct agent_loop l;
	struct agent *child;
	json_t *messages;
	char *cause = NULL;
	int rc;

	if ((child = supervisor_create(k->r->db, k->r->session, k->r->model,
		 k->parent, call->cancel, NULL, &cause)) == NULL)
		return tools_fail_take(res, cause);
	supervisor_start_nested(k->r->db, child);
	messages = json_pack("[{s:s, s:O}]", "role", "user", "content",
	    json_object_get(args, "task"));
	memset(&l, 0, sizeof l);
	rc = kernel_agent_in(k->r, child, messages, k->workspace, 0, &l,
	    k->chain);
	if (rc == 0) {
		res->output = l.answer;
		l.answer = NULL;
	} else {
		tools_fail(res, "the sub-agent stopped (%s): %s",
		    agent_stop_name(l.stop), l.reason);
		free(l.answer);
		l.answer = NULL;
	}
	json_decref(messages);
	return rc;
}

static const struct tool_def kernel_agent_tool = {
	.name = "agent",
	.where = TOOL_BRAIN,
	.description =
	    "Hand a self-contained sub-task to a sub-agent with its own "
	    "tools and workspace access; it works until done and "
	    "returns its answer. Use for independent pieces of a larger "
	    "task.",
	.schema = "agent",
	.fn = kernel_spawn,
};

/*
 * Run agent `a` (admitted) on `messages` with its own worker, until it
 * stops or its token fires; its row is finished and the caller's
 * reference dropped.  Messages are saved to the session when `save`.
 * The loop's results are in *l (l->answer is the caller's).  Returns what agent_loop_run() returned.
 */
int
kernel_agent(struct kernel_run *r, struct agent *a, json_t *messages,
    const char *workspace, int save, struct agent_loop *l)
{
	return kernel_agent_in(r, a, messages, workspace, save, l, NULL);
}

/* kernel_agent() of an agent whose parent has capabilities `parent`
 * (NULL: a root agent). */
static int
kernel_agent_in(struct kernel_run *r, struct agent *a, json_t *messages,
    const char *workspace, int save, struct agent_loop *l,
    const struct policy_chain *parent)
{
	struct policy_chain *chain = NULL;
	json_t *allow = NULL;
	struct hands_policy pol;
	struct hands *hands = NULL;
	struct kernel_save ks;
	struct kernel_child kc;
	struct memtools mt;
	struct skill_tool skt;
	struct call_scope scope;
	struct registry *tools = NULL;
	struct toolguard tg;
	struct context_in ctx;
	struct registry_guard guard;
	char *system = NULL, *cause = NULL;
	char zombie[256];
	enum agent_state state;
	int rc = -1, memory;

	memset(l, 0, sizeof *l);
	kernel_policy(r->cfg, workspace, &pol);
	/* One baseline per run: a sub-agent's worker counts from the first. */
	if (r->sandbox != NULL)
		pol.workspace_base_bytes = json_integer_value(
		    json_object_get(r->sandbox, "workspace_base_bytes"));
	/* Its capabilities narrow the worker's policy before it starts. */
	if ((chain = kernel_perm_chain(r->db, r->cfg, r->principal,
		 json_string_value(
		     json_object_get(r->persona_taken, "template")),
		 parent, &cause)) != NULL)
		allow = kernel_perm_narrow(chain, &pol);
	if (chain == NULL ||
	    (hands = supervisor_hands(r->db, a, &pol, &cause)) == NULL) {
		l->stop = chain != NULL && cancel_fired(&a->cancel) ?
		    AGENT_CANCELLED :
		    AGENT_WORKER_ERROR;
		snprintf(l->reason, sizeof l->reason, "%s: %s",
		    chain == NULL ? "loading the agent's permissions" :
				    "starting the agent's worker",
		    cause);
		free(cause);
		policy_chain_free(chain);
		json_decref(allow);
		supervisor_finish(r->db, a,
		    l->stop == AGENT_CANCELLED ? AGENT_KILLED : AGENT_FAILED,
		    l->reason, 0, NULL, 0, 0);
		return -1;
	}
	if (r->sandbox == NULL)
		r->sandbox = json_deep_copy(hands_sandbox(hands));
	tools = registry_new();
	registry_add_hands(tools, hands, &pol);
	if (a->depth < supervisor_max_depth()) {
		kc.r = r;
		kc.parent = a;
		kc.workspace = workspace;
		kc.chain = chain;
		registry_add(tools, &kernel_agent_tool, &kc);
	}
	if ((memory = memtools_ready(r->db, r->cfg))) {
		mt.db = r->db;
		mt.session_id = r->session;
		mt.agent_id = a->id;
		memtools_add(tools, &mt);
	}
	skt = (struct skill_tool){ r->db, r->cfg, workspace, r->principal };
	skill_tool_add(tools, &skt);
	/* What the agent is told before it starts (agent/context.h);
	 * memories are recalled only with the right to read them. */
	memset(&ctx, 0, sizeof ctx);
	ctx.db = r->db;
	ctx.cfg = r->cfg;
	ctx.workspace = workspace;
	ctx.depth = a->depth;
	ctx.prompt = r->prompt;
	ctx.principal = r->principal;
	ctx.session_id = r->session;
	ctx.persona = kernel_persona_name(r);
	ctx.space_id = r->space_id[0] != '\0' ? r->space_id : NULL;
	ctx.exec_system = r->exec_system;
	ctx.recall = memory && policy_tool_offered(chain, "memory_read");
	ctx.skills = policy_tool_offered(chain, "skill");
	system = context_system_prompt(&ctx);
	/* The model is offered only what the chain allows; each call is
	 * checked again (the toolguard's first step). */
	kernel_perm_tools(tools, chain);
	kernel_persona_tools(r, tools);

	ks.r = r;
	ks.a = a;
	ks.agent = a->id;
	ks.user = r->hooks;
	if (a->depth > 0) { /* a child's text is its parent's tool result */
		ks.user.text = NULL;
		ks.user.reset = NULL;
	}
	l->cfg = r->cfg;
	l->model = r->model;
	l->system = system;
	l->phase = r->exec_phase;
	l->messages = messages;
	l->tools = tools;
	l->max_iterations = (int)config_int(r->cfg, "engine.max_iterations");
	l->repeat_guard = (int)config_int(r->cfg, "engine.repeat_guard");
	l->tool_output_max =
	    (long)config_int(r->cfg, "engine.tool_output_max_chars");
	l->timeout_ms = r->timeout_ms > 0 ?
	    r->timeout_ms :
	    config_int(r->cfg, "kernel.agent_timeout_secs") * 1000;
	l->cancel = &a->cancel;
	/* One budget per run: a sub-agent spends its parent's. */
	memset(&scope, 0, sizeof scope);
	scope.cls = a->depth > 0 ? CALL_SUBAGENT : r->cls;
	scope.principal = r->principal;
	scope.agent_id = a->id;
	scope.session_id = r->session;
	scope.run_id = r->agent;
	scope.run_tokens = r->budget_tokens;
	scope.run_usd = r->budget_usd;
	l->scope = &scope;
	l->hooks.text = kernel_text;
	l->hooks.reset = kernel_reset;
	l->hooks.retry = kernel_retry;
	l->hooks.tool_start = kernel_tool_start;
	l->hooks.tool_end = kernel_tool_end;
	l->hooks.message = save ? kernel_save_message : NULL;
	l->hooks.arg = &ks;
	l->progress = kernel_progress;
	l->progress_arg = &ks;
	/* Every call passes the policy (docs/security.md, "Policy layer"). */
	memset(&tg, 0, sizeof tg);
	tg.db = r->db;
	tg.cfg = r->cfg;
	tg.principal = r->principal;
	tg.agent_id = a->id;
	tg.session_id = r->session;
	tg.can_ask = r->approvals;
	tg.run = r;
	tg.progress = kernel_guard_progress;
	tg.progress_arg = &ks;
	tg.approval = kernel_guard_approval;
	tg.chain = chain;
	guard.check = toolguard_check;
	guard.arg = &tg;
	registry_set_guard(tools, &guard);
	rc = agent_loop_run(l);
	l->scope = NULL;
	l->progress = NULL;
	l->progress_arg = NULL;
	if (supervisor_is_zombie(a, zombie, sizeof zombie)) {
		/* Reaped: however the loop saw its end, it was killed. */
		l->stop = AGENT_REAPED;
		snprintf(l->reason, sizeof l->reason, "zombie: %s", zombie);
		rc = -1;
	}

	if (l->stop == AGENT_DONE)
		state = AGENT_EXITED;
	else if (l->stop == AGENT_CANCELLED || l->stop == AGENT_REAPED)
		state = AGENT_KILLED;
	else if (l->stop == AGENT_LLM_ERROR || l->stop == AGENT_WORKER_ERROR)
		state = AGENT_FAILED;
	else
		state = AGENT_EXITED; /* a limit stopped it: it ended cleanly */
	supervisor_finish(r->db, a, state, l->reason, l->iterations, &l->usage,
	    l->cost_usd, l->unpriced == 0);
	registry_free(tools);
	l->tools = NULL;
	policy_chain_free(chain);
	json_decref(allow);
	free(system);
	l->system = NULL;
	return rc;
}

int
kernel_run(struct kernel_run *r)
{
	struct agent_loop l;
	struct agent *a = NULL;
	json_t *messages = NULL, *user, *space = NULL;
	const char *resume;
	char *workspace = NULL, *cause = NULL;
	uint64_t t0 = time_mono_ms();
	int exists, rc = -1, reaping, bind;

	memset(&l, 0, sizeof l);
	r->started = 0;
	r->answer = NULL;
	r->sandbox = NULL;
	r->error[0] = r->reason[0] = '\0';
	r->session[0] = r->agent[0] = '\0';
	r->space_why = NULL;
	r->phase_reached = NULL;
	r->seed_id[0] = r->ouro_stop[0] = r->ouro_detail[0] = '\0';
	r->evaluation_passed = -1;
	r->generations = 0;
	r->persona_taken = NULL;
	r->model_asked = r->model;
	r->persona_name[0] = '\0';
	supervisor_recover(r->db);
	supervisor_set_max((int)config_int(r->cfg, "kernel.max_agents"));
	supervisor_set_max_depth(
	    (int)config_int(r->cfg, "kernel.max_agent_depth"));
	/* Zombies are reaped while this run lasts (kernel/reaper.h). */
	reaping = reaper_hold(sqlite3_db_filename(r->db, "main"),
	    (long)config_int(r->cfg, "kernel.zombie_secs"),
	    (long)config_int(r->cfg, "exec.timeout_secs"));

	/* The space (kernel_space.c), then the session: resumed (the
	 * space's conversation, too), or new. */
	if (kernel_space_begin(r, &space, &bind, &cause) != 0) {
		snprintf(r->error, sizeof r->error, "%s", cause);
		goto out;
	}
	resume = r->session_id != NULL ? r->session_id :
	    r->session[0] != '\0'      ? r->session :
					 NULL;
	if (resume != NULL) {
		if ((exists = session_exists(r->db, resume, &cause)) <= 0) {
			snprintf(r->error, sizeof r->error, "%s",
			    exists < 0 ? cause : "no such session");
			if (exists == 0)
				snprintf(r->error, sizeof r->error,
				    "no session %.64s (see the session_id of "
				    "an earlier run)",
				    resume);
			goto out;
		}
		if (resume != r->session)
			snprintf(r->session, sizeof r->session, "%s", resume);
		if ((messages = session_messages(r->db, r->session, &cause)) ==
			NULL ||
		    kernel_space_buffer(r, messages, &cause) != 0) {
			snprintf(r->error, sizeof r->error, "%s", cause);
			goto out;
		}
	} else {
		if (session_create(r->db, r->prompt, r->session, &cause) != 0) {
			snprintf(r->error, sizeof r->error, "%s", cause);
			goto out;
		}
		messages = json_array();
	}
	if (kernel_space_bind(r, space, bind, &cause) != 0) {
		snprintf(r->error, sizeof r->error, "%s", cause);
		goto out;
	}

	if (kernel_persona_begin(r, &cause) != 0) {
		snprintf(r->error, sizeof r->error, "%s", cause);
		goto out;
	}

	/* The agent: a row, a slot, hands. */
	if ((a = supervisor_create(r->db, r->session, r->model, NULL, r->cancel,
		 r->identity, &cause)) == NULL) {
		snprintf(r->error, sizeof r->error, "%s", cause);
		goto out;
	}
	memcpy(r->agent, a->id, UUID_STRLEN);
	user = json_pack("{s:s, s:s}", "role", "user", "content", r->prompt);
	json_array_append(messages, user);
	if (session_append(r->db, r->session, a->id, user, &cause) != 0) {
		json_decref(user);
		snprintf(r->error, sizeof r->error, "%s", cause);
		supervisor_finish(r->db, a, AGENT_FAILED, r->error, 0, NULL, 0,
		    0);
		a = NULL;
		goto out;
	}
	json_decref(user);
	if (supervisor_admit(r->db, a) != 0) {
		snprintf(r->error, sizeof r->error, "killed while queued");
		supervisor_finish(r->db, a, AGENT_KILLED, r->error, 0, NULL, 0,
		    0);
		a = NULL;
		goto out;
	}
	workspace = kernel_workspace(r->cfg);
	if (file_mkdirs(workspace, 0700, &cause) != 0) {
		snprintf(r->error, sizeof r->error, "%s", cause);
		supervisor_finish(r->db, a, AGENT_FAILED, r->error, 0, NULL, 0,
		    0);
		a = NULL;
		goto out;
	}
	r->started = 1;
	if (r->started_hook != NULL)
		r->started_hook(r, r->hooks.arg);
	rc = kernel_ouro_run(r, a, messages, workspace, &l);
	r->stop = l.stop;
	snprintf(r->reason, sizeof r->reason, "%s", l.reason);
	r->answer = l.answer;
	l.answer = NULL;
	r->iterations = l.iterations;
	r->tool_calls = l.tool_calls;
	r->usage = l.usage;
	r->cost_usd = l.cost_usd;
	r->cost_unknown = l.unpriced > 0;
	if (l.stop == AGENT_WORKER_ERROR && l.iterations == 0) {
		r->started = 0; /* no worker: the agent never ran */
		snprintf(r->error, sizeof r->error, "%s", l.reason);
	}
	session_touch(r->db, r->session, l.model, l.usage.input_tokens,
	    l.usage.output_tokens, &cause);
	free(cause);
	cause = NULL;
	kernel_space_end(r); /* the knowledge bridge */
	a = NULL;
out:
	kernel_persona_end(r);
	if (reaping)
		reaper_release();
	agent_loop_free(&l);
	json_decref(messages);
	json_decref(space);
	free(workspace);
	free(cause);
	r->duration_ms = (long)(time_mono_ms() - t0);
	return rc;
}

void
kernel_run_free(struct kernel_run *r)
{
	free(r->answer);
	r->answer = NULL;
	json_decref(r->sandbox);
	r->sandbox = NULL;
}
