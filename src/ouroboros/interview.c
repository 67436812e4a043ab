/*
 * interview.c — ambiguity arithmetic (interview.h).
 */
#include "ouroboros/interview.h"

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
