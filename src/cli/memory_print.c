/*
 * memory_print.c — how `oxios memory` prints memories, the compaction
 * tree, a compaction's report, the ROOT index and the index tuning
 * (cmd_memory.c decides what; --json prints the objects instead).
 */
#include <stdio.h>
#include <string.h>

#include "cli/memory_print.h"
#include "memory/compact.h"

/* An integer member of `o` (0 when missing). */
static long long
mprint_int(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

void
mprint_memory(const json_t *m, int score)
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

void
mprint_tuning(const json_t *t)
{
	printf("ef_search %lld: recall@%lld %.3f, target %.3f %s\n"
	       "measured on %lld queries (%lld recent searches, the rest "
	       "held-out memories) over %lld vectors in %lld ms\n",
	    mprint_int(t, "ef_search"), mprint_int(t, "k"),
	    json_real_value(json_object_get(t, "recall")),
	    json_real_value(json_object_get(t, "target")),
	    json_is_true(json_object_get(t, "reached")) ?
		"reached" :
		"NOT reached (ef_search is at its largest)",
	    mprint_int(t, "samples"), mprint_int(t, "recent_queries"),
	    mprint_int(t, "vectors"), mprint_int(t, "duration_ms"));
	if (strcmp(json_string_value(json_object_get(t, "ef_search_mode")),
		"fixed") == 0)
		printf("memory.hnsw_ef_search is set, so searches use that; "
		       "set it to 0 to use this one\n");
}

/* A tree node and its children, indented by depth. */
static void
mprint_node(const json_t *n, int depth)
{
	const json_t *c;
	const char *level = json_string_value(json_object_get(n, "level"));
	size_t i;

	if (json_is_true(json_object_get(n, "gone")))
		printf("%*s#%lld (pruned)\n", depth * 2, "",
		    (long long)json_integer_value(json_object_get(n, "id")));
	else
		printf("%*s#%lld [%s%s%s] %s\n", depth * 2, "",
		    (long long)json_integer_value(json_object_get(n, "id")),
		    level != NULL ?
			level :
			json_string_value(json_object_get(n, "type")),
		    level != NULL ? " " : "",
		    level != NULL ?
			json_string_value(json_object_get(n, "period")) :
			"",
		    json_string_value(json_object_get(n, "content")));
	json_array_foreach(json_object_get(n, "children"), i, c)
		mprint_node(c, depth + 1);
}

void
mprint_tree(const json_t *t)
{
	const json_t *p;
	const char *type;
	size_t i;

	json_array_foreach(json_object_get(t, "parents"), i, p)
		printf("in #%lld [%s %s]\n",
		    (long long)json_integer_value(json_object_get(p, "id")),
		    json_string_value(json_object_get(p, "level")),
		    json_string_value(json_object_get(p, "period")));
	mprint_node(t, 0);
	type = json_string_value(json_object_get(t, "type"));
	if (json_array_size(json_object_get(t, "parents")) > 0 ||
	    json_string_value(json_object_get(t, "level")) != NULL)
		return;
	if (compact_raw_type(type))
		printf("(in no summary yet: `oxios memory compact` rolls "
		       "closed days up)\n");
	else
		printf("(a %s: only episodes, sessions, conversations, facts "
		       "and knowledge roll up into summaries)\n",
		    type != NULL ? type : "memory");
}

void
mprint_compact(const json_t *j)
{
	const json_t *lv;
	const char *name, *why;

	json_object_foreach((json_t *)json_object_get(j, "levels"), name, lv)
		printf("%-8s %lld written, %lld rewritten, %lld unchanged, "
		       "%lld pending\n",
		    name, mprint_int(lv, "written"),
		    mprint_int(lv, "rewritten"), mprint_int(lv, "unchanged"),
		    mprint_int(lv, "pending"));
	printf("%lld model calls, %lld pruned\n", mprint_int(j, "calls"),
	    mprint_int(j, "pruned"));
	if ((why = json_string_value(json_object_get(j, "pending_why"))) !=
	    NULL)
		printf("pending: %s\n", why);
}

void
mprint_topic(const json_t *j)
{
	const json_t *row;
	size_t i;

	printf("%s (%lld)  %s\n",
	    json_string_value(json_object_get(j, "topic")),
	    mprint_int(j, "count"),
	    json_string_value(json_object_get(j, "summary")));
	json_array_foreach(json_object_get(j, "memories"), i, row)
		mprint_memory(row, 0);
}

void
mprint_topics(const json_t *j)
{
	const json_t *row;
	size_t i;

	json_array_foreach(j, i, row)
		printf("%-24s %4lld  %s\n",
		    json_string_value(json_object_get(row, "topic")),
		    mprint_int(row, "count"),
		    json_string_value(json_object_get(row, "summary")));
}
