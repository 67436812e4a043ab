/*
 * seed.h — the seed of Ouroboros: a frozen, versioned specification of a
 * task (goal, constraints, acceptance criteria, evaluation principles,
 * exit conditions, assumptions) and its metadata (id, parent, root,
 * generation, ambiguity, degraded, created_at).
 *
 * A seed is built once, from the arguments of the `write_seed` or
 * `evolve_seed` tool (seed_from_args(): every semantic rule checked, the
 * weights normalised), or read back from its JSON form (seed_from_json(),
 * the same rules plus the metadata).  It never changes afterwards: a new
 * generation is a new seed whose parent is the old one (seed_store.h).
 * Caps: SEED_MAX_* below; every string is UTF-8 without NUL.
 */
#ifndef OXIOS_OUROBOROS_SEED_H
#define OXIOS_OUROBOROS_SEED_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "util/uuid.h"

#define SEED_MAX_GOAL 8192     /* bytes of the goal */
#define SEED_MAX_TEXT 4096     /* bytes of any other string */
#define SEED_MAX_NAME 64       /* bytes of task_type, an id, a name */
#define SEED_MAX_ITEMS 64      /* entries of any list */
#define SEED_MAX_ARTIFACTS 32  /* artifacts of one criterion */
#define SEED_MAX_GENERATION 30 /* ouroboros.max_generations' top */
/* Bytes of all its strings together: keeps its YAML file, escapes and
 * all, under SEED_YAML_MAX (seed_yaml.h). */
#define SEED_MAX_TOTAL (64 * 1024)

/* One acceptance criterion.  Optional strings are NULL when absent. */
struct seed_criterion {
	char *id; /* [A-Za-z0-9_.-]{1,64}, unique in the seed */
	char *description;
	char *verify_command; /* run in a fresh sandboxed worker, or NULL */
	char **artifacts;     /* paths expected in the workspace */
	size_t nartifacts;
	char *assertion; /* substring or /ERE/ on stdout, or NULL */
};

/* One evaluation principle; the weights of a seed sum to 1. */
struct seed_principle {
	char *name;
	double weight;
};

struct seed {
	char id[UUID_STRLEN];
	char parent_id[UUID_STRLEN]; /* "" for generation 1 */
	char root_id[UUID_STRLEN];   /* the first generation's id */
	int generation;              /* 1.. */
	double ambiguity;            /* 0..1, from the interview */
	int degraded;                /* ambiguity stayed above the threshold */
	int64_t created_at;          /* Unix ms */
	char *goal;
	char *task_type;
	char *rationale; /* why this generation (evolve_seed), or NULL */
	char **constraints;
	size_t nconstraints;
	struct seed_criterion *criteria;
	size_t ncriteria;
	struct seed_principle *principles;
	size_t nprinciples;
	char **exit_conditions;
	size_t nexit_conditions;
	char **assumptions;
	size_t nassumptions;
};

/*
 * A new seed from the arguments of `write_seed` (parent NULL: generation
 * 1, its own root) or `evolve_seed` (the next generation of `parent`;
 * "rationale" is accepted then).  A fresh id, created_at now.  The
 * arguments are checked for meaning (the JSON Schema is checked before):
 * non-empty goal and task_type, at least one criterion, unique ids of
 * the form [A-Za-z0-9_.-]{1,64}, weights >= 0 summing to more than 0
 * (normalised to sum 1), unique principle names, the caps (SEED_MAX_TOTAL
 * bytes of text in all).  Unknown
 * members are refused.  *out (caller seed_free()s), or -1 with *cause
 * (caller frees) naming the member: "acceptance_criteria[2].id: ...".
 */
int seed_from_args(const json_t *args, const struct seed *parent,
    double ambiguity, int degraded, struct seed **out, char **cause);
/*
 * A seed from its JSON form (seed_to_json()): the same checks as
 * seed_from_args(), plus the metadata (ids canonical UUIDs, generation
 * 1..30 with a parent exactly when above 1, ambiguity in 0..1; the
 * weights must already sum to 1).  *out (caller seed_free()s), or -1
 * with *cause (caller frees).
 */
int seed_from_json(const json_t *v, struct seed **out, char **cause);
/* The seed as JSON (new reference): every field, parent_id and absent
 * optional strings as null. */
json_t *seed_to_json(const struct seed *s);
void seed_free(struct seed *s);

/* Whether `id` is a valid criterion id ([A-Za-z0-9_.-]{1,64}). */
int seed_criterion_id_ok(const char *id);
/* The criterion of `s` called `id`, or NULL. */
const struct seed_criterion *seed_criterion_find(const struct seed *s,
    const char *id);

#endif
