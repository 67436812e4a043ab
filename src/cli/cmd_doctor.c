/*
 * cmd_doctor.c — oxios doctor [--json]: check the installation, one line
 * per check with ok, warn or fail.  Exit 1 when any check fails.
 */
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent/hands.h"
#include "cli/cli.h"
#include "config/home.h"
#include "kernel/kernel.h"
#include "llm/models.h"
#include "security/probe.h"
#include "store/db.h"
#include "store/migrate.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/path.h"
#include "util/json.h"
#include "util/xalloc.h"

#define DOCTOR_PROVIDER_TIMEOUT_MS 3000 /* a provider's GET /models */
#define DOCTOR_DISK_WARN (1024ULL * 1024 * 1024)
#define DOCTOR_DISK_FAIL (100ULL * 1024 * 1024)

enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

struct doctor {
	char *home;
	struct config *cfg; /* what loaded, or the defaults */
	json_t *results;    /* [{name, status, message}] */
	int failed;
	int offline; /* --offline: no provider is asked */
};

static int cmd_doctor(int, char **);

const struct cmd_entry cmd_doctor_entry = {
	.name = "doctor",
	.usage = "[--json] [--offline]",
	.summary = "Check the installation: config, files, database, keys, "
		   "providers, port, sandbox (each layer a worker applies), "
		   "disk.",
	.help =
	    "Each check prints one line: ok, warn or fail.  The exit code is 1\n"
	    "when any check fails, 0 otherwise.  --json prints\n"
	    "{\"ok\": bool, \"checks\": [{\"name\", \"status\", \"message\"}]}.\n"
	    "Keys are reported as set or not set, never printed.  Each\n"
	    "configured provider (and the default model's) is asked for its\n"
	    "models (GET /models, 3 s at most): one that cannot be reached or\n"
	    "refuses its key fails.  --offline asks no provider.\n",
	.words = "--json --offline",
	.exec = cmd_doctor,
};

static const char *const doctor_names[] = { "ok", "warn", "fail" };

static void doctor_add(struct doctor *, const char *, enum doctor_status,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static void
doctor_add(struct doctor *d, const char *name, enum doctor_status st,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (st == DOCTOR_FAIL)
		d->failed = 1;
	json_array_append_new(d->results,
	    json_pack("{s:s, s:s, s:s}", "name", name, "status",
		doctor_names[st], "message", msg));
	free(msg);
}

static void
doctor_config(struct doctor *d)
{
	char *path = path_join(d->home, "config.toml"), *cause = NULL;
	size_t nwarn;

	if (config_load(path, &d->cfg, &cause) != 0) {
		doctor_add(d, "config", DOCTOR_FAIL, "%s", cause);
		free(cause);
		cause = NULL;
		/* Go on with the defaults so that the other checks run. */
		if (config_load_text(path, NULL, 0, &d->cfg, &cause) != 0)
			free(cause);
	} else if ((nwarn = json_array_size(d->cfg->warnings)) > 0)
		doctor_add(d, "config", DOCTOR_WARN, "%s%s",
		    json_string_value(json_array_get(d->cfg->warnings, 0)),
		    nwarn > 1 ? " (and more)" : "");
	else
		doctor_add(d, "config", DOCTOR_OK, "%s %s", path,
		    d->cfg->exists ? "parses" : "absent: using defaults");
	free(path);
}

/* One file or directory: exists, kind, no group/other access, ours. */
static void
doctor_mode(struct doctor *d, const char *name, const char *path, int dir,
    int optional)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT && optional)
			return;
		doctor_add(d, "files", DOCTOR_FAIL, "%s: %s", path,
		    strerror(errno));
		return;
	}
	if (dir != !!S_ISDIR(st.st_mode)) {
		doctor_add(d, "files", DOCTOR_FAIL, "%s: not a %s", path,
		    dir ? "directory" : "file");
		return;
	}
	if (st.st_uid != geteuid())
		doctor_add(d, "files", DOCTOR_WARN,
		    "%s: owned by uid %u, not %u", path, (unsigned)st.st_uid,
		    (unsigned)geteuid());
	else if (st.st_mode & 077)
		doctor_add(d, "files", DOCTOR_WARN,
		    "%s: mode %04o lets others in; run: chmod %s %s", path,
		    (unsigned)(st.st_mode & 07777), dir ? "700" : "600", path);
	else if (access(path, dir ? (R_OK | W_OK | X_OK) : (R_OK | W_OK)) == -1)
		doctor_add(d, "files", DOCTOR_FAIL, "%s: %s", path,
		    strerror(errno));
	(void)name;
}

static void
doctor_files(struct doctor *d)
{
	static const char *const subdirs[] = { "workspace", "logs", "run" };
	size_t before = json_array_size(d->results), i;
	char *p;

	doctor_mode(d, "home", d->home, 1, 0);
	for (i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
		p = path_join(d->home, subdirs[i]);
		doctor_mode(d, subdirs[i], p, 1, 0);
		free(p);
	}
	p = path_join(d->home, "config.toml");
	doctor_mode(d, "config", p, 0, 1);
	free(p);
	p = path_join(d->home, "oxios.db");
	doctor_mode(d, "db", p, 0, 1);
	free(p);
	if (json_array_size(d->results) == before)
		doctor_add(d, "files", DOCTOR_OK,
		    "%s and its workspace/, logs/, run/ are private (0700)",
		    d->home);
}

static void
doctor_database(struct doctor *d)
{
	char *path = path_join(d->home, "oxios.db"), *cause = NULL;
	char *result = NULL;
	sqlite3 *db = NULL;
	int version = 0;

	if (db_open(path, &db, &cause) != 0) {
		doctor_add(d, "database", DOCTOR_FAIL, "%s", cause);
		goto out;
	}
	if (db_integrity(db, &result) != 0) {
		doctor_add(d, "database", DOCTOR_FAIL,
		    "%s: integrity check could not run: %s", path, result);
		goto out;
	}
	if (strcmp(result, "ok") != 0) {
		doctor_add(d, "database", DOCTOR_FAIL,
		    "%s: integrity check failed: %.200s", path, result);
		goto out;
	}
	if (migrate_version(db, &version, &cause) != 0) {
		doctor_add(d, "database", DOCTOR_FAIL, "%s: %s", path, cause);
		goto out;
	}
	doctor_add(d, "database", DOCTOR_OK,
	    "%s: integrity ok, schema version %d (latest %d)", path, version,
	    migrate_latest());
out:
	db_close(db);
	free(result);
	free(cause);
	free(path);
}

static void
doctor_keys(struct doctor *d)
{
	static const char *const builtin[] = { "anthropic", "openai" };
	const char *model, *slash, *src;
	char *key, *want;
	size_t i, wantlen;

	model =
	    d->cfg != NULL ? config_str(d->cfg, "engine.default_model") : "";
	slash = strchr(model, '/');
	wantlen = slash != NULL ? (size_t)(slash - model) : 0;
	want = xstrndup(model, wantlen);
	for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
		xasprintf(&key, "providers.%s.api_key", builtin[i]);
		src = d->cfg != NULL ?
		    json_string_value(json_object_get(d->cfg->sources, key)) :
		    NULL;
		if (src != NULL)
			doctor_add(d, "keys", DOCTOR_OK, "%s key set (%s)",
			    builtin[i],
			    strncmp(src, "env:", 4) == 0 ? src + 4 :
							   "config.toml");
		else if (strcmp(want, builtin[i]) == 0)
			doctor_add(d, "keys", DOCTOR_WARN,
			    "%s key not set, and the default model %s needs "
			    "it: export %s=... or run oxios onboard",
			    builtin[i], model,
			    strcmp(builtin[i], "anthropic") == 0 ?
				"ANTHROPIC_API_KEY" :
				"OPENAI_API_KEY");
		else
			doctor_add(d, "keys", DOCTOR_OK,
			    "%s key not set (not needed by the default model)",
			    builtin[i]);
		free(key);
	}
	if (slash == NULL)
		doctor_add(d, "keys", DOCTOR_FAIL,
		    "engine.default_model \"%s\" is not provider/model", model);
	free(want);
}

/*
 * Where a provider's base URL is set, for the message of a failure: the
 * variable or the key.  0 when it is the built-in one (a hosted API).
 */
static int
doctor_url_hint(const struct doctor *d, const char *name, char *out,
    size_t size)
{
	char key[256];
	const char *src;

	snprintf(key, sizeof key, "providers.%s.base_url", name);
	src = json_string_value(json_object_get(d->cfg->sources, key));
	if (src != NULL && strncmp(src, "env:", 4) == 0)
		snprintf(out, size, "%s", src + 4);
	else
		snprintf(out, size, "%s", key);
	return src != NULL && strcmp(src, "default") != 0;
}

/* One provider: does it answer GET /models, with its key, in time? */
static void
doctor_provider(struct doctor *d, const char *name)
{
	struct llm_provider *p;
	struct llm_error err;
	char *cause = NULL, hint[256];
	json_t *ids;
	int set;

	if ((p = llm_provider_get(d->cfg, name, &cause)) == NULL) {
		doctor_add(d, "provider", DOCTOR_FAIL, "%s", cause);
		free(cause);
		return;
	}
	if (p->key_missing != NULL) { /* the keys check says so */
		llm_provider_free(p);
		return;
	}
	set = doctor_url_hint(d, name, hint, sizeof hint);
	ids = llm_list_models(p, DOCTOR_PROVIDER_TIMEOUT_MS, &err);
	if (ids != NULL)
		doctor_add(d, "provider", DOCTOR_OK,
		    "%s answers at %s (%zu models)", name, p->base_url,
		    json_array_size(ids));
	else if (err.cls == LLM_ERR_AUTH)
		doctor_add(d, "provider", DOCTOR_FAIL,
		    "%s at %s refused its key (HTTP %d): set a valid one "
		    "(oxios onboard) and check it with oxios doctor",
		    name, p->base_url, err.status);
	else if (err.cls == LLM_ERR_TRANSIENT && set)
		doctor_add(d, "provider", DOCTOR_FAIL,
		    "%s; start that server, or point %s at one that runs "
		    "(oxios doctor --offline skips this check)",
		    err.message, hint);
	else if (err.cls == LLM_ERR_TRANSIENT)
		doctor_add(d, "provider", DOCTOR_FAIL,
		    "%s; check the network (a proxy: HTTPS_PROXY), or set %s "
		    "(oxios doctor --offline skips this check)",
		    err.message, hint);
	else
		doctor_add(d, "provider", DOCTOR_WARN,
		    "%s (it may still serve chat; check %s)", err.message,
		    hint);
	json_decref(ids);
	llm_provider_free(p);
}

/*
 * Every provider the configuration sets up, and the default model's,
 * asked whether it answers (unless --offline).
 */
static void
doctor_providers(struct doctor *d)
{
	const char *model, *slash, *name;
	char *want;
	json_t *names, *v;
	size_t i;

	if (d->cfg == NULL)
		return;
	if (d->offline) {
		doctor_add(d, "provider", DOCTOR_OK, "not asked (--offline)");
		return;
	}
	model = config_str(d->cfg, "engine.default_model");
	slash = strchr(model, '/');
	want = xstrndup(model, slash != NULL ? (size_t)(slash - model) : 0);
	names = llm_provider_names(d->cfg);
	json_array_foreach(names, i, v) {
		name = json_string_value(v);
		if (strcmp(name, want) == 0 ||
		    llm_provider_configured(d->cfg, name))
			doctor_provider(d, name);
	}
	json_decref(names);
	free(want);
}

/* Whether the pid in run/oxios.pid is alive and is oxios. */
static long
doctor_daemon_pid(struct doctor *d)
{
	char *path, *text = NULL, *cause = NULL, *comm = NULL;
	size_t len;
	long pid = 0;

	path = path_join(d->home, "run/oxios.pid");
	if (file_read(path, 64, &text, &len, &cause) == 0) {
		pid = strtol(text, NULL, 10);
		free(text);
		text = NULL;
		xasprintf(&comm, "/proc/%ld/comm", pid);
		if (pid <= 0 || kill((pid_t)pid, 0) == -1 ||
		    file_read(comm, 64, &text, &len, &cause) != 0 ||
		    strncmp(text, "oxios", 5) != 0)
			pid = 0;
	}
	free(cause);
	free(text);
	free(comm);
	free(path);
	return pid;
}

static void
doctor_port(struct doctor *d)
{
	struct addrinfo hints, *ai = NULL;
	const char *host;
	char port[16];
	long pid;
	int fd = -1, one = 1, err;

	host =
	    d->cfg != NULL ? config_str(d->cfg, "gateway.host") : "127.0.0.1";
	snprintf(port, sizeof port, "%lld",
	    d->cfg != NULL ? config_int(d->cfg, "gateway.port") : 4200LL);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((err = getaddrinfo(host, port, &hints, &ai)) != 0) {
		doctor_add(d, "port", DOCTOR_FAIL, "gateway.host %s: %s", host,
		    gai_strerror(err));
		return;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd != -1)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		err = errno;
		if (err == EADDRINUSE && (pid = doctor_daemon_pid(d)) != 0)
			doctor_add(d, "port", DOCTOR_OK,
			    "%s:%s held by the Oxios daemon (pid %ld)", host,
			    port, pid);
		else if (err == EADDRINUSE)
			doctor_add(d, "port", DOCTOR_FAIL,
			    "%s:%s is in use by another program; free it or "
			    "run: oxios config set gateway.port N",
			    host, port);
		else
			doctor_add(d, "port", DOCTOR_FAIL, "%s:%s: %s", host,
			    port, strerror(err));
	} else
		doctor_add(d, "port", DOCTOR_OK, "%s:%s is free", host, port);
	if (fd != -1)
		close(fd);
	freeaddrinfo(ai);
}

static void
doctor_sandbox(struct doctor *d)
{
	const char *why;
	int abi, required;

	required = d->cfg != NULL &&
	    strcmp(config_str(d->cfg, "security.sandbox"), "required") == 0;
	if ((abi = probe_landlock_abi(&why)) > 0)
		doctor_add(d, "landlock", DOCTOR_OK, "Landlock ABI %d", abi);
	else
		doctor_add(d, "landlock", required ? DOCTOR_FAIL : DOCTOR_WARN,
		    "unavailable: %s; agents' file access is confined by path "
		    "checks only",
		    why);
	if (probe_seccomp(&why))
		doctor_add(d, "seccomp", DOCTOR_OK, "%s", why);
	else
		doctor_add(d, "seccomp", required ? DOCTOR_FAIL : DOCTOR_WARN,
		    "unavailable: %s", why);
	if (probe_userns(&why))
		doctor_add(d, "userns", DOCTOR_OK, "user namespaces %s", why);
	else
		doctor_add(d, "userns", DOCTOR_WARN, "user namespaces %s", why);
}

/* One layer of a worker's sandbox report: a boolean member. */
static void
doctor_layer(struct doctor *d, const json_t *sb, const char *name,
    const char *member, const char *yes, const char *no, int required)
{
	if (json_is_true(json_object_get(sb, member)))
		doctor_add(d, name, DOCTOR_OK, "%s", yes);
	else
		doctor_add(d, name, required ? DOCTOR_FAIL : DOCTOR_WARN, "%s",
		    no);
}

/* The bounds of one agent: processes (and by what), cgroup, workspace. */
static void
doctor_limits(struct doctor *d, const json_t *sb,
    const struct hands_policy *pol)
{
	const json_t *pr = json_object_get(sb, "processes"),
		     *cg = json_object_get(sb, "cgroup"), *by;
	json_int_t bound = json_integer_value(json_object_get(pr, "bound"));
	struct buf how;
	size_t i;

	buf_init(&how, 256);
	json_array_foreach(json_object_get(pr, "by"), i, by)
		buf_printf(&how, "%s%s", i > 0 ? ", " : "",
		    json_string_value(by));
	if (bound > 0)
		doctor_add(d, "procs", DOCTOR_OK,
		    "at most %lld processes per agent (cap %d, by %s)",
		    (long long)bound, pol->max_procs,
		    how.len > 0 ? how.data : "?");
	else
		doctor_add(d, "procs", DOCTOR_WARN,
		    "the cap of %d processes per agent does not bind here "
		    "(no delegated cgroup v2; root before Linux 6.14)",
		    pol->max_procs);
	buf_free(&how);
	if (json_is_true(json_object_get(cg, "applied")))
		doctor_add(d, "cgroup", DOCTOR_OK,
		    "cgroup v2 per worker: pids.max and memory.max set");
	else
		doctor_add(d, "cgroup", DOCTOR_OK,
		    "none (%s): memory is bounded per process (RLIMIT_AS)",
		    json_string_value(json_object_get(cg, "why")) != NULL ?
			json_string_value(json_object_get(cg, "why")) :
			"not delegated");
	if (pol->workspace_growth_mb > 0)
		doctor_add(d, "growth", DOCTOR_OK,
		    "a run may add %ld MiB to the workspace "
		    "(security.workspace_growth_mb)",
		    pol->workspace_growth_mb);
	else
		doctor_add(d, "growth", DOCTOR_WARN,
		    "a run may fill the disk (security.workspace_growth_mb "
		    "= 0)");
}

/*
 * Start a worker as an agent would (the configured policy) and report
 * each layer of the sandbox it applied: what the kernel offers is above,
 * this is what a worker gets.
 */
static void
doctor_worker(struct doctor *d)
{
	struct hands_policy pol;
	struct hands *h = NULL;
	const json_t *sb, *w;
	const char *mode;
	char *ws, *cause = NULL;
	size_t i;
	int req, abi;

	if (d->cfg == NULL)
		return;
	mode = config_str(d->cfg, "security.sandbox");
	req = strcmp(mode, "required") == 0;
	ws = kernel_workspace(d->cfg);
	kernel_policy(d->cfg, ws, &pol);
	if (hands_spawn(&pol, &h, &cause) != 0) {
		doctor_add(d, "worker", DOCTOR_FAIL,
		    "a worker could not start (security.sandbox = %s): %s",
		    mode, cause);
		free(cause);
		free(ws);
		return;
	}
	sb = hands_sandbox(h);
	if (strcmp(mode, "off") == 0)
		doctor_add(d, "fsview", DOCTOR_WARN,
		    "off (security.sandbox = off): commands see the host's "
		    "files and processes, within Landlock's limits");
	else if (json_is_true(json_object_get(sb, "fs_view")))
		doctor_add(d, "fsview", DOCTOR_OK,
		    "a mount namespace of its own: system directories "
		    "read-only, %lld secrets of /etc masked, the workspace "
		    "nosuid,nodev, private /tmp, %s /proc",
		    (long long)json_integer_value(
			json_object_get(sb, "fs_view_masked")),
		    json_is_true(json_object_get(sb, "fresh_proc")) ?
			"a fresh" :
			"the host's");
	else
		doctor_add(d, "fsview", DOCTOR_WARN,
		    "no filesystem view: the worker sees the host's files "
		    "(see the worker's warnings)");
	doctor_layer(d, sb, "pidns", "pid_namespace",
	    "a PID namespace of its own: its commands die with it",
	    "no PID namespace", 0);
	abi = (int)json_integer_value(json_object_get(sb, "landlock"));
	if (abi > 0)
		doctor_add(d, "landlock", DOCTOR_OK, "applied at ABI %d%s", abi,
		    json_is_true(json_object_get(sb, "landlock_scoped")) ?
			", abstract UNIX sockets and signals scoped" :
			"");
	else
		doctor_add(d, "landlock", req ? DOCTOR_FAIL : DOCTOR_WARN,
		    "not applied by the worker");
	doctor_layer(d, sb, "seccomp", "seccomp", "filter applied",
	    "no filter applied", req);
	doctor_layer(d, sb, "nnp", "no_new_privs",
	    "no_new_privs set: set-uid files give nothing",
	    "no_new_privs could not be set", req);
	doctor_layer(d, sb, "caps", "capabilities_dropped",
	    geteuid() == 0 ? "dropped but chown, dac_override, fowner" :
			     "all dropped",
	    "could not be dropped", 0);
	doctor_layer(d, sb, "rlimits", "rlimits",
	    "core 0, file size 1 GiB, 256 files, processes, CPU and memory set",
	    "some could not be set", 0);
	doctor_limits(d, sb, &pol);
	json_array_foreach(json_object_get(sb, "warnings"), i, w)
		doctor_add(d, "worker", DOCTOR_WARN, "%s",
		    json_string_value(w));
	hands_close(h);
	free(ws);
}

static void
doctor_disk(struct doctor *d)
{
	struct statvfs sv;
	unsigned long long avail;
	enum doctor_status st;

	if (statvfs(d->home, &sv) == -1) {
		doctor_add(d, "disk", DOCTOR_FAIL, "%s: %s", d->home,
		    strerror(errno));
		return;
	}
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (avail < DOCTOR_DISK_FAIL)
		st = DOCTOR_FAIL;
	else if (avail < DOCTOR_DISK_WARN)
		st = DOCTOR_WARN;
	else
		st = DOCTOR_OK;
	doctor_add(d, "disk", st, "%.1f GiB free on the file system of %s",
	    (double)avail / (1024.0 * 1024 * 1024), d->home);
}

static void (*const doctor_checks[])(struct doctor *) = {
	doctor_config,
	doctor_files,
	doctor_database,
	doctor_keys,
	doctor_providers,
	doctor_port,
	doctor_sandbox,
	doctor_worker,
	doctor_disk,
};

static void
doctor_print(struct doctor *d)
{
	static const char *const labels[] = { "ok  ", "warn", "fail" };
	static const enum cli_color colors[] = { CLI_GREEN, CLI_YELLOW,
		CLI_RED };
	const char *status;
	json_t *r;
	size_t i;
	int st;

	json_array_foreach(d->results, i, r) {
		status = oxjson_str(r, "status", "fail");
		for (st = DOCTOR_OK; st < DOCTOR_FAIL; st++) {
			if (strcmp(status, doctor_names[st]) == 0)
				break;
		}
		cli_paint(stdout, colors[st], labels[st]);
		printf("  %-9s %s\n", oxjson_str(r, "name", ""),
		    oxjson_str(r, "message", ""));
	}
}

static int
cmd_doctor(int argc, char **argv)
{
	struct doctor d;
	char *cause = NULL;
	size_t i;
	int json = 0, offline = 0;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--offline") == 0)
			offline = 1;
		else
			return cli_usage(&cmd_doctor_entry);
	}
	memset(&d, 0, sizeof d);
	d.offline = offline;
	d.home = home_dir();
	d.results = json_array();
	if (home_ensure(&cause) != 0) {
		doctor_add(&d, "files", DOCTOR_FAIL, "%s", cause);
		free(cause);
	} else {
		for (i = 0; i < sizeof doctor_checks / sizeof doctor_checks[0];
		     i++)
			doctor_checks[i](&d);
	}
	if (json) {
		json_t *out = json_pack("{s:b, s:O}", "ok", !d.failed, "checks",
		    d.results);

		oxjson_print(stdout, out, 1);
		json_decref(out);
	} else
		doctor_print(&d);
	json_decref(d.results);
	config_free(d.cfg);
	free(d.home);
	return d.failed ? EXIT_FAIL : EXIT_OK;
}
