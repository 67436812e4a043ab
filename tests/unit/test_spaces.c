/*
 * test_spaces.c — spaces: bodies checked (caps, paths, tags, unknown
 * keys), detection as a table (explicit, path, tag, name, none), path
 * matching, the store (create, get by id or name, update, delete, a
 * session bound), the conversation buffer's cut.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/context.h"
#include "kernel/sessions.h"
#include "kernel/spaces.h"
#include "kernel/spaces_bridge.h"
#include "kernel/spaces_buffer.h"
#include "store/db.h"
#include "tmpdb.h"

TMPDB_SHARED_FIXTURE("spaces")

static json_t *
body(const char *text, int partial, char **cause)
{
	return spaces_parse_body(text, strlen(text), partial, cause);
}

static void
test_bodies(void **state)
{
	static const struct {
		const char *text;
		int partial;
		const char *why; /* NULL: accepted */
	} rows[] = {
		{ "{\"name\":\"Garden\",\"emoji\":\"x\",\"paths\":[\"g/\","
		  "\"src/*.c\"],\"tags\":[\"plants\"]}",
		    0, NULL },
		{ "{\"name\":\"Two words\"}", 0, NULL },
		{ "{\"description\":\"d\"}", 1, NULL },
		{ "{\"description\":\"d\"}", 0, "'name' is missing" },
		{ "{\"name\":\"a/b\"}", 0, "'name'" },
		{ "{\"name\":\" lead\"}", 0, "'name'" },
		{ "{\"name\":\"\"}", 0, "'name'" },
		{ "{\"name\":7}", 0, "'name'" },
		{ "{\"name\":\"x\",\"paths\":[\"/etc\"]}", 0, "'paths'[0]" },
		{ "{\"name\":\"x\",\"paths\":[\"a/../b\"]}", 0, "'paths'[0]" },
		{ "{\"name\":\"x\",\"paths\":[\"..\"]}", 0, "'paths'[0]" },
		{ "{\"name\":\"x\",\"paths\":[\"a..b/c\"]}", 0, NULL },
		{ "{\"name\":\"x\",\"paths\":\"g/\"}", 0, "'paths' must be" },
		{ "{\"name\":\"x\",\"tags\":[\"two words\"]}", 0, "'tags'[0]" },
		{ "{\"name\":\"x\",\"tags\":[1]}", 0, "'tags'[0]" },
		{ "{\"name\":\"x\",\"other\":1}", 0, "unknown key" },
		{ "{\"name\":\"x\",\"name\":\"y\"}", 0, "JSON object" },
		{ "[1]", 0, "JSON object" },
		{ "{\"name\":\"x\",\"emoji\":\"12345678901234567\"}", 0,
		    "'emoji'" },
		{ "{\"name\":\"x\",\"description\":\"a\\u0000b\"}", 0,
		    "JSON object" },
	};
	char *cause, big[SPACE_BODY_MAX + 64];
	json_t *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		cause = NULL;
		o = body(rows[i].text, rows[i].partial, &cause);
		if (rows[i].why == NULL) {
			if (o == NULL)
				fail_msg("%s: %s", rows[i].text, cause);
			assert_null(cause);
		} else {
			assert_null(o);
			if (strstr(cause, rows[i].why) == NULL)
				fail_msg("%s: %s", rows[i].text, cause);
		}
		json_decref(o);
		free(cause);
	}
	/* Over the cap: refused before parsing. */
	memset(big, ' ', sizeof big);
	memcpy(big, "{\"name\":\"x\"}", 12);
	cause = NULL;
	assert_null(spaces_parse_body(big, sizeof big, 0, &cause));
	assert_non_null(strstr(cause, "over"));
	free(cause);
	/* 33 tags: over the list cap. */
	{
		char t[1024] = "{\"name\":\"x\",\"tags\":[";

		for (i = 0; i <= SPACE_LIST_MAX; i++)
			strcat(t, i == 0 ? "\"a\"" : ",\"a\"");
		strcat(t, "]}");
		cause = NULL;
		assert_null(body(t, 0, &cause));
		assert_non_null(strstr(cause, "at most"));
		free(cause);
	}
}

static void
test_path_match(void **state)
{
	static const struct {
		const char *pat, *path;
		int match;
	} rows[] = {
		{ "garden/", "garden/beds.txt", 1 },
		{ "garden", "garden/beds.txt", 1 },
		{ "garden", "garden", 1 },
		{ "garden", "gardening/x", 0 },
		{ "./garden/", "./garden/a", 1 },
		{ "src/*.c", "src/main.c", 1 },
		{ "src/*.c", "src/main.h", 0 },
		{ "deploy/*.yml", "deploy/web.yml", 1 },
		{ "deploy/*.yml", "ops/web.yml", 0 },
		{ "docs/**", "docs/a/b.md", 1 },
		{ "a/b/", "a/bc", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (spaces_path_match(rows[i].pat, rows[i].path) !=
		    rows[i].match)
			fail_msg("%s ~ %s: want %d", rows[i].pat, rows[i].path,
			    rows[i].match);
}

static void
test_detect(void **state)
{
	static const struct {
		const char *explicit, *message;
		int want;
		enum space_why why;
	} rows[] = {
		{ "Infra", "water the plants", 1, SPACE_WHY_EXPLICIT },
		{ "id-g", "anything", 0, SPACE_WHY_EXPLICIT },
		{ "garden", NULL, 0, SPACE_WHY_EXPLICIT },
		{ "nope", "plants", -2, SPACE_WHY_NONE },
		{ NULL, "see garden/beds.txt please", 0, SPACE_WHY_PATH },
		{ NULL, "edit \"/deploy/web.yml\".", 1, SPACE_WHY_PATH },
		/* A path wins over an earlier space's tag. */
		{ NULL, "plants in deploy/a.yml", 1, SPACE_WHY_PATH },
		{ NULL, "water the PLANTS", 0, SPACE_WHY_TAG },
		{ NULL, "the k8s cluster", 1, SPACE_WHY_TAG },
		{ NULL, "back to the garden", 0, SPACE_WHY_NAME },
		{ NULL, "infra, again", 1, SPACE_WHY_NAME },
		{ NULL, "houseplants and k8sx", -1, SPACE_WHY_NONE },
		{ NULL, "gardening tips", -1, SPACE_WHY_NONE },
		{ NULL, "deploy/readme.md", -1, SPACE_WHY_NONE },
		{ NULL, "", -1, SPACE_WHY_NONE },
		{ NULL, NULL, -1, SPACE_WHY_NONE },
	};
	json_t *spaces =
	    json_loads("[{\"id\":\"id-g\",\"name\":\"Garden\",\"paths\":[\"garden/\"],"
		       "\"tags\":[\"plants\"]},"
		       "{\"id\":\"id-i\",\"name\":\"Infra\",\"paths\":["
		       "\"deploy/*.yml\"],\"tags\":[\"k8s\"]}]",
		0, NULL);
	enum space_why why;
	size_t i;
	int got;

	(void)state;
	assert_non_null(spaces);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		got = spaces_detect(spaces, rows[i].explicit, rows[i].message,
		    &why);
		if (got != rows[i].want || why != rows[i].why)
			fail_msg("row %zu (%s): got %d %s, want %d %s", i,
			    rows[i].message, got, spaces_why_name(why),
			    rows[i].want, spaces_why_name(rows[i].why));
	}
	json_decref(spaces);
}

static void
test_store(void **state)
{
	char id[UUID_STRLEN], id2[UUID_STRLEN], sess[UUID_STRLEN];
	char *cause = NULL, conv[UUID_STRLEN];
	json_t *b, *s, *l;
	enum space_why why;
	sqlite3 *db = db_get();

	(void)state;
	b = body("{\"name\":\"Garden\",\"emoji\":\"G\",\"tags\":[\"plants\"]}",
	    0, &cause);
	assert_non_null(b);
	assert_int_equal(spaces_create(db, b, id, &cause), 0);
	/* A name is unique, whatever its case. */
	json_object_set_new(b, "name", json_string("garden"));
	assert_int_equal(spaces_create(db, b, id2, &cause), -1);
	assert_non_null(strstr(cause, "exists"));
	free(cause);
	cause = NULL;
	json_decref(b);
	s = spaces_get(db, "GARDEN", &cause);
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(s, "id")), id);
	json_decref(s);
	assert_null(spaces_get(db, "nope", &cause));
	assert_null(cause);

	b = body("{\"description\":\"veg\",\"paths\":[\"g/\"]}", 1, &cause);
	assert_int_equal(spaces_update(db, id, b, &cause), 1);
	assert_int_equal(spaces_update(db, "no-such-id", b, &cause), 0);
	json_decref(b);
	l = spaces_list(db, &cause);
	assert_int_equal(json_array_size(l), 1);
	s = json_array_get(l, 0);
	assert_string_equal(json_string_value(
				json_object_get(s, "description")),
	    "veg");
	assert_string_equal(json_string_value(
				json_array_get(json_object_get(s, "paths"), 0)),
	    "g/");
	json_decref(l);

	/* A run: detected, bound, then the session keeps its space. */
	assert_int_equal(spaces_for_run(db, NULL, NULL, NULL, "my plants", &s,
			     &why, conv, &cause),
	    0);
	assert_non_null(s);
	assert_int_equal(why, SPACE_WHY_TAG);
	assert_string_equal(conv, "");
	json_decref(s);
	assert_int_equal(session_create(db, "t", sess, &cause), 0);
	assert_int_equal(spaces_bind(db, sess, id, &cause), 0);
	assert_int_equal(spaces_for_run(db, NULL, NULL, NULL, "more plants", &s,
			     &why, conv, &cause),
	    0);
	assert_string_equal(conv, sess); /* the space's conversation */
	json_decref(s);
	assert_int_equal(spaces_for_run(db, NULL, sess, NULL, "nothing", &s,
			     &why, conv, &cause),
	    0);
	assert_int_equal(why, SPACE_WHY_SESSION);
	json_decref(s);
	assert_int_equal(spaces_for_run(db, NULL, NULL, "Nope", "x", &s, &why,
			     conv, &cause),
	    -1);
	assert_null(s);
	free(cause);
	cause = NULL;

	/* The space section: name, emoji, description; the summary. */
	{
		struct context_in in;
		char *p;

		memset(&in, 0, sizeof in);
		in.db = db;
		in.workspace = "/ws";
		in.space_id = id;
		in.session_id = sess;
		p = context_system_prompt(&in);
		assert_non_null(
		    strstr(p, "You are in the space \"Garden\" G."));
		assert_non_null(strstr(p, "It is about: veg"));
		assert_null(strstr(p, "Summary of the earlier"));
		free(p);
		assert_int_equal(sqlite3_exec(db,
				     "UPDATE sessions SET summary = 'S1', "
				     "summary_upto = 4",
				     NULL, NULL, NULL),
		    SQLITE_OK);
		p = context_system_prompt(&in);
		assert_non_null(strstr(p,
		    "Summary of the earlier "
		    "conversation:\nS1"));
		free(p);
		in.depth = 1; /* a sub-agent is not told */
		p = context_system_prompt(&in);
		assert_null(strstr(p, "Garden"));
		free(p);
	}

	assert_int_equal(spaces_delete(db, id, &cause), 1);
	assert_int_equal(spaces_delete(db, id, &cause), 0);
	assert_null(spaces_of_session(db, sess, &cause));
	assert_null(cause);
}

static void
test_buffer_cut(void **state)
{
	json_t *m = json_array();
	char big[2000];
	int i;

	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(spaces_buffer_cut(m, 100, 2), 0);
	for (i = 0; i < 6; i++) {
		json_array_append_new(m,
		    json_pack("{s:s, s:s}", "role", "user", "content", big));
		json_array_append_new(m,
		    json_pack("{s:s, s:[{s:s, s:s}]}", "role", "assistant",
			"content", "type", "text", "text", "ok"));
	}
	/* Fits: no cut. */
	assert_int_equal(spaces_buffer_cut(m, 100000, 2), 0);
	/* Over (6 turns of ~525 tokens): the last two user turns kept. */
	assert_true(spaces_buffer_estimate(m, 0) > 3000);
	assert_int_equal(spaces_buffer_cut(m, 2500, 2), 8);
	assert_int_equal(spaces_buffer_cut(m, 2500, 1), 10);
	/* Two would fill over half the budget: one. */
	assert_int_equal(spaces_buffer_cut(m, 2000, 2), 10);
	assert_true(spaces_buffer_estimate(m, 10) > 500);
	json_decref(m);
}

static void
test_bridge_facts(void **state)
{
	json_t *f;
	char many[512] = "";
	int i;

	(void)state;
	f = spaces_bridge_facts("NONE");
	assert_int_equal(json_array_size(f), 0);
	json_decref(f);
	f = spaces_bridge_facts("- one  \r\nnot\n-two\n- \n-   three");
	assert_int_equal(json_array_size(f), 2);
	assert_string_equal(json_string_value(json_array_get(f, 0)), "one");
	assert_string_equal(json_string_value(json_array_get(f, 1)), "three");
	json_decref(f);
	for (i = 0; i < 15; i++)
		strcat(many, "- a fact\n");
	f = spaces_bridge_facts(many);
	assert_int_equal(json_array_size(f), BRIDGE_MAX_FACTS);
	json_decref(f);
	f = spaces_bridge_facts("- bad \xff utf8\n- fine");
	assert_int_equal(json_array_size(f), 1);
	json_decref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_path_match),
		cmocka_unit_test(test_detect),
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test(test_buffer_cut),
		cmocka_unit_test(test_bridge_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
