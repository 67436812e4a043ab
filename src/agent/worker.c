/*
 * worker.c — `oxios __worker`: an agent's hands (docs/worker-protocol.md).
 *
 * Started by hands_spawn() with a socket as fd 3.  It re-executes itself
 * if its environment holds anything but PATH, LANG and sanitizer options
 * (so that no secret stays readable in /proc/PID/environ), becomes init
 * of a PID namespace of its own and forks a small init there
 * (worker_init.h) to go on as PID 2, reads its policy line, bounds the
 * namespace's processes (security/limits.h), applies the sandbox, says
 * "ready" with the sandbox report, then answers one call line with one
 * result line until end of file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/hands.h"
#include "agent/proto.h"
#include "agent/tools.h"
#include "agent/worker_init.h"
#include "security/limits.h"
#include "security/sandbox.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

#define WORKER_FD 3
#define WORKER_POLICY_MS (-1) /* a warm worker waits for it (EOF ends) */
#define WORKER_VERSION 1      /* of the protocol */

/* The policy line, parsed; strings point into `json`. */
struct worker_policy {
	json_t *json;
	struct sandbox_policy sb;
	int allow_shell;
	const json_t *allowlist;
	int exec_timeout_secs;
	long max_output_bytes;
	long growth_mb; /* workspace_growth_mb: 0 none */
	long long base; /* workspace_base_bytes: -1 measure now */
};

/* Exec ourselves again with nothing but proto_env() (never returns). */
static void
worker_reexec(void)
{
	char *argv[] = { (char *)"oxios", (char *)"__worker", NULL };
	char **env = proto_env();

	execve("/proc/self/exe", argv, env);
	log_warn("cannot re-exec with a clean environment: %s",
	    strerror(errno));
	proto_env_free(env);
}

/* Send one line; a failure means the client is gone. */
static void
worker_send(json_t *v)
{
	char *cause = NULL;

	if (proto_write_json(WORKER_FD, v, NULL, &cause) == -1) {
		log_error("%s", cause);
		free(cause);
		json_decref(v);
		_exit(1);
	}
	json_decref(v);
}

static void
worker_send_error(const char *msg, json_t *sandbox)
{
	json_t *v = json_pack("{s:s, s:s}", "type", "error", "error", msg);

	if (sandbox != NULL)
		json_object_set(v, "sandbox", sandbox);
	worker_send(v);
}

/* Read a member that must be a boolean if present. */
static int
worker_bool(json_t *p, const char *key, int *out, char **cause)
{
	json_t *v = json_object_get(p, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		xasprintf(cause, "policy: '%s' must be true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* Read a member that must be a non-negative integer if present. */
static int
worker_int(json_t *p, const char *key, long max, long *out, char **cause)
{
	json_t *v = json_object_get(p, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max) {
		xasprintf(cause,
		    "policy: '%s' must be an integer from 0 to %ld", key, max);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

static int
worker_policy_parse(const char *line, size_t len, struct worker_policy *wp,
    char **cause)
{
	json_error_t err;
	json_t *p, *v;
	const char *ws;
	size_t i;
	long n;
	int off;

	memset(wp, 0, sizeof *wp);
	p = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (p == NULL || !json_is_object(p)) {
		xasprintf(cause, "policy: not a JSON object%s%s",
		    p == NULL ? ": " : "", p == NULL ? err.text : "");
		goto fail;
	}
	wp->json = p;
	if (strcmp(oxjson_str(p, "type", ""), "policy") != 0) {
		xasprintf(cause,
		    "policy: the first line must have "
		    "\"type\":\"policy\"");
		goto fail;
	}
	ws = json_string_value(json_object_get(p, "workspace"));
	if (ws == NULL || ws[0] != '/') {
		xasprintf(cause,
		    "policy: 'workspace' must be an absolute path");
		goto fail;
	}
	wp->sb.workspace = ws;
	v = json_object_get(p, "allowlist");
	if (v != NULL && !json_is_null(v) && !json_is_array(v)) {
		xasprintf(cause, "policy: 'allowlist' must be an array");
		goto fail;
	}
	json_array_foreach(v, i, v) {
		if (!json_is_string(v) || !path_is_name(json_string_value(v))) {
			xasprintf(cause,
			    "policy: 'allowlist' holds program "
			    "names (no '/', not . or ..)");
			goto fail;
		}
	}
	wp->allowlist = json_object_get(p, "allowlist");
	if (worker_bool(p, "allow_network", &wp->sb.allow_network, cause) ==
		-1 ||
	    worker_bool(p, "allow_shell", &wp->allow_shell, cause) == -1 ||
	    worker_bool(p, "sandbox_required", &wp->sb.required, cause) == -1 ||
	    worker_bool(p, "sandbox_off", &off, cause) == -1)
		goto fail;
	wp->sb.fsview = !off;
	if (worker_int(p, "exec_timeout_secs", 7 * 86400, &n, cause) == -1)
		goto fail;
	wp->exec_timeout_secs = (int)n;
	if (worker_int(p, "max_output_bytes", 1L << 40, &n, cause) == -1)
		goto fail;
	wp->max_output_bytes = n > TOOLS_EXEC_MAX_OUTPUT ?
	    TOOLS_EXEC_MAX_OUTPUT :
	    n; /* the result line must stay under its cap */
	if (worker_int(p, "cpu_secs", 7 * 86400, &n, cause) == -1)
		goto fail;
	wp->sb.cpu_secs = (int)n;
	if (worker_int(p, "memory_mb", 1024L * 1024, &wp->sb.memory_mb,
		cause) == -1)
		goto fail;
	if (worker_int(p, "max_procs", 1L << 22, &n, cause) == -1)
		goto fail;
	wp->sb.max_procs = (int)n;
	if (worker_int(p, "workspace_growth_mb", 1L << 30, &wp->growth_mb,
		cause) == -1)
		goto fail;
	wp->base = -1;
	if (json_object_get(p, "workspace_base_bytes") != NULL) {
		if (worker_int(p, "workspace_base_bytes", 1L << 60, &n,
			cause) == -1)
			goto fail;
		wp->base = n;
	}
	return 0;
fail:
	json_decref(p);
	wp->json = NULL;
	return -1;
}

/* Answer one call line. */
static void
worker_call(struct tool_ctx *ctx, int cpu_secs, const char *line, size_t len)
{
	struct tool_result res;
	json_error_t err;
	json_t *req, *id = NULL, *out;
	const char *tool;
	char *msg = NULL;

	req = json_loadb(line, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
	    &err);
	if (req == NULL || !json_is_object(req)) {
		xasprintf(&msg, "malformed request: %s",
		    req == NULL ? err.text : "not a JSON object");
		goto fail;
	}
	if (json_is_integer(json_object_get(req, "id")))
		id = json_object_get(req, "id");
	if (strcmp(oxjson_str(req, "type", ""), "call") != 0) {
		xasprintf(&msg, "malformed request: \"type\" must be \"call\"");
		goto fail;
	}
	if (id == NULL) {
		xasprintf(&msg, "malformed request: 'id' must be an integer");
		goto fail;
	}
	if ((tool = json_string_value(json_object_get(req, "tool"))) == NULL) {
		xasprintf(&msg, "malformed request: 'tool' must be a string");
		goto fail;
	}
	sandbox_cpu_rearm(cpu_secs);
	if (tools_run(ctx, tool, json_object_get(req, "args"), &res) == 0)
		out = json_pack("{s:s, s:O, s:b, s:s, s:b}", "type", "result",
		    "id", id, "ok", 1, "output", res.output, "truncated",
		    res.truncated);
	else if (res.run.state == TOOL_RUN_RAN) /* its output apart too */
		out = json_pack("{s:s, s:O, s:b, s:s, s:s, s:b}", "type",
		    "result", "id", id, "ok", 0, "error", res.error, "output",
		    res.output, "truncated", res.truncated);
	else
		out = json_pack("{s:s, s:O, s:b, s:s}", "type", "result", "id",
		    id, "ok", 0, "error", res.error);
	tools_run_json(&res.run, out); /* how a program ended: exec */
	tools_result_free(&res);
	json_decref(req);
	worker_send(out);
	return;
fail:
	out = json_pack("{s:s, s:O?, s:b, s:s}", "type", "result", "id", id,
	    "ok", 0, "error", msg);
	free(msg);
	json_decref(req);
	worker_send(out);
}

/* Serve calls until end of file.  Returns the exit code. */
static int
worker_serve(struct tool_ctx *ctx, int cpu_secs, struct proto_reader *rd)
{
	char *line, *cause = NULL;
	size_t len;
	int r;

	rd->cap = PROTO_MAX_REQUEST;
	for (;;) {
		r = proto_read_line(rd, -1, NULL, &line, &len, &cause);
		if (r == 0)
			return 0;
		if (r == -1 && errno == EMSGSIZE) {
			worker_send(json_pack("{s:s, s:n, s:b, s:s+}", "type",
			    "result", "id", "ok", 0, "error",
			    "request too large: ", cause));
			free(cause);
			cause = NULL;
			continue;
		}
		if (r == -1) {
			log_error("%s", cause);
			free(cause);
			return 1;
		}
		worker_call(ctx, cpu_secs, line, len);
		free(line);
	}
}

static int
worker_run(int pidns)
{
	struct worker_policy wp;
	struct proto_reader rd;
	struct tool_ctx ctx;
	json_t *report = NULL, *procs, *warnings;
	char *line = NULL, *cause = NULL, *ws = NULL;
	size_t len;
	int r, rc = 1, dirfd = -1;

	memset(&wp, 0, sizeof wp);
	proto_reader_init(&rd, WORKER_FD, PROTO_MAX_POLICY);
	r = proto_read_line(&rd, WORKER_POLICY_MS, NULL, &line, &len, &cause);
	if (r == 0) {
		rc = 0; /* closed before it started: nothing to do */
		goto out;
	}
	if (r == -1) {
		char *m;

		xasprintf(&m, "policy: %s", cause);
		free(cause);
		cause = m;
		goto fail;
	}
	if (worker_policy_parse(line, len, &wp, &cause) == -1)
		goto fail;
	wp.sb.pidns = pidns;
	/* Before the sandbox drops the capability to set pid_max. */
	warnings = json_array();
	procs = limits_procs(wp.sb.max_procs, pidns, warnings);
	if (sandbox_apply(&wp.sb, &report, &ws, &cause) == -1) {
		json_decref(procs);
		json_decref(warnings);
		goto fail;
	}
	json_object_set_new(report, "processes", procs);
	json_array_extend(json_object_get(report, "warnings"), warnings);
	json_decref(warnings);
	if ((dirfd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		xasprintf(&cause, "%s: %s", ws, strerror(errno));
		goto fail;
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.dirfd = dirfd;
	ctx.workspace = ws;
	ctx.allow_shell = wp.allow_shell;
	ctx.allowlist = wp.allowlist;
	ctx.exec_timeout_secs = wp.exec_timeout_secs;
	ctx.max_output_bytes = wp.max_output_bytes;
	ctx.cpu_secs = wp.sb.cpu_secs;
	ctx.cancel_fd = WORKER_FD;
	ctx.pidns_init = pidns;
	if (json_integer_value(json_object_get(procs, "bound")) > 0)
		ctx.max_procs = wp.sb.max_procs;
	ctx.ws_cap = (unsigned long long)wp.growth_mb * 1024 * 1024;
	ctx.ws_base =
	    wp.base >= 0 ? (unsigned long long)wp.base : limits_ws_usage(dirfd);
	json_object_set_new(report, "workspace_base_bytes",
	    json_integer((json_int_t)ctx.ws_base));
	worker_send(json_pack("{s:s, s:i, s:O}", "type", "ready", "version",
	    WORKER_VERSION, "sandbox", report));
	rc = worker_serve(&ctx, wp.sb.cpu_secs, &rd);
	goto out;
fail:
	log_debug("%s", cause); /* the client says it */
	worker_send_error(cause, report);
out:
	if (dirfd != -1)
		close(dirfd);
	free(cause);
	free(line);
	free(ws);
	json_decref(report);
	json_decref(wp.json);
	proto_reader_free(&rd);
	return rc;
}

int
worker_main(void)
{
	const char *why = NULL;
	int fd, pidns, rc;

	if (fcntl(WORKER_FD, F_GETFD) == -1) {
		fprintf(stderr,
		    "oxios: __worker expects its connection on fd "
		    "3: it is started by an agent, not by hand\n");
		return 2;
	}
	if (!proto_env_is_clean())
		worker_reexec();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a write past RLIMIT_FSIZE: EFBIG */
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		close(fd);
	}
	fcntl(WORKER_FD, F_SETFD, FD_CLOEXEC);
	/*
	 * hands_spawn() makes us init of a PID namespace when it can;
	 * started otherwise, we try to make one ourselves.
	 */
	if (getpid() == 1)
		pidns = 1;
	else if ((pidns = sandbox_pidns(&why)) == 0)
		log_info("no PID namespace: %s", why);
	/*
	 * As init we would ignore our own SIGXCPU: fork, and go on as
	 * PID 2 under a small init (worker_init.h).
	 */
	if (pidns && worker_init_start(WORKER_FD, &why) == -1)
		log_warn("no init for the PID namespace: %s", why);
	rc = worker_run(pidns);
	/*
	 * Under AddressSanitizer, exit without LeakSanitizer's check: it
	 * needs ptrace, which the sandbox refuses.
	 */
	if (sandbox_sanitized())
		_exit(rc);
	return rc;
}
