/*
 * cmdpolicy.c — the command deny list.
 *
 * One table, cmdpolicy_rules[]: a short id, a matcher over one parsed
 * command (argv peeled of its wrappers, plus the shparse command and list
 * when it came from a shell line), and the reason shown to a person and
 * the model.  A shell line is dangerous when any of its commands is,
 * including those in $(..), backticks, function bodies and `sh -c`
 * strings (checked recursively, SH_C_DEPTH deep).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/cmdpolicy.h"
#include "security/shparse.h"
#include "util/xalloc.h"

#define SH_C_DEPTH 4 /* sh -c 'sh -c "..."' nesting checked */

struct cmd_ctx {
	const char *const *argv;    /* the command after its wrappers */
	size_t argc;                /* 0 when the wrappers run nothing */
	const char *name;           /* basename of argv[0] */
	const struct sh_cmd *cmd;   /* NULL for structured exec */
	const struct sh_list *list; /* NULL for structured exec */
};

struct cmd_rule {
	const char *rule;
	int (*match)(const struct cmd_ctx *);
	const char *why;
};

/* ---- helpers ---- */

static const char *
cmd_base(const char *s)
{
	const char *b = strrchr(s, '/');

	return b != NULL && b[1] != '\0' ? b + 1 : s;
}

static int
cmd_in(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* s holds only characters of `set` ("" does). */
static int
cmd_only(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

/* "/", "/.", "/..", "//" and "/" then "*": the root, or all of it. */
static int
cmd_is_root(const char *t)
{
	return t[0] == '/' && cmd_only(t, "/.*");
}

/* "~", "~/", "$HOME", "${HOME}/" (and a "*" after): the home directory. */
static int
cmd_is_home(const char *t)
{
	static const char *const pre[] = { "~", "$HOME", "${HOME}", NULL };
	size_t i, n;

	for (i = 0; pre[i] != NULL; i++) {
		n = strlen(pre[i]);
		if (strncmp(t, pre[i], n) == 0 && cmd_only(t + n, "/.*") &&
		    (t[n] == '\0' || t[n] == '/'))
			return 1;
	}
	return 0;
}

/* A short-option cluster ("-rf") holding letter c; not "--x". */
static int
cmd_short_has(const char *a, char c)
{
	return a[0] == '-' && a[1] != '-' && a[1] != '\0' &&
	    strchr(a + 1, c) != NULL;
}

/* A block device a write would destroy. */
static int
cmd_is_disk(const char *t)
{
	static const char *const pre[] = { "/dev/sd", "/dev/nvme",
		"/dev/mmcblk", "/dev/hd", "/dev/vd", "/dev/xvd", "/dev/disk/",
		"/dev/dm-", "/dev/mapper/", NULL };
	size_t i;

	for (i = 0; pre[i] != NULL; i++)
		if (strncmp(t, pre[i], strlen(pre[i])) == 0)
			return 1;
	return 0;
}

/* ---- wrappers ---- */

struct cmd_wrapper {
	const char *name;
	const char *argopts;         /* short options taking a value */
	const char *const *longargs; /* long options taking a value */
	int positional;              /* words before the command */
};

static const char *const env_long[] = { "--unset", "--chdir", "--split-string",
	NULL };
static const char *const nice_long[] = { "--adjustment", NULL };
static const char *const timeout_long[] = { "--signal", "--kill-after", NULL };
static const char *const stdbuf_long[] = { "--input", "--output", "--error",
	NULL };
static const char *const ionice_long[] = { "--class", "--classdata", "--pid",
	"--pgid", "--uid", NULL };
static const char *const xargs_long[] = { "--eof", "--replace", "--delimiter",
	"--max-lines", "--max-args", "--max-procs", "--max-chars", "--arg-file",
	"--process-slot-var", NULL };
static const char *const none_long[] = { NULL };

static const struct cmd_wrapper cmd_wrappers[] = {
	{ "env", "uCS", env_long, 0 },
	{ "command", "", none_long, 0 },
	{ "builtin", "", none_long, 0 },
	{ "nice", "n", nice_long, 0 },
	{ "nohup", "", none_long, 0 },
	{ "timeout", "sk", timeout_long, 1 },
	{ "exec", "a", none_long, 0 },
	{ "busybox", "", none_long, 0 },
	{ "stdbuf", "ioe", stdbuf_long, 0 },
	{ "ionice", "cnpPu", ionice_long, 0 },
	{ "xargs", "EIdLnPsa", xargs_long, 0 },
	{ "time", "fo", none_long, 0 },
};

/*
 * Step over one wrapper's options at argv[*i] (just past its name).
 * *split gets env -S's string.  0, or -1 when the wrapper runs nothing
 * (command -v).
 */
static int
cmd_peel_opts(const struct cmd_wrapper *w, const char *const *argv, size_t argc,
    size_t *i, const char **split)
{
	const char *a;
	size_t k, n;

	for (; *i < argc; (*i)++) {
		a = argv[*i];
		if (strcmp(a, "--") == 0) {
			(*i)++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (a[1] == '-') {
			for (k = 0; w->longargs[k] != NULL; k++) {
				n = strlen(w->longargs[k]);
				if (strncmp(a, w->longargs[k], n) != 0)
					continue;
				if (a[n] == '\0' && *i + 1 < argc) {
					if (strcmp(w->longargs[k],
						"--split-string") == 0)
						*split = argv[*i + 1];
					(*i)++;
				} else if (a[n] == '=' &&
				    strcmp(w->longargs[k], "--split-string") ==
					0) {
					*split = a + n + 1;
				}
				break;
			}
			continue;
		}
		if (strcmp(w->name, "command") == 0 &&
		    (strchr(a, 'v') != NULL || strchr(a, 'V') != NULL))
			return -1;
		for (k = 1; a[k] != '\0'; k++) {
			if (a[k] < 'A' || strchr(w->argopts, a[k]) == NULL)
				continue;
			if (a[k + 1] != '\0') {
				if (a[k] == 'S')
					*split = a + k + 1;
			} else if (*i + 1 < argc) {
				if (a[k] == 'S')
					*split = argv[*i + 1];
				(*i)++;
			}
			break;
		}
	}
	if (strcmp(w->name, "env") == 0)
		while (*i < argc && strchr(argv[*i], '=') != NULL &&
		    argv[*i][0] != '=')
			(*i)++;
	*i += (size_t)w->positional;
	return 0;
}

/*
 * The index of the command the wrappers run (argc when none); *split is
 * env -S's string when there is one.
 */
static size_t
cmd_peel(const char *const *argv, size_t argc, const char **split)
{
	size_t i = 0, k, rounds;

	*split = NULL;
	for (rounds = 0; rounds < 16 && i < argc; rounds++) {
		const char *b = cmd_base(argv[i]);

		for (k = 0; k < sizeof cmd_wrappers / sizeof cmd_wrappers[0];
		     k++)
			if (strcmp(b, cmd_wrappers[k].name) == 0)
				break;
		if (k == sizeof cmd_wrappers / sizeof cmd_wrappers[0])
			break;
		i++;
		if (cmd_peel_opts(&cmd_wrappers[k], argv, argc, &i, split) ==
		    -1)
			return argc;
		if (*split != NULL)
			return argc;
	}
	return i < argc ? i : argc;
}

/* The basename of what a parsed command runs, or "" (for pipe checks). */
static const char *
cmd_runs(const struct sh_cmd *c)
{
	const char *split;
	size_t i = cmd_peel((const char *const *)c->argv, c->argc, &split);

	return i < c->argc ? cmd_base(c->argv[i]) : "";
}

/* ---- matchers ---- */

static int
match_rm_root(const struct cmd_ctx *c)
{
	size_t i;
	int rec = 0, target = 0, opts = 1;

	if (strcmp(c->name, "rm") != 0)
		return 0;
	for (i = 1; i < c->argc; i++) {
		const char *a = c->argv[i];

		if (opts && strcmp(a, "--") == 0) {
			opts = 0;
		} else if (opts &&
		    (strcmp(a, "--recursive") == 0 || cmd_short_has(a, 'r') ||
			cmd_short_has(a, 'R'))) {
			rec = 1;
		} else if (!opts || a[0] != '-' || a[1] == '\0') {
			if (cmd_is_root(a) || cmd_is_home(a))
				target = 1;
		}
	}
	return rec && target;
}

static int
match_sudo(const struct cmd_ctx *c)
{
	static const char *const set[] = { "sudo", "su", "doas", "pkexec",
		"run0", NULL };

	return cmd_in(c->name, set);
}

static int
match_mkfs(const struct cmd_ctx *c)
{
	static const char *const set[] = { "mke2fs", "mkswap", "wipefs", NULL };

	return strncmp(c->name, "mkfs", 4) == 0 || cmd_in(c->name, set);
}

static int
match_dd_device(const struct cmd_ctx *c)
{
	static const char *const safe[] = { "null", "zero", "stdout", "stderr",
		NULL };
	size_t i;

	if (strcmp(c->name, "dd") != 0)
		return 0;
	for (i = 1; i < c->argc; i++)
		if (strncmp(c->argv[i], "of=/dev/", 8) == 0 &&
		    !cmd_in(c->argv[i] + 8, safe))
			return 1;
	return 0;
}

static int
match_write_device(const struct cmd_ctx *c)
{
	static const char *const writes[] = { ">", ">>", ">|", "&>", "&>>",
		"<>", ">&", NULL };
	size_t i;

	if (strcmp(c->name, "tee") == 0)
		for (i = 1; i < c->argc; i++)
			if (cmd_is_disk(c->argv[i]))
				return 1;
	if (c->cmd == NULL)
		return 0;
	for (i = 0; i < c->cmd->nredir; i++)
		if (cmd_in(c->cmd->redir[i].op, writes) &&
		    cmd_is_disk(c->cmd->redir[i].target))
			return 1;
	return 0;
}

static int
match_chmod_root(const struct cmd_ctx *c)
{
	static const char *const set[] = { "chmod", "chown", "chgrp", NULL };
	size_t i;
	int rec = 0, target = 0;

	if (!cmd_in(c->name, set))
		return 0;
	for (i = 1; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--recursive") == 0 ||
		    cmd_short_has(c->argv[i], 'R'))
			rec = 1;
		else if (cmd_is_root(c->argv[i]))
			target = 1;
	}
	return rec && target;
}

static int
match_git_force_push(const struct cmd_ctx *c)
{
	static const char *const gitarg[] = { "-C", "-c", "--git-dir",
		"--work-tree", "--namespace", "--config-env", NULL };
	static const char *const pusharg[] = { "--repo", "--receive-pack",
		"--exec", "--push-option", NULL };
	size_t i;
	int opts = 1;

	if (strcmp(c->name, "git") != 0)
		return 0;
	for (i = 1; i < c->argc && c->argv[i][0] == '-'; i++)
		if (cmd_in(c->argv[i], gitarg))
			i++;
	if (i >= c->argc || strcmp(c->argv[i], "push") != 0)
		return 0;
	for (i++; i < c->argc; i++) {
		const char *a = c->argv[i];

		if (opts && strcmp(a, "--") == 0) {
			opts = 0;
		} else if (opts && a[0] == '-' && a[1] == '-') {
			if (strcmp(a, "--force") == 0)
				return 1;
			if (cmd_in(a, pusharg))
				i++;
		} else if (opts && a[0] == '-' && a[1] != '\0') {
			size_t k = strcspn(a + 1, "o") + 1;

			if (memchr(a + 1, 'f', k - 1) != NULL)
				return 1;
			if (a[k] == 'o' && a[k + 1] == '\0')
				i++;
		} else if (a[0] == '+') {
			return 1;
		}
	}
	return 0;
}

static int
match_fork_bomb(const struct cmd_ctx *c)
{
	const struct sh_cmd *k = c->cmd;

	return k != NULL && k->func >= 0 && k->argc > 0 &&
	    strcmp(k->argv[0], c->list->funcs[k->func].name) == 0 &&
	    (k->pipeline >= 0 || k->background);
}

static int
cmd_is_interp(const char *n)
{
	static const char *const set[] = { "sh", "bash", "zsh", "dash", "ksh",
		"ash", "mksh", "fish", "perl", "ruby", "node", "nodejs", "php",
		"source", ".", NULL };

	return cmd_in(n, set) || strncmp(n, "python", 6) == 0;
}

static int
cmd_is_fetch(const char *n)
{
	static const char *const set[] = { "curl", "wget", "fetch", NULL };

	return cmd_in(n, set);
}

/*
 * Whether the parsed command k fetches from the network: it is curl, wget
 * or fetch, or one of its own substitutions is.  Those are listed just
 * before it, deeper in subst (shparse.h: a substitution's commands come
 * before the command holding it).
 */
static int
cmd_fetches(const struct sh_list *l, const struct sh_cmd *k)
{
	size_t j = (size_t)(k - l->cmds);

	if (cmd_is_fetch(cmd_runs(k)))
		return 1;
	while (j-- > 0 && l->cmds[j].subst > k->subst)
		if (cmd_is_fetch(cmd_runs(&l->cmds[j])))
			return 1;
	return 0;
}

static int
match_pipe_to_shell(const struct cmd_ctx *c)
{
	const struct sh_cmd *k = c->cmd, *o;
	size_t i;

	if (k == NULL)
		return 0;
	/* curl URL | sh, echo "$(curl URL)" | sh */
	if (k->pipeline >= 0 && cmd_is_interp(c->name)) {
		for (i = 0; i < c->list->ncmds; i++) {
			o = &c->list->cmds[i];
			if (o->pipeline == k->pipeline && o->stage < k->stage &&
			    cmd_fetches(c->list, o))
				return 1;
		}
	}
	/* sh <(curl URL): an interpreter reading a fetch's output. */
	if (!cmd_is_interp(c->name))
		return 0;
	for (i = 1; i < c->argc; i++)
		if (strncmp(c->argv[i], "<(", 2) == 0)
			break;
	return i < c->argc && cmd_fetches(c->list, k);
}

static int
match_find_delete(const struct cmd_ctx *c)
{
	size_t i;
	int paths = 1, target = 0, del = 0;

	if (strcmp(c->name, "find") != 0)
		return 0;
	for (i = 1; i < c->argc; i++) {
		const char *a = c->argv[i];

		if (paths && i == 1 && strcmp(a, "-D") == 0) {
			i++;
			continue;
		}
		if (paths &&
		    (strcmp(a, "-H") == 0 || strcmp(a, "-L") == 0 ||
			strcmp(a, "-P") == 0 || strncmp(a, "-O", 2) == 0))
			continue;
		if (a[0] == '-' || a[0] == '(' || a[0] == '!')
			paths = 0;
		if (paths && (cmd_is_root(a) || cmd_is_home(a)))
			target = 1;
		if (strcmp(a, "-delete") == 0)
			del = 1;
	}
	return target && del;
}

static int
match_shred_device(const struct cmd_ctx *c)
{
	size_t i;

	if (strcmp(c->name, "shred") != 0)
		return 0;
	for (i = 1; i < c->argc; i++)
		if (strncmp(c->argv[i], "/dev/", 5) == 0)
			return 1;
	return 0;
}

static int
match_opaque(const struct cmd_ctx *c)
{
	return (c->cmd != NULL && c->cmd->opaque) ||
	    strcmp(c->name, "eval") == 0 ||
	    (c->cmd != NULL && c->argc > 0 &&
		strpbrk(c->argv[0], "$`") != NULL);
}

static const struct cmd_rule cmdpolicy_rules[] = {
	{ "opaque", match_opaque,
	    "the program to run comes from an expansion that cannot be read "
	    "before it runs" },
	{ "rm-root", match_rm_root,
	    "recursive rm of the root or home directory" },
	{ "sudo", match_sudo, "runs a command as another user (privilege)" },
	{ "mkfs", match_mkfs,
	    "makes a filesystem or swap (or wipes its signatures), erasing a "
	    "device" },
	{ "dd-device", match_dd_device, "dd writes onto a device" },
	{ "write-device", match_write_device,
	    "writes onto a disk device, destroying its data" },
	{ "chmod-root", match_chmod_root,
	    "recursive chmod/chown of the root directory" },
	{ "git-force-push", match_git_force_push,
	    "git push --force (or a +refspec) can overwrite others' history" },
	{ "fork-bomb", match_fork_bomb,
	    "a function that pipes or backgrounds calls to itself (fork bomb)" },
	{ "pipe-to-shell", match_pipe_to_shell,
	    "runs code fetched from the network in an interpreter" },
	{ "find-delete", match_find_delete,
	    "find -delete over the root or home directory" },
	{ "shred-device", match_shred_device, "shred of a device" },
};

/* ---- checking ---- */

static int cmd_line(const char *line, struct cmd_danger *d, int depth);

static void
cmd_set(struct cmd_danger *d, const char *rule, const char *why,
    const char *const *argv, size_t argc)
{
	size_t i, n;

	snprintf(d->rule, sizeof d->rule, "%s", rule);
	n = (size_t)snprintf(d->why, sizeof d->why, "%s: `", why);
	for (i = 0; i < argc && n + 1 < sizeof d->why; i++)
		n += (size_t)snprintf(d->why + n, sizeof d->why - n, "%s%s",
		    i > 0 ? " " : "", argv[i]);
	if (n + 1 < sizeof d->why)
		snprintf(d->why + n, sizeof d->why - n, "`");
}

static const char *const cmd_shells[] = { "sh", "bash", "zsh", "dash", "ksh",
	"ash", "mksh", NULL };

/* `sh -c STRING`: the string, or NULL. */
static const char *
cmd_sh_c(const struct cmd_ctx *c)
{
	size_t i;
	int has_c = 0;

	if (!cmd_in(c->name, cmd_shells))
		return NULL;
	for (i = 1; i < c->argc; i++) {
		const char *a = c->argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if ((a[0] != '-' && a[0] != '+') || a[1] == '\0')
			break;
		if (a[1] == '-')
			continue;
		if (strchr(a + 1, 'c') != NULL)
			has_c = 1;
		if (strpbrk(a + 1, "oO") != NULL)
			i++;
	}
	return has_c && i < c->argc ? c->argv[i] : NULL;
}

/* A shell reading a here-document or here-string: check it as a line. */
static int
cmd_sh_stdin(const struct cmd_ctx *c, struct cmd_danger *d, int depth)
{
	const struct sh_redir *r;
	const char *text;
	size_t i;

	if (c->cmd == NULL || !cmd_in(c->name, cmd_shells))
		return 0;
	for (i = 0; i < c->cmd->nredir; i++) {
		r = &c->cmd->redir[i];
		if (r->fd > 0)
			continue;
		text = NULL;
		if (strcmp(r->op, "<<<") == 0)
			text = r->target;
		else if (r->heredoc >= 0)
			text = c->list->heredocs[r->heredoc];
		if (text != NULL && cmd_line(text, d, depth + 1))
			return 1;
	}
	return 0;
}

/* One command: the wrappers peeled, sh -c recursed, the table run. */
static int
cmd_one(const char *const *argv, size_t argc, const struct sh_cmd *cmd,
    const struct sh_list *list, struct cmd_danger *d, int depth)
{
	struct cmd_ctx c;
	const char *split, *inner;
	size_t i, start;

	start = cmd_peel(argv, argc, &split);
	memset(&c, 0, sizeof c);
	c.argv = argv + start;
	c.argc = argc - start;
	c.name = c.argc > 0 ? cmd_base(c.argv[0]) : "";
	c.cmd = cmd;
	c.list = list;
	if (split != NULL && cmd_line(split, d, depth + 1))
		return 1;
	if ((inner = cmd_sh_c(&c)) != NULL && cmd_line(inner, d, depth + 1))
		return 1;
	if (cmd_sh_stdin(&c, d, depth))
		return 1;
	if (c.argc == 0 && cmd == NULL)
		return 0;
	/* Peeled down to an expansion: "env $X". */
	if (start > 0 && c.argc > 0 && strpbrk(c.argv[0], "$`") != NULL &&
	    cmd != NULL) {
		cmd_set(d, "opaque", cmdpolicy_rules[0].why, argv, argc);
		return 1;
	}
	for (i = 0; i < sizeof cmdpolicy_rules / sizeof cmdpolicy_rules[0];
	     i++) {
		if (cmdpolicy_rules[i].match(&c)) {
			cmd_set(d, cmdpolicy_rules[i].rule,
			    cmdpolicy_rules[i].why, argv, argc);
			return 1;
		}
	}
	return 0;
}

static int
cmd_line(const char *line, struct cmd_danger *d, int depth)
{
	struct sh_list *l = NULL;
	char *cause = NULL;
	size_t i;
	int hit = 0;

	if (depth > SH_C_DEPTH) {
		snprintf(d->rule, sizeof d->rule, "unparsed");
		snprintf(d->why, sizeof d->why,
		    "sh -c nested deeper than %d cannot be checked",
		    SH_C_DEPTH);
		return 1;
	}
	if (shparse(line, &l, &cause) == -1) {
		snprintf(d->rule, sizeof d->rule, "unparsed");
		snprintf(d->why, sizeof d->why,
		    "the shell line cannot be checked: %s", cause);
		free(cause);
		return 1;
	}
	for (i = 0; i < l->ncmds && !hit; i++)
		hit = cmd_one((const char *const *)l->cmds[i].argv,
		    l->cmds[i].argc, &l->cmds[i], l, d, depth);
	sh_list_free(l);
	return hit;
}

int
cmdpolicy_check_line(const char *line, struct cmd_danger *d)
{
	return cmd_line(line, d, 0);
}

int
cmdpolicy_check_argv(const char *const *argv, size_t argc, struct cmd_danger *d)
{
	if (argc == 0)
		return 0;
	return cmd_one(argv, argc, NULL, NULL, d, 0);
}

int
cmdpolicy_check(json_t *args, struct cmd_danger *d)
{
	json_t *bin, *arr, *v;
	const char **argv;
	size_t i, n = 0;
	int hit;

	if (!json_is_object(args))
		return 0;
	if (json_is_string(json_object_get(args, "command")))
		return cmdpolicy_check_line(json_string_value(
						json_object_get(args,
						    "command")),
		    d);
	bin = json_object_get(args, "binary");
	if (!json_is_string(bin))
		return 0;
	arr = json_object_get(args, "args");
	argv = xcalloc(json_array_size(arr) + 2, sizeof *argv);
	argv[n++] = json_string_value(bin);
	json_array_foreach(arr, i, v)
		argv[n++] = json_is_string(v) ? json_string_value(v) : "";
	hit = cmdpolicy_check_argv(argv, n, d);
	free(argv);
	return hit;
}
