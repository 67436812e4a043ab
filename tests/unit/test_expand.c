/*
 * test_expand.c — query expansion (src/memory/expand.c): the strict
 * parser of the model's answer, the cache key, the cache's age and size
 * cap, and what a search says when it does not expand (off, no chat
 * model, a long query) or expands from the cache without a model call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "config/config.h"
#include "memory/expand.h"
#include "memory/memory.h"
#include "store/db.h"
#include "memdb.h"

MEMDB_FIXTURE("expand", "")

/* expand_parse() of s: its words, or NULL when refused. */
static const char *
parse(const char *s, const char *query)
{
	static char out[EXPAND_TERMS_SIZE];
	const char *why = NULL;

	if (expand_parse(s, strlen(s), query, out, sizeof out, &why) != 0) {
		assert_non_null(why);
		assert_string_equal(out, "");
		return NULL;
	}
	assert_null(why);
	return out;
}

static void
test_parse_shapes(void **state)
{
	(void)state;
	assert_string_equal(parse("[\"tabs\", \"spaces\", \"indent\"]",
				"indentation"),
	    "tabs spaces indent");
	assert_string_equal(parse("  tabs spaces indent\n", "indentation"),
	    "tabs spaces indent");
	assert_string_equal(parse("Tabs, spaces, white-space", NULL),
	    "tabs spaces white space");
	/* Repeats, the query's own words, one-letter words and apostrophes. */
	assert_string_equal(parse("[\"Tabs\", \"tabs\", \"indentation\", "
				  "\"a\", \"don't\"]",
				"Indentation?"),
	    "tabs dont");
	/* UTF-8 words stay. */
	assert_string_equal(parse("[\"\xc3\xa9"
				  "cart\"]",
				"x"),
	    "\xc3\xa9"
	    "cart");
	/* At most EXPAND_MAX_TERMS; longer words are left out. */
	assert_string_equal(parse("a1 b2 c3 d4 e5 f6 g7 h8 i9 j10", "q"),
	    "a1 b2 c3 d4 e5 f6 g7 h8");
	assert_string_equal(parse("tabs abcdefghijklmnopqrstuvwxyzabcdefgh",
				"q"),
	    "tabs");
}

static void
test_parse_refuses(void **state)
{
	char big[EXPAND_MAX_ANSWER + 10];

	(void)state;
	assert_null(parse("", "q"));
	assert_null(parse("Sure! Here are words:\n[\"tabs\"]", "q"));
	assert_null(parse("tabs; spaces", "q"));
	assert_null(parse("[\"tabs\", 1]", "q"));
	assert_null(parse("[\"tabs\"", "q"));
	assert_null(parse("{\"terms\": [\"tabs\"]}", "q"));
	assert_null(parse("[\"tabs, spaces\"]", "q"));
	assert_null(parse("[\"<script>\"]", "q"));
	assert_null(parse("[\"nul\\u0000x\"]", "q"));
	assert_null(parse("tabs \xff\xfe", "q"));
	assert_null(parse("[\"indentation\"]", "indentation"));
	assert_null(parse("[]", "q"));
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_null(parse(big, "q")); /* over EXPAND_MAX_ANSWER */
}

static void
test_normalise(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(expand_normalise("  Indentation\t IN   C ", out,
			     sizeof out),
	    3);
	assert_string_equal(out, "indentation in c");
	assert_int_equal(expand_normalise("", out, sizeof out), 0);
	assert_int_equal(expand_normalise("abcdefghijklmnopqrstuvwxyzabcdefg",
			     out, sizeof out),
	    -1);
}

static void
test_cache_age_and_cap(void **state)
{
	char out[EXPAND_TERMS_SIZE], key[32];
	int64_t now = 1800000000000LL;
	int i;

	(void)state;
	assert_int_equal(expand_cache_get(db, "indentation", "m/x", now, out,
			     sizeof out),
	    0);
	expand_cache_put(db, "indentation", "m/x", "tabs spaces", now);
	assert_int_equal(expand_cache_get(db, "indentation", "m/x", now, out,
			     sizeof out),
	    1);
	assert_string_equal(out, "tabs spaces");
	/* Per model. */
	assert_int_equal(expand_cache_get(db, "indentation", "m/y", now, out,
			     sizeof out),
	    0);
	/* Too old is not used. */
	assert_int_equal(expand_cache_get(db, "indentation", "m/x",
			     now + EXPAND_CACHE_DAYS * EXPAND_DAY_MS + 1, out,
			     sizeof out),
	    0);
	/* The cap: the oldest go. */
	for (i = 0; i < EXPAND_CACHE_MAX + 5; i++) {
		snprintf(key, sizeof key, "q%d", i);
		expand_cache_put(db, key, "m/x", "w1 w2", now + 1 + i);
	}
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(db,
				     "SELECT count(*), min(created_ms) FROM "
				     "memory_expansions",
				     -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), EXPAND_CACHE_MAX);
		assert_true(sqlite3_column_int64(st, 1) == now + 1 + 5);
		sqlite3_finalize(st);
	}
	assert_int_equal(expand_cache_get(db, "indentation", "m/x", now, out,
			     sizeof out),
	    0);
}

#define OFF "[memory]\nquery_expansion = \"off\"\n"
#define ON \
	"[memory]\nquery_expansion = \"on\"\n[engine]\ndefault_model = " \
	"\"openai/m1\"\n"

/* A configuration of `text`: 0, or -1. */
static int
load(const char *text, struct config **out)
{
	char *cause = NULL;

	if (config_load_text("test", text, strlen(text), out, &cause) != 0) {
		fprintf(stderr, "config: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* Search `text` with `c`: the recall. */
static void
search(const struct config *c, const char *text, struct mem_recall *r)
{
	struct mem_query q;
	char *cause = NULL;
	json_t *found;

	memset(&q, 0, sizeof q);
	q.text = text;
	q.mode = MEM_HYBRID;
	q.type = -1;
	q.cfg = c;
	q.recall = r;
	found = memory_search(db, &q, &cause);
	assert_non_null(found);
	json_decref(found);
}

static void
test_search_says_why_not(void **state)
{
	struct config *off = NULL;
	struct mem_recall r;
	char line[512];

	(void)state;
	/* auto, and no key for the default model's provider. */
	assert_int_equal(memory_expand_due(cfg, "indentation"), 0);
	search(cfg, "indentation", &r);
	assert_string_equal(r.expansion, "off");
	memory_recall_line(&r, line, sizeof line);
	assert_string_equal(line,
	    "recall: fts+vector (embedder local:glove100), not expanded: no chat "
	    "model: the provider of engine.default_model has no key");
	/* A long query. */
	search(cfg, "one two three four five six seven", &r);
	assert_string_equal(r.expansion, "skipped");
	/* Off. */
	assert_int_equal(load(OFF, &off), 0);
	search(off, "indentation", &r);
	assert_string_equal(r.expansion, "off");
	assert_string_equal(r.why, "memory.query_expansion is off");
	assert_int_equal(memory_expand_due(off, "indentation"), 0);
	config_free(off);
	/* No configuration: nothing said. */
	search(NULL, "indentation", &r);
	assert_string_equal(r.expansion, "");
	memory_recall_line(&r, line, sizeof line);
	assert_string_equal(line,
	    "recall: fts+vector (embedder local:glove100)");
}

static void
test_search_uses_the_cache(void **state)
{
	struct config *on = NULL;
	struct mem_recall r;
	struct mem_new m;
	struct mem_query q;
	char *cause = NULL, line[512];
	json_t *found, *j;

	(void)state;
	memset(&m, 0, sizeof m);
	m.content = "I prefer tabs in C code";
	m.len = strlen(m.content);
	m.type = m.protect = -1;
	m.importance = -1;
	assert_true(memory_add(db, &m, &cause) > 0);
	/* on: tried even without a key, but the cache answers first. */
	assert_int_equal(load(ON, &on), 0);
	assert_int_equal(memory_expand_due(on, "Indentation"), 1);
	expand_cache_put(db, "indentation", "openai/m1", "tabs spaces indent",
	    time(NULL) * 1000LL);
	memset(&q, 0, sizeof q);
	q.text = "Indentation";
	q.mode = MEM_HYBRID;
	q.type = -1;
	q.cfg = on;
	q.recall = &r;
	found = memory_search(db, &q, &cause);
	assert_non_null(found);
	assert_int_equal(json_array_size(found), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(found, 0),
				    "content")),
	    "I prefer tabs in C code");
	json_decref(found);
	assert_string_equal(r.expansion, "cached");
	memory_recall_line(&r, line, sizeof line);
	assert_string_equal(line,
	    "recall: fts+vector (embedder local:glove100), expanded (cached): tabs "
	    "spaces indent");
	j = memory_recall_json(&r);
	assert_int_equal(json_array_size(json_object_get(j, "terms")), 3);
	assert_string_equal(json_string_value(json_object_get(j, "expansion")),
	    "cached");
	json_decref(j);
	/* Without the expansion the word is not there. */
	q.cfg = NULL;
	found = memory_search(db, &q, &cause);
	assert_int_equal(json_array_size(found), 0);
	json_decref(found);
	config_free(on);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_shapes),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test_setup_teardown(test_cache_age_and_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_search_says_why_not, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_search_uses_the_cache,
		    setup, teardown),
	};

	unsetenv("ANTHROPIC_API_KEY"); /* "auto": no key, no expansion */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
