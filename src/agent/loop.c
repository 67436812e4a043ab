/*
 * loop.c — the agent loop (the brain).
 *
 * One turn: call the gate with the conversation and the tools; stream the
 * answer's text to the hooks; if the answer has tool calls, run each in the
 * model's order through the hands and add exactly one result per call
 * (errors included); go on.  The run has its own cancel token, chained
 * below the caller's and carrying the wall-clock deadline: the gate and
 * the hands poll its fd, so a kill or the deadline stops them at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/loop.h"
#include "kernel/gate.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

const char *
agent_stop_name(enum agent_stop s)
{
	static const char *const names[] = { "done", "max_iterations", "repeat",
		"timeout", "cancelled", "llm_error", "worker_error", "budget",
		"zombie" };

	return (size_t)s < sizeof names / sizeof names[0] ? names[s] :
							    "unknown";
}

char *
agent_workspace_facts(const char *workspace)
{
	char *s;

	xasprintf(&s,
	    "Your workspace is %s; tool paths are relative to it and cannot "
	    "leave it. Commands run sandboxed inside it, without network "
	    "unless allowed.",
	    workspace);
	return s;
}

char *
agent_system_prompt(const char *workspace)
{
	char *facts = agent_workspace_facts(workspace), *s;

	xasprintf(&s,
	    "You are an Oxios agent: you complete the user's task on their "
	    "machine with the tools you are given, then answer briefly with "
	    "what you did and found.\n"
	    "%s\n"
	    "Read before you edit; check your work (run it, test it) when you "
	    "can. Do not invent file contents or results: use the tools. "
	    "When the task is done, reply without calling a tool.",
	    facts);
	free(facts);
	return s;
}

/* A sign of life, for whoever watches the loop. */
static void
agent_progress(struct agent_loop *l, int in_tool)
{
	if (l->progress != NULL)
		l->progress(in_tool, l->progress_arg);
}

static int
agent_delta(const struct llm_delta *d, void *arg)
{
	struct agent_loop *l = arg;

	agent_progress(l, 0);
	if (d->kind == LLM_DELTA_TEXT && l->hooks.text != NULL)
		l->hooks.text(d->text, d->len, l->hooks.arg);
	else if (d->kind == LLM_DELTA_RESET && l->hooks.reset != NULL)
		l->hooks.reset(l->hooks.arg);
	else if (d->kind == LLM_DELTA_RETRY && l->hooks.retry != NULL)
		l->hooks.retry(d->text, d->index, d->wait_ms, l->hooks.arg);
	return 0;
}

static void
agent_add(struct agent_loop *l, json_t *msg)
{
	json_array_append_new(l->messages, msg);
	if (l->hooks.message != NULL)
		l->hooks.message(msg, l->hooks.arg);
}

/* Cut `text` to `max` UTF-8 characters, saying so.  New string. */
static char *
agent_cap(const char *text, long max, int *cut)
{
	long total = (long)utf8_chars(text);
	size_t at;
	char *out;

	*cut = 0;
	if (total <= max)
		return xstrdup(text);
	at = max < 0 ? 0 : utf8_cut_chars(text, (size_t)max);
	*cut = 1;
	xasprintf(&out, "%.*s\n[output truncated: %ld of %ld characters shown]",
	    (int)at, text, max, total);
	return out;
}

/* One tool call through the registry; returns its tool_result block. */
static json_t *
agent_tool(struct agent_loop *l, struct cancel *run, const json_t *use,
    int *fatal)
{
	const char *id = oxjson_str(use, "id", ""), *name;
	json_t *result, *block;
	char *text, *capped;
	int ok, cut;

	name = oxjson_str(use, "name", "");
	agent_progress(l, 1);
	if (l->hooks.tool_start != NULL)
		l->hooks.tool_start(name, json_object_get(use, "input"),
		    l->hooks.arg);
	if (cancel_fired(run))
		result = json_pack("{s:b, s:s}", "ok", 0, "error",
		    "not run: the run was stopped");
	else if (json_is_string(json_object_get(use, "input_error"))) {
		/* Not a JSON object: the model's to correct, like any
		 * argument its schema refuses. */
		xasprintf(&text,
		    "invalid arguments for %s: %s; call it again with a JSON "
		    "object that matches its schema",
		    name, oxjson_str(use, "input_error", ""));
		result = json_pack("{s:b, s:s}", "ok", 0, "error", text);
		free(text);
	} else
		result = registry_call(l->tools, name,
		    json_object_get(use, "input"), run, fatal);
	l->tool_calls++;
	ok = oxjson_bool(result, "ok", 0);
	text = xstrdup(ok ? oxjson_str(result, "output", "") :
			    oxjson_str(result, "error", "failed"));
	capped = agent_cap(text, l->tool_output_max, &cut);
	if (cut)
		json_object_set_new(result, "truncated", json_true());
	agent_progress(l, 0);
	if (l->hooks.tool_end != NULL)
		l->hooks.tool_end(name, result, l->hooks.arg);
	block = json_pack("{s:s, s:s, s:s, s:b}", "type", "tool_result",
	    "tool_use_id", id, "content", capped, "is_error", !ok);
	json_decref(result);
	free(text);
	free(capped);
	return block;
}

/*
 * The answer's content as the conversation keeps it: without the
 * "input_error" of a call whose arguments were not an object (its
 * result says what was wrong; providers take no such member).  New
 * reference.
 */
static json_t *
agent_content(json_t *content)
{
	json_t *copy, *block;
	size_t i;

	json_array_foreach(content, i, block) {
		if (json_object_get(block, "input_error") != NULL)
			break;
	}
	if (i == json_array_size(content))
		return json_incref(content);
	copy = json_deep_copy(content);
	json_array_foreach(copy, i, block)
		json_object_del(block, "input_error");
	return copy;
}

/* The identity of a call: name and arguments (keys sorted). */
static char *
agent_call_key(const json_t *use)
{
	char *args, *key;

	args = json_dumps(json_object_get(use, "input"),
	    JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	xasprintf(&key, "%s %s%s%s", oxjson_str(use, "name", ""),
	    args != NULL ? args : "",
	    json_object_get(use, "input_error") != NULL ? " " : "",
	    oxjson_str(use, "input_error", ""));
	free(args);
	return key;
}

static void agent_stopped(struct agent_loop *l, enum agent_stop s,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
agent_stopped(struct agent_loop *l, enum agent_stop s, const char *fmt, ...)
{
	va_list ap;

	l->stop = s;
	va_start(ap, fmt);
	vsnprintf(l->reason, sizeof l->reason, fmt, ap);
	va_end(ap);
}

int
agent_loop_run(struct agent_loop *l)
{
	struct cancel run;
	struct llm_request req;
	struct llm_response resp;
	struct gate_record rec;
	struct llm_error err;
	json_t *block, *results, *defs;
	char *last = NULL, *key;
	int repeats = 0, fatal = 0, calls;
	size_t i;

	if (l->model == NULL)
		l->model = config_str(l->cfg, "engine.default_model");
	cancel_init(&run, l->cancel, l->timeout_ms);
	defs = l->tools != NULL ? registry_defs(l->tools) : json_array();
	l->answer = NULL;
	l->stop = AGENT_DONE;
	l->reason[0] = '\0';

	for (;;) {
		if (cancel_fired(&run))
			break;
		if (l->iterations >= l->max_iterations) {
			agent_stopped(l, AGENT_MAX_ITERATIONS,
			    "stopped after %d model turns "
			    "(engine.max_iterations)",
			    l->iterations);
			break;
		}
		memset(&req, 0, sizeof req);
		req.system = l->system;
		req.phase = l->phase;
		req.messages = l->messages;
		req.tools = json_array_size(defs) > 0 ? defs : NULL;
		req.max_tokens = (int)config_int(l->cfg, "engine.max_tokens");
		req.temperature = config_float(l->cfg, "engine.temperature");
		req.stream = 1;
		l->iterations++;
		if (gate_call_scoped(l->cfg, l->scope, l->model, &req,
			agent_delta, l, &run, &resp, &rec, &err) != 0) {
			if (err.cls == LLM_ERR_CANCELLED || cancel_fired(&run))
				break;
			if (err.cls == LLM_ERR_BUDGET) { /* not sent */
				l->iterations--;
				agent_stopped(l, AGENT_BUDGET, "%s",
				    err.message);
				break;
			}
			agent_stopped(l, AGENT_LLM_ERROR, "%s", err.message);
			break;
		}
		agent_progress(l, 0); /* the answer */
		l->usage.input_tokens += resp.usage.input_tokens;
		l->usage.output_tokens += resp.usage.output_tokens;
		l->usage.cache_read_tokens += resp.usage.cache_read_tokens;
		l->usage.cache_write_tokens += resp.usage.cache_write_tokens;
		if (rec.priced)
			l->cost_usd += rec.cost_usd;
		else
			l->unpriced++;
		agent_add(l,
		    json_pack("{s:s, s:o}", "role", "assistant", "content",
			agent_content(resp.content)));
		free(l->answer);
		l->answer = llm_response_text(&resp);

		/* Run the calls in the model's order; one result each. */
		results = json_array();
		calls = 0;
		json_array_foreach(resp.content, i, block) {
			if (strcmp(oxjson_str(block, "type", ""), "tool_use") !=
			    0)
				continue;
			calls++;
			key = agent_call_key(block);
			repeats = last != NULL && strcmp(key, last) == 0 ?
			    repeats + 1 :
			    1;
			free(last);
			last = key;
			json_array_append_new(results,
			    agent_tool(l, &run, block, &fatal));
		}
		llm_response_free(&resp);
		if (calls == 0) {
			json_decref(results);
			break; /* the answer */
		}
		agent_add(l,
		    json_pack("{s:s, s:o}", "role", "tool", "content",
			results));
		if (fatal) {
			agent_stopped(l, AGENT_WORKER_ERROR,
			    "the agent's worker failed: %s",
			    oxjson_str(json_array_get(results, 0), "content",
				""));
			break;
		}
		if (repeats >= l->repeat_guard) {
			agent_stopped(l, AGENT_REPEAT,
			    "the model made the same call %d times in a row "
			    "(engine.repeat_guard): %.200s",
			    repeats, last);
			break;
		}
	}
	if (cancel_fired(&run) && l->stop == AGENT_DONE) {
		if (cancel_timed_out(&run))
			agent_stopped(l, AGENT_TIMEOUT,
			    "stopped by the time limit of %ld s",
			    l->timeout_ms / 1000);
		else
			agent_stopped(l, AGENT_CANCELLED, "cancelled");
	}
	if (l->stop == AGENT_DONE)
		snprintf(l->reason, sizeof l->reason,
		    "the model answered after %d turn%s and %d tool call%s",
		    l->iterations, l->iterations == 1 ? "" : "s", l->tool_calls,
		    l->tool_calls == 1 ? "" : "s");
	cancel_destroy(&run);
	json_decref(defs);
	free(last);
	if (l->answer == NULL)
		l->answer = xstrdup("");
	log_info("agent loop: %s: %s", agent_stop_name(l->stop), l->reason);
	return l->stop == AGENT_DONE ? 0 : -1;
}

void
agent_loop_free(struct agent_loop *l)
{
	free(l->answer);
	l->answer = NULL;
}
