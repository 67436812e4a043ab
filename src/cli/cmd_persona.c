/*
 * cmd_persona.c — oxios persona [list|show|use|create|delete]: the
 * personas (kernel/personas.h), on the home's database like `oxios
 * permissions`: a running daemon's next run sees the change.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "config/home.h"
#include "kernel/personas.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/json.h"
#include "util/xalloc.h"

struct persona_cmd {
	struct config *cfg;
	sqlite3 *db;
	int json;
	const char *name;    /* the persona named, or NULL */
	const char *session; /* use: --session */
	json_t *body;        /* create: the options as a persona body */
};

/* Append `v` to the body's array `key`. */
static void
persona_push(json_t *body, const char *key, const char *v)
{
	json_t *a = json_object_get(body, key);

	if (a == NULL) {
		a = json_array();
		json_object_set_new(body, key, a);
	}
	json_array_append_new(a, json_string(v));
}

/*
 * The options and the persona named (required when `want_name`) of
 * subcommand argv[0].  0, or -1 (told).
 */
static int
persona_parse(int argc, char **argv, int want_name, struct persona_cmd *p)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "session", required_argument, NULL, 's' },
		{ "prompt", required_argument, NULL, 'p' },
		{ "role", required_argument, NULL, 'r' },
		{ "description", required_argument, NULL, 'd' },
		{ "model", required_argument, NULL, 'm' },
		{ "tool", required_argument, NULL, 't' },
		{ "trait", required_argument, NULL, 'T' },
		{ "template", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { ['p'] = "prompt",
		['r'] = "role",
		['d'] = "description",
		['m'] = "model",
		['x'] = "template" };
	int create = strcmp(argv[0], "create") == 0, c;

	memset(p, 0, sizeof *p);
	p->body = json_object();
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'j' && c != 's' && c != '?' && !create) {
			cli_error("persona %s: %s is for create", argv[0],
			    argv[optind - 1]);
			goto fail;
		}
		switch (c) {
		case 'j':
			p->json = 1;
			break;
		case 's':
			if (strcmp(argv[0], "use") != 0 &&
			    strcmp(argv[0], "show") != 0) {
				cli_error("persona %s: --session is for use "
					  "and show",
				    argv[0]);
				goto fail;
			}
			p->session = optarg;
			break;
		case 'p':
		case 'r':
		case 'd':
		case 'm':
		case 'x':
			json_object_set_new(p->body, keys[c],
			    json_string(optarg));
			break;
		case 't':
			persona_push(p->body, "tools", optarg);
			break;
		case 'T':
			persona_push(p->body, "traits", optarg);
			break;
		default:
			cli_error("persona %s: unknown option '%s'", argv[0],
			    argv[optind - 1]);
			goto fail;
		}
	}
	if (optind < argc)
		p->name = argv[optind++];
	if (optind < argc) {
		cli_error("persona %s: one persona, not '%s' too", argv[0],
		    argv[optind]);
		goto fail;
	}
	if (want_name && p->name == NULL) {
		cli_error("persona %s: which persona?", argv[0]);
		goto fail;
	}
	if (!want_name && p->name != NULL && strcmp(argv[0], "show") != 0) {
		cli_error("persona %s takes no persona", argv[0]);
		goto fail;
	}
	if (create && p->name != NULL)
		json_object_set_new(p->body, "name", json_string(p->name));
	return 0;
fail:
	json_decref(p->body);
	p->body = NULL;
	return -1;
}

/* Load the configuration and open the database.  0, or -1 (told). */
static int
persona_open(struct persona_cmd *p)
{
	if (cli_db_open(&p->cfg, &p->db) != 0)
		return -1;
	return 0;
}

/* Close what persona_open() opened; tell `cause` (freed).  Returns rc. */
static int
persona_close(struct persona_cmd *p, int rc, char *cause)
{
	if (cause != NULL)
		cli_error("%s", cause);
	free(cause);
	json_decref(p->body);
	cli_db_close(p->cfg);
	return rc;
}

/* Parse subcommand argv[0] and open the database: 0, or the exit code
 * to return (told). */
static int
persona_begin(int argc, char **argv, int want_name, struct persona_cmd *p)
{
	if (persona_parse(argc, argv, want_name, p) != 0)
		return cli_sub_usage(&cmd_persona_entry, argv[0]);
	if (persona_open(p) != 0) {
		json_decref(p->body);
		return EXIT_FAIL;
	}
	return 0;
}

static const char *
persona_s(const json_t *p, const char *key)
{
	const char *s = json_string_value(json_object_get(p, key));

	return s != NULL ? s : "";
}

/* A persona in words. */
static void
persona_print(const json_t *p)
{
	const json_t *v;
	size_t i;

	printf("%s%s\n", persona_s(p, "name"),
	    json_is_true(json_object_get(p, "default")) ? " (default)" : "");
	printf("  role: %s\n", persona_s(p, "role"));
	printf("  description: %s\n", persona_s(p, "description"));
	printf("  model: %s\n",
	    json_is_string(json_object_get(p, "model")) ?
		persona_s(p, "model") :
		"(the run's)");
	printf("  capability template: %s\n",
	    json_is_string(json_object_get(p, "template")) ?
		persona_s(p, "template") :
		"(security.default_template)");
	printf("  tools: ");
	if (!json_is_array(json_object_get(p, "tools")))
		printf("(all)");
	json_array_foreach(json_object_get(p, "tools"), i, v)
		printf("%s%s", i > 0 ? ", " : "", json_string_value(v));
	printf("\n  traits: ");
	json_array_foreach(json_object_get(p, "traits"), i, v)
		printf("%s%s", i > 0 ? ", " : "", json_string_value(v));
	printf("\n  %s\n\n%s\n",
	    json_is_true(json_object_get(p, "builtin")) ?
		(json_is_true(json_object_get(p, "edited")) ?
			"shipped with Oxios, edited" :
			"shipped with Oxios") :
		"custom",
	    persona_s(p, "prompt"));
}

static int
cmd_persona_list(int argc, char **argv)
{
	struct persona_cmd p;
	char *cause = NULL;
	json_t *all, *e;
	size_t i;
	int rc;

	if ((rc = persona_begin(argc, argv, 0, &p)) != 0)
		return rc;
	if ((all = personas_list(p.db, &cause)) == NULL)
		return persona_close(&p, EXIT_FAIL, cause);
	if (p.json)
		oxjson_print(stdout, all, 1);
	else
		json_array_foreach(all, i, e) {
			printf("%c %-16s %-20s %s\n",
			    json_is_true(json_object_get(e, "default")) ? '*' :
									  ' ',
			    persona_s(e, "name"), persona_s(e, "role"),
			    persona_s(e, "description"));
		}
	json_decref(all);
	return persona_close(&p, EXIT_OK, NULL);
}

static int
cmd_persona_show(int argc, char **argv)
{
	struct persona_cmd p;
	char def[PERSONA_NAME_MAX + 1], act[PERSONA_NAME_MAX + 1];
	char *cause = NULL;
	json_t *v = NULL;
	int rc;

	if ((rc = persona_begin(argc, argv, 0, &p)) != 0)
		return rc;
	if (personas_default(p.db, def, &cause) != 0)
		return persona_close(&p, EXIT_FAIL, cause);
	if (p.name == NULL && p.session != NULL) {
		if ((rc = personas_session(p.db, p.session, act, &cause)) < 0)
			return persona_close(&p, EXIT_FAIL, cause);
		if (rc == 0) {
			xasprintf(&cause, "no session %.64s", p.session);
			return persona_close(&p, EXIT_FAIL, cause);
		}
		p.name = act[0] != '\0' ? act : def;
	} else if (p.name == NULL)
		p.name = def;
	if ((rc = personas_get(p.db, p.name, &v, &cause)) < 0)
		return persona_close(&p, EXIT_FAIL, cause);
	if (rc == 0) {
		xasprintf(&cause, "no persona '%.64s' (see oxios persona list)",
		    p.name);
		return persona_close(&p, EXIT_FAIL, cause);
	}
	json_object_set_new(v, "default",
	    json_boolean(strcasecmp(persona_s(v, "name"), def) == 0));
	if (p.json)
		oxjson_print(stdout, v, 1);
	else
		persona_print(v);
	json_decref(v);
	return persona_close(&p, EXIT_OK, NULL);
}

static int
cmd_persona_use(int argc, char **argv)
{
	struct persona_cmd p;
	char *cause = NULL;
	json_t *v = NULL;
	int rc;

	if ((rc = persona_begin(argc, argv, 1, &p)) != 0)
		return rc;
	if ((rc = personas_use(p.db, p.session, p.name, "user", &cause)) != 0)
		return persona_close(&p, EXIT_FAIL, cause);
	if (personas_get(p.db, p.name, &v, &cause) == 1)
		p.name = persona_s(v, "name"); /* its spelling */
	free(cause);
	cause = NULL;
	if (p.json)
		printf("{\"persona\": \"%s\"}\n", p.name);
	else if (p.session != NULL)
		printf("session %s now has persona %s\n", p.session, p.name);
	else
		printf("%s is now the default persona\n", p.name);
	json_decref(v);
	return persona_close(&p, EXIT_OK, NULL);
}

static int
cmd_persona_create(int argc, char **argv)
{
	struct persona_cmd p;
	char *cause = NULL;
	json_t *v;
	int rc;

	if (persona_parse(argc, argv, 1, &p) != 0)
		return cli_sub_usage(&cmd_persona_entry, argv[0]);
	if (json_object_get(p.body, "prompt") == NULL) {
		json_decref(p.body);
		cli_error("persona create: --prompt TEXT is required");
		return cli_sub_usage(&cmd_persona_entry, argv[0]);
	}
	if ((v = personas_parse(p.body, NULL, &cause)) == NULL) {
		json_decref(p.body);
		cli_error("persona create: %s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (persona_open(&p) != 0) {
		json_decref(p.body);
		json_decref(v);
		return EXIT_FAIL;
	}
	rc = personas_put(p.db, v, 1, "user", &cause);
	if (rc == PERSONAS_EXISTS)
		xasprintf(&cause, "a persona named %s exists", p.name);
	if (rc != 0) {
		json_decref(v);
		return persona_close(&p, EXIT_FAIL, cause);
	}
	if (p.json)
		oxjson_print(stdout, v, 1);
	else
		printf("persona %s created\n", persona_s(v, "name"));
	json_decref(v);
	return persona_close(&p, EXIT_OK, NULL);
}

static int
cmd_persona_delete(int argc, char **argv)
{
	struct persona_cmd p;
	char *cause = NULL;
	int rc;

	if ((rc = persona_begin(argc, argv, 1, &p)) != 0)
		return rc;
	rc = personas_delete(p.db, p.name, "user", &cause);
	if (rc == PERSONAS_UNKNOWN)
		xasprintf(&cause, "no persona '%.64s'", p.name);
	else if (rc == PERSONAS_BUILTIN)
		xasprintf(&cause,
		    "%s is shipped with Oxios and has no edits to delete",
		    p.name);
	if (rc != 0)
		return persona_close(&p, EXIT_FAIL, cause);
	if (p.json)
		printf("{\"deleted\": \"%s\"}\n", p.name);
	else
		printf("persona %s deleted\n", p.name);
	return persona_close(&p, EXIT_OK, NULL);
}

static const struct cmd_sub cmd_persona_subs[] = {
	{
	    .name = "list",
	    .usage = "[--json]",
	    .summary = "every persona (* the default)",
	    .flags = CMD_DEFAULT,
	    .exec = cmd_persona_list,
	},
	{
	    .name = "show",
	    .usage = "[NAME] [--session ID] [--json]",
	    .summary = "a persona: its role, model, tools, traits and "
		       "prompt (the default, or the session's active one)",
	    .exec = cmd_persona_show,
	},
	{
	    .name = "use",
	    .usage = "NAME [--session ID] [--json]",
	    .summary = "make NAME the default persona, or the session's",
	    .exec = cmd_persona_use,
	},
	{
	    .name = "create",
	    .usage = "NAME --prompt TEXT [--role R] [--description D] "
		     "[--model PROVIDER/MODEL] [--tool T]... [--trait T]... "
		     "[--template T] [--json]",
	    .summary = "a custom persona (--tool: the tools it may be "
		       "offered; none given: all)",
	    .exec = cmd_persona_create,
	},
	{
	    .name = "delete",
	    .usage = "NAME [--json]",
	    .summary = "delete a custom persona, or a shipped one's edits",
	    .exec = cmd_persona_delete,
	},
	{ .name = NULL },
};

const struct cmd_entry cmd_persona_entry = {
	.name = "persona",
	.summary = "List, show, choose and create personas (--persona NAME).",
	.help =
	    "A persona is who an agent is told to be: a system prompt and a\n"
	    "role, optionally a model (used when the run names none) and a\n"
	    "tools allow-list.  Oxios ships Dev (the default), Review and\n"
	    "Research.  A run takes --persona NAME, else its session's\n"
	    "persona, else the default; in oxios chat, /persona NAME.\n"
	    "--template T gives the persona's runs capability template T\n"
	    "(oxios permissions templates) when their agent profile has no\n"
	    "permissions of its own (else security.default_template).\n",
	.words = "--json --session --prompt --role --description --model "
		 "--tool --trait --template",
	.subs = cmd_persona_subs,
};
