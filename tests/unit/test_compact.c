/*
 * test_compact.c — the compaction tree (memory/compact.h): periods (days,
 * ISO weeks across years, months of weeks by their Thursday), the memory
 * clock, provenance both ways, idempotence without a model (nothing made
 * up, nothing written twice), and pruning that never touches an
 * uncovered or protected memory.  The model's summaries are tested
 * through the fake provider in tests/integration/test_memory_compact.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "memory/compact.h"
#include "memory/memory.h"
#include "memory/memory_int.h"
#include "store/db.h"
#include "util/time.h"
#include "memdb.h"

#define DAY_MS 86400000LL

MEMDB_FIXTURE("compact", "")

/* Unix ms of a UTC date and hour. */
static int64_t
at(int y, int m, int d, int h)
{
	/* Days from civil (the cases below were checked by hand against a
	 * calendar and Python's isocalendar()). */
	int64_t yy = y - (m <= 2), era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (era * 146097 + doe - 719468) * DAY_MS + h * 3600000LL;
}

static void
set_clock(int64_t ms)
{
	char v[32];

	snprintf(v, sizeof v, "%lld", (long long)ms);
	setenv("OXIOS_TEST_MEMORY_CLOCK_MS", v, 1);
}

/* ---- periods ---- */

static void
test_periods(void **state)
{
	static const struct {
		enum compact_level level;
		int y, m, d, h;
		const char *key;
		int sy, sm, sd; /* start */
		int ey, em, ed; /* end */
	} cases[] = {
		{ COMPACT_DAILY, 2025, 10, 5, 23, "2025-10-05", 2025, 10, 5,
		    2025, 10, 6 },
		{ COMPACT_DAILY, 2024, 2, 29, 0, "2024-02-29", 2024, 2, 29,
		    2024, 3, 1 },
		{ COMPACT_DAILY, 1969, 12, 31, 12, "1969-12-31", 1969, 12, 31,
		    1970, 1, 1 },
		/* ISO weeks across the turn of a year. */
		{ COMPACT_WEEKLY, 2025, 12, 29, 0, "2026-W01", 2025, 12, 29,
		    2026, 1, 5 },
		{ COMPACT_WEEKLY, 2021, 1, 3, 23, "2020-W53", 2020, 12, 28,
		    2021, 1, 4 },
		{ COMPACT_WEEKLY, 2024, 12, 30, 5, "2025-W01", 2024, 12, 30,
		    2025, 1, 6 },
		{ COMPACT_WEEKLY, 2025, 10, 5, 23, "2025-W40", 2025, 9, 29,
		    2025, 10, 6 },
		/* A month holds the weeks whose Thursday is in it. */
		{ COMPACT_MONTHLY, 2025, 10, 1, 0, "2025-10", 2025, 9, 29, 2025,
		    11, 3 },
		{ COMPACT_MONTHLY, 2025, 9, 29, 0, "2025-10", 2025, 9, 29, 2025,
		    11, 3 },
		{ COMPACT_MONTHLY, 2025, 9, 28, 23, "2025-09", 2025, 9, 1, 2025,
		    9, 29 },
		{ COMPACT_MONTHLY, 2025, 12, 31, 0, "2026-01", 2025, 12, 29,
		    2026, 2, 2 },
		{ COMPACT_MONTHLY, 2026, 2, 1, 0, "2026-01", 2025, 12, 29, 2026,
		    2, 2 },
		{ COMPACT_MONTHLY, 2026, 2, 2, 0, "2026-02", 2026, 2, 2, 2026,
		    3, 2 },
	};
	struct compact_period p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(compact_period_of(cases[i].level,
				     at(cases[i].y, cases[i].m, cases[i].d,
					 cases[i].h),
				     &p),
		    0);
		assert_string_equal(p.key, cases[i].key);
		assert_true(
		    p.start_ms == at(cases[i].sy, cases[i].sm, cases[i].sd, 0));
		assert_true(
		    p.end_ms == at(cases[i].ey, cases[i].em, cases[i].ed, 0));
	}
	/* The last millisecond of a day is in it, the next one is not. */
	compact_period_of(COMPACT_DAILY, at(2025, 10, 6, 0) - 1, &p);
	assert_string_equal(p.key, "2025-10-05");
	compact_period_of(COMPACT_DAILY, at(2025, 10, 6, 0), &p);
	assert_string_equal(p.key, "2025-10-06");
	assert_int_equal(compact_period_of(COMPACT_ROOT, 0, &p), -1);
}

static void
test_names_and_clock(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < COMPACT_NLEVELS; i++)
		assert_int_equal(compact_level_parse(
				     compact_level_name((enum compact_level)i)),
		    i);
	assert_int_equal(compact_level_parse("yearly"), -1);
	assert_true(compact_raw_type("episode") && compact_raw_type("fact"));
	assert_false(compact_raw_type("preference") ||
	    compact_raw_type("summary") || compact_raw_type(NULL));
	assert_int_equal(mem_type_parse("summary"), MEM_SUMMARY);
	set_clock(at(2025, 10, 1, 9));
	assert_true(mem_clock_ms() == at(2025, 10, 1, 9));
	setenv("OXIOS_TEST_MEMORY_CLOCK_MS", "soon", 1);
	assert_true(mem_clock_ms() > at(2025, 1, 1, 0));
	unsetenv("OXIOS_TEST_MEMORY_CLOCK_MS");
}

/* ---- the tree without a model ---- */

/* A memory made at `when` (the memory clock). */
static int64_t
add(const char *text, int type, int protect, int64_t when)
{
	set_clock(when);
	return memdb_add(db, text, type, protect, -1, NULL);
}

struct manual {
	const char *level, *period;
	int64_t start, end;
	const int64_t *src;
	size_t n;
};

static int
manual_tx(sqlite3 *d, int64_t id, void *arg, char **cause)
{
	const struct manual *s = arg;
	char sql[512];
	size_t i;

	snprintf(sql, sizeof sql,
	    "INSERT INTO memory_summaries (memory_id, level, period, "
	    "start_ms, end_ms, made_ms) VALUES (%lld, '%s', '%s', %lld, "
	    "%lld, 0)",
	    (long long)id, s->level, s->period, (long long)s->start,
	    (long long)s->end);
	if (mem_exec(d, sql, cause) != 0)
		return -1;
	for (i = 0; i < s->n; i++) {
		snprintf(sql, sizeof sql,
		    "INSERT INTO memory_summary_sources (summary_id, "
		    "source_id) VALUES (%lld, %lld)",
		    (long long)id, (long long)s->src[i]);
		if (mem_exec(d, sql, cause) != 0)
			return -1;
	}
	return 0;
}

/* A daily summary of src[0..n), as compaction stores one. */
static int64_t
summary(const char *day, int64_t start, const int64_t *src, size_t n)
{
	struct manual s = { "daily", day, start, start + DAY_MS, src, n };
	struct mem_new m;
	char *cause = NULL;
	int64_t id;

	memset(&m, 0, sizeof m);
	m.content = "A summary of the day";
	m.len = strlen(m.content);
	m.type = MEM_SUMMARY;
	m.protect = -1;
	m.importance = -1;
	m.in_tx = manual_tx;
	m.in_tx_arg = &s;
	if ((id = memory_add(db, &m, &cause)) < 0)
		fail_msg("memory_add: %s", cause);
	return id;
}

static long long
count(const char *sql)
{
	return mem_scalar(db, sql);
}

static json_t *
level(json_t *report, const char *name)
{
	return json_object_get(json_object_get(report, "levels"), name);
}

static long long
num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void
test_provenance_and_idempotence(void **state)
{
	int64_t a, b, c, pref, s, src[2];
	json_t *r, *t, *kids;
	char *cause = NULL;
	long long before;

	(void)state;
	a = add("deployed the parser", MEM_EPISODE, -1, at(2025, 10, 1, 9));
	b = add("the parser needs a cap", MEM_FACT, -1, at(2025, 10, 1, 15));
	c = add("reviewed the lexer", MEM_EPISODE, -1, at(2025, 10, 2, 9));
	pref = add("tabs, not spaces", MEM_PREFERENCE, -1, at(2025, 10, 2, 9));
	src[0] = a;
	src[1] = b;
	s = summary("2025-10-01", at(2025, 10, 1, 0), src, 2);

	/* Provenance both ways. */
	t = memory_tree(db, s, &cause);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_object_get(t, "level")),
	    "daily");
	kids = json_object_get(t, "children");
	assert_int_equal(json_array_size(kids), 2);
	assert_true(num(json_array_get(kids, 0), "id") == a);
	assert_true(num(json_array_get(kids, 1), "id") == b);
	json_decref(t);
	t = memory_tree(db, b, &cause);
	assert_int_equal(json_array_size(json_object_get(t, "parents")), 1);
	assert_true(
	    num(json_array_get(json_object_get(t, "parents"), 0), "id") == s);
	assert_int_equal(json_array_size(json_object_get(t, "children")), 0);
	json_decref(t);
	assert_null(memory_tree(db, 999, &cause));
	assert_null(cause);

	/* No model: the covered day is unchanged, the other waits; nothing
	 * is written. */
	before = count("SELECT COUNT(*) FROM memories");
	set_clock(at(2025, 12, 1, 0));
	r = memory_compact(db, NULL, "test", &cause);
	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "model")));
	assert_int_equal(num(level(r, "daily"), "unchanged"), 1);
	assert_int_equal(num(level(r, "daily"), "pending"), 1);
	assert_int_equal(num(level(r, "daily"), "written"), 0);
	assert_true(
	    json_is_true(json_object_get(level(r, "weekly"), "waiting")));
	assert_int_equal(num(r, "calls"), 0);
	json_decref(r);
	assert_true(count("SELECT COUNT(*) FROM memories") == before);
	assert_true(count("SELECT COUNT(*) FROM memory_summaries") == 1);

	/* A day that is not over is left alone. */
	set_clock(at(2025, 10, 2, 20));
	r = memory_compact(db, NULL, "test", &cause);
	assert_int_equal(num(level(r, "daily"), "pending"), 0);
	assert_int_equal(num(level(r, "daily"), "unchanged"), 1);
	json_decref(r);

	/* A new source of a covered day makes it due again. */
	add("the parser got its cap", MEM_FACT, -1, at(2025, 10, 1, 20));
	set_clock(at(2025, 12, 1, 0));
	r = memory_compact(db, NULL, "test", &cause);
	assert_int_equal(num(level(r, "daily"), "unchanged"), 0);
	assert_int_equal(num(level(r, "daily"), "pending"), 2);
	json_decref(r);

	/* Forgetting the summary takes its rows along. */
	assert_int_equal(memory_forget(db, s, &cause), 1);
	assert_true(count("SELECT COUNT(*) FROM memory_summaries") == 0);
	assert_true(count("SELECT COUNT(*) FROM memory_summary_sources") == 0);
	(void)c;
	(void)pref;
}

static void
test_prune_spares_uncovered_and_protected(void **state)
{
	int64_t old, prot, loose, recent, pref, s, src[4];
	json_t *ids = json_array(), *t;
	char *cause = NULL;

	(void)state;
	old = add("an old covered note", MEM_EPISODE, -1, at(2025, 10, 1, 9));
	prot = add("an old covered protected note", MEM_EPISODE, PROT_HIGH,
	    at(2025, 10, 1, 10));
	pref = add("an old covered preference", MEM_PREFERENCE, -1,
	    at(2025, 10, 1, 11));
	loose = add("an old note no summary covers", MEM_EPISODE, -1,
	    at(2025, 10, 1, 12));
	recent =
	    add("a recent covered note", MEM_FACT, -1, at(2025, 11, 28, 12));
	src[0] = old;
	src[1] = prot;
	src[2] = pref;
	src[3] = recent;
	s = summary("2025-10-01", at(2025, 10, 1, 0), src, 4);

	set_clock(at(2025, 12, 1, 0));
	assert_int_equal(compact_prune(db, 0, ids, &cause), 0);
	assert_int_equal(compact_prune(db, 30, ids, &cause), 1);
	assert_int_equal(json_array_size(ids), 1);
	assert_true(json_integer_value(json_array_get(ids, 0)) == old);
	assert_int_equal(compact_prune(db, 30, NULL, &cause), 0);
	assert_true(count("SELECT COUNT(*) FROM memories") == 5);
	/* The summary still lists what it covered. */
	t = memory_tree(db, s, &cause);
	assert_true(json_is_true(
	    json_object_get(json_array_get(json_object_get(t, "children"), 0),
		"gone")));
	assert_int_equal(json_array_size(json_object_get(t, "children")), 4);
	json_decref(t);
	json_decref(ids);
	(void)loose;
}

/* A covered memory decays memory.covered_decay (2) times faster: of two
 * alike episodes last used 100 hours ago (retention e^-1 and e^-2), the
 * covered one turns cold, the other stays warm. */
static void
test_covered_decays_faster(void **state)
{
	int64_t loose, covered, s;
	char *cause = NULL, sql[128];

	(void)state;
	loose = add("episode one, alone", MEM_EPISODE, -1,
	    time_wall_ms() - 100 * 3600000LL);
	covered = add("episode two, covered", MEM_EPISODE, -1,
	    time_wall_ms() - 100 * 3600000LL);
	s = summary("2025-10-01", at(2025, 10, 1, 0), &covered, 1);
	assert_int_equal(mem_retier(db, NULL, NULL, NULL, &cause), 0);
	snprintf(sql, sizeof sql,
	    "SELECT tier = 'warm' FROM memories WHERE id = %lld",
	    (long long)loose);
	assert_true(count(sql) == 1);
	snprintf(sql, sizeof sql,
	    "SELECT tier = 'cold' FROM memories WHERE id = %lld",
	    (long long)covered);
	assert_true(count(sql) == 1);
	(void)s;
}

/* Memory ids may be reused (the highest one, once deleted): a new memory
 * under the id of a source gone is covered by nothing. */
static void
test_a_reused_id_is_not_covered(void **state)
{
	int64_t a, s, b, c, src[1];
	json_t *t, *r, *ids = json_array();
	char *cause = NULL, sql[160];

	(void)state;
	a = add("the first note", MEM_EPISODE, -1, at(2025, 10, 1, 9));
	src[0] = a;
	s = summary("2025-10-01", at(2025, 10, 1, 0), src, 1);
	b = add("a later note of the same day", MEM_EPISODE, -1,
	    at(2025, 10, 1, 20));
	/* As a rewrite that took it in would have. */
	snprintf(sql, sizeof sql,
	    "INSERT INTO memory_summary_sources VALUES (%lld, %lld, 0)",
	    (long long)s, (long long)b);
	assert_int_equal(mem_exec(db, sql, &cause), 0);
	assert_int_equal(memory_forget(db, b, &cause), 1);
	c = add("an unrelated note", MEM_EPISODE, -1, at(2025, 10, 1, 21));
	assert_true(c == b); /* the id came back */

	t = memory_tree(db, c, &cause);
	assert_int_equal(json_array_size(json_object_get(t, "parents")), 0);
	json_decref(t);
	t = memory_tree(db, s, &cause);
	assert_true(json_is_true(
	    json_object_get(json_array_get(json_object_get(t, "children"), 1),
		"gone")));
	json_decref(t);
	set_clock(at(2025, 12, 1, 0));
	assert_int_equal(compact_prune(db, 10, ids, &cause), 1);
	assert_true(json_integer_value(json_array_get(ids, 0)) == a);
	r = memory_compact(db, NULL, "test", &cause);
	assert_int_equal(num(level(r, "daily"), "pending"), 1);
	assert_int_equal(num(level(r, "daily"), "unchanged"), 0);
	json_decref(r);
	snprintf(sql, sizeof sql,
	    "SELECT COUNT(*) FROM memories WHERE id = %lld", (long long)c);
	assert_true(count(sql) == 1);
	json_decref(ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_names_and_clock),
		cmocka_unit_test_setup_teardown(test_provenance_and_idempotence,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prune_spares_uncovered_and_protected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_covered_decays_faster,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_reused_id_is_not_covered,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
