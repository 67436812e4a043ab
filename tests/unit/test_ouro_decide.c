/*
 * test_ouro_decide.c — the pure decisions of Ouroboros: ambiguity
 * arithmetic and the interview threshold; one judge's verdict, its veto,
 * the consensus trigger and the majority (ties fail); stagnation,
 * oscillation and the stop reasons; the monotonic record of one
 * generation's verification.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ouroboros/evolve.h"
#include "ouroboros/interview.h"
#include "ouroboros/judge.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

struct ambiguity_case {
	struct ouro_clarity c;
	double want;
};

static const struct ambiguity_case ambiguity_cases[] = {
	/* Without context: 0.40 / 0.30 / 0.30. */
	{ { 1, 1, 1, 0, 0 }, 0 },
	{ { 0, 0, 0, 0, 0 }, 1 },
	{ { 1, 0, 0, 0, 0 }, 0.60 },
	{ { 0, 1, 0, 0, 0 }, 0.70 },
	{ { 0, 0, 1, 0, 0 }, 0.70 },
	{ { 0.9, 0.8, 0.7, 0, 0 }, 1 - (0.36 + 0.24 + 0.21) },
	{ { 0.9, 0.8, 0.7, 1, 0 }, 1 - (0.36 + 0.24 + 0.21) }, /* unread */
	/* With context: 0.35 / 0.25 / 0.25 / 0.15. */
	{ { 1, 1, 1, 1, 1 }, 0 },
	{ { 1, 1, 1, 0, 1 }, 0.15 },
	{ { 0, 0, 0, 1, 1 }, 0.85 },
	{ { 0.9, 0.8, 0.7, 0.6, 1 }, 1 - (0.315 + 0.2 + 0.175 + 0.09) },
	/* Clamped: above 1, below 0, NaN (unknown). */
	{ { 2, 1, 1, 0, 0 }, 0 },
	{ { -1, 1, 1, 0, 0 }, 0.40 },
	{ { NAN, 1, 1, 0, 0 }, 0.40 },
	{ { 1, 1, 1, INFINITY, 1 }, 0 },
	{ { -INFINITY, -5, NAN, -1, 1 }, 1 },
};

static void
test_ambiguity(void **state)
{
	const struct ambiguity_case *k;
	double a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ambiguity_cases / sizeof ambiguity_cases[0];
	     i++) {
		k = &ambiguity_cases[i];
		a = ouro_ambiguity(&k->c);
		if (!NEAR(a, k->want))
			fail_msg("case %zu: %.17g, want %.17g", i, a, k->want);
		assert_true(a >= 0 && a <= 1);
	}
	/* The threshold: strictly above asks. */
	assert_true(ouro_needs_interview(0.21, OURO_AMBIGUITY_THRESHOLD));
	assert_false(ouro_needs_interview(0.2, OURO_AMBIGUITY_THRESHOLD));
	assert_false(ouro_needs_interview(0, OURO_AMBIGUITY_THRESHOLD));
	assert_true(ouro_needs_interview(0.5, 0.4));
	assert_false(ouro_needs_interview(1, 1));
}

static void
test_clarity_from_json(void **state)
{
	struct ouro_clarity c;
	json_t *args;

	(void)state;
	args = json_loads("{\"goal\":1,\"constraints\":0.5,"
			  "\"success_criteria\":0,\"questions\":[]}",
	    0, NULL);
	assert_int_equal(ouro_clarity_from_json(args, &c), 0);
	assert_false(c.has_context);
	assert_true(NEAR(ouro_ambiguity(&c), 0.45));
	json_object_set_new(args, "context", json_real(0.5));
	assert_int_equal(ouro_clarity_from_json(args, &c), 0);
	assert_true(c.has_context);
	assert_true(NEAR(ouro_ambiguity(&c), 1 - (0.35 + 0.125 + 0.075)));
	json_object_del(args, "goal");
	assert_int_equal(ouro_clarity_from_json(args, &c), -1);
	json_decref(args);
}

/* A round's questions as they go to a user, and the answers back. */
static void
test_questions_and_answers(void **state)
{
	json_t *qs = json_pack("[{s:s, s:s}, {s:s, s:s}]", "question",
	    "Which greeting?", "default", "hello", "question", "Which file?",
	    "default", "hello.txt");
	json_t *bad, *a;
	char *cause = NULL;

	(void)state;
	assert_int_equal(ouro_questions_check(qs, &cause), 0);
	bad = json_array();
	assert_int_equal(ouro_questions_check(bad, &cause), -1);
	assert_non_null(strstr(cause, "1 to 8"));
	free(cause);
	cause = NULL;
	json_array_append_new(bad, json_pack("{s:s}", "question", "q"));
	assert_int_equal(ouro_questions_check(bad, &cause), -1);
	assert_non_null(strstr(cause, "question 1"));
	free(cause);
	cause = NULL;
	json_decref(bad);

	/* NULL: every default accepted */
	assert_int_equal(ouro_answers_check(NULL, 2, &cause), 0);
	a = json_pack("[s, n]", "howdy");
	assert_int_equal(ouro_answers_check(a, 2, &cause), 0);
	assert_int_equal(ouro_answers_check(a, 3, &cause), -1);
	assert_string_equal(cause, "2 answers for 3 questions");
	free(cause);
	cause = NULL;
	json_array_set_new(a, 1, json_integer(1));
	assert_int_equal(ouro_answers_check(a, 2, &cause), -1);
	assert_non_null(strstr(cause, "answer 2 must be null"));
	free(cause);
	cause = NULL;
	json_array_set_new(a, 1, json_string(""));
	assert_int_equal(ouro_answers_check(a, 2, &cause), -1);
	free(cause);
	cause = NULL;
	json_decref(a);
	a = json_string("yes");
	assert_int_equal(ouro_answers_check(a, 1, &cause), -1);
	assert_non_null(strstr(cause, "an array"));
	free(cause);
	json_decref(a);
	json_decref(qs);
}

static void
test_judge_verdict(void **state)
{
	struct ouro_judgement j = { 0.8, 1, 0, 0, 0.69 };

	(void)state;
	assert_int_equal(ouro_judge_verdict(&j), OURO_PASS);
	j.score = 0.79;
	assert_int_equal(ouro_judge_verdict(&j), OURO_FAIL);
	j.score = 1;
	j.reward_hacking_risk = 0.7;
	assert_int_equal(ouro_judge_verdict(&j), OURO_VETOED);
	j.score = 0.1;
	assert_int_equal(ouro_judge_verdict(&j), OURO_VETOED);
	j.reward_hacking_risk = 0;
	j.score = NAN;
	assert_int_equal(ouro_judge_verdict(&j), OURO_FAIL);
	j.score = 1;
	j.reward_hacking_risk = NAN;
	assert_int_equal(ouro_judge_verdict(&j), OURO_VETOED);
	/* A veto names itself. */
	assert_non_null(
	    strstr(ouro_verdict_name(OURO_VETOED), "reward_hacking_risk"));
	assert_string_equal(ouro_verdict_name(OURO_PASS), "pass");
	assert_string_equal(ouro_verdict_name(OURO_FAIL), "fail");
}

static void
test_consensus_trigger(void **state)
{
	struct ouro_judgement j = { 0.9, 1, 0.3, 0.3, 0 };

	(void)state;
	assert_false(ouro_consensus_needed(&j, 0));
	assert_true(ouro_consensus_needed(&j, 1));
	j.drift = 0.31;
	assert_true(ouro_consensus_needed(&j, 0));
	j.drift = 0;
	j.uncertainty = 0.3000001;
	assert_true(ouro_consensus_needed(&j, 0));
	j.uncertainty = NAN;
	assert_true(ouro_consensus_needed(&j, 0));
}

static void
test_majority(void **state)
{
	enum ouro_verdict three[] = { OURO_PASS, OURO_FAIL, OURO_PASS };
	enum ouro_verdict veto[] = { OURO_PASS, OURO_VETOED, OURO_FAIL };
	enum ouro_verdict tie[] = { OURO_PASS, OURO_FAIL };
	enum ouro_verdict tie4[] = { OURO_PASS, OURO_PASS, OURO_VETOED,
		OURO_FAIL };
	enum ouro_verdict one[] = { OURO_PASS };

	(void)state;
	assert_true(ouro_majority(three, 3));
	assert_false(ouro_majority(veto, 3));
	assert_false(ouro_majority(tie, 2));
	assert_false(ouro_majority(tie4, 4));
	assert_true(ouro_majority(one, 1));
	assert_false(ouro_majority(one, 0));
}

static void
test_judgement_from_json(void **state)
{
	struct ouro_judgement j;
	json_t *args;

	(void)state;
	args = json_loads("{\"score\":0.9,\"goal_alignment\":0.8,\"drift\":"
			  "0.1,\"uncertainty\":0.2,\"reward_hacking_risk\":"
			  "0.75,\"gaps\":[]}",
	    0, NULL);
	assert_int_equal(ouro_judgement_from_json(args, &j), 0);
	assert_true(NEAR(j.score, 0.9) && NEAR(j.goal_alignment, 0.8) &&
	    NEAR(j.drift, 0.1) && NEAR(j.uncertainty, 0.2) &&
	    NEAR(j.reward_hacking_risk, 0.75));
	assert_int_equal(ouro_judge_verdict(&j), OURO_VETOED);
	json_object_set_new(args, "drift", json_string("low"));
	assert_int_equal(ouro_judgement_from_json(args, &j), -1);
	json_decref(args);
}

/* ---- generations ---- */

/* Generations of criteria a, b, c given as strings of results ("PF-":
 * a passed, b failed, c absent), with scores. */
struct gens {
	struct ouro_crit_result r[8][3];
	struct ouro_generation g[8];
	size_t n;
};

static void
gens_make(struct gens *s, const char *const *codes, const double *scores,
    size_t n)
{
	static const char *const ids[] = { "a", "b", "c" };
	size_t i, k;

	memset(s, 0, sizeof *s);
	for (i = 0; i < n; i++) {
		s->g[i].results = s->r[i];
		s->g[i].score = scores != NULL ? scores[i] : -1;
		for (k = 0; k < 3 && codes[i][k] != '\0'; k++) {
			if (codes[i][k] == '-')
				continue;
			s->r[i][s->g[i].n].id = ids[k];
			s->r[i][s->g[i].n].passed = codes[i][k] == 'P';
			s->g[i].n++;
		}
	}
	s->n = n;
}

struct decide_case {
	const char *codes[6];
	double scores[6]; /* all 0: no scores (-1) */
	size_t n;
	int max;
	enum ouro_stop want;
	const char *criterion;
};

static const struct decide_case decide_cases[] = {
	/* Passed: every criterion of the last generation. */
	{ { "PPP" }, { 0 }, 1, 3, OURO_STOP_PASSED, NULL },
	{ { "FFF", "PPP" }, { 0 }, 2, 3, OURO_STOP_PASSED, NULL },
	{ { "FF-", "FP-", "PP-" }, { 0 }, 3, 3, OURO_STOP_PASSED, NULL },
	/* ... even at the last allowed generation. */
	{ { "FFF", "FFF", "PPP" }, { 0 }, 3, 3, OURO_STOP_PASSED, NULL },
	/* Progress: continue. */
	{ { "FFF" }, { 0 }, 1, 3, OURO_CONTINUE, NULL },
	{ { "FFF", "PFF" }, { 0 }, 2, 3, OURO_CONTINUE, NULL },
	{ { "FFF", "PFF", "PPF" }, { 0 }, 3, 5, OURO_CONTINUE, NULL },
	/* Max generations with progress. */
	{ { "FFF", "PFF", "PPF" }, { 0 }, 3, 3, OURO_STOP_MAX_GENERATIONS,
	    NULL },
	{ { "FFF" }, { 0 }, 1, 1, OURO_STOP_MAX_GENERATIONS, NULL },
	/* Stagnation: three generations, the last two no better than the
	 * first of them. */
	{ { "PFF", "PFF", "PFF" }, { 0 }, 3, 5, OURO_STOP_STAGNATION, NULL },
	{ { "PFF", "PFF", "FFF" }, { 0 }, 3, 5, OURO_STOP_STAGNATION, NULL },
	{ { "FFF", "PFF", "PFF", "PFF" }, { 0 }, 4, 9, OURO_STOP_STAGNATION,
	    NULL },
	/* ... stagnation wins over max_generations (its reason says more). */
	{ { "PFF", "PFF", "PFF" }, { 0 }, 3, 3, OURO_STOP_STAGNATION, NULL },
	/* ... a score that rises by more than the epsilon is progress. */
	{ { "PFF", "PFF", "PFF" }, { 0.5, 0.5, 0.6 }, 3, 5, OURO_CONTINUE,
	    NULL },
	{ { "PFF", "PFF", "PFF" }, { 0.5, 0.505, 0.509 }, 3, 5,
	    OURO_STOP_STAGNATION, NULL },
	{ { "PFF", "PFF", "PFF" }, { 0.5, 0.4, 0.45 }, 3, 5,
	    OURO_STOP_STAGNATION, NULL },
	/* ... two generations are not enough to call it. */
	{ { "PFF", "PFF" }, { 0 }, 2, 5, OURO_CONTINUE, NULL },
	/* Oscillation: pass -> fail -> pass, fail -> pass -> fail. */
	{ { "PFF", "FPF", "PPF" }, { 0 }, 3, 5, OURO_STOP_OSCILLATION, "a" },
	{ { "FFF", "FPF", "PFF" }, { 0 }, 3, 5, OURO_STOP_OSCILLATION, "b" },
	/* ... counted over the generations that have the criterion. */
	{ { "PF-", "FFF", "PF-", "PFF" }, { 0 }, 4, 9, OURO_STOP_OSCILLATION,
	    "a" },
	{ { "FFP", "PF-", "FFF" }, { 0 }, 3, 9, OURO_STOP_OSCILLATION, "a" },
	{ { "FF-", "FFP", "PFF", "PFP" }, { 0 }, 4, 9, OURO_STOP_OSCILLATION,
	    "c" },
	/* ... pass, pass, fail is a regression, not a flip back. */
	{ { "PFF", "PPF", "FPP" }, { 0 }, 3, 9, OURO_CONTINUE, NULL },
};

static void
test_evolve_decide(void **state)
{
	const struct decide_case *k;
	struct gens s;
	const char *crit;
	enum ouro_stop got;
	double scores[6];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof decide_cases / sizeof decide_cases[0]; i++) {
		k = &decide_cases[i];
		for (j = 0; j < 6; j++)
			scores[j] = k->scores[0] == 0 && k->scores[1] == 0 ?
			    -1 :
			    k->scores[j];
		gens_make(&s, k->codes, scores, k->n);
		crit = "unset";
		got = ouro_evolve_decide(s.g, s.n, k->max, &crit);
		if (got != k->want)
			fail_msg("case %zu: %s, want %s", i,
			    ouro_stop_name(got), ouro_stop_name(k->want));
		if (k->criterion == NULL)
			assert_null(crit);
		else
			assert_string_equal(crit, k->criterion);
	}
	assert_int_equal(ouro_evolve_decide(NULL, 0, 3, NULL), OURO_CONTINUE);
}

static void
test_stop_names(void **state)
{
	(void)state;
	assert_string_equal(ouro_stop_name(OURO_STOP_PASSED), "passed");
	assert_string_equal(ouro_stop_name(OURO_STOP_STAGNATION), "stagnation");
	assert_string_equal(ouro_stop_name(OURO_STOP_OSCILLATION),
	    "oscillation");
	assert_string_equal(ouro_stop_name(OURO_STOP_BUDGET), "budget");
	assert_string_equal(ouro_stop_name(OURO_STOP_MAX_GENERATIONS),
	    "max_generations");
	assert_string_equal(ouro_stop_name(OURO_STOP_ERROR), "error");
	assert_string_equal(ouro_stop_name(OURO_CONTINUE), "continue");
	assert_string_equal(ouro_stop_name((enum ouro_stop)99), "error");
}

/* Within one generation a later pass never overwrites an earlier
 * failure; a mechanical failure fails whatever a judge says. */
static void
test_record_monotonic(void **state)
{
	struct ouro_record *r = ouro_record_new();
	char id[16];
	int i;

	(void)state;
	assert_int_equal(ouro_record_get(r, "AC1"), OURO_UNCHECKED);
	assert_int_equal(ouro_record_failed_by(r, "AC1"), -1);
	/* Mechanical failure, then a judge's pass: still failed. */
	assert_int_equal(ouro_record_put(r, "AC1", OURO_MECHANICAL, 0),
	    OURO_FAILED);
	assert_int_equal(ouro_record_put(r, "AC1", OURO_SEMANTIC, 1),
	    OURO_FAILED);
	assert_int_equal(ouro_record_put(r, "AC1", OURO_CONSENSUS, 1),
	    OURO_FAILED);
	assert_int_equal(ouro_record_put(r, "AC1", OURO_MECHANICAL, 1),
	    OURO_FAILED);
	assert_int_equal(ouro_record_get(r, "AC1"), OURO_FAILED);
	assert_int_equal(ouro_record_failed_by(r, "AC1"), OURO_MECHANICAL);
	/* A judge's pass first, then a mechanical failure: failed. */
	assert_int_equal(ouro_record_put(r, "AC2", OURO_SEMANTIC, 1),
	    OURO_PASSED);
	assert_int_equal(ouro_record_put(r, "AC2", OURO_MECHANICAL, 0),
	    OURO_FAILED);
	assert_int_equal(ouro_record_failed_by(r, "AC2"), OURO_MECHANICAL);
	/* A mechanical pass, then a judge's failure: failed by the judge;
	 * the first failure is the one named. */
	assert_int_equal(ouro_record_put(r, "AC3", OURO_MECHANICAL, 1),
	    OURO_PASSED);
	assert_int_equal(ouro_record_put(r, "AC3", OURO_SEMANTIC, 0),
	    OURO_FAILED);
	assert_int_equal(ouro_record_put(r, "AC3", OURO_CONSENSUS, 0),
	    OURO_FAILED);
	assert_int_equal(ouro_record_failed_by(r, "AC3"), OURO_SEMANTIC);
	/* Passes stay passes. */
	assert_int_equal(ouro_record_put(r, "AC4", OURO_MECHANICAL, 1),
	    OURO_PASSED);
	assert_int_equal(ouro_record_put(r, "AC4", OURO_SEMANTIC, 1),
	    OURO_PASSED);
	assert_int_equal(ouro_record_get(r, "AC4"), OURO_PASSED);
	assert_int_equal(ouro_record_failed_by(r, "AC4"), -1);
	assert_int_equal(ouro_record_get(r, "AC5"), OURO_UNCHECKED);
	/* Capped. */
	for (i = 4; i < OURO_RECORD_MAX; i++) {
		snprintf(id, sizeof id, "X%d", i);
		assert_int_equal(ouro_record_put(r, id, OURO_SEMANTIC, 1),
		    OURO_PASSED);
	}
	assert_int_equal(ouro_record_put(r, "one-more", OURO_SEMANTIC, 1), -1);
	assert_int_equal(ouro_record_put(r, "AC1", OURO_SEMANTIC, 1),
	    OURO_FAILED);
	ouro_record_free(r);
	ouro_record_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ambiguity),
		cmocka_unit_test(test_clarity_from_json),
		cmocka_unit_test(test_questions_and_answers),
		cmocka_unit_test(test_judge_verdict),
		cmocka_unit_test(test_consensus_trigger),
		cmocka_unit_test(test_majority),
		cmocka_unit_test(test_judgement_from_json),
		cmocka_unit_test(test_evolve_decide),
		cmocka_unit_test(test_stop_names),
		cmocka_unit_test(test_record_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
