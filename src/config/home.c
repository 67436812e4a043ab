/*
 * home.c — the Oxios home directory.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/home.h"
#include "util/file.h"
#include "util/path.h"
#include "util/xalloc.h"

static const char *const home_subdirs[] = { "workspace", "logs", "run" };

int
home_check(char **cause)
{
	const char *env = getenv("OXIOS_HOME");

	if (env == NULL)
		return 0;
	if (*env == '\0') {
		xasprintf(cause,
		    "OXIOS_HOME is set but empty: give it a directory, or "
		    "unset it for ~/.oxios");
		return -1;
	}
	if (env[0] != '/' && env[0] != '~') {
		xasprintf(cause,
		    "OXIOS_HOME '%s' is a relative path: it must be absolute "
		    "(or start with ~/), so that every command and the "
		    "daemon name the same directory",
		    env);
		return -1;
	}
	if (strlen(env) >= PATH_MAX_LEN) {
		xasprintf(cause, "OXIOS_HOME is too long (over %d bytes)",
		    PATH_MAX_LEN);
		return -1;
	}
	return 0;
}

char *
home_dir(void)
{
	const char *env = getenv("OXIOS_HOME");
	char *p, *cwd, *abs, *norm;

	if (env != NULL && *env != '\0')
		p = path_expand_home(env);
	else
		p = path_expand_home("~/.oxios");
	if (p[0] != '/' && (cwd = getcwd(NULL, 0)) != NULL) {
		abs = path_join(cwd, p);
		free(cwd);
		free(p);
		p = abs;
	}
	norm = path_normalize(p);
	free(p);
	return norm;
}

char *
home_path(const char *name)
{
	char *dir = home_dir(), *p;

	p = path_join(dir, name);
	free(dir);
	return p;
}

int
home_ensure(char **cause)
{
	char *dir = home_dir(), *sub;
	size_t i;
	int rc = -1;

	if (home_check(cause) != 0)
		goto out;
	if (file_mkdirs(dir, HOME_DIR_MODE, cause) != 0)
		goto out;
	for (i = 0; i < sizeof home_subdirs / sizeof home_subdirs[0]; i++) {
		sub = path_join(dir, home_subdirs[i]);
		if (file_mkdirs(sub, HOME_DIR_MODE, cause) != 0) {
			free(sub);
			goto out;
		}
		free(sub);
	}
	rc = 0;
out:
	free(dir);
	return rc;
}
