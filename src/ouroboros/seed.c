/*
 * seed.c — the seed model: built from tool arguments or its JSON form,
 * checked for meaning, turned back into JSON.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ouroboros/seed.h"
#include "util/time.h"
#include "util/uuid.h"
#include "util/xalloc.h"

/* How seed_parse() reads: tool arguments, or the stored JSON form. */
enum seed_mode { SEED_ARGS, SEED_EVOLVE, SEED_FULL };

static int
seed_fail(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (cause != NULL)
		xvasprintf(cause, fmt, ap);
	va_end(ap);
	return -1;
}

int
seed_criterion_id_ok(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > SEED_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '.' ||
			c == '-'))
			return 0;
	}
	return 1;
}

const struct seed_criterion *
seed_criterion_find(const struct seed *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->ncriteria; i++)
		if (strcmp(s->criteria[i].id, id) == 0)
			return &s->criteria[i];
	return NULL;
}

/*
 * The string `v` (named `what`) copied into *out: a string of 1..max
 * bytes without NUL, not only blanks.  0, or -1 with *cause.
 */
static int
seed_str(const json_t *v, const char *what, size_t max, char **out,
    char **cause)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return seed_fail(cause, "%s: must be a string", what);
	s = json_string_value(v);
	n = json_string_length(v);
	if (strlen(s) != n)
		return seed_fail(cause, "%s: must not hold a NUL character",
		    what);
	if (n > max)
		return seed_fail(cause, "%s: longer than %zu bytes", what, max);
	if (strspn(s, " \t\r\n") == n)
		return seed_fail(cause, "%s: must not be empty", what);
	*out = xstrdup(s);
	return 0;
}

/* An optional string member: absent or null leaves *out NULL. */
static int
seed_opt_str(const json_t *obj, const char *key, const char *what, size_t max,
    char **out, char **cause)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	return seed_str(v, what, max, out, cause);
}

/* An array of strings (absent: empty), at most `maxn` of them. */
static int
seed_strs(const json_t *obj, const char *key, const char *prefix, size_t maxn,
    char ***out, size_t *n, char **cause)
{
	const json_t *a = json_object_get(obj, key), *v;
	char what[160];
	size_t i;

	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return seed_fail(cause, "%s%s: must be an array of strings",
		    prefix, key);
	if (json_array_size(a) > maxn)
		return seed_fail(cause, "%s%s: more than %zu entries", prefix,
		    key, maxn);
	*out = xcalloc(json_array_size(a) + 1, sizeof **out);
	json_array_foreach(a, i, v) {
		snprintf(what, sizeof what, "%s%s[%zu]", prefix, key, i);
		if (seed_str(v, what, SEED_MAX_TEXT, &(*out)[i], cause) != 0)
			return -1;
		(*n)++;
	}
	return 0;
}

/* Refuse members of `obj` that are not in `known` (NULL-ended). */
static int
seed_known(const json_t *obj, const char *const *known, const char *what,
    char **cause)
{
	const char *key;
	const json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (known[i] == NULL)
			return seed_fail(cause, "%sunknown member '%.64s'",
			    what, key);
	}
	return 0;
}

static int
seed_criteria(const json_t *obj, struct seed *s, char **cause)
{
	static const char *const known[] = { "id", "description",
		"verify_command", "artifacts", "assertion", NULL };
	const json_t *a = json_object_get(obj, "acceptance_criteria"), *c;
	char what[96];
	size_t i, j;

	if (!json_is_array(a))
		return seed_fail(cause,
		    "acceptance_criteria: must be an array of criteria");
	if (json_array_size(a) == 0)
		return seed_fail(cause,
		    "acceptance_criteria: at least one criterion is needed");
	if (json_array_size(a) > SEED_MAX_ITEMS)
		return seed_fail(cause, "acceptance_criteria: more than %d",
		    SEED_MAX_ITEMS);
	s->criteria = xcalloc(json_array_size(a), sizeof *s->criteria);
	json_array_foreach(a, i, c) {
		struct seed_criterion *k = &s->criteria[i];

		s->ncriteria++;
		snprintf(what, sizeof what, "acceptance_criteria[%zu]", i);
		if (!json_is_object(c))
			return seed_fail(cause, "%s: must be an object", what);
		snprintf(what, sizeof what, "acceptance_criteria[%zu]: ", i);
		if (seed_known(c, known, what, cause) != 0)
			return -1;
		snprintf(what, sizeof what, "acceptance_criteria[%zu].id", i);
		if (seed_str(json_object_get(c, "id"), what, SEED_MAX_NAME,
			&k->id, cause) != 0)
			return -1;
		if (!seed_criterion_id_ok(k->id))
			return seed_fail(cause,
			    "%s: '%s' is not of the form [A-Za-z0-9_.-]{1,64}",
			    what, k->id);
		for (j = 0; j < i; j++)
			if (strcmp(s->criteria[j].id, k->id) == 0)
				return seed_fail(cause,
				    "%s: '%s' is already the id of "
				    "acceptance_criteria[%zu]",
				    what, k->id, j);
		snprintf(what, sizeof what,
		    "acceptance_criteria[%zu].description", i);
		if (seed_str(json_object_get(c, "description"), what,
			SEED_MAX_TEXT, &k->description, cause) != 0)
			return -1;
		snprintf(what, sizeof what,
		    "acceptance_criteria[%zu].verify_command", i);
		if (seed_opt_str(c, "verify_command", what, SEED_MAX_TEXT,
			&k->verify_command, cause) != 0)
			return -1;
		snprintf(what, sizeof what,
		    "acceptance_criteria[%zu].assertion", i);
		if (seed_opt_str(c, "assertion", what, SEED_MAX_TEXT,
			&k->assertion, cause) != 0)
			return -1;
		snprintf(what, sizeof what, "acceptance_criteria[%zu].", i);
		if (!json_is_null(json_object_get(c, "artifacts")) &&
		    seed_strs(c, "artifacts", what, SEED_MAX_ARTIFACTS,
			&k->artifacts, &k->nartifacts, cause) != 0)
			return -1;
	}
	return 0;
}

static int
seed_principles(const json_t *obj, struct seed *s, int normalise, char **cause)
{
	static const char *const known[] = { "name", "weight", NULL };
	const json_t *a = json_object_get(obj, "evaluation_principles"), *p;
	char what[96];
	double sum = 0;
	size_t i, j;

	if (!json_is_array(a))
		return seed_fail(cause,
		    "evaluation_principles: must be an "
		    "array of {name, weight}");
	if (json_array_size(a) == 0)
		return seed_fail(cause,
		    "evaluation_principles: at least one principle is needed");
	if (json_array_size(a) > SEED_MAX_ITEMS)
		return seed_fail(cause, "evaluation_principles: more than %d",
		    SEED_MAX_ITEMS);
	s->principles = xcalloc(json_array_size(a), sizeof *s->principles);
	json_array_foreach(a, i, p) {
		struct seed_principle *k = &s->principles[i];
		const json_t *w;

		s->nprinciples++;
		snprintf(what, sizeof what, "evaluation_principles[%zu]", i);
		if (!json_is_object(p))
			return seed_fail(cause, "%s: must be an object", what);
		snprintf(what, sizeof what, "evaluation_principles[%zu]: ", i);
		if (seed_known(p, known, what, cause) != 0)
			return -1;
		snprintf(what, sizeof what, "evaluation_principles[%zu].name",
		    i);
		if (seed_str(json_object_get(p, "name"), what, SEED_MAX_NAME,
			&k->name, cause) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(s->principles[j].name, k->name) == 0)
				return seed_fail(cause,
				    "%s: '%s' is named twice", what, k->name);
		w = json_object_get(p, "weight");
		k->weight = json_number_value(w);
		if (!json_is_number(w) || !isfinite(k->weight) ||
		    k->weight < 0 || k->weight > 1e6)
			return seed_fail(cause,
			    "evaluation_principles[%zu].weight: must be a "
			    "number from 0 to 1e6",
			    i);
		sum += k->weight;
	}
	if (!(sum > 0))
		return seed_fail(cause,
		    "evaluation_principles: the weights "
		    "must sum to more than 0");
	if (normalise) {
		for (i = 0; i < s->nprinciples; i++)
			s->principles[i].weight /= sum;
	} else if (fabs(sum - 1) > 1e-6)
		return seed_fail(cause,
		    "evaluation_principles: the weights sum to %g, not 1", sum);
	return 0;
}

/* An id member that must be a canonical UUID (copied lower-case). */
static int
seed_uuid(const json_t *v, const char *what, char out[UUID_STRLEN],
    char **cause)
{
	const char *s = json_string_value(v);
	size_t i;

	if (s == NULL || !uuid_valid(s))
		return seed_fail(cause, "%s: must be a UUID", what);
	for (i = 0; i < UUID_STRLEN - 1; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	out[i] = '\0';
	return 0;
}

static int
seed_meta(const json_t *v, struct seed *s, char **cause)
{
	const json_t *g = json_object_get(v, "generation"),
		     *a = json_object_get(v, "ambiguity"),
		     *d = json_object_get(v, "degraded"),
		     *c = json_object_get(v, "created_at"),
		     *p = json_object_get(v, "parent_id");

	if (seed_uuid(json_object_get(v, "id"), "id", s->id, cause) != 0 ||
	    seed_uuid(json_object_get(v, "root_id"), "root_id", s->root_id,
		cause) != 0)
		return -1;
	if (!json_is_integer(g) || json_integer_value(g) < 1 ||
	    json_integer_value(g) > SEED_MAX_GENERATION)
		return seed_fail(cause,
		    "generation: must be a whole number "
		    "from 1 to %d",
		    SEED_MAX_GENERATION);
	s->generation = (int)json_integer_value(g);
	if (p != NULL && !json_is_null(p) &&
	    seed_uuid(p, "parent_id", s->parent_id, cause) != 0)
		return -1;
	if ((s->generation == 1) != (s->parent_id[0] == '\0'))
		return seed_fail(cause,
		    s->generation == 1 ?
			"parent_id: generation 1 has no parent" :
			"parent_id: a generation above 1 needs its parent");
	if (s->generation == 1 && strcmp(s->id, s->root_id) != 0)
		return seed_fail(cause,
		    "root_id: generation 1 is its own root");
	if (s->generation > 1 && strcmp(s->id, s->root_id) == 0)
		return seed_fail(cause,
		    "root_id: a later generation is not its own root");
	s->ambiguity = json_number_value(a);
	if (!json_is_number(a) || !(s->ambiguity >= 0 && s->ambiguity <= 1))
		return seed_fail(cause,
		    "ambiguity: must be a number from 0 to 1");
	if (!json_is_boolean(d))
		return seed_fail(cause, "degraded: must be true or false");
	s->degraded = json_is_true(d);
	if (!json_is_integer(c) || json_integer_value(c) < 0)
		return seed_fail(cause,
		    "created_at: must be a time in Unix milliseconds");
	s->created_at = json_integer_value(c);
	return 0;
}

static size_t
seed_strs_len(char **v, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += strlen(v[i]);
	return len;
}

/* Bytes of all the strings of s (NULL ones count 0). */
static size_t
seed_text_len(const struct seed *s)
{
	size_t i,
	    len = strlen(s->goal) + strlen(s->task_type) +
	    (s->rationale != NULL ? strlen(s->rationale) : 0) +
	    seed_strs_len(s->constraints, s->nconstraints) +
	    seed_strs_len(s->exit_conditions, s->nexit_conditions) +
	    seed_strs_len(s->assumptions, s->nassumptions);

	for (i = 0; i < s->ncriteria; i++) {
		const struct seed_criterion *c = &s->criteria[i];

		len += strlen(c->id) + strlen(c->description) +
		    (c->verify_command != NULL ? strlen(c->verify_command) :
						 0) +
		    (c->assertion != NULL ? strlen(c->assertion) : 0) +
		    seed_strs_len(c->artifacts, c->nartifacts);
	}
	for (i = 0; i < s->nprinciples; i++)
		len += strlen(s->principles[i].name);
	return len;
}

static int
seed_parse(const json_t *v, enum seed_mode mode, struct seed *s, char **cause)
{
	static const char *const args_known[] = { "goal", "task_type",
		"constraints", "acceptance_criteria", "evaluation_principles",
		"exit_conditions", "assumptions", NULL };
	static const char *const evolve_known[] = { "goal", "task_type",
		"constraints", "acceptance_criteria", "evaluation_principles",
		"exit_conditions", "assumptions", "rationale", NULL };
	static const char *const full_known[] = { "id", "parent_id", "root_id",
		"generation", "ambiguity", "degraded", "created_at", "goal",
		"task_type", "constraints", "acceptance_criteria",
		"evaluation_principles", "exit_conditions", "assumptions",
		"rationale", NULL };

	if (!json_is_object(v))
		return seed_fail(cause, "a seed must be an object");
	if (seed_known(v,
		mode == SEED_ARGS       ? args_known :
		    mode == SEED_EVOLVE ? evolve_known :
					  full_known,
		"", cause) != 0)
		return -1;
	if (mode == SEED_FULL && seed_meta(v, s, cause) != 0)
		return -1;
	if (seed_str(json_object_get(v, "goal"), "goal", SEED_MAX_GOAL,
		&s->goal, cause) != 0 ||
	    seed_str(json_object_get(v, "task_type"), "task_type",
		SEED_MAX_NAME, &s->task_type, cause) != 0 ||
	    seed_opt_str(v, "rationale", "rationale", SEED_MAX_TEXT,
		&s->rationale, cause) != 0 ||
	    seed_strs(v, "constraints", "", SEED_MAX_ITEMS, &s->constraints,
		&s->nconstraints, cause) != 0 ||
	    seed_criteria(v, s, cause) != 0 ||
	    seed_principles(v, s, mode != SEED_FULL, cause) != 0 ||
	    seed_strs(v, "exit_conditions", "", SEED_MAX_ITEMS,
		&s->exit_conditions, &s->nexit_conditions, cause) != 0 ||
	    seed_strs(v, "assumptions", "", SEED_MAX_ITEMS, &s->assumptions,
		&s->nassumptions, cause) != 0)
		return -1;
	if (seed_text_len(s) > SEED_MAX_TOTAL)
		return seed_fail(cause,
		    "the seed holds more than %d bytes of text in all",
		    SEED_MAX_TOTAL);
	return 0;
}

int
seed_from_args(const json_t *args, const struct seed *parent, double ambiguity,
    int degraded, struct seed **out, char **cause)
{
	struct seed *s = xcalloc(1, sizeof *s);

	*out = NULL;
	if (!(ambiguity >= 0 && ambiguity <= 1)) {
		seed_free(s);
		return seed_fail(cause, "ambiguity %g is not in 0..1",
		    ambiguity);
	}
	if (parent != NULL && parent->generation >= SEED_MAX_GENERATION) {
		seed_free(s);
		return seed_fail(cause, "seed %s is generation %d, the last",
		    parent->id, parent->generation);
	}
	if (seed_parse(args, parent != NULL ? SEED_EVOLVE : SEED_ARGS, s,
		cause) != 0) {
		seed_free(s);
		return -1;
	}
	uuid_v4(s->id);
	if (parent != NULL) {
		memcpy(s->parent_id, parent->id, UUID_STRLEN);
		memcpy(s->root_id, parent->root_id, UUID_STRLEN);
		s->generation = parent->generation + 1;
	} else {
		memcpy(s->root_id, s->id, UUID_STRLEN);
		s->generation = 1;
	}
	s->ambiguity = ambiguity;
	s->degraded = degraded != 0;
	s->created_at = time_wall_ms();
	*out = s;
	return 0;
}

int
seed_from_json(const json_t *v, struct seed **out, char **cause)
{
	struct seed *s = xcalloc(1, sizeof *s);

	*out = NULL;
	if (seed_parse(v, SEED_FULL, s, cause) != 0) {
		seed_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static json_t *
seed_json_strs(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* A string or null. */
static json_t *
seed_json_opt(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
seed_to_json(const struct seed *s)
{
	json_t *v, *crit = json_array(), *pr = json_array();
	size_t i;

	for (i = 0; i < s->ncriteria; i++) {
		const struct seed_criterion *c = &s->criteria[i];

		json_array_append_new(crit,
		    json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", c->id,
			"description", c->description, "verify_command",
			seed_json_opt(c->verify_command), "artifacts",
			seed_json_strs(c->artifacts, c->nartifacts),
			"assertion", seed_json_opt(c->assertion)));
	}
	for (i = 0; i < s->nprinciples; i++)
		json_array_append_new(pr,
		    json_pack("{s:s, s:f}", "name", s->principles[i].name,
			"weight", s->principles[i].weight));
	v = json_pack("{s:s, s:o, s:s, s:i, s:f, s:b, s:I, s:s, s:s, s:o, "
		      "s:o, s:o, s:o, s:o, s:o}",
	    "id", s->id, "parent_id",
	    s->parent_id[0] != '\0' ? json_string(s->parent_id) : json_null(),
	    "root_id", s->root_id, "generation", s->generation, "ambiguity",
	    s->ambiguity, "degraded", s->degraded, "created_at",
	    (json_int_t)s->created_at, "goal", s->goal, "task_type",
	    s->task_type, "rationale", seed_json_opt(s->rationale),
	    "constraints", seed_json_strs(s->constraints, s->nconstraints),
	    "acceptance_criteria", crit, "evaluation_principles", pr,
	    "exit_conditions",
	    seed_json_strs(s->exit_conditions, s->nexit_conditions),
	    "assumptions", seed_json_strs(s->assumptions, s->nassumptions));
	return v;
}

static void
seed_free_strs(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
seed_free(struct seed *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ncriteria; i++) {
		struct seed_criterion *c = &s->criteria[i];

		free(c->id);
		free(c->description);
		free(c->verify_command);
		seed_free_strs(c->artifacts, c->nartifacts);
		free(c->assertion);
	}
	free(s->criteria);
	for (i = 0; i < s->nprinciples; i++)
		free(s->principles[i].name);
	free(s->principles);
	seed_free_strs(s->constraints, s->nconstraints);
	seed_free_strs(s->exit_conditions, s->nexit_conditions);
	seed_free_strs(s->assumptions, s->nassumptions);
	free(s->goal);
	free(s->task_type);
	free(s->rationale);
	free(s);
}
