/*
 * test_seed.c — the seed of Ouroboros: validation of the write_seed and
 * evolve_seed arguments, the JSON form, the store (frozen rows, lineage,
 * results), the YAML writer and parser (round trips with awkward
 * strings, block scalars, hand-written files, errors with positions).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tmpdb.h"

#include "ouroboros/seed.h"
#include "ouroboros/contract.h"
#include "ouroboros/seed_store.h"
#include "ouroboros/seed_yaml.h"
#include "store/db.h"
#include "util/file.h"
#include "util/xalloc.h"

TMPDB_FIXTURE("seed")

static const char good_args[] =
    "{\"goal\": \"Write hello.txt saying hello\", \"task_type\": \"code\","
    " \"constraints\": [\"no network\"],"
    " \"acceptance_criteria\": ["
    "  {\"id\": \"c1\", \"description\": \"the file exists\","
    "   \"verify_command\": \"test -f hello.txt\","
    "   \"artifacts\": [\"hello.txt\"], \"assertion\": \"/^ok$/\"},"
    "  {\"id\": \"c.2-x_y\", \"description\": \"it says hello\"}],"
    " \"evaluation_principles\": [{\"name\": \"correct\", \"weight\": 3},"
    "  {\"name\": \"simple\", \"weight\": 1}],"
    " \"exit_conditions\": [\"all criteria pass\"],"
    " \"assumptions\": [\"English\"]}";

static json_t *
parse(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

	assert_non_null(v);
	return v;
}

/* seed_from_args() of `text` (parent NULL) must fail naming `what`. */
static void
refuse(const char *text, const char *what)
{
	json_t *v = parse(text);
	struct seed *s = (struct seed *)1;
	char *cause = NULL;

	assert_int_equal(seed_from_args(v, NULL, 0.1, 0, &s, &cause), -1);
	assert_null(s);
	assert_non_null(cause);
	if (strstr(cause, what) == NULL)
		fail_msg("cause '%s' does not say '%s'", cause, what);
	free(cause);
	json_decref(v);
}

/* good_args with member `key` replaced by `value` (JSON text). */
static char *
with(const char *key, const char *value)
{
	json_t *v = parse(good_args), *x = parse(value);
	char *text;

	json_object_set_new(v, key, x);
	text = json_dumps(v, 0);
	json_decref(v);
	return text;
}

static void
refuse_with(const char *key, const char *value, const char *what)
{
	char *text = with(key, value);

	refuse(text, what);
	free(text);
}

static struct seed *
make(const struct seed *parent, const char *args)
{
	json_t *v = parse(args);
	struct seed *s = NULL;
	char *cause = NULL;

	if (seed_from_args(v, parent, 0.15, 1, &s, &cause) != 0)
		fail_msg("seed_from_args: %s", cause);
	json_decref(v);
	return s;
}

/* The schema the model answers against (contract.c) and the seed's own
 * checks agree: what the schema accepts, the seed takes, both for a first
 * seed and for the next generation. */
static void
test_schema_and_model_agree(void **state)
{
	json_t *v = parse(good_args), *next;
	struct seed *s = NULL, *s2 = NULL;
	char *cause = NULL;

	(void)state;
	/* The schema takes weights in 0..1 (the seed normalises any). */
	json_object_set_new(json_array_get(json_object_get(v,
					       "evaluation_principles"),
				0),
	    "weight", json_real(0.75));
	json_object_set_new(json_array_get(json_object_get(v,
					       "evaluation_principles"),
				1),
	    "weight", json_real(0.25));
	if (ouro_contract_validate("write_seed", v, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(seed_from_args(v, NULL, 0.1, 0, &s, &cause), 0);
	next = json_deep_copy(v);
	json_object_set_new(next, "rationale", json_string("c1 failed"));
	assert_int_equal(ouro_contract_validate("evolve_seed", next, &cause),
	    0);
	assert_int_equal(seed_from_args(next, s, 0.1, 0, &s2, &cause), 0);
	assert_int_equal(s2->generation, 2);
	seed_free(s2);
	s2 = NULL;
	/* And what the seed refuses for meaning, the schema may pass: a
	 * duplicate id is a seed rule. */
	json_object_set_new(json_array_get(json_object_get(v,
					       "acceptance_criteria"),
				1),
	    "id", json_string("c1"));
	assert_int_equal(ouro_contract_validate("write_seed", v, &cause), 0);
	assert_int_equal(seed_from_args(v, NULL, 0.1, 0, &s2, &cause), -1);
	assert_non_null(strstr(cause, "already"));
	free(cause);
	seed_free(s);
	json_decref(next);
	json_decref(v);
}

static void
test_from_args(void **state)
{
	struct seed *s, *c;
	char *text;

	(void)state;
	s = make(NULL, good_args);
	assert_true(uuid_valid(s->id));
	assert_string_equal(s->root_id, s->id);
	assert_string_equal(s->parent_id, "");
	assert_int_equal(s->generation, 1);
	assert_true(s->degraded);
	assert_true(s->created_at > 0);
	assert_int_equal(s->ncriteria, 2);
	assert_string_equal(s->criteria[0].verify_command, "test -f hello.txt");
	assert_int_equal(s->criteria[0].nartifacts, 1);
	assert_null(s->criteria[1].verify_command);
	assert_null(s->criteria[1].assertion);
	/* Weights normalised: 3 and 1 are 0.75 and 0.25. */
	assert_true(fabs(s->principles[0].weight - 0.75) < 1e-12);
	assert_true(fabs(s->principles[1].weight - 0.25) < 1e-12);
	assert_non_null(seed_criterion_find(s, "c.2-x_y"));
	assert_null(seed_criterion_find(s, "c3"));

	/* evolve_seed: a rationale, the next generation of the same root. */
	text = with("rationale", "\"c1 failed: the file was missing\"");
	c = make(s, text);
	free(text);
	assert_int_equal(c->generation, 2);
	assert_string_equal(c->parent_id, s->id);
	assert_string_equal(c->root_id, s->id);
	assert_string_not_equal(c->id, s->id);
	assert_string_equal(c->rationale, "c1 failed: the file was missing");
	seed_free(c);
	seed_free(s);
}

static void
test_refusals(void **state)
{
	char big[SEED_MAX_GOAL + 16], *text;

	(void)state;
	refuse("[]", "must be an object");
	refuse_with("goal", "\"   \"", "goal: must not be empty");
	refuse_with("goal", "7", "goal: must be a string");
	refuse_with("goal", "\"a\\u0000b\"", "goal: must not hold a NUL");
	memset(big, 'g', sizeof big - 1);
	big[0] = '"';
	big[sizeof big - 2] = '"';
	big[sizeof big - 1] = '\0';
	refuse_with("goal", big, "goal: longer than 8192 bytes");
	refuse_with("task_type", "\"\"", "task_type: must not be empty");
	refuse_with("acceptance_criteria", "[]", "at least one criterion");
	refuse_with("acceptance_criteria", "{}", "must be an array");
	refuse_with("acceptance_criteria",
	    "[{\"id\": \"a b\", \"description\": \"x\"}]",
	    "acceptance_criteria[0].id: 'a b' is not of the form");
	refuse_with("acceptance_criteria",
	    "[{\"id\": \"a\", \"description\": \"x\"}, {\"id\": \"a\", "
	    "\"description\": \"y\"}]",
	    "acceptance_criteria[1].id: 'a' is already the id of "
	    "acceptance_criteria[0]");
	refuse_with("acceptance_criteria",
	    "[{\"id\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaa\", \"description\": \"x\"}]",
	    "acceptance_criteria[0].id: longer than 64 bytes");
	refuse_with("acceptance_criteria",
	    "[{\"id\": \"a\", \"description\": \"x\", \"cmd\": \"y\"}]",
	    "acceptance_criteria[0]: unknown member 'cmd'");
	refuse_with("acceptance_criteria",
	    "[{\"id\": \"a\", \"description\": \"x\", \"artifacts\": [1]}]",
	    "acceptance_criteria[0].artifacts[0]: must be a string");
	refuse_with("acceptance_criteria",
	    "[{\"id\": \"a\", \"description\": \"x\", \"assertion\": \"\"}]",
	    "acceptance_criteria[0].assertion: must not be empty");
	refuse_with("acceptance_criteria", "[{\"id\": \"a\"}]",
	    "acceptance_criteria[0].description: must be a string");
	refuse_with("evaluation_principles", "[]", "at least one principle");
	refuse_with("evaluation_principles",
	    "[{\"name\": \"a\", \"weight\": 0}, {\"name\": \"b\", "
	    "\"weight\": 0}]",
	    "the weights must sum to more than 0");
	refuse_with("evaluation_principles",
	    "[{\"name\": \"a\", \"weight\": -1}]",
	    "evaluation_principles[0].weight: must be a number");
	refuse_with("evaluation_principles",
	    "[{\"name\": \"a\", \"weight\": \"1\"}]",
	    "evaluation_principles[0].weight: must be a number");
	refuse_with("evaluation_principles",
	    "[{\"name\": \"a\", \"weight\": 1}, {\"name\": \"a\", "
	    "\"weight\": 1}]",
	    "evaluation_principles[1].name: 'a' is named twice");
	refuse_with("constraints", "[\"\"]",
	    "constraints[0]: must not be "
	    "empty");
	refuse_with("assumptions", "\"x\"", "assumptions: must be an array");
	/* A rationale is for evolve_seed only. */
	refuse_with("rationale", "\"why\"", "unknown member 'rationale'");
	refuse_with("color", "\"red\"", "unknown member 'color'");
	/* The cap on all the text: 64 assumptions of 1100 bytes. */
	{
		json_t *a = json_array();
		char *t = xmalloc(1101);
		int i;

		memset(t, 'a', 1100);
		t[1100] = '\0';
		for (i = 0; i < SEED_MAX_ITEMS; i++)
			json_array_append_new(a, json_string(t));
		free(t);
		text = json_dumps(a, 0);
		json_decref(a);
		refuse_with("assumptions", text,
		    "more than 65536 bytes of text in all");
		free(text);
	}
	/* Caps on counts. */
	{
		json_t *a = json_array();
		int i;

		for (i = 0; i <= SEED_MAX_ITEMS; i++)
			json_array_append_new(a, json_string("x"));
		text = json_dumps(a, 0);
		json_decref(a);
		refuse_with("exit_conditions", text,
		    "exit_conditions: more than 64 entries");
		free(text);
	}
}

static void
test_json_form(void **state)
{
	struct seed *s, *back;
	json_t *v, *w;
	char *cause = NULL;

	(void)state;
	s = make(NULL, good_args);
	v = seed_to_json(s);
	assert_true(json_is_null(json_object_get(v, "parent_id")));
	assert_true(json_is_null(json_object_get(v, "rationale")));
	assert_int_equal(seed_from_json(v, &back, &cause), 0);
	w = seed_to_json(back);
	assert_true(json_equal(v, w));
	json_decref(w);
	seed_free(back);

	/* The metadata is checked. */
	json_object_set_new(v, "generation", json_integer(2));
	assert_int_equal(seed_from_json(v, &back, &cause), -1);
	assert_non_null(strstr(cause, "needs its parent"));
	free(cause);
	cause = NULL;
	json_object_set_new(v, "generation", json_integer(1));
	json_object_set_new(v, "ambiguity", json_real(1.5));
	assert_int_equal(seed_from_json(v, &back, &cause), -1);
	assert_non_null(strstr(cause, "ambiguity"));
	free(cause);
	cause = NULL;
	json_object_set_new(v, "ambiguity", json_real(0.5));
	json_object_set_new(v, "id", json_string("not-a-uuid"));
	assert_int_equal(seed_from_json(v, &back, &cause), -1);
	assert_non_null(strstr(cause, "id: must be a UUID"));
	free(cause);
	json_decref(v);
	seed_free(s);
}

static void
result(const char *seed_id, const char *crit, enum seed_stage st, int passed,
    double score)
{
	struct seed_result r = { .seed_id = seed_id,
		.criterion_id = crit,
		.stage = st,
		.passed = passed,
		.score = score };
	char *cause = NULL;

	if (seed_store_result(db, &r, &cause) != 0)
		fail_msg("seed_store_result: %s", cause);
}

static void
test_store_lineage(void **state)
{
	struct seed *g1, *g2, *g3, *back = NULL;
	json_t *v, *gens, *g, *c;
	char *cause = NULL, *text;
	struct seed_result bad = { .criterion_id = "nope",
		.stage = SEED_MECHANICAL,
		.score = NAN };
	sqlite3_stmt *st;

	(void)state;
	g1 = make(NULL, good_args);
	assert_int_equal(seed_store_put(db, g1, &cause), 0);
	/* Stored once only. */
	assert_int_equal(seed_store_put(db, g1, &cause), -1);
	assert_non_null(strstr(cause, "already stored"));
	free(cause);
	cause = NULL;
	text = with("rationale", "\"retry\"");
	g2 = make(g1, text);
	g3 = make(g2, text);
	free(text);
	/* A parent must be stored first. */
	assert_int_equal(seed_store_put(db, g3, &cause), -1);
	assert_non_null(strstr(cause, "is not stored"));
	free(cause);
	cause = NULL;
	assert_int_equal(seed_store_put(db, g2, &cause), 0);

	assert_int_equal(seed_store_load(db, g2->id, &back, &cause), 0);
	assert_non_null(back);
	v = seed_to_json(back);
	{
		json_t *w = seed_to_json(g2);

		assert_true(json_equal(v, w));
		json_decref(w);
	}
	json_decref(v);
	seed_free(back);
	assert_int_equal(seed_store_load(db, "none", &back, &cause), 0);
	assert_null(back);
	assert_null(seed_store_get(db, "none", &cause));
	assert_null(cause);

	/* Storing generation 2 superseded generation 1. */
	v = seed_store_get(db, g1->id, &cause);
	assert_string_equal(json_string_value(json_object_get(v, "status")),
	    "superseded");
	json_decref(v);

	/* Frozen: the spec cannot change, the status can. */
	assert_int_equal(sqlite3_prepare_v2(db,
			     "UPDATE seeds SET spec = '{}' WHERE id = ?1", -1,
			     &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, g1->id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st) & 0xff, SQLITE_CONSTRAINT);
	sqlite3_finalize(st);
	assert_non_null(strstr(sqlite3_errmsg(db), "frozen"));
	assert_int_equal(seed_store_status(db, g2->id, "failed",
			     "max_generations: 2 of 2", &cause),
	    0);
	assert_int_equal(seed_store_status(db, "none", "failed", NULL, &cause),
	    1);
	assert_int_equal(seed_store_status(db, g2->id, "done", NULL, &cause),
	    -1);
	assert_non_null(strstr(cause, "unknown seed status"));
	free(cause);
	cause = NULL;

	/* Results: a mechanical failure stays a failure. */
	result(g1->id, "c1", SEED_MECHANICAL, 0, NAN);
	result(g1->id, "c1", SEED_SEMANTIC, 1, 0.9);
	result(g1->id, "c.2-x_y", SEED_SEMANTIC, 1, 0.85);
	result(g1->id, NULL, SEED_SEMANTIC, 1, 0.8);
	result(g2->id, "c1", SEED_MECHANICAL, 1, 1.0);
	result(g2->id, "c.2-x_y", SEED_CONSENSUS, 1, NAN);
	bad.seed_id = g1->id;
	assert_int_equal(seed_store_result(db, &bad, &cause), -1);
	assert_non_null(strstr(cause, "has no criterion 'nope'"));
	free(cause);
	cause = NULL;
	bad.seed_id = "none";
	bad.criterion_id = NULL;
	assert_int_equal(seed_store_result(db, &bad, &cause), -1);
	assert_non_null(strstr(cause, "no seed none"));
	free(cause);
	cause = NULL;
	bad.seed_id = g1->id;
	bad.score = 1.5;
	assert_int_equal(seed_store_result(db, &bad, &cause), -1);
	free(cause);
	cause = NULL;

	/* The lineage, asked through either generation. */
	v = seed_store_lineage(db, g2->id, &cause);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "root_id")),
	    g1->id);
	gens = json_object_get(v, "generations");
	assert_int_equal(json_array_size(gens), 2);
	g = json_array_get(gens, 0);
	assert_int_equal(json_integer_value(json_object_get(g, "generation")),
	    1);
	assert_true(json_is_false(json_object_get(g, "passed")));
	assert_true(
	    fabs(json_real_value(json_object_get(g, "score")) - 0.5) < 1e-9);
	c = json_array_get(json_object_get(g, "criteria"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "id")), "c1");
	assert_true(json_is_false(json_object_get(c, "passed")));
	assert_int_equal(json_array_size(json_object_get(c, "results")), 2);
	assert_int_equal(json_array_size(json_object_get(g, "verdicts")), 1);
	g = json_array_get(gens, 1);
	assert_true(json_is_true(json_object_get(g, "passed")));
	assert_true(
	    fabs(json_real_value(json_object_get(g, "score")) - 1) < 1e-9);
	assert_string_equal(json_string_value(json_object_get(g, "status")),
	    "failed");
	c = json_array_get(json_object_get(g, "criteria"), 1);
	assert_true(json_is_null(json_object_get(c, "score")));
	{
		json_t *w = seed_store_lineage(db, g1->id, &cause);

		assert_true(json_equal(v, w));
		json_decref(w);
	}
	json_decref(v);
	assert_null(seed_store_lineage(db, "none", &cause));
	assert_null(cause);

	/* The list, newest first, paged. */
	assert_int_equal(seed_store_put(db, g3, &cause), 0);
	v = seed_store_list(db, 2, 0, &cause);
	assert_int_equal(json_integer_value(json_object_get(v, "total")), 3);
	gens = json_object_get(v, "seeds");
	assert_int_equal(json_array_size(gens), 2);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(gens, 0), "id")),
	    g3->id);
	assert_true(
	    json_is_true(json_object_get(json_array_get(gens, 0), "degraded")));
	json_decref(v);
	v = seed_store_list(db, 2, 2, &cause);
	gens = json_object_get(v, "seeds");
	assert_int_equal(json_array_size(gens), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(gens, 0), "id")),
	    g1->id);
	json_decref(v);
	seed_free(g1);
	seed_free(g2);
	seed_free(g3);
}

/* JSON → YAML → JSON must be equal. */
static void
round_trip(const json_t *v)
{
	char *text = seed_yaml_emit(v), *cause = NULL;
	json_t *back = NULL;

	if (seed_yaml_parse(text, strlen(text), &back, &cause) != 0)
		fail_msg("%s\n--- in ---\n%s", cause, text);
	if (!json_equal(v, back)) {
		char *a = json_dumps(v, 0), *b = json_dumps(back, 0);

		fail_msg("round trip differs:\n%s\n%s\n--- yaml ---\n%s", a, b,
		    text);
	}
	json_decref(back);
	free(text);
}

static const char *const awkward[] = {
	"",
	" leading spaces",
	"trailing spaces  ",
	"a: b",
	"key:",
	"\"quoted\" and 'single'",
	"back\\slash",
	"line\nbreaks\n\nhere\n",
	"# not a comment",
	"a # b",
	"- dash",
	"? q",
	"tab\there",
	"\r\n",
	"ünïcödé ✓ 日本語 😀",
	"null",
	"true",
	"~",
	"12",
	"1.5e3",
	"[]",
	"{}",
	"&anchor",
	"*alias",
	"!tag",
	"|",
	">",
	"%x",
	"@x",
	"`x`",
	"---",
	"...",
	"\x01\x1f\x7f",
	"'",
	"\"",
};

static void
test_yaml_round_trip(void **state)
{
	struct seed *s, *back;
	json_t *args, *a, *v, *w, *obj;
	char *text, *cause = NULL;
	size_t i;

	(void)state;
	/* Awkward strings everywhere a seed holds text. */
	args = parse(good_args);
	a = json_array();
	for (i = 1; i < sizeof awkward / sizeof *awkward; i++)
		if (strspn(awkward[i], " \t\r\n") != strlen(awkward[i]))
			json_array_append_new(a, json_string(awkward[i]));
	json_object_set(args, "constraints", a);
	json_object_set_new(args, "assumptions", json_copy(a));
	json_object_set_new(args, "exit_conditions", json_array());
	json_object_set_new(args, "goal",
	    json_string("  Build: \"x\" # now\nthen 'y' — ✓ \\ end  "));
	json_object_set_new(json_array_get(json_object_get(args,
					       "acceptance_criteria"),
				0),
	    "verify_command",
	    json_string("grep -q 'a: b' out.txt && test \"$(cat x)\" = '#'"));
	json_decref(a);
	{
		char *t = json_dumps(args, 0);

		s = make(NULL, t);
		free(t);
	}
	json_decref(args);
	text = seed_yaml_text(s);
	if (seed_yaml_to_seed(text, strlen(text), &back, &cause) != 0)
		fail_msg("%s\n%s", cause, text);
	v = seed_to_json(s);
	w = seed_to_json(back);
	assert_true(json_equal(v, w));
	json_decref(v);
	json_decref(w);
	seed_free(back);
	free(text);

	/* The file layout. */
	{
		char seeds[128], *path = NULL, *want;

		snprintf(seeds, sizeof seeds, "%s/seeds", tdb.dir);
		assert_int_equal(seed_yaml_write(s, seeds, &path, &cause), 0);
		xasprintf(&want, "%s/%s/gen-1.yaml", seeds, s->root_id);
		assert_string_equal(path, want);
		assert_int_equal(seed_yaml_read(path, &back, &cause), 0);
		assert_string_equal(back->goal, s->goal);
		seed_free(back);
		free(want);
		free(path);
	}
	seed_free(s);

	/* The most text a seed may hold, all of it escaped: its YAML is
	 * under the file cap and reads back. */
	{
		json_t *big = parse(good_args), *lots = json_array();
		char *t = xmalloc(1001), *y;
		int k;

		memset(t, '\x01', 1000);
		t[1000] = '\0';
		for (k = 0; k < 63; k++)
			json_array_append_new(lots, json_string(t));
		free(t);
		json_object_set_new(big, "constraints", lots);
		t = json_dumps(big, 0);
		json_decref(big);
		s = make(NULL, t);
		free(t);
		y = seed_yaml_text(s);
		assert_true(strlen(y) > 6 * 63000);
		assert_true(strlen(y) <= SEED_YAML_MAX);
		assert_int_equal(seed_yaml_to_seed(y, strlen(y), &back, &cause),
		    0);
		seed_free(back);
		seed_free(s);
		free(y);
	}

	/* Any JSON shape: nesting, empty collections, numbers, keys. */
	obj = json_object();
	a = json_array();
	for (i = 0; i < sizeof awkward / sizeof *awkward; i++) {
		json_array_append_new(a, json_string(awkward[i]));
		json_object_set_new(obj, awkward[i], json_string(awkward[i]));
	}
	round_trip(a);
	round_trip(obj);
	json_decref(a);
	json_decref(obj);
	v = parse("{\"a\": [[1, [2, []]], {}, {\"b\": {\"c\": [{\"d\": null,"
		  " \"e\": [true, false]}, {}]}}], \"n\": -3, \"r\": 2.0,"
		  " \"x\": 1e300, \"y\": -0.25, \"z\": [[[]]]}");
	round_trip(v);
	json_decref(v);
}

struct yaml_case {
	const char *text;
	const char *json;  /* expected, or NULL: an error */
	const char *error; /* part of the error */
};

static const struct yaml_case yaml_cases[] = {
	/* What a person writes by hand. */
	{ "# a seed\n---\ngoal: Write a file   # the goal\nn: 3\n"
	  "list:\n- a\n- 'it''s'\n-   \"q\"\nempty:\nnested:\n  k: v\n...\n",
	    "{\"goal\": \"Write a file\", \"n\": 3, \"list\": [\"a\", \"it's\","
	    " \"q\"], \"empty\": null, \"nested\": {\"k\": \"v\"}}",
	    NULL },
	{ "a:\n  - x: 1\n    y: [ ]\n  - - p\n    - q\n", NULL,
	    "flow collections are not supported" },
	{ "a:\n  - x: 1\n    y: []\n  - - p\n    - q\n",
	    "{\"a\": [{\"x\": 1, \"y\": []}, [\"p\", \"q\"]]}", NULL },
	{ "s: |\n  line 1\n\n    indented\n  # kept\nt: x\n",
	    "{\"s\": \"line 1\\n\\n  indented\\n# kept\\n\", \"t\": \"x\"}",
	    NULL },
	{ "s: |-\n  a\n  b\n\n", "{\"s\": \"a\\nb\"}", NULL },
	{ "s: |+\n  a\n\n\nt: 1\n", "{\"s\": \"a\\n\\n\\n\", \"t\": 1}", NULL },
	{ "s: >\n  folded\n  text\n\n  para\n",
	    "{\"s\": \"folded text\\npara\\n\"}", NULL },
	{ "s: >-\n  a\n  b\n", "{\"s\": \"a b\"}", NULL },
	{ "\"quoted key\": \"\\u00e9\\U0001F600\\x41\\ud83d\\ude00\"\n",
	    "{\"quoted key\": \"\\u00e9\\ud83d\\ude00A\\ud83d\\ude00\"}",
	    NULL },
	{ "a: ~\nb: Null\nc: TRUE\nd: False\ne: -1.5\nf: +2\ng: 1e3\n"
	  "h: 0x1F\ni: .5\nj: x:y\nk: http://h/p#f\n",
	    "{\"a\": null, \"b\": null, \"c\": true, \"d\": false, \"e\": -1.5,"
	    " \"f\": 2, \"g\": 1000.0, \"h\": \"0x1F\", \"i\": 0.5, \"j\": "
	    "\"x:y\", \"k\": \"http://h/p#f\"}",
	    NULL },
	{ "\xef\xbb\xbf- a\r\n- b\r\n", "[\"a\", \"b\"]", NULL },
	/* Refused, with positions. */
	{ "", NULL, "an empty document" },
	{ "# only\n\n", NULL, "an empty document" },
	{ "just text\n", NULL, "must be a mapping or a sequence" },
	{ "a: 1\na: 2\n", NULL, "line 2, column 1: duplicate key 'a'" },
	{ "a:\n\tb: 1\n", NULL, "line 2, column 1: a tab in the indentation" },
	{ "a: &x 1\n", NULL, "line 1, column 4: anchors" },
	{ "a: *x\n", NULL, "aliases" },
	{ "a: !!str 1\n", NULL, "tags" },
	{ "a: [1, 2]\n", NULL, "line 1, column 4: flow collections" },
	{ "a: {b: 1}\n", NULL, "flow collections" },
	{ "a: \"open\n  more\"\n", NULL,
	    "line 1, column 4: a quoted string must end on its line" },
	{ "a: plain\n  continued\n", NULL,
	    "line 2, column 3: unexpected indentation" },
	{ "a: b: c\n", NULL, "line 1, column 5: a plain value must not hold" },
	{ "? complex\n: key\n", NULL, "'?' keys are not supported" },
	{ "%YAML 1.2\n---\na: 1\n", NULL, "directives" },
	{ "a: 1\n---\nb: 2\n", NULL, "line 2, column 1: several documents" },
	{ "a: 1\n- b\n", NULL,
	    "line 2, column 1: a sequence item where a key" },
	{ "- a\nb: 1\n", NULL, "line 2, column 1: unexpected text after" },
	{ "a: \"\\q\"\n", NULL, "unknown escape '\\q'" },
	{ "a: \"\\0\"\n", NULL, "a NUL character" },
	{ "a: \"\\ud800\"\n", NULL, "surrogates" },
	{ "a: \"x\" y\n", NULL, "unexpected text after the quoted string" },
	{ "a: |2\n  x\n", NULL, "indentation indicators" },
	{ "a: |\n    x\n  y\n", NULL,
	    "line 3, column 3: this line of a block scalar is indented less" },
	{ "a: - b\n", NULL, "a sequence cannot start on the line of its key" },
	{ "a: 99999999999999999999\n", NULL, "number out of range" },
	{ "a: 1e999\n", NULL, "number out of range" },
	{ "a: \xff\n", NULL, "line 1, column 4: invalid UTF-8" },
};

static void
test_yaml_cases(void **state)
{
	size_t i;
	json_t *v, *want;
	char *cause;

	(void)state;
	for (i = 0; i < sizeof yaml_cases / sizeof *yaml_cases; i++) {
		const struct yaml_case *c = &yaml_cases[i];
		int rc;

		cause = NULL;
		v = NULL;
		rc = seed_yaml_parse(c->text, strlen(c->text), &v, &cause);
		if (c->json != NULL) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, cause);
			want = parse(c->json);
			if (!json_equal(v, want)) {
				char *got = json_dumps(v, 0);

				fail_msg("case %zu: got %s", i, got);
			}
			json_decref(want);
			json_decref(v);
			continue;
		}
		if (rc == 0) {
			char *got = json_dumps(v, 0);

			fail_msg("case %zu: accepted as %s", i, got);
		}
		assert_null(v);
		if (cause == NULL || strstr(cause, c->error) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, cause,
			    c->error);
		free(cause);
	}
}

static void
test_yaml_limits(void **state)
{
	char *text, *cause = NULL;
	json_t *v;
	size_t i, n;
	struct buf_like {
		char *p;
		size_t n;
	} b = { NULL, 0 };

	(void)state;
	/* Over the size cap. */
	text = xmalloc(SEED_YAML_MAX + 2);
	memset(text, 'a', SEED_YAML_MAX + 1);
	text[SEED_YAML_MAX + 1] = '\0';
	assert_int_equal(seed_yaml_parse(text, SEED_YAML_MAX + 1, &v, &cause),
	    -1);
	assert_non_null(strstr(cause, "larger than"));
	free(cause);
	free(text);
	/* Deeper than the cap. */
	n = 0;
	b.p = xmalloc(4096);
	for (i = 0; i < SEED_YAML_DEPTH + 2; i++)
		n += (size_t)sprintf(b.p + n, "%*sk:\n", (int)i, "");
	n += (size_t)sprintf(b.p + n, "%*sx\n", (int)i, "");
	assert_int_equal(seed_yaml_parse(b.p, n, &v, &cause), -1);
	assert_non_null(strstr(cause, "nested deeper than"));
	free(cause);
	free(b.p);
	/* As deep as the cap, on one line or on many: a scalar may sit in
	 * the deepest collection. */
	b.p = xmalloc(4096);
	for (n = 0, i = 0; i < SEED_YAML_DEPTH; i++)
		n += (size_t)sprintf(b.p + n, "- ");
	n += (size_t)sprintf(b.p + n, "x\n");
	assert_int_equal(seed_yaml_parse(b.p, n, &v, &cause), 0);
	text = seed_yaml_emit(v);
	json_decref(v);
	assert_int_equal(seed_yaml_parse(text, strlen(text), &v, &cause), 0);
	json_decref(v);
	free(text);
	n = (size_t)sprintf(b.p, "- ");
	for (i = 0; i < SEED_YAML_DEPTH; i++)
		n += (size_t)sprintf(b.p + n, "- ");
	n += (size_t)sprintf(b.p + n, "x\n");
	assert_int_equal(seed_yaml_parse(b.p, n, &v, &cause), -1);
	assert_non_null(strstr(cause, "nested deeper than 32 levels"));
	free(cause);
	free(b.p);
	/* A NUL byte, with its position. */
	assert_int_equal(seed_yaml_parse("a: 1\nb: x\0y\n", 12, &v, &cause),
	    -1);
	assert_string_equal(cause, "line 2, column 5: a NUL byte");
	free(cause);
	/* A seed file that is YAML but not a seed. */
	{
		struct seed *s;

		assert_int_equal(seed_yaml_to_seed("goal: x\n", 8, &s, &cause),
		    -1);
		assert_non_null(strstr(cause, "id: must be a UUID"));
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_args),
		cmocka_unit_test(test_schema_and_model_agree),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_json_form),
		cmocka_unit_test_setup_teardown(test_store_lineage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_yaml_round_trip, setup,
		    teardown),
		cmocka_unit_test(test_yaml_cases),
		cmocka_unit_test(test_yaml_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
