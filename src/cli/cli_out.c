/*
 * cli_out.c — an agent at work, on the terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_out.h"
#include "util/json.h"

#define CLI_OUT_ARGS 160 /* bytes of tool arguments shown */

static void
cli_out_text(const char *s, size_t n, void *arg)
{
	struct cli_out *o = arg;

	if (o->quiet || n == 0)
		return;
	fwrite(s, 1, n, stdout);
	fflush(stdout);
	o->wrote = s[n - 1] != '\n';
}

static void
cli_out_reset(void *arg)
{
	struct cli_out *o = arg;

	if (o->quiet)
		return;
	cli_out_finish(o);
	fprintf(stderr, "[the provider failed mid-answer; retrying]\n");
}

static void
cli_out_tool_start(const char *name, const json_t *input, void *arg)
{
	struct cli_out *o = arg;
	char *args;

	if (o->quiet)
		return;
	cli_out_finish(o);
	args = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
	fprintf(stderr, "-> %s %.*s%s\n", name, CLI_OUT_ARGS,
	    args != NULL ? args : "",
	    args != NULL && strlen(args) > CLI_OUT_ARGS ? "..." : "");
	free(args);
}

static void
cli_out_tool_end(const char *name, const json_t *result, void *arg)
{
	struct cli_out *o = arg;
	const char *text;

	(void)name;
	if (o->quiet)
		return;
	if (oxjson_bool(result, "ok", 0)) {
		text = oxjson_str(result, "output", "");
		fprintf(stderr, "<- ok (%zu bytes%s)\n", strlen(text),
		    oxjson_bool(result, "truncated", 0) ? ", truncated" : "");
	} else
		fprintf(stderr, "<- error: %.300s\n",
		    oxjson_str(result, "error", ""));
}

void
cli_out_hooks(struct cli_out *o, struct agent_hooks *h)
{
	memset(h, 0, sizeof *h);
	h->text = cli_out_text;
	h->reset = cli_out_reset;
	h->tool_start = cli_out_tool_start;
	h->tool_end = cli_out_tool_end;
	h->arg = o;
}

void
cli_out_finish(struct cli_out *o)
{
	if (o->wrote) {
		fputc('\n', stdout);
		fflush(stdout);
		o->wrote = 0;
	}
}
