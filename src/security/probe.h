/*
 * probe.h — what the running kernel offers for sandboxing agent workers.
 * Used by `oxios doctor` and, later, by the sandbox launcher.
 */
#ifndef OXIOS_SECURITY_PROBE_H
#define OXIOS_SECURITY_PROBE_H

/*
 * Landlock ABI version (1, 2, 3 ...), or 0 when the kernel has no Landlock
 * or it is disabled; *why (static string) says which.
 */
int probe_landlock_abi(const char **why);
/* 1 when seccomp filters can be installed (SECCOMP_MODE_FILTER), else 0. */
int probe_seccomp(const char **why);
/*
 * 1 when an unprivileged process may create a user namespace (checked by
 * trying it in a short-lived child), else 0.
 */
int probe_userns(const char **why);

#endif
