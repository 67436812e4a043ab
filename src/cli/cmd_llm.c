/*
 * cmd_llm.c — oxios __llm: one call through the gate, for tests.
 *
 *   oxios __llm [--model P/M] [--system S] [--no-stream]
 *               [--messages FILE] [--tools FILE] [--max-tokens N] [PROMPT]
 *
 * Prints one JSON line per streamed delta, then one line with the
 * response (or the error), and exits 0 (or 1).  Hidden: `oxios run` is the
 * command for people.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/interrupt.h"
#include "config/home.h"
#include "kernel/gate.h"
#include "llm/models.h"
#include "store/db.h"
#include "util/file.h"
#include "util/json.h"
#include "util/xalloc.h"

#define LLM_CLI_MAX_FILE (8 * 1024 * 1024)

static int cmd_llm(int, char **);

const struct cmd_entry cmd_llm_entry = {
	.name = "__llm",
	.usage = "[--model P/M] [--system S] [--no-stream] [--messages FILE] "
		 "[--tools FILE] [--max-tokens N] [PROMPT]",
	.summary = "Make one LLM call through the gate (for tests).",
	.words = "",
	.flags = CMD_HIDDEN,
	.exec = cmd_llm,
};

static int
cmd_llm_delta(const struct llm_delta *d, void *arg)
{
	static const char *const kinds[] = { "text", "thinking", "tool_start",
		"tool_args", "usage", "reset" };
	json_t *line;

	(void)arg;
	if (d->kind == LLM_DELTA_RETRY)
		return 0; /* the log says it */
	line =
	    json_pack("{s:s, s:i}", "delta", kinds[d->kind], "index", d->index);
	if (d->kind == LLM_DELTA_USAGE)
		json_object_set_new(line, "output_tokens",
		    json_integer(d->usage->output_tokens));
	else if (d->kind == LLM_DELTA_RESET)
		;
	else if (d->kind == LLM_DELTA_TOOL_START)
		json_object_set_new(line, "name",
		    json_string(d->tool_name != NULL ? d->tool_name : ""));
	else
		json_object_set_new(line, "text",
		    json_stringn(d->text, d->len));
	oxjson_print(stdout, line, 0);
	fflush(stdout);
	json_decref(line);
	return 0;
}

static json_t *
cmd_llm_load(const char *path)
{
	char *text, *cause = NULL;
	size_t len;
	json_t *v;

	if (file_read(path, LLM_CLI_MAX_FILE, &text, &len, &cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		return NULL;
	}
	if ((v = oxjson_parse(text, len, LLM_CLI_MAX_FILE, &cause)) == NULL) {
		cli_error("%s: %s", path, cause);
		free(cause);
	}
	free(text);
	return v;
}

static int
cmd_llm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "system", required_argument, NULL, 's' },
		{ "no-stream", no_argument, NULL, 'n' },
		{ "messages", required_argument, NULL, 'M' },
		{ "tools", required_argument, NULL, 't' },
		{ "max-tokens", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	struct llm_request req;
	struct llm_response resp;
	struct gate_record rec;
	struct llm_error err;
	struct config *cfg = NULL;
	json_t *messages = NULL, *tools = NULL, *line;
	const char *model = NULL;
	char *dbpath = NULL, *cause = NULL;
	struct cancel stop;
	int called = 0;
	int c, rc = EXIT_FAIL;

	memset(&req, 0, sizeof req);
	req.stream = 1;
	req.temperature = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			model = optarg;
			break;
		case 's':
			req.system = optarg;
			break;
		case 'n':
			req.stream = 0;
			break;
		case 'M':
			json_decref(messages);
			if ((messages = cmd_llm_load(optarg)) == NULL)
				goto out;
			break;
		case 't':
			json_decref(tools);
			if ((tools = cmd_llm_load(optarg)) == NULL)
				goto out;
			break;
		case 'x':
			req.max_tokens = atoi(optarg);
			break;
		default:
			rc = cli_usage(&cmd_llm_entry);
			goto out;
		}
	}
	if (messages == NULL) {
		if (optind != argc - 1) {
			rc = cli_usage(&cmd_llm_entry);
			goto out;
		}
		messages = json_pack("[{s:s, s:s}]", "role", "user", "content",
		    argv[optind]);
	}
	if ((cfg = cli_setup()) == NULL)
		goto out;
	dbpath = home_path("oxios.db");
	if (db_init(dbpath, &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	if (req.max_tokens <= 0)
		req.max_tokens = (int)config_int(cfg, "engine.max_tokens");
	req.messages = messages;
	req.tools = tools;
	if (cli_interrupt_start(1, &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	cancel_init(&stop, NULL, 0);
	cli_interrupt_arm(&stop);
	called = 1;
	if (gate_call(cfg, model, &req, cmd_llm_delta, NULL, &stop, &resp, &rec,
		&err) != 0) {
		line = json_pack("{s:{s:s, s:s, s:i, s:i}}", "error", "class",
		    llm_error_class_name(err.cls), "message", err.message,
		    "status", err.status, "attempts", err.attempts);
		oxjson_print(stdout, line, 0);
		json_decref(line);
		goto out;
	}
	line = json_pack("{s:{s:O, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I}}}",
	    "response", "content", resp.content, "stop_reason",
	    resp.stop_reason, "id", resp.id, "model", resp.model, "usage",
	    "input_tokens", (json_int_t)resp.usage.input_tokens,
	    "output_tokens", (json_int_t)resp.usage.output_tokens,
	    "cache_read_tokens", (json_int_t)resp.usage.cache_read_tokens,
	    "cache_write_tokens", (json_int_t)resp.usage.cache_write_tokens);
	json_object_set_new(line, "attempts", json_integer(err.attempts));
	/* The gate's price of the call (null for an unpriced model). */
	json_object_set_new(line, "cost_usd",
	    rec.priced ? json_real(rec.cost_usd) : json_null());
	llm_response_free(&resp);
	oxjson_print(stdout, line, 0);
	json_decref(line);
	rc = EXIT_OK;
out:
	cli_interrupt_stop();
	if (called)
		cancel_destroy(&stop);
	db_shutdown();
	json_decref(messages);
	json_decref(tools);
	config_free(cfg);
	free(dbpath);
	free(cause);
	return rc;
}
