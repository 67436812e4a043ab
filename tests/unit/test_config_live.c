/*
 * test_config_live.c — the live configuration: get, put, replace, the
 * lists of changed and restart keys, a replaced configuration freed at its
 * last put, and all of it from several threads at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/live.h"

#define MT_READERS 4
#define MT_REPLACES 300
#define MT_PORT0 4000

static int
setup(void **state)
{
	(void)state;
	unsetenv("OXIOS_LOG_LEVEL");
	unsetenv("OXIOS_API_KEY");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	config_live_shutdown();
	return 0;
}

static struct config *
load(const char *text)
{
	struct config *cfg = NULL;
	char *cause = NULL;

	if (config_load_text("test.toml", text, strlen(text), &cfg, &cause) !=
	    0)
		fail_msg("%s", cause);
	return cfg;
}

static struct config *
load_port(int port)
{
	char text[64];

	snprintf(text, sizeof text, "[gateway]\nport = %d\n", port);
	return load(text);
}

/* The strings of a JSON array, sorted and joined with ','. */
static char *
joined(json_t *a)
{
	const char *keys[64];
	char *out;
	size_t i, j, n = json_array_size(a), len = 1;

	assert_true(n < 64);
	for (i = 0; i < n; i++) {
		keys[i] = json_string_value(json_array_get(a, i));
		assert_non_null(keys[i]);
		len += strlen(keys[i]) + 1;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	out = calloc(1, len);
	assert_non_null(out);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, keys[i]);
	}
	return out;
}

static void
expect_lists(json_t *changed, json_t *restart, const char *want_changed,
    const char *want_restart)
{
	char *c = joined(changed), *r = joined(restart);

	assert_string_equal(c, want_changed);
	assert_string_equal(r, want_restart);
	free(c);
	free(r);
	json_decref(changed);
	json_decref(restart);
}

static void
test_before_init(void **state)
{
	(void)state;
	assert_int_equal(config_live_count(), 0);
	assert_null(config_live_get());
	config_live_put(NULL);  /* ignored */
	config_live_shutdown(); /* nothing to free */
	assert_int_equal(config_live_count(), 0);
}

static void
test_get_is_current(void **state)
{
	struct config *a = load_port(4300);
	const struct config *r1, *r2;

	(void)state;
	config_live_init(a);
	assert_int_equal(config_live_count(), 1);
	r1 = config_live_get();
	r2 = config_live_get();
	assert_ptr_equal(r1, a);
	assert_ptr_equal(r2, a);
	assert_int_equal(config_int(r1, "gateway.port"), 4300);
	config_live_put(r1);
	config_live_put(r2);
	/* Being current holds it: the puts free nothing. */
	assert_int_equal(config_live_count(), 1);
	assert_ptr_equal((r1 = config_live_get()), a);
	config_live_put(r1);
	config_live_shutdown();
	assert_int_equal(config_live_count(), 0);
	assert_null(config_live_get());
}

static void
test_replace_lists(void **state)
{
	json_t *changed, *restart;

	(void)state;
	config_live_init(load("[gateway]\nport = 4300\n"
			      "rate_limit_per_min = 100\n"
			      "[memory]\nembedding_url = \"http://x\"\n"));
	/* A port (restart), a host (restart), a level (live), an unset
	 * key; rate_limit_per_min is the same. */
	config_live_replace(load("[gateway]\nport = 4301\n"
				 "host = \"0.0.0.0\"\n"
				 "rate_limit_per_min = 100\n"
				 "[logging]\nlevel = \"debug\"\n"),
	    &changed, &restart);
	expect_lists(changed, restart,
	    "gateway.host,gateway.port,logging.level,memory.embedding_url",
	    "gateway.host,gateway.port");
	/* The same values again: nothing changed. */
	config_live_replace(load("[gateway]\nport = 4301\n"
				 "host = \"0.0.0.0\"\n"
				 "rate_limit_per_min = 100\n"
				 "[logging]\nlevel = \"debug\"\n"),
	    &changed, &restart);
	expect_lists(changed, restart, "", "");
	/* Live keys only: no restart. */
	config_live_replace(load("[gateway]\nport = 4301\n"
				 "host = \"0.0.0.0\"\n"
				 "rate_limit_per_min = 7\n"
				 "[memory]\nembedding_url = \"http://y\"\n"
				 "[logging]\nlevel = \"debug\"\n"),
	    &changed, &restart);
	expect_lists(changed, restart,
	    "gateway.rate_limit_per_min,memory.embedding_url", "");
	/* Nobody held the replaced ones: each was freed at once. */
	assert_int_equal(config_live_count(), 1);
}

static void
test_restart_keys(void **state)
{
	(void)state;
	assert_true(config_live_restart_key("gateway.host"));
	assert_true(config_live_restart_key("gateway.port"));
	assert_true(config_live_restart_key("logging.target"));
	assert_true(config_live_restart_key("logging.format"));
	assert_false(config_live_restart_key("logging.level"));
	assert_false(config_live_restart_key("gateway.rate_limit_per_min"));
	assert_false(config_live_restart_key("kernel.max_agents"));
	assert_false(config_live_restart_key("gateway"));
	assert_false(config_live_restart_key(""));
}

static void
test_old_freed_at_last_put(void **state)
{
	const struct config *a1, *a2, *b, *c, *cur;
	json_t *changed, *restart;

	(void)state;
	config_live_init(load_port(4001));
	a1 = config_live_get();
	a2 = config_live_get();
	config_live_replace(load_port(4002), &changed, &restart);
	expect_lists(changed, restart, "gateway.port", "gateway.port");
	/* A is held twice: it lives on beside B. */
	assert_int_equal(config_live_count(), 2);
	assert_int_equal(config_int(a1, "gateway.port"), 4001);
	b = config_live_get();
	assert_int_equal(config_int(b, "gateway.port"), 4002);
	config_live_put(a1);
	assert_int_equal(config_live_count(), 2);
	assert_int_equal(config_int(a2, "gateway.port"), 4001);

	/* B held, C replaces it, D replaces C (nobody held C). */
	config_live_replace(load_port(4003), &changed, &restart);
	json_decref(changed);
	json_decref(restart);
	c = config_live_get();
	assert_int_equal(config_live_count(), 3); /* A, B, C */
	config_live_put(c);
	config_live_replace(load_port(4004), &changed, &restart);
	json_decref(changed);
	json_decref(restart);
	assert_int_equal(config_live_count(), 3); /* A, B, D */

	/* The last put of each old one frees it, in any order. */
	assert_int_equal(config_int(b, "gateway.port"), 4002);
	config_live_put(b);
	assert_int_equal(config_live_count(), 2);
	assert_int_equal(config_int(a2, "gateway.port"), 4001);
	config_live_put(a2);
	assert_int_equal(config_live_count(), 1);
	cur = config_live_get();
	assert_int_equal(config_int(cur, "gateway.port"), 4004);
	config_live_put(cur);
	assert_int_equal(config_live_count(), 1);
}

static void
test_shutdown_frees_held(void **state)
{
	const struct config *a;
	json_t *changed, *restart;

	(void)state;
	config_live_init(load_port(4001));
	a = config_live_get();
	config_live_replace(load_port(4002), &changed, &restart);
	json_decref(changed);
	json_decref(restart);
	assert_int_equal(config_live_count(), 2);
	(void)a; /* never put: shutdown frees it (valgrind checks) */
	config_live_shutdown();
	assert_int_equal(config_live_count(), 0);
	/* And it starts afresh. */
	config_live_init(load_port(4005));
	a = config_live_get();
	assert_int_equal(config_int(a, "gateway.port"), 4005);
	config_live_put(a);
}

/* ---- threads ---- */

static atomic_int mt_done;
static atomic_long mt_reads;

/*
 * A reader: get, read, put, in a loop, while the writer replaces.  The
 * writer only raises the port, so what one reader sees never goes down;
 * a configuration it holds keeps its value however many replaces pass
 * (one is held across several rounds on purpose).
 */
static void *
mt_reader(void *arg)
{
	const struct config *cfg, *held = NULL;
	long long port, last = 0, held_port = 0;
	long n = 0;
	int bad = 0;

	(void)arg;
	while (!atomic_load(&mt_done) || n < 1000) {
		cfg = config_live_get();
		port = config_int(cfg, "gateway.port");
		if (port < last || port < MT_PORT0 ||
		    port > MT_PORT0 + MT_REPLACES)
			bad = 1;
		last = port;
		if (held == NULL && n % 7 == 0) {
			held = cfg; /* keep this reference a while */
			held_port = port;
		} else
			config_live_put(cfg);
		if (held != NULL && n % 7 == 6) {
			if (config_int(held, "gateway.port") != held_port)
				bad = 1;
			config_live_put(held);
			held = NULL;
		}
		n++;
	}
	config_live_put(held);
	atomic_fetch_add(&mt_reads, n);
	return bad ? (void *)1 : NULL;
}

static void *
mt_writer(void *arg)
{
	json_t *changed, *restart;
	char *c;
	int i, bad = 0;

	(void)arg;
	for (i = 1; i <= MT_REPLACES; i++) {
		config_live_replace(load_port(MT_PORT0 + i), &changed,
		    &restart);
		c = joined(changed);
		if (strcmp(c, "gateway.port") != 0 ||
		    json_array_size(restart) != 1)
			bad = 1;
		free(c);
		json_decref(changed);
		json_decref(restart);
	}
	atomic_store(&mt_done, 1);
	return bad ? (void *)1 : NULL;
}

static void
test_threads(void **state)
{
	pthread_t readers[MT_READERS], writer;
	const struct config *cur;
	void *ret;
	int i;

	(void)state;
	atomic_store(&mt_done, 0);
	atomic_store(&mt_reads, 0);
	config_live_init(load_port(MT_PORT0));
	for (i = 0; i < MT_READERS; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, mt_reader,
				     NULL),
		    0);
	assert_int_equal(pthread_create(&writer, NULL, mt_writer, NULL), 0);
	assert_int_equal(pthread_join(writer, &ret), 0);
	assert_null(ret);
	for (i = 0; i < MT_READERS; i++) {
		assert_int_equal(pthread_join(readers[i], &ret), 0);
		assert_null(ret);
	}
	assert_true(atomic_load(&mt_reads) >= MT_READERS * 1000);
	/* Every reader put what it got: only the current one is left. */
	assert_int_equal(config_live_count(), 1);
	cur = config_live_get();
	assert_int_equal(config_int(cur, "gateway.port"),
	    MT_PORT0 + MT_REPLACES);
	config_live_put(cur);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_before_init, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_get_is_current, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_replace_lists, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_old_freed_at_last_put,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_frees_held, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
