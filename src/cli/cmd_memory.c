/*
 * cmd_memory.c — oxios memory: add, search, list, show, forget, dream,
 * stats, tune, topics (the table at the end).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/memory_print.h"
#include "kernel/spaces.h"
#include "config/home.h"
#include "memory/compact.h"
#include "memory/memory.h"
#include "memory/root.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/xalloc.h"

struct mem_opts {
	int json;
	int tree; /* show --tree */
	long limit;
	int limit_set; /* --limit was given */
	const char *type, *tier, *tag, *tags, *mode, *protect, *space;
};

static int
mem_parse(int argc, char **argv, struct mem_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "tier", required_argument, NULL, 'T' },
		{ "tag", required_argument, NULL, 'g' },
		{ "tags", required_argument, NULL, 'G' },
		{ "mode", required_argument, NULL, 'm' },
		{ "protect", required_argument, NULL, 'p' },
		{ "space", required_argument, NULL, 'S' },
		{ "tree", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof *o);
	o->limit = 10;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jn:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = 1;
			break;
		case 'n':
			o->limit = strtol(optarg, &end, 10);
			o->limit_set = 1;
			if (*optarg == '\0' || *end != '\0' || o->limit < 1 ||
			    o->limit > 1000) {
				cli_error("--limit: a number from 1 to 1000");
				return -1;
			}
			break;
		case 't':
			if (mem_type_parse(optarg) < 0) {
				cli_error("--type: unknown type '%s' (see: "
					  "oxios help memory)",
				    optarg);
				return -1;
			}
			o->type = optarg;
			break;
		case 'T':
			if (mem_tier_parse(optarg) < 0) {
				cli_error("--tier: hot, warm or cold");
				return -1;
			}
			o->tier = optarg;
			break;
		case 'g':
			o->tag = optarg;
			break;
		case 'G':
			o->tags = optarg;
			break;
		case 'S':
			o->space = optarg;
			break;
		case 'r':
			o->tree = 1;
			break;
		case 'm':
			if (strcmp(optarg, "hybrid") != 0 &&
			    strcmp(optarg, "keyword") != 0 &&
			    strcmp(optarg, "semantic") != 0) {
				cli_error(
				    "--mode: hybrid, keyword or semantic");
				return -1;
			}
			o->mode = optarg;
			break;
		case 'p':
			if (mem_protect_parse(optarg) < 0) {
				cli_error("--protect: none, low, medium, high "
					  "or permanent");
				return -1;
			}
			o->protect = optarg;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* "a,b,c" as a JSON array of the non-empty ones. */
static json_t *
mem_tags(const char *s)
{
	json_t *a = json_array();
	const char *p = s;
	size_t n;

	while (s != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (n > 0)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
		if (*p == ',')
			p++;
	}
	return a;
}

static int64_t
mem_id(const char *s)
{
	char *end;
	long long v;

	if (*s == '#')
		s++;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1) {
		cli_error("'%s' is not a memory id", s);
		return -1;
	}
	return v;
}

/*
 * What a subcommand works with: its options, its arguments, and (after
 * mem_open()) the configuration and the database with the memory
 * service on it.
 */
struct mem_cmd {
	struct mem_opts o;
	int argc; /* the arguments left after the options */
	char **argv;
	struct config *cfg;
	sqlite3 *db;
};

/*
 * Parse the options of subcommand argv[0] and check that from `min` to
 * `max` (-1: any number of) arguments are left.  EXIT_OK, or the exit
 * code (a usage error was told).
 */
static int
mem_args(int argc, char **argv, int min, int max, struct mem_cmd *m)
{
	memset(m, 0, sizeof *m);
	if (mem_parse(argc, argv, &m->o) != 0)
		return EXIT_USAGE;
	m->argc = argc - optind;
	m->argv = argv + optind;
	if (m->argc < min || (max >= 0 && m->argc > max))
		return cli_sub_usage(&cmd_memory_entry, argv[0]);
	return EXIT_OK;
}

/* Load the configuration, open the database (this thread's connection,
 * which the LLM gate records the embedder's calls with) and the memory
 * service.  EXIT_OK (mem_close() it), or EXIT_FAIL with the error told. */
static int
mem_open(struct mem_cmd *m)
{
	char *path, *cause = NULL;

	if ((m->cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	path = home_path("oxios.db");
	if (db_init(path, &cause) != 0 || (m->db = db_get()) == NULL ||
	    memory_open(m->db, m->cfg, &cause) != 0) {
		cli_error("%s", cause != NULL ? cause : "no database");
		free(cause);
		free(path);
		audit_close();
		db_shutdown();
		config_free(m->cfg);
		return EXIT_FAIL;
	}
	free(path);
	return EXIT_OK;
}

/* Close what mem_open() opened; tell `cause` (freed), drop `j`.  Returns
 * rc. */
static int
mem_close(struct mem_cmd *m, int rc, json_t *j, char *cause)
{
	if (cause != NULL)
		cli_error("%s", cause);
	free(cause);
	json_decref(j);
	memory_close();
	/* cli_setup() opened the audit log: its statements go before the
	 * connection. */
	cli_db_close(m->cfg);
	return rc;
}

/* The arguments left, joined by spaces (caller buf_free()s). */
static void
mem_text(const struct mem_cmd *m, struct buf *text)
{
	int i;

	buf_init(text, BUF_NOCAP);
	for (i = 0; i < m->argc; i++)
		buf_printf(text, "%s%s", i ? " " : "", m->argv[i]);
}

static int
mem_add(int argc, char **argv)
{
	struct mem_cmd m;
	struct mem_new n;
	struct buf text;
	json_t *j = NULL, *tags, *d;
	char *cause = NULL;
	int64_t id;
	int rc;

	if ((rc = mem_args(argc, argv, 1, -1, &m)) != EXIT_OK ||
	    (rc = mem_open(&m)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	mem_text(&m, &text);
	memset(&n, 0, sizeof n);
	n.content = text.data;
	n.len = text.len;
	n.type = m.o.type != NULL ? mem_type_parse(m.o.type) : -1;
	n.protect = m.o.protect != NULL ? mem_protect_parse(m.o.protect) : -1;
	n.importance = -1;
	tags = mem_tags(m.o.tags);
	n.tags = tags;
	/* The entry commits with the memory (memory_add()). */
	n.audit_actor = "user";
	n.audit_detail = d =
	    json_pack("{s:s%, s:s}", "content", n.content, n.len, "via", "cli");
	id = memory_add(m.db, &n, &cause);
	json_decref(tags);
	json_decref(d);
	if (id > 0 && (j = memory_get(m.db, id, 0, &cause)) != NULL) {
		if (m.o.json)
			oxjson_print(stdout, j, 1);
		else
			printf("remembered #%lld (%s)\n", (long long)id,
			    json_string_value(json_object_get(j, "type")));
		rc = EXIT_OK;
	}
	buf_free(&text);
	return mem_close(&m, rc, j, cause);
}

/*
 * Which recall a search used (a last line on stdout: "recall: fts+vector
 * (embedder local:glove100), expanded: tabs spaces indent"), and on
 * stderr how to get a better one where it is poor: with TF-IDF and no
 * expansion only words that match are found ("indentation" does not
 * find "tabs"), the local word vectors know common words only (said when
 * nothing was found), and a failing API embedder leaves keywords alone.
 */
static void
mem_recall_note(const struct mem_cmd *m, const struct mem_query *q,
    const struct llm_error *err, size_t found)
{
	const char *embedder = config_str(m->cfg, "memory.embedder");
	char line[1024];

	memory_recall_line(q->recall, line, sizeof line);
	printf("%s\n", line);
	fflush(stdout);
	if (q->mode == MEM_KEYWORD)
		return;
	if (q->recall->terms[0] != '\0')
		return; /* expanded: other words are looked for too */
	if (strcmp(embedder, "api") == 0) {
		if (err->message[0] != '\0')
			fprintf(stderr,
			    "oxios: note: recall by keywords only: the "
			    "embedder failed (%s)\n",
			    err->message);
		return;
	}
	if (strcmp(embedder, "local") == 0) {
		if (found == 0) /* else the recall line says enough */
			fprintf(stderr,
			    "oxios: note: recall by keywords and built-in word "
			    "vectors (memory.embedder = \"local\"): related "
			    "common words are found, rare ones only as keywords.  "
			    "For recall by a model: oxios config set "
			    "memory.embedder api, with memory.embedding_url and "
			    "memory.embedding_model\n");
		return;
	}
	fprintf(stderr,
	    "oxios: note: recall by keywords and TF-IDF (memory.embedder = "
	    "\"tfidf\"): only matching words are found.  For recall by "
	    "meaning: oxios config set memory.embedder api, with "
	    "memory.embedding_url (an OpenAI-compatible /v1/embeddings, e.g. "
	    "a local server at http://127.0.0.1:11434/v1) and "
	    "memory.embedding_model\n");
}

static int
mem_search(int argc, char **argv)
{
	struct mem_cmd m;
	struct mem_query q;
	struct buf text;
	json_t *j, *row, *sp = NULL;
	struct llm_error err;
	struct mem_recall recall;
	char *cause = NULL;
	size_t i;
	int rc;

	if ((rc = mem_args(argc, argv, 1, -1, &m)) != EXIT_OK ||
	    (rc = mem_open(&m)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	mem_text(&m, &text);
	memset(&q, 0, sizeof q);
	memset(&err, 0, sizeof err);
	q.embed_err = &err;
	q.text = text.data;
	q.mode = m.o.mode == NULL             ? MEM_HYBRID :
	    strcmp(m.o.mode, "keyword") == 0  ? MEM_KEYWORD :
	    strcmp(m.o.mode, "semantic") == 0 ? MEM_SEMANTIC :
						MEM_HYBRID;
	q.limit = (size_t)m.o.limit;
	q.type = m.o.type != NULL ? mem_type_parse(m.o.type) : -1;
	q.tag = m.o.tag;
	q.include_cold = 1;
	q.touch = 1;
	q.cfg = m.cfg; /* expansion as memory.query_expansion says */
	q.recall = &recall;
	if (m.o.space != NULL) { /* the origin's id, from a name too */
		if ((sp = spaces_get(m.db, m.o.space, &cause)) == NULL) {
			buf_free(&text);
			if (cause == NULL)
				xasprintf(&cause, "no space '%s'", m.o.space);
			return mem_close(&m, EXIT_FAIL, NULL, cause);
		}
		q.space = json_string_value(json_object_get(sp, "id"));
	}
	j = memory_search(m.db, &q, &cause);
	json_decref(sp);
	if (j != NULL) {
		if (m.o.json)
			oxjson_print(stdout, j, 1);
		else if (json_array_size(j) == 0)
			printf("nothing found\n");
		json_array_foreach(j, i, row) {
			if (!m.o.json)
				mprint_memory(row, 1);
		}
		if (!m.o.json)
			mem_recall_note(&m, &q, &err, json_array_size(j));
		rc = EXIT_OK;
	}
	buf_free(&text);
	return mem_close(&m, rc, j, cause);
}

static int
mem_list(int argc, char **argv)
{
	struct mem_cmd m;
	json_t *j, *row;
	char *cause = NULL;
	size_t i;
	int rc;

	if ((rc = mem_args(argc, argv, 0, 0, &m)) != EXIT_OK ||
	    (rc = mem_open(&m)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if ((j = memory_list(m.db, m.o.type, m.o.tier, m.o.limit, 0, &cause)) !=
	    NULL) {
		if (m.o.json)
			oxjson_print(stdout, j, 1);
		json_array_foreach(j, i, row) {
			if (!m.o.json)
				mprint_memory(row, 0);
		}
		rc = EXIT_OK;
	}
	return mem_close(&m, rc, j, cause);
}

static int
mem_show(int argc, char **argv)
{
	struct mem_cmd m;
	json_t *j;
	char *cause = NULL;
	int64_t id;
	int rc;

	if ((rc = mem_args(argc, argv, 1, 1, &m)) != EXIT_OK)
		return rc;
	if ((id = mem_id(m.argv[0])) < 0)
		return EXIT_USAGE;
	if ((rc = mem_open(&m)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if (m.o.tree)
		j = memory_tree(m.db, id, &cause);
	else
		j = memory_get(m.db, id, 1, &cause);
	if (j != NULL) {
		if (m.o.json)
			oxjson_print(stdout, j, 1);
		else if (m.o.tree)
			mprint_tree(j);
		else
			mprint_memory(j, 0);
		rc = EXIT_OK;
	} else if (cause == NULL)
		cli_error("no memory #%lld", (long long)id);
	return mem_close(&m, rc, j, cause);
}

static int
mem_forget(int argc, char **argv)
{
	struct mem_cmd m;
	char *cause = NULL;
	int64_t id;
	int rc, found;

	if ((rc = mem_args(argc, argv, 1, 1, &m)) != EXIT_OK)
		return rc;
	if ((id = mem_id(m.argv[0])) < 0)
		return EXIT_USAGE;
	if ((rc = mem_open(&m)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if ((found = memory_forget(m.db, id, &cause)) == 1) {
		printf("forgot #%lld\n", (long long)id);
		rc = EXIT_OK;
	} else if (found == 0)
		cli_error("no memory #%lld", (long long)id);
	return mem_close(&m, rc, NULL, cause);
}

static json_t *
mem_ask_dream(const struct mem_cmd *m, char **cause)
{
	return memory_dream(m->db, m->cfg, "cli", cause);
}

static json_t *
mem_ask_compact(const struct mem_cmd *m, char **cause)
{
	return memory_compact(m->db, m->cfg, "user", cause);
}

static json_t *
mem_ask_stats(const struct mem_cmd *m, char **cause)
{
	return memory_stats(m->db, cause);
}

static json_t *
mem_ask_tune(const struct mem_cmd *m, char **cause)
{
	return memory_tune(m->db, NULL, cause);
}

/* The subcommands without arguments that ask the memory service for one
 * report: printed by `print`, or as JSON (with --json, or no printer). */
static const struct mem_report {
	const char *name;
	json_t *(*ask)(const struct mem_cmd *, char **);
	void (*print)(const json_t *);
} mem_reports[] = {
	{ "dream", mem_ask_dream, NULL },
	{ "compact", mem_ask_compact, mprint_compact },
	{ "stats", mem_ask_stats, NULL },
	{ "tune", mem_ask_tune, mprint_tuning },
	{ NULL, NULL, NULL },
};

static int
mem_report(int argc, char **argv)
{
	const struct mem_report *r;
	struct mem_cmd m;
	json_t *j;
	char *cause = NULL;
	int rc;

	for (r = mem_reports; r->name != NULL; r++)
		if (strcmp(r->name, argv[0]) == 0)
			break;
	if (r->name == NULL) /* the subcommand table sends only these */
		return EXIT_FAIL;
	if ((rc = mem_args(argc, argv, 0, 0, &m)) != EXIT_OK ||
	    (rc = mem_open(&m)) != EXIT_OK)
		return rc;
	if ((j = r->ask(&m, &cause)) != NULL) {
		if (m.o.json || r->print == NULL)
			oxjson_print(stdout, j, 1);
		else
			r->print(j);
	}
	return mem_close(&m, j != NULL ? EXIT_OK : EXIT_FAIL, j, cause);
}

/* The ROOT index: every topic, or one with its memories. */
static int
mem_topics(int argc, char **argv)
{
	struct mem_cmd m;
	json_t *j;
	char *cause = NULL;
	int rc;

	if ((rc = mem_args(argc, argv, 0, 1, &m)) != EXIT_OK ||
	    (rc = mem_open(&m)) != EXIT_OK)
		return rc;
	if (m.argc == 1)
		j = memory_topic(m.db, m.argv[0], &cause);
	else
		j = memory_topics(m.db, NULL, m.o.limit_set ? m.o.limit : 100,
		    &cause);
	if (j == NULL) {
		if (cause == NULL)
			cli_error("no topic '%s' (oxios memory topics lists "
				  "them)",
			    m.argv[0]);
		return mem_close(&m, EXIT_FAIL, NULL, cause);
	}
	if (m.o.json)
		oxjson_print(stdout, j, 1);
	else if (m.argc == 1)
		mprint_topic(j);
	else
		mprint_topics(j);
	return mem_close(&m, EXIT_OK, j, NULL);
}

static const struct cmd_sub cmd_memory_subs[] = {
	{
	    .name = "add",
	    .usage = "TEXT [--type T] [--tags a,b] [--protect P] [--json]",
	    .summary = "store a memory (its type is guessed when not given)",
	    .exec = mem_add,
	},
	{
	    .name = "search",
	    .usage = "QUERY [--limit N] [--mode hybrid|keyword|semantic] "
		     "[--type T] [--tag X] [--space NAME] [--json]",
	    .summary = "BM25 and vectors, merged by reciprocal rank fusion; "
		       "--json prints [{id, content, score, ...}]",
	    .exec = mem_search,
	},
	{
	    .name = "list",
	    .usage = "[--type T] [--tier hot|warm|cold] [--limit N] [--json]",
	    .summary = "memories, newest first",
	    .exec = mem_list,
	},
	{
	    .name = "show",
	    .usage = "ID [--tree] [--json]",
	    .summary = "one memory (counts as an access); --tree: the "
		       "summaries that cover it and, for a summary, its "
		       "sources down the compaction tree",
	    .exec = mem_show,
	},
	{
	    .name = "forget",
	    .usage = "ID",
	    .summary = "delete a memory",
	    .exec = mem_forget,
	},
	{
	    .name = "dream",
	    .usage = "[--json]",
	    .summary = "consolidate now: re-tier, merge duplicates, prune, "
		       "re-index; prints the report",
	    .exec = mem_report,
	},
	{
	    .name = "compact",
	    .usage = "[--json]",
	    .summary = "roll closed days, weeks and months of raw memories "
		       "up into summaries, and a root summary per topic "
		       "(dream does it too; memory.compaction)",
	    .exec = mem_report,
	},
	{
	    .name = "stats",
	    .usage = "[--json]",
	    .summary = "counts by tier and type, the index",
	    .exec = mem_report,
	},
	{
	    .name = "tune",
	    .usage = "[--json]",
	    .summary = "measure the vector index's recall against exact "
		       "search and pick the smallest ef_search reaching "
		       "memory.hnsw_target_recall (the daemon does this by "
		       "itself as memory grows)",
	    .exec = mem_report,
	},
	{
	    .name = "topics",
	    .usage = "[NAME] [--limit N] [--json]",
	    .summary = "the ROOT index: topics (tags, else the type) with "
		       "counts and a line each, most memories first; with "
		       "NAME, that topic's memories",
	    .exec = mem_topics,
	},
	{ .name = NULL },
};

const struct cmd_entry cmd_memory_entry = {
	.name = "memory",
	.summary = "What agents remember: add, search, forget, consolidate.",
	.help = "Types: user_profile, preference, decision, knowledge, skill,\n"
		"fact, episode, session, conversation, summary.  Protection:\n"
		"none, low, medium, high, permanent.\n",
	.words = "--type --tags --protect --limit --mode --tier --tag --space "
		 "--tree --json",
	.subs = cmd_memory_subs,
};
