/*
 * seccomp.h — the system-call filter of an agent's worker (libseccomp).
 *
 * Default allow; refused with EPERM (so that tools fail cleanly rather
 * than die): ptrace and cross-process memory access, io_uring, bpf,
 * mounting (old and new API), chroot, kexec, keyrings, kernel modules,
 * reboot, swap, perf, userfaultfd, namespaces (setns, unshare, clone
 * with CLONE_NEW*), file handles, raw port I/O, pidfd_getfd, device
 * nodes (mknod of S_IFCHR/S_IFBLK), terminal injection (TIOCSTI), and,
 * unless the network is allowed, socket() of any family but AF_UNIX.
 * clone3 answers ENOSYS (its flags cannot be inspected), so the C library
 * falls back to clone.
 */
#ifndef OXIOS_SECURITY_SECCOMP_H
#define OXIOS_SECURITY_SECCOMP_H

/*
 * Install the filter in this process and all it will run (sets
 * PR_SET_NO_NEW_PRIVS).  Returns 0, or -1 with *cause (caller frees).
 */
int seccomp_apply(int allow_network, char **cause);

#endif
