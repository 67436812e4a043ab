/*
 * kernel_ouro.c — the kernel's glue to Ouroboros (docs/ouroboros.md, "The
 * cycle"): which runs go through the protocol, each execution as an agent
 * of the run's session, the phases on the event bus.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/hands.h"
#include "kernel/events.h"
#include "kernel/kernel.h"
#include "kernel/supervisor.h"
#include "ouroboros/ouroboros.h"
#include "util/log.h"
#include "util/xalloc.h"

struct kernel_ouro {
	struct kernel_run *r;
	struct agent
	    *a; /* the run's first agent, until an execution takes it */
	json_t *messages; /* the conversation with the request */
	const char *workspace;
	struct agent_loop *l;   /* the last execution's results */
	int rc;                 /* what its kernel_agent() returned */
	int ran;                /* an execution ran */
	struct llm_usage usage; /* summed over the executions */
	double cost_usd;
	int unpriced;
	int iterations, tool_calls;
};

static void
kernel_ouro_execute(void *arg, const char *contract, const char *phase,
    struct ouro_exec *out)
{
	struct kernel_ouro *ko = arg;
	struct kernel_run *r = ko->r;
	struct agent *a = ko->a;
	json_t *messages;
	char *cause = NULL;

	ko->a = NULL;
	if (a == NULL) { /* a later generation: an agent of its own */
		if ((a = supervisor_create(r->db, r->session, r->model, NULL,
			 r->cancel, r->identity, &cause)) == NULL) {
			out->failed = 1;
			snprintf(out->reason, sizeof out->reason, "%s", cause);
			free(cause);
			return;
		}
		if (supervisor_admit(r->db, a) != 0) {
			supervisor_finish(r->db, a, AGENT_KILLED,
			    "killed while queued", 0, NULL, 0, 0);
			out->failed = 1;
			snprintf(out->reason, sizeof out->reason,
			    "killed while queued");
			return;
		}
	}
	agent_loop_free(ko->l);
	messages = json_deep_copy(ko->messages);
	r->exec_system = contract;
	r->exec_phase = phase;
	ko->rc = kernel_agent(r, a, messages, ko->workspace, 1, ko->l);
	r->exec_system = NULL;
	r->exec_phase = NULL;
	json_decref(messages);
	ko->ran = 1;
	ko->usage.input_tokens += ko->l->usage.input_tokens;
	ko->usage.output_tokens += ko->l->usage.output_tokens;
	ko->cost_usd += ko->l->cost_usd;
	ko->unpriced += ko->l->unpriced;
	ko->iterations += ko->l->iterations;
	ko->tool_calls += ko->l->tool_calls;
	out->answer = ko->l->answer != NULL ? xstrdup(ko->l->answer) : NULL;
	out->done = ko->l->stop == AGENT_DONE;
	out->budget = ko->l->stop == AGENT_BUDGET;
	out->failed = ko->l->stop == AGENT_LLM_ERROR ||
	    ko->l->stop == AGENT_WORKER_ERROR ||
	    ko->l->stop == AGENT_CANCELLED || ko->l->stop == AGENT_REAPED;
	snprintf(out->reason, sizeof out->reason, "%s", ko->l->reason);
}

static void
kernel_ouro_publish(void *arg, const char *seed_id, int generation,
    const char *phase)
{
	struct kernel_ouro *ko = arg;
	json_t *ev = json_pack("{s:s?, s:i, s:s, s:s, s:s}", "seed_id", seed_id,
	    "generation", generation, "phase", phase, "session_id",
	    ko->r->session, "run_id", ko->r->agent);

	events_emit(EVENT_OURO_PHASE, ev);
	json_decref(ev);
	if (ko->r->phase_hook != NULL)
		ko->r->phase_hook(ko->r, seed_id, generation, phase,
		    ko->r->hooks.arg);
}

/* The mode of this run: its own, or ouroboros.mode for `oxios run`. */
static enum ouro_mode
kernel_ouro_mode(const struct kernel_run *r)
{
	int m;

	if (r->spec == KERNEL_SPEC_ALWAYS)
		return OURO_MODE_ALWAYS;
	if (r->spec == KERNEL_SPEC_NEVER || r->cls != CALL_RUN)
		return OURO_MODE_NEVER;
	m = ouro_mode_parse(config_str(r->cfg, "ouroboros.mode"));
	return m < 0 ? OURO_MODE_AUTO : (enum ouro_mode)m;
}

int
kernel_ouro_run(struct kernel_run *r, struct agent *a, json_t *messages,
    const char *workspace, struct agent_loop *l)
{
	struct kernel_ouro ko;
	struct ouro_ctx c;
	struct hands_policy pol;
	struct call_scope scope;
	char agent_id[UUID_STRLEN]; /* a is gone once an execution ends */
	const char *judges[16];
	json_t *v;
	size_t i;
	int rc;

	memset(&c, 0, sizeof c);
	c.mode = kernel_ouro_mode(r);
	if (c.mode == OURO_MODE_NEVER) {
		r->phase_reached = "Execute";
		return kernel_agent(r, a, messages, workspace, 1, l);
	}
	memset(&ko, 0, sizeof ko);
	ko.r = r;
	ko.a = a;
	ko.messages = messages;
	ko.workspace = workspace;
	ko.l = l;
	ko.rc = -1;
	kernel_policy(r->cfg, workspace, &pol);
	memset(&scope, 0, sizeof scope);
	scope.cls = r->cls;
	scope.principal = r->principal;
	memcpy(agent_id, a->id, UUID_STRLEN);
	scope.agent_id = agent_id;
	scope.session_id = r->session;
	scope.run_id = r->agent;
	scope.run_tokens = r->budget_tokens;
	scope.run_usd = r->budget_usd;

	c.cfg = r->cfg;
	c.scope = &scope;
	c.db = r->db;
	c.workspace = workspace;
	c.policy = &pol;
	c.cancel = r->cancel;
	c.model = r->model;
	c.prompt = r->prompt;
	c.max_generations =
	    (int)config_int(r->cfg, "ouroboros.max_generations");
	c.ambiguity_threshold =
	    config_float(r->cfg, "ouroboros.ambiguity_threshold");
	c.interview = config_bool(r->cfg, "ouroboros.interview");
	json_array_foreach(config_get(r->cfg, "ouroboros.judge_models"), i, v)
		if (c.njudge_models < sizeof judges / sizeof judges[0])
			judges[c.njudge_models++] = json_string_value(v);
	c.judge_models = judges;
	c.ask_user = r->ask_user;
	c.ask_arg = r->ask_arg;
	c.execute = kernel_ouro_execute;
	c.publish = kernel_ouro_publish;
	c.arg = &ko;
	rc = ouro_run(&c);

	r->phase_reached = c.phase_reached;
	memcpy(r->seed_id, c.seed_id, UUID_STRLEN);
	r->evaluation_passed = c.evaluation_passed;
	r->generations = c.generations;
	if (c.protocol) {
		snprintf(r->ouro_stop, sizeof r->ouro_stop, "%s",
		    ouro_stop_name(c.stop));
		snprintf(r->ouro_detail, sizeof r->ouro_detail, "%s",
		    c.stop_detail);
	}
	if (ko.a != NULL) /* no execution took the run's agent */
		supervisor_finish(r->db, ko.a,
		    cancel_fired(&ko.a->cancel) ? AGENT_KILLED : AGENT_FAILED,
		    c.stop_detail, 0, NULL, 0, 0);
	/* The protocol's own calls count too. */
	ko.usage.input_tokens += c.usage.input_tokens;
	ko.usage.output_tokens += c.usage.output_tokens;
	l->usage = ko.usage;
	if (!ko.ran) {
		l->stop = cancel_fired(r->cancel) ? AGENT_CANCELLED :
		    c.stop == OURO_STOP_BUDGET    ? AGENT_BUDGET :
						    AGENT_LLM_ERROR;
		snprintf(l->reason, sizeof l->reason, "%s", c.stop_detail);
		l->cost_usd = c.cost_usd;
		l->unpriced = c.unpriced;
	} else {
		l->cost_usd = ko.cost_usd + c.cost_usd;
		l->unpriced = ko.unpriced + c.unpriced;
		l->iterations = ko.iterations;
		l->tool_calls = ko.tool_calls;
		if (c.protocol && rc != 0 && l->stop == AGENT_DONE) {
			/* An execution answered, the protocol failed after. */
			l->stop = c.stop == OURO_STOP_BUDGET ? AGENT_BUDGET :
							       AGENT_LLM_ERROR;
			snprintf(l->reason, sizeof l->reason, "%s",
			    c.stop_detail);
		}
	}
	ouro_ctx_free(&c);
	if (!ko.ran || rc != 0)
		return -1;
	return ko.rc;
}
