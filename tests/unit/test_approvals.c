/* test_approvals.c — kernel/approvals.c: the row is the truth (one of
 * answer, expiry and cancel wins), an answer from another connection is
 * seen by the waiter's re-read, the sweep, the allow rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdb.h"

#include "kernel/approvals.h"
#include "store/db.h"
#include "util/time.h"
#include "util/xalloc.h"

static struct tmpdb tdb;

static int
setup(void **state)
{
	(void)state;
	return tmpdb_setup(&tdb, "approvals");
}

static int
teardown(void **state)
{
	(void)state;
	tmpdb_teardown(&tdb);
	return 0;
}

/* A pending approval of `exec` with args {"binary":"git", ...}. */
static void
request(const char *principal, long secs, char id[UUID_STRLEN],
    int64_t *expires)
{
	struct approval_req q;
	json_t *args = json_pack("{s:s, s:[s, s, s]}", "binary", "git", "args",
		   "push", "--force", "origin"),
	       *ev = NULL;
	char *cause = NULL;

	memset(&q, 0, sizeof q);
	q.principal = principal;
	q.agent_id = "a1";
	q.session_id = "s1";
	q.tool = "exec";
	q.args = args;
	q.reason = "deny-listed: force push";
	q.danger = "git-push-force";
	q.timeout_secs = secs;
	assert_int_equal(approvals_request(tdb.db, &q, id, &ev, &cause), 0);
	assert_null(cause);
	assert_string_equal(json_string_value(json_object_get(ev, "id")), id);
	assert_string_equal(json_string_value(json_object_get(ev, "summary")),
	    "git push --force origin");
	if (expires != NULL)
		*expires =
		    json_integer_value(json_object_get(ev, "expires_at_ms"));
	json_decref(ev);
	json_decref(args);
}

static const char *
row_state(const char *id, char *buf, size_t size)
{
	json_t *row = approvals_get(tdb.db, id, NULL);

	assert_non_null(row);
	snprintf(buf, size, "%s",
	    json_string_value(json_object_get(row, "state")));
	json_decref(row);
	return buf;
}

static void
test_answer_once(void **state)
{
	char id[UUID_STRLEN], buf[16], *cause = NULL;
	json_t *row = NULL, *l;

	(void)state;
	request(NULL, 60, id, NULL);
	l = approvals_list(tdb.db, 0, 10, NULL);
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
	assert_int_equal(approvals_answer(tdb.db, id, 1, NULL, "user", &row,
			     &cause),
	    0);
	assert_string_equal(json_string_value(json_object_get(row, "state")),
	    "approved");
	assert_string_equal(json_string_value(json_object_get(row, "scope")),
	    "once");
	assert_string_equal(json_string_value(
				json_object_get(row, "principal")),
	    "default");
	assert_true(json_is_null(json_object_get(row, "rule_id")));
	json_decref(row);
	/* A second answer loses: the row is no longer pending. */
	assert_int_equal(approvals_answer(tdb.db, id, 0, NULL, "user", NULL,
			     &cause),
	    APPROVALS_DECIDED);
	assert_non_null(strstr(cause, "already approved"));
	free(cause);
	cause = NULL;
	assert_string_equal(row_state(id, buf, sizeof buf), "approved");
	assert_int_equal(approvals_answer(tdb.db, "nope", 1, NULL, "user", NULL,
			     &cause),
	    APPROVALS_UNKNOWN);
	free(cause);
	cause = NULL;
	assert_int_equal(approvals_answer(tdb.db, id, 1, "forever", "user",
			     NULL, &cause),
	    -1);
	free(cause);
	l = approvals_list(tdb.db, 0, 10, NULL);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	l = approvals_list(tdb.db, 1, 10, NULL);
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
}

static int ticks;

static void
count_tick(void *arg)
{
	(void)arg;
	ticks++;
}

static void
test_expiry(void **state)
{
	char id[UUID_STRLEN], buf[16], *cause = NULL;
	struct cancel stop;

	(void)state;
	request(NULL, 60, id, NULL);
	cancel_init(&stop, NULL, 0);
	ticks = 0;
	/* Expires in 300 ms: nobody answers. */
	assert_int_equal(approvals_wait(tdb.db, id, &stop, time_wall_ms() + 300,
			     count_tick, NULL),
	    APPROVAL_EXPIRED);
	assert_true(ticks >= 1);
	assert_string_equal(row_state(id, buf, sizeof buf), "expired");
	assert_int_equal(approvals_answer(tdb.db, id, 1, NULL, "user", NULL,
			     &cause),
	    APPROVALS_DECIDED);
	free(cause);
	cancel_destroy(&stop);
}

static void
test_cancel(void **state)
{
	char id[UUID_STRLEN], buf[16], *cause = NULL;
	struct cancel stop;

	(void)state;
	request(NULL, 60, id, NULL);
	cancel_init(&stop, NULL, 0);
	cancel_fire(&stop);
	assert_int_equal(approvals_wait(tdb.db, id, &stop,
			     time_wall_ms() + 60000, NULL, NULL),
	    APPROVAL_CANCELLED);
	assert_string_equal(row_state(id, buf, sizeof buf), "cancelled");
	assert_int_equal(approvals_answer(tdb.db, id, 1, NULL, "user", NULL,
			     &cause),
	    APPROVALS_DECIDED);
	free(cause);
	cancel_destroy(&stop);
}

/* Another connection (as `oxios approvals` in another process). */
struct other {
	char id[UUID_STRLEN];
	int raw; /* a bare UPDATE: nothing in this process is woken */
	int delay_ms;
	int rc;
};

static void *
other_answer(void *arg)
{
	struct other *o = arg;
	sqlite3 *db = NULL;
	char *cause = NULL, sql[200];

	usleep((useconds_t)o->delay_ms * 1000);
	if (db_open(tdb.path, &db, &cause) != 0) {
		free(cause);
		o->rc = -100;
		return NULL;
	}
	if (o->raw) {
		snprintf(sql, sizeof sql,
		    "UPDATE approvals SET state = 'rejected', decided_by = "
		    "'user' WHERE id = '%s' AND state = 'pending'",
		    o->id);
		o->rc = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ?
		    sqlite3_changes(db) :
		    -1;
	} else {
		o->rc = approvals_answer(db, o->id, 1, "once", "user", NULL,
		    &cause);
		free(cause);
	}
	db_close(db);
	return NULL;
}

static void
test_out_of_process(void **state)
{
	struct other o = { .raw = 1, .delay_ms = 100 };
	struct cancel stop;
	pthread_t t;
	uint64_t t0;

	(void)state;
	request(NULL, 60, o.id, NULL);
	cancel_init(&stop, NULL, 0);
	assert_int_equal(pthread_create(&t, NULL, other_answer, &o), 0);
	t0 = time_mono_ms();
	assert_int_equal(approvals_wait(tdb.db, o.id, &stop,
			     time_wall_ms() + 20000, NULL, NULL),
	    APPROVAL_REJECTED);
	/* Seen by the re-read, long before the expiry. */
	assert_true(time_mono_ms() - t0 < 10000);
	pthread_join(t, NULL);
	assert_int_equal(o.rc, 1);
	cancel_destroy(&stop);
}

/* An answer and an expiry at about the same time: exactly one wins, and
 * the waiter reports the winner. */
static void
test_race(void **state)
{
	struct cancel stop;
	struct other o;
	enum approval_state got;
	char buf[16];
	pthread_t t;
	int i, answered = 0, expired = 0;

	(void)state;
	for (i = 0; i < 6; i++) {
		memset(&o, 0, sizeof o);
		o.delay_ms = 150 + (i % 3) * 25;
		request(NULL, 60, o.id, NULL);
		cancel_init(&stop, NULL, 0);
		assert_int_equal(pthread_create(&t, NULL, other_answer, &o), 0);
		got = approvals_wait(tdb.db, o.id, &stop, time_wall_ms() + 200,
		    NULL, NULL);
		pthread_join(t, NULL);
		cancel_destroy(&stop);
		row_state(o.id, buf, sizeof buf);
		if (got == APPROVAL_APPROVED) {
			assert_int_equal(o.rc, 0);
			assert_string_equal(buf, "approved");
			answered++;
		} else {
			assert_int_equal(got, APPROVAL_EXPIRED);
			assert_int_equal(o.rc, APPROVALS_DECIDED);
			assert_string_equal(buf, "expired");
			expired++;
		}
	}
	assert_int_equal(answered + expired, 6);
}

static void
test_sweep(void **state)
{
	char a[UUID_STRLEN], b[UUID_STRLEN], buf[16], *cause = NULL;

	(void)state;
	request(NULL, 60, a, NULL);
	request("ops", 60, b, NULL);
	assert_int_equal(approvals_answer(tdb.db, b, 0, NULL, "user", NULL,
			     &cause),
	    0);
	request(NULL, 60, b, NULL);
	assert_int_equal(approvals_sweep(tdb.db, &cause), 2);
	assert_string_equal(row_state(a, buf, sizeof buf), "expired");
	assert_string_equal(row_state(b, buf, sizeof buf), "expired");
	assert_int_equal(approvals_sweep(tdb.db, &cause), 0);
	assert_null(cause);
}

static void
test_rule_made_beforehand(void **state)
{
	json_t *args = json_pack("{s:s, s:s}", "path", "a.txt", "content", "x");
	json_t *other =
	    json_pack("{s:s, s:s}", "path", "b.txt", "content", "x");
	json_t *bad = json_pack("{s:i}", "path", 1);
	char *cause = NULL;
	int64_t id;

	(void)state;
	id = approvals_rule_add(tdb.db, "ops", "write", args, "user", &cause);
	assert_true(id > 0);
	assert_int_equal(approvals_rule_match(tdb.db, "ops", "write", args),
	    id);
	assert_int_equal(approvals_rule_match(tdb.db, "ops", "write", other),
	    0);
	assert_int_equal(approvals_rule_match(tdb.db, "dev", "write", args), 0);
	assert_int_equal(approvals_rule_add(tdb.db, "ops", "nosuch", args,
			     "user", &cause),
	    APPROVALS_BAD);
	assert_string_equal(cause, "unknown tool 'nosuch'");
	free(cause);
	cause = NULL;
	assert_int_equal(approvals_rule_add(tdb.db, "ops", "write", bad, "user",
			     &cause),
	    APPROVALS_BAD);
	assert_non_null(strstr(cause, "invalid arguments for write"));
	free(cause);
	cause = NULL;
	assert_int_equal(approvals_rule_add(tdb.db, "o p", "write", args,
			     "user", &cause),
	    APPROVALS_BAD);
	free(cause);
	cause = NULL;
	assert_int_equal(approvals_rule_revoke(tdb.db, id, "user", &cause), 0);
	assert_int_equal(approvals_rule_match(tdb.db, "ops", "write", args), 0);
	json_decref(args);
	json_decref(other);
	json_decref(bad);
}

static void
test_reject_with_a_reason(void **state)
{
	char id[UUID_STRLEN], big[APPROVALS_MAX_NOTE + 2], *cause = NULL;
	json_t *row = NULL;

	(void)state;
	request(NULL, 60, id, NULL);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(approvals_reject(tdb.db, id, "user", big, &row,
			     &cause),
	    APPROVALS_BAD);
	assert_non_null(strstr(cause, "at most 1024 bytes"));
	free(cause);
	cause = NULL;
	assert_int_equal(approvals_reject(tdb.db, id, "user", "\xff\xfe", &row,
			     &cause),
	    APPROVALS_BAD);
	free(cause);
	cause = NULL;
	/* Still pending; then a reason that fits is kept as the note. */
	assert_int_equal(approvals_reject(tdb.db, id, "user",
			     "use staging instead", &row, &cause),
	    0);
	assert_string_equal(json_string_value(json_object_get(row, "state")),
	    "rejected");
	assert_string_equal(json_string_value(json_object_get(row, "note")),
	    "use staging instead");
	json_decref(row);
	/* An empty reason is none. */
	request(NULL, 60, id, NULL);
	assert_int_equal(approvals_reject(tdb.db, id, "user", "", &row, &cause),
	    0);
	assert_true(json_is_null(json_object_get(row, "note")));
	json_decref(row);
}

static void
test_rules(void **state)
{
	char id[UUID_STRLEN], *cause = NULL;
	json_t *row = NULL, *same, *other, *rules;
	int64_t rule;

	(void)state;
	request("ops", 60, id, NULL);
	assert_int_equal(approvals_answer(tdb.db, id, 1, "always", "user", &row,
			     &cause),
	    0);
	rule = json_integer_value(json_object_get(row, "rule_id"));
	assert_true(rule > 0);
	json_decref(row);
	/* The same call, its keys in another order: the rule matches. */
	same = json_pack("{s:[s, s, s], s:s}", "args", "push", "--force",
	    "origin", "binary", "git");
	other = json_pack("{s:s, s:[s, s]}", "binary", "git", "args", "push",
	    "origin");
	assert_int_equal(approvals_rule_match(tdb.db, "ops", "exec", same),
	    rule);
	assert_int_equal(approvals_rule_match(tdb.db, "ops", "exec", other), 0);
	assert_int_equal(approvals_rule_match(tdb.db, "default", "exec", same),
	    0);
	assert_int_equal(approvals_rule_match(tdb.db, "ops", "write", same), 0);
	rules = approvals_rules(tdb.db, 0, &cause);
	assert_int_equal(json_array_size(rules), 1);
	json_decref(rules);
	assert_int_equal(approvals_rule_revoke(tdb.db, rule, "user", &cause),
	    0);
	assert_int_equal(approvals_rule_match(tdb.db, "ops", "exec", same), 0);
	assert_int_equal(approvals_rule_revoke(tdb.db, rule, "user", &cause),
	    APPROVALS_DECIDED);
	free(cause);
	cause = NULL;
	assert_int_equal(approvals_rule_revoke(tdb.db, 999, "user", &cause),
	    APPROVALS_UNKNOWN);
	free(cause);
	rules = approvals_rules(tdb.db, 0, NULL);
	assert_int_equal(json_array_size(rules), 0);
	json_decref(rules);
	rules = approvals_rules(tdb.db, 1, NULL);
	assert_int_equal(json_array_size(rules), 1);
	json_decref(rules);
	json_decref(same);
	json_decref(other);
}

static void
test_summary(void **state)
{
	json_t *a;
	char *s, big[1000];

	(void)state;
	a = json_pack("{s:s, s:s}", "path", "notes/a.txt", "content", "hello");
	s = approvals_summary("write", a);
	assert_string_equal(s, "write notes/a.txt (5 bytes)");
	free(s);
	json_decref(a);
	a = json_pack("{s:s, s:s}", "mode", "shell", "command",
	    "git push\n--force");
	s = approvals_summary("exec", a);
	assert_string_equal(s, "git push --force");
	free(s);
	json_decref(a);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	a = json_pack("{s:s}", "command", big);
	s = approvals_summary("exec", a);
	assert_int_equal(strlen(s), APPROVALS_SUMMARY_MAX);
	assert_string_equal(s + APPROVALS_SUMMARY_MAX - 3, "...");
	free(s);
	json_decref(a);
	a = json_pack("{s:i, s:s}", "b", 1, "a", "x");
	s = approvals_canonical(a);
	assert_string_equal(s, "{\"a\":\"x\",\"b\":1}");
	free(s);
	json_decref(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answer_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_process, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_made_beforehand,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_with_a_reason,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
