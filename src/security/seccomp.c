/*
 * seccomp.c — the worker's system-call filter, built with libseccomp.
 *
 * The filter covers the native architecture only: a system call made
 * through another ABI (int 0x80 on x86-64) kills the process.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <seccomp.h>

#include "security/seccomp.h"
#include "util/xalloc.h"

/* Refused outright (names the architecture lacks are skipped). */
static const char *const seccomp_denied[] = {
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"pidfd_getfd",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"bpf",
	"perf_event_open",
	"userfaultfd",
	"mount",
	"umount2",
	"pivot_root",
	"chroot",
	"fsopen",
	"fsconfig",
	"fsmount",
	"fspick",
	"move_mount",
	"open_tree",
	"mount_setattr",
	"kexec_load",
	"kexec_file_load",
	"reboot",
	"swapon",
	"swapoff",
	"init_module",
	"finit_module",
	"delete_module",
	"iopl",
	"ioperm",
	"keyctl",
	"add_key",
	"request_key",
	"setns",
	"unshare",
	"open_by_handle_at",
	"name_to_handle_at",
	"acct",
	"syslog",
	NULL,
};

/* clone() flags that make namespaces. */
static const unsigned long seccomp_clone_new[] = {
	CLONE_NEWNS,
	CLONE_NEWUTS,
	CLONE_NEWIPC,
	CLONE_NEWUSER,
	CLONE_NEWPID,
	CLONE_NEWNET,
	CLONE_NEWCGROUP,
};

static int
seccomp_add(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned int n, const struct scmp_arg_cmp *cmp, char **cause)
{
	int nr, rc;

	if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR)
		return 0;
	if ((rc = seccomp_rule_add_array(ctx, action, nr, n, cmp)) < 0) {
		xasprintf(cause, "seccomp rule for %s: %s", name,
		    strerror(-rc));
		return -1;
	}
	return 0;
}

/*
 * A comparison on syscall argument `arg` (libseccomp's SCMP_A* macros leave
 * fields out, which clang's -Wmissing-field-initializers refuses).
 */
static struct scmp_arg_cmp
seccomp_cmp(unsigned int arg, enum scmp_compare op, scmp_datum_t a,
    scmp_datum_t b)
{
	struct scmp_arg_cmp c = { .arg = arg,
		.op = op,
		.datum_a = a,
		.datum_b = b };

	return c;
}

int
seccomp_apply(int allow_network, char **cause)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	struct scmp_arg_cmp cmp;
	scmp_filter_ctx ctx;
	size_t i;
	int rc = -1, err;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		xasprintf(cause, "seccomp_init failed");
		return -1;
	}
	for (i = 0; seccomp_denied[i] != NULL; i++) {
		if (seccomp_add(ctx, eperm, seccomp_denied[i], 0, NULL,
			cause) == -1)
			goto out;
	}
	for (i = 0; i < sizeof seccomp_clone_new / sizeof *seccomp_clone_new;
	     i++) {
		cmp = seccomp_cmp(0, SCMP_CMP_MASKED_EQ, seccomp_clone_new[i],
		    seccomp_clone_new[i]);
		if (seccomp_add(ctx, eperm, "clone", 1, &cmp, cause) == -1)
			goto out;
	}
	if (seccomp_add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL,
		cause) == -1)
		goto out;
	/* Device nodes: mknod(path, mode, dev), mknodat(fd, path, mode, dev) */
	cmp = seccomp_cmp(1, SCMP_CMP_MASKED_EQ, S_IFMT, S_IFCHR);
	if (seccomp_add(ctx, eperm, "mknod", 1, &cmp, cause) == -1)
		goto out;
	cmp = seccomp_cmp(1, SCMP_CMP_MASKED_EQ, S_IFMT, S_IFBLK);
	if (seccomp_add(ctx, eperm, "mknod", 1, &cmp, cause) == -1)
		goto out;
	cmp = seccomp_cmp(2, SCMP_CMP_MASKED_EQ, S_IFMT, S_IFCHR);
	if (seccomp_add(ctx, eperm, "mknodat", 1, &cmp, cause) == -1)
		goto out;
	cmp = seccomp_cmp(2, SCMP_CMP_MASKED_EQ, S_IFMT, S_IFBLK);
	if (seccomp_add(ctx, eperm, "mknodat", 1, &cmp, cause) == -1)
		goto out;
	/* Typing into a terminal: the kernel compares the low 32 bits. */
	cmp = seccomp_cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCSTI);
	if (seccomp_add(ctx, eperm, "ioctl", 1, &cmp, cause) == -1)
		goto out;
	cmp = seccomp_cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffUL, TIOCLINUX);
	if (seccomp_add(ctx, eperm, "ioctl", 1, &cmp, cause) == -1)
		goto out;
	if (!allow_network) {
		cmp = seccomp_cmp(0, SCMP_CMP_NE, AF_UNIX, 0);
		if (seccomp_add(ctx, eperm, "socket", 1, &cmp, cause) == -1)
			goto out;
	}
	if ((err = seccomp_load(ctx)) < 0) {
		xasprintf(cause, "seccomp_load: %s", strerror(-err));
		goto out;
	}
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}
