/*
 * interview.h — the arithmetic of the interview (docs/ouroboros.md,
 * "Decisions"): how ambiguous a request still is, from the clarities the
 * model scored (the score_clarity tool), and whether to ask the user.
 * Pure: no I/O.
 */
#ifndef OXIOS_OUROBOROS_INTERVIEW_H
#define OXIOS_OUROBOROS_INTERVIEW_H

#include <jansson.h>

/* Weights without context (sum 1). */
#define OURO_W_GOAL 0.40
#define OURO_W_CONSTRAINTS 0.30
#define OURO_W_SUCCESS 0.30
/* Weights with context: work in an existing workspace (sum 1). */
#define OURO_WC_GOAL 0.35
#define OURO_WC_CONSTRAINTS 0.25
#define OURO_WC_SUCCESS 0.25
#define OURO_WC_CONTEXT 0.15
/* Above this ambiguity the user is asked (the default threshold). */
#define OURO_AMBIGUITY_THRESHOLD 0.2

/* A round asks at most this many questions (score_clarity's maxItems),
 * each and its default at most OURO_QUESTION_MAX bytes; an answer from
 * the user is at most OURO_ANSWER_MAX bytes. */
#define OURO_QUESTIONS_MAX 8
#define OURO_QUESTION_MAX 500
#define OURO_ANSWER_MAX 4000

/* How clear a request is, each 0 (unknown) .. 1 (unambiguous). */
struct ouro_clarity {
	double goal;
	double constraints;
	double success_criteria;
	double context;  /* read only when has_context */
	int has_context; /* work in an existing workspace or system */
};

/*
 * 1 − Σ weight·clarity, with the weights above (those with context when
 * c->has_context).  Each clarity is clamped to 0..1 first (NaN counts as
 * 0: unknown), and so is the result.
 */
double ouro_ambiguity(const struct ouro_clarity *c);

/* Whether to interview: ambiguity strictly above threshold. */
int ouro_needs_interview(double ambiguity, double threshold);

/*
 * The clarities of score_clarity's (validated) arguments: goal,
 * constraints, success_criteria, and context when present.  0, or -1 if
 * one of the three is missing or not a number.
 */
int ouro_clarity_from_json(const json_t *args, struct ouro_clarity *c);

/*
 * Check one round's questions as they travel to a user (score_clarity's
 * "questions": 1 to OURO_QUESTIONS_MAX objects {question, default}, both
 * nonempty strings of at most OURO_QUESTION_MAX bytes, no other key).
 * 0, or -1 with *cause (caller frees).
 */
int ouro_questions_check(const json_t *questions, char **cause);
/*
 * Check a user's answers to a round of `n` questions (outside input: the
 * control socket, the WebSocket): NULL (every default accepted) or an
 * array of exactly n items, each null (the default) or a string of 1 to
 * OURO_ANSWER_MAX bytes without NUL.  0, or -1 with *cause.
 */
int ouro_answers_check(const json_t *answers, size_t n, char **cause);

#endif
