/*
 * judge.h — the decisions of the semantic and consensus stages of an
 * evaluation (docs/ouroboros.md, "Decisions"): one judge's verdict, when
 * a consensus is needed, and the majority of several judges.  Pure: no
 * I/O.
 */
#ifndef OXIOS_OUROBOROS_JUDGE_H
#define OXIOS_OUROBOROS_JUDGE_H

#include <stddef.h>
#include <jansson.h>

#define OURO_PASS_SCORE 0.8      /* a judge passes at score >= this */
#define OURO_VETO_RISK 0.7       /* ... unless reward_hacking_risk >= this */
#define OURO_CONSENSUS_DRIFT 0.3 /* drift above: consensus */
#define OURO_CONSENSUS_UNCERTAINTY 0.3 /* uncertainty above: consensus */

/* What one judge said (the judge tool's numbers, each 0..1). */
struct ouro_judgement {
	double score;
	double goal_alignment;
	double drift;
	double uncertainty;
	double reward_hacking_risk;
};

enum ouro_verdict {
	OURO_FAIL,   /* score below OURO_PASS_SCORE */
	OURO_PASS,   /* score >= OURO_PASS_SCORE, risk below OURO_VETO_RISK */
	OURO_VETOED, /* reward_hacking_risk >= OURO_VETO_RISK, any score */
};

/*
 * One judge's verdict.  A number that is NaN fails the comparison it is
 * in: a NaN score fails, a NaN risk vetoes.
 */
enum ouro_verdict ouro_judge_verdict(const struct ouro_judgement *j);
/* "fail", "pass", "vetoed: reward_hacking_risk >= 0.7".  Static. */
const char *ouro_verdict_name(enum ouro_verdict v);

/*
 * Whether a consensus of several judges must decide: drift >
 * OURO_CONSENSUS_DRIFT, uncertainty > OURO_CONSENSUS_UNCERTAINTY (NaN
 * counts as above), or the seed changed since the last evaluation.
 */
int ouro_consensus_needed(const struct ouro_judgement *j, int seed_changed);

/*
 * The majority of n verdicts: passes iff more than half are OURO_PASS
 * (a veto counts as a failure).  A tie fails: passing needs a majority
 * for it, and with no verdicts nothing passes.
 */
int ouro_majority(const enum ouro_verdict *v, size_t n);

/*
 * The judgement of the judge tool's (validated) arguments.  0, or -1 if
 * one of the five numbers is missing or not a number.
 */
int ouro_judgement_from_json(const json_t *args, struct ouro_judgement *j);

#endif
