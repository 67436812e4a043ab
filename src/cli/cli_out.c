/*
 * cli_out.c — an agent at work, on the terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_out.h"
#include "cli/spinner.h"
#include "util/json.h"

#define CLI_OUT_ARGS 160 /* bytes of tool arguments shown */

/* What the spinner says: the phase, and the tool running. */
static void
cli_out_label(struct cli_out *o)
{
	char label[128];

	if (o->spin == NULL)
		return;
	if (o->tool[0] != '\0' && o->phase[0] != '\0')
		snprintf(label, sizeof label, "%s: running %s", o->phase,
		    o->tool);
	else if (o->tool[0] != '\0')
		snprintf(label, sizeof label, "running %s", o->tool);
	else
		snprintf(label, sizeof label, "%s",
		    o->phase[0] != '\0' ? o->phase : "thinking");
	spinner_set(o->spin, label);
}

/* End the streamed text's line (the terminal taken). */
static void
cli_out_endline(struct cli_out *o)
{
	if (o->wrote) {
		fputc('\n', stdout);
		fflush(stdout);
		o->wrote = 0;
	}
}

static void
cli_out_give(struct cli_out *o)
{
	spinner_give(o->spin, o->wrote && o->out_tty);
}

static void
cli_out_text(const char *s, size_t n, void *arg)
{
	struct cli_out *o = arg;

	if (o->quiet || n == 0)
		return;
	spinner_take(o->spin);
	fwrite(s, 1, n, stdout);
	fflush(stdout);
	o->wrote = s[n - 1] != '\n';
	cli_out_give(o);
	spinner_set(o->spin, NULL); /* an answer: no retry pending */
}

static void
cli_out_reset(void *arg)
{
	struct cli_out *o = arg;

	if (o->quiet)
		return;
	spinner_take(o->spin);
	cli_out_endline(o);
	fprintf(stderr, "[the provider failed mid-answer; retrying]\n");
	cli_out_give(o);
}

static void
cli_out_retry(const char *why, int attempt, long wait_ms, void *arg)
{
	struct cli_out *o = arg;

	/* On a terminal only: a log of retries is the log's. */
	if (o->quiet || o->spin == NULL)
		return;
	spinner_take(o->spin);
	cli_out_endline(o);
	if (wait_ms < 0)
		fprintf(stderr,
		    "[retrying once the provider admits it "
		    "(attempt %d failed): %s]\n",
		    attempt, why);
	else
		fprintf(stderr,
		    "[retrying in %.1f s (attempt %d failed): %s]\n",
		    wait_ms / 1000.0, attempt, why);
	cli_out_give(o);
	spinner_retry(o->spin, attempt, wait_ms);
}

static void
cli_out_tool_start(const char *name, const json_t *input, void *arg)
{
	struct cli_out *o = arg;
	char *args;

	if (o->quiet)
		return;
	spinner_take(o->spin);
	cli_out_endline(o);
	args = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
	fprintf(stderr, "-> %s %.*s%s\n", name, CLI_OUT_ARGS,
	    args != NULL ? args : "",
	    args != NULL && strlen(args) > CLI_OUT_ARGS ? "..." : "");
	free(args);
	cli_out_give(o);
	snprintf(o->tool, sizeof o->tool, "%s", name);
	cli_out_label(o);
}

static void
cli_out_tool_end(const char *name, const json_t *result, void *arg)
{
	struct cli_out *o = arg;
	const char *text;

	(void)name;
	if (o->quiet)
		return;
	spinner_take(o->spin);
	if (oxjson_bool(result, "ok", 0)) {
		text = oxjson_str(result, "output", "");
		fprintf(stderr, "<- ok (%zu bytes%s)\n", strlen(text),
		    oxjson_bool(result, "truncated", 0) ? ", truncated" : "");
	} else
		fprintf(stderr, "<- error: %.300s\n",
		    oxjson_str(result, "error", ""));
	cli_out_give(o);
	o->tool[0] = '\0';
	cli_out_label(o);
}

void
cli_out_phase(const struct kernel_run *r, const char *seed_id, int generation,
    const char *phase, void *arg)
{
	struct cli_out *o = arg;

	(void)r;
	(void)seed_id;
	(void)generation;
	snprintf(o->phase, sizeof o->phase, "%s", phase);
	cli_out_label(o);
}

void
cli_out_hooks(struct cli_out *o, struct agent_hooks *h)
{
	memset(h, 0, sizeof *h);
	h->text = cli_out_text;
	h->reset = cli_out_reset;
	h->retry = cli_out_retry;
	h->tool_start = cli_out_tool_start;
	h->tool_end = cli_out_tool_end;
	h->arg = o;
}

void
cli_out_spin(struct cli_out *o)
{
	if (o->quiet || o->spin != NULL)
		return;
	o->out_tty = isatty(STDOUT_FILENO);
	o->phase[0] = o->tool[0] = '\0';
	o->spin = spinner_start("thinking");
}

void
cli_out_pause(struct cli_out *o, int paused)
{
	if (o != NULL)
		spinner_pause(o->spin, paused);
}

void
cli_out_finish(struct cli_out *o)
{
	spinner_stop(o->spin);
	o->spin = NULL;
	cli_out_endline(o);
}
