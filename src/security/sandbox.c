/*
 * sandbox.c — the worker's confinement, in the order it is applied:
 * workspace, rlimits, environment, filesystem view, capabilities,
 * no_new_privs, Landlock, seccomp.  Each step that fails is a warning in
 * the report; the view, Landlock and seccomp failing is fatal when the
 * policy requires the sandbox, and so is a view left half built.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "security/fsview.h"
#include "security/landlock.h"
#include "security/limits.h"
#include "security/probe.h"
#include "security/sandbox.h"
#include "security/seccomp.h"
#include "util/file.h"
#include "util/xalloc.h"

/* AddressSanitizer and ThreadSanitizer reserve terabytes of shadow
 * memory: no RLIMIT_AS fits them. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANDBOX_SANITIZED 1
#endif
#endif

int
sandbox_sanitized(void)
{
#ifdef SANDBOX_SANITIZED
	return 1;
#else
	return 0;
#endif
}

void
sandbox_child_reset(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	setpgid(0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void
sandbox_keep_sysadmin(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];

	memset(&hdr, 0, sizeof hdr);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].inheritable |=
	    CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &hdr, data) == 0)
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0,
		    0);
}

void
sandbox_close_from(int low, int keep)
{
	struct rlimit rl;
	int fd, max = 65536;

	if (keep < low) {
		if (close_range((unsigned)low, ~0U, 0) == 0)
			return;
	} else if ((keep == low ||
		       close_range((unsigned)low, (unsigned)keep - 1, 0) ==
			   0) &&
	    close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	/* No close_range(2): one by one, up to the descriptor limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
		max = (int)rl.rlim_cur;
	for (fd = low; fd < max; fd++) {
		if (fd != keep)
			close(fd);
	}
}

/* Write s to a /proc file (uid_map and friends).  0 or -1. */
static int
sandbox_write_proc(const char *path, const char *s)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

int
sandbox_pidns(const char **why)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int status, fd;
	pid_t pid;

	if (uid == 0) {
		if (unshare(CLONE_NEWPID) == -1) {
			*why = strerror(errno);
			return 0;
		}
	} else {
		/* Unprivileged: a user namespace that maps only us. */
		if (unshare(CLONE_NEWUSER | CLONE_NEWPID) == -1) {
			*why = strerror(errno);
			return 0;
		}
		snprintf(map, sizeof map, "%lu %lu 1\n", (unsigned long)uid,
		    (unsigned long)uid);
		if (sandbox_write_proc("/proc/self/uid_map", map) == -1) {
			*why = "cannot write uid_map";
			_exit(1); /* half made: unusable */
		}
		sandbox_write_proc("/proc/self/setgroups", "deny");
		snprintf(map, sizeof map, "%lu %lu 1\n", (unsigned long)gid,
		    (unsigned long)gid);
		sandbox_write_proc("/proc/self/gid_map", map);
	}
	if ((pid = fork()) == -1) {
		*why = strerror(errno);
		_exit(1); /* unshare(CLONE_NEWPID) cannot be undone */
	}
	if (pid == 0) {
		/* Die with the parent: it is what the client kills. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		return 1;
	}
	/* The parent holds nothing but the child. */
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			_exit(1);
	}
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	signal(WTERMSIG(status), SIG_DFL);
	raise(WTERMSIG(status));
	_exit(128 + WTERMSIG(status));
}

/* soft = hard = v (or the hard limit, if lower).  0 or -1. */
static int
sandbox_rlimit(int resource, rlim_t v)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == -1)
		return -1;
	if (rl.rlim_max != RLIM_INFINITY && v > rl.rlim_max)
		v = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = v;
	return setrlimit(resource, &rl);
}

static int
sandbox_rlimits(const struct sandbox_policy *pol, json_t *warnings)
{
	struct rlimit rl;
	rlim_t nproc;
	int rc = 0;

	rc |= sandbox_rlimit(RLIMIT_CORE, 0);
	rc |= sandbox_rlimit(RLIMIT_FSIZE, SANDBOX_FSIZE);
	rc |= sandbox_rlimit(RLIMIT_NOFILE, SANDBOX_NOFILE);
	/* Bound where it binds (not root): see security/limits.h. */
	if ((nproc = limits_nproc(
		 pol->max_procs > 0 ? pol->max_procs : SANDBOX_NPROC_EXTRA)) !=
	    RLIM_INFINITY)
		rc |= sandbox_rlimit(RLIMIT_NPROC, nproc);
	if (pol->memory_mb > 0 && !sandbox_sanitized())
		rc |= sandbox_rlimit(RLIMIT_AS,
		    (rlim_t)pol->memory_mb * 1024 * 1024);
	else if (pol->memory_mb > 0)
		json_array_append_new(warnings,
		    json_string("memory_mb is not applied: this build runs "
				"under a sanitizer (AddressSanitizer or "
				"ThreadSanitizer)"));
	if (pol->cpu_secs > 0 && getrlimit(RLIMIT_CPU, &rl) == 0) {
		rl.rlim_cur = (rlim_t)pol->cpu_secs;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		rc |= setrlimit(RLIMIT_CPU, &rl);
	}
	if (rc != 0)
		json_array_append_new(warnings,
		    json_sprintf("some rlimits could not be set: %s",
			strerror(errno)));
	return rc == 0;
}

void
sandbox_cpu_rearm(int secs)
{
	struct rusage ru;
	struct rlimit rl;
	rlim_t used;

	if (secs <= 0 || getrusage(RUSAGE_SELF, &ru) == -1 ||
	    getrlimit(RLIMIT_CPU, &rl) == -1)
		return;
	used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1;
	rl.rlim_cur = used + (rlim_t)secs;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_CPU, &rl);
}

static int
sandbox_env(const char *ws)
{
	char *tmp;
	int rc;

	xasprintf(&tmp, "%s/%s", ws, SANDBOX_TMPDIR);
	rc = clearenv() == 0 && setenv("PATH", SANDBOX_PATH, 1) == 0 &&
	    setenv("HOME", ws, 1) == 0 && setenv("TMPDIR", tmp, 1) == 0 &&
	    setenv("LANG", "C.UTF-8", 1) == 0;
	free(tmp);
	return rc;
}

/*
 * Drop every capability from the bounding, ambient, permitted and
 * effective sets.  Root keeps what file work in its workspace needs
 * (chown, dac_override, fowner): Landlock still bounds where.
 */
static int
sandbox_caps(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	uint64_t keep = 0, perm;
	int cap;

	if (geteuid() == 0)
		keep = (1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) |
		    (1ULL << CAP_FOWNER);
	for (cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0;
	     cap++) {
		if (!(keep & (1ULL << cap)))
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return 0;
	perm = ((uint64_t)data[1].permitted << 32 | data[0].permitted) & keep;
	data[0].permitted = data[0].effective = (uint32_t)perm;
	data[1].permitted = data[1].effective = (uint32_t)(perm >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	return syscall(SYS_capset, &hdr, data) == 0;
}

/* Make the workspace and its TMPDIR; *real is its real path. */
static int
sandbox_workspace(const char *ws, char **real, char **cause)
{
	char *tmp = NULL, buf[PATH_MAX];
	int rc = -1;

	*real = NULL;
	if (ws == NULL || ws[0] != '/') {
		xasprintf(cause, "the workspace must be an absolute path");
		return -1;
	}
	if (file_mkdirs(ws, 0700, cause) == -1)
		return -1;
	if (realpath(ws, buf) == NULL) {
		xasprintf(cause, "%s: %s", ws, strerror(errno));
		return -1;
	}
	if (strcmp(buf, "/") == 0) {
		xasprintf(cause, "the workspace cannot be /");
		return -1;
	}
	xasprintf(&tmp, "%s/%s", buf, SANDBOX_TMPDIR);
	if (mkdir(tmp, 0700) == -1 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	*real = xstrdup(buf);
	rc = 0;
out:
	free(tmp);
	return rc;
}

/*
 * What programs need, read-only; the workspace, read-write.  Inside the
 * view /tmp and /dev/shm are private tmpfs: read-write too.
 */
static int
sandbox_landlock(const struct sandbox_policy *pol, const char *ws,
    const struct fsview_info *view, json_t *warnings, char **cause)
{
	static const char *const rx[] = { "/usr", "/bin", "/sbin", "/lib",
		"/lib64", "/lib32", "/libx32", "/etc", "/opt" };
	struct landlock_path p[32];
	size_t n = 0, i;

	for (i = 0; i < sizeof rx / sizeof *rx; i++)
		p[n++] = (struct landlock_path){ rx[i], LANDLOCK_RX };
	p[n++] = (struct landlock_path){ "/proc", LANDLOCK_RO };
	p[n++] = (struct landlock_path){ "/dev/null", LANDLOCK_FILE_RW };
	p[n++] = (struct landlock_path){ "/dev/zero", LANDLOCK_RO };
	p[n++] = (struct landlock_path){ "/dev/random", LANDLOCK_RO };
	p[n++] = (struct landlock_path){ "/dev/urandom", LANDLOCK_RO };
	if (view->built) {
		p[n++] =
		    (struct landlock_path){ "/dev/full", LANDLOCK_FILE_RW };
		p[n++] = (struct landlock_path){ "/dev/tty", LANDLOCK_FILE_RW };
		p[n++] = (struct landlock_path){ "/dev/shm", LANDLOCK_RW };
		p[n++] = (struct landlock_path){ "/tmp", LANDLOCK_RW };
	}
	if (pol->allow_network) /* where resolv.conf often points */
		p[n++] = (struct landlock_path){ "/run/systemd/resolve",
			LANDLOCK_RO };
	if (view->resolv[0] != '\0')
		p[n++] = (struct landlock_path){ view->resolv, LANDLOCK_RO };
	p[n++] = (struct landlock_path){ ws, LANDLOCK_RW };
	return landlock_apply(p, n, pol->allow_network, warnings, cause);
}

/*
 * The filesystem view, unless the policy turns it off.  Returns 0, or -1
 * with *cause when the sandbox must not go on (required, or half built).
 */
static int
sandbox_fsview(const struct sandbox_policy *pol, const char *ws,
    struct fsview_info *view, json_t *r, json_t *warnings, char **cause)
{
	struct fsview_opts o = { ws, pol->allow_network, pol->required };
	char *why = NULL;
	int rc = 0;

	memset(view, 0, sizeof *view);
	if (!pol->fsview)
		json_array_append_new(warnings,
		    json_string("no filesystem view (security.sandbox = off): "
				"commands see the host's files that Landlock "
				"lets through, and its processes in /proc"));
	else if (fsview_build(&o, view, &why) == -1) {
		if (view->built || pol->required) {
			xasprintf(cause, "the filesystem view %s: %s",
			    view->built ? "was left half built" :
					  "is required but could not be built",
			    why);
			rc = -1;
		} else
			json_array_append_new(warnings,
			    json_sprintf("no filesystem view: %s", why));
		view->built = 0;
		free(why);
	} else if (!view->fresh_proc)
		json_array_append_new(warnings,
		    json_string("the filesystem view shows the host's /proc: "
				"a fresh one could not be mounted"));
	json_object_set_new(r, "fs_view", json_boolean(view->built));
	json_object_set_new(r, "fs_view_masked", json_integer(view->masked));
	json_object_set_new(r, "fresh_proc", json_boolean(view->fresh_proc));
	return rc;
}

int
sandbox_apply(const struct sandbox_policy *pol, json_t **report, char **realws,
    char **cause)
{
	struct fsview_info view;
	json_t *r, *warnings;
	char *why = NULL, *ws = NULL;
	int abi = 0, sec = 0, nnp, rc = -1;

	*realws = NULL;
	warnings = json_array();
	r = json_object();
	*report = r;
	if (sandbox_workspace(pol->workspace, &ws, cause) == -1)
		goto out;
	umask(022);
	json_object_set_new(r, "rlimits",
	    json_boolean(sandbox_rlimits(pol, warnings)));
	if (!sandbox_env(ws))
		json_array_append_new(warnings,
		    json_string("the environment could not be scrubbed"));
	if (sandbox_fsview(pol, ws, &view, r, warnings, cause) == -1)
		goto out;
	json_object_set_new(r, "capabilities_dropped",
	    json_boolean(sandbox_caps()));
	nnp = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
	json_object_set_new(r, "no_new_privs", json_boolean(nnp));

	if ((abi = sandbox_landlock(pol, ws, &view, warnings, &why)) <= 0) {
		json_array_append_new(warnings,
		    json_sprintf("file access is not confined: %s", why));
		free(why);
		why = NULL;
		abi = 0;
	}
	json_object_set_new(r, "landlock", json_integer(abi));
	/* ABI 6: abstract UNIX sockets and signals stay inside. */
	json_object_set_new(r, "landlock_scoped", json_boolean(abi >= 6));
	if (seccomp_apply(pol->allow_network, &why) == 0)
		sec = 1;
	else {
		json_array_append_new(warnings,
		    json_sprintf("system calls are not filtered: %s", why));
		free(why);
		why = NULL;
	}
	json_object_set_new(r, "seccomp", json_boolean(sec));
	if (!pol->pidns)
		json_array_append_new(warnings,
		    json_string("no PID namespace: a process that leaves its "
				"process group may outlive its command"));
	json_object_set_new(r, "pid_namespace", json_boolean(pol->pidns));
	json_object_set_new(r, "network", json_boolean(pol->allow_network));
	json_object_set_new(r, "workspace", json_string(ws));
	if (chdir(ws) == -1) {
		xasprintf(cause, "%s: %s", ws, strerror(errno));
		goto out;
	}
	if (pol->required && (abi == 0 || !sec || !nnp)) {
		xasprintf(cause,
		    "the sandbox is required, but %s could not be applied "
		    "on this kernel",
		    abi == 0 ? "Landlock" :
			!sec ? "seccomp" :
			       "no_new_privs");
		goto out;
	}
	*realws = ws;
	ws = NULL;
	rc = 0;
out:
	json_object_set_new(r, "warnings", warnings);
	free(ws);
	return rc;
}
