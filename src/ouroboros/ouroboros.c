/*
 * ouroboros.c — the engine of the protocol (interactive when ask_user is
 * set):
 * triage → interview → seed → (execute → evaluate → evolve)* until a stop
 * (docs/ouroboros.md, "The cycle").
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/gate.h"
#include "ouroboros/contract.h"
#include "ouroboros/interview.h"
#include "ouroboros/judge.h"
#include "ouroboros/ouroboros.h"
#include "ouroboros/seed_store.h"
#include "ouroboros/seed_yaml.h"
#include "ouroboros/verify.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

#define OURO_TEXT_MAX (1024 * 1024) /* bytes of a prompt we build */

static const char *const ouro_modes[] = { "auto", "always", "never" };

const char *
ouro_mode_name(enum ouro_mode m)
{
	return (unsigned)m < 3 ? ouro_modes[m] : "auto";
}

int
ouro_mode_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, ouro_modes[i]) == 0)
			return i;
	return -1;
}

static void
ouro_list(struct buf *b, const char *title, char *const *v, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	buf_printf(b, "\n%s:\n", title);
	for (i = 0; i < n; i++)
		buf_printf(b, "- %s\n", v[i]);
}

char *
ouro_seed_contract(const struct seed *s)
{
	struct buf b;
	size_t i, j;

	buf_init(&b, OURO_TEXT_MAX);
	buf_printf(&b,
	    "You are executing a task under a frozen specification (seed %s, "
	    "generation %d). Do the work in the workspace with your tools; "
	    "your result is checked against the acceptance criteria.\n\n"
	    "Goal: %s\nTask type: %s\n",
	    s->id, s->generation, s->goal, s->task_type);
	if (s->rationale != NULL)
		buf_printf(&b, "Why this generation differs: %s\n",
		    s->rationale);
	ouro_list(&b, "Constraints", s->constraints, s->nconstraints);
	buf_adds(&b, "\nAcceptance criteria:\n");
	for (i = 0; i < s->ncriteria; i++) {
		buf_printf(&b, "- [%s] %s\n", s->criteria[i].id,
		    s->criteria[i].description);
		for (j = 0; j < s->criteria[i].nartifacts; j++)
			buf_printf(&b, "  expected artifact: %s\n",
			    s->criteria[i].artifacts[j]);
	}
	ouro_list(&b, "Exit conditions", s->exit_conditions,
	    s->nexit_conditions);
	ouro_list(&b, "Assumptions", s->assumptions, s->nassumptions);
	return buf_detach(&b);
}

/* The engine's state of one run. */
struct ouro_run {
	struct ouro_ctx *c;
	struct seed *seeds[SEED_MAX_GENERATION]; /* every generation */
	struct ouro_crit_result *res[SEED_MAX_GENERATION];
	struct ouro_generation gens[SEED_MAX_GENERATION];
	size_t n;
	json_t *assumed; /* the interview's defaults, as assumptions */
	double ambiguity;
	int degraded;
	char *feedback; /* the last generation's failures, for evolve */
};

static void
ouro_phase(struct ouro_run *o, const char *phase, const char *reached)
{
	const struct seed *s = o->n > 0 ? o->seeds[o->n - 1] : NULL;

	if (reached != NULL)
		o->c->phase_reached = reached;
	if (o->c->publish != NULL)
		o->c->publish(o->c->arg, s != NULL ? s->id : NULL,
		    s != NULL ? s->generation : 0, phase);
}

/* Stop with `st` and a reason in words. */
static void ouro_stop(struct ouro_ctx *c, enum ouro_stop st, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
ouro_stop(struct ouro_ctx *c, enum ouro_stop st, const char *fmt, ...)
{
	va_list ap;

	c->stop = st;
	va_start(ap, fmt);
	vsnprintf(c->stop_detail, sizeof c->stop_detail, fmt, ap);
	va_end(ap);
}

/* Each try of a forced call: the seam or the gate; its usage summed, a
 * budget's refusal noted. */
struct ouro_try {
	struct ouro_ctx *c;
	const char *model; /* NULL: engine.default_model */
	int budget;
};

static int
ouro_try_call(void *arg, struct llm_request *req, struct llm_response *out,
    struct llm_error *err)
{
	struct ouro_try *t = arg;
	struct ouro_ctx *c = t->c;
	struct gate_record rec;
	int rc;

	memset(&rec, 0, sizeof rec);
	rc = c->call != NULL ? c->call(c->call_arg, req, out, err) :
			       gate_call_scoped(c->cfg, c->scope, t->model, req,
				   NULL, NULL, c->cancel, out, &rec, err);
	if (rec.priced)
		c->cost_usd += rec.cost_usd;
	else if (rc == 0 && c->call == NULL)
		c->unpriced++;
	if (rc != 0 && err->cls == LLM_ERR_BUDGET)
		t->budget = 1;
	if (rc == 0) {
		c->usage.input_tokens += out->usage.input_tokens;
		c->usage.output_tokens += out->usage.output_tokens;
	}
	return rc;
}

/* One forced tool call with a single user message; NULL with the stop. */
static json_t *
ouro_call_model(struct ouro_run *o, const char *model, const char *tool,
    const char *phase, const char *system, const char *text)
{
	struct ouro_ask ask = { 0 };
	struct ouro_try t = { o->c, model, 0 };
	json_t *messages, *args;
	char *cause = NULL;

	messages = json_pack("[{s:s, s:s}]", "role", "user", "content", text);
	ask.tool = tool;
	ask.phase = phase;
	ask.model = model;
	ask.system = system;
	ask.messages = messages;
	args = ouro_contract_ask(&ask, ouro_try_call, &t, &cause);
	json_decref(messages);
	if (args == NULL) {
		ouro_stop(o->c, t.budget ? OURO_STOP_BUDGET : OURO_STOP_ERROR,
		    "%s", cause != NULL ? cause : tool);
		free(cause);
	}
	return args;
}

/* A forced tool call on the run's model. */
static json_t *
ouro_call(struct ouro_run *o, const char *tool, const char *phase,
    const char *system, const char *text)
{
	return ouro_call_model(o, o->c->model, tool, phase, system, text);
}

/* Triage: 1 for a task, 0 for a quick answer, -1 on failure. */
static int
ouro_triage(struct ouro_run *o)
{
	json_t *args;
	int task;

	ouro_phase(o, "triage", NULL);
	if ((args = ouro_call(o, "triage", "triage",
		 "Decide whether this request is a quick answer or a task "
		 "that needs a specification and a check of its result.",
		 o->c->prompt)) == NULL)
		return -1;
	task = strcmp(json_string_value(json_object_get(args, "kind")),
		   "task") == 0;
	json_decref(args);
	return task;
}

/* One round's questions into the assumptions and the conversation:
 * answers[i] a string (the user's) or anything else (the default). */
static void
ouro_answered(struct ouro_run *o, struct buf *conv, const json_t *qs,
    const json_t *answers)
{
	const char *q, *a;
	json_t *e;
	size_t i;
	int user;

	json_array_foreach(qs, i, e) {
		q = json_string_value(json_object_get(e, "question"));
		a = json_string_value(json_array_get(answers, i));
		if ((user = a != NULL) == 0)
			a = json_string_value(json_object_get(e, "default"));
		json_array_append_new(o->assumed,
		    json_sprintf("%s: %s%s", q, a,
			user ? " (from the user)" : ""));
		buf_printf(conv, "Q: %s\nA: %s%s\n", q, a,
		    user ? "" : " (the proposed default, accepted)");
	}
}

/*
 * Interview: score clarity; while ambiguity stays above the threshold and
 * someone answers (c->ask_user), ask the questions and score again, at
 * most OURO_INTERVIEW_ROUNDS rounds, or until the user says go.  The
 * defaults nobody answered become assumptions.
 */
static int
ouro_interview(struct ouro_run *o)
{
	struct ouro_clarity cl;
	struct buf conv;
	json_t *args, *answers;
	int round, go = 0, rc = -1;

	o->assumed = json_array();
	ouro_phase(o, "interview", "Interview");
	if (!o->c->interview)
		return 0; /* no interview: nothing measured, nothing assumed */
	buf_init(&conv, OURO_TEXT_MAX);
	for (round = 1;; round++) {
		if ((args = ouro_call(o, "score_clarity", "interview",
			 o->c->ask_user != NULL ?
			     "Score how clear this request is. Ask the user "
			     "the most useful questions, each with the "
			     "default you propose." :
			     "Score how clear this request is. Nobody can "
			     "answer questions: for each question, propose "
			     "the default you would assume.",
			 conv.len > 0 ? buf_str(&conv) : o->c->prompt)) == NULL)
			goto out;
		if (ouro_clarity_from_json(args, &cl) != 0) {
			json_decref(args);
			ouro_stop(o->c, OURO_STOP_ERROR,
			    "score_clarity: a clarity is not a number");
			goto out;
		}
		o->ambiguity = ouro_ambiguity(&cl);
		o->degraded = ouro_needs_interview(o->ambiguity,
		    o->c->ambiguity_threshold);
		if (conv.len == 0)
			buf_printf(&conv, "Request:\n%s\n\nInterview:\n",
			    o->c->prompt);
		answers = NULL;
		if (o->degraded && o->c->ask_user != NULL &&
		    round <= OURO_INTERVIEW_ROUNDS &&
		    json_array_size(json_object_get(args, "questions")) > 0)
			go = o->c->ask_user(o->c->ask_arg,
			    json_object_get(args, "questions"), round,
			    &answers);
		else
			go = 1; /* nothing (more) to ask: the defaults */
		ouro_answered(o, &conv, json_object_get(args, "questions"),
		    answers);
		json_decref(answers);
		json_decref(args);
		if (go)
			break;
	}
	rc = 0;
out:
	buf_free(&conv);
	return rc;
}

/* Store a new seed (generation o->n + 1) and write its file. */
static int
ouro_keep(struct ouro_run *o, struct seed *s)
{
	char *cause = NULL, *dir = NULL, *path = NULL;
	int rc = -1;

	if (seed_store_put(o->c->db, s, &cause) != 0)
		goto out;
	xasprintf(&dir, "%s/seeds", o->c->workspace);
	if (seed_yaml_write(s, dir, &path, &cause) != 0)
		goto out;
	o->seeds[o->n++] = s;
	memcpy(o->c->seed_id, s->id, UUID_STRLEN);
	o->c->generations = s->generation;
	rc = 0;
out:
	if (rc != 0) {
		ouro_stop(o->c, OURO_STOP_ERROR, "storing the seed: %s", cause);
		seed_free(s);
	}
	free(cause);
	free(dir);
	free(path);
	return rc;
}

/* The seed from write_seed/evolve_seed arguments, with the assumptions. */
static int
ouro_seed_from(struct ouro_run *o, json_t *args, const struct seed *parent,
    const char *tool)
{
	struct seed *s = NULL;
	json_t *list = json_object_get(args, "assumptions"), *a;
	char *cause = NULL;
	size_t i, j;
	int seen;

	json_array_foreach(o->assumed, i, a) {
		for (seen = 0, j = 0; j < json_array_size(list); j++)
			seen |= json_equal(json_array_get(list, j), a);
		if (!seen && json_array_size(list) < 32)
			json_array_append(list, a);
	}
	if (seed_from_args(args, parent, o->ambiguity, o->degraded, &s,
		&cause) != 0) {
		ouro_stop(o->c, OURO_STOP_ERROR, "%s: %s", tool, cause);
		free(cause);
		return -1;
	}
	return ouro_keep(o, s);
}

static int
ouro_write_seed(struct ouro_run *o)
{
	struct buf b;
	json_t *args, *a;
	size_t i;
	int rc;

	ouro_phase(o, "seed", "Seed");
	buf_init(&b, OURO_TEXT_MAX);
	buf_printf(&b, "Request:\n%s\n", o->c->prompt);
	if (json_array_size(o->assumed) > 0)
		buf_adds(&b,
		    o->c->ask_user != NULL ?
			"\nThe interview (\"from the user\": the user's "
			"answer; else a default assumed):\n" :
			"\nAssumed (no one could answer):\n");
	json_array_foreach(o->assumed, i, a)
		buf_printf(&b, "- %s\n", json_string_value(a));
	args = ouro_call(o, "write_seed", "seed",
	    "Write the seed: the frozen specification of this task, with "
	    "acceptance criteria that can be checked (a verify_command "
	    "where a command can check one).",
	    buf_str(&b));
	buf_free(&b);
	if (args == NULL)
		return -1;
	rc = ouro_seed_from(o, args, NULL, "write_seed");
	json_decref(args);
	return rc;
}

/* Store one result; a failure to store is logged, not fatal. */
static void
ouro_result(struct ouro_run *o, const char *crit, enum seed_stage st,
    int passed, double score, const json_t *detail)
{
	struct seed_result r = { 0 };
	char *cause = NULL;

	r.seed_id = o->seeds[o->n - 1]->id;
	r.criterion_id = crit;
	r.stage = st;
	r.passed = passed;
	r.score = score;
	r.detail = detail;
	if (seed_store_result(o->c->db, &r, &cause) != 0) {
		log_error("seed %s: %s", r.seed_id, cause);
		free(cause);
	}
}

/* Mechanical stage: every checkable criterion; -1 when one could not be
 * checked (a stop "error"). */
static int
ouro_mechanical(struct ouro_run *o, struct ouro_record *rec, struct buf *fb)
{
	const struct seed *s = o->seeds[o->n - 1];
	const struct seed_criterion *k;
	struct ouro_verify_env env = { 0 };
	struct ouro_verify_result res;
	enum ouro_verify_state st;
	json_t *detail;
	size_t i, j;

	env.policy = o->c->policy;
	env.cancel = o->c->cancel;
	for (i = 0; i < s->ncriteria; i++) {
		k = &s->criteria[i];
		if (k->verify_command == NULL && k->nartifacts == 0 &&
		    k->assertion == NULL)
			continue; /* left to the judge */
		memset(&res, 0, sizeof res);
		st = ouro_verify_criterion(&env, k->verify_command,
		    k->artifacts, k->nartifacts, k->assertion, &res);
		detail = ouro_verify_result_json(&res);
		if (st == OURO_VERIFY_ERROR) {
			ouro_stop(o->c, OURO_STOP_ERROR, "criterion %s: %s",
			    k->id, res.nreasons > 0 ? res.reasons[0] : "error");
			json_decref(detail);
			ouro_verify_result_free(&res);
			return -1;
		}
		if (st != OURO_VERIFY_UNCHECKED) {
			ouro_result(o, k->id, SEED_MECHANICAL,
			    st == OURO_VERIFY_PASSED, NAN, detail);
			ouro_record_put(rec, k->id, OURO_MECHANICAL,
			    st == OURO_VERIFY_PASSED);
		}
		buf_printf(fb, "- [%s] mechanical check %s", k->id,
		    ouro_verify_state_name(st));
		for (j = 0; j < res.nreasons; j++)
			buf_printf(fb, "%s %s", j == 0 ? ":" : ";",
			    res.reasons[j]);
		buf_addc(fb, '\n');
		json_decref(detail);
		ouro_verify_result_free(&res);
	}
	return 0;
}

/*
 * Judge number `k` (0 the first; the consensus's further ones take
 * ouroboros.judge_models in turn): its verdict, *score; gaps into fb.
 * -1: the stop is set.
 */
static int
ouro_judge_one(struct ouro_run *o, size_t k, const char *text,
    enum ouro_verdict *v, double *score, json_t *judges, struct buf *fb)
{
	struct ouro_judgement j;
	const char *model = o->c->model;
	json_t *args, *g;
	size_t i;

	if (k > 0 && o->c->njudge_models > 0)
		model = o->c->judge_models[(k - 1) % o->c->njudge_models];
	if ((args = ouro_call_model(o, model, "judge", "evaluate",
		 "Judge the result of this work against its seed.", text)) ==
	    NULL)
		return -1;
	if (ouro_judgement_from_json(args, &j) != 0) {
		json_decref(args);
		ouro_stop(o->c, OURO_STOP_ERROR, "judge: a score is missing");
		return -1;
	}
	*v = ouro_judge_verdict(&j);
	*score = j.score;
	json_array_foreach(json_object_get(args, "gaps"), i, g)
		buf_printf(fb, "- gap: %s\n", json_string_value(g));
	if (*v == OURO_VETOED)
		buf_printf(fb, "- the judge vetoed: reward_hacking_risk %.2f\n",
		    j.reward_hacking_risk);
	json_object_set_new(args, "verdict",
	    json_string(ouro_verdict_name(*v)));
	if (model != NULL)
		json_object_set_new(args, "model", json_string(model));
	json_array_append(judges, args);
	json_decref(args);
	return 0;
}

/*
 * Semantic stage, and the consensus when judge.c says so: the verdict is
 * on the whole seed and is put for every criterion (a failing or vetoed
 * verdict fails them all; a pass leaves a mechanical failure standing).
 */
static int
ouro_semantic(struct ouro_run *o, struct ouro_record *rec, const char *answer,
    struct buf *fb)
{
	const struct seed *s = o->seeds[o->n - 1];
	enum ouro_verdict v[OURO_JUDGES];
	struct ouro_judgement first;
	double score[OURO_JUDGES], sum = 0;
	json_t *judges = json_array(), *detail;
	char *contract = ouro_seed_contract(s), *text = NULL;
	size_t i, n = 1;
	int passed, rc = -1;

	xasprintf(&text,
	    "The seed:\n%s\nThe mechanical checks:\n%s\nThe agent's final "
	    "answer:\n%s\n",
	    contract, buf_str(fb), answer != NULL ? answer : "(none)");
	if (ouro_judge_one(o, 0, text, &v[0], &score[0], judges, fb) != 0)
		goto out;
	ouro_judgement_from_json(json_array_get(judges, 0), &first);
	if (ouro_consensus_needed(&first, s->generation > 1)) {
		for (; n < OURO_JUDGES; n++)
			if (ouro_judge_one(o, n, text, &v[n], &score[n], judges,
				fb) != 0)
				goto out;
		passed = ouro_majority(v, n);
	} else
		passed = v[0] == OURO_PASS;
	for (i = 0; i < n; i++)
		sum += score[i];
	o->gens[o->n - 1].score = sum / (double)n;
	detail = json_pack("{s:O, s:b}", "judges", judges, "passed", passed);
	ouro_result(o, NULL, n > 1 ? SEED_CONSENSUS : SEED_SEMANTIC, passed,
	    sum / (double)n, detail);
	json_decref(detail);
	for (i = 0; i < s->ncriteria; i++)
		ouro_record_put(rec, s->criteria[i].id,
		    n > 1 ? OURO_CONSENSUS : OURO_SEMANTIC, passed);
	rc = 0;
out:
	json_decref(judges);
	free(contract);
	free(text);
	return rc;
}

/* Evaluate the last generation: its results into gens[n − 1]. */
static int
ouro_evaluate(struct ouro_run *o, const char *answer)
{
	const struct seed *s = o->seeds[o->n - 1];
	struct ouro_record *rec = ouro_record_new();
	struct ouro_crit_result *cr;
	struct buf fb;
	size_t i;
	int rc = -1, all = 1;

	ouro_phase(o, "evaluate", "Evaluate");
	buf_init(&fb, OURO_TEXT_MAX);
	o->gens[o->n - 1].score = -1;
	if (ouro_mechanical(o, rec, &fb) != 0 ||
	    ouro_semantic(o, rec, answer, &fb) != 0)
		goto out;
	cr = xcalloc(s->ncriteria, sizeof *cr);
	for (i = 0; i < s->ncriteria; i++) {
		cr[i].id = s->criteria[i].id;
		cr[i].passed = ouro_record_get(rec, cr[i].id) == OURO_PASSED;
		all &= cr[i].passed;
		if (!cr[i].passed)
			buf_printf(&fb, "- [%s] failed\n", cr[i].id);
	}
	o->res[o->n - 1] = cr;
	o->gens[o->n - 1].results = cr;
	o->gens[o->n - 1].n = s->ncriteria;
	o->c->evaluation_passed = all;
	free(o->feedback);
	o->feedback = buf_detach(&fb);
	rc = 0;
out:
	buf_free(&fb);
	ouro_record_free(rec);
	return rc;
}

static int
ouro_evolve(struct ouro_run *o)
{
	const struct seed *s = o->seeds[o->n - 1];
	json_t *spec = seed_to_json(s), *args;
	char *text = NULL, *js = json_dumps(spec, JSON_INDENT(1));
	int rc;

	ouro_phase(o, "evolve", "Evolve");
	xasprintf(&text,
	    "The seed of generation %d:\n%s\n\nWhat its evaluation found:\n%s"
	    "\nWrite the next generation: keep what held, change what made "
	    "the work fail, and say why.",
	    s->generation, js, o->feedback != NULL ? o->feedback : "");
	args = ouro_call(o, "evolve_seed", "evolve",
	    "Evolve the seed from its failures and gaps.", text);
	free(text);
	free(js);
	json_decref(spec);
	if (args == NULL)
		return -1;
	if (o->n >= SEED_MAX_GENERATION) {
		json_decref(args);
		ouro_stop(o->c, OURO_STOP_MAX_GENERATIONS, "%zu generations",
		    o->n);
		return -1;
	}
	rc = ouro_seed_from(o, args, s, "evolve_seed");
	json_decref(args);
	return rc;
}

/* Execute the last generation; -1 when the run must stop. */
static int
ouro_execute(struct ouro_run *o)
{
	struct ouro_ctx *c = o->c;
	char *contract = ouro_seed_contract(o->seeds[o->n - 1]);

	ouro_phase(o, "execute", "Execute");
	free(c->last.answer);
	memset(&c->last, 0, sizeof c->last);
	c->execute(c->arg, contract, "execute", &c->last);
	free(contract);
	if (c->last.budget)
		ouro_stop(c, OURO_STOP_BUDGET, "%s", c->last.reason);
	else if (c->last.failed)
		ouro_stop(c, OURO_STOP_ERROR, "executing generation %d: %s",
		    o->seeds[o->n - 1]->generation, c->last.reason);
	else
		return 0;
	return -1;
}

static void
ouro_decided(struct ouro_run *o, enum ouro_stop st, const char *crit)
{
	struct ouro_ctx *c = o->c;

	switch (st) {
	case OURO_STOP_PASSED:
		ouro_stop(c, st, "every criterion passed in generation %zu",
		    o->n);
		break;
	case OURO_STOP_OSCILLATION:
		ouro_stop(c, st, "criterion %s flips between pass and fail",
		    crit);
		break;
	case OURO_STOP_STAGNATION:
		ouro_stop(c, st, "no improvement over %d generations",
		    OURO_STAGNATION_WINDOW);
		break;
	case OURO_STOP_MAX_GENERATIONS:
		ouro_stop(c, st,
		    "ouroboros.max_generations (%d) reached without passing",
		    c->max_generations);
		break;
	default:
		break;
	}
}

/* The protocol, after triage. */
static void
ouro_protocol(struct ouro_run *o)
{
	enum ouro_stop st;
	const char *crit = NULL;

	o->c->protocol = 1;
	if (ouro_interview(o) != 0 || ouro_write_seed(o) != 0)
		return;
	for (;;) {
		if (ouro_execute(o) != 0 ||
		    ouro_evaluate(o, o->c->last.answer) != 0)
			return;
		st = ouro_evolve_decide(o->gens, o->n, o->c->max_generations,
		    &crit);
		if (st != OURO_CONTINUE) {
			ouro_decided(o, st, crit);
			return;
		}
		if (ouro_evolve(o) != 0)
			return;
	}
}

int
ouro_run(struct ouro_ctx *c)
{
	struct ouro_run o;
	char *cause = NULL;
	size_t i;
	int task = c->mode == OURO_MODE_ALWAYS;

	memset(&o, 0, sizeof o);
	o.c = c;
	c->protocol = 0;
	c->phase_reached = NULL;
	c->seed_id[0] = '\0';
	c->evaluation_passed = -1;
	c->generations = 0;
	c->stop = OURO_CONTINUE;
	c->stop_detail[0] = '\0';
	memset(&c->last, 0, sizeof c->last);
	memset(&c->usage, 0, sizeof c->usage);
	if (c->mode == OURO_MODE_AUTO && (task = ouro_triage(&o)) < 0)
		return -1;
	if (!task) { /* a quick answer: no protocol */
		ouro_phase(&o, "execute", "Execute");
		c->execute(c->arg, NULL, "chat", &c->last);
		return c->last.done ? 0 : -1;
	}
	ouro_protocol(&o);
	if (o.n > 0 &&
	    seed_store_status(c->db, o.seeds[o.n - 1]->id,
		c->stop == OURO_STOP_PASSED ? "passed" : "failed",
		c->stop_detail, &cause) != 0) {
		log_error("seed %s: %s", o.seeds[o.n - 1]->id, cause);
		free(cause);
	}
	for (i = 0; i < o.n; i++) {
		seed_free(o.seeds[i]);
		free(o.res[i]);
	}
	json_decref(o.assumed);
	free(o.feedback);
	return c->stop == OURO_STOP_ERROR || c->stop == OURO_STOP_BUDGET ? -1 :
									   0;
}

void
ouro_ctx_free(struct ouro_ctx *c)
{
	free(c->last.answer);
	c->last.answer = NULL;
}
