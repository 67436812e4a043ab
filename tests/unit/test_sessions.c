/*
 * test_sessions.c — conversations in SQLite: create, append, list, get,
 * and delete, which keeps a session an agent runs or waits in (one
 * statement decides: no agent can start between the check and the
 * delete).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/sessions.h"
#include "store/db.h"
#include "tmpdb.h"

TMPDB_SHARED_FIXTURE("sessions")

/* One integer from a query with one text parameter (or none). */
static long long
count(const char *sql, const char *param)
{
	sqlite3_stmt *st;
	long long n;

	assert_int_equal(sqlite3_prepare_v2(db_get(), sql, -1, &st, NULL),
	    SQLITE_OK);
	if (param != NULL)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Run one statement with one text parameter. */
static void
exec1(const char *sql, const char *param)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_get(), sql, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* A session holding two messages. */
static void
make_session(char id[UUID_STRLEN])
{
	char *cause = NULL;
	json_t *m;

	assert_int_equal(session_create(db_get(), "a title\nmore", id, &cause),
	    0);
	m = json_pack("{s:s, s:s}", "role", "user", "content", "hello");
	assert_int_equal(session_append(db_get(), id, NULL, m, &cause), 0);
	json_decref(m);
	m = json_pack("{s:s, s:[{s:s, s:s}]}", "role", "assistant", "content",
	    "type", "text", "text", "hi");
	assert_int_equal(session_append(db_get(), id, NULL, m, &cause), 0);
	json_decref(m);
	assert_null(cause);
}

static void
test_create_append_get(void **state)
{
	char id[UUID_STRLEN], *cause = NULL;
	json_t *s, *msgs, *list;

	(void)state;
	make_session(id);
	assert_int_equal(session_exists(db_get(), id, &cause), 1);
	assert_int_equal(session_exists(db_get(), "nope", &cause), 0);
	msgs = session_messages(db_get(), id, &cause);
	assert_non_null(msgs);
	assert_int_equal(json_array_size(msgs), 2);
	/* A string content is kept as text blocks, like the rest. */
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(json_array_get(msgs,
								   0),
						   "content"),
				    0),
				"text")),
	    "hello");
	json_decref(msgs);
	s = session_get(db_get(), id, &cause);
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(s, "title")),
	    "a title");
	assert_int_equal(json_array_size(json_object_get(s, "messages")), 2);
	json_decref(s);
	assert_null(session_get(db_get(), "nope", &cause));
	assert_null(cause);
	list = session_list(db_get(), 10, &cause);
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(list, 0),
				 "messages")),
	    2);
	json_decref(list);
}

static void
test_delete_keeps_a_busy_session(void **state)
{
	static const char *const busy[] = { "running", "queued" };
	static const char *const done[] = { "exited", "killed", "failed" };
	char id[UUID_STRLEN], other[UUID_STRLEN], *cause = NULL;
	size_t i;

	(void)state;
	make_session(id);
	make_session(other);
	exec1("INSERT INTO agents (id, session_id, state, created_at) "
	      "VALUES ('agent-1', ?1, 'running', 'x')",
	    id);
	for (i = 0; i < sizeof busy / sizeof busy[0]; i++) {
		exec1("UPDATE agents SET state = ?1 WHERE id = 'agent-1'",
		    busy[i]);
		assert_int_equal(session_delete(db_get(), id, &cause),
		    SESSION_BUSY);
		assert_null(cause);
		/* Nothing of it went. */
		assert_int_equal(session_exists(db_get(), id, &cause), 1);
		assert_int_equal(count("SELECT COUNT(*) FROM messages WHERE "
				       "session_id = ?1",
				     id),
		    2);
	}
	/* An agent that ended does not hold its session. */
	for (i = 0; i < sizeof done / sizeof done[0]; i++) {
		exec1("INSERT INTO agents (id, session_id, state, created_at) "
		      "VALUES (lower(hex(randomblob(8))), ?1, 'x', 'x')",
		    other);
		exec1("UPDATE agents SET state = ?1 WHERE state = 'x'",
		    done[i]);
	}
	assert_int_equal(session_delete(db_get(), other, &cause),
	    SESSION_DELETED);
	assert_int_equal(session_exists(db_get(), other, &cause), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM messages WHERE "
			       "session_id = ?1",
			     other),
	    0);
	/* The agents' rows stay, no longer pointing at it. */
	assert_int_equal(count("SELECT COUNT(*) FROM agents WHERE session_id "
			       "IS NULL",
			     NULL),
	    3);
	/* The busy one goes once its agent has ended; then it is gone. */
	exec1("UPDATE agents SET state = ?1 WHERE id = 'agent-1'", "exited");
	assert_int_equal(session_delete(db_get(), id, &cause), SESSION_DELETED);
	assert_int_equal(count("SELECT COUNT(*) FROM messages WHERE "
			       "session_id = ?1",
			     id),
	    0);
	assert_int_equal(session_delete(db_get(), id, &cause), SESSION_NONE);
	assert_int_equal(session_delete(db_get(), "no-such-session", &cause),
	    SESSION_NONE);
	assert_null(cause);
}

/* Whatever state another agent is in, only this session's agents count. */
static void
test_delete_ignores_other_sessions_agents(void **state)
{
	char id[UUID_STRLEN], other[UUID_STRLEN], *cause = NULL;

	(void)state;
	make_session(id);
	make_session(other);
	exec1("INSERT INTO agents (id, session_id, state, created_at) "
	      "VALUES ('agent-2', ?1, 'running', 'x')",
	    other);
	exec1("INSERT INTO agents (id, session_id, state, created_at) "
	      "VALUES ('agent-3', NULL, ?1, 'x')",
	    "queued");
	assert_int_equal(session_delete(db_get(), id, &cause), SESSION_DELETED);
	assert_int_equal(session_delete(db_get(), other, &cause), SESSION_BUSY);
	assert_null(cause);
}

/* A database error is an error, not "none". */
static void
test_delete_error(void **state)
{
	char id[UUID_STRLEN], *cause = NULL;

	(void)state;
	make_session(id);
	assert_int_equal(sqlite3_exec(db_get(), "DROP TABLE agents", NULL, NULL,
			     NULL),
	    SQLITE_OK);
	assert_int_equal(session_delete(db_get(), id, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "deleting a session"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_append_get, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delete_keeps_a_busy_session,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_delete_ignores_other_sessions_agents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_error, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
