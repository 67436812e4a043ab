/* test_json.c — jansson helpers and logging. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/file.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

static void
test_parse(void **state)
{
	char *cause = NULL;
	json_t *v;

	(void)state;
	v = oxjson_parse("{\"a\": 1, \"b\": \"x\", \"c\": true}", 29, 100,
	    &cause);
	assert_non_null(v);
	assert_int_equal(oxjson_int(v, "a", 0), 1);
	assert_string_equal(oxjson_str(v, "b", ""), "x");
	assert_true(oxjson_bool(v, "c", 0));
	assert_string_equal(oxjson_str(v, "a", "def"), "def");
	assert_int_equal(oxjson_int(v, "zz", 7), 7);
	json_decref(v);

	/* Errors name line and column. */
	v = oxjson_parse("{\n\"a\": }", 8, 100, &cause);
	assert_null(v);
	assert_non_null(strstr(cause, "line 2"));
	free(cause);
	/* Duplicate keys are refused. */
	v = oxjson_parse("{\"a\":1,\"a\":2}", 13, 100, &cause);
	assert_null(v);
	free(cause);
	/* The cap. */
	v = oxjson_parse("[1,2,3]", 7, 6, &cause);
	assert_null(v);
	assert_non_null(strstr(cause, "too large"));
	free(cause);
	/* Invalid UTF-8. */
	v = oxjson_parse("\"\xff\"", 3, 100, &cause);
	assert_null(v);
	free(cause);
}

static void
test_type_names(void **state)
{
	json_t *v = json_pack("[s,i,f,b,{},[],n]", "x", 1, 1.5, 1);

	(void)state;
	assert_string_equal(oxjson_type_name(json_array_get(v, 0)), "string");
	assert_string_equal(oxjson_type_name(json_array_get(v, 1)), "integer");
	assert_string_equal(oxjson_type_name(json_array_get(v, 2)), "float");
	assert_string_equal(oxjson_type_name(json_array_get(v, 3)), "boolean");
	assert_string_equal(oxjson_type_name(json_array_get(v, 4)), "table");
	assert_string_equal(oxjson_type_name(json_array_get(v, 5)), "array");
	assert_string_equal(oxjson_type_name(json_array_get(v, 6)), "null");
	json_decref(v);
}

static void
test_log_levels_and_json(void **state)
{
	char path[] = "/tmp/oxios-log-XXXXXX", *data, *cause = NULL;
	size_t len;
	json_t *rec;
	int fd;

	(void)state;
	assert_int_equal(log_level_parse("warn"), LOG_WARN);
	assert_int_equal(log_level_parse("loud"), -1);
	assert_int_equal(log_format_parse("json"), LOG_JSON);
	assert_int_equal(log_format_parse("xml"), -1);

	assert_true((fd = mkstemp(path)) != -1);
	close(fd);
	assert_int_equal(log_set_file(path, &cause), 0);
	log_set_format(LOG_JSON);
	log_set_level(LOG_WARN);
	log_info("not written %d", 1);
	log_warn("written %s", "here");
	log_close();
	log_set_format(LOG_TEXT);
	log_set_level(LOG_INFO);

	assert_int_equal(file_read(path, 4096, &data, &len, &cause), 0);
	assert_null(strstr(data, "not written"));
	rec = json_loads(data, 0, NULL);
	assert_non_null(rec);
	assert_string_equal(oxjson_str(rec, "level", ""), "warn");
	assert_string_equal(oxjson_str(rec, "msg", ""), "written here");
	assert_string_equal(oxjson_str(rec, "func", ""),
	    "test_log_levels_and_json");
	json_decref(rec);
	free(data);
	unlink(path);

	assert_int_equal(log_set_file("/nonexistent/dir/x.log", &cause), -1);
	assert_non_null(strstr(cause, "/nonexistent"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_log_levels_and_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
