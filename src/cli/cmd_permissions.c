/*
 * cmd_permissions.c — oxios permissions [show|set|reset|templates]: the
 * capabilities of agent profiles (security/permstore.h), on the home's
 * database like `oxios budget`: a running daemon's next agent sees the
 * change.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/home.h"
#include "security/permstore.h"
#include "store/db.h"
#include "util/json.h"
#include "util/time.h"
#include "util/xalloc.h"

struct perm_cmd {
	struct config *cfg;
	sqlite3 *db;
	int json;
	const char *id;  /* the profile named, or NULL */
	const char *tpl; /* set: --template */
	json_t *grants;  /* set: the --grant options */
};

/*
 * The options and the optional argument (a profile; required when
 * `want_id` is 2) of subcommand argv[0].  0, or -1 (told).
 */
static int
perm_parse(int argc, char **argv, int want_id, struct perm_cmd *p)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "template", required_argument, NULL, 't' },
		{ "grant", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	int set = strcmp(argv[0], "set") == 0, c;
	char *eq, *res;

	memset(p, 0, sizeof *p);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if ((c == 't' || c == 'g') && !set) {
			cli_error("permissions %s: --%s is for set", argv[0],
			    c == 't' ? "template" : "grant");
			goto fail;
		}
		switch (c) {
		case 'j':
			p->json = 1;
			break;
		case 't':
			p->tpl = optarg;
			break;
		case 'g':
			if ((eq = strrchr(optarg, '=')) == NULL ||
			    eq == optarg || eq[1] == '\0') {
				cli_error("permissions set: --grant "
					  "RESOURCE=RIGHTS (e.g. exec:git=x, "
					  "path:src/**=rw), not '%s'",
				    optarg);
				goto fail;
			}
			if (p->grants == NULL)
				p->grants = json_array();
			res = xstrndup(optarg, (size_t)(eq - optarg));
			json_array_append_new(p->grants,
			    json_pack("{s:s, s:s}", "resource", res, "rights",
				eq + 1));
			free(res);
			break;
		default:
			cli_error("permissions %s: unknown option '%s'",
			    argv[0], argv[optind - 1]);
			goto fail;
		}
	}
	if (optind < argc)
		p->id = argv[optind++];
	if (optind < argc) {
		cli_error("permissions %s: one agent profile, not '%s' too",
		    argv[0], argv[optind]);
		goto fail;
	}
	if (want_id == 2 && p->id == NULL) {
		cli_error("permissions %s: which agent profile?", argv[0]);
		goto fail;
	}
	if (want_id == 0 && p->id != NULL) {
		cli_error("permissions %s takes no agent profile", argv[0]);
		goto fail;
	}
	if (set && p->tpl == NULL) {
		cli_error("permissions set: --template minimal|worker|standard|"
			  "trusted|supervisor is required");
		goto fail;
	}
	return 0;
fail:
	json_decref(p->grants);
	p->grants = NULL;
	return -1;
}

/* Load the configuration and open the database.  0, or -1 (told). */
static int
perm_open(struct perm_cmd *p)
{
	if (cli_db_open(&p->cfg, &p->db) != 0)
		return -1;
	return 0;
}

/* Close what perm_open() opened; tell `cause` (freed).  Returns rc. */
static int
perm_close(struct perm_cmd *p, int rc, char *cause)
{
	if (cause != NULL)
		cli_error("%s", cause);
	free(cause);
	json_decref(p->grants);
	cli_db_close(p->cfg);
	return rc;
}

/* "RESOURCE=RIGHTS, ..." of an array of {resource, rights}. */
static void
perm_print_grants(const json_t *grants)
{
	const json_t *g;
	size_t i;

	if (json_array_size(grants) == 0)
		printf("-");
	json_array_foreach(grants, i, g)
		printf("%s%s=%s", i > 0 ? " " : "",
		    json_string_value(json_object_get(g, "resource")),
		    json_string_value(json_object_get(g, "rights")));
}

/* One profile's view in words. */
static void
perm_print_view(const json_t *v)
{
	const json_t *e, *rule;
	size_t i;

	printf("agent profile: %s\ntemplate:      %s%s\ngrants:        ",
	    json_string_value(json_object_get(v, "agent")),
	    json_string_value(json_object_get(v, "template")),
	    json_is_true(json_object_get(v, "default")) ?
		" (the default: security.default_template)" :
		"");
	perm_print_grants(json_object_get(v, "grants"));
	printf("\neffective rights:\n");
	json_array_foreach(json_object_get(v, "effective"), i, e)
		printf("  %-32s %-4s (%s)\n",
		    json_string_value(json_object_get(e, "resource")),
		    json_string_value(json_object_get(e, "rights")),
		    json_string_value(json_object_get(e, "from")));
	if (json_array_size(json_object_get(v, "rules")) > 0)
		printf("allow rules:\n");
	json_array_foreach(json_object_get(v, "rules"), i, rule) {
		char *m = json_dumps(json_object_get(rule, "match"),
		    JSON_COMPACT | JSON_ENCODE_ANY);

		printf("  #%lld %s %s\n",
		    (long long)json_integer_value(json_object_get(rule, "id")),
		    json_string_value(json_object_get(rule, "tool")),
		    m != NULL ? m : "");
		free(m);
	}
}

static int
cmd_permissions_show(int argc, char **argv)
{
	struct perm_cmd p;
	char *cause = NULL;
	const json_t *row;
	json_t *v;
	size_t i;

	if (perm_parse(argc, argv, 1, &p) != 0)
		return cli_sub_usage(&cmd_permissions_entry, argv[0]);
	if (perm_open(&p) != 0)
		return EXIT_FAIL;
	if (p.id != NULL) {
		v = permstore_view(p.db, p.id,
		    permstore_default_template(p.cfg), &cause);
		if (v == NULL)
			return perm_close(&p, EXIT_FAIL, cause);
		if (p.json)
			oxjson_print(stdout, v, 1);
		else
			perm_print_view(v);
		json_decref(v);
		return perm_close(&p, EXIT_OK, NULL);
	}
	if ((v = permstore_list(p.db, &cause)) == NULL)
		return perm_close(&p, EXIT_FAIL, cause);
	if (p.json) {
		json_t *out = json_pack("{s:s, s:O}", "default_template",
		    permstore_default_template(p.cfg), "principals", v);

		oxjson_print(stdout, out, 1);
		json_decref(out);
	} else {
		printf("default template: %s (security.default_template)\n",
		    permstore_default_template(p.cfg));
		if (json_array_size(v) == 0)
			printf("no agent profile has permissions of its own\n");
		else
			printf("%-24s %-11s %s\n", "AGENT", "TEMPLATE",
			    "GRANTS");
		json_array_foreach(v, i, row) {
			printf("%-24s %-11s ",
			    json_string_value(json_object_get(row, "agent")),
			    json_string_value(
				json_object_get(row, "template")));
			perm_print_grants(json_object_get(row, "grants"));
			printf("\n");
		}
	}
	json_decref(v);
	return perm_close(&p, EXIT_OK, NULL);
}

static int
cmd_permissions_set(int argc, char **argv)
{
	struct perm_cmd p;
	char *cause = NULL;
	json_t *v;
	size_t n;

	if (perm_parse(argc, argv, 2, &p) != 0)
		return cli_sub_usage(&cmd_permissions_entry, argv[0]);
	if (perm_open(&p) != 0) {
		json_decref(p.grants);
		return EXIT_FAIL;
	}
	if (permstore_put(p.db, p.id, p.tpl, p.grants, "user", time_wall_ms(),
		&cause) != 0)
		return perm_close(&p, EXIT_FAIL, cause);
	n = json_array_size(p.grants);
	if (!p.json && n == 0)
		printf("permissions of agent profile '%s' set: template %s\n",
		    p.id, p.tpl);
	else if (!p.json)
		printf("permissions of agent profile '%s' set: template %s "
		       "and %zu grant%s\n",
		    p.id, p.tpl, n, n == 1 ? "" : "s");
	else {
		v = permstore_view(p.db, p.id,
		    permstore_default_template(p.cfg), &cause);
		if (v == NULL)
			return perm_close(&p, EXIT_FAIL, cause);
		oxjson_print(stdout, v, 1);
		json_decref(v);
	}
	return perm_close(&p, EXIT_OK, NULL);
}

static int
cmd_permissions_reset(int argc, char **argv)
{
	struct perm_cmd p;
	char *cause = NULL;
	int rc;

	if (perm_parse(argc, argv, 2, &p) != 0)
		return cli_sub_usage(&cmd_permissions_entry, argv[0]);
	if (perm_open(&p) != 0)
		return EXIT_FAIL;
	if ((rc = permstore_reset(p.db, p.id, "user", &cause)) < 0)
		return perm_close(&p, EXIT_FAIL, cause);
	if (rc == 0) {
		cli_error("agent profile '%s' has no permissions of its own "
			  "(it has the default template %s)",
		    p.id, permstore_default_template(p.cfg));
		return perm_close(&p, EXIT_FAIL, NULL);
	}
	if (p.json)
		printf("{\"reset\": \"%s\"}\n", p.id);
	else
		printf("permissions of agent profile '%s' reset: template %s "
		       "(the default)\n",
		    p.id, permstore_default_template(p.cfg));
	return perm_close(&p, EXIT_OK, NULL);
}

static int
cmd_permissions_templates(int argc, char **argv)
{
	struct perm_cmd p;
	json_t *out;

	if (perm_parse(argc, argv, 0, &p) != 0)
		return cli_sub_usage(&cmd_permissions_entry, argv[0]);
	out = policy_templates_json();
	if (p.json)
		oxjson_print(stdout, out, 1);
	else {
		json_t *tp;
		size_t i;

		json_array_foreach(out, i, tp) {
			const char *base =
			    json_string_value(json_object_get(tp, "extends"));

			printf("%s",
			    json_string_value(json_object_get(tp, "name")));
			if (base != NULL)
				printf(" (%s +)", base);
			printf(": ");
			perm_print_grants(json_object_get(tp, "rights"));
			printf("\n");
		}
	}
	json_decref(out);
	return EXIT_OK;
}

static const struct cmd_sub cmd_permissions_subs[] = {
	{
	    .name = "show",
	    .usage = "[AGENT] [--json]",
	    .summary = "the default template and every agent profile with "
		       "permissions of its own; with AGENT, its template, "
		       "grants, effective rights and allow rules (the "
		       "default)",
	    .flags = CMD_DEFAULT,
	    .exec = cmd_permissions_show,
	},
	{
	    .name = "set",
	    .usage = "AGENT --template T [--grant RESOURCE=RIGHTS]... "
		     "[--json]",
	    .summary = "set a profile's template and grants (grants add to "
		       "the template; RIGHTS are letters of rwxd)",
	    .exec = cmd_permissions_set,
	},
	{
	    .name = "reset",
	    .usage = "AGENT [--json]",
	    .summary = "back to the default template",
	    .exec = cmd_permissions_reset,
	},
	{
	    .name = "templates",
	    .usage = "[--json]",
	    .summary = "the templates and their rights",
	    .exec = cmd_permissions_templates,
	},
	{ .name = NULL },
};

const struct cmd_entry cmd_permissions_entry = {
	.name = "permissions",
	.summary = "Show and set the capabilities of agents (--agent NAME).",
	.help =
	    "An agent profile (`oxios run --agent NAME`; \"default\" unless\n"
	    "named) has a template (minimal, worker, standard, trusted,\n"
	    "supervisor) and grants that add to it, such as exec:git=x or\n"
	    "path:docs/**=rw.  Resources: tool:NAME, path:GLOB, exec:PROGRAM\n"
	    "(exec:@shell: the shell mode), mcp:SERVER/TOOL, browser:HOST,\n"
	    "a2a:PEER; rights: r read, w write, x execute, d delegate.  A\n"
	    "sub-agent never has more than its parent.  A profile without\n"
	    "permissions of its own has security.default_template.\n",
	.words = "--json --template --grant",
	.subs = cmd_permissions_subs,
};
