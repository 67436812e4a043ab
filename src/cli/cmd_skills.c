/*
 * cmd_skills.c — oxios skills [--json] and oxios skill NAME | enable NAME
 * | disable NAME (skills/skill.h), on the home's database like `oxios
 * permissions`: a running daemon's next agent sees the change.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/home.h"
#include "kernel/kernel.h"
#include "security/audit.h"
#include "skills/skill.h"
#include "store/db.h"
#include "util/json.h"

struct skills_cmd {
	struct config *cfg;
	sqlite3 *db;
	int json;
	const char *agent; /* --agent: that profile's source too */
	struct skill_set set;
};

/* Parse the options; the operands are left in argv[optind..]. */
static int
skills_parse(const char *cmd, int argc, char **argv, struct skills_cmd *c)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "agent", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	memset(c, 0, sizeof *c);
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (o == 'j')
			c->json = 1;
		else if (o == 'a')
			c->agent = optarg;
		else {
			cli_error("%s: unknown option '%s'", cmd,
			    argv[optind - 1]);
			return -1;
		}
	}
	if (c->agent != NULL && !skill_name_ok(c->agent)) {
		cli_error("%s: --agent must name an agent profile", cmd);
		return -1;
	}
	return 0;
}

/* Configuration, database, the scan.  0, or -1 (told). */
static int
skills_open(struct skills_cmd *c)
{
	struct skill_where w;
	char *ws;

	if (cli_db_open(&c->cfg, &c->db) != 0)
		return -1;
	ws = kernel_workspace(c->cfg);
	skill_where_init(&w, ws, c->agent);
	skill_scan(c->db, c->cfg, &w, &c->set);
	skill_where_free(&w);
	free(ws);
	return 0;
}

static int
skills_close(struct skills_cmd *c, int rc)
{
	skill_set_free(&c->set);
	cli_db_close(c->cfg);
	return rc;
}

/* The malformed files, as warnings. */
static void
skills_warn_errors(const struct skills_cmd *c)
{
	json_t *e;
	size_t i;

	json_array_foreach(c->set.errors, i, e)
		cli_warn("skipped: %s", oxjson_str(e, "error", "?"));
}

static int
cmd_skills(int argc, char **argv)
{
	struct skills_cmd c;
	const struct skill *s;
	json_t *list;
	size_t i;

	if (skills_parse("skills", argc, argv, &c) < 0)
		return EXIT_USAGE;
	if (optind < argc) {
		cli_error("skills: unexpected '%s' (oxios skill NAME shows "
			  "one)",
		    argv[optind]);
		return EXIT_USAGE;
	}
	if (skills_open(&c) < 0)
		return EXIT_FAIL;
	if (c.json) {
		list = json_array();
		for (i = 0; i < c.set.n; i++)
			json_array_append_new(list, skill_json(&c.set.v[i], 0));
		list = json_pack("{s:o, s:O}", "skills", list, "errors",
		    c.set.errors);
		oxjson_print(stdout, list, 1);
		json_decref(list);
		return skills_close(&c, EXIT_OK);
	}
	skills_warn_errors(&c);
	if (c.set.n == 0)
		printf("no skills\n");
	for (i = 0; i < c.set.n; i++) {
		s = &c.set.v[i];
		printf("%-20s %-9s %-11s%s %s\n", s->name,
		    skill_source_name(s->source), skill_status_name(s->status),
		    s->changed ? " (changed)" : "", s->description);
		if (s->reason != NULL)
			printf("  %-20s needs: %s\n", "", s->reason);
		if (s->hint != NULL)
			printf("  %-20s install: %s\n", "", s->hint);
	}
	return skills_close(&c, EXIT_OK);
}

static int
skill_toggle(struct skills_cmd *c, const char *name, int on)
{
	const struct skill *s = skill_find(&c->set, name);
	char *cause = NULL;

	if (s == NULL) {
		cli_error("no skill '%s' (oxios skills lists them)", name);
		return EXIT_FAIL;
	}
	if (skill_set_enabled(c->db, s, on, "user", &cause) < 0 ||
	    skill_record(c->db, "user", s->name, on ? "enable" : "disable",
		&cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (c->json) {
		json_t *v =
		    json_pack("{s:s, s:b}", "name", s->name, "enabled", on);

		oxjson_print(stdout, v, 1);
		json_decref(v);
	} else
		printf("skill %s %s\n", s->name, on ? "enabled" : "disabled");
	return EXIT_OK;
}

static int
cmd_skill(int argc, char **argv)
{
	struct skills_cmd c;
	const struct skill *s;
	const char *verb = NULL, *name;
	json_t *v;
	int rc;

	if (skills_parse("skill", argc, argv, &c) < 0)
		return EXIT_USAGE;
	if (optind < argc &&
	    (strcmp(argv[optind], "enable") == 0 ||
		strcmp(argv[optind], "disable") == 0))
		verb = argv[optind++];
	if (optind + 1 != argc)
		return cli_usage(&cmd_skill_entry);
	name = argv[optind];
	if (skills_open(&c) < 0)
		return EXIT_FAIL;
	if (verb != NULL) {
		rc = skill_toggle(&c, name, strcmp(verb, "enable") == 0);
		return skills_close(&c, rc);
	}
	if ((s = skill_find(&c.set, name)) == NULL) {
		skills_warn_errors(&c);
		cli_error("no skill '%s' (oxios skills lists them)", name);
		return skills_close(&c, EXIT_FAIL);
	}
	if (c.json) {
		v = skill_json(s, 1);
		oxjson_print(stdout, v, 1);
		json_decref(v);
		return skills_close(&c, EXIT_OK);
	}
	printf("name:        %s\n", s->name);
	printf("description: %s\n", s->description);
	printf("source:      %s (%s)\n", skill_source_name(s->source), s->dir);
	printf("status:      %s%s\n", skill_status_name(s->status),
	    s->changed ? " (changed since it was enabled)" : "");
	if (s->reason != NULL)
		printf("needs:       %s\n", s->reason);
	if (s->hint != NULL)
		printf("install:     %s\n", s->hint);
	printf("hash:        %s\n", s->hash);
	printf("\n%s", s->body);
	if (s->body[0] != '\0' && s->body[strlen(s->body) - 1] != '\n')
		printf("\n");
	return skills_close(&c, EXIT_OK);
}

const struct cmd_entry cmd_skills_entry = {
	.name = "skills",
	.usage = "[--agent NAME] [--json]",
	.summary = "List the skills with source, status and reason.",
	.help = "Every skill of the four sources, highest first: the agent\n"
		"profile's ($OXIOS_HOME/agents/NAME/skills/, with --agent),\n"
		"the workspace's (skills/), the user's ($OXIOS_HOME/skills/)\n"
		"and the bundled ones.  Status: ready (agents see it),\n"
		"needs-setup (with what is missing and the install hint), or\n"
		"disabled.  Malformed SKILL.md files are reported and\n"
		"skipped.  See docs/skills.md.\n",
	.words = "--json --agent",
	.exec = cmd_skills,
};

const struct cmd_entry cmd_skill_entry = {
	.name = "skill",
	.usage = "[enable | disable] NAME [--agent NAME] [--json]",
	.summary = "Show a skill and its SKILL.md; enable or disable it.",
	.help =
	    "oxios skill NAME shows the skill's details and its\n"
	    "instructions.  oxios skill disable NAME hides it from agents;\n"
	    "oxios skill enable NAME shows it again and records its\n"
	    "content hash (a later change is shown as changed).\n",
	.words = "enable disable --json --agent",
	.exec = cmd_skill,
};
