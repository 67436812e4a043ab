/*
 * cmd_budget.c — oxios budget [list|show|set|unset|reset]: the budgets of
 * agent principals (kernel/budget_agent.h), on the home's database like
 * `oxios memory`: a running daemon sees the change at its next call.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/home.h"
#include "kernel/budget_agent.h"
#include "store/db.h"
#include "util/json.h"
#include "util/time.h"
#include "util/xalloc.h"

struct budget_cmd {
	struct config *cfg;
	sqlite3 *db;
	int json;
	struct budget_agent a; /* set: the limits given */
	int given;             /* set: how many limits were given */
	const char *id;        /* the agent named, or NULL */
};

/*
 * The options and the one argument (an agent, when `want_id`) of
 * subcommand argv[0]; `set` takes the limits.  0, or -1 (told).
 */
static int
budget_parse(int argc, char **argv, int want_id, struct budget_cmd *b)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "tokens", required_argument, NULL, 't' },
		{ "calls", required_argument, NULL, 'c' },
		{ "usd", required_argument, NULL, 'u' },
		{ "window", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int set = strcmp(argv[0], "set") == 0, c, w;
	char *end, *cause = NULL;

	memset(b, 0, sizeof *b);
	b->a.window = BUDGET_LIFETIME;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'j' && c != '?' && !set) {
			cli_error("budget %s: --%s is for set", argv[0],
			    c == 't'     ? "tokens" :
				c == 'c' ? "calls" :
				c == 'u' ? "usd" :
					   "window");
			return -1;
		}
		switch (c) {
		case 'j':
			b->json = 1;
			break;
		case 't':
		case 'c':
			*(c == 't' ? &b->a.tokens : &b->a.calls) =
			    strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    (c == 't' ? b->a.tokens : b->a.calls) < 0 ||
			    (c == 't' ? b->a.tokens : b->a.calls) >
				1000000000000LL) {
				cli_error("budget set: --%s wants a whole "
					  "number (0 for no limit), not '%s'",
				    c == 't' ? "tokens" : "calls", optarg);
				return -1;
			}
			b->given++;
			break;
		case 'u':
			b->a.usd = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' ||
			    !(b->a.usd >= 0 && b->a.usd <= 1e9)) {
				cli_error("budget set: --usd wants an amount "
					  "in USD (0 to 1e9), not '%s'",
				    optarg);
				return -1;
			}
			b->given++;
			break;
		case 'w':
			if ((w = budget_window_parse(optarg)) < 0) {
				cli_error("budget set: --window is day, month "
					  "or lifetime, not '%s'",
				    optarg);
				return -1;
			}
			b->a.window = (enum budget_window)w;
			break;
		default:
			cli_error("budget: unknown or incomplete option '%s'",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (argc - optind != (want_id ? 1 : 0)) {
		cli_error(want_id ? "budget %s: name one agent" :
				    "budget %s: too many arguments",
		    argv[0]);
		return -1;
	}
	if (want_id) {
		b->id = argv[optind];
		if (budget_agent_name_ok(b->id, &cause) != 0) {
			cli_error("budget %s: %s", argv[0], cause);
			free(cause);
			return -1;
		}
		snprintf(b->a.principal, sizeof b->a.principal, "%s", b->id);
	}
	if (set && b->a.tokens == 0 && b->a.calls == 0 && b->a.usd == 0) {
		cli_error("budget set: give at least one limit above 0: "
			  "--tokens, --calls or --usd (to remove them: "
			  "oxios budget unset %s)",
		    b->id);
		return -1;
	}
	return 0;
}

/* Load the configuration and open the database.  0, or -1 (told). */
static int
budget_open(struct budget_cmd *b)
{
	if (cli_db_open(&b->cfg, &b->db) != 0)
		return -1;
	return 0;
}

/* Close what budget_open() opened; tell `cause` (freed).  Returns rc. */
static int
budget_close(struct budget_cmd *b, int rc, char *cause)
{
	if (cause != NULL)
		cli_error("%s", cause);
	free(cause);
	cli_db_close(b->cfg);
	return rc;
}

/* "used / limit" of one kind into buf ("-" for no limit). */
static const char *
budget_cell(char *buf, size_t size, const json_t *used, const json_t *limit,
    int usd)
{
	char u[32], l[32];

	if (usd)
		snprintf(u, sizeof u, "$%.4f", json_number_value(used));
	else
		snprintf(u, sizeof u, "%lld",
		    (long long)json_integer_value(used));
	if (json_number_value(limit) <= 0)
		snprintf(l, sizeof l, "-");
	else if (usd)
		snprintf(l, sizeof l, "$%.4f", json_number_value(limit));
	else
		snprintf(l, sizeof l, "%lld",
		    (long long)json_integer_value(limit));
	snprintf(buf, size, "%s / %s", u, l);
	return buf;
}

/* One agent as a table row: what it used (spent and held) / its limit. */
static void
budget_row(const json_t *a)
{
	const json_t *lim = json_object_get(a, "limits");
	const json_t *sp = json_object_get(a, "spent");
	const json_t *re = json_object_get(a, "reserved");
	json_t *used;
	char t[80], c[80], u[80];
	static const char *const kinds[] = { "tokens", "calls", "usd" };
	int i;

	used = json_object();
	for (i = 0; i < 3; i++) {
		double v = json_number_value(json_object_get(sp, kinds[i])) +
		    json_number_value(json_object_get(re, kinds[i]));

		json_object_set_new(used, kinds[i],
		    i == 2 ? json_real(v) : json_integer((json_int_t)v));
	}
	printf("%-20s %-9s %-24s %-18s %s\n",
	    json_string_value(json_object_get(a, "agent")),
	    json_string_value(json_object_get(a, "window")),
	    budget_cell(t, sizeof t, json_object_get(used, "tokens"),
		json_object_get(lim, "tokens"), 0),
	    budget_cell(c, sizeof c, json_object_get(used, "calls"),
		json_object_get(lim, "calls"), 0),
	    budget_cell(u, sizeof u, json_object_get(used, "usd"),
		json_object_get(lim, "usd"), 1));
	json_decref(used);
}

static void
budget_header(void)
{
	printf("%-20s %-9s %-24s %-18s %s\n", "AGENT", "WINDOW", "TOKENS",
	    "CALLS", "USD");
}

static int
cmd_budget_list(int argc, char **argv)
{
	struct budget_cmd b;
	char *cause = NULL, d[80], m[80];
	json_t *v, *a, *g;
	size_t i;

	if (budget_parse(argc, argv, 0, &b) != 0)
		return cli_sub_usage(&cmd_budget_entry, argv[0]);
	if (budget_open(&b) != 0)
		return EXIT_FAIL;
	if ((v = budget_list_json(b.db, b.cfg, time_wall_ms(), &cause)) == NULL)
		return budget_close(&b, EXIT_FAIL, cause);
	if (b.json)
		oxjson_print(stdout, v, 1);
	else {
		if (json_array_size(json_object_get(v, "agents")) == 0)
			printf("no agent has spent or has limits yet\n");
		else
			budget_header();
		json_array_foreach(json_object_get(v, "agents"), i, a)
			budget_row(a);
		g = json_object_get(v, "global");
		printf("\nglobal: today (UTC) %s, this month (UTC) %s\n",
		    budget_cell(d, sizeof d,
			json_object_get(json_object_get(json_object_get(g,
							    "daily"),
					    "spent"),
			    "usd"),
			json_object_get(json_object_get(g, "daily"), "usd"), 1),
		    budget_cell(m, sizeof m,
			json_object_get(json_object_get(json_object_get(g,
							    "monthly"),
					    "spent"),
			    "usd"),
			json_object_get(json_object_get(g, "monthly"), "usd"),
			1));
	}
	json_decref(v);
	return budget_close(&b, EXIT_OK, NULL);
}

static int
cmd_budget_show(int argc, char **argv)
{
	struct budget_cmd b;
	char *cause = NULL;
	json_t *v;

	if (budget_parse(argc, argv, 1, &b) != 0)
		return cli_sub_usage(&cmd_budget_entry, argv[0]);
	if (budget_open(&b) != 0)
		return EXIT_FAIL;
	if ((v = budget_agent_json(b.db, b.id, time_wall_ms(), &cause)) == NULL)
		return budget_close(&b, EXIT_FAIL, cause);
	if (b.json)
		oxjson_print(stdout, v, 1);
	else {
		budget_header();
		budget_row(v);
		if (json_is_null(json_object_get(v, "limits")))
			printf("(no limits: oxios budget set %s --tokens N "
			       "...)\n",
			    b.id);
	}
	json_decref(v);
	return budget_close(&b, EXIT_OK, NULL);
}

static int
cmd_budget_set(int argc, char **argv)
{
	struct budget_cmd b;
	char *cause = NULL;

	if (budget_parse(argc, argv, 1, &b) != 0)
		return cli_sub_usage(&cmd_budget_entry, argv[0]);
	if (budget_open(&b) != 0)
		return EXIT_FAIL;
	if (budget_agent_set(b.db, &b.a, "user", time_wall_ms(), &cause) != 0)
		return budget_close(&b, EXIT_FAIL, cause);
	if (!b.json)
		printf("budget of agent '%s' set\n", b.id);
	else {
		json_t *v =
		    budget_agent_json(b.db, b.id, time_wall_ms(), &cause);

		if (v == NULL)
			return budget_close(&b, EXIT_FAIL, cause);
		oxjson_print(stdout, v, 1);
		json_decref(v);
	}
	return budget_close(&b, EXIT_OK, NULL);
}

/* unset (reset 0) and reset (1). */
static int
budget_change(int argc, char **argv, int reset)
{
	struct budget_cmd b;
	char *cause = NULL;
	int rc;

	if (budget_parse(argc, argv, 1, &b) != 0)
		return cli_sub_usage(&cmd_budget_entry, argv[0]);
	if (budget_open(&b) != 0)
		return EXIT_FAIL;
	rc = reset ?
	    budget_agent_reset(b.db, b.id, "user", time_wall_ms(), &cause) :
	    budget_agent_unset(b.db, b.id, "user", &cause);
	if (rc < 0)
		return budget_close(&b, EXIT_FAIL, cause);
	if (rc == 0) {
		cli_error("agent '%s' has no budget (set one: oxios budget "
			  "set %s --tokens N ...)",
		    b.id, b.id);
		return budget_close(&b, EXIT_FAIL, NULL);
	}
	if (b.json)
		printf("{\"%s\": \"%s\"}\n", reset ? "reset" : "removed", b.id);
	else
		printf(reset ? "budget of agent '%s' reset: its window starts "
			       "now\n" :
			       "budget of agent '%s' removed\n",
		    b.id);
	return budget_close(&b, EXIT_OK, NULL);
}

static int
cmd_budget_unset(int argc, char **argv)
{
	return budget_change(argc, argv, 0);
}

static int
cmd_budget_reset(int argc, char **argv)
{
	return budget_change(argc, argv, 1);
}

static const struct cmd_sub cmd_budget_subs[] = {
	{
	    .name = "list",
	    .usage = "[--json]",
	    .summary = "every agent with limits or spend (used, reservations "
		       "included, / limit) and the global limits (the "
		       "default)",
	    .flags = CMD_DEFAULT,
	    .exec = cmd_budget_list,
	},
	{
	    .name = "show",
	    .usage = "AGENT [--json]",
	    .summary = "one agent's limits and what it used in its window",
	    .exec = cmd_budget_show,
	},
	{
	    .name = "set",
	    .usage = "AGENT [--tokens N] [--calls N] [--usd X] "
		     "[--window day|month|lifetime] [--json]",
	    .summary = "set an agent's limits (those not given: none); the "
		       "window is lifetime unless given",
	    .exec = cmd_budget_set,
	},
	{
	    .name = "unset",
	    .usage = "AGENT [--json]",
	    .summary = "remove an agent's limits (its spend stays counted)",
	    .exec = cmd_budget_unset,
	},
	{
	    .name = "reset",
	    .usage = "AGENT [--json]",
	    .summary = "start an agent's window anew now (the history is "
		       "kept)",
	    .exec = cmd_budget_reset,
	},
	{ .name = NULL },
};

const struct cmd_entry cmd_budget_entry = {
	.name = "budget",
	.summary = "Show and set the budgets of agents (--agent NAME).",
	.help =
	    "An agent is a named profile that outlives a run: `oxios run\n"
	    "--agent NAME`, `oxios chat --agent NAME`, \"agent\" in API\n"
	    "requests; \"default\" unless named.  Its limits hold for every\n"
	    "call it makes, in every process sharing this home; a call that\n"
	    "would pass one is refused before it is sent, naming the budget.\n"
	    "The global limits are the [budget] keys (oxios config).\n",
	.words = "--json --tokens --calls --usd --window",
	.subs = cmd_budget_subs,
};
