/*
 * hands_pool.c — warm workers (see hands.h).
 *
 * One thread forks every pooled worker and then sleeps on a condition
 * until one is taken: a worker's parent is then always this long-lived
 * thread (a death signal bound to a short-lived one would fire early).
 * A warm worker has exec'd and waits for its policy; it holds nothing of
 * the daemon but its socket, so it can wait as long as it must.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hands.h"
#include "util/log.h"
#include "util/xalloc.h"

#define HANDS_POOL_MAX 64
#define HANDS_POOL_RETRY_MS 1000 /* after a failed start */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Guarded by lock: */
	struct hands *warm[HANDS_POOL_MAX];
	int count;
	struct hands *retired[HANDS_POOL_MAX]; /* to reap */
	int nretired;
	int size;    /* the number to keep warm; 0 when stopped */
	int running; /* the thread was started and not yet joined */
	int stopping;
	pthread_t thread;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER };

/* Reap the retired workers (pool.lock held; dropped while closing). */
static void
hands_pool_reap(void)
{
	struct hands *h;

	while (pool.nretired > 0) {
		h = pool.retired[--pool.nretired];
		pthread_mutex_unlock(&pool.lock);
		hands_close(h);
		pthread_mutex_lock(&pool.lock);
	}
}

static void *
hands_pool_main(void *arg)
{
	struct timespec ts;
	struct hands *h;
	char *cause = NULL;
	int failed;

	(void)arg;
	pthread_mutex_lock(&pool.lock);
	while (!pool.stopping) {
		if (pool.nretired > 0) {
			hands_pool_reap();
			continue;
		}
		if (pool.count > pool.size) { /* the size went down */
			h = pool.warm[--pool.count];
			pthread_mutex_unlock(&pool.lock);
			hands_close(h);
			pthread_mutex_lock(&pool.lock);
			continue;
		}
		if (pool.count >= pool.size) {
			pthread_cond_wait(&pool.cond, &pool.lock);
			continue;
		}
		pthread_mutex_unlock(&pool.lock);
		failed = hands_start(&h, &cause) != 0;
		pthread_mutex_lock(&pool.lock);
		if (failed) {
			log_warn("worker pool: %s", cause);
			free(cause);
			cause = NULL;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += HANDS_POOL_RETRY_MS / 1000;
			if (!pool.stopping)
				pthread_cond_timedwait(&pool.cond, &pool.lock,
				    &ts);
			continue;
		}
		if (pool.stopping || pool.count >= pool.size) {
			pthread_mutex_unlock(&pool.lock);
			hands_close(h);
			pthread_mutex_lock(&pool.lock);
			continue;
		}
		pool.warm[pool.count++] = h;
	}
	hands_pool_reap();
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

int
hands_pool_start(int size, char **cause)
{
	int rc;

	if (size > HANDS_POOL_MAX)
		size = HANDS_POOL_MAX;
	pthread_mutex_lock(&pool.lock);
	pool.size = size > 0 ? size : 0;
	if (pool.running || pool.size == 0) {
		pthread_cond_broadcast(&pool.cond);
		pthread_mutex_unlock(&pool.lock);
		return 0;
	}
	pool.stopping = 0;
	if ((rc = pthread_create(&pool.thread, NULL, hands_pool_main, NULL)) !=
	    0) {
		pool.size = 0;
		pthread_mutex_unlock(&pool.lock);
		xasprintf(cause, "worker pool: pthread_create: %s",
		    strerror(rc));
		return -1;
	}
	pool.running = 1;
	pthread_mutex_unlock(&pool.lock);
	return 0;
}

void
hands_pool_stop(void)
{
	struct hands *h;
	int running;

	pthread_mutex_lock(&pool.lock);
	pool.stopping = 1;
	pool.size = 0;
	running = pool.running;
	pool.running = 0;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	if (running)
		pthread_join(pool.thread, NULL);
	for (;;) {
		pthread_mutex_lock(&pool.lock);
		h = pool.count > 0 ? pool.warm[--pool.count] : NULL;
		pthread_mutex_unlock(&pool.lock);
		if (h == NULL)
			break;
		hands_close(h);
	}
}

/* A warm worker, oldest first, or NULL. */
static struct hands *
hands_pool_take(void)
{
	struct hands *h = NULL;

	pthread_mutex_lock(&pool.lock);
	if (pool.count > 0) {
		h = pool.warm[0];
		memmove(&pool.warm[0], &pool.warm[1],
		    (size_t)(pool.count - 1) * sizeof pool.warm[0]);
		pool.count--;
		pthread_cond_broadcast(&pool.cond); /* refill */
	}
	pthread_mutex_unlock(&pool.lock);
	return h;
}

int
hands_acquire(const struct hands_policy *pol, struct hands **out, char **cause)
{
	struct hands *h;

	*out = NULL;
	while ((h = hands_pool_take()) != NULL) {
		if (!hands_alive(h)) { /* killed while it waited */
			hands_close(h);
			continue;
		}
		if (hands_setup(h, pol, cause) == 0) {
			*out = h;
			return 0;
		}
		hands_close(h);
		return -1;
	}
	return hands_spawn(pol, out, cause);
}

void
hands_retire(struct hands *h)
{
	if (h == NULL)
		return;
	hands_hangup(h); /* the worker starts to exit now */
	pthread_mutex_lock(&pool.lock);
	if (pool.running && !pool.stopping && pool.nretired < HANDS_POOL_MAX) {
		pool.retired[pool.nretired++] = h;
		pthread_cond_broadcast(&pool.cond);
		pthread_mutex_unlock(&pool.lock);
		return;
	}
	pthread_mutex_unlock(&pool.lock);
	hands_close(h);
}

int
hands_pool_count(void)
{
	int n;

	pthread_mutex_lock(&pool.lock);
	n = pool.count;
	pthread_mutex_unlock(&pool.lock);
	return n;
}
