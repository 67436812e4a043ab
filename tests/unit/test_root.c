/*
 * test_root.c — the ROOT index (src/memory/root.c): every write, change
 * and delete keeps the topic map right; a rebuild equals the incremental
 * map; dream and memory_open() heal it; a lookup is keyed (no search
 * runs); summaries are one line; the table of contents keeps its budget.
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
#include "memory/root.h"
#include "store/db.h"
#include "memdb.h"

MEMDB_FIXTURE("root", "")

/* The topic `name`'s ids as JSON text ("none" if there is no topic). */
static char *
ids_of(const char *name)
{
	char *cause = NULL, *s;
	json_t *t = memory_topic(db, name, &cause);

	assert_null(cause);
	if (t == NULL)
		return strdup("none");
	assert_int_equal(json_integer_value(json_object_get(t, "count")),
	    json_array_size(json_object_get(t, "ids")));
	assert_int_equal(json_array_size(json_object_get(t, "memories")),
	    json_array_size(json_object_get(t, "ids")));
	s = json_dumps(json_object_get(t, "ids"), JSON_COMPACT);
	json_decref(t);
	return s;
}

#define assert_ids(name, want) \
	do { \
		char *got_ = ids_of(name); \
		assert_string_equal(got_, want); \
		free(got_); \
	} while (0)

/* The whole map (topics, summaries, counts, ids), as text. */
static char *
snapshot(void)
{
	char *cause = NULL, *s;
	json_t *list = memory_topics(db, NULL, 0, &cause), *t, *one;
	size_t i;

	assert_non_null(list);
	json_array_foreach(list, i, t) {
		json_object_del(t, "touched_at");
		one = memory_topic(db,
		    json_string_value(json_object_get(t, "topic")), &cause);
		assert_non_null(one);
		json_object_set(t, "ids", json_object_get(one, "ids"));
		json_decref(one);
	}
	s = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(list);
	return s;
}

/* A rebuild, in its transaction, makes the map `want` (a snapshot()). */
static void
assert_rebuild_gives(const char *want)
{
	char *cause = NULL, *got;

	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(root_rebuild(db, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	got = snapshot();
	assert_string_equal(want, got);
	free(got);
}

static void
test_write_and_delete(void **state)
{
	char *cause = NULL;
	json_t *t;
	int64_t a, b, c;

	(void)state;
	a = memdb_add(db, "Builds use meson and ninja", MEM_FACT, -1, 0.3,
	    "[\"Rust\", \" Build \"]");
	b = memdb_add(db, "We chose SQLite over Postgres", MEM_DECISION, -1,
	    0.5, NULL);
	c = memdb_add(db, "The crate is called oxide", MEM_FACT, -1, 0.6,
	    "[\"rust\"]");
	(void)b;
	/* Tags lower-cased and trimmed; most important first. */
	t = memory_topic(db, "rust", &cause);
	assert_non_null(t);
	assert_int_equal(json_integer_value(json_object_get(t, "count")), 2);
	assert_string_equal(json_string_value(json_object_get(t, "summary")),
	    "The crate is called oxide");
	assert_int_equal(json_integer_value(
			     json_array_get(json_object_get(t, "ids"), 0)),
	    c);
	json_decref(t);
	assert_ids("build", "[1]");
	/* No tags: the type is the topic. */
	assert_ids("decision", "[2]");
	assert_ids("fact", "none");
	/* An untagged summary (a day's, a week's...) is in no topic; a
	 * tagged one (a topic's root summary) is in its topic. */
	assert_int_equal(memdb_add(db, "Tuesday: builds moved to meson",
			     MEM_SUMMARY, -1, 0.5, NULL),
	    4);
	assert_ids("summary", "none");
	assert_int_equal(memdb_add(db, "Rust, all told: the crate and builds",
			     MEM_SUMMARY, -1, 0.2, "[\"rust\"]"),
	    5);
	assert_ids("rust", "[3,1,5]");
	assert_ids("summary", "none");
	assert_int_equal(memory_forget(db, 5, &cause), 1);
	assert_int_equal(memory_forget(db, 4, &cause), 1);
	/* A name is looked up as a topic is stored. */
	assert_ids("  RUST ", "[3,1]");
	/* Forgetting leaves the topics it was in. */
	assert_int_equal(memory_forget(db, c, &cause), 1);
	assert_ids("rust", "[1]");
	t = memory_topic(db, "rust", &cause);
	assert_string_equal(json_string_value(json_object_get(t, "summary")),
	    "Builds use meson and ninja");
	json_decref(t);
	assert_int_equal(memory_forget(db, a, &cause), 1);
	assert_ids("rust", "none");
	assert_ids("build", "none");
	t = memory_topics(db, NULL, 0, &cause);
	assert_int_equal(json_array_size(t), 1);
	json_decref(t);
}

static void
test_rebuild_equals_incremental(void **state)
{
	char *cause = NULL, *before, *after;
	json_t *rep;

	(void)state;
	memdb_add(db, "alpha one", MEM_FACT, -1, 0.2, "[\"alpha\"]");
	memdb_add(db, "alpha two and beta", MEM_FACT, -1, 0.4,
	    "[\"alpha\", \"beta\"]");
	memdb_add(db, "a preference for tabs", MEM_PREFERENCE, -1, 0.5, NULL);
	memdb_add(db, "beta three", MEM_KNOWLEDGE, -1, 0.1, "[\"BETA\"]");
	assert_int_equal(memory_forget(db, 1, &cause), 1);
	before = snapshot();
	assert_int_equal(sqlite3_exec(db,
			     "BEGIN; DELETE FROM memory_topics; "
			     "INSERT INTO memory_topics (topic, summary, "
			     "count, touched_ms, summary_id) VALUES ('ghost', "
			     "'x', 1, 0, 99); COMMIT;",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_rebuild_gives(before);
	/* Dream heals a broken map too. */
	assert_int_equal(sqlite3_exec(db,
			     "DELETE FROM memory_topics WHERE topic = 'beta'",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_ids("beta", "none");
	rep = memory_dream(db, NULL, "test", &cause);
	assert_non_null(rep);
	json_decref(rep);
	after = snapshot();
	assert_string_equal(before, after);
	free(after);
	free(before);
}

/*
 * Random writes — adds, forgets, changes of importance and tags (as a
 * rewrite makes them, then root_note()) — with ties of importance on
 * purpose: the counted, incremental map equals the one a rebuild makes.
 */
static void
test_random_writes_equal_a_rebuild(void **state)
{
	static const char *const tagsets[] = { NULL, "[\"a\"]", "[\"b\"]",
		"[\"a\", \"b\"]", "[\"c\", \"a\"]", "[\"d\"]" };
	unsigned seed = 7;
	int64_t ids[64], id;
	size_t n = 0, i, k;
	char text[64], sql[160], *cause = NULL, *before;

	(void)state;
	for (i = 0; i < 400; i++) {
		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % 10;
		if (n == 0 || (k < 5 && n < 64)) {
			snprintf(text, sizeof text, "memory number %zu", i);
			ids[n++] =
			    memdb_add(db, text, k % 2 ? MEM_FACT : MEM_EPISODE,
				-1, (double)((seed >> 12) % 4) / 4.0,
				tagsets[(seed >> 16) % 6]);
		} else if (k < 7) {
			k = (seed >> 12) % n;
			assert_int_equal(memory_forget(db, ids[k], &cause), 1);
			ids[k] = ids[--n];
		} else {
			id = ids[(seed >> 12) % n];
			snprintf(sql, sizeof sql,
			    "UPDATE memories SET importance = %.2f, tags = "
			    "'%s' WHERE id = %lld",
			    (double)((seed >> 20) % 4) / 4.0,
			    tagsets[1 + (seed >> 16) % 5], (long long)id);
			assert_int_equal(sqlite3_exec(db, sql, NULL, NULL,
					     NULL),
			    SQLITE_OK);
			assert_int_equal(root_note(db, id, &cause), 0);
		}
	}
	before = snapshot();
	assert_rebuild_gives(before);
	free(before);
}

static void
test_heal_on_open(void **state)
{
	(void)state;
	memdb_add(db, "gamma", MEM_FACT, -1, 0.3, "[\"gamma\"]");
	assert_int_equal(sqlite3_exec(db,
			     "DELETE FROM memory_topic_links; DELETE FROM "
			     "memory_topics",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_ids("gamma", "none");
	memdb_close(&mdb);
	assert_int_equal(memdb_open(&mdb), 0);
	db = mdb.db;
	assert_ids("gamma", "[1]");
}

static void
test_lookup_runs_no_search(void **state)
{
	struct mem_query q;
	char *cause = NULL;
	json_t *t, *stats;
	long long n;

	(void)state;
	memdb_add(db, "delta is a river mouth", MEM_FACT, -1, 0.3,
	    "[\"delta\"]");
	memdb_add(db, "dune is sand", MEM_FACT, -1, 0.3, "[\"dune\"]");
	memdb_add(db, "echo is a sound", MEM_FACT, -1, 0.3, "[\"echo\"]");
	n = memory_searches();
	t = memory_topic(db, "delta", &cause);
	assert_non_null(t);
	json_decref(t);
	t = memory_topics(db, "d", 0, &cause);
	assert_int_equal(json_array_size(t), 2);
	json_decref(t);
	t = memory_topics(db, "D", 1, &cause);
	assert_int_equal(json_array_size(t), 1);
	json_decref(t);
	assert_int_equal(memory_searches(), n);
	stats = memory_stats(db, &cause);
	assert_int_equal(json_integer_value(json_object_get(stats, "searches")),
	    n);
	assert_int_equal(json_integer_value(json_object_get(stats, "topics")),
	    3);
	json_decref(stats);
	/* A search is counted. */
	memset(&q, 0, sizeof q);
	q.text = "river";
	q.mode = MEM_KEYWORD;
	q.limit = 5;
	q.type = -1;
	t = memory_search(db, &q, &cause);
	assert_non_null(t);
	json_decref(t);
	assert_int_equal(memory_searches(), n + 1);
}

static void
test_summary_and_toc(void **state)
{
	char long_text[400], *toc, *small, *cause = NULL;
	const char *s;
	json_t *t;
	size_t i;

	(void)state;
	/* 98 bytes, then "é" (2 bytes) across the cut, then more. */
	memset(long_text, 'x', 98);
	long_text[10] = '\n';
	strcpy(long_text + 98, "\xc3\xa9");
	for (i = 100; i < 300; i++)
		long_text[i] = 'y';
	long_text[300] = '\0';
	long_text[99] = 'z'; /* make the é break: 0xc3 'z' is not UTF-8 */
	long_text[98] = 'x';
	memcpy(long_text + 99, "\xc3\xa9", 2); /* é at 99..100 */
	memdb_add(db, long_text, MEM_FACT, -1, 0.3, "[\"long\"]");
	t = memory_topic(db, "long", &cause);
	s = json_string_value(json_object_get(t, "summary"));
	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	assert_int_equal(strlen(s), 99 + 3); /* cut before the é, "..." */
	assert_string_equal(s + 99, "...");
	json_decref(t);
	for (i = 0; i < 20; i++) {
		char text[64], tags[64];

		snprintf(text, sizeof text, "memory number %zu", i);
		snprintf(tags, sizeof tags, "[\"topic%02zu\"]", i);
		memdb_add(db, text, MEM_FACT, -1, 0.3, tags);
	}
	memdb_add(db, "another on topic07", MEM_FACT, -1, 0.3, "[\"topic07\"]");
	small = memory_toc(db, 300);
	assert_true(strlen(small) <= 300);
	/* The most memories first; whole lines only. */
	assert_non_null(strstr(small, "\n- topic07 (2): another on topic07\n"));
	assert_int_equal(small[strlen(small) - 1], '\n');
	toc = memory_toc(db, 100000);
	assert_non_null(strstr(toc, "topic19"));
	assert_non_null(strstr(toc, "- long (1): "));
	assert_true(strlen(toc) > 300);
	assert_memory_equal(toc, small, strlen(small));
	free(small);
	free(toc);
	toc = memory_toc(db, 10); /* not even the heading */
	assert_string_equal(toc, "");
	free(toc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_and_delete, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_random_writes_equal_a_rebuild,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_equals_incremental,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_heal_on_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lookup_runs_no_search,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_and_toc, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
