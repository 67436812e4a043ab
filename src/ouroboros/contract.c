/*
 * contract.c — forced tool calls with validated arguments (contract.h).
 *
 * The compiled schemas are made once per process (pthread_once) and then
 * only read, by any thread.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/gate.h"
#include "kernel/scope.h"
#include "ouroboros/contract.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/xalloc.h"

/* What the model is told each tool is for. */
static const struct {
	const char *name;
	const char *description;
} ouro_tools[] = {
	{ "triage",
	    "Decide whether the request is a quick answer (a question "
	    "answered directly) or a task whose result must be specified "
	    "and checked." },
	{ "score_clarity",
	    "Score how clear the request is (each from 0, unknown, to 1, "
	    "unambiguous) and list the questions that would remove the "
	    "ambiguity left, each with the answer you would assume." },
	{ "write_seed",
	    "Write the seed: the frozen specification of the task, with "
	    "acceptance criteria that can be checked." },
	{ "judge",
	    "Judge the result of the work against the seed: scores from 0 "
	    "to 1 and the gaps left." },
	{ "evolve_seed",
	    "Write the next generation of the seed from the failures and "
	    "gaps of the last one, and say why it changes." },
	{ NULL, NULL },
};

static struct jsonschema **ouro_compiled; /* parallel to ouro_schema_srcs */
static char *ouro_error;                  /* why they could not compile */
static pthread_once_t ouro_once = PTHREAD_ONCE_INIT;

static void
ouro_compile(void)
{
	size_t n, i;
	json_error_t jerr;
	json_t *doc;
	char *cause = NULL;

	for (n = 0; ouro_schema_srcs[n].name != NULL; n++)
		;
	ouro_compiled = xcalloc(n + 1, sizeof *ouro_compiled);
	for (i = 0; i < n; i++) {
		if ((doc = json_loads(ouro_schema_srcs[i].text, 0, &jerr)) ==
		    NULL) {
			xasprintf(&ouro_error, "schema %s: %s",
			    ouro_schema_srcs[i].name, jerr.text);
			return;
		}
		ouro_compiled[i] = jsonschema_compile(doc, &cause);
		json_decref(doc); /* the compiled schema keeps its own */
		if (ouro_compiled[i] == NULL) {
			xasprintf(&ouro_error, "schema %s: %s",
			    ouro_schema_srcs[i].name, cause);
			free(cause);
			return;
		}
	}
}

/* The index of `tool` in ouro_schema_srcs[], or -1. */
static int
ouro_index(const char *tool)
{
	int i;

	for (i = 0; tool != NULL && ouro_schema_srcs[i].name != NULL; i++) {
		if (strcmp(ouro_schema_srcs[i].name, tool) == 0)
			return i;
	}
	return -1;
}

int
ouro_contract_validate(const char *tool, const json_t *args, char **cause)
{
	char *why = NULL;
	int i;

	pthread_once(&ouro_once, ouro_compile);
	if (ouro_error != NULL) {
		if (cause != NULL)
			xasprintf(cause, "%s", ouro_error);
		return -1;
	}
	if ((i = ouro_index(tool)) < 0) {
		if (cause != NULL)
			xasprintf(cause, "%s: unknown tool",
			    tool != NULL ? tool : "");
		return -1;
	}
	if (jsonschema_validate(ouro_compiled[i], args,
		cause != NULL ? &why : NULL) != 0) {
		if (cause != NULL)
			xasprintf(cause, "%s: %s", tool, why);
		free(why);
		return -1;
	}
	return 0;
}

json_t *
ouro_contract_tool(const char *tool)
{
	json_t *schema;
	size_t k;
	int i;

	if ((i = ouro_index(tool)) < 0)
		return NULL;
	for (k = 0; ouro_tools[k].name != NULL; k++) {
		if (strcmp(ouro_tools[k].name, tool) == 0)
			break;
	}
	if ((schema = json_loads(ouro_schema_srcs[i].text, 0, NULL)) == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:o}", "name", tool, "description",
	    ouro_tools[k].name != NULL ? ouro_tools[k].description : "",
	    "input_schema", schema);
}

/*
 * What is wrong with an answer to the forced `tool`: NULL with *args (a
 * new reference) if it called it with valid arguments; else the problem
 * (caller frees).  *call is the block of the call judged (borrowed), or
 * NULL when there was none.
 */
static char *
ouro_judge_answer(const char *tool, const json_t *content, json_t **args,
    const json_t **call)
{
	const json_t *b, *input;
	const char *other = NULL;
	char *why = NULL;
	size_t i;

	*args = NULL;
	*call = NULL;
	json_array_foreach(content, i, b) {
		if (strcmp(oxjson_str(b, "type", ""), "tool_use") != 0)
			continue;
		if (strcmp(oxjson_str(b, "name", ""), tool) != 0) {
			if (other == NULL)
				other = oxjson_str(b, "name", "");
			continue;
		}
		*call = b;
		break;
	}
	if (*call == NULL) {
		if (other != NULL)
			xasprintf(&why, "%s: called %.64s instead of %s", tool,
			    other, tool);
		else
			xasprintf(&why, "%s: answered without calling %s", tool,
			    tool);
		return why;
	}
	if (oxjson_str(*call, "input_error", NULL) != NULL) {
		xasprintf(&why, "%s: %s", tool,
		    oxjson_str(*call, "input_error", ""));
		return why;
	}
	input = json_object_get(*call, "input");
	if (ouro_contract_validate(tool, input, &why) != 0)
		return why;
	*args = json_deep_copy(input);
	return NULL;
}

/*
 * The conversation after a bad answer: the answer (without the members
 * the model never sent), then what was wrong: as the result of each of
 * its tool calls, or as a user turn when it made none.
 */
static void
ouro_tell(json_t *messages, const char *tool, const json_t *content,
    const char *problem)
{
	json_t *blocks = json_array(), *results = json_array(), *c;
	const json_t *b;
	char *text;
	size_t i;

	xasprintf(&text,
	    "Not accepted: %.*s. Call the tool %s once, with arguments that "
	    "match its schema.",
	    OURO_ASK_MAX_PROBLEM, problem, tool);
	json_array_foreach(content, i, b) {
		if (strcmp(oxjson_str(b, "type", ""), "thinking") == 0)
			continue;
		c = json_deep_copy(b);
		json_object_del(c, "input_error");
		json_array_append_new(blocks, c);
		if (strcmp(oxjson_str(b, "type", ""), "tool_use") == 0)
			json_array_append_new(results,
			    json_pack("{s:s, s:s, s:s, s:b}", "type",
				"tool_result", "tool_use_id",
				oxjson_str(b, "id", ""), "content", text,
				"is_error", 1));
	}
	if (json_array_size(blocks) > 0)
		json_array_append_new(messages,
		    json_pack("{s:s, s:o}", "role", "assistant", "content",
			blocks));
	else
		json_decref(blocks);
	if (json_array_size(results) > 0)
		json_array_append_new(messages,
		    json_pack("{s:s, s:o}", "role", "tool", "content",
			results));
	else {
		json_decref(results);
		json_array_append_new(messages,
		    json_pack("{s:s, s:s}", "role", "user", "content", text));
	}
	free(text);
}

/* The first of the validator's problems ("a; b; c" -> "a"), in place. */
static void
ouro_first_problem(char *why)
{
	char *semi = strstr(why, "; ");

	if (semi != NULL)
		*semi = '\0';
}

json_t *
ouro_contract_ask(const struct ouro_ask *ask, ouro_call_fn call, void *arg,
    char **cause)
{
	struct llm_request req;
	struct llm_response resp;
	struct llm_error err;
	const json_t *used;
	json_t *tools = NULL, *tool, *messages = NULL, *args = NULL;
	char *problem = NULL;
	int try;

	if ((tool = ouro_contract_tool(ask->tool)) == NULL) {
		xasprintf(cause, "%s: unknown tool",
		    ask->tool != NULL ? ask->tool : "");
		return NULL;
	}
	tools = json_pack("[o]", tool);
	messages = json_is_array(ask->messages) ?
	    json_deep_copy(ask->messages) :
	    json_array();
	for (try = 0; try < OURO_ASK_TRIES; try++) {
		memset(&req, 0, sizeof req);
		req.system = ask->system;
		req.messages = messages;
		req.tools = tools;
		req.tool_choice = ask->tool;
		req.phase = ask->phase;
		req.max_tokens =
		    ask->max_tokens > 0 ? ask->max_tokens : OURO_ASK_MAX_TOKENS;
		req.temperature = -1;
		memset(&resp, 0, sizeof resp);
		if (call(arg, &req, &resp, &err) != 0) {
			xasprintf(cause, "%s: the call failed: %s", ask->tool,
			    err.message);
			goto out;
		}
		free(problem);
		problem =
		    ouro_judge_answer(ask->tool, resp.content, &args, &used);
		if (problem == NULL) {
			llm_response_free(&resp);
			goto out;
		}
		if (try + 1 < OURO_ASK_TRIES)
			ouro_tell(messages, ask->tool, resp.content, problem);
		llm_response_free(&resp);
	}
	ouro_first_problem(problem);
	xasprintf(cause, "%s (after %d tries)", problem, OURO_ASK_TRIES);
out:
	free(problem);
	json_decref(messages);
	json_decref(tools);
	return args;
}

/* What ouro_ask() hands its calls. */
struct ouro_gate {
	const struct config *cfg;
	const struct call_scope *scope;
	const char *model;
	const struct cancel *cancel;
};

static int
ouro_gate_call(void *arg, struct llm_request *req, struct llm_response *out,
    struct llm_error *err)
{
	struct ouro_gate *g = arg;

	return gate_call_scoped(g->cfg, g->scope, g->model, req, NULL, NULL,
	    g->cancel, out, NULL, err);
}

json_t *
ouro_ask(const struct config *cfg, const struct call_scope *scope,
    const struct ouro_ask *ask, const struct cancel *cancel, char **cause)
{
	struct ouro_gate g = { cfg, scope, ask->model, cancel };

	return ouro_contract_ask(ask, ouro_gate_call, &g, cause);
}
