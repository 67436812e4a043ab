/*
 * cmd_chat.c — oxios chat: talk with an agent, turn after turn, in one
 * session.  Lines are edited with libedit on a terminal.  Ctrl-C cancels
 * the run in progress (not the chat); Ctrl-D or .quit leaves.  Each turn
 * goes through the daemon when it listens (cli/ctl_client.h), with the
 * session carried; else, or with --local, it runs in this process.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli/cli.h"
#include "cli/interrupt.h"
#include "cli/cli_out.h"
#include "cli/ctl_client.h"
#include "config/home.h"
#include "kernel/kernel.h"
#include "cli/cmd_space.h"
#include "kernel/budget_agent.h"
#include "kernel/personas.h"
#include "kernel/sessions.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define CHAT_LINE_MAX (256 * 1024)

static int cmd_chat(int, char **);

const struct cmd_entry cmd_chat_entry = {
	.name = "chat",
	.usage = "[--model P/M] [--session ID] [--agent NAME] [--persona NAME] "
		 "[--space NAME] "
		 "[--spec|--no-spec] [--local] [PROMPT...]",
	.summary = "Talk with an agent interactively.",
	.help =
	    "Each line you type is a message; the agent answers with its tools\n"
	    "as `oxios run` does, and the conversation is one session.\n"
	    "PROMPT, if given, is the first message (its words joined by\n"
	    "spaces); the chat then goes on with what you type (or, when\n"
	    "stdin is not a terminal, with its lines).\n"
	    "Ctrl-C cancels the answer in progress; Ctrl-D leaves.\n"
	    "--agent NAME talks as agent profile NAME (default: default),\n"
	    "whose budget applies (oxios budget).\n"
	    "\n"
	    "  --model P/M      instead of engine.default_model\n"
	    "  --session ID     continue that session\n"
	    "  --persona NAME   who the agent is told to be (oxios persona\n"
	    "                   list; default: the session's, else the\n"
	    "                   default persona)\n"
	    "  --space NAME     talk in that space (else the one of `oxios\n"
	    "                   space use`, else the one the first message\n"
	    "                   names; docs/agents.md, \"Spaces\")\n"
	    "  --spec           each message is a task through the Ouroboros\n"
	    "                   protocol (docs/ouroboros.md): the interview\n"
	    "                   asks its questions here, each with a default\n"
	    "                   (an empty line accepts it; go accepts all and\n"
	    "                   ends the interview); it runs in this process\n"
	    "  --no-spec        plain chat, even with ouroboros.mode = always\n"
	    "                   (without either, chat uses the protocol only\n"
	    "                   when ouroboros.mode = always)\n"
	    "  --local          run the agent in this process even when the\n"
	    "                   daemon runs (by default each turn goes\n"
	    "                   through the daemon's control socket when it\n"
	    "                   listens)\n"
	    "\n"
	    "Commands start with / (the old . forms still work):\n"
	    "  /help            these commands\n"
	    "  /quit            leave\n"
	    "  /reset           start a new session\n"
	    "  /model [P/M]     show or change the model\n"
	    "  /session [ID]    show the session, or continue another\n"
	    "  /persona [NAME]  show or change the persona\n",
	.words = "--model --session --agent --persona --space --spec "
		 "--no-spec --local",
	.exec = cmd_chat,
};

struct chat {
	struct config *cfg;
	sqlite3 *db;
	char *model;       /* NULL: engine.default_model */
	const char *agent; /* the principal (--agent); NULL: default */
	char persona[PERSONA_NAME_MAX + 1]; /* "": the session's */
	char *space;               /* --space, else `oxios space use`'s */
	char session[UUID_STRLEN]; /* "" until the first message */
	int tty;
	int local;             /* --local: never through the daemon */
	struct cli_out *out;   /* the turn's output, while it runs */
	enum kernel_spec spec; /* ALWAYS: the protocol; else none */
};

/* A line of stdin without its line end; NULL at the end.  Caller frees. */
static char *
chat_getline(void)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	if ((n = getline(&line, &size, stdin)) == -1) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* One line of input; NULL at the end.  Caller frees. */
static char *
chat_read(struct chat *c)
{
	char *line = NULL;

	if (!c->tty)
		return chat_getline();
	for (;;) {
		cli_interrupt_clear();
		line = readline("you> ");
		if (line != NULL || !cli_interrupted())
			break;
		printf("\n"); /* Ctrl-C at the prompt: a new prompt */
	}
	if (line != NULL && *line != '\0')
		add_history(line);
	return line;
}

/* One answer to an interview question; NULL at the end.  Caller frees. */
static char *
chat_answer(struct chat *c)
{
	if (!c->tty)
		return chat_getline();
	cli_interrupt_clear();
	return readline("answer> ");
}

/*
 * The interview's round (ouroboros.h's ouro_ask_fn): each question with
 * its default on stdout, an answer a line; an empty line accepts the
 * default, "go" (or the end of input) accepts the rest and ends it.
 */
static int
chat_ask(void *arg, const json_t *questions, int round, json_t **answers)
{
	struct chat *c = arg;
	const json_t *q;
	char *line;
	size_t i, n = json_array_size(questions);
	int go = 0;

	cli_out_pause(c->out, 1);
	*answers = json_array();
	printf("\n[interview, round %d] (an empty line accepts the default; "
	       "go accepts all and starts)\n",
	    round);
	json_array_foreach(questions, i, q) {
		if (go) {
			json_array_append_new(*answers, json_null());
			continue;
		}
		printf("(%zu/%zu) %s\n  default: %s\n", i + 1, n,
		    json_string_value(json_object_get(q, "question")),
		    json_string_value(json_object_get(q, "default")));
		fflush(stdout);
		line = chat_answer(c);
		if (line == NULL || strcmp(line, "go") == 0)
			go = 1;
		if (line == NULL || go || line[strspn(line, " \t")] == '\0')
			json_array_append_new(*answers, json_null());
		else {
			if (c->tty)
				add_history(line);
			json_array_append_new(*answers, json_string(line));
		}
		free(line);
	}
	fflush(stdout);
	cli_out_pause(c->out, 0);
	return go;
}

/* A tool call waits for a human: ask inline.  NULL (no answer here: it
 * waits for one from elsewhere) at the end of input. */
static const char *
chat_approve(void *arg, const json_t *a)
{
	struct chat *c = arg;
	const char *d = NULL;
	char *line;

	cli_out_pause(c->out, 1);
	printf("\n[approval] %s: %s\n  why: %s (denied at %s unless "
	       "answered)\n",
	    json_string_value(json_object_get(a, "tool")),
	    json_string_value(json_object_get(a, "summary")),
	    json_string_value(json_object_get(a, "reason")),
	    json_string_value(json_object_get(a, "expires_at")));
	while (d == NULL) {
		printf("allow [o]nce / [a]lways / [d]eny? ");
		fflush(stdout);
		if ((line = chat_answer(c)) == NULL)
			break;
		if (strcmp(line, "o") == 0 || strcmp(line, "once") == 0)
			d = "once";
		else if (strcmp(line, "a") == 0 || strcmp(line, "always") == 0)
			d = "always";
		else if (strcmp(line, "d") == 0 || strcmp(line, "deny") == 0)
			d = "deny";
		free(line);
	}
	fflush(stdout);
	cli_out_pause(c->out, 0);
	return d;
}

static void
chat_help(void)
{
	printf("/help            these commands\n"
	       "/quit            leave (or Ctrl-D)\n"
	       "/reset           start a new session\n"
	       "/model [P/M]     show or change the model\n"
	       "/session [ID]    show the session, or continue another\n"
	       "/persona [NAME]  show or change the persona\n"
	       "(.help, .quit ... work too.)  Anything else is a message to "
	       "the agent; Ctrl-C cancels its answer.\n");
}

/* Whether `line` is a command: '/' or '.' then a word without '/' (so
 * "/etc/hosts is gone" is a message). */
static int
chat_is_command(const char *line)
{
	size_t n;

	if (line[0] != '/' && line[0] != '.')
		return 0;
	n = strcspn(line + 1, " \t");
	return n > 0 && memchr(line + 1, '/', n) == NULL;
}

/* Whether command `line` is `name` (after its '/' or '.'). */
static int
chat_cmd(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncmp(line + 1, name, n) == 0 &&
	    (line[n + 1] == '\0' || line[n + 1] == ' ' || line[n + 1] == '\t');
}

/* /persona [NAME]: show the persona of the next turn, or choose one
 * (the session's too when there is one). */
static void
chat_persona(struct chat *c, const char *arg)
{
	char name[PERSONA_NAME_MAX + 1], *cause = NULL;
	json_t *p = NULL;

	if (*arg == '\0') {
		name[0] = '\0';
		if (c->persona[0] != '\0')
			snprintf(name, sizeof name, "%s", c->persona);
		else if (c->session[0] != '\0')
			personas_session(c->db, c->session, name, &cause);
		if (name[0] == '\0')
			personas_default(c->db, name, &cause);
		printf("persona %s\n", name);
		free(cause);
		return;
	}
	if (personas_get(c->db, arg, &p, &cause) != 1) {
		printf("no persona %s (oxios persona list)\n", arg);
		free(cause);
		return;
	}
	snprintf(c->persona, sizeof c->persona, "%s",
	    json_string_value(json_object_get(p, "name")));
	json_decref(p);
	if (c->session[0] != '\0' &&
	    personas_use(c->db, c->session, c->persona, "user", &cause) != 0) {
		printf("%s\n", cause);
		free(cause);
	}
	printf("persona %s\n", c->persona);
}

/* A command line (chat_is_command()): 1 to go on, 0 to quit. */
static int
chat_meta(struct chat *c, const char *line)
{
	const char *arg = line + strcspn(line, " \t");
	char *cause = NULL;
	int n;

	while (*arg == ' ' || *arg == '\t')
		arg++;
	if ((chat_cmd(line, "quit") || chat_cmd(line, "exit")) && *arg == '\0')
		return 0;
	if (chat_cmd(line, "help"))
		chat_help();
	else if (chat_cmd(line, "reset")) {
		c->session[0] = '\0';
		printf("new session\n");
	} else if (chat_cmd(line, "persona"))
		chat_persona(c, arg);
	else if (chat_cmd(line, "model")) {
		if (*arg != '\0') {
			if (strchr(arg, '/') == NULL) {
				printf("a model is provider/model, e.g. "
				       "anthropic/claude-sonnet-4-5\n");
				return 1;
			}
			free(c->model);
			c->model = xstrdup(arg);
		}
		printf("model %s\n",
		    c->model != NULL ?
			c->model :
			config_str(c->cfg, "engine.default_model"));
	} else if (chat_cmd(line, "session")) {
		if (*arg != '\0') {
			if ((n = session_exists(c->db, arg, &cause)) == 1)
				snprintf(c->session, sizeof c->session, "%s",
				    arg);
			else
				printf("no session %s\n", arg);
			free(cause);
		}
		printf("session %s\n",
		    c->session[0] != '\0' ?
			c->session :
			"(new: starts with your next message)");
	} else
		printf("unknown command %.*s (/help lists them)\n",
		    (int)strcspn(line, " \t"), line);
	return 1;
}

static void
chat_turn(struct chat *c, const char *line)
{
	struct kernel_run r;
	struct cli_out out = { .quiet = 0 };
	struct cancel stop;
	char *cause = NULL;
	int fd = -1;

	if (!c->local && (fd = ctl_client_connect(&cause)) == -2) {
		cli_error("%s", cause);
		free(cause);
		return;
	}
	memset(&r, 0, sizeof r);
	r.cfg = c->cfg;
	r.db = c->db;
	r.session_id = c->session[0] != '\0' ? c->session : NULL;
	r.prompt = line;
	r.model = c->model;
	r.principal = c->agent;
	r.persona = c->persona[0] != '\0' ? c->persona : NULL;
	r.space = c->space;
	r.cls = CALL_INTERACTIVE;
	r.spec = c->spec;
	if (c->spec == KERNEL_SPEC_ALWAYS) {
		r.ask_user = chat_ask;
		r.ask_arg = c;
	}
	/* A human can answer a tool call's approval only on a terminal. */
	if (c->tty) {
		r.approvals = 1;
		r.approve_user = chat_approve;
		r.approve_arg = c;
	}
	cancel_init(&stop, NULL, 0);
	r.cancel = &stop;
	cli_out_hooks(&out, &r.hooks);
	r.phase_hook = cli_out_phase;
	c->out = &out;
	cli_out_spin(&out);
	cli_interrupt_arm(&stop);
	if (fd >= 0)
		ctl_client_run(fd, &r); /* closes fd */
	else
		kernel_run(&r);
	cli_interrupt_arm(NULL);
	cancel_destroy(&stop);
	cli_out_finish(&out);
	c->out = NULL;
	if (r.session[0] != '\0')
		memcpy(c->session, r.session, UUID_STRLEN);
	if (!r.started)
		cli_error("%s", r.error);
	else if (r.stop == AGENT_CANCELLED)
		fprintf(stderr, "[cancelled]\n");
	else if (r.stop != AGENT_DONE)
		cli_error("run stopped (%s): %s", agent_stop_name(r.stop),
		    r.reason);
	if (r.ouro_stop[0] != '\0')
		fprintf(stderr,
		    "[ouroboros: %s after %d generation%s, seed %s]\n",
		    r.ouro_stop, r.generations, r.generations == 1 ? "" : "s",
		    r.seed_id);
	kernel_run_free(&r);
}

static int
cmd_chat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "session", required_argument, NULL, 's' },
		{ "agent", required_argument, NULL, 'a' },
		{ "persona", required_argument, NULL, 'P' },
		{ "space", required_argument, NULL, 'E' },
		{ "local", no_argument, NULL, 'L' },
		{ "spec", no_argument, NULL, 'S' },
		{ "no-spec", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct chat c;
	struct buf first;
	char *line, *dbpath = NULL, *cause = NULL;
	const char *session = NULL;
	enum kernel_spec spec = KERNEL_SPEC_CONFIG;
	int ch, rc = EXIT_FAIL;

	memset(&c, 0, sizeof c);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			free(c.model);
			c.model = xstrdup(optarg);
			break;
		case 's':
			session = optarg;
			break;
		case 'a':
			if (budget_agent_name_ok(optarg, &cause) != 0) {
				cli_error("chat: --agent: %s", cause);
				free(cause);
				free(c.model);
				free(c.space);
				return EXIT_USAGE;
			}
			c.agent = optarg;
			break;
		case 'P':
			if (personas_name_ok(optarg, &cause) != 0) {
				cli_error("chat: --persona: %s", cause);
				free(cause);
				free(c.model);
				free(c.space);
				return EXIT_USAGE;
			}
			snprintf(c.persona, sizeof c.persona, "%s", optarg);
			break;
		case 'E':
			free(c.space);
			c.space = xstrdup(optarg);
			break;
		case 'L':
			c.local = 1;
			break;
		case 'S':
		case 'N':
			if (spec != KERNEL_SPEC_CONFIG &&
			    spec !=
				(ch == 'S' ? KERNEL_SPEC_ALWAYS :
					     KERNEL_SPEC_NEVER)) {
				cli_error("chat: --spec and --no-spec exclude "
					  "each other");
				free(c.model);
				free(c.space);
				return EXIT_USAGE;
			}
			spec =
			    ch == 'S' ? KERNEL_SPEC_ALWAYS : KERNEL_SPEC_NEVER;
			break;
		default:
			free(c.model);
			free(c.space);
			return cli_usage(&cmd_chat_entry);
		}
	}
	/* The words left are the first message. */
	buf_init(&first, CHAT_LINE_MAX + 1);
	for (; optind < argc; optind++) {
		if (buf_printf(&first, "%s%s", first.len > 0 ? " " : "",
			argv[optind]) != 0) {
			cli_error("a message is at most %d bytes",
			    CHAT_LINE_MAX);
			buf_free(&first);
			free(c.model);
			free(c.space);
			return EXIT_USAGE;
		}
	}
	if ((c.cfg = cli_setup()) == NULL)
		goto out;
	if (c.space == NULL)
		c.space = cmd_space_used();
	dbpath = home_path("oxios.db");
	if (db_init(dbpath, &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	c.db = db_get();
	if (session != NULL) {
		if (session_exists(c.db, session, &cause) != 1) {
			cli_error("no session %s", session);
			goto out;
		}
		snprintf(c.session, sizeof c.session, "%s", session);
	}
	c.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	/* Chat uses the protocol with --spec, or ouroboros.mode = always. */
	if (spec == KERNEL_SPEC_CONFIG &&
	    strcmp(config_str(c.cfg, "ouroboros.mode"), "always") == 0)
		spec = KERNEL_SPEC_ALWAYS;
	c.spec =
	    spec == KERNEL_SPEC_ALWAYS ? KERNEL_SPEC_ALWAYS : KERNEL_SPEC_NEVER;
	if (cli_interrupt_start(0, &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	if (c.tty)
		printf("Oxios chat (%s). /help for commands, Ctrl-D to "
		       "leave.\n",
		    c.model != NULL ?
			c.model :
			config_str(c.cfg, "engine.default_model"));
	if (first.len > 0 &&
	    buf_str(&first)[strspn(buf_str(&first), " \t")] != '\0') {
		if (c.tty) {
			/* As if typed: the transcript reads as a chat. */
			printf("you> %s\n", buf_str(&first));
			add_history(buf_str(&first));
		}
		chat_turn(&c, buf_str(&first));
	}
	while ((line = chat_read(&c)) != NULL) {
		if (strlen(line) > CHAT_LINE_MAX)
			cli_error("a message is at most %d bytes",
			    CHAT_LINE_MAX);
		else if (chat_is_command(line)) {
			if (!chat_meta(&c, line)) {
				free(line);
				break;
			}
		} else if (line[strspn(line, " \t")] != '\0')
			chat_turn(&c, line);
		free(line);
	}
	if (c.tty)
		printf("\n");
	rc = EXIT_OK;
out:
	cli_interrupt_stop();
	db_shutdown();
	buf_free(&first);
	config_free(c.cfg);
	free(c.model);
	free(c.space);
	free(dbpath);
	free(cause);
	return rc;
}
