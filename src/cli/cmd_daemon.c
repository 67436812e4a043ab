/*
 * cmd_daemon.c — the daemon's lifecycle: oxios start|stop|restart|status
 * and oxios log.
 *
 * $OXIOS_HOME/run/oxios.pid holds the daemon's pid under an exclusive
 * flock(2) for as long as it runs: whoever can take the lock knows no
 * daemon runs (a pidfile left by kill -9 is stale and is cleaned).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netdb.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "cli/cli.h"
#include "cli/firstrun.h"
#include "cli/status_breakers.h"
#include "config/home.h"
#include "kernel/supervisor.h"
#include "security/auth.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define START_TIMEOUT_MS 30000

static int cmd_start(int, char **);
static int cmd_stop(int, char **);
static int cmd_restart(int, char **);
static int cmd_status(int, char **);
static int cmd_log(int, char **);

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.usage = "[--foreground]",
	.summary = "Start the daemon (also: a bare `oxios`).",
	.help =
	    "Starts the kernel as a service: the REST API, WebSocket and SSE\n"
	    "on [gateway] host:port (default 127.0.0.1:4200).  It detaches\n"
	    "and logs to $OXIOS_HOME/logs/oxios.log; its pid is in\n"
	    "$OXIOS_HOME/run/oxios.pid.  If a daemon already runs, says so.\n"
	    "On the first start an API token is made and shown once (see:\n"
	    "oxios token), with a one-time sign-in link to the dashboard.\n"
	    "With no config.toml yet, on a terminal, the setup (oxios\n"
	    "onboard) runs first; without one, what is missing is said on\n"
	    "stderr (the default provider's key too) and the start goes on.\n"
	    "\n"
	    "  -f, --foreground  stay attached, log to stderr; Ctrl-C stops\n"
	    "\n"
	    "SIGTERM stops it gracefully (running agents get\n"
	    "kernel.shutdown_grace_secs to finish); SIGHUP reloads\n"
	    "config.toml and logs what needs a restart.\n",
	.words = "--foreground",
	.exec = cmd_start,
};

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.usage = "[--timeout SECS]",
	.summary = "Stop the daemon gracefully.",
	.help =
	    "Sends SIGTERM and waits until the daemon has stopped (running\n"
	    "agents get kernel.shutdown_grace_secs).  After --timeout seconds\n"
	    "(default: the grace period + 15) it is killed.\n",
	.words = "--timeout",
	.exec = cmd_stop,
};

const struct cmd_entry cmd_restart_entry = {
	.name = "restart",
	.usage = "",
	.summary = "Stop the daemon and start it again.",
	.help = NULL,
	.words = "",
	.exec = cmd_restart,
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--json]",
	.summary = "Whether the daemon runs, and how it is.",
	.help = "Shows pid, version, uptime, listen address, running agents,\n"
		"resources, the state of each provider's circuit breaker and\n"
		"health.  Exit status: 0 running and healthy, 1 otherwise.\n",
	.words = "--json",
	.exec = cmd_status,
};

const struct cmd_entry cmd_log_entry = {
	.name = "log",
	.usage = "[-n LINES] [-f]",
	.summary = "Show the daemon's log.",
	.help = "Prints the last lines of $OXIOS_HOME/logs/oxios.log.\n"
		"\n"
		"  -n LINES   how many (default 50)\n"
		"  -f         keep printing what is added (Ctrl-C ends)\n",
	.words = "-n -f",
	.exec = cmd_log,
};

/* ---- the pidfile ---- */

/*
 * Open the pidfile and try to lock it.  Returns the fd (locked: no daemon
 * runs) or -1; *pid is the pid it holds (0 if none), *running whether a
 * daemon holds the lock.
 */
static int
pidfile_open(int *running, long *pid, char **cause)
{
	char *path = home_path("run/oxios.pid"), buf[32];
	ssize_t n;
	int fd;

	*running = 0;
	*pid = 0;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if ((n = pread(fd, buf, sizeof buf - 1, 0)) > 0) {
		buf[n] = '\0';
		*pid = strtol(buf, NULL, 10);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		*running = 1;
		close(fd);
		return -1;
	}
	return fd;
}

static void
pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("pidfile: %s", strerror(errno));
}

/* The daemon's state file (run/oxios.json), or NULL. */
static json_t *
daemon_state(void)
{
	char *path = home_path("run/oxios.json");
	json_t *st = json_load_file(path, 0, NULL);

	free(path);
	return st;
}

/* GET /health from the daemon: its JSON, or NULL. */
static json_t *
daemon_health(const char *host, long port)
{
	struct addrinfo hints, *ai = NULL;
	char svc[16], req[256], resp[4096];
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;
	json_t *j = NULL;
	char *body;
	int fd = -1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(svc, sizeof svc, "%ld", port);
	if (getaddrinfo(host, svc, &hints, &ai) != 0)
		return NULL;
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		goto out;
	snprintf(req, sizeof req,
	    "GET /health HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n",
	    host);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < sizeof resp - 1 && poll(&pfd, 1, 3000) == 1 &&
	    (n = read(fd, resp + got, sizeof resp - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	if ((body = strstr(resp, "\r\n\r\n")) != NULL)
		j = json_loads(body + 4, 0, NULL);
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return j;
}

/* ---- start ---- */

/* The first start makes the API token and shows it, once, with a sign-in
 * link to the dashboard. */
static void
start_token(const struct config *cfg)
{
	char token[AUTH_TOKEN_LEN + 1], *cause = NULL;
	int has = auth_token_exists(&cause);

	if (has < 0) {
		cli_warn("%s", cause);
		free(cause);
		return;
	}
	if (has)
		return;
	if (auth_token_create(token, &cause) != 0) {
		cli_warn("could not make an API token: %s", cause);
		free(cause);
		return;
	}
	printf("API token (shown only this once; keep it, or make a new one "
	       "with `oxios token rotate`):\n  %s\n",
	    token);
	cli_signin_link(cfg, token);
	sodium_memzero(token, sizeof token);
}

/* Wait for the daemon's "ok" (or its error) on `fd`. */
static int
start_wait(int fd, const struct config *cfg)
{
	char msg[1024];
	size_t got = 0;
	ssize_t n;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char *log = home_path("logs/oxios.log");

	while (got < sizeof msg - 1 && poll(&pfd, 1, START_TIMEOUT_MS) == 1 &&
	    (n = read(fd, msg + got, sizeof msg - 1 - got)) > 0) {
		got += (size_t)n;
		if (memchr(msg, '\n', got) != NULL)
			break;
	}
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	close(fd);
	if (strcmp(msg, "ok") == 0) {
		json_t *st = daemon_state();

		printf("oxios started: pid %lld, http://%s:%lld (log: %s)\n",
		    (long long)json_integer_value(json_object_get(st, "pid")),
		    config_str(cfg, "gateway.host"),
		    config_int(cfg, "gateway.port"), log);
		json_decref(st);
		free(log);
		return EXIT_OK;
	}
	if (got == 0)
		cli_error("the daemon did not start (see %s)", log);
	else
		cli_error("%s", msg);
	free(log);
	return EXIT_FAIL;
}

static int
daemon_start(int foreground)
{
	struct config *cfg;
	char *cause = NULL, *logfile = NULL;
	int fd = -1, running, p[2], devnull, rc = EXIT_FAIL;
	long old;
	pid_t pid;

	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	if ((fd = pidfile_open(&running, &old, &cause)) < 0) {
		if (!running) {
			cli_error("%s", cause);
			goto out;
		}
		printf("oxios is already running (pid %ld, http://%s:%lld)\n",
		    old, config_str(cfg, "gateway.host"),
		    config_int(cfg, "gateway.port"));
		rc = EXIT_OK;
		goto out;
	}
	if (old > 0)
		cli_warn("removed a stale pidfile (pid %ld is not running)",
		    old);
	start_token(cfg);
	fflush(stdout);

	if (foreground) {
		log_set_file(NULL, NULL);
		pidfile_write(fd);
		rc = daemon_serve(cfg, -1, &cause);
		if (ftruncate(fd, 0) != 0)
			log_warn("pidfile: %s", strerror(errno));
		if (rc != 0) {
			cli_error("%s", cause);
			rc = EXIT_FAIL;
			cfg = NULL;
			goto out;
		}
		cfg = NULL;
		rc = EXIT_OK;
		goto out;
	}

	if (pipe2(p, O_CLOEXEC) != 0) {
		cli_error("pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		cli_error("fork: %s", strerror(errno));
		goto out;
	}
	if (pid > 0) {
		/* The parent: wait for the daemon to say it listens. */
		close(p[1]);
		close(fd);
		fd = -1;
		rc = start_wait(p[0], cfg);
		goto out;
	}
	/* The child: a session of its own, then the daemon in a grandchild
	 * (never a session leader: it cannot get a terminal back). */
	close(p[0]);
	setsid();
	if ((pid = fork()) != 0)
		_exit(pid < 0 ? 1 : 0);
	umask(077);
	if (chdir("/") != 0)
		_exit(1);
	logfile = home_path("logs/oxios.log");
	if (log_set_file(logfile, &cause) != 0) {
		if (write(p[1], cause, strlen(cause)) < 0)
			_exit(2);
		_exit(1);
	}
	if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		if (devnull > 2)
			close(devnull);
	}
	pidfile_write(fd);
	rc = daemon_serve(cfg, p[1], &cause) == 0 ? EXIT_OK : EXIT_FAIL;
	if (ftruncate(fd, 0) != 0)
		log_warn("pidfile: %s", strerror(errno));
	if (rc != EXIT_OK)
		log_error("%s", cause);
	free(cause);
	free(logfile);
	log_close();
	_exit(rc);
out:
	if (fd >= 0)
		close(fd);
	free(cause);
	free(logfile);
	if (cfg != NULL)
		config_free(cfg);
	return rc;
}

static int
cmd_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c, foreground = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c != 'f')
			return cli_usage(&cmd_start_entry);
		foreground = 1;
	}
	if (optind != argc)
		return cli_usage(&cmd_start_entry);
	if ((c = firstrun_check()) != EXIT_OK)
		return c;
	return daemon_start(foreground);
}

/* ---- stop ---- */

/*
 * Stop the daemon if one runs: SIGTERM, wait for the lock to be free,
 * SIGKILL after `timeout_s`.  Returns EXIT_OK when none runs any more.
 */
static int
daemon_stop(long timeout_s, int quiet)
{
	char *cause = NULL;
	uint64_t t0, deadline;
	int fd, running, killed = 0;
	long pid, now;

	if ((fd = pidfile_open(&running, &pid, &cause)) >= 0) {
		close(fd);
		if (!quiet)
			printf("oxios is not running\n");
		return EXIT_OK;
	}
	if (!running) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (pid <= 0 || kill((pid_t)pid, SIGTERM) != 0) {
		cli_error("cannot signal the daemon (pid %ld): %s", pid,
		    strerror(errno));
		return EXIT_FAIL;
	}
	t0 = time_mono_ms();
	deadline = t0 + (uint64_t)timeout_s * 1000;
	for (;;) {
		usleep(50000);
		if ((fd = pidfile_open(&running, &now, &cause)) >= 0) {
			close(fd);
			break;
		}
		free(cause);
		cause = NULL;
		if (!killed && time_mono_ms() > deadline) {
			cli_warn("the daemon (pid %ld) did not stop in %ld s; "
				 "killing it",
			    pid, timeout_s);
			kill((pid_t)pid, SIGKILL);
			killed = 1;
			deadline = time_mono_ms() + 5000;
		} else if (killed && time_mono_ms() > deadline) {
			cli_error("the daemon (pid %ld) is still running", pid);
			return EXIT_FAIL;
		}
	}
	if (!quiet)
		printf("oxios stopped (pid %ld, %.1f s)\n", pid,
		    (double)(time_mono_ms() - t0) / 1000.0);
	return EXIT_OK;
}

static long
stop_timeout(const struct config *cfg)
{
	return config_int(cfg, "kernel.shutdown_grace_secs") + 15;
}

static int
cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct config *cfg;
	long timeout = -1;
	char *end;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c != 't')
			return cli_usage(&cmd_stop_entry);
		timeout = strtol(optarg, &end, 10);
		if (*optarg == '\0' || *end != '\0' || timeout < 1) {
			cli_error("--timeout: a number of seconds (>= 1)");
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_stop_entry);
	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	if (timeout < 0)
		timeout = stop_timeout(cfg);
	config_free(cfg);
	rc = daemon_stop(timeout, 0);
	return rc;
}

static int
cmd_restart(int argc, char **argv __attribute__((unused)))
{
	struct config *cfg;
	long timeout;

	if (argc != 1)
		return cli_usage(&cmd_restart_entry);
	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	timeout = stop_timeout(cfg);
	config_free(cfg);
	if (daemon_stop(timeout, 0) != EXIT_OK)
		return EXIT_FAIL;
	return daemon_start(0);
}

/* ---- status ---- */

/*
 * The resource monitor's last sample, which the daemon leaves in
 * run/resources.json; NULL if there is none.  New reference.
 */
static json_t *
status_resources(void)
{
	char *path = home_path("run/resources.json"), *text = NULL;
	char *cause = NULL;
	json_t *j = NULL;
	size_t len;

	if (file_read(path, 64 * 1024, &text, &len, &cause) == 0)
		j = json_loadb(text, len, 0, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	free(text);
	free(cause);
	free(path);
	return j;
}

/* "cpu 12.5%, memory 40.1%, load 0.52, disk 1234 MB free". */
static void
status_resources_line(json_t *res)
{
	json_t *cpu = json_object_get(res, "cpu_percent");
	json_t *disk = json_object_get(res, "disk_free_mb");
	const char *reason = json_string_value(json_object_get(res, "reason"));

	if (json_is_number(cpu))
		printf("  resources  cpu %.1f%%, ", json_number_value(cpu));
	else
		printf("  resources  cpu ?, ");
	printf("memory %.1f%%, load %.2f",
	    json_number_value(json_object_get(res, "memory_percent")),
	    json_number_value(
		json_object_get(json_object_get(res, "load"), "1m")));
	if (json_is_integer(disk))
		printf(", disk %lld MB free",
		    (long long)json_integer_value(disk));
	printf("\n");
	if (json_is_true(json_object_get(res, "overloaded")))
		printf("  overload   %s: new runs are paused\n",
		    reason != NULL ? reason : "?");
}

static void
status_uptime(long long ms, char *out, size_t size)
{
	long long s = ms / 1000;

	if (s < 60)
		snprintf(out, size, "%lld s", s);
	else if (s < 3600)
		snprintf(out, size, "%lld min %lld s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, size, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(out, size, "%lld d %lld h", s / 86400,
		    s % 86400 / 3600);
}

static int
cmd_status(int argc, char **argv)
{
	struct config *cfg;
	json_t *st = NULL, *health = NULL, *out, *res, *brk;
	char *cause = NULL, *dbpath = NULL, up[64];
	const char *host, *hs;
	sqlite3 *db = NULL;
	long pid;
	long long port, nrunning = 0, nqueued = 0;
	int json = 0, fd, running, rc;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1)
		return cli_usage(&cmd_status_entry);
	if ((cfg = cli_setup()) == NULL)
		return EXIT_FAIL;
	if ((fd = pidfile_open(&running, &pid, &cause)) >= 0)
		close(fd);
	free(cause);
	cause = NULL;
	if (!running) {
		config_free(cfg);
		if (json)
			printf("{\"running\": false}\n");
		else
			printf(
			    "oxios is not running (start it: oxios start)\n");
		return EXIT_FAIL;
	}
	st = daemon_state();
	host = json_string_value(json_object_get(st, "host"));
	port = json_integer_value(json_object_get(st, "port"));
	if (host == NULL) {
		host = config_str(cfg, "gateway.host");
		port = config_int(cfg, "gateway.port");
	}
	health = daemon_health(host, (long)port);
	hs = json_string_value(json_object_get(health, "status"));
	dbpath = home_path("oxios.db");
	/* What cannot be read counts as none. */
	if (db_open(dbpath, &db, &cause) == 0)
		supervisor_pid_counts(db, pid, &nrunning, &nqueued, &cause);
	db_close(db);
	free(cause);
	out = json_pack("{s:b, s:I, s:s?, s:s?, s:s, s:O?, s:s}", "running", 1,
	    "pid", (json_int_t)pid, "version",
	    json_string_value(json_object_get(health, "version")), "started_at",
	    json_string_value(json_object_get(st, "started_at")), "listen", "",
	    "uptime_ms", json_object_get(health, "uptime_ms"), "health",
	    hs != NULL ? hs : "unreachable");
	json_object_set_new(out, "listen", json_sprintf("%s:%lld", host, port));
	json_object_set_new(out, "agents",
	    json_pack("{s:I, s:I}", "running", (json_int_t)nrunning, "queued",
		(json_int_t)nqueued));
	if ((res = status_resources()) != NULL)
		json_object_set_new(out, "resources", res);
	if ((brk = status_breakers()) != NULL)
		json_object_set_new(out, "providers", brk);
	if (json) {
		oxjson_print(stdout, out, 1);
	} else {
		status_uptime(json_integer_value(
				  json_object_get(health, "uptime_ms")),
		    up, sizeof up);
		printf("oxios is running\n");
		printf("  pid        %ld\n", pid);
		printf("  version    %s\n",
		    json_string_value(json_object_get(out, "version")) != NULL ?
			json_string_value(json_object_get(out, "version")) :
			"?");
		printf("  uptime     %s\n", health != NULL ? up : "?");
		printf("  listen     http://%s:%lld\n", host, port);
		printf("  agents     %lld running, %lld queued\n", nrunning,
		    nqueued);
		if (res != NULL)
			status_resources_line(res);
		if (brk != NULL)
			status_breakers_line(brk);
		printf("  health     %s\n", hs != NULL ? hs : "unreachable");
	}
	rc = hs != NULL && strcmp(hs, "ok") == 0 ? EXIT_OK : EXIT_FAIL;
	json_decref(out);
	json_decref(st);
	json_decref(health);
	free(dbpath);
	config_free(cfg);
	return rc;
}

/* ---- log ---- */

/* The offset where the last `lines` lines of fd begin. */
static off_t
log_tail_offset(int fd, long lines)
{
	char buf[8192];
	off_t end = lseek(fd, 0, SEEK_END), pos = end;
	ssize_t n, i;
	long seen = 0;

	if (end <= 0)
		return 0;
	while (pos > 0) {
		size_t chunk =
		    pos > (off_t)sizeof buf ? sizeof buf : (size_t)pos;

		pos -= (off_t)chunk;
		if ((n = pread(fd, buf, chunk, pos)) <= 0)
			return 0;
		for (i = n - 1; i >= 0; i--) {
			if (buf[i] != '\n' || pos + i == end - 1)
				continue;
			if (++seen == lines)
				return pos + i + 1;
		}
	}
	return 0;
}

/* Copy fd from *off to its end onto stdout. */
static void
log_copy(int fd, off_t *off)
{
	char buf[8192];
	ssize_t n;

	while ((n = pread(fd, buf, sizeof buf, *off)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		*off += n;
	}
	fflush(stdout);
}

static int
cmd_log(int argc, char **argv)
{
	char *path, *end;
	struct stat st, now;
	long lines = 50;
	off_t off;
	int c, follow = 0, fd;

	optind = 1;
	while ((c = getopt(argc, argv, "n:f")) != -1) {
		switch (c) {
		case 'n':
			lines = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || lines < 0) {
				cli_error("-n: a number of lines");
				return EXIT_USAGE;
			}
			break;
		case 'f':
			follow = 1;
			break;
		default:
			return cli_usage(&cmd_log_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_log_entry);
	path = home_path("logs/oxios.log");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && !follow) {
			printf("(no log yet: %s)\n", path);
			free(path);
			return EXIT_OK;
		}
		if (errno != ENOENT) {
			cli_error("%s: %s", path, strerror(errno));
			free(path);
			return EXIT_FAIL;
		}
	}
	off = fd >= 0 ?
	    (lines == 0 ? lseek(fd, 0, SEEK_END) : log_tail_offset(fd, lines)) :
	    0;
	if (fd >= 0)
		log_copy(fd, &off);
	while (follow) {
		usleep(200000);
		if (stat(path, &now) != 0)
			continue;
		if (fd < 0 || fstat(fd, &st) != 0 || st.st_ino != now.st_ino ||
		    now.st_size < off) {
			/* Rotated, truncated or created: start over. */
			if (fd >= 0)
				close(fd);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			off = 0;
		}
		if (fd >= 0)
			log_copy(fd, &off);
		if (ferror(stdout))
			break;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return EXIT_OK;
}
