/*
 * evolve.c — stop reasons, stagnation, oscillation, and the monotonic
 * record of one generation (evolve.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ouroboros/evolve.h"
#include "util/xalloc.h"

const char *
ouro_stop_name(enum ouro_stop s)
{
	static const char *const names[] = { "continue", "passed", "stagnation",
		"oscillation", "budget", "max_generations", "error" };

	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] :
							      "error";
}

size_t
ouro_passing(const struct ouro_generation *g)
{
	size_t i, pass = 0;

	for (i = 0; i < g->n; i++) {
		if (g->results[i].passed)
			pass++;
	}
	return pass;
}

int
ouro_stagnant(const struct ouro_generation *gens, size_t n)
{
	const struct ouro_generation *base;
	size_t i, pass;

	if (n < OURO_STAGNATION_WINDOW)
		return 0;
	base = &gens[n - OURO_STAGNATION_WINDOW];
	pass = ouro_passing(base);
	for (i = n - OURO_STAGNATION_WINDOW + 1; i < n; i++) {
		if (ouro_passing(&gens[i]) > pass)
			return 0;
		if (base->score >= 0 && gens[i].score >= 0 &&
		    gens[i].score > base->score + OURO_SCORE_EPSILON)
			return 0;
	}
	return 1;
}

/* The result of criterion `id` in g: 1 passed, 0 failed, -1 absent. */
static int
ouro_result(const struct ouro_generation *g, const char *id)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (strcmp(g->results[i].id, id) == 0)
			return g->results[i].passed != 0;
	}
	return -1;
}

/* Whether criterion `id` flipped back in gens[0..n). */
static int
ouro_flipped(const struct ouro_generation *gens, size_t n, const char *id)
{
	int seq[3], len = 0, r;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((r = ouro_result(&gens[i], id)) < 0)
			continue;
		if (len == 3) {
			seq[0] = seq[1];
			seq[1] = seq[2];
			len = 2;
		}
		seq[len++] = r;
		if (len == 3 && seq[0] == seq[2] && seq[0] != seq[1])
			return 1;
	}
	return 0;
}

const char *
ouro_oscillating(const struct ouro_generation *gens, size_t n)
{
	size_t g, i;

	for (g = 0; g < n; g++) {
		for (i = 0; i < gens[g].n; i++) {
			if (ouro_flipped(gens, n, gens[g].results[i].id))
				return gens[g].results[i].id;
		}
	}
	return NULL;
}

enum ouro_stop
ouro_evolve_decide(const struct ouro_generation *gens, size_t n,
    int max_generations, const char **criterion)
{
	const char *id;

	if (criterion != NULL)
		*criterion = NULL;
	if (n == 0)
		return OURO_CONTINUE;
	if (gens[n - 1].n > 0 && ouro_passing(&gens[n - 1]) == gens[n - 1].n)
		return OURO_STOP_PASSED;
	if ((id = ouro_oscillating(gens, n)) != NULL) {
		if (criterion != NULL)
			*criterion = id;
		return OURO_STOP_OSCILLATION;
	}
	if (ouro_stagnant(gens, n))
		return OURO_STOP_STAGNATION;
	if (max_generations > 0 && n >= (size_t)max_generations)
		return OURO_STOP_MAX_GENERATIONS;
	return OURO_CONTINUE;
}

struct ouro_record_entry {
	char *id;
	enum ouro_check state;
	enum ouro_source failed_by; /* when state is OURO_FAILED */
};

struct ouro_record {
	struct ouro_record_entry e[OURO_RECORD_MAX];
	size_t n;
};

struct ouro_record *
ouro_record_new(void)
{
	return xcalloc(1, sizeof(struct ouro_record));
}

void
ouro_record_free(struct ouro_record *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->e[i].id);
	free(r);
}

static struct ouro_record_entry *
ouro_record_find(const struct ouro_record *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->e[i].id, id) == 0)
			return (struct ouro_record_entry *)&r->e[i];
	}
	return NULL;
}

int
ouro_record_put(struct ouro_record *r, const char *id, enum ouro_source src,
    int passed)
{
	struct ouro_record_entry *e;

	if ((e = ouro_record_find(r, id)) == NULL) {
		if (r->n == OURO_RECORD_MAX)
			return -1;
		e = &r->e[r->n++];
		e->id = xstrdup(id);
		e->state = OURO_UNCHECKED;
	}
	if (e->state == OURO_FAILED)
		return OURO_FAILED; /* a later pass never overwrites it */
	if (!passed) {
		e->state = OURO_FAILED;
		e->failed_by = src;
	} else
		e->state = OURO_PASSED;
	return e->state;
}

enum ouro_check
ouro_record_get(const struct ouro_record *r, const char *id)
{
	const struct ouro_record_entry *e = ouro_record_find(r, id);

	return e != NULL ? e->state : OURO_UNCHECKED;
}

int
ouro_record_failed_by(const struct ouro_record *r, const char *id)
{
	const struct ouro_record_entry *e = ouro_record_find(r, id);

	return e != NULL && e->state == OURO_FAILED ? (int)e->failed_by : -1;
}
