/*
 * evolve.h — the decisions between generations (docs/ouroboros.md,
 * "Decisions"): when the evolution stops and why (passed, stagnation,
 * oscillation, max_generations; budget and error are the engine's), and
 * the monotonic record of one generation's verification: a later pass
 * never overwrites an earlier failure of the same criterion.  Pure: no
 * I/O.
 */
#ifndef OXIOS_OUROBOROS_EVOLVE_H
#define OXIOS_OUROBOROS_EVOLVE_H

#include <stddef.h>

#define OURO_STAGNATION_WINDOW 3 /* generations without improvement */
#define OURO_SCORE_EPSILON 0.01  /* a score must rise more to count */
#define OURO_RECORD_MAX 64       /* criteria of one record */

enum ouro_stop {
	OURO_CONTINUE,             /* evolve: make the next generation */
	OURO_STOP_PASSED,          /* every criterion of the last one passed */
	OURO_STOP_STAGNATION,      /* OURO_STAGNATION_WINDOW without progress */
	OURO_STOP_OSCILLATION,     /* a criterion flipped back */
	OURO_STOP_BUDGET,          /* a budget refused a call (the engine) */
	OURO_STOP_MAX_GENERATIONS, /* ouroboros.max_generations reached */
	OURO_STOP_ERROR,           /* a phase failed (the engine) */
};

/* "continue", "passed", "stagnation", "oscillation", "budget",
 * "max_generations", "error".  Static. */
const char *ouro_stop_name(enum ouro_stop s);

/* One criterion's final result in one generation. */
struct ouro_crit_result {
	const char *id; /* the criterion's id: the same id across generations
			   is the same criterion */
	int passed;
};

/* One generation's results. */
struct ouro_generation {
	const struct ouro_crit_result *results; /* borrowed */
	size_t n;
	double score; /* its score: the mean of its judges' scores (0..1);
			 < 0 when no judge scored it */
};

/* How many of g's criteria passed. */
size_t ouro_passing(const struct ouro_generation *g);

/*
 * Stagnation: at least OURO_STAGNATION_WINDOW generations, and neither of
 * the last OURO_STAGNATION_WINDOW − 1 improved on the first of the
 * window: more criteria passing, or (both scored) a score higher by more
 * than OURO_SCORE_EPSILON.  gens[0] is the first generation.
 */
int ouro_stagnant(const struct ouro_generation *gens, size_t n);

/*
 * Oscillation: a criterion whose results, in the generations that have
 * it (in order), hold pass→fail→pass or fail→pass→fail in three
 * consecutive places.  The first such criterion's id (borrowed from
 * gens), or NULL.
 */
const char *ouro_oscillating(const struct ouro_generation *gens, size_t n);

/*
 * After generation n (gens[n − 1]) was evaluated: passed if it has
 * criteria and all passed; else oscillation (*criterion names the
 * criterion), else stagnation, else max_generations when n >=
 * max_generations, else continue.  *criterion (may be NULL) is NULL but
 * for oscillation.
 */
enum ouro_stop ouro_evolve_decide(const struct ouro_generation *gens, size_t n,
    int max_generations, const char **criterion);

/* Who checked a criterion. */
enum ouro_source {
	OURO_MECHANICAL, /* verify_command, artifacts, assertion */
	OURO_SEMANTIC,   /* one judge */
	OURO_CONSENSUS,  /* several judges' majority */
};

enum ouro_check { OURO_UNCHECKED, OURO_PASSED, OURO_FAILED };

/* One generation's verification, criterion by criterion. */
struct ouro_record;

/* An empty record (caller ouro_record_free()s it). */
struct ouro_record *ouro_record_new(void);
void ouro_record_free(struct ouro_record *r);
/*
 * A result for criterion `id` (copied) from `src`.  A failure always
 * sticks, and names its source; a pass counts only while nothing failed
 * it: so a mechanical failure fails the criterion whatever a judge says,
 * before or after.  The criterion's state after it, or -1 when the
 * record already holds OURO_RECORD_MAX other criteria.
 */
int ouro_record_put(struct ouro_record *r, const char *id, enum ouro_source src,
    int passed);
/* The state of `id` (OURO_UNCHECKED if never put). */
enum ouro_check ouro_record_get(const struct ouro_record *r, const char *id);
/* Who failed `id` first; -1 if it has not failed. */
int ouro_record_failed_by(const struct ouro_record *r, const char *id);

#endif
