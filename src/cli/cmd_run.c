/*
 * cmd_run.c — oxios run PROMPT: one agent, to the end: through the daemon
 * when it listens (cli/ctl_client.h), else (or with --local) in this
 * process.  The output is the same either way.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/interrupt.h"
#include "cli/cli_out.h"
#include "cli/ctl_client.h"
#include "cli/cmd_space.h"
#include "config/home.h"
#include "kernel/budget_agent.h"
#include "kernel/personas.h"
#include "kernel/kernel.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/json.h"
#include "util/xalloc.h"

#define RUN_MAX_CONTEXT (4 * 1024 * 1024)

static int cmd_run(int, char **);

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage =
	    "[--json] [--exit-code] [--session ID] [--context-file PATH|-] "
	    "[--model P/M] [--timeout SECS] [--budget-tokens N] "
	    "[--budget-usd X] [--agent NAME] [--persona NAME] [--space NAME] "
	    "[--spec|--no-spec] [--local] "
	    "PROMPT...",
	.summary = "Run an agent on a task and print its answer.",
	.help =
	    "The agent works in the workspace with its tools (read, write,\n"
	    "edit, ls, find, grep, exec) inside a sandboxed worker, until the\n"
	    "model answers without calling a tool or a limit stops it.  Text\n"
	    "streams to stdout, tool activity to stderr.  Ctrl-C cancels.\n"
	    "\n"
	    "  --json           print one JSON object at the end instead:\n"
	    "                   response, session_id, agent_id, exit_code,\n"
	    "                   duration_ms, stop_reason (the agent loop's),\n"
	    "                   phase_reached, seed_id, evaluation_passed,\n"
	    "                   generations, ouroboros_stop, persona,\n"
	    "                   space_id, space_tag, ... (null for what does\n"
	    "                   not exist)\n"
	    "  --exit-code      exit 0 only if the seed's evaluation passed,\n"
	    "                   or, for a quick answer, the agent finished\n"
	    "                   (answered without being stopped by a limit);\n"
	    "                   1 otherwise\n"
	    "  --spec           run the Ouroboros protocol (interview, seed,\n"
	    "                   execute, evaluate, evolve: docs/ouroboros.md)\n"
	    "  --no-spec        a quick answer: the agent alone, no protocol\n"
	    "                   (without either, ouroboros.mode decides;\n"
	    "                   auto: a triage call)\n"
	    "  --session ID     continue that session (its history is the\n"
	    "                   context)\n"
	    "  --context-file F add a file (or - for stdin) before the prompt\n"
	    "  --space NAME     run in that space (else the one of `oxios space\n"
	    "                   use`, else the one the message names: a path,\n"
	    "                   a tag, the name); a space's runs continue its\n"
	    "                   conversation\n"
	    "  --model P/M      instead of engine.default_model\n"
	    "  --timeout SECS   instead of kernel.agent_timeout_secs\n"
	    "  --budget-tokens N  the run may use at most N tokens (input and\n"
	    "                   output, its sub-agents included); a call that\n"
	    "                   could pass it is not sent\n"
	    "  --budget-usd X   the run may spend at most X USD (fails closed\n"
	    "                   with a model that has no price)\n"
	    "  --agent NAME     run as agent profile NAME (default: default):\n"
	    "                   its budget applies (oxios budget)\n"
	    "  --persona NAME   who the agent is told to be (oxios persona\n"
	    "                   list; default: the session's, else the\n"
	    "                   default persona)\n"
	    "  --local          run the agent in this process even when the\n"
	    "                   daemon runs (by default its runs go through\n"
	    "                   the daemon's control socket, run/ctl.sock, so\n"
	    "                   that its scheduler and budgets admit them;\n"
	    "                   with no daemon they run here)\n"
	    "\n"
	    "Exit status without --exit-code: 0 when the run ended with a\n"
	    "result (an answer, or a limit such as engine.max_iterations), 1 on\n"
	    "an error (provider, worker, setup), a budget or a cancel, 2 on\n"
	    "bad usage.\n",
	.words =
	    "--json --exit-code --session --context-file --model --timeout "
	    "--budget-tokens --budget-usd --agent --persona --space --spec "
	    "--no-spec "
	    "--local",
	.exec = cmd_run,
};

/* The prompt: the context file (if any), then the words. */
static char *
run_prompt(int argc, char **argv, const char *context_file, char **cause)
{
	struct buf b;
	json_t *check;
	char *text = NULL, chunk[8192];
	size_t len, n;
	int i;

	buf_init(&b, RUN_MAX_CONTEXT);
	if (context_file != NULL) {
		if (strcmp(context_file, "-") == 0) {
			while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
				if (buf_add(&b, chunk, n) != 0) {
					xasprintf(cause,
					    "stdin: context larger than %d "
					    "bytes",
					    RUN_MAX_CONTEXT);
					buf_free(&b);
					return NULL;
				}
			}
		} else if (file_read(context_file, RUN_MAX_CONTEXT, &text, &len,
			       cause) != 0) {
			buf_free(&b);
			return NULL;
		} else {
			buf_add(&b, text, len);
			free(text);
		}
		if (b.len > 0 && b.data[b.len - 1] != '\n')
			buf_addc(&b, '\n');
		buf_adds(&b, "\n");
	}
	for (i = 0; i < argc; i++) {
		if (i > 0)
			buf_addc(&b, ' ');
		if (buf_adds(&b, argv[i]) != 0) {
			xasprintf(cause, "prompt larger than %d bytes",
			    RUN_MAX_CONTEXT);
			buf_free(&b);
			return NULL;
		}
	}
	if ((check = json_string(buf_str(&b))) == NULL) {
		xasprintf(cause, "the prompt is not valid UTF-8");
		buf_free(&b);
		return NULL;
	}
	json_decref(check);
	return buf_detach(&b);
}

static json_t *
run_json(const struct kernel_run *r, int exit_code)
{
	json_t *o;

	o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, "
		      "s:i, s:s?, s:i, s:i}",
	    "response", r->started ? r->answer : NULL, "session_id",
	    r->session[0] != '\0' ? r->session : NULL, "persona",
	    r->persona_name[0] != '\0' ? r->persona_name : NULL, "space_id",
	    r->space_id[0] != '\0' ? r->space_id : NULL, "space_tag",
	    r->space_id[0] != '\0' ? r->space_tag : NULL, "seed_id",
	    r->seed_id[0] != '\0' ? r->seed_id : NULL, "agent_id",
	    r->agent[0] != '\0' ? r->agent : NULL, "phase_reached",
	    r->phase_reached, "evaluation_passed",
	    r->evaluation_passed < 0 ? json_null() :
				       json_boolean(r->evaluation_passed),
	    "generations", r->generations, "ouroboros_stop",
	    r->ouro_stop[0] != '\0' ? r->ouro_stop : NULL, "exit_code",
	    exit_code, "duration_ms", (int)r->duration_ms);
	if (r->ouro_stop[0] != '\0')
		json_object_set_new(o, "ouroboros_detail",
		    json_string(r->ouro_detail));
	json_object_set_new(o, "agent",
	    json_string(
		r->principal != NULL ? r->principal : BUDGET_DEFAULT_AGENT));
	if (r->started) {
		json_object_set_new(o, "stop_reason",
		    json_string(agent_stop_name(r->stop)));
		json_object_set_new(o, "stop_detail", json_string(r->reason));
		json_object_set_new(o, "iterations",
		    json_integer(r->iterations));
		json_object_set_new(o, "tool_calls",
		    json_integer(r->tool_calls));
		json_object_set_new(o, "usage",
		    json_pack("{s:I, s:I}", "input_tokens",
			(json_int_t)r->usage.input_tokens, "output_tokens",
			(json_int_t)r->usage.output_tokens));
		json_object_set_new(o, "cost_usd",
		    r->cost_unknown ? json_null() : json_real(r->cost_usd));
		json_object_set(o, "sandbox", r->sandbox);
	} else
		json_object_set_new(o, "error", json_string(r->error));
	return o;
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "exit-code", no_argument, NULL, 'e' },
		{ "session", required_argument, NULL, 's' },
		{ "context-file", required_argument, NULL, 'c' },
		{ "model", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "budget-tokens", required_argument, NULL, 'B' },
		{ "budget-usd", required_argument, NULL, 'U' },
		{ "agent", required_argument, NULL, 'a' },
		{ "persona", required_argument, NULL, 'P' },
		{ "space", required_argument, NULL, 'E' },
		{ "local", no_argument, NULL, 'L' },
		{ "spec", no_argument, NULL, 'S' },
		{ "no-spec", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct kernel_run r;
	struct cli_out out = { .quiet = 0 };
	struct config *cfg = NULL;
	struct cancel stop;
	const char *context = NULL;
	char *prompt = NULL, *dbpath = NULL, *cause = NULL, *end, *used = NULL;
	int c, exit_code_mode = 0, rc = EXIT_FAIL, code, local = 0, fd = -1;
	long timeout = 0;
	size_t i;
	json_t *w;

	memset(&r, 0, sizeof r);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			out.quiet = 1;
			break;
		case 'e':
			exit_code_mode = 1;
			break;
		case 'L':
			local = 1;
			break;
		case 'E':
			r.space = optarg;
			break;
		case 'S':
		case 'N':
			if (r.spec != KERNEL_SPEC_CONFIG &&
			    r.spec !=
				(c == 'S' ? KERNEL_SPEC_ALWAYS :
					    KERNEL_SPEC_NEVER)) {
				cli_error("run: --spec and --no-spec exclude "
					  "each other");
				return EXIT_USAGE;
			}
			r.spec =
			    c == 'S' ? KERNEL_SPEC_ALWAYS : KERNEL_SPEC_NEVER;
			break;
		case 's':
			r.session_id = optarg;
			break;
		case 'c':
			context = optarg;
			break;
		case 'm':
			r.model = optarg;
			break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || timeout <= 0 ||
			    timeout > 604800) {
				cli_error("run: --timeout wants seconds "
					  "(1..604800), not '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'B':
			r.budget_tokens = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    r.budget_tokens <= 0 ||
			    r.budget_tokens > 1000000000000LL) {
				cli_error("run: --budget-tokens wants a number "
					  "of tokens (1..1e12), not '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'U':
			r.budget_usd = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' ||
			    !(r.budget_usd > 0 && r.budget_usd <= 1e9)) {
				cli_error("run: --budget-usd wants an amount "
					  "in USD (above 0, at most 1e9), not "
					  "'%s'",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'a':
			if (budget_agent_name_ok(optarg, &cause) != 0) {
				cli_error("run: --agent: %s", cause);
				free(cause);
				return EXIT_USAGE;
			}
			r.principal = optarg;
			break;
		case 'P':
			if (personas_name_ok(optarg, &cause) != 0) {
				cli_error("run: --persona: %s", cause);
				free(cause);
				return EXIT_USAGE;
			}
			r.persona = optarg;
			break;
		default:
			cli_error("run: unknown or incomplete option '%s'",
			    argv[optind - 1]);
			return cli_usage(&cmd_run_entry);
		}
	}
	if (optind >= argc) {
		cli_error("run: what should the agent do? (a PROMPT)");
		return cli_usage(&cmd_run_entry);
	}
	if ((prompt = run_prompt(argc - optind, argv + optind, context,
		 &cause)) == NULL) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if ((cfg = cli_setup()) == NULL)
		goto out;
	if (r.space == NULL) /* oxios space use */
		r.space = used = cmd_space_used();
	if (!local && (fd = ctl_client_connect(&cause)) == -2) {
		cli_error("%s", cause);
		goto out;
	}
	dbpath = home_path("oxios.db");
	if (fd < 0 && db_init(dbpath, &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	if (cli_interrupt_start(1, &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	cancel_init(&stop, NULL, 0);
	cli_interrupt_arm(&stop);

	r.cfg = cfg;
	r.db = fd < 0 ? db_get() : NULL;
	r.cls = CALL_RUN;
	r.prompt = prompt;
	r.timeout_ms = timeout * 1000;
	r.cancel = &stop;
	cli_out_hooks(&out, &r.hooks);
	r.phase_hook = cli_out_phase;
	cli_out_spin(&out);
	if (fd >= 0)
		ctl_client_run(fd, &r); /* closes fd */
	else
		kernel_run(&r);
	fd = -1;
	cli_out_finish(&out);
	cli_interrupt_stop();
	cancel_destroy(&stop);

	if (!r.started)
		code = EXIT_FAIL;
	else if (exit_code_mode && r.ouro_stop[0] != '\0')
		code = r.evaluation_passed == 1 ? EXIT_OK : EXIT_FAIL;
	else if (exit_code_mode)
		code = r.stop == AGENT_DONE ? EXIT_OK : EXIT_FAIL;
	else
		code = r.stop == AGENT_LLM_ERROR ||
			r.stop == AGENT_WORKER_ERROR ||
			r.stop == AGENT_BUDGET || r.stop == AGENT_CANCELLED ||
			r.stop == AGENT_REAPED ?
		    EXIT_FAIL :
		    EXIT_OK;
	if (out.quiet) {
		json_t *o = run_json(&r, code);

		oxjson_print(stdout, o, 0);
		json_decref(o);
	} else {
		cli_out_finish(&out);
		json_array_foreach(json_object_get(r.sandbox, "warnings"), i, w)
			cli_warn("sandbox: %s", json_string_value(w));
		if (!r.started)
			cli_error("%s", r.error);
		else if (r.stop != AGENT_DONE)
			cli_error("run stopped (%s): %s",
			    agent_stop_name(r.stop), r.reason);
		else if (r.ouro_stop[0] != '\0')
			fprintf(stderr,
			    "ouroboros: %s after %d generation%s: %s\n",
			    r.ouro_stop, r.generations,
			    r.generations == 1 ? "" : "s", r.ouro_detail);
		if (r.session[0] != '\0')
			fprintf(stderr, "session %s\n", r.session);
	}
	rc = code;
out:
	if (fd >= 0)
		close(fd);
	kernel_run_free(&r);
	db_shutdown();
	config_free(cfg);
	free(prompt);
	free(used);
	free(dbpath);
	free(cause);
	return rc;
}
