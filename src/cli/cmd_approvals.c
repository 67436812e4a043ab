/*
 * cmd_approvals.c — oxios approvals [list|approve|reject|rules|
 * revoke-rule]: the tool calls that wait for a human and the allow rules
 * (kernel/approvals.h), on the home's database directly (actor "user"):
 * a waiting agent of the daemon sees an answer at its next re-read.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/home.h"
#include "kernel/approvals.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/json.h"
#include "util/time.h"
#include "util/xalloc.h"

struct approvals_cmd {
	struct config *cfg;
	sqlite3 *db;
	int json, all, always;
	const char *id;     /* the one argument, or NULL */
	const char *reason; /* reject --reason, or NULL */
	char **args;        /* the arguments */
};

/*
 * The options of subcommand argv[0] (`flags` lists the ones it takes:
 * "j" --json, "a" --all, "A" --always, "r" --reason) and exactly its
 * `nargs` arguments (the first taken as the id).  0, or -1 (told).
 */
static int
approvals_parse(int argc, char **argv, const char *flags, int nargs,
    struct approvals_cmd *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "always", no_argument, NULL, 'A' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c, li;

	memset(a, 0, sizeof *a);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
		if (c == '?' || strchr(flags, c) == NULL) {
			if (c == '?')
				cli_error("approvals %s: unknown option '%s'",
				    argv[0], argv[optind - 1]);
			else
				cli_error("approvals %s: unknown option '--%s'",
				    argv[0], longopts[li].name);
			return -1;
		}
		if (c == 'j')
			a->json = 1;
		else if (c == 'a')
			a->all = 1;
		else if (c == 'r')
			a->reason = optarg;
		else
			a->always = 1;
	}
	if (argc - optind != nargs) {
		cli_error(nargs == 0 ? "approvals %s: takes no argument" :
			nargs == 1   ? "approvals %s: name one id" :
				       "approvals %s: takes %d arguments",
		    argv[0], nargs);
		return -1;
	}
	a->id = nargs > 0 ? argv[optind] : NULL;
	a->args = argv + optind;
	return 0;
}

/* Load the configuration and open the database.  0, or -1 (told). */
static int
approvals_open(struct approvals_cmd *a)
{
	if (cli_db_open(&a->cfg, &a->db) != 0)
		return -1;
	return 0;
}

/* Close what approvals_open() opened; tell `cause` (freed).  Returns rc. */
static int
approvals_close(struct approvals_cmd *a, int rc, char *cause)
{
	if (cause != NULL)
		cli_error("%s", cause);
	free(cause);
	cli_db_close(a->cfg);
	return rc;
}

static int
cmd_approvals_list(int argc, char **argv)
{
	struct approvals_cmd a;
	char *cause = NULL, at[40];
	json_t *v, *row;
	size_t i;
	int64_t left;

	if (approvals_parse(argc, argv, "ja", 0, &a) != 0)
		return cli_sub_usage(&cmd_approvals_entry, argv[0]);
	if (approvals_open(&a) != 0)
		return EXIT_FAIL;
	if ((v = approvals_list(a.db, a.all, 1000, &cause)) == NULL)
		return approvals_close(&a, EXIT_FAIL, cause);
	if (a.json)
		oxjson_print(stdout, v, 1);
	else if (json_array_size(v) == 0)
		printf(a.all ? "no approvals yet\n" :
			       "no tool call waits for an approval\n");
	json_array_foreach(a.json ? NULL : v, i, row) {
		const char *st =
		    json_string_value(json_object_get(row, "state"));

		left = json_integer_value(json_object_get(row, "expires_at")) -
		    time_wall_ms();
		if (strcmp(st, "pending") == 0)
			snprintf(at, sizeof at, "%llds left",
			    (long long)(left > 0 ? left / 1000 : 0));
		else
			snprintf(at, sizeof at, "%s", st);
		printf("%s  %-9s %s (%s): %s\n    why: %s\n",
		    json_string_value(json_object_get(row, "id")), at,
		    json_string_value(json_object_get(row, "tool")),
		    json_string_value(json_object_get(row, "principal")),
		    json_string_value(json_object_get(row, "summary")),
		    json_string_value(json_object_get(row, "reason")));
	}
	json_decref(v);
	return approvals_close(&a, EXIT_OK, NULL);
}

static int
approvals_answer_cmd(int argc, char **argv, int approve)
{
	struct approvals_cmd a;
	char *cause = NULL;
	json_t *v = NULL;
	int rc;

	if (approvals_parse(argc, argv, approve ? "jA" : "jr", 1, &a) != 0)
		return cli_sub_usage(&cmd_approvals_entry, argv[0]);
	if (approvals_open(&a) != 0)
		return EXIT_FAIL;
	rc = approve ?
	    approvals_answer(a.db, a.id, 1, a.always ? "always" : "once",
		"user", &v, &cause) :
	    approvals_reject(a.db, a.id, "user", a.reason, &v, &cause);
	if (rc != 0)
		return approvals_close(&a,
		    rc == APPROVALS_BAD ? EXIT_USAGE : EXIT_FAIL, cause);
	if (a.json)
		oxjson_print(stdout, v, 1);
	else if (!approve)
		printf("rejected %s\n", a.id);
	else if (json_integer_value(json_object_get(v, "rule_id")) > 0)
		printf("approved %s; allow rule %lld added (oxios approvals "
		       "revoke-rule %lld removes it)\n",
		    a.id,
		    (long long)json_integer_value(
			json_object_get(v, "rule_id")),
		    (long long)json_integer_value(
			json_object_get(v, "rule_id")));
	else
		printf("approved %s (once)\n", a.id);
	json_decref(v);
	return approvals_close(&a, EXIT_OK, NULL);
}

static int
cmd_approvals_approve(int argc, char **argv)
{
	return approvals_answer_cmd(argc, argv, 1);
}

static int
cmd_approvals_reject(int argc, char **argv)
{
	return approvals_answer_cmd(argc, argv, 0);
}

static int
cmd_approvals_rules(int argc, char **argv)
{
	struct approvals_cmd a;
	char *cause = NULL;
	json_t *v, *row;
	size_t i;

	if (approvals_parse(argc, argv, "ja", 0, &a) != 0)
		return cli_sub_usage(&cmd_approvals_entry, argv[0]);
	if (approvals_open(&a) != 0)
		return EXIT_FAIL;
	if ((v = approvals_rules(a.db, a.all, &cause)) == NULL)
		return approvals_close(&a, EXIT_FAIL, cause);
	if (a.json)
		oxjson_print(stdout, v, 1);
	else if (json_array_size(v) == 0)
		printf("no allow rules\n");
	json_array_foreach(a.json ? NULL : v, i, row)
		printf("%lld  %s (%s)%s: %s\n",
		    (long long)json_integer_value(json_object_get(row, "id")),
		    json_string_value(json_object_get(row, "tool")),
		    json_string_value(json_object_get(row, "principal")),
		    json_is_null(json_object_get(row, "revoked_at")) ?
			"" :
			" [revoked]",
		    json_string_value(json_object_get(row, "match")));
	json_decref(v);
	return approvals_close(&a, EXIT_OK, NULL);
}

static int
cmd_approvals_revoke(int argc, char **argv)
{
	struct approvals_cmd a;
	char *cause = NULL, *end = NULL;
	long long id;

	if (approvals_parse(argc, argv, "", 1, &a) != 0)
		return cli_sub_usage(&cmd_approvals_entry, argv[0]);
	id = strtoll(a.id, &end, 10);
	if (*a.id == '\0' || *end != '\0' || id <= 0) {
		cli_error("approvals revoke-rule: '%s' is not a rule id "
			  "(oxios approvals rules lists them)",
		    a.id);
		return EXIT_USAGE;
	}
	if (approvals_open(&a) != 0)
		return EXIT_FAIL;
	if (approvals_rule_revoke(a.db, id, "user", &cause) != 0)
		return approvals_close(&a, EXIT_FAIL, cause);
	printf("revoked rule %lld\n", id);
	return approvals_close(&a, EXIT_OK, NULL);
}

static int
cmd_approvals_allow(int argc, char **argv)
{
	struct approvals_cmd a;
	char *cause = NULL;
	json_error_t err;
	json_t *args;
	int64_t id;

	if (approvals_parse(argc, argv, "", 3, &a) != 0)
		return cli_sub_usage(&cmd_approvals_entry, argv[0]);
	if ((args = json_loads(a.args[2], 0, &err)) == NULL ||
	    !json_is_object(args)) {
		cli_error("approvals allow: the arguments are a JSON object, "
			  "as the tool takes them (%s)",
		    args == NULL ? err.text : "not an object");
		json_decref(args);
		return EXIT_USAGE;
	}
	if (approvals_open(&a) != 0) {
		json_decref(args);
		return EXIT_FAIL;
	}
	id = approvals_rule_add(a.db, a.args[0], a.args[1], args, "user",
	    &cause);
	json_decref(args);
	if (id < 0)
		return approvals_close(&a,
		    id == APPROVALS_BAD ? EXIT_USAGE : EXIT_FAIL, cause);
	printf("allow rule %lld added: %s's %s with these arguments runs "
	       "without asking (oxios approvals revoke-rule %lld removes it)\n",
	    (long long)id, a.args[0], a.args[1], (long long)id);
	return approvals_close(&a, EXIT_OK, NULL);
}

static const struct cmd_sub cmd_approvals_subs[] = {
	{
	    .name = "list",
	    .usage = "[--all] [--json]",
	    .summary = "the tool calls waiting for an answer (--all: every "
		       "approval, newest first) (the default)",
	    .flags = CMD_DEFAULT,
	    .exec = cmd_approvals_list,
	},
	{
	    .name = "approve",
	    .usage = "ID [--always] [--json]",
	    .summary = "let a waiting call run; --always also adds an allow "
		       "rule for the same call",
	    .exec = cmd_approvals_approve,
	},
	{
	    .name = "reject",
	    .usage = "ID [--reason TEXT] [--json]",
	    .summary = "refuse a waiting call (the model gets a tool error, "
		       "with the reason when one is given)",
	    .exec = cmd_approvals_reject,
	},
	{
	    .name = "rules",
	    .usage = "[--all] [--json]",
	    .summary = "the allow rules (--all: revoked ones too)",
	    .exec = cmd_approvals_rules,
	},
	{
	    .name = "allow",
	    .usage = "PROFILE TOOL ARGS-JSON",
	    .summary = "make an allow rule without a waiting call (for runs "
		       "nobody can answer: cron, oxios run): the profile's "
		       "calls of TOOL with exactly these arguments run without "
		       "asking",
	    .exec = cmd_approvals_allow,
	},
	{
	    .name = "revoke-rule",
	    .usage = "ID",
	    .summary = "revoke an allow rule",
	    .exec = cmd_approvals_revoke,
	},
	{ .name = NULL },
};

const struct cmd_entry cmd_approvals_entry = {
	.name = "approvals",
	.summary = "Answer the tool calls that wait for a human; the allow "
		   "rules.",
	.help =
	    "A tool call waits for a human when security.approval or its\n"
	    "tool's policy (security.tools.NAME.approval) says so, or when\n"
	    "the deny list flags it (docs/security.md, \"Human approvals\").\n"
	    "It is denied after security.approval_timeout_secs.  An answer\n"
	    "here reaches a waiting agent of the daemon within half a\n"
	    "second.  \"approve --always\" adds an allow rule: the same call\n"
	    "(tool, agent profile and arguments, exactly) then runs without\n"
	    "asking, until the rule is revoked.  \"allow PROFILE TOOL ARGS\"\n"
	    "makes such a rule without a waiting call, e.g.\n"
	    "  oxios approvals allow default exec "
	    "'{\"binary\":\"git\",\"args\":[\"push\"]}'\n",
	.words = "--json --all --always",
	.subs = cmd_approvals_subs,
};
