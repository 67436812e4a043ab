/*
 * cmdpolicy.h — the command deny list: commands too dangerous to run
 * without a person saying so (rm -rf /, sudo, mkfs, dd onto a disk, a fork
 * bomb, curl piped into sh, ...).
 *
 * It matches parsed commands, not text: a shell line goes through shparse
 * first, so `echo "rm -rf /"` is an echo and `true && rm -fr ~/` is an rm.
 * argv[0] is compared by basename after peeling wrappers (env, command,
 * nice, nohup, timeout, exec, busybox, stdbuf, ionice, xargs, time), and
 * `sh -c STRING` is checked recursively.  It is a guard rail, not a
 * boundary: eval, find -exec, python -c or a script file can hide a
 * command from it; the sandbox is the boundary.  Pure: util and shparse
 * only, no state.
 */
#ifndef OXIOS_SECURITY_CMDPOLICY_H
#define OXIOS_SECURITY_CMDPOLICY_H

#include <stddef.h>

#include <jansson.h>

struct cmd_danger {
	char rule[32]; /* short id: "rm-root", "sudo", "mkfs", "dd-device",
			   "write-device", "chmod-root", "git-force-push",
			   "fork-bomb", "pipe-to-shell", "find-delete",
			   "shred-device", "opaque", "unparsed" */
	char why[256]; /* for a person and the model: what and which command */
};

/*
 * exec's arguments as the tool takes them: {"binary","args"} (structured)
 * or {"mode":"shell","command"}.  1 and *d when deny-listed, 0 when not
 * (also when the arguments are not exec's: the tool refuses those).
 */
int cmdpolicy_check(json_t *args, struct cmd_danger *d);
/* One program and its arguments (argv[0] is the program).  1 and *d, or 0. */
int cmdpolicy_check_argv(const char *const *argv, size_t argc,
    struct cmd_danger *d);
/*
 * A shell line through shparse; a line that does not parse is dangerous
 * (rule "unparsed"), so is an opaque command position ("opaque").  1 and
 * *d, or 0.
 */
int cmdpolicy_check_line(const char *line, struct cmd_danger *d);

#endif
