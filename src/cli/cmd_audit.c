/*
 * cmd_audit.c — oxios audit: list, show, verify, prove, export, head,
 * flush (the table at the end).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/home.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/json.h"

struct audit_opts {
	long limit;
	long long after, from;
	const char *action, *actor, *file, *key;
	int json;
};

static int
audit_parse(int argc, char **argv, struct audit_opts *o)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "after", required_argument, NULL, 'a' },
		{ "from", required_argument, NULL, 'F' },
		{ "action", required_argument, NULL, 'A' },
		{ "actor", required_argument, NULL, 'X' },
		{ "file", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof *o);
	o->limit = 100;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:j", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->limit = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || o->limit < 1) {
				cli_error("--limit: a positive number");
				return -1;
			}
			break;
		case 'a':
		case 'F':
			errno = 0;
			if (c == 'a')
				o->after = strtoll(optarg, &end, 10);
			else
				o->from = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    (c == 'a' ? o->after : o->from) < 0) {
				cli_error("--%s: a number",
				    c == 'a' ? "after" : "from");
				return -1;
			}
			break;
		case 'A':
			if (audit_action_parse(optarg) < 0) {
				cli_error("--action: unknown action '%s' (see: "
					  "oxios help audit)",
				    optarg);
				return -1;
			}
			o->action = optarg;
			break;
		case 'X':
			o->actor = optarg;
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static long long
audit_seq(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1) {
		cli_error("'%s' is not an entry number", s);
		return -1;
	}
	return v;
}

static void
audit_print(const json_t *e)
{
	char *d = json_dumps(json_object_get(e, "detail"), JSON_COMPACT);

	printf("%6lld  %s  %-13s %-24s %s %s\n",
	    (long long)json_integer_value(json_object_get(e, "seq")),
	    json_string_value(json_object_get(e, "time")),
	    json_string_value(json_object_get(e, "action")),
	    json_string_value(json_object_get(e, "actor")),
	    json_string_value(json_object_get(e, "resource")),
	    d != NULL ? d : "");
	free(d);
}

/* Print a verification report; the exit code. */
static int
audit_report(json_t *r, int json)
{
	int ok = json_is_true(json_object_get(r, "ok"));

	if (json)
		oxjson_print(stdout, r, 1);
	else if (ok)
		printf("ok: %lld entries and %lld signed heads check\n",
		    (long long)json_integer_value(
			json_object_get(r, "entries")),
		    (long long)json_integer_value(json_object_get(r, "heads")));
	else
		printf("TAMPERED: %s\n",
		    json_string_value(json_object_get(r, "problem")));
	return ok ? EXIT_OK : EXIT_FAIL;
}

/*
 * What a subcommand works with: its options, its arguments, and (after
 * audit_cmd_open()) the database with the audit log on it.
 */
struct audit_cmd {
	struct audit_opts o;
	int argc; /* the arguments left after the options */
	char **argv;
	struct config *cfg;
	sqlite3 *db;
};

/*
 * Parse the options of subcommand argv[0] and check that `n` arguments
 * are left.  EXIT_OK, or the exit code (a usage error was told).
 */
static int
audit_args(int argc, char **argv, int n, struct audit_cmd *a)
{
	memset(a, 0, sizeof *a);
	if (audit_parse(argc, argv, &a->o) != 0)
		return EXIT_USAGE;
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->argc != n)
		return cli_sub_usage(&cmd_audit_entry, argv[0]);
	return EXIT_OK;
}

/* Load the configuration, open the database and the log.  EXIT_OK
 * (audit_cmd_close() it), or EXIT_FAIL with the error told. */
static int
audit_cmd_open(struct audit_cmd *a)
{
	char *path, *cause = NULL;
	int rc = EXIT_FAIL;

	if ((a->cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	path = home_path("oxios.db");
	if (db_open(path, &a->db, &cause) != 0 ||
	    audit_open(config_bool(a->cfg, "audit.enabled"),
		config_int(a->cfg, "audit.sign_interval_secs"), &cause) != 0) {
		cli_error("%s", cause);
		db_close(a->db);
		config_free(a->cfg);
	} else
		rc = EXIT_OK;
	free(cause);
	free(path);
	return rc;
}

/* Close what audit_cmd_open() opened; tell `cause` (freed), drop `j`.
 * Returns rc. */
static int
audit_cmd_close(struct audit_cmd *a, int rc, json_t *j, char *cause)
{
	if (cause != NULL)
		cli_error("%s", cause);
	free(cause);
	json_decref(j);
	audit_close();
	db_close(a->db);
	config_free(a->cfg);
	return rc;
}

static int
audit_cmd_list(int argc, char **argv)
{
	struct audit_cmd a;
	json_t *j, *e;
	char *cause = NULL;
	size_t i;
	int rc;

	if ((rc = audit_args(argc, argv, 0, &a)) != EXIT_OK ||
	    (rc = audit_cmd_open(&a)) != EXIT_OK)
		return rc;
	if ((j = audit_list(a.db, a.o.after, a.o.limit, a.o.action, a.o.actor,
		 NULL, &cause)) != NULL) {
		if (a.o.json)
			oxjson_print(stdout, j, 1);
		else
			json_array_foreach(j, i, e)
				audit_print(e);
	}
	return audit_cmd_close(&a, j != NULL ? EXIT_OK : EXIT_FAIL, j, cause);
}

/* show SEQ and prove SEQ. */
static int
audit_cmd_entry(int argc, char **argv)
{
	struct audit_cmd a;
	json_t *j;
	char *cause = NULL;
	long long seq;
	int rc, show = strcmp(argv[0], "show") == 0;

	if ((rc = audit_args(argc, argv, 1, &a)) != EXIT_OK)
		return rc;
	if ((seq = audit_seq(a.argv[0])) < 0)
		return EXIT_USAGE;
	if ((rc = audit_cmd_open(&a)) != EXIT_OK)
		return rc;
	j = show ? audit_get(a.db, seq, &cause) :
		   audit_prove(a.db, seq, a.o.from, &cause);
	if (j != NULL)
		oxjson_print(stdout, j, 1);
	else if (cause == NULL)
		cli_error("no entry %lld", seq);
	return audit_cmd_close(&a, j != NULL ? EXIT_OK : EXIT_FAIL, j, cause);
}

static int
audit_cmd_verify(int argc, char **argv)
{
	struct audit_cmd a;
	json_t *j;
	char *cause = NULL;
	FILE *f;
	int rc;

	if ((rc = audit_args(argc, argv, 0, &a)) != EXIT_OK ||
	    (rc = audit_cmd_open(&a)) != EXIT_OK)
		return rc;
	if (a.o.file != NULL) {
		if (strcmp(a.o.file, "-") == 0)
			f = stdin;
		else if ((f = fopen(a.o.file, "r")) == NULL) {
			cli_error("%s: %s", a.o.file, strerror(errno));
			return audit_cmd_close(&a, EXIT_FAIL, NULL, NULL);
		}
		j = audit_verify_file(f, a.o.key, &cause);
		if (f != stdin)
			fclose(f);
	} else
		j = audit_verify(a.db, &cause);
	rc = j != NULL ? audit_report(j, a.o.json) : EXIT_FAIL;
	return audit_cmd_close(&a, rc, j, cause);
}

static int
audit_cmd_export(int argc, char **argv)
{
	struct audit_cmd a;
	json_t *j;
	char *cause = NULL;
	FILE *f;
	int rc;

	if ((rc = audit_args(argc, argv, 1, &a)) != EXIT_OK ||
	    (rc = audit_cmd_open(&a)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if (strcmp(a.argv[0], "-") == 0)
		f = stdout;
	else if ((f = fopen(a.argv[0], "w")) == NULL) {
		cli_error("%s: %s", a.argv[0], strerror(errno));
		return audit_cmd_close(&a, EXIT_FAIL, NULL, NULL);
	}
	/* Sign a head for what is exported (none needed for an empty
	 * log). */
	if ((j = audit_flush(a.db, &cause)) != NULL || cause == NULL) {
		json_decref(j);
		j = NULL;
		free(cause);
		cause = NULL;
		if (audit_export(a.db, f, &cause) == 0)
			rc = EXIT_OK;
	}
	if (f != stdout && fclose(f) != 0 && rc == EXIT_OK) {
		cli_error("%s: %s", a.argv[0], strerror(errno));
		rc = EXIT_FAIL;
	}
	return audit_cmd_close(&a, rc, j, cause);
}

/* head and flush. */
static int
audit_cmd_head(int argc, char **argv)
{
	struct audit_cmd a;
	json_t *j;
	char *cause = NULL;
	int rc, head = strcmp(argv[0], "head") == 0;

	if ((rc = audit_args(argc, argv, 0, &a)) != EXIT_OK ||
	    (rc = audit_cmd_open(&a)) != EXIT_OK)
		return rc;
	j = head ? audit_head(a.db, &cause) : audit_flush(a.db, &cause);
	if (j != NULL)
		oxjson_print(stdout, j, 1);
	else if (cause == NULL)
		cli_error("no signed head yet (oxios audit flush makes one)");
	return audit_cmd_close(&a, j != NULL ? EXIT_OK : EXIT_FAIL, j, cause);
}

static const struct cmd_sub cmd_audit_subs[] = {
	{
	    .name = "list",
	    .usage = "[--limit N] [--after SEQ] [--action A] [--actor X] "
		     "[--json]",
	    .summary = "entries, oldest first (the default)",
	    .flags = CMD_DEFAULT,
	    .exec = audit_cmd_list,
	},
	{
	    .name = "show",
	    .usage = "SEQ",
	    .summary = "one entry with its hash",
	    .exec = audit_cmd_entry,
	},
	{
	    .name = "verify",
	    .usage = "[--file F] [--key HEX] [--json]",
	    .summary = "recompute every hash, root and signature; exit 0 only "
		       "if all check, else 1 naming the first bad entry or "
		       "head.  --file checks an export offline, against --key "
		       "(the public key) or the key of its heads",
	    .exec = audit_cmd_verify,
	},
	{
	    .name = "prove",
	    .usage = "SEQ [--from SIZE]",
	    .summary = "the inclusion proof of an entry in the newest signed "
		       "head (and the consistency proof from an older size)",
	    .exec = audit_cmd_entry,
	},
	{
	    .name = "export",
	    .usage = "FILE",
	    .summary = "entries and heads as JSON lines (- for stdout)",
	    .exec = audit_cmd_export,
	},
	{
	    .name = "head",
	    .usage = "",
	    .summary = "the newest signed tree head",
	    .exec = audit_cmd_head,
	},
	{
	    .name = "flush",
	    .usage = "",
	    .summary = "sign a head for the log as it is now",
	    .exec = audit_cmd_head,
	},
	{ .name = NULL },
};

const struct cmd_entry cmd_audit_entry = {
	.name = "audit",
	.summary = "The tamper-evident record of what agents and people did.",
	.help = "Actions: agent_spawn, agent_exit, tool_call, tool_result,\n"
		"memory_write, config_change, access_denied, approval,\n"
		"cron_trigger, git_commit, auth, file_write, other.\n",
	.words = "--limit --after --action --actor --json --file --key --from",
	.subs = cmd_audit_subs,
};
