/*
 * test_ouro_engine.c — the pure parts of Ouroboros's engine: the modes,
 * the seed as the executing model sees it (never a verify_command or an
 * assertion), and a quick answer's run (one execution, phase "chat", no
 * LLM call of the protocol).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ouroboros/ouroboros.h"
#include "ouroboros/seed.h"
#include "util/xalloc.h"

static void
test_modes(void **state)
{
	(void)state;
	assert_int_equal(ouro_mode_parse("auto"), OURO_MODE_AUTO);
	assert_int_equal(ouro_mode_parse("always"), OURO_MODE_ALWAYS);
	assert_int_equal(ouro_mode_parse("never"), OURO_MODE_NEVER);
	assert_int_equal(ouro_mode_parse("Never"), -1);
	assert_int_equal(ouro_mode_parse(""), -1);
	assert_int_equal(ouro_mode_parse(NULL), -1);
	assert_string_equal(ouro_mode_name(OURO_MODE_ALWAYS), "always");
	assert_string_equal(ouro_mode_name(OURO_MODE_NEVER), "never");
	assert_string_equal(ouro_mode_name((enum ouro_mode)42), "auto");
}

#define SEED_ARGS \
	"{\"goal\":\"count words\",\"task_type\":\"code\"," \
	"\"constraints\":[\"stdlib only\"],\"acceptance_criteria\":[" \
	"{\"id\":\"AC1\",\"description\":\"counts words\"," \
	"\"verify_command\":\"python3 wc.py SECRET-CMD\",\"artifacts\":[" \
	"\"wc.py\"],\"assertion\":\"SECRET-ASSERT\"},{\"id\":\"AC2\"," \
	"\"description\":\"has a README\"}]," \
	"\"evaluation_principles\":[{\"name\":\"correct\",\"weight\":1}]," \
	"\"exit_conditions\":[\"all pass\"]," \
	"\"assumptions\":[\"UTF-8 input\"]}"

static struct seed *
seed_of(const char *text, const struct seed *parent)
{
	json_t *v = json_loads(text, 0, NULL);
	struct seed *s = NULL;
	char *cause = NULL;

	assert_non_null(v);
	if (seed_from_args(v, parent, 0.3, 1, &s, &cause) != 0)
		fail_msg("%s", cause);
	json_decref(v);
	return s;
}

static void
test_contract_hides_checks(void **state)
{
	struct seed *s = seed_of(SEED_ARGS, NULL), *s2;
	json_t *v;
	char *text, *t2;

	(void)state;
	text = ouro_seed_contract(s);
	assert_non_null(strstr(text, "Goal: count words"));
	assert_non_null(strstr(text, "- [AC1] counts words"));
	assert_non_null(strstr(text, "- [AC2] has a README"));
	assert_non_null(strstr(text, "expected artifact: wc.py"));
	assert_non_null(strstr(text, "- stdlib only"));
	assert_non_null(strstr(text, "- all pass"));
	assert_non_null(strstr(text, "- UTF-8 input"));
	assert_non_null(strstr(text, "generation 1"));
	assert_null(strstr(text, "SECRET-CMD"));
	assert_null(strstr(text, "SECRET-ASSERT"));
	assert_null(strstr(text, "Why this generation"));

	/* A later generation says why it differs. */
	v = json_loads(SEED_ARGS, 0, NULL);
	json_object_set_new(v, "rationale", json_string("the README lacked"));
	t2 = json_dumps(v, 0);
	s2 = seed_of(t2, s);
	free(t2);
	json_decref(v);
	free(text);
	text = ouro_seed_contract(s2);
	assert_non_null(strstr(text, "generation 2"));
	assert_non_null(strstr(text,
	    "Why this generation differs: the "
	    "README lacked"));
	assert_null(strstr(text, "SECRET-CMD"));
	free(text);
	seed_free(s2);
	seed_free(s);
}

struct exec_log {
	int calls;
	const char *contract;
	const char *phase;
	int published;
};

static void
fake_execute(void *arg, const char *contract, const char *phase,
    struct ouro_exec *out)
{
	struct exec_log *log = arg;

	log->calls++;
	log->contract = contract;
	log->phase = phase;
	out->answer = xstrdup("Paris.");
	out->done = 1;
}

static void
fake_publish(void *arg, const char *seed_id, int generation, const char *phase)
{
	struct exec_log *log = arg;

	assert_null(seed_id);
	assert_int_equal(generation, 0);
	assert_string_equal(phase, "execute");
	log->published++;
}

static void
test_quick_answer(void **state)
{
	struct exec_log log = { 0 };
	struct ouro_ctx c;

	(void)state;
	memset(&c, 0, sizeof c);
	c.mode = OURO_MODE_NEVER;
	c.prompt = "capital of France?";
	c.execute = fake_execute;
	c.publish = fake_publish;
	c.arg = &log;
	assert_int_equal(ouro_run(&c), 0);
	assert_int_equal(log.calls, 1);
	assert_null(log.contract);
	assert_string_equal(log.phase, "chat");
	assert_int_equal(log.published, 1);
	assert_int_equal(c.protocol, 0);
	assert_string_equal(c.phase_reached, "Execute");
	assert_string_equal(c.seed_id, "");
	assert_int_equal(c.evaluation_passed, -1);
	assert_int_equal(c.generations, 0);
	assert_string_equal(c.last.answer, "Paris.");
	ouro_ctx_free(&c);
	assert_null(c.last.answer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_contract_hides_checks),
		cmocka_unit_test(test_quick_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
