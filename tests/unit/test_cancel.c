/*
 * test_cancel.c — cancel tokens: fire wakes a poller at once, a fired
 * parent fires its children (also those chained after it fired), a
 * deadline counts as fired and bounds every wait, child deadlines never
 * outlast the parent's, and many threads firing and polling at once
 * (ThreadSanitizer watches).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/cancel.h"
#include "util/time.h"

static void
test_fire(void **state)
{
	struct cancel c;

	(void)state;
	cancel_init(&c, NULL, 0);
	assert_false(cancel_fired(&c));
	assert_false(cancel_timed_out(&c));
	assert_true(cancel_fd(&c) >= 0);
	assert_int_equal(cancel_wait_ms(&c, -1), -1);
	assert_int_equal(cancel_wait_ms(&c, 70), 70);
	assert_int_equal(cancel_poll(&c, NULL, 0, 0), 0);
	cancel_fire(&c);
	cancel_fire(&c); /* idempotent */
	assert_true(cancel_fired(&c));
	assert_false(cancel_timed_out(&c));
	assert_int_equal(cancel_poll(&c, NULL, 0, -1), -1);
	assert_int_equal(errno, ECANCELED);
	assert_int_equal(cancel_sleep(&c, 100000), -1);
	cancel_destroy(&c);
	/* NULL is a token that never fires. */
	assert_false(cancel_fired(NULL));
	assert_int_equal(cancel_fd(NULL), -1);
	assert_int_equal(cancel_sleep(NULL, 1), 0);
	cancel_fire(NULL);
}

static void
test_tree(void **state)
{
	struct cancel root, a, b, a1, late;

	(void)state;
	cancel_init(&root, NULL, 0);
	cancel_init(&a, &root, 0);
	cancel_init(&b, &root, 0);
	cancel_init(&a1, &a, 0);
	/* Firing a branch leaves its siblings and parent alone. */
	cancel_fire(&a);
	assert_true(cancel_fired(&a));
	assert_true(cancel_fired(&a1));
	assert_false(cancel_fired(&b));
	assert_false(cancel_fired(&root));
	cancel_fire(&root);
	assert_true(cancel_fired(&b));
	/* Chained below a fired token: fired from the start. */
	cancel_init(&late, &root, 0);
	assert_true(cancel_fired(&late));
	assert_int_equal(cancel_poll(&late, NULL, 0, -1), -1);
	cancel_destroy(&late);
	cancel_destroy(&a1);
	cancel_destroy(&b);
	cancel_destroy(&a);
	cancel_destroy(&root);
}

static void
test_destroy_unchains(void **state)
{
	struct cancel root, a, b;

	(void)state;
	cancel_init(&root, NULL, 0);
	cancel_init(&a, &root, 0);
	cancel_init(&b, &root, 0);
	cancel_destroy(&a); /* root must forget it: firing must not touch a */
	cancel_fire(&root);
	assert_true(cancel_fired(&b));
	cancel_destroy(&b);
	cancel_destroy(&root);
}

static void
test_deadline(void **state)
{
	struct cancel parent, child, longer;
	struct pollfd pfd;
	uint64_t t0;
	int fds[2];

	(void)state;
	/* From before the deadline is set: the time the set-up takes (long
	 * under valgrind on a busy machine) counts toward it. */
	t0 = time_mono_ms();
	cancel_init(&parent, NULL, 150);
	cancel_init(&child, &parent, 0);       /* inherits 150 ms */
	cancel_init(&longer, &parent, 100000); /* cannot outlast it */
	assert_true(cancel_wait_ms(&child, -1) <= 150);
	assert_true(cancel_wait_ms(&longer, -1) <= 150);
	assert_int_equal(cancel_wait_ms(&child, 5), 5);
	assert_int_equal(pipe(fds), 0);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	/* A wait with no data ends at the deadline, not after. */
	assert_int_equal(cancel_poll(&child, &pfd, 1, -1), -1);
	assert_int_equal(errno, ECANCELED);
	assert_true(time_mono_ms() - t0 >= 149);
	assert_true(time_mono_ms() - t0 < 2000);
	assert_true(cancel_fired(&child));
	assert_true(cancel_timed_out(&child));
	assert_true(cancel_timed_out(&longer));
	assert_true(cancel_timed_out(&parent));
	close(fds[0]);
	close(fds[1]);
	cancel_destroy(&longer);
	cancel_destroy(&child);
	cancel_destroy(&parent);
}

static void
test_poll_data_first(void **state)
{
	struct cancel c;
	struct pollfd pfd;
	int fds[2];

	(void)state;
	cancel_init(&c, NULL, 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	pfd.revents = 0;
	assert_int_equal(cancel_poll(&c, &pfd, 1, 1000), 1);
	assert_true(pfd.revents & POLLIN);
	/* A timeout with nothing to read: 0, not an error. */
	pfd.fd = fds[1];
	pfd.events = 0;
	assert_int_equal(cancel_poll(&c, &pfd, 1, 20), 0);
	close(fds[0]);
	close(fds[1]);
	cancel_destroy(&c);
}

struct waiter {
	struct cancel *c;
	uint64_t woke_ms;
};

static void *
wait_thread(void *arg)
{
	struct waiter *w = arg;

	if (cancel_poll(w->c, NULL, 0, 10000) == -1 && errno == ECANCELED)
		w->woke_ms = time_mono_ms();
	return NULL;
}

/* Many threads wait on tokens of one tree; one fire wakes them all at
 * once (no slices). */
static void
test_wakes_pollers(void **state)
{
	struct cancel root, kids[8];
	struct waiter w[8];
	pthread_t t[8];
	uint64_t fired;
	int i;

	(void)state;
	cancel_init(&root, NULL, 0);
	for (i = 0; i < 8; i++) {
		cancel_init(&kids[i], &root, 0);
		w[i].c = &kids[i];
		w[i].woke_ms = 0;
		assert_int_equal(pthread_create(&t[i], NULL, wait_thread,
				     &w[i]),
		    0);
	}
	usleep(50000);
	fired = time_mono_ms();
	cancel_fire(&root);
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_true(w[i].woke_ms >= fired);
		assert_true(w[i].woke_ms - fired < 1000);
		cancel_destroy(&kids[i]);
	}
	cancel_destroy(&root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fire),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_destroy_unchains),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_poll_data_first),
		cmocka_unit_test(test_wakes_pollers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
