/*
 * fsview.c — the worker's filesystem view (fsview.h), built in this order:
 *
 *   1. unshare(CLONE_NEWNS); every mount private (nothing propagates
 *      back to the host, nothing new from it);
 *   2. a small tmpfs mounted on the host's /tmp (inside our namespace
 *      only) becomes the root by pivot_root(); the host's root stays
 *      reachable at /oldroot while the view is built.  Up to here a
 *      failure leaves the process in (a private copy of) the host's view:
 *      the caller may go on without the view;
 *   3. read-only, nosuid, nodev binds of the system directories (a
 *      symbolic link such as Debian's /bin -> usr/bin is made again);
 *      /etc with its secrets masked (a mask is the host's /dev/null
 *      bound over a file on a nodev mount: opening it fails with EACCES,
 *      root included; an empty read-only tmpfs over a directory);
 *   4. with the network allowed, the file /etc/resolv.conf points to
 *      (often under /run/systemd/resolve), read-only, alone;
 *   5. /dev: a tmpfs holding binds of null, zero, full, random, urandom
 *      and tty, the /proc/self/fd links and a tmpfs /dev/shm;
 *   6. a fresh /proc of the PID namespace (while the host's /proc is
 *      still mounted: a user namespace may mount proc only then), with
 *      /proc/sys and /proc/sysrq-trigger read-only;
 *   7. a private /tmp (tmpfs, nosuid, nodev, FSVIEW_TMP_SIZE);
 *   8. the workspace at its own absolute path, read-write, nosuid, nodev
 *      (last: it may lie under /tmp or under a read-only directory);
 *   9. the host's root detached; the view's root made read-only.
 *
 * The file system type of a bind or a propagation change is ignored:
 * "none" rather than NULL keeps valgrind from reading through NULL.
 * Mount attributes are set with mount_setattr() (Linux 5.12), recursively,
 * only ever adding restrictions (a user namespace may not clear the flags
 * the host locked); before 5.12 the top mount is remounted instead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "security/fsview.h"
#include "util/xalloc.h"

#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#define FSVIEW_ATTR_RDONLY 0x1ULL
#define FSVIEW_ATTR_NOSUID 0x2ULL
#define FSVIEW_ATTR_NODEV 0x4ULL
#define FSVIEW_AT_RECURSIVE 0x8000
#define FSVIEW_RO (FSVIEW_ATTR_RDONLY | FSVIEW_ATTR_NOSUID | FSVIEW_ATTR_NODEV)

#define FSVIEW_BASE "/tmp"    /* where the new root is mounted first */
#define FSVIEW_OLD "/oldroot" /* the host's root while building */

/* struct mount_attr (Linux 5.12). */
struct fsview_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

/* What the view shows of the host, read-only ("/etc" gets its masks). */
static const char *const fsview_system[] = { "/usr", "/bin", "/sbin", "/lib",
	"/lib64", "/lib32", "/libx32", "/opt", "/etc" };

/*
 * Known secrets beneath /etc, masked when present (a '*' in the last
 * component matches like a shell glob).  Entries directly in /etc that
 * others may not read are masked too, listed or not.
 */
static const char *const fsview_secrets[] = {
	"shadow", "shadow-", "gshadow", "gshadow-", /* password hashes */
	"security/opasswd",                         /* old password hashes */
	"sudoers", "sudoers.d",                     /* who may become root */
	"ssh/ssh_host_*_key",                       /* SSH host private keys */
	"ssl/private", "pki/tls/private",           /* TLS private keys */
	"letsencrypt",                              /* ACME keys */
	"krb5.keytab",                              /* Kerberos keys */
	"ipsec.secrets", "ipsec.d/private",         /* IPsec */
	"ppp/chap-secrets", "ppp/pap-secrets",      /* PPP */
	"wireguard", "openvpn",                     /* VPN keys */
	"NetworkManager/system-connections",        /* Wi-Fi and VPN secrets */
	"wpa_supplicant",                           /* Wi-Fi keys */
	"mysql/debian.cnf",                         /* a database password */
	"docker/key.json", /* the Docker daemon's key */
	"libvirt/secrets", /* libvirt secrets */
	"cups/ssl",        /* CUPS keys */
};

/* Character devices bound from the host's /dev. */
static const char *const fsview_devices[] = { "null", "zero", "full", "random",
	"urandom", "tty" };

/* Links made in /dev. */
static const char *const fsview_dev_links[][2] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

/* What stays read-only in the fresh /proc (as container runtimes do). */
static const char *const fsview_proc_ro[] = { "/proc/sys",
	"/proc/sysrq-trigger", "/proc/irq", "/proc/bus" };

int
fsview_covers(const char *path)
{
	size_t i, n;

	for (i = 0; i < sizeof fsview_system / sizeof *fsview_system; i++) {
		n = strlen(fsview_system[i]);
		if (strncmp(path, fsview_system[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return 1;
	}
	return 0;
}

json_t *
fsview_parents(const char *path)
{
	json_t *a = json_array();
	const char *p;

	for (p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/'))
		json_array_append_new(a,
		    json_stringn(path, (size_t)(p - path)));
	return a;
}

/* Add `path` to the sorted array `a` unless it is there. */
static void
fsview_add_sorted(json_t *a, const char *path)
{
	size_t i;
	int c;

	for (i = 0; i < json_array_size(a); i++) {
		c = strcmp(json_string_value(json_array_get(a, i)), path);
		if (c == 0)
			return;
		if (c > 0)
			break;
	}
	json_array_insert_new(a, i, json_string(path));
}

/* Add `path` (which exists) or what it resolves to. */
static void
fsview_add_mask(json_t *a, const char *path)
{
	struct stat st;
	char real[PATH_MAX];

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISLNK(st.st_mode))
		fsview_add_sorted(a, path);
	else if (realpath(path, real) != NULL)
		fsview_add_sorted(a, real);
	/* A dangling link shows nothing. */
}

/* Add what matches `pattern` (a '*' in its last component) under etc. */
static void
fsview_add_glob(json_t *a, const char *etc, const char *pattern)
{
	const char *slash = strrchr(pattern, '/');
	char *dir, *path;
	struct dirent *de;
	DIR *d;

	xasprintf(&dir, "%s/%.*s", etc,
	    slash != NULL ? (int)(slash - pattern) : 0, pattern);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' ||
			    fnmatch(slash != NULL ? slash + 1 : pattern,
				de->d_name, FNM_PERIOD) != 0)
				continue;
			xasprintf(&path, "%s/%s", dir, de->d_name);
			fsview_add_mask(a, path);
			free(path);
		}
		closedir(d);
	}
	free(dir);
}

json_t *
fsview_masks(const char *etc)
{
	json_t *a = json_array();
	struct dirent *de;
	struct stat st;
	char *path;
	size_t i;
	DIR *d;
	int fd;

	for (i = 0; i < sizeof fsview_secrets / sizeof *fsview_secrets; i++) {
		if (strchr(fsview_secrets[i], '*') != NULL) {
			fsview_add_glob(a, etc, fsview_secrets[i]);
			continue;
		}
		xasprintf(&path, "%s/%s", etc, fsview_secrets[i]);
		fsview_add_mask(a, path);
		free(path);
	}
	/* Whatever else in /etc others may not read. */
	if ((d = opendir(etc)) == NULL)
		return a;
	fd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if ((S_ISREG(st.st_mode) && !(st.st_mode & S_IROTH)) ||
		    (S_ISDIR(st.st_mode) &&
			(st.st_mode & (S_IROTH | S_IXOTH)) !=
			    (S_IROTH | S_IXOTH))) {
			xasprintf(&path, "%s/%s", etc, de->d_name);
			fsview_add_sorted(a, path);
			free(path);
		}
	}
	closedir(d);
	return a;
}

/* Add restrictions to the mount at `path` (and those beneath it). */
static int
fsview_setattr(const char *path, uint64_t set, int recursive)
{
	struct fsview_mount_attr a = { set, 0, 0, 0 };
	struct statvfs sv;
	unsigned long fl = MS_REMOUNT | MS_BIND;

	if (syscall(__NR_mount_setattr, AT_FDCWD, path,
		recursive ? FSVIEW_AT_RECURSIVE : 0, &a, sizeof a) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	/* Before Linux 5.12: the top mount only, keeping its locked flags. */
	if (statvfs(path, &sv) == -1)
		return -1;
	fl |= (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0) |
	    (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
	    (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
	    (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) |
	    (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
	    (sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0) |
	    (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
	fl |= (set & FSVIEW_ATTR_RDONLY ? MS_RDONLY : 0) |
	    (set & FSVIEW_ATTR_NOSUID ? MS_NOSUID : 0) |
	    (set & FSVIEW_ATTR_NODEV ? MS_NODEV : 0);
	return mount("none", path, "none", fl, NULL);
}

static int
fsview_err(char **cause, const char *what, const char *path)
{
	xasprintf(cause, "%s %s: %s", what, path, strerror(errno));
	return -1;
}

/* A mount point for a bind of `src` at `dst`: a directory or a file. */
static int
fsview_mountpoint(const char *dst, int dir, char **cause)
{
	int fd;

	if (dir) {
		if (mkdir(dst, 0755) == -1 && errno != EEXIST)
			return fsview_err(cause, "mkdir", dst);
		return 0;
	}
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0444)) == -1) {
		if (errno == EEXIST || errno == EROFS || errno == EISDIR)
			return 0; /* there already */
		return fsview_err(cause, "create", dst);
	}
	close(fd);
	return 0;
}

/* Bind the host's `src` (a path of the host) at `dst` in the view. */
static int
fsview_bind(const char *src, const char *dst, int dir, char **cause)
{
	char *old;
	int rc;

	if (fsview_mountpoint(dst, dir, cause) == -1)
		return -1;
	xasprintf(&old, FSVIEW_OLD "%s", src);
	rc = mount(old, dst, "none", MS_BIND | MS_REC, NULL);
	if (rc == -1)
		fsview_err(cause, "bind", src);
	free(old);
	return rc;
}

/* Make every directory above `path`. */
static int
fsview_mkparents(const char *path, char **cause)
{
	json_t *p = fsview_parents(path), *v;
	size_t i;
	int rc = 0;

	json_array_foreach(p, i, v) {
		if (mkdir(json_string_value(v), 0755) == -1 &&
		    errno != EEXIST) {
			rc = fsview_err(cause, "mkdir", json_string_value(v));
			break;
		}
	}
	json_decref(p);
	return rc;
}

/* 3: the system directories; /etc with its masks. */
static int
fsview_system_dirs(struct fsview_info *info, char **cause)
{
	char *old, link[PATH_MAX];
	json_t *masks, *v;
	struct stat st;
	ssize_t n;
	size_t i;
	int rc = -1;

	for (i = 0; i < sizeof fsview_system / sizeof *fsview_system; i++) {
		xasprintf(&old, FSVIEW_OLD "%s", fsview_system[i]);
		if (lstat(old, &st) == -1) {
			free(old);
			continue;
		}
		if (S_ISLNK(st.st_mode) &&
		    (n = readlink(old, link, sizeof link - 1)) > 0) {
			link[n] = '\0';
			if (symlink(link, fsview_system[i]) == -1) {
				free(old);
				return fsview_err(cause, "symlink",
				    fsview_system[i]);
			}
		} else if (S_ISDIR(st.st_mode) &&
		    fsview_bind(fsview_system[i], fsview_system[i], 1, cause) ==
			-1) {
			free(old);
			return -1;
		}
		free(old);
	}
	masks = fsview_masks("/etc");
	json_array_foreach(masks, i, v) {
		const char *m = json_string_value(v);

		if (lstat(m, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode) ?
			mount("tmpfs", m, "tmpfs",
			    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			    "size=4k,mode=0700") :
			mount(FSVIEW_OLD "/dev/null", m, "none", MS_BIND,
			    NULL)) {
			fsview_err(cause, "mask", m);
			goto out;
		}
		/* Before 5.12 the /etc below covers no mount beneath it. */
		if (fsview_setattr(m, FSVIEW_RO, 0) == -1) {
			fsview_err(cause, "read-only", m);
			goto out;
		}
		info->masked++;
	}
	for (i = 0; i < sizeof fsview_system / sizeof *fsview_system; i++) {
		if (lstat(fsview_system[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    fsview_setattr(fsview_system[i], FSVIEW_RO, 1) == -1) {
			fsview_err(cause, "read-only", fsview_system[i]);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(masks);
	return rc;
}

/* 4: what /etc/resolv.conf points to outside the system directories. */
static int
fsview_resolv(const char *real, struct fsview_info *info, char **cause)
{
	if (real[0] != '/' || fsview_covers(real) ||
	    strncmp(real, "/proc/", 6) == 0 || strncmp(real, "/dev/", 5) == 0)
		return 0;
	if (fsview_mkparents(real, cause) == -1 ||
	    fsview_bind(real, real, 0, cause) == -1)
		return -1;
	if (fsview_setattr(real, FSVIEW_RO, 0) == -1)
		return fsview_err(cause, "read-only", real);
	snprintf(info->resolv, sizeof info->resolv, "%s", real);
	return 0;
}

/* 5: a minimal /dev. */
static int
fsview_dev(char **cause)
{
	char src[64], dst[64];
	struct stat st;
	size_t i;

	if (mkdir("/dev", 0755) == -1 ||
	    mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		"size=64k,mode=0755") == -1)
		return fsview_err(cause, "mount tmpfs on", "/dev");
	for (i = 0; i < sizeof fsview_devices / sizeof *fsview_devices; i++) {
		snprintf(src, sizeof src, FSVIEW_OLD "/dev/%s",
		    fsview_devices[i]);
		snprintf(dst, sizeof dst, "/dev/%s", fsview_devices[i]);
		if (stat(src, &st) == -1 || !S_ISCHR(st.st_mode))
			continue;
		if (fsview_bind(dst, dst, 0, cause) == -1)
			return -1;
	}
	for (i = 0; i < sizeof fsview_dev_links / sizeof *fsview_dev_links;
	     i++) {
		snprintf(dst, sizeof dst, "/dev/%s", fsview_dev_links[i][0]);
		if (symlink(fsview_dev_links[i][1], dst) == -1)
			return fsview_err(cause, "symlink", dst);
	}
	if (mkdir("/dev/shm", 01777) == -1 ||
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
		"size=" FSVIEW_SHM_SIZE ",mode=1777") == -1)
		return fsview_err(cause, "mount tmpfs on", "/dev/shm");
	if (fsview_setattr("/dev", FSVIEW_ATTR_RDONLY, 0) == -1)
		return fsview_err(cause, "read-only", "/dev");
	return 0;
}

/* 6: a fresh /proc, or the host's one when allowed. */
static int
fsview_proc(const struct fsview_opts *o, struct fsview_info *info, char **cause)
{
	size_t i;

	if (mkdir("/proc", 0555) == -1)
		return fsview_err(cause, "mkdir", "/proc");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		NULL) == -1) {
		if (o->need_fresh_proc)
			return fsview_err(cause, "mount", "/proc");
		return fsview_bind("/proc", "/proc", 1, cause);
	}
	info->fresh_proc = 1;
	for (i = 0; i < sizeof fsview_proc_ro / sizeof *fsview_proc_ro; i++) {
		if (access(fsview_proc_ro[i], F_OK) == -1)
			continue;
		if (mount(fsview_proc_ro[i], fsview_proc_ro[i], "none",
			MS_BIND | MS_REC, NULL) == -1 ||
		    fsview_setattr(fsview_proc_ro[i], FSVIEW_RO, 1) == -1)
			return fsview_err(cause, "read-only",
			    fsview_proc_ro[i]);
	}
	return 0;
}

/* 8: the workspace, read-write, nosuid, nodev. */
static int
fsview_workspace(const char *ws, char **cause)
{
	if (fsview_mkparents(ws, cause) == -1 ||
	    fsview_bind(ws, ws, 1, cause) == -1)
		return -1;
	if (fsview_setattr(ws, FSVIEW_ATTR_NOSUID | FSVIEW_ATTR_NODEV, 1) == -1)
		return fsview_err(cause, "nosuid", ws);
	return 0;
}

/* 1 and 2: a private namespace whose root is a fresh tmpfs. */
static int
fsview_enter(char **cause)
{
	if (unshare(CLONE_NEWNS) == -1) {
		xasprintf(cause, "unshare(CLONE_NEWNS): %s%s", strerror(errno),
		    errno == EPERM ? " (neither root nor in a user namespace)" :
				     "");
		return -1;
	}
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1)
		return fsview_err(cause, "make private", "/");
	if (mount("tmpfs", FSVIEW_BASE, "tmpfs", MS_NOSUID | MS_NODEV,
		"size=1m,mode=0755") == -1)
		return fsview_err(cause, "mount tmpfs on", FSVIEW_BASE);
	if (mkdir(FSVIEW_BASE FSVIEW_OLD, 0700) == -1 ||
	    syscall(SYS_pivot_root, FSVIEW_BASE, FSVIEW_BASE FSVIEW_OLD) ==
		-1) {
		fsview_err(cause, "pivot_root to", FSVIEW_BASE);
		umount2(FSVIEW_BASE, MNT_DETACH);
		return -1;
	}
	if (chdir("/") == -1)
		return fsview_err(cause, "chdir", "/");
	return 0;
}

int
fsview_build(const struct fsview_opts *o, struct fsview_info *info,
    char **cause)
{
	char resolv[PATH_MAX];

	memset(info, 0, sizeof *info);
	if (o->workspace == NULL || o->workspace[0] != '/' ||
	    strcmp(o->workspace, "/") == 0 ||
	    strncmp(o->workspace, "/proc/", 6) == 0 ||
	    strncmp(o->workspace, "/dev/", 5) == 0 ||
	    strcmp(o->workspace, "/proc") == 0 ||
	    strcmp(o->workspace, "/dev") == 0) {
		xasprintf(cause, "the workspace %s cannot be shown in a view",
		    o->workspace != NULL ? o->workspace : "(none)");
		return -1;
	}
	/* Resolved in the host's view, where its links point. */
	if (!o->allow_network || realpath("/etc/resolv.conf", resolv) == NULL)
		resolv[0] = '\0';
	if (fsview_enter(cause) == -1)
		return -1;
	info->built = 1; /* from here on, no way back */
	if (fsview_system_dirs(info, cause) == -1 ||
	    fsview_resolv(resolv, info, cause) == -1 ||
	    fsview_dev(cause) == -1 || fsview_proc(o, info, cause) == -1)
		return -1;
	if (mkdir("/tmp", 01777) == -1 ||
	    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
		"size=" FSVIEW_TMP_SIZE ",mode=1777") == -1)
		return fsview_err(cause, "mount tmpfs on", "/tmp");
	if (fsview_workspace(o->workspace, cause) == -1)
		return -1;
	if (umount2(FSVIEW_OLD, MNT_DETACH) == -1 || rmdir(FSVIEW_OLD) == -1)
		return fsview_err(cause, "detach", "the host's root");
	if (fsview_setattr("/", FSVIEW_ATTR_RDONLY, 0) == -1)
		return fsview_err(cause, "read-only", "/");
	if (chdir("/") == -1)
		return fsview_err(cause, "chdir", "/");
	return 0;
}
