/*
 * cmd_seeds.c — oxios seeds [list | show ID | evolution ID]: the seeds of
 * Ouroboros, read from the home's database like `oxios memory`.  The
 * hidden `seeds test-put` stores a seed from write_seed arguments on stdin
 * (with its results) and writes its YAML file: for tests, until the
 * engine that writes seeds lands.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/home.h"
#include "kernel/kernel.h"
#include "ouroboros/seed_store.h"
#include "ouroboros/seed_yaml.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define SEEDS_PUT_MAX (1024 * 1024) /* bytes of test-put's input */

struct seeds_cmd {
	struct config *cfg;
	sqlite3 *db;
	int json;
	long limit, offset;
	const char *id;
};

/* Options and the one ID (when `want_id`).  0, or -1 (told). */
static int
seeds_parse(int argc, char **argv, int want_id, struct seeds_cmd *c)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'n' },
		{ "offset", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long *v;
	int o;

	memset(c, 0, sizeof *c);
	c->limit = 20;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (o) {
		case 'j':
			c->json = 1;
			break;
		case 'n':
		case 'o':
			if (want_id) {
				cli_error("seeds %s: --limit and --offset are "
					  "for list",
				    argv[0]);
				return -1;
			}
			v = o == 'n' ? &c->limit : &c->offset;
			*v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    *v < (o == 'n' ? 1 : 0) ||
			    *v > (o == 'n' ? SEED_LIST_MAX : 0x7fffffffL)) {
				cli_error(o == 'n' ? "seeds list: --limit "
						     "wants 1 to 1000, not "
						     "'%s'" :
						     "seeds list: --offset "
						     "wants a whole number, "
						     "not '%s'",
				    optarg);
				return -1;
			}
			break;
		default:
			cli_error("seeds: unknown or incomplete option '%s'",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (argc - optind != (want_id ? 1 : 0)) {
		cli_error(want_id ? "seeds %s: name one seed (its id: oxios "
				    "seeds list)" :
				    "seeds %s: too many arguments",
		    argv[0]);
		return -1;
	}
	if (want_id)
		c->id = argv[optind];
	return 0;
}

/* Load the configuration and open the database.  0, or -1 (told). */
static int
seeds_open(struct seeds_cmd *c)
{
	if (cli_db_open(&c->cfg, &c->db) != 0)
		return -1;
	return 0;
}

/* Close what seeds_open() opened; tell `cause` (freed).  Returns rc. */
static int
seeds_close(struct seeds_cmd *c, int rc, char *cause)
{
	if (cause != NULL)
		cli_error("%s", cause);
	free(cause);
	db_shutdown();
	config_free(c->cfg);
	return rc;
}

/* A not-found answer for `id`. */
static int
seeds_none(struct seeds_cmd *c)
{
	cli_error("no seed %.64s (the ids: oxios seeds list)", c->id);
	return seeds_close(c, EXIT_FAIL, NULL);
}

static const char *
seeds_time(const json_t *ms, char *buf, size_t size)
{
	time_rfc3339((int64_t)json_integer_value(ms), buf, size);
	return buf;
}

static int
cmd_seeds_list(int argc, char **argv)
{
	struct seeds_cmd c;
	char *cause = NULL, when[40];
	json_t *v, *s;
	size_t i;

	if (seeds_parse(argc, argv, 0, &c) != 0)
		return cli_sub_usage(&cmd_seeds_entry, argv[0]);
	if (seeds_open(&c) != 0)
		return EXIT_FAIL;
	if ((v = seed_store_list(c.db, c.limit, c.offset, &cause)) == NULL)
		return seeds_close(&c, EXIT_FAIL, cause);
	if (c.json)
		oxjson_print(stdout, v, 1);
	else if (json_array_size(json_object_get(v, "seeds")) == 0)
		printf(json_integer_value(json_object_get(v, "total")) == 0 ?
			"no seeds yet\n" :
			"no seeds past offset %ld\n",
		    c.offset);
	else {
		printf("%-36s %-3s %-10s %-24s %s\n", "ID", "GEN", "STATUS",
		    "CREATED", "GOAL");
		json_array_foreach(json_object_get(v, "seeds"), i, s) {
			const char *goal = oxjson_str(s, "goal", "");
			size_t n = utf8_cut_chars(goal, 60);
			char *line = xstrndup(goal, n), *nl;

			while ((nl = strchr(line, '\n')) != NULL)
				*nl = ' ';
			printf("%-36s %-3lld %-10s %-24s %s%s\n",
			    oxjson_str(s, "id", ""),
			    (long long)oxjson_int(s, "generation", 0),
			    oxjson_str(s, "status", ""),
			    seeds_time(json_object_get(s, "created_at"), when,
				sizeof when),
			    line, goal[n] != '\0' ? "…" : "");
			free(line);
		}
		if (c.offset +
			(long)json_array_size(json_object_get(v, "seeds")) <
		    (long)json_integer_value(json_object_get(v, "total")))
			printf("(%lld in all: --offset %ld for more)\n",
			    (long long)json_integer_value(
				json_object_get(v, "total")),
			    c.offset + c.limit);
	}
	json_decref(v);
	return seeds_close(&c, EXIT_OK, NULL);
}

/* "  - item" lines of a string array, or " (none)". */
static void
seeds_items(const char *title, const json_t *a)
{
	const json_t *x;
	size_t i;

	printf("%s:%s\n", title, json_array_size(a) == 0 ? " (none)" : "");
	json_array_foreach(a, i, x)
		printf("  - %s\n", json_string_value(x));
}

static void
seeds_show_text(const json_t *s)
{
	const json_t *c, *x;
	char when[40];
	size_t i, j;

	printf("seed %s\n", oxjson_str(s, "id", ""));
	printf("generation %lld of root %s, parent %s\n",
	    (long long)oxjson_int(s, "generation", 0),
	    oxjson_str(s, "root_id", ""), oxjson_str(s, "parent_id", "-"));
	printf("status: %s%s%s\n", oxjson_str(s, "status", ""),
	    json_is_string(json_object_get(s, "stop_reason")) ? " — " : "",
	    oxjson_str(s, "stop_reason", ""));
	printf("created: %s\n",
	    seeds_time(json_object_get(s, "created_at"), when, sizeof when));
	printf("ambiguity: %.2f%s\n",
	    json_number_value(json_object_get(s, "ambiguity")),
	    json_is_true(json_object_get(s, "degraded")) ?
		" (degraded: it stayed above the threshold)" :
		"");
	printf("task type: %s\n", oxjson_str(s, "task_type", ""));
	printf("goal: %s\n", oxjson_str(s, "goal", ""));
	if (json_is_string(json_object_get(s, "rationale")))
		printf("rationale: %s\n", oxjson_str(s, "rationale", ""));
	seeds_items("constraints", json_object_get(s, "constraints"));
	printf("acceptance criteria:\n");
	json_array_foreach(json_object_get(s, "acceptance_criteria"), i, c) {
		printf("  %s: %s\n", oxjson_str(c, "id", ""),
		    oxjson_str(c, "description", ""));
		if (json_is_string(json_object_get(c, "verify_command")))
			printf("      verify: %s\n",
			    oxjson_str(c, "verify_command", ""));
		json_array_foreach(json_object_get(c, "artifacts"), j, x)
			printf("      artifact: %s\n", json_string_value(x));
		if (json_is_string(json_object_get(c, "assertion")))
			printf("      assertion: %s\n",
			    oxjson_str(c, "assertion", ""));
	}
	printf("evaluation principles:\n");
	json_array_foreach(json_object_get(s, "evaluation_principles"), i, c)
		printf("  %s: %.3f\n", oxjson_str(c, "name", ""),
		    json_number_value(json_object_get(c, "weight")));
	seeds_items("exit conditions", json_object_get(s, "exit_conditions"));
	seeds_items("assumptions", json_object_get(s, "assumptions"));
}

/*
 * `seeds show|evolution ID`: fetch one thing by id, print it as JSON or
 * with `text`.
 */
static int
seeds_one(int argc, char **argv,
    json_t *(*fetch)(sqlite3 *, const char *, char **),
    void (*text)(const json_t *))
{
	struct seeds_cmd c;
	char *cause = NULL;
	json_t *v;

	if (seeds_parse(argc, argv, 1, &c) != 0)
		return cli_sub_usage(&cmd_seeds_entry, argv[0]);
	if (seeds_open(&c) != 0)
		return EXIT_FAIL;
	if ((v = fetch(c.db, c.id, &cause)) == NULL)
		return cause != NULL ? seeds_close(&c, EXIT_FAIL, cause) :
				       seeds_none(&c);
	if (c.json)
		oxjson_print(stdout, v, 1);
	else
		text(v);
	json_decref(v);
	return seeds_close(&c, EXIT_OK, NULL);
}

static int
cmd_seeds_show(int argc, char **argv)
{
	return seeds_one(argc, argv, seed_store_get, seeds_show_text);
}

/* "passed", "failed" or "not evaluated" of a passed member. */
static const char *
seeds_verdict(const json_t *p)
{
	return json_is_true(p) ? "passed" :
	    json_is_false(p)   ? "failed" :
				 "not evaluated";
}

/* "stage pass 0.90" lines of results. */
static void
seeds_results(const char *indent, const json_t *results)
{
	const json_t *r;
	size_t i;

	json_array_foreach(results, i, r) {
		printf("%s%s %s", indent, oxjson_str(r, "stage", ""),
		    json_is_true(json_object_get(r, "passed")) ? "pass" :
								 "fail");
		if (json_is_number(json_object_get(r, "score")))
			printf(" %.2f",
			    json_number_value(json_object_get(r, "score")));
		printf("\n");
	}
}

static void
seeds_evolution_text(const json_t *v)
{
	const json_t *g, *c, *gens = json_object_get(v, "generations");
	size_t i, j;

	printf("lineage of root %s: %zu generation%s\n",
	    oxjson_str(v, "root_id", ""), json_array_size(gens),
	    json_array_size(gens) == 1 ? "" : "s");
	json_array_foreach(gens, i, g) {
		const json_t *s = json_object_get(g, "seed");

		printf("\ngeneration %lld  %s  %s%s%s  score %.2f  %s\n",
		    (long long)oxjson_int(g, "generation", 0),
		    oxjson_str(s, "id", ""), oxjson_str(g, "status", ""),
		    json_is_string(json_object_get(g, "stop_reason")) ? ": " :
									"",
		    oxjson_str(g, "stop_reason", ""),
		    json_number_value(json_object_get(g, "score")),
		    json_is_true(json_object_get(g, "passed")) ? "passed" :
								 "not passed");
		if (json_is_string(json_object_get(s, "rationale")))
			printf("  rationale: %s\n",
			    oxjson_str(s, "rationale", ""));
		json_array_foreach(json_object_get(g, "criteria"), j, c) {
			printf("  %s: %s", oxjson_str(c, "id", ""),
			    seeds_verdict(json_object_get(c, "passed")));
			if (json_is_number(json_object_get(c, "score")))
				printf(" (score %.2f)",
				    json_number_value(
					json_object_get(c, "score")));
			printf("\n");
			seeds_results("      ", json_object_get(c, "results"));
		}
		if (json_array_size(json_object_get(g, "verdicts")) > 0) {
			printf("  on the whole seed:\n");
			seeds_results("      ", json_object_get(g, "verdicts"));
		}
	}
}

static int
cmd_seeds_evolution(int argc, char **argv)
{
	return seeds_one(argc, argv, seed_store_lineage, seeds_evolution_text);
}

/* test-put: the results of `in` for seed `id`.  0, or -1 with *cause. */
static int
seeds_put_results(sqlite3 *db, const char *id, const json_t *in, char **cause)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(in, "results"), i, r) {
		struct seed_result res = {
			.seed_id = id,
			.criterion_id = oxjson_str(r, "criterion_id", NULL),
			.passed = oxjson_bool(r, "passed", 0),
			.score = json_is_number(json_object_get(r, "score")) ?
			    json_number_value(json_object_get(r, "score")) :
			    NAN,
			.detail = json_object_get(r, "detail"),
		};
		int st = seed_stage_parse(oxjson_str(r, "stage", ""));

		if (st < 0) {
			xasprintf(cause,
			    "results[%zu].stage: mechanical, "
			    "semantic or consensus",
			    i);
			return -1;
		}
		res.stage = (enum seed_stage)st;
		if (seed_store_result(db, &res, cause) != 0)
			return -1;
	}
	return 0;
}

static int
cmd_seeds_put(int argc, char **argv)
{
	struct seeds_cmd c;
	struct seed *parent = NULL, *s = NULL;
	char chunk[4096], *cause = NULL, *ws = NULL, *dir = NULL, *path = NULL;
	const char *pid;
	struct buf in;
	json_t *v = NULL;
	size_t n;
	int rc = EXIT_FAIL;

	(void)argc;
	(void)argv;
	buf_init(&in, SEEDS_PUT_MAX);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		if (buf_add(&in, chunk, n) != 0) {
			cli_error("stdin: larger than %d bytes", SEEDS_PUT_MAX);
			buf_free(&in);
			return EXIT_FAIL;
		}
	v = oxjson_parse(buf_str(&in), in.len, SEEDS_PUT_MAX, &cause);
	buf_free(&in);
	if (v == NULL) {
		cli_error("stdin: %s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (seeds_open(&c) != 0) {
		json_decref(v);
		return EXIT_FAIL;
	}
	if ((pid = oxjson_str(v, "parent", NULL)) != NULL) {
		if (seed_store_load(c.db, pid, &parent, &cause) != 0)
			goto out;
		if (parent == NULL) {
			xasprintf(&cause, "no seed %.64s", pid);
			goto out;
		}
	}
	if (seed_from_args(json_object_get(v, "args"), parent,
		json_number_value(json_object_get(v, "ambiguity")),
		oxjson_bool(v, "degraded", 0), &s, &cause) != 0 ||
	    seed_store_put(c.db, s, &cause) != 0 ||
	    seeds_put_results(c.db, s->id, v, &cause) != 0)
		goto out;
	if (oxjson_str(v, "status", NULL) != NULL &&
	    seed_store_status(c.db, s->id, oxjson_str(v, "status", NULL),
		oxjson_str(v, "stop_reason", NULL), &cause) != 0)
		goto out;
	ws = kernel_workspace(c.cfg);
	xasprintf(&dir, "%s/seeds", ws);
	if (seed_yaml_write(s, dir, &path, &cause) != 0)
		goto out;
	{
		json_t *o =
		    json_pack("{s:s, s:s, s:i, s:s}", "id", s->id, "root_id",
			s->root_id, "generation", s->generation, "yaml", path);

		oxjson_print(stdout, o, 0);
		json_decref(o);
	}
	rc = EXIT_OK;
out:
	free(ws);
	free(dir);
	free(path);
	seed_free(s);
	seed_free(parent);
	json_decref(v);
	return seeds_close(&c, rc, cause);
}

static const struct cmd_sub cmd_seeds_subs[] = {
	{
	    .name = "list",
	    .usage = "[--limit N] [--offset N] [--json]",
	    .summary = "the seeds, newest first: id, generation, status, "
		       "creation time, goal (the default; 20 at a time)",
	    .flags = CMD_DEFAULT,
	    .exec = cmd_seeds_list,
	},
	{
	    .name = "show",
	    .usage = "ID [--json]",
	    .summary = "one seed: goal, constraints, acceptance criteria "
		       "(with their verify commands), principles, exit "
		       "conditions, assumptions, status",
	    .exec = cmd_seeds_show,
	},
	{
	    .name = "evolution",
	    .usage = "ID [--json]",
	    .summary = "the lineage of a seed (any generation of it): each "
		       "generation with its criteria's results and score",
	    .exec = cmd_seeds_evolution,
	},
	{
	    .name = "test-put",
	    .usage = "< {args, parent?, ambiguity?, degraded?, status?, "
		     "stop_reason?, results?}",
	    .summary = "store a seed from write_seed arguments and write "
		       "its YAML file (for tests)",
	    .flags = CMD_HIDDEN,
	    .exec = cmd_seeds_put,
	},
	{ .name = NULL },
};

const struct cmd_entry cmd_seeds_entry = {
	.name = "seeds",
	.summary = "Show the seeds of Ouroboros and their evolution.",
	.help =
	    "A seed is the frozen specification of a task: goal, constraints,\n"
	    "acceptance criteria, evaluation principles, exit conditions and\n"
	    "assumptions.  When a generation fails its evaluation, the next\n"
	    "one is a new seed whose parent it is; `evolution` shows them all\n"
	    "with what each criterion's evaluation found.  Seeds are also\n"
	    "written as YAML under the workspace: seeds/ROOT_ID/gen-N.yaml.\n"
	    "See docs/ouroboros.md.\n",
	.words = "--json --limit --offset",
	.subs = cmd_seeds_subs,
};
