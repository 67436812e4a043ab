/*
 * cmd_memory.c — oxios memory: add, search, list, show, forget, dream,
 * stats, tune.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/home.h"
#include "memory/memory.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/xalloc.h"

static int cmd_memory(int, char **);

const struct cmd_entry cmd_memory_entry = {
	.name = "memory",
	.usage = "add|search|list|show|forget|dream|stats|tune ...",
	.summary = "What agents remember: add, search, forget, consolidate.",
	.help =
	    "  add TEXT [--type T] [--tags a,b] [--protect P] [--json]\n"
	    "                     store a memory (its type is guessed when\n"
	    "                     not given)\n"
	    "  search QUERY [--limit N] [--mode hybrid|keyword|semantic]\n"
	    "         [--type T] [--tag X] [--json]\n"
	    "                     BM25 and vectors, merged by reciprocal rank\n"
	    "                     fusion; --json prints [{id, content, score,\n"
	    "                     ...}]\n"
	    "  list [--type T] [--tier hot|warm|cold] [--limit N] [--json]\n"
	    "  show ID [--json]   one memory (counts as an access)\n"
	    "  forget ID          delete it\n"
	    "  dream [--json]     consolidate now: re-tier, merge duplicates,\n"
	    "                     prune, re-index; prints the report\n"
	    "  stats [--json]     counts by tier and type, the index\n"
	    "  tune [--json]      measure the vector index's recall against\n"
	    "                     exact search and pick the smallest\n"
	    "                     ef_search reaching\n"
	    "                     memory.hnsw_target_recall (the daemon\n"
	    "                     does this by itself as memory grows)\n"
	    "\n"
	    "Types: user_profile, preference, decision, knowledge, skill,\n"
	    "fact, episode, session, conversation.  Protection: none, low,\n"
	    "medium, high, permanent.\n",
	.words = "add search list show forget dream stats tune --type --tags "
		 "--protect --limit --mode --tier --tag --json",
	.exec = cmd_memory,
};

struct mem_opts {
	int json;
	long limit;
	const char *type, *tier, *tag, *tags, *mode, *protect;
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

static void
mem_print(const json_t *m, int score)
{
	const json_t *tags = json_object_get(m, "tags"), *t;
	size_t i;

	printf("#%lld  [%s, %s",
	    (long long)json_integer_value(json_object_get(m, "id")),
	    json_string_value(json_object_get(m, "type")),
	    json_string_value(json_object_get(m, "tier")));
	if (score)
		printf(", score %.4f",
		    json_real_value(json_object_get(m, "score")));
	json_array_foreach(tags, i, t)
		printf("%s%s", i == 0 ? ", tags " : ",", json_string_value(t));
	printf("]\n    %s\n", json_string_value(json_object_get(m, "content")));
}

static void
mem_print_tuning(const json_t *t)
{
	printf("ef_search %lld: recall@%lld %.3f, target %.3f %s\n"
	       "measured on %lld queries (%lld recent searches, the rest "
	       "held-out memories) over %lld vectors in %lld ms\n",
	    (long long)json_integer_value(json_object_get(t, "ef_search")),
	    (long long)json_integer_value(json_object_get(t, "k")),
	    json_real_value(json_object_get(t, "recall")),
	    json_real_value(json_object_get(t, "target")),
	    json_is_true(json_object_get(t, "reached")) ?
		"reached" :
		"NOT reached (ef_search is at its largest)",
	    (long long)json_integer_value(json_object_get(t, "samples")),
	    (long long)json_integer_value(json_object_get(t, "recent_queries")),
	    (long long)json_integer_value(json_object_get(t, "vectors")),
	    (long long)json_integer_value(json_object_get(t, "duration_ms")));
	if (strcmp(json_string_value(json_object_get(t, "ef_search_mode")),
		"fixed") == 0)
		printf("memory.hnsw_ef_search is set, so searches use that; "
		       "set it to 0 to use this one\n");
}

static void
mem_audit(sqlite3 *db, int64_t id, const struct mem_new *m)
{
	char resource[32];
	json_t *d = json_pack("{s:s%, s:s}", "content", m->content, m->len,
	    "via", "cli");

	snprintf(resource, sizeof resource, "memory:%lld", (long long)id);
	audit_note(db, "user", AUDIT_MEMORY_WRITE, resource, d);
	json_decref(d);
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

static int
mem_run(const char *sub, int argc, char **argv, sqlite3 *db,
    const struct config *cfg)
{
	struct mem_opts o;
	struct mem_new m;
	struct mem_query q;
	json_t *j = NULL, *row, *tags;
	char *cause = NULL;
	struct buf text;
	int64_t id;
	size_t i;
	int rc = EXIT_FAIL;

	if (mem_parse(argc, argv, &o) != 0)
		return EXIT_USAGE;
	argc -= optind;
	argv += optind;
	if (strcmp(sub, "add") == 0 || strcmp(sub, "search") == 0) {
		if (argc < 1)
			return cli_usage(&cmd_memory_entry);
		buf_init(&text, BUF_NOCAP);
		for (i = 0; i < (size_t)argc; i++)
			buf_printf(&text, "%s%s", i ? " " : "", argv[i]);
		if (strcmp(sub, "add") == 0) {
			memset(&m, 0, sizeof m);
			m.content = text.data;
			m.len = text.len;
			m.type = o.type != NULL ? mem_type_parse(o.type) : -1;
			m.protect = o.protect != NULL ?
			    mem_protect_parse(o.protect) :
			    -1;
			m.importance = -1;
			tags = mem_tags(o.tags);
			m.tags = tags;
			id = memory_add(db, &m, &cause);
			json_decref(tags);
			if (id > 0)
				mem_audit(db, id, &m);
			if (id > 0 &&
			    (j = memory_get(db, id, 0, &cause)) != NULL) {
				if (o.json)
					oxjson_print(stdout, j, 1);
				else
					printf("remembered #%lld (%s)\n",
					    (long long)id,
					    json_string_value(
						json_object_get(j, "type")));
				rc = EXIT_OK;
			}
		} else {
			memset(&q, 0, sizeof q);
			q.text = text.data;
			q.mode = o.mode == NULL             ? MEM_HYBRID :
			    strcmp(o.mode, "keyword") == 0  ? MEM_KEYWORD :
			    strcmp(o.mode, "semantic") == 0 ? MEM_SEMANTIC :
							      MEM_HYBRID;
			q.limit = (size_t)o.limit;
			q.type = o.type != NULL ? mem_type_parse(o.type) : -1;
			q.tag = o.tag;
			q.include_cold = 1;
			q.touch = 1;
			if ((j = memory_search(db, &q, &cause)) != NULL) {
				if (o.json)
					oxjson_print(stdout, j, 1);
				else if (json_array_size(j) == 0)
					printf("nothing found\n");
				json_array_foreach(j, i, row) {
					if (!o.json)
						mem_print(row, 1);
				}
				rc = EXIT_OK;
			}
		}
		buf_free(&text);
	} else if (strcmp(sub, "list") == 0) {
		if (argc != 0)
			return cli_usage(&cmd_memory_entry);
		if ((j = memory_list(db, o.type, o.tier, o.limit, 0, &cause)) !=
		    NULL) {
			if (o.json)
				oxjson_print(stdout, j, 1);
			json_array_foreach(j, i, row) {
				if (!o.json)
					mem_print(row, 0);
			}
			rc = EXIT_OK;
		}
	} else if (strcmp(sub, "show") == 0 || strcmp(sub, "forget") == 0) {
		if (argc != 1)
			return cli_usage(&cmd_memory_entry);
		if ((id = mem_id(argv[0])) < 0)
			return EXIT_USAGE;
		if (strcmp(sub, "forget") == 0) {
			int r = memory_forget(db, id, &cause);

			if (r == 1) {
				printf("forgot #%lld\n", (long long)id);
				rc = EXIT_OK;
			} else if (r == 0)
				cli_error("no memory #%lld", (long long)id);
		} else if ((j = memory_get(db, id, 1, &cause)) != NULL) {
			if (o.json)
				oxjson_print(stdout, j, 1);
			else
				mem_print(j, 0);
			rc = EXIT_OK;
		} else if (cause == NULL)
			cli_error("no memory #%lld", (long long)id);
	} else if (strcmp(sub, "tune") == 0) {
		if (argc != 0)
			return cli_usage(&cmd_memory_entry);
		if ((j = memory_tune(db, NULL, &cause)) != NULL) {
			if (o.json)
				oxjson_print(stdout, j, 1);
			else
				mem_print_tuning(j);
			rc = EXIT_OK;
		}
	} else if (strcmp(sub, "dream") == 0 || strcmp(sub, "stats") == 0) {
		if (argc != 0)
			return cli_usage(&cmd_memory_entry);
		j = strcmp(sub, "dream") == 0 ?
		    memory_dream(db, cfg, "cli", &cause) :
		    memory_stats(db, &cause);
		if (j != NULL) {
			oxjson_print(stdout, j, 1);
			rc = EXIT_OK;
		}
	} else {
		cli_error("unknown memory command '%s' (see: oxios help "
			  "memory)",
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
cmd_memory(int argc, char **argv)
{
	struct config *cfg;
	sqlite3 *db = NULL;
	char *path, *cause = NULL;
	int rc = EXIT_FAIL;

	if (argc < 2)
		return cli_usage(&cmd_memory_entry);
	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	path = home_path("oxios.db");
	if (db_open(path, &db, &cause) != 0 ||
	    memory_open(db, cfg, &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	rc = mem_run(argv[1], argc - 1, argv + 1, db, cfg);
	memory_close();
out:
	free(cause);
	free(path);
	db_close(db);
	config_free(cfg);
	return rc;
}
