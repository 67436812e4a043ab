/*
 * test_ouro_contract.c — the contract with the model: each of the four
 * tool schemas accepts a good example and refuses the typical bad ones;
 * evolve_seed is write_seed plus a rationale; a forced call offers one
 * tool and forces it; an invalid answer (bad arguments, prose, another
 * tool, arguments that are not JSON) is answered once with the problem,
 * and a second one fails naming the tool and the first problem.  The LLM
 * is a script behind the ouro_call_fn seam, and once a server on
 * 127.0.0.1 behind the real gate (ouro_ask()).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "ouroboros/contract.h"
#include "store/db.h"
#include "tmpdir.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/xalloc.h"

#define GOOD_CLARITY \
	"{\"goal\":0.9,\"constraints\":0.5,\"success_criteria\":0.25," \
	"\"questions\":[{\"question\":\"Which Python version?\"," \
	"\"default\":\"3.11\"}]}"
#define GOOD_SEED \
	"{\"goal\":\"A CLI that counts words\",\"task_type\":\"code\"," \
	"\"constraints\":[\"stdlib only\"],\"acceptance_criteria\":[" \
	"{\"id\":\"AC1\",\"description\":\"counts words\"," \
	"\"verify_command\":\"python3 wc.py t.txt\",\"artifacts\":[" \
	"\"wc.py\"],\"assertion\":\"/^3$/\"},{\"id\":\"AC2\"," \
	"\"description\":\"has a README\"}]," \
	"\"evaluation_principles\":[{\"name\":\"correctness\"," \
	"\"weight\":0.7},{\"name\":\"simplicity\",\"weight\":0.3}]," \
	"\"exit_conditions\":[\"all criteria pass\"]," \
	"\"assumptions\":[\"UTF-8 input\"]}"
#define GOOD_JUDGE \
	"{\"score\":0.85,\"goal_alignment\":0.9,\"drift\":0.1," \
	"\"uncertainty\":0.2,\"reward_hacking_risk\":0,\"gaps\":[]}"

/* One case: a tool, arguments, and whether they are valid; `where`: a
 * piece of the cause expected when not. */
struct schema_case {
	const char *tool;
	const char *args;
	int valid;
	const char *where;
};

static const struct schema_case schema_cases[] = {
	{ "triage", "{\"kind\":\"task\",\"reason\":\"it edits files\"}", 1,
	    NULL },
	{ "triage", "{\"kind\":\"answer\",\"reason\":\"a fact\"}", 1, NULL },
	{ "triage", "{\"kind\":\"chat\",\"reason\":\"x\"}", 0, "/kind" },
	{ "triage", "{\"kind\":\"task\"}", 0, "reason" },
	{ "triage", "{\"kind\":\"task\",\"reason\":\"x\",\"more\":1}", 0,
	    "more" },
	{ "score_clarity", GOOD_CLARITY, 1, NULL },
	{ "score_clarity",
	    "{\"goal\":1,\"constraints\":0,\"success_criteria\":1,"
	    "\"context\":0.5,\"questions\":[]}",
	    1, NULL },
	{ "score_clarity",
	    "{\"goal\":1.5,\"constraints\":0,\"success_criteria\":1,"
	    "\"questions\":[]}",
	    0, "/goal" },
	{ "score_clarity",
	    "{\"goal\":\"high\",\"constraints\":0,\"success_criteria\":1,"
	    "\"questions\":[]}",
	    0, "/goal" },
	{ "score_clarity",
	    "{\"goal\":1,\"constraints\":0,\"success_criteria\":1}", 0,
	    "questions" },
	{ "score_clarity",
	    "{\"goal\":1,\"constraints\":0,\"success_criteria\":1,"
	    "\"context\":-0.1,\"questions\":[]}",
	    0, "/context" },
	{ "score_clarity",
	    "{\"goal\":1,\"constraints\":0,\"success_criteria\":1,"
	    "\"questions\":[],\"ambiguity\":0.1}",
	    0, "ambiguity" },
	{ "score_clarity",
	    "{\"goal\":1,\"constraints\":0,\"success_criteria\":1,"
	    "\"questions\":[{\"question\":\"Why?\"}]}",
	    0, "/questions/0" },
	{ "score_clarity",
	    "{\"goal\":1,\"constraints\":0,\"success_criteria\":1,"
	    "\"questions\":[{\"question\":\"\",\"default\":\"x\"}]}",
	    0, "/questions/0/question" },
	{ "write_seed", GOOD_SEED, 1, NULL },
	{ "write_seed",
	    "{\"goal\":\"g\",\"task_type\":\"code\",\"constraints\":[],"
	    "\"acceptance_criteria\":[],\"evaluation_principles\":[],"
	    "\"exit_conditions\":[],\"assumptions\":[]}",
	    0, "/acceptance_criteria" },
	{ "write_seed",
	    "{\"goal\":\"g\",\"task_type\":\"code\",\"constraints\":[],"
	    "\"acceptance_criteria\":[{\"id\":\"a b\",\"description\":\"d\"}],"
	    "\"evaluation_principles\":[],\"exit_conditions\":[],"
	    "\"assumptions\":[]}",
	    0, "/acceptance_criteria/0/id" },
	{ "write_seed",
	    "{\"goal\":\"g\",\"task_type\":\"code\",\"constraints\":[],"
	    "\"acceptance_criteria\":[{\"id\":\"a\",\"description\":\"d\","
	    "\"verify\":\"make\"}],\"evaluation_principles\":[],"
	    "\"exit_conditions\":[],\"assumptions\":[]}",
	    0, "/acceptance_criteria/0" },
	{ "write_seed",
	    "{\"goal\":\"g\",\"task_type\":\"code\",\"constraints\":[],"
	    "\"acceptance_criteria\":[{\"id\":\"a\",\"description\":\"d\"}],"
	    "\"evaluation_principles\":[{\"name\":\"n\",\"weight\":2}],"
	    "\"exit_conditions\":[],\"assumptions\":[]}",
	    0, "/evaluation_principles/0/weight" },
	{ "write_seed",
	    "{\"goal\":\"g\",\"task_type\":\"Code Work\",\"constraints\":[],"
	    "\"acceptance_criteria\":[{\"id\":\"a\",\"description\":\"d\"}],"
	    "\"evaluation_principles\":[],\"exit_conditions\":[],"
	    "\"assumptions\":[]}",
	    0, "/task_type" },
	{ "write_seed",
	    "{\"goal\":\"g\",\"task_type\":\"code\",\"constraints\":[],"
	    "\"acceptance_criteria\":[{\"id\":\"a\",\"description\":\"d\"}],"
	    "\"evaluation_principles\":[],\"exit_conditions\":[]}",
	    0, "assumptions" },
	{ "write_seed",
	    "{\"goal\":\"g\",\"task_type\":\"code\",\"constraints\":\"none\","
	    "\"acceptance_criteria\":[{\"id\":\"a\",\"description\":\"d\"}],"
	    "\"evaluation_principles\":[],\"exit_conditions\":[],"
	    "\"assumptions\":[]}",
	    0, "/constraints" },
	{ "write_seed", GOOD_JUDGE, 0, "(root)" },
	{ "judge", GOOD_JUDGE, 1, NULL },
	{ "judge",
	    "{\"score\":1,\"goal_alignment\":1,\"drift\":0,\"uncertainty\":0,"
	    "\"reward_hacking_risk\":0.9,\"gaps\":[\"tests were edited\"]}",
	    1, NULL },
	{ "judge",
	    "{\"score\":-0.1,\"goal_alignment\":0.9,\"drift\":0.1,"
	    "\"uncertainty\":0.2,\"reward_hacking_risk\":0,\"gaps\":[]}",
	    0, "/score" },
	{ "judge",
	    "{\"score\":0.85,\"goal_alignment\":0.9,\"drift\":0.1,"
	    "\"uncertainty\":0.2,\"reward_hacking_risk\":0}",
	    0, "gaps" },
	{ "judge",
	    "{\"score\":0.85,\"goal_alignment\":0.9,\"drift\":0.1,"
	    "\"uncertainty\":0.2,\"reward_hacking_risk\":0,\"gaps\":[\"\"]}",
	    0, "/gaps/0" },
	{ "judge",
	    "{\"score\":0.85,\"goal_alignment\":0.9,\"drift\":0.1,"
	    "\"uncertainty\":0.2,\"reward_hacking_risk\":0,\"gaps\":[],"
	    "\"verdict\":\"pass\"}",
	    0, "verdict" },
	{ "judge", "[0.85]", 0, "(root)" },
	{ "evolve_seed", GOOD_SEED, 0, "rationale" },
	{ "nonesuch", "{}", 0, "nonesuch: unknown tool" },
};

/* GOOD_SEED with a rationale: a valid evolve_seed. */
static json_t *
good_evolve(void)
{
	json_t *args = json_loads(GOOD_SEED, 0, NULL);

	json_object_set_new(args, "rationale",
	    json_string("AC1 failed: the count was off by one"));
	return args;
}

static void
test_schemas(void **state)
{
	const struct schema_case *k;
	json_t *args;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof schema_cases / sizeof schema_cases[0]; i++) {
		k = &schema_cases[i];
		args = json_loads(k->args, 0, NULL);
		assert_non_null(args);
		cause = NULL;
		if (ouro_contract_validate(k->tool, args, &cause) !=
		    (k->valid ? 0 : -1))
			fail_msg("case %zu (%s): %s", i, k->tool,
			    cause != NULL ? cause : "valid");
		if (!k->valid) {
			assert_non_null(cause);
			if (strstr(cause, k->where) == NULL)
				fail_msg("case %zu: '%s' lacks '%s'", i, cause,
				    k->where);
			/* The cause names the tool first. */
			assert_memory_equal(cause, k->tool, strlen(k->tool));
		}
		free(cause);
		json_decref(args);
	}
	args = good_evolve();
	assert_int_equal(ouro_contract_validate("evolve_seed", args, NULL), 0);
	json_decref(args);
}

/* Caps: long strings, long arrays. */
static void
test_schema_caps(void **state)
{
	json_t *args, *a;
	char *cause = NULL, *big;
	int i;

	(void)state;
	big = xmalloc(2002);
	memset(big, 'x', 2001);
	big[2001] = '\0';
	args = json_loads(GOOD_SEED, 0, NULL);
	json_object_set_new(args, "goal", json_string(big));
	assert_int_equal(ouro_contract_validate("write_seed", args, &cause),
	    -1);
	assert_non_null(strstr(cause, "/goal"));
	free(cause);
	big[2000] = '\0';
	json_object_set_new(args, "goal", json_string(big));
	assert_int_equal(ouro_contract_validate("write_seed", args, NULL), 0);
	a = json_object_get(json_array_get(json_object_get(args,
					       "acceptance_criteria"),
				0),
	    "artifacts");
	for (i = 0; i < 15; i++)
		json_array_append_new(a, json_string("f"));
	assert_int_equal(ouro_contract_validate("write_seed", args, NULL), 0);
	json_array_append_new(a, json_string("g"));
	cause = NULL;
	assert_int_equal(ouro_contract_validate("write_seed", args, &cause),
	    -1);
	assert_non_null(strstr(cause, "/acceptance_criteria/0/artifacts"));
	free(cause);
	json_decref(args);

	args = json_loads(GOOD_CLARITY, 0, NULL);
	a = json_object_get(args, "questions");
	for (i = 0; i < 7; i++)
		json_array_append_new(a,
		    json_pack("{s:s, s:s}", "question", "q", "default", "d"));
	assert_int_equal(ouro_contract_validate("score_clarity", args, NULL),
	    0);
	json_array_append_new(a,
	    json_pack("{s:s, s:s}", "question", "q", "default", "d"));
	assert_int_equal(ouro_contract_validate("score_clarity", args, NULL),
	    -1);
	json_decref(args);
	free(big);
}

/* evolve_seed is write_seed's schema plus a required rationale; every
 * schema is strict. */
static void
test_evolve_is_seed_plus_rationale(void **state)
{
	const char *names[] = { "score_clarity", "write_seed", "judge",
		"evolve_seed" };
	json_t *seed, *evolve, *t;
	size_t i;

	(void)state;
	seed = ouro_contract_tool("write_seed");
	evolve = ouro_contract_tool("evolve_seed");
	assert_non_null(seed);
	assert_non_null(evolve);
	t = json_deep_copy(json_object_get(evolve, "input_schema"));
	assert_non_null(
	    json_object_get(json_object_get(t, "properties"), "rationale"));
	json_object_del(json_object_get(t, "properties"), "rationale");
	json_array_remove(json_object_get(t, "required"),
	    json_array_size(json_object_get(t, "required")) - 1);
	assert_true(json_equal(t, json_object_get(seed, "input_schema")));
	json_decref(t);
	json_decref(seed);
	json_decref(evolve);

	for (i = 0; i < 4; i++) {
		t = ouro_contract_tool(names[i]);
		assert_non_null(t);
		assert_string_equal(oxjson_str(t, "name", ""), names[i]);
		assert_true(strlen(oxjson_str(t, "description", "")) > 20);
		assert_true(json_is_false(
		    json_object_get(json_object_get(t, "input_schema"),
			"additionalProperties")));
		assert_true(json_array_size(json_object_get(json_object_get(t,
								"input_schema"),
				"required")) >= 4);
		json_decref(t);
	}
	assert_null(ouro_contract_tool("exec"));
	assert_null(ouro_contract_tool(NULL));
}

/* ---- forced calls, against a script ---- */

#define SCRIPT_MAX 4

/* The answers to give, and what each request was. */
struct script {
	const char *answers[SCRIPT_MAX]; /* content arrays; NULL: fail */
	int n, calls;
	json_t *messages[SCRIPT_MAX]; /* copies, as sent */
	const char *tool_choice[SCRIPT_MAX];
	const char *phase[SCRIPT_MAX];
	size_t ntools[SCRIPT_MAX];
};

static int
script_call(void *arg, struct llm_request *req, struct llm_response *out,
    struct llm_error *err)
{
	struct script *s = arg;
	int i = s->calls++;

	assert_true(i < s->n);
	s->messages[i] = json_deep_copy(req->messages);
	s->tool_choice[i] = req->tool_choice;
	s->phase[i] = req->phase;
	s->ntools[i] = json_array_size(req->tools);
	assert_true(req->max_tokens > 0);
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	if (s->answers[i] == NULL) {
		err->cls = LLM_ERR_BUDGET;
		snprintf(err->message, sizeof err->message,
		    "budget.max_tokens_per_run exceeded");
		return -1;
	}
	out->content = json_loads(s->answers[i], 0, NULL);
	assert_non_null(out->content);
	return 0;
}

static void
script_free(struct script *s)
{
	int i;

	for (i = 0; i < s->calls; i++)
		json_decref(s->messages[i]);
}

#define CALL(name, args) \
	"[{\"type\":\"text\",\"text\":\"Here.\"},{\"type\":\"tool_use\"," \
	"\"id\":\"tu1\",\"name\":\"" name "\",\"input\":" args "}]"

static json_t *
ask(struct script *s, const char *tool, char **cause)
{
	struct ouro_ask a = { 0 };
	json_t *msgs, *args;

	msgs = json_loads("[{\"role\":\"user\",\"content\":\"judge this\"}]", 0,
	    NULL);
	a.tool = tool;
	a.phase = "evaluate";
	a.system = "You judge.";
	a.messages = msgs;
	*cause = NULL;
	args = ouro_contract_ask(&a, script_call, s, cause);
	/* The caller's conversation is left as it was. */
	assert_int_equal(json_array_size(msgs), 1);
	json_decref(msgs);
	return args;
}

static void
test_ask_valid_first(void **state)
{
	struct script s = { .answers = { CALL("judge", GOOD_JUDGE) }, .n = 1 };
	json_t *args, *want;
	char *cause;

	(void)state;
	args = ask(&s, "judge", &cause);
	assert_non_null(args);
	assert_null(cause);
	want = json_loads(GOOD_JUDGE, 0, NULL);
	assert_true(json_equal(args, want));
	json_decref(want);
	json_decref(args);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.tool_choice[0], "judge");
	assert_string_equal(s.phase[0], "evaluate");
	assert_int_equal(s.ntools[0], 1);
	assert_int_equal(json_array_size(s.messages[0]), 1);
	script_free(&s);
}

/* Bad arguments, then good ones: the second request holds the answer
 * and, as its tool result, what was wrong. */
static void
test_ask_retry_then_valid(void **state)
{
	struct script s = {
		.answers = { CALL("judge",
				 "{\"score\":2,\"goal_alignment\":0.9,"
				 "\"drift\":0.1,\"uncertainty\":0.2,"
				 "\"reward_hacking_risk\":0,\"gaps\":[]}"),
		    CALL("judge", GOOD_JUDGE) },
		.n = 2,
	};
	json_t *args, *m, *r;
	char *cause;

	(void)state;
	args = ask(&s, "judge", &cause);
	assert_non_null(args);
	json_decref(args);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.tool_choice[1], "judge");
	m = s.messages[1];
	assert_int_equal(json_array_size(m), 3);
	assert_string_equal(oxjson_str(json_array_get(m, 1), "role", ""),
	    "assistant");
	assert_int_equal(json_array_size(
			     json_object_get(json_array_get(m, 1), "content")),
	    2);
	assert_string_equal(oxjson_str(json_array_get(m, 2), "role", ""),
	    "tool");
	r = json_array_get(json_object_get(json_array_get(m, 2), "content"), 0);
	assert_string_equal(oxjson_str(r, "type", ""), "tool_result");
	assert_string_equal(oxjson_str(r, "tool_use_id", ""), "tu1");
	assert_true(oxjson_bool(r, "is_error", 0));
	assert_non_null(strstr(oxjson_str(r, "content", ""), "judge: /score"));
	assert_non_null(
	    strstr(oxjson_str(r, "content", ""), "Call the tool judge"));
	script_free(&s);
}

/* Invalid twice: a clear error naming the tool and the first problem
 * only; never a third call. */
static void
test_ask_invalid_twice(void **state)
{
	struct script s = {
		.answers = { CALL("write_seed", "{\"goal\":\"g\"}"),
		    CALL("write_seed",
			"{\"goal\":\"g\",\"task_type\":\"code\","
			"\"constraints\":[],\"acceptance_criteria\":[{\"id\":"
			"\"a b\",\"description\":\"d\"}],"
			"\"evaluation_principles\":[],\"exit_conditions\":[],"
			"\"assumptions\":[]}") },
		.n = 2,
	};
	json_t *r;
	char *cause;

	(void)state;
	assert_null(ask(&s, "write_seed", &cause));
	assert_int_equal(s.calls, 2);
	assert_non_null(cause);
	assert_memory_equal(cause, "write_seed: /acceptance_criteria/0/id", 37);
	assert_non_null(strstr(cause, "(after 2 tries)"));
	free(cause);
	/* The model was told every problem (up to the validator's three). */
	r = json_array_get(json_object_get(json_array_get(s.messages[1], 2),
			       "content"),
	    0);
	assert_non_null(strstr(oxjson_str(r, "content", ""),
	    "write_seed: (root): missing required property"));
	assert_non_null(strstr(oxjson_str(r, "content", ""), "; "));
	script_free(&s);

	/* Several problems on the last try: the first one only. */
	memset(&s, 0, sizeof s);
	s.answers[0] = CALL("write_seed", "{}");
	s.answers[1] = CALL("write_seed", "{\"goal\":7}");
	s.n = 2;
	assert_null(ask(&s, "write_seed", &cause));
	assert_memory_equal(cause, "write_seed: ", 12);
	assert_null(strstr(cause, "; "));
	free(cause);
	script_free(&s);
}

/* Prose, then prose: told as a user turn; then the error. */
static void
test_ask_prose(void **state)
{
	struct script s = {
		.answers = { "[{\"type\":\"text\",\"text\":\"Looks good!\"}]",
		    "[]" },
		.n = 2,
	};
	json_t *m;
	char *cause;

	(void)state;
	assert_null(ask(&s, "judge", &cause));
	assert_string_equal(cause,
	    "judge: answered without calling judge (after 2 tries)");
	free(cause);
	m = s.messages[1];
	assert_int_equal(json_array_size(m), 3);
	assert_string_equal(oxjson_str(json_array_get(m, 2), "role", ""),
	    "user");
	assert_non_null(strstr(oxjson_str(json_array_get(m, 2), "content", ""),
	    "answered without calling judge"));
	script_free(&s);
}

/* Another tool, then arguments that are not JSON: each is told as its
 * tool's result (the member the model never sent is not sent back). */
static void
test_ask_other_tool_and_bad_json(void **state)
{
	struct script s = {
		.answers = { CALL("write_seed", GOOD_SEED),
		    "[{\"type\":\"tool_use\",\"id\":\"tu2\",\"name\":\"judge\","
		    "\"input\":{},\"input_error\":\"not JSON: '{\\\"sc'\"}]" },
		.n = 2,
	};
	json_t *b;
	char *cause;

	(void)state;
	assert_null(ask(&s, "judge", &cause));
	assert_non_null(strstr(cause, "judge: not JSON"));
	free(cause);
	b = json_array_get(json_object_get(json_array_get(s.messages[1], 2),
			       "content"),
	    0);
	assert_non_null(strstr(oxjson_str(b, "content", ""),
	    "called write_seed instead of judge"));
	script_free(&s);

	/* input_error is stripped when the answer is sent back. */
	memset(&s, 0, sizeof s);
	s.answers[0] = "[{\"type\":\"tool_use\",\"id\":\"tu2\",\"name\":"
		       "\"judge\",\"input\":{},\"input_error\":\"not JSON\"}]";
	s.answers[1] = CALL("judge", GOOD_JUDGE);
	s.n = 2;
	b = ask(&s, "judge", &cause);
	assert_non_null(b);
	json_decref(b);
	b = json_array_get(json_object_get(json_array_get(s.messages[1], 1),
			       "content"),
	    0);
	assert_null(json_object_get(b, "input_error"));
	assert_string_equal(oxjson_str(b, "id", ""), "tu2");
	script_free(&s);
}

/* A failed call is not retried here; an unknown tool never calls. */
static void
test_ask_call_fails(void **state)
{
	struct script s = { .answers = { NULL }, .n = 1 };
	char *cause;

	(void)state;
	assert_null(ask(&s, "score_clarity", &cause));
	assert_int_equal(s.calls, 1);
	assert_string_equal(cause,
	    "score_clarity: the call failed: budget.max_tokens_per_run "
	    "exceeded");
	free(cause);
	script_free(&s);

	memset(&s, 0, sizeof s);
	assert_null(ask(&s, "exec", &cause));
	assert_int_equal(s.calls, 0);
	assert_string_equal(cause, "exec: unknown tool");
	free(cause);
}

/* ---- through the gate, against a server of two canned answers ---- */

#define SERVED 2

struct server {
	int fd, port;
	const char *answers[SERVED];
	struct buf requests[SERVED];
	pthread_t thread;
};

static void *
server_run(void *arg)
{
	struct server *sv = arg;
	char chunk[4096], head[256];
	const char *end, *cl;
	ssize_t n;
	int i, fd;

	for (i = 0; i < SERVED; i++) {
		if ((fd = accept(sv->fd, NULL, NULL)) < 0)
			return NULL;
		/* The head, then Content-Length bytes of body. */
		for (;;) {
			end = strstr(buf_str(&sv->requests[i]), "\r\n\r\n");
			cl = strcasestr(buf_str(&sv->requests[i]),
			    "content-length: ");
			if (end != NULL && cl != NULL &&
			    sv->requests[i].len >=
				(size_t)(end + 4 - buf_str(&sv->requests[i])) +
				    strtoul(cl + 16, NULL, 10))
				break;
			if ((n = read(fd, chunk, sizeof chunk)) <= 0)
				break;
			buf_add(&sv->requests[i], chunk, (size_t)n);
		}
		snprintf(head, sizeof head,
		    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		    strlen(sv->answers[i]));
		if (write(fd, head, strlen(head)) < 0 ||
		    write(fd, sv->answers[i], strlen(sv->answers[i])) < 0)
			fprintf(stderr, "server: write failed\n");
		close(fd);
	}
	return NULL;
}

static void
server_start(struct server *sv)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int i;

	for (i = 0; i < SERVED; i++)
		buf_init(&sv->requests[i], BUF_NOCAP);
	sv->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(sv->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(sv->fd, 4), 0);
	getsockname(sv->fd, (struct sockaddr *)&a, &len);
	sv->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&sv->thread, NULL, server_run, sv), 0);
}

/* The body of request i (caller decrefs). */
static json_t *
server_body(struct server *sv, int i)
{
	const char *end = strstr(buf_str(&sv->requests[i]), "\r\n\r\n");

	assert_non_null(end);
	return json_loads(end + 4, 0, NULL);
}

#define OPENAI_CALL(args) \
	"{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\"," \
	"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\"," \
	"\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":" \
	"\"function\",\"function\":{\"name\":\"judge\",\"arguments\":" args \
	"}}]},\"finish_reason\":\"tool_calls\"}],\"usage\":{" \
	"\"prompt_tokens\":5,\"completion_tokens\":5}}"

/* ouro_ask(): two calls through the gate, each forcing the one tool and
 * saying its phase on the wire and in llm_calls. */
static void
test_ask_through_the_gate(void **state)
{
	struct server sv = {
		.answers = { OPENAI_CALL("\"{\\\"score\\\":2}\""),
		    OPENAI_CALL(
			"\"{\\\"score\\\":0.9,\\\"goal_alignment\\\":1,"
			"\\\"drift\\\":0,\\\"uncertainty\\\":0,"
			"\\\"reward_hacking_risk\\\":0,\\\"gaps\\\":[]}\"") },
	};
	struct ouro_ask a = { 0 };
	struct config *cfg = NULL;
	char dir[64], path[128], text[256], *cause = NULL;
	json_t *msgs, *args, *body, *m;
	sqlite3_stmt *st;
	int i;

	(void)state;
	unsetenv("OPENAI_BASE_URL");
	unsetenv("OPENAI_API_KEY");
	assert_int_equal(tmpdir_make(dir, sizeof dir, "ouro"), 0);
	snprintf(path, sizeof path, "%s/oxios.db", dir);
	assert_int_equal(db_init(path, &cause), 0);
	server_start(&sv);
	snprintf(text, sizeof text,
	    "[providers.local]\nbase_url = \"http://127.0.0.1:%d/v1\"\n"
	    "[engine]\ndefault_model = \"local/m\"\nmax_retries = 0\n",
	    sv.port);
	assert_int_equal(config_load_text("c", text, strlen(text), &cfg,
			     &cause),
	    0);
	msgs =
	    json_loads("[{\"role\":\"user\",\"content\":\"judge\"}]", 0, NULL);
	a.tool = "judge";
	a.phase = "evaluate";
	a.messages = msgs;
	args = ouro_ask(cfg, NULL, &a, NULL, &cause);
	if (args == NULL)
		fail_msg("%s", cause);
	assert_true(json_real_value(json_object_get(args, "score")) == 0.9);
	json_decref(args);
	pthread_join(sv.thread, NULL);
	close(sv.fd);

	for (i = 0; i < SERVED; i++) {
		assert_non_null(strcasestr(buf_str(&sv.requests[i]),
		    "\r\nX-Oxios-Phase: evaluate\r\n"));
		body = server_body(&sv, i);
		assert_string_equal(oxjson_str(json_object_get(json_object_get(body,
								   "tool_choice"),
						   "function"),
					"name", ""),
		    "judge");
		assert_int_equal(json_array_size(
				     json_object_get(body, "tools")),
		    1);
		m = json_object_get(body, "messages");
		assert_int_equal(json_array_size(m), i == 0 ? 1 : 3);
		if (i == 1)
			assert_non_null(strstr(oxjson_str(json_array_get(m, 2),
						   "content", ""),
			    "Not accepted: judge: (root): missing required"));
		json_decref(body);
		buf_free(&sv.requests[i]);
	}
	assert_int_equal(sqlite3_prepare_v2(db_get(),
			     "SELECT kind, phase, status FROM llm_calls "
			     "ORDER BY id",
			     -1, &st, NULL),
	    SQLITE_OK);
	for (i = 0; i < SERVED; i++) {
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
		    "chat");
		assert_string_equal((const char *)sqlite3_column_text(st, 1),
		    "evaluate");
		assert_string_equal((const char *)sqlite3_column_text(st, 2),
		    "ok");
	}
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	/* An unknown phase: refused before anything is sent or recorded. */
	a.phase = "planning";
	assert_null(ouro_ask(cfg, NULL, &a, NULL, &cause));
	assert_non_null(strstr(cause, "judge: the call failed: unknown phase"));
	free(cause);
	json_decref(msgs);
	config_free(cfg);
	db_shutdown();
	tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemas),
		cmocka_unit_test(test_schema_caps),
		cmocka_unit_test(test_evolve_is_seed_plus_rationale),
		cmocka_unit_test(test_ask_valid_first),
		cmocka_unit_test(test_ask_retry_then_valid),
		cmocka_unit_test(test_ask_invalid_twice),
		cmocka_unit_test(test_ask_prose),
		cmocka_unit_test(test_ask_other_tool_and_bad_json),
		cmocka_unit_test(test_ask_call_fails),
		cmocka_unit_test(test_ask_through_the_gate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
