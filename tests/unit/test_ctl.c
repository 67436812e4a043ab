/*
 * test_ctl.c — the control socket's protocol (gateway/ctl_proto.h): a
 * request survives serialising and parsing; every bad request is refused
 * with a reason; events round-trip into struct kernel_run as `oxios run`
 * reads it; the line reader splits, keeps and caps lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/ctl_proto.h"
#include "ouroboros/interview.h"

/* Parse `line` as a request; the error (or NULL) is returned. */
static char *
parse_err(const char *line)
{
	struct ctl_request req;
	char *cause = NULL;

	if (ctl_request_parse(line, strlen(line), &req, &cause) == 0) {
		ctl_request_free(&req);
		return NULL;
	}
	assert_non_null(cause);
	return cause;
}

static void
test_request_round_trip(void **state)
{
	struct ctl_request in, out;
	char *line, *cause = NULL;
	size_t len;

	(void)state;
	memset(&in, 0, sizeof in);
	in.prompt = "line one\nline \"two\" \xc3\xa9";
	in.session = "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab";
	in.model = "openai/gpt-4.1";
	in.timeout_secs = 90;
	in.budget_tokens = 6000;
	in.budget_usd = 0.25;
	in.agent = "ops.bot";
	in.cls = CALL_INTERACTIVE;
	in.spec = KERNEL_SPEC_ALWAYS;
	in.ask = 1;
	in.approvals = 1;
	line = ctl_request_line(&in, &len);
	assert_non_null(line);
	assert_int_equal(len, strlen(line));
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1)); /* one line */
	assert_int_equal(ctl_request_parse(line, len - 1, &out, &cause), 0);
	assert_string_equal(out.prompt, in.prompt);
	assert_string_equal(out.session, in.session);
	assert_string_equal(out.model, in.model);
	assert_string_equal(out.agent, in.agent);
	assert_int_equal(out.timeout_secs, 90);
	assert_int_equal(out.budget_tokens, 6000);
	assert_true(out.budget_usd == 0.25);
	assert_int_equal(out.cls, CALL_INTERACTIVE);
	assert_int_equal(out.spec, KERNEL_SPEC_ALWAYS);
	assert_true(out.ask);
	assert_true(out.approvals);
	ctl_request_free(&out);
	free(line);
	in.spec = KERNEL_SPEC_NEVER;
	line = ctl_request_line(&in, &len);
	assert_non_null(strstr(line, "\"spec\":false"));
	assert_int_equal(ctl_request_parse(line, len - 1, &out, &cause), 0);
	assert_int_equal(out.spec, KERNEL_SPEC_NEVER);
	ctl_request_free(&out);
	free(line);

	/* Only the prompt: the rest is absent, the class is "run". */
	memset(&in, 0, sizeof in);
	in.prompt = "hi";
	in.cls = CALL_RUN;
	line = ctl_request_line(&in, &len);
	assert_string_equal(line,
	    "{\"type\":\"run\",\"prompt\":\"hi\",\"class\":\"run\"}\n");
	assert_int_equal(ctl_request_parse(line, len - 1, &out, &cause), 0);
	assert_null(out.session);
	assert_null(out.model);
	assert_null(out.agent);
	assert_int_equal(out.timeout_secs, 0);
	assert_int_equal(out.cls, CALL_RUN);
	assert_int_equal(out.spec, KERNEL_SPEC_CONFIG); /* absent: config */
	assert_false(out.ask);
	assert_false(out.approvals);
	ctl_request_free(&out);
	free(line);
}

static void
test_request_refused(void **state)
{
	static const struct {
		const char *line;
		const char *want;
	} cases[] = {
		{ "", "invalid JSON" },
		{ "nope", "invalid JSON" },
		{ "[]", "JSON object" },
		{ "{\"type\":\"run\",\"prompt\":\"a\",\"prompt\":\"b\"}",
		    "invalid JSON" },
		{ "{\"prompt\":\"x\"}", "\"type\":\"run\"" },
		{ "{\"type\":\"cancel\"}", "\"type\":\"run\"" },
		{ "{\"type\":\"run\"}", "'prompt' is missing" },
		{ "{\"type\":\"run\",\"prompt\":\"\"}", "'prompt' must be" },
		{ "{\"type\":\"run\",\"prompt\":7}",
		    "'prompt' must be a string" },
		{ "{\"type\":\"run\",\"prompt\":\"a\\u0000b\"}",
		    "without NUL" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"x\":1}",
		    "unknown field 'x'" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"timeout\":0}",
		    "'timeout' must be an integer from 1 to 604800" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"timeout\":604801}",
		    "'timeout'" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"timeout\":1.5}",
		    "'timeout'" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"budget_tokens\":-1}",
		    "'budget_tokens'" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"budget_usd\":0}",
		    "'budget_usd'" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"budget_usd\":\"1\"}",
		    "'budget_usd'" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"class\":\"subagent\"}",
		    "'class'" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"model\":\"gpt\"}",
		    "provider/model" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"session\":\"../x y\"}",
		    "'session' is not a session id" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"agent\":\"a/b\"}",
		    "'agent' may hold" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"spec\":1}",
		    "'spec' must be true, false or null" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"spec\":\"auto\"}",
		    "'spec'" },
		{ "{\"type\":\"run\",\"prompt\":\"x\",\"ask\":1}",
		    "'ask' must be true or false" },
	};
	size_t i;
	char *e;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		e = parse_err(cases[i].line);
		if (e == NULL)
			fail_msg("accepted: %s", cases[i].line);
		if (strstr(e, cases[i].want) == NULL)
			fail_msg("%s: '%s' lacks '%s'", cases[i].line, e,
			    cases[i].want);
		free(e);
	}
	/* null fields are absent ones */
	assert_null(parse_err("{\"type\":\"run\",\"prompt\":\"x\","
			      "\"session\":null,\"timeout\":null}"));
}

static void
test_request_caps(void **state)
{
	struct ctl_request in;
	char *line, *e, *big;
	size_t len;

	(void)state;
	big = malloc(CTL_PROMPT_MAX + 2);
	memset(big, 'p', CTL_PROMPT_MAX + 1);
	big[CTL_PROMPT_MAX] = '\0'; /* exactly the cap: fine */
	memset(&in, 0, sizeof in);
	in.prompt = big;
	line = ctl_request_line(&in, &len);
	assert_null(parse_err(line));
	free(line);
	big[CTL_PROMPT_MAX] = 'p'; /* one byte over */
	big[CTL_PROMPT_MAX + 1] = '\0';
	line = ctl_request_line(&in, &len);
	e = parse_err(line);
	assert_non_null(strstr(e, "'prompt' must be 1 to"));
	free(e);
	free(line);
	free(big);
	/* A line over CTL_LINE_MAX is not even parsed. */
	big = malloc(CTL_LINE_MAX + 2);
	memset(big, ' ', CTL_LINE_MAX + 1);
	big[CTL_LINE_MAX + 1] = '\0';
	e = parse_err(big);
	assert_non_null(strstr(e, "line too long"));
	free(e);
	free(big);
}

/* A control line refused, its cause containing `want`. */
static void
control_refused(const char *line, const char *want)
{
	struct ctl_control c;
	char *cause = NULL;

	if (ctl_control_parse(line, strlen(line), &c, &cause) != -1)
		fail_msg("accepted: %s", line);
	assert_null(c.answers);
	if (strstr(cause, want) == NULL)
		fail_msg("%s: '%s' lacks '%s'", line, cause, want);
	free(cause);
}

/* An approval event and the client's answer to it: checked, and each
 * parses back to itself. */
static void
test_approval_lines(void **state)
{
	static const char id[] = "0b9d4c1e-2f3a-4b5c-8d6e-7f8091a2b3c4";
	struct ctl_control c;
	struct ctl_event ev;
	char *cause = NULL, *line;
	json_t *a;
	size_t len;

	(void)state;
	line = ctl_approve_line(id, "always", &len);
	assert_int_equal(ctl_control_parse(line, len - 1, &c, &cause), 0);
	assert_int_equal(c.type, CTL_APPROVE);
	assert_string_equal(c.id, id);
	assert_string_equal(c.decision, "always");
	ctl_control_free(&c);
	free(line);
	control_refused("{\"type\":\"approve\",\"id\":\"x\","
			"\"decision\":\"once\"}",
	    "'id'");
	control_refused("{\"type\":\"approve\",\"id\":"
			"\"0b9d4c1e-2f3a-4b5c-8d6e-7f8091a2b3c4\","
			"\"decision\":\"maybe\"}",
	    "'decision'");
	control_refused("{\"type\":\"approve\",\"id\":"
			"\"0b9d4c1e-2f3a-4b5c-8d6e-7f8091a2b3c4\","
			"\"decision\":\"once\",\"scope\":1}",
	    "unknown field");

	a = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "tool",
	    "exec", "summary", "git push --force", "reason",
	    "deny-listed: force push", "expires_at", "2026-12-05T07:00:00Z",
	    "principal", "ops");
	line = ctl_ev_approval(a, &len);
	assert_null(strstr(line, "principal")); /* only what a client needs */
	assert_int_equal(ctl_event_parse(line, len - 1, &ev, &cause), 0);
	assert_int_equal(ev.type, CTL_EV_APPROVAL);
	assert_string_equal(ev.id, id);
	assert_string_equal(ev.name, "exec");
	assert_string_equal(ev.summary, "git push --force");
	assert_string_equal(ev.reason, "deny-listed: force push");
	assert_string_equal(ev.expires_at, "2026-12-05T07:00:00Z");
	ctl_event_free(&ev);
	free(line);
	json_object_del(a, "summary");
	line = ctl_ev_approval(a, &len);
	assert_int_equal(ctl_event_parse(line, len - 1, &ev, &cause), -1);
	assert_non_null(strstr(cause, "'summary'"));
	free(cause);
	free(line);
	json_decref(a);
}

static void
test_control(void **state)
{
	struct ctl_control c;
	char *cause = NULL, *line, big[OURO_ANSWER_MAX + 64];
	const char *ok = "{\"type\":\"cancel\"}";
	json_t *answers = json_pack("[s, n]", "howdy");
	size_t len;

	(void)state;
	assert_int_equal(ctl_control_parse(ok, strlen(ok), &c, &cause), 0);
	assert_int_equal(c.type, CTL_CANCEL);
	ctl_control_free(&c);
	control_refused("{\"type\":\"run\"}", "cancel");
	control_refused("{\"type\":\"cancel\",\"x\":1}", "unknown field");
	control_refused("{\"type\":\"answers\",\"go\":1}", "'go'");
	control_refused("{\"type\":\"answers\",\"answers\":\"yes\"}",
	    "'answers'");
	control_refused("{\"type\":\"answers\",\"answers\":[1]}", "answer 1");
	control_refused("{\"type\":\"answers\",\"answers\":[null,\"\"]}",
	    "answer 2");
	control_refused("{\"type\":\"answers\",\"answers\":[\"a\\u0000b\"]}",
	    "answer 1");
	control_refused("{\"type\":\"answers\",\"answers\":[null,null,null,"
			"null,null,null,null,null,null]}",
	    "at most 8");
	snprintf(big, sizeof big,
	    "{\"type\":\"answers\",\"answers\":[\"%*s\"]}", OURO_ANSWER_MAX + 1,
	    "x");
	control_refused(big, "answer 1");

	/* The client's line parses back to its answers. */
	line = ctl_answers_line(answers, 1, &len);
	assert_non_null(line);
	assert_int_equal(line[len - 1], '\n');
	assert_int_equal(ctl_control_parse(line, len - 1, &c, &cause), 0);
	assert_int_equal(c.type, CTL_ANSWERS);
	assert_true(c.go);
	assert_true(json_equal(c.answers, answers));
	ctl_control_free(&c);
	free(line);
	/* No answers: every default, and the interview goes on. */
	line = ctl_answers_line(NULL, 0, &len);
	assert_int_equal(ctl_control_parse(line, len - 1, &c, &cause), 0);
	assert_int_equal(c.type, CTL_ANSWERS);
	assert_false(c.go);
	assert_null(c.answers);
	ctl_control_free(&c);
	free(line);
	json_decref(answers);
}

/* Parse a line made by a ctl_ev_*() (its newline dropped). */
static void
parse_line(char *line, const size_t *lenp, struct ctl_event *ev)
{
	char *cause = NULL;
	size_t len = *lenp;

	assert_non_null(line);
	assert_int_equal(line[len - 1], '\n');
	if (ctl_event_parse(line, len - 1, ev, &cause) != 0)
		fail_msg("%s: %s", line, cause);
	free(line);
}

static void
test_events_round_trip(void **state)
{
	struct kernel_run r, back;
	struct ctl_event ev;
	json_t *in = json_pack("{s:s}", "path", "."), *qs;
	size_t len;
	char *cause = NULL, *line;

	(void)state;
	memset(&r, 0, sizeof r);
	strcpy(r.session, "11111111-2222-3333-4444-555555555555");
	strcpy(r.agent, "aaaaaaaa-2222-3333-4444-555555555555");
	parse_line(ctl_ev_started(&r, &len), &len, &ev);
	assert_int_equal(ev.type, CTL_EV_STARTED);
	assert_string_equal(ev.session_id, r.session);
	assert_string_equal(ev.agent_id, r.agent);
	ctl_event_free(&ev);

	parse_line(ctl_ev_text("a\0b\xc3\xa9", 5, &len), &len, &ev);
	assert_int_equal(ev.type, CTL_EV_TEXT);
	assert_int_equal(ev.text_len, 5);
	assert_memory_equal(ev.text, "a\0b\xc3\xa9", 5);
	ctl_event_free(&ev);
	assert_null(ctl_ev_text("\xc3", 1, &len)); /* cut character */

	parse_line(ctl_ev_reset(&len), &len, &ev);
	assert_int_equal(ev.type, CTL_EV_RESET);
	ctl_event_free(&ev);

	qs = json_pack("[{s:s, s:s}]", "question", "Which greeting?", "default",
	    "hello");
	parse_line(ctl_ev_questions(qs, 2, &len), &len, &ev);
	assert_int_equal(ev.type, CTL_EV_QUESTIONS);
	assert_int_equal(ev.round, 2);
	assert_true(json_equal((json_t *)ev.data, qs));
	ctl_event_free(&ev);
	json_decref(qs);

	parse_line(ctl_ev_phase(NULL, 0, "interview", &len), &len, &ev);
	assert_int_equal(ev.type, CTL_EV_PHASE);
	assert_string_equal(ev.phase, "interview");
	assert_int_equal(ev.generation, 0);
	assert_null(ev.seed_id);
	ctl_event_free(&ev);
	parse_line(ctl_ev_phase(r.session, 2, "evolve", &len), &len, &ev);
	assert_string_equal(ev.phase, "evolve");
	assert_int_equal(ev.generation, 2);
	assert_string_equal(ev.seed_id, r.session);
	ctl_event_free(&ev);

	parse_line(ctl_ev_retry("openai: HTTP 503 \xc3\xa9", 2, 1500, &len),
	    &len, &ev);
	assert_int_equal(ev.type, CTL_EV_RETRY);
	assert_int_equal(ev.attempt, 2);
	assert_int_equal(ev.wait_ms, 1500);
	assert_string_equal(ev.text, "openai: HTTP 503 \xc3\xa9");
	ctl_event_free(&ev);
	/* Once admitted; a reason cut inside a character, or too long. */
	parse_line(ctl_ev_retry("429 \xc3", 1, -1, &len), &len, &ev);
	assert_int_equal(ev.wait_ms, -1);
	assert_string_equal(ev.text, "429 ");
	ctl_event_free(&ev);
	{
		char long_why[CTL_REASON_MAX + 100];

		memset(long_why, 'x', sizeof long_why - 1);
		long_why[sizeof long_why - 1] = '\0';
		parse_line(ctl_ev_retry(long_why, 3, 0, &len), &len, &ev);
		assert_int_equal(ev.text_len, CTL_REASON_MAX);
		ctl_event_free(&ev);
	}

	parse_line(ctl_ev_tool(0, "ls", in, &len), &len, &ev);
	assert_int_equal(ev.type, CTL_EV_TOOL_START);
	assert_string_equal(ev.name, "ls");
	assert_true(json_equal((json_t *)ev.data, in));
	ctl_event_free(&ev);
	parse_line(ctl_ev_tool(1, "ls", in, &len), &len, &ev);
	assert_int_equal(ev.type, CTL_EV_TOOL_END);
	ctl_event_free(&ev);

	parse_line(ctl_ev_error("permission denied", &len), &len, &ev);
	assert_int_equal(ev.type, CTL_EV_ERROR);
	assert_string_equal(ev.text, "permission denied");
	ctl_event_free(&ev);

	/* A finished run, every field back as it was. */
	r.started = 1;
	r.stop = AGENT_BUDGET;
	strcpy(r.reason, "budget: this run's token budget (6000)");
	r.answer = strdup("the answer");
	r.iterations = 3;
	r.tool_calls = 2;
	r.usage.input_tokens = 5900;
	r.usage.output_tokens = 50;
	r.cost_usd = 0.0125;
	r.duration_ms = 1234;
	r.sandbox = json_pack("{s:[s]}", "warnings", "no landlock");
	r.evaluation_passed = -1; /* as kernel_run() starts it */
	parse_line(ctl_ev_done(&r, &len), &len, &ev);
	memset(&back, 0, sizeof back);
	assert_int_equal(ctl_done_apply(&ev, &back, &cause), 0);
	ctl_event_free(&ev);
	assert_true(back.started);
	assert_int_equal(back.stop, AGENT_BUDGET);
	assert_string_equal(back.reason, r.reason);
	assert_string_equal(back.answer, "the answer");
	assert_string_equal(back.session, r.session);
	assert_string_equal(back.agent, r.agent);
	assert_int_equal(back.iterations, 3);
	assert_int_equal(back.tool_calls, 2);
	assert_int_equal(back.usage.input_tokens, 5900);
	assert_int_equal(back.usage.output_tokens, 50);
	assert_true(back.cost_usd == 0.0125);
	assert_false(back.cost_unknown);
	assert_int_equal(back.duration_ms, 1234);
	assert_true(json_equal(back.sandbox, r.sandbox));
	/* Nothing of Ouroboros ran: the fields are absent, and read so. */
	assert_null(back.phase_reached);
	assert_string_equal(back.seed_id, "");
	assert_int_equal(back.evaluation_passed, -1);
	assert_int_equal(back.generations, 0);
	assert_string_equal(back.ouro_stop, "");
	kernel_run_free(&back);

	/* A run through the protocol: its fields back as they were. */
	r.stop = AGENT_DONE;
	r.phase_reached = "Evaluate";
	strcpy(r.seed_id, "5b0e0000-2222-3333-4444-555555555555");
	r.evaluation_passed = 0;
	r.generations = 2;
	strcpy(r.ouro_stop, "max_generations");
	strcpy(r.ouro_detail, "ouroboros.max_generations (2) reached");
	parse_line(ctl_ev_done(&r, &len), &len, &ev);
	memset(&back, 0, sizeof back);
	assert_int_equal(ctl_done_apply(&ev, &back, &cause), 0);
	ctl_event_free(&ev);
	assert_string_equal(back.phase_reached, "Evaluate");
	assert_string_equal(back.seed_id, r.seed_id);
	assert_int_equal(back.evaluation_passed, 0);
	assert_int_equal(back.generations, 2);
	assert_string_equal(back.ouro_stop, "max_generations");
	assert_string_equal(back.ouro_detail, r.ouro_detail);
	kernel_run_free(&back);

	/* A model with no known price: null, not 0 (not "free"). */
	r.cost_unknown = 1;
	r.cost_usd = 0.5; /* a part: not shown */
	line = ctl_ev_done(&r, &len);
	assert_non_null(strstr(line, "\"cost_usd\":null"));
	parse_line(line, &len, &ev);
	memset(&back, 0, sizeof back);
	assert_int_equal(ctl_done_apply(&ev, &back, &cause), 0);
	ctl_event_free(&ev);
	assert_true(back.cost_unknown);
	assert_true(back.cost_usd == 0);
	kernel_run_free(&back);

	/* A run that never started: its error. */
	kernel_run_free(&r);
	memset(&r, 0, sizeof r);
	strcpy(r.error, "no session nope");
	parse_line(ctl_ev_done(&r, &len), &len, &ev);
	memset(&back, 0, sizeof back);
	assert_int_equal(ctl_done_apply(&ev, &back, &cause), 0);
	ctl_event_free(&ev);
	assert_false(back.started);
	assert_string_equal(back.error, "no session nope");
	assert_string_equal(back.session, "");
	kernel_run_free(&back);
	json_decref(in);
}

/* A valid started done record, without its closing brace. */
#define DONE_OK \
	"{\"event\":\"done\",\"started\":true,\"duration_ms\":1," \
	"\"stop_reason\":\"done\",\"stop_detail\":\"\",\"iterations\":1," \
	"\"tool_calls\":0,\"usage\":{\"input_tokens\":1," \
	"\"output_tokens\":1},\"cost_usd\":0"

static void
test_events_refused(void **state)
{
	static const char *const bad[] = {
		"{}",
		"{\"event\":\"nope\"}",
		"{\"event\":\"text\"}",
		"{\"event\":\"text\",\"text\":1}",
		"{\"event\":\"text\",\"text\":\"a\",\"more\":1}",
		"{\"event\":\"tool_start\",\"name\":\"ls\"}",
		"{\"event\":\"started\",\"session_id\":\"s\"}",
		"{\"event\":\"error\"}",
		"[\"event\"]",
		"{\"event\":\"questions\",\"round\":1}",
		"{\"event\":\"questions\",\"round\":1,\"questions\":[]}",
		"{\"event\":\"questions\",\"round\":0,\"questions\":"
		"[{\"question\":\"q\",\"default\":\"d\"}]}",
		"{\"event\":\"questions\",\"round\":4,\"questions\":"
		"[{\"question\":\"q\",\"default\":\"d\"}]}",
		"{\"event\":\"questions\",\"round\":1,\"questions\":"
		"[{\"question\":\"q\"}]}",
		"{\"event\":\"questions\",\"round\":1,\"questions\":"
		"[{\"question\":\"q\",\"default\":\"\"}]}",
		"{\"event\":\"questions\",\"round\":1,\"questions\":"
		"[{\"question\":\"q\",\"default\":\"d\",\"x\":1}]}",
		"{\"event\":\"phase\",\"phase\":\"nap\",\"generation\":0}",
		"{\"event\":\"phase\",\"phase\":\"seed\"}",
		"{\"event\":\"phase\",\"phase\":\"seed\",\"generation\":31}",
		"{\"event\":\"phase\",\"phase\":\"seed\",\"generation\":-1}",
		"{\"event\":\"phase\",\"phase\":\"seed\",\"generation\":1,"
		"\"seed_id\":\"../x\"}",
		"{\"event\":\"phase\",\"phase\":\"seed\",\"generation\":1,"
		"\"seed_id\":7}",
		"{\"event\":\"retry\",\"attempt\":1,\"wait_ms\":5}",
		"{\"event\":\"retry\",\"attempt\":0,\"wait_ms\":5,"
		"\"reason\":\"r\"}",
		"{\"event\":\"retry\",\"attempt\":1001,\"wait_ms\":5,"
		"\"reason\":\"r\"}",
		"{\"event\":\"retry\",\"attempt\":1,\"wait_ms\":-2,"
		"\"reason\":\"r\"}",
		"{\"event\":\"retry\",\"attempt\":1,\"wait_ms\":86400001,"
		"\"reason\":\"r\"}",
		"{\"event\":\"retry\",\"attempt\":1,\"wait_ms\":1.5,"
		"\"reason\":\"r\"}",
		"{\"event\":\"retry\",\"attempt\":\"1\",\"wait_ms\":5,"
		"\"reason\":\"r\"}",
		"{\"event\":\"retry\",\"attempt\":1,\"wait_ms\":5,"
		"\"reason\":\"a\\u0000b\"}",
		"{\"event\":\"retry\",\"attempt\":1,\"wait_ms\":5,"
		"\"reason\":\"r\",\"x\":1}",
	};
	static const char *const bad_done[] = {
		"{\"event\":\"done\"}",
		"{\"event\":\"done\",\"started\":false,\"duration_ms\":1}",
		"{\"event\":\"done\",\"started\":true,\"duration_ms\":1,"
		"\"stop_reason\":\"exploded\",\"stop_detail\":\"\"}",
		"{\"event\":\"done\",\"started\":true,\"duration_ms\":-1}",
		"{\"event\":\"done\",\"started\":true,\"duration_ms\":1,"
		"\"stop_reason\":\"done\",\"stop_detail\":\"\",\"iterations\":1,"
		"\"tool_calls\":0,\"usage\":{\"input_tokens\":1},"
		"\"cost_usd\":0}",
		"{\"event\":\"done\",\"started\":true,\"duration_ms\":1,"
		"\"session_id\":\"../../etc\"}",
		DONE_OK ",\"phase_reached\":\"Thinking\"}",
		DONE_OK ",\"phase_reached\":3}",
		DONE_OK ",\"evaluation_passed\":1}",
		DONE_OK ",\"generations\":31}",
		DONE_OK ",\"generations\":-1}",
		DONE_OK ",\"seed_id\":\"../x\"}",
		DONE_OK ",\"ouroboros_stop\":\"passed\"}",
		DONE_OK ",\"ouroboros_stop\":\"bored\","
			"\"ouroboros_detail\":\"\"}",
	};
	struct ctl_event ev;
	struct kernel_run r;
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (ctl_event_parse(bad[i], strlen(bad[i]), &ev, &cause) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(cause);
		free(cause);
		cause = NULL;
	}
	/* DONE_OK itself applies. */
	assert_int_equal(ctl_event_parse(DONE_OK "}", strlen(DONE_OK "}"), &ev,
			     &cause),
	    0);
	memset(&r, 0, sizeof r);
	assert_int_equal(ctl_done_apply(&ev, &r, &cause), 0);
	ctl_event_free(&ev);
	kernel_run_free(&r);
	for (i = 0; i < sizeof bad_done / sizeof bad_done[0]; i++) {
		assert_int_equal(ctl_event_parse(bad_done[i],
				     strlen(bad_done[i]), &ev, &cause),
		    0);
		memset(&r, 0, sizeof r);
		if (ctl_done_apply(&ev, &r, &cause) == 0)
			fail_msg("applied: %s", bad_done[i]);
		assert_non_null(cause);
		free(cause);
		cause = NULL;
		ctl_event_free(&ev);
		kernel_run_free(&r);
	}
}

static void
test_stop_names(void **state)
{
	(void)state;
	assert_int_equal(ctl_stop_parse("done"), AGENT_DONE);
	assert_int_equal(ctl_stop_parse("budget"), AGENT_BUDGET);
	assert_int_equal(ctl_stop_parse("cancelled"), AGENT_CANCELLED);
	assert_int_equal(ctl_stop_parse("unknown"), -1);
	assert_int_equal(ctl_stop_parse(""), -1);
}

static void
test_reader(void **state)
{
	struct ctl_reader rd;
	char *line;
	size_t len;

	(void)state;
	ctl_reader_init(&rd, 8);
	assert_null(ctl_reader_next(&rd, &len));
	assert_int_equal(ctl_reader_feed(&rd, "ab", 2), 0);
	assert_null(ctl_reader_next(&rd, &len)); /* not whole yet */
	assert_int_equal(ctl_reader_feed(&rd, "c\n\nde", 5), 0);
	line = ctl_reader_next(&rd, &len);
	assert_string_equal(line, "abc");
	assert_int_equal(len, 3);
	free(line);
	line = ctl_reader_next(&rd, &len);
	assert_string_equal(line, ""); /* an empty line is a line */
	free(line);
	assert_null(ctl_reader_next(&rd, &len));
	assert_int_equal(ctl_reader_feed(&rd, "fghijkl", 7), -1); /* 9 > 8 */
	ctl_reader_free(&rd);

	/* A long line split over many feeds stays within its cap. */
	ctl_reader_init(&rd, 100000);
	for (int i = 0; i < 99999; i++)
		assert_int_equal(ctl_reader_feed(&rd, "x", 1), 0);
	assert_int_equal(ctl_reader_feed(&rd, "\n", 1), 0);
	line = ctl_reader_next(&rd, &len);
	assert_int_equal(len, 99999);
	free(line);
	ctl_reader_free(&rd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_request_caps),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_approval_lines),
		cmocka_unit_test(test_events_round_trip),
		cmocka_unit_test(test_events_refused),
		cmocka_unit_test(test_stop_names),
		cmocka_unit_test(test_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
