/*
 * test_permstore.c — agent_permissions: put, get, list, reset, the
 * audit entry and event of each write, the default template for a
 * profile without a row, the view, rules read from policy_rules, and
 * refusals that write nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tmpdb.h"

#include "kernel/events.h"
#include "security/audit.h"
#include "security/permstore.h"
#include "util/xalloc.h"

TMPDB_FIXTURE("permstore")

/* The type of the next event of `s`, its data into *data, or "". */
static const char *
next_type(struct events_sub *s, char *buf, size_t size, json_t **data)
{
	struct event e;
	uint64_t lost;

	buf[0] = '\0';
	*data = NULL;
	if (events_next(s, &e, &lost) == 1) {
		snprintf(buf, size, "%s", e.type);
		*data = json_loads(e.data, 0, NULL);
		free(e.data);
	}
	return buf;
}

/* How many audit entries of action permission_change name `res`. */
static size_t
audits(const char *res, json_t **last)
{
	char *cause = NULL;
	json_t *l =
	    audit_list(db, 0, 100, "permission_change", NULL, res, &cause);
	size_t n;

	assert_non_null(l);
	n = json_array_size(l);
	if (last != NULL)
		*last = n > 0 ? json_incref(json_array_get(l, n - 1)) : NULL;
	json_decref(l);
	return n;
}

static void
test_put_get_reset(void **state)
{
	struct events_sub *s;
	json_t *g, *row = NULL, *d = NULL, *a = NULL, *list;
	char *cause = NULL, type[64];

	(void)state;
	s = events_subscribe(events_last_id(), NULL, NULL);
	assert_int_equal(permstore_get(db, "bob", &row, &cause), 0);
	assert_null(row);
	g = json_loads("[{\"resource\":\"exec:git\",\"rights\":\"x\"},"
		       "{\"resource\":\"path:./out//\",\"rights\":\"w\"}]",
	    0, NULL);
	assert_int_equal(permstore_put(db, "bob", "worker", g, "user", 1000,
			     &cause),
	    0);
	json_decref(g);
	assert_int_equal(permstore_get(db, "bob", &row, &cause), 1);
	assert_string_equal(json_string_value(json_object_get(row, "template")),
	    "worker");
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(json_object_get(row,
								   "grants"),
						    1),
				    "resource")),
	    "path:out");
	assert_int_equal(json_integer_value(json_object_get(row, "updated_at")),
	    1000);
	assert_string_equal(json_string_value(
				json_object_get(row, "updated_by")),
	    "user");
	json_decref(row);
	/* Audited, with op, template and grants. */
	assert_int_equal(audits("permissions:bob", &a), 1);
	assert_string_equal(json_string_value(json_object_get(a, "actor")),
	    "user");
	d = json_object_get(a, "detail");
	assert_string_equal(json_string_value(json_object_get(d, "op")), "set");
	assert_string_equal(json_string_value(json_object_get(d, "template")),
	    "worker");
	assert_int_equal(json_array_size(json_object_get(d, "grants")), 2);
	json_decref(a);
	assert_string_equal(next_type(s, type, sizeof type, &d),
	    "permissions.changed");
	assert_string_equal(json_string_value(json_object_get(d, "agent")),
	    "bob");
	assert_string_equal(json_string_value(json_object_get(d, "op")), "set");
	json_decref(d);
	/* An update replaces. */
	assert_int_equal(permstore_put(db, "bob", "standard", NULL, "u2", 2000,
			     &cause),
	    0);
	assert_int_equal(permstore_get(db, "bob", &row, &cause), 1);
	assert_string_equal(json_string_value(json_object_get(row, "template")),
	    "standard");
	assert_int_equal(json_array_size(json_object_get(row, "grants")), 0);
	json_decref(row);
	assert_string_equal(next_type(s, type, sizeof type, &d),
	    "permissions.changed");
	json_decref(d);
	/* The default profile is "default". */
	assert_int_equal(permstore_put(db, NULL, "minimal", NULL, "user", 3000,
			     &cause),
	    0);
	assert_string_equal(next_type(s, type, sizeof type, &d),
	    "permissions.changed");
	json_decref(d);
	list = permstore_list(db, &cause);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(list, 0),
				    "agent")),
	    "bob");
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(list, 1),
				    "agent")),
	    "default");
	json_decref(list);
	/* Reset: back to the default, audited, announced; then nothing. */
	assert_int_equal(permstore_reset(db, "bob", "user", &cause), 1);
	assert_int_equal(permstore_get(db, "bob", &row, &cause), 0);
	assert_int_equal(audits("permissions:bob", &a), 3);
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(a, "detail"),
				    "op")),
	    "reset");
	json_decref(a);
	assert_string_equal(next_type(s, type, sizeof type, &d),
	    "permissions.changed");
	assert_string_equal(json_string_value(json_object_get(d, "op")),
	    "reset");
	json_decref(d);
	assert_int_equal(permstore_reset(db, "bob", "user", &cause), 0);
	assert_int_equal(audits("permissions:bob", NULL), 3);
	assert_string_equal(next_type(s, type, sizeof type, &d), "");
	events_unsubscribe(s);
}

static void
test_refusals(void **state)
{
	json_t *g;
	char *cause = NULL;

	(void)state;
	assert_int_equal(permstore_put(db, "bob", "root", NULL, "user", 1,
			     &cause),
	    -1);
	assert_non_null(strstr(cause, "unknown template 'root'"));
	free(cause);
	cause = NULL;
	g = json_loads("[{\"resource\":\"disk:x\",\"rights\":\"r\"}]", 0, NULL);
	assert_int_equal(permstore_put(db, "bob", "worker", g, "user", 1,
			     &cause),
	    -1);
	assert_non_null(strstr(cause, "grants[0]: resource 'disk:x'"));
	free(cause);
	cause = NULL;
	json_decref(g);
	assert_int_equal(permstore_put(db, "bad name", "worker", NULL, "user",
			     1, &cause),
	    -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(permstore_reset(db, "../x", "user", &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(audits(NULL, NULL), 0);
}

static void
test_load_view_rules(void **state)
{
	struct policy_set *s;
	json_t *v, *g;
	char *cause = NULL;

	(void)state;
	/* No row: the default template. */
	s = permstore_load(db, "ann", "trusted", &cause);
	assert_non_null(s);
	assert_string_equal(policy_set_template(s), "trusted");
	assert_string_equal(policy_set_principal(s), "ann");
	policy_set_free(s);
	s = permstore_load(db, NULL, "worker", &cause);
	assert_string_equal(policy_set_principal(s), "default");
	assert_false(policy_set_allows(s, "tool:memory_write", PERM_READ));
	policy_set_free(s);
	g = json_loads("[{\"resource\":\"tool:memory_read\",\"rights\":\"r\"}]",
	    0, NULL);
	assert_int_equal(permstore_put(db, "ann", "worker", g, "user", 5,
			     &cause),
	    0);
	json_decref(g);
	s = permstore_load(db, "ann", "trusted", &cause);
	assert_string_equal(policy_set_template(s), "worker");
	assert_true(policy_set_allows(s, "tool:memory_read", PERM_READ));
	assert_false(policy_set_allows(s, "tool:memory_write", PERM_READ));
	policy_set_free(s);
	/* A rule of the approvals, read only; a revoked one is not live. */
	assert_int_equal(sqlite3_exec(db,
			     "INSERT INTO policy_rules (principal, tool, match, "
			     "created_at, created_by) VALUES ('ann', 'exec', "
			     "'{\"argv\":[\"git\",\"push\"]}', 7, 'user'), "
			     "('ann', 'exec', '{}', 8, 'user'), "
			     "('zed', 'write', '{}', 9, 'user');"
			     "UPDATE policy_rules SET revoked_at = 10 "
			     "WHERE created_at = 8",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	v = permstore_view(db, "ann", "trusted", &cause);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "template")),
	    "worker");
	assert_true(json_is_false(json_object_get(v, "default")));
	assert_int_equal(json_array_size(json_object_get(v, "grants")), 1);
	assert_int_equal(json_array_size(json_object_get(v, "effective")), 13);
	assert_int_equal(json_array_size(json_object_get(v, "rules")), 1);
	assert_string_equal(
	    json_string_value(json_array_get(
		json_object_get(json_object_get(json_array_get(json_object_get(v,
								   "rules"),
						    0),
				    "match"),
		    "argv"),
		1)),
	    "push");
	json_decref(v);
	v = permstore_view(db, "nobody", "standard", &cause);
	assert_true(json_is_true(json_object_get(v, "default")));
	assert_string_equal(json_string_value(json_object_get(v, "template")),
	    "standard");
	assert_int_equal(json_array_size(json_object_get(v, "rules")), 0);
	json_decref(v);
	v = permstore_rules(db, NULL, &cause);
	assert_int_equal(json_array_size(v), 2);
	json_decref(v);
	/* A row that no longer parses is named, not taken as the default. */
	assert_int_equal(sqlite3_exec(db,
			     "UPDATE agent_permissions SET template = 'gone' "
			     "WHERE principal = 'ann'",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_null(permstore_load(db, "ann", "trusted", &cause));
	assert_non_null(
	    strstr(cause, "the permissions of agent profile 'ann'"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_reset, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_view_rules, setup,
		    teardown),
	};

	int rc;

	if (audit_open(1, 300, NULL) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	audit_close();
	return rc;
}
