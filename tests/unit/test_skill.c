/*
 * test_skill.c — skills (skills/skill.h): each accepted front-matter
 * shape, malformed and hostile YAML refused with a clean error (deep
 * nesting, alias bombs, 10 MB, NUL), eligibility under a PATH and an
 * environment the test controls, sources by priority and shadowing, the
 * state (disabled, changed since enabled), files read confined to the
 * skill's folder, install and delete, the index.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "skills/skill.h"
#include "skills/skill_tool.h"
#include "tmpdb.h"
#include "util/file.h"
#include "util/xalloc.h"

TMPDB_FIXTURE("skill")

static const char agent_skills[] = "---\n"
				   "name: pdf-tools\n"
				   "description: Fill and merge PDF forms.\n"
				   "license: Apache-2.0\n"
				   "compatibility: Needs python3\n"
				   "metadata:\n"
				   "  author: example\n"
				   "  version: \"1.0\"\n"
				   "allowed-tools: Bash(python3:*) Read\n"
				   "---\n"
				   "# PDF tools\n\nUse scripts/fill.py.\n";

static const char seed_shape[] =
    "---\n"
    "name: gh-helper\n"
    "description: Work with GitHub from the terminal\n"
    "requires:\n"
    "  bins: [oxios-test-nosuchbin]\n"
    "  env: [OXIOS_TEST_SKILL_TOKEN]\n"
    "install:\n"
    "  - kind: brew\n"
    "    formula: gh\n"
    "  - kind: apt\n"
    "    package: gh\n"
    "---\n"
    "Body.\n";

static const char openclaw_shape[] =
    "---\n"
    "name: github\n"
    "description: \"Interact with GitHub using the `gh` CLI.\"\n"
    "homepage: https://cli.github.com\n"
    "metadata:\n"
    "  {\n"
    "    \"openclaw\":\n"
    "      {\n"
    "        \"emoji\": \"\xf0\x9f\x90\x99\",\n"
    "        \"requires\": { \"bins\": [\"oxios-test-bin\"], \"anyBins\": "
    "[\"nope-a\", \"oxios-test-bin\"], },\n"
    "        \"os\": [\"linux\", \"darwin\"],\n"
    "        \"always\": false,\n"
    "        \"user-invocable\": true,\n"
    "        \"install\":\n"
    "          [\n"
    "            {\n"
    "              \"id\": \"brew\",\n"
    "              \"kind\": \"brew\",\n"
    "              \"formula\": \"gh\",\n"
    "              \"bins\": [\"gh\"],\n"
    "            },\n"
    "          ],\n"
    "      },\n"
    "  }\n"
    "---\n"
    "# GitHub\n";

static void
parse_ok(const char *text, struct skill_doc *doc)
{
	char *cause = NULL;

	if (skill_parse(text, strlen(text), "t/SKILL.md", doc, &cause) != 0)
		fail_msg("%s", cause);
}

static void
test_shapes(void **state)
{
	struct skill_doc doc;
	json_t *oc;

	(void)state;
	parse_ok(agent_skills, &doc);
	assert_string_equal(json_string_value(
				json_object_get(doc.front, "name")),
	    "pdf-tools");
	assert_string_equal(json_string_value(
				json_object_get(doc.front, "allowed-tools")),
	    "Bash(python3:*) Read");
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(doc.front,
						    "metadata"),
				    "version")),
	    "1.0");
	assert_string_equal(doc.body, "# PDF tools\n\nUse scripts/fill.py.\n");
	skill_doc_free(&doc);

	parse_ok(seed_shape, &doc);
	assert_int_equal(json_array_size(
			     json_object_get(json_object_get(doc.front,
						 "requires"),
				 "bins")),
	    1);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(doc.front,
						   "install"),
				    1),
				"package")),
	    "gh");
	skill_doc_free(&doc);

	parse_ok(openclaw_shape, &doc); /* trailing commas included */
	oc =
	    json_object_get(json_object_get(doc.front, "metadata"), "openclaw");
	assert_non_null(oc);
	assert_true(json_is_false(json_object_get(oc, "always")));
	assert_true(json_is_true(json_object_get(oc, "user-invocable")));
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(json_object_get(oc,
								   "install"),
						    0),
				    "formula")),
	    "gh");
	/* an unknown key is kept, never an error */
	assert_string_equal(json_string_value(
				json_object_get(doc.front, "homepage")),
	    "https://cli.github.com");
	skill_doc_free(&doc);

	parse_ok("---\n---\nOnly a body.\n", &doc); /* empty front matter */
	assert_int_equal(json_object_size(doc.front), 0);
	skill_doc_free(&doc);
	parse_ok("\xef\xbb\xbf---\r\nname: x\r\n---\r\nbody", &doc);
	assert_string_equal(json_string_value(
				json_object_get(doc.front, "name")),
	    "x");
	skill_doc_free(&doc);
}

/* The parse fails with a message containing `want`. */
static void
parse_fails(const char *text, size_t len, const char *want)
{
	struct skill_doc doc;
	char *cause = NULL;

	assert_int_equal(skill_parse(text, len, "t/SKILL.md", &doc, &cause),
	    -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("'%s' does not contain '%s'", cause, want);
	assert_null(doc.front);
	assert_null(doc.body);
	free(cause);
}

static void
test_malformed(void **state)
{
	static const char bad[] = "---\nname: x\ndescription: [a, b\n"
				  "other: 1\n---\nbody\n";

	(void)state;
	parse_fails("# no front matter\n", 18, "t/SKILL.md:1: no front matter");
	parse_fails("---\nname: x\n", 12, "no closing '---'");
	parse_fails(bad, strlen(bad), "t/SKILL.md:");
	parse_fails("---\n- a\n- b\n---\n", 16, "not a mapping");
	parse_fails("---\nname: x\n\tbad: [\n---\n", 24, "t/SKILL.md:3");
	parse_fails("---\n? [a]\n: b\n---\n", 18, "scalar");
	parse_fails("---\nname: a\0b\n---\n", 18, "NUL");
}

static void
test_hostile(void **state)
{
	struct buf b;
	size_t i;
	char *big;

	(void)state;
	/* deep nesting, flow and block */
	buf_init(&b, BUF_NOCAP);
	buf_adds(&b, "---\nx: ");
	for (i = 0; i < 5000; i++)
		buf_addc(&b, '[');
	for (i = 0; i < 5000; i++)
		buf_addc(&b, ']');
	buf_adds(&b, "\n---\n");
	parse_fails(b.data, b.len, "nests deeper than");
	buf_reset(&b);
	buf_adds(&b, "---\n");
	for (i = 0; i < 100; i++)
		buf_printf(&b, "%*sk:\n", (int)(i * 2), "");
	buf_adds(&b, "---\n");
	parse_fails(b.data, b.len, "nests deeper than");
	/* an alias bomb: refused at the first alias, nothing expanded */
	buf_reset(&b);
	buf_adds(&b, "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (i = 1; i < 9; i++)
		buf_printf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n",
		    (int)('a' + i), (int)('a' + i), (int)('a' + i - 1),
		    (int)('a' + i - 1), (int)('a' + i - 1), (int)('a' + i - 1),
		    (int)('a' + i - 1), (int)('a' + i - 1), (int)('a' + i - 1),
		    (int)('a' + i - 1));
	buf_adds(&b, "---\n");
	parse_fails(b.data, b.len, "aliases are not accepted");
	/* too many nodes, within the size cap */
	buf_reset(&b);
	buf_adds(&b, "---\nx: [");
	for (i = 0; i < SKILL_MAX_NODES + 10; i++)
		buf_adds(&b, "1,");
	buf_adds(&b, "]\n---\n");
	parse_fails(b.data, b.len, "too many nodes");
	buf_free(&b);
	/* 10 MB */
	big = xmalloc(10 * 1024 * 1024);
	memset(big, 'a', 10 * 1024 * 1024);
	memcpy(big, "---\nx: ", 7);
	parse_fails(big, 10 * 1024 * 1024, "larger than");
	free(big);
}

static char root[128]; /* tdb.dir/src */

/* Make root/SRC/NAME/SKILL.md with `text`. */
static void
put_skill(const char *src, const char *name, const char *text)
{
	char path[256], rel[64];

	snprintf(path, sizeof path, "%s/%s", root, src);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/%s/%s", root, src, name);
	mkdir(path, 0700);
	snprintf(rel, sizeof rel, "%.20s/%.20s/SKILL.md", src, name);
	assert_int_equal(tmpdir_put(root, rel, text), 0);
}

static void
where_test(struct skill_where *w)
{
	static const char *const names[] = { "agent", "ws", "user", "bundled" };
	int i;

	memset(w, 0, sizeof *w);
	for (i = 0; i < SKILL_NSOURCES; i++)
		xasprintf(&w->dir[i], "%s/%s", root, names[i]);
}

static void
test_eligibility(void **state)
{
	char bin[256], path[512], *old = xstrdup(getenv("PATH"));
	const struct skill *s;
	struct skill_where w;
	struct skill_set set;

	(void)state;
	snprintf(root, sizeof root, "%s/src", tdb.dir);
	mkdir(root, 0700);
	snprintf(bin, sizeof bin, "%s/bin", tdb.dir);
	mkdir(bin, 0700);
	assert_int_equal(tmpdir_put(tdb.dir, "bin/oxios-test-bin",
			     "#!/bin/sh\n"),
	    0);
	snprintf(path, sizeof path, "%s/oxios-test-bin", bin);
	chmod(path, 0755);
	assert_int_equal(tmpdir_put(tdb.dir, "bin/oxios-test-noexec", "x"), 0);
	setenv("PATH", bin, 1);
	unsetenv("OXIOS_TEST_SKILL_TOKEN");
	put_skill("user", "github", openclaw_shape);
	put_skill("user", "gh-helper", seed_shape);
	put_skill("user", "pdf-tools", agent_skills);
	put_skill("user", "noexec",
	    "---\nrequires: {bins: [oxios-test-noexec]}\n---\n");
	put_skill("user", "other-os",
	    "---\nmetadata: {\"openclaw\": {\"os\": [\"win32\"]}}\n---\n");
	put_skill("user", "broken", "---\nname: [\n---\n");
	where_test(&w);
	skill_scan(db, NULL, &w, &set);
	assert_int_equal(set.n, 5);
	assert_int_equal(json_array_size(set.errors), 1);
	assert_non_null(
	    strstr(json_string_value(
		       json_object_get(json_array_get(set.errors, 0), "error")),
		"/user/broken/SKILL.md:"));
	s = skill_find(&set, "github");
	assert_int_equal(s->status, SKILL_READY);
	assert_null(s->reason);
	assert_string_equal(s->description,
	    "Interact with GitHub using the `gh` CLI.");
	s = skill_find(&set, "pdf-tools");
	assert_int_equal(s->status, SKILL_READY);
	s = skill_find(&set, "gh-helper");
	assert_int_equal(s->status, SKILL_NEEDS_SETUP);
	assert_non_null(strstr(s->reason,
	    "the program 'oxios-test-nosuchbin' is not on PATH"));
	assert_non_null(strstr(s->reason,
	    "the environment variable 'OXIOS_TEST_SKILL_TOKEN' is not set"));
	assert_string_equal(s->hint, "brew install gh; or apt install gh");
	s = skill_find(&set, "noexec"); /* named after its folder */
	assert_int_equal(s->status, SKILL_NEEDS_SETUP);
	s = skill_find(&set, "other-os");
	assert_int_equal(s->status, SKILL_NEEDS_SETUP);
	assert_non_null(strstr(s->reason, "not for this OS"));
	skill_set_free(&set);

	/* the environment set: ready; no binary: needs-setup again */
	setenv("OXIOS_TEST_SKILL_TOKEN", "t", 1);
	setenv("PATH", "/nonexistent", 1);
	skill_scan(db, NULL, &w, &set);
	s = skill_find(&set, "gh-helper");
	assert_non_null(s->reason);
	assert_null(strstr(s->reason, "OXIOS_TEST_SKILL_TOKEN"));
	s = skill_find(&set, "github");
	assert_int_equal(s->status, SKILL_NEEDS_SETUP);
	assert_non_null(strstr(s->reason,
	    "none of the programs 'nope-a', "
	    "'oxios-test-bin' is on PATH"));
	skill_set_free(&set);
	skill_where_free(&w);
	setenv("PATH", old, 1);
	unsetenv("OXIOS_TEST_SKILL_TOKEN");
	free(old);
}

static void
test_priority(void **state)
{
	const struct skill *s;
	struct skill_where w;
	struct skill_set set;

	(void)state;
	snprintf(root, sizeof root, "%s/src", tdb.dir);
	mkdir(root, 0700);
	put_skill("bundled", "debug", "---\ndescription: bundled\n---\nB\n");
	put_skill("user", "debug", "---\ndescription: user\n---\nU\n");
	put_skill("ws", "debug", "---\ndescription: workspace\n---\nW\n");
	put_skill("bundled", "refactor", "---\ndescription: bundled\n---\n");
	put_skill("user", "refactor", "---\ndescription: user\n---\n");
	put_skill("agent", "mine", "---\ndescription: agent\n---\n");
	put_skill("bundled", "mine", "---\ndescription: bundled\n---\n");
	/* a name in the front matter is the skill's name */
	put_skill("ws", "folder",
	    "---\nname: refactor\ndescription: ws\n---\n");
	where_test(&w);
	skill_scan(db, NULL, &w, &set);
	assert_int_equal(set.n, 3);
	s = skill_find(&set, "debug");
	assert_int_equal(s->source, SKILL_WORKSPACE);
	assert_string_equal(s->body, "W\n");
	assert_int_equal(json_array_size(s->shadows), 2);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(s->shadows, 0),
				    "source")),
	    "user");
	s = skill_find(&set, "refactor");
	assert_string_equal(s->description, "ws");
	assert_int_equal(s->source, SKILL_WORKSPACE);
	s = skill_find(&set, "mine");
	assert_int_equal(s->source, SKILL_AGENT);
	assert_string_equal(set.v[0].name, "debug"); /* sorted */
	skill_set_free(&set);
	/* without the agent's folder, the bundled one shows */
	free(w.dir[SKILL_AGENT]);
	w.dir[SKILL_AGENT] = NULL;
	skill_scan(db, NULL, &w, &set);
	assert_int_equal(skill_find(&set, "mine")->source, SKILL_BUNDLED);
	skill_set_free(&set);
	skill_where_free(&w);
}

static void
test_state(void **state)
{
	struct skill_where w;
	struct skill_set set;
	char *cause = NULL;

	(void)state;
	snprintf(root, sizeof root, "%s/src", tdb.dir);
	mkdir(root, 0700);
	put_skill("user", "debug", "---\ndescription: one\n---\n");
	where_test(&w);
	skill_scan(db, NULL, &w, &set);
	assert_true(set.v[0].enabled);
	assert_false(set.v[0].changed);
	assert_int_equal(strlen(set.v[0].hash), 64);
	assert_int_equal(skill_set_enabled(db, &set.v[0], 0, "user", &cause),
	    0);
	skill_set_free(&set);
	skill_scan(db, NULL, &w, &set);
	assert_int_equal(set.v[0].status, SKILL_DISABLED);
	assert_int_equal(skill_set_enabled(db, &set.v[0], 1, "user", &cause),
	    0);
	skill_set_free(&set);
	skill_scan(db, NULL, &w, &set);
	assert_int_equal(set.v[0].status, SKILL_READY);
	assert_false(set.v[0].changed);
	skill_set_free(&set);
	put_skill("user", "debug", "---\ndescription: two\n---\n");
	skill_scan(db, NULL, &w, &set);
	assert_true(set.v[0].changed);
	assert_int_equal(set.v[0].status, SKILL_READY);
	skill_set_free(&set);
	skill_where_free(&w);
}

static void
test_files(void **state)
{
	char *data = NULL, *cause = NULL, outside[256], link[256];
	struct skill_where w;
	struct skill_set set;
	size_t len;
	const struct skill *s;

	(void)state;
	snprintf(root, sizeof root, "%s/src", tdb.dir);
	mkdir(root, 0700);
	put_skill("user", "debug", "---\n---\nSee notes.md\n");
	assert_int_equal(tmpdir_put(root, "user/debug/notes.md", "notes"), 0);
	assert_int_equal(tmpdir_put(tdb.dir, "secret", "secret"), 0);
	snprintf(outside, sizeof outside, "%s/secret", tdb.dir);
	snprintf(link, sizeof link, "%s/user/debug/out", root);
	assert_int_equal(symlink(outside, link), 0);
	where_test(&w);
	skill_scan(db, NULL, &w, &set);
	s = skill_find(&set, "debug");
	assert_int_equal(skill_read_file(s, "notes.md", &data, &len, &cause),
	    0);
	assert_string_equal(data, "notes");
	free(data);
	assert_int_equal(skill_read_file(s, "../../../secret", &data, &len,
			     &cause),
	    -1);
	free(cause);
	assert_int_equal(skill_read_file(s, outside, &data, &len, &cause), -1);
	free(cause);
	assert_int_equal(skill_read_file(s, "out", &data, &len, &cause), -1);
	assert_non_null(strstr(cause, "outside the skill's folder"));
	free(cause);
	assert_int_equal(skill_read_file(s, ".", &data, &len, &cause), -1);
	free(cause);
	skill_set_free(&set);
	skill_where_free(&w);
}

static void
test_install(void **state)
{
	char home[128], *cause = NULL;
	struct skill_where w;
	struct skill_set set;
	json_t *files;

	(void)state;
	snprintf(home, sizeof home, "%s/home", tdb.dir);
	mkdir(home, 0700);
	setenv("OXIOS_HOME", home, 1);
	files = json_pack("{s:s}", "docs/more.md", "more");
	assert_int_equal(skill_install("mine", agent_skills,
			     strlen(agent_skills), NULL, &cause),
	    -1); /* the front matter names pdf-tools */
	free(cause);
	assert_int_equal(skill_install("bad/name", "---\n---\n", 8, NULL,
			     &cause),
	    -1);
	free(cause);
	assert_int_equal(skill_install("mine", "---\nname: [\n---\n", 16, NULL,
			     &cause),
	    -1);
	free(cause);
	json_object_set_new(files, "../escape", json_string("x"));
	assert_int_equal(skill_install("mine", "---\n---\nB", 9, files, &cause),
	    -1);
	free(cause);
	json_object_del(files, "../escape");
	assert_int_equal(skill_install("mine", "---\n---\nB", 9, files, &cause),
	    0);
	assert_int_equal(skill_install("mine", "---\n---\nC", 9, files, &cause),
	    0); /* replaced */
	memset(&w, 0, sizeof w);
	xasprintf(&w.dir[SKILL_USER], "%s/skills", home);
	skill_scan(db, NULL, &w, &set);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].body, "C");
	skill_set_free(&set);
	assert_int_equal(skill_remove("mine", &cause), 0);
	assert_int_equal(skill_remove("mine", &cause), -1);
	free(cause);
	skill_scan(db, NULL, &w, &set);
	assert_int_equal(set.n, 0);
	skill_set_free(&set);
	skill_where_free(&w);
	json_decref(files);
	unsetenv("OXIOS_HOME");
}

static void
test_index(void **state)
{
	char home[128], *cause = NULL;
	struct buf out;
	int i;

	(void)state;
	snprintf(home, sizeof home, "%s/home", tdb.dir);
	mkdir(home, 0700);
	setenv("OXIOS_HOME", home, 1);
	setenv("OXIOS_SKILLS_BUNDLED", "/nonexistent", 1);
	buf_init(&out, BUF_NOCAP);
	skill_index(db, NULL, NULL, NULL, SKILL_INDEX_MAX, &out);
	assert_int_equal(out.len, 0); /* no skill: no section */
	assert_int_equal(skill_install("ready-one",
			     "---\ndescription: Does things.\n---\n", 34, NULL,
			     &cause),
	    0);
	assert_int_equal(skill_install("needs-one",
			     "---\nrequires: {bins: [oxios-nosuch]}\n---\n", 40,
			     NULL, &cause),
	    0);
	assert_int_equal(skill_install("user-only",
			     "---\ndisable-model-invocation: true\n---\n", 39,
			     NULL, &cause),
	    0);
	skill_index(db, NULL, NULL, NULL, SKILL_INDEX_MAX, &out);
	assert_non_null(strstr(buf_str(&out), "- ready-one: Does things.\n"));
	assert_null(strstr(buf_str(&out), "needs-one"));
	assert_null(strstr(buf_str(&out), "user-only"));
	for (i = 0; i < 40; i++) {
		char name[32];

		snprintf(name, sizeof name, "s%02d", i);
		static const char t[] = "---\ndescription: a description "
					"long enough to fill the index\n---\n";

		assert_int_equal(skill_install(name, t, strlen(t), NULL,
				     &cause),
		    0);
	}
	buf_reset(&out);
	skill_index(db, NULL, NULL, NULL, 1000, &out);
	assert_true(out.len <= 1000);
	assert_non_null(strstr(buf_str(&out), "more skills not listed"));
	buf_free(&out);
	unsetenv("OXIOS_HOME");
	unsetenv("OXIOS_SKILLS_BUNDLED");
}

static int corpus_n, corpus_openclaw;

static int
corpus_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	struct skill_doc doc;
	char *text = NULL, *cause = NULL;
	size_t len;

	(void)st;
	(void)f;
	if (flag != FTW_F || strcmp(path + strlen(path) - 9, "/SKILL.md") != 0)
		return 0;
	if (file_read(path, SKILL_MAX_BYTES, &text, &len, &cause) != 0 ||
	    skill_parse(text, len, path, &doc, &cause) != 0)
		fail_msg("%s", cause);
	assert_true(json_is_string(json_object_get(doc.front, "name")));
	assert_true(json_is_string(json_object_get(doc.front, "description")));
	corpus_openclaw += json_is_object(
	    json_object_get(json_object_get(doc.front, "metadata"),
		"openclaw"));
	corpus_n++;
	skill_doc_free(&doc);
	free(text);
	return 0;
}

/* Every SKILL.md of a real public collection loads (tests/data/skills). */
static void
test_corpus(void **state)
{
	(void)state;
	assert_int_equal(nftw(SKILLS_CORPUS_DIR, corpus_one, 16, FTW_PHYS), 0);
	assert_true(corpus_n >= 60);
	assert_true(corpus_openclaw >= 40); /* the openclaw block, read */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test_setup_teardown(test_eligibility, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
