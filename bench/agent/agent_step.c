/*
 * agent_step.c — what the kernel costs per agent loop step, and what a
 * worker costs to start.  Prints figures; asserts nothing about time.
 *
 * The LLM is a canned OpenAI-compatible stream served by a thread of this
 * process on 127.0.0.1, answering at once: a step is one gate call (HTTP
 * over loopback, SSE parsing, assembly, recording in SQLite) plus one tool
 * call (`ls`) through the sandboxed worker; then worker spawns, with the
 * filesystem view and without it, taking turns.
 * usage: agent_step [STEPS [SPAWNS]]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/hands.h"
#include "agent/loop.h"
#include "config/config.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

static int bench_listen_fd;
static int bench_requests; /* atomic */
static int bench_steps;

static const char bench_tool_sse[] =
    "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_%d\","
    "\"type\":\"function\",\"function\":{\"name\":\"ls\",\"arguments\":"
    "\"{\\\"path\\\":\\\".\\\"}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
    "\"tool_calls\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":100,"
    "\"completion_tokens\":10}}\n\n"
    "data: [DONE]\n\n";
static const char bench_text_sse[] =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"done\"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
    "\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

static void
bench_serve_one(int fd)
{
	char req[1 << 16], body[4096], head[256];
	size_t got = 0;
	ssize_t n;
	char *end, *cl;
	long want = -1;
	int len, hlen, k;

	for (;;) {
		n = read(fd, req + got, sizeof req - 1 - got);
		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
		if ((end = strstr(req, "\r\n\r\n")) == NULL)
			continue;
		if (want < 0) {
			cl = strcasestr(req, "content-length:");
			want = cl != NULL ? strtol(cl + 15, NULL, 10) : 0;
		}
		if ((long)(got - (size_t)(end + 4 - req)) >= want)
			break;
		if (got >= sizeof req - 1)
			return;
	}
	k = __sync_add_and_fetch(&bench_requests, 1);
	if (k % (bench_steps + 1) != 0)
		len = snprintf(body, sizeof body, bench_tool_sse, k);
	else
		len = snprintf(body, sizeof body, "%s", bench_text_sse);
	hlen = snprintf(head, sizeof head,
	    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n",
	    len);
	if (write(fd, head, (size_t)hlen) < 0 ||
	    write(fd, body, (size_t)len) < 0)
		return;
}

static void *
bench_server(void *arg)
{
	int fd;

	(void)arg;
	for (;;) {
		if ((fd = accept(bench_listen_fd, NULL, NULL)) < 0)
			return NULL;
		bench_serve_one(fd);
		close(fd);
	}
}

static int
bench_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
bench_report(const char *what, uint64_t *ns, int n)
{
	qsort(ns, (size_t)n, sizeof *ns, bench_cmp);
	printf("%-34s n=%-4d median %8.3f ms   p95 %8.3f ms   p99 %8.3f ms   "
	       "max %8.3f ms\n",
	    what, n, (double)ns[n / 2] / 1e6, (double)ns[(n * 95) / 100] / 1e6,
	    (double)ns[(n * 99) / 100] / 1e6, (double)ns[n - 1] / 1e6);
}

struct bench_hooks {
	uint64_t *step; /* tool_start to tool_start */
	uint64_t *tool; /* tool_start to tool_end */
	uint64_t last_start;
	int n, ntool;
};

static void
bench_tool_start(const char *name, const json_t *input, void *arg)
{
	struct bench_hooks *b = arg;
	uint64_t now = time_mono_ns();

	(void)name, (void)input;
	if (b->last_start != 0)
		b->step[b->n++] = now - b->last_start;
	b->last_start = now;
}

static void
bench_tool_end(const char *name, const json_t *result, void *arg)
{
	struct bench_hooks *b = arg;

	(void)name, (void)result;
	b->tool[b->ntool++] = time_mono_ns() - b->last_start;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof sin;
	struct hands_policy pol;
	struct hands *h;
	struct agent_loop l;
	struct bench_hooks bh;
	struct config *cfg;
	pthread_t srv;
	json_t *allow, *msgs;
	struct registry *tools;
	char dir[] = "/tmp/oxios-bench-XXXXXX", *cfgtext, *cause = NULL, *db;
	uint64_t *spawn, *spawn_off, t0;
	int i, nspawn;

	/* Workers are exec'd from /proc/self/exe: this binary serves them. */
	if (argc > 1 && strcmp(argv[1], "__worker") == 0)
		return worker_main();
	bench_steps = argc > 1 ? atoi(argv[1]) : 200;
	nspawn = argc > 2 ? atoi(argv[2]) : 200;
	if (bench_steps < 1 || nspawn < 1)
		return 2;
	log_set_level(LOG_WARN);
	if (mkdtemp(dir) == NULL)
		return 1;
	bench_listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(bench_listen_fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(bench_listen_fd, 64) != 0 ||
	    getsockname(bench_listen_fd, (struct sockaddr *)&sin, &slen) != 0)
		return 1;
	pthread_create(&srv, NULL, bench_server, NULL);

	xasprintf(&cfgtext,
	    "[providers.bench]\nbase_url = \"http://127.0.0.1:%d/v1\"\n"
	    "[engine]\ndefault_model = \"bench/m\"\nmax_iterations = %d\n"
	    "repeat_guard = 100\n",
	    ntohs(sin.sin_port), bench_steps + 5);
	if (config_load_text("bench", cfgtext, strlen(cfgtext), &cfg, &cause) !=
	    0) {
		fprintf(stderr, "agent_step: %s\n", cause);
		return 1;
	}
	xasprintf(&db, "%s/oxios.db", dir);
	if (db_init(db, &cause) != 0) {
		fprintf(stderr, "agent_step: %s\n", cause);
		return 1;
	}

	/* Worker spawn: exec, sandbox applied, ready. */
	allow = json_pack("[s]", "ls");
	memset(&pol, 0, sizeof pol);
	pol.workspace = dir;
	pol.allowlist = allow;
	pol.exec_timeout_secs = 30;
	pol.max_output_bytes = 1 << 20;
	pol.cpu_secs = 60;
	pol.memory_mb = 2048;
	pol.max_procs = 256; /* the defaults of security.worker_max_procs */
	pol.workspace_growth_mb = 1024; /* and security.workspace_growth_mb */
	/* With the filesystem view and without (security.sandbox = off),
	 * taking turns, so that both see the same load. */
	spawn = xcalloc((size_t)nspawn, sizeof *spawn);
	spawn_off = xcalloc((size_t)nspawn, sizeof *spawn_off);
	for (i = 0; i < 2 * nspawn; i++) {
		pol.sandbox_off = i % 2;
		t0 = time_mono_ns();
		if (hands_spawn(&pol, &h, &cause) != 0) {
			fprintf(stderr, "agent_step: %s\n", cause);
			return 1;
		}
		(i % 2 ? spawn_off : spawn)[i / 2] = time_mono_ns() - t0;
		hands_close(h);
	}
	pol.sandbox_off = 0;

	/* The loop. */
	if (hands_spawn(&pol, &h, &cause) != 0)
		return 1;
	memset(&l, 0, sizeof l);
	memset(&bh, 0, sizeof bh);
	bh.step = xcalloc((size_t)bench_steps + 1, sizeof *bh.step);
	bh.tool = xcalloc((size_t)bench_steps + 1, sizeof *bh.tool);
	msgs = json_pack("[{s:s, s:s}]", "role", "user", "content", "go");
	tools = registry_new();
	registry_add_hands(tools, h, &pol);
	l.cfg = cfg;
	l.system = "bench";
	l.messages = msgs;
	l.tools = tools;
	l.max_iterations = bench_steps + 5;
	l.repeat_guard = 100000;
	l.tool_output_max = 30000;
	l.hooks.tool_start = bench_tool_start;
	l.hooks.tool_end = bench_tool_end;
	l.hooks.arg = &bh;
	t0 = time_mono_ns();
	agent_loop_run(&l);
	t0 = time_mono_ns() - t0;

	printf("agent_step: %d steps, 1 tool call (ls) each, canned LLM on "
	       "loopback\n",
	    bench_steps);
	printf("sandbox: %s\n", json_dumps(hands_sandbox(h), JSON_COMPACT));
	bench_report("step (gate call + tool call)", bh.step, bh.n);
	bench_report("  of which the tool via worker", bh.tool, bh.ntool);
	bench_report("worker spawn (exec + sandbox)", spawn, nspawn);
	bench_report("  without the filesystem view", spawn_off, nspawn);
	printf("whole loop: %.1f ms, stop: %s (%s)\n", (double)t0 / 1e6,
	    agent_stop_name(l.stop), l.reason);
	registry_free(tools);
	hands_close(h);
	agent_loop_free(&l);
	return 0;
}
