/*
 * test_recall.c — recall at topic changes (src/memory/recall.c): the
 * shift decision as a table of cases (recent topics, new topics,
 * threshold); a message's nearest topics, by search and by terms; a
 * session's turns recall at its start and at a shift to a topic not yet
 * recalled, never on topic, and the section keeps its budget.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "memory/memory.h"
#include "memory/recall.h"
#include "store/db.h"
#include "memdb.h"

/* ---- the decision (pure) ---- */

#define T(...) ((const char *const[]){ __VA_ARGS__, NULL })

static size_t
count(const char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

static const struct shift_case {
	const char *const *recent, *const *next;
	double shift;     /* expected */
	double threshold; /* and the decision at it */
	int shifted;
} shift_cases[] = {
	/* Nothing new to compare: no shift, whatever came before. */
	{ NULL, NULL, 0.0, 0.0, 0 },
	{ T("garden"), NULL, 0.0, 0.0, 0 },
	/* Nothing recent: all of it is new. */
	{ NULL, T("garden"), 1.0, 0.5, 1 },
	/* The same topics, in any order: on topic. */
	{ T("garden"), T("garden"), 0.0, 0.0, 0 },
	{ T("car", "garden"), T("garden", "car"), 0.0, 0.0, 0 },
	/* A new message about fewer of the recent topics: on topic. */
	{ T("car", "garden"), T("garden"), 0.0, 0.0, 0 },
	/* Another topic altogether. */
	{ T("garden"), T("car"), 1.0, 0.5, 1 },
	{ T("garden"), T("car", "tools"), 1.0, 0.99, 1 },
	/* 1 never shifts. */
	{ T("garden"), T("car"), 1.0, 1.0, 0 },
	/* Half new: above 0.4, not above 0.5. */
	{ T("garden"), T("garden", "tools"), 0.5, 0.4, 1 },
	{ T("garden"), T("garden", "tools"), 0.5, 0.5, 0 },
	/* One of three new: only a low threshold. */
	{ T("a", "b", "c"), T("a", "b", "d"), 1.0 / 3, 0.3, 1 },
	{ T("a", "b", "c"), T("a", "b", "d"), 1.0 / 3, 0.34, 0 },
	/* 0: any new topic at all. */
	{ T("a", "b"), T("a", "b", "c"), 1.0 / 3, 0.0, 1 },
	/* Names compare exactly. */
	{ T("garden"), T("gardens"), 1.0, 0.5, 1 },
};

static void
test_shift_table(void **state)
{
	const struct shift_case *c;
	double s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof shift_cases / sizeof shift_cases[0]; i++) {
		c = &shift_cases[i];
		s = recall_shift(c->recent, count(c->recent), c->next,
		    count(c->next));
		if (s < c->shift - 1e-9 || s > c->shift + 1e-9)
			fail_msg("case %zu: shift %f, want %f", i, s, c->shift);
		if (recall_shifted(s, c->threshold) != c->shifted)
			fail_msg("case %zu: shifted at %f is %d", i,
			    c->threshold, !c->shifted);
	}
}

/* ---- with a database ---- */

MEMDB_FIXTURE("recall", "[memory]\nhot_tokens = 0\n")

#define TOMATO "The tomatoes grow in the north bed"
#define SHED "The shed key hangs behind the blue door"
#define OIL "The car needs an oil change every 10000 km"

static int64_t id_tomato, id_shed, id_oil;

static void
seed(void)
{
	id_tomato = memdb_add(db, TOMATO, -1, -1, -1, "[\"garden\"]");
	id_shed = memdb_add(db, SHED, -1, -1, -1, "[\"garden\", \"Tools\"]");
	id_oil = memdb_add(db, OIL, -1, -1, -1, "[\"car\"]");
}

/* The topics of `message` as compact JSON text (caller frees). */
static char *
topics_of(const char *message)
{
	char *cause = NULL, *s;
	json_t *t = recall_topics(db, message, &cause);

	if (t == NULL)
		fail_msg("recall_topics: %s", cause);
	s = json_dumps(t, JSON_COMPACT);
	json_decref(t);
	return s;
}

static void
expect_topics(const char *message, const char *want)
{
	char *got = topics_of(message);

	if (strcmp(got, want) != 0)
		fail_msg("topics of \"%s\": %s, want %s", message, got, want);
	free(got);
}

static void
test_nearest_topics(void **state)
{
	(void)state;
	seed();
	/* By search: the hit's topics (tags lower-cased). */
	expect_topics("how are the tomatoes", "[\"garden\"]");
	expect_topics("where is the oil", "[\"car\"]");
	/* Two topics of one hit vote alike: sorted by name. */
	expect_topics("the blue door", "[\"garden\",\"tools\"]");
	/* By a term that names a topic (a vote of 1), added to the hit's
	 * (the tags are searchable too): tools first. */
	expect_topics("something about tools", "[\"tools\",\"garden\"]");
	/* A topic named by a term and no hit: the memory's type is its
	 * topic when it has no tags. */
	memdb_add(db, "Nothing here is tagged at all", -1, -1, -1, "[]");
	expect_topics("any fact", "[\"fact\"]");
	/* Nothing matches: no topic. */
	expect_topics("quantum chromodynamics", "[]");
	/* A message longer than a query may be (a pasted file) is searched
	 * by its beginning. */
	{
		size_t n = MEMORY_MAX_CONTENT + 4096;
		char *big = malloc(n + 1);

		assert_non_null(big);
		memset(big, 'z', n);
		memcpy(big, "how are the tomatoes ", 21);
		big[n] = '\0';
		expect_topics(big, "[\"garden\"]");
		free(big);
	}
}

/* One turn of session `sid`: the event's why (or "-"), its topics and
 * ids as JSON text in *detail (caller frees), the section in *text
 * (caller frees). */
static const char *
turn(const char *sid, const char *message, double threshold, long tokens,
    char **detail, char **text)
{
	struct recall_turn t = { sid, message, threshold, tokens };
	struct recall_result r;
	static char why[32];
	char *cause = NULL;
	json_t *d;

	if (recall_turn(db, &t, &r, &cause) != 0)
		fail_msg("recall_turn: %s", cause);
	*text = r.text;
	*detail = NULL;
	if (r.event == NULL) {
		snprintf(why, sizeof why, "-");
		return why;
	}
	assert_string_equal(json_string_value(
				json_object_get(r.event, "session_id")),
	    sid);
	snprintf(why, sizeof why, "%s",
	    json_string_value(json_object_get(r.event, "why")));
	d = json_pack("{s:O, s:O}", "topics",
	    json_object_get(r.event, "topics"), "ids",
	    json_object_get(r.event, "ids"));
	*detail = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	json_decref(r.event);
	return why;
}

static void
session(const char *sid)
{
	char sql[256];

	snprintf(sql, sizeof sql,
	    "INSERT INTO sessions (id, created_at, updated_at) "
	    "VALUES ('%s', 'now', 'now')",
	    sid);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/*
 * One turn of session `sid` that answers `reason` ("-": no recall) and,
 * when `topic` is not NULL, recalls that topic with memory `id`.  The
 * section (caller frees).
 */
static char *
turn_is(const char *sid, const char *message, double threshold, long tokens,
    const char *reason, const char *topic, int64_t id)
{
	char *detail, *text, want[128];

	assert_string_equal(turn(sid, message, threshold, tokens, &detail,
				&text),
	    reason);
	if (topic != NULL) {
		snprintf(want, sizeof want,
		    "{\"topics\":[\"%s\"],\"ids\":[%lld]}", topic,
		    (long long)id);
		assert_string_equal(detail, want);
	}
	free(detail);
	return text;
}

static void
test_session_turns(void **state)
{
	char *text;

	(void)state;
	seed();
	session("s1");

	/* The start recalls what the message brings to mind. */
	text = turn_is("s1", "how are the tomatoes", 0.5, 1000, "session_start",
	    "garden", id_tomato);
	assert_non_null(strstr(text, TOMATO));
	assert_null(strstr(text, OIL));
	free(text);

	/* On topic: nothing new, the same section. */
	text = turn_is("s1", "the tomatoes again", 0.5, 1000, "-", NULL, 0);
	assert_non_null(strstr(text, TOMATO));
	free(text);

	/* Half on topic (garden and tools), not above 0.5: nothing. */
	text = turn_is("s1", "the blue door", 0.5, 1000, "-", NULL, 0);
	assert_null(strstr(text, SHED));
	free(text);

	/* To the car: recalled, the garden kept, in the order recalled. */
	text = turn_is("s1", "when is the oil change", 0.5, 1000,
	    "topic_change", "car", id_oil);
	assert_non_null(strstr(text, OIL));
	assert_true(strstr(text, TOMATO) < strstr(text, OIL));
	free(text);

	/* Back to the garden: recalled once already. */
	free(turn_is("s1", "how are the tomatoes", 0.5, 1000, "-", NULL, 0));

	/* A threshold of 0: tools, new, is recalled (a shift from garden
	 * to garden and tools), with its memory. */
	text = turn_is("s1", "the blue door", 0.0, 1000, "topic_change",
	    "tools", id_shed);
	assert_non_null(strstr(text, SHED));
	free(text);

	/* The budget: room for the newest only (the shed, 10 tokens). */
	text = turn_is("s1", "the blue door", 0.0, 10, "-", NULL, 0);
	assert_non_null(strstr(text, SHED));
	assert_null(strstr(text, OIL));
	assert_null(strstr(text, TOMATO));
	free(text);
	/* None at all: no section. */
	text = turn_is("s1", "the blue door", 0.0, 0, "-", NULL, 0);
	assert_string_equal(text, "");
	free(text);

	/* Another session starts afresh. */
	session("s2");
	text = turn_is("s2", "where is the oil", 0.5, 1000, "session_start",
	    NULL, 0);
	assert_null(strstr(text, TOMATO));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shift_table),
		cmocka_unit_test_setup_teardown(test_nearest_topics, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session_turns, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
