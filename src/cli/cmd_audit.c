/*
 * cmd_audit.c — oxios audit: list, show, verify, prove, export, head,
 * flush.
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

static int cmd_audit(int, char **);

const struct cmd_entry cmd_audit_entry = {
	.name = "audit",
	.usage = "[list|show SEQ|verify|prove SEQ|export FILE|head|flush] ...",
	.summary = "The tamper-evident record of what agents and people did.",
	.help =
	    "  list [--limit N] [--after SEQ] [--action A] [--actor X]\n"
	    "       [--json]        entries, oldest first (the default)\n"
	    "  show SEQ             one entry with its hash\n"
	    "  verify [--file F] [--key HEX]\n"
	    "                       recompute every hash, root and signature;\n"
	    "                       exit 0 only if all check, else 1 naming\n"
	    "                       the first bad entry or head.  --file checks\n"
	    "                       an export offline, against --key (the\n"
	    "                       public key) or the key of its heads\n"
	    "  prove SEQ [--from SIZE]\n"
	    "                       the inclusion proof of an entry in the\n"
	    "                       newest signed head (and the consistency\n"
	    "                       proof from an older size)\n"
	    "  export FILE          entries and heads as JSON lines (- for\n"
	    "                       stdout)\n"
	    "  head                 the newest signed tree head\n"
	    "  flush                sign a head for the log as it is now\n"
	    "\n"
	    "Actions: agent_spawn, agent_exit, tool_call, tool_result,\n"
	    "memory_write, config_change, access_denied, approval,\n"
	    "cron_trigger, git_commit, auth, other.\n",
	.words = "list show verify prove export head flush --limit --after "
		 "--action --actor --json --file --key --from",
	.exec = cmd_audit,
};

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

static int
audit_run(const char *sub, int argc, char **argv, sqlite3 *db)
{
	struct audit_opts o;
	json_t *j = NULL, *e;
	char *cause = NULL;
	long long seq;
	size_t i;
	FILE *f;
	int rc = EXIT_FAIL;

	if (audit_parse(argc, argv, &o) != 0)
		return EXIT_USAGE;
	argc -= optind;
	argv += optind;
	if (strcmp(sub, "list") == 0) {
		if (argc != 0)
			return cli_usage(&cmd_audit_entry);
		if ((j = audit_list(db, o.after, o.limit, o.action, o.actor,
			 NULL, &cause)) != NULL) {
			if (o.json)
				oxjson_print(stdout, j, 1);
			else
				json_array_foreach(j, i, e)
					audit_print(e);
			rc = EXIT_OK;
		}
	} else if (strcmp(sub, "show") == 0 || strcmp(sub, "prove") == 0) {
		if (argc != 1)
			return cli_usage(&cmd_audit_entry);
		if ((seq = audit_seq(argv[0])) < 0)
			return EXIT_USAGE;
		j = strcmp(sub, "show") == 0 ?
		    audit_get(db, seq, &cause) :
		    audit_prove(db, seq, o.from, &cause);
		if (j != NULL) {
			oxjson_print(stdout, j, 1);
			rc = EXIT_OK;
		} else if (cause == NULL)
			cli_error("no entry %lld", seq);
	} else if (strcmp(sub, "verify") == 0) {
		if (argc != 0)
			return cli_usage(&cmd_audit_entry);
		if (o.file != NULL) {
			if (strcmp(o.file, "-") == 0)
				f = stdin;
			else if ((f = fopen(o.file, "r")) == NULL) {
				cli_error("%s: %s", o.file, strerror(errno));
				return EXIT_FAIL;
			}
			j = audit_verify_file(f, o.key, &cause);
			if (f != stdin)
				fclose(f);
		} else
			j = audit_verify(db, &cause);
		if (j != NULL)
			rc = audit_report(j, o.json);
	} else if (strcmp(sub, "export") == 0) {
		if (argc != 1)
			return cli_usage(&cmd_audit_entry);
		if (strcmp(argv[0], "-") == 0)
			f = stdout;
		else if ((f = fopen(argv[0], "w")) == NULL) {
			cli_error("%s: %s", argv[0], strerror(errno));
			return EXIT_FAIL;
		}
		if ((j = audit_flush(db, &cause)) != NULL || cause == NULL) {
			json_decref(j);
			j = NULL;
			free(cause);
			cause = NULL;
			if (audit_export(db, f, &cause) == 0)
				rc = EXIT_OK;
		}
		if (f != stdout && fclose(f) != 0 && rc == EXIT_OK) {
			cli_error("%s: %s", argv[0], strerror(errno));
			rc = EXIT_FAIL;
		}
	} else if (strcmp(sub, "head") == 0 || strcmp(sub, "flush") == 0) {
		if (argc != 0)
			return cli_usage(&cmd_audit_entry);
		j = strcmp(sub, "head") == 0 ? audit_head(db, &cause) :
					       audit_flush(db, &cause);
		if (j != NULL) {
			oxjson_print(stdout, j, 1);
			rc = EXIT_OK;
		} else if (cause == NULL)
			cli_error("no signed head yet (oxios audit flush "
				  "makes one)");
	} else {
		cli_error("unknown audit command '%s' (see: oxios help audit)",
		    sub);
		return EXIT_USAGE;
	}
	if (cause != NULL)
		cli_error("%s", cause);
	free(cause);
	json_decref(j);
	return rc;
}

static int
cmd_audit(int argc, char **argv)
{
	struct config *cfg;
	sqlite3 *db = NULL;
	char *path, *cause = NULL;
	int rc = EXIT_FAIL;

	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	path = home_path("oxios.db");
	if (db_open(path, &db, &cause) != 0 ||
	    audit_open(config_bool(cfg, "audit.enabled"),
		config_int(cfg, "audit.sign_interval_secs"), &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	if (argc < 2) {
		char *list[] = { (char *)"list", NULL };

		rc = audit_run("list", 1, list, db);
	} else
		rc = audit_run(argv[1], argc - 1, argv + 1, db);
	audit_close();
out:
	free(cause);
	free(path);
	db_close(db);
	config_free(cfg);
	return rc;
}
