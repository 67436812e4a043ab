/*
 * cmd_usage.c — oxios usage [--by DIM] [--since WHEN] [--agent ID]
 * [--session ID] [--json]: where the tokens and the money went, the LLM
 * calls grouped by Ouroboros phase (the default), model, principal, class, kind or day
 * (kernel/usage.h), read from the home's database like `oxios budget`.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/home.h"
#include "kernel/usage.h"
#include "store/db.h"
#include "util/json.h"
#include "util/time.h"
#include "util/uuid.h"

struct usage_cmd {
	const char *by;
	const char *since;        /* as given, or NULL */
	const char *agent;        /* or NULL */
	const char *session;      /* or NULL */
	char at[USAGE_SINCE_MAX]; /* since, as the report takes it */
	int json;
};

/* The options; 0, or -1 (told). */
static int
usage_parse(int argc, char **argv, struct usage_cmd *u)
{
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "since", required_argument, NULL, 's' },
		{ "agent", required_argument, NULL, 'a' },
		{ "session", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char *cause = NULL;
	int c;

	memset(u, 0, sizeof *u);
	u->by = USAGE_DEFAULT_BY;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			u->by = optarg;
			break;
		case 's':
			u->since = optarg;
			break;
		case 'a':
			u->agent = optarg;
			break;
		case 'S':
			u->session = optarg;
			break;
		case 'j':
			u->json = 1;
			break;
		default:
			cli_error("usage: unknown or incomplete option '%s'",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc) {
		cli_error("usage: too many arguments ('%s')", argv[optind]);
		return -1;
	}
	if (!usage_dim_ok(u->by)) {
		cli_error("usage: --by is one of %s, not '%s'", usage_dims(),
		    u->by);
		return -1;
	}
	if (u->since != NULL &&
	    usage_since_parse(u->since, time_wall_ms(), u->at, sizeof u->at,
		&cause) != 0) {
		cli_error("usage: --%s", cause);
		free(cause);
		return -1;
	}
	if (u->agent != NULL && !uuid_valid(u->agent)) {
		cli_error("usage: --agent wants an agent id (a UUID, as oxios "
			  "run prints it), not '%s'",
		    u->agent);
		return -1;
	}
	if (u->session != NULL && !uuid_valid(u->session)) {
		cli_error("usage: --session wants a session id (a UUID, as "
			  "oxios run prints it), not '%s'",
		    u->session);
		return -1;
	}
	return 0;
}

/* The cost column: "-" unknown, "$X", "~$X (n unpriced)" partial. */
static const char *
usage_cost(char *buf, size_t size, const json_t *row)
{
	const json_t *c = json_object_get(row, "cost_usd");
	long long n =
	    json_integer_value(json_object_get(row, "unpriced_calls"));

	if (json_is_null(c))
		snprintf(buf, size, "-");
	else if (n > 0)
		snprintf(buf, size, "~$%.4f (%lld unpriced)",
		    json_number_value(c), n);
	else
		snprintf(buf, size, "$%.4f", json_number_value(c));
	return buf;
}

static long long
usage_int(const json_t *row, const char *name)
{
	return (long long)json_integer_value(json_object_get(row, name));
}

/* One aligned line of the table; the key column is `w` wide. */
static void
usage_line(int w, const json_t *row)
{
	char cost[64];

	printf("%-*s %8lld %7lld %12lld %12lld %12lld %12lld  %s\n", w,
	    json_string_value(json_object_get(row, "key")),
	    usage_int(row, "calls"), usage_int(row, "errors"),
	    usage_int(row, "input_tokens"), usage_int(row, "output_tokens"),
	    usage_int(row, "cache_read_tokens"),
	    usage_int(row, "cache_write_tokens"),
	    usage_cost(cost, sizeof cost, row));
}

static void
usage_table(const struct usage_cmd *u, const json_t *v)
{
	const json_t *rows = json_object_get(v, "rows"), *row;
	size_t i, w = strlen(u->by) > 5 ? strlen(u->by) : 5;

	if (json_array_size(rows) == 0) {
		printf("no LLM calls recorded%s%s%s\n",
		    u->since != NULL ? " since " : "",
		    u->since != NULL ? u->at : "",
		    u->agent != NULL       ? " for that agent" :
			u->session != NULL ? " in that session" :
					     "");
		return;
	}
	json_array_foreach(rows, i, row) {
		const char *k = json_string_value(json_object_get(row, "key"));

		if (strlen(k) > w)
			w = strlen(k);
	}
	if (w > 64)
		w = 64;
	printf("%-*s %8s %7s %12s %12s %12s %12s  %s\n", (int)w, u->by, "CALLS",
	    "ERRORS", "INPUT", "OUTPUT", "CACHE_READ", "CACHE_WRITE",
	    "COST_USD");
	json_array_foreach(rows, i, row)
		usage_line((int)w, row);
	usage_line((int)w, json_object_get(v, "total"));
}

static int
cmd_usage_exec(int argc, char **argv)
{
	struct usage_cmd u;
	struct usage_report rep;
	struct config *cfg;
	struct usage_filter f;
	char *path, *cause = NULL;
	sqlite3 *db;
	json_t *v;
	int rc = EXIT_FAIL;

	if (usage_parse(argc, argv, &u) != 0)
		return cli_usage(&cmd_usage_entry);
	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	path = home_path("oxios.db");
	if (db_init(path, &cause) != 0 || (db = db_get()) == NULL)
		goto out;
	f.since = u.since != NULL ? u.at : NULL;
	f.agent_id = u.agent;
	f.session_id = u.session;
	if (usage_report(db, u.by, &f, &rep, &cause) != 0)
		goto out;
	v = usage_report_json(&rep, u.by, &f);
	usage_report_free(&rep);
	if (u.json)
		oxjson_print(stdout, v, 1);
	else
		usage_table(&u, v);
	json_decref(v);
	rc = EXIT_OK;
out:
	if (rc != EXIT_OK)
		cli_error("%s", cause != NULL ? cause : "no database");
	free(cause);
	free(path);
	db_shutdown();
	config_free(cfg);
	return rc;
}

const struct cmd_entry cmd_usage_entry = {
	.name = "usage",
	.usage = "[--by phase|model|principal|class|kind|day] [--since WHEN] "
		 "[--agent ID] [--session ID] [--json]",
	.summary = "Show where the tokens and the money went, by phase, "
		   "model, ...",
	.help =
	    "Every LLM call Oxios made, grouped by one dimension (--by): the\n"
	    "Ouroboros phase it served (the default: triage, interview, seed,\n"
	    "execute, evaluate, evolve, chat, dream, embedding), the model\n"
	    "(provider/model), the principal (--agent NAME of a run), the\n"
	    "priority class, the kind (chat or embedding) or the UTC day.\n"
	    "--since takes a time back (90m, 24h, 7d, 2w) or an RFC 3339\n"
	    "date or time (2026-12-01, 2026-12-01T10:00:00Z; UTC without a\n"
	    "zone); --agent one agent's id; --session one session's (a chat,\n"
	    "or a protocol run with every generation and sub-agent).\n"
	    "Rows are sorted by\n"
	    "cost, then tokens.  A cost is \"-\" when no call of the row has\n"
	    "a known price, \"~$X (n unpriced)\" when some have none.\n"
	    "GET /api/usage answers the same.  See docs/ouroboros.md.\n",
	.words =
	    "--by --since --agent --session --json phase model principal class "
	    "kind day",
	.exec = cmd_usage_exec,
};
