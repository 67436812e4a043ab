/*
 * fsview.h — the worker's filesystem view of its own, built the way
 * bubblewrap builds one: a private mount namespace whose root is a small
 * tmpfs holding read-only binds of the system directories, /etc with its
 * secrets masked, the workspace (read-write, nosuid, nodev) at its own
 * absolute path, a fresh /proc of the worker's PID namespace, a minimal
 * /dev, a private /tmp, and nothing else of the host: no /home, /root,
 * /run, /var, /sys, nor the host's sockets (docs/security.md).
 *
 * It needs CAP_SYS_ADMIN over its mount namespace: root, or any user in
 * the user namespace the worker was started in.  Build it before the
 * capabilities are dropped and before Landlock and seccomp.
 */
#ifndef OXIOS_SECURITY_FSVIEW_H
#define OXIOS_SECURITY_FSVIEW_H

#include <limits.h>
#include <jansson.h>

#define FSVIEW_TMP_SIZE "64m" /* the private /tmp */
#define FSVIEW_SHM_SIZE "16m" /* /dev/shm */

struct fsview_opts {
	const char *workspace; /* its real path: absolute, not "/" */
	int allow_network;     /* bind what /etc/resolv.conf points to */
	int need_fresh_proc;   /* fail rather than show the host's /proc */
};

/* What fsview_build() made, for the sandbox report and Landlock. */
struct fsview_info {
	int built;             /* the process now lives in the view */
	int fresh_proc;        /* /proc is the PID namespace's own */
	int masked;            /* how many paths of /etc are masked */
	char resolv[PATH_MAX]; /* the file bound for resolv.conf, or "" */
};

/*
 * Build the view and move this process into it (its working directory
 * becomes "/").  Returns 0; or -1 with *cause (caller frees).  After a
 * failure info->built says where the process is: 0, still in the host's
 * view (nothing changed that matters: the caller may go on without the
 * view); 1, half inside a view that could not be finished (the caller
 * must not run tools).
 */
int fsview_build(const struct fsview_opts *o, struct fsview_info *info,
    char **cause);
/*
 * The paths beneath `etc` (an /etc directory) that the view masks: the
 * known secrets that exist there (fsview.c lists them: shadow files,
 * sudoers, SSH host keys, TLS private keys, VPN and Wi-Fi secrets ...)
 * and every entry directly in `etc` that other users may not read.  A
 * symbolic link is replaced by the path it resolves to.  Returns a new
 * array of absolute path strings, sorted, without duplicates.
 */
json_t *fsview_masks(const char *etc);
/*
 * Whether the absolute, normalised `path` lies in what the view binds
 * read-only from the host (/usr, /etc, /opt and the rest), so that the
 * view already shows it.
 */
int fsview_covers(const char *path);
/*
 * The directory components of the absolute `path` that must exist for
 * it, in order ("/a/b/c" -> "/a", "/a/b"): a new array of strings.
 */
json_t *fsview_parents(const char *path);

#endif
