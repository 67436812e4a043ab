/*
 * cancel.c — cancel tokens (see cancel.h).
 *
 * Invariant: a token's flag is set whenever its parent's is (fire walks
 * down the tree, init copies the parent's flag), so cancel_fired() reads
 * one word and never walks up.  The tree's links are guarded by one lock:
 * chaining and firing are rare, reading the flag is lock-free.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/cancel.h"
#include "util/time.h"

#define CANCEL_NOFD_SLICE_MS 50 /* only when no eventfd could be made */

/* Guards every token's parent, children and next_sibling. */
static pthread_mutex_t cancel_tree = PTHREAD_MUTEX_INITIALIZER;

void
cancel_init(struct cancel *c, struct cancel *parent, long timeout_ms)
{
	memset(c, 0, sizeof *c);
	c->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (timeout_ms > 0)
		c->deadline = time_mono_ms() + (uint64_t)timeout_ms;
	if (parent == NULL)
		return;
	pthread_mutex_lock(&cancel_tree);
	c->parent = parent;
	c->next_sibling = parent->children;
	parent->children = c;
	if (parent->deadline != 0 &&
	    (c->deadline == 0 || parent->deadline < c->deadline))
		c->deadline = parent->deadline;
	pthread_mutex_unlock(&cancel_tree);
	if (__atomic_load_n(&parent->fired, __ATOMIC_ACQUIRE))
		cancel_fire(c);
}

void
cancel_destroy(struct cancel *c)
{
	struct cancel **pp, *k;

	pthread_mutex_lock(&cancel_tree);
	if (c->parent != NULL) {
		for (pp = &c->parent->children; *pp != NULL;
		     pp = &(*pp)->next_sibling) {
			if (*pp == c) {
				*pp = c->next_sibling;
				break;
			}
		}
	}
	/* Children still chained (their owner broke the rule): orphan
	 * them rather than leave them pointing here. */
	for (k = c->children; k != NULL; k = k->next_sibling)
		k->parent = NULL;
	c->children = NULL;
	c->parent = NULL;
	pthread_mutex_unlock(&cancel_tree);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* Set the flag and wake the pollers of c and below (tree lock held). */
static void
cancel_fire_locked(struct cancel *c)
{
	uint64_t one = 1;
	struct cancel *k;

	if (!__atomic_exchange_n(&c->fired, 1, __ATOMIC_ACQ_REL) &&
	    c->fd != -1) {
		/* The counter only grows and nobody reads it: the fd
		 * stays readable.  EAGAIN (counter full) cannot happen. */
		if (write(c->fd, &one, sizeof one) == -1)
			(void)errno;
	}
	for (k = c->children; k != NULL; k = k->next_sibling)
		cancel_fire_locked(k);
}

void
cancel_fire(struct cancel *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&cancel_tree);
	cancel_fire_locked(c);
	pthread_mutex_unlock(&cancel_tree);
}

int
cancel_timed_out(const struct cancel *c)
{
	return c != NULL && c->deadline != 0 && time_mono_ms() >= c->deadline;
}

int
cancel_fired(const struct cancel *c)
{
	if (c == NULL)
		return 0;
	return __atomic_load_n(&c->fired, __ATOMIC_ACQUIRE) ||
	    cancel_timed_out(c);
}

int
cancel_fd(const struct cancel *c)
{
	return c != NULL ? c->fd : -1;
}

int
cancel_wait_ms(const struct cancel *c, int ms)
{
	uint64_t now, left;

	if (c == NULL)
		return ms;
	if (c->fd == -1 && (ms < 0 || ms > CANCEL_NOFD_SLICE_MS))
		ms = CANCEL_NOFD_SLICE_MS;
	if (c->deadline == 0)
		return ms;
	now = time_mono_ms();
	left = c->deadline > now ? c->deadline - now : 0;
	if (left > INT32_MAX)
		left = INT32_MAX;
	if (ms < 0 || (uint64_t)ms > left)
		ms = (int)left;
	return ms;
}

int
cancel_poll(const struct cancel *c, struct pollfd *fds, nfds_t n,
    int timeout_ms)
{
	struct pollfd all[16];
	uint64_t end = 0, now;
	nfds_t i;
	int rc, ms;

	if (c == NULL) {
		while ((rc = poll(fds, n, timeout_ms)) == -1 && errno == EINTR)
			;
		return rc;
	}
	if (n > sizeof all / sizeof all[0] - 1) {
		errno = EINVAL;
		return -1;
	}
	if (timeout_ms >= 0)
		end = time_mono_ms() + (uint64_t)timeout_ms;
	for (;;) {
		if (cancel_fired(c)) {
			errno = ECANCELED;
			return -1;
		}
		for (i = 0; i < n; i++)
			all[i] = fds[i];
		all[n].fd = c->fd;
		all[n].events = POLLIN;
		all[n].revents = 0;
		ms = timeout_ms;
		if (end != 0) {
			now = time_mono_ms();
			ms = end > now ? (int)(end - now) : 0;
		}
		rc = poll(all, n + 1, cancel_wait_ms(c, ms));
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			return -1;
		if (cancel_fired(c)) {
			errno = ECANCELED;
			return -1;
		}
		for (i = 0; i < n; i++)
			fds[i].revents = all[i].revents;
		rc -= all[n].revents != 0;
		if (rc > 0 || (end != 0 && time_mono_ms() >= end))
			return rc;
	}
}

int
cancel_sleep(const struct cancel *c, long ms)
{
	int ms_int = ms > INT32_MAX ? INT32_MAX : (int)(ms < 0 ? 0 : ms);

	if (cancel_poll(c, NULL, 0, ms_int) == -1 && errno == ECANCELED)
		return -1;
	return 0;
}
