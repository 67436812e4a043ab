/*
 * tune.c — keeping the vector index's ef_search at the recall the user
 * asked for (memory.hnsw_target_recall) when memory.hnsw_ef_search is 0
 * (auto, the default).
 *
 * The index measures itself (hnsw_tune.c) on up to MEM_TUNE_QUERIES of
 * the last queries searched, which are the queries that matter, and on
 * its own vectors held out for the rest.  It does so again whenever the
 * index has grown or shrunk by a quarter since, or the target changed:
 * the daemon checks every second and tunes in the background, a search
 * at a time under the lock; dream and `oxios memory tune` do it too.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory/memory_int.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

/* Remember a query's vector (mem.dim floats) for the next tuning. */
void
mem_note_query(const float *vec)
{
	size_t d = (size_t)mem.dim;

	if (d == 0)
		return;
	if (mem.queries == NULL) {
		mem.queries = xreallocarray(NULL, MEM_TUNE_QUERIES,
		    d * sizeof *mem.queries);
		mem.nqueries = mem.qnext = 0;
	}
	memcpy(mem.queries + mem.qnext * d, vec, d * sizeof *vec);
	mem.qnext = (mem.qnext + 1) % MEM_TUNE_QUERIES;
	if (mem.nqueries < MEM_TUNE_QUERIES)
		mem.nqueries++;
}

/* Whether the tuning `t` no longer describes an index of `count`. */
static int
mem_tuning_stale(const struct hnsw_tuning *t, size_t count)
{
	if (t == NULL || t->k != MEM_TUNE_K ||
	    fabs(t->target - mem.target_recall) > 1e-6)
		return 1;
	return count * 4 < t->count * 3 || count * 4 > t->count * 5;
}

int
memory_tune_due(void)
{
	int due;

	pthread_mutex_lock(&mem.lock);
	due = mem.open && mem.ef_search == 0 && mem.index != NULL &&
	    hnsw_count(mem.index) >= 2 &&
	    mem_tuning_stale(hnsw_tuning(mem.index), hnsw_count(mem.index));
	pthread_mutex_unlock(&mem.lock);
	return due;
}

json_t *
memory_tune(sqlite3 *db, int (*stop)(void), char **cause)
{
	struct hnsw_tuner *t;
	struct hnsw_tuning res;
	unsigned long serial;
	uint64_t t0 = time_mono_ms();
	size_t nq;
	int more = 1;

	pthread_mutex_lock(&mem.lock);
	if (mem.open && mem_sync(db, cause) != 0) {
		pthread_mutex_unlock(&mem.lock);
		return NULL;
	}
	if (!mem.open || mem.index == NULL || hnsw_count(mem.index) == 0) {
		pthread_mutex_unlock(&mem.lock);
		xasprintf(cause, "memory: no vectors to tune the index on");
		return NULL;
	}
	serial = mem.serial;
	nq = mem.nqueries;
	t = hnsw_tuner_new(mem.index, MEM_TUNE_K, mem.target_recall,
	    HNSW_TUNE_SAMPLES, mem.queries, nq);
	pthread_mutex_unlock(&mem.lock);

	while (more) {
		if (stop != NULL && stop()) {
			xasprintf(cause, "memory: tuning stopped");
			break;
		}
		pthread_mutex_lock(&mem.lock);
		if (mem.index == NULL || mem.serial != serial) {
			pthread_mutex_unlock(&mem.lock);
			xasprintf(cause,
			    "memory: the index was rebuilt while tuning");
			break;
		}
		if ((more = hnsw_tuner_step(t, mem.index, &res)) == 0) {
			hnsw_set_tuning(mem.index, &res);
			mem.tuning = res;
			mem.dirty = 1;
		}
		pthread_mutex_unlock(&mem.lock);
	}
	hnsw_tuner_free(t);
	if (more)
		return NULL;
	if (memory_flush(cause) != 0) {
		log_warn("%s", *cause);
		free(*cause);
		*cause = NULL;
	}
	log_info("memory: index tuned: ef_search %d gives recall@%d %.3f "
		 "(target %.3f%s) over %zu vectors, on %zu queries (%zu "
		 "recent) in %llu ms",
	    res.ef, res.k, res.recall, res.target,
	    res.reached ? "" : ", not reached", res.count, res.samples,
	    nq < res.samples ? nq : res.samples,
	    (unsigned long long)(time_mono_ms() - t0));
	return json_pack("{s:i, s:s, s:i, s:f, s:f, s:b, s:f, s:f, s:I, s:I, "
			 "s:I, s:I}",
	    "ef_search", res.ef, "ef_search_mode",
	    mem.ef_search == 0 ? "auto" : "fixed", "k", res.k, "recall",
	    res.recall, "target", res.target, "reached", res.reached,
	    "exact_us", res.exact_us, "graph_us", res.graph_us, "vectors",
	    (json_int_t)res.count, "samples", (json_int_t)res.samples,
	    "recent_queries", (json_int_t)(nq < res.samples ? nq : res.samples),
	    "duration_ms", (json_int_t)(time_mono_ms() - t0));
}

json_t *
mem_tuning_json(void)
{
	const struct hnsw_tuning *t;

	t = mem.index != NULL ? hnsw_tuning(mem.index) : NULL;
	if (t == NULL)
		return json_null();
	return json_pack("{s:i, s:i, s:f, s:f, s:b, s:I, s:I, s:b, s:f, s:f}",
	    "ef_search", t->ef, "k", t->k, "recall", t->recall, "target",
	    t->target, "reached", t->reached, "vectors", (json_int_t)t->count,
	    "samples", (json_int_t)t->samples, "stale",
	    mem_tuning_stale(t, hnsw_count(mem.index)), "exact_us", t->exact_us,
	    "graph_us", t->graph_us);
}
