/*
 * test_ouro_engine.c — the pure parts of Ouroboros's engine: the modes,
 * the seed as the executing model sees it (never a verify_command or an
 * assertion), a quick answer's run (one execution, phase "chat", no
 * LLM call of the protocol), and the cycle against a script of forced
 * tool calls: oscillation, stagnation, max_generations, a pass, a budget
 * and a broken contract, each stop with its reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "tmpdir.h"

#include "ouroboros/ouroboros.h"
#include "ouroboros/seed.h"
#include "ouroboros/seed_store.h"
#include "store/db.h"
#include "util/file.h"
#include "util/xalloc.h"

static void
test_modes(void **state)
{
	(void)state;
	assert_int_equal(ouro_mode_parse("auto"), OURO_MODE_AUTO);
	assert_int_equal(ouro_mode_parse("always"), OURO_MODE_ALWAYS);
	assert_int_equal(ouro_mode_parse("never"), OURO_MODE_NEVER);
	assert_int_equal(ouro_mode_parse("Never"), -1);
	assert_int_equal(ouro_mode_parse(""), -1);
	assert_int_equal(ouro_mode_parse(NULL), -1);
	assert_string_equal(ouro_mode_name(OURO_MODE_ALWAYS), "always");
	assert_string_equal(ouro_mode_name(OURO_MODE_NEVER), "never");
	assert_string_equal(ouro_mode_name((enum ouro_mode)42), "auto");
}

#define SEED_ARGS \
	"{\"goal\":\"count words\",\"task_type\":\"code\"," \
	"\"constraints\":[\"stdlib only\"],\"acceptance_criteria\":[" \
	"{\"id\":\"AC1\",\"description\":\"counts words\"," \
	"\"verify_command\":\"python3 wc.py SECRET-CMD\",\"artifacts\":[" \
	"\"wc.py\"],\"assertion\":\"SECRET-ASSERT\"},{\"id\":\"AC2\"," \
	"\"description\":\"has a README\"}]," \
	"\"evaluation_principles\":[{\"name\":\"correct\",\"weight\":1}]," \
	"\"exit_conditions\":[\"all pass\"]," \
	"\"assumptions\":[\"UTF-8 input\"]}"

static struct seed *
seed_of(const char *text, const struct seed *parent)
{
	json_t *v = json_loads(text, 0, NULL);
	struct seed *s = NULL;
	char *cause = NULL;

	assert_non_null(v);
	if (seed_from_args(v, parent, 0.3, 1, &s, &cause) != 0)
		fail_msg("%s", cause);
	json_decref(v);
	return s;
}

static void
test_contract_hides_checks(void **state)
{
	struct seed *s = seed_of(SEED_ARGS, NULL), *s2;
	json_t *v;
	char *text, *t2;

	(void)state;
	text = ouro_seed_contract(s);
	assert_non_null(strstr(text, "Goal: count words"));
	assert_non_null(strstr(text, "- [AC1] counts words"));
	assert_non_null(strstr(text, "- [AC2] has a README"));
	assert_non_null(strstr(text, "expected artifact: wc.py"));
	assert_non_null(strstr(text, "- stdlib only"));
	assert_non_null(strstr(text, "- all pass"));
	assert_non_null(strstr(text, "- UTF-8 input"));
	assert_non_null(strstr(text, "generation 1"));
	assert_null(strstr(text, "SECRET-CMD"));
	assert_null(strstr(text, "SECRET-ASSERT"));
	assert_null(strstr(text, "Why this generation"));

	/* A later generation says why it differs. */
	v = json_loads(SEED_ARGS, 0, NULL);
	json_object_set_new(v, "rationale", json_string("the README lacked"));
	t2 = json_dumps(v, 0);
	s2 = seed_of(t2, s);
	free(t2);
	json_decref(v);
	free(text);
	text = ouro_seed_contract(s2);
	assert_non_null(strstr(text, "generation 2"));
	assert_non_null(strstr(text,
	    "Why this generation differs: the "
	    "README lacked"));
	assert_null(strstr(text, "SECRET-CMD"));
	free(text);
	seed_free(s2);
	seed_free(s);
}

struct exec_log {
	int calls;
	const char *contract;
	const char *phase;
	int published;
};

static void
fake_execute(void *arg, const char *contract, const char *phase,
    struct ouro_exec *out)
{
	struct exec_log *log = arg;

	log->calls++;
	log->contract = contract;
	log->phase = phase;
	out->answer = xstrdup("Paris.");
	out->done = 1;
}

static void
fake_publish(void *arg, const char *seed_id, int generation, const char *phase)
{
	struct exec_log *log = arg;

	assert_null(seed_id);
	assert_int_equal(generation, 0);
	assert_string_equal(phase, "execute");
	log->published++;
}

static void
test_quick_answer(void **state)
{
	struct exec_log log = { 0 };
	struct ouro_ctx c;

	(void)state;
	memset(&c, 0, sizeof c);
	c.mode = OURO_MODE_NEVER;
	c.prompt = "capital of France?";
	c.execute = fake_execute;
	c.publish = fake_publish;
	c.arg = &log;
	assert_int_equal(ouro_run(&c), 0);
	assert_int_equal(log.calls, 1);
	assert_null(log.contract);
	assert_string_equal(log.phase, "chat");
	assert_int_equal(log.published, 1);
	assert_int_equal(c.protocol, 0);
	assert_string_equal(c.phase_reached, "Execute");
	assert_string_equal(c.seed_id, "");
	assert_int_equal(c.evaluation_passed, -1);
	assert_int_equal(c.generations, 0);
	assert_string_equal(c.last.answer, "Paris.");
	ouro_ctx_free(&c);
	assert_null(c.last.answer);
}

/* ---- the cycle, against a script of forced tool calls ---- */

#define SCRIPT_MAX 16

struct script {
	const char *answers[SCRIPT_MAX]; /* tool_use content; NULL: budget */
	int n, calls;
	char phases[SCRIPT_MAX][16];
	int executions;
	char published[32][16];
	int npublished;
	int contract_ok; /* every execution had a contract, no verify text */
	int flip;        /* executions write flip.txt every other time */
	/* The interview: on, the user's answers (ask[round - 1]: one line
	 * per question, "" the default, "go"), the requests' text, and the
	 * seed the run stored. */
	int interview;
	const char *ask[4][4];
	int rounds;
	char texts[SCRIPT_MAX][1024];
	struct seed *seed;
};

static char tdir[64];

static int
script_call(void *arg, struct llm_request *req, struct llm_response *out,
    struct llm_error *err)
{
	struct script *s = arg;
	int i = s->calls++;

	assert_true(i < s->n);
	snprintf(s->phases[i], sizeof s->phases[i], "%s", req->phase);
	snprintf(s->texts[i], sizeof s->texts[i], "%s",
	    json_string_value(
		json_object_get(json_array_get(req->messages, 0), "content")));
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	if (s->answers[i] == NULL) {
		err->cls = LLM_ERR_BUDGET;
		snprintf(err->message, sizeof err->message,
		    "budget: this run's token budget (100) would be exceeded");
		return -1;
	}
	out->content = json_loads(s->answers[i], 0, NULL);
	assert_non_null(out->content);
	out->usage.input_tokens = 100;
	out->usage.output_tokens = 7;
	return 0;
}

static void
script_execute(void *arg, const char *contract, const char *phase,
    struct ouro_exec *out)
{
	struct script *s = arg;

	char path[128];

	s->executions++;
	assert_string_equal(phase, "execute");
	snprintf(path, sizeof path, "%s/flip.txt", tdir);
	if (s->flip && s->executions % 2 == 0)
		assert_int_equal(file_write_atomic(path, "x", 1, 0600, NULL),
		    0);
	else
		unlink(path);
	if (contract == NULL || strstr(contract, "Acceptance criteria") == NULL)
		s->contract_ok = 0;
	out->answer = xstrdup("did it");
	out->done = 1;
}

static void
script_publish(void *arg, const char *seed_id, int generation,
    const char *phase)
{
	struct script *s = arg;

	(void)seed_id;
	(void)generation;
	assert_true(s->npublished < 32);
	snprintf(s->published[s->npublished++], 16, "%s", phase);
}

#define TOOL(name, args) \
	"[{\"type\":\"tool_use\",\"id\":\"tu1\",\"name\":\"" name \
	"\",\"input\":" args "}]"
#define SEED_NOCHECK \
	"{\"goal\":\"tidy the notes\",\"task_type\":\"docs\"," \
	"\"constraints\":[],\"acceptance_criteria\":[{\"id\":\"c1\"," \
	"\"description\":\"the notes are tidy\"}]," \
	"\"evaluation_principles\":[{\"name\":\"tidy\",\"weight\":1}]," \
	"\"exit_conditions\":[],\"assumptions\":[]"
#define WRITE TOOL("write_seed", SEED_NOCHECK "}")
#define EVOLVE \
	TOOL("evolve_seed", SEED_NOCHECK ",\"rationale\":\"try harder\"}")
#define JUDGE(score) \
	TOOL("judge", \
	    "{\"score\":" score ",\"goal_alignment\":0.5,\"drift\":0," \
	    "\"uncertainty\":0,\"reward_hacking_risk\":0,\"gaps\":[]}")

/* The user of the interview, from s->ask. */
static int
script_ask(void *arg, const json_t *questions, int round, json_t **answers)
{
	struct script *s = arg;
	const char *line;
	size_t i;
	int go = 0;

	assert_int_equal(round, ++s->rounds);
	assert_true(round <= 4);
	*answers = json_array();
	for (i = 0; i < json_array_size(questions); i++) {
		line = i < 4 ? s->ask[round - 1][i] : NULL;
		if (go || line == NULL || strcmp(line, "go") == 0)
			go = 1;
		json_array_append_new(*answers,
		    go || *line == '\0' ? json_null() : json_string(line));
	}
	return go;
}

/* Run the protocol (always; the interview with s->interview) against s;
 * c is filled. */
static int
cycle(struct script *s, int max_generations, struct ouro_ctx *c)
{
	struct hands_policy pol;
	sqlite3 *db = NULL;
	char dbpath[128], *cause = NULL;
	int rc;

	assert_int_equal(tmpdir_make(tdir, sizeof tdir, "ouro"), 0);
	snprintf(dbpath, sizeof dbpath, "%s/oxios.db", tdir);
	if (db_open(dbpath, &db, &cause) != 0)
		fail_msg("%s", cause);
	memset(c, 0, sizeof *c);
	c->db = db;
	c->workspace = tdir;
	memset(&pol, 0, sizeof pol);
	pol.workspace = tdir;
	c->policy = &pol;
	c->prompt = "tidy my notes";
	c->mode = OURO_MODE_ALWAYS;
	c->max_generations = max_generations;
	c->ambiguity_threshold = 0.2;
	c->execute = script_execute;
	c->publish = script_publish;
	c->arg = s;
	c->call = script_call;
	c->call_arg = s;
	if (s->interview) {
		c->interview = 1;
		c->ask_user = script_ask;
		c->ask_arg = s;
	}
	s->contract_ok = 1;
	rc = ouro_run(c);
	if (s->interview && c->seed_id[0] != '\0' &&
	    seed_store_load(db, c->seed_id, &s->seed, &cause) != 0)
		fail_msg("%s", cause);
	db_close(db);
	tmpdir_remove(tdir);
	return rc;
}

#define SEED_FLIP \
	"{\"goal\":\"tidy the notes\",\"task_type\":\"docs\"," \
	"\"constraints\":[],\"acceptance_criteria\":[{\"id\":\"c1\"," \
	"\"description\":\"flip.txt is there\",\"artifacts\":[" \
	"\"flip.txt\"]},{\"id\":\"c2\",\"description\":\"never.txt is " \
	"there\",\"artifacts\":[\"never.txt\"]}]," \
	"\"evaluation_principles\":[{\"name\":\"tidy\",\"weight\":1}]," \
	"\"exit_conditions\":[],\"assumptions\":[]"
#define FLIP_EVOLVE TOOL("evolve_seed", SEED_FLIP ",\"rationale\":\"again\"}")

static void
test_cycle_oscillation(void **state)
{
	/* c1's artifact is there every other generation: fail, pass, fail;
	 * c2's never.  The judges pass it all: the mechanical stage rules. */
	struct script s = { .answers = { TOOL("write_seed", SEED_FLIP "}"),
				JUDGE("0.9"), FLIP_EVOLVE, JUDGE("0.9"),
				JUDGE("0.9"), JUDGE("0.9"), FLIP_EVOLVE,
				JUDGE("0.9"), JUDGE("0.9"), JUDGE("0.9") },
		.n = 10,
		.flip = 1 };
	static const char *const want[] = { "seed", "evaluate", "evolve",
		"evaluate", "evaluate", "evaluate", "evolve", "evaluate",
		"evaluate", "evaluate" };
	struct ouro_ctx c;
	int i;

	(void)state;
	assert_int_equal(cycle(&s, 5, &c), 0);
	assert_int_equal(s.calls, 10);
	for (i = 0; i < 10; i++)
		assert_string_equal(s.phases[i], want[i]);
	assert_int_equal(c.stop, OURO_STOP_OSCILLATION);
	assert_non_null(strstr(c.stop_detail, "criterion c1"));
	assert_int_equal(c.generations, 3);
	assert_int_equal(c.evaluation_passed, 0);
	assert_string_equal(c.phase_reached, "Evaluate");
	assert_int_equal(s.executions, 3);
	assert_true(s.contract_ok);
	/* interview, seed, then execute/evaluate(/evolve) per generation */
	assert_int_equal(s.npublished, 2 + 3 + 3 + 2);
	assert_string_equal(s.published[0], "interview");
	assert_string_equal(s.published[1], "seed");
	assert_string_equal(s.published[2], "execute");
	ouro_ctx_free(&c);
}

static void
test_cycle_stagnation(void **state)
{
	/* Three generations, each failing with the same score. */
	struct script s = { .answers = { WRITE, JUDGE("0.5"), EVOLVE,
				JUDGE("0.5"), JUDGE("0.5"), JUDGE("0.5"),
				EVOLVE, JUDGE("0.5"), JUDGE("0.5"),
				JUDGE("0.5") },
		.n = 10 };
	struct ouro_ctx c;

	(void)state;
	assert_int_equal(cycle(&s, 10, &c), 0);
	assert_int_equal(c.stop, OURO_STOP_STAGNATION);
	assert_int_equal(c.generations, 3);
	assert_int_equal(c.evaluation_passed, 0);
	ouro_ctx_free(&c);
}

static void
test_cycle_max_generations_and_pass(void **state)
{
	struct script s = { .answers = { WRITE, JUDGE("0.5") }, .n = 2 };
	struct script p = { .answers = { WRITE, JUDGE("0.95") }, .n = 2 };
	struct ouro_ctx c;

	(void)state;
	assert_int_equal(cycle(&s, 1, &c), 0);
	assert_int_equal(c.stop, OURO_STOP_MAX_GENERATIONS);
	assert_non_null(strstr(c.stop_detail, "max_generations (1)"));
	assert_int_equal(c.evaluation_passed, 0);
	ouro_ctx_free(&c);
	assert_int_equal(cycle(&p, 1, &c), 0);
	assert_int_equal(c.stop, OURO_STOP_PASSED);
	assert_int_equal(c.evaluation_passed, 1);
	/* The forced calls' usage: write_seed and one judge. */
	assert_int_equal(c.usage.input_tokens, 200);
	assert_int_equal(c.usage.output_tokens, 14);
	assert_int_equal(c.generations, 1);
	assert_string_equal(c.last.answer, "did it");
	ouro_ctx_free(&c);
}

static void
test_cycle_budget_and_error(void **state)
{
	/* A budget refuses the evolve call: stop "budget", -1. */
	struct script b = { .answers = { WRITE, JUDGE("0.5"), NULL }, .n = 3 };
	/* write_seed broken twice: stop "error" naming the tool. */
	struct script e = { .answers = { TOOL("write_seed", "{}"),
				TOOL("write_seed", "{}") },
		.n = 2 };
	struct ouro_ctx c;

	(void)state;
	assert_int_equal(cycle(&b, 3, &c), -1);
	assert_int_equal(c.stop, OURO_STOP_BUDGET);
	assert_non_null(strstr(c.stop_detail, "evolve_seed: "));
	assert_string_equal(c.phase_reached, "Evolve");
	assert_int_equal(c.evaluation_passed, 0);
	ouro_ctx_free(&c);
	assert_int_equal(cycle(&e, 3, &c), -1);
	assert_int_equal(c.stop, OURO_STOP_ERROR);
	assert_non_null(strstr(c.stop_detail, "write_seed: "));
	assert_non_null(strstr(c.stop_detail, "after 2 tries"));
	assert_string_equal(c.phase_reached, "Seed");
	assert_string_equal(c.seed_id, "");
	assert_int_equal(c.evaluation_passed, -1);
	assert_int_equal(e.executions, 0);
	ouro_ctx_free(&c);
}

/* score_clarity with goal clarity g (others 1: ambiguity 0.4·(1 − g)) */
#define CLARITY(g, qs) \
	TOOL("score_clarity", \
	    "{\"goal\":" g ",\"constraints\":1,\"success_criteria\":1," \
	    "\"questions\":[" qs "]}")
#define Q2 \
	"{\"question\":\"Which notes?\",\"default\":\"all of them\"}," \
	"{\"question\":\"Which format?\",\"default\":\"markdown\"}"
#define Q1 "{\"question\":\"Sorted how?\",\"default\":\"by date\"}"

static int
has_assumption(const struct seed *sd, const char *a)
{
	size_t i;

	for (i = 0; i < sd->nassumptions; i++)
		if (strcmp(sd->assumptions[i], a) == 0)
			return 1;
	return 0;
}

static void
test_interview_go(void **state)
{
	/* Round 1: one answer, one default; round 2 still unclear: go. */
	struct script s = { .answers = { CLARITY("0", Q2), CLARITY("0.3", Q1),
				WRITE, JUDGE("0.95") },
		.n = 4,
		.interview = 1,
		.ask = { { "the work notes", "" }, { "go" } } };
	struct ouro_ctx c;

	(void)state;
	assert_int_equal(cycle(&s, 1, &c), 0);
	assert_int_equal(s.rounds, 2);
	assert_string_equal(s.phases[0], "interview");
	assert_string_equal(s.phases[1], "interview");
	assert_string_equal(s.phases[2], "seed");
	assert_null(strstr(s.texts[0], "the work notes"));
	assert_non_null(strstr(s.texts[1], "A: the work notes"));
	assert_non_null(strstr(s.texts[1], "A: markdown (the proposed"));
	assert_non_null(strstr(s.texts[2], "Sorted how?: by date"));
	assert_int_equal(c.evaluation_passed, 1);
	assert_non_null(s.seed);
	assert_true(has_assumption(s.seed,
	    "Which notes?: the work notes (from the user)"));
	assert_true(has_assumption(s.seed, "Which format?: markdown"));
	assert_true(has_assumption(s.seed, "Sorted how?: by date"));
	assert_int_equal(s.seed->degraded, 1); /* 0.28 > 0.2 after go */
	seed_free(s.seed);
	ouro_ctx_free(&c);
}

static void
test_interview_clear(void **state)
{
	/* Every default accepted; the second score is clear: no degraded
	 * seed, no third round. */
	struct script s = { .answers = { CLARITY("0", Q2), CLARITY("1", ""),
				WRITE, JUDGE("0.95") },
		.n = 4,
		.interview = 1,
		.ask = { { "", "" } } };
	struct ouro_ctx c;

	(void)state;
	assert_int_equal(cycle(&s, 1, &c), 0);
	assert_int_equal(s.rounds, 1);
	assert_string_equal(s.phases[2], "seed");
	assert_true(has_assumption(s.seed, "Which notes?: all of them"));
	assert_true(has_assumption(s.seed, "Which format?: markdown"));
	assert_int_equal(s.seed->degraded, 0);
	seed_free(s.seed);
	ouro_ctx_free(&c);
}

static void
test_interview_max_rounds(void **state)
{
	/* The user answers every round, it stays unclear: three rounds
	 * asked, a fourth score, then the seed, degraded. */
	struct script s = { .answers = { CLARITY("0", Q1), CLARITY("0", Q1),
				CLARITY("0", Q1), CLARITY("0", Q1), WRITE,
				JUDGE("0.95") },
		.n = 6,
		.interview = 1,
		.ask = { { "a1" }, { "a2" }, { "a3" }, { "never asked" } } };
	struct ouro_ctx c;

	(void)state;
	assert_int_equal(cycle(&s, 1, &c), 0);
	assert_int_equal(s.rounds, OURO_INTERVIEW_ROUNDS);
	assert_string_equal(s.phases[3], "interview");
	assert_string_equal(s.phases[4], "seed");
	assert_non_null(strstr(s.texts[3], "A: a3"));
	assert_true(has_assumption(s.seed, "Sorted how?: a1 (from the user)"));
	assert_true(has_assumption(s.seed, "Sorted how?: a3 (from the user)"));
	assert_true(has_assumption(s.seed, "Sorted how?: by date"));
	assert_int_equal(s.seed->degraded, 1);
	seed_free(s.seed);
	ouro_ctx_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_contract_hides_checks),
		cmocka_unit_test(test_quick_answer),
		cmocka_unit_test(test_cycle_oscillation),
		cmocka_unit_test(test_cycle_stagnation),
		cmocka_unit_test(test_cycle_max_generations_and_pass),
		cmocka_unit_test(test_cycle_budget_and_error),
		cmocka_unit_test(test_interview_go),
		cmocka_unit_test(test_interview_clear),
		cmocka_unit_test(test_interview_max_rounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
