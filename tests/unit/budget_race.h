/*
 * budget_race.h — many reservations at once against one budget (header-
 * only test helper for test_budget and test_budget_agent): RACE_THREADS
 * threads, each on a connection of its own to the database at `path`,
 * start together and try RACE_TRIES reservations of 100 tokens and $0.10
 * each at time `now`, settling the ones they win; a refusal must say
 * `refusal`.  Whatever the limits, exactly as many as they allow must
 * win: the reservation is one transaction.
 */
#ifndef OXIOS_TESTS_BUDGET_RACE_H
#define OXIOS_TESTS_BUDGET_RACE_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/budget.h"
#include "store/db.h"

#define RACE_THREADS 20
#define RACE_TRIES 5

struct budget_race {
	const char *path;
	const struct budget_limits *lim;
	const char *refusal;
	int64_t now;
	pthread_barrier_t start;
	pthread_mutex_t lock;
	int won, failed;
};

static void *
budget_racer(void *arg)
{
	struct budget_race *r = arg;
	struct budget_estimate e = { 100, 0.1, 1, 0, 0 };
	sqlite3 *mine;
	char *cause = NULL;
	int64_t id;
	int i, won = 0;

	if (db_open(r->path, &mine, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		pthread_barrier_wait(&r->start);
		i = -1;
		goto out;
	}
	pthread_barrier_wait(&r->start);
	for (i = 0; i < RACE_TRIES; i++) {
		if (budget_reserve(mine, r->lim, "anthropic",
			"claude-haiku-4-5", &e, r->now, &id, &cause) == 0) {
			won++;
			if (budget_settle(mine, id, 100, 0.1, &cause) != 0)
				break;
			continue;
		}
		if (strstr(cause, r->refusal) == NULL) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			break;
		}
		free(cause);
		cause = NULL;
	}
	db_close(mine);
out:
	pthread_mutex_lock(&r->lock);
	r->won += won;
	r->failed += i != RACE_TRIES;
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Run the race: how many reservations were won; -1 if a racer failed
 * (said on stderr). */
static inline int
budget_race(const char *path, const struct budget_limits *lim,
    const char *refusal, int64_t now)
{
	struct budget_race r;
	pthread_t t[RACE_THREADS];
	int i;

	memset(&r, 0, sizeof r);
	r.path = path;
	r.lim = lim;
	r.refusal = refusal;
	r.now = now;
	pthread_barrier_init(&r.start, NULL, RACE_THREADS);
	pthread_mutex_init(&r.lock, NULL);
	for (i = 0; i < RACE_THREADS; i++)
		if (pthread_create(&t[i], NULL, budget_racer, &r) != 0)
			abort();
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&r.start);
	pthread_mutex_destroy(&r.lock);
	return r.failed > 0 ? -1 : r.won;
}
#endif
