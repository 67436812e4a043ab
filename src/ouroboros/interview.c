/*
 * interview.c — ambiguity arithmetic and the checks of a round of
 * questions and its answers (interview.h).
 */
#include <string.h>

#include "ouroboros/interview.h"
#include "util/xalloc.h"

/* x in 0..1; NaN is 0. */
static double
ouro_clamp(double x)
{
	if (!(x > 0)) /* also NaN */
		return 0;
	return x > 1 ? 1 : x;
}

double
ouro_ambiguity(const struct ouro_clarity *c)
{
	double sum;

	if (c->has_context)
		sum = OURO_WC_GOAL * ouro_clamp(c->goal) +
		    OURO_WC_CONSTRAINTS * ouro_clamp(c->constraints) +
		    OURO_WC_SUCCESS * ouro_clamp(c->success_criteria) +
		    OURO_WC_CONTEXT * ouro_clamp(c->context);
	else
		sum = OURO_W_GOAL * ouro_clamp(c->goal) +
		    OURO_W_CONSTRAINTS * ouro_clamp(c->constraints) +
		    OURO_W_SUCCESS * ouro_clamp(c->success_criteria);
	return ouro_clamp(1 - sum);
}

int
ouro_needs_interview(double ambiguity, double threshold)
{
	return ambiguity > threshold;
}

int
ouro_clarity_from_json(const json_t *args, struct ouro_clarity *c)
{
	const json_t *g = json_object_get(args, "goal"),
		     *k = json_object_get(args, "constraints"),
		     *s = json_object_get(args, "success_criteria"),
		     *x = json_object_get(args, "context");

	if (!json_is_number(g) || !json_is_number(k) || !json_is_number(s))
		return -1;
	c->goal = json_number_value(g);
	c->constraints = json_number_value(k);
	c->success_criteria = json_number_value(s);
	c->has_context = json_is_number(x);
	c->context = c->has_context ? json_number_value(x) : 0;
	return 0;
}

/* A string of 1 to max bytes without NUL. */
static int
ouro_text_ok(const json_t *v, size_t max)
{
	size_t n = json_string_length(v);

	return json_is_string(v) && n > 0 && n <= max &&
	    memchr(json_string_value(v), '\0', n) == NULL;
}

int
ouro_questions_check(const json_t *questions, char **cause)
{
	const json_t *q;
	size_t i;

	if (!json_is_array(questions) || json_array_size(questions) == 0 ||
	    json_array_size(questions) > OURO_QUESTIONS_MAX) {
		xasprintf(cause, "'questions' must be an array of 1 to %d",
		    OURO_QUESTIONS_MAX);
		return -1;
	}
	json_array_foreach(questions, i, q) {
		if (!json_is_object(q) || json_object_size(q) != 2 ||
		    !ouro_text_ok(json_object_get(q, "question"),
			OURO_QUESTION_MAX) ||
		    !ouro_text_ok(json_object_get(q, "default"),
			OURO_QUESTION_MAX)) {
			xasprintf(cause,
			    "question %zu must be {question, default}, "
			    "strings of 1 to %d bytes",
			    i + 1, OURO_QUESTION_MAX);
			return -1;
		}
	}
	return 0;
}

int
ouro_answers_check(const json_t *answers, size_t n, char **cause)
{
	const json_t *a;
	size_t i;

	if (answers == NULL)
		return 0;
	if (!json_is_array(answers)) {
		xasprintf(cause, "'answers' must be an array");
		return -1;
	}
	if (json_array_size(answers) != n) {
		xasprintf(cause, "%zu answer%s for %zu question%s",
		    json_array_size(answers),
		    json_array_size(answers) == 1 ? "" : "s", n,
		    n == 1 ? "" : "s");
		return -1;
	}
	json_array_foreach(answers, i, a) {
		if (!json_is_null(a) && !ouro_text_ok(a, OURO_ANSWER_MAX)) {
			xasprintf(cause,
			    "answer %zu must be null (the default) or a "
			    "string of 1 to %d bytes",
			    i + 1, OURO_ANSWER_MAX);
			return -1;
		}
	}
	return 0;
}
