/* test_events.c — the event bus: ids, order, replay, loss, notify, threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "kernel/events.h"
#include "util/xalloc.h"

#define MT_PUBLISHERS 4
#define MT_PER_PUBLISHER 10000
#define MT_TOTAL (MT_PUBLISHERS * MT_PER_PUBLISHER)
#define MT_READERS 2

static uint64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
publish_n(const char *type, int n)
{
	json_t *d;
	uint64_t id;

	d = json_pack("{s:i}", "n", n);
	assert_non_null(d);
	id = events_publish(type, d);
	json_decref(d);
	return id;
}

/* Read one event, which must exist, and check its id and gap. */
static void
expect_next(struct events_sub *s, uint64_t id, uint64_t lost)
{
	struct event e;
	uint64_t l = 12345;

	assert_int_equal(events_next(s, &e, &l), 1);
	assert_int_equal(e.id, id);
	assert_int_equal(l, lost);
	free(e.data);
}

static void
expect_none(struct events_sub *s)
{
	struct event e;
	uint64_t l = 12345;

	assert_int_equal(events_next(s, &e, &l), 0);
	assert_int_equal(l, 0);
}

static void
test_ids(void **state)
{
	uint64_t before, after, id, prev, n0, now, deadline;
	int i;

	(void)state;
	before = wall_us();
	events_init(16);
	assert_int_equal(events_last_id(), 0);
	n0 = events_published();
	id = publish_n("t", 0);
	after = wall_us();
	/*
	 * Microseconds of the wall clock: not milliseconds or seconds (far
	 * below `before`), and no later than now, give or take the ids
	 * earlier tests may have used up (at most a few tens of thousands).
	 */
	assert_true(id >= before);
	assert_true(id <= after + 1000000u);
	assert_int_equal(events_last_id(), id);
	prev = id;
	for (i = 1; i < 100; i++) {
		id = publish_n("t", i);
		assert_int_equal(id, prev + 1);
		assert_int_equal(events_last_id(), id);
		prev = id;
	}
	assert_int_equal(events_published() - n0, 100);

	/* A new init clears the ring but never reuses an id. */
	events_init(16);
	assert_int_equal(events_last_id(), 0);
	id = publish_n("t", 0);
	assert_true(id > prev);
	assert_int_equal(events_published() - n0, 101);

	/*
	 * Not even when ids have run ahead of the clock: publish faster than
	 * one event a microsecond (natively easy; valgrind may be too slow,
	 * and then there is nothing to check), then start again.
	 */
	deadline = wall_us() + 500000;
	do {
		for (i = 0; i < 1000; i++)
			id = events_publish("fast", NULL);
		now = wall_us();
	} while (id <= now + 1000 && now < deadline);
	if (id > now + 1000) {
		events_init(16);
		assert_true(events_publish("t", NULL) > id);
	}
}

static void
test_order_and_data(void **state)
{
	struct events_sub *s;
	struct event e;
	json_t *d, *back;
	char *want, *big;
	uint64_t ids[3], lost;
	int64_t t0;
	const char *longtype =
	    "a.type.name.that.is.much.longer.than.forty.seven."
	    "bytes";
	int i;

	(void)state;
	events_init(16);
	s = events_subscribe(0, NULL, NULL);
	assert_non_null(s);
	expect_none(s);

	d = json_pack("{s:s, s:i, s:[i,i]}", "text", "h\xc3\xa9llo \"q\"\n",
	    "n", 3, "a", 1, 2);
	want = json_dumps(d, JSON_COMPACT);
	t0 = (int64_t)(wall_us() / 1000);
	ids[0] = events_publish("agent.delta", d);
	ids[1] = events_publish("agent.started", NULL);
	ids[2] = events_publish(longtype, d);

	assert_int_equal(events_next(s, &e, &lost), 1);
	assert_int_equal(lost, 0);
	assert_int_equal(e.id, ids[0]);
	assert_string_equal(e.type, "agent.delta");
	assert_string_equal(e.data, want);
	assert_int_equal(e.data_len, strlen(want));
	assert_true(e.time_ms >= t0 && e.time_ms < t0 + 60000);
	back = json_loads(e.data, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(back, d));
	free(e.data);

	/* NULL data is the empty object. */
	assert_int_equal(events_next(s, &e, NULL), 1);
	assert_int_equal(e.id, ids[1]);
	assert_string_equal(e.type, "agent.started");
	assert_string_equal(e.data, "{}");
	assert_int_equal(e.data_len, 2);
	free(e.data);

	/* A long type is cut, still NUL-terminated. */
	assert_int_equal(events_next(s, &e, NULL), 1);
	assert_int_equal(e.id, ids[2]);
	assert_int_equal(strlen(e.type), sizeof e.type - 1);
	assert_int_equal(strncmp(e.type, longtype, sizeof e.type - 1), 0);
	/* The copy is the caller's: changing it leaves the ring alone. */
	e.data[0] = 'X';
	free(e.data);
	expect_none(s);

	/* A second reader sees the same data, not the changed copy. */
	events_unsubscribe(s);
	s = events_subscribe(ids[1], NULL, NULL);
	assert_int_equal(events_next(s, &e, NULL), 1);
	assert_string_equal(e.data, want);
	free(e.data);
	expect_none(s);

	/* Publishing after the reader caught up is seen, in order. */
	for (i = 0; i < 5; i++)
		ids[0] = publish_n("x", i);
	for (i = 0; i < 5; i++)
		expect_next(s, ids[0] - 4 + (uint64_t)i, 0);
	expect_none(s);

	/* Big data goes through whole. */
	big = xmalloc(100001);
	memset(big, 'z', 100000);
	big[100000] = '\0';
	json_decref(back);
	back = json_pack("{s:s}", "big", big);
	assert_non_null(back);
	ids[1] = events_publish("big", back);
	assert_int_equal(events_next(s, &e, NULL), 1);
	assert_int_equal(e.id, ids[1]);
	assert_int_equal(e.data_len, 100000 + strlen("{\"big\":\"\"}"));
	assert_int_equal(strlen(e.data), e.data_len);
	assert_string_equal(e.data + e.data_len - 4, "zz\"}");
	assert_int_equal(strncmp(e.data, "{\"big\":\"zz", 10), 0);
	free(e.data);
	free(big);
	expect_none(s);

	events_unsubscribe(s);
	free(want);
	json_decref(back);
	json_decref(d);
}

static void
test_from_now_on(void **state)
{
	struct events_sub *now, *future;
	uint64_t id;
	int i;

	(void)state;
	events_init(16);
	for (i = 0; i < 5; i++)
		id = publish_n("old", i);
	now = events_subscribe(0, NULL, NULL);
	/* An id nobody has had yet is "from now on" too. */
	future = events_subscribe(id + 1000, NULL, NULL);
	expect_none(now);
	expect_none(future);
	id = publish_n("new", 0);
	expect_next(now, id, 0);
	expect_next(future, id, 0);
	expect_none(now);
	expect_none(future);
	events_unsubscribe(now);
	events_unsubscribe(future);

	/* On an empty ring as well. */
	events_init(16);
	now = events_subscribe(0, NULL, NULL);
	expect_none(now);
	id = publish_n("new", 1);
	expect_next(now, id, 0);
	expect_none(now);
	events_unsubscribe(now);
}

static void
test_replay(void **state)
{
	struct events_sub *s;
	uint64_t ids[10];
	int i;

	(void)state;
	events_init(16);
	for (i = 0; i < 10; i++)
		ids[i] = publish_n("r", i);

	/* Last-Event-ID: exactly the events after it. */
	s = events_subscribe(ids[4], NULL, NULL);
	for (i = 5; i < 10; i++)
		expect_next(s, ids[i], 0);
	expect_none(s);
	events_unsubscribe(s);

	/* The newest id: nothing to replay, but later events come. */
	s = events_subscribe(ids[9], NULL, NULL);
	expect_none(s);
	expect_next(s, publish_n("r", 10), 0);
	events_unsubscribe(s);

	/* The id just before the first: everything, nothing lost. */
	s = events_subscribe(ids[0] - 1, NULL, NULL);
	for (i = 0; i < 10; i++)
		expect_next(s, ids[i], 0);
	events_unsubscribe(s);

	/*
	 * An id from an earlier run: replay all the ring has; nothing of
	 * this run was dropped, so nothing is reported lost.
	 */
	s = events_subscribe(1, NULL, NULL);
	expect_next(s, ids[0], 0);
	events_unsubscribe(s);
}

static void
test_slow_subscriber(void **state)
{
	struct events_sub *s, *old, *early;
	uint64_t ids[40];
	int i;

	(void)state;
	events_init(8);
	s = events_subscribe(0, NULL, NULL);
	for (i = 0; i < 20; i++)
		ids[i] = publish_n("s", i);
	/* The ring holds 12..19: 0..11 are gone. */
	expect_next(s, ids[12], 12);
	for (i = 13; i < 20; i++)
		expect_next(s, ids[i], 0);
	expect_none(s);

	/* Caught up, then behind by two. */
	for (i = 20; i < 23; i++)
		ids[i] = publish_n("s", i);
	for (i = 20; i < 23; i++)
		expect_next(s, ids[i], 0);
	for (i = 23; i < 33; i++)
		ids[i] = publish_n("s", i);
	expect_next(s, ids[25], 2);
	expect_next(s, ids[26], 0);

	/* A Last-Event-ID older than the ring: the gap on the first read. */
	old = events_subscribe(ids[2], NULL, NULL);
	expect_next(old, ids[25], 22);
	expect_next(old, ids[26], 0);
	/* From an earlier run: only this run's dropped events count. */
	early = events_subscribe(1, NULL, NULL);
	expect_next(early, ids[25], 25);
	expect_next(early, ids[26], 0);
	events_unsubscribe(early);
	events_unsubscribe(old);
	events_unsubscribe(s);
}

struct counter {
	atomic_int calls;
};

static void
count_notify(void *arg)
{
	struct counter *c = arg;

	atomic_fetch_add(&c->calls, 1);
}

static void
test_notify(void **state)
{
	struct events_sub *a, *b;
	struct counter ca, cb;
	int i;

	(void)state;
	events_init(8);
	atomic_init(&ca.calls, 0);
	atomic_init(&cb.calls, 0);
	a = events_subscribe(0, count_notify, &ca);
	for (i = 0; i < 3; i++)
		publish_n("n", i);
	assert_int_equal(atomic_load(&ca.calls), 3);
	b = events_subscribe(0, count_notify, &cb);
	for (i = 0; i < 20; i++)
		publish_n("n", i);
	/* Once per publish, whether or not anyone reads. */
	assert_int_equal(atomic_load(&ca.calls), 23);
	assert_int_equal(atomic_load(&cb.calls), 20);
	events_unsubscribe(a);
	publish_n("n", 0);
	assert_int_equal(atomic_load(&ca.calls), 23);
	assert_int_equal(atomic_load(&cb.calls), 21);
	events_unsubscribe(b);
	publish_n("n", 0);
	assert_int_equal(atomic_load(&cb.calls), 21);
}

struct spin {
	atomic_int stop;
	atomic_int published;
};

static void *
spin_publisher(void *arg)
{
	struct spin *sp = arg;

	while (!atomic_load(&sp->stop)) {
		events_publish("spin", NULL);
		atomic_fetch_add(&sp->published, 1);
		/* Under valgrind, threads take turns: give the CPU back. */
		sched_yield();
	}
	return NULL;
}

/*
 * Unsubscribe while another thread publishes, then free what notify
 * touches: a late notify would be a use after free (ASan, valgrind) or a
 * count that still moves.
 */
static void
test_notify_unsubscribe_race(void **state)
{
	struct spin sp;
	struct counter *c;
	struct events_sub *s;
	pthread_t t;
	int i, calls, p0;

	(void)state;
	events_init(64);
	atomic_init(&sp.stop, 0);
	atomic_init(&sp.published, 0);
	assert_int_equal(pthread_create(&t, NULL, spin_publisher, &sp), 0);
	for (i = 0; i < 200; i++) {
		c = malloc(sizeof *c);
		assert_non_null(c);
		atomic_init(&c->calls, 0);
		s = events_subscribe(0, count_notify, c);
		/* Let a few publishes reach it. */
		p0 = atomic_load(&sp.published);
		while (atomic_load(&sp.published) < p0 + 2)
			sched_yield();
		events_unsubscribe(s);
		calls = atomic_load(&c->calls);
		assert_true(calls >= 1);
		p0 = atomic_load(&sp.published);
		while (atomic_load(&sp.published) < p0 + 2)
			sched_yield();
		assert_int_equal(atomic_load(&c->calls), calls);
		free(c);
	}
	atomic_store(&sp.stop, 1);
	pthread_join(t, NULL);
}

struct reader {
	struct events_sub *sub;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int woken;
	int done;       /* set once every publisher has returned */
	uint64_t start; /* the cursor it began at */
	uint64_t seen;
	uint64_t lost;
	int bad_step;  /* an id that was not prev + lost + 1 */
	int bad_order; /* a publisher's events out of its own order */
	int bad_data;
	int last_i[MT_PUBLISHERS];
};

static void
reader_notify(void *arg)
{
	struct reader *r = arg;

	pthread_mutex_lock(&r->lock);
	r->woken = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct event e;
	json_t *d;
	uint64_t prev = r->start, lost;
	json_int_t p, i;
	int k, done;

	for (k = 0; k < MT_PUBLISHERS; k++)
		r->last_i[k] = -1;
	for (;;) {
		/* Never hold our lock while calling the bus. */
		pthread_mutex_lock(&r->lock);
		while (!r->woken)
			pthread_cond_wait(&r->cond, &r->lock);
		r->woken = 0;
		done = r->done;
		pthread_mutex_unlock(&r->lock);
		while (events_next(r->sub, &e, &lost) == 1) {
			if (e.id != prev + lost + 1)
				r->bad_step++;
			prev = e.id;
			r->seen++;
			r->lost += lost;
			d = json_loads(e.data, 0, NULL);
			if (d == NULL ||
			    json_unpack(d, "{s:I, s:I}", "p", &p, "i", &i) !=
				0 ||
			    p < 0 || p >= MT_PUBLISHERS) {
				r->bad_data++;
			} else {
				/* Gaps are allowed after a loss, never going back. */
				if (i <= r->last_i[p] ||
				    (lost == 0 && r->lost == 0 &&
					i != r->last_i[p] + 1))
					r->bad_order++;
				r->last_i[p] = (int)i;
			}
			json_decref(d);
			free(e.data);
		}
		/*
		 * Stop when the publishers had finished before this drain,
		 * not when the count looks right: a bus that drops events
		 * silently must fail the test, not hang it.
		 */
		if (done)
			break;
	}
	return NULL;
}

static void *
publisher_main(void *arg)
{
	json_int_t p = (json_int_t)(intptr_t)arg;
	json_t *d;
	int i;

	for (i = 0; i < MT_PER_PUBLISHER; i++) {
		d = json_pack("{s:I, s:i}", "p", p, "i", i);
		events_publish("mt", d);
		json_decref(d);
	}
	return NULL;
}

static void
run_threads(size_t ring, struct reader *r)
{
	pthread_t pub[MT_PUBLISHERS], rd[MT_READERS];
	uint64_t n0;
	int k;

	events_init(ring);
	publish_n("before", 0); /* not counted: the readers start after it */
	n0 = events_published();
	for (k = 0; k < MT_READERS; k++) {
		memset(&r[k], 0, sizeof r[k]);
		pthread_mutex_init(&r[k].lock, NULL);
		pthread_cond_init(&r[k].cond, NULL);
		r[k].start = events_last_id();
		r[k].sub = events_subscribe(0, reader_notify, &r[k]);
		assert_int_equal(pthread_create(&rd[k], NULL, reader_main,
				     &r[k]),
		    0);
	}
	for (k = 0; k < MT_PUBLISHERS; k++)
		assert_int_equal(pthread_create(&pub[k], NULL, publisher_main,
				     (void *)(intptr_t)k),
		    0);
	for (k = 0; k < MT_PUBLISHERS; k++)
		pthread_join(pub[k], NULL);
	for (k = 0; k < MT_READERS; k++) {
		pthread_mutex_lock(&r[k].lock);
		r[k].done = 1;
		r[k].woken = 1;
		pthread_cond_signal(&r[k].cond);
		pthread_mutex_unlock(&r[k].lock);
	}
	for (k = 0; k < MT_READERS; k++) {
		pthread_join(rd[k], NULL);
		events_unsubscribe(r[k].sub);
		pthread_mutex_destroy(&r[k].lock);
		pthread_cond_destroy(&r[k].cond);
	}
	assert_int_equal(events_published() - n0, MT_TOTAL);
	assert_int_equal(events_last_id(), r[0].start + MT_TOTAL);
}

static void
test_threads_big_ring(void **state)
{
	struct reader r[MT_READERS];
	int k, p;

	(void)state;
	run_threads(MT_TOTAL + 16, r);
	for (k = 0; k < MT_READERS; k++) {
		/* Every id exactly once, in order. */
		assert_int_equal(r[k].seen, MT_TOTAL);
		assert_int_equal(r[k].lost, 0);
		assert_int_equal(r[k].bad_step, 0);
		assert_int_equal(r[k].bad_order, 0);
		assert_int_equal(r[k].bad_data, 0);
		for (p = 0; p < MT_PUBLISHERS; p++)
			assert_int_equal(r[k].last_i[p], MT_PER_PUBLISHER - 1);
	}
}

static void
test_threads_small_ring(void **state)
{
	struct reader r[MT_READERS];
	int k;

	(void)state;
	run_threads(64, r);
	for (k = 0; k < MT_READERS; k++) {
		/* Strictly increasing, every gap reported, nothing extra. */
		assert_int_equal(r[k].seen + r[k].lost, MT_TOTAL);
		assert_true(r[k].seen > 0);
		assert_int_equal(r[k].bad_step, 0);
		assert_int_equal(r[k].bad_order, 0);
		assert_int_equal(r[k].bad_data, 0);
	}
}

/* Secrets never reach a subscriber; the publisher's value is untouched;
 * events_emit() names the type. */
static void
test_redacted_and_typed(void **state)
{
	struct events_sub *s;
	struct event e;
	json_t *d;
	uint64_t lost;

	(void)state;
	events_init(16);
	s = events_subscribe(0, NULL, NULL);
	d = json_pack("{s:s, s:{s:s}, s:s}", "name", "exec", "input", "api_key",
	    "plain-secret-value", "text", "key is sk-abcdefghijklmnop1234 ok");
	events_emit(EVENT_TOOL_CALL, d);
	assert_int_equal(events_next(s, &e, &lost), 1);
	assert_string_equal(e.type, "tool.call");
	assert_null(strstr(e.data, "plain-secret-value"));
	assert_null(strstr(e.data, "sk-abcdefghijklmnop1234"));
	assert_non_null(strstr(e.data, "<redacted>"));
	assert_non_null(strstr(e.data, "\"name\":\"exec\""));
	free(e.data);
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(d, "input"),
				    "api_key")),
	    "plain-secret-value");
	json_decref(d);
	/* Every type has its name. */
	assert_string_equal(events_type_name(EVENT_AGENT_STARTED),
	    "agent.started");
	assert_string_equal(events_type_name(EVENT_DAEMON_STOPPING),
	    "daemon.stopping");
	for (int t = 0; t < EVENT_TYPE_COUNT; t++)
		assert_string_not_equal(events_type_name((enum event_type)t),
		    "unknown");
	assert_string_equal(events_type_name(EVENT_TYPE_COUNT), "unknown");
	events_unsubscribe(s);
}

static int
teardown(void **state)
{
	(void)state;
	events_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ids, teardown),
		cmocka_unit_test_teardown(test_redacted_and_typed, teardown),
		cmocka_unit_test_teardown(test_order_and_data, teardown),
		cmocka_unit_test_teardown(test_from_now_on, teardown),
		cmocka_unit_test_teardown(test_replay, teardown),
		cmocka_unit_test_teardown(test_slow_subscriber, teardown),
		cmocka_unit_test_teardown(test_notify, teardown),
		cmocka_unit_test_teardown(test_notify_unsubscribe_race,
		    teardown),
		cmocka_unit_test_teardown(test_threads_big_ring, teardown),
		cmocka_unit_test_teardown(test_threads_small_ring, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
